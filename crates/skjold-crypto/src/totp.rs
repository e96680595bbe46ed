//! Time-based one-time passwords for the second step (C13, RFC 6238): HMAC-SHA-1, 30 s
//! steps, 6 digits, one step of clock skew either way; what every authenticator app
//! understands. The caller refuses a step already used (ASVS 6.5.1), with the step that
//! [`TotpSecret::verify`] returns.

use secrecy::{ExposeSecret, SecretBox, SecretString};
use totp_rs::{Builder, Secret, Totp};

/// 160 bits, as RFC 4226 recommends.
const SECRET_LEN: usize = 20;

/// The shared secret of one user's authenticator. `Debug` shows nothing of it.
pub struct TotpSecret(SecretBox<[u8; SECRET_LEN]>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

/// Why a TOTP secret could not be made or read back. Without detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the TOTP secret is unusable")]
pub struct TotpError;

impl TotpSecret {
    /// A new secret from the operating system's CSPRNG.
    pub fn generate() -> Result<TotpSecret, getrandom::Error> {
        let mut bytes = SecretBox::new(Box::new([0u8; SECRET_LEN]));
        getrandom::fill(secrecy::ExposeSecretMut::expose_secret_mut(&mut bytes))?;
        Ok(TotpSecret(bytes))
    }

    /// The secret in base32 (RFC 4648, no padding): what an app takes when typed in, and
    /// the form it is stored (sealed) in.
    pub fn to_base32(&self) -> SecretString {
        SecretString::from(base32::encode(
            base32::Alphabet::Rfc4648 { padding: false },
            self.0.expose_secret(),
        ))
    }

    /// Reads back what [`TotpSecret::to_base32`] wrote.
    pub fn from_base32(text: &str) -> Result<TotpSecret, TotpError> {
        let bytes = zeroize::Zeroizing::new(
            base32::decode(base32::Alphabet::Rfc4648 { padding: false }, text).ok_or(TotpError)?,
        );
        let array: [u8; SECRET_LEN] = bytes.as_slice().try_into().map_err(|_| TotpError)?;
        Ok(TotpSecret(SecretBox::new(Box::new(array))))
    }

    fn totp(&self, issuer: &str, account: &str) -> Result<Totp, TotpError> {
        Builder::new()
            .with_secret(Secret::new_stack(*self.0.expose_secret()))
            .with_issuer(Some(issuer.replace(':', " ")))
            .with_account_name(account.replace(':', " "))
            .build()
            .map_err(|_| TotpError)
    }

    /// The `otpauth://totp/…` URI an authenticator app scans (as a QR code) to add this
    /// secret, labelled with `issuer` and the user's `account` name.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Result<SecretString, TotpError> {
        let uri = self
            .totp(issuer, account)?
            .to_url()
            .map_err(|_| TotpError)?;
        Ok(SecretString::from(uri))
    }

    /// The time step (Unix time / 30) for which `code` is right at `unix_time`, allowing
    /// one step either way; `None` for a wrong code.
    pub fn verify(&self, code: &str, unix_time: u64) -> Option<u64> {
        self.totp("skjold", "user").ok()?.check(code, unix_time)
    }

    /// The code for `unix_time`, for tests of the callers.
    pub fn code_at(&self, unix_time: u64) -> Result<String, TotpError> {
        Ok(self.totp("skjold", "user")?.generate(unix_time).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1, secret "12345678901234567890", truncated to 6 digits.
    #[test]
    fn the_rfc_6238_test_vectors_hold() {
        let secret = TotpSecret(SecretBox::new(Box::new(*b"12345678901234567890")));
        for (time, code) in [
            (59, "287082"),
            (1111111109, "081804"),
            (1234567890, "005924"),
        ] {
            assert_eq!(secret.code_at(time).unwrap(), code);
            assert_eq!(secret.verify(code, time), Some(time / 30));
        }
    }

    #[test]
    fn one_step_of_skew_is_accepted_and_no_more() {
        let secret = TotpSecret::generate().unwrap();
        let now = 1_800_000_000;
        let code = secret.code_at(now).unwrap();
        assert_eq!(secret.verify(&code, now + 30), Some(now / 30));
        assert_eq!(secret.verify(&code, now - 30), Some(now / 30));
        assert_eq!(secret.verify(&code, now + 60), None);
        assert_eq!(secret.verify("12345", now), None);
        assert_eq!(secret.verify("abcdef", now), None);
    }

    #[test]
    fn the_secret_survives_base32_and_the_uri_carries_it() {
        let secret = TotpSecret::generate().unwrap();
        let text = secret.to_base32();
        assert_eq!(text.expose_secret().len(), 32);
        let back = TotpSecret::from_base32(text.expose_secret()).unwrap();
        assert_eq!(back.code_at(0).unwrap(), secret.code_at(0).unwrap());
        let uri = secret.otpauth_uri("Skjold", "ola@example.com").unwrap();
        let uri = uri.expose_secret();
        assert!(
            uri.starts_with("otpauth://totp/Skjold:ola%40example.com?"),
            "{uri}"
        );
        assert!(
            uri.contains(&format!("secret={}", text.expose_secret())),
            "{uri}"
        );
        assert!(!format!("{secret:?}").contains(text.expose_secret()));
        assert!(TotpSecret::from_base32("short").is_err());
    }
}
