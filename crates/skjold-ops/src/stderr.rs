//! Standard error for a busy server (C10): one `write` per line costs a system call on
//! every request, which was the largest single piece of what logging cost the contact
//! reads. While the server runs, lines are appended to a buffer and a thread of their
//! own writes what has gathered, one `write` a batch. The first line of a batch wakes the
//! thread; the rest of the batch costs no system call at all.
//!
//! Lines reach standard error at most [`GATHER`] after they were logged, in order. The
//! buffer is written out when the batching stops (the server's end, also on an error
//! or panic); a process killed outright loses at most the last [`GATHER`] of lines on
//! standard error, as it loses the unsealed tail of the log vault.

use std::io::Write as _;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the writer waits after a batch's first line for the rest of the batch.
pub const GATHER: Duration = Duration::from_millis(20);

/// Past this many bytes waiting (standard error blocked: a full pipe nobody reads),
/// further lines are counted and dropped rather than let memory grow without bound.
const LIMIT: usize = 16 << 20;

#[derive(Debug, Default)]
struct State {
    bytes: Vec<u8>,
    dropped: u64,
    stopping: bool,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    ready: Condvar,
}

/// Standard error written a batch at a time by its own thread; dropping it writes what
/// is left and ends the thread.
#[derive(Debug)]
pub struct Batched {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Batched {
    pub fn start() -> std::io::Result<Batched> {
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("skjold-stderr".to_owned())
            .spawn({
                let shared = Arc::clone(&shared);
                move || run(&shared)
            })?;
        Ok(Batched {
            shared,
            thread: Some(thread),
        })
    }

    /// Queues `line` and a newline.
    pub fn write(&self, line: &str) {
        let Ok(mut state) = self.shared.state.lock() else {
            return;
        };
        if state.bytes.len() + line.len() >= LIMIT {
            state.dropped += 1;
            return;
        }
        let first = state.bytes.is_empty();
        state.bytes.extend_from_slice(line.as_bytes());
        state.bytes.push(b'\n');
        drop(state);
        if first {
            self.shared.ready.notify_one();
        }
    }
}

impl Drop for Batched {
    fn drop(&mut self) {
        if let Ok(mut state) = self.shared.state.lock() {
            state.stopping = true;
        }
        self.shared.ready.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(shared: &Shared) {
    loop {
        let Ok(mut state) = shared.state.lock() else {
            return;
        };
        while state.bytes.is_empty() && !state.stopping {
            state = match shared.ready.wait(state) {
                Ok(state) => state,
                Err(_) => return,
            };
        }
        if !state.stopping {
            drop(state);
            std::thread::sleep(GATHER);
            state = match shared.state.lock() {
                Ok(state) => state,
                Err(_) => return,
            };
        }
        let mut bytes = std::mem::take(&mut state.bytes);
        let dropped = std::mem::take(&mut state.dropped);
        let stopping = state.stopping;
        drop(state);
        if dropped > 0 {
            bytes.extend_from_slice(
                format!("skjold: {dropped} log lines dropped: standard error was not read\n")
                    .as_bytes(),
            );
        }
        let _ = std::io::stderr().lock().write_all(&bytes);
        if stopping {
            return;
        }
    }
}
