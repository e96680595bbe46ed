//! Backup archives (C9, C17). An archive is a CBOR sequence (RFC 8742) of the database's
//! records, compressed with zstd and encrypted to the backup recipients' X25519 keys in
//! the `age` format: the server that writes it holds no identity to read it back.
//!
//! ```text
//! age( zstd( header, table, row, row, …, table, row, … ) )
//! ```
//!
//! The header (a CBOR map) repeats what the manifest says of the copy, so a manifest
//! edited to claim another environment or schema is caught once the archive is opened.
//! The manifest (JSON, beside the archive, readable without a key) adds the archive's
//! size and SHA-256, which `verify` checks before it decrypts anything.

use std::io::{BufRead, BufReader, Read, Write};

use age::x25519;
use ciborium::Value;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use skjold_domain::hex;
use skjold_store::{Cell, Record, RecordSink, StoreError};
use time::OffsetDateTime;

/// zstd's level: 3 is its default, fast and about as small as gzip at its best.
const ZSTD_LEVEL: i32 = 3;
/// Marks the header item, and the version of this layout.
const FORMAT: &str = "skjold-backup 1";

/// What went wrong with a backup.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backup store: {0}")]
    Io(#[from] std::io::Error),
    #[error("backup archive: {0}")]
    Format(String),
    #[error("backup encryption: {0}")]
    Crypto(String),
    #[error("backup: {0}")]
    Database(#[from] StoreError),
}

/// What a backup is, readable without its key. Stored as `<id>.manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The environment the database belongs to (production, staging, test, development).
    pub environment: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// The newest migration of the database copied.
    pub schema_version: i64,
    pub tables: u64,
    pub rows: u64,
    /// Bytes of the records before compression.
    pub plain_bytes: u64,
    /// Bytes of the archive file, and its SHA-256 (hex).
    pub archive_bytes: u64,
    pub archive_sha256: String,
    /// The age recipients (`age1…`) that can decrypt it.
    pub recipients: Vec<String>,
    /// The keyring's master key ids whose account keys the rows are sealed with: a
    /// restore needs that keyring.
    pub key_ids: Vec<String>,
    pub skjold_version: String,
}

impl Manifest {
    /// The archive's file name in the store.
    pub fn archive_name(&self) -> String {
        Manifest::archive_name_of(&self.id)
    }

    /// The file name of backup `id`'s archive in the store.
    pub fn archive_name_of(id: &str) -> String {
        format!("{id}.backup")
    }

    /// The manifest's file name in the store.
    pub fn manifest_name(id: &str) -> String {
        format!("{id}.manifest.json")
    }
}

/// The facts the header carries, and the manifest repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub id: String,
    pub created_at: OffsetDateTime,
    pub environment: String,
    pub backend: String,
    pub schema_version: i64,
}

impl Header {
    fn to_value(&self) -> Value {
        Value::Map(vec![
            (text("format"), text(FORMAT)),
            (text("id"), text(&self.id)),
            (
                text("created_at"),
                Value::Integer(self.created_at.unix_timestamp().into()),
            ),
            (text("environment"), text(&self.environment)),
            (text("backend"), text(&self.backend)),
            (
                text("schema_version"),
                Value::Integer(self.schema_version.into()),
            ),
        ])
    }

