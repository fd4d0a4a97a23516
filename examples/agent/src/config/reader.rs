//! A TOML walker that collects every problem instead of stopping at the
//! first: each value is read with its dotted key, checked against what is
//! allowed, and every failure becomes a [`ConfigIssue`] naming the key, the
//! value and the allowed values. Unknown keys are reported too.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::fmt;
use std::ops::RangeInclusive;

use toml::{Table, Value};

/// One problem found in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    /// Dotted key, e.g. `account.expires`.
    pub key: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Collected errors and warnings of one load.
#[derive(Debug, Default)]
pub(crate) struct Issues {
    pub errors: Vec<ConfigIssue>,
    pub warnings: Vec<ConfigIssue>,
}

impl Issues {
    pub fn error(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ConfigIssue {
            key: key.into(),
            message: message.into(),
        });
    }
    pub fn warn(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(ConfigIssue {
            key: key.into(),
            message: message.into(),
        });
    }
}

/// Shortens a value for an error message (secrets are never passed here).
fn show(v: &Value) -> String {
    let s = match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// One table of the file; remembers which keys were read.
pub(crate) struct Section<'a> {
    path: String,
    table: Option<&'a Table>,
    used: RefCell<BTreeSet<String>>,
}

impl<'a> Section<'a> {
    pub fn root(table: &'a Table) -> Self {
        Section {
            path: String::new(),
            table: Some(table),
            used: RefCell::new(BTreeSet::new()),
        }
    }

    /// The dotted key of `name` in this section.
    pub fn key(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// Whether the key is present.
    pub fn has(&self, name: &str) -> bool {
        self.table.is_some_and(|t| t.contains_key(name))
    }

    fn raw(&self, name: &str) -> Option<&'a Value> {
        let v = self.table?.get(name)?;
        self.used.borrow_mut().insert(name.to_owned());
        Some(v)
    }

