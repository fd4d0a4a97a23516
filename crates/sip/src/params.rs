//! Generic parameters (`;name=value`) of URIs and header values, read lazily
//! from the raw text so that parsing never allocates.

use crate::error::ValueError;
use crate::text::{quoted_len, trim_lws, unquote};
use std::borrow::Cow;
use std::fmt;

/// The parameters of a URI or header value, as written (`;lr;transport=tcp`).
/// Names compare case-insensitively; values are returned raw (quoted strings
/// keep their quotes; see [`Params::get_unquoted`]).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Params<'a> {
    raw: &'a str,
}

/// Which grammar the parameters follow.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    /// `uri-parameter`: no quoted strings, no LWS.
    Uri,
    /// `generic-param` of header values: LWS allowed around `;` and `=`,
    /// quoted-string values.
    Header,
    /// [`ParamKind::Header`] read by a one-pass list-element shortcut,
    /// which must decline any `<`: the comma-cutting reading it stands in
    /// for skips from a `<` to its `>`. A `<` in a value is an error here,
    /// so the shortcut hands the element to that reading.
    ListElement,
}

/// `paramchar` of RFC 3261 §25.1 (unreserved, param-unreserved, escaped).
static URI_PARAM: [bool; 256] = crate::text::class_table(b"-_.!~*'()%[]/:&+$", true);

/// Characters accepted in an unquoted header parameter value. The grammar
/// allows token, host and quoted-string; real peers also send `=` (base64
/// branches) and `host:port` in `received`, so everything visible except the
/// separators is taken.
static HEADER_VALUE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0x21;
    while i < 256 {
        t[i] = !matches!(i as u8, b';' | b',' | b'"' | 0x7f);
        i += 1;
    }
    t
};

/// [`HEADER_VALUE`] without `<` (see [`ParamKind::ListElement`]).
static LIST_VALUE: [bool; 256] = {
    let mut t = HEADER_VALUE;
    t[b'<' as usize] = false;
    t
};

impl<'a> Params<'a> {
    /// Parameters with nothing in them.
    pub const EMPTY: Params<'static> = Params { raw: "" };

    /// Checks `raw` (empty, or starting with `;`) and wraps it.
    #[inline]
    pub(crate) fn parse(raw: &'a str, kind: ParamKind) -> Result<Params<'a>, ValueError> {
        Self::parse_visit(raw, kind, |_, _, _| Ok(()))
    }

    /// Like [`Params::parse`], and hands each `(name, value, offset)` (as
    /// bytes) to `visit` as it is read, so a header that checks some of its
    /// parameters does not walk them a second time.
    #[inline]
    pub(crate) fn parse_visit(
        raw: &'a str,
        kind: ParamKind,
        visit: impl FnMut(&'a [u8], Option<&'a [u8]>, usize) -> Result<(), ValueError>,
    ) -> Result<Params<'a>, ValueError> {
        Self::lex(raw, kind, None, visit).map(|(p, _)| p)
    }

    /// Reads parameters at the start of `raw` up to the end, or up to a
    /// `stop` byte where a parameter could end (a URI's `?`); returns them
    /// and the offset where they end. Any other byte that cannot continue
    /// the parameters is an error.
    #[inline]
    pub(crate) fn lex(
        raw: &'a str,
        kind: ParamKind,
        stop: Option<u8>,
        mut visit: impl FnMut(&'a [u8], Option<&'a [u8]>, usize) -> Result<(), ValueError>,
    ) -> Result<(Params<'a>, usize), ValueError> {
        let mut pos = 0;
        let bytes = raw.as_bytes();
        let (name_class, value_class) = match kind {
            ParamKind::Uri => (&URI_PARAM, &URI_PARAM),
            ParamKind::Header => (&crate::text::TOKEN, &HEADER_VALUE),
            ParamKind::ListElement => (&crate::text::TOKEN, &LIST_VALUE),
        };
        let header = kind != ParamKind::Uri;
        while pos < bytes.len() {
            if bytes[pos] != b';' {
                if stop == Some(bytes[pos]) {
                    // Without the white space before the stop, as a value
                    // cut at the stop and trimmed would read.
                    return Ok((
                        Params {
                            raw: trim_end_lws(&raw[..pos]),
                        },
                        pos,
                    ));
                }
                return Err(ValueError::new("expected ';' before a parameter", pos));
            }
            pos += 1;
            let start = pos;
            // name
            if header {
                pos = crate::text::skip_lws(bytes, pos);
            }
            let name_start = pos;
            pos = crate::text::class_run(name_class, bytes, pos);
            if pos == name_start {
                return Err(ValueError::new("empty parameter name", start));
            }
            // Handed over as bytes: most visitors look at no parameter, and
            // a byte range needs no character-boundary checks.
            let name = &bytes[name_start..pos];
            let mut value = None;
            if header {
                pos = crate::text::skip_lws(bytes, pos);
            }
            if pos < bytes.len() && bytes[pos] == b'=' {
                pos += 1;
                if header {
                    pos = crate::text::skip_lws(bytes, pos);
                }
                let vstart = pos;
                if header && bytes.get(pos) == Some(&b'"') {
                    let len = quoted_len(&raw[pos..])
                        .ok_or(ValueError::new("unterminated quoted string", pos))?;
                    pos += len;
                    if kind == ParamKind::ListElement
                        && crate::text::find_in(&bytes[vstart..pos], b'<').is_some()
                    {
                        return Err(ValueError::new("'<' in a list element's parameter", vstart));
                    }
                } else {
                    pos = crate::text::class_run(value_class, bytes, pos);
                }
                if pos == vstart && header {
                    return Err(ValueError::new("empty parameter value", vstart));
                }
                value = Some(&bytes[vstart..pos]);
                if header {
                    pos = crate::text::skip_lws(bytes, pos);
                }
            }
            if pos < bytes.len() && bytes[pos] != b';' && stop != Some(bytes[pos]) {
                return Err(ValueError::new("invalid character in parameter", pos));
            }
            visit(name, value, start)?;
        }
        Ok((
            Params {
                raw: trim_end_lws(&raw[..pos]),
            },
            pos,
        ))
    }

