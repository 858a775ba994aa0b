//! Compiled list files: a [`NumberSet`] arena behind a checksummed header, written
//! once by `dialguard compile-list` and loaded with one read and one checksum pass.
//!
//! # Format (version 2, little-endian)
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `DGNUMSET` |
//! | 8 | 4 | format version (2) |
//! | 12 | 4 | header length (64) |
//! | 16 | 8 | distinct numbers |
//! | 24 | 8 | body length in bytes |
//! | 32 | 8 | xxh3-64 of the body |
//! | 40 | 4 | snapshot date, day number (`i32::MIN` = none) |
//! | 44 | 4 | flags (bit 0: registration dates present) |
//! | 48 | 8 | reserved (0) |
//! | 56 | 8 | xxh3-64 of bytes 0..56 |
//! | 64 | body | the set's arena (see [`NumberSet`]'s layout) |
//!
//! Opening checks, in order: magic, version, header checksum, length, body checksum,
//! then every offset of the arena; each failure is a distinct
//! [`CompiledProblem`]. The body is read into private memory (see [`open_compiled`]), so
//! a file changed or truncated after the open changes nothing until the next reload.
//! [`write_compiled`] still writes a temporary file and renames it over the target, so a
//! reader never sees a half-written file.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_64;

use super::date::parse_ymd_bytes;
use super::set::Backing;
use super::text::ParseFn;
use super::{CompiledProblem, ListError, NumberSet};
use crate::Number;

/// First bytes of every compiled list file.
pub const MAGIC: [u8; 8] = *b"DGNUMSET";
/// The format version this build writes and the newest it reads. Version 2 added
/// Elias–Fano containers (a kind code in each directory entry); version 1 files, which
/// hold arrays and bitmaps only, read unchanged, and a version 1 reader refuses a
/// version 2 file as newer instead of misreading it.
pub const FORMAT_VERSION: u32 = 2;
const HEADER_LEN: usize = 64;
const NO_SNAPSHOT: i32 = i32::MIN;

/// An opened compiled list file.
#[derive(Clone, Debug)]
pub struct CompiledList {
    /// The numbers (and dates), in private memory.
    pub set: NumberSet,
    /// When the registry copy was taken, if the compiler was told.
    pub snapshot_date: Option<i32>,
    /// The file's format version.
    pub format_version: u32,
}

fn compiled_err(path: &Path, problem: CompiledProblem) -> ListError {
    ListError::Compiled {
        path: path.to_path_buf(),
        problem,
    }
}

fn corrupt(path: &Path, what: impl Into<String>) -> ListError {
    compiled_err(path, CompiledProblem::Corrupt { what: what.into() })
}

fn header(set: &NumberSet, snapshot_date: Option<i32>, body: &[u8]) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[0..8].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
    h[16..24].copy_from_slice(&(set.len() as u64).to_le_bytes());
    h[24..32].copy_from_slice(&(body.len() as u64).to_le_bytes());
    h[32..40].copy_from_slice(&xxh3_64(body).to_le_bytes());
    h[40..44].copy_from_slice(&snapshot_date.unwrap_or(NO_SNAPSHOT).to_le_bytes());
    h[44..48].copy_from_slice(&u32::from(set.has_dates()).to_le_bytes());
    let check = xxh3_64(&h[0..56]);
    h[56..64].copy_from_slice(&check.to_le_bytes());
    h
}

/// Writes `set` as a compiled list file at `path` (atomically: a temporary file in
/// the same directory, synced, then renamed over `path`).
pub fn write_compiled(
    set: &NumberSet,
    snapshot_date: Option<i32>,
    path: &Path,
) -> Result<(), ListError> {
    let body = set.arena_bytes_slice();
    let head = header(set, snapshot_date, body);
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp: PathBuf = path.with_file_name(tmp_name);
    let result = (|| -> std::io::Result<()> {
        // Owner-only (the numbers are personal data); chmod it for another user to read.
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(&head)?;
        f.write_all(body)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ListError::io(path, e)
    })
}

fn le32(b: &[u8], at: usize) -> u32 {
    b.get(at..)
        .and_then(|s| s.first_chunk::<4>())
        .map_or(0, |a| u32::from_le_bytes(*a))
}
fn le64(b: &[u8], at: usize) -> u64 {
    b.get(at..)
        .and_then(|s| s.first_chunk::<8>())
        .map_or(0, |a| u64::from_le_bytes(*a))
}

