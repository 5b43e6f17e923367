//! How evidence photos are named: by the lower-case hex SHA-256 of the stored file.
//! Records refer to photos by this name only; device and server check it the same way.

/// Whether `s` is a lower-case hex SHA-256.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lower_case_hex_of_the_right_length_names_a_photo() {
        let good = "ab".repeat(32);
        assert!(is_sha256_hex(&good));
        assert!(!is_sha256_hex(&good.to_uppercase()));
        assert!(!is_sha256_hex(&good[..63]));
        assert!(!is_sha256_hex(&format!("{}g", &good[..63])));
    }
}
