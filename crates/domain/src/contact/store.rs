//! The storage capability for contact: a counselor's published hours, a client's contact
//! agreement, and how long it has been since the two were last in touch.
//!
//! [`crate::ports::Store`] requires this trait, so every store implements it and passes the
//! conformance suite on both databases.

use crate::audit::NewAuditEvent;
use crate::cases::ClientAccess;
use crate::ids::{ClientId, UserId};
use crate::notices::QuietHours;
use crate::plan::Side;
use crate::ports::{LiveEvent, PortResult};
use async_trait::async_trait;
use time::OffsetDateTime;

/// Contact storage. Reading or writing a contact agreement takes the audit event (when the
/// reader is audited): a write stores it in its transaction, a read returns the agreement once
/// it is durable.
#[async_trait]
pub trait ContactStore: Send + Sync {
    /// Publishes (inserts or replaces) a counselor's contact hours.
    async fn put_availability(&self, availability: CounselorAvailability) -> PortResult<()>;
    async fn availability(&self, counselor: UserId) -> PortResult<Option<CounselorAvailability>>;
    /// Writes a client's contact agreement: new when `expected_version` is `None`, otherwise
    /// only if the stored version is still that one ([`PortError::Conflict`] `"stale"`).
    /// `audit` (when given) and `events` (live events for the other party, the outbox of
    /// notices) are written in the same transaction.
    async fn put_contact_agreement(
        &self,
        agreement: ContactAgreement,
        expected_version: Option<i64>,
        audit: Option<NewAuditEvent>,
        events: Vec<LiveEvent>,
    ) -> PortResult<()>;
    /// The permit's client's contact agreement, returned once the permit's audit row (when it
    /// has one) is durable.
    async fn contact_agreement(
        &self,
        access: &ClientAccess,
    ) -> PortResult<Option<ContactAgreement>>;

    /// Check-in frequency and last contact for each of `clients` (no personal data).
    async fn contact_status(&self, clients: &[ClientId]) -> PortResult<Vec<ContactStatus>>;
}

/// A counselor's published contact hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounselorAvailability {
    pub counselor_id: UserId,
    /// Plain text, e.g. "Mondays to Thursdays 9–15".
    pub contact_hours: String,
    /// A subset of [`super::CHANNELS`].
    pub channels: Vec<String>,
    /// Where the counselor wants their own notices (none: no e-mail notices).
    pub notice_email: Option<String>,
    pub updated_at: OffsetDateTime,
}

/// How one client and their counselor keep in touch. `version` grows with every change; a
/// proposal by one side is confirmed by the other (`confirmed_at`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactAgreement {
    pub client_id: ClientId,
    pub in_app: bool,
    pub email_notices: bool,
    pub sms_notices: bool,
    pub phone_calls: bool,
    /// Personal data: shown only to the two parties (staff views are audited).
    pub email: Option<String>,
    pub phone: Option<String>,
    pub quiet: Option<QuietHours>,
    /// The agreed response time in hours (none: the service default).
    pub response_hours: Option<i64>,
    /// Language of notices: `nb`, `nn` or `en`.
    pub language: String,
    pub proposed_by: Side,
    pub confirmed_at: Option<OffsetDateTime>,
    pub version: i64,
    pub updated_at: OffsetDateTime,
}

/// How often a counselor wants to be in touch with a client, and when they last were (the
/// latest message or plan change, either way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactStatus {
    pub client_id: ClientId,
    pub every_days: Option<i64>,
    pub last_contact: Option<OffsetDateTime>,
}
