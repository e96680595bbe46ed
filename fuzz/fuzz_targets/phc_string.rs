//! Stored password hashes (PHC strings, `$argon2id$v=19$m=…,t=…,p=…$salt$hash`), which
//! reach `PasswordHashing::verify` from the database and from restored backups.
//!
//! Must hold: no panic; a string that is no hash of a password never lets that password
//! in; when one does, it asks for a rehash exactly when it is not argon2id or its
//! parameters are weaker than the hasher's in some dimension; a string the PHC parser
//! accepts is written back in a form that parses to the same hash.
//!
//! `verify` costs what the stored string's own parameters say: argon2id at `m=19456` takes
//! tens of milliseconds and a forged `m` can ask for gigabytes. The target therefore only
//! verifies strings whose parameters are small; larger ones are still parsed.

#![no_main]

use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use libfuzzer_sys::fuzz_target;
use skjold_crypto::{HashParams, PasswordHashing, Verification};

/// The password of the seed corpus's hashes.
const PASSWORD: &str = "correct horse battery staple";

/// Cheap parameters, so a verification costs microseconds.
const CHEAP: HashParams = HashParams {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

static HASHING: LazyLock<PasswordHashing> = LazyLock::new(|| {
    PasswordHashing::new_unchecked(CHEAP).unwrap_or_else(|e| panic!("cheap argon2 parameters: {e}"))
});

fuzz_target!(|stored: &str| {
    let hashing = &*HASHING;
    let Ok(parsed) = PasswordHash::new(stored) else {
        assert_eq!(hashing.verify(PASSWORD, stored), Verification::Mismatch);
        return;
    };
    let written = parsed.to_string();
    assert_eq!(
        PasswordHash::new(&written).as_ref(),
        Ok(&parsed),
        "{written:?}"
    );
    let Some(params) = argon2::Params::try_from(&parsed)
        .ok()
        .filter(|p| p.m_cost() <= 4 * CHEAP.memory_kib && p.t_cost() <= 4 && p.p_cost() <= 4)
    else {
        return;
    };
    if let Verification::Match { needs_rehash } = hashing.verify(PASSWORD, stored) {
        let weaker = parsed.algorithm.as_str() != "argon2id"
            || params.m_cost() < CHEAP.memory_kib
            || params.t_cost() < CHEAP.iterations
            || params.p_cost() < CHEAP.parallelism;
        assert_eq!(needs_rehash, weaker, "{stored:?}");
    }
    assert_eq!(
        hashing.verify("not the password", stored),
        Verification::Mismatch,
        "{stored:?}"
    );
});
