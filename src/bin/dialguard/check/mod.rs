//! `dialguard check` and `explain`: numbers from the command line, stdin or a CSV
//! export, one JSON line per input (per data row for a CSV), and an optional summary.

mod pending;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use dialguard::guard::{CallContext, Guard};
use dialguard::number::{self, Extension, Number};
use dialguard::policy::{Mode, Purpose, Snapshot};
use dialguard::{Decision, Reason};
use jiff::Timestamp;
use serde::Serialize;

use crate::{Fail, open_guard, parse_at, parse_enum, parse_fsync, print_explain, ts};
use pending::Pending;

#[derive(Args, Clone)]
pub(crate) struct CheckArgs {
    /// The policy file (TOML or JSON; docs/policy.md).
    #[arg(long)]
    pub policy: PathBuf,
    /// Directory of the durable contact history (journal + checkpoints).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// The instant of the call (RFC 3339); default: now.
    #[arg(long)]
    pub at: Option<String>,
    /// The campaign of the calls (caps and cool-offs may be per campaign).
    #[arg(long)]
    pub campaign: Option<String>,
    /// The subject of the calls, e.g. one debt (caps may be per subject).
    #[arg(long)]
    pub subject: Option<String>,
    /// The caller ID the calls present (checked against caller-ID rules).
    #[arg(long)]
    pub caller_id: Option<String>,
    /// predictive | preview | manual
    #[arg(long, default_value = "predictive")]
    pub mode: String,
    /// sales | survey | collection | informational
    #[arg(long, default_value = "sales")]
    pub purpose: String,
    /// Record the attempt when it is allowed (check-and-reserve); prints its "attempt" id.
    #[arg(long)]
    pub reserve: bool,
    /// When history writes reach the disk: record (fdatasync each record, the default),
    /// never (the OS decides), or e.g. 100ms (a background sync at most that late).
    #[arg(long)]
    pub fsync: Option<String>,
    /// Read a CSV file (or "-" for stdin): the number is in this column, by header name
    /// or 1-based index; one output line per data row, each with its "row".
    #[arg(long, value_name = "NAME|N")]
    pub csv_column: Option<String>,
    /// The CSV has no header row (--csv-column is then an index).
    #[arg(long, requires = "csv_column")]
    pub no_header: bool,
    /// The CSV delimiter (one ASCII character).
    #[arg(long, default_value = ",", requires = "csv_column")]
    pub delimiter: char,
    /// Also append every decision to the decision log in this directory (else the
    /// policy's [audit], if any).
    #[arg(long)]
    pub audit: Option<PathBuf>,
    /// Print a summary object on stderr at the end (and a progress line while stderr is
    /// a terminal).
    #[arg(long)]
    pub summary: bool,
    /// Print the guard's metrics (Prometheus text format, docs/metrics.md) on stderr at
    /// the end.
    #[arg(long)]
    pub metrics: bool,
    /// Numbers, or "-" to read them from stdin, one a line; with --csv-column, one CSV
    /// file or "-".
    #[arg(required = true)]
    pub numbers: Vec<String>,
}

