//! The SRTP/SRTCP context: session keys, per-SSRC state, and the in-place
//! protect/unprotect transforms.

use subtle::ConstantTimeEq;

use super::backend::{Aead, CtrCipher, RingGcm, RustCryptoCtr, RustCryptoHmac, Sha1Mac};
use super::kdf::{Kdf, Label};
use super::replay::{ReplayCheck, ReplayWindow};
use super::{MasterKey, SrtpConfig, SrtpError, SrtpProfile, MAX_MKI_LEN};
use crate::rtp::{be16, be32, rtp_header_len};

const SRTP_MAX_PACKETS: u64 = 1 << 48;
const SRTCP_MAX_PACKETS: u64 = 1 << 31;
const SRTCP_INDEX_MASK: u32 = 0x7fff_ffff;

/// Counters of an [`SrtpContext`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SrtpStats {
    /// RTP packets protected.
    pub rtp_protected: u64,
    /// RTP packets unprotected successfully.
    pub rtp_unprotected: u64,
    /// RTCP packets protected.
    pub rtcp_protected: u64,
    /// RTCP packets unprotected successfully.
    pub rtcp_unprotected: u64,
    /// Packets dropped because authentication failed.
    pub auth_failures: u64,
    /// Packets dropped as replays or too old for the window.
    pub replays: u64,
    /// Packets dropped for an unknown MKI.
    pub unknown_mki: u64,
}

// Built once per master key, never moved per packet.
#[allow(clippy::large_enum_variant)]
enum Transform {
    Cm {
        ctr: RustCryptoCtr,
        mac: RustCryptoHmac,
        salt: [u8; 14],
    },
    Gcm {
        aead: RingGcm,
        salt: [u8; 12],
    },
}

impl Transform {
    #[cfg(test)]
    pub(crate) fn from_session(profile: SrtpProfile, key: &[u8], auth: &[u8], salt: &[u8]) -> Self {
        if profile.is_aead() {
            let mut s = [0u8; 12];
            s.copy_from_slice(salt);
            Transform::Gcm {
                aead: RingGcm::new(key).expect("key"),
                salt: s,
            }
        } else {
            let mut s = [0u8; 14];
            s.copy_from_slice(salt);
            Transform::Cm {
                ctr: RustCryptoCtr::new(key).expect("key"),
                mac: RustCryptoHmac::new(auth),
                salt: s,
            }
        }
    }

    fn new(profile: SrtpProfile, kdf: &Kdf, rtcp: bool) -> Result<Self, SrtpError> {
        let (le, la, ls) = if rtcp {
            (Label::RtcpEncryption, Label::RtcpAuth, Label::RtcpSalt)
        } else {
            (Label::RtpEncryption, Label::RtpAuth, Label::RtpSalt)
        };
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        let key = &mut key[..profile.key_len()];
        kdf.derive(le, key);
        let bad = SrtpError::InvalidKey {
            reason: "session key rejected by the cipher",
        };
        if profile.is_aead() {
            let mut salt = [0u8; 12];
            kdf.derive(ls, &mut salt);
            Ok(Transform::Gcm {
                aead: RingGcm::new(key).ok_or(bad)?,
                salt,
            })
        } else {
            let mut salt = [0u8; 14];
            kdf.derive(ls, &mut salt);
            let mut auth = zeroize::Zeroizing::new([0u8; 20]);
            kdf.derive(la, &mut auth[..]);
            Ok(Transform::Cm {
                ctr: RustCryptoCtr::new(key).ok_or(bad)?,
                mac: RustCryptoHmac::new(&auth[..]),
                salt,
            })
        }
    }
}

struct SessionKeys {
    mki: [u8; MAX_MKI_LEN],
    mki_len: usize,
    srtp_limit: u64,
    srtp_count: u64,
    rtp: Transform,
    /// RTCP runs once every few seconds: its keys stay out of the way of
    /// the per-packet lines.
    rtcp: Box<Transform>,
    srtcp_limit: u64,
    srtcp_count: u64,
}

