//! The [`FileCleaner`] port: uploaded files rebuilt from their content, off the async
//! executor, so that nothing but the picture or the document is stored.
//!
//! * Pictures (PNG, JPEG) are decoded to pixels with the `image` crate (only its PNG and JPEG
//!   codecs) and encoded again: nothing of the original file but its pixels remains — no EXIF,
//!   XMP, IPTC, ICC profile, comment or text chunk, no second picture appended after the first
//!   (phones append one, as multi-picture files), nothing between the scans of a progressive
//!   JPEG. The EXIF orientation is applied to the pixels first, so a photo stays upright. The
//!   size is checked before anything is decoded (at most `MAX_PIXELS` pixels and `MAX_SIDE` on
//!   the longest side), and decoding may allocate at most [`MAX_DECODE_BYTES`]: a small file
//!   that would unpack into gigabytes (a decompression bomb) is refused. A JPEG is encoded at
//!   quality [`JPEG_QUALITY`]; a PNG keeps its exact pixels (only the first frame of an
//!   animated PNG).
//! * PDFs are read with `lopdf` and written again from their objects: the document information
//!   (author, title, subject, keywords, creator, producer, dates) and every XMP metadata stream
//!   (`/Metadata`, on the document or on any page, image or font) are dropped, and so is
//!   everything the new file does not refer to: earlier revisions, object streams holding old
//!   copies, comments and anything after the end. A password-protected PDF is refused, since
//!   its content cannot be rewritten.
//!
//! Anything that does not decode as its kind is refused. At most [`AT_ONCE`] files are rebuilt
//! at a time, which bounds the memory that uploads can take together.

use async_trait::async_trait;
use domain::conversation::attachments::{FileCleaner, FileKind, MAX_PIXELS, MAX_SIDE};
use domain::types::FieldError;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use std::io::Cursor;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The most memory one decoded picture may take (40 megapixels of 8-bit RGBA is 160 MB).
pub const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// The most a compressed stream of a PDF may unpack to while it is read.
pub const MAX_PDF_STREAM_BYTES: usize = 64 * 1024 * 1024;
/// Quality of re-encoded JPEGs (0–100).
pub const JPEG_QUALITY: u8 = 90;
/// Files rebuilt at the same time.
pub const AT_ONCE: usize = 2;

/// Rebuilds uploads on the blocking thread pool, [`AT_ONCE`] at a time.
#[derive(Clone)]
pub struct FileRewriter {
    permits: Arc<Semaphore>,
}

impl FileRewriter {
    pub fn new() -> Self {
        Self {
            permits: Arc::new(Semaphore::new(AT_ONCE)),
        }
    }
}

impl Default for FileRewriter {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl FileCleaner for FileRewriter {
    async fn clean(&self, kind: FileKind, bytes: Vec<u8>) -> Result<Vec<u8>, FieldError> {
        // The semaphore is never closed.
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| FieldError::AttachmentType)?;
        match tokio::task::spawn_blocking(move || rewrite(kind, &bytes)).await {
            Ok(result) => result,
            Err(e) => {
                // A decoder that panics on a hostile file refuses the file, nothing more.
                tracing::warn!(error = %e, "an upload could not be rebuilt");
                Err(FieldError::AttachmentType)
            }
        }
    }
}

/// Rebuilds `bytes` of `kind` from its content (on the calling thread).
pub fn rewrite(kind: FileKind, bytes: &[u8]) -> Result<Vec<u8>, FieldError> {
    match kind {
        FileKind::Pdf => rewrite_pdf(bytes),
        FileKind::Png => reencode(bytes, ImageFormat::Png),
        FileKind::Jpeg => reencode(bytes, ImageFormat::Jpeg),
    }
}

fn refused(e: ImageError) -> FieldError {
    match e {
        ImageError::Limits(_) => FieldError::AttachmentPixels,
        _ => FieldError::AttachmentType,
    }
}

fn reencode(bytes: &[u8], format: ImageFormat) -> Result<Vec<u8>, FieldError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits.clone());
    // Reads the header only; the limits on the sides apply here.
    let mut decoder = reader.into_decoder().map_err(refused)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(FieldError::AttachmentPixels);
    }
    limits.reserve(decoder.total_bytes()).map_err(refused)?;
    // A missing or unreadable orientation leaves the picture as it is.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(refused)?;
    picture.apply_orientation(orientation);
    let mut out = Vec::new();
    let written = match format {
        ImageFormat::Jpeg => picture.write_with_encoder(
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY),
        ),
        _ => picture.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out)),
    };
    written.map_err(|_| FieldError::AttachmentType)?;
    Ok(out)
}

