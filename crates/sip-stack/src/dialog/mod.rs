//! Dialogs (RFC 3261 §12): their identity, route set, remote target and
//! CSeq spaces, created as UAC (from a response, §12.1.2) or UAS (from a
//! request, §12.1.1), and the requests sent inside them (§12.2.1.1, with
//! loose and strict routing).
//!
//! ```
//! use heron_sip::{HeaderName, Message, Method};
//! use heron_sip_stack::dialog::Dialog;
//!
//! let mut invite = Message::request(Method::Invite, "sip:bob@192.0.2.2");
//! invite.append_header(HeaderName::From, "<sip:alice@example.com>;tag=a1");
//! invite.append_header(HeaderName::To, "<sip:bob@example.com>");
//! invite.append_header(HeaderName::CallId, "c1");
//! invite.append_header(HeaderName::CSeq, "1 INVITE");
//! invite.append_header(HeaderName::Contact, "<sip:alice@192.0.2.1>");
//! invite.append_header(HeaderName::RecordRoute, "<sip:p1.example.com;lr>");
//!
//! let mut uas = Dialog::uas(&invite, "b1").unwrap();
//! let bye = uas.request(Method::Bye);
//! assert_eq!(bye.request_uri_str(), Some("sip:alice@192.0.2.1"));
//! assert_eq!(bye.header_values(HeaderName::Route).next(), Some("<sip:p1.example.com;lr>"));
//! assert_eq!(bye.from_header().unwrap().tag(), Some("b1"));
//! assert_eq!(bye.to_header().unwrap().tag(), Some("a1"));
//! ```

use heron_sip::headers::{Contact, RecordRoute, Route};
use heron_sip::{HeaderName, Message, Method, Uri};

/// Why a dialog could not be created or a message does not fit it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    /// A header the dialog needs is missing or malformed.
    #[error("{0} missing or malformed")]
    Header(&'static str),
    /// The response has no To tag: it creates no dialog.
    #[error("the response carries no To tag")]
    NoToTag,
}

/// A dialog's identity: Call-ID, local tag and remote tag (§12).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// Call-ID.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag.
    pub remote_tag: String,
}

impl DialogId {
    /// The id of the dialog an incoming in-dialog request belongs to
    /// (local tag = To tag, remote tag = From tag).
    pub fn of_incoming(request: &Message) -> Option<DialogId> {
        Some(DialogId {
            call_id: request.call_id().ok()?.to_owned(),
            local_tag: request.to_header().ok()?.tag()?.to_owned(),
            remote_tag: request.from_header().ok()?.tag().unwrap_or("").to_owned(),
        })
    }
}

/// Whether the dialog was confirmed by a 2xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a provisional response.
    Early,
    /// Created or confirmed by a 2xx.
    Confirmed,
}

/// One dialog's state.
#[derive(Debug, Clone)]
pub struct Dialog {
    /// Identity.
    pub id: DialogId,
    /// Early or confirmed.
    pub state: DialogState,
    /// Our From (UAC) or To (UAS) header value including our tag.
    pub local: String,
    /// The peer's header value including its tag (if any).
    pub remote: String,
    /// The peer's Contact URI: the Request-URI of our requests.
    pub remote_target: String,
    /// Route set, in the order our requests carry it.
    pub route_set: Vec<String>,
    /// The last CSeq number we used.
    pub local_seq: u32,
    /// The last CSeq number the peer used.
    pub remote_seq: Option<u32>,
    /// Created over TLS with a `sips:` Request-URI.
    pub secure: bool,
}

fn contact_uri(msg: &Message) -> Option<String> {
    let c = msg.get::<Contact>()?.ok()?;
    Some(c.address()?.uri.to_string())
}

fn header(msg: &Message, name: HeaderName, what: &'static str) -> Result<String, DialogError> {
    msg.header_values(name)
        .next()
        .map(str::to_owned)
        .ok_or(DialogError::Header(what))
}

/// Every Record-Route value as written (`<uri;lr>` with parameters).
fn record_routes(msg: &Message) -> Vec<String> {
    msg.all::<RecordRoute>()
        .filter_map(Result::ok)
        .map(|r| r.0.to_string())
        .collect()
}

