//! Conformance: sessions, passwords, external identities, failed logins, known devices and
//! setup tokens.

use super::{fixture, t0};
use domain::accounts::store::{FailedLogin, SessionRecord};
use domain::ids::UserId;
use domain::ports::{Conflict, PortError, Store};
use domain::types::Username;
use time::{Duration, OffsetDateTime};

fn session(user: UserId, hash: &str, at: OffsetDateTime) -> SessionRecord {
    SessionRecord {
        token_hash: hash.into(),
        user_id: user,
        created_at: at,
        last_seen_at: at,
    }
}

pub async fn sessions_live_until_ended(store: &dyn Store) {
    let f = fixture(store).await;
    store
        .create_session(session(f.counselor_a, "h1", t0()))
        .await
        .unwrap();
    store
        .create_session(session(f.counselor_a, "h2", t0()))
        .await
        .unwrap();
    store
        .create_session(session(f.counselor_b, "h3", t0() - Duration::hours(13)))
        .await
        .unwrap();
    let s = store.session("h1").await.unwrap().expect("session");
    assert_eq!(
        s,
        session(f.counselor_a, "h1", t0()),
        "timestamps read back exactly"
    );
    store
        .touch_session("h1", t0() + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        store.session("h1").await.unwrap().map(|s| s.last_seen_at),
        Some(t0() + Duration::minutes(5))
    );
    store.delete_session("h1").await.unwrap();
    assert!(store.session("h1").await.unwrap().is_none());
    let removed = store
        .delete_expired_sessions(t0() - Duration::minutes(30), t0() - Duration::hours(12))
        .await
        .unwrap();
    assert_eq!(removed, 1, "only the 13-hour-old session expired");
    assert!(store.session("h2").await.unwrap().is_some());
    store.delete_sessions_of_user(f.counselor_a).await.unwrap();
    assert!(store.session("h2").await.unwrap().is_none());
}

pub async fn password_change_and_disable_end_sessions(store: &dyn Store) {
    let f = fixture(store).await;
    store
        .create_session(session(f.counselor_a, "a1", t0()))
        .await
        .unwrap();
    store
        .create_session(session(f.counselor_b, "b1", t0()))
        .await
        .unwrap();
    store
        .set_password_hash(f.counselor_a, "new-hash")
        .await
        .unwrap();
    assert!(
        store.session("a1").await.unwrap().is_none(),
        "password change ends sessions"
    );
    let creds = store
        .credentials_by_username(&Username::parse("counselor-a").unwrap())
        .await
        .unwrap();
    assert_eq!(creds.and_then(|c| c.password_hash), Some("new-hash".into()));
    store.set_disabled(f.counselor_b, true).await.unwrap();
    assert!(
        store.session("b1").await.unwrap().is_none(),
        "disable ends sessions"
    );
    assert!(
        store.actor(f.counselor_b).await.unwrap().is_none(),
        "a disabled account is no actor"
    );
    store.set_disabled(f.counselor_b, false).await.unwrap();
    assert!(store.actor(f.counselor_b).await.unwrap().is_some());
}

pub async fn external_identities_link_to_users(store: &dyn Store) {
    let f = fixture(store).await;
    store
        .link_identity(f.counselor_a, "https://idp.example", "sub-1")
        .await
        .unwrap();
    assert_eq!(
        store
            .user_by_identity("https://idp.example", "sub-1")
            .await
            .unwrap(),
        Some(f.counselor_a)
    );
    assert_eq!(
        store
            .user_by_identity("https://other.example", "sub-1")
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .link_identity(f.counselor_b, "https://idp.example", "sub-1")
            .await
            .is_err()
    );
    assert!(matches!(
        store
            .link_identity(f.counselor_b, "https://idp.example", "sub-1")
            .await,
        Err(PortError::Conflict(Conflict::Identity))
    ));
}

pub async fn failed_logins_count_within_the_window(store: &dyn Store) {
    for minutes in [0, 5, 20] {
        store
            .record_failed_login(FailedLogin {
                key: "user:kari".into(),
                at: t0() - Duration::minutes(minutes),
            })
            .await
            .unwrap();
    }
    store
        .record_failed_login(FailedLogin {
            key: "ip:10.0.0.1".into(),
            at: t0(),
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .failed_logins_since("user:kari", t0() - Duration::minutes(15))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .failed_logins_since("user:kari", t0() - Duration::hours(1))
            .await
            .unwrap(),
        3
    );
    store.clear_failed_logins("user:kari").await.unwrap();
    assert_eq!(
        store
            .failed_logins_since("user:kari", t0() - Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .failed_logins_since("ip:10.0.0.1", t0() - Duration::hours(1))
            .await
            .unwrap(),
        1
    );
}

pub async fn known_devices_are_per_user(store: &dyn Store) {
    let f = fixture(store).await;
    assert!(!store.is_known_device(f.counselor_a, "d1").await.unwrap());
    store
        .remember_device(f.counselor_a, "d1", t0())
        .await
        .unwrap();
    store
        .remember_device(f.counselor_a, "d1", t0() + Duration::days(1))
        .await
        .unwrap();
    assert!(store.is_known_device(f.counselor_a, "d1").await.unwrap());
    assert!(!store.is_known_device(f.counselor_b, "d1").await.unwrap());
}

pub async fn a_setup_token_works_once(store: &dyn Store) {
    store.put_setup_token("first", t0()).await.unwrap();
    store.put_setup_token("second", t0()).await.unwrap();
    assert!(
        !store.consume_setup_token("first").await.unwrap(),
        "a new token replaces the old"
    );
    assert!(store.consume_setup_token("second").await.unwrap());
    assert!(
        !store.consume_setup_token("second").await.unwrap(),
        "works once"
    );
}
