//! Conformance: sessions, passwords, external identities, failed logins, known devices and
//! setup tokens.

use super::{fixture, new_client, t0, user};
use domain::accounts::store::{FailedLogin, SessionRecord};
use domain::ids::UserId;
use domain::ports::{Conflict, PortError, Store};
use domain::roles::{Actor, Role, RoleGrant};
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

/// The actor with its grants in a fixed order, to compare two reads of it.
fn sorted(mut actor: Actor) -> Actor {
    actor
        .grants
        .sort_by_key(|g| (g.role.as_str().to_string(), g.office_id));
    actor.protected_access.sort();
    actor
}

pub async fn a_session_is_read_with_its_actor(store: &dyn Store) {
    let f = fixture(store).await;
    // Several roles at several offices, one of them without an office, protected access at
    // two offices: everything the policy decides on.
    let mut many = user(
        f.org,
        "many-hats",
        vec![
            RoleGrant {
                role: Role::Counselor,
                office_id: Some(f.office_a),
            },
            RoleGrant {
                role: Role::Leader,
                office_id: Some(f.office_b),
            },
            RoleGrant {
                role: Role::Counselor,
                office_id: Some(f.office_b),
            },
        ],
    );
    many.protected_access = vec![f.office_a, f.office_b];
    let many_id = many.id;
    store.create_user(many).await.unwrap();
    let client_account = user(f.org, "client-account", vec![]);
    let client_user = client_account.id;
    store.create_user(client_account).await.unwrap();
    let client = new_client(
        store,
        &f,
        f.office_a,
        "Kari Client",
        false,
        Some(client_user),
    )
    .await;
    for (who, hash) in [
        (many_id, "s-many"),
        (f.admin, "s-admin"),
        (client_user, "s-client"),
        (f.counselor_b, "s-b"),
    ] {
        let at = t0() - Duration::minutes(3);
        let mut record = session(who, hash, at);
        record.last_seen_at = t0();
        store.create_session(record.clone()).await.unwrap();
        let read = store.session_actor(hash).await.unwrap().expect("a session");
        assert_eq!(read.session, record, "the session reads back exactly");
        let alone = store.actor(who).await.unwrap().expect("an actor");
        assert_eq!(
            read.actor.map(sorted),
            Some(sorted(alone)),
            "the same actor as read on its own"
        );
    }
    let with_grants = store.session_actor("s-many").await.unwrap().unwrap();
    let actor = with_grants.actor.unwrap();
    assert_eq!(actor.grants.len(), 3);
    assert_eq!(actor.protected_access.len(), 2);
    assert_eq!(actor.own_client, None);
    let admin = store.session_actor("s-admin").await.unwrap().unwrap();
    assert_eq!(
        admin.actor.unwrap().grants,
        vec![RoleGrant {
            role: Role::Administrator,
            office_id: None
        }]
    );
    let own = store.session_actor("s-client").await.unwrap().unwrap();
    let own = own.actor.unwrap();
    assert_eq!(own.own_client, Some(client));
    assert!(own.grants.is_empty() && own.protected_access.is_empty());

    assert!(store.session_actor("no-such").await.unwrap().is_none());
    // Disabling ends the sessions; a session row left for a disabled account (written after
    // the disable) still names no actor.
    store.set_disabled(f.counselor_b, true).await.unwrap();
    assert!(store.session_actor("s-b").await.unwrap().is_none());
    store
        .create_session(session(f.counselor_b, "s-b2", t0()))
        .await
        .unwrap();
    let disabled = store.session_actor("s-b2").await.unwrap().expect("the row");
    assert_eq!(disabled.actor, None, "a disabled account is no actor");
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
