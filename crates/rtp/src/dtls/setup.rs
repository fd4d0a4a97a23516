//! DTLS roles from SDP `a=setup` (RFC 4145 §4, RFC 5763 §5).

use std::fmt;

/// Our side of the DTLS handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsRole {
    /// `a=setup:active`: we send the ClientHello.
    Client,
    /// `a=setup:passive`: we wait for the ClientHello.
    Server,
}

/// The `a=setup` attribute value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setup {
    /// `active`: will initiate (DTLS client).
    Active,
    /// `passive`: will accept (DTLS server).
    Passive,
    /// `actpass`: either; what an offer carries (RFC 5763 §5).
    ActPass,
    /// `holdconn`: no connection now.
    HoldConn,
}

impl Setup {
    /// The SDP token.
    pub fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::ActPass => "actpass",
            Self::HoldConn => "holdconn",
        }
    }

    /// Parses the SDP token (case-insensitive).
    pub fn from_name(s: &str) -> Option<Self> {
        [Self::Active, Self::Passive, Self::ActPass, Self::HoldConn]
            .into_iter()
            .find(|v| v.name().eq_ignore_ascii_case(s))
    }

    /// What the answerer puts in its answer to an offer with `self`, and the
    /// role that gives the answerer: `active` (client) unless the offer is
    /// `active`, then `passive` (server). `None` for `holdconn`.
    pub fn answer(self) -> Option<(Setup, DtlsRole)> {
        match self {
            Self::Active => Some((Self::Passive, DtlsRole::Server)),
            Self::Passive | Self::ActPass => Some((Self::Active, DtlsRole::Client)),
            Self::HoldConn => None,
        }
    }

    /// The offerer's role once the answer carries `self`: the opposite of
    /// the answerer's. `None` when the answer is not `active` or `passive`.
    pub fn offerer_role(self) -> Option<DtlsRole> {
        match self {
            Self::Active => Some(DtlsRole::Server),
            Self::Passive => Some(DtlsRole::Client),
            Self::ActPass | Self::HoldConn => None,
        }
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_rfc_5763() {
        // The offer says actpass; the answerer picks active: it is the client.
        assert_eq!(
            Setup::ActPass.answer(),
            Some((Setup::Active, DtlsRole::Client))
        );
        assert_eq!(Setup::Active.offerer_role(), Some(DtlsRole::Server));
        // An active offer makes the answerer passive.
        assert_eq!(
            Setup::Active.answer(),
            Some((Setup::Passive, DtlsRole::Server))
        );
        assert_eq!(Setup::Passive.offerer_role(), Some(DtlsRole::Client));
        assert_eq!(
            Setup::Passive.answer(),
            Some((Setup::Active, DtlsRole::Client))
        );
        assert_eq!(Setup::HoldConn.answer(), None);
        assert_eq!(Setup::ActPass.offerer_role(), None);
        assert_eq!(Setup::from_name("ACTPASS"), Some(Setup::ActPass));
        assert_eq!(Setup::from_name("x"), None);
        assert_eq!(Setup::Passive.to_string(), "passive");
    }
}
