//! The store conformance suite: written once, run against SQLite and PostgreSQL. One file per
//! feature, named like the feature's folder in the domain and its file in each store; every test is registered in one list, the
//! [`conformance_tests!`](crate::conformance_tests) macro, which
//! `crates/store-*/tests/conformance.rs` expand. Each test gets a fresh, migrated store and
//! asserts what a user of the port relies on.
//!
//! Adding a test: write `pub async fn the_behaviour(store: &dyn Store)` in the feature's file
//! and add its name under the feature in the macro below (with `#[with_db]` when it takes a
//! second argument `&Db` to read the database directly, `#[parallel]` when it takes an
//! `Arc<dyn Store>` and runs on several threads).

pub mod accounts;
pub mod appender;
pub mod audit;
pub mod cases;
pub mod contact;
pub mod conversation;
pub mod feedback;
pub mod insights;
pub mod live;
pub mod meetings;
pub mod notices;
pub mod organisation;
pub mod plan;

use domain::accounts::store::NewUser;
use domain::audit::{AuditAction, DataKind, NewAuditEvent};
use domain::cases::store::NewClient;
use domain::ids::{AuditId, ClientId, OfficeId, OrganisationId, RequestId, UserId};
use domain::organisation::store::{NewOffice, NewOrganisation};
use domain::ports::Store;
use domain::roles::{Role, RoleGrant};
use domain::types::{PersonName, UnitName, Username};
use time::OffsetDateTime;

pub fn t0() -> OffsetDateTime {
    time::macros::datetime!(2026-03-02 09:15:00.123456 UTC)
}

/// A small organisation: two offices, a counselor at each, an administrator.
pub struct Fixture {
    pub org: OrganisationId,
    pub office_a: OfficeId,
    pub office_b: OfficeId,
    pub counselor_a: UserId,
    pub counselor_b: UserId,
    pub admin: UserId,
}

pub fn user(org: OrganisationId, name: &str, grants: Vec<RoleGrant>) -> NewUser {
    NewUser {
        id: UserId::new(),
        organisation_id: org,
        username: Username::parse(name).unwrap(),
        display_name: PersonName::parse(&format!("Person {name}")).unwrap(),
        password_hash: Some("not-a-real-hash".into()),
        grants,
        protected_access: vec![],
        created_at: t0(),
    }
}

pub fn event(
    actor: UserId,
    role: Role,
    client: ClientId,
    kind: DataKind,
    action: AuditAction,
) -> NewAuditEvent {
    NewAuditEvent {
        id: AuditId::new(),
        at: t0(),
        actor_id: actor,
        actor_role: role,
        client_id: client,
        data_kind: kind,
        action,
        request_id: RequestId::new(),
        reason: None,
        listed: Vec::new(),
    }
}

pub async fn fixture(store: &dyn Store) -> Fixture {
    let org = OrganisationId::new();
    store
        .create_organisation(NewOrganisation {
            id: org,
            name: UnitName::parse("Org").unwrap(),
            created_at: t0(),
        })
        .await
        .unwrap();
    let (office_a, office_b) = (OfficeId::new(), OfficeId::new());
    for (id, name) in [(office_a, "Office A"), (office_b, "Office B")] {
        store
            .create_office(NewOffice {
                id,
                organisation_id: org,
                name: UnitName::parse(name).unwrap(),
                created_at: t0(),
            })
            .await
            .unwrap();
    }
    let counselor_a = user(
        org,
        "counselor-a",
        vec![RoleGrant {
            role: Role::Counselor,
            office_id: Some(office_a),
        }],
    );
    let counselor_b = user(
        org,
        "counselor-b",
        vec![RoleGrant {
            role: Role::Counselor,
            office_id: Some(office_b),
        }],
    );
    let admin = user(
        org,
        "admin",
        vec![RoleGrant {
            role: Role::Administrator,
            office_id: None,
        }],
    );
    let ids = (counselor_a.id, counselor_b.id, admin.id);
    for u in [counselor_a, counselor_b, admin] {
        store.create_user(u).await.unwrap();
    }
    Fixture {
        org,
        office_a,
        office_b,
        counselor_a: ids.0,
        counselor_b: ids.1,
        admin: ids.2,
    }
}

pub async fn new_client(
    store: &dyn Store,
    f: &Fixture,
    office: OfficeId,
    name: &str,
    protected: bool,
    account: Option<UserId>,
) -> ClientId {
    let id = ClientId::new();
    store
        .create_client(
            NewClient {
                id,
                office_id: office,
                user_id: account,
                name: PersonName::parse(name).unwrap(),
                protected,
                created_at: t0(),
            },
            event(
                f.admin,
                Role::Administrator,
                id,
                DataKind::CaseOverview,
                AuditAction::Created,
            ),
        )
        .await
        .unwrap();
    id
}

/// Verifies the whole audit chain against the head, as `vendepunkt audit verify` does.
pub async fn verify_chain(store: &dyn Store) -> Result<i64, String> {
    // Small pages, so every test crosses page boundaries.
    domain::audit::verify_trail(store, 100, &mut |_, _| {})
        .await
        .map(|v| v.rows)
        .map_err(|e| e.to_string())
}

