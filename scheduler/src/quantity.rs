//! GPU amounts in thousandths of a device, so that fractions add up exactly.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub, SubAssign};

use serde::{Deserialize, Serialize};

/// An amount of GPU, in thousandths of one device (1000 = one whole GPU).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct MilliGpus(pub i64);

impl MilliGpus {
    /// Nothing.
    pub const ZERO: MilliGpus = MilliGpus(0);
    /// One whole device.
    pub const ONE: MilliGpus = MilliGpus(1000);

    /// `n` whole devices.
    pub const fn whole(n: i64) -> Self {
        MilliGpus(n * 1000)
    }

    /// The amount as a (possibly fractional) number of GPUs.
    pub fn as_gpus(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// The largest whole number of GPUs not above this amount.
    pub fn floor_whole(self) -> Self {
        MilliGpus(self.0.div_euclid(1000) * 1000)
    }

    /// `self / other` as a ratio; infinite when `other` is zero and `self` is not.
    pub fn ratio(self, other: MilliGpus) -> f64 {
        if other.0 == 0 {
            if self.0 == 0 { 0.0 } else { f64::INFINITY }
        } else {
            self.0 as f64 / other.0 as f64
        }
    }

    /// Never below zero.
    pub fn clamp_non_negative(self) -> Self {
        MilliGpus(self.0.max(0))
    }
}

impl Add for MilliGpus {
    type Output = MilliGpus;
    fn add(self, rhs: Self) -> Self {
        MilliGpus(self.0 + rhs.0)
    }
}

impl Sub for MilliGpus {
    type Output = MilliGpus;
    fn sub(self, rhs: Self) -> Self {
        MilliGpus(self.0 - rhs.0)
    }
}

impl AddAssign for MilliGpus {
    fn add_assign(&mut self, rhs: Self) {
        self.0 += rhs.0;
    }
}

impl SubAssign for MilliGpus {
    fn sub_assign(&mut self, rhs: Self) {
        self.0 -= rhs.0;
    }
}

impl Sum for MilliGpus {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(MilliGpus::ZERO, Add::add)
    }
}

/// Whole numbers print bare ("2 GPUs"), fractions with up to three decimals ("0.5 GPU").
impl fmt::Display for MilliGpus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = if self.0 == 1000 || (self.0 > 0 && self.0 < 1000) {
            "GPU"
        } else {
            "GPUs"
        };
        if self.0 % 1000 == 0 {
            write!(f, "{} {unit}", self.0 / 1000)
        } else {
            let s = format!("{:.3}", self.as_gpus());
            let s = s.trim_end_matches('0');
            write!(f, "{s} {unit}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_and_fractional_amounts_print_as_people_write_them() {
        assert_eq!(MilliGpus::whole(2).to_string(), "2 GPUs");
        assert_eq!(MilliGpus::whole(1).to_string(), "1 GPU");
        assert_eq!(MilliGpus(500).to_string(), "0.5 GPU");
        assert_eq!(MilliGpus(2250).to_string(), "2.25 GPUs");
        assert_eq!(MilliGpus::ZERO.to_string(), "0 GPUs");
    }

    #[test]
    fn floor_keeps_whole_devices_only() {
        assert_eq!(MilliGpus(2999).floor_whole(), MilliGpus::whole(2));
        assert_eq!(MilliGpus(1000).floor_whole(), MilliGpus::whole(1));
    }
}
