//! Header names: the known ones as an enum (matched case-insensitively, with
//! the compact forms of RFC 3261 §7.3.3 and later RFCs), the rest kept as text
//! by the message.

macro_rules! header_names {
    ($( $(#[$doc:meta])* $variant:ident => $full:literal, $compact:expr, $list:literal; )*) => {
        /// A header field name. Unknown names are `Other`; the message keeps
        /// their text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum HeaderName {
            $( $(#[$doc])* $variant, )*
            /// A header this crate does not know; its text is kept verbatim.
            Other,
        }

        impl HeaderName {
            /// The full, canonical spelling (`Call-ID`, `WWW-Authenticate`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( HeaderName::$variant => $full, )*
                    HeaderName::Other => "",
                }
            }

            /// The compact form's letter, if the header has one.
            pub fn compact(self) -> Option<char> {
                match self {
                    $( HeaderName::$variant => $compact, )*
                    HeaderName::Other => None,
                }
            }

            /// Whether several values may be joined with commas on one line
            /// (RFC 3261 §7.3.1), so a value must be split at unquoted commas.
            pub fn is_list(self) -> bool {
                match self {
                    $( HeaderName::$variant => $list, )*
                    HeaderName::Other => false,
                }
            }

            /// Looks up a name (full or compact, any case).
            pub fn from_name(name: &str) -> HeaderName {
                Self::from_bytes(name.as_bytes())
            }

            /// The header whose compact form is letter `c`, in any case.
            #[cold]
            fn from_compact(c: u8) -> HeaderName {
                let c = c.to_ascii_lowercase() as char;
                $( if $compact == Some(c) { return HeaderName::$variant; } )*
                HeaderName::Other
            }

            /// Looks up a name given as bytes (full or compact, any case).
            #[inline]
            pub(crate) fn from_bytes(name: &[u8]) -> HeaderName {
                let n = name.len();
                if n == 1 {
                    return Self::from_compact(name[0]);
                }
                if n == 0 || n > KEY_BYTES {
                    return HeaderName::Other;
                }
                let mut padded = [0u8; KEY_BYTES];
                padded[..n].copy_from_slice(name);
                lookup(&padded, n)
            }

            /// Looks up the name `b[start..end]` of a header line. The
            /// bytes after the name (the rest of the line and message) let
            /// it be read as whole words without copying it first.
            #[inline]
            pub(crate) fn from_line(b: &[u8], start: usize, end: usize) -> HeaderName {
                let n = end - start;
                match b.get(start..start + KEY_BYTES) {
                    Some(words) if n > 1 && n <= KEY_BYTES => lookup(words, n),
                    _ => Self::from_bytes(b.get(start..end).unwrap_or_default()),
                }
            }

            /// Every known header name.
            pub const ALL: &'static [HeaderName] = &[ $( HeaderName::$variant, )* ];
        }

        /// Full spellings with their names, for the lookup table.
        const NAMES: &[(&str, HeaderName)] = &[ $( ($full, HeaderName::$variant), )* ];
    };
}

header_names! {
    /// Accept (RFC 3261 §20.1).
    Accept => "Accept", None, true;
    /// Accept-Contact (RFC 3841).
    AcceptContact => "Accept-Contact", Some('a'), true;
    /// Accept-Encoding.
    AcceptEncoding => "Accept-Encoding", None, true;
    /// Accept-Language.
    AcceptLanguage => "Accept-Language", None, true;
    /// Alert-Info.
    AlertInfo => "Alert-Info", None, true;
    /// Allow.
    Allow => "Allow", None, true;
    /// Allow-Events (RFC 6665).
    AllowEvents => "Allow-Events", Some('u'), true;
    /// Authorization.
    Authorization => "Authorization", None, false;
    /// Call-ID.
    CallId => "Call-ID", Some('i'), false;
    /// Call-Info.
    CallInfo => "Call-Info", None, true;
    /// Contact.
    Contact => "Contact", Some('m'), true;
    /// Content-Disposition.
    ContentDisposition => "Content-Disposition", None, false;
    /// Content-Encoding.
    ContentEncoding => "Content-Encoding", Some('e'), true;
    /// Content-Language.
    ContentLanguage => "Content-Language", None, true;
    /// Content-Length.
    ContentLength => "Content-Length", Some('l'), false;
    /// Content-Type.
    ContentType => "Content-Type", Some('c'), false;
    /// CSeq.
    CSeq => "CSeq", None, false;
    /// Date.
    Date => "Date", None, false;
    /// Diversion (RFC 5806).
    Diversion => "Diversion", None, true;
    /// Error-Info.
    ErrorInfo => "Error-Info", None, true;
    /// Event (RFC 6665).
    Event => "Event", Some('o'), false;
    /// Expires.
    Expires => "Expires", None, false;
    /// From.
    From => "From", Some('f'), false;
    /// History-Info (RFC 7044).
    HistoryInfo => "History-Info", None, true;
    /// Identity (RFC 8224).
    Identity => "Identity", Some('y'), false;
    /// In-Reply-To.
    InReplyTo => "In-Reply-To", None, true;
    /// Max-Forwards.
    MaxForwards => "Max-Forwards", None, false;
    /// MIME-Version.
    MimeVersion => "MIME-Version", None, false;
    /// Min-Expires.
    MinExpires => "Min-Expires", None, false;
    /// Min-SE (RFC 4028).
    MinSe => "Min-SE", None, false;
    /// Organization.
    Organization => "Organization", None, false;
    /// P-Asserted-Identity (RFC 3325).
    PAssertedIdentity => "P-Asserted-Identity", None, true;
    /// P-Preferred-Identity (RFC 3325).
    PPreferredIdentity => "P-Preferred-Identity", None, true;
    /// Path (RFC 3327).
    Path => "Path", None, true;
    /// Priority.
    Priority => "Priority", None, false;
    /// Privacy (RFC 3323).
    Privacy => "Privacy", None, false;
    /// Proxy-Authenticate.
    ProxyAuthenticate => "Proxy-Authenticate", None, false;
    /// Proxy-Authorization.
    ProxyAuthorization => "Proxy-Authorization", None, false;
    /// Proxy-Require.
    ProxyRequire => "Proxy-Require", None, true;
    /// RAck (RFC 3262).
    RAck => "RAck", None, false;
    /// Reason (RFC 3326).
    Reason => "Reason", None, true;
    /// Record-Route.
    RecordRoute => "Record-Route", None, true;
    /// Refer-To (RFC 3515).
    ReferTo => "Refer-To", Some('r'), false;
    /// Referred-By (RFC 3892).
    ReferredBy => "Referred-By", Some('b'), false;
    /// Reject-Contact (RFC 3841).
    RejectContact => "Reject-Contact", Some('j'), true;
    /// Remote-Party-ID (draft, still sent by Cisco and others).
    RemotePartyId => "Remote-Party-ID", None, true;
    /// Replaces (RFC 3891).
    Replaces => "Replaces", None, false;
    /// Reply-To.
    ReplyTo => "Reply-To", None, false;
    /// Request-Disposition (RFC 3841).
    RequestDisposition => "Request-Disposition", Some('d'), true;
    /// Require.
    Require => "Require", None, true;
    /// Retry-After.
    RetryAfter => "Retry-After", None, false;
    /// Route.
    Route => "Route", None, true;
    /// RSeq (RFC 3262).
    RSeq => "RSeq", None, false;
    /// Server.
    Server => "Server", None, false;
    /// Service-Route (RFC 3608).
    ServiceRoute => "Service-Route", None, true;
    /// Session-Expires (RFC 4028).
    SessionExpires => "Session-Expires", Some('x'), false;
    /// SIP-ETag (RFC 3903).
    SipEtag => "SIP-ETag", None, false;
    /// SIP-If-Match (RFC 3903).
    SipIfMatch => "SIP-If-Match", None, false;
    /// Subject.
    Subject => "Subject", Some('s'), false;
    /// Subscription-State (RFC 6665).
    SubscriptionState => "Subscription-State", None, false;
    /// Supported.
    Supported => "Supported", Some('k'), true;
    /// Timestamp.
    Timestamp => "Timestamp", None, false;
    /// To.
    To => "To", Some('t'), false;
    /// Unsupported.
    Unsupported => "Unsupported", None, true;
    /// User-Agent.
    UserAgent => "User-Agent", None, false;
    /// Via.
    Via => "Via", Some('v'), true;
    /// Warning.
    Warning => "Warning", None, true;
    /// WWW-Authenticate.
    WwwAuthenticate => "WWW-Authenticate", None, false;
}

/// Longest name the word-wise lookup reads (the longest known name is 20
/// bytes); longer names are not known ones.
const KEY_BYTES: usize = 24;

/// A known name as three little-endian words of its lower-case bytes (zero
/// past its end), the bits a letter's case may change, and its length.
struct NameKey {
    lower: [u64; 3],
    fold: [u64; 3],
    len: usize,
    name: HeaderName,
}

const fn name_key(text: &str, name: HeaderName) -> NameKey {
    let b = text.as_bytes();
    let mut lower = [0u64; 3];
    let mut fold = [0u64; 3];
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let shift = (i % 8) * 8;
        lower[i / 8] |= (c.to_ascii_lowercase() as u64) << shift;
        if c.is_ascii_alphabetic() {
            fold[i / 8] |= 0x20 << shift;
        }
        i += 1;
    }
    NameKey {
        lower,
        fold,
        len: b.len(),
        name,
    }
}

