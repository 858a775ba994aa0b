//! Text lists: one number a line, with an optional `,YYYY-MM-DD` registration date.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::date::parse_ymd;
use super::input::{bounded, open_regular};
use super::{BadLine, ListError};
use crate::Number;

/// The number-parsing callback the loaders take: number text → [`Number`], or a
/// message saying what is wrong and what would be valid.
pub type ParseFn = dyn Fn(&str) -> Result<Number, String>;

/// The longest line a list or consent file may have, in bytes.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// What to do with a line that cannot be parsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BadLinePolicy {
    /// The whole load fails with [`ListError::BadLine`] at the first bad line.
    #[default]
    Fail,
    /// The line is skipped and reported in the result.
    Skip,
}

/// A parsed text list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextList {
    /// `(E.164 digits, registration day number)` in file order, duplicates kept.
    pub entries: Vec<(u64, Option<i32>)>,
    /// Lines skipped under [`BadLinePolicy::Skip`], in file order.
    pub skipped: Vec<BadLine>,
}

/// Reads a text list.
///
/// Format: one number a line, optionally followed by `,YYYY-MM-DD` (the date the
/// number was registered). Everything from `#` to the end of the line is a comment;
/// blank lines are ignored; whitespace around the number and the date is trimmed;
/// CRLF line ends and a UTF-8 byte-order mark are accepted. `parse` turns the number
/// text into a [`Number`] (so national formats follow the caller's rules) and its
/// error message is reported with the file and line.
///
/// The file must be a regular file of at most
/// [`DEFAULT_MAX_LIST_BYTES`](super::DEFAULT_MAX_LIST_BYTES); a line may be at most
/// [`MAX_LINE_BYTES`] long.
pub fn read_text_list(
    path: &Path,
    parse: &dyn Fn(&str) -> Result<Number, String>,
    bad_lines: BadLinePolicy,
) -> Result<TextList, ListError> {
    read_text_list_limited(path, parse, bad_lines, super::DEFAULT_MAX_LIST_BYTES)
}

/// [`read_text_list`] with the policy's size limit.
pub(crate) fn read_text_list_limited(
    path: &Path,
    parse: &dyn Fn(&str) -> Result<Number, String>,
    bad_lines: BadLinePolicy,
    limit: u64,
) -> Result<TextList, ListError> {
    let (file, size) = open_regular(path, limit, super::input::RAISE_LIST_LIMIT)?;
    read_text_from(path, bounded(file, size), parse, bad_lines)
}

/// Reads a text list from an open reader (see [`read_text_list`]).
pub(crate) fn read_text_from(
    path: &Path,
    file: impl std::io::Read,
    parse: &dyn Fn(&str) -> Result<Number, String>,
    bad_lines: BadLinePolicy,
) -> Result<TextList, ListError> {
    let mut list = TextList::default();
    for_each_line(path, file, |line_no, raw| {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            return Ok(());
        }
        match parse_entry(line, parse) {
            Ok(entry) => list.entries.push(entry),
            Err(error) => {
                let bad = BadLine {
                    line: line_no,
                    text: line.to_string(),
                    error,
                };
                reject(path, bad, bad_lines, &mut list.skipped)?;
            }
        }
        Ok(())
    })?;
    Ok(list)
}

fn parse_entry(
    line: &str,
    parse: &dyn Fn(&str) -> Result<Number, String>,
) -> Result<(u64, Option<i32>), String> {
    let (num, date) = match line.split_once(',') {
        Some((num, date)) => (num.trim(), Some(date.trim())),
        None => (line, None),
    };
    if date.is_some_and(|d| d.contains(',')) {
        return Err("too many fields: expected NUMBER or NUMBER,YYYY-MM-DD".to_string());
    }
    let number = parse(num)?;
    let date = date.map(parse_ymd).transpose()?;
    Ok((number.get(), date))
}

/// Handles a bad line under `policy`: fail with an error naming file and line, or
/// record it and go on.
pub(crate) fn reject(
    path: &Path,
    bad: BadLine,
    policy: BadLinePolicy,
    skipped: &mut Vec<BadLine>,
) -> Result<(), ListError> {
    match policy {
        BadLinePolicy::Fail => Err(ListError::BadLine {
            path: path.to_path_buf(),
            line: bad.line,
            text: bad.text,
            error: bad.error,
        }),
        BadLinePolicy::Skip => {
            skipped.push(bad);
            Ok(())
        }
    }
}

pub(crate) fn strip_comment(s: &str) -> &str {
    s.split_once('#').map_or(s, |(before, _)| before)
}

/// Calls `f(line_number, line)` for each line (1-based, line end and a leading BOM
/// removed, invalid UTF-8 replaced so that it shows up as a bad line, not an I/O error).
pub(crate) fn for_each_line(
    path: &Path,
    file: impl std::io::Read,
    mut f: impl FnMut(usize, &str) -> Result<(), ListError>,
) -> Result<(), ListError> {
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut buf = Vec::with_capacity(128);
    let mut line_no = 0usize;
    loop {
        buf.clear();
        // One line at most MAX_LINE_BYTES (+ its newline): a file with no line breaks
        // is not a list, and must not be buffered whole.
        let n = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 2)
            .read_until(b'\n', &mut buf)
            .map_err(|e| ListError::io(path, e))?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        if buf.len() > MAX_LINE_BYTES + 1
            || (buf.len() > MAX_LINE_BYTES && buf.last() != Some(&b'\n'))
        {
            return Err(ListError::bad_file(
                path,
                format!(
                    "line {line_no} is longer than {MAX_LINE_BYTES} bytes: not a list file (one number a line)"
                ),
            ));
        }
        let mut bytes = &buf[..];
        if line_no == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let text = String::from_utf8_lossy(bytes);
        f(line_no, &text)?;
    }
}
