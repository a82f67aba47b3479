//! Every message the code or a template asks for exists in all three languages, including the
//! ones built at run time (domain error codes, field names, roles, audit lines). A missing
//! message would show its id to the user.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::DomainError;
use domain::audit::{AuditAction, DataKind};
use domain::ports::{Conflict, PortError};
use domain::roles::Role;
use domain::types::FieldError;
use std::collections::BTreeSet;
use std::path::Path;
use web::i18n::{I18n, Lang};

fn ids(lang: Lang) -> BTreeSet<String> {
    I18n::message_ids(lang)
}

fn assert_exists(id: &str, why: &str) {
    for lang in Lang::ALL {
        assert!(
            ids(lang).contains(id),
            "message `{id}` ({why}) is missing in {}.ftl",
            lang.code()
        );
    }
}

/// The quoted literals directly after `tr.get(` or `tr.arg(`, and every literal in `source`
/// whose first word is the first word of some message id (so `"error-not-found-title"` in a
/// match arm is checked, while `"no-store"` or `"x-request-id"` are not).
fn message_literals(source: &str, families: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        // The closing quote, skipping escaped ones.
        let mut escaped = false;
        let Some(end) = after.char_indices().find_map(|(i, c)| match c {
            _ if escaped => {
                escaped = false;
                None
            }
            '\\' => {
                escaped = true;
                None
            }
            '"' => Some(i),
            _ => None,
        }) else {
            break;
        };
        let literal = &after[..end];
        let kebab = !literal.is_empty()
            && literal.contains('-')
            && literal
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !literal.starts_with('-')
            && !literal.ends_with('-');
        let called = rest[..start].ends_with("tr.get(") || rest[..start].ends_with("tr.arg(");
        let family = literal.split('-').next().unwrap_or_default();
        if kebab && (called || families.contains(family)) {
            out.push(literal.to_string());
        }
        rest = &after[end + 1..];
    }
    out
}

/// Every file under `dir`, in its feature folders too.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn every_message_used_in_code_and_templates_exists() {
    let families: BTreeSet<String> = ids(Lang::Nb)
        .iter()
        .filter_map(|id| id.split('-').next().map(str::to_string))
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for dir in ["src", "templates"] {
        for path in files_under(&root.join(dir)) {
            let source = std::fs::read_to_string(&path).unwrap();
            // Templates can only ask through `tr`; Rust code also names ids in tables.
            let literals = if dir == "templates" {
                message_literals(&source, &BTreeSet::new())
            } else {
                message_literals(&source, &families)
            };
            for id in literals {
                // Prefixes that are completed at run time are checked below.
                if id == "role" || id.ends_with('-') {
                    continue;
                }
                assert_exists(&id, &path.display().to_string());
                checked += 1;
            }
        }
    }
    assert!(checked > 80, "the scan found only {checked} message ids");
}

#[test]
fn every_domain_error_and_field_error_has_a_message() {
    let errors = [
        DomainError::NotFound,
        DomainError::Invalid(vec![]),
        DomainError::ReasonRequired,
        DomainError::InvalidCredentials,
        DomainError::Throttled {
            retry_after_secs: 60,
        },
        DomainError::Conflict("x"),
        DomainError::SetupTokenInvalid,
        DomainError::Port(PortError::Conflict(Conflict::Unique)),
        DomainError::Port(PortError::Failure("x".into())),
        DomainError::Port(PortError::AuditChainBroken { seq: 1 }),
    ];
    for e in &errors {
        assert_exists(e.code(), "a domain error");
    }
    for f in [
        FieldError::Required,
        FieldError::TooLong,
        FieldError::TooShort,
        FieldError::InvalidCharacters,
        FieldError::PasswordTooShort,
        FieldError::PasswordTooLong,
        FieldError::PasswordTooCommon,
        FieldError::PasswordContainsUsername,
        FieldError::UsernameTaken,
        FieldError::ProtectedNotAllowed,
    ] {
        assert_exists(f.code(), "a field error");
    }
    // Field names the use cases and forms report errors on (`label-<field>`).
    for field in [
        "username",
        "display_name",
        "password",
        "roles",
        "role",
        "office_id",
        "organisation_name",
        "office_name",
        "current_password",
        "new_password",
        "reason",
        "name",
        "protected",
        "main",
    ] {
        assert_exists(
            &format!("label-{}", field.replace('_', "-")),
            "a field label",
        );
    }
}

