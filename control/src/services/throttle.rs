//! Slows down guessing of passwords and secrets: failed sign-ins are counted per account (a user
//! name, an application's id) and per client address. Once one of them has had [`MAX_FAILURES`]
//! failures within [`WINDOW`] of its first, every sign-in for it is refused — the right password
//! too — until the window has passed. A success clears the account's count, never the address's
//! (one's own account must not reset the count of an address that tries others'). Servers that
//! share a store count each other's failures too (`crate::peers`).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins allowed per account or address within [`WINDOW`].
pub const MAX_FAILURES: u32 = 5;
/// How long failures are remembered, from the first.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Entries kept before expired ones are swept out (a guesser who invents names must not grow the
/// map without end).
const SWEEP_ABOVE: usize = 10_000;

/// What is counted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Key {
    /// A user name or an application's id.
    Account(String),
    /// Where the request came from.
    Address(IpAddr),
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Account(name) => write!(f, "{name}"),
            Key::Address(ip) => write!(f, "address {ip}"),
        }
    }
}

/// A refused sign-in: who is locked out, and for how long yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedOut {
    pub key: Key,
    pub retry_after: Duration,
}

impl LockedOut {
    /// The wait in whole seconds, rounded up (never 0).
    pub fn retry_after_secs(&self) -> u64 {
        let d = self.retry_after;
        (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
    }
}

/// The counts.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<BTreeMap<Key, (u32, Instant)>>,
}

impl Throttle {
    /// Refuses when any of `keys` is locked out (the longest wait wins).
    pub fn check(&self, keys: &[Key], now: Instant) -> Result<(), LockedOut> {
        let Ok(failures) = self.failures.lock() else {
            return Ok(());
        };
        keys.iter()
            .filter_map(|k| {
                let &(count, since) = failures.get(k)?;
                let age = now.saturating_duration_since(since);
                (count >= MAX_FAILURES && age < WINDOW).then(|| LockedOut {
                    key: k.clone(),
                    retry_after: WINDOW - age,
                })
            })
            // The longest wait; on a tie, the first key (the account before the address).
            .min_by_key(|l| std::cmp::Reverse(l.retry_after))
            .map_or(Ok(()), Err)
    }

    /// Counts a failure against every key; says which of them it locked out.
    pub fn failed(&self, keys: &[Key], now: Instant) -> Vec<Key> {
        let Ok(mut failures) = self.failures.lock() else {
            return Vec::new();
        };
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, (_, since)| now.saturating_duration_since(*since) < WINDOW);
        }
        let mut locked = Vec::new();
        for k in keys {
            let entry = failures.entry(k.clone()).or_insert((0, now));
            if now.saturating_duration_since(entry.1) >= WINDOW {
                *entry = (0, now);
            }
            entry.0 += 1;
            if entry.0 == MAX_FAILURES {
                locked.push(k.clone());
            }
        }
        locked
    }

    /// A sign-in succeeded: the account starts afresh.
    pub fn succeeded(&self, account: &Key) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(account);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(name: &str, ip: [u8; 4]) -> Vec<Key> {
        vec![Key::Account(name.into()), Key::Address(IpAddr::from(ip))]
    }

    #[test]
    fn five_failures_lock_the_account_and_the_address_until_the_window_passes() {
        let t = Throttle::default();
        let start = Instant::now();
        for i in 0..4 {
            assert!(
                t.failed(&keys("admin", [10, 0, 0, 1]), start).is_empty(),
                "{i}"
            );
            assert!(t.check(&keys("admin", [10, 0, 0, 1]), start).is_ok());
        }
        assert_eq!(
            t.failed(&keys("admin", [10, 0, 0, 1]), start),
            keys("admin", [10, 0, 0, 1])
        );
        let later = start + Duration::from_secs(20);
        let refused = t.check(&keys("admin", [10, 0, 0, 2]), later).unwrap_err();
        assert_eq!(
            (refused.key, refused.retry_after),
            (Key::Account("admin".into()), Duration::from_secs(40))
        );
        let refused = t.check(&keys("rita", [10, 0, 0, 1]), later).unwrap_err();
        assert_eq!(refused.key, Key::Address(IpAddr::from([10, 0, 0, 1])));
        assert!(t.check(&keys("rita", [10, 0, 0, 2]), later).is_ok());
        assert!(
            t.check(&keys("admin", [10, 0, 0, 1]), start + WINDOW)
                .is_ok(),
            "the window has passed"
        );
    }

    #[test]
    fn a_success_clears_the_account_but_not_the_address() {
        let t = Throttle::default();
        let now = Instant::now();
        for name in ["a", "b", "c", "d"] {
            t.failed(&keys(name, [10, 0, 0, 9]), now);
        }
        t.succeeded(&Key::Account("mine".into()));
        t.failed(&keys("e", [10, 0, 0, 9]), now);
        assert!(t.check(&keys("mine", [10, 0, 0, 9]), now).is_err());
        for _ in 0..3 {
            t.failed(&keys("x", [10, 0, 0, 8]), now);
        }
        t.succeeded(&Key::Account("x".into()));
        for _ in 0..4 {
            t.failed(&keys("x", [10, 0, 0, 7]), now);
        }
        assert!(
            t.check(&[Key::Account("x".into())], now).is_ok(),
            "4 since the success"
        );
    }

    #[test]
    fn expired_entries_are_swept_once_there_are_many() {
        let t = Throttle::default();
        let now = Instant::now();
        for i in 0..=SWEEP_ABOVE {
            t.failed(&[Key::Account(format!("n{i}"))], now);
        }
        t.failed(&[Key::Account("last".into())], now + WINDOW);
        assert_eq!(t.failures.lock().map(|f| f.len()).unwrap_or(0), 1);
    }
}
