//! One sealed log segment: a short plain header, then the redacted JSON lines compressed
//! and encrypted to the operators' X25519 recipients (the `age` format), so the server
//! that writes it cannot read it back.
//!
//! ```text
//! skjold-log-segment 1\n
//! {"instance":"…","seq":7,"first_at":"…","last_at":"…","lines":120,"prev_hash":"…"}\n
//! <age file: gzip(header line, then one JSON object a line)>
//! ```
//!
//! The header is plain so that listing, retention and `verify` need no key; it is also the
//! first line inside the encryption, so a reader with the key sees any change to it.
//! `prev_hash` is the SHA-256 of the instance's previous segment file, whole: each
//! instance's segments form a hash chain, and a deleted, altered or reordered segment
//! breaks it.

use std::io::{BufRead, Read, Write};

use age::x25519;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::LogError;

const MAGIC: &str = "skjold-log-segment 1";

/// The `prev_hash` of an instance's first segment.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a segment says of itself, readable without a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentHeader {
    pub instance: String,
    pub seq: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub first_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_at: OffsetDateTime,
    pub lines: u64,
    pub prev_hash: String,
}

impl SegmentHeader {
    /// The segment's file name: sequence number first, so names sort in chain order.
    pub fn file_name(&self) -> String {
        let at = self.first_at;
        format!(
            "{:010}-{:04}{:02}{:02}T{:02}{:02}{:02}Z.seg",
            self.seq,
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        )
    }
}

/// The sequence number a segment's file name claims, if it is a segment's name.
pub fn seq_of_name(name: &str) -> Option<u64> {
    let (seq, rest) = name.split_once('-')?;
    rest.ends_with(".seg").then_some(())?;
    (seq.len() == 10).then(|| seq.parse().ok())?
}

/// The SHA-256 of a whole segment file, as the next one records it.
pub fn hash_of(bytes: &[u8]) -> String {
    skjold_domain::hex(&Sha256::digest(bytes))
}

/// Seals `lines` (each one JSON object, newline-terminated) under `header` to
/// `recipients`: the bytes of the segment file.
pub fn seal(
    header: &SegmentHeader,
    lines: &[u8],
    recipients: &[x25519::Recipient],
) -> Result<Vec<u8>, LogError> {
    let header_line = serde_json::to_string(header).map_err(|e| LogError::Format(e.to_string()))?;
    let mut file = format!("{MAGIC}\n{header_line}\n").into_bytes();
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .map_err(|e| LogError::Crypto(e.to_string()))?;
    let mut encrypted = encryptor.wrap_output(&mut file)?;
    {
        let mut gzip = flate2::write::GzEncoder::new(&mut encrypted, flate2::Compression::fast());
        gzip.write_all(header_line.as_bytes())?;
        gzip.write_all(b"\n")?;
        gzip.write_all(lines)?;
        gzip.finish()?;
    }
    encrypted.finish()?;
    Ok(file)
}

/// The header of a segment file, and where its ciphertext starts.
pub fn read_header(bytes: &[u8]) -> Result<(SegmentHeader, usize), LogError> {
    let mut reader = bytes;
    let mut magic = String::new();
    reader.read_line(&mut magic)?;
    if magic.trim_end() != MAGIC {
        return Err(LogError::Format("not a Skjold log segment".to_owned()));
    }
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let header: SegmentHeader =
        serde_json::from_str(&line).map_err(|e| LogError::Format(format!("header: {e}")))?;
    Ok((header, magic.len() + line.len()))
}

/// The lines of a segment, decrypted with one of `identities`; checks that the header
/// inside the encryption is the one outside.
pub fn open(bytes: &[u8], identities: &[x25519::Identity]) -> Result<Vec<String>, LogError> {
    let (header, start) = read_header(bytes)?;
    let decryptor = age::Decryptor::new_buffered(&bytes[start..])
        .map_err(|e| LogError::Crypto(e.to_string()))?;
    let reader = decryptor
        .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .map_err(|e| LogError::Crypto(e.to_string()))?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(reader)
        .read_to_string(&mut text)
        .map_err(|e| LogError::Crypto(format!("the encrypted content is damaged: {e}")))?;
    let mut lines = text.lines();
    let inner: SegmentHeader = lines
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| LogError::Format("no header inside the encryption".to_owned()))?;
    if inner != header {
        return Err(LogError::Format(
            "the plain header differs from the one inside the encryption".to_owned(),
        ));
    }
    Ok(lines.map(str::to_owned).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn header(seq: u64) -> SegmentHeader {
        SegmentHeader {
            instance: "node-1".to_owned(),
            seq,
            first_at: datetime!(2026-11-26 01:02:03 UTC),
            last_at: datetime!(2026-11-26 01:03:04 UTC),
            lines: 2,
            prev_hash: GENESIS.to_owned(),
        }
    }

    #[test]
    fn a_sealed_segment_opens_only_with_an_operator_identity() {
        let operator = x25519::Identity::generate();
        let other = x25519::Identity::generate();
        let lines = b"{\"message\":\"one\"}\n{\"message\":\"two\"}\n";
        let file = seal(&header(7), lines, &[operator.to_public()]).unwrap();
        assert!(!file.windows(3).any(|w| w == b"one"), "encrypted");
        assert_eq!(read_header(&file).unwrap().0, header(7));
        assert_eq!(
            open(&file, &[operator]).unwrap(),
            ["{\"message\":\"one\"}", "{\"message\":\"two\"}"]
        );
        assert!(matches!(open(&file, &[other]), Err(LogError::Crypto(_))));
    }

    #[test]
    fn a_changed_plain_header_or_ciphertext_is_found_by_the_reader() {
        let operator = x25519::Identity::generate();
        let file = seal(&header(1), b"{}\n", &[operator.to_public()]).unwrap();
        let at = file.windows(9).position(|w| w == b"\"lines\":2").unwrap();
        let mut changed = file.clone();
        changed[at + 8] = b'3';
        assert_eq!(read_header(&changed).unwrap().0.lines, 3);
        assert!(open(&changed, std::slice::from_ref(&operator)).is_err());
        let mut flipped = file.clone();
        let last = flipped.len() - 5;
        flipped[last] ^= 1;
        assert!(open(&flipped, &[operator]).is_err());
    }

    #[test]
    fn names_sort_in_chain_order_and_give_their_sequence_number_back() {
        let name = header(42).file_name();
        assert_eq!(name, "0000000042-20261126T010203Z.seg");
        assert_eq!(seq_of_name(&name), Some(42));
        assert_eq!(seq_of_name("notes.txt"), None);
        assert!(header(9).file_name() < header(10).file_name());
    }
}