/// Every known name's key, in [`NAMES`] order.
static KEYS: [NameKey; NAMES.len()] = {
    let mut keys = [const {
        NameKey {
            lower: [0; 3],
            fold: [0; 3],
            len: 0,
            name: HeaderName::Other,
        }
    }; NAMES.len()];
    let mut i = 0;
    while i < NAMES.len() {
        assert!(NAMES[i].0.len() <= KEY_BYTES);
        keys[i] = name_key(NAMES[i].0, NAMES[i].1);
        i += 1;
    }
    keys
};

/// A hash of a name's first sixteen lower-case bytes and its length that
/// gives every known name its own slot (the multiplier was searched for
/// that); a new name that collides stops the build (see [`KEY_SLOTS`]).
#[inline(always)]
const fn key_hash(lower0: u64, lower1: u64, len: usize) -> usize {
    let x = lower0 ^ (lower1 << 3) ^ (len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x.wrapping_mul(0x440A_4AC0_6705_C359) >> 56) as usize
}

/// Slot → 1 + index into [`KEYS`], or 0 for no known name.
static KEY_SLOTS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < KEYS.len() {
        let h = key_hash(KEYS[i].lower[0], KEYS[i].lower[1], KEYS[i].len);
        assert!(t[h] == 0, "two known header names share a hash slot");
        t[h] = (i + 1) as u8;
        i += 1;
    }
    t
};

