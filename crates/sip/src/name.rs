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
            #[inline]
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
                if name.len() == 1 {
                    return Self::from_compact(name[0]);
                }
                if name.is_empty() {
                    return HeaderName::Other;
                }
                // One load brings the slot's length, name and spelling, so
                // the comparison does not wait on a second table.
                let slot = &NAME_SLOTS[name_hash(name)];
                if usize::from(slot.len) == name.len() && eq_name(&slot.text, name) {
                    slot.name
                } else {
                    HeaderName::Other
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

/// A hash of a name's length and its first, middle and last letters
/// (case-folded) that gives every known name its own slot; a new name that
/// collides stops the build (see [`NAME_SLOTS`]). Names of one letter are
/// compact forms and never come here.
#[inline(always)]
const fn name_hash(name: &[u8]) -> usize {
    let n = name.len();
    let first = (name[0] | 0x20) as usize;
    let mid = (name[n / 2] | 0x20) as usize;
    let last = (name[n - 1] | 0x20) as usize;
    (n * 4 + first * 19 + mid * 23 + last * 5) % 256
}

/// Longest known name the slot table can hold.
const SLOT_TEXT: usize = 24;

/// One slot of the name table: the known name's spelling padded with
/// zeros, its length (0 for an empty slot, which no name can match), and
/// the name it stands for.
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct NameSlot {
    text: [u8; SLOT_TEXT],
    len: u8,
    name: HeaderName,
}

/// The known names by [`name_hash`].
static NAME_SLOTS: [NameSlot; 256] = {
    let empty = NameSlot {
        text: [0; SLOT_TEXT],
        len: 0,
        name: HeaderName::Other,
    };
    let mut t = [empty; 256];
    let mut i = 0;
    while i < NAMES.len() {
        let full = NAMES[i].0.as_bytes();
        assert!(
            full.len() <= SLOT_TEXT,
            "a known header name is too long for its slot"
        );
        let h = name_hash(full);
        assert!(t[h].len == 0, "two known header names share a hash slot");
        let mut k = 0;
        while k < full.len() {
            t[h].text[k] = full[k];
            k += 1;
        }
        t[h].len = full.len() as u8;
        t[h].name = NAMES[i].1;
        i += 1;
    }
    t
};

/// Case-insensitive comparison of a header name with a known name (letters
/// and `-`, zero-padded to [`SLOT_TEXT`]) of the same length, eight bytes at
/// a time. Bit 5 is set on both sides only where the known byte is a letter
/// (those have bit 6 set; `-` has not), so a letter matches either case and
/// every other byte must match exactly.
#[inline(always)]
fn eq_name(known: &[u8; SLOT_TEXT], name: &[u8]) -> bool {
    const BIT6: u64 = 0x4040_4040_4040_4040;
    let n = name.len();
    let same = |kw: u64, nw: u64| {
        let fold = (kw & BIT6) >> 1;
        kw | fold == nw | fold
    };
    if n >= 8 {
        // Whole words, the last one overlapping its predecessor.
        let mut i = 0;
        while i + 8 < n {
            if !same(word(known, i), word(name, i)) {
                return false;
            }
            i += 8;
        }
        return same(word(known, n - 8), word(name, n - 8));
    }
    if n >= 4 {
        return same(half(known, 0), half(name, 0)) && same(half(known, n - 4), half(name, n - 4));
    }
    known
        .iter()
        .zip(name)
        .all(|(&a, &b)| same(u64::from(a), u64::from(b)))
}

#[inline(always)]
fn word(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(a)
}

#[inline(always)]
fn half(b: &[u8], i: usize) -> u64 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[i..i + 4]);
    u64::from(u32::from_le_bytes(a))
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
