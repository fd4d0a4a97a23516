//! The shared grammar of WWW-Authenticate / Proxy-Authenticate and
//! Authorization / Proxy-Authorization values (RFC 7235 §2.1, RFC 3261 §25.1):
//!
//! ```text
//! value      = element *( "," element )        ; empty elements allowed
//! element    = auth-scheme [ 1*WS ( token68 / auth-param ) ] / auth-param
//! auth-param = token BWS "=" BWS ( quoted-string / bare-value )
//! ```
//!
//! Tolerant of what real servers send: any amount of spaces, tabs and folded
//! line breaks around `,` and `=`, bare values holding characters outside
//! `token` (`/`, `:`, `@`), and several challenges in one value.

use std::borrow::Cow;

use crate::error::ParseError;

/// One parameter of a challenge or credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawParam<'a> {
    /// The name as written.
    pub name: &'a str,
    /// The value, with quoted-pair escapes removed.
    pub value: Cow<'a, str>,
    /// Whether the value was a quoted-string.
    pub quoted: bool,
    /// Byte offset of the value in the header value.
    pub at: usize,
}

/// One challenge or one set of credentials: a scheme and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawAuth<'a> {
    /// The scheme as written (`Digest`, `digest`, `Basic`, ...).
    pub scheme: &'a str,
    /// A token68 after the scheme (`Negotiate abc==`), if any.
    pub token68: Option<&'a str>,
    /// The parameters, in order.
    pub params: Vec<RawParam<'a>>,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

fn is_token68_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.pos).copied()
    }

    fn peek_at(&self, pos: usize) -> Option<u8> {
        self.s.as_bytes().get(pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.pos += 1;
        }
    }

    fn ws_end(&self, mut pos: usize) -> usize {
        while self.peek_at(pos).is_some_and(is_ws) {
            pos += 1;
        }
        pos
    }

    fn token_end(&self, mut pos: usize) -> usize {
        while self.peek_at(pos).is_some_and(is_tchar) {
            pos += 1;
        }
        pos
    }

    fn take_token(&mut self) -> Result<&'a str, ParseError> {
        let end = self.token_end(self.pos);
        if end == self.pos {
            return Err(ParseError::ExpectedToken { at: self.pos });
        }
        let t = &self.s[self.pos..end];
        self.pos = end;
        Ok(t)
    }

    /// After an element: whitespace, then `,` or the end.
    fn end_of_element(&mut self) -> Result<(), ParseError> {
        self.skip_ws();
        match self.peek() {
            None => Ok(()),
            Some(b',') => {
                self.pos += 1;
                Ok(())
            }
            Some(_) => Err(ParseError::ExpectedComma { at: self.pos }),
        }
    }

    /// A parameter value at the cursor: a quoted-string or a bare value.
    fn take_value(&mut self, name: &str) -> Result<(Cow<'a, str>, bool), ParseError> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') => self.take_quoted(),
            Some(b) if !is_ws(b) && b != b',' => {
                let bytes = self.s.as_bytes();
                let mut end = start;
                while end < bytes.len() && !is_ws(bytes[end]) && bytes[end] != b',' {
                    if bytes[end] == b'"' {
                        return Err(ParseError::InvalidValue {
                            name: name.to_owned(),
                            at: end,
                            reason: "quote inside an unquoted value",
                        });
                    }
                    end += 1;
                }
                self.pos = end;
                Ok((Cow::Borrowed(&self.s[start..end]), false))
            }
            _ => Err(ParseError::ExpectedValue {
                name: name.to_owned(),
                at: start,
            }),
        }
    }

    fn take_quoted(&mut self) -> Result<(Cow<'a, str>, bool), ParseError> {
        let open = self.pos;
        let bytes = self.s.as_bytes();
        let mut i = open + 1;
        let mut escaped = false;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    let inner = &self.s[open + 1..i];
                    self.pos = i + 1;
                    let v = if escaped {
                        Cow::Owned(unescape(inner))
                    } else {
                        Cow::Borrowed(inner)
                    };
                    return Ok((v, true));
                }
                b'\\' => {
                    escaped = true;
                    // A backslash escapes the next character, whatever it is;
                    // step over a whole UTF-8 character so slicing stays valid.
                    i += 1;
                    if i < bytes.len() {
                        i += utf8_len(bytes[i]);
                    }
                }
                _ => i += 1,
            }
        }
        Err(ParseError::UnterminatedQuote { at: open })
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        0xc0..=0xdf => 2,
        _ => 1,
    }
}

fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Split a header value into its schemes and their parameters.
pub(crate) fn parse_auth_list(value: &str) -> Result<Vec<RawAuth<'_>>, ParseError> {
    let mut c = Cursor { s: value, pos: 0 };
    let mut out: Vec<RawAuth<'_>> = Vec::new();
    loop {
        // Skip empty list elements.
        loop {
            c.skip_ws();
            if c.peek() == Some(b',') {
                c.pos += 1;
            } else {
                break;
            }
        }
        if c.peek().is_none() {
            break;
        }
        let at = c.pos;
        let token = c.take_token()?;
        let after_ws = c.ws_end(c.pos);
        if c.peek_at(after_ws) == Some(b'=') {
            // `name = value`: a parameter of the current scheme.
            let Some(current) = out.last_mut() else {
                return Err(ParseError::ParameterWithoutScheme { at });
            };
            c.pos = after_ws + 1;
            c.skip_ws();
            let value_at = c.pos;
            let (v, quoted) = c.take_value(token)?;
            current.params.push(RawParam {
                name: token,
                value: v,
                quoted,
                at: value_at,
            });
            c.end_of_element()?;
            continue;
        }
        // A new scheme.
        let mut auth = RawAuth {
            scheme: token,
            token68: None,
            params: Vec::new(),
        };
        c.pos = after_ws;
        match c.peek() {
            None => {
                out.push(auth);
                break;
            }
            Some(b',') => {
                c.pos += 1;
                out.push(auth);
                continue;
            }
            Some(_) if after_ws == at + token.len() => {
                // A scheme must be followed by whitespace before its data.
                return Err(ParseError::ExpectedComma { at: c.pos });
            }
            Some(_) => {}
        }
        // Either the first auth-param or a token68.
        if let Some(t68) = token68_at(&c) {
            auth.token68 = Some(&value[c.pos..c.pos + t68]);
            c.pos += t68;
            out.push(auth);
            c.end_of_element()?;
            continue;
        }
        out.push(auth);
    }
    if out.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(out)
}

/// If a token68 (not an auth-param) starts at the cursor, its length.
fn token68_at(c: &Cursor<'_>) -> Option<usize> {
    let start = c.pos;
    let mut end = start;
    while c.peek_at(end).is_some_and(is_token68_char) {
        end += 1;
    }
    if end == start {
        return None;
    }
    while c.peek_at(end) == Some(b'=') {
        end += 1;
    }
    // `abc` followed by `=` and a value is an auth-param, not a token68.
    let next = c.ws_end(end);
    let is_end = matches!(c.peek_at(next), None | Some(b','));
    // `name=` with nothing after it reads as a token68: an empty parameter
    // value would be invalid anyway, and this is the tolerant reading.
    is_end.then_some(end - start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(a: &RawAuth<'_>) -> Vec<(String, String, bool)> {
        a.params
            .iter()
            .map(|p| (p.name.to_owned(), p.value.to_string(), p.quoted))
            .collect()
    }

    #[test]
    fn single_challenge() {
        let v = r#"Digest realm="asterisk",nonce="1413305427/8dd1",opaque="3b9c",algorithm=md5,qop="auth""#;
        let l = parse_auth_list(v).unwrap();
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].scheme, "Digest");
        assert_eq!(
            names(&l[0]),
            vec![
                ("realm".into(), "asterisk".into(), true),
                ("nonce".into(), "1413305427/8dd1".into(), true),
                ("opaque".into(), "3b9c".into(), true),
                ("algorithm".into(), "md5".into(), false),
                ("qop".into(), "auth".into(), true),
            ]
        );
    }

    #[test]
    fn several_challenges_and_token68() {
        let v = r#"Negotiate abc/d+==, Digest realm="a", nonce="n",Basic realm="b" , Digest realm="c",nonce=x"#;
        let l = parse_auth_list(v).unwrap();
        let schemes: Vec<_> = l.iter().map(|a| a.scheme).collect();
        assert_eq!(schemes, ["Negotiate", "Digest", "Basic", "Digest"]);
        assert_eq!(l[0].token68, Some("abc/d+=="));
        assert_eq!(l[1].params.len(), 2);
        assert_eq!(l[2].params[0].value, "b");
        assert_eq!(l[3].params[1].value, "x");
    }

    #[test]
    fn odd_spacing_folding_and_escapes() {
        let v = "Digest   realm = \"a\\\"b\" ,\r\n   nonce=\"n\" ,, qop=\"auth, auth-int\"\t";
        let l = parse_auth_list(v).unwrap();
        assert_eq!(
            names(&l[0]),
            vec![
                ("realm".into(), "a\"b".into(), true),
                ("nonce".into(), "n".into(), true),
                ("qop".into(), "auth, auth-int".into(), true),
            ]
        );
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(parse_auth_list(""), Err(ParseError::Empty));
        assert_eq!(parse_auth_list(" , ,"), Err(ParseError::Empty));
        assert_eq!(
            parse_auth_list("realm=\"x\""),
            Err(ParseError::ParameterWithoutScheme { at: 0 })
        );
        assert_eq!(
            parse_auth_list("Digest realm=\"abc"),
            Err(ParseError::UnterminatedQuote { at: 13 })
        );
        assert!(matches!(
            parse_auth_list("Digest realm=\"a\" nonce=\"b\""),
            Err(ParseError::ExpectedComma { at: 17 })
        ));
        assert!(matches!(
            parse_auth_list("Digest realm="),
            Ok(ref l) if l[0].token68 == Some("realm=")
        ));
        assert!(matches!(
            parse_auth_list("Digest realm=,"),
            Ok(ref l) if l[0].token68 == Some("realm=")
        ));
        assert_eq!(
            parse_auth_list("\"x\""),
            Err(ParseError::ExpectedToken { at: 0 })
        );
    }

    #[test]
    fn non_ascii_inside_quotes_and_escaped() {
        let v = "Digest username=\"J\u{e4}s\\\u{f8}n\"";
        let l = parse_auth_list(v).unwrap();
        assert_eq!(l[0].params[0].value, "J\u{e4}s\u{f8}n");
    }
}