    fn from_value(value: Value) -> Result<Header, BackupError> {
        let bad = || BackupError::Format("the archive does not start with a header".to_owned());
        let Value::Map(entries) = value else {
            return Err(bad());
        };
        let get = |key: &str| {
            entries
                .iter()
                .find(|(k, _)| k.as_text() == Some(key))
                .map(|(_, v)| v.clone())
        };
        let string = |key: &str| get(key).and_then(|v| v.into_text().ok()).ok_or_else(bad);
        let integer = |key: &str| {
            get(key)
                .and_then(|v| v.into_integer().ok())
                .and_then(|i| i64::try_from(i).ok())
                .ok_or_else(bad)
        };
        if string("format")? != FORMAT {
            return Err(BackupError::Format(
                "not a Skjold backup of a version this Skjold reads".to_owned(),
            ));
        }
        Ok(Header {
            id: string("id")?,
            created_at: OffsetDateTime::from_unix_timestamp(integer("created_at")?)
                .map_err(|_| bad())?,
            environment: string("environment")?,
            backend: string("backend")?,
            schema_version: integer("schema_version")?,
        })
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn encode(record: Record) -> Value {
    match record {
        Record::Table { name, columns } => Value::Map(vec![
            (text("table"), Value::Text(name)),
            (
                text("columns"),
                Value::Array(columns.into_iter().map(Value::Text).collect()),
            ),
        ]),
        Record::Row(cells) => Value::Array(
            cells
                .into_iter()
                .map(|cell| match cell {
                    Cell::Null => Value::Null,
                    Cell::Int(v) => Value::Integer(v.into()),
                    Cell::Bool(v) => Value::Bool(v),
                    Cell::Text(v) => Value::Text(v),
                    Cell::Bytes(v) => Value::Bytes(v),
                })
                .collect(),
        ),
    }
}

fn decode(value: Value) -> Result<Record, BackupError> {
    let bad = |what: &str| BackupError::Format(format!("a record is malformed: {what}"));
    match value {
        Value::Array(cells) => cells
            .into_iter()
            .map(|cell| match cell {
                Value::Null => Ok(Cell::Null),
                Value::Integer(v) => i64::try_from(v).map(Cell::Int).map_err(|_| bad("integer")),
                Value::Bool(v) => Ok(Cell::Bool(v)),
                Value::Text(v) => Ok(Cell::Text(v)),
                Value::Bytes(v) => Ok(Cell::Bytes(v)),
                _ => Err(bad("value")),
            })
            .collect::<Result<_, _>>()
            .map(Record::Row),
        Value::Map(entries) => {
            let mut name = None;
            let mut columns = None;
            for (key, value) in entries {
                match (key.as_text(), value) {
                    (Some("table"), Value::Text(t)) => name = Some(t),
                    (Some("columns"), Value::Array(c)) => {
                        columns = Some(
                            c.into_iter()
                                .map(|c| c.into_text().map_err(|_| bad("column")))
                                .collect::<Result<Vec<_>, _>>()?,
                        );
                    }
                    _ => return Err(bad("table")),
                }
            }
            match (name, columns) {
                (Some(name), Some(columns)) => Ok(Record::Table { name, columns }),
                _ => Err(bad("table")),
            }
        }
        _ => Err(bad("item")),
    }
}

/// Counts and hashes what passes through to `inner`.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes an archive to `W` as records arrive; [`ArchiveWriter::finish`] seals it.
#[allow(missing_debug_implementations)] // the encoder chain has no Debug; nothing secret in it either
pub struct ArchiveWriter<W: Write> {
    out: zstd::Encoder<'static, age::stream::StreamWriter<Hashing<W>>>,
    tables: u64,
    rows: u64,
    plain_bytes: u64,
    buffer: Vec<u8>,
}

/// What sealing an archive tells the manifest.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub tables: u64,
    pub rows: u64,
    pub plain_bytes: u64,
    pub archive_bytes: u64,
    pub archive_sha256: String,
}

impl<W: Write> ArchiveWriter<W> {
    pub fn new(
        out: W,
        header: &Header,
        recipients: &[x25519::Recipient],
    ) -> Result<ArchiveWriter<W>, BackupError> {
        let encryptor =
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .map_err(|e| BackupError::Crypto(e.to_string()))?;
        let encrypted = encryptor.wrap_output(Hashing {
            inner: out,
            hash: Sha256::new(),
            bytes: 0,
        })?;
        let mut writer = ArchiveWriter {
            out: zstd::Encoder::new(encrypted, ZSTD_LEVEL)?,
            tables: 0,
            rows: 0,
            plain_bytes: 0,
            buffer: Vec::new(),
        };
        writer.put(&header.to_value())?;
        Ok(writer)
    }

    fn put(&mut self, value: &Value) -> Result<(), BackupError> {
        self.buffer.clear();
        ciborium::into_writer(value, &mut self.buffer)
            .map_err(|e| BackupError::Format(e.to_string()))?;
        self.plain_bytes += self.buffer.len() as u64;
        self.out.write_all(&self.buffer)?;
        Ok(())
    }

    /// Ends the compression and the encryption; gives back the writer.
    pub fn finish(self) -> Result<(W, Sealed), BackupError> {
        let encrypted = self.out.finish()?;
        let hashing = encrypted.finish()?;
        let sealed = Sealed {
            tables: self.tables,
            rows: self.rows,
            plain_bytes: self.plain_bytes,
            archive_bytes: hashing.bytes,
            archive_sha256: hex(&hashing.hash.finalize()),
        };
        Ok((hashing.inner, sealed))
    }
}

impl<W: Write> RecordSink for ArchiveWriter<W> {
    type Error = BackupError;

