//! Attachments to messages: PDF, PNG and JPEG only, recognised by their content (not by the
//! name), at most [`MAX_BYTES`], with a plain file name, and with the metadata that phones put
//! into pictures (position, camera, time: EXIF, XMP, IPTC, comments, PNG text chunks) removed
//! before anything is stored. Anything else is refused and nothing is stored.

use crate::types::FieldError;

/// Largest attachment accepted.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Largest picture accepted, in pixels: a small file that would unpack into gigabytes of
/// pixels (a decompression bomb) is refused.
pub const MAX_PIXELS: u64 = 40_000_000;
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

/// An attachment that passed every check, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanFile {
    pub name: String,
    pub kind: FileKind,
    pub bytes: Vec<u8>,
}

/// A plain file name: no folders, no `..`, no control characters, a known extension.
fn clean_name(raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
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

/// Checks an uploaded file and returns it cleaned, or why it is refused.
pub fn inspect(name: &str, bytes: &[u8]) -> Result<CleanFile, FieldError> {
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
    let bytes = match kind {
        FileKind::Pdf => {
            if !bytes.windows(5).any(|w| w == b"%%EOF") {
                return Err(FieldError::AttachmentType);
            }
            bytes.to_vec()
        }
        FileKind::Png => strip_png(bytes)?,
        FileKind::Jpeg => strip_jpeg(bytes)?,
    };
    Ok(CleanFile { name, kind, bytes })
}

/// Keeps the chunks needed to show the picture and drops text, EXIF and time chunks.
fn strip_png(bytes: &[u8]) -> Result<Vec<u8>, FieldError> {
    const KEEP: [&[u8; 4]; 9] = [
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"pHYs",
    ];
    let bad = FieldError::AttachmentType;
    let mut out = bytes[..8].to_vec();
    let mut pos = 8;
    let mut seen_end = false;
    while pos + 12 <= bytes.len() {
        let len = u32::from_be_bytes([bytes[pos], bytes[pos + 1], bytes[pos + 2], bytes[pos + 3]])
            as usize;
        let end = pos
            .checked_add(12)
            .and_then(|p| p.checked_add(len))
            .ok_or(bad)?;
        if end > bytes.len() {
            return Err(bad);
        }
        let kind = &bytes[pos + 4..pos + 8];
        if kind == b"IHDR" {
            if len < 8 {
                return Err(bad);
            }
            let d = &bytes[pos + 8..pos + 16];
            let w = u32::from_be_bytes([d[0], d[1], d[2], d[3]]) as u64;
            let h = u32::from_be_bytes([d[4], d[5], d[6], d[7]]) as u64;
            if w * h > MAX_PIXELS {
                return Err(FieldError::AttachmentTooLarge);
            }
        }
        if KEEP.iter().any(|k| k.as_slice() == kind) {
            out.extend_from_slice(&bytes[pos..end]);
        }
        pos = end;
        if kind == b"IEND" {
            seen_end = true;
            break;
        }
    }
    if !seen_end {
        return Err(bad);
    }
    Ok(out)
}

/// Drops APPn segments other than JFIF (APP0) and Adobe colour (APP14), and comments; checks
/// the picture's size in its frame header. Everything from the start of scan is kept as is.
fn strip_jpeg(bytes: &[u8]) -> Result<Vec<u8>, FieldError> {
    let bad = FieldError::AttachmentType;
    let mut out = vec![0xFF, 0xD8];
    let mut pos = 2;
    loop {
        if pos + 4 > bytes.len() || bytes[pos] != 0xFF {
            return Err(bad);
        }
        let marker = bytes[pos + 1];
        if marker == 0xFF {
            pos += 1; // fill byte
            continue;
        }
        let len = u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]) as usize;
        if len < 2 || pos + 2 + len > bytes.len() {
            return Err(bad);
        }
        let segment = &bytes[pos..pos + 2 + len];
        match marker {
            // Start of scan: the compressed picture follows; keep the rest unchanged.
            0xDA => {
                out.extend_from_slice(&bytes[pos..]);
                return Ok(out);
            }
            // Frame headers carry the picture's size.
            0xC0..=0xCF if marker != 0xC4 && marker != 0xC8 && marker != 0xCC => {
                if len < 7 {
                    return Err(bad);
                }
                let h = u16::from_be_bytes([segment[5], segment[6]]) as u64;
                let w = u16::from_be_bytes([segment[7], segment[8]]) as u64;
                if w * h > MAX_PIXELS {
                    return Err(FieldError::AttachmentTooLarge);
                }
                out.extend_from_slice(segment);
            }
            0xE0 | 0xEE => out.extend_from_slice(segment),
            0xE1..=0xEF | 0xFE => {} // EXIF, XMP, IPTC, ICC and other metadata; comments
            _ => out.extend_from_slice(segment),
        }
        pos += 2 + len;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]); // CRC is not checked here
        c
    }

    fn png(w: u32, h: u32, extra: &[Vec<u8>]) -> Vec<u8> {
        let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        p.extend(png_chunk(b"IHDR", &ihdr));
        for e in extra {
            p.extend_from_slice(e);
        }
        p.extend(png_chunk(b"IDAT", &[1, 2, 3]));
        p.extend(png_chunk(b"IEND", &[]));
        p
    }

    #[test]
    fn png_text_and_exif_chunks_are_removed() {
        let secret = png_chunk(b"tEXt", b"GPS\x0059.91N 10.75E");
        let exif = png_chunk(b"eXIf", b"camera");
        let file = inspect("photo.png", &png(10, 10, &[secret, exif])).unwrap();
        assert_eq!(file.kind, FileKind::Png);
        assert!(!file.bytes.windows(3).any(|w| w == b"GPS"));
        assert!(!file.bytes.windows(6).any(|w| w == b"camera"));
        assert!(file.bytes.windows(4).any(|w| w == b"IDAT"));
    }

    #[test]
    fn jpeg_exif_and_comments_are_removed() {
        let mut j = vec![0xFF, 0xD8];
        j.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x06, b'J', b'F', b'I', b'F']);
        let exif = b"Exif\0\0GPS 59.91N";
        j.extend_from_slice(&[0xFF, 0xE1, 0x00, (exif.len() + 2) as u8]);
        j.extend_from_slice(exif);
        j.extend_from_slice(&[0xFF, 0xFE, 0x00, 0x07, b'h', b'e', b'l', b'l', b'o']);
        j.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x0B, 8, 0, 10, 0, 10, 1, 1, 0x11, 0]);
        j.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x12, 0x34, 0xFF, 0xD9]);
        let file = inspect("photo.JPG", &j).unwrap();
        assert!(!file.bytes.windows(3).any(|w| w == b"GPS"));
        assert!(!file.bytes.windows(5).any(|w| w == b"hello"));
        assert!(file.bytes.windows(4).any(|w| w == b"JFIF"));
        assert!(file.bytes.ends_with(&[0xFF, 0xD9]));
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
        // A PNG that would unpack into too many pixels.
        assert_eq!(
            inspect("huge.png", &png(100_000, 100_000, &[])),
            Err(FieldError::AttachmentTooLarge)
        );
        // Path tricks.
        for name in [
            "../../etc/passwd.pdf",
            "a/b.pdf",
            "..\\x.pdf",
            ".hidden.pdf",
            "",
        ] {
            assert_eq!(
                inspect(name, b"%PDF-1.4 %%EOF"),
                Err(FieldError::AttachmentName),
                "{name}"
            );
        }
        // A PNG named .pdf.
        assert_eq!(
            inspect("x.pdf", &png(1, 1, &[])),
            Err(FieldError::AttachmentType)
        );
        // Too large.
        assert_eq!(
            inspect("big.pdf", &vec![b'%'; MAX_BYTES + 1]),
            Err(FieldError::AttachmentTooLarge)
        );
        assert!(inspect("letter.pdf", b"%PDF-1.4\n...\n%%EOF\n").is_ok());
    }
}
