//! A serde encoding of `f64` values that reads back bit for bit in any
//! format, for the configuration and the monitor's snapshots
//! (`#[serde(with = "exact_float")]`).
//!
//! Binary formats (bincode, postcard) write an `f64` as its eight bytes,
//! which is exact. Text formats write a decimal that the reader parses,
//! and parsers differ: `serde_json` without its `float_roundtrip` feature
//! (the default) may read a 17-digit decimal one unit in the last place
//! off, and a Bertier estimate one unit off moves a restored peer's phi
//! and deadline. So a human-readable format gets the `f64` as a *string*:
//! the shortest decimal that denotes it, which the standard library's
//! parser (correctly rounded) reads back to the same bits, whatever the
//! format's own number parsing. Reading also accepts a plain number, as
//! written by hand or by versions of this crate that wrote numbers.

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Writes `value` in the exact encoding.
pub(crate) fn serialize<T: Exact, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    value.to_wire().serialize(s)
}

/// Reads a value written by [`serialize`] (or a plain number).
pub(crate) fn deserialize<'de, T: Exact, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    T::Wire::deserialize(d).map(T::from_wire)
}

/// A type made of `f64`s, with its exact wire form.
pub(crate) trait Exact: Sized {
    /// The same shape with [`ExactF64`] for every `f64`.
    type Wire: Serialize + DeserializeOwned;
    fn to_wire(&self) -> Self::Wire;
    fn from_wire(wire: Self::Wire) -> Self;
}

impl Exact for f64 {
    type Wire = ExactF64;
    fn to_wire(&self) -> ExactF64 {
        ExactF64(*self)
    }
    fn from_wire(wire: ExactF64) -> f64 {
        wire.0
    }
}

impl<const N: usize> Exact for [f64; N]
where
    [ExactF64; N]: Serialize + DeserializeOwned,
{
    type Wire = [ExactF64; N];
    fn to_wire(&self) -> [ExactF64; N] {
        self.map(ExactF64)
    }
    fn from_wire(wire: [ExactF64; N]) -> [f64; N] {
        wire.map(|x| x.0)
    }
}

impl<T: Exact> Exact for Vec<T> {
    type Wire = Vec<T::Wire>;
    fn to_wire(&self) -> Vec<T::Wire> {
        self.iter().map(T::to_wire).collect()
    }
    fn from_wire(wire: Vec<T::Wire>) -> Vec<T> {
        wire.into_iter().map(T::from_wire).collect()
    }
}

impl<T: Exact> Exact for Option<T> {
    type Wire = Option<T::Wire>;
    fn to_wire(&self) -> Option<T::Wire> {
        self.as_ref().map(T::to_wire)
    }
    fn from_wire(wire: Option<T::Wire>) -> Option<T> {
        wire.map(T::from_wire)
    }
}

/// One `f64` in the exact encoding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExactF64(f64);

impl Serialize for ExactF64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(&Shortest(self.0))
        } else {
            s.serialize_f64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for ExactF64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            // A self-describing format: a string, or a number.
            d.deserialize_any(ExactVisitor)
        } else {
            f64::deserialize(d).map(ExactF64)
        }
    }
}

/// The shortest decimal that denotes an `f64` (Rust's float formatting
/// without a precision), in positional notation for everyday magnitudes
/// and in scientific notation for the others, so that a threshold of
/// 10³⁰⁰ is not written with 300 zeros.
struct Shortest(f64);

impl fmt::Display for Shortest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let magnitude = self.0.abs();
        if magnitude == 0.0 || (1e-5..1e16).contains(&magnitude) || !magnitude.is_finite() {
            write!(f, "{}", self.0)
        } else {
            write!(f, "{:e}", self.0)
        }
    }
}

struct ExactVisitor;

impl Visitor<'_> for ExactVisitor {
    type Value = ExactF64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or a decimal number in a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<ExactF64, E> {
        v.parse()
            .map(ExactF64)
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ExactF64, E> {
        Ok(ExactF64(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ExactF64, E> {
        Ok(ExactF64(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ExactF64, E> {
        Ok(ExactF64(v as f64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Fields {
        #[serde(with = "super")]
        x: f64,
        #[serde(with = "super")]
        xs: Vec<f64>,
        #[serde(with = "super")]
        pair: Option<[f64; 2]>,
    }

    #[test]
    fn every_kind_of_f64_reads_back_to_the_same_bits() {
        // Values whose 17-digit decimals a fast parser may misread, the
        // extremes, and the notations' boundaries.
        let values = [
            0.0,
            -0.0,
            2.0 / 3.0,
            0.1,
            670.161_972_204_660_5,
            -1_234.567_890_123_456_7,
            f64::MIN_POSITIVE,
            5e-324,
            1e-5,
            // Just below 10¹⁶, where the notation changes.
            f64::from_bits(1e16f64.to_bits() - 1),
            1e16,
            1e300,
            f64::MAX,
            f64::MIN,
        ];
        for &x in &values {
            let f = Fields {
                x,
                xs: vec![x, -x],
                pair: Some([x, 1.0 / 3.0]),
            };
            let json = serde_json::to_string(&f).unwrap();
            let back: Fields = serde_json::from_str(&json).unwrap();
            assert_eq!(back.x.to_bits(), x.to_bits(), "{json}");
            assert_eq!(back, f, "{json}");
        }
        let json = serde_json::to_string(&Fields {
            x: 1e300,
            xs: vec![],
            pair: None,
        })
        .unwrap();
        assert_eq!(json, r#"{"x":"1e300","xs":[],"pair":null}"#);
    }

    #[test]
    fn plain_numbers_are_read_too() {
        let f: Fields = serde_json::from_str(r#"{"x":8,"xs":[-1,0.5],"pair":[1e3,"2"]}"#).unwrap();
        assert_eq!(
            f,
            Fields {
                x: 8.0,
                xs: vec![-1.0, 0.5],
                pair: Some([1000.0, 2.0]),
            }
        );
        let err = serde_json::from_str::<Fields>(r#"{"x":"eight","xs":[],"pair":null}"#);
        assert!(err.unwrap_err().to_string().contains("eight"));
    }
}
