//! Consent and exemption records (policy `[[consent]]`): who agreed to be called,
//! who has a contract, who has an established business relationship.

use std::collections::HashMap;
use std::path::Path;

use super::date::parse_ymd;
use super::text::{for_each_line, reject};
use super::{BadLine, BadLinePolicy, ListError};
use crate::Number;
use crate::history::NumberHasher;

/// What a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConsentKind {
    /// Express consent to be called.
    Consent,
    /// A contract with the callee (`expires_at` = the day it ended, if it has).
    Contract,
    /// An established business relationship (`granted_at` = last transaction or
    /// inquiry).
    Ebr,
    /// Express consent to calls outside the legal calling hours (FR C. consom. D223-9
    /// al. 2, AU Industry Standard 2017). It only lifts a window that names it in
    /// `waived_by`; it is not a consent to be called.
    OutsideHours,
}

impl ConsentKind {
    /// The name used in files: `consent`, `contract` or `ebr`.
    pub const fn name(self) -> &'static str {
        match self {
            ConsentKind::Consent => "consent",
            ConsentKind::Contract => "contract",
            ConsentKind::Ebr => "ebr",
            ConsentKind::OutsideHours => "outside_hours",
        }
    }
}

/// One consent / exemption record. Instants are Unix seconds; a plain date
/// `YYYY-MM-DD` in the file is stored as 00:00:00 UTC of that day (the policy
/// decides how a day boundary is read in the callee's zone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentRecord {
    /// Consent, contract or EBR.
    pub kind: ConsentKind,
    /// When it was given (EBR: last transaction or inquiry).
    pub granted_at: i64,
    /// When it ends; `None` = no expiry (contract: still in force).
    pub expires_at: Option<i64>,
    /// When it was withdrawn, from the optional `revoked_at` column.
    pub revoked_at: Option<i64>,
    /// The campaign it is limited to; `None` = any campaign (empty or `*` in the file).
    pub campaign: Option<Box<str>>,
    /// Which of `granted_at` / `expires_at` / `revoked_at` were plain dates (bits
    /// [`ConsentRecord::GRANTED_DATE`] …): a date means the callee's local day, so the
    /// guard compares those fields with the callee's local wall clock.
    pub local_dates: u8,
}

impl ConsentRecord {
    /// `granted_at` was written as a plain date.
    pub const GRANTED_DATE: u8 = 1;
    /// `expires_at` was written as a plain date.
    pub const EXPIRES_DATE: u8 = 2;
    /// `revoked_at` was written as a plain date.
    pub const REVOKED_DATE: u8 = 4;
}

/// All records, indexed by number. A number may have several records; they are
/// returned in file order.
#[derive(Clone, Debug, Default)]
pub struct ConsentIndex {
    /// number → (start, len) in `records`.
    index: HashMap<u64, (u32, u32), NumberHasher>,
    records: Vec<ConsentRecord>,
}

const REQUIRED: [&str; 5] = ["number", "kind", "granted_at", "expires_at", "campaign"];
const OPTIONAL: [&str; 1] = ["revoked_at"];

/// Column positions of the fields we know, from the header.
struct Columns {
    pos: [usize; 6],
    count: usize,
}

impl ConsentIndex {
    /// Reads a consent CSV.
    ///
    /// Header (any order): `number,kind,granted_at,expires_at,campaign`, plus the
    /// optional `revoked_at`. `kind` is `consent`, `contract` or `ebr`; instants are
    /// `YYYY-MM-DD` (00:00 UTC of that day) or RFC 3339 (`2026-11-20T09:30:00+01:00`);
    /// `expires_at` and `revoked_at` may be empty; `campaign` empty or `*` means any.
    /// Fields may be double-quoted (`""` inside quotes is a quote). Blank lines and
    /// lines starting with `#` are ignored. A bad header always fails; bad rows follow
    /// `bad_lines` and skipped ones are returned.
    pub fn read_csv(
        path: &Path,
        parse: &dyn Fn(&str) -> Result<Number, String>,
        bad_lines: BadLinePolicy,
    ) -> Result<(ConsentIndex, Vec<BadLine>), ListError> {
        Self::read_csv_limited(path, parse, bad_lines, super::DEFAULT_MAX_LIST_BYTES)
    }

