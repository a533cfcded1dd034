//! The wall clock, in one place, as Unix milliseconds.

/// Now, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Milliseconds since the epoch as RFC 3339.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// Whole seconds from an RFC 3339 instant until now (0 when it lies ahead).
pub fn seconds_since(at: &str) -> Option<u64> {
    let t = chrono::DateTime::parse_from_rfc3339(at).ok()?;
    u64::try_from((now_ms() - t.timestamp_millis()).max(0) / 1000).ok()
}