/// Byte masks keeping the first `k` bytes of a word.
const KEEP: [u64; 9] = {
    let mut t = [0u64; 9];
    let mut k = 1;
    while k < 8 {
        t[k] = (1u64 << (k * 8)) - 1;
        k += 1;
    }
    t[8] = u64::MAX;
    t
};

/// Looks up the name held in the first `len` (2 to [`KEY_BYTES`]) bytes
/// of `words`, which has at least [`KEY_BYTES`] bytes; the bytes after the
/// name are masked off. No branch depends on the name's length or letters
/// until the one comparison with the candidate.
#[inline(always)]
fn lookup(words: &[u8], len: usize) -> HeaderName {
    let word = |i: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&words[i * 8..i * 8 + 8]);
        let keep = KEEP[len.saturating_sub(i * 8).min(8)];
        u64::from_le_bytes(a) & keep
    };
    let (x0, x1, x2) = (word(0), word(1), word(2));
    // Folding bit 5 everywhere is enough for the hash: known names are
    // letters and '-', which it leaves alone; the comparison below folds
    // letters only.
    let lower0 = (x0 | 0x2020_2020_2020_2020) & KEEP[len.min(8)];
    let lower1 = (x1 | 0x2020_2020_2020_2020) & KEEP[len.saturating_sub(8).min(8)];
    let key = match KEY_SLOTS[key_hash(lower0, lower1, len)] {
        0 => return HeaderName::Other,
        i => &KEYS[usize::from(i) - 1],
    };
    let same = (key.len == len)
        & (x0 | key.fold[0] == key.lower[0])
        & (x1 | key.fold[1] == key.lower[1])
        & (x2 | key.fold[2] == key.lower[2]);
    if same {
        key.name
    } else {
        HeaderName::Other
    }
}

