//! Time partitions: one tree of records and one of their subject-index entries per calendar
//! month (UTC) and record class, so that retention drops whole months (page frees, whatever the
//! month holds) and range-deletes only the month the cutoff falls in.
//!
//! Tree names: `transcript@2026-11` (record key → JSON) and `transcript.by_subject@2026-11`
//! (subject hash ‖ tag ‖ record key → ()); likewise for `feedback`.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use kanava_store::calendar::{civil_from_days, days_from_civil};
use kanava_store::{Micros, StoreError};

use crate::db_error;

/// A calendar month as `year * 12 + month - 1`: consecutive months are consecutive numbers.
pub(crate) type Month = i64;

const DAY: i64 = 86_400_000_000;

/// The month (UTC) a time falls in.
pub(crate) fn month_of(at: Micros) -> Month {
    let days = (at / DAY as u64) as i64;
    let (y, m, _) = civil_from_days(days);
    y * 12 + m - 1
}

/// The first microsecond of a month.
pub(crate) fn month_start(month: Month) -> Micros {
    let (y, m) = (month.div_euclid(12), month.rem_euclid(12) + 1);
    (days_from_civil(y, m, 1).max(0) * DAY) as Micros
}

fn label(month: Month) -> String {
    format!(
        "{:04}-{:02}",
        month.div_euclid(12),
        month.rem_euclid(12) + 1
    )
}

fn parse_label(s: &str) -> Option<Month> {
    let (y, m) = s.split_once('-')?;
    let (y, m): (i64, i64) = (y.parse().ok()?, m.parse().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

/// One month of one class.
#[derive(Debug, Clone)]
pub(crate) struct Partition {
    pub(crate) records: sled::Tree,
    pub(crate) index: sled::Tree,
}

/// The months of one record class.
#[derive(Debug, Clone)]
pub(crate) struct Partitioned {
    db: sled::Db,
    class: &'static str,
    // Every use of a partition's trees holds this lock (read), and dropping one holds it
    // (write): a dropped sled tree must never be used through a handle taken before the drop.
    months: Arc<RwLock<BTreeMap<Month, Partition>>>,
}

/// The months, while the lock is held.
pub(crate) type Months = BTreeMap<Month, Partition>;

impl Partitioned {
    /// The class's months that exist in `db`.
    pub(crate) fn open(db: &sled::Db, class: &'static str) -> Result<Self, StoreError> {
        let prefix = format!("{class}@");
        let mut months = BTreeMap::new();
        for name in db.tree_names() {
            let Some(month) = std::str::from_utf8(&name)
                .ok()
                .and_then(|n| n.strip_prefix(&prefix))
                .and_then(parse_label)
            else {
                continue;
            };
            months.insert(month, open_month(db, class, month)?);
        }
        Ok(Self {
            db: db.clone(),
            class,
            months: Arc::new(RwLock::new(months)),
        })
    }

    /// Runs `f` on the months, after creating those in `needed` that do not exist yet.
    pub(crate) fn with<T>(
        &self,
        needed: &[Month],
        f: impl FnOnce(&Months) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        loop {
            {
                let months = self.months.read().map_err(|_| poisoned())?;
                if needed.iter().all(|m| months.contains_key(m)) {
                    return f(&months);
                }
            }
            let mut months = self.months.write().map_err(|_| poisoned())?;
            for &m in needed {
                if let std::collections::btree_map::Entry::Vacant(e) = months.entry(m) {
                    e.insert(open_month(&self.db, self.class, m)?);
                }
            }
        }
    }

    /// Drops a whole month; returns how many records it held.
    pub(crate) fn drop_month(&self, month: Month) -> Result<u64, StoreError> {
        // Counting is a scan: done before the write lock, which is held only to take the month
        // out of the map. Every use of a partition holds the read lock, so once the write lock
        // is granted and the month removed, no handle to it is in use and none can be taken:
        // the trees are dropped without blocking anyone.
        let held = self.with(&[], |months| {
            Ok(months.get(&month).map_or(0, |p| p.records.len() as u64))
        })?;
        let removed = self.months.write().map_err(|_| poisoned())?.remove(&month);
        let Some(partition) = removed else {
            return Ok(0);
        };
        drop(partition);
        self.db
            .drop_tree(name(self.class, "", month))
            .map_err(db_error)?;
        self.db
            .drop_tree(name(self.class, ".by_subject", month))
            .map_err(db_error)?;
        Ok(held)
    }
}

fn name(class: &str, kind: &str, month: Month) -> String {
    format!("{class}{kind}@{}", label(month))
}

fn open_month(db: &sled::Db, class: &str, month: Month) -> Result<Partition, StoreError> {
    Ok(Partition {
        records: db.open_tree(name(class, "", month)).map_err(db_error)?,
        index: db
            .open_tree(name(class, ".by_subject", month))
            .map_err(db_error)?,
    })
}

fn poisoned() -> StoreError {
    StoreError::Backend("a partition lock was poisoned by a panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_follow_the_calendar() {
        // 2025-01-01, 2025-02-01, 2024-02-29 (leap day), 1970-01-01, 2000-03-01 00:00 UTC.
        let cases = [
            (1_735_689_600, "2025-01"),
            (1_738_368_000, "2025-02"),
            (1_738_367_999, "2025-01"),
            (1_709_164_800, "2024-02"),
            (0, "1970-01"),
            (951_868_800, "2000-03"),
        ];
        for (secs, expect) in cases {
            let m = month_of(secs * 1_000_000);
            assert_eq!(label(m), expect, "{secs}");
            assert_eq!(parse_label(expect), Some(m));
            assert!(month_start(m) <= secs * 1_000_000);
            assert!(month_start(m + 1) > secs * 1_000_000);
            assert_eq!(month_of(month_start(m)), m);
        }
        assert_eq!(
            month_start(month_of(1_738_368_000_000_000)),
            1_738_368_000_000_000
        );
        assert_eq!(parse_label("2025-13"), None);
        assert_eq!(parse_label("x"), None);
    }
}
