//! Typed identifiers. All are UUIDv7, generated in Rust so that both databases store the same
//! values and so that ids sort by creation time (good index locality).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

id_type!(
    /// An organisation (a municipality, an agency, an NGO).
    OrganisationId
);
id_type!(
    /// An office (*Nav-kontor*, *enhet*): the unit of organisation and of access.
    OfficeId
);
id_type!(
    /// A team inside an office.
    TeamId
);
id_type!(
    /// A person with an account.
    UserId
);
id_type!(
    /// A client's case (the person in follow-up). A client may or may not have an account.
    ClientId
);
id_type!(
    /// One audit row.
    AuditId
);
id_type!(
    /// A request, for correlating logs, audit rows and error pages.
    RequestId
);
id_type!(
    /// An item of a client's plan: a goal, an activity, the self-presentation, ...
    PlanItemId
);
id_type!(
    /// A measure in an office's catalogue.
    MeasureId
);
id_type!(
    /// A conversation thread between a client and the service.
    ThreadId
);
id_type!(
    /// One message in a thread.
    MessageId
);
id_type!(
    /// A file attached to a message.
    AttachmentId
);
id_type!(
    /// A meeting between a client and their counselor (proposed, accepted or cancelled).
    MeetingId
);
id_type!(
    /// One point on a meeting's agenda.
    AgendaPointId
);
id_type!(
    /// A comment on shared meeting notes (or a request to correct them).
    NotesCommentId
);

// ----- client feedback (issue 5) -----
id_type!(
    /// One answered feedback check.
    FeedbackResponseId
);
id_type!(
    /// One time a client was asked for feedback.
    FeedbackInvitationId
);
id_type!(
    /// A counselor's note of a talk about how the cooperation is going.
    TalkNoteId
);