/// Opens a compiled list file, verifies it and loads the set.
///
/// The file is **copied** into private memory (an anonymous mapping, huge-page advised)
/// rather than used in place: a registry file overwritten in place by a cron job (`cp
/// new.dgl reg.dgl`) would otherwise change verdicts under a running guard without a
/// reload, and one truncated in place (`: > reg.dgl`) would kill the process with
/// SIGBUS. With the copy, what was verified is what is used until the next reload,
/// whatever happens to the file. The cost is one read of the file (it is read whole for
/// the checksum anyway) and private memory per process instead of shared page cache.
///
/// Errors: [`ListError::Io`] when the file cannot be read, [`ListError::BadFile`] when it
/// is not a regular file, else [`ListError::Compiled`] with
/// [`CompiledProblem::Foreign`] (wrong magic),
/// [`NewerVersion`](CompiledProblem::NewerVersion), [`Truncated`](CompiledProblem::Truncated)
/// or [`Corrupt`](CompiledProblem::Corrupt) (checksum or structure).
pub fn open_compiled(path: &Path) -> Result<CompiledList, ListError> {
    let (file, size) = super::open_regular(path, u64::MAX, "")?;
    read_compiled(path, file, size)
}

/// Reads and verifies a compiled list from `file`, opened at its start, whose size was
/// `file_len` when it was opened.
pub(crate) fn read_compiled(
    path: &Path,
    file: File,
    file_len: u64,
) -> Result<CompiledList, ListError> {
    let mut file = file.take(file_len);
    let mut h = [0u8; HEADER_LEN];
    let got = read_full(&mut file, &mut h).map_err(|e| ListError::io(path, e))?;
    if got < HEADER_LEN {
        return Err(check_short(path, &h[..got]));
    }
    if h.get(0..8) != Some(&MAGIC[..]) {
        return Err(check_short(path, &h));
    }
    let version = le32(&h, 8);
    if version > FORMAT_VERSION {
        return Err(compiled_err(
            path,
            CompiledProblem::NewerVersion {
                found: version,
                supported: FORMAT_VERSION,
            },
        ));
    }
    if xxh3_64(h.get(0..56).unwrap_or(&[])) != le64(&h, 56) {
        return Err(corrupt(path, "header checksum mismatch"));
    }
    if version == 0 || usize::try_from(le32(&h, 12)).ok() != Some(HEADER_LEN) {
        return Err(corrupt(path, "impossible version or header length"));
    }
    let body_len = le64(&h, 24);
    let expected = body_len.saturating_add(HEADER_LEN as u64);
    if file_len < expected {
        return Err(compiled_err(
            path,
            CompiledProblem::Truncated {
                expected,
                found: file_len,
            },
        ));
    }
    if file_len > expected {
        return Err(corrupt(
            path,
            format!("{} unexpected bytes after the body", file_len - expected),
        ));
    }
    let Ok(body_len) = usize::try_from(body_len) else {
        return Err(corrupt(
            path,
            "body larger than this machine's address space",
        ));
    };
    let (backing, got) = if body_len == 0 {
        (Backing::Heap(Vec::new()), 0)
    } else {
        let mut body = private_arena(body_len).map_err(|e| ListError::io(path, e))?;
        let got = read_full(&mut file, &mut body).map_err(|e| ListError::io(path, e))?;
        (Backing::Anon(body), got)
    };
    if got < body_len {
        // The file shrank after it was opened: it is being rewritten in place.
        return Err(compiled_err(
            path,
            CompiledProblem::Truncated {
                expected,
                found: (HEADER_LEN + got) as u64,
            },
        ));
    }
    if xxh3_64(backing.bytes()) != le64(&h, 32) {
        return Err(corrupt(path, "body checksum mismatch"));
    }
    let n = le64(&h, 16);
    let snapshot = i32::from_le_bytes(le32(&h, 40).to_le_bytes());
    let set = NumberSet::from_backing(Arc::new(backing)).map_err(|e| corrupt(path, e))?;
    if set.len() as u64 != n {
        return Err(corrupt(
            path,
            "number count differs between header and body",
        ));
    }
    Ok(CompiledList {
        set,
        snapshot_date: (snapshot != NO_SNAPSHOT).then_some(snapshot),
        format_version: version,
    })
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Private anonymous memory for a list body, huge-page advised before it is touched.
fn private_arena(len: usize) -> std::io::Result<memmap2::MmapMut> {
    let map = memmap2::MmapOptions::new().len(len).map_anon()?;
    #[cfg(target_os = "linux")]
    let _ = map.advise(memmap2::Advice::HugePage);
    Ok(map)
}

/// A file shorter than a header, or with the wrong magic: foreign unless it is a
/// prefix of our magic (then it is a truncated compiled file).
fn check_short(path: &Path, head: &[u8]) -> ListError {
    let k = head.len().min(8);
    if head.get(..k) == MAGIC.get(..k) {
        compiled_err(
            path,
            CompiledProblem::Truncated {
                expected: HEADER_LEN as u64,
                found: head.len() as u64,
            },
        )
    } else {
        compiled_err(
            path,
            CompiledProblem::Foreign {
                found: head.get(..k).unwrap_or(&[]).to_vec(),
            },
        )
    }
}

/// What [`compile_text_list`] read and wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileStats {
    /// Lines in the input (blank and comment lines included).
    pub lines: usize,
    /// Number entries read (duplicates included).
    pub entries: usize,
    /// Distinct numbers written.
    pub distinct: usize,
    /// Entries the fast path could not read and `parse_digits` did.
    pub slow_path: usize,
    /// Input bytes.
    pub input_bytes: u64,
    /// Output file bytes.
    pub output_bytes: u64,
}