impl std::fmt::Display for HeaderName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::HeaderName;

    #[test]
    fn lookup_full_compact_and_case() {
        assert_eq!(HeaderName::from_name("v"), HeaderName::Via);
        assert_eq!(HeaderName::from_name("V"), HeaderName::Via);
        assert_eq!(HeaderName::from_name("CALL-ID"), HeaderName::CallId);
        assert_eq!(HeaderName::from_name("i"), HeaderName::CallId);
        assert_eq!(HeaderName::from_name("x"), HeaderName::SessionExpires);
        assert_eq!(HeaderName::from_name("C%6Fntact"), HeaderName::Other);
        assert_eq!(HeaderName::from_name("q"), HeaderName::Other);
        for n in HeaderName::ALL {
            assert_eq!(HeaderName::from_name(n.as_str()), *n);
            if let Some(c) = n.compact() {
                assert_eq!(HeaderName::from_name(&c.to_string()), *n);
            }
        }
    }

    #[test]
    fn line_lookup_ignores_what_follows_the_name() {
        for n in HeaderName::ALL {
            for name in [n.as_str().to_owned(), n.as_str().to_ascii_uppercase()] {
                for tail in [
                    ": v\r\n",
                    ":",
                    "\u{ff}\u{ff}xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                    "",
                ] {
                    let line = format!("{name}{tail}");
                    let b = line.as_bytes();
                    assert_eq!(HeaderName::from_line(b, 0, name.len()), *n, "{line:?}");
                    // A name that is one byte shorter or longer is another.
                    if name.len() > 2 {
                        assert_ne!(HeaderName::from_line(b, 0, name.len() - 1), *n);
                    }
                }
                let mut b = name.clone().into_bytes();
                b.extend_from_slice(b"-Ext: x");
                assert_ne!(HeaderName::from_line(&b, 0, name.len() + 4), *n);
            }
        }
    }

    #[test]
    fn word_compare_is_exact_for_every_byte() {
        // eq_name's folding assumes known names are letters and '-'.
        for n in HeaderName::ALL {
            assert!(n
                .as_str()
                .bytes()
                .all(|c| c.is_ascii_alphabetic() || c == b'-'));
        }
        assert_eq!(HeaderName::from_name("Call\rID"), HeaderName::Other);
        assert_eq!(HeaderName::from_name("Content\rLength"), HeaderName::Other);
        assert_eq!(HeaderName::from_name("C@ll-ID"), HeaderName::Other);
        assert_eq!(
            HeaderName::from_name("cONTENT-lENGTH"),
            HeaderName::ContentLength
        );
        assert_eq!(
            HeaderName::from_name("Content-Lengt\u{0}"),
            HeaderName::Other
        );
        for n in HeaderName::ALL {
            let mut bytes = n.as_str().as_bytes().to_vec();
            for i in 0..bytes.len() {
                for flip in [0x01u8, 0x20, 0x40, 0x80] {
                    let orig = bytes[i];
                    bytes[i] ^= flip;
                    let same = orig.eq_ignore_ascii_case(&bytes[i]);
                    let got = HeaderName::from_bytes(&bytes);
                    assert_eq!(got == *n, same, "{n:?} with byte {i} ^ {flip:#x}");
                    bytes[i] = orig;
                }
            }
        }
    }
}