/// One output line of `check`.
#[derive(Serialize)]
pub(super) struct CheckLine<'a> {
    /// 1-based data row (CSV) or line (stdin) the input came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    row: Option<u64>,
    input: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    number: Option<E164>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'static str>,
    /// The extension the input carried (never part of the number that was checked).
    #[serde(skip_serializing_if = "Option::is_none")]
    extension: Option<&'a str>,
    verdict: &'static str,
    reason: Option<&'static str>,
    rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    until: Option<String>,
    /// `until` in the callee's local time, with its offset and zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    until_local: Option<String>,
    constraints: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl CheckLine<'_> {
    /// The line as serde_json would write it (field order, `null`s and skipped fields
    /// alike; a test compares the two), plus the newline. Hand-written because the
    /// scrub writes one per row and serde_json's general path was a fifth of its cost.
    fn write_json(&self, b: &mut Vec<u8>) {
        b.push(b'{');
        if let Some(row) = self.row {
            b.extend_from_slice(b"\"row\":");
            b.extend_from_slice(itoa::Buffer::new().format(row).as_bytes());
            b.push(b',');
        }
        b.extend_from_slice(b"\"input\":");
        json_str(b, self.input);
        if let Some(n) = &self.number {
            b.extend_from_slice(b",\"number\":");
            json_str(b, n.as_str());
        }
        let optional = [("region", self.region), ("extension", self.extension)];
        for (key, value) in optional {
            if let Some(v) = value {
                json_key(b, key);
                json_str(b, v);
            }
        }
        json_key(b, "verdict");
        json_str(b, self.verdict);
        for (key, value) in [("reason", self.reason), ("rule", self.rule)] {
            json_key(b, key);
            match value {
                Some(v) => json_str(b, v),
                None => b.extend_from_slice(b"null"),
            }
        }
        for (key, value) in [("until", &self.until), ("until_local", &self.until_local)] {
            if let Some(v) = value {
                json_key(b, key);
                json_str(b, v);
            }
        }
        b.extend_from_slice(b",\"constraints\":[");
        for (i, c) in self.constraints.iter().enumerate() {
            if i > 0 {
                b.push(b',');
            }
            json_str(b, c);
        }
        b.push(b']');
        if let Some(a) = self.attempt {
            b.extend_from_slice(b",\"attempt\":");
            b.extend_from_slice(itoa::Buffer::new().format(a).as_bytes());
        }
        if let Some(e) = &self.error {
            json_key(b, "error");
            json_str(b, e);
        }
        b.extend_from_slice(b"}\n");
    }
}

fn json_key(b: &mut Vec<u8>, key: &str) {
    b.extend_from_slice(b",\"");
    b.extend_from_slice(key.as_bytes());
    b.extend_from_slice(b"\":");
}

/// A JSON string with serde_json's escapes: `"`, `\\`, and control characters (short
/// forms where JSON has them, else `\u00XX`); everything else as is.
fn json_str(b: &mut Vec<u8>, s: &str) {
    b.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let short = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x08 => b'b',
            0x0c => b'f',
            0x00..=0x1f => b'u',
            _ => continue,
        };
        b.extend_from_slice(&bytes[start..i]);
        b.push(b'\\');
        b.push(short);
        if short == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            b.extend_from_slice(b"00");
            b.push(HEX[usize::from(c >> 4)]);
            b.push(HEX[usize::from(c & 0xf)]);
        }
        start = i + 1;
    }
    b.extend_from_slice(&bytes[start..]);
    b.push(b'"');
}

/// A number in E.164 text (`+` and at most 15 digits), formatted without allocating:
/// the scrub writes one per row.
#[derive(Clone, Copy)]
struct E164 {
    buf: [u8; 16],
    len: u8,
}

impl E164 {
    fn of(n: Number) -> E164 {
        let mut digits = [0u8; 20];
        let mut v = n.get();
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8; // a digit: < 10 by construction
            v /= 10;
            if v == 0 || i == 0 {
                break;
            }
        }
        let body = &digits[i..];
        let mut buf = [0u8; 16];
        buf[0] = b'+';
        // E.164 has at most 15 digits; `Number` guarantees it, and the copy is bounded.
        let len = body.len().min(15);
        buf[1..=len].copy_from_slice(&body[..len]);
        E164 {
            buf,
            len: u8::try_from(len + 1).unwrap_or(16),
        }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or("+")
    }
}

impl Serialize for E164 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The `--summary` counts, kept by code while scrubbing and named at the end.
#[derive(Default)]
struct Summary {
    checked: u64,
    allow: u64,
    deny: u64,
    defer: u64,
    by_reason: BTreeMap<&'static str, u64>,
    by_rule: std::collections::HashMap<String, u64>,
}

/// The summary as printed (CLI.md): names sorted.
#[derive(Serialize)]
struct SummaryOut<'a> {
    checked: u64,
    allow: u64,
    deny: u64,
    defer: u64,
    by_reason: &'a BTreeMap<&'static str, u64>,
    by_rule: BTreeMap<&'a str, u64>,
}

