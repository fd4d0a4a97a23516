//! One task per call: the RTP (and RTCP) sockets, the media pump and the
//! pipeline, driven by the pump's deadlines.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use heron_rtp::session::ntp_from_unix;
use heron_sdp::NegotiatedMedia;
use heron_sip_stack::ua::CallKey;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use crate::media::{
    CallEvent, CallSummary, DtmfPress, DtmfSent, MediaInfo, MediaPump, PipelineAction, PumpConfig,
    VoicePipeline,
};

/// Commands to a call's media task.
#[derive(Debug)]
pub(crate) enum MediaCmd {
    /// The stream was re-negotiated.
    Update(Box<NegotiatedMedia>),
    /// The stream changed beyond what an update covers (early media
    /// replaced by the final answer's different address, codec or keys):
    /// a new pump on the same sockets.
    Replace(Box<MediaPump>),
    /// A key press came by SIP INFO.
    InfoDtmf(char, Duration),
    /// Send a key press.
    SendDtmf(char),
    /// Tell the pipeline about the call.
    Event(CallEvent),
    /// End media; the summary comes back.
    Close(oneshot::Sender<CallSummary>),
}

/// What a media task reports.
#[derive(Debug)]
pub(crate) enum MediaOut {
    /// The pipeline asked for something.
    Action(CallKey, PipelineAction),
    /// Send this key press by SIP INFO.
    SendInfo(CallKey, char),
    /// A key press reached the pipeline.
    Dtmf(CallKey, DtmfPress),
    /// Media failed for good (DTLS handshake): end the call.
    Failed(CallKey, String),
}

/// Binds an even RTP port in `range` (and the next one for RTCP unless
/// `rtcp_mux` says the peer is known to multiplex), starting at a random
/// place.
pub(crate) fn bind_media(
    ip: IpAddr,
    range: (u16, u16),
    rtcp_mux: bool,
) -> io::Result<(std::net::UdpSocket, Option<std::net::UdpSocket>)> {
    let first = range.0 + (range.0 & 1);
    let slots = u32::from(range.1.saturating_sub(first)) / 2 + 1;
    let start = rand::thread_rng().gen_range(0..slots.max(1));
    for i in 0..slots {
        let port = first as u32 + ((start + i) % slots) * 2;
        if port + 1 > u32::from(range.1) && !rtcp_mux {
            continue;
        }
        let Ok(rtp) = std::net::UdpSocket::bind(SocketAddr::new(ip, port as u16)) else {
            continue;
        };
        if rtcp_mux {
            return Ok((rtp, None));
        }
        if let Ok(rtcp) = std::net::UdpSocket::bind(SocketAddr::new(ip, port as u16 + 1)) {
            return Ok((rtp, Some(rtcp)));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AddrInUse,
        format!("no free RTP port pair in {}-{} on {ip}", range.0, range.1),
    ))
}

/// Forwards key presses to the controller while delegating to the pipeline.
struct Tap<'a> {
    inner: &'a mut dyn VoicePipeline,
    presses: &'a mut Vec<DtmfPress>,
}

impl VoicePipeline for Tap<'_> {
    fn sample_rate(&self) -> u32 {
        self.inner.sample_rate()
    }
    fn on_start(&mut self, info: &MediaInfo) {
        self.inner.on_start(info)
    }
    fn on_audio(&mut self, frame: &[i16]) {
        self.inner.on_audio(frame)
    }
    fn next_audio(&mut self) -> &[i16] {
        self.inner.next_audio()
    }
    fn on_dtmf(&mut self, press: DtmfPress) {
        self.presses.push(press);
        self.inner.on_dtmf(press)
    }
}

