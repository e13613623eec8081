//! Who acts: a staff member's personal id and role, and what each role may do. Least
//! privilege: a moderator cannot read a person's data, a data-protection officer cannot block.

use serde::{Deserialize, Serialize};

/// A staff role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including retention runs. The command line on the server acts as one
    /// (it reaches the owner-only control socket, so it is the service's operator).
    Admin,
    /// Blocks, appeals, lockdowns; reads the audit log and statistics.
    Moderator,
    /// Data-subject rights (export, erasure, restriction) and retention; reads the audit log
    /// and statistics.
    DataProtection,
}

/// What an operation needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Block, unblock, decide appeals, lift lockdowns.
    Moderate,
    /// Read and verify the audit log.
    ReadAudit,
    /// Export, erase or restrict one person's data.
    SubjectRights,
    /// Run the retention purge.
    Retention,
    /// Read counts of stored records.
    Statistics,
}

impl Role {
    /// Whether the role grants `permission`.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Moderator => matches!(permission, Moderate | ReadAudit | Statistics),
            Role::DataProtection => {
                matches!(
                    permission,
                    SubjectRights | Retention | ReadAudit | Statistics
                )
            }
        }
    }
}

/// Why an actor is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActorError {
    /// The personal id is empty, too long or has characters other than letters, digits and
    /// `.`, `_`, `-`, `@`.
    #[error("staff id {0:?} is not valid: use 1 to 64 letters, digits, '.', '_', '-' or '@' (your personal id, as in the staff register)")]
    InvalidId(String),
    /// The id is one the audit log uses for non-staff actors.
    #[error("staff id {0:?} is reserved for kanava's own records; use your personal id")]
    Reserved(String),
}

/// A staff member acting: their personal id (kept in the audit log) and role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    id: String,
    role: Role,
}

impl Actor {
    /// An actor, if `id` is a valid personal id.
    pub fn new(id: &str, role: Role) -> Result<Self, ActorError> {
        let valid = (1..=64).contains(&id.chars().count())
            && id
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
        if !valid {
            return Err(ActorError::InvalidId(id.to_string()));
        }
        if matches!(id, "system" | "user" | "staff") {
            return Err(ActorError::Reserved(id.to_string()));
        }
        Ok(Self {
            id: id.to_string(),
            role,
        })
    }

    /// The personal id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }
}

// An actor read from the control socket is validated like any other.
impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            id: String,
            role: Role,
        }
        let raw = Raw::deserialize(d)?;
        Actor::new(&raw.id, raw.role).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_grant_least_privilege() {
        assert!(Role::Moderator.allows(Permission::Moderate));
        assert!(!Role::Moderator.allows(Permission::SubjectRights));
        assert!(!Role::Moderator.allows(Permission::Retention));
        assert!(Role::DataProtection.allows(Permission::SubjectRights));
        assert!(!Role::DataProtection.allows(Permission::Moderate));
        assert!(Role::Admin.allows(Permission::Retention));
    }

    #[test]
    fn personal_ids_are_checked() {
        assert!(Actor::new("mod-anna", Role::Moderator).is_ok());
        assert!(Actor::new("eva.k@migri", Role::DataProtection).is_ok());
        for bad in ["", "two words", "a;b", &"x".repeat(65)] {
            assert!(matches!(
                Actor::new(bad, Role::Admin),
                Err(ActorError::InvalidId(_))
            ));
        }
        assert!(matches!(
            Actor::new("system", Role::Admin),
            Err(ActorError::Reserved(_))
        ));
        let parsed: Result<Actor, _> = serde_json::from_str(r#"{"id":"a b","role":"admin"}"#);
        assert!(parsed.is_err());
    }
}
