//! Clock skew: events recorded on a device whose wall clock was far from the HLC.
//!
//! A cheap phone set to last year still records events in the right order (the HLC
//! follows everything it has seen), but its wall times are wrong, and a supervisor
//! judging "when was this photographed" should know. Skewed events are flagged here;
//! they are never moved in the order.

use serde::{Deserialize, Serialize};

use crate::hazard::event::Event;

/// Skew beyond this many milliseconds is flagged unless configured otherwise: ten
/// minutes, well above network-time drift and well below a wrongly set date.
pub const DEFAULT_MAX_SKEW_MS: i64 = 10 * 60 * 1000;

/// What the device clock disagreed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum SkewKind {
    /// The wall time is far from the event's HLC time: the device clock was behind
    /// events the device had already seen.
    WallVersusHlc,
    /// The wall time is far ahead of the clock of the device (or server) that received
    /// the event: a clock running fast, which the HLC alone cannot reveal.
    AheadOfReceiver,
}

/// An event whose device clock disagreed with another clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct SkewFlag {
    /// The event.
    pub event: String,
    /// The device it was recorded on.
    pub device: String,
    /// Which comparison flagged it.
    pub kind: SkewKind,
    /// The event's wall time minus the other clock, in ms.
    pub skew_ms: i64,
}

/// Flags each event whose wall time is more than `max_skew_ms` from its HLC time or,
/// when `received_ms` gives the receiver's clock at arrival, ahead of that clock.
pub fn flag(events: &[(Event, Option<i64>)], max_skew_ms: i64) -> Vec<SkewFlag> {
    let mut out = Vec::new();
    for (e, received_ms) in events {
        let behind = e.wall_ms.saturating_sub(e.hlc.ms);
        if behind.saturating_abs() > max_skew_ms {
            out.push(SkewFlag {
                event: e.id.clone(),
                device: e.device.clone(),
                kind: SkewKind::WallVersusHlc,
                skew_ms: behind,
            });
        }
        if let Some(received) = received_ms {
            let ahead = e.wall_ms.saturating_sub(*received);
            if ahead > max_skew_ms {
                out.push(SkewFlag {
                    event: e.id.clone(),
                    device: e.device.clone(),
                    kind: SkewKind::AheadOfReceiver,
                    skew_ms: ahead,
                });
            }
        }
    }
    out
}
