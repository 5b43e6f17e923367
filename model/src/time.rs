//! Times as people read and type them, the same in the terminal shell and the server's
//! admin commands: shown in local time with the offset (`2026-12-07 09:25 +08:00`) or
//! in UTC, and `--as-of` given as RFC 3339 or as a date.

use chrono::{DateTime, Local, NaiveDate, NaiveTime, TimeZone, Utc};

/// How to show times: in this machine's time zone, or in UTC (`--utc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// The machine's local time zone (`TZ`, else the system's).
    #[default]
    Local,
    /// UTC.
    Utc,
}

/// What a bad `--as-of` value gets: what was wrong and what would do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--as-of `{given}` is neither a time nor a date; give RFC 3339 \
     (2026-05-01T18:00:00+08:00) or a date (2026-05-01, meaning the end of that day)"
)]
pub struct BadAsOf {
    /// The value as given.
    pub given: String,
}

/// A time in ms since the Unix epoch as `YYYY-MM-DD HH:MM ±HH:MM` in `zone`; the raw
/// number when it is out of range.
pub fn show_ms(ms: i64, zone: Zone) -> String {
    match DateTime::from_timestamp_millis(ms) {
        Some(t) => show(t, zone),
        None => format!("{ms} ms"),
    }
}

/// An RFC 3339 time (as stored) shown as [`show_ms`] does; other text as it is.
pub fn show_rfc3339(text: &str, zone: Zone) -> String {
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => show(t.with_timezone(&Utc), zone),
        Err(_) => text.to_string(),
    }
}

fn show(t: DateTime<Utc>, zone: Zone) -> String {
    const FORMAT: &str = "%Y-%m-%d %H:%M %:z";
    match zone {
        Zone::Local => t.with_timezone(&Local).format(FORMAT).to_string(),
        Zone::Utc => t.format(FORMAT).to_string(),
    }
}

/// Reads `--as-of`: RFC 3339, or a date meaning the end of that day (the last
/// millisecond) in `zone`, so a report "as of 2026-05-01" counts all of that day.
pub fn parse_as_of(text: &str, zone: Zone) -> Result<i64, BadAsOf> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    let bad = || BadAsOf {
        given: text.to_string(),
    };
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad())?;
    let next = date.succ_opt().ok_or_else(bad)?.and_time(NaiveTime::MIN);
    let start_of_next = match zone {
        Zone::Utc => Utc.from_utc_datetime(&next).timestamp_millis(),
        Zone::Local => Local
            .from_local_datetime(&next)
            .earliest()
            .ok_or_else(bad)?
            .timestamp_millis(),
    };
    Ok(start_of_next - 1)
}

/// A camera's capture time (`YYYY-MM-DDTHH:MM:SS`, with `±HH:MM` when the camera wrote
/// its offset) in ms since the Unix epoch. Without an offset it is read as UTC: off by
/// the camera's zone (at most 14 h), which the 24-hour default limit of the capture-time
/// flag absorbs. The device and the server read it the same way.
pub fn camera_time_ms(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|t| t.and_utc().timestamp_millis())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_the_end_of_that_day_and_rfc3339_is_exact() {
        let end = parse_as_of("2026-05-01", Zone::Utc).unwrap();
        assert_eq!(
            end,
            DateTime::parse_from_rfc3339("2026-05-02T00:00:00Z")
                .unwrap()
                .timestamp_millis()
                - 1
        );
        let exact = parse_as_of("2026-05-01T18:00:00+08:00", Zone::Local).unwrap();
        assert_eq!(
            exact,
            DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
                .unwrap()
                .timestamp_millis()
        );
        for bad in ["yesterday", "2026-13-01", "1714521600000", ""] {
            let e = parse_as_of(bad, Zone::Utc).unwrap_err();
            assert!(e.to_string().contains("RFC 3339"), "{e}");
        }
    }

    #[test]
    fn utc_times_show_their_offset() {
        let ms = DateTime::parse_from_rfc3339("2026-12-07T01:25:00Z")
            .unwrap()
            .timestamp_millis();
        assert_eq!(show_ms(ms, Zone::Utc), "2026-12-07 01:25 +00:00");
        assert_eq!(
            show_rfc3339("2026-12-07T01:25:00.000Z", Zone::Utc),
            "2026-12-07 01:25 +00:00"
        );
        assert_eq!(show_rfc3339("not a time", Zone::Utc), "not a time");
    }
}
