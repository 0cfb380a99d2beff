//! Units of the inventory: byte sizes, fractions, durations and rates.
//!
//! Every quantity is parsed from text into an exact integer (bytes, millionths,
//! seconds) so that capacity arithmetic is deterministic and never depends on
//! floating-point rounding. Parsing returns a message in plain words; the caller
//! adds where the value was found.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A number of bytes.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Bytes(pub u64);

impl Bytes {
    /// Zero bytes.
    pub const ZERO: Bytes = Bytes(0);

    /// Parses a size: an integer number of bytes, or a number followed by a unit
    /// (B, KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024),
    /// rounded down to whole bytes.
    pub fn parse(text: &str) -> Result<Bytes, String> {
        let text = text.trim();
        let (number, unit) = split_number(text);
        let multiplier: u64 = match unit.trim() {
            "" | "B" => 1,
            "KB" | "kB" => 1_000,
            "MB" => 1_000_000,
            "GB" => 1_000_000_000,
            "TB" => 1_000_000_000_000,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            "TiB" => 1 << 40,
            other => {
                return Err(format!(
                    "`{text}` is not a size: unknown unit `{other}` (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)"
                ));
            }
        };
        let value = Decimal::parse(number).map_err(|e| e.describe(text, "size"))?;
        value
            .scale_floor(multiplier as u128, 1)
            .and_then(|v| u64::try_from(v).ok())
            .map(Bytes)
            .ok_or_else(|| format!("`{text}` is too large a size"))
    }

    /// The size times (1 + `fraction`), rounded up to a byte.
    pub fn with_overhead(self, overhead: Fraction) -> Bytes {
        // Rounded up: the sum of rounded-down footprints could end a store a
        // few bytes above its ceiling. In 64 bits when the product fits: this
        // runs for every mailbox of every move, and 128-bit division is
        // several times slower.
        if overhead.0 == 0 {
            return self;
        }
        let one = u64::from(Fraction::ONE.0);
        let extra = match self.0.checked_mul(u64::from(overhead.0)) {
            Some(product) => u128::from(product.div_ceil(one)),
            None => (u128::from(self.0) * u128::from(overhead.0)).div_ceil(u128::from(one)),
        };
        Bytes(
            self.0
                .saturating_add(u64::try_from(extra).unwrap_or(u64::MAX)),
        )
    }

    /// Adds without overflowing.
    pub fn saturating_add(self, other: Bytes) -> Bytes {
        Bytes(self.0.saturating_add(other.0))
    }

    /// Subtracts, stopping at zero.
    pub fn saturating_sub(self, other: Bytes) -> Bytes {
        Bytes(self.0.saturating_sub(other.0))
    }
}

impl fmt::Display for Bytes {
    /// Binary units with up to two decimals, the way operators read disk sizes
    /// (`1.93 TiB`, `512 MiB`, `17 B`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
        let mut unit = 0;
        let mut scale: u64 = 1;
        while unit + 1 < UNITS.len() && self.0 >= scale * 1024 {
            scale *= 1024;
            unit += 1;
        }
        if unit == 0 {
            return write!(f, "{} B", self.0);
        }
        // Hundredths, rounded half up, computed in integers.
        let hundredths = (u128::from(self.0) * 100 + u128::from(scale) / 2) / u128::from(scale);
        let (whole, frac) = (hundredths / 100, hundredths % 100);
        if frac == 0 {
            write!(f, "{whole} {}", UNITS[unit])
        } else if frac % 10 == 0 {
            write!(f, "{whole}.{} {}", frac / 10, UNITS[unit])
        } else {
            write!(f, "{whole}.{frac:02} {}", UNITS[unit])
        }
    }
}

/// A non-negative fraction, exact to one millionth (`90%` is 900 000).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fraction(pub u32);

impl Fraction {
    /// 100%.
    pub const ONE: Fraction = Fraction(1_000_000);
    /// 0%.
    pub const ZERO: Fraction = Fraction(0);

    /// Parses `0.9` or `90%` (also `12.5%`).
    pub fn parse(text: &str) -> Result<Fraction, String> {
        let text = text.trim();
        let (number, percent) = match text.strip_suffix('%') {
            Some(n) => (n.trim_end(), true),
            None => (text, false),
        };
        let value = Decimal::parse(number).map_err(|e| e.describe(text, "fraction"))?;
        let millionths = if percent {
            value.scale_floor(1_000_000, 100)
        } else {
            value.scale_floor(1_000_000, 1)
        };
        millionths
            .and_then(|v| u32::try_from(v).ok())
            .map(Fraction)
            .ok_or_else(|| format!("`{text}` is too large a fraction"))
    }

    /// Whether this is a usable `max_fill`: above 0% and at most 100%. The
    /// one definition of that range, for validation and planning alike.
    pub fn is_valid_fill(self) -> bool {
        self > Fraction::ZERO && self <= Fraction::ONE
    }

