//! How plan documents (`plan_items.data`, `plan_history.before` and `after`) are stored:
//! compressed with zstd behind a one-byte tag.
//!
//! A plan document is a few hundred bytes of JSON whose field names and enum values repeat
//! in every document; compressed alone, zstd has nothing to learn from and saves a third at
//! best. Two things help:
//! * a dictionary of the documents' *structure* (`plan_dictionary_1.json`: 39 documents of the
//!   five kinds with every text, id and date emptied, so field names and enum values only;
//!   texts are compressed within their own document, never against phrases learned from other
//!   clients' data): a current document takes about a third of its JSON;
//! * an earlier version differs from the version that replaced it in a field or two, so it is
//!   compressed against that newer version: a few dozen bytes.
//!
//! The first byte says what follows:
//! * `{`: the JSON text itself (documents stored before migration 0016 are kept as they were);
//! * `1`: a zstd frame compressed with dictionary 1;
//! * `2`: a zstd frame compressed with the document of the next newer version as its
//!   dictionary (only in `plan_history.before`: the newer version is the one that change
//!   wrote, so the history is decoded from the current version backwards).
//!
//! Frames are stored without their first four bytes (zstd's magic number, the same in every
//! frame: the tag says it already). A dictionary can never change once documents use it; a
//! better one gets a new tag, and the old one stays for reading.

use domain::ports::{PortError, PortResult};
use std::cell::RefCell;
use std::sync::LazyLock;
use zstd::bulk::{Compressor, Decompressor};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

const DICTIONARY_1: &[u8] = include_bytes!("plan_dictionary_1.json");
const TAG_JSON: u8 = b'{';
const TAG_DICTIONARY_1: u8 = 1;
const TAG_NEWER_VERSION: u8 = 2;
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

/// The stored form of a current plan document (the JSON text as the domain wrote it).
pub fn encode(json: &str) -> PortResult<Vec<u8>> {
    compress(TAG_DICTIONARY_1, json, None)
}

/// The stored form of an earlier version `json`, replaced by the version `newer`.
pub fn encode_replaced(json: &str, newer: &str) -> PortResult<Vec<u8>> {
    compress(TAG_NEWER_VERSION, json, Some(newer))
}

/// The JSON text of a stored current document, byte for byte as it was written.
pub fn decode(stored: &[u8]) -> PortResult<String> {
    decode_replaced(stored, None)
}

/// The JSON text of a stored document; `newer` is the document of the next newer version,
/// needed for an earlier version stored against it.
pub fn decode_replaced(stored: &[u8], newer: Option<&str>) -> PortResult<String> {
    let text = match stored.split_first() {
        Some((&TAG_JSON, _)) => stored.to_vec(),
        Some((&TAG_DICTIONARY_1, rest)) => decompress(rest, None)?,
        Some((&TAG_NEWER_VERSION, rest)) => decompress(
            rest,
            Some(newer.ok_or_else(|| broken("an earlier version without the newer one"))?),
        )?,
        Some((tag, _)) => return Err(broken(format!("unknown format {tag}"))),
        None => return Err(broken("empty")),
    };
    String::from_utf8(text).map_err(broken)
}

/// One stored version of an item, as `plan_history` keeps it.
pub struct StoredVersion {
    pub version: i64,
    pub before: Option<Vec<u8>>,
    /// Only in rows converted by migration 0016 whose `after` was not the next version's
    /// `before`.
    pub after: Option<Vec<u8>>,
}

/// The (before, after) documents of an item's versions, newest first, from the item's current
/// version and document and its stored versions (newest first, numbered without gaps): the
/// document after a change is the one the next version replaced, or the item's own for its
/// current version, and each earlier version is decoded against it.
pub fn versions(
    current_version: i64,
    current: &[u8],
    stored: &[StoredVersion],
) -> PortResult<Vec<(Option<String>, String)>> {
    let mut out = Vec::with_capacity(stored.len());
    let mut newer: Option<(i64, Option<String>)> = None;
    for v in stored {
        let after = match (&v.after, newer.take()) {
            (Some(after), _) => decode(after)?,
            (None, Some((n, Some(replaced)))) if n == v.version + 1 => replaced,
            (None, None) if v.version == current_version => decode(current)?,
            _ => return Err(broken(format!("version {} has no document", v.version))),
        };
        let before = v
            .before
            .as_deref()
            .map(|b| decode_replaced(b, Some(&after)))
            .transpose()?;
        newer = Some((v.version, before.clone()));
        out.push((before, after));
    }
    Ok(out)
}

