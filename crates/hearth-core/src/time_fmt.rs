//! Date formats of the wire (common.md §3). Hearth reports "server local" times in UTC.

use time::{format_description::FormatItem, macros::format_description, OffsetDateTime};

const DATE: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");
const DATE_TIME: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
const DATE_TIME_UTC: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

fn at(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(us as i128 * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `YYYY-MM-DD`
pub fn date(us: i64) -> String {
    at(us).format(DATE).unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM:SS`
pub fn date_time(us: i64) -> String {
    at(us).format(DATE_TIME).unwrap_or_default()
}

/// `YYYY-MM-DDTHH:MM:SSZ`
pub fn date_time_utc(us: i64) -> String {
    at(us).format(DATE_TIME_UTC).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        let us = 1_359_061_000_812_500;
        assert_eq!(super::date(us), "2013-01-24");
        assert_eq!(super::date_time(us), "2013-01-24 20:56:40");
        assert_eq!(super::date_time_utc(us), "2013-01-24T20:56:40Z");
    }
}
