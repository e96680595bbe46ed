//! Password hashing (C11; ASVS 11.4.2): argon2id with OWASP's parameters or stronger,
//! stored as PHC strings, so the parameters travel with each hash and a hash made under
//! weaker ones is recognised and upgraded at the next successful login.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashParams {
    /// OWASP's Password Storage Cheat Sheet minimum for argon2id: 19 MiB, 2 passes, 1 lane.
    pub const OWASP_MINIMUM: HashParams = HashParams {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Whether `self` is at least as costly as `other` in every dimension.
    fn at_least(&self, other: &HashParams) -> bool {
        self.memory_kib >= other.memory_kib
            && self.iterations >= other.iterations
            && self.parallelism >= other.parallelism
    }
}

/// Parameters below the OWASP minimum, or ones argon2 cannot use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HashParamsError {
    #[error(
        "argon2id parameters must be at least m=19456 KiB, t=2, p=1 (OWASP); got m={}, t={}, p={}",
        .0.memory_kib, .0.iterations, .0.parallelism
    )]
    BelowMinimum(HashParams),
    #[error("argon2id cannot use m={}, t={}, p={}", .0.memory_kib, .0.iterations, .0.parallelism)]
    Unusable(HashParams),
}

/// Hashing failed for a reason that is not the caller's input (out of memory, say).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashFailed(argon2::password_hash::Error);

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Mismatch,
    /// The password is right; `needs_rehash` when the hash is weaker than today's settings.
    Match {
        needs_rehash: bool,
    },
}

/// Hashes and verifies passwords with one set of parameters.
#[derive(Debug, Clone)]
pub struct PasswordHashing {
    params: HashParams,
    argon2: Argon2<'static>,
    /// A hash of a random password with the current parameters: verified against when the
    /// user does not exist, so that an unknown e-mail costs as much as a known one.
    dummy: String,
}

impl PasswordHashing {
    pub fn new(params: HashParams) -> Result<PasswordHashing, HashParamsError> {
        if !params.at_least(&HashParams::OWASP_MINIMUM) {
            return Err(HashParamsError::BelowMinimum(params));
        }
        PasswordHashing::new_unchecked(params)
    }

    /// Any parameters argon2 accepts, weak ones included: for producing the old, weak
    /// hashes that an upgrade must replace. Never used by the server itself.
    pub fn new_unchecked(params: HashParams) -> Result<PasswordHashing, HashParamsError> {
        let argon_params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|_| HashParamsError::Unusable(params))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
        let mut dummy_password = [0u8; 32];
        getrandom::fill(&mut dummy_password).map_err(|_| HashParamsError::Unusable(params))?;
        let dummy = argon2
            .hash_password(&dummy_password)
            .map_err(|_| HashParamsError::Unusable(params))?
            .to_string();
        Ok(PasswordHashing {
            params,
            argon2,
            dummy,
        })
    }

    pub fn params(&self) -> HashParams {
        self.params
    }

    /// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with a fresh random salt.
    /// CPU- and memory-heavy: run it off the async executor.
    pub fn hash(&self, password: &str) -> Result<String, HashFailed> {
        self.argon2
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(HashFailed)
    }

    /// Checks `password` against a stored PHC string. A string that does not parse counts
    /// as a mismatch: a damaged hash must never let anyone in.
    pub fn verify(&self, password: &str, stored: &str) -> Verification {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return Verification::Mismatch;
        };
        if self
            .argon2
            .verify_password(password.as_bytes(), &parsed)
            .is_err()
        {
            return Verification::Mismatch;
        }
        let current = Params::try_from(&parsed).ok().map(|p| HashParams {
            memory_kib: p.m_cost(),
            iterations: p.t_cost(),
            parallelism: p.p_cost(),
        });
        let is_argon2id = parsed.algorithm.as_str() == "argon2id";
        let needs_rehash = !is_argon2id || !current.is_some_and(|c| c.at_least(&self.params));
        Verification::Match { needs_rehash }
    }

    /// Spends the time of one verification and always fails: for a login with an e-mail
    /// that belongs to no one (ASVS 6.3.x: no user enumeration through timing).
    pub fn verify_dummy(&self, password: &str) -> Verification {
        let _ = self.verify(password, &self.dummy);
        Verification::Mismatch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters so the unit tests stay fast; the rules do not depend on cost.
    fn cheap() -> HashParams {
        HashParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        }
    }

    #[test]
    fn parameters_below_owasp_are_refused() {
        assert!(PasswordHashing::new(cheap()).is_err());
        assert!(PasswordHashing::new(HashParams::OWASP_MINIMUM).is_ok());
    }

    #[test]
    fn a_hash_is_an_argon2id_phc_string_that_verifies_only_the_same_password() {
        let h = PasswordHashing::new_unchecked(cheap()).unwrap();
        let stored = h.hash("correct horse battery staple").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
            "{stored}"
        );
        assert_eq!(
            h.verify("correct horse battery staple", &stored),
            Verification::Match {
                needs_rehash: false
            }
        );
        assert_eq!(
            h.verify("correct horse battery stapl", &stored),
            Verification::Mismatch
        );
        assert_eq!(
            h.verify("Correct horse battery staple", &stored),
            Verification::Mismatch
        );
        assert_eq!(
            h.verify("anything", "not a phc string"),
            Verification::Mismatch
        );
    }

    #[test]
    fn a_hash_with_weaker_parameters_asks_for_a_rehash() {
        let old = PasswordHashing::new_unchecked(cheap()).unwrap();
        let stored = old.hash("a password that was set long ago").unwrap();
        let stronger = PasswordHashing::new_unchecked(HashParams {
            iterations: 2,
            ..cheap()
        })
        .unwrap();
        assert_eq!(
            stronger.verify("a password that was set long ago", &stored),
            Verification::Match { needs_rehash: true }
        );
    }

    #[test]
    fn the_dummy_check_always_fails() {
        let h = PasswordHashing::new_unchecked(cheap()).unwrap();
        assert_eq!(h.verify_dummy(""), Verification::Mismatch);
    }
}
