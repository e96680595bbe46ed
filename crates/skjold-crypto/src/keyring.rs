//! The keyring: a directory of versioned master keys, kept apart from code and data (C2).
//!
//! Layout: `master-k1.toml`, `master-k2.toml`, … each mode 0600 in a directory of mode
//! 0700. The newest version is the current key; older ones stay to read what they wrote.
//! Every key names the environment it was made for (C8).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use skjold_domain::{Environment, KeyId};
use time::OffsetDateTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use secrecy::SecretBox;
use zeroize::Zeroizing;

use crate::blind_index::BlindIndex;
use crate::field_cipher::FieldCipher;
use crate::file_mode::{create_private_dir, too_open, write_private_file};
use crate::master_key::{KEY_LEN, KeyInfo, MasterKey};

const KEY_FILE_PREFIX: &str = "master-";
const KEY_FILE_SUFFIX: &str = ".toml";
/// The blind index key, once it no longer follows from the oldest master key: base64.
const INDEX_KEY_FILE: &str = "blind-index.key";

/// Why a keyring could not be opened or written. Each message says how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(
        "the key directory {keys} lies inside the data directory {data}: keys must be stored \
         apart from the data they protect; choose another --key-dir (for example ./skjold-keys)"
    )]
    InsideDataDir { keys: PathBuf, data: PathBuf },
    #[error(
        "the data directory {data} lies inside the key directory {keys}: keys must be stored \
         apart from the data they protect; choose another --data-dir"
    )]
    DataInsideKeys { keys: PathBuf, data: PathBuf },
    #[error(
        "{path} is accessible by group or others (mode {mode:o}); keys must be readable by \
         their owner only: run `chmod {fix} {path}`"
    )]
    TooOpen {
        path: PathBuf,
        mode: u32,
        fix: &'static str,
    },
    #[error("key file {path} is unreadable: {reason}; restore it from your key backup")]
    Malformed { path: PathBuf, reason: String },
    #[error(
        "key file {path} says it is {stated}, but its name says {named}; restore it from your \
         key backup"
    )]
    MisnamedKey {
        path: PathBuf,
        named: KeyId,
        stated: KeyId,
    },
    #[error(
        "the keyring in {dir} mixes environments ({first} and {second}); a keyring serves one \
         environment only"
    )]
    MixedEnvironments {
        dir: PathBuf,
        first: Environment,
        second: Environment,
    },
    #[error("{id} is the current master key and cannot be retired; run `skjold keys rotate` first")]
    RetiringCurrent { id: KeyId },
    #[error("the keyring holds no master key {id}; `skjold keys list` shows the keys it holds")]
    UnknownKey { id: KeyId },
    #[error("the key directory {dir} holds no master key")]
    Empty { dir: PathBuf },
    #[error(
        "there is no keyring at {dir}; `skjold serve` creates one on first start, or pass \
         --key-dir to point at an existing one"
    )]
    Missing { dir: PathBuf },
    #[error("the operating system's random number generator failed: {0}")]
    Random(getrandom::Error),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> KeyringError {
    let path = path.to_owned();
    move |source| KeyringError::Io {
        action,
        path,
        source,
    }
}

/// Refuses a key directory inside the data directory, or the other way round, so that a
/// copy of the data (a backup, a stolen disk image of the data volume) never carries the
/// keys that decrypt it. Both paths are resolved first, so `..` and links cannot hide it.
pub fn ensure_apart(key_dir: &Path, data_dir: &Path) -> Result<(), KeyringError> {
    let keys = resolve(key_dir)?;
    let data = resolve(data_dir)?;
    if keys.starts_with(&data) {
        return Err(KeyringError::InsideDataDir {
            keys: key_dir.to_owned(),
            data: data_dir.to_owned(),
        });
    }
    if data.starts_with(&keys) {
        return Err(KeyringError::DataInsideKeys {
            keys: key_dir.to_owned(),
            data: data_dir.to_owned(),
        });
    }
    Ok(())
}

/// The absolute, link-free form of `path`, which need not exist yet: its longest existing
/// ancestor is canonicalised and the rest appended.
fn resolve(path: &Path) -> Result<PathBuf, KeyringError> {
    let absolute = std::path::absolute(path).map_err(io_error("cannot resolve", path))?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(real) => return Ok(rest.iter().rev().fold(real, |p, c| p.join(c))),
            Err(_) => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_owned());
                    existing = parent;
                }
                _ => return Ok(absolute),
            },
        }
    }
}

/// The master keys of one environment, newest last.
#[derive(Debug)]
pub struct Keyring {
    dir: PathBuf,
    keys: Vec<MasterKey>,
    /// The blind index key from its own file; `None` while it still follows from the
    /// oldest master key.
    index_key: Option<BlindIndex>,
}

