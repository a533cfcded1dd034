//! How numbers, times and durations read on the pages.

/// A duration in its two largest units, as the scheduler's reasons word it: `45 s`, `3 m 12 s`,
/// `2 h 5 m`, `3 d 4 h`.
pub use rota_api::span as duration;

/// An RFC 3339 instant as `2026-11-30 02:08:15` (UTC).
pub fn when(rfc3339: &str) -> String {
    let t = rfc3339.replacen('T', " ", 1);
    match t.find(['.', 'Z', '+']) {
        Some(end) if end > 10 => t[..end].to_owned(),
        _ => t,
    }
}

/// GPUs with two decimals.
pub fn gpus(n: f64) -> String {
    format!("{n:.2}")
}

/// A query-string value, percent-encoded.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_their_two_largest_units() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(59), "59 s");
        assert_eq!(duration(192), "3 m 12 s");
        assert_eq!(duration(7500), "2 h 5 m");
        assert_eq!(duration(3 * 86_400 + 4 * 3600 + 5), "3 d 4 h");
    }

    #[test]
    fn instants_read_without_their_fraction_and_zone() {
        assert_eq!(when("2026-11-30T02:08:15.123Z"), "2026-11-30 02:08:15");
        assert_eq!(when("2026-11-30T02:08:15Z"), "2026-11-30 02:08:15");
        assert_eq!(when("garbage"), "garbage");
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("team-a"), "team-a");
        assert_eq!(encode("a b&c=d"), "a%20b%26c%3Dd");
    }
}
