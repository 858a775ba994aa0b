//! `dialguard`: check, explain, record, normalize, compile policies and lists, benchmark.
//! Output is JSON Lines (one object per input) as specified in CLI.md. Exit codes: 0 whatever
//! the verdicts, 2 for bad usage / invalid policy / unreadable files, 1 for an internal error.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use dialguard::guard::{CallContext, Guard, GuardOptions, StepOutcome};
use dialguard::history::{AttemptId, FsyncPolicy, Outcome};
use dialguard::number::{self, Country, Number};
use dialguard::policy::{self, Mode, Snapshot};
use dialguard::{Decision, RuleId};
use jiff::Timestamp;

mod audit;
mod bench;
mod check;
mod demo;

use check::CheckArgs;

#[derive(Parser)]
#[command(
    name = "dialguard",
    version,
    about = "Pre-dial compliance guard: may I dial this number now?"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check numbers against a policy (JSON Lines out).
    Check(CheckArgs),
    /// Show every rule consulted for one number, in order, with what it said.
    Explain(CheckArgs),
    /// Record placed attempts and their outcome in the history under --state.
    Record(RecordArgs),
    /// Normalise numbers to E.164 with region and time zones (JSON Lines out).
    Normalize {
        /// Country whose national formats are accepted (ISO 3166-1, e.g. IT).
        #[arg(long)]
        default_country: Option<String>,
        /// Numbers, or "-" to read them from stdin, one a line.
        #[arg(required = true)]
        numbers: Vec<String>,
    },
    /// Validate and compile a policy; print a summary.
    Compile {
        #[arg(long)]
        policy: PathBuf,
    },
    /// Compile a text list (one number a line, optional ",YYYY-MM-DD") into a binary list file.
    CompileList {
        input: PathBuf,
        output: PathBuf,
        /// When the registry copy was taken (YYYY-MM-DD), stored in the file.
        #[arg(long)]
        snapshot_date: Option<String>,
        /// Country for national-format numbers in the input.
        #[arg(long)]
        default_country: Option<String>,
        #[command(flatten)]
        layout: ExportLayout,
    },
    /// List the rules of a built-in rule pack (or the pack names).
    Rules { pack: Option<String> },
    /// Ask the bundled Italian and US example policies about a few numbers (a tour).
    Demo {
        /// The folder holding it/policy.toml and us/policy.toml.
        #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/policies"))]
        policies: PathBuf,
    },
    /// Measure checks/s and latency percentiles of a policy with synthetic data.
    Bench(bench::BenchArgs),
    /// Read the decision log back: verify its hash chain, show its records.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// The compliance report over a period of the decision log (JSON, CSV or HTML).
    Report(audit::ReportArgs),
}

#[derive(Args)]
struct RecordArgs {
    #[arg(long)]
    policy: PathBuf,
    #[arg(long)]
    state: PathBuf,
    #[arg(long)]
    at: String,
    #[arg(long)]
    campaign: Option<String>,
    #[arg(long)]
    subject: Option<String>,
    /// no_answer busy answered abandoned machine refused opt_out wrong_number
    #[arg(long)]
    outcome: String,
    /// The "attempt" a `check --reserve` printed: the outcome is attached to that
    /// reservation instead of counting a second attempt (one NUMBER only).
    #[arg(long)]
    attempt: Option<u64>,
    #[arg(long, default_value = "predictive")]
    mode: String,
    /// When history writes reach the disk: record (default), never, or e.g. 100ms.
    #[arg(long)]
    fsync: Option<String>,
    #[arg(required = true)]
    numbers: Vec<String>,
}

/// A usage or input problem: exit 2 with the message on stderr.
pub(crate) struct Fail(pub(crate) String);

