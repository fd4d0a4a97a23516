//! The SDP parser (RFC 8866 §5, §9).
//!
//! Tolerant of what PBXs send: LF-only line ends, trailing white space,
//! blank lines, an empty or missing `s=`, a missing `t=`, lines of a section
//! in any order. Strict where ambiguity would hurt: the first line must be
//! `v=0`, `o=` must be present, unknown line types are rejected (RFC 8866 §5).

use crate::attribute::Attribute;
use crate::error::{ParseError, ParseErrorKind};
use crate::model::{
    AddressType, Bandwidth, Connection, ConnectionAddress, EncryptionKey, MediaDescription,
    MediaType, Origin, Repeat, SessionDescription, TimeZoneAdjustment, Timing, TransportProtocol,
    TypedTime,
};
use crate::secret::Secret;

type Result<T> = std::result::Result<T, ParseErrorKind>;

/// Parses SDP bytes (UTF-8 is checked first).
pub fn parse_bytes(input: &[u8]) -> std::result::Result<SessionDescription, ParseError> {
    match std::str::from_utf8(input) {
        Ok(s) => parse(s),
        Err(e) => Err(ParseError {
            line: input[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1,
            kind: ParseErrorKind::NotUtf8(e.valid_up_to()),
        }),
    }
}

/// Parses an SDP text.
pub fn parse(input: &str) -> std::result::Result<SessionDescription, ParseError> {
    let mut parser = Parser::default();
    let mut saw_version = false;
    let mut last_line = 0;
    for (idx, raw) in input.split('\n').enumerate() {
        let line_no = idx + 1;
        let line = raw.trim_end_matches(['\r', ' ', '\t']);
        if line.is_empty() {
            continue;
        }
        last_line = line_no;
        let at = |kind| ParseError {
            line: line_no,
            kind,
        };
        let bytes = line.as_bytes();
        if bytes.len() < 2 || bytes[1] != b'=' || !bytes[0].is_ascii_alphabetic() {
            return Err(at(ParseErrorKind::MalformedLine(short(line))));
        }
        let kind = bytes[0] as char;
        let value = &line[2..];
        if !saw_version {
            if kind != 'v' {
                return Err(at(ParseErrorKind::MissingVersion));
            }
            if value.trim() != "0" {
                return Err(at(ParseErrorKind::UnsupportedVersion(short(value))));
            }
            saw_version = true;
            continue;
        }
        parser.line(kind, value).map_err(at)?;
    }
    if !saw_version {
        return Err(ParseError {
            line: 0,
            kind: ParseErrorKind::Empty,
        });
    }
    parser.finish().map_err(|kind| ParseError {
        line: if kind == ParseErrorKind::MissingOrigin {
            0
        } else {
            last_line
        },
        kind,
    })
}

/// The offending line for an error message: shortened, and withheld when it
/// looks like it carries key material.
fn short(s: &str) -> String {
    if s.to_ascii_lowercase().contains("inline:") {
        return "<redacted>".to_owned();
    }
    let mut v: String = s.chars().take(64).collect();
    if v.len() < s.len() {
        v.push('…');
    }
    v
}

#[derive(Default)]
struct Parser {
    origin: Option<Origin>,
    session_name: Option<String>,
    information: Option<String>,
    uri: Option<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    connection: Option<Connection>,
    bandwidths: Vec<Bandwidth>,
    timings: Vec<Timing>,
    time_zones: Option<Vec<TimeZoneAdjustment>>,
    key: Option<EncryptionKey>,
    attributes: Vec<Attribute>,
    media: Vec<MediaDescription>,
}

impl Parser {
    fn line(&mut self, kind: char, value: &str) -> Result<()> {
        if kind == 'm' {
            self.media.push(parse_media(value)?);
            return Ok(());
        }
        if let Some(m) = self.media.last_mut() {
            return media_line(m, kind, value);
        }
        match kind {
            'v' => return Err(ParseErrorKind::Duplicate('v')),
            'o' => {
                if self.origin.is_some() {
                    return Err(ParseErrorKind::Duplicate('o'));
                }
                self.origin = Some(parse_origin(value)?);
            }
            's' => set_once(&mut self.session_name, 's', value.to_owned())?,
            'i' => set_once(&mut self.information, 'i', value.to_owned())?,
            'u' => set_once(&mut self.uri, 'u', value.to_owned())?,
            'e' => self.emails.push(value.to_owned()),
            'p' => self.phones.push(value.to_owned()),
            'c' => set_once(&mut self.connection, 'c', parse_connection(value)?)?,
            'b' => self.bandwidths.push(parse_bandwidth(value)?),
            't' => self.timings.push(parse_timing(value)?),
            'r' => {
                let repeat = parse_repeat(value)?;
                self.timings
                    .last_mut()
                    .ok_or(ParseErrorKind::Misplaced('r'))?
                    .repeats
                    .push(repeat);
            }
            'z' => set_once(&mut self.time_zones, 'z', parse_zones(value)?)?,
            'k' => set_once(&mut self.key, 'k', parse_key(value))?,
            'a' => self.attributes.push(Attribute::parse(value)),
            other => return Err(unknown(other)),
        }
        Ok(())
    }

    fn finish(self) -> Result<SessionDescription> {
        let origin = self.origin.ok_or(ParseErrorKind::MissingOrigin)?;
        let mut timings = self.timings;
        if timings.is_empty() {
            timings.push(Timing::default());
        }
        Ok(SessionDescription {
            origin,
            session_name: self.session_name.unwrap_or_default(),
            information: self.information,
            uri: self.uri,
            emails: self.emails,
            phones: self.phones,
            connection: self.connection,
            bandwidths: self.bandwidths,
            timings,
            time_zones: self.time_zones.unwrap_or_default(),
            key: self.key,
            attributes: self.attributes,
            media: self.media,
        })
    }
}

fn unknown(kind: char) -> ParseErrorKind {
    if "vosiuepcbtrzkam".contains(kind) {
        ParseErrorKind::Misplaced(kind)
    } else {
        ParseErrorKind::UnknownType(kind)
    }
}

fn set_once<T>(slot: &mut Option<T>, kind: char, value: T) -> Result<()> {
    if slot.is_some() {
        return Err(ParseErrorKind::Duplicate(kind));
    }
    *slot = Some(value);
    Ok(())
}

fn media_line(m: &mut MediaDescription, kind: char, value: &str) -> Result<()> {
    match kind {
        'i' => set_once(&mut m.title, 'i', value.to_owned()),
        'c' => {
            m.connections.push(parse_connection(value)?);
            Ok(())
        }
        'b' => {
            m.bandwidths.push(parse_bandwidth(value)?);
            Ok(())
        }
        'k' => set_once(&mut m.key, 'k', parse_key(value)),
        'a' => {
            m.attributes.push(Attribute::parse(value));
            Ok(())
        }
        other => Err(unknown(other)),
    }
}

fn fields(value: &str) -> Vec<&str> {
    value.split_ascii_whitespace().collect()
}

fn parse_origin(value: &str) -> Result<Origin> {
    let f = fields(value);
    if f.len() != 6 {
        return Err(ParseErrorKind::FieldCount {
            line_type: 'o',
            expected: "6",
            found: f.len(),
        });
    }
    Ok(Origin {
        username: f[0].to_owned(),
        session_id: f[1].to_owned(),
        session_version: f[2].to_owned(),
        net_type: f[3].to_owned(),
        addr_type: AddressType::parse(f[4]),
        unicast_address: f[5].to_owned(),
    })
}

fn parse_connection(value: &str) -> Result<Connection> {
    let f = fields(value);
    if f.len() != 3 {
        return Err(ParseErrorKind::FieldCount {
            line_type: 'c',
            expected: "3",
            found: f.len(),
        });
    }
    let addr_type = AddressType::parse(f[1]);
    let mut parts = f[2].split('/');
    let (address, ttl, count) = match addr_type {
        AddressType::Ip4 | AddressType::Ip6 => {
            let addr = parts.next().unwrap_or_default();
            if addr.is_empty() {
                return Err(ParseErrorKind::invalid("c= address", f[2]));
            }
            let bad = || ParseErrorKind::invalid("c= address suffix", f[2]);
            let (ttl, count) = match (addr_type == AddressType::Ip4, parts.next(), parts.next()) {
                (_, None, _) => (None, None),
                (true, Some(t), c) => (
                    Some(t.parse::<u8>().map_err(|_| bad())?),
                    c.map(|c| c.parse::<u32>().map_err(|_| bad())).transpose()?,
                ),
                (false, Some(c), None) => (None, Some(c.parse::<u32>().map_err(|_| bad())?)),
                (false, Some(_), Some(_)) => return Err(bad()),
            };
            if parts.next().is_some() {
                return Err(bad());
            }
            (ConnectionAddress::parse(addr), ttl, count)
        }
        AddressType::Other(_) => (ConnectionAddress::Host(f[2].to_owned()), None, None),
    };
    Ok(Connection {
        net_type: f[0].to_owned(),
        addr_type,
        address,
        ttl,
        count,
    })
}

fn parse_bandwidth(value: &str) -> Result<Bandwidth> {
    let (t, v) = value
        .split_once(':')
        .ok_or_else(|| ParseErrorKind::invalid("b= line", value))?;
    let t = t.trim();
    if t.is_empty() || t.bytes().any(|b| b.is_ascii_whitespace()) {
        return Err(ParseErrorKind::invalid("b= type", t));
    }
    let bandwidth = v
        .trim()
        .parse()
        .map_err(|_| ParseErrorKind::invalid("b= value", v))?;
    Ok(Bandwidth {
        bw_type: t.to_owned(),
        bandwidth,
    })
}

fn parse_timing(value: &str) -> Result<Timing> {
    let f = fields(value);
    if f.len() != 2 {
        return Err(ParseErrorKind::FieldCount {
            line_type: 't',
            expected: "2",
            found: f.len(),
        });
    }
    let num = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| ParseErrorKind::invalid("t= time", s))
    };
    Ok(Timing {
        start: num(f[0])?,
        stop: num(f[1])?,
        repeats: Vec::new(),
    })
}