impl Summary {
    fn add(&mut self, line: &CheckLine<'_>) {
        self.checked += 1;
        match line.verdict {
            "allow" => self.allow += 1,
            "defer" => self.defer += 1,
            _ => self.deny += 1,
        }
        if let Some(r) = line.reason {
            *self.by_reason.entry(r).or_default() += 1;
        }
        if let Some(r) = line.rule {
            match self.by_rule.get_mut(r) {
                Some(c) => *c += 1,
                None => {
                    self.by_rule.insert(r.to_owned(), 1);
                }
            }
        }
    }

    fn out(&self) -> SummaryOut<'_> {
        SummaryOut {
            checked: self.checked,
            allow: self.allow,
            deny: self.deny,
            defer: self.defer,
            by_reason: &self.by_reason,
            by_rule: self.by_rule.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
        }
    }
}

/// Everything a check needs besides the input.
pub(super) struct Checker<'a> {
    guard: &'a Guard,
    snap: &'a Snapshot,
    /// Extension text of the current row (reused: no allocation per row).
    extension: String,
    ctx: CallContext<'a>,
    reserve: bool,
    warned_store: bool,
}

impl<'s> Checker<'s> {
    /// Parses and decides one input (one check per call: `--reserve`, or arguments).
    fn line<'i>(&'i mut self, row: Option<u64>, input: &'i str) -> CheckLine<'i>
    where
        's: 'i,
    {
        let (n, extension) = match number::parse_with_extension(input, self.snap.default_country())
        {
            Ok(parsed) => parsed,
            Err(e) => return invalid(row, input, e.to_string()),
        };
        let (decision, attempt) = if self.reserve {
            let r = self.guard.check_and_reserve(n, &self.ctx);
            (r.decision, r.attempt.map(|a| a.0))
        } else {
            (self.guard.check_number(n, &self.ctx), None)
        };
        self.render(row, input, n, extension, decision, attempt)
    }

    /// The output line of a decided number.
    fn render<'i>(
        &'i mut self,
        row: Option<u64>,
        input: &'i str,
        n: Number,
        extension: Option<Extension>,
        decision: Decision,
        attempt: Option<u64>,
    ) -> CheckLine<'i>
    where
        's: 'i,
    {
        // A fail-closed deny for a broken history says why, once on stderr and on the line.
        let store_error = (decision.reason() == Some(Reason::StoreUnavailable))
            .then(|| self.guard.store_error())
            .flatten();
        if let Some(e) = &store_error
            && !self.warned_store
        {
            eprintln!(
                "dialguard: {e}; every check that needs the history is denied (store_unavailable)"
            );
            self.warned_store = true;
        }
        CheckLine {
            row,
            input,
            number: Some(E164::of(n)),
            region: Some(number::locate(n).region.code()),
            extension: extension.map(|e| {
                self.extension.clear();
                // Writing to a String cannot fail.
                let _ = write!(self.extension, "{e}");
                self.extension.as_str()
            }),
            verdict: decision.verdict().name(),
            reason: decision.reason().map(|r| r.name()),
            rule: rule_id(self.snap, &decision),
            until: decision.until().map(ts),
            until_local: decision.until().and_then(|u| local_time(n, u)),
            constraints: match decision {
                Decision::Allow { constraints } => constraints.names().collect(),
                _ => Vec::new(),
            },
            attempt,
            error: store_error,
        }
    }
}

pub(super) fn invalid(row: Option<u64>, input: &str, error: String) -> CheckLine<'_> {
    CheckLine {
        row,
        input,
        number: None,
        region: None,
        extension: None,
        verdict: "deny",
        reason: Some("invalid_number"),
        rule: None,
        until: None,
        until_local: None,
        constraints: Vec::new(),
        attempt: None,
        error: Some(error),
    }
}

/// The instant in the number's (first) zone, e.g. `2026-11-30T09:00:00+01:00[Europe/Rome]`.
fn local_time(n: Number, t: Timestamp) -> Option<String> {
    let zone = number::locate(n).zones.first()?.name();
    Some(t.in_tz(zone).ok()?.to_string())
}

