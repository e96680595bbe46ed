//! The log vault's writer: a thread that gathers redacted lines and seals them into a
//! segment when the segment is big enough or old enough, continuing the instance's hash
//! chain. Logging never waits for it and never wakes it: a line is pushed onto a shared
//! list, which the writer takes every [`GATHER`]; lines that find the list full are
//! counted and the count is written in their place.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use age::x25519;
use time::OffsetDateTime;

use crate::error::LogError;
use crate::segment::{GENESIS, SegmentHeader, hash_of, read_header, seal};
use crate::store::{ANCHOR, LogStore};

/// Lines waiting for the writer before new ones are dropped (and counted).
const QUEUE: usize = 65_536;
/// How often the writer takes the lines logged since it last looked. Waking it for each
/// line would cost every request a thread switch.
const GATHER: Duration = Duration::from_millis(200);

/// How a vault writes.
#[derive(Debug, Clone)]
pub struct VaultSettings {
    /// This instance's id: its folder in the store and its chain.
    pub instance: String,
    /// Who can read the segments.
    pub recipients: Vec<x25519::Recipient>,
    /// A segment is sealed once its lines reach this many bytes …
    pub segment_bytes: usize,
    /// … or once its first line is this old.
    pub segment_age: Duration,
}

/// What the writer is told besides lines.
enum Message {
    Flush(SyncSender<()>),
    Stop,
}

/// Lines logged and not yet taken by the writer.
type Pending = Mutex<Vec<(String, OffsetDateTime)>>;

/// Where the logging layer hands lines to the vault. Cheap to clone.
#[derive(Debug, Clone)]
pub struct VaultSink {
    pending: Arc<Pending>,
    dropped: Arc<AtomicU64>,
}

