//! The hash chain and file naming: how a line is sealed (`prev` + `h`), how a sealed line
//! is checked, and which files in a directory belong to the log, in order.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The `prev` of the very first line of a log.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a sealed line ends with before the 64 hex digits of its hash.
const H_FIELD: &[u8] = b",\"h\":\"";

pub(crate) fn hex(bytes: &[u8]) -> String {
    // By table: `write!` per byte was a visible share of the writer's time per record.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Serialises `value` (a JSON object), adds `"prev"`, hashes, adds `"h"` and a newline,
/// appending it all to `out`; returns the new hash.
pub(crate) fn seal<T: Serialize>(value: &T, prev: &str, out: &mut Vec<u8>) -> String {
    let start = out.len();
    // Serialising a struct of strings and numbers into a Vec cannot fail.
    serde_json::to_writer(&mut *out, value).expect("record serialises");
    debug_assert_eq!(out.last(), Some(&b'}'));
    out.pop();
    out.extend_from_slice(b",\"prev\":\"");
    out.extend_from_slice(prev.as_bytes());
    out.extend_from_slice(b"\"}");
    let h = hex(&Sha256::digest(&out[start..]));
    out.pop();
    out.extend_from_slice(H_FIELD);
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(b"\"}\n");
    h
}

/// Checks a line (without its newline) against its own `h`; returns `h` when it holds.
pub(crate) fn check(line: &[u8]) -> Result<String, &'static str> {
    let n = line.len();
    let tail = H_FIELD.len() + 64 + 2;
    if n < tail + 1 || &line[n - 2..] != b"\"}" {
        return Err("does not end in a hash field (\"h\":\"…\"}): cut short or rewritten");
    }
    let h_at = n - 2 - 64;
    if &line[h_at - H_FIELD.len()..h_at] != H_FIELD {
        return Err("does not end in a hash field (\"h\":\"…\"}): cut short or rewritten");
    }
    let claimed = &line[h_at..n - 2];
    let mut d = Sha256::new();
    d.update(&line[..h_at - H_FIELD.len()]);
    d.update(b"}");
    let actual = hex(&d.finalize());
    if actual.as_bytes() != claimed {
        return Err("its content does not match its hash: the record was edited");
    }
    Ok(actual)
}

/// A log file's name for file counter `n` opened on UTC day `day` (YYYYMMDD).
pub(crate) fn file_name(n: u64, day: &str) -> String {
    format!("audit-{n:06}-{day}.jsonl")
}

/// The file counter and day of a log file's name, `None` for any other file.
pub(crate) fn parse_name(name: &str) -> Option<(u64, &str)> {
    let rest = name.strip_prefix("audit-")?.strip_suffix(".jsonl")?;
    let (n, day) = rest.split_once('-')?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if day.len() != 8 || !day.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((n.parse().ok()?, day))
}

/// The log's files in order (by file counter).
pub(crate) fn list_files(dir: &Path) -> std::io::Result<Vec<(u64, String, PathBuf)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some((n, _)) = parse_name(name) {
            files.push((n, name.to_owned(), entry.path()));
        }
    }
    files.sort_by_key(|f| f.0);
    Ok(files)
}

/// UTC day `YYYYMMDD` of an instant.
pub(crate) fn day_of(t: i64) -> String {
    super::record::ymd(super::record::day_number(t)).replace('-', "")
}

/// A file's first line.
#[derive(Serialize)]
pub(crate) struct Header<'a> {
    pub seq: u64,
    pub kind: &'static str,
    pub format: u32,
    pub file: &'a str,
    pub prev_file: Option<&'a str>,
    pub opened: String,
    pub pseudonymized: bool,
    /// The previous file ended without `rotate` or `close`: its writer died.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub recovered: bool,
    /// Bytes of a record cut in half at the end of the previous file (a crash mid-write).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub torn_tail_bytes: Option<u64>,
    /// Files deleted by `retention_days` when this one was opened.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pruned: Vec<String>,
}

/// A file's last line: `rotate` (the log goes on in `next`) or `close`.
#[derive(Serialize)]
pub(crate) struct Trailer<'a> {
    pub seq: u64,
    pub kind: &'static str,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<&'a str>,
    pub records: u64,
    pub dropped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_line_checks_and_any_edited_byte_is_found() {
        let mut out = Vec::new();
        let h = seal(
            &serde_json::json!({"seq": 1, "kind": "check"}),
            GENESIS,
            &mut out,
        );
        let line = &out[..out.len() - 1];
        assert_eq!(check(line).unwrap(), h);
        for i in 0..line.len() {
            let mut bad = line.to_vec();
            bad[i] ^= 0x01;
            assert!(check(&bad).is_err(), "byte {i} edited and not found");
        }
        assert!(check(&line[..line.len() - 3]).is_err());
    }

    #[test]
    fn names_round_trip_and_others_are_ignored() {
        let n = file_name(12, "20260316");
        assert_eq!(parse_name(&n), Some((12, "20260316")));
        assert_eq!(parse_name("audit.key"), None);
        assert_eq!(parse_name("audit-x-20260316.jsonl"), None);
        assert_eq!(day_of(1_773_651_600), "20260316");
    }
}
