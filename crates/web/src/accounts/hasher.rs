//! Argon2id password hashing, off the async executor.

use argon2::{Algorithm, Argon2, Params, PasswordHasher as _, PasswordVerifier, Version};
use async_trait::async_trait;
use domain::ports::{PasswordHasher, PortError, PortResult};
use domain::types::Secret;
use std::sync::Arc;

#[derive(Clone)]
pub struct Argon2Hasher {
    params: Params,
    /// A hash of a random password, verified against for unknown users so that they cost the
    /// same time as real ones.
    dummy: Arc<String>,
}

impl Argon2Hasher {
    fn with(m_cost: u32, t_cost: u32) -> Self {
        let params = Params::new(m_cost, t_cost, 1, None).unwrap_or(Params::DEFAULT);
        let mut me = Self {
            params,
            dummy: Arc::new(String::new()),
        };
        let random: [u8; 16] = rand::random();
        me.dummy = Arc::new(me.hash_now(&hex::encode(random)).unwrap_or_default());
        me
    }

    /// OWASP's minimum for Argon2id: 19 MiB memory, 2 iterations, 1 lane.
    pub fn production() -> Self {
        Self::with(19 * 1024, 2)
    }

    /// Cheap parameters for tests only. Not reachable from configuration.
    pub fn for_tests() -> Self {
        Self::with(Params::MIN_M_COST.max(64), 1)
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_now(&self, password: &str) -> PortResult<String> {
        self.argon()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| PortError::Failure(format!("password hashing failed: {e}")))
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Secret) -> PortResult<String> {
        let me = self.clone();
        let password = password.clone();
        tokio::task::spawn_blocking(move || me.hash_now(password.expose()))
            .await
            .map_err(|e| PortError::Failure(e.to_string()))?
    }

    async fn verify(&self, password: &Secret, hash: &str) -> bool {
        let me = self.clone();
        let password = password.clone();
        let hash = hash.to_string();
        tokio::task::spawn_blocking(move || {
            me.argon()
                .verify_password(password.expose().as_bytes(), hash.as_str())
                .is_ok()
        })
        .await
        .unwrap_or(false)
    }

    async fn verify_dummy(&self, password: &Secret) {
        let dummy = self.dummy.clone();
        let _ = self.verify(password, &dummy).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_argon2id() {
        let h = Argon2Hasher::for_tests();
        let hash = h.hash(&Secret::new("a long test password")).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify(&Secret::new("a long test password"), &hash).await);
        assert!(!h.verify(&Secret::new("another password"), &hash).await);
        assert!(!h.verify(&Secret::new("x"), "not a hash").await);
    }

    #[test]
    fn production_parameters_meet_the_owasp_minimum() {
        let p = Argon2Hasher::production().params;
        assert!(p.m_cost() >= 19 * 1024 && p.t_cost() >= 2 && p.p_cost() >= 1);
    }
}