/// The master keys of a context. The first (usually the only one) is
/// stored inline, so a packet reaches its key schedule without following
/// a pointer; further keys (MKI) live in a vector.
struct KeySet {
    first: SessionKeys,
    more: Vec<SessionKeys>,
}

impl KeySet {
    fn len(&self) -> usize {
        1 + self.more.len()
    }

    #[inline]
    fn get(&self, i: usize) -> &SessionKeys {
        match i.checked_sub(1) {
            None => &self.first,
            Some(j) => &self.more[j],
        }
    }

    #[inline]
    fn get_mut(&mut self, i: usize) -> &mut SessionKeys {
        match i.checked_sub(1) {
            None => &mut self.first,
            Some(j) => &mut self.more[j],
        }
    }

    fn position(&self, mki: &[u8]) -> Option<usize> {
        std::iter::once(&self.first)
            .chain(&self.more)
            .position(|k| k.mki() == mki)
    }
}

impl SessionKeys {
    /// Derives the session keys of master key `mk`.
    fn derive(profile: SrtpProfile, mk: &MasterKey, mki_len: usize) -> Result<Self, SrtpError> {
        if mk.key().len() != profile.key_len() || mk.salt().len() != profile.salt_len() {
            return Err(SrtpError::InvalidKey {
                reason: "key or salt length does not match the profile",
            });
        }
        if mk.mki().len() != mki_len {
            return Err(SrtpError::InvalidKey {
                reason: "all MKIs must have the same length",
            });
        }
        let mut mki = [0u8; MAX_MKI_LEN];
        mki[..mki_len].copy_from_slice(mk.mki());
        let life = mk.lifetime();
        let kdf = Kdf::new(mk.key(), mk.salt()).ok_or(SrtpError::InvalidKey {
            reason: "master key length",
        })?;
        Ok(SessionKeys {
            mki,
            mki_len,
            rtp: Transform::new(profile, &kdf, false)?,
            rtcp: Box::new(Transform::new(profile, &kdf, true)?),
            srtp_limit: life.unwrap_or(SRTP_MAX_PACKETS).min(SRTP_MAX_PACKETS),
            srtcp_limit: life.unwrap_or(SRTCP_MAX_PACKETS).min(SRTCP_MAX_PACKETS),
            srtp_count: 0,
            srtcp_count: 0,
        })
    }

    fn mki(&self) -> &[u8] {
        &self.mki[..self.mki_len]
    }
}

struct TxStream {
    ssrc: u32,
    roc: u32,
    last_seq: u16,
    srtcp_index: u32,
}

struct RxStream {
    ssrc: u32,
    roc: u32,
    last_seq: u16,
    rtp_window: ReplayWindow,
    rtcp_window: ReplayWindow,
}

trait Ssrc {
    fn ssrc(&self) -> u32;
}

impl Ssrc for TxStream {
    fn ssrc(&self) -> u32 {
        self.ssrc
    }
}

impl Ssrc for RxStream {
    fn ssrc(&self) -> u32 {
        self.ssrc
    }
}

/// Per-SSRC states, oldest first. The first (a call usually has one SSRC
/// per direction) is stored inline; more go to a vector.
struct Streams<T> {
    first: Option<T>,
    rest: Vec<T>,
}