fn typed_time(field: &'static str, s: &str) -> Result<TypedTime> {
    TypedTime::parse(s).ok_or_else(|| ParseErrorKind::invalid(field, s))
}

fn parse_repeat(value: &str) -> Result<Repeat> {
    let f = fields(value);
    if f.len() < 3 {
        return Err(ParseErrorKind::FieldCount {
            line_type: 'r',
            expected: "at least 3",
            found: f.len(),
        });
    }
    Ok(Repeat {
        interval: typed_time("r= interval", f[0])?,
        duration: typed_time("r= duration", f[1])?,
        offsets: f[2..]
            .iter()
            .map(|s| typed_time("r= offset", s))
            .collect::<Result<_>>()?,
    })
}

fn parse_zones(value: &str) -> Result<Vec<TimeZoneAdjustment>> {
    let f = fields(value);
    if f.is_empty() || f.len() % 2 != 0 {
        return Err(ParseErrorKind::FieldCount {
            line_type: 'z',
            expected: "pairs of",
            found: f.len(),
        });
    }
    f.chunks(2)
        .map(|pair| {
            Ok(TimeZoneAdjustment {
                time: pair[0]
                    .parse()
                    .map_err(|_| ParseErrorKind::invalid("z= time", pair[0]))?,
                offset: typed_time("z= offset", pair[1])?,
            })
        })
        .collect()
}

