//! Attachments to messages: PDF, PNG and JPEG only, recognised by their content (not by the
//! name), at most [`MAX_BYTES`], with a plain file name, and rebuilt from their content before
//! anything is stored, so that nothing but the picture or the document remains: pictures are
//! decoded to pixels and encoded again (the EXIF orientation applied to the pixels first), so
//! no EXIF, XMP, IPTC, comment, text chunk, appended second image or segment between the scans
//! of a progressive JPEG survives; PDFs lose their document information (author, title, dates,
//! producer) and every XMP metadata stream. Anything else is refused and nothing is stored.
//!
//! The checks of the name, the kind and the size are here ([`inspect`]); the rebuilding is the
//! [`FileCleaner`] port, implemented outside the domain (`web::files`): decoding and encoding
//! pictures and PDFs is heavy work for well-kept libraries and must run off the async
//! executor, like password hashing.

use crate::types::FieldError;
use async_trait::async_trait;

/// Largest attachment accepted.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Largest picture accepted, in pixels: a small file that would unpack into gigabytes of
/// pixels (a decompression bomb) is refused before it is decoded.
pub const MAX_PIXELS: u64 = 40_000_000;
/// Longest side of a picture accepted, in pixels.
pub const MAX_SIDE: u32 = 30_000;
/// Longest file name kept.
pub const NAME_MAX: usize = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
}

impl FileKind {
    pub fn content_type(&self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
        }
    }
    pub fn from_content_type(s: &str) -> Option<Self> {
        [FileKind::Pdf, FileKind::Png, FileKind::Jpeg]
            .into_iter()
            .find(|k| k.content_type() == s)
    }
    fn extensions(&self) -> &'static [&'static str] {
        match self {
            FileKind::Pdf => &["pdf"],
            FileKind::Png => &["png"],
            FileKind::Jpeg => &["jpg", "jpeg"],
        }
    }
    /// Recognises the file by its first bytes.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileKind::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else {
            None
        }
    }
}

/// Rebuilds a file of a recognised kind from its content alone. Refuses, with the reason, a
/// file that does not decode as its kind ([`FieldError::AttachmentType`]), a picture with
/// more than [`MAX_PIXELS`] pixels or a side longer than [`MAX_SIDE`]
/// ([`FieldError::AttachmentPixels`], before decoding it), and a password-protected PDF
/// ([`FieldError::AttachmentEncrypted`]).
#[async_trait]
pub trait FileCleaner: Send + Sync {
    async fn clean(&self, kind: FileKind, bytes: Vec<u8>) -> Result<Vec<u8>, FieldError>;
}

/// An attachment that passed every check, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanFile {
    pub name: String,
    pub kind: FileKind,
    pub bytes: Vec<u8>,
}

/// A plain file name: no folders, no `..`, no control characters, a known extension.
/// Bidirectional controls are removed first (a right-to-left override makes
/// `rapport\u{202E}gnp.pdf` show as "rapportfdp.png").
fn clean_name(raw: &str) -> Result<String, FieldError> {
    let stripped = crate::bidi::strip(raw);
    let name = stripped.trim();
    if name.is_empty() {
        return Err(FieldError::AttachmentName);
    }
    if name.contains(['/', '\\']) || name.contains("..") || name.starts_with('.') {
        return Err(FieldError::AttachmentName);
    }
    if name.chars().any(|c| c.is_control() || c == '"') {
        return Err(FieldError::AttachmentName);
    }
    if name.chars().count() > NAME_MAX {
        return Err(FieldError::AttachmentName);
    }
    Ok(name.to_string())
}

/// Checks an uploaded file's size, name and kind (by content, matching the name's extension):
/// the plain name and the kind, or why it is refused. The content is not yet rebuilt; see
/// [`clean`].
pub fn inspect(name: &str, bytes: &[u8]) -> Result<(String, FileKind), FieldError> {
    if bytes.len() > MAX_BYTES {
        return Err(FieldError::AttachmentTooLarge);
    }
    let name = clean_name(name)?;
    let kind = FileKind::sniff(bytes).ok_or(FieldError::AttachmentType)?;
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !kind.extensions().contains(&ext.as_str()) {
        // A name that says one thing and content that is another is not accepted.
        return Err(FieldError::AttachmentType);
    }
    Ok((name, kind))
}

