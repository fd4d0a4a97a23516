//! The client side: answering 401/407 challenges (RFC 7616 §3.4, RFC 8760
//! §2.4, RFC 3261 §22.2–§22.3).

use rand_core::RngCore;

use crate::algorithm::{to_hex, Qop};
use crate::challenge::{
    parse_challenges, AuthorizationHeader, Challenge, ChallengeHeader, DigestChallenge,
};
use crate::compute::{response_from_ha1, userhash, DigestInput};
use crate::credentials::DigestCredentials;
use crate::error::{ClientError, ParseError};
use crate::quote::is_header_safe;
use crate::secret::Secret;

/// A username and secret, for one realm or for any realm.
///
/// The auth username may differ from the user part of the address of record
/// (3CX and most carriers hand out both); this is the auth username.
#[derive(Debug, Clone)]
pub struct Credentials {
    realm: Option<String>,
    username: String,
    secret: Secret,
}

impl Credentials {
    /// Credentials that answer a challenge from any realm.
    pub fn new(username: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Credentials {
            realm: None,
            username: username.into(),
            secret: secret.into(),
        }
    }

    /// Restrict these credentials to one realm (compared exactly).
    pub fn for_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = Some(realm.into());
        self
    }

    /// The auth username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The realm these credentials are for, `None` for any.
    pub fn realm(&self) -> Option<&str> {
        self.realm.as_deref()
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::password(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::password(s)
    }
}

/// How to choose among several challenges for the same realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlgorithmPolicy {
    /// The strongest hash offered (SHA-512-256 over SHA-256 over MD5); among
    /// equals, the one higher up. The local policy RFC 8760 §2.4 allows.
    #[default]
    Strongest,
    /// The topmost challenge this crate supports, the server's own order
    /// (RFC 8760 §2.4 default).
    ServerOrder,
}

/// The challenges of one 401 or 407 response, in the order they appeared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenges {
    list: Vec<(ChallengeHeader, Challenge)>,
}

impl Challenges {
    /// No challenges yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add the challenges of one header value (one header line; it may hold
    /// several challenges). On error nothing is added, so a caller may skip a
    /// malformed line and go on with the others.
    pub fn add(&mut self, header: ChallengeHeader, value: &str) -> Result<(), ParseError> {
        let parsed = parse_challenges(value)?;
        self.list.extend(parsed.into_iter().map(|c| (header, c)));
        Ok(())
    }

    /// Add one parsed challenge.
    pub fn push(&mut self, header: ChallengeHeader, challenge: Challenge) {
        self.list.push((header, challenge));
    }

    /// All challenges with the header each came in.
    pub fn iter(&self) -> impl Iterator<Item = (ChallengeHeader, &Challenge)> {
        self.list.iter().map(|(h, c)| (*h, c))
    }

    /// The Digest challenges this crate supports, with their header.
    pub fn digest(&self) -> impl Iterator<Item = (ChallengeHeader, &DigestChallenge)> {
        self.list.iter().filter_map(|(h, c)| match c {
            Challenge::Digest(d) => Some((*h, d)),
            Challenge::Unsupported(_) => None,
        })
    }

    /// Number of challenges (of any scheme).
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// The request being (re-)sent with credentials.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method, e.g. `REGISTER`.
    pub method: &'a str,
    /// The Request-URI exactly as it is sent (the digest-uri).
    pub uri: &'a str,
    /// The body, hashed for `qop=auth-int`.
    pub body: &'a [u8],
    /// The answers the challenged request carried. A realm answered there and
    /// challenged again without `stale=true` means the credentials are wrong.
    pub previous: &'a [Answer],
}

impl<'a> Request<'a> {
    /// A request without body that carried no credentials.
    pub fn new(method: &'a str, uri: &'a str) -> Self {
        Request {
            method,
            uri,
            body: b"",
            previous: &[],
        }
    }

    /// With a body.
    pub fn with_body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    /// The challenged request carried these answers.
    pub fn retrying(mut self, previous: &'a [Answer]) -> Self {
        self.previous = previous;
        self
    }
}

/// One header to add to the retried request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// `Authorization` or `Proxy-Authorization`.
    pub header: AuthorizationHeader,
    /// The realm answered.
    pub realm: String,
    /// The header value (`Digest username="...", ...`). Holds no secret.
    pub value: String,
}

#[derive(Debug, Clone)]
struct Session {
    header: ChallengeHeader,
    challenge: DigestChallenge,
    qop: Option<Qop>,
    credential: usize,
    nc: u32,
}

/// Answers Digest challenges with configured credentials.
///
/// Keeps, per realm, the last challenge answered and its nonce count, so that
/// a later request can be authorized with the same nonce (`nc` counts up) and
/// a `stale=true` challenge is answered without asking anyone.
#[derive(Debug, Clone)]
pub struct DigestClient {
    credentials: Vec<Credentials>,
    sessions: Vec<Session>,
    policy: AlgorithmPolicy,
    prefer_auth_int: bool,
}

