//! Random ids for records that must not be guessable or linkable: 128 bits, in hex.

/// 16 random bytes as 32 lower-case hex digits.
pub fn new_record_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(skjold_domain::hex(&bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_32_hex_digits_and_differ() {
        let (a, b) = (
            super::new_record_id().unwrap(),
            super::new_record_id().unwrap(),
        );
        assert_eq!(a.len(), 32);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(a, b);
    }
}