/// Checks an uploaded file ([`inspect`]) and rebuilds it from its content ([`FileCleaner`]):
/// the file to store, or why it is refused.
pub async fn clean(
    cleaner: &dyn FileCleaner,
    name: &str,
    bytes: &[u8],
) -> Result<CleanFile, FieldError> {
    let (name, kind) = inspect(name, bytes)?;
    let bytes = cleaner.clean(kind, bytes.to_vec()).await?;
    Ok(CleanFile { name, kind, bytes })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n....";
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0];

    #[test]
    fn files_are_recognised_by_their_content() {
        assert_eq!(
            inspect("photo.png", PNG),
            Ok(("photo.png".into(), FileKind::Png))
        );
        assert_eq!(
            inspect("photo.JPG", JPEG),
            Ok(("photo.JPG".into(), FileKind::Jpeg))
        );
        assert_eq!(inspect("photo.jpeg", JPEG).map(|f| f.1), Ok(FileKind::Jpeg));
        assert_eq!(
            inspect(" letter.pdf ", b"%PDF-1.4\n...\n%%EOF\n"),
            Ok(("letter.pdf".into(), FileKind::Pdf))
        );
    }

    #[test]
    fn bidirectional_controls_are_removed_from_file_names() {
        // Shown as "rapportfdp.png" with the override; a PDF all the same.
        assert_eq!(
            inspect("rapport\u{202E}gnp.pdf", b"%PDF-1.4 %%EOF").map(|f| f.0),
            Ok("rapportgnp.pdf".into())
        );
        assert_eq!(
            inspect(
                "\u{2067}\u{200F}a\u{061C}b\u{2069}\u{202A}.png\u{202C}",
                PNG
            )
            .map(|f| f.0),
            Ok("ab.png".into())
        );
        // Nothing left but controls: no name.
        assert_eq!(
            inspect("\u{202E}\u{202E}", PNG),
            Err(FieldError::AttachmentName)
        );
    }

    #[test]
    fn disguised_dangerous_and_odd_files_are_refused() {
        // An executable named .pdf.
        assert_eq!(
            inspect("invoice.pdf", b"MZ\x90\x00binary"),
            Err(FieldError::AttachmentType)
        );
        // An SVG with script.
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
        assert_eq!(inspect("picture.svg", svg), Err(FieldError::AttachmentType));
        // A zip (or a zip bomb) in any name.
        assert_eq!(
            inspect("bomb.pdf", b"PK\x03\x04...."),
            Err(FieldError::AttachmentType)
        );
        // Path tricks.
        for name in [
            "../../etc/passwd.pdf",
            "a/b.pdf",
            "..\\x.pdf",
            ".hidden.pdf",
            "",
            "a\u{0}.pdf",
            "a\".pdf",
        ] {
            assert_eq!(
                inspect(name, b"%PDF-1.4 %%EOF"),
                Err(FieldError::AttachmentName),
                "{name}"
            );
        }
        // A PNG named .pdf, a PDF named .png.
        assert_eq!(inspect("x.pdf", PNG), Err(FieldError::AttachmentType));
        assert_eq!(
            inspect("x.png", b"%PDF-1.4 %%EOF"),
            Err(FieldError::AttachmentType)
        );
        // Too large.
        assert_eq!(
            inspect("big.pdf", &vec![b'%'; MAX_BYTES + 1]),
            Err(FieldError::AttachmentTooLarge)
        );
    }

    /// Stands in for the real port (tested in `web::files` and through the router): says what
    /// it was given.
    struct Echo;

    #[async_trait]
    impl FileCleaner for Echo {
        async fn clean(&self, kind: FileKind, bytes: Vec<u8>) -> Result<Vec<u8>, FieldError> {
            if bytes.ends_with(b"refuse") {
                return Err(FieldError::AttachmentPixels);
            }
            Ok(format!("{kind:?} {}", bytes.len()).into_bytes())
        }
    }

    #[tokio::test]
    async fn a_file_is_stored_as_the_cleaner_rebuilt_it_and_its_refusal_is_kept() {
        let file = clean(&Echo, "photo.png", PNG).await.unwrap();
        assert_eq!(file.bytes, b"Png 12");
        assert_eq!(file.kind, FileKind::Png);
        assert_eq!(
            clean(&Echo, "photo.png", &[PNG, b"refuse"].concat()).await,
            Err(FieldError::AttachmentPixels)
        );
        // Refused before the cleaner sees it.
        assert_eq!(
            clean(&Echo, "photo.pdf", PNG).await,
            Err(FieldError::AttachmentType)
        );
    }
}