fn parse_key(value: &str) -> EncryptionKey {
    match value.split_once(':') {
        Some((m, k)) => EncryptionKey {
            method: m.to_owned(),
            key: Some(Secret::new(k.to_owned())),
        },
        None => EncryptionKey {
            method: value.to_owned(),
            key: None,
        },
    }
}

fn parse_media(value: &str) -> Result<MediaDescription> {
    let f = fields(value);
    if f.len() < 3 {
        return Err(ParseErrorKind::FieldCount {
            line_type: 'm',
            expected: "at least 3",
            found: f.len(),
        });
    }
    let (port, count) = match f[1].split_once('/') {
        Some((p, c)) => (
            p,
            Some(
                c.parse::<u16>()
                    .map_err(|_| ParseErrorKind::invalid("m= port count", c))?,
            ),
        ),
        None => (f[1], None),
    };
    let port = port
        .parse::<u16>()
        .map_err(|_| ParseErrorKind::invalid("m= port", port))?;
    let mut m = MediaDescription::new(MediaType::parse(f[0]), port, TransportProtocol::parse(f[2]));
    m.port_count = count;
    m.formats = f[3..].iter().map(|s| (*s).to_owned()).collect();
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ParseError {
        parse(text).expect_err(text)
    }

    #[test]
    fn minimal_with_lf_and_trailing_spaces() {
        let s = parse("v=0\no=- 1 2 IN IP4 10.0.0.1  \ns=\nt=0 0\n").unwrap();
        assert_eq!(s.origin.unicast_address, "10.0.0.1");
        assert_eq!(s.session_name, "");
        assert_eq!(s.timings.len(), 1);
    }

    #[test]
    fn missing_s_and_t_lines_are_tolerated() {
        let s = parse("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\nm=audio 4000 RTP/AVP 0\r\n").unwrap();
        assert_eq!(s.session_name, "");
        assert_eq!(s.timings, vec![Timing::default()]);
        assert_eq!(s.media[0].payload_types(), vec![0]);
    }

    #[test]
    fn errors_name_the_line() {
        let e = err("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nm=audio x RTP/AVP 0\r\n");
        assert_eq!(e.line, 4);
        assert_eq!(e.kind, ParseErrorKind::invalid("m= port", "x"));
        assert_eq!(e.to_string(), "SDP line 4: invalid m= port: \"x\"");
        assert_eq!(err("").kind, ParseErrorKind::Empty);
        assert_eq!(
            err("o=- 1 2 IN IP4 a\r\n").kind,
            ParseErrorKind::MissingVersion
        );
        assert_eq!(
            err("v=1\r\n").kind,
            ParseErrorKind::UnsupportedVersion("1".into())
        );
        assert_eq!(err("v=0\r\ns=x\r\n").kind, ParseErrorKind::MissingOrigin);
        assert_eq!(
            err("v=0\r\no=- 1 2 IN IP4 a\r\nx=1\r\n").kind,
            ParseErrorKind::UnknownType('x')
        );
        assert_eq!(
            err("v=0\r\no=- 1 2 IN IP4 a\r\nm=audio 1 RTP/AVP 0\r\nt=0 0\r\n").kind,
            ParseErrorKind::Misplaced('t')
        );
        assert_eq!(
            err("v=0\r\no=- 1 2 IN IP4 a\r\no=- 1 2 IN IP4 a\r\n").kind,
            ParseErrorKind::Duplicate('o')
        );
        assert_eq!(
            err("v=0\r\no=- 1 2 IN IP4 a\r\nbogus\r\n").kind,
            ParseErrorKind::MalformedLine("bogus".into())
        );
        assert_eq!(
            err("v=0\r\no=- 1 2 IN IP4 a\r\nr=1d 1h 0\r\n").kind,
            ParseErrorKind::Misplaced('r')
        );
        assert_eq!(parse_bytes(b"v=0\r\n\xff").unwrap_err().line, 2);
        let e = err("v=0\r\no=- 1 2 IN IP4 a\r\ncrypto:1 X inline:SECRETKEY\r\n");
        assert!(!e.to_string().contains("SECRETKEY"), "{e}");
    }

    #[test]
    fn connection_forms() {
        let c = parse_connection("IN IP4 224.2.36.42/127/3").unwrap();
        assert_eq!(c.ttl, Some(127));
        assert_eq!(c.count, Some(3));
        let c = parse_connection("IN IP6 FF15::101/3").unwrap();
        assert_eq!(c.count, Some(3));
        assert_eq!(c.ttl, None);
        let c = parse_connection("IN IP4 host.anywhere.com").unwrap();
        assert_eq!(
            c.address,
            ConnectionAddress::Host("host.anywhere.com".into())
        );
        assert!(parse_connection("IN IP4 1.2.3.4/999").is_err());
        assert!(parse_connection("IN IP6 ::1/1/2").is_err());
        assert!(parse_connection("IN IP4").is_err());
    }

    #[test]
    fn timing_repeat_zone_and_key() {
        let s = parse(
            "v=0\r\no=- 1 2 IN IP4 a\r\ns=x\r\nt=3034423619 3042462419\r\nr=7d 1h 0 25h\r\nz=2882844526 -1h 2898848070 0\r\nk=clear:secret\r\n",
        )
        .unwrap();
        let r = &s.timings[0].repeats[0];
        assert_eq!(r.interval.seconds(), 7 * 86400);
        assert_eq!(r.offsets[1].seconds(), 25 * 3600);
        assert_eq!(s.time_zones[0].offset.seconds(), -3600);
        assert!(!format!("{s:?}").contains("secret"));
    }
}