#[derive(Debug, PartialEq, Eq)]
enum Fast {
    Blank,
    Entry(u64, Option<i32>),
    Slow,
}

/// Where the line after the one holding `i` starts (`b.len()` on the last line).
#[inline]
fn next_line(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |k| i + k + 1)
}

/// The first index from `i` whose byte is not in `set`.
#[inline]
fn skip(b: &[u8], mut i: usize, set: &[u8]) -> usize {
    while i < b.len() && set.contains(&b[i]) {
        i += 1;
    }
    i
}

/// Reads the line that starts at `at` in `b` in one pass, without allocating:
/// E.164 digits with or without `+`, optional `,YYYY-MM-DD`, `#` comment, spaces,
/// tabs and CR around. Returns what it found and where the next line starts.
#[inline]
fn fast_entry(b: &[u8], at: usize) -> (Fast, usize) {
    let n = b.len();
    let eol = |i: usize| next_line(b, i);
    let skip_ws = |i: usize| skip(b, i, b" \t\r");
    let mut i = skip_ws(at);
    if i == n || b[i] == b'\n' || b[i] == b'#' {
        return (Fast::Blank, eol(i));
    }
    if b[i] == b'+' {
        i += 1;
    }
    let start = i;
    let mut v = 0u64;
    while i < n && b[i].is_ascii_digit() {
        v = v.wrapping_mul(10).wrapping_add(u64::from(b[i] - b'0'));
        i += 1;
    }
    let count = i - start;
    if count == 0 || count > 15 || b[start] == b'0' {
        return (Fast::Slow, eol(i));
    }
    i = skip_ws(i);
    let mut date = None;
    if i < n && b[i] == b',' {
        i = skip_ws(i + 1);
        match b.get(i..i + 10).and_then(parse_ymd_bytes) {
            Some(d) => date = Some(d),
            None => return (Fast::Slow, eol(i)),
        }
        i = skip_ws(i + 10);
    }
    match b.get(i) {
        None => (Fast::Entry(v, date), n),
        Some(b'\n') => (Fast::Entry(v, date), i + 1),
        Some(b'#') => (Fast::Entry(v, date), eol(i)),
        Some(_) => (Fast::Slow, eol(i)),
    }
}

/// How the lines of a list file are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineFormat {
    /// One number a line (E.164 digits, `+` optional), an optional `,YYYY-MM-DD`.
    E164,
    /// A NANP number split over two fields, area code then the 7-digit local number
    /// (the US National DNC download: `201,5550123`); fields may be quoted and more
    /// fields may follow. The number gets the +1.
    AreaCodeSplit {
        /// The field separator (one ASCII byte).
        delimiter: u8,
    },
}

/// Reads an area-code-split line (`201,5550123`, `"201","5550123",...`) that starts at
/// `at`, without allocating.
#[inline]
fn area_code_entry(b: &[u8], at: usize, delimiter: u8) -> (Fast, usize) {
    let n = b.len();
    let eol = |i: usize| next_line(b, i);
    let skip_ws = |i: usize| skip(b, i, b" \t\r\"");
    let digits = |mut i: usize, want: usize| -> Option<(u64, usize)> {
        let mut v = 0u64;
        for _ in 0..want {
            let d = *b.get(i).filter(|c| c.is_ascii_digit())?;
            v = v * 10 + u64::from(d - b'0');
            i += 1;
        }
        // Exactly `want` digits: the next byte must not be one.
        (!b.get(i).is_some_and(u8::is_ascii_digit)).then_some((v, i))
    };
    let mut i = skip_ws(at);
    if i == n || b[i] == b'\n' || b[i] == b'#' {
        return (Fast::Blank, eol(i));
    }
    let Some((area, next)) = digits(i, 3) else {
        return (Fast::Slow, eol(i));
    };
    i = skip_ws(next);
    if b.get(i) != Some(&delimiter) {
        return (Fast::Slow, eol(i));
    }
    let Some((local, next)) = digits(skip_ws(i + 1), 7) else {
        return (Fast::Slow, eol(i));
    };
    i = skip_ws(next);
    match b.get(i) {
        None => (
            Fast::Entry(10_000_000_000 + area * 10_000_000 + local, None),
            n,
        ),
        Some(&c) if c == b'\n' || c == delimiter => (
            Fast::Entry(10_000_000_000 + area * 10_000_000 + local, None),
            eol(i),
        ),
        Some(_) => (Fast::Slow, eol(i)),
    }
}