    /// A sub-table (missing is an empty section).
    pub fn section(&self, name: &str, issues: &mut Issues) -> Section<'a> {
        let table = match self.raw(name) {
            None => None,
            Some(Value::Table(t)) => Some(t),
            Some(v) => {
                issues.error(
                    self.key(name),
                    format!("expected a table, found {}", type_name(v)),
                );
                None
            }
        };
        Section {
            path: self.key(name),
            table,
            used: RefCell::new(BTreeSet::new()),
        }
    }

    /// An optional string.
    pub fn opt_str(&self, name: &str, issues: &mut Issues) -> Option<String> {
        match self.raw(name)? {
            Value::String(s) => Some(s.clone()),
            v => {
                issues.error(
                    self.key(name),
                    format!("expected a string, found {}", type_name(v)),
                );
                None
            }
        }
    }

    /// An optional non-empty string (an empty one is reported).
    pub fn opt_nonempty(&self, name: &str, issues: &mut Issues) -> Option<String> {
        let s = self.opt_str(name, issues)?;
        if s.trim().is_empty() {
            issues.error(
                self.key(name),
                "must not be empty (leave the key out instead)",
            );
            return None;
        }
        Some(s.trim().to_owned())
    }

    /// A required non-empty string.
    pub fn req_str(&self, name: &str, what: &str, issues: &mut Issues) -> Option<String> {
        if !self.has(name) {
            issues.error(self.key(name), format!("missing; set it to {what}"));
            return None;
        }
        self.opt_nonempty(name, issues)
    }

    /// A boolean with a default.
    pub fn bool(&self, name: &str, default: bool, issues: &mut Issues) -> bool {
        match self.raw(name) {
            None => default,
            Some(Value::Boolean(b)) => *b,
            Some(v) => {
                issues.error(
                    self.key(name),
                    format!("{} is not allowed; use true or false", show(v)),
                );
                default
            }
        }
    }

    /// An integer in `range`, with a default.
    pub fn int(
        &self,
        name: &str,
        default: i64,
        range: RangeInclusive<i64>,
        unit: &str,
        issues: &mut Issues,
    ) -> i64 {
        match self.raw(name) {
            None => default,
            Some(Value::Integer(i)) if range.contains(i) => *i,
            Some(v) => {
                issues.error(
                    self.key(name),
                    format!(
                        "{} is not allowed; use an integer from {} to {}{}",
                        show(v),
                        range.start(),
                        range.end(),
                        if unit.is_empty() {
                            String::new()
                        } else {
                            format!(" ({unit})")
                        }
                    ),
                );
                default
            }
        }
    }

    /// An optional integer in `range`.
    pub fn opt_int(
        &self,
        name: &str,
        range: RangeInclusive<i64>,
        unit: &str,
        issues: &mut Issues,
    ) -> Option<i64> {
        if !self.has(name) {
            return None;
        }
        let n = issues.errors.len();
        let v = self.int(name, *range.start(), range, unit, issues);
        (issues.errors.len() == n).then_some(v)
    }

    /// One of a fixed set of words (case-insensitive), with a default.
    pub fn choice<T: Copy>(
        &self,
        name: &str,
        default: T,
        options: &[(&str, T)],
        issues: &mut Issues,
    ) -> T {
        let Some(v) = self.raw(name) else {
            return default;
        };
        let found = match v {
            Value::String(s) => options
                .iter()
                .find(|(w, _)| w.eq_ignore_ascii_case(s.trim()))
                .map(|(_, t)| *t),
            Value::Integer(i) => {
                let s = i.to_string();
                options.iter().find(|(w, _)| *w == s).map(|(_, t)| *t)
            }
            _ => None,
        };
        found.unwrap_or_else(|| {
            issues.error(
                self.key(name),
                format!(
                    "{} is not allowed; use one of {}",
                    show(v),
                    options
                        .iter()
                        .map(|(w, _)| *w)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            default
        })
    }

    /// A list of strings (a single string is taken as a one-element list).
    pub fn str_list(&self, name: &str, issues: &mut Issues) -> Option<Vec<(String, String)>> {
        let v = self.raw(name)?;
        let key = self.key(name);
        match v {
            Value::String(s) => Some(vec![(format!("{key}[0]"), s.clone())]),
            Value::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for (i, item) in a.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push((format!("{key}[{i}]"), s.clone())),
                        other => issues.error(
                            format!("{key}[{i}]"),
                            format!("expected a string, found {}", type_name(other)),
                        ),
                    }
                }
                Some(out)
            }
            other => {
                issues.error(
                    key,
                    format!("expected a list of strings, found {}", type_name(other)),
                );
                None
            }
        }
    }

    /// Reports every key of this section that was never read, naming the
    /// known keys.
    pub fn finish(&self, known: &[&str], issues: &mut Issues) {
        let Some(t) = self.table else { return };
        let used = self.used.borrow();
        for k in t.keys() {
            if !used.contains(k) {
                issues.error(
                    self.key(k),
                    format!(
                        "unknown key; known keys here: {}",
                        if known.is_empty() {
                            "(none)".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(s: &str) -> Table {
        s.parse().unwrap()
    }

    #[test]
    fn collects_every_error_with_key_and_allowed_values() {
        let t = table("[a]\nn = 5\nw = \"xx\"\nb = 3\nextra = 1\n");
        let root = Section::root(&t);
        let mut issues = Issues::default();
        let a = root.section("a", &mut issues);
        assert_eq!(a.int("n", 1, 10..=20, "s", &mut issues), 1);
        assert!(!a.choice("w", false, &[("yes", true), ("no", false)], &mut issues));
        assert!(a.bool("b", true, &mut issues));
        a.finish(&["n", "w", "b"], &mut issues);
        root.finish(&["a"], &mut issues);
        let msgs: Vec<String> = issues.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            msgs,
            [
                "a.n: 5 is not allowed; use an integer from 10 to 20 (s)",
                "a.w: \"xx\" is not allowed; use one of yes, no",
                "a.b: 3 is not allowed; use true or false",
                "a.extra: unknown key; known keys here: n, w, b",
            ]
        );
    }

    #[test]
    fn lists() {
        let t = table("l = [\"x\", 2]\ns = \"one\"\nq = 1\n");
        let root = Section::root(&t);
        let mut issues = Issues::default();
        let l = root.str_list("l", &mut issues).unwrap();
        assert_eq!(l, vec![("l[0]".to_owned(), "x".to_owned())]);
        assert_eq!(root.str_list("s", &mut issues).unwrap().len(), 1);
        assert!(root.str_list("q", &mut issues).is_none());
        assert_eq!(issues.errors.len(), 2, "{:?}", issues.errors);
        assert_eq!(issues.errors[0].key, "l[1]");
        assert_eq!(issues.errors[1].key, "q");
    }

    #[test]
    fn long_values_are_shortened() {
        let long = "x".repeat(100);
        let s = show(&Value::String(long));
        assert!(s.len() < 70 && s.ends_with("..."));
    }
}