impl<T: Ssrc> Streams<T> {
    fn new() -> Self {
        Streams {
            first: None,
            rest: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    #[inline]
    fn position(&self, ssrc: u32) -> Option<usize> {
        match &self.first {
            Some(f) if f.ssrc() == ssrc => Some(0),
            Some(_) => self
                .rest
                .iter()
                .position(|s| s.ssrc() == ssrc)
                .map(|i| i + 1),
            None => None,
        }
    }

    #[inline]
    fn find(&self, ssrc: u32) -> Option<&T> {
        self.position(ssrc).map(|i| self.get(i))
    }

    /// The stream at `i` (from `position` or `push`: index 0 is `first`,
    /// which is set whenever any stream is).
    #[inline]
    fn get(&self, i: usize) -> &T {
        match (i, &self.first) {
            (0, Some(f)) => f,
            _ => &self.rest[i.wrapping_sub(1)],
        }
    }

    #[inline]
    fn get_mut(&mut self, i: usize) -> &mut T {
        match (i, &mut self.first) {
            (0, Some(f)) => f,
            _ => &mut self.rest[i.wrapping_sub(1)],
        }
    }

    /// Adds a stream, forgetting the oldest once `max` are kept; returns
    /// its index.
    fn push(&mut self, s: T, max: usize) -> usize {
        if self.len() >= max.max(1) {
            self.first = if self.rest.is_empty() {
                None
            } else {
                Some(self.rest.remove(0))
            };
        }
        if self.first.is_none() {
            self.first = Some(s);
            0
        } else {
            self.rest.push(s);
            self.rest.len()
        }
    }
}

/// SRTP/SRTCP state for one set of master keys (one direction of a call in
/// SDES terms). See the module documentation.
pub struct SrtpContext {
    profile: SrtpProfile,
    config: SrtpConfig,
    keys: KeySet,
    active: usize,
    tx: Streams<TxStream>,
    rx: Streams<RxStream>,
    stats: SrtpStats,
}

impl std::fmt::Debug for SrtpContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrtpContext")
            .field("profile", &self.profile)
            .field("config", &self.config)
            .field("master_keys", &self.keys.len())
            .field("active", &self.active)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// Estimates the rollover counter of a received sequence number against the
/// highest one seen (RFC 3711 Appendix A). Returns `None` for a packet from
/// before ROC 0.
#[inline]
fn estimate_roc(roc: u32, s_l: u16, seq: u16) -> Option<u32> {
    if s_l < 0x8000 {
        if seq > s_l && seq - s_l > 0x8000 {
            roc.checked_sub(1)
        } else {
            Some(roc)
        }
    } else if s_l - 0x8000 > seq {
        Some(roc.wrapping_add(1))
    } else {
        Some(roc)
    }
}

#[inline]
fn advance(roc: &mut u32, last: &mut u16, v: u32, seq: u16) {
    if v == roc.wrapping_add(1) {
        *roc = v;
        *last = seq;
    } else if v == *roc && seq > *last {
        *last = seq;
    }
}

/// Octets of keystream made before an SRTP tag is checked (a multiple of
/// 16): the whole payload of a 20 ms G.711/G.722 packet.
const EARLY_KEYSTREAM: usize = 256;

/// Compares two authentication tags in time independent of their
/// contents (the lengths are public).
#[inline]
fn tags_equal(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[inline]
fn cm_iv(salt: &[u8; 14], ssrc: u32, index: u64) -> [u8; 16] {
    let mut iv = [0u8; 16];
    iv[..14].copy_from_slice(salt);
    for (d, s) in iv[4..8].iter_mut().zip(ssrc.to_be_bytes()) {
        *d ^= s;
    }
    for (d, s) in iv[8..14].iter_mut().zip(&index.to_be_bytes()[2..]) {
        *d ^= s;
    }
    iv
}

#[inline]
fn gcm_iv(salt: &[u8; 12], ssrc: u32, hi: u32, lo: u16) -> [u8; 12] {
    let mut iv = *salt;
    for (d, s) in iv[2..6].iter_mut().zip(ssrc.to_be_bytes()) {
        *d ^= s;
    }
    for (d, s) in iv[6..10].iter_mut().zip(hi.to_be_bytes()) {
        *d ^= s;
    }
    for (d, s) in iv[10..12].iter_mut().zip(lo.to_be_bytes()) {
        *d ^= s;
    }
    iv
}

impl SrtpContext {
    /// Creates a context for `profile` with one or more master keys. With
    /// several keys every key must carry an MKI of the same length; the
    /// first key protects outgoing packets until its lifetime runs out.
    pub fn new(
        profile: SrtpProfile,
        keys: &[MasterKey],
        config: SrtpConfig,
    ) -> Result<Self, SrtpError> {
        let Some(first) = keys.first() else {
            return Err(SrtpError::InvalidKey {
                reason: "no master key",
            });
        };
        let mki_len = first.mki().len();
        if keys.len() > 1 && mki_len == 0 {
            return Err(SrtpError::InvalidKey {
                reason: "several master keys need an MKI each",
            });
        }
        let first = SessionKeys::derive(profile, first, mki_len)?;
        let more = keys[1..]
            .iter()
            .map(|mk| SessionKeys::derive(profile, mk, mki_len))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SrtpContext {
            profile,
            config,
            keys: KeySet { first, more },
            active: 0,
            tx: Streams::new(),
            rx: Streams::new(),
            stats: SrtpStats::default(),
        })
    }

    /// A context from already-derived session keys, for the RFC vectors
    /// that publish session keys rather than master keys.
    #[cfg(test)]
    pub(crate) fn from_session_keys(
        profile: SrtpProfile,
        key: &[u8],
        auth: &[u8],
        salt: &[u8],
        config: SrtpConfig,
    ) -> Self {
        SrtpContext {
            profile,
            config,
            keys: KeySet {
                first: SessionKeys {
                    mki: [0; MAX_MKI_LEN],
                    mki_len: 0,
                    rtp: Transform::from_session(profile, key, auth, salt),
                    rtcp: Box::new(Transform::from_session(profile, key, auth, salt)),
                    srtp_limit: SRTP_MAX_PACKETS,
                    srtcp_limit: SRTCP_MAX_PACKETS,
                    srtp_count: 0,
                    srtcp_count: 0,
                },
                more: Vec::new(),
            },
            active: 0,
            tx: Streams::new(),
            rx: Streams::new(),
            stats: SrtpStats::default(),
        }
    }

    #[cfg(test)]
    pub(crate) fn set_tx_srtcp_index(&mut self, ssrc: u32, index: u32) {
        let i = self.tx_stream(ssrc, 0);
        self.tx.get_mut(i).srtcp_index = index;
    }

    /// The profile.
    pub fn profile(&self) -> SrtpProfile {
        self.profile
    }

    /// Counters so far.
    pub fn stats(&self) -> SrtpStats {
        self.stats
    }

    /// Octets [`protect_rtp`](Self::protect_rtp) appends.
    pub fn rtp_overhead(&self) -> usize {
        self.profile.rtp_tag_len() + self.keys.first.mki_len
    }

    /// Octets [`protect_rtcp`](Self::protect_rtcp) appends.
    pub fn rtcp_overhead(&self) -> usize {
        self.profile.rtcp_tag_len() + 4 + self.keys.first.mki_len
    }

    /// Index of the master key now used for sending.
    pub fn active_key(&self) -> usize {
        self.active
    }

    /// Switches sending to master key `index` (in the order given to `new`).
    pub fn set_active_key(&mut self, index: usize) -> Result<(), SrtpError> {
        if index >= self.keys.len() {
            return Err(SrtpError::InvalidKey {
                reason: "no master key at that index",
            });
        }
        self.active = index;
        Ok(())
    }

    /// The rollover counter of an outgoing SSRC, if it has sent.
    pub fn tx_roc(&self, ssrc: u32) -> Option<u32> {
        self.tx.find(ssrc).map(|s| s.roc)
    }

    /// The rollover counter of an incoming SSRC, if it was received.
    pub fn rx_roc(&self, ssrc: u32) -> Option<u32> {
        self.rx.find(ssrc).map(|s| s.roc)
    }

    /// Sets the rollover counter of an outgoing SSRC (for example when a
    /// stream joins late, RFC 4568 §6.4 or a signalled ROC).
    pub fn set_tx_roc(&mut self, ssrc: u32, roc: u32, last_seq: u16) {
        let i = self.tx_stream(ssrc, last_seq);
        let st = self.tx.get_mut(i);
        st.roc = roc;
        st.last_seq = last_seq;
    }

    fn sender_key(&mut self, rtcp: bool) -> Result<usize, SrtpError> {
        loop {
            let k = self.keys.get(self.active);
            let ok = if rtcp {
                k.srtcp_count < k.srtcp_limit
            } else {
                k.srtp_count < k.srtp_limit
            };
            if ok {
                return Ok(self.active);
            }
            if self.active + 1 < self.keys.len() {
                self.active += 1;
            } else {
                return Err(SrtpError::KeyExhausted);
            }
        }
    }

    fn receiver_key(&mut self, mki: &[u8]) -> Result<usize, SrtpError> {
        if self.keys.first.mki_len == 0 {
            return Ok(0);
        }
        match self.keys.position(mki) {
            Some(i) => Ok(i),
            None => {
                self.stats.unknown_mki += 1;
                Err(SrtpError::UnknownMki)
            }
        }
    }

    fn tx_stream(&mut self, ssrc: u32, first_seq: u16) -> usize {
        if let Some(i) = self.tx.position(ssrc) {
            return i;
        }
        self.tx.push(
            TxStream {
                ssrc,
                roc: 0,
                last_seq: first_seq,
                srtcp_index: 0,
            },
            self.config.max_streams,
        )
    }

    fn rx_stream(&mut self, ssrc: u32) -> usize {
        if let Some(i) = self.rx.position(ssrc) {
            return i;
        }
        self.rx.push(
            RxStream {
                ssrc,
                roc: 0,
                last_seq: 0,
                rtp_window: ReplayWindow::new(self.config.replay_window),
                rtcp_window: ReplayWindow::new(self.config.replay_window),
            },
            self.config.max_streams,
        )
    }

    /// Protects the RTP packet in `buf[..len]` in place, appending the MKI
    /// and tag; `buf` must have [`rtp_overhead`](Self::rtp_overhead) spare
    /// octets after `len`. Returns the SRTP packet length.
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        let pkt = buf.get(..len).ok_or(SrtpError::BufferTooSmall {
            needed: len,
            capacity: buf.len(),
        })?;
        let hlen = rtp_header_len(pkt)?;
        let ssrc = be32(pkt, 8);
        let seq = be16(pkt, 2);
        let tag_len = self.profile.rtp_tag_len();
        let mki_len = self.keys.first.mki_len;
        let total = len + tag_len + mki_len;
        if buf.len() < total {
            return Err(SrtpError::BufferTooSmall {
                needed: total,
                capacity: buf.len(),
            });
        }
        let k = self.sender_key(false)?;
        let si = self.tx_stream(ssrc, seq);
        let st = self.tx.get_mut(si);
        let roc = estimate_roc(st.roc, st.last_seq, seq).unwrap_or(st.roc);
        let index = (u64::from(roc) << 16) | u64::from(seq);
        let keys = self.keys.get_mut(k);
        match &keys.rtp {
            Transform::Cm { ctr, mac, salt } => {
                if self.config.encrypt_rtp {
                    ctr.apply_keystream(&cm_iv(salt, ssrc, index), &mut buf[hlen..len]);
                }
                let tag = mac.tag(&buf[..len], &roc.to_be_bytes());
                buf[len..len + mki_len].copy_from_slice(keys.mki());
                buf[len + mki_len..total].copy_from_slice(&tag[..tag_len]);
            }
            Transform::Gcm { aead, salt } => {
                let iv = gcm_iv(salt, ssrc, roc, seq);
                let tag = if self.config.encrypt_rtp {
                    let (aad, data) = buf.split_at_mut(hlen);
                    aead.seal(&iv, aad, &mut data[..len - hlen])
                } else {
                    aead.seal(&iv, &buf[..len], &mut [])
                };
                buf[len..len + 16].copy_from_slice(&tag);
                buf[len + 16..total].copy_from_slice(keys.mki());
            }
        }
        keys.srtp_count += 1;
        advance(&mut st.roc, &mut st.last_seq, roc, seq);
        self.stats.rtp_protected += 1;
        Ok(total)
    }

    /// Verifies and decrypts the SRTP packet in `buf` in place and returns
    /// the length of the RTP packet now at its start. On error the packet
    /// must be dropped; its octets may have been changed.
    pub fn unprotect_rtp(&mut self, buf: &mut [u8]) -> Result<usize, SrtpError> {
        let len = buf.len();
        let hlen = rtp_header_len(buf)?;
        let tag_len = self.profile.rtp_tag_len();
        let mki_len = self.keys.first.mki_len;
        let needed = hlen + tag_len + mki_len;
        if len < needed {
            return Err(SrtpError::TooShort { len, needed });
        }
        let ssrc = be32(buf, 8);
        let seq = be16(buf, 2);
        let end = len - tag_len - mki_len;
        let aead = self.profile.is_aead();
        let mki_at = if aead { len - mki_len } else { end };
        let k = self.receiver_key(&buf[mki_at..mki_at + mki_len])?;
        let known = self.rx.position(ssrc);
        let roc = match known {
            Some(i) => {
                let st = self.rx.get(i);
                let Some(v) = estimate_roc(st.roc, st.last_seq, seq) else {
                    self.stats.replays += 1;
                    return Err(SrtpError::TooOld {
                        ssrc,
                        index: u64::from(seq),
                    });
                };
                let index = (u64::from(v) << 16) | u64::from(seq);
                match st.rtp_window.check(index) {
                    ReplayCheck::Fresh => {}
                    ReplayCheck::Duplicate => {
                        self.stats.replays += 1;
                        return Err(SrtpError::Replayed { ssrc, index });
                    }
                    ReplayCheck::TooOld => {
                        self.stats.replays += 1;
                        return Err(SrtpError::TooOld { ssrc, index });
                    }
                }
                v
            }
            None => 0,
        };
        let index = (u64::from(roc) << 16) | u64::from(seq);
        let keys = self.keys.get_mut(k);
        if keys.srtp_count >= keys.srtp_limit {
            return Err(SrtpError::KeyExhausted);
        }
        let ok = match &keys.rtp {
            Transform::Cm { ctr, mac, salt } => {
                // The keystream of the first octets is made before the tag
                // is checked: it does not depend on the tag, so the CPU
                // runs the AES rounds beside the SHA-1 rounds. It is applied
                // only to an authentic packet.
                let payload = end - hlen;
                let mut ks = [0u8; EARLY_KEYSTREAM];
                let early = payload.min(EARLY_KEYSTREAM);
                let iv = cm_iv(salt, ssrc, index);
                if self.config.encrypt_rtp {
                    ctr.apply_keystream(&iv, &mut ks[..early]);
                }
                let tag = mac.tag(&buf[..end], &roc.to_be_bytes());
                let ok = tags_equal(&tag[..tag_len], &buf[end + mki_len..len]);
                if ok && self.config.encrypt_rtp {
                    for (d, k) in buf[hlen..hlen + early].iter_mut().zip(&ks[..early]) {
                        *d ^= k;
                    }
                    if payload > early {
                        let next =
                            u128::from_be_bytes(iv).wrapping_add((EARLY_KEYSTREAM / 16) as u128);
                        ctr.apply_keystream(&next.to_be_bytes(), &mut buf[hlen + early..end]);
                    }
                }
                ok
            }
            Transform::Gcm { aead, salt } => {
                let iv = gcm_iv(salt, ssrc, roc, seq);
                let mut tag = [0u8; 16];
                tag.copy_from_slice(&buf[end..end + 16]);
                if self.config.encrypt_rtp {
                    let (aad, data) = buf.split_at_mut(hlen);
                    aead.open(&iv, aad, &mut data[..end - hlen], &tag)
                } else {
                    aead.open(&iv, &buf[..end], &mut [], &tag)
                }
            }
        };
        if !ok {
            self.stats.auth_failures += 1;
            return Err(SrtpError::AuthenticationFailed { ssrc, index });
        }
        keys.srtp_count += 1;
        let si = match known {
            Some(i) => i,
            None => self.rx_stream(ssrc),
        };
        let st = self.rx.get_mut(si);
        if known.is_none() {
            st.last_seq = seq;
        }
        advance(&mut st.roc, &mut st.last_seq, roc, seq);
        st.rtp_window.accept(index);
        self.stats.rtp_unprotected += 1;
        Ok(end)
    }

    /// Protects the compound RTCP packet in `buf[..len]` in place, appending
    /// the E flag and SRTCP index, MKI and tag; `buf` must have
    /// [`rtcp_overhead`](Self::rtcp_overhead) spare octets. Returns the
    /// SRTCP packet length.
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, SrtpError> {
        if len < 8 || buf.len() < len {
            return Err(SrtpError::TooShort { len, needed: 8 });
        }
        let version = buf[0] >> 6;
        if version != 2 {
            return Err(crate::PacketError::BadVersion { version, offset: 0 }.into());
        }
        let tag_len = self.profile.rtcp_tag_len();
        let mki_len = self.keys.first.mki_len;
        let total = len + 4 + tag_len + mki_len;
        if buf.len() < total {
            return Err(SrtpError::BufferTooSmall {
                needed: total,
                capacity: buf.len(),
            });
        }
        let ssrc = be32(buf, 4);
        let k = self.sender_key(true)?;
        let si = self.tx_stream(ssrc, 0);
        let st = self.tx.get_mut(si);
        let index = st.srtcp_index;
        if index > SRTCP_INDEX_MASK {
            return Err(SrtpError::KeyExhausted);
        }
        let encrypt = self.config.encrypt_rtcp;
        let eidx = (index | if encrypt { 0x8000_0000 } else { 0 }).to_be_bytes();
        let keys = self.keys.get_mut(k);
        match &*keys.rtcp {
            Transform::Cm { ctr, mac, salt } => {
                if encrypt {
                    ctr.apply_keystream(&cm_iv(salt, ssrc, u64::from(index)), &mut buf[8..len]);
                }
                buf[len..len + 4].copy_from_slice(&eidx);
                let tag = mac.tag(&buf[..len + 4], &[]);
                buf[len + 4..len + 4 + mki_len].copy_from_slice(keys.mki());
                buf[len + 4 + mki_len..total].copy_from_slice(&tag[..tag_len]);
            }
            Transform::Gcm { aead, salt } => {
                let iv = gcm_iv(salt, ssrc, 0, 0);
                let iv = xor_index(iv, index);
                let tag = if encrypt {
                    let mut aad = [0u8; 12];
                    aad[..8].copy_from_slice(&buf[..8]);
                    aad[8..].copy_from_slice(&eidx);
                    aead.seal(&iv, &aad, &mut buf[8..len])
                } else {
                    buf[len..len + 4].copy_from_slice(&eidx);
                    aead.seal(&iv, &buf[..len + 4], &mut [])
                };
                buf[len..len + 16].copy_from_slice(&tag);
                buf[len + 16..len + 20].copy_from_slice(&eidx);
                buf[len + 20..total].copy_from_slice(keys.mki());
            }
        }
        keys.srtcp_count += 1;
        st.srtcp_index = index + 1;
        self.stats.rtcp_protected += 1;
        Ok(total)
    }

    /// Verifies and (when the E flag is set) decrypts the SRTCP packet in
    /// `buf` in place; returns the length of the compound RTCP packet.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, SrtpError> {
        let len = buf.len();
        let tag_len = self.profile.rtcp_tag_len();
        let mki_len = self.keys.first.mki_len;
        let needed = 8 + 4 + tag_len + mki_len;
        if len < needed {
            return Err(SrtpError::TooShort { len, needed });
        }
        let version = buf[0] >> 6;
        if version != 2 {
            return Err(crate::PacketError::BadVersion { version, offset: 0 }.into());
        }
        let ssrc = be32(buf, 4);
        let aead = self.profile.is_aead();
        // CM: packet || E+index || MKI || tag.  GCM: packet || tag || E+index || MKI.
        let (eidx_at, mki_at, end) = if aead {
            (
                len - mki_len - 4,
                len - mki_len,
                len - mki_len - 4 - tag_len,
            )
        } else {
            (
                len - tag_len - mki_len - 4,
                len - tag_len - mki_len,
                len - tag_len - mki_len - 4,
            )
        };
        let k = self.receiver_key(&buf[mki_at..mki_at + mki_len])?;
        let eidx_word = be32(buf, eidx_at);
        let encrypted = eidx_word & 0x8000_0000 != 0;
        let index = eidx_word & SRTCP_INDEX_MASK;
        let known = self.rx.position(ssrc);
        if let Some(i) = known {
            match self.rx.get(i).rtcp_window.check(u64::from(index)) {
                ReplayCheck::Fresh => {}
                ReplayCheck::Duplicate => {
                    self.stats.replays += 1;
                    return Err(SrtpError::Replayed {
                        ssrc,
                        index: u64::from(index),
                    });
                }
                ReplayCheck::TooOld => {
                    self.stats.replays += 1;
                    return Err(SrtpError::TooOld {
                        ssrc,
                        index: u64::from(index),
                    });
                }
            }
        }
        let keys = self.keys.get_mut(k);
        if keys.srtcp_count >= keys.srtcp_limit {
            return Err(SrtpError::KeyExhausted);
        }
        let ok = match &*keys.rtcp {
            Transform::Cm { ctr, mac, salt } => {
                let tag = mac.tag(&buf[..eidx_at + 4], &[]);
                let ok = tags_equal(&tag[..tag_len], &buf[mki_at + mki_len..len]);
                if ok && encrypted {
                    ctr.apply_keystream(&cm_iv(salt, ssrc, u64::from(index)), &mut buf[8..end]);
                }
                ok
            }
            Transform::Gcm { aead, salt } => {
                let iv = xor_index(gcm_iv(salt, ssrc, 0, 0), index);
                let mut tag = [0u8; 16];
                tag.copy_from_slice(&buf[end..end + 16]);
                let eidx = eidx_word.to_be_bytes();
                if encrypted {
                    let mut aad = [0u8; 12];
                    aad[..8].copy_from_slice(&buf[..8]);
                    aad[8..].copy_from_slice(&eidx);
                    aead.open(&iv, &aad, &mut buf[8..end], &tag)
                } else {
                    // AAD is packet || E+index: move the index next to the packet.
                    buf[end..end + 4].copy_from_slice(&eidx);
                    aead.open(&iv, &buf[..end + 4], &mut [], &tag)
                }
            }
        };
        if !ok {
            self.stats.auth_failures += 1;
            return Err(SrtpError::AuthenticationFailed {
                ssrc,
                index: u64::from(index),
            });
        }
        keys.srtcp_count += 1;
        let si = match known {
            Some(i) => i,
            None => self.rx_stream(ssrc),
        };
        self.rx.get_mut(si).rtcp_window.accept(u64::from(index));
        self.stats.rtcp_unprotected += 1;
        Ok(end)
    }
}

#[inline]
fn xor_index(mut iv: [u8; 12], index: u32) -> [u8; 12] {
    for (d, s) in iv[8..12].iter_mut().zip(index.to_be_bytes()) {
        *d ^= s;
    }
    iv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_estimation_follows_appendix_a() {
        assert_eq!(estimate_roc(0, 100, 101), Some(0));
        assert_eq!(estimate_roc(0, 65535, 0), Some(1));
        assert_eq!(estimate_roc(0, 65000, 10), Some(1));
        assert_eq!(estimate_roc(1, 5, 65530), Some(0));
        assert_eq!(estimate_roc(0, 5, 65530), None);
        assert_eq!(estimate_roc(3, 40000, 39000), Some(3));
    }
}
