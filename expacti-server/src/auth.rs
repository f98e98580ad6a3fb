//! Tokens and passwords. A token is `PREFIX_ID_SECRET`: the id finds the row, the secret's
//! SHA-256 is stored and compared in constant time. Tokens are shown once, at creation.
//! Reviewer passwords are hashed with argon2.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use expacti_core::audit::{hex, sha256_hex};
use subtle::ConstantTimeEq;

use crate::error::{AppError, Result};

/// Prefix of shell tokens.
pub const SHELL_PREFIX: &str = "exs";
/// Prefix of reviewer API tokens.
pub const API_PREFIX: &str = "exr";

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(b)
}

/// A random id (16 hex digits).
pub fn new_id() -> Result<String> {
    Ok(hex(&random_bytes::<8>()?))
}

/// A new token: (id, the token text to show once, the hash to store).
pub fn new_token(prefix: &str) -> Result<(String, String, String)> {
    let id = new_id()?;
    let secret = hex(&random_bytes::<32>()?);
    let hash = sha256_hex(secret.as_bytes());
    Ok((id.clone(), format!("{prefix}_{id}_{secret}"), hash))
}

/// Splits a presented token into (id, secret) when it has the right prefix and shape.
pub fn split_token<'a>(prefix: &str, token: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = token.strip_prefix(prefix)?.strip_prefix('_')?;
    let (id, secret) = rest.split_once('_')?;
    (id.len() == 16 && secret.len() == 64).then_some((id, secret))
}

/// Whether `secret` hashes to `stored`, compared in constant time.
pub fn secret_matches(secret: &str, stored: &str) -> bool {
    let h = sha256_hex(secret.as_bytes());
    h.as_bytes().ct_eq(stored.as_bytes()).into()
}

/// The bearer token of an `Authorization` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let h = header?;
    let (scheme, tok) = h.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| tok.trim())
}

/// An argon2 hash of a password.
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Whether a password matches an argon2 hash.
pub fn password_matches(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_and_match() {
        let (id, tok, hash) = new_token(SHELL_PREFIX).unwrap();
        let (i, s) = split_token(SHELL_PREFIX, &tok).unwrap();
        assert_eq!(i, id);
        assert!(secret_matches(s, &hash));
        assert!(!secret_matches("x", &hash));
        assert!(split_token(API_PREFIX, &tok).is_none());
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        let p = hash_password("pw").unwrap();
        assert!(password_matches("pw", &p) && !password_matches("pw2", &p));
    }
}