    fn record(&mut self, record: Record) -> Result<(), BackupError> {
        match &record {
            Record::Table { .. } => self.tables += 1,
            Record::Row(_) => self.rows += 1,
        }
        self.put(&encode(record))
    }
}

/// SHA-256 of everything `reader` yields, and how many bytes that was.
pub fn sha256_of(mut reader: impl Read) -> Result<(String, u64), BackupError> {
    let mut hash = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    let mut bytes = 0;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hash.update(&buffer[..n]);
        bytes += n as u64;
    }
    Ok((hex(&hash.finalize()), bytes))
}

/// An opened archive: its header, then its records one at a time.
#[allow(missing_debug_implementations)] // the decoder chain has no Debug
pub struct ArchiveReader<R: Read> {
    input: BufReader<zstd::Decoder<'static, BufReader<age::stream::StreamReader<R>>>>,
    pub header: Header,
}

impl<R: Read> ArchiveReader<R> {
    /// Decrypts with one of `identities`; an archive none of them opens is refused.
    pub fn open(
        input: R,
        identities: &[x25519::Identity],
    ) -> Result<ArchiveReader<R>, BackupError> {
        let decryptor =
            age::Decryptor::new(input).map_err(|e| BackupError::Crypto(e.to_string()))?;
        let decrypted = decryptor
            .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
            .map_err(|e| BackupError::Crypto(e.to_string()))?;
        let mut input = BufReader::new(zstd::Decoder::new(decrypted)?);
        let first: Value = ciborium::from_reader(&mut input)
            .map_err(|e| BackupError::Format(format!("the archive is damaged: {e}")))?;
        let header = Header::from_value(first)?;
        Ok(ArchiveReader { input, header })
    }

    /// The next record, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<Record>, BackupError> {
        if self.input.fill_buf()?.is_empty() {
            return Ok(None);
        }
        let value: Value = ciborium::from_reader(&mut self.input)
            .map_err(|e| BackupError::Format(format!("the archive is damaged: {e}")))?;
        decode(value).map(Some)
    }
}

impl<R: Read> Iterator for ArchiveReader<R> {
    type Item = Result<Record, StoreError>;

    /// Records for [`skjold_store::Database::import`]; a damaged archive ends the import
    /// with an error, and the import loads nothing.
    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
            .map_err(|e| StoreError::Snapshot(e.to_string()))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            id: "20261126T010203Z-abcd".to_owned(),
            created_at: OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
            environment: "test".to_owned(),
            backend: "sqlite".to_owned(),
            schema_version: 14,
        }
    }

    fn records() -> Vec<Record> {
        vec![
            Record::Table {
                name: "accounts".to_owned(),
                columns: vec!["id".to_owned(), "name".to_owned(), "key".to_owned()],
            },
            Record::Row(vec![
                Cell::Text("a1".to_owned()),
                Cell::Int(-7),
                Cell::Bytes(vec![0, 1, 2]),
            ]),
            Record::Row(vec![
                Cell::Null,
                Cell::Bool(true),
                Cell::Text(String::new()),
            ]),
        ]
    }

    fn archive(recipient: &x25519::Recipient) -> (Vec<u8>, Sealed) {
        let mut writer =
            ArchiveWriter::new(Vec::new(), &header(), std::slice::from_ref(recipient)).unwrap();
        for record in records() {
            writer.record(record).unwrap();
        }
        writer.finish().unwrap()
    }

    #[test]
    fn records_come_back_as_written_and_only_to_a_recipient() {
        let operator = x25519::Identity::generate();
        let (bytes, sealed) = archive(&operator.to_public());
        assert_eq!((sealed.tables, sealed.rows), (1, 2));
        assert_eq!(sealed.archive_bytes, bytes.len() as u64);
        assert_eq!(sha256_of(&bytes[..]).unwrap().0, sealed.archive_sha256);
        assert!(!bytes.windows(8).any(|w| w == b"accounts"), "encrypted");

        let mut reader = ArchiveReader::open(&bytes[..], &[operator]).unwrap();
        assert_eq!(reader.header, header());
        let read: Vec<Record> = reader.by_ref().map(Result::unwrap).collect();
        assert_eq!(read, records());

        let other = x25519::Identity::generate();
        assert!(matches!(
            ArchiveReader::open(&bytes[..], &[other]),
            Err(BackupError::Crypto(_))
        ));
    }

    #[test]
    fn a_flipped_byte_is_found() {
        let operator = x25519::Identity::generate();
        let (mut bytes, _) = archive(&operator.to_public());
        let last = bytes.len() - 20;
        bytes[last] ^= 1;
        let result =
            ArchiveReader::open(&bytes[..], std::slice::from_ref(&operator)).and_then(|mut r| {
                while r.next_record()?.is_some() {}
                Ok(())
            });
        assert!(result.is_err());
    }
}
