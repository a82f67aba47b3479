//! How plan documents (`plan_items.data`, `plan_history.before` and `after`) are stored:
//! compressed with zstd and a fixed dictionary, behind a one-byte tag.
//!
//! A plan document is a few hundred bytes of JSON whose field names and enum values repeat
//! in every document; compressed alone, zstd has nothing to learn from and saves a third at
//! best. With a dictionary of the documents' *structure* it saves about two thirds
//! (docs/BENCHMARKS.md, "Dataset"). The dictionary (`plan_dictionary_1.json`) is 39
//! documents of the five kinds with every text, id and date emptied, so it holds field names
//! and enum values only: texts are compressed within their own document, never against
//! phrases learned from other clients' data.
//!
//! The first byte says what follows:
//! * `{`: the JSON text itself (documents stored before migration 0016 are kept as they were);
//! * `1`: a zstd frame compressed with dictionary 1, without the frame's first four bytes
//!   (zstd's magic number, the same in every frame: the tag says it already).
//!
//! A dictionary can never change once documents use it; a better one gets a new tag, and the
//! old one stays for reading.

use domain::ports::{PortError, PortResult};
use std::cell::RefCell;
use std::sync::LazyLock;
use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

const DICTIONARY_1: &[u8] = include_bytes!("plan_dictionary_1.json");
const TAG_DICTIONARY_1: u8 = 1;
const TAG_JSON: u8 = b'{';
/// The first four bytes of every zstd frame, left out when stored.
const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// zstd level: 6 compresses within 1 % of 19 here, at a fraction of the time.
const LEVEL: i32 = 6;
/// No plan document comes near this; a frame that claims more is corrupt.
const MAX_DOCUMENT: u64 = 16 << 20;

static ENCODER: LazyLock<EncoderDictionary<'static>> =
    LazyLock::new(|| EncoderDictionary::copy(DICTIONARY_1, LEVEL));
static DECODER: LazyLock<DecoderDictionary<'static>> =
    LazyLock::new(|| DecoderDictionary::copy(DICTIONARY_1));

thread_local! {
    static COMPRESSOR: RefCell<Option<Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
}

fn broken(what: impl std::fmt::Display) -> PortError {
    PortError::Failure(format!("plan document: {what}"))
}

/// The stored form of a plan document (the JSON text as the domain wrote it).
pub fn encode(json: &str) -> PortResult<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = Some(Compressor::with_prepared_dictionary(&ENCODER).map_err(broken)?);
        }
        let Some(c) = cell.as_mut() else {
            return Err(broken("no compressor"));
        };
        let frame = c.compress(json.as_bytes()).map_err(broken)?;
        let Some(rest) = frame.strip_prefix(&MAGIC) else {
            return Err(broken("zstd wrote no frame"));
        };
        let mut out = Vec::with_capacity(rest.len() + 1);
        out.push(TAG_DICTIONARY_1);
        out.extend_from_slice(rest);
        Ok(out)
    })
}

/// The JSON text of a stored plan document, byte for byte as it was written.
pub fn decode(stored: &[u8]) -> PortResult<String> {
    let text = match stored.split_first() {
        Some((&TAG_JSON, _)) => stored.to_vec(),
        Some((&TAG_DICTIONARY_1, rest)) => {
            let frame = [&MAGIC[..], rest].concat();
            let frame = frame.as_slice();
            let size = zstd::zstd_safe::get_frame_content_size(frame)
                .map_err(|_| broken("not a zstd frame"))?
                .ok_or_else(|| broken("frame without its size"))?;
            if size > MAX_DOCUMENT {
                return Err(broken("frame claims an impossible size"));
            }
            DECOMPRESSOR.with(|cell| {
                let mut cell = cell.borrow_mut();
                if cell.is_none() {
                    *cell = Some(Decompressor::with_prepared_dictionary(&DECODER).map_err(broken)?);
                }
                let Some(d) = cell.as_mut() else {
                    return Err(broken("no decompressor"));
                };
                d.decompress(frame, size as usize).map_err(broken)
            })?
        }
        Some((tag, _)) => return Err(broken(format!("unknown format {tag}"))),
        None => return Err(broken("empty")),
    };
    String::from_utf8(text).map_err(broken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_come_back_byte_for_byte_and_smaller() {
        let doc = r#"{"kind":"job-application","title":"Søknad: lagermedarbeider hos Nordlys AS","description":"Ring før fredag.","goal_id":null,"start":"2026-02-01","end":null,"status":"planned","created_by":"client","details":{"employer":"Nordlys AS","position":"lagermedarbeider","stage":"applied","per_week":null,"measure_id":null},"agreement":{"agreed":null,"agreed_at":null,"consequence_shown_at":null,"pending":null},"closing_reason":"","declined":false}"#;
        let stored = encode(doc).unwrap();
        assert_eq!(decode(&stored).unwrap(), doc);
        assert!(
            stored.len() * 2 < doc.len(),
            "{} bytes stored for {}",
            stored.len(),
            doc.len()
        );
        // Documents stored before migration 0016 are the JSON text itself.
        assert_eq!(decode(doc.as_bytes()).unwrap(), doc);
        assert_eq!(decode(&encode("{}").unwrap()).unwrap(), "{}");
    }

    #[test]
    fn damaged_documents_are_refused_not_guessed() {
        let stored = encode(r#"{"text":"A job near home"}"#).unwrap();
        assert!(decode(&[]).is_err());
        assert!(decode(&[7, 1, 2]).is_err());
        assert!(decode(&stored[..stored.len() - 2]).is_err());
    }
}
