//! Interop profiles per PBX/SBC vendor (REQUIREMENTS.md row 1), kept as
//! data: what the vendor needs and what the agent does differently for it.
//! `heron-agent check` compares the configuration with the profile.

use super::model::{SrtpMode, Transport};

/// A PBX or SBC family (`pbx.vendor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vendor {
    /// Nothing known; standard behaviour.
    Generic,
    /// Asterisk, FreePBX.
    Asterisk,
    /// 3CX.
    ThreeCx,
    /// Microsoft Teams Direct Routing (through its SBC interface).
    Teams,
    /// Cisco CUBE / CUCM.
    Cisco,
    /// Unify OpenScape.
    Unify,
    /// Mitel.
    Mitel,
    /// Avaya.
    Avaya,
    /// Kamailio / OpenSIPS as registrar or proxy.
    Kamailio,
}

/// What a vendor needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorProfile {
    /// Name for messages.
    pub name: &'static str,
    /// Transports the vendor accepts; empty = any.
    pub transports: &'static [Transport],
    /// SRTP modes the vendor accepts; empty = any.
    pub srtp: &'static [SrtpMode],
    /// Hold the RFC 2543 way (`c=0.0.0.0`).
    pub zero_address_hold: bool,
    /// A hint for the admin, shown by `check`.
    pub note: &'static str,
}

/// Every vendor with its config name.
pub const VENDORS: [(&str, Vendor); 11] = [
    ("generic", Vendor::Generic),
    ("asterisk", Vendor::Asterisk),
    ("freepbx", Vendor::Asterisk),
    ("3cx", Vendor::ThreeCx),
    ("teams", Vendor::Teams),
    ("cisco", Vendor::Cisco),
    ("cube", Vendor::Cisco),
    ("unify", Vendor::Unify),
    ("mitel", Vendor::Mitel),
    ("avaya", Vendor::Avaya),
    ("kamailio", Vendor::Kamailio),
];

impl Vendor {
    /// The profile.
    pub fn profile(self) -> VendorProfile {
        const ANY_T: &[Transport] = &[];
        const ANY_S: &[SrtpMode] = &[];
        match self {
            Vendor::Generic => VendorProfile {
                name: "generic",
                transports: ANY_T,
                srtp: ANY_S,
                zero_address_hold: false,
                note: "standard RFC 3261 behaviour",
            },
            Vendor::Asterisk => VendorProfile {
                name: "Asterisk/FreePBX",
                transports: ANY_T,
                srtp: ANY_S,
                zero_address_hold: false,
                note: "PJSIP endpoints usually run UDP; set direct_media=no when the agent is behind NAT",
            },
            Vendor::ThreeCx => VendorProfile {
                name: "3CX",
                transports: ANY_T,
                srtp: ANY_S,
                zero_address_hold: false,
                note: "generic SIP extensions register over UDP 5060 by default",
            },
            Vendor::Teams => VendorProfile {
                name: "Microsoft Teams Direct Routing",
                transports: &[Transport::Tls],
                srtp: &[SrtpMode::Sdes],
                zero_address_hold: false,
                note: "TLS 1.2+ with a publicly trusted certificate and SDES-SRTP are mandatory",
            },
            Vendor::Cisco => VendorProfile {
                name: "Cisco CUBE/CUCM",
                transports: ANY_T,
                srtp: ANY_S,
                zero_address_hold: false,
                note: "secure trunks use TLS with SDES-SRTP (AES_CM_128_HMAC_SHA1_80/32)",
            },
            Vendor::Unify => VendorProfile {
                name: "Unify OpenScape",
                transports: ANY_T,
                srtp: ANY_S,
                zero_address_hold: false,
                note: "standard behaviour",
            },
            Vendor::Mitel => VendorProfile {
                name: "Mitel",
                transports: ANY_T,
                srtp: ANY_S,
                zero_address_hold: false,
                note: "standard behaviour",
            },
            Vendor::Avaya => VendorProfile {
                name: "Avaya",
                transports: ANY_T,
                srtp: ANY_S,
                zero_address_hold: false,
                note: "Session Manager trunks commonly use TLS 5061 with SDES-SRTP",
            },
            Vendor::Kamailio => VendorProfile {
                name: "Kamailio",
                transports: ANY_T,
                srtp: ANY_S,
                zero_address_hold: false,
                note: "a proxy: media goes end to end",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teams_needs_tls_and_sdes() {
        let p = Vendor::Teams.profile();
        assert_eq!(p.transports, &[Transport::Tls]);
        assert_eq!(p.srtp, &[SrtpMode::Sdes]);
        assert!(Vendor::Asterisk.profile().transports.is_empty());
        for (name, v) in VENDORS {
            assert!(!v.profile().name.is_empty(), "{name}");
        }
    }
}