    /// The raw text, starting with `;` unless empty.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// Whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Iterates `(name, value)` pairs in order; `value` is `None` for a flag.
    pub fn iter(&self) -> ParamIter<'a> {
        ParamIter { rest: self.raw }
    }

    /// The raw value of parameter `name`: `None` if absent, `Some(None)` for
    /// a flag such as `lr`, `Some(Some(v))` otherwise.
    pub fn get(&self, name: &str) -> Option<Option<&'a str>> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Whether parameter `name` is present (with or without value).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The value of `name` with any quotes and quoted-pair escapes removed.
    pub fn get_unquoted(&self, name: &str) -> Option<Cow<'a, str>> {
        let v = self.get(name)??;
        Some(unquote_value(v))
    }
}

/// `s` without linear white space at its end.
#[inline]
fn trim_end_lws(s: &str) -> &str {
    let b = s.as_bytes();
    let mut end = b.len();
    while end > 0 && crate::text::is_lws(b[end - 1]) {
        end -= 1;
    }
    // LWS bytes are ASCII, so `end` is a character boundary.
    s.get(..end).unwrap_or(s)
}

/// Strips the quotes of a quoted-string value; tokens are returned as is.
pub(crate) fn unquote_value(v: &str) -> Cow<'_, str> {
    if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        unquote(&v[1..v.len() - 1])
    } else {
        Cow::Borrowed(v)
    }
}

/// Iterator over parameters.
pub struct ParamIter<'a> {
    rest: &'a str,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let s = self.rest.strip_prefix(';').unwrap_or(self.rest);
            if s.is_empty() && self.rest.is_empty() {
                return None;
            }
            // Split at the next ';' outside a quoted string.
            let bytes = s.as_bytes();
            let mut i = 0;
            while let Some(r) = memchr::memchr2(b';', b'"', &bytes[i..]) {
                i += r;
                if bytes[i] == b';' {
                    break;
                }
                i += quoted_len(&s[i..]).unwrap_or(bytes.len() - i);
            }
            if i >= bytes.len() || bytes[i] != b';' {
                i = bytes.len();
            }
            let item = &s[..i.min(s.len())];
            self.rest = &s[i.min(s.len())..];
            let item = trim_lws(item);
            if item.is_empty() {
                if self.rest.is_empty() {
                    return None;
                }
                continue;
            }
            return Some(match crate::text::find_byte(item, b'=') {
                Some(eq) => (trim_lws(&item[..eq]), Some(trim_lws(&item[eq + 1..]))),
                None => (item, None),
            });
        }
    }
}

impl fmt::Debug for Params<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl fmt::Display for Params<'_> {
    /// Writes the parameters in a normal form: `;name=value` with no LWS.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, v) in self.iter() {
            f.write_str(";")?;
            f.write_str(n)?;
            if let Some(v) = v {
                f.write_str("=")?;
                f.write_str(v)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_params_with_lws_and_quotes() {
        let p = Params::parse(" ; tag = abc ;lr; x=\"a;b\\\"c\"", ParamKind::Header);
        // The raw text must start with ';'.
        assert!(p.is_err());
        let p = Params::parse("; tag = abc ;lr; x=\"a;b\\\"c\"", ParamKind::Header).unwrap();
        assert_eq!(p.get("TAG"), Some(Some("abc")));
        assert_eq!(p.get("lr"), Some(None));
        assert_eq!(p.get_unquoted("x").unwrap(), "a;b\"c");
        assert_eq!(p.iter().count(), 3);
    }

    #[test]
    fn empty_names_are_rejected() {
        assert!(Params::parse(";;", ParamKind::Header).is_err());
        assert!(Params::parse(";a=", ParamKind::Header).is_err());
        assert!(Params::parse(";lr", ParamKind::Uri).is_ok());
        assert!(Params::parse("; lr", ParamKind::Uri).is_err());
    }
}
