//! Allowed time windows (`policy.hours`): `Mon-Fri 08:00-18:00`,
//! `Sat,Sun 10:00-12:00`, `daily 22:00-06:00` (past midnight belongs to
//! the day it started). The caller supplies the local wall-clock time.

use std::fmt;

/// A local wall-clock instant, as the policy needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallTime {
    /// Day of the week, 0 = Monday .. 6 = Sunday.
    pub weekday: u8,
    /// Minutes since local midnight, 0..1440.
    pub minute: u16,
    /// Local calendar day number (any monotonic day count), for daily caps.
    pub day: i64,
}

impl WallTime {
    /// Builds one from a time zone aware timestamp.
    pub fn from_zoned(z: &jiff::Zoned) -> Self {
        let weekday = z.weekday().to_monday_zero_offset() as u8;
        let minute = z.hour() as u16 * 60 + z.minute() as u16;
        let day = z
            .date()
            .since(jiff::civil::date(1970, 1, 1))
            .map(|span| i64::from(span.get_days()))
            .unwrap_or(0);
        WallTime {
            weekday,
            minute,
            day,
        }
    }
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One window: a set of weekdays and a time range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    /// Bit `d` set: weekday `d` (0 = Monday).
    pub days: u8,
    /// Start, minutes since midnight.
    pub start: u16,
    /// End (exclusive), minutes since midnight; `<= start` means the next day.
    pub end: u16,
}

/// Why a window does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0}; write e.g. \"Mon-Fri 08:00-18:00\", \"Sat,Sun 10:00-12:30\" or \"daily 00:00-24:00\""
)]
pub struct WindowError(pub String);

const FULL_DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn day_index(s: &str) -> Result<u8, WindowError> {
    let l = s.trim().to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .position(|d| *d == l)
        .or_else(|| FULL_DAY_NAMES.iter().position(|d| *d == l))
        .map(|i| i as u8)
        .ok_or_else(|| WindowError(format!("unknown day {s:?}")))
}

fn parse_days(s: &str) -> Result<u8, WindowError> {
    let l = s.trim().to_ascii_lowercase();
    if l == "daily" || l == "*" || l == "all" {
        return Ok(0x7f);
    }
    if l == "weekdays" {
        return Ok(0x1f);
    }
    if l == "weekend" {
        return Ok(0x60);
    }
    let mut mask = 0u8;
    for part in l.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day_index(a)?, day_index(b)?);
                let mut d = a;
                loop {
                    mask |= 1 << d;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => mask |= 1 << day_index(part)?,
        }
    }
    Ok(mask)
}

fn parse_clock(s: &str) -> Result<u16, WindowError> {
    let (h, m) = s
        .trim()
        .split_once(':')
        .ok_or_else(|| WindowError(format!("time {s:?} is not HH:MM")))?;
    let h: u16 = h
        .parse()
        .map_err(|_| WindowError(format!("hour in {s:?} is not a number")))?;
    let m: u16 = m
        .parse()
        .map_err(|_| WindowError(format!("minute in {s:?} is not a number")))?;
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return Err(WindowError(format!(
            "time {s:?} is out of range (00:00 to 24:00)"
        )));
    }
    Ok(h * 60 + m)
}

impl TimeWindow {
    /// Parses `DAYS HH:MM-HH:MM`.
    pub fn parse(s: &str) -> Result<Self, WindowError> {
        let s = s.trim();
        let (days, times) = s
            .rsplit_once(char::is_whitespace)
            .ok_or_else(|| WindowError(format!("{s:?} has no day part")))?;
        let (a, b) = times
            .split_once('-')
            .ok_or_else(|| WindowError(format!("{times:?} is not a range HH:MM-HH:MM")))?;
        let (start, end) = (parse_clock(a)?, parse_clock(b)?);
        if start == 1440 {
            return Err(WindowError("a window cannot start at 24:00".into()));
        }
        if start == end {
            return Err(WindowError(format!("{times:?} is empty")));
        }
        Ok(TimeWindow {
            days: parse_days(days)?,
            start,
            end,
        })
    }