fn compress(tag: u8, json: &str, newer: Option<&str>) -> PortResult<Vec<u8>> {
    COMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = Some(Compressor::new(LEVEL).map_err(broken)?);
        }
        let Some(c) = cell.as_mut() else {
            return Err(broken("no compressor"));
        };
        match newer {
            None => c.set_prepared_dictionary(&ENCODER),
            Some(n) => c.set_dictionary(LEVEL, n.as_bytes()),
        }
        .map_err(broken)?;
        let frame = c.compress(json.as_bytes()).map_err(broken)?;
        let Some(rest) = frame.strip_prefix(&MAGIC) else {
            return Err(broken("zstd wrote no frame"));
        };
        let mut out = Vec::with_capacity(rest.len() + 1);
        out.push(tag);
        out.extend_from_slice(rest);
        Ok(out)
    })
}

fn decompress(rest: &[u8], newer: Option<&str>) -> PortResult<Vec<u8>> {
    let frame = [&MAGIC[..], rest].concat();
    let size = zstd::zstd_safe::get_frame_content_size(&frame)
        .map_err(|_| broken("not a zstd frame"))?
        .ok_or_else(|| broken("frame without its size"))?;
    if size > MAX_DOCUMENT {
        return Err(broken("frame claims an impossible size"));
    }
    DECOMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = Some(Decompressor::new().map_err(broken)?);
        }
        let Some(d) = cell.as_mut() else {
            return Err(broken("no decompressor"));
        };
        match newer {
            None => d.set_prepared_dictionary(&DECODER),
            Some(n) => d.set_dictionary(n.as_bytes()),
        }
        .map_err(broken)?;
        d.decompress(&frame, size as usize).map_err(broken)
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const DOC: &str = r#"{"kind":"job-application","title":"Søknad: lagermedarbeider hos Nordlys AS","description":"Ring før fredag.","goal_id":null,"start":"2026-02-01","end":null,"status":"planned","created_by":"client","details":{"employer":"Nordlys AS","position":"lagermedarbeider","stage":"applied","per_week":null,"measure_id":null},"agreement":{"agreed":null,"agreed_at":null,"consequence_shown_at":null,"pending":null},"closing_reason":"","declined":false}"#;

    #[test]
    fn documents_come_back_byte_for_byte_and_smaller() {
        let stored = encode(DOC).unwrap();
        assert_eq!(decode(&stored).unwrap(), DOC);
        assert!(stored.len() * 2 < DOC.len(), "{} bytes", stored.len());
        // Documents stored before migration 0016 are the JSON text itself.
        assert_eq!(decode(DOC.as_bytes()).unwrap(), DOC);
        assert_eq!(decode(&encode("{}").unwrap()).unwrap(), "{}");
    }

    #[test]
    fn an_earlier_version_is_stored_against_the_newer_one() {
        let newer = DOC.replace("\"planned\"", "\"in-progress\"");
        let stored = encode_replaced(DOC, &newer).unwrap();
        assert!(stored.len() < 40, "{} bytes", stored.len());
        assert_eq!(decode_replaced(&stored, Some(&newer)).unwrap(), DOC);
        assert!(decode(&stored).is_err(), "not without the newer version");
        // The other forms do not need it.
        let current = encode(DOC).unwrap();
        assert_eq!(decode_replaced(&current, Some(&newer)).unwrap(), DOC);
    }

    #[test]
    fn an_items_versions_are_decoded_from_the_current_one_backwards() {
        let (v1, v2, v3) = (r#"{"text":"a"}"#, r#"{"text":"ab"}"#, r#"{"text":"abc"}"#);
        let stored = [
            StoredVersion {
                version: 3,
                before: Some(encode_replaced(v2, v3).unwrap()),
                after: None,
            },
            StoredVersion {
                version: 2,
                before: Some(encode_replaced(v1, v2).unwrap()),
                after: None,
            },
            StoredVersion {
                version: 1,
                before: None,
                after: None,
            },
        ];
        let current = encode(v3).unwrap();
        let s = |x: &str| x.to_string();
        assert_eq!(
            versions(3, &current, &stored).unwrap(),
            vec![(Some(s(v2)), s(v3)), (Some(s(v1)), s(v2)), (None, s(v1))]
        );
        // A gap (a version missing) is an error, not a guess.
        let mut gap: Vec<StoredVersion> = stored.into_iter().collect();
        gap.remove(1);
        assert!(versions(3, &current, &gap).is_err());
    }

    #[test]
    fn damaged_documents_are_refused_not_guessed() {
        let stored = encode(r#"{"text":"A job near home"}"#).unwrap();
        assert!(decode(&[]).is_err());
        assert!(decode(&[7, 1, 2]).is_err());
        assert!(decode(&stored[..stored.len() - 2]).is_err());
    }
}