impl VaultSink {
    /// Adds one redacted JSON line; never blocks on the writer.
    pub fn write(&self, line: String, at: OffsetDateTime) {
        match self.pending.lock() {
            Ok(mut pending) if pending.len() < QUEUE => pending.push((line, at)),
            _ => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The running writer; [`Vault::close`] seals what it holds.
#[derive(Debug)]
pub struct Vault {
    sink: VaultSink,
    control: SyncSender<Message>,
    thread: Option<JoinHandle<()>>,
}

impl Vault {
    /// Starts writing for `settings.instance`, continuing its chain in `store`.
    pub fn start(store: Arc<dyn LogStore>, settings: VaultSettings) -> Result<Vault, LogError> {
        if settings.recipients.is_empty() {
            return Err(LogError::Config(
                "the log vault needs at least one recipient".to_owned(),
            ));
        }
        let tip = chain_tip(store.as_ref(), &settings.instance)?;
        let (control, messages) = sync_channel(4);
        let pending: Arc<Pending> = Arc::default();
        let dropped = Arc::new(AtomicU64::new(0));
        let mut writer = Writer {
            store,
            settings,
            next_seq: tip.0 + 1,
            prev_hash: tip.1,
            buffer: Vec::new(),
            count: 0,
            first: None,
            pending: Arc::clone(&pending),
            dropped: Arc::clone(&dropped),
        };
        let thread = std::thread::Builder::new()
            .name("skjold-log-vault".to_owned())
            .spawn(move || writer.run(&messages))?;
        Ok(Vault {
            sink: VaultSink { pending, dropped },
            control,
            thread: Some(thread),
        })
    }

    pub fn sink(&self) -> VaultSink {
        self.sink.clone()
    }

    /// Seals every line queued so far, and waits until it is stored.
    pub fn flush(&self) {
        let (done, wait) = sync_channel(1);
        if self.control.send(Message::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// Seals the tail and stops the writer; lines logged after this are not kept.
    pub fn close(mut self) {
        if self.control.send(Message::Stop).is_ok()
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
    }
}

/// The last sequence number and hash of `instance`'s chain: its newest segment, or the
/// anchor retention left, or the start.
pub fn chain_tip(store: &dyn LogStore, instance: &str) -> Result<(u64, String), LogError> {
    if let Some(name) = store.segments(instance)?.last()
        && let Some(bytes) = store.get(instance, name)?
    {
        let (header, _) = read_header(&bytes)?;
        return Ok((header.seq, hash_of(&bytes)));
    }
    match store.get(instance, ANCHOR)? {
        Some(bytes) => {
            let anchor: Anchor = serde_json::from_slice(&bytes)
                .map_err(|e| LogError::Format(format!("{ANCHOR}: {e}")))?;
            Ok((anchor.seq, anchor.hash))
        }
        None => Ok((0, GENESIS.to_owned())),
    }
}

/// The last segment retention deleted from a chain.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Anchor {
    pub seq: u64,
    pub hash: String,
}

struct Writer {
    store: Arc<dyn LogStore>,
    settings: VaultSettings,
    next_seq: u64,
    prev_hash: String,
    buffer: Vec<u8>,
    count: u64,
    first: Option<(OffsetDateTime, Instant)>,
    pending: Arc<Pending>,
    dropped: Arc<AtomicU64>,
}

impl Writer {
    fn run(&mut self, messages: &Receiver<Message>) {
        loop {
            let message = messages.recv_timeout(GATHER);
            self.gather();
            match message {
                Err(RecvTimeoutError::Timeout) => {
                    let old = self
                        .first
                        .is_some_and(|(_, since)| since.elapsed() >= self.settings.segment_age);
                    if old {
                        self.seal();
                    }
                }
                Ok(Message::Flush(done)) => {
                    self.seal();
                    let _ = done.send(());
                }
                Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => {
                    self.seal();
                    return;
                }
            }
        }
    }

    /// Takes the lines logged since the last look, sealing whenever a segment fills.
    fn gather(&mut self) {
        let lines = self
            .pending
            .lock()
            .map(|mut pending| std::mem::take(&mut *pending))
            .unwrap_or_default();
        self.note_dropped(OffsetDateTime::now_utc());
        for (line, at) in lines {
            self.push(&line, at);
            if self.buffer.len() >= self.settings.segment_bytes {
                self.seal();
            }
        }
    }

    fn push(&mut self, line: &str, at: OffsetDateTime) {
        self.buffer.extend_from_slice(line.as_bytes());
        self.buffer.push(b'\n');
        self.count += 1;
        self.first.get_or_insert((at, Instant::now()));
    }

    /// Writes how many lines found the queue full, in their place.
    fn note_dropped(&mut self, at: OffsetDateTime) {
        let dropped = self.dropped.swap(0, Ordering::Relaxed);
        if dropped > 0 {
            let line = serde_json::json!({
                "timestamp": at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                "level": "WARN",
                "target": "skjold::logs",
                "message": "log lines dropped: the vault's queue was full",
                "dropped": dropped,
            });
            self.push(&line.to_string(), at);
        }
    }

    /// Seals the buffered lines into the next segment. If the store refuses, the lines
    /// stay and the next seal tries again (and the failure goes to standard error, the
    /// one place left to say it).
    fn seal(&mut self) {
        let Some((first_at, _)) = self.first else {
            return;
        };
        let header = SegmentHeader {
            instance: self.settings.instance.clone(),
            seq: self.next_seq,
            first_at,
            last_at: OffsetDateTime::now_utc().max(first_at),
            lines: self.count,
            prev_hash: self.prev_hash.clone(),
        };
        let stored = seal(&header, &self.buffer, &self.settings.recipients).and_then(|file| {
            self.store
                .put(&header.instance, &header.file_name(), &file)
                .map(|()| hash_of(&file))
        });
        match stored {
            Ok(hash) => {
                self.prev_hash = hash;
                self.next_seq += 1;
                self.buffer.clear();
                self.count = 0;
                self.first = None;
            }
            Err(error) => {
                #[allow(clippy::print_stderr)]
                {
                    eprintln!("skjold: sealing a log segment failed, will retry: {error}");
                }
                self.first = Some((first_at, Instant::now()));
            }
        }
    }
}
