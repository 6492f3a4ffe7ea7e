//! Users: people, in the same identifier space as clients. Passwords are argon2id (a person
//! chose them), written by the API and never returned.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::identifiers::enforce_username;
use crate::storage::users::UserRow;

/// A user as the API shows it (never the password or its hash).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct User {
    /// Internal id (UUID).
    pub id: String,
    /// Login name: the principal identifier.
    pub username: String,
    /// Name shown to people.
    pub display_name: String,
    /// Contact address.
    pub email: Option<String>,
    /// Disabled users are refused.
    pub active: bool,
    /// Whether a password is set.
    pub has_password: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Its organization's id (fixed at creation).
    pub org_id: String,
}

impl From<&UserRow> for User {
    fn from(r: &UserRow) -> Self {
        User {
            id: r.id.clone(),
            username: r.username.clone(),
            display_name: r.display_name.clone(),
            email: r.email.clone(),
            active: r.active,
            has_password: r.password_hash.is_some(),
            created_at: DateTime::from_naive_utc_and_offset(r.created_at, Utc),
            updated_at: DateTime::from_naive_utc_and_offset(r.updated_at, Utc),
            org_id: r.org_id.clone(),
        }
    }
}

/// Checks a user row's rules; returns each broken one. The username must be a valid RFC 8265
/// username; creating a user stores its enforced form ([`enforce_username`]).
pub fn validate(row: &UserRow) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if let Err(problem) = enforce_username(&row.username) {
        problems.push(problem);
    }
    if row.display_name.chars().count() > 200 {
        problems.push("display_name is longer than 200 characters".to_string());
    }
    if let Some(email) = &row.email {
        let ok = email.len() <= 254
            && email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
            && !email.chars().any(char::is_whitespace);
        if !ok {
            problems.push("email is not an address".to_string());
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Minimum password length (NIST SP 800-63B: at least 8; we ask for 12).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Hashes a password with argon2id (default parameters: m=19 MiB, t=2, p=1, OWASP's).
/// The salt comes from ring's random generator, our one source of randomness.
pub fn hash_password(password: &str) -> Result<String, Vec<String>> {
    let chars = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=1024).contains(&chars) {
        return Err(vec![format!(
            "password must be {MIN_PASSWORD_CHARS} to 1024 characters"
        )]);
    }
    let mut salt = [0u8; 16];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut salt)
        .map_err(|_| vec!["no randomness for the salt".to_string()])?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| vec![e.to_string()])?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| vec![e.to_string()])
}

/// Checks a password against a stored argon2id hash (for the login flow to come).
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(hash_password("short").is_err());
    }
}
