//! Policy errors: every one names the file, the line (when known), the rule and key, what
//! is wrong and what would be valid.

use std::fmt;
use std::path::PathBuf;

/// One problem found while reading or compiling a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// The policy file (or list file) the problem is in.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The rule, e.g. `[[window]] "it-code-hours"`.
    pub rule: Option<String>,
    /// The key inside the rule, e.g. `mon-fri`.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What would be valid, or what to do next.
    pub hint: Option<String>,
}

impl PolicyError {
    pub(crate) fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> PolicyError {
        PolicyError {
            file: file.into(),
            line: None,
            rule: None,
            key: None,
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    pub(crate) fn rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into());
        self
    }

    pub(crate) fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(rule) = &self.rule {
            write!(f, "{rule}")?;
            if let Some(key) = &self.key {
                write!(f, ", key `{key}`")?;
            }
            f.write_str(": ")?;
        } else if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}

/// Every problem found in one compile (the compiler reports as many as it can at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyErrors(pub Vec<PolicyError>);

impl PolicyErrors {
    /// The problems, in file order.
    pub fn iter(&self) -> impl Iterator<Item = &PolicyError> {
        self.0.iter()
    }
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyErrors {}

impl From<PolicyError> for PolicyErrors {
    fn from(e: PolicyError) -> Self {
        PolicyErrors(vec![e])
    }
}

/// Levenshtein distance, for "did you mean" hints on unknown keys and ids.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate within a small distance, if any.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            did_you_mean("max_age_day", ["max_age_days", "path"]),
            Some("max_age_days")
        );
        assert_eq!(did_you_mean("zzz", ["max_age_days", "path"]), None);
    }

    #[test]
    fn display_names_file_line_rule_key() {
        let e = PolicyError::new("p.toml", "window ends before it starts")
            .line(Some(12))
            .rule("[[window]] \"it\"")
            .key("mon-fri")
            .hint("write HH:MM-HH:MM with start < end");
        assert_eq!(
            e.to_string(),
            "p.toml:12: [[window]] \"it\", key `mon-fri`: window ends before it starts (write HH:MM-HH:MM with start < end)"
        );
    }
}
