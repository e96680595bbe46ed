//! What a backup archive holds once decrypted and decompressed: the CBOR header (format,
//! id, time, environment, backend, schema version) and the records after it, read by
//! `ArchiveReader::open` and `next_record` when a backup is verified or restored.
//!
//! An archive is encrypted to the backup recipients, whose public keys are no secret, so
//! anyone who can write to the backup store can make one that decrypts: its content is
//! untrusted input. The fuzzer writes that content (a CBOR sequence); the target
//! compresses it and encrypts it to a throwaway identity, as `ArchiveWriter` would, so
//! every input reaches the header and record parsers rather than stopping at age's
//! authentication.
//!
//! Must hold: no panic; a header that reads is written by `ArchiveWriter` into an archive
//! whose header reads back the same, and records that read come back the same through a
//! new archive.

#![no_main]

use std::io::Write;
use std::sync::{LazyLock, Mutex, PoisonError};

use age::x25519::{Identity, Recipient};
use libfuzzer_sys::fuzz_target;
use skjold_ops::backup::{ArchiveReader, ArchiveWriter};
use skjold_store::RecordSink;

/// Records read from one input at most: a CBOR sequence of empty arrays is a million
/// rows in a megabyte, and the target is after the parser, not the loop.
const MAX_RECORDS: usize = 1000;

static IDENTITY: LazyLock<(Identity, Recipient)> = LazyLock::new(|| {
    let identity = Identity::generate();
    let recipient = identity.to_public();
    (identity, recipient)
});

/// One compression context for every input: making a new one for each costs more
/// than the rest of the target under AddressSanitizer.
static COMPRESSOR: LazyLock<Mutex<zstd::bulk::Compressor<'static>>> = LazyLock::new(|| {
    Mutex::new(zstd::bulk::Compressor::new(1).unwrap_or_else(|e| panic!("zstd: {e}")))
});

/// `plain` compressed and encrypted as an archive is.
fn seal(plain: &[u8], recipient: &Recipient) -> Vec<u8> {
    let compressed = COMPRESSOR
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .compress(plain)
        .unwrap_or_else(|e| panic!("zstd: {e}"));
    let mut file = Vec::new();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(recipient as &dyn age::Recipient))
            .unwrap_or_else(|e| panic!("encryptor: {e}"));
    let mut encrypted = encryptor
        .wrap_output(&mut file)
        .unwrap_or_else(|e| panic!("encryption: {e}"));
    encrypted
        .write_all(&compressed)
        .and_then(|()| encrypted.finish().map(drop))
        .unwrap_or_else(|e| panic!("sealing in memory: {e}"));
    file
}

fuzz_target!(|plain: &[u8]| {
    let (identity, recipient) = &*IDENTITY;
    let file = seal(plain, recipient);
    let Ok(mut reader) = ArchiveReader::open(&file[..], std::slice::from_ref(identity)) else {
        return;
    };
    let mut records = Vec::new();
    while records.len() < MAX_RECORDS {
        match reader.next_record() {
            Ok(Some(record)) => records.push(record),
            Ok(None) | Err(_) => break,
        }
    }

    let header = reader.header.clone();
    let mut writer = ArchiveWriter::new(Vec::new(), &header, std::slice::from_ref(recipient))
        .unwrap_or_else(|e| panic!("a header that reads must write: {e}"));
    for record in records.iter().cloned() {
        writer
            .record(record)
            .unwrap_or_else(|e| panic!("a record that reads must write: {e}"));
    }
    let (rewritten, sealed) = writer
        .finish()
        .unwrap_or_else(|e| panic!("sealing in memory: {e}"));
    assert_eq!(sealed.rows + sealed.tables, records.len() as u64);
    let mut reread = ArchiveReader::open(&rewritten[..], std::slice::from_ref(identity))
        .unwrap_or_else(|e| panic!("a written archive must open: {e}"));
    assert_eq!(reread.header, header);
    let again: Vec<_> = reread
        .by_ref()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("written records must read: {e}"));
    assert_eq!(again, records);
});
