//! Password rules after NIST SP 800-63B: length, not composition. At least 12 characters
//! (8 is NIST's floor for user-chosen secrets; we ask for more because the data is sensitive),
//! at most 256, any characters including spaces, and not one of the most common passwords
//! (nor the username).

use crate::types::{FieldError, Secret};

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 256;

/// Common passwords and the patterns that breach corpora are full of, in lower case. Checked
/// after lower-casing and removing spaces, so "Password 123456" is refused too.
const COMMON: &str = include_str!("common_passwords.txt");

/// A password that satisfies the rules.
#[derive(Debug, Clone)]
pub struct NewPassword(Secret);

impl NewPassword {
    pub fn parse(raw: &Secret, username: &str) -> Result<Self, FieldError> {
        let pw = raw.expose();
        let n = pw.chars().count();
        if n < MIN_CHARS {
            return Err(FieldError::PasswordTooShort);
        }
        if n > MAX_CHARS {
            return Err(FieldError::PasswordTooLong);
        }
        let folded: String = pw
            .to_lowercase()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if is_common(&folded) {
            return Err(FieldError::PasswordTooCommon);
        }
        if !username.is_empty() && folded.contains(&username.to_lowercase()) {
            return Err(FieldError::PasswordContainsUsername);
        }
        Ok(Self(raw.clone()))
    }

    pub fn secret(&self) -> &Secret {
        &self.0
    }
}

fn is_common(folded: &str) -> bool {
    if COMMON
        .lines()
        .map(str::trim)
        .any(|c| !c.is_empty() && c == folded)
    {
        return true;
    }
    // One character repeated, or a run of consecutive digits/letters ("123456789012").
    let chars: Vec<char> = folded.chars().collect();
    let all_same = chars.windows(2).all(|w| w[0] == w[1]);
    let sequential = chars
        .windows(2)
        .all(|w| (w[1] as u32).wrapping_sub(w[0] as u32) == 1);
    // A common password with digits appended ("password2024!").
    let stem: String = folded
        .trim_end_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation())
        .to_string();
    let common_stem = stem.len() >= 4
        && stem != folded
        && COMMON
            .lines()
            .map(str::trim)
            .any(|c| !c.is_empty() && c == stem);
    all_same || sequential || common_stem
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pw: &str) -> Result<(), FieldError> {
        NewPassword::parse(&Secret::new(pw), "kari").map(|_| ())
    }

    #[test]
    fn length_not_composition() {
        assert_eq!(check("short"), Err(FieldError::PasswordTooShort));
        assert_eq!(check("correct horse battery staple"), Ok(()));
        assert_eq!(check("alllowercaselettershere"), Ok(()));
        assert_eq!(check(&"x1".repeat(200)), Err(FieldError::PasswordTooLong));
    }

    #[test]
    fn common_passwords_are_refused() {
        for pw in [
            "password1234",
            "Password 1234",
            "123456789012",
            "aaaaaaaaaaaaaa",
            "qwertyuiopas",
            "iloveyou2024!!",
        ] {
            assert_eq!(check(pw), Err(FieldError::PasswordTooCommon), "{pw}");
        }
    }

    #[test]
    fn the_username_is_not_a_password() {
        assert_eq!(
            check("kari-is-the-best"),
            Err(FieldError::PasswordContainsUsername)
        );
    }
}