impl Dialog {
    /// §12.1.2: the dialog a 1xx (with To tag) or 2xx to our `request`
    /// creates. The route set is the response's Record-Route reversed.
    pub fn uac(request: &Message, response: &Message) -> Result<Dialog, DialogError> {
        let to = response
            .to_header()
            .map_err(|_| DialogError::Header("To"))?;
        let remote_tag = to.tag().ok_or(DialogError::NoToTag)?.to_owned();
        let from = request
            .from_header()
            .map_err(|_| DialogError::Header("From"))?;
        let local_tag = from
            .tag()
            .ok_or(DialogError::Header("From tag"))?
            .to_owned();
        let call_id = request
            .call_id()
            .map_err(|_| DialogError::Header("Call-ID"))?;
        let seq = request.cseq().map_err(|_| DialogError::Header("CSeq"))?.seq;
        let mut route_set = record_routes(response);
        route_set.reverse();
        let code = response.status().unwrap_or(0);
        let remote_target = contact_uri(response)
            .or_else(|| request.request_uri_str().map(str::to_owned))
            .ok_or(DialogError::Header("Contact"))?;
        Ok(Dialog {
            id: DialogId {
                call_id: call_id.to_owned(),
                local_tag,
                remote_tag,
            },
            state: if (200..300).contains(&code) {
                DialogState::Confirmed
            } else {
                DialogState::Early
            },
            local: header(request, HeaderName::From, "From")?,
            remote: header(response, HeaderName::To, "To")?,
            remote_target,
            route_set,
            local_seq: seq,
            remote_seq: None,
            secure: request.request_uri().is_some_and(|u| u.scheme() == "sips"),
        })
    }

    /// §12.1.1: the dialog our response with To tag `local_tag` to
    /// `request` creates. The route set is Record-Route in order.
    pub fn uas(request: &Message, local_tag: &str) -> Result<Dialog, DialogError> {
        let from = request
            .from_header()
            .map_err(|_| DialogError::Header("From"))?;
        let remote_tag = from.tag().unwrap_or("").to_owned();
        let call_id = request
            .call_id()
            .map_err(|_| DialogError::Header("Call-ID"))?;
        let seq = request.cseq().map_err(|_| DialogError::Header("CSeq"))?.seq;
        let to = header(request, HeaderName::To, "To")?;
        let local = match request.to_header().ok().and_then(|t| t.tag()) {
            Some(_) => to,
            None => format!("{to};tag={local_tag}"),
        };
        Ok(Dialog {
            id: DialogId {
                call_id: call_id.to_owned(),
                local_tag: local_tag.to_owned(),
                remote_tag,
            },
            state: DialogState::Early,
            local,
            remote: header(request, HeaderName::From, "From")?,
            remote_target: contact_uri(request).ok_or(DialogError::Header("Contact"))?,
            route_set: record_routes(request),
            local_seq: 0,
            remote_seq: Some(seq),
            secure: request.request_uri().is_some_and(|u| u.scheme() == "sips"),
        })
    }

    /// Marks the dialog confirmed and, for a UAC, takes the 2xx's route set
    /// and target (§12.1.2: the 2xx's Record-Route is authoritative).
    pub fn confirm_uac(&mut self, response: &Message) {
        self.state = DialogState::Confirmed;
        let mut rr = record_routes(response);
        rr.reverse();
        self.route_set = rr;
        if let Some(t) = contact_uri(response) {
            self.remote_target = t;
        }
        if let Some(to) = response.header_values(HeaderName::To).next() {
            self.remote = to.to_owned();
        }
    }

    /// The next CSeq number for a new request (not ACK or CANCEL).
    pub fn next_seq(&mut self) -> u32 {
        if self.local_seq == 0 {
            self.local_seq = 1;
        } else {
            self.local_seq = self.local_seq.wrapping_add(1);
        }
        self.local_seq
    }

    /// §12.2.2: whether an incoming request's CSeq is acceptable (higher
    /// than the last one); records it when it is. ACK and CANCEL carry an
    /// earlier number and are not checked.
    pub fn accept_remote_seq(&mut self, request: &Message) -> bool {
        let Ok(cseq) = request.cseq() else {
            return false;
        };
        if matches!(cseq.method, "ACK" | "CANCEL") {
            return true;
        }
        match self.remote_seq {
            Some(last) if cseq.seq <= last => false,
            _ => {
                self.remote_seq = Some(cseq.seq);
                true
            }
        }
    }

    /// A target refresh (re-INVITE, UPDATE or their 2xx; §12.2): a new
    /// Contact replaces the remote target.
    pub fn refresh_target(&mut self, msg: &Message) {
        if let Some(t) = contact_uri(msg) {
            self.remote_target = t;
        }
    }

    /// The Request-URI and Route values of a request in this dialog
    /// (§12.2.1.1): loose routing keeps the remote target as Request-URI;
    /// a strict router becomes the Request-URI and the remote target goes
    /// last in Route.
    pub fn request_uri_and_routes(&self) -> (String, Vec<String>) {
        let Some(first) = self.route_set.first() else {
            return (self.remote_target.clone(), Vec::new());
        };
        let (uri, loose) = route_uri(first).unwrap_or_else(|| (first.clone(), true));
        if loose {
            return (self.remote_target.clone(), self.route_set.clone());
        }
        let uri = strip_uri_headers(&uri);
        let mut routes: Vec<String> = self.route_set[1..].to_vec();
        routes.push(format!("<{}>", self.remote_target));
        (uri, routes)
    }

    /// The URI the request goes to first: the first route, or the remote
    /// target.
    pub fn next_hop(&self) -> String {
        match self.route_set.first() {
            Some(r) => route_uri(r).map(|u| u.0).unwrap_or_else(|| r.clone()),
            None => self.remote_target.clone(),
        }
    }

