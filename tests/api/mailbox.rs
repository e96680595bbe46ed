//! A real SMTP server on loopback that keeps what it receives, for tests that read the
//! mails Skjold sends. It speaks just enough of RFC 5321 for a well-behaved client.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One received mail, decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Mailbox {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl Mailbox {
    pub async fn start() -> Mailbox {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&mails);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    let _ = session(stream, store).await;
                });
            }
        });
        Mailbox { port, mails }
    }

    /// The flags that make a server send its mail here.
    pub fn args(&self) -> Vec<String> {
        [
            "--mailer",
            "smtp",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-tls",
            "none",
            "--smtp-port",
        ]
        .into_iter()
        .map(String::from)
        .chain([self.port.to_string()])
        .collect()
    }

    /// Every mail received so far for `to`.
    pub fn to(&self, to: &str) -> Vec<Mail> {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to == to)
            .cloned()
            .collect()
    }

    /// Waits up to ten seconds for a mail to `to` whose subject contains `subject`.
    pub async fn wait_for(&self, to: &str, subject: &str) -> Mail {
        self.wait_for_nth(to, subject, 1).await
    }

    /// Waits up to ten seconds for the `n`th mail (from 1) to `to` whose subject
    /// contains `subject`.
    pub async fn wait_for_nth(&self, to: &str, subject: &str, n: usize) -> Mail {
        for _ in 0..200 {
            if let Some(mail) = self
                .to(to)
                .into_iter()
                .filter(|m| m.subject.contains(subject))
                .nth(n - 1)
            {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no mail number {n} {subject:?} to {to}; received: {:?}",
            self.mails.lock().unwrap()
        );
    }
}

/// The token in a link of `mail` (`…#token=<token>`).
pub fn token_in(mail: &Mail) -> String {
    let start = mail.body.find("#token=").expect("a link with a token") + "#token=".len();
    mail.body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "_-".contains(*c))
        .collect()
}

async fn session(
    stream: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Mail>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 mailbox.test ESMTP\r\n").await?;
    let mut to = String::new();
    while let Some(line) = lines.next_line().await? {
        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => write.write_all(b"250 mailbox.test\r\n").await?,
            "RCPT" => {
                to = line.split(['<', '>']).nth(1).unwrap_or("").to_owned();
                write.write_all(b"250 OK\r\n").await?;
            }
            "DATA" => {
                write.write_all(b"354 end with .\r\n").await?;
                let mut data = Vec::new();
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    // RFC 5321 4.5.2: a leading dot was doubled by the client.
                    data.push(line.strip_prefix('.').map(str::to_owned).unwrap_or(line));
                }
                store.lock().unwrap().push(parse(&to, &data));
                write.write_all(b"250 OK queued\r\n").await?;
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => write.write_all(b"250 OK\r\n").await?,
        }
    }
    Ok(())
}

fn parse(to: &str, data: &[String]) -> Mail {
    let split = data.iter().position(|l| l.is_empty()).unwrap_or(data.len());
    let headers = &data[..split];
    let header = |name: &str| {
        headers
            .iter()
            .find_map(|h| {
                h.split_once(':')
                    .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let raw = data.get(split + 1..).unwrap_or(&[]).join("\n");
    let body = if header("Content-Transfer-Encoding").eq_ignore_ascii_case("quoted-printable") {
        quoted_printable(&raw)
    } else {
        raw
    };
    Mail {
        to: to.to_owned(),
        subject: header("Subject"),
        body,
    }
}

/// RFC 2045 quoted-printable: `=` at a line end joins lines, `=XX` is a byte.
fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = joined
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let (b'=', Some(byte)) = (bytes[i], hex) {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