    /// [`ConsentIndex::read_csv`] with the policy's size limit.
    pub(crate) fn read_csv_limited(
        path: &Path,
        parse: &dyn Fn(&str) -> Result<Number, String>,
        bad_lines: BadLinePolicy,
        limit: u64,
    ) -> Result<(ConsentIndex, Vec<BadLine>), ListError> {
        let (file, size) = super::input::open_regular(path, limit, super::input::RAISE_LIST_LIMIT)?;
        let file = super::input::bounded(file, size);
        let mut columns: Option<Columns> = None;
        let mut rows = Vec::new();
        let mut skipped = Vec::new();
        let mut fields: Vec<String> = Vec::new();
        for_each_line(path, file, |line_no, raw| {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                return Ok(());
            }
            let split = split_csv(line, &mut fields);
            let result = match (&columns, split) {
                (None, split) => {
                    let header = split.and_then(|()| parse_header(&fields));
                    match header {
                        Ok(c) => {
                            columns = Some(c);
                            return Ok(());
                        }
                        Err(error) => {
                            let bad = BadLine {
                                line: line_no,
                                text: line.to_string(),
                                error: format!("bad header: {error}"),
                            };
                            return reject(path, bad, BadLinePolicy::Fail, &mut skipped);
                        }
                    }
                }
                (Some(_), Err(e)) => Err(e),
                (Some(c), Ok(())) => parse_row(c, &fields, parse),
            };
            match result {
                Ok(row) => rows.push(row),
                Err(error) => {
                    let bad = BadLine {
                        line: line_no,
                        text: line.to_string(),
                        error,
                    };
                    reject(path, bad, bad_lines, &mut skipped)?;
                }
            }
            Ok(())
        })?;
        if columns.is_none() {
            return Err(ListError::bad_file(
                path,
                format!(
                    "no header line; the first line must be {}",
                    REQUIRED.join(",")
                ),
            ));
        }
        Ok((ConsentIndex::from_records(rows), skipped))
    }

    /// Builds the index from `(E.164 digits, record)` pairs; records of one number
    /// keep their order.
    pub fn from_records(mut records: Vec<(u64, ConsentRecord)>) -> ConsentIndex {
        records.sort_by_key(|r| r.0); // stable: file order kept within a number
        let mut index = HashMap::with_capacity_and_hasher(records.len(), seeded_hasher());
        let mut out = Vec::with_capacity(records.len());
        let mut i = 0;
        while i < records.len() {
            let n = records[i].0;
            let start = i;
            while i < records.len() && records[i].0 == n {
                i += 1;
            }
            // Record counts beyond u32 cannot be held in memory anyway (≥ 4 G × 40 B).
            index.insert(n, (start as u32, (i - start) as u32));
        }
        out.extend(records.into_iter().map(|r| r.1));
        ConsentIndex {
            index,
            records: out,
        }
    }

    /// Every `(E.164 digits, record)` pair, to merge several consent files.
    pub fn into_records(self) -> Vec<(u64, ConsentRecord)> {
        let mut by_start: Vec<(u64, u32, u32)> = self
            .index
            .into_iter()
            .map(|(n, (s, l))| (n, s, l))
            .collect();
        by_start.sort_unstable_by_key(|e| e.1);
        let mut out = Vec::with_capacity(self.records.len());
        let mut records = self.records.into_iter();
        for (n, _, len) in by_start {
            out.extend(records.by_ref().take(len as usize).map(|r| (n, r)));
        }
        out
    }

    /// The records of `n` (empty when it has none).
    #[inline]
    pub fn lookup(&self, n: Number) -> &[ConsentRecord] {
        match self.index.get(&n.get()) {
            Some(&(start, len)) => self
                .records
                .get(start as usize..start as usize + len as usize)
                .unwrap_or(&[]),
            None => &[],
        }
    }

    /// Number of records (not numbers).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when there are no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// The seeded xxh3 hasher of number keys (a per-process random seed, so crafted inputs
/// cannot aim at one bucket): one-shot xxh3 of the key, not the streaming hasher.
pub(crate) fn seeded_hasher() -> NumberHasher {
    NumberHasher::default()
}