#[test]
fn roles_and_audit_lines_have_messages() {
    for role in Role::ALL {
        assert_exists(&format!("role-{}", role.as_str()), "a role name");
    }
    for action in [
        AuditAction::Viewed,
        AuditAction::Created,
        AuditAction::Changed,
    ] {
        for kind in [
            DataKind::CaseOverview,
            DataKind::ClientListEntry,
            DataKind::ClientList,
            DataKind::Assignment,
            DataKind::Account,
        ] {
            assert_exists(
                &format!("audit-{}-{}", action.as_str(), kind.as_str()),
                "an access log line",
            );
        }
    }
}

#[test]
fn nynorsk_is_not_bokmal_with_another_label() {
    let i18n = I18n::load();
    let differing = ids(Lang::Nb)
        .iter()
        .filter(|id| i18n.format(Lang::Nb, id, &[]) != i18n.format(Lang::Nn, id, &[]))
        .count();
    assert!(
        differing * 2 > ids(Lang::Nb).len(),
        "only {differing} messages differ between bokmål and nynorsk"
    );
    for (id, nn) in [
        ("login-failed", "Brukarnamnet"),
        ("error-not-found-title", "fann ikkje"),
    ] {
        assert!(i18n.format(Lang::Nn, id, &[]).contains(nn), "{id}");
    }
}

#[test]
fn every_plan_value_has_a_message() {
    use domain::plan::{
        ActivityKind, ActivityStatus, ApplicationStage, ContactChannel, GoalStatus, Side,
    };
    for k in ActivityKind::ALL {
        assert_exists(&format!("activity-kind-{}", k.as_str()), "an activity kind");
    }
    for s in ActivityStatus::ALL {
        assert_exists(&format!("activity-status-{}", s.as_str()), "a status");
        assert_exists(&format!("activity-group-{}", s.as_str()), "a status group");
    }
    for s in GoalStatus::ALL {
        assert_exists(&format!("goal-status-{}", s.as_str()), "a goal status");
        assert_exists(&format!("goal-set-{}", s.as_str()), "a goal status button");
    }
    for s in ApplicationStage::ALL {
        assert_exists(&format!("stage-{}", s.as_str()), "an application stage");
    }
    for c in ContactChannel::ALL {
        assert_exists(&format!("channel-{}", c.as_str()), "a contact channel");
    }
    for s in [Side::Client, Side::Counselor] {
        assert_exists(&format!("side-{}", s.as_str()), "a side");
    }
    for (action, kind) in [
        (AuditAction::Viewed, DataKind::Plan),
        (AuditAction::Created, DataKind::Plan),
        (AuditAction::Changed, DataKind::Plan),
        (AuditAction::Viewed, DataKind::PlanHistory),
        (AuditAction::Viewed, DataKind::Messages),
        (AuditAction::Created, DataKind::Messages),
        (AuditAction::Changed, DataKind::Messages),
    ] {
        assert_exists(
            &format!("audit-{}-{}", action.as_str(), kind.as_str()),
            "an access log line",
        );
    }
    // Every (item kind, change) the use cases in domain::plan::cases write.
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../domain/src/plan/cases.rs"),
    )
    .unwrap();
    for kind in [
        "presentation",
        "preferences",
        "goal",
        "activity",
        "question",
    ] {
        for change in [
            "created",
            "edited",
            "archived",
            "approved",
            "status",
            "declined",
            "agreement-proposed",
            "agreed",
            "terms-proposed",
            "terms-agreed",
            "terms-rejected",
            "terms-withdrawn",
            "answered",
        ] {
            let id = format!("history-{kind}-{change}");
            if ids(Lang::En).contains(&id) {
                assert_exists(&id, "a history sentence");
            }
        }
    }
    for change in source
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| s.starts_with("terms-") || s.starts_with("agree"))
    {
        assert_exists(&format!("history-activity-{change}"), "a history sentence");
    }
}
