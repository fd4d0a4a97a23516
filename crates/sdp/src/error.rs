//! Parse errors: what was wrong and on which line.

/// An SDP text that could not be parsed. `line` is 1-based (0 when the
/// problem is the description as a whole, e.g. a missing `o=` line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SDP line {line}: {kind}")]
pub struct ParseError {
    /// 1-based line number, 0 for the whole description.
    pub line: usize,
    /// What was wrong.
    pub kind: ParseErrorKind,
}

/// What was wrong with an SDP text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// The bytes are not UTF-8.
    #[error("not valid UTF-8 at byte {0}")]
    NotUtf8(usize),
    /// Nothing but white space.
    #[error("empty session description")]
    Empty,
    /// The first line is not `v=`.
    #[error("the first line must be v=0")]
    MissingVersion,
    /// `v=` is not 0.
    #[error("unsupported SDP version {0:?}")]
    UnsupportedVersion(String),
    /// A line that is not `<letter>=<value>`.
    #[error("not a <type>=<value> line: {0:?}")]
    MalformedLine(String),
    /// A type letter RFC 8866 does not define (it requires rejecting those).
    #[error("unknown line type {0:?}")]
    UnknownType(char),
    /// A line type that is not allowed where it appears (e.g. `t=` in a media section).
    #[error("{0}= is not allowed here")]
    Misplaced(char),
    /// A line type that may appear only once at this level.
    #[error("duplicate {0}= line")]
    Duplicate(char),
    /// No `o=` line.
    #[error("missing o= line")]
    MissingOrigin,
    /// A line with the wrong number of fields.
    #[error("{line_type}= needs {expected} fields, found {found}")]
    FieldCount {
        /// Line type letter.
        line_type: char,
        /// What the line needs, e.g. "6" or "at least 3".
        expected: &'static str,
        /// How many fields it had.
        found: usize,
    },
    /// A field whose value is invalid.
    #[error("invalid {field}: {value:?}")]
    InvalidField {
        /// The field, e.g. "m= port".
        field: &'static str,
        /// The offending text (shortened to 64 characters).
        value: String,
    },
}

impl ParseErrorKind {
    pub(crate) fn invalid(field: &'static str, value: &str) -> Self {
        let mut v: String = value.chars().take(64).collect();
        if v.len() < value.len() {
            v.push('…');
        }
        Self::InvalidField { field, value: v }
    }
}