impl<E: std::fmt::Display> From<E> for Fail {
    fn from(e: E) -> Self {
        Fail(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = std::panic::catch_unwind(|| run(cli));
    match result {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(Fail(msg))) => {
            eprintln!("dialguard: {msg}");
            ExitCode::from(2)
        }
        Err(_) => {
            eprintln!(
                "dialguard: internal error (a bug): please report it with the command that caused it"
            );
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<(), Fail> {
    match cli.command {
        Command::Check(args) => check::check(&args, false),
        Command::Explain(args) => check::check(&args, true),
        Command::Record(args) => record(&args),
        Command::Normalize {
            default_country,
            numbers,
        } => normalize(default_country.as_deref(), &numbers),
        Command::Compile { policy } => compile(&policy),
        Command::CompileList {
            input,
            output,
            snapshot_date,
            default_country,
            layout,
        } => compile_list(
            &input,
            &output,
            snapshot_date.as_deref(),
            default_country.as_deref(),
            &layout,
        ),
        Command::Rules { pack } => rules(pack.as_deref()),
        Command::Demo { policies } => demo::run(&policies).map_err(|e| Fail(e.to_string())),
        Command::Bench(args) => bench::run(&args).map_err(Fail),
        Command::Audit(cmd) => audit::run(&cmd),
        Command::Report(args) => audit::report(&args),
    }
}

pub(crate) fn parse_at(at: Option<&str>) -> Result<Timestamp, Fail> {
    match at {
        None => Ok(Timestamp::now()),
        Some(s) => s.parse::<Timestamp>().map_err(|e| {
            Fail(format!(
                "--at {s:?} is not an RFC 3339 instant ({e}); write e.g. 2026-03-10T11:00:00+01:00"
            ))
        }),
    }
}

pub(crate) fn parse_enum<T>(
    flag: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    names: String,
) -> Result<T, Fail> {
    parse(value).ok_or_else(|| Fail(format!("--{flag} {value:?} is not valid; use {names}")))
}

/// Numbers from the command line, "-" expanding to stdin lines.
fn inputs(numbers: &[String]) -> Result<Vec<String>, Fail> {
    let mut out = Vec::new();
    for n in numbers {
        if n == "-" {
            for line in io::stdin().lock().lines() {
                let line = line.map_err(|e| Fail(format!("cannot read stdin: {e}")))?;
                let line = line.trim();
                if !line.is_empty() {
                    out.push(line.to_owned());
                }
            }
        } else {
            out.push(n.clone());
        }
    }
    Ok(out)
}

/// `--fsync`: record (the default), never, or a delay such as 100ms.
pub(crate) fn parse_fsync(s: &str) -> Result<FsyncPolicy, Fail> {
    match s {
        "record" => Ok(FsyncPolicy::EveryRecord),
        "never" => Ok(FsyncPolicy::Never),
        _ => s
            .strip_suffix("ms")
            .and_then(|ms| ms.parse::<u32>().ok())
            .filter(|&ms| ms > 0)
            .map(FsyncPolicy::EveryMillis)
            .ok_or_else(|| {
                Fail(format!(
                    "--fsync {s:?} is not valid; use record (sync every record, survives power loss), never, or a delay such as 100ms"
                ))
            }),
    }
}

pub(crate) fn open_guard(
    policy: &Path,
    state: Option<&Path>,
    fsync: Option<FsyncPolicy>,
) -> Result<Guard, Fail> {
    let options = GuardOptions {
        state_dir: state.map(Path::to_owned),
        fsync,
    };
    let (guard, report) = Guard::open(policy, options)?;
    if let Some(r) = report
        && !r.torn_tails.is_empty()
    {
        eprintln!("dialguard: {r}");
    }
    Ok(guard)
}

pub(crate) fn rule_name(snap: &Snapshot, d: &Decision) -> Option<String> {
    d.rule().and_then(|r| {
        if r == RuleId::NONE {
            None
        } else {
            snap.rule(r).map(|m| m.id.clone())
        }
    })
}

pub(crate) fn ts(t: i64) -> String {
    Timestamp::from_second(t).map_or_else(|_| t.to_string(), |t| t.to_string())
}

pub(crate) fn print_explain(
    out: &mut impl Write,
    guard: &Guard,
    input: &str,
    n: Number,
    ctx: &CallContext<'_>,
) -> Result<(), Fail> {
    let e = guard.explain(n, ctx);
    let snap = &e.snapshot;
    let loc = number::locate(n);
    let zones: Vec<&str> = loc.zones.iter().map(|z| z.name()).collect();
    writeln!(
        out,
        "number   {input} -> {n}  region {}  zones {}",
        loc.region.code(),
        zones.join(", ")
    )?;
    writeln!(
        out,
        "at       {}  policy \"{}\" (version {:016x})",
        ctx.now,
        snap.name(),
        snap.version()
    )?;
    for step in &e.steps {
        let (id, kind, source) = match snap.rule(step.rule) {
            Some(m) => (m.id.as_str(), m.kind.table(), m.source.as_deref()),
            None => ("-", "-", None),
        };
        let said = match step.outcome {
            StepOutcome::NotApplicable => "n/a".to_owned(),
            StepOutcome::Pass => "pass".to_owned(),
            StepOutcome::Lifted => "lifted".to_owned(),
            StepOutcome::Deny(r) => format!("DENY {r}"),
            StepOutcome::Defer(r, t) => format!("DEFER {r} until {}", ts(t)),
        };
        writeln!(out, "  [{kind}] {id}: {said} — {}", step.detail)?;
        if let Some(src) = source
            && !matches!(step.outcome, StepOutcome::NotApplicable)
        {
            writeln!(out, "      source: {src}")?;
        }
    }
    let d = &e.decision;
    let mut verdict = format!("verdict: {}", d.verdict().name());
    if let Some(r) = d.reason() {
        verdict.push_str(&format!(" ({r}"));
        if let Some(rule) = rule_name(snap, d) {
            verdict.push_str(&format!(", rule {rule}"));
        }
        verdict.push(')');
    }
    if let Some(u) = d.until() {
        verdict.push_str(&format!(" until {}", ts(u)));
    }
    if let Decision::Allow { constraints } = d
        && !constraints.is_empty()
    {
        verdict.push_str(&format!(
            " with {}",
            constraints.names().collect::<Vec<_>>().join(", ")
        ));
    }
    writeln!(out, "{verdict}")?;
    Ok(())
}

fn record(args: &RecordArgs) -> Result<(), Fail> {
    let now = parse_at(Some(&args.at))?;
    let outcome = Outcome::from_name(&args.outcome).map_err(|e| Fail(format!("--outcome: {e}")))?;
    let mode = parse_enum("mode", &args.mode, Mode::from_name, Mode::names())?;
    let fsync = args.fsync.as_deref().map(parse_fsync).transpose()?;
    if args.attempt.is_some() && args.numbers.len() != 1 {
        return Err(Fail(
            "--attempt names one reservation: give exactly one NUMBER".into(),
        ));
    }
    let guard = open_guard(&args.policy, Some(&args.state), fsync)?;
    let snap = guard.snapshot();
    let mut ctx = CallContext::new(now).mode(mode);
    ctx.campaign = args.campaign.as_deref();
    ctx.subject = args.subject.as_deref();
    let attempt = args.attempt.map(AttemptId);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for input in inputs(&args.numbers)? {
        match number::parse(&input, snap.default_country()) {
            Ok(n) => {
                let id = guard.record_outcome(n, attempt, outcome, &ctx)?;
                let line = serde_json::json!({"input": input, "number": n.to_string(), "recorded": outcome.name(), "attempt": id.0});
                writeln!(out, "{line}")?;
            }
            Err(e) => {
                let line = serde_json::json!({"input": input, "error": e.to_string()});
                writeln!(out, "{line}")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn country(cc: Option<&str>) -> Result<Option<Country>, Fail> {
    cc.map(|c| {
        Country::from_iso(c).ok_or_else(|| {
            Fail(format!(
                "unknown country {c:?}; use an ISO 3166-1 code such as IT or US"
            ))
        })
    })
    .transpose()
}

fn normalize(default_country: Option<&str>, numbers: &[String]) -> Result<(), Fail> {
    let cc = country(default_country)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for input in inputs(numbers)? {
        let line = match number::parse(&input, cc.as_ref()) {
            Ok(n) => {
                let loc = number::locate(n);
                let zones: Vec<&str> = loc.zones.iter().map(|z| z.name()).collect();
                serde_json::json!({"input": input, "number": n.to_string(), "region": loc.region.code(), "zones": zones})
            }
            Err(e) => serde_json::json!({"input": input, "error": e.to_string()}),
        };
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

fn compile(path: &Path) -> Result<(), Fail> {
    let snap = policy::compile_file(path, Timestamp::now().as_second())?;
    let lists: Vec<_> = snap
        .list_sizes()
        .map(|(id, kind, n)| serde_json::json!({"id": id, "kind": format!("{kind:?}").to_lowercase(), "numbers": n}))
        .collect();
    let mut kinds = std::collections::BTreeMap::new();
    for r in snap.rules() {
        *kinds.entry(r.kind.table()).or_insert(0) += 1;
    }
    let summary = serde_json::json!({
        "policy": snap.name(),
        "version": format!("{:016x}", snap.version()),
        "rules": snap.rules().len(),
        "by_kind": kinds,
        "lists": lists,
        "consents": snap.consent_count(),
        "horizon_days": snap.horizon() / 86_400,
    });
    println!("{summary}");
    Ok(())
}

/// Registry export layouts other than one number a line.
#[derive(Args, Clone, Default)]
pub(crate) struct ExportLayout {
    /// The number is in this CSV column (1-based), e.g. a CRM or registry export.
    #[arg(long)]
    csv_column: Option<usize>,
    /// The registration date (YYYY-MM-DD) is in this CSV column (1-based).
    #[arg(long)]
    date_column: Option<usize>,
    /// The number is split over two columns, area code then local number (the US
    /// National DNC download: `201,5550123`); NANP numbers get the +1.
    #[arg(long, conflicts_with = "csv_column")]
    area_code_split: bool,
    /// The CSV delimiter.
    #[arg(long, default_value = ",")]
    delimiter: char,
    /// Skip the first line (a header).
    #[arg(long)]
    skip_header: bool,
}

impl ExportLayout {
    fn is_plain(&self) -> bool {
        self.csv_column.is_none()
            && self.date_column.is_none()
            && !self.area_code_split
            && !self.skip_header
    }
}

/// Rewrites an export layout into the plain `number[,date]` form the list compiler
/// streams, next to the output (removed afterwards). One sequential pass.
fn flatten_export(input: &Path, output: &Path, layout: &ExportLayout) -> Result<PathBuf, Fail> {
    use std::io::BufWriter;
    let tmp = output.with_extension("plain.tmp");
    let file = std::fs::File::open(input).map_err(|e| Fail(format!("{}: {e}", input.display())))?;
    let mut out = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&tmp).map_err(|e| Fail(format!("{}: {e}", tmp.display())))?,
    );
    let mut reader = io::BufReader::with_capacity(1 << 20, file);
    let mut line = String::new();
    let mut no = 0usize;
    let field = |fields: &[&str], col: usize, no: usize, what: &str| -> Result<String, Fail> {
        fields
            .get(col.wrapping_sub(1))
            .map(|f| f.trim().trim_matches('"').to_owned())
            .ok_or_else(|| {
                Fail(format!(
                    "{}:{no}: no column {col} for the {what}",
                    input.display()
                ))
            })
    };
    loop {
        line.clear();
        if reader
            .read_line(&mut line)
            .map_err(|e| Fail(format!("{}: {e}", input.display())))?
            == 0
        {
            break;
        }
        no += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        if (no == 1 && layout.skip_header) || text.trim().is_empty() || text.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = text.split(layout.delimiter).collect();
        let number = if layout.area_code_split {
            let (area, local) = (
                field(&fields, 1, no, "area code")?,
                field(&fields, 2, no, "local number")?,
            );
            if area.len() != 3
                || local.len() != 7
                || !area
                    .bytes()
                    .chain(local.bytes())
                    .all(|b| b.is_ascii_digit())
            {
                return Err(Fail(format!(
                    "{}:{no}: {text:?} is not an area code and a 7-digit number (e.g. 201,5550123)",
                    input.display()
                )));
            }
            format!("+1{area}{local}")
        } else {
            field(&fields, layout.csv_column.unwrap_or(1), no, "number")?
        };
        match layout.date_column {
            Some(c) => writeln!(out, "{number},{}", field(&fields, c, no, "date")?)?,
            None => writeln!(out, "{number}")?,
        }
    }
    out.flush()?;
    Ok(tmp)
}

fn compile_list(
    input: &Path,
    output: &Path,
    snapshot_date: Option<&str>,
    cc: Option<&str>,
    layout: &ExportLayout,
) -> Result<(), Fail> {
    let cc = country(cc)?;
    let date = snapshot_date
        .map(|d| {
            dialguard::calendar::Date::parse(d)
                .map(|d| d.to_days())
                .map_err(|e| Fail(format!("--snapshot-date {d:?}: {e}; write YYYY-MM-DD")))
        })
        .transpose()?;
    let started = std::time::Instant::now();
    let parse = move |s: &str| number::parse(s, cc.as_ref()).map_err(|e| e.to_string());
    let flat = if layout.is_plain() {
        None
    } else {
        Some(flatten_export(input, output, layout)?)
    };
    let result = dialguard::lists::compile_text_list(
        flat.as_deref().unwrap_or(input),
        output,
        date,
        Some(&parse),
    );
    if let Some(tmp) = &flat {
        let _ = std::fs::remove_file(tmp);
    }
    let mut stats = result?;
    stats.input_bytes = std::fs::metadata(input)
        .map(|m| m.len())
        .unwrap_or(stats.input_bytes);
    let secs = started.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "input": input.display().to_string(),
        "output": output.display().to_string(),
        "lines": stats.lines,
        "entries": stats.entries,
        "numbers": stats.distinct,
        "bytes_in": stats.input_bytes,
        "bytes_out": stats.output_bytes,
        "seconds": secs,
        "mb_per_s": stats.input_bytes as f64 / 1e6 / secs.max(1e-9),
    });
    println!("{line}");
    Ok(())
}

fn rules(pack: Option<&str>) -> Result<(), Fail> {
    match pack {
        None => {
            for name in policy::packs::names() {
                println!("{name}");
            }
            Ok(())
        }
        Some(name) => {
            let name = if name.starts_with("builtin:") {
                name.to_owned()
            } else {
                format!("builtin:{name}")
            };
            let text = policy::packs::text(&name).ok_or_else(|| {
                Fail(format!(
                    "no rule pack {name:?}; available: {}",
                    policy::packs::names().join(", ")
                ))
            })?;
            let src: policy::source::PolicySource = toml::from_str(text)
                .map_err(|e| Fail(format!("rule pack {name} is broken: {e}")))?;
            let mut rows =
                vec![["ID", "TABLE", "APPLIES_TO", "VALUES", "CONF", "SOURCE"].map(String::from)];
            rows.extend(pack_rule_rows(&src));
            let mut widths = [0usize; 5];
            for row in &rows {
                for (w, cell) in widths.iter_mut().zip(row) {
                    *w = (*w).max(cell.chars().count());
                }
            }
            let mut out = io::stdout().lock();
            for row in &rows {
                let mut line = String::new();
                for (w, cell) in widths.iter().zip(row) {
                    line.push_str(&format!("{cell:<w$}  "));
                }
                line.push_str(&row[5]);
                writeln!(out, "{}", line.trim_end())?;
            }
            Ok(())
        }
    }
}

/// One row per rule of a pack: id, table, applies_to, the rule's values (with its purpose /
/// mode / campaign / date filters), confidence and source.
fn pack_rule_rows(src: &policy::source::PolicySource) -> Vec<[String; 6]> {
    fn list(v: &[String]) -> String {
        v.join(",")
    }
    fn spans(v: &[String]) -> String {
        if v.is_empty() {
            "closed".into()
        } else {
            v.join(",")
        }
    }
    /// The filters every rule may carry, as ` key=value` words.
    fn filters(
        purpose: &Option<Vec<String>>,
        mode: &Option<Vec<String>>,
        campaigns: &Option<Vec<String>>,
        valid_from: &Option<String>,
        valid_until: &Option<String>,
    ) -> String {
        let mut f = String::new();
        for (k, v) in [
            ("purpose", purpose),
            ("mode", mode),
            ("campaigns", campaigns),
        ] {
            if let Some(v) = v {
                f.push_str(&format!("; {k} {}", list(v)));
            }
        }
        if let Some(d) = valid_from {
            f.push_str(&format!("; from {d}"));
        }
        if let Some(d) = valid_until {
            f.push_str(&format!("; until {d}"));
        }
        f
    }
    macro_rules! row {
        ($rows:ident, $table:literal, $r:expr, $values:expr) => {{
            let r = $r;
            let values = format!(
                "{}{}",
                $values,
                filters(
                    &r.purpose,
                    &r.mode,
                    &r.campaigns,
                    &r.valid_from,
                    &r.valid_until
                )
            );
            $rows.push([
                r.id.clone(),
                $table.to_string(),
                r.applies_to.as_deref().map_or_else(|| "*".into(), list),
                values,
                r.confidence.clone().unwrap_or_else(|| "-".into()),
                r.source.clone().unwrap_or_default(),
            ]);
        }};
    }
    let mut rows = Vec::new();
    for c in &src.calendar {
        let c = c.get_ref();
        let mut v = Vec::new();
        if !c.fixed.is_empty() {
            v.push(format!("fixed {}", list(&c.fixed)));
        }
        if !c.easter.is_empty() {
            let e: Vec<String> = c.easter.iter().map(|d| format!("{d:+}")).collect();
            v.push(format!("easter {}", e.join(",")));
        }
        if !c.nth_weekday.is_empty() {
            let n: Vec<String> = c
                .nth_weekday
                .iter()
                .map(|n| {
                    const MONTHS: [&str; 12] = [
                        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                        "nov", "dec",
                    ];
                    let month = MONTHS
                        .get(usize::from(n.month).wrapping_sub(1))
                        .unwrap_or(&"?");
                    match n.n {
                        -1 => format!("last-{}-{month}", n.weekday),
                        k => format!("{k}-{}-{month}", n.weekday),
                    }
                })
                .collect();
            v.push(format!("nth_weekday {}", n.join(",")));
        }
        for (key, dated) in [("dated", &c.dated), ("removed", &c.removed)] {
            for d in dated {
                let mut s = format!("{key} {}", d.date);
                if let Some(y) = d.from {
                    s.push_str(&format!(" from {y}"));
                }
                if let Some(y) = d.until {
                    s.push_str(&format!(" until {y}"));
                }
                v.push(s);
            }
        }
        if !c.dates.is_empty() {
            v.push(format!("dates {}", list(&c.dates)));
        }
        if let Some(o) = &c.observed {
            v.push(format!("observed {o}"));
        }
        rows.push([
            c.id.clone(),
            "calendar".into(),
            "-".into(),
            v.join("; "),
            "-".into(),
            c.source.clone().unwrap_or_default(),
        ]);
    }
    for w in &src.window {
        let w = w.get_ref();
        let mut v = Vec::new();
        let days = [
            ("mon-sun", &w.mon_sun),
            ("mon-sat", &w.mon_sat),
            ("mon-fri", &w.mon_fri),
            ("sat-sun", &w.sat_sun),
            ("mon", &w.mon),
            ("tue", &w.tue),
            ("wed", &w.wed),
            ("thu", &w.thu),
            ("fri", &w.fri),
            ("sat", &w.sat),
            ("sun", &w.sun),
            ("holiday", &w.holiday),
            ("pre_holiday", &w.pre_holiday),
        ];
        for (key, spans_of) in days {
            if let Some(s) = spans_of {
                v.push(format!("{key} {}", spans(s)));
            }
        }
        if let Some(c) = &w.calendar {
            v.push(format!("calendar {c}"));
        }
        if !w.waived_by.is_empty() {
            v.push(format!("waived_by {}", list(&w.waived_by)));
        }
        row!(rows, "window", w, v.join("; "));
    }
    for c in &src.cap {
        let c = c.get_ref();
        let span = match (&c.within, c.within_calendar_days) {
            (Some(w), _) => w.clone(),
            (None, Some(d)) => format!("{d} calendar days"),
            (None, None) => "?".into(),
        };
        let v = format!(
            "max {} within {span}; key {}; count {}",
            c.max,
            c.key.as_deref().unwrap_or("number"),
            c.count.as_deref().unwrap_or("attempts")
        );
        row!(rows, "cap", c, v);
    }
    for c in &src.cooloff {
        let c = c.get_ref();
        let span = match (&c.for_, c.for_calendar_days) {
            (Some(f), _) => f.clone(),
            (None, Some(d)) => format!("{d} calendar days"),
            (None, None) => "?".into(),
        };
        let mut v = format!(
            "after {} for {span}; key {}",
            c.after,
            c.key.as_deref().unwrap_or("number")
        );
        if let Some(u) = &c.unless {
            v.push_str(&format!("; unless {u}"));
        }
        if let Some(t) = &c.then {
            v.push_str(&format!("; then {t}"));
        }
        row!(rows, "cooloff", c, v);
    }
    for c in &src.caller_id {
        let c = c.get_ref();
        let mut v = format!("allow_prefixes {}", list(&c.allow_prefixes));
        if let Some(l) = &c.allow_list {
            v.push_str(&format!("; allow_list {l}"));
        }
        row!(rows, "caller_id", c, v);
    }
    for a in &src.abandon_limit {
        let a = a.get_ref();
        let v = format!(
            "max_rate {} within {}; min_answered {}; blocks {}",
            a.max_rate,
            a.within,
            a.min_answered.unwrap_or(0),
            a.blocks.as_deref().unwrap_or("predictive")
        );
        row!(rows, "abandon_limit", a, v);
    }
    for b in &src.blackout {
        let b = b.get_ref();
        let v = format!(
            "from {} until {}; suspend_exemptions {}",
            b.from,
            b.until.as_deref().unwrap_or("-"),
            b.suspend_exemptions
        );
        row!(rows, "blackout", b, v);
    }
    for c in &src.consent_required {
        let c = c.get_ref();
        let kinds = if c.kinds.is_empty() {
            "consent,contract,ebr".to_owned()
        } else {
            list(&c.kinds)
        };
        let mut v = format!("kinds {kinds}");
        if let Some(l) = &c.unless_listed {
            v.push_str(&format!("; unless_listed {l}"));
        }
        row!(rows, "consent_required", c, v);
    }
    for l in &src.list {
        let l = l.get_ref();
        let mut v = format!("kind {}", l.kind);
        if let Some(d) = l.max_age_days {
            v.push_str(&format!("; max_age_days {d}"));
        }
        if !l.exemptions.is_empty() {
            v.push_str(&format!("; exemptions {}", list(&l.exemptions)));
        }
        row!(rows, "list", l, v);
    }
    rows
}