    /// `value` times this fraction, rounded down.
    pub fn of(self, value: u64) -> u64 {
        let r = u128::from(value) * u128::from(self.0) / u128::from(Self::ONE.0);
        u64::try_from(r).unwrap_or(u64::MAX)
    }

    /// `part / whole` as a fraction, rounded down (a full `whole` of zero counts as 100%).
    pub fn ratio(part: u64, whole: u64) -> Fraction {
        if whole == 0 {
            return if part == 0 {
                Fraction::ZERO
            } else {
                Fraction::ONE
            };
        }
        let r = u128::from(part) * u128::from(Self::ONE.0) / u128::from(whole);
        Fraction(u32::try_from(r).unwrap_or(u32::MAX))
    }
}

impl fmt::Display for Fraction {
    /// As a percentage with at most two decimals (`90%`, `12.5%`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Hundredths of a percent, rounded half up.
        let hundredths = (u64::from(self.0) + 50) / 100;
        let (whole, frac) = (hundredths / 100, hundredths % 100);
        if frac == 0 {
            write!(f, "{whole}%")
        } else if frac % 10 == 0 {
            write!(f, "{whole}.{}%", frac / 10)
        } else {
            write!(f, "{whole}.{frac:02}%")
        }
    }
}

/// A duration in whole seconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Seconds(pub u64);

impl Seconds {
    /// Parses `30s`, `40m`, `2h`, `7d`, combinations such as `1h30m`, or a bare
    /// integer number of seconds.
    pub fn parse(text: &str) -> Result<Seconds, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("an empty value is not a duration".to_string());
        }
        if text.starts_with('-') {
            return Err(format!(
                "`{text}` is negative; a duration must be zero or more"
            ));
        }
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return text
                .parse::<u64>()
                .map(Seconds)
                .map_err(|_| format!("`{text}` is too long a duration"));
        }
        let mut total: u64 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(format!(
                    "`{text}` is not a duration (write it as 30s, 40m, 2h, 7d or 1h30m)"
                ));
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| format!("`{text}` is too long a duration"))?;
            let unit = rest[digits..].chars().next();
            let scale = match unit {
                Some('s') => 1,
                Some('m') => 60,
                Some('h') => 3_600,
                Some('d') => 86_400,
                Some('w') => 604_800,
                _ => {
                    return Err(format!(
                        "`{text}` is not a duration (write it as 30s, 40m, 2h, 7d or 1h30m)"
                    ));
                }
            };
            total = number
                .checked_mul(scale)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| format!("`{text}` is too long a duration"))?;
            rest = &rest[digits + 1..];
        }
        Ok(Seconds(total))
    }
}

impl fmt::Display for Seconds {
    /// The largest units first: `1h30m`, `7d`, `45s`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        if rest == 0 {
            return f.write_str("0s");
        }
        for (unit, scale) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if rest >= scale {
                write!(f, "{}{unit}", rest / scale)?;
                rest %= scale;
            }
        }
        Ok(())
    }
}

/// A transfer rate in bytes per second.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct BytesPerSecond(pub u64);

impl BytesPerSecond {
    /// Parses a size followed by `/s` (`200MiB/s`).
    pub fn parse(text: &str) -> Result<BytesPerSecond, String> {
        let text = text.trim();
        let Some(size) = text.strip_suffix("/s") else {
            return Err(format!(
                "`{text}` is not a rate (write a size per second, such as 200MiB/s)"
            ));
        };
        let bytes = Bytes::parse(size)?;
        if bytes.0 == 0 {
            return Err(format!(
                "`{text}` is a rate of zero; nothing would ever finish"
            ));
        }
        Ok(BytesPerSecond(bytes.0))
    }
}

impl fmt::Display for BytesPerSecond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s", Bytes(self.0))
    }
}

/// Splits `2.5GiB` into `2.5` and `GiB`.
fn split_number(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(text.len());
    (&text[..end], &text[end..])
}

/// A non-negative decimal number kept as digits, so scaling is exact.
struct Decimal {
    /// The digits without the point, at most 38 of them.
    digits: u128,
    /// How many of them follow the point.
    decimals: u32,
}

enum DecimalError {
    Empty,
    Negative,
    Malformed,
    TooLong,
}

impl DecimalError {
    fn describe(&self, text: &str, what: &str) -> String {
        match self {
            DecimalError::Empty => format!("`{text}` is not a {what}: the number is missing"),
            DecimalError::Negative => {
                format!("`{text}` is negative; a {what} must be zero or more")
            }
            DecimalError::Malformed => format!("`{text}` is not a {what}"),
            DecimalError::TooLong => format!("`{text}` is too large a {what}"),
        }
    }
}