/// Compiles a text list into a compiled list file, streaming the input in 4 MiB
/// blocks without a per-line allocation.
///
/// Lines hold E.164 digits with or without `+` and an optional `,YYYY-MM-DD`
/// (same format as [`read_text_list`](super::read_text_list)). A line the fast path
/// cannot read (national formats, spaces inside the number) goes to `parse_digits`
/// when given; a line neither can read fails the compile with its file:line, since
/// a compiled registry should be complete. Duplicates keep the earliest date.
pub fn compile_text_list(
    input: &Path,
    output: &Path,
    snapshot_date: Option<i32>,
    parse_digits: Option<&ParseFn>,
) -> Result<CompileStats, ListError> {
    compile_list_file(
        input,
        output,
        snapshot_date,
        parse_digits,
        LineFormat::E164,
        false,
    )
}

/// [`compile_text_list`] for any [`LineFormat`], optionally skipping a header line:
/// a registry export compiles in the same single pass as plain E.164 text.
pub fn compile_list_file(
    input: &Path,
    output: &Path,
    snapshot_date: Option<i32>,
    parse_digits: Option<&ParseFn>,
    format: LineFormat,
    skip_header: bool,
) -> Result<CompileStats, ListError> {
    let (file, input_bytes) = super::open_regular(input, u64::MAX, "")?;
    let mut file = super::bounded(file, input_bytes);
    let mut nums: Vec<u64> = Vec::with_capacity(usize::try_from(input_bytes / 13).unwrap_or(0));
    let mut dated: Option<Vec<(u64, Option<i32>)>> = None;
    let mut stats = CompileStats {
        lines: 0,
        entries: 0,
        distinct: 0,
        slow_path: 0,
        input_bytes,
        output_bytes: 0,
    };

    let mut buf = vec![0u8; 4 << 20];
    let mut filled = 0usize;
    let mut eof = false;
    while !eof || filled > 0 {
        if !eof && filled < buf.len() {
            let n = file
                .read(&mut buf[filled..])
                .map_err(|e| ListError::io(input, e))?;
            eof = n == 0;
            filled += n;
        }
        let block = &buf[..filled];
        // Whole lines only, unless the file ends without a newline.
        let end = match block.iter().rposition(|&c| c == b'\n') {
            Some(i) => i + 1,
            None if eof => filled,
            None if filled == buf.len() => {
                return Err(ListError::BadLine {
                    path: input.to_path_buf(),
                    line: stats.lines + 1,
                    text: String::from_utf8_lossy(&block[..80.min(block.len())]).into_owned(),
                    error: "line longer than 4 MiB".into(),
                });
            }
            None => continue,
        };
        let block = &block[..end];
        let mut at = 0;
        if stats.lines == 0 && block.starts_with(b"\xEF\xBB\xBF") {
            at = 3;
        }
        while at < block.len() {
            stats.lines += 1;
            let (fast, next) = match format {
                LineFormat::E164 => fast_entry(block, at),
                LineFormat::AreaCodeSplit { delimiter } => area_code_entry(block, at, delimiter),
            };
            let line = &block[at..next];
            at = next;
            if skip_header && stats.lines == 1 {
                continue;
            }
            let entry = match (fast, format) {
                (Fast::Blank, _) => continue,
                (Fast::Entry(v, d), _) if Number::from_e164_digits(v).is_some() => (v, d),
                (_, LineFormat::E164) => {
                    stats.slow_path += 1;
                    let line = line.strip_suffix(b"\n").unwrap_or(line);
                    slow_line(input, stats.lines, line, parse_digits)?
                }
                (_, LineFormat::AreaCodeSplit { .. }) => {
                    return Err(ListError::BadLine {
                        path: input.to_path_buf(),
                        line: stats.lines,
                        text: String::from_utf8_lossy(line.strip_suffix(b"\n").unwrap_or(line))
                            .into_owned(),
                        error: "not an area code and a 7-digit number (e.g. 201,5550123)".into(),
                    });
                }
            };
            stats.entries += 1;
            match (&mut dated, entry.1) {
                (Some(d), _) => d.push(entry),
                (None, None) => nums.push(entry.0),
                (None, Some(_)) => {
                    let mut d: Vec<(u64, Option<i32>)> = std::mem::take(&mut nums)
                        .into_iter()
                        .map(|n| (n, None))
                        .collect();
                    d.push(entry);
                    dated = Some(d);
                }
            }
        }
        buf.copy_within(end..filled, 0);
        filled -= end;
    }
    drop(buf);
    let set = match dated {
        Some(d) => NumberSet::from_dated(d),
        None => NumberSet::from_numbers(nums),
    };
    stats.distinct = set.len();
    write_compiled(&set, snapshot_date, output)?;
    stats.output_bytes = (HEADER_LEN + set.arena_bytes()) as u64;
    Ok(stats)
}

