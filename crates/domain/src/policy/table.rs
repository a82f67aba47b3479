//! The access table of `docs/ACCESS.md`, computed by asking [`authorize`] itself: every cell
//! is the policy's answer for one kind of person and one action on a client of office A (or
//! on office A, or on the organisation). A test keeps the document equal to it, so the table
//! cannot drift from the rules.

use super::{Action, ClientScope, Permit, Resource, authorize};
use crate::ids::{ClientId, OfficeId, OrganisationId, UserId};
use crate::roles::{Actor, Role, RoleGrant};

/// The people of the table's columns, relative to one client at office A.
const COLUMNS: [&str; 7] = [
    "client (own case)",
    "assigned counselor",
    "counselor, same office",
    "counselor, other office",
    "leader",
    "administrator",
    "partner, moderator",
];

/// What a row is done to.
#[derive(Clone, Copy)]
enum Target {
    /// The client (protected or not).
    Client { protected: bool },
    /// The client's office.
    Office,
    /// The client's organisation.
    Organisation,
}

/// One row: what is tried, on what, and whether everyone in the row holds the protected
/// permission at office A.
struct Row {
    label: &'static str,
    action: Action,
    target: Target,
    protected_permission: bool,
}

const fn row(label: &'static str, action: Action, target: Target) -> Row {
    Row {
        label,
        action,
        target,
        protected_permission: false,
    }
}

const PLAIN: Target = Target::Client { protected: false };
const PROTECTED: Target = Target::Client { protected: true };

fn rows() -> Vec<Row> {
    let with_permission = |r: Row| Row {
        protected_permission: true,
        ..r
    };
    vec![
        row("view a client's case", Action::ViewClientCase, PLAIN),
        row("change a client's case", Action::ChangeClientCase, PLAIN),
        row(
            "view a *protected* client's case, without the protected permission",
            Action::ViewClientCase,
            PROTECTED,
        ),
        with_permission(row(
            "view a *protected* client's case, with the protected permission at the client's office",
            Action::ViewClientCase,
            PROTECTED,
        )),
        with_permission(row(
            "change a *protected* client's case, with the protected permission at the client's office",
            Action::ChangeClientCase,
            PROTECTED,
        )),
        row(
            "see who looked at the case (the access log)",
            Action::ViewAccessLog,
            PLAIN,
        ),
        row(
            "see feedback the client shared, record a talk about it",
            Action::ViewSharedFeedback,
            PLAIN,
        ),
        row(
            "list clients of the office (the caseload)",
            Action::ListClients,
            Target::Office,
        ),
        row(
            "office insights (aggregates only)",
            Action::ViewOfficeInsights,
            Target::Office,
        ),
        row(
            "own feedback aggregate (aggregates only)",
            Action::ViewOwnFeedback,
            Target::Office,
        ),
        row(
            "open a new client case at the office (assigned to themself)",
            Action::OpenClientCase,
            Target::Office,
        ),
        row(
            "open a new *protected* client case at the office, without the protected permission",
            Action::OpenProtectedClientCase,
            Target::Office,
        ),
        with_permission(row(
            "open a new *protected* client case at the office, with the protected permission there",
            Action::OpenProtectedClientCase,
            Target::Office,
        )),
        row(
            "manage people (staff only), offices, teams",
            Action::ManageOrganisation,
            Target::Organisation,
        ),
        row(
            "find a client's account by exact username, give it a new password, disable or enable it",
            Action::ManageClientAccount,
            PLAIN,
        ),
        row(
            "the same for a *protected* client, without the protected permission",
            Action::ManageClientAccount,
            PROTECTED,
        ),
        with_permission(row(
            "the same for a *protected* client, with the protected permission at the client's office",
            Action::ManageClientAccount,
            PROTECTED,
        )),
    ]
}

/// The setting every cell is computed in: one organisation, offices A and B, and a client at
/// office A followed by the assigned counselor.
struct World {
    org: OrganisationId,
    office_a: OfficeId,
    office_b: OfficeId,
    client: ClientId,
    assigned: UserId,
}

impl World {
    fn new() -> World {
        World {
            org: OrganisationId::new(),
            office_a: OfficeId::new(),
            office_b: OfficeId::new(),
            client: ClientId::new(),
            assigned: UserId::new(),
        }
    }