fn parse_header(fields: &[String]) -> Result<Columns, String> {
    let mut pos = [usize::MAX; 6];
    for (i, f) in fields.iter().enumerate() {
        let name = f.trim().to_ascii_lowercase();
        let Some(k) = REQUIRED.iter().chain(&OPTIONAL).position(|&c| c == name) else {
            return Err(format!(
                "unknown column {name:?}; the columns are {} and optionally {}",
                REQUIRED.join(","),
                OPTIONAL.join(",")
            ));
        };
        if pos[k] != usize::MAX {
            return Err(format!("column {name:?} appears twice"));
        }
        pos[k] = i;
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .zip(pos)
        .filter(|&(_, p)| p == usize::MAX)
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "missing column(s) {}; the header must name {}",
            missing.join(","),
            REQUIRED.join(",")
        ));
    }
    Ok(Columns {
        pos,
        count: fields.len(),
    })
}

fn parse_row(
    c: &Columns,
    fields: &[String],
    parse: &dyn Fn(&str) -> Result<Number, String>,
) -> Result<(u64, ConsentRecord), String> {
    if fields.len() != c.count {
        return Err(format!(
            "{} fields, but the header has {}",
            fields.len(),
            c.count
        ));
    }
    let field = |k: usize| fields.get(c.pos[k]).map_or("", |s| s.trim());
    let number = parse(field(0))?;
    let kind = match field(1).to_ascii_lowercase().as_str() {
        "consent" => ConsentKind::Consent,
        "contract" => ConsentKind::Contract,
        "ebr" => ConsentKind::Ebr,
        "outside_hours" => ConsentKind::OutsideHours,
        other => {
            return Err(format!(
                "bad kind {other:?}: expected consent, contract, ebr or outside_hours"
            ));
        }
    };
    let is_date = |k: usize| field(k).len() == 10;
    let bit = |is: bool, b: u8| if is { b } else { 0 };
    let local_dates = bit(is_date(2), ConsentRecord::GRANTED_DATE)
        | bit(is_date(3), ConsentRecord::EXPIRES_DATE)
        | bit(
            c.pos[5] != usize::MAX && is_date(5),
            ConsentRecord::REVOKED_DATE,
        );
    let granted_at = match field(2) {
        "" => return Err("granted_at is empty: every record needs the date it was given".into()),
        s => parse_instant("granted_at", s)?,
    };
    let optional = |k: usize, name: &str| match field(k) {
        "" => Ok(None),
        s => parse_instant(name, s).map(Some),
    };
    let expires_at = optional(3, "expires_at")?;
    let revoked_at = if c.pos[5] == usize::MAX {
        None
    } else {
        optional(5, "revoked_at")?
    };
    if expires_at.is_some_and(|e| e < granted_at) {
        return Err("expires_at is before granted_at".into());
    }
    let campaign = match field(4) {
        "" | "*" => None,
        s => Some(Box::from(s)),
    };
    Ok((
        number.get(),
        ConsentRecord {
            kind,
            granted_at,
            expires_at,
            revoked_at,
            campaign,
            local_dates,
        },
    ))
}

/// `YYYY-MM-DD` → 00:00:00 UTC of that day; otherwise an RFC 3339 instant.
fn parse_instant(name: &str, s: &str) -> Result<i64, String> {
    if s.len() == 10 {
        return parse_ymd(s)
            .map(|d| i64::from(d) * 86_400)
            .map_err(|e| format!("{name}: {e}"));
    }
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .map_err(|_| {
            format!(
                "{name}: bad instant {s:?}: expected YYYY-MM-DD or RFC 3339 such as 2026-11-20T09:30:00+01:00"
            )
        })
}

/// Splits one CSV line into `out` (RFC 4180 quoting within a line).
fn split_csv(line: &str, out: &mut Vec<String>) -> Result<(), String> {
    out.clear();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut quoted = false;
    while let Some(ch) = chars.next() {
        match (in_quotes, ch) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => in_quotes = false,
            (true, c) => cur.push(c),
            (false, '"') if cur.trim().is_empty() && !quoted => {
                cur.clear();
                in_quotes = true;
                quoted = true;
            }
            (false, ',') => {
                out.push(std::mem::take(&mut cur));
                quoted = false;
            }
            (false, _) if quoted && !ch.is_whitespace() => {
                return Err("text after a closing quote; quote the whole field".into());
            }
            (false, c) => cur.push(c),
        }
    }
    if in_quotes {
        return Err("unterminated quote (fields cannot span lines)".into());
    }
    out.push(cur);
    Ok(())
}
