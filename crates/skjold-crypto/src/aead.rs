//! The one AEAD construction every sealed value uses: XChaCha20-Poly1305 with a fresh
//! random 192-bit nonce per message, stored as `nonce || ciphertext || tag`. A random
//! nonce of that size never repeats in practice, so no counter has to survive restarts.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

const NONCE_LEN: usize = 24;

/// Sealing or opening failed; deliberately without detail, so a failure tells an
/// attacker nothing about why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SealError;

pub(crate) fn seal(
    aead: &XChaCha20Poly1305,
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|_| SealError)?;
    let nonce = XNonce::from(nonce);
    let ciphertext = aead
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| SealError)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

pub(crate) fn open(
    aead: &XChaCha20Poly1305,
    sealed: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if sealed.len() < NONCE_LEN {
        return Err(SealError);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce = XNonce::try_from(nonce).map_err(|_| SealError)?;
    aead.decrypt(
        &nonce,
        Payload {
            msg: ciphertext,
            aad,
        },
    )
    .map(Zeroizing::new)
    .map_err(|_| SealError)
}
