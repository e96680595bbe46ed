//! Log segment headers (the two plain lines that open every segment in the log store,
//! read by `skjold logs list|verify|prune` and retention without any key):
//! `segment::read_header`, and `seq_of_name` for the segment's file name.
//!
//! Must hold: no panic; the header's end lies within the file; a header that reads is
//! sealed by `segment::seal` into a segment whose header reads back the same; its file
//! name gives its sequence number back (for the ten-digit numbers names are made of).

#![no_main]

use std::sync::LazyLock;

use age::x25519::{Identity, Recipient};
use libfuzzer_sys::fuzz_target;
use skjold_ops::segment::{read_header, seal, seq_of_name};

static RECIPIENT: LazyLock<Recipient> = LazyLock::new(|| Identity::generate().to_public());

fuzz_target!(|file: &[u8]| {
    if let Ok(name) = std::str::from_utf8(file) {
        seq_of_name(name);
    }
    let Ok((header, start)) = read_header(file) else {
        return;
    };
    assert!(
        start <= file.len(),
        "the header ends at {start}, past {}",
        file.len()
    );
    let sealed = seal(&header, b"", std::slice::from_ref(&*RECIPIENT))
        .unwrap_or_else(|e| panic!("a header that reads must seal: {e}"));
    let (again, _) =
        read_header(&sealed).unwrap_or_else(|e| panic!("a sealed header must read: {e}"));
    assert_eq!(again, header);
    if header.seq < 10_000_000_000 {
        assert_eq!(seq_of_name(&header.file_name()), Some(header.seq));
    }
});