impl Keyring {
    /// Opens the keyring in `dir`, creating the directory and a first key `k1` for
    /// `environment` when it holds no key yet.
    pub fn open_or_create(
        dir: &Path,
        environment: Environment,
        now: OffsetDateTime,
    ) -> Result<Keyring, KeyringError> {
        create_private_dir(dir).map_err(io_error("cannot create the key directory", dir))?;
        match Keyring::open(dir) {
            Err(KeyringError::Empty { .. }) => {
                let info = KeyInfo {
                    id: KeyId::FIRST,
                    environment,
                    created_at: now,
                };
                let key = MasterKey::generate(info).map_err(KeyringError::Random)?;
                let path = key_path(dir, KeyId::FIRST);
                write_private_file(&path, key.to_file_text().as_bytes())
                    .map_err(io_error("cannot write the key file", &path))?;
                Ok(Keyring {
                    dir: dir.to_owned(),
                    keys: vec![key],
                    index_key: None,
                })
            }
            other => other,
        }
    }

    /// Opens an existing keyring, checking the modes of the directory and of every key.
    pub fn open(dir: &Path) -> Result<Keyring, KeyringError> {
        if !dir.exists() {
            return Err(KeyringError::Missing {
                dir: dir.to_owned(),
            });
        }
        refuse_if_too_open(dir, "700")?;
        let entries = fs::read_dir(dir).map_err(io_error("cannot read the key directory", dir))?;
        let mut keys = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error("cannot read the key directory", dir))?;
            let name = entry.file_name();
            let Some(named) = name.to_str().and_then(key_id_of_file_name) else {
                continue;
            };
            let path = entry.path();
            refuse_if_too_open(&path, "600")?;
            let text = zeroize::Zeroizing::new(
                fs::read_to_string(&path).map_err(io_error("cannot read the key file", &path))?,
            );
            let key =
                MasterKey::from_file_text(&text).map_err(|reason| KeyringError::Malformed {
                    path: path.clone(),
                    reason,
                })?;
            if key.info().id != named {
                return Err(KeyringError::MisnamedKey {
                    path,
                    named,
                    stated: key.info().id,
                });
            }
            keys.push(key);
        }
        keys.sort_by_key(|k| k.info().id);
        let Some(first) = keys.first() else {
            return Err(KeyringError::Empty {
                dir: dir.to_owned(),
            });
        };
        let environment = first.info().environment;
        if let Some(other) = keys.iter().find(|k| k.info().environment != environment) {
            return Err(KeyringError::MixedEnvironments {
                dir: dir.to_owned(),
                first: environment,
                second: other.info().environment,
            });
        }
        Ok(Keyring {
            dir: dir.to_owned(),
            keys,
            index_key: read_index_key(dir)?,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The environment every key of this keyring was made for.
    pub fn environment(&self) -> Environment {
        self.current().info().environment
    }

    /// The newest key: the one new ciphertexts are made with.
    pub fn current(&self) -> &MasterKey {
        // `open` and `open_or_create` never build an empty keyring.
        &self.keys[self.keys.len() - 1]
    }

    /// Every key but the current one, oldest first: what earlier ciphertexts need.
    pub fn older(&self) -> impl Iterator<Item = &MasterKey> {
        self.keys[..self.keys.len() - 1].iter()
    }

    /// Makes a new master key version, for the same environment, and makes it current.
    /// Its file is written (0600) before it counts; the earlier keys stay, to read what
    /// they wrote.
    pub fn rotate(&mut self, now: OffsetDateTime) -> Result<KeyId, KeyringError> {
        let id = self.current().info().id.next();
        let info = KeyInfo {
            id,
            environment: self.environment(),
            created_at: now,
        };
        let key = MasterKey::generate(info).map_err(KeyringError::Random)?;
        let path = key_path(&self.dir, id);
        write_private_file(&path, key.to_file_text().as_bytes())
            .map_err(io_error("cannot write the key file", &path))?;
        self.keys.push(key);
        Ok(id)
    }

    /// The cipher of fields sealed directly under master keys: seals with the current
    /// one, opens under any this keyring holds.
    pub fn field_cipher(&self) -> FieldCipher {
        FieldCipher::new(self.current(), self.older())
    }

    /// The key with this id, to read what it once wrote.
    pub fn get(&self, id: KeyId) -> Option<&MasterKey> {
        self.keys.iter().find(|k| k.info().id == id)
    }

    /// The key of every blind index: derived from the first master key, and read from
    /// its own file once that key has been retired.
    pub fn blind_index(&self) -> BlindIndex {
        match &self.index_key {
            Some(key) => BlindIndex::from_key(SecretBox::new(Box::new(*key.key()))),
            // `open` and `open_or_create` never build an empty keyring.
            None => BlindIndex::derived_from(&self.keys[0]),
        }
    }

    /// Deletes master key `id` from the keyring for good. The caller has made sure that
    /// nothing is sealed or wrapped under it any more; the current key is refused. When
    /// the oldest key goes, the blind index key it gave is first written to its own file.
    pub fn retire(&mut self, id: KeyId) -> Result<(), KeyringError> {
        if id == self.current().info().id {
            return Err(KeyringError::RetiringCurrent { id });
        }
        let position = self
            .keys
            .iter()
            .position(|k| k.info().id == id)
            .ok_or(KeyringError::UnknownKey { id })?;
        if self.index_key.is_none() {
            let index = self.blind_index();
            let text = Zeroizing::new(format!("{}\n", BASE64.encode(index.key())));
            let path = self.dir.join(INDEX_KEY_FILE);
            write_private_file(&path, text.as_bytes())
                .map_err(io_error("cannot write the key file", &path))?;
            self.index_key = Some(index);
        }
        let path = key_path(&self.dir, id);
        fs::remove_file(&path).map_err(io_error("cannot delete the key file", &path))?;
        self.keys.remove(position);
        Ok(())
    }

    /// What may be shown about each key, oldest first. Never the material.
    pub fn list(&self) -> impl Iterator<Item = &KeyInfo> {
        self.keys.iter().map(MasterKey::info)
    }
}

fn key_path(dir: &Path, id: KeyId) -> PathBuf {
    dir.join(format!("{KEY_FILE_PREFIX}{id}{KEY_FILE_SUFFIX}"))
}

fn key_id_of_file_name(name: &str) -> Option<KeyId> {
    name.strip_prefix(KEY_FILE_PREFIX)?
        .strip_suffix(KEY_FILE_SUFFIX)?
        .parse()
        .ok()
}

/// The blind index key file, if the keyring has one.
fn read_index_key(dir: &Path) -> Result<Option<BlindIndex>, KeyringError> {
    let path = dir.join(INDEX_KEY_FILE);
    if !path.exists() {
        return Ok(None);
    }
    refuse_if_too_open(&path, "600")?;
    let text = Zeroizing::new(
        fs::read_to_string(&path).map_err(io_error("cannot read the key file", &path))?,
    );
    let malformed = || KeyringError::Malformed {
        path: path.clone(),
        reason: format!("it is not {KEY_LEN} bytes in base64"),
    };
    let bytes = Zeroizing::new(BASE64.decode(text.trim()).map_err(|_| malformed())?);
    let key: [u8; KEY_LEN] = bytes.as_slice().try_into().map_err(|_| malformed())?;
    Ok(Some(BlindIndex::from_key(SecretBox::new(Box::new(key)))))
}

fn refuse_if_too_open(path: &Path, fix: &'static str) -> Result<(), KeyringError> {
    match too_open(path).map_err(io_error("cannot inspect", path))? {
        Some(mode) => Err(KeyringError::TooOpen {
            path: path.to_owned(),
            mode,
            fix,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-11-25 02:00 UTC)
    }

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("skjold-keyring-{}", uuid_like()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn uuid_like() -> String {
        let mut b = [0u8; 8];
        getrandom::fill(&mut b).unwrap();
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn a_new_keyring_gets_a_private_first_key_that_reopens() {
        let dir = scratch().join("keys");
        let ring = Keyring::open_or_create(&dir, Environment::Staging, now()).unwrap();
        assert_eq!(ring.current().info().id, KeyId::FIRST);
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&key_path(&dir, KeyId::FIRST)), 0o600);

        let again = Keyring::open_or_create(&dir, Environment::Staging, now()).unwrap();
        assert_eq!(again.current().material(), ring.current().material());
        assert_eq!(again.environment(), Environment::Staging);
    }

    #[test]
    fn a_key_file_readable_by_others_is_refused_with_the_fix() {
        let dir = scratch().join("keys");
        Keyring::open_or_create(&dir, Environment::Test, now()).unwrap();
        let file = key_path(&dir, KeyId::FIRST);
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        let err = Keyring::open(&dir).unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }

    #[test]
    fn retiring_the_oldest_key_keeps_the_blind_index_and_refuses_the_current_key() {
        let dir = scratch().join("keys");
        let mut ring = Keyring::open_or_create(&dir, Environment::Test, now()).unwrap();
        let before = ring.blind_index().of("email", "ola@example.no");
        let k2 = ring.rotate(now()).unwrap();
        assert!(matches!(
            ring.retire(k2),
            Err(KeyringError::RetiringCurrent { .. })
        ));
        assert!(matches!(
            ring.retire(k2.next()),
            Err(KeyringError::UnknownKey { .. })
        ));
        ring.retire(KeyId::FIRST).unwrap();
        assert!(!key_path(&dir, KeyId::FIRST).exists());
        assert!(ring.get(KeyId::FIRST).is_none());
        let mode = fs::metadata(dir.join(INDEX_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);

        let reopened = Keyring::open(&dir).unwrap();
        assert_eq!(reopened.list().count(), 1);
        assert_eq!(reopened.blind_index().of("email", "ola@example.no"), before);
    }

    #[test]
    fn keys_inside_data_and_data_inside_keys_are_both_refused() {
        let root = scratch();
        let data = root.join("data");
        assert!(matches!(
            ensure_apart(&data.join("keys"), &data),
            Err(KeyringError::InsideDataDir { .. })
        ));
        assert!(matches!(
            ensure_apart(&root.join("k"), &root.join("k/../k/data")),
            Err(KeyringError::DataInsideKeys { .. })
        ));
        ensure_apart(&root.join("keys"), &data).unwrap();
    }
}
