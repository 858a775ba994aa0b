//! `dialguard`: check, explain, record, normalize, compile policies and lists, benchmark.
//! Output is JSON Lines (one object per input) as specified in docs/cli.md. Exit codes: 0 whatever
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
mod compile_list;
mod demo;
mod rules;
mod subject;

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
    /// Record a citizen's complaint: the number is opted out at once and the complaint
    /// is logged with its evidence (the contacts and the decisions that allowed them).
    Complaint(subject::ComplaintArgs),
    /// Everything held about one number: lists, consents, contacts, opt-out, complaints
    /// and logged decisions (a data subject's access request).
    Subject(subject::SubjectArgs),
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
        /// The policy file (TOML or JSON; docs/policy.md).
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
        layout: compile_list::ExportLayout,
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
    /// The policy file (TOML or JSON; docs/policy.md).
    #[arg(long)]
    policy: PathBuf,
    /// Directory of the durable contact history the outcome is recorded in (not needed
    /// when the policy has a [cluster]: the outcome goes to the shared store).
    #[arg(long)]
    state: Option<PathBuf>,
    /// The instant of the call or its outcome (RFC 3339).
    #[arg(long)]
    at: String,
    /// The campaign of the call (caps, cool-offs and abandon rates may be per campaign).
    #[arg(long)]
    campaign: Option<String>,
    /// The subject of the call, e.g. one debt (caps may be per subject).
    #[arg(long)]
    subject: Option<String>,
    /// no_answer busy answered abandoned machine refused opt_out wrong_number
    #[arg(long)]
    outcome: String,
    /// The "attempt" a `check --reserve` printed: the outcome is attached to that
    /// reservation instead of counting a second attempt (one NUMBER only).
    #[arg(long)]
    attempt: Option<u64>,
    /// predictive | preview | manual (a live agent on the line lifts some cool-offs)
    #[arg(long, default_value = "predictive")]
    mode: String,
    /// When history writes reach the disk: record (default), never, or e.g. 100ms.
    #[arg(long)]
    fsync: Option<String>,
    /// Also write the outcomes to the decision log in this directory (else the policy's
    /// [audit], if any).
    #[arg(long)]
    audit: Option<PathBuf>,
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
        Command::Complaint(args) => subject::complaint(&args),
        Command::Subject(args) => subject::subject(&args),
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
        } => compile_list::compile_list(
            &input,
            &output,
            snapshot_date.as_deref(),
            default_country.as_deref(),
            &layout,
        ),
        Command::Rules { pack } => rules::rules(pack.as_deref()),
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
    audit: Option<&Path>,
) -> Result<Guard, Fail> {
    let options = GuardOptions {
        state_dir: state.map(Path::to_owned),
        fsync,
        cluster: None,
        audit: audit.map(dialguard::audit::AuditConfig::new),
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

pub(crate) fn ts(t: Timestamp) -> String {
    t.to_string()
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
        // Later passes of the time rules re-judge them at the instant earlier passes moved to.
        let pass = match step.pass {
            0 => String::new(),
            p => format!(" (pass {})", u32::from(p) + 1),
        };
        writeln!(out, "  [{kind}] {id}{pass}: {said} — {}", step.detail)?;
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
    let guard = open_guard(
        &args.policy,
        args.state.as_deref(),
        fsync,
        args.audit.as_deref(),
    )?;
    if args.state.is_none() && guard.shared_store().is_none() {
        return Err(Fail(
            "record needs --state DIR (or a policy with a [cluster] table): without one the \
             outcome would be forgotten when the command ends"
                .into(),
        ));
    }
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

pub(crate) fn country(cc: Option<&str>) -> Result<Option<Country>, Fail> {
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
