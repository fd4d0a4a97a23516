//! The SIP ladder diagram: every message an agent received, with who sent
//! it, collected by all agents of a process into one shared log and drawn
//! as arrows between columns.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use heron_sip::Message;

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LadderEntry {
    /// When it arrived.
    pub at: Instant,
    /// Sender's name.
    pub from: String,
    /// Receiver's name.
    pub to: String,
    /// `INVITE`, `200 OK (INVITE)`, ... with a hint of the SDP.
    pub label: String,
}

/// A shared log of messages.
#[derive(Debug, Clone, Default)]
pub struct Ladder {
    entries: Arc<Mutex<Vec<LadderEntry>>>,
    names: Arc<Mutex<Vec<(SocketAddr, String)>>>,
}

/// The start line of a message, short: `INVITE`, `180 Ringing (INVITE)`,
/// plus `+SDP` (and `sendonly`/`inactive` when the SDP says so).
pub fn label(msg: &Message) -> String {
    let mut s = match (msg.method(), msg.status()) {
        (Some(m), _) => m.to_string(),
        (None, Some(code)) => {
            let reason = heron_sip::reason_phrase(code);
            let method = msg.cseq().map(|c| c.method.to_string()).unwrap_or_default();
            format!("{code} {reason} ({method})")
        }
        _ => "?".into(),
    };
    let body = msg.body();
    if !body.is_empty() {
        let text = String::from_utf8_lossy(body);
        if text.starts_with("v=0") {
            s.push_str(" +SDP");
            for d in ["sendonly", "recvonly", "inactive"] {
                if text.contains(&format!("a={d}")) {
                    s.push_str(&format!(" {d}"));
                }
            }
        } else if let Some(first) = text.lines().next() {
            let first: String = first.chars().take(24).collect();
            s.push_str(&format!(" [{first}]"));
        }
    }
    s
}

impl Ladder {
    /// An empty ladder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names an agent's SIP address (a column).
    pub fn name(&self, addr: SocketAddr, name: &str) {
        self.names
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((addr, name.to_owned()));
    }

    /// Records a message `to` received from `from`.
    pub fn record(&self, at: Instant, from: &str, to: &str, label: String) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(LadderEntry {
                at,
                from: from.to_owned(),
                to: to.to_owned(),
                label,
            });
    }

    /// The entries so far, in arrival order.
    pub fn entries(&self) -> Vec<LadderEntry> {
        let mut e = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        e.sort_by_key(|x| x.at);
        e
    }

    /// The name of the agent listening at `addr` (the address itself if unknown).
    pub fn name_of(&self, addr: SocketAddr) -> String {
        let names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        names
            .iter()
            .find(|(a, _)| *a == addr)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| addr.to_string())
    }

    /// Who sent `msg` to `receiver`: for a request the agent of its top
    /// Via; for a response the other agent when there are two.
    pub fn sender_of(&self, msg: &Message, receiver: &str, remote: SocketAddr) -> String {
        if msg.method().is_some() {
            if let Ok(v) = msg.top_via() {
                let ip = match v.host {
                    heron_sip::Host::V4(a) => Some(IpAddr::V4(a)),
                    heron_sip::Host::V6(a) => Some(IpAddr::V6(a)),
                    heron_sip::Host::Domain(d) => d.parse().ok(),
                };
                if let (Some(ip), Some(port)) = (ip, v.port) {
                    return self.name_of(SocketAddr::new(ip, port));
                }
            }
        }
        let names = self.names.lock().unwrap_or_else(|p| p.into_inner());
        let others: Vec<&String> = names
            .iter()
            .map(|(_, n)| n)
            .filter(|n| *n != receiver)
            .collect();
        match others.as_slice() {
            [one] => (*one).clone(),
            _ => remote.to_string(),
        }
    }

    /// Draws the ladder: one column per party, one arrow per message,
    /// milliseconds since the first message on the left.
    pub fn render(&self, columns: &[&str]) -> String {
        const W: usize = 34;
        let entries = self.entries();
        let Some(first) = entries.first().map(|e| e.at) else {
            return String::from("(no SIP messages)\n");
        };
        let mut out = String::new();
        out.push_str(&format!("{:>8}  ", "ms"));
        for c in columns {
            out.push_str(&format!("{:<w$}", c, w = W));
        }
        out.push('\n');
        for e in entries {
            let from = e.from.clone();
            let (Some(a), Some(b)) = (
                columns.iter().position(|c| *c == from),
                columns.iter().position(|c| *c == e.to),
            ) else {
                out.push_str(&format!(
                    "{:>8}  {from} -> {}: {}\n",
                    e.at.duration_since(first).as_millis(),
                    e.to,
                    e.label
                ));
                continue;
            };
            let (lo, hi) = (a.min(b), a.max(b));
            let mut line = vec![' '; W * columns.len()];
            for (i, ch) in line.iter_mut().enumerate() {
                if i % W == 0 {
                    *ch = '|';
                }
            }
            let start = lo * W + 1;
            let end = hi * W - 1;
            for ch in line.iter_mut().take(end + 1).skip(start) {
                *ch = '-';
            }
            if a < b {
                line[end] = '>';
            } else {
                line[start] = '<';
            }
            let label: Vec<char> = e.label.chars().collect();
            let room = end.saturating_sub(start + 2);
            for (i, c) in label.iter().take(room).enumerate() {
                line[start + 2 + i] = *c;
            }
            let text: String = line.into_iter().collect();
            out.push_str(&format!(
                "{:>8}  {}\n",
                e.at.duration_since(first).as_millis(),
                text.trim_end()
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn draws_arrows_between_columns() {
        let l = Ladder::new();
        let a: SocketAddr = "127.0.0.1:5061".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:5062".parse().unwrap();
        l.name(a, "alice");
        l.name(b, "bob");
        let t0 = Instant::now();
        l.record(t0, &l.name_of(a), "bob", "INVITE +SDP".into());
        l.record(
            t0 + Duration::from_millis(12),
            &l.name_of(b),
            "alice",
            "200 OK (INVITE) +SDP".into(),
        );
        let text = l.render(&["alice", "bob"]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[1].contains("|--INVITE +SDP") && lines[1].ends_with("->|"),
            "{text}"
        );
        assert!(lines[2].contains("|<-200 OK (INVITE) +SDP--"), "{text}");
        assert!(lines[2].starts_with("      12"));
        assert_eq!(Ladder::new().render(&["x"]), "(no SIP messages)\n");
    }

    #[test]
    fn labels_from_messages() {
        let raw = bytes::Bytes::from_static(
            b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@x>;tag=2\r\nCall-ID: c\r\nCSeq: 2 INVITE\r\nContent-Length: 25\r\n\r\nv=0\r\na=sendonly\r\nxxxxxxxxx",
        );
        let m = Message::parse(raw).unwrap();
        assert_eq!(label(&m), "200 OK (INVITE) +SDP sendonly");
    }
}
