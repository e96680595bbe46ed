//! Signatures of outgoing webhooks (security alerts, SMS gateways): HMAC-SHA256 over the
//! timestamp and the body, sent as `Skjold-Signature: t=<unix seconds>,v1=<hex>`. The
//! receiver recomputes it with the shared secret and refuses a stale timestamp, so a
//! captured request can neither be altered nor replayed later.

use crate::mac::hmac_sha256;

/// The value of the `Skjold-Signature` header for `body` sent at `timestamp`.
pub fn sign_webhook(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = hmac_sha256(secret, &[timestamp.to_string().as_bytes(), b".", body]);
    format!("t={timestamp},v1={}", skjold_domain::hex(&digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_covers_the_time_the_body_and_the_secret() {
        let signed = sign_webhook(b"secret", 1_800_000_000, b"{\"event\":\"x\"}");
        assert!(signed.starts_with("t=1800000000,v1="), "{signed}");
        assert_eq!(signed.len(), "t=1800000000,v1=".len() + 64);
        assert_ne!(
            signed,
            sign_webhook(b"secret", 1_800_000_001, b"{\"event\":\"x\"}")
        );
        assert_ne!(
            signed,
            sign_webhook(b"secret", 1_800_000_000, b"{\"event\":\"y\"}")
        );
        assert_ne!(
            signed,
            sign_webhook(b"other", 1_800_000_000, b"{\"event\":\"x\"}")
        );
    }
}
