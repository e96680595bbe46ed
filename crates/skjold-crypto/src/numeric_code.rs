//! Short numeric one-time codes, for text messages (C13): six digits from the operating
//! system's CSPRNG, uniformly distributed (ASVS 6.5.3, 6.5.4: about 20 bits).

use secrecy::SecretString;

/// Six random digits. Draws past the last whole million are drawn again, so every code
/// is equally likely.
pub fn new_numeric_code() -> Result<SecretString, getrandom::Error> {
    loop {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes)?;
        let n = u32::from_le_bytes(bytes);
        if n < u32::MAX - u32::MAX % 1_000_000 {
            return Ok(SecretString::from(format!("{:06}", n % 1_000_000)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn codes_are_six_digits_and_differ() {
        let many: std::collections::HashSet<String> = (0..50)
            .map(|_| new_numeric_code().unwrap().expose_secret().to_owned())
            .collect();
        assert!(many.len() > 45, "random: {}", many.len());
        for code in &many {
            assert!(
                code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()),
                "{code}"
            );
        }
    }
}