fn ntp_now() -> u64 {
    ntp_from_unix(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

/// Everything a media task starts with.
pub(crate) struct MediaStart {
    pub call: CallKey,
    pub media: NegotiatedMedia,
    pub rtp: std::net::UdpSocket,
    pub rtcp: Option<std::net::UdpSocket>,
    pub pump: PumpConfig,
    pub pipeline: Box<dyn VoicePipeline>,
}

/// A pump for `media` feeding a pipeline at `pipeline_rate`.
pub(crate) fn new_pump(
    media: &NegotiatedMedia,
    cfg: &PumpConfig,
    pipeline_rate: u32,
) -> Result<MediaPump, String> {
    MediaPump::new(
        media,
        cfg,
        pipeline_rate,
        Instant::now(),
        ntp_now(),
        Box::new(StdRng::from_entropy()),
    )
    .map_err(|e| e.to_string())
}

/// Starts the media task; `Err` when the negotiated media cannot be used.
pub(crate) fn spawn(
    start: MediaStart,
    out: mpsc::UnboundedSender<MediaOut>,
) -> Result<(mpsc::UnboundedSender<MediaCmd>, MediaInfo), String> {
    let MediaStart {
        call,
        media,
        rtp,
        rtcp,
        pump: cfg,
        mut pipeline,
    } = start;
    let pump = new_pump(&media, &cfg, pipeline.sample_rate())?;
    let info = pump.media_info().clone();
    pipeline.on_start(&info);
    rtp.set_nonblocking(true).map_err(|e| e.to_string())?;
    let rtp = UdpSocket::from_std(rtp).map_err(|e| e.to_string())?;
    let rtcp = match rtcp {
        Some(s) => {
            s.set_nonblocking(true).map_err(|e| e.to_string())?;
            Some(UdpSocket::from_std(s).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let span = tracing::info_span!("call", %call, codec = %info.codec);
    tokio::spawn(tracing::Instrument::instrument(
        run(call, pump, pipeline, rtp, rtcp, rx, out),
        span,
    ));
    Ok((tx, info))
}

async fn recv_opt(s: &Option<UdpSocket>, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    match s {
        Some(s) => s.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

async fn run(
    call: CallKey,
    mut pump: MediaPump,
    mut pipeline: Box<dyn VoicePipeline>,
    rtp: UdpSocket,
    rtcp: Option<UdpSocket>,
    mut rx: mpsc::UnboundedReceiver<MediaCmd>,
    out: mpsc::UnboundedSender<MediaOut>,
) {
    let mut rbuf = vec![0u8; 2048];
    let mut cbuf = vec![0u8; 2048];
    let mut tbuf = vec![0u8; 2048];
    let mut presses = Vec::new();
    let mut reported_failure = false;
    loop {
        let deadline = pump
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            r = rtp.recv_from(&mut rbuf) => {
                if let Ok((n, src)) = r {
                    pump.handle_datagram(Instant::now(), src, &mut rbuf[..n]);
                }
            }
            r = recv_opt(&rtcp, &mut cbuf) => {
                if let Ok((n, src)) = r {
                    // The RTCP socket's datagrams go to the RTCP port's own
                    // DTLS association (RFC 5764 §4.1) by the socket they
                    // came in on, not by guessing from the source address.
                    pump.handle_rtcp_datagram(Instant::now(), src, &mut cbuf[..n]);
                }
            }
            _ = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline)) => {
                let mut tap = Tap { inner: pipeline.as_mut(), presses: &mut presses };
                pump.handle_timeout(Instant::now(), &mut tap);
            }
            cmd = rx.recv() => {
                match cmd {
                    None => return,
                    Some(MediaCmd::Update(m)) => {
                        if let Err(e) = pump.update(Instant::now(), &m) {
                            tracing::warn!(%call, error = %e, "media update refused");
                        }
                        pipeline.on_start(pump.media_info());
                    }
                    Some(MediaCmd::Replace(new)) => {
                        // The old stream ends with its RTCP BYE.
                        let before = pump.close(Instant::now());
                        flush(&mut pump, &rtp, &rtcp, &mut tbuf);
                        tracing::debug!(%call, summary = %before, "media replaced");
                        pump = *new;
                        pipeline.on_start(pump.media_info());
                    }
                    Some(MediaCmd::InfoDtmf(d, dur)) => pump.on_info_dtmf(Instant::now(), d, dur),
                    Some(MediaCmd::SendDtmf(d)) => send_dtmf(call, &mut pump, d, &out),
                    Some(MediaCmd::Event(e)) => pipeline.on_event(&e),
                    Some(MediaCmd::Close(reply)) => {
                        let summary = pump.close(Instant::now());
                        flush(&mut pump, &rtp, &rtcp, &mut tbuf);
                        pipeline.on_end(&summary);
                        let _ = reply.send(summary);
                        return;
                    }
                }
            }
        }
        flush(&mut pump, &rtp, &rtcp, &mut tbuf);
        if let (Some(reason), false) = (pump.failed(), reported_failure) {
            reported_failure = true;
            let _ = out.send(MediaOut::Failed(call, reason.to_owned()));
        }
        for p in presses.drain(..) {
            let _ = out.send(MediaOut::Dtmf(call, p));
        }
        while let Some(a) = pipeline.poll_action() {
            match a {
                PipelineAction::SendDtmf(d) => send_dtmf(call, &mut pump, d, &out),
                other => {
                    let _ = out.send(MediaOut::Action(call, other));
                }
            }
        }
    }
}

fn send_dtmf(
    call: CallKey,
    pump: &mut MediaPump,
    digit: char,
    out: &mpsc::UnboundedSender<MediaOut>,
) {
    match pump.send_dtmf(digit) {
        Ok(DtmfSent::Info) => {
            let _ = out.send(MediaOut::SendInfo(call, digit));
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(%call, %digit, error = %e, "DTMF not sent"),
    }
}

fn flush(pump: &mut MediaPump, rtp: &UdpSocket, rtcp: &Option<UdpSocket>, buf: &mut [u8]) {
    // With rtcp-mux RTCP leaves from the RTP port, even though the RTCP
    // port is held in case the peer had declined multiplexing.
    let rtcp = rtcp.as_ref().filter(|_| !pump.rtcp_mux());
    while let Some(t) = pump.poll_transmit(buf) {
        let sock = match (t.rtcp, rtcp) {
            (true, Some(r)) => r,
            _ => rtp,
        };
        if let Err(e) = sock.try_send_to(&buf[..t.len], t.destination) {
            tracing::debug!(to = %t.destination, error = %e, "RTP send failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_even_pairs_in_range() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let (rtp, rtcp) = bind_media(ip, (41000, 41999), false).unwrap();
        let p = rtp.local_addr().unwrap().port();
        assert_eq!(p % 2, 0);
        assert!((41000..=41998).contains(&p));
        assert_eq!(rtcp.unwrap().local_addr().unwrap().port(), p + 1);
        let (rtp, rtcp) = bind_media(ip, (41000, 41999), true).unwrap();
        assert!(rtcp.is_none());
        assert_eq!(rtp.local_addr().unwrap().port() % 2, 0);
    }

    #[test]
    fn full_range_is_an_error() {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let (held, _held_rtcp) = bind_media(ip, (41100, 41101), false).unwrap();
        let e = bind_media(ip, (41100, 41101), false).unwrap_err();
        assert!(e.to_string().contains("41100-41101"));
        drop(held);
    }
}