    /// A new request in the dialog with the next CSeq (§12.2.1.1): the
    /// caller adds Contact, body and method-specific headers.
    pub fn request(&mut self, method: Method) -> Message {
        let seq = self.next_seq();
        self.request_with_seq(method, seq)
    }

    /// A request with a given CSeq number (ACK uses the INVITE's).
    pub fn request_with_seq(&self, method: Method, seq: u32) -> Message {
        let (uri, routes) = self.request_uri_and_routes();
        let mut m = Message::request(method.clone(), &uri);
        for r in &routes {
            m.append_header(HeaderName::Route, r);
        }
        m.append_header(HeaderName::From, &self.local);
        m.append_header(HeaderName::To, &self.remote);
        m.append_header(HeaderName::CallId, &self.id.call_id);
        m.append_header(HeaderName::CSeq, &format!("{seq} {method}"));
        m
    }

    /// The ACK for a 2xx to the INVITE with CSeq `invite_seq`
    /// (§13.2.2.4).
    pub fn ack(&self, invite_seq: u32) -> Message {
        self.request_with_seq(Method::Ack, invite_seq)
    }
}

fn strip_uri_headers(uri: &str) -> String {
    match uri.find('?') {
        Some(i) => uri[..i].to_owned(),
        None => uri.to_owned(),
    }
}

/// The URI of one Route value and whether it has `lr`.
fn route_uri(value: &str) -> Option<(String, bool)> {
    use heron_sip::TypedHeader;
    let r = Route::parse(value).ok()?;
    let loose = match &r.0.uri {
        Uri::Sip(s) => s.is_loose_route(),
        _ => true,
    };
    Some((r.0.uri.to_string(), loose))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite() -> Message {
        let mut m = Message::request(Method::Invite, "sip:bob@192.0.2.2");
        m.append_header(HeaderName::From, "\"A\" <sip:alice@example.com>;tag=a1");
        m.append_header(HeaderName::To, "<sip:bob@example.com>");
        m.append_header(HeaderName::CallId, "c1");
        m.append_header(HeaderName::CSeq, "10 INVITE");
        m.append_header(HeaderName::Contact, "<sip:alice@192.0.2.1:5070>");
        m
    }

    #[test]
    fn uac_route_set_is_reversed_and_contact_is_target() {
        let req = invite();
        let mut resp = Message::response_to(&req, 200, Some("b9"));
        resp.append_header(HeaderName::RecordRoute, "<sip:p2.example.com;lr>");
        resp.append_header(HeaderName::RecordRoute, "<sip:p1.example.com;lr>");
        resp.append_header(HeaderName::Contact, "<sip:bob@192.0.2.2:5080>");
        let mut d = Dialog::uac(&req, &resp).unwrap();
        assert_eq!(d.state, DialogState::Confirmed);
        assert_eq!(d.id.remote_tag, "b9");
        assert_eq!(d.route_set[0], "<sip:p1.example.com;lr>");
        let bye = d.request(Method::Bye);
        assert_eq!(bye.cseq().unwrap().seq, 11);
        assert_eq!(bye.request_uri_str(), Some("sip:bob@192.0.2.2:5080"));
        assert_eq!(d.next_hop(), "sip:p1.example.com;lr");
        let ack = d.ack(10);
        assert_eq!(ack.cseq().unwrap().seq, 10);
        assert_eq!(ack.cseq().unwrap().method, "ACK");
    }

    #[test]
    fn strict_router_becomes_request_uri() {
        let mut req = invite();
        req.append_header(HeaderName::RecordRoute, "<sip:strict.example.com>");
        let d = Dialog::uas(&req, "b1").unwrap();
        let (uri, routes) = d.request_uri_and_routes();
        assert_eq!(uri, "sip:strict.example.com");
        assert_eq!(routes, vec!["<sip:alice@192.0.2.1:5070>".to_owned()]);
    }

    #[test]
    fn remote_cseq_must_grow_and_target_refreshes() {
        let req = invite();
        let mut d = Dialog::uas(&req, "b1").unwrap();
        // Our own numbering starts at 1 as UAS.
        let mut re = d.request(Method::Invite);
        assert_eq!(re.cseq().unwrap().seq, 1);
        re.set_header(HeaderName::CSeq, "10 INVITE");
        assert!(!d.accept_remote_seq(&re));
        re.set_header(HeaderName::CSeq, "11 INVITE");
        assert!(d.accept_remote_seq(&re));
        re.append_header(HeaderName::Contact, "<sip:alice@198.51.100.7>");
        d.refresh_target(&re);
        assert_eq!(d.remote_target, "sip:alice@198.51.100.7");
        assert_eq!(d.request(Method::Bye).cseq().unwrap().seq, 2);
    }

    #[test]
    fn provisional_without_tag_makes_no_dialog() {
        let req = invite();
        let resp = Message::response_to(&req, 180, None);
        assert_eq!(Dialog::uac(&req, &resp).unwrap_err(), DialogError::NoToTag);
    }
}
