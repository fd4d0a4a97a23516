//! Writing quoted-strings (RFC 3261 §25.1): `"` and `\` are escaped.

/// Append `value` as a quoted-string. Control characters other than tab
/// cannot be carried and are dropped, so the output never ends a header line
/// (callers that must not alter values check [`is_header_safe`] first).
pub(crate) fn push_quoted(out: &mut String, value: &str) {
    out.reserve(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c.is_control() && c != '\t' {
            continue;
        }
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Whether `value` can be written into a header at all: no control characters
/// other than tab (a CR or LF would end the header line).
pub(crate) fn is_header_safe(value: &str) -> bool {
    !value.chars().any(|c| c.is_control() && c != '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        let mut s = String::new();
        push_quoted(&mut s, r#"a"b\c"#);
        assert_eq!(s, r#""a\"b\\c""#);
        let mut s = String::new();
        push_quoted(&mut s, "realm\r\nVia: x\t");
        assert_eq!(s, "\"realmVia: x\t\"");
        assert!(is_header_safe("a\tb"));
        assert!(!is_header_safe("a\r\nVia: x"));
    }
}
