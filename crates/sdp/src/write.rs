//! The SDP writer: CRLF line ends and RFC 8866 §5's line order
//! (`v o s i u e p c b t r z k a`, then per media `m i c b k a`).

use std::fmt::{self, Display, Write as _};

use crate::model::{Bandwidth, Connection, EncryptionKey, MediaDescription, SessionDescription};

impl Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.net_type, self.addr_type, self.address)?;
        if let Some(t) = self.ttl {
            write!(f, "/{t}")?;
        }
        if let Some(c) = self.count {
            write!(f, "/{c}")?;
        }
        Ok(())
    }
}

impl Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.bw_type, self.bandwidth)
    }
}

fn line(f: &mut fmt::Formatter<'_>, kind: char, value: impl Display) -> fmt::Result {
    f.write_char(kind)?;
    f.write_char('=')?;
    write!(f, "{value}")?;
    f.write_str("\r\n")
}

fn key_line(f: &mut fmt::Formatter<'_>, key: &EncryptionKey) -> fmt::Result {
    match &key.key {
        Some(k) => line(f, 'k', format_args!("{}:{}", key.method, k.expose())),
        None => line(f, 'k', &key.method),
    }
}

impl Display for MediaDescription {
    /// Writes the `m=` section, CRLF-terminated.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("m=")?;
        write!(f, "{} {}", self.media_type, self.port)?;
        if let Some(c) = self.port_count {
            write!(f, "/{c}")?;
        }
        write!(f, " {}", self.protocol)?;
        for fmt_ in &self.formats {
            write!(f, " {fmt_}")?;
        }
        f.write_str("\r\n")?;
        if let Some(t) = &self.title {
            line(f, 'i', t)?;
        }
        for c in &self.connections {
            line(f, 'c', c)?;
        }
        for b in &self.bandwidths {
            line(f, 'b', b)?;
        }
        if let Some(k) = &self.key {
            key_line(f, k)?;
        }
        for a in &self.attributes {
            line(f, 'a', a)?;
        }
        Ok(())
    }
}

impl Display for SessionDescription {
    /// Writes the whole description, CRLF-terminated, in RFC 8866 order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("v=0\r\n")?;
        let o = &self.origin;
        line(
            f,
            'o',
            format_args!(
                "{} {} {} {} {} {}",
                o.username,
                o.session_id,
                o.session_version,
                o.net_type,
                o.addr_type,
                o.unicast_address
            ),
        )?;
        // RFC 8866 §5.3: a single space when there is no name.
        if self.session_name.is_empty() {
            line(f, 's', " ")?;
        } else {
            line(f, 's', &self.session_name)?;
        }
        if let Some(i) = &self.information {
            line(f, 'i', i)?;
        }
        if let Some(u) = &self.uri {
            line(f, 'u', u)?;
        }
        for e in &self.emails {
            line(f, 'e', e)?;
        }
        for p in &self.phones {
            line(f, 'p', p)?;
        }
        if let Some(c) = &self.connection {
            line(f, 'c', c)?;
        }
        for b in &self.bandwidths {
            line(f, 'b', b)?;
        }
        if self.timings.is_empty() {
            line(f, 't', "0 0")?;
        }
        for t in &self.timings {
            line(f, 't', format_args!("{} {}", t.start, t.stop))?;
            for r in &t.repeats {
                let mut v = format!("{} {}", r.interval, r.duration);
                for off in &r.offsets {
                    write!(v, " {off}")?;
                }
                line(f, 'r', v)?;
            }
        }
        if !self.time_zones.is_empty() {
            let mut v = String::new();
            for (i, z) in self.time_zones.iter().enumerate() {
                if i > 0 {
                    v.push(' ');
                }
                write!(v, "{} {}", z.time, z.offset)?;
            }
            line(f, 'z', v)?;
        }
        if let Some(k) = &self.key {
            key_line(f, k)?;
        }
        for a in &self.attributes {
            line(f, 'a', a)?;
        }
        for m in &self.media {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::parse::parse;

    #[test]
    fn writes_crlf_in_rfc_order() {
        // Lines out of order and LF-only on input.
        let input = "v=0\no=- 1 2 IN IP4 10.0.0.1\nt=0 0\ns=call\nc=IN IP4 10.0.0.1\na=sendrecv\nm=audio 4000 RTP/AVP 0\na=rtpmap:0 PCMU/8000\nc=IN IP4 10.0.0.2\n";
        let s = parse(input).unwrap();
        assert_eq!(
            s.to_string(),
            "v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=call\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\na=sendrecv\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.2\r\na=rtpmap:0 PCMU/8000\r\n"
        );
    }

    #[test]
    fn empty_session_name_is_a_space() {
        let s = parse("v=0\r\no=- 1 2 IN IP4 a\r\ns=\r\nt=0 0\r\n").unwrap();
        assert!(s.to_string().contains("\r\ns= \r\n"));
        assert_eq!(parse(&s.to_string()).unwrap(), s);
    }
}
