//! API keys: each bound to a party and a role, kept in the `keys` tree under
//! the SHA-256 of the key, so the store never holds a usable key. A key is
//! shown once, when it is created.

use super::Store;
use crate::error::{Error, Result};
use crate::model::{Kind, ValidationError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// Every key starts with this, so a leaked one is easy to recognise.
pub const KEY_PREFIX: &str = "dj_";
/// Longest party name, in characters.
const MAX_PARTY_CHARS: usize = 200;

/// What a key's holder may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A small or medium enterprise: posts needs and supplier profiles.
    Sme,
    /// A university or institute: posts achievements.
    University,
    /// A chain-leader enterprise: posts supplier requests.
    Enterprise,
    /// The platform operator: edits profiles, reads gaps, moderates documents.
    Operator,
}

impl Role {
    /// All roles.
    pub const ALL: [Role; 4] = [
        Role::Sme,
        Role::University,
        Role::Enterprise,
        Role::Operator,
    ];

    /// ASCII name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Sme => "sme",
            Role::University => "university",
            Role::Enterprise => "enterprise",
            Role::Operator => "operator",
        }
    }

    /// True when the role may create documents of `kind`.
    pub fn may_post(self, kind: Kind) -> bool {
        match self {
            Role::Sme => matches!(kind, Kind::Need | Kind::Supplier),
            Role::University => kind == Kind::Achievement,
            Role::Enterprise => kind == Kind::Request,
            Role::Operator => true,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ValidationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                ValidationError::new(
                    "role",
                    format!("`{s}` is not sme, university, enterprise or operator"),
                )
            })
    }
}

/// The holder of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// Party the key acts for (it becomes the `owner` of what it posts).
    pub party: String,
    /// Its role.
    pub role: Role,
    /// When the key was created.
    pub created_at: DateTime<Utc>,
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

impl Store {
    /// Creates a key for `party` with `role`, stores its hash durably, and
    /// returns the key itself (the only time it is available).
    pub fn add_key(&self, party: &str, role: Role) -> Result<String> {
        let party = party.trim();
        if party.is_empty() || party.chars().count() > MAX_PARTY_CHARS {
            return Err(ValidationError::new("party", "must be 1–200 characters").into());
        }
        if party.chars().any(char::is_control) {
            return Err(
                ValidationError::new("party", "must not contain control characters").into(),
            );
        }
        let key = format!("{KEY_PREFIX}{}", hex::encode(rand::random::<[u8; 32]>()));
        let holder = ApiKey {
            party: party.to_string(),
            role,
            created_at: Utc::now(),
        };
        let bytes = serde_json::to_vec(&holder).map_err(|e| Error::Internal(e.to_string()))?;
        self.keys.insert(digest(&key), bytes)?;
        self.db.flush()?;
        Ok(key)
    }

    /// The holder of a key, or `None` for an unknown key.
    pub fn key_holder(&self, key: &str) -> Result<Option<ApiKey>> {
        self.keys
            .get(digest(key))?
            .map(|v| {
                serde_json::from_slice(&v).map_err(|e| {
                    Error::Corrupt(format!("an API key record cannot be decoded: {e}"))
                })
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stored_hashed_and_resolve_to_their_holder() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let key = store.add_key("贵州省技术市场", Role::Operator).unwrap();
        assert!(key.starts_with(KEY_PREFIX));
        let holder = store.key_holder(&key).unwrap().unwrap();
        assert_eq!(holder.party, "贵州省技术市场");
        assert_eq!(holder.role, Role::Operator);
        assert!(store.key_holder("dj_nope").unwrap().is_none());
        assert!(store.keys.get(key.as_bytes()).unwrap().is_none());
        assert!(store.add_key("  ", Role::Sme).is_err());
    }

    #[test]
    fn roles_post_their_kinds_only() {
        assert!(Role::Sme.may_post(Kind::Need) && Role::Sme.may_post(Kind::Supplier));
        assert!(!Role::University.may_post(Kind::Request));
        assert!(Role::Enterprise.may_post(Kind::Request));
        assert_eq!("operator".parse::<Role>().unwrap(), Role::Operator);
        assert_eq!("boss".parse::<Role>().unwrap_err().field, "role");
    }
}
