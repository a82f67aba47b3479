//! Input parsed into types at the edge ("parse, don't validate"): once a value has one of these
//! types it is known to be valid, so the rest of the code cannot hold an invalid one.
//!
//! Every parse error is a [`FieldError`] with a stable code; the web crate maps the code to a
//! Fluent message in the user's language.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a field was refused. The code is a Fluent message id (see `crates/web/i18n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("field-required")]
    Required,
    #[error("field-too-long")]
    TooLong,
    #[error("field-too-short")]
    TooShort,
    #[error("field-invalid-characters")]
    InvalidCharacters,
    #[error("password-too-short")]
    PasswordTooShort,
    #[error("password-too-long")]
    PasswordTooLong,
    #[error("password-too-common")]
    PasswordTooCommon,
    #[error("password-contains-username")]
    PasswordContainsUsername,
    #[error("field-date-invalid")]
    DateInvalid,
    #[error("field-date-out-of-range")]
    DateOutOfRange,
    #[error("field-end-before-start")]
    EndBeforeStart,
    #[error("field-not-a-choice")]
    NotAChoice,
    #[error("field-number-invalid")]
    NumberInvalid,
    #[error("field-must-confirm")]
    MustConfirm,
    #[error("field-attachment-too-large")]
    AttachmentTooLarge,
    #[error("field-attachment-type")]
    AttachmentType,
    #[error("field-attachment-name")]
    AttachmentName,
    #[error("field-attachment-pixels")]
    AttachmentPixels,
    #[error("field-attachment-encrypted")]
    AttachmentEncrypted,
    #[error("field-time-invalid")]
    TimeInvalid,
    #[error("field-time-in-past")]
    TimeInPast,
    #[error("field-username-taken")]
    UsernameTaken,
    #[error("field-protected-not-allowed")]
    ProtectedNotAllowed,
}

impl FieldError {
    /// The Fluent message id for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Required => "field-required",
            Self::TooLong => "field-too-long",
            Self::TooShort => "field-too-short",
            Self::InvalidCharacters => "field-invalid-characters",
            Self::PasswordTooShort => "password-too-short",
            Self::PasswordTooLong => "password-too-long",
            Self::PasswordTooCommon => "password-too-common",
            Self::PasswordContainsUsername => "password-contains-username",
            Self::DateInvalid => "field-date-invalid",
            Self::DateOutOfRange => "field-date-out-of-range",
            Self::EndBeforeStart => "field-end-before-start",
            Self::NotAChoice => "field-not-a-choice",
            Self::NumberInvalid => "field-number-invalid",
            Self::MustConfirm => "field-must-confirm",
            Self::AttachmentTooLarge => "field-attachment-too-large",
            Self::AttachmentType => "field-attachment-type",
            Self::AttachmentName => "field-attachment-name",
            Self::AttachmentPixels => "field-attachment-pixels",
            Self::AttachmentEncrypted => "field-attachment-encrypted",
            Self::TimeInvalid => "field-time-invalid",
            Self::TimeInPast => "field-time-in-past",
            Self::UsernameTaken => "field-username-taken",
            Self::ProtectedNotAllowed => "field-protected-not-allowed",
        }
    }
}

/// Trims, refuses empty, refuses control characters (except newlines when `multiline`), and
/// limits the length in characters.
pub(crate) fn clean_text(
    raw: &str,
    max_chars: usize,
    multiline: bool,
) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FieldError::Required);
    }
    if trimmed.chars().count() > max_chars {
        return Err(FieldError::TooLong);
    }
    let bad = trimmed
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')));
    if bad {
        return Err(FieldError::InvalidCharacters);
    }
    Ok(trimmed.to_string())
}

/// A login name: 3–64 characters from `a-z 0-9 . _ -`, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(FieldError::Required);
        }
        if s.chars().count() < 3 {
            return Err(FieldError::TooShort);
        }
        if s.chars().count() > 64 {
            return Err(FieldError::TooLong);
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(FieldError::InvalidCharacters);
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's name as they want it shown. 1–200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        clean_text(raw, 200, false).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of an organisation, office or team. 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnitName(String);

impl UnitName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        clean_text(raw, 200, false).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The reason a member of staff states before opening a protected client. 10–500 characters,
/// so that "x" is not a reason. The reason is stored in the audit row; it must not contain
/// case content, which the form says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccessReason(String);

impl AccessReason {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = clean_text(raw, 500, false)?;
        if s.chars().count() < 10 {
            return Err(FieldError::TooShort);
        }
        Ok(Self(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A secret string that never prints: `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself. Call only where the secret is used, never to log or render.
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl Serialize for Secret {
    /// Serialising a secret writes `[redacted]`, so printing an effective configuration can
    /// never leak it.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_is_lowercased_and_limited() {
        assert_eq!(
            Username::parse("  Demo-Client ").map(|u| u.0),
            Ok("demo-client".into())
        );
        assert_eq!(Username::parse(""), Err(FieldError::Required));
        assert_eq!(Username::parse("ab"), Err(FieldError::TooShort));
        assert_eq!(Username::parse("a b c"), Err(FieldError::InvalidCharacters));
        assert_eq!(
            Username::parse("<script>"),
            Err(FieldError::InvalidCharacters)
        );
        assert_eq!(Username::parse(&"a".repeat(65)), Err(FieldError::TooLong));
    }

    #[test]
    fn person_name_refuses_control_characters_but_keeps_markup_as_text() {
        assert!(PersonName::parse("Kari\u{0}Nordmann").is_err());
        assert_eq!(
            PersonName::parse("<b>Kari</b>").map(|n| n.0),
            Ok("<b>Kari</b>".into()),
            "markup is text; escaping happens at output"
        );
    }

    #[test]
    fn reasons_must_say_something() {
        assert_eq!(AccessReason::parse("x"), Err(FieldError::TooShort));
        assert!(AccessReason::parse("Planned meeting about housing").is_ok());
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
    }
}
