//! Bidirectional control characters: the invisible characters that change the direction in
//! which text is shown. A right-to-left override makes `rapport\u{202E}gnp.pdf` show as
//! "rapportfdp.png". File names lose them ([`strip`], in [`crate::conversation::attachments::inspect`]);
//! text keeps them (right-to-left writers use the marks), and is isolated where it is shown
//! (`<bdi>` or `dir="auto"` in the templates, [`isolate`] for text put into a sentence), so it
//! cannot turn the text around it.

use std::borrow::Cow;

const LRI: char = '\u{2066}';
const RLI: char = '\u{2067}';
const FSI: char = '\u{2068}';
const PDI: char = '\u{2069}';

/// Embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069), the left-to-right and
/// right-to-left marks (U+200E, U+200F) and the Arabic letter mark (U+061C).
pub fn is_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// `s` without bidirectional control characters.
pub fn strip(s: &str) -> Cow<'_, str> {
    if s.chars().any(is_control) {
        Cow::Owned(s.chars().filter(|c| !is_control(*c)).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Text with bidirectional controls, put between a first-strong isolate and its closing pop
/// (U+2068 … U+2069), so nothing in it reaches the text after it: a closing U+2069 of its own
/// that would end the isolate early is dropped, and isolates it opens are closed inside. (An
/// embedding or override it opens ends with the isolate.) Text without such controls is
/// returned as it is.
pub fn isolate(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    out.push(FSI);
    let mut open = 0usize;
    for c in s.chars() {
        match c {
            LRI | RLI | FSI => {
                open += 1;
                out.push(c);
            }
            PDI if open == 0 => {}
            PDI => {
                open -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.extend(std::iter::repeat_n(PDI, open));
    out.push(PDI);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_control_is_recognised_and_stripped() {
        for c in [
            '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
        ] {
            assert!(is_control(c), "{:04X}", c as u32);
            assert_eq!(strip(&format!("a{c}b")), "ab");
        }
        for c in ['a', 'ø', 'ب', '\u{200B}', '\u{200D}', ' '] {
            assert!(!is_control(c), "{:04X}", c as u32);
        }
        assert_eq!(strip("rapport\u{202E}gnp.pdf"), "rapportgnp.pdf");
        assert!(matches!(strip("plain.pdf"), Cow::Borrowed(_)));
    }

    #[test]
    fn isolated_text_cannot_end_its_isolate_or_leave_one_open() {
        assert!(matches!(isolate("Kari Nordmann"), Cow::Borrowed(_)));
        assert_eq!(isolate("Kari\u{202E}"), "\u{2068}Kari\u{202E}\u{2069}");
        // A closing isolate of its own would end ours and let the override out: dropped.
        assert_eq!(isolate("a\u{2069}\u{202E}b"), "\u{2068}a\u{202E}b\u{2069}");
        // An isolate it opens is closed before ours, so ours really ends.
        assert_eq!(isolate("a\u{2067}b"), "\u{2068}a\u{2067}b\u{2069}\u{2069}");
        // Balanced isolates of its own are kept.
        assert_eq!(
            isolate("\u{2067}ب\u{2069}"),
            "\u{2068}\u{2067}ب\u{2069}\u{2069}"
        );
        for hostile in [
            "\u{2069}\u{2069}\u{202E}x",
            "\u{2066}\u{2069}\u{2069}\u{202E}",
            "\u{2068}\u{2068}\u{2069}",
        ] {
            let text = isolate(hostile);
            let mut depth = 0i32;
            for (i, c) in text.chars().enumerate() {
                match c {
                    LRI | RLI | FSI => depth += 1,
                    PDI => depth -= 1,
                    _ => {}
                }
                assert!(
                    depth > 0 || i == text.chars().count() - 1,
                    "{hostile:?} leaves the isolate early: {text:?}"
                );
            }
            assert_eq!(depth, 0, "{text:?}");
        }
    }
}