impl Decimal {
    fn parse(text: &str) -> Result<Decimal, DecimalError> {
        let text = text.strip_prefix('+').unwrap_or(text);
        if text.starts_with('-') {
            return Err(DecimalError::Negative);
        }
        if text.is_empty() {
            return Err(DecimalError::Empty);
        }
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if (whole.is_empty() && frac.is_empty())
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(DecimalError::Malformed);
        }
        // Trailing zeros after the point carry no value; dropping them keeps
        // long spellings such as `1.000000000000` within range.
        let frac = frac.trim_end_matches('0');
        let whole = whole.trim_start_matches('0');
        if whole.len() + frac.len() > 38 {
            return Err(DecimalError::TooLong);
        }
        let mut digits: u128 = 0;
        for b in whole.bytes().chain(frac.bytes()) {
            digits = digits * 10 + u128::from(b - b'0');
        }
        Ok(Decimal {
            digits,
            decimals: frac.len() as u32,
        })
    }

    /// `self * multiplier / divisor`, rounded down; `None` on overflow.
    fn scale_floor(&self, multiplier: u128, divisor: u128) -> Option<u128> {
        let denominator = 10u128.checked_pow(self.decimals)?.checked_mul(divisor)?;
        self.digits.checked_mul(multiplier).map(|v| v / denominator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 11: a mailbox's footprint rounds up (SPEC rule 7), so the sum of
    /// footprints never lets a store end above its ceiling.
    #[test]
    fn overhead_rounds_up_to_a_byte() {
        let half = Fraction(500_000);
        assert_eq!(Bytes(3).with_overhead(half), Bytes(5));
        assert_eq!(Bytes(4).with_overhead(half), Bytes(6));
        assert_eq!(Bytes(7).with_overhead(Fraction::ZERO), Bytes(7));
        assert_eq!(Bytes(u64::MAX).with_overhead(half), Bytes(u64::MAX));
    }

    #[test]
    fn sizes() {
        assert_eq!(Bytes::parse("200"), Ok(Bytes(200)));
        assert_eq!(Bytes::parse("2.5GiB"), Ok(Bytes(2_684_354_560)));
        assert_eq!(Bytes::parse("4TiB"), Ok(Bytes(4 * (1u64 << 40))));
        assert_eq!(Bytes::parse("1.5 TB"), Ok(Bytes(1_500_000_000_000)));
        assert_eq!(Bytes::parse("0.1B"), Ok(Bytes(0)));
        assert!(Bytes::parse("-5GiB").unwrap_err().contains("negative"));
        assert!(
            Bytes::parse("5 parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(
            Bytes::parse("99999999999TiB")
                .unwrap_err()
                .contains("too large")
        );
        assert!(Bytes::parse("GiB").unwrap_err().contains("missing"));
        assert!(Bytes::parse("1.2.3GiB").is_err());
    }

    #[test]
    fn size_display() {
        assert_eq!(Bytes(17).to_string(), "17 B");
        assert_eq!(Bytes(2_684_354_560).to_string(), "2.5 GiB");
        assert_eq!(Bytes(2_122_000_000_000).to_string(), "1.93 TiB");
        assert_eq!(Bytes(1 << 20).to_string(), "1 MiB");
    }

    #[test]
    fn fractions() {
        assert_eq!(Fraction::parse("90%"), Ok(Fraction(900_000)));
        assert_eq!(Fraction::parse("0.9"), Ok(Fraction(900_000)));
        assert_eq!(Fraction::parse("12.5%"), Ok(Fraction(125_000)));
        assert_eq!(Fraction::parse("150%"), Ok(Fraction(1_500_000)));
        assert_eq!(Fraction(125_000).to_string(), "12.5%");
        assert_eq!(Fraction(900_000).to_string(), "90%");
        assert_eq!(Fraction(900_000).of(1000), 900);
        assert!(Fraction::parse("-1%").is_err());
        assert!(Fraction::parse("ninety").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(Seconds::parse("30s"), Ok(Seconds(30)));
        assert_eq!(Seconds::parse("1h30m"), Ok(Seconds(5_400)));
        assert_eq!(Seconds::parse("7d"), Ok(Seconds(604_800)));
        assert_eq!(Seconds::parse("45"), Ok(Seconds(45)));
        assert_eq!(Seconds(5_400).to_string(), "1h30m");
        assert!(Seconds::parse("1x").is_err());
        assert!(Seconds::parse("h").is_err());
        assert!(Seconds::parse("-3d").unwrap_err().contains("negative"));
        assert!(Seconds::parse("99999999999999999999d").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(
            BytesPerSecond::parse("200MiB/s"),
            Ok(BytesPerSecond(200 << 20))
        );
        assert!(BytesPerSecond::parse("200MiB").is_err());
        assert!(BytesPerSecond::parse("0/s").is_err());
    }
}
