//! Whole numbers as JSON may write them: `3` or `3.0`. JavaScript and Python clients send either,
//! and JSON Schema's `integer` (what the OpenAPI document says) takes both; `3.5`, or a number
//! outside the field's type, is refused with the field named.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{Error, Visitor};

/// For `#[serde(default, deserialize_with = "crate::whole::option")]` on an `Option<integer>`.
pub fn option<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    d.deserialize_option(OptionVisitor(PhantomData))
}

struct OptionVisitor<T>(PhantomData<T>);

impl<'de, T: TryFrom<i64>> Visitor<'de> for OptionVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a whole number or null")
    }

    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        // Asked for as an integer: JSON readers hand a float to `visit_f64` all the same, and
        // formats that carry numbers as text (a server function's URL-encoded form) parse it.
        d.deserialize_i64(WholeVisitor(PhantomData)).map(Some)
    }
}

struct WholeVisitor<T>(PhantomData<T>);

impl<T: TryFrom<i64>> WholeVisitor<T> {
    fn fit<E: Error>(n: i64) -> Result<T, E> {
        T::try_from(n).map_err(|_| E::custom(format!("{n} is out of range")))
    }
}

impl<T: TryFrom<i64>> Visitor<'_> for WholeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a whole number")
    }

    fn visit_i64<E: Error>(self, n: i64) -> Result<T, E> {
        Self::fit(n)
    }

    fn visit_u64<E: Error>(self, n: u64) -> Result<T, E> {
        let n = i64::try_from(n).map_err(|_| E::custom(format!("{n} is out of range")))?;
        Self::fit(n)
    }

    fn visit_f64<E: Error>(self, v: f64) -> Result<T, E> {
        // Every whole f64 within ±2^63 converts exactly.
        if v.fract() != 0.0 || !(-9.2e18..=9.2e18).contains(&v) {
            return Err(E::custom(format!("{v} is not a whole number in range")));
        }
        Self::fit(v as i64)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "super::option")]
        n: Option<u32>,
    }

    fn read(json: &str) -> Result<Option<u32>, String> {
        serde_json::from_str::<T>(json)
            .map(|t| t.n)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn whole_numbers_read_as_integers_or_as_floats() {
        assert_eq!(read(r#"{"n": 3}"#), Ok(Some(3)));
        assert_eq!(read(r#"{"n": 3.0}"#), Ok(Some(3)));
        assert_eq!(read(r#"{"n": null}"#), Ok(None));
        assert_eq!(read("{}"), Ok(None));
        assert!(
            read(r#"{"n": 3.5}"#)
                .unwrap_err()
                .contains("not a whole number")
        );
        assert!(read(r#"{"n": -1}"#).unwrap_err().contains("out of range"));
        assert!(read(r#"{"n": 1e300}"#).is_err());
        assert!(read(r#"{"n": "3"}"#).is_err());
    }

    /// The web app's server functions send their arguments URL-encoded.
    #[test]
    fn a_form_carries_whole_numbers_as_text() {
        let form = |q: &str| serde_qs::from_str::<T>(q).map(|t| t.n);
        assert_eq!(form("n=7").ok(), Some(Some(7)));
        assert_eq!(form("").ok(), Some(None));
        assert!(form("n=3.5").is_err());
    }
}
