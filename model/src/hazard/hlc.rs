//! The hybrid logical clock (HLC) that orders hazard events across devices.
//!
//! Phone clocks lie, so events are not ordered by wall time. An HLC timestamp is the
//! largest physical time this device has seen (its own clock or any event it received),
//! plus a counter for events within the same millisecond. An event recorded after
//! another was seen therefore always sorts after it, whatever the device's clock says:
//! causality is never reordered. Ties between devices are broken by event id.

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// A hybrid-logical-clock timestamp; sorts by physical time, then counter.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Hlc {
    /// Milliseconds since the Unix epoch: the largest physical time seen.
    pub ms: i64,
    /// Orders events within the same millisecond.
    pub counter: u32,
}

impl Hlc {
    /// The timestamp for a new local event, given the last timestamp seen and the
    /// device's clock now: strictly greater than `last`.
    pub fn next(last: Hlc, now_ms: i64) -> Hlc {
        if now_ms > last.ms {
            Hlc {
                ms: now_ms,
                counter: 0,
            }
        } else {
            Hlc {
                ms: last.ms,
                counter: last.counter.saturating_add(1),
            }
        }
    }

    /// The later of two timestamps (what the clock remembers after seeing `other`).
    pub fn max(self, other: Hlc) -> Hlc {
        if other > self { other } else { self }
    }
}

impl std::fmt::Display for Hlc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.ms, self.counter)
    }
}

impl std::str::FromStr for Hlc {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Hlc> {
        let bad = || ModelError::Invalid(format!("`{s}` is not an HLC timestamp"));
        let (ms, counter) = s.split_once('.').ok_or_else(bad)?;
        Ok(Hlc {
            ms: ms.parse().map_err(|_| bad())?,
            counter: counter.parse().map_err(|_| bad())?,
        })
    }
}

/// The device clock now, in milliseconds since the Unix epoch.
pub fn wall_clock_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn next_is_strictly_increasing_even_when_the_clock_goes_back() {
        let a = Hlc::next(Hlc::default(), 1_000);
        let b = Hlc::next(a, 1_000);
        let c = Hlc::next(b, 10); // the phone's clock jumped back
        let d = Hlc::next(c, 2_000);
        assert!(a < b && b < c && c < d);
        assert_eq!(
            c,
            Hlc {
                ms: 1_000,
                counter: 2
            }
        );
        assert_eq!(
            d,
            Hlc {
                ms: 2_000,
                counter: 0
            }
        );
    }

    #[test]
    fn text_form_round_trips_and_rejects_garbage() {
        let h = Hlc {
            ms: 1_700_000_000_123,
            counter: 7,
        };
        assert_eq!(h.to_string().parse::<Hlc>().unwrap(), h);
        assert!("12".parse::<Hlc>().is_err());
        assert!("a.b".parse::<Hlc>().is_err());
    }
}