/// The one list of conformance tests, by feature: generates a module per feature with one
/// `#[tokio::test]` per test (`accounts::sessions_live_until_ended`, ...). `$make` is an async
/// expression by absolute path giving `Option<`[`Fresh`](crate::db::Fresh)`>`
/// (`testkit::db::Fresh::sqlite()`, `testkit::db::Fresh::postgres()`); `None` means the
/// database is unavailable (skip, never under CI — the factory panics there).
///
/// A test is `name` (takes `&dyn Store`), `#[with_db] name` (also `&Db`, to read the database
/// directly) or `#[parallel] name` (takes `Arc<dyn Store>`, runs on four worker threads).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@features $make;
            accounts {
                sessions_live_until_ended,
                a_session_is_read_with_its_actor,
                password_change_and_disable_end_sessions,
                external_identities_link_to_users,
                failed_logins_count_within_the_window,
                known_devices_are_per_user,
                a_setup_token_works_once,
            }
            organisation {
                organisation_offices_and_teams_round_trip,
                #[with_db] people_become_actors_with_their_grants,
                #[with_db] a_taken_username_is_a_conflict,
                clients_accounts_are_found_by_username_and_read_and_changed_with_their_audit_rows,
            }
            cases {
                #[with_db] opening_a_client_case_is_one_transaction,
                lists_respect_office_assignment_and_protection,
                #[parallel] concurrent_writers_all_succeed,
            }
            appender {
                #[parallel] concurrent_audited_views_all_commit_before_they_return,
                #[with_db] when_the_trail_refuses_the_rows_no_view_returns_data,
                one_refused_row_fails_only_its_own_view,
            }
            audit {
                an_audited_read_writes_exactly_one_row,
                without_an_audit_row_there_is_no_data,
                the_access_log_shows_staff_newest_first,
                the_head_moves_with_every_appended_row,
                the_access_log_pages_openings_and_groups_list_views_per_person_and_day,
                #[with_db] a_list_view_is_one_row_and_every_client_listed_sees_it,
                old_per_client_list_rows_show_beside_list_rows,
                pages_of_the_trail_hold_a_bounded_number_of_clients_listed,
            }
            plan {
                plan_items_are_versioned_with_history_and_audit,
                #[parallel] concurrent_plan_edits_exactly_one_wins,
                a_page_about_a_missing_part_of_a_plan_writes_no_audit_row,
                history_shows_each_change_from_before_to_after,
            }
            conversation {
                threads_belong_to_one_client_and_count_what_the_client_wrote,
                reading_a_thread_marks_the_other_sides_messages_read_once,
                no_answer_needed_holds_until_the_client_writes_again,
                attachments_are_stored_with_their_message_for_their_client_only,
                checkins_and_the_latest_message_make_the_contact_status,
                a_draft_is_saved_read_back_and_overwritten,
                drafts_are_per_author_and_per_thread,
                an_empty_draft_removes_the_draft,
                sending_removes_the_authors_draft_in_that_thread_only,
            }
            live {
                live_events_are_per_recipient_in_order_and_resumable,
            }
            meetings {
                meetings_keep_versions_notes_and_audit,
            }
            contact {
                the_contact_agreement_is_versioned_and_gives_the_clients_notice_contact,
                counselor_availability_reads_back_and_gives_the_notice_email,
                the_contact_status_of_several_clients_is_each_ones_own,
            }
            notices {
                the_worker_reads_live_events_and_stores_each_notice_once,
                #[with_db] a_notice_is_claimed_resumed_retried_and_sent_once,
                reminders_are_made_once_per_meeting_start_and_due_date,
                #[parallel] due_notices_are_claimed_once,
            }
            feedback {
                feedback_is_stored_shared_changed_and_deleted,
            }
            insights {
                #[with_db] aggregates_match_the_grouping_definition,
                #[with_db] summary_equals_a_fresh_grouping_after_every_write,
                #[with_db] the_worker_summarises_settled_quarters_in_rounds,
            }
        );
    };
    (@features $make:expr; $( $feature:ident { $( $(#[$kind:ident])? $name:ident ),* $(,)? } )*) => {
        $(
            mod $feature {
                $( $crate::conformance_tests!(@test $make; $feature $name $($kind)?); )*
            }
        )*
    };
    (@test $make:expr; $feature:ident $name:ident) => {
        #[tokio::test]
        async fn $name() {
            let Some(fresh) = $make.await else { return };
            $crate::conformance::$feature::$name(fresh.store.as_ref()).await;
        }
    };
    (@test $make:expr; $feature:ident $name:ident with_db) => {
        #[tokio::test]
        async fn $name() {
            let Some(fresh) = $make.await else { return };
            $crate::conformance::$feature::$name(fresh.store.as_ref(), &fresh.db).await;
        }
    };
    (@test $make:expr; $feature:ident $name:ident parallel) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            let Some(fresh) = $make.await else { return };
            $crate::conformance::$feature::$name(fresh.store.clone()).await;
        }
    };
}