impl DigestClient {
    /// A client with these credentials (several realms possible).
    pub fn new(credentials: impl IntoIterator<Item = Credentials>) -> Self {
        DigestClient {
            credentials: credentials.into_iter().collect(),
            sessions: Vec::new(),
            policy: AlgorithmPolicy::default(),
            prefer_auth_int: false,
        }
    }

    /// Choose among challenges of one realm by this policy.
    pub fn with_policy(mut self, policy: AlgorithmPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Use `auth-int` when offered alongside `auth` (default: `auth`, which
    /// survives body rewriting by B2BUAs).
    pub fn prefer_auth_int(mut self, yes: bool) -> Self {
        self.prefer_auth_int = yes;
        self
    }

    /// Answer the challenges of a 401/407 response to `request`.
    ///
    /// Returns one answer per challenged realm we hold credentials for (the
    /// strongest or topmost challenge of each, by policy), plus fresh answers
    /// for realms in `request.previous` that were not challenged again. Add
    /// them all to the retried request.
    pub fn respond<R: RngCore + ?Sized>(
        &mut self,
        challenges: &Challenges,
        request: &Request<'_>,
        rng: &mut R,
    ) -> Result<Vec<Answer>, ClientError> {
        check_safe(request.method, "method")?;
        check_safe(request.uri, "request URI")?;
        // Group by (header, realm), keeping first-appearance order.
        let mut groups: Vec<(ChallengeHeader, &str, Vec<&DigestChallenge>)> = Vec::new();
        for (h, c) in challenges.digest() {
            match groups.iter_mut().find(|g| g.0 == h && g.1 == c.realm) {
                Some(g) => g.2.push(c),
                None => groups.push((h, &c.realm, vec![c])),
            }
        }
        let mut answers = Vec::new();
        let mut rejected = None;
        let mut no_credentials = Vec::new();
        for (header, realm, group) in &groups {
            let answered_before = request
                .previous
                .iter()
                .any(|a| a.header == header.answer() && a.realm == *realm);
            if answered_before && !group.iter().any(|c| c.stale) {
                rejected.get_or_insert_with(|| (*realm).to_owned());
                continue;
            }
            let mut candidates = group.iter().filter_map(|c| {
                let qop = self.choose_qop(c)?;
                let cred = self.credential_for(realm, c)?;
                Some((*c, qop, cred))
            });
            let chosen = match self.policy {
                AlgorithmPolicy::ServerOrder => candidates.next(),
                AlgorithmPolicy::Strongest => candidates.reduce(|best, cand| {
                    if strength(cand.0) > strength(best.0) {
                        cand
                    } else {
                        best
                    }
                }),
            };
            let Some((challenge, qop, credential)) = chosen else {
                if !self.has_credentials_for(realm) {
                    no_credentials.push((*realm).to_owned());
                }
                continue;
            };
            let nc = match self.session(*header, realm) {
                Some(s) if s.challenge.nonce == challenge.nonce => s.nc + 1,
                _ => 1,
            };
            let session = Session {
                header: *header,
                challenge: challenge.clone(),
                qop,
                credential,
                nc,
            };
            answers.push(self.build(&session, request, rng)?);
            self.store(session);
        }
        if answers.is_empty() {
            return Err(if let Some(realm) = rejected {
                ClientError::CredentialsRejected { realm }
            } else if !no_credentials.is_empty() {
                ClientError::NoCredentials {
                    realms: no_credentials,
                }
            } else {
                ClientError::NoSupportedChallenge
            });
        }
        // Realms the request had answered and that did not challenge again
        // (a proxy that accepted us while the UAS challenges) keep being
        // answered, with the next nonce count.
        for prev in request.previous {
            let challenged = groups
                .iter()
                .any(|g| g.0.answer() == prev.header && g.1 == prev.realm);
            if challenged
                || answers
                    .iter()
                    .any(|a| a.realm == prev.realm && a.header == prev.header)
            {
                continue;
            }
            if let Some(a) = self.reanswer(prev.header, &prev.realm, request, rng)? {
                answers.push(a);
            }
        }
        Ok(answers)
    }

    /// Answers for every realm answered before, reusing its nonce with the next
    /// nonce count: for requests sent after a successful challenge (the next
    /// REGISTER refresh, an INVITE after REGISTER), saving a round trip. A
    /// server that no longer accepts the nonce challenges again with
    /// `stale=true`.
    pub fn preemptive<R: RngCore + ?Sized>(
        &mut self,
        request: &Request<'_>,
        rng: &mut R,
    ) -> Result<Vec<Answer>, ClientError> {
        check_safe(request.method, "method")?;
        check_safe(request.uri, "request URI")?;
        let keys: Vec<(AuthorizationHeader, String)> = self
            .sessions
            .iter()
            .map(|s| (s.header.answer(), s.challenge.realm.clone()))
            .collect();
        let mut out = Vec::with_capacity(keys.len());
        for (h, realm) in keys {
            if let Some(a) = self.reanswer(h, &realm, request, rng)? {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// Forget the nonces of every realm (after a failure, or to start over).
    pub fn reset(&mut self) {
        self.sessions.clear();
    }

    fn reanswer<R: RngCore + ?Sized>(
        &mut self,
        header: AuthorizationHeader,
        realm: &str,
        request: &Request<'_>,
        rng: &mut R,
    ) -> Result<Option<Answer>, ClientError> {
        let Some(i) = self
            .sessions
            .iter()
            .position(|s| s.header.answer() == header && s.challenge.realm == realm)
        else {
            return Ok(None);
        };
        let mut session = self.sessions[i].clone();
        session.nc = session.nc.wrapping_add(1).max(1);
        let a = self.build(&session, request, rng)?;
        self.sessions[i] = session;
        Ok(Some(a))
    }

    fn session(&self, header: ChallengeHeader, realm: &str) -> Option<&Session> {
        self.sessions
            .iter()
            .find(|s| s.header == header && s.challenge.realm == realm)
    }

    fn store(&mut self, session: Session) {
        match self
            .sessions
            .iter_mut()
            .find(|s| s.header == session.header && s.challenge.realm == session.challenge.realm)
        {
            Some(s) => *s = session,
            None => self.sessions.push(session),
        }
    }

    fn choose_qop(&self, c: &DigestChallenge) -> Option<Option<Qop>> {
        match &c.qop {
            None => Some(None),
            Some(list) => {
                let auth = list.contains(&Qop::Auth);
                let int = list.contains(&Qop::AuthInt);
                match (auth, int) {
                    (true, true) if self.prefer_auth_int => Some(Some(Qop::AuthInt)),
                    (true, _) => Some(Some(Qop::Auth)),
                    (false, true) => Some(Some(Qop::AuthInt)),
                    (false, false) => None,
                }
            }
        }
    }

    /// The credentials to use: for exactly this realm first, then any-realm.
    fn credential_for(&self, realm: &str, c: &DigestChallenge) -> Option<usize> {
        let usable = |cr: &Credentials| cr.secret.supports(c.algorithm.hash);
        self.credentials
            .iter()
            .position(|cr| cr.realm.as_deref() == Some(realm) && usable(cr))
            .or_else(|| {
                self.credentials
                    .iter()
                    .position(|cr| cr.realm.is_none() && usable(cr))
            })
    }

    fn has_credentials_for(&self, realm: &str) -> bool {
        self.credentials
            .iter()
            .any(|cr| cr.realm.as_deref().is_none_or(|r| r == realm))
    }

    fn build<R: RngCore + ?Sized>(
        &self,
        session: &Session,
        request: &Request<'_>,
        rng: &mut R,
    ) -> Result<Answer, ClientError> {
        let c = &session.challenge;
        let cred = &self.credentials[session.credential];
        check_safe(&cred.username, "username")?;
        check_safe(&c.realm, "realm")?;
        check_safe(&c.nonce, "nonce")?;
        if let Some(o) = &c.opaque {
            check_safe(o, "opaque")?;
        }
        let cnonce = (session.qop.is_some() || c.algorithm.session).then(|| {
            let mut b = [0u8; 16];
            rng.fill_bytes(&mut b);
            to_hex(&b)
        });
        let nc = session.qop.map(|_| session.nc);
        let input = DigestInput {
            algorithm: c.algorithm,
            username: &cred.username,
            realm: &c.realm,
            nonce: &c.nonce,
            cnonce: cnonce.as_deref(),
            nc,
            qop: session.qop,
            method: request.method,
            uri: request.uri,
            body: request.body,
        };
        let ha1 =
            crate::compute::ha1(&input, &cred.secret).ok_or(ClientError::NoSupportedChallenge)?;
        let response = response_from_ha1(&input, &ha1);
        let username = if c.userhash {
            userhash(c.algorithm.hash, &cred.username, &c.realm)
        } else {
            cred.username.clone()
        };
        let creds = DigestCredentials {
            username,
            realm: c.realm.clone(),
            nonce: c.nonce.clone(),
            uri: request.uri.to_owned(),
            response,
            algorithm: c.algorithm,
            algorithm_explicit: c.algorithm_explicit,
            cnonce,
            opaque: c.opaque.clone(),
            qop: session.qop,
            nc,
            userhash: c.userhash,
        };
        Ok(Answer {
            header: session.header.answer(),
            realm: c.realm.clone(),
            value: creds.to_header_value(),
        })
    }
}

fn strength(c: &DigestChallenge) -> (crate::algorithm::HashAlgorithm, bool) {
    // Among equal hashes, prefer the plain form (wider server support).
    (c.algorithm.hash, !c.algorithm.session)
}

fn check_safe(v: &str, what: &'static str) -> Result<(), ClientError> {
    if is_header_safe(v) {
        Ok(())
    } else {
        Err(ClientError::InvalidValue { what })
    }
}
