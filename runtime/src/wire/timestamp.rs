//! RFC 3339 timestamps, re-encoded exactly as sent.
//!
//! Wix sends 3 (`.561Z`), 6 (`.690213Z`) or 9 (`.479909037Z`) fractional digits, and
//! a re-encoded payload must not change them, so the digit count is part of the value.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, TimeZone, Timelike, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A point in time with the precision and offset it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timestamp {
    at: DateTime<FixedOffset>,
    digits: u8,
    zulu: bool,
}

/// Why a string is not a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Not RFC 3339.
    #[error("`{0}` is not an RFC 3339 timestamp (like 2024-01-11T12:47:31.862Z)")]
    Syntax(String),
    /// More than nanosecond precision.
    #[error("`{0}` has more than 9 fractional digits")]
    TooPrecise(String),
}

impl Timestamp {
    /// A UTC timestamp written with `digits` (0-9, clamped) fractional digits and `Z`.
    pub fn from_utc(at: DateTime<Utc>, digits: u8) -> Self {
        Self { at: at.fixed_offset(), digits: digits.min(9), zulu: true }
    }

    /// The instant in UTC.
    pub fn to_utc(&self) -> DateTime<Utc> {
        self.at.with_timezone(&Utc)
    }

    /// The instant with the offset it was written with.
    pub fn as_fixed_offset(&self) -> DateTime<FixedOffset> {
        self.at
    }

    /// Number of fractional-second digits it was written with.
    pub fn fractional_digits(&self) -> u8 {
        self.digits
    }
}

impl From<DateTime<Utc>> for Timestamp {
    /// Millisecond precision, as Wix writes entity dates.
    fn from(at: DateTime<Utc>) -> Self {
        Self::from_utc(at, 3)
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` directly: every event carries
    /// several timestamps, and a general-purpose format parser costs more than the rest
    /// of a small payload.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || TimestampError::Syntax(text.to_owned());
        let bytes = text.as_bytes();
        let number = |range: std::ops::Range<usize>| -> Result<u32, TimestampError> {
            let digits = bytes.get(range).ok_or_else(syntax)?;
            digits.iter().try_fold(0u32, |value, digit| match digit {
                b'0'..=b'9' => Ok(value * 10 + u32::from(digit - b'0')),
                _ => Err(syntax()),
            })
        };
        let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
        if bytes.len() < 20
            || separators.iter().any(|&(at, byte)| bytes[at] != byte)
            || !matches!(bytes[10], b'T' | b't' | b' ')
        {
            return Err(syntax());
        }
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
        let mut at = 19;
        let mut nanos = 0;
        let mut digits = 0;
        if bytes[at] == b'.' {
            at += 1;
            let start = at;
            while at < bytes.len() && bytes[at].is_ascii_digit() {
                at += 1;
            }
            digits = at - start;
            if digits == 0 {
                return Err(syntax());
            }
            if digits > 9 {
                return Err(TimestampError::TooPrecise(text.to_owned()));
            }
            nanos = number(start..at)? * 10u32.pow(9 - digits as u32);
        }
        let (offset, zulu) = match &bytes[at..] {
            [b'Z' | b'z'] => (0, true),
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let seconds = (number(at + 1..at + 3)? * 3600 + number(at + 4..at + 6)? * 60) as i32;
                (if *sign == b'-' { -seconds } else { seconds }, false)
            }
            _ => return Err(syntax()),
        };
        // RFC 3339 allows a leap second (`:60`); chrono holds it as 59 s + 1 s of nanoseconds.
        let (second, nanos) = if second == 60 { (59, nanos + 1_000_000_000) } else { (second, nanos) };
        let date = NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(syntax)?;
        let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).ok_or_else(syntax)?;
        let offset = FixedOffset::east_opt(offset).ok_or_else(syntax)?;
        let at = offset.from_local_datetime(&date.and_time(time)).single().ok_or_else(syntax)?;
        Ok(Self { at, digits: digits as u8, zulu })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.at.to_rfc3339_opts(SecondsFormat::Secs, true);
        // `whole` ends with `Z` or `+hh:mm`; the fraction goes before it.
        let split = whole.rfind(['Z', '+', '-']).filter(|at| *at > 10).unwrap_or(whole.len());
        f.write_str(&whole[..split])?;
        if self.digits > 0 {
            let nanos = format!("{:09}", self.at.nanosecond() % 1_000_000_000);
            write!(f, ".{}", &nanos[..usize::from(self.digits)])?;
        }
        if self.zulu && self.at.offset().local_minus_utc() == 0 {
            f.write_str("Z")
        } else {
            write!(f, "{}", self.at.format("%:z"))
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TimestampVisitor;
        impl Visitor<'_> for TimestampVisitor {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
                text.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(TimestampVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_precision_exactly() {
        for text in [
            "2024-01-11T12:47:31.862945419Z",
            "2023-04-19T12:39:05.690213Z",
            "2023-04-19T12:39:05.561Z",
            "2023-04-19T12:39:05.000Z",
            "2020-10-18T13:40:58.304800Z",
            "2020-10-18T13:40:58Z",
            "2020-10-18T13:40:58.3Z",
            "2020-10-18T15:40:58.30+02:00",
            "2020-10-18T09:40:58-04:00",
        ] {
            let parsed: Timestamp = text.parse().unwrap();
            assert_eq!(parsed.to_string(), text);
            let json = serde_json::to_string(&parsed).unwrap();
            assert_eq!(json, format!("\"{text}\""));
        }
    }

    #[test]
    fn compares_instants_in_utc() {
        let a: Timestamp = "2020-10-18T15:40:58+02:00".parse().unwrap();
        let b: Timestamp = "2020-10-18T13:40:58Z".parse().unwrap();
        assert_eq!(a.to_utc(), b.to_utc());
        assert_eq!("2023-04-19T12:39:05.690213Z".parse::<Timestamp>().unwrap().fractional_digits(), 6);
    }

    #[test]
    fn agrees_with_chrono_on_valid_and_invalid_input() {
        for text in [
            "2024-02-29T23:59:59.999999999Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:60:00Z",
            "2016-12-31T23:59:60Z",
            "2024-01-01t00:00:00z",
            "2024-01-01 00:00:00+05:30",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0530",
            "2024-01-01T00:00:00",
            "2024-1-01T00:00:00Z",
            "2024-01-01T00:00:00Z ",
        ] {
            let ours = text.parse::<Timestamp>().map(|parsed| parsed.to_utc());
            let chrono = DateTime::parse_from_rfc3339(text).map(|parsed| parsed.with_timezone(&Utc));
            assert_eq!(ours.is_ok(), chrono.is_ok(), "{text}: {ours:?} vs {chrono:?}");
            if let (Ok(ours), Ok(chrono)) = (ours, chrono) {
                assert_eq!(ours, chrono, "{text}");
            }
        }
        let too_precise = "2024-01-01T00:00:00.1234567891Z".parse::<Timestamp>();
        assert!(matches!(too_precise, Err(TimestampError::TooPrecise(_))));
    }

    #[test]
    fn rejects_what_is_not_rfc_3339() {
        assert!(matches!("2024-01-11".parse::<Timestamp>(), Err(TimestampError::Syntax(_))));
        assert!(matches!("yesterday".parse::<Timestamp>(), Err(TimestampError::Syntax(_))));
        assert!(serde_json::from_str::<Timestamp>("12").is_err());
    }
}
