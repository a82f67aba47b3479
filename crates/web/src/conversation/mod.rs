//! The conversation between a client and their counselor: threads, messages, drafts,
//! check-ins, and attachments (served as sandboxed downloads; uploads rebuilt by
//! [`files::FileRewriter`]).

pub mod files;
pub mod messages;
