//! baresip as a real phone: plays a tone from a WAV, dumps what it
//! receives (module sndfile), driven over its ctrl_tcp interface
//! (netstring JSON commands and events).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use heron_agent::media::wav::Wav;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::time::timeout;

use super::{free_port, require, Scratch};

/// A running baresip.
pub struct Baresip {
    child: Child,
    pub dir: Scratch,
    pub sip_port: u16,
    ctrl: TcpStream,
    buf: Vec<u8>,
    /// Events seen (their JSON text).
    pub events: Vec<String>,
}

/// A 10 s, 48 kHz mono tone WAV (aufile hangs up at its end).
fn tone_wav(path: &Path, freq: f64) {
    let rate = 48000;
    let mut g = heron_agent::media::analysis::ToneGenerator::new(freq, rate, 8000);
    let mut samples = vec![0i16; rate as usize * 10];
    g.fill(&mut samples);
    Wav { rate, samples }.write(path).unwrap();
}

impl Baresip {
    /// Starts baresip with one account line (`<sip:user@host>;params`);
    /// it sends a `tone` Hz sine.
    pub async fn start(account: &str, tone: f64) -> Baresip {
        let bin = require("baresip", "baresip-core");
        let dir = Scratch::new("baresip");
        let sip_port = free_port();
        let ctrl_port = free_port();
        let d = dir.0.display().to_string();
        tone_wav(&dir.0.join("tone.wav"), tone);
        std::fs::create_dir_all(dir.0.join("dump")).unwrap();
        std::fs::write(
            dir.0.join("config"),
            format!(
                "module_path /usr/lib/baresip/modules\n\
                 sip_listen 127.0.0.1:{sip_port}\n\
                 net_interface 127.0.0.1\n\
                 audio_player alsa,null\n\
                 audio_alert alsa,null\n\
                 audio_source aufile,{d}/tone.wav\n\
                 ausrc_srate 48000\nauplay_srate 48000\nausrc_channels 1\nauplay_channels 1\n\
                 rtp_ports 47000-48999\n\
                 module g711.so\nmodule g722.so\nmodule opus.so\nmodule srtp.so\nmodule dtls_srtp.so\n\
                 module aufile.so\nmodule alsa.so\nmodule sndfile.so\n\
                 module ctrl_tcp.so\nctrl_tcp_listen 127.0.0.1:{ctrl_port}\n\
                 snd_path {d}/dump\n\
                 module_app account.so\nmodule_app menu.so\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.0.join("accounts"), format!("{account}\n")).unwrap();
        let log = std::fs::File::create(dir.0.join("baresip.log")).unwrap();
        let child = Command::new(bin)
            .arg("-f")
            .arg(&dir.0)
            .current_dir(&dir.0)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .expect("baresip starts");
        let ctrl = timeout(Duration::from_secs(10), async {
            loop {
                if let Ok(s) = TcpStream::connect(("127.0.0.1", ctrl_port)).await {
                    return s;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await
        .expect("baresip's ctrl_tcp port opens");
        Baresip {
            child,
            dir,
            sip_port,
            ctrl,
            buf: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Sends a command (`dial`, `hangup`, `sndcode`, ...).
    pub async fn command(&mut self, command: &str, params: &str) {
        let json = format!("{{\"command\":\"{command}\",\"params\":\"{params}\",\"token\":\"t\"}}");
        let frame = format!("{}:{json},", json.len());
        self.ctrl.write_all(frame.as_bytes()).await.unwrap();
    }

    async fn next_message(&mut self) -> Option<String> {
        loop {
            if let Some(colon) = self.buf.iter().position(|&b| b == b':') {
                let len: usize = std::str::from_utf8(&self.buf[..colon])
                    .ok()?
                    .trim()
                    .parse()
                    .ok()?;
                if self.buf.len() > colon + len {
                    let msg =
                        String::from_utf8_lossy(&self.buf[colon + 1..colon + 1 + len]).into_owned();
                    self.buf.drain(..colon + len + 2);
                    return Some(msg);
                }
            }
            let mut chunk = [0u8; 4096];
            let n = self.ctrl.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Waits for an event whose JSON contains `needle`.
    pub async fn wait_event(&mut self, needle: &str, secs: u64) -> Option<String> {
        if let Some(e) = self.events.iter().find(|e| e.contains(needle)) {
            return Some(e.clone());
        }
        timeout(Duration::from_secs(secs), async {
            while let Some(m) = self.next_message().await {
                self.events.push(m.clone());
                if m.contains(needle) {
                    return Some(m);
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
    }

    /// The decoded audio baresip received (its sndfile dump), if any.
    pub fn received(&self) -> Option<Wav> {
        let dump: PathBuf = self.dir.0.join("dump");
        let f = std::fs::read_dir(dump)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with("-dec.wav"))?;
        Wav::read(&f).ok()
    }

    /// baresip's log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("baresip.log")).unwrap_or_default()
    }

    /// Stops it (SIGKILL; it is a test peer).
    pub async fn stop(mut self) -> Scratch {
        let _ = self.child.kill().await;
        let Baresip { dir, .. } = self;
        dir
    }
}