pub(crate) fn check(args: &CheckArgs, explain: bool) -> Result<(), Fail> {
    let now = parse_at(args.at.as_deref())?;
    let mode = parse_enum("mode", &args.mode, Mode::from_name, Mode::names())?;
    let purpose = parse_enum(
        "purpose",
        &args.purpose,
        Purpose::from_name,
        Purpose::names(),
    )?;
    let fsync = args.fsync.as_deref().map(parse_fsync).transpose()?;
    let guard = open_guard(
        &args.policy,
        args.state.as_deref(),
        fsync,
        args.audit.as_deref(),
    )?;
    let snap = guard.snapshot();
    let caller_id = match &args.caller_id {
        None => None,
        Some(c) => Some(
            number::parse(c, snap.default_country())
                .map_err(|e| Fail(format!("--caller-id {c:?}: {e}")))?,
        ),
    };
    let mut ctx = CallContext::new(now).mode(mode).purpose(purpose);
    ctx.campaign = args.campaign.as_deref();
    ctx.subject = args.subject.as_deref();
    ctx.caller_id = caller_id;
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 20, stdout.lock());
    if explain {
        let [input] = args.numbers.as_slice() else {
            return Err(Fail("explain takes exactly one number".into()));
        };
        match number::parse(input, snap.default_country()) {
            Ok(n) => print_explain(&mut out, &guard, input, n, &ctx)?,
            Err(e) => writeln!(
                out,
                "{input}: invalid number: {e}\nverdict: deny (invalid_number)"
            )?,
        };
        out.flush()?;
        if args.metrics {
            eprint!("{}", guard.metrics_text());
        }
        return Ok(());
    }
    let mut checker = Checker {
        guard: &guard,
        snap: &snap,
        extension: String::new(),
        ctx,
        reserve: args.reserve,
        warned_store: false,
    };
    let mut summary = args.summary.then(Summary::default);
    let progress = (args.summary && io::stderr().is_terminal()).then(|| {
        let p = indicatif::ProgressBar::new_spinner();
        p.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {human_pos} rows checked, {per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        p
    });
    {
        // Each line is built in one reused buffer, then written whole.
        let mut buf = Vec::with_capacity(512);
        let mut emit = |line: CheckLine<'_>| -> Result<(), Fail> {
            buf.clear();
            line.write_json(&mut buf);
            out.write_all(&buf)?;
            if let Some(s) = summary.as_mut() {
                s.add(&line);
            }
            if let Some(p) = &progress {
                p.inc(1);
            }
            Ok(())
        };
        match &args.csv_column {
            Some(column) => scrub_csv(args, column, &mut checker, &mut emit)?,
            None => {
                for input in &args.numbers {
                    if input == "-" {
                        let mut pending = Pending::new();
                        for (i, line) in io::stdin().lock().lines().enumerate() {
                            let line = line.map_err(|e| Fail(format!("cannot read stdin: {e}")))?;
                            let line = line.trim();
                            if !line.is_empty() {
                                let row = Some(i as u64 + 1);
                                pending.add(&mut checker, row, line, &mut emit)?;
                            }
                        }
                        pending.flush(&mut checker, &mut emit)?;
                    } else {
                        emit(checker.line(None, input))?;
                    }
                }
            }
        }
    }
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    out.flush()?;
    if let Some(s) = summary {
        eprintln!("{}", serde_json::to_string(&s.out())?);
    }
    if args.metrics {
        eprint!("{}", guard.metrics_text());
    }
    Ok(())
}

/// One line per data row of a CSV export: the number from `column`, blank and garbage
/// cells included (deny `invalid_number`), each tagged with its 1-based data row.
fn scrub_csv(
    args: &CheckArgs,
    column: &str,
    checker: &mut Checker<'_>,
    emit: &mut impl FnMut(CheckLine<'_>) -> Result<(), Fail>,
) -> Result<(), Fail> {
    let [path] = args.numbers.as_slice() else {
        return Err(Fail(
            "--csv-column takes exactly one FILE (or - for stdin)".into(),
        ));
    };
    let delimiter = u8::try_from(args.delimiter)
        .ok()
        .filter(u8::is_ascii)
        .ok_or_else(|| {
            Fail(format!(
                "--delimiter {:?}: give one ASCII character",
                args.delimiter
            ))
        })?;
    let input: Box<dyn io::Read> = if path == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path).map_err(|e| Fail(format!("{path}: {e}")))?)
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(!args.no_header)
        .flexible(true)
        .from_reader(io::BufReader::with_capacity(1 << 16, input));
    let index = column_index(&mut reader, column, args.no_header, path)?;
    let mut record = csv::ByteRecord::new();
    let mut row = 0u64;
    let mut pending = Pending::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(Fail(format!("{path}: {e}"))),
        }
        row += 1;
        let cell = record.get(index).unwrap_or(b"");
        match std::str::from_utf8(cell) {
            Ok(text) => pending.add(checker, Some(row), text.trim(), emit)?,
            Err(_) => pending.add_invalid(
                checker,
                Some(row),
                &String::from_utf8_lossy(cell),
                "the cell is not valid UTF-8: save the export as UTF-8",
                emit,
            )?,
        }
    }
    pending.flush(checker, emit)
}