/// Keys that carry metadata in any dictionary: XMP streams, and applications' private data.
const METADATA_KEYS: [&[u8]; 2] = [b"Metadata", b"PieceInfo"];

fn rewrite_pdf(bytes: &[u8]) -> Result<Vec<u8>, FieldError> {
    use lopdf::{Dictionary, Document, LoadOptions, Object};
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_PDF_STREAM_BYTES),
        ..LoadOptions::default()
    };
    let mut doc =
        Document::load_mem_with_options(bytes, options).map_err(|_| FieldError::AttachmentType)?;
    if doc.is_encrypted() || doc.was_encrypted() {
        return Err(FieldError::AttachmentEncrypted);
    }
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| FieldError::AttachmentType)?;
    if doc.get_dictionary(root).is_err() {
        return Err(FieldError::AttachmentType);
    }
    // A new trailer with the catalog only: no document information, no file identifiers.
    let mut trailer = Dictionary::new();
    trailer.set("Root", Object::Reference(root));
    doc.trailer = trailer;
    // XMP wherever it hangs, and the containers of the file as it was (the writer makes its
    // own cross-reference table).
    doc.objects.retain(|_, object| {
        let dict = match object {
            Object::Dictionary(d) => Some(&*d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        };
        !dict.is_some_and(|d| {
            d.has_type(b"Metadata") || d.has_type(b"ObjStm") || d.has_type(b"XRef")
        })
    });
    for object in doc.objects.values_mut() {
        let dict = match object {
            Object::Dictionary(d) => d,
            Object::Stream(s) => &mut s.dict,
            _ => continue,
        };
        for key in METADATA_KEYS {
            dict.remove(key);
        }
    }
    // Only what the catalog reaches is written.
    doc.prune_objects();
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|_| FieldError::AttachmentType)?;
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        DynamicImage::new_rgb8(width, height)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_picture_comes_back_as_a_picture_of_the_same_size() {
        let back = rewrite(FileKind::Png, &png(30, 20)).unwrap();
        let img = image::load_from_memory(&back).unwrap();
        assert_eq!((img.width(), img.height()), (30, 20));
    }

    #[test]
    fn too_many_pixels_or_too_long_a_side_is_refused_before_decoding() {
        // A real JPEG with the sides in its frame header changed.
        let mut j = Vec::new();
        DynamicImage::new_rgb8(8, 8)
            .write_to(&mut Cursor::new(&mut j), ImageFormat::Jpeg)
            .unwrap();
        let sof = j.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        let mut sized = |height: u16, width: u16| {
            j[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
            j[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
            rewrite(FileKind::Jpeg, &j)
        };
        assert_eq!(sized(10_000, 10_000), Err(FieldError::AttachmentPixels));
        assert_eq!(sized(1, 30_001), Err(FieldError::AttachmentPixels));
        assert_eq!(sized(30_001, 1), Err(FieldError::AttachmentPixels));
    }

    #[test]
    fn what_does_not_decode_is_refused() {
        assert_eq!(
            rewrite(FileKind::Jpeg, &[0xFF, 0xD8, 0xFF, 0xE0, 0, 2]),
            Err(FieldError::AttachmentType)
        );
        assert_eq!(
            rewrite(FileKind::Png, b"\x89PNG\r\n\x1a\nrest"),
            Err(FieldError::AttachmentType)
        );
        assert_eq!(
            rewrite(FileKind::Pdf, b"%PDF-1.4\nnothing here\n%%EOF\n"),
            Err(FieldError::AttachmentType)
        );
    }

    #[test]
    fn the_demo_letter_is_a_pdf_that_survives_rewriting() {
        let back = rewrite(FileKind::Pdf, &demo::conversation::demo_letter()).unwrap();
        let doc = lopdf::Document::load_mem(&back).unwrap();
        assert_eq!(doc.get_pages().len(), 1);
        assert!(back.windows(9).any(|w| w == b"Oppdiktet"));
    }

    #[tokio::test]
    async fn the_port_rebuilds_off_the_executor() {
        let cleaner = FileRewriter::new();
        let back = cleaner.clean(FileKind::Png, png(3, 2)).await.unwrap();
        assert!(back.starts_with(b"\x89PNG"));
    }
}
