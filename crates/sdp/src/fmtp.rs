//! Format parameters of the codecs this crate negotiates: Opus (RFC 7587 §7)
//! and telephone-event (RFC 4733 §7.1).

use std::fmt;

/// Opus `a=fmtp` parameters (RFC 7587 §7). Parameters not listed here are
/// kept in [`OpusParams::other`] in their original order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpusParams {
    /// `maxplaybackrate`: highest sample rate the receiver renders, Hz.
    pub max_playback_rate: Option<u32>,
    /// `sprop-maxcapturerate`: highest sample rate the sender captures, Hz.
    pub sprop_max_capture_rate: Option<u32>,
    /// `maxaveragebitrate`, bit/s.
    pub max_average_bitrate: Option<u32>,
    /// `stereo`: the receiver prefers stereo.
    pub stereo: Option<bool>,
    /// `sprop-stereo`: the sender is likely to send stereo.
    pub sprop_stereo: Option<bool>,
    /// `cbr`: constant bit rate requested.
    pub cbr: Option<bool>,
    /// `useinbandfec`: the receiver can use in-band FEC.
    pub use_inband_fec: Option<bool>,
    /// `usedtx`: the receiver prefers DTX.
    pub use_dtx: Option<bool>,
    /// `ptime` as some implementations put it into the fmtp line, ms.
    pub ptime: Option<u32>,
    /// `minptime` (WebRTC), ms.
    pub min_ptime: Option<u32>,
    /// Other `name=value` pairs, in order.
    pub other: Vec<(String, String)>,
}

impl OpusParams {
    /// Parses `name=value` pairs separated by `;` (white space tolerated).
    /// Values that do not parse are kept in [`OpusParams::other`].
    pub fn parse(params: &str) -> Self {
        let mut out = Self::default();
        for pair in params.split(';') {
            let pair = pair.trim();
            if pair.is_empty() {
                continue;
            }
            let (name, value) = match pair.split_once('=') {
                Some((n, v)) => (n.trim(), v.trim()),
                None => (pair, ""),
            };
            let num = value.parse::<u32>().ok();
            let flag = match value {
                "0" => Some(false),
                "1" => Some(true),
                _ => None,
            };
            let slot_num = |slot: &mut Option<u32>| match num {
                Some(n) if slot.is_none() => {
                    *slot = Some(n);
                    true
                }
                _ => false,
            };
            let slot_flag = |slot: &mut Option<bool>| match flag {
                Some(b) if slot.is_none() => {
                    *slot = Some(b);
                    true
                }
                _ => false,
            };
            let taken = match name.to_ascii_lowercase().as_str() {
                "maxplaybackrate" => slot_num(&mut out.max_playback_rate),
                "sprop-maxcapturerate" => slot_num(&mut out.sprop_max_capture_rate),
                "maxaveragebitrate" => slot_num(&mut out.max_average_bitrate),
                "stereo" => slot_flag(&mut out.stereo),
                "sprop-stereo" => slot_flag(&mut out.sprop_stereo),
                "cbr" => slot_flag(&mut out.cbr),
                "useinbandfec" => slot_flag(&mut out.use_inband_fec),
                "usedtx" => slot_flag(&mut out.use_dtx),
                "ptime" => slot_num(&mut out.ptime),
                "minptime" => slot_num(&mut out.min_ptime),
                _ => false,
            };
            if !taken {
                out.other.push((name.to_owned(), value.to_owned()));
            }
        }
        out
    }
}

impl fmt::Display for OpusParams {
    /// Writes `name=value` pairs separated by `; ` (the form of RFC 7587's examples).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut put = |f: &mut fmt::Formatter<'_>, name: &str, value: &dyn fmt::Display| {
            let sep = if first { "" } else { "; " };
            first = false;
            write!(f, "{sep}{name}={value}")
        };
        let b = |v: bool| u8::from(v);
        if let Some(v) = self.max_playback_rate {
            put(f, "maxplaybackrate", &v)?;
        }
        if let Some(v) = self.sprop_max_capture_rate {
            put(f, "sprop-maxcapturerate", &v)?;
        }
        if let Some(v) = self.max_average_bitrate {
            put(f, "maxaveragebitrate", &v)?;
        }
        if let Some(v) = self.stereo {
            put(f, "stereo", &b(v))?;
        }
        if let Some(v) = self.sprop_stereo {
            put(f, "sprop-stereo", &b(v))?;
        }
        if let Some(v) = self.cbr {
            put(f, "cbr", &b(v))?;
        }
        if let Some(v) = self.use_inband_fec {
            put(f, "useinbandfec", &b(v))?;
        }
        if let Some(v) = self.use_dtx {
            put(f, "usedtx", &b(v))?;
        }
        if let Some(v) = self.ptime {
            put(f, "ptime", &v)?;
        }
        if let Some(v) = self.min_ptime {
            put(f, "minptime", &v)?;
        }
        for (n, v) in &self.other {
            put(f, n, v)?;
        }
        Ok(())
    }
}