    fn person(&self, id: UserId, grants: &[(Role, Option<OfficeId>)], protected: bool) -> Actor {
        Actor {
            user_id: id,
            username: String::new(),
            display_name: String::new(),
            organisation_id: self.org,
            grants: grants
                .iter()
                .map(|&(role, office_id)| RoleGrant { role, office_id })
                .collect(),
            protected_access: if protected {
                vec![self.office_a]
            } else {
                vec![]
            },
            own_client: None,
        }
    }

    /// The people of one column (two for "partner, moderator").
    fn column(&self, column: usize, protected: bool) -> Vec<Actor> {
        let at_a = |role| [(role, Some(self.office_a))];
        match column {
            0 => vec![Actor {
                own_client: Some(self.client),
                ..self.person(UserId::new(), &[], protected)
            }],
            1 => vec![self.person(self.assigned, &at_a(Role::Counselor), protected)],
            2 => vec![self.person(UserId::new(), &at_a(Role::Counselor), protected)],
            3 => vec![self.person(
                UserId::new(),
                &[(Role::Counselor, Some(self.office_b))],
                protected,
            )],
            4 => vec![self.person(UserId::new(), &at_a(Role::Leader), protected)],
            5 => vec![self.person(UserId::new(), &[(Role::Administrator, None)], protected)],
            _ => vec![
                self.person(UserId::new(), &at_a(Role::Partner), protected),
                self.person(UserId::new(), &at_a(Role::Moderator), protected),
            ],
        }
    }

    fn scope(&self, protected: bool) -> ClientScope {
        ClientScope {
            client_id: self.client,
            organisation_id: self.org,
            office_id: self.office_a,
            assigned_counselor: Some(self.assigned),
            protected,
        }
    }
}

fn cell(decision: Result<Permit, super::Denied>) -> &'static str {
    match decision {
        Err(_) => "no",
        Ok(Permit {
            audited: false,
            reason_required: false,
            ..
        }) => "yes",
        Ok(Permit {
            reason_required: false,
            ..
        }) => "yes (audited)",
        Ok(Permit { audited: false, .. }) => "yes (with a stated reason)",
        Ok(_) => "yes (audited, with a stated reason)",
    }
}

/// The access table as Markdown, as it appears in `docs/ACCESS.md`: one row per action, one
/// column per kind of person, each cell what [`authorize`] answers ("no" is a 404).
pub fn access_markdown() -> String {
    let world = World::new();
    let mut out = format!(
        "| action | {} |\n|---|{}\n",
        COLUMNS.join(" | "),
        "---|".repeat(COLUMNS.len())
    );
    for r in rows() {
        let scope = match r.target {
            Target::Client { protected } => Some(world.scope(protected)),
            _ => None,
        };
        let resource = match (&scope, r.target) {
            (Some(s), _) => Resource::Client(s),
            (None, Target::Office) => Resource::Office(world.office_a),
            (None, _) => Resource::Organisation(world.org),
        };
        let cells: Vec<String> = (0..COLUMNS.len())
            .map(|c| {
                let answers: Vec<&str> = world
                    .column(c, r.protected_permission)
                    .iter()
                    .map(|actor| cell(authorize(actor, r.action, resource)))
                    .collect();
                match answers.as_slice() {
                    [partner, moderator] if partner != moderator => {
                        format!("partner {partner}, moderator {moderator}")
                    }
                    [one, ..] => (*one).to_string(),
                    [] => String::new(),
                }
            })
            .collect();
        out.push_str(&format!("| {} | {} |\n", r.label, cells.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::access_markdown;

    #[test]
    fn docs_access_md_shows_the_table_the_policy_computes() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ACCESS.md"))
                .unwrap_or_default();
        let table = access_markdown();
        assert!(
            doc.contains(&table),
            "docs/ACCESS.md must contain the table printed by policy::access_markdown():\n{table}"
        );
    }

    #[test]
    fn the_table_reads_like_the_rules() {
        let table = access_markdown();
        for line in [
            "| view a client's case | yes | yes (audited) | yes (audited) | no | no | no | no |",
            "| change a client's case | yes | yes (audited) | no | no | no | no | no |",
            "| list clients of the office (the caseload) | no | yes (audited) | yes (audited) | no | no | no | no |",
        ] {
            assert!(table.lines().any(|l| l == line), "{line}\n{table}");
        }
    }
}
