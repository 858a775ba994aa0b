//! Errors of the list loaders and compiled list files.

use std::path::PathBuf;

/// A line of an input file that could not be used (reported, or skipped under
/// [`BadLinePolicy::Skip`](super::BadLinePolicy::Skip)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number in the file.
    pub line: usize,
    /// The line as read (trimmed; invalid UTF-8 replaced by U+FFFD).
    pub text: String,
    /// What is wrong with it and what would be valid.
    pub error: String,
}

/// Everything that can go wrong while reading a list, a consent file or a compiled
/// list file. Messages name the file (and line) and say what would be valid.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// The file could not be opened, read, written or mapped.
    #[error("{path}: {source} (check the path and its permissions)", path = path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A line could not be parsed and the policy says bad lines fail the load.
    #[error("{path}:{line}: {error} (line: {text:?}); fix or remove the line, or set bad lines to be skipped", path = path.display())]
    BadLine {
        /// The file concerned.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The offending line (trimmed).
        text: String,
        /// What is wrong and what would be valid.
        error: String,
    },
    /// A prefix entry is not of the form `+<digits>` or `<digits>*`.
    #[error("bad prefix {text:?}: {why}; write an E.164 prefix such as \"+39899\" or \"39899*\"")]
    BadPrefix {
        /// The entry as written.
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A compiled list file cannot be used; `problem` says why and what to do.
    #[error("{path}: {problem}", path = path.display())]
    Compiled {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong with it.
        problem: CompiledProblem,
    },
    /// The file as a whole is unusable (bad header, wrong magic, truncated, corrupt).
    #[error("{path}: {what}", path = path.display())]
    BadFile {
        /// The file concerned.
        path: PathBuf,
        /// What is wrong and what to do.
        what: String,
    },
}

impl ListError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> ListError {
        ListError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn bad_file(path: &std::path::Path, what: impl Into<String>) -> ListError {
        ListError::BadFile {
            path: path.to_path_buf(),
            what: what.into(),
        }
    }
}

/// Why a compiled list file was refused. Each case is distinct so that callers
/// (and operators) can tell an incomplete copy from a damaged or foreign file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompiledProblem {
    /// The file does not start with the compiled-list magic.
    #[error(
        "not a dialguard compiled list (it starts with {found:?}); give a text list, or make one with `dialguard compile-list`"
    )]
    Foreign {
        /// The first bytes of the file (up to 8).
        found: Vec<u8>,
    },
    /// The file was written by a newer format than this build reads.
    #[error(
        "compiled with list format version {found}, but this build reads up to version {supported}; upgrade dialguard or compile the list again with this version"
    )]
    NewerVersion {
        /// Version in the file.
        found: u32,
        /// Newest version this build reads.
        supported: u32,
    },
    /// The file is shorter than its header says.
    #[error(
        "truncated: {found} bytes, but the header says {expected}; the copy is incomplete, copy or compile it again"
    )]
    Truncated {
        /// Bytes the header promises (header included).
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// A checksum does not match, or the structure is inconsistent.
    #[error("corrupt: {what}; the file was damaged after it was compiled, compile it again")]
    Corrupt {
        /// What does not match.
        what: String,
    },
}