/// The events a telephone-event payload type carries (RFC 4733 §7.1.1),
/// e.g. `0-15` or `0-11,16`. Ranges are inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelephoneEvents {
    ranges: Vec<(u8, u8)>,
}

impl Default for TelephoneEvents {
    /// `0-15`: the DTMF events, which RFC 4733 §7.1.1 assumes when the fmtp line is absent.
    fn default() -> Self {
        Self {
            ranges: vec![(0, 15)],
        }
    }
}

impl TelephoneEvents {
    /// Events from inclusive ranges; ranges with `start > end` are dropped.
    pub fn from_ranges(ranges: &[(u8, u8)]) -> Self {
        Self {
            ranges: ranges.iter().copied().filter(|(a, b)| a <= b).collect(),
        }
    }

    /// Parses a comma separated list of events and ranges.
    pub fn parse(s: &str) -> Option<Self> {
        let mut ranges = Vec::new();
        for item in s.split(',') {
            let item = item.trim();
            let (a, b) = match item.split_once('-') {
                Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
                None => {
                    let v = item.parse().ok()?;
                    (v, v)
                }
            };
            if a > b {
                return None;
            }
            ranges.push((a, b));
        }
        Some(Self { ranges })
    }

    /// The inclusive ranges, as written.
    pub fn ranges(&self) -> &[(u8, u8)] {
        &self.ranges
    }

    /// Whether `event` is listed.
    pub fn contains(&self, event: u8) -> bool {
        self.ranges.iter().any(|&(a, b)| (a..=b).contains(&event))
    }

    /// The events both lists contain, as sorted ranges (empty if none).
    pub fn intersect(&self, other: &Self) -> Self {
        let mut ranges: Vec<(u8, u8)> = Vec::new();
        let mut start: Option<u8> = None;
        for e in 0..=255u8 {
            let both = self.contains(e) && other.contains(e);
            match (both, start) {
                (true, None) => start = Some(e),
                (false, Some(s)) => {
                    ranges.push((s, e - 1));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            ranges.push((s, 255));
        }
        Self { ranges }
    }

    /// True when no event is listed.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

impl fmt::Display for TelephoneEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(a, b)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}-{b}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opus_params_from_htek() {
        let p = OpusParams::parse("useinbandfec=1; usedtx=1; maxaveragebitrate=64000");
        assert_eq!(p.use_inband_fec, Some(true));
        assert_eq!(p.use_dtx, Some(true));
        assert_eq!(p.max_average_bitrate, Some(64000));
        assert_eq!(p.stereo, None);
        assert!(p.other.is_empty());
    }

    #[test]
    fn opus_params_keep_unknown_and_bad_values() {
        let p = OpusParams::parse("stereo=yes;maxplaybackrate=16000;foo=bar;ptime=20");
        assert_eq!(p.max_playback_rate, Some(16000));
        assert_eq!(p.ptime, Some(20));
        assert_eq!(
            p.other,
            vec![
                ("stereo".into(), "yes".into()),
                ("foo".into(), "bar".into())
            ]
        );
        assert_eq!(OpusParams::parse(&p.to_string()), p);
    }

    #[test]
    fn telephone_events_ranges() {
        let e = TelephoneEvents::parse("0-11,16").unwrap();
        assert!(e.contains(11) && e.contains(16) && !e.contains(12));
        assert_eq!(e.to_string(), "0-11,16");
        let dtmf = TelephoneEvents::from_ranges(&[(0, 16)]);
        assert_eq!(e.intersect(&dtmf).to_string(), "0-11,16");
        assert_eq!(
            TelephoneEvents::parse("0-15")
                .unwrap()
                .intersect(&dtmf)
                .to_string(),
            "0-15"
        );
        assert!(TelephoneEvents::parse("5-3").is_none());
        assert!(TelephoneEvents::parse("0-300").is_none());
        assert!(TelephoneEvents::parse("").is_none());
    }
}
