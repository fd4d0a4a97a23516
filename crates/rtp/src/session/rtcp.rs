//! The RTCP side of the media session: receiving compound reports,
//! sending SR/RR (RFC 3550 §6.4) and BYE, and the SRTCP keys used for
//! them, which come from the RTP keys or, for DTLS-SRTP without rtcp-mux,
//! from their own handshake on the RTCP port (RFC 5764 §4.1).

use std::time::Instant;

use super::{contexts, MediaSecurity, MediaSession, SessionError, SessionEvent, SrtpKeys};
use crate::rtcp::{ReportBlock, RtcpCompound, RtcpPacket, RtcpWriter, SenderInfo};
use crate::stats::{ntp_middle32, round_trip_time};

impl MediaSession {
    /// Installs (or replaces) the keys that protect RTCP when
    /// [`SessionConfig::separate_rtcp_keys`](super::SessionConfig::separate_rtcp_keys)
    /// is set: the keys exported by the DTLS-SRTP handshake on the RTCP
    /// port. RTCP flows from the next report on; RTP is not affected.
    /// Without that setting RTCP uses the SRTP keys and these are ignored.
    pub fn set_srtcp_keys(&mut self, keys: &SrtpKeys) -> Result<(), SessionError> {
        let (t, r) = contexts(keys)?;
        self.tx_srtcp = Some(Box::new(t));
        self.rx_srtcp = Some(Box::new(r));
        Ok(())
    }

    /// Removes the RTCP-only keys (the RTCP port's handshake restarts):
    /// with separate RTCP keying nothing is sent or accepted on RTCP until
    /// [`set_srtcp_keys`](Self::set_srtcp_keys).
    pub fn clear_srtcp_keys(&mut self) {
        self.tx_srtcp = None;
        self.rx_srtcp = None;
    }

    /// True while RTCP can neither be sent nor accepted for want of keys.
    pub fn rtcp_keys_pending(&self) -> bool {
        if self.cfg.separate_rtcp_keys && !matches!(self.cfg.security, MediaSecurity::None) {
            self.rx_srtcp.is_none()
        } else {
            self.hot.keys_pending
        }
    }

    pub(super) fn handle_rtcp(&mut self, now: Instant, datagram: &mut [u8]) -> bool {
        if self.rtcp_keys_pending() {
            return false;
        }
        let rx = if self.cfg.separate_rtcp_keys {
            self.rx_srtcp.as_deref_mut()
        } else {
            self.rx_srtp.as_mut()
        };
        let len = match rx {
            Some(rx) => match rx.unprotect_rtcp(datagram) {
                Ok(n) => n,
                Err(_) => return false,
            },
            None => datagram.len(),
        };
        if RtcpCompound::validate(&datagram[..len]).is_err() {
            return false;
        }
        self.hot.counters.rtcp_received += 1;
        let arrival_ntp = self.ntp_at(now);
        for p in RtcpCompound::new(&datagram[..len]).flatten() {
            let blocks = match p {
                RtcpPacket::SenderReport(sr) => {
                    self.last_sr = Some((ntp_middle32(sr.info.ntp_timestamp), now));
                    Some(sr.report_blocks())
                }
                RtcpPacket::ReceiverReport(rr) => Some(rr.report_blocks()),
                RtcpPacket::Bye(b) => {
                    for ssrc in b.ssrcs() {
                        self.events.push_back(SessionEvent::Bye { ssrc });
                    }
                    None
                }
                _ => None,
            };
            for b in blocks
                .into_iter()
                .flatten()
                .filter(|b| b.ssrc == self.hot.ssrc)
            {
                let rtt = round_trip_time(arrival_ntp, &b);
                if rtt.is_some() {
                    self.hot.counters.rtt = rtt;
                }
                self.events.push_back(SessionEvent::RemoteReport {
                    fraction_lost: b.fraction_lost,
                    cumulative_lost: b.cumulative_lost,
                    jitter: b.jitter,
                    rtt,
                });
            }
        }
        true
    }

    fn report_block(&mut self, now: Instant) -> Option<ReportBlock> {
        let (lsr, dlsr) = match self.last_sr {
            Some((lsr, at)) => (
                lsr,
                (now.saturating_duration_since(at).as_nanos() * 65536 / 1_000_000_000) as u32,
            ),
            None => (0, 0),
        };
        let src = self.hot.source.as_mut()?;
        Some(src.stats.report_block(src.ssrc, lsr, dlsr))
    }

    pub(super) fn send_rtcp(&mut self, now: Instant, bye: bool) {
        if self.rtcp_keys_pending() {
            return;
        }
        let mut buf = self.take_buf();
        let block = self.report_block(now);
        let blocks: &[ReportBlock] = match &block {
            Some(b) => std::slice::from_ref(b),
            None => &[],
        };
        let info = SenderInfo {
            ntp_timestamp: self.ntp_at(now),
            rtp_timestamp: self.hot.timestamp,
            packet_count: self.hot.counters.packets_sent as u32,
            octet_count: self.hot.counters.octets_sent as u32,
        };
        let cname = std::mem::take(&mut self.cfg.cname);
        let limit = buf.len() - 64;
        let mut w = RtcpWriter::new(&mut buf[..limit]);
        let r = if self.hot.sent_since_report {
            w.sender_report(self.hot.ssrc, &info, blocks)
        } else {
            w.receiver_report(self.hot.ssrc, blocks)
        }
        .and_then(|w| w.sdes_cname(self.hot.ssrc, cname.as_bytes()))
        .and_then(|w| {
            if bye {
                w.bye(&[self.hot.ssrc], None)
            } else {
                Ok(w)
            }
        })
        .map(|w| w.len());
        self.cfg.cname = cname;
        let Ok(mut len) = r else {
            self.hot.out.recycle(buf);
            return;
        };
        let tx = if self.cfg.separate_rtcp_keys {
            self.tx_srtcp.as_deref_mut()
        } else {
            self.tx_srtp.as_mut()
        };
        if let Some(tx) = tx {
            match tx.protect_rtcp(&mut buf, len) {
                Ok(l) => len = l,
                Err(_) => {
                    self.hot.out.recycle(buf);
                    return;
                }
            }
        }
        self.hot.sent_since_report = false;
        self.hot.counters.rtcp_sent += 1;
        let dest = self.remote_rtcp;
        self.queue(dest, buf, len, true);
        self.events
            .push_back(SessionEvent::Stats(Box::new(self.stats())));
    }
}