/// The 0-based index of `column`: a header name, or a 1-based index.
fn column_index<R: io::Read>(
    reader: &mut csv::Reader<R>,
    column: &str,
    no_header: bool,
    path: &str,
) -> Result<usize, Fail> {
    if let Ok(n) = column.parse::<usize>() {
        return n
            .checked_sub(1)
            .ok_or_else(|| Fail("--csv-column: columns are numbered from 1".into()));
    }
    if no_header {
        return Err(Fail(format!(
            "--csv-column {column:?}: without a header row give the column's 1-based index"
        )));
    }
    let headers = reader
        .headers()
        .map_err(|e| Fail(format!("{path}: cannot read the header row: {e}")))?;
    headers
        .iter()
        .position(|h| h.trim().trim_start_matches('\u{feff}') == column)
        .ok_or_else(|| {
            let names: Vec<&str> = headers.iter().collect();
            Fail(format!(
                "{path}: no column {column:?} in the header row; the columns are: {}",
                names.join(", ")
            ))
        })
}

/// The id of the rule that decided, borrowed from the snapshot.
fn rule_id<'s>(snap: &'s Snapshot, d: &Decision) -> Option<&'s str> {
    d.rule()
        .filter(|r| *r != dialguard::RuleId::NONE)
        .and_then(|r| snap.rule(r))
        .map(|m| m.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(input: &'a str, error: Option<String>) -> CheckLine<'a> {
        CheckLine {
            row: Some(7),
            input,
            number: Some(E164::of(Number::from_e164_digits(390255551234).unwrap())),
            region: Some("IT"),
            extension: Some("12"),
            verdict: "defer",
            reason: Some("outside_window"),
            rule: Some("it-code-hours"),
            until: Some("2026-11-30T08:00:00Z".into()),
            until_local: Some("2026-11-30T09:00:00+01:00[Europe/Rome]".into()),
            constraints: vec!["require_live_agent", "x"],
            attempt: Some(42),
            error,
        }
    }

    #[test]
    fn hand_written_json_is_what_serde_json_writes() {
        let inputs = [
            "02 5555 1234",
            "\"quoted\" \\ back",
            "tab\tnl\ncr\r\u{8}\u{c}\u{1}\u{1f}",
            "Tel.:\u{a0}+39\u{2009}02 — ünïcode 電話",
            "",
        ];
        for input in inputs {
            for error in [None, Some(format!("bad {input}"))] {
                let l = line(input, error);
                let mut ours = Vec::new();
                l.write_json(&mut ours);
                let mut theirs = serde_json::to_vec(&l).unwrap();
                theirs.push(b'\n');
                assert_eq!(
                    String::from_utf8(ours).unwrap(),
                    String::from_utf8(theirs).unwrap()
                );
            }
        }
        let bare = invalid(None, "x", "e".into());
        let mut ours = Vec::new();
        bare.write_json(&mut ours);
        let mut theirs = serde_json::to_vec(&bare).unwrap();
        theirs.push(b'\n');
        assert_eq!(ours, theirs);
    }

    #[test]
    fn e164_text_matches_display() {
        for d in [1u64, 390255551234, 12125550100, 999_999_999_999_999] {
            if let Some(n) = Number::from_e164_digits(d) {
                assert_eq!(E164::of(n).as_str(), n.to_string());
            }
        }
    }
}