    /// Whether `t` falls in the window.
    pub fn contains(&self, t: WallTime) -> bool {
        let today = self.days & (1 << (t.weekday % 7)) != 0;
        if self.start < self.end {
            today && t.minute >= self.start && t.minute < self.end
        } else {
            let yesterday = self.days & (1 << ((t.weekday + 6) % 7)) != 0;
            (today && t.minute >= self.start) || (yesterday && t.minute < self.end)
        }
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days: Vec<&str> = (0..7)
            .filter(|d| self.days & (1 << d) != 0)
            .map(|d| DAY_NAMES[d])
            .collect();
        write!(
            f,
            "{} {:02}:{:02}-{:02}:{:02}",
            days.join(","),
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

/// Whether `t` is inside any window (an empty list means always).
pub fn allowed(windows: &[TimeWindow], t: WallTime) -> bool {
    windows.is_empty() || windows.iter().any(|w| w.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(weekday: u8, h: u16, m: u16) -> WallTime {
        WallTime {
            weekday,
            minute: h * 60 + m,
            day: 0,
        }
    }

    #[test]
    fn office_hours() {
        let w = TimeWindow::parse("Mon-Fri 08:00-18:00").unwrap();
        assert_eq!(w.days, 0x1f);
        assert!(w.contains(at(0, 8, 0)));
        assert!(w.contains(at(4, 17, 59)));
        assert!(!w.contains(at(4, 18, 0)));
        assert!(!w.contains(at(2, 7, 59)));
        assert!(!w.contains(at(5, 12, 0)));
        assert_eq!(w.to_string(), "mon,tue,wed,thu,fri 08:00-18:00");
    }

    #[test]
    fn overnight_belongs_to_the_start_day() {
        let w = TimeWindow::parse("Fri 22:00-06:00").unwrap();
        assert!(w.contains(at(4, 23, 0)));
        assert!(
            w.contains(at(5, 5, 59)),
            "Saturday morning continues Friday's window"
        );
        assert!(!w.contains(at(5, 6, 0)));
        assert!(
            !w.contains(at(4, 5, 0)),
            "Friday morning is Thursday's night"
        );
        assert!(!w.contains(at(5, 23, 0)));
    }

    #[test]
    fn day_lists_and_names() {
        assert_eq!(TimeWindow::parse("sat,sun 10:00-12:30").unwrap().days, 0x60);
        assert_eq!(
            TimeWindow::parse("Saturday 10:00-12:30").unwrap().days,
            0x20
        );
        assert_eq!(TimeWindow::parse("daily 00:00-24:00").unwrap().days, 0x7f);
        assert_eq!(
            TimeWindow::parse("weekdays 00:00-24:00").unwrap().days,
            0x1f
        );
        assert_eq!(TimeWindow::parse("weekend 00:00-24:00").unwrap().days, 0x60);
        // Wrapping day range.
        assert_eq!(TimeWindow::parse("Sat-Mon 09:00-10:00").unwrap().days, 0x61);
        let all = TimeWindow::parse("daily 00:00-24:00").unwrap();
        assert!(all.contains(at(6, 23, 59)));
        assert!(all.contains(at(0, 0, 0)));
    }

    #[test]
    fn errors_name_the_problem() {
        for (s, msg) in [
            ("08:00-18:00", "no day part"),
            ("Mon 08:00", "not a range"),
            ("Mon 8-18", "not HH:MM"),
            ("Mon 25:00-26:00", "out of range"),
            ("Mon 08:60-09:00", "out of range"),
            ("Mon 24:00-01:00", "cannot start at 24:00"),
            ("Mon 08:00-08:00", "empty"),
            ("Mo 08:00-09:00", "unknown day"),
            ("Mox 08:00-09:00", "unknown day"),
            ("Mon xx:00-09:00", "not a number"),
        ] {
            let e = TimeWindow::parse(s).unwrap_err();
            assert!(e.to_string().contains(msg), "{s}: {e}");
        }
    }

    #[test]
    fn empty_list_allows_everything() {
        assert!(allowed(&[], at(6, 3, 0)));
        let w = [TimeWindow::parse("Mon 08:00-09:00").unwrap()];
        assert!(!allowed(&w, at(6, 3, 0)));
        assert!(allowed(&w, at(0, 8, 30)));
    }

    #[test]
    fn from_zoned_counts_days_and_minutes() {
        let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(1));
        let z = jiff::civil::date(2024, 3, 4)
            .at(8, 30, 0, 0)
            .to_zoned(tz.clone())
            .unwrap();
        let t = WallTime::from_zoned(&z);
        assert_eq!(t.weekday, 0, "2024-03-04 was a Monday");
        assert_eq!(t.minute, 8 * 60 + 30);
        let next = jiff::civil::date(2024, 3, 5)
            .at(0, 10, 0, 0)
            .to_zoned(tz)
            .unwrap();
        assert_eq!(WallTime::from_zoned(&next).day, t.day + 1);
    }
}
