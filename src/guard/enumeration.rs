//! Case identifiers reduced to keyed hashes, and the detection of enumeration: one user trying
//! many identifiers or near-sequential ones, or a spike of identifiers across all users.

use std::collections::{HashMap, VecDeque};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::clock::Micros;

/// A keyed hash of one case identifier: equal identifiers hash equal, nothing else is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdentifierHash {
    /// The identifier's hash.
    pub id: [u8; 16],
    /// The hash of its neighbourhood (the value divided by 16), and of the two neighbouring
    /// neighbourhoods: near-sequential identifiers share one without revealing values.
    pub near: [[u8; 16]; 3],
}

/// The server secret that keys the hashes (kept in the data dir, never logged).
#[derive(Clone)]
pub struct IdentifierKey([u8; 32]);

impl std::fmt::Debug for IdentifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentifierKey(…)")
    }
}

/// User ids that stand for a client address rather than a person (see
/// [`IdentifierKey::address`]).
pub const ADDRESS_PREFIX: &str = "addr:";

impl IdentifierKey {
    /// A key from 32 secret bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 16] {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut m =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        for p in parts {
            m.update(p);
        }
        let full = m.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }

    /// The pseudonymous user id of a client address, for limits and blocks per address: an
    /// IPv4 address whole, an IPv6 address by its /64 (one household or phone gets a /64, and
    /// rotates within it). Never reversible without the key; the address itself is kept nowhere.
    pub fn address(&self, ip: std::net::IpAddr) -> String {
        let mac = match ip {
            std::net::IpAddr::V4(v4) => self.mac(&[b"addr4:", &v4.octets()]),
            std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => self.mac(&[b"addr4:", &v4.octets()]),
                None => self.mac(&[b"addr6:", &v6.octets()[..8]]),
            },
        };
        format!("{ADDRESS_PREFIX}{}", hex::encode(&mac[..12]))
    }

    /// The hash of an identifier given as the text the redactor matched (digits are what
    /// count; separators and grouping are ignored).
    pub fn hash(&self, raw: &str) -> Option<IdentifierHash> {
        let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 6 {
            return None;
        }
        let id = self.mac(&[b"id:", digits.as_bytes()]);
        // Neighbourhoods only for numbers that fit: longer ones are never sequential guesses.
        let value: u128 = digits.parse().unwrap_or(0);
        let bucket = value / 16;
        let near = [bucket.saturating_sub(1), bucket, bucket + 1].map(|b| {
            self.mac(&[
                b"near:",
                &(digits.len() as u32).to_be_bytes(),
                &b.to_be_bytes(),
            ])
        });
        Some(IdentifierHash { id, near })
    }
}

/// Per-user and global identifier history within sliding windows (in memory; hashes only).
#[derive(Debug, Default)]
pub struct Tracker {
    users: HashMap<(String, String), VecDeque<(Micros, IdentifierHash)>>,
    global: VecDeque<(Micros, [u8; 16])>,
}

/// What one message's identifiers tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assessment {
    /// Distinct identifiers from this user within the window, including this message's.
    pub distinct: usize,
    /// A new identifier lies next to another one of this user's.
    pub sequential: bool,
    /// Distinct identifiers across all users within the global window.
    pub global_distinct: usize,
}

impl Tracker {
    /// Records a message's identifiers and assesses them.
    pub fn record(
        &mut self,
        who: (&str, &str),
        now: Micros,
        ids: &[IdentifierHash],
        user_window: Micros,
        global_window: Micros,
    ) -> Assessment {
        let key = (who.0.to_string(), who.1.to_string());
        let history = self.users.entry(key).or_default();
        while history
            .front()
            .is_some_and(|(t, _)| now.saturating_sub(*t) > user_window)
        {
            history.pop_front();
        }
        let mut sequential = false;
        for new in ids {
            for (_, old) in history.iter() {
                if old.id != new.id && new.near.contains(&old.near[1]) {
                    sequential = true;
                }
            }
            if !history.iter().any(|(_, h)| h.id == new.id) {
                history.push_back((now, *new));
            }
        }
        let distinct = history.len();
        while self
            .global
            .front()
            .is_some_and(|(t, _)| now.saturating_sub(*t) > global_window)
        {
            self.global.pop_front();
        }
        for new in ids {
            if !self.global.iter().any(|(_, h)| *h == new.id) {
                self.global.push_back((now, new.id));
            }
        }
        Assessment {
            distinct,
            sequential,
            global_distinct: self.global.len(),
        }
    }

    /// Users with an identifier history.
    pub fn users(&self) -> usize {
        self.users.len()
    }

    /// Forgets everything about one user (erasure).
    pub fn forget(&mut self, who: &(String, String)) {
        self.users.remove(who);
    }

    /// Forgets users with no identifier in the window (bounded memory).
    pub fn evict(&mut self, now: Micros, user_window: Micros) {
        self.users.retain(|_, h| {
            h.back()
                .is_some_and(|(t, _)| now.saturating_sub(*t) <= user_window)
        });
    }
}
