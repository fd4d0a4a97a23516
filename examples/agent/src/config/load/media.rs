//! The `[media]` section.

use heron_sdp::{Codec, SrtpSuite};

use super::super::model::*;
use super::super::reader::Section;
use super::{Builder, SRTP_SUITES};

impl Builder<'_> {
    pub(super) fn media(&mut self, s: &Section<'_>) -> Option<MediaConfig> {
        let mut codecs = Vec::new();
        match s.str_list("codecs", self.issues) {
            None => codecs = Codec::ALL.to_vec(),
            Some(list) => {
                for (key, c) in list {
                    match c.parse::<Codec>() {
                        Ok(codec) if codecs.contains(&codec) => {
                            self.err(key, format!("{c:?} is listed twice"))
                        }
                        Ok(codec) => codecs.push(codec),
                        Err(_) => self.err(
                            key,
                            format!("{c:?} is not a codec; use opus, g722, pcma or pcmu"),
                        ),
                    }
                }
                if codecs.is_empty() {
                    self.err(
                        s.key("codecs"),
                        "at least one codec: opus, g722, pcma, pcmu",
                    );
                }
            }
        }
        let ptime = s.choice(
            "ptime",
            20u32,
            &[("10", 10), ("20", 20), ("30", 30), ("40", 40), ("60", 60)],
            self.issues,
        );
        let srtp = s.choice(
            "srtp",
            SrtpMode::Off,
            &[
                ("off", SrtpMode::Off),
                ("sdes", SrtpMode::Sdes),
                ("dtls", SrtpMode::Dtls),
            ],
            self.issues,
        );
        let srtp_fallback = s.bool("srtp_fallback", false, self.issues);
        if srtp == SrtpMode::Off && s.has("srtp_fallback") {
            self.issues.warn(
                s.key("srtp_fallback"),
                "has no effect with media.srtp = \"off\"",
            );
        }
        let mut suites = Vec::new();
        match s.str_list("srtp_suites", self.issues) {
            None => suites = heron_sdp::negotiate::default_suites(),
            Some(list) => {
                for (key, name) in list {
                    match SrtpSuite::from_name(name.trim()) {
                        SrtpSuite::Other(_)
                        | SrtpSuite::Aes192CmHmacSha1_80
                        | SrtpSuite::Aes192CmHmacSha1_32 => self.err(
                            key,
                            format!(
                                "{name:?} is not a supported suite; use {}",
                                SRTP_SUITES.join(", ")
                            ),
                        ),
                        suite if suites.contains(&suite) => {
                            self.err(key, format!("{name:?} is listed twice"))
                        }
                        suite => suites.push(suite),
                    }
                }
            }
        }
        let dtls_backend = s.choice(
            "dtls_backend",
            DtlsBackend::OpenSsl,
            &[
                ("openssl", DtlsBackend::OpenSsl),
                ("dimpl", DtlsBackend::Dimpl),
            ],
            self.issues,
        );
        let ports = s
            .opt_nonempty("rtp_ports", self.issues)
            .unwrap_or_else(|| "16384-32767".into());
        let rtp_ports = match ports
            .split_once('-')
            .map(|(a, b)| (a.trim().parse::<u16>(), b.trim().parse::<u16>()))
        {
            Some((Ok(a), Ok(b))) if a >= 1024 && a < b && b - a >= 3 => Some((a, b)),
            _ => {
                self.err(s.key("rtp_ports"), format!("{ports:?} is not allowed; use \"FIRST-LAST\" with 1024 <= FIRST < LAST <= 65535 and room for two port pairs, e.g. \"16384-32767\""));
                None
            }
        };
        let symmetric_rtp = s.bool("symmetric_rtp", true, self.issues);
        let rtcp_mux = s.bool("rtcp_mux", false, self.issues);
        let mut dtmf = Vec::new();
        match s.str_list("dtmf", self.issues) {
            None => dtmf = vec![DtmfMode::Rfc4733, DtmfMode::Info, DtmfMode::Inband],
            Some(list) => {
                for (key, m) in list {
                    let mode = match m.trim().to_ascii_lowercase().as_str() {
                        "rfc4733" | "rfc2833" | "telephone-event" => Some(DtmfMode::Rfc4733),
                        "info" | "sip-info" => Some(DtmfMode::Info),
                        "inband" => Some(DtmfMode::Inband),
                        _ => None,
                    };
                    match mode {
                        Some(m) if !dtmf.contains(&m) => dtmf.push(m),
                        Some(_) => self.err(key, format!("{m:?} is listed twice")),
                        None => self.err(
                            key,
                            format!("{m:?} is not a DTMF method; use rfc4733, info or inband"),
                        ),
                    }
                }
                if dtmf.is_empty() {
                    self.err(s.key("dtmf"), "at least one of rfc4733, info, inband");
                }
            }
        }
        let address = self.ip(s, "address");
        s.finish(
            &[
                "codecs",
                "ptime",
                "srtp",
                "srtp_fallback",
                "srtp_suites",
                "dtls_backend",
                "rtp_ports",
                "symmetric_rtp",
                "rtcp_mux",
                "dtmf",
                "address",
            ],
            self.issues,
        );
        Some(MediaConfig {
            codecs,
            ptime,
            srtp,
            srtp_fallback,
            srtp_suites: suites,
            dtls_backend,
            rtp_ports: rtp_ports?,
            symmetric_rtp,
            rtcp_mux,
            dtmf,
            address,
        })
    }
}