fn slow_line(
    path: &Path,
    line_no: usize,
    line: &[u8],
    parse: Option<&ParseFn>,
) -> Result<(u64, Option<i32>), ListError> {
    let text = String::from_utf8_lossy(line);
    let text = super::text::strip_comment(&text).trim();
    let bad = |error: String| ListError::BadLine {
        path: path.to_path_buf(),
        line: line_no,
        text: text.to_string(),
        error,
    };
    let (num, date) = match text.split_once(',') {
        Some((n, d)) => (n.trim(), Some(d.trim())),
        None => (text, None),
    };
    let date = match date {
        None => None,
        Some(d) => Some(super::date::parse_ymd(d).map_err(bad)?),
    };
    let number = match parse {
        Some(p) => p(num).map_err(bad)?,
        None => {
            return Err(bad(
                "expected E.164 digits with or without '+' (1-15 digits, not starting with 0), optionally followed by ,YYYY-MM-DD"
                    .into(),
            ));
        }
    };
    Ok((number.get(), date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(line: &str) -> (Option<(u64, Option<i32>)>, bool, usize) {
        let (f, next) = fast_entry(line.as_bytes(), 0);
        match f {
            Fast::Blank => (None, false, next),
            Fast::Entry(v, d) => (Some((v, d)), false, next),
            Fast::Slow => (None, true, next),
        }
    }

    #[test]
    fn area_code_split_lines() {
        let one = |l: &str| area_code_entry(l.as_bytes(), 0, b',');
        let want = |v: u64, next: usize| (Fast::Entry(v, None), next);
        assert_eq!(one("201,5550123\n"), want(12015550123, 12));
        assert_eq!(one("\"201\", \"5550123\"\r\n"), want(12015550123, 18));
        assert_eq!(one("201,5550123,2026-01-01,x\n"), want(12015550123, 25));
        assert_eq!(one("# header\n"), (Fast::Blank, 9));
        for bad in [
            "20,5550123\n",
            "2010,5550123\n",
            "201,555012\n",
            "201;5550123\n",
            "201,55501234\n",
            "201,5550123x\n",
        ] {
            assert_eq!(one(bad).0, Fast::Slow, "{bad:?}");
            assert_eq!(one(bad).1, bad.len(), "{bad:?}");
        }
    }

    #[test]
    fn fast_path_lines() {
        assert_eq!(
            one("+12125550100\nX"),
            (Some((12125550100, None)), false, 13)
        );
        assert_eq!(
            one(" \t12125550100 \r\n"),
            (Some((12125550100, None)), false, 16)
        );
        assert_eq!(one("1,1970-01-02 # c\n"), (Some((1, Some(1))), false, 17));
        assert_eq!(
            one("999999999999999 , 1970-01-01"),
            (Some((999_999_999_999_999, Some(0))), false, 28)
        );
        assert_eq!(one("   # only a comment\n"), (None, false, 20));
        assert_eq!(one("\r\n"), (None, false, 2));
        assert_eq!(one(""), (None, false, 0));
        for slow in [
            "0212345678\n",
            "1234567890123456\n",
            "+39 02 1234\n",
            "12a\n",
            "1,2026-1-01\n",
            "1,2026-02-30\n",
            "1,2026-01-01,x\n",
            "+\n",
            ",2026-01-01\n",
        ] {
            let (e, s, next) = one(slow);
            assert!(e.is_none() && s, "{slow:?}");
            assert_eq!(next, slow.len(), "{slow:?}");
        }
    }
}
