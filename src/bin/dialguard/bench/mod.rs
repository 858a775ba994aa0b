//! `dialguard bench`: whole-policy throughput and latency percentiles on synthetic (or
//! given) numbers, with a synthetic registry and contact history of a chosen size, so
//! integrators can measure a policy on their own hardware.
//!
//! Latency is measured per check with two `Instant::now()` reads (about 20–25 ns of the
//! figure on Linux/x86-64); checks/s counts every check of every thread over the run.
//!
//! Every verdict is checked, outside the timed span, against the answer computed before
//! the run (with `--swap-every-ms`, against the answers of both registry copies, which
//! differ): `wrong_verdicts`, `stale_after_swap` (a number whose answer differs between
//! the copies still answered as the old copy right after a swap), `failed_swaps` and
//! `panicked_threads` are printed, and any of them above zero makes the command fail
//! (exit 2) after printing the JSON. With `--reserve` verdicts change as attempts are
//! recorded, so they are not checked (`wrong_verdicts` is null).
//!
//! `--cluster URL` measures the shared Redis store instead (see `bench/cluster.rs`);
//! `--compare PEER` adds, after dialguard's own results, the same questions put to a
//! Redis or SQLite peer, with dialguard's figures as ratios to theirs (`bench/compare/`).

mod cluster;
mod compare;
mod machine;
mod measure;
mod setup;
mod suite;

use std::path::PathBuf;

use clap::Args;
use dialguard::Verdict;
use dialguard::guard::CallContext;
use dialguard::policy::{Mode, Purpose};

#[derive(Args, Clone)]
pub(crate) struct BenchArgs {
    /// The policy file (TOML or JSON; docs/policy.md); not needed with --cluster.
    #[arg(long, required_unless_present = "cluster")]
    pub(super) policy: Option<PathBuf>,
    /// Measure the shared store on this Redis (redis://host:port; a test server: it
    /// writes under its own key prefix) instead of a policy: reservation latency and
    /// throughput through Redis vs in process, against a bare round trip.
    #[arg(long)]
    pub(super) cluster: Option<String>,
    /// Measure with 1, 2, … up to this many threads.
    #[arg(long, default_value_t = 2)]
    pub(super) threads: usize,
    /// Seconds per thread count.
    #[arg(long, default_value_t = 3.0)]
    pub(super) seconds: f64,
    /// Numbers to check, one a line (default: synthetic, half of them registry hits).
    #[arg(long, conflicts_with = "queries")]
    pub(super) numbers: Option<PathBuf>,
    /// Size of a synthetic registry added to the policy (applies to every number).
    #[arg(long, default_value_t = 0)]
    pub(super) synthetic: usize,
    /// Numbers with a synthetic contact history (1–3 past attempts each).
    #[arg(long, default_value_t = 0)]
    pub(super) history: usize,
    /// How many synthetic numbers to check (cycled).
    #[arg(long, default_value_t = 1_000_000)]
    pub(super) queries: usize,
    /// The instant checks are made at (RFC 3339); default now.
    #[arg(long)]
    pub(super) at: Option<String>,
    /// Use check_and_reserve instead of check (allowed attempts are recorded).
    #[arg(long, conflicts_with = "swap_every_ms")]
    pub(super) reserve: bool,
    /// Use the batch API (`check_batch`, --batch-size numbers a call) instead of one
    /// check per call; latency is then per batch / batch size.
    #[arg(long)]
    pub(super) batch: bool,
    /// After the `check` runs, run `check_batch` and then `check_and_reserve` on the same
    /// data, and print every figure as a ratio measured in this run (`suite`).
    #[arg(long, conflicts_with_all = ["batch", "reserve", "swap_every_ms"])]
    pub(super) suite: bool,
    /// Numbers per `check_batch` call with --batch (and --suite).
    #[arg(long, default_value_t = 4096)]
    pub(super) batch_size: usize,
    /// The campaign the checks are made for.
    #[arg(long, default_value = "bench")]
    pub(super) campaign: String,
    /// The caller ID the checks present (for policies with caller-ID rules).
    #[arg(long)]
    pub(super) caller_id: Option<String>,
    /// The purpose of the calls (sales, collection, …: the policy's purposes).
    #[arg(long, default_value = "sales")]
    pub(super) purpose: String,
    /// Check the numbers that have a synthetic history (--history), in random order,
    /// instead of fresh ones: every check then finds a tracked number's events.
    #[arg(long, requires = "history")]
    pub(super) query_tracked: bool,
    /// predictive | preview | manual
    #[arg(long, default_value = "preview")]
    pub(super) mode: String,
    /// Replace the synthetic registry every this many milliseconds while measuring
    /// (hot swap under load; alternates two prebuilt copies that differ in a fifth of
    /// their numbers). 0 = never.
    #[arg(long, default_value_t = 0)]
    pub(super) swap_every_ms: u64,
    /// Journal the history to this state directory (created if missing; use a fresh one:
    /// the bench records into it), so reservations pay the journal write.
    #[arg(long)]
    pub(super) state: Option<PathBuf>,
    /// With --state: record (sync every record), never, or a delay such as 10ms.
    #[arg(long, requires = "state", default_value = "10ms")]
    pub(super) fsync: String,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 42)]
    pub(super) seed: u64,
    /// Memory (MiB) over which the machine's own dependent DRAM miss and a plain hash-map
    /// lookup are measured first, so latencies are also printed as multiples of them;
    /// 0 skips it.
    #[arg(long, default_value_t = 2048)]
    pub(super) machine_mb: usize,
    /// Also ask a peer the same questions in this run and print dialguard's figures as
    /// ratios to its: redis://HOST:PORT (a test server; it writes under a key prefix of
    /// its own and deletes it) or sqlite (in process; builds with --features
    /// sqlite-peer). Repeat for several peers. Needs --synthetic N.
    #[arg(long, conflicts_with_all = ["cluster", "swap_every_ms"])]
    pub(super) compare: Vec<String>,
    /// Registry numbers loaded into each --compare peer: an even sample of the synthetic
    /// registry when it is larger; dialguard is compared on the same sample and queries.
    #[arg(long, default_value_t = 1_000_000)]
    pub(super) compare_numbers: usize,
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub(crate) fn run(a: &BenchArgs) -> Result<(), String> {
    if a.threads == 0 || a.seconds <= 0.0 || a.queries == 0 || a.batch_size == 0 {
        return Err("--threads, --seconds, --queries and --batch-size must be positive".into());
    }
    let now = crate::parse_at(a.at.as_deref()).map_err(|e| e.0)?;
    if let Some(url) = &a.cluster {
        return cluster::run(url, a.seconds, a.threads, now.as_second());
    }
    let Some(policy_path) = &a.policy else {
        return Err("--policy FILE is needed (or --cluster URL)".into());
    };
    let mode = Mode::from_name(&a.mode)
        .ok_or_else(|| format!("--mode {:?}: use {}", a.mode, Mode::names()))?;
    if !a.compare.is_empty() && (a.synthetic == 0 || a.compare_numbers == 0) {
        let what = "the registry the peers hold";
        return Err(format!(
            "--compare needs --synthetic N and --compare-numbers > 0 ({what})"
        ));
    }
    if a.swap_every_ms > 0 && a.synthetic == 0 {
        return Err("--swap-every-ms needs --synthetic N (the registry that is swapped)".into());
    }
    // The machine first, before the bench's own data fills the memory.
    let machine = (a.machine_mb > 0).then(|| machine::measure(a.machine_mb, a.seed));
    let s = setup::Setup::build(a, policy_path, now)?;
    let purpose = Purpose::from_name(&a.purpose)
        .ok_or_else(|| format!("--purpose {:?}: use {}", a.purpose, Purpose::names()))?;
    let mut ctx = CallContext::new(now).mode(mode).purpose(purpose);
    ctx.campaign = Some(&a.campaign);
    ctx.caller_id = s.caller_id;
    let verdicts = s.verdicts_first_100k(&ctx);
    let expected = s.expected(a.reserve, &ctx)?;
    let probes = setup::probes(&s.queries, &expected);
    if !s.copies.is_empty() && probes.is_empty() {
        return Err(
            "--swap-every-ms: no query answers differently under the two registry copies; \
             use more --queries or a policy whose registry decides"
                .into(),
        );
    }
    let runs = measure::Runs::new(a, &s, &ctx, &expected, &probes);
    let results: Vec<measure::Run> = (1..=a.threads).map(|t| runs.run(t)).collect();
    let mut out = report(a, &s, verdicts, &results, &runs, machine.as_ref());
    let mut suite_wrong = 0;
    if a.suite {
        let suite = suite::Suite::run(a, &s, &ctx, &expected);
        let bytes = out["synthetic_registry_bytes_per_number"]
            .as_f64()
            .unwrap_or(0.0);
        out["suite"] = suite.json(&results, machine.as_ref(), bytes);
        suite_wrong = suite.wrong();
    }
    let mut disagreements = 0;
    if !a.compare.is_empty() {
        let snap = s.guard.snapshot();
        let country = snap.default_country().map(|c| c.iso());
        let (v, bad) = compare::run(&a.compare, &s.compare_sample, a, country, now)?;
        out["compare"] = v;
        disagreements = bad;
    }
    println!("{out}");
    let (wrong, failed, stale, panicked) = runs.failures(&results);
    let wrong = wrong + suite_wrong;
    if wrong + failed + stale + panicked + disagreements > 0 {
        return Err(format!(
            "bench: {wrong} wrong verdicts, {stale} stale after a swap, {failed} failed swaps, \
             {panicked} panicked threads, {disagreements} --compare answers wrong or not \
             agreeing with dialguard's"
        ));
    }
    Ok(())
}

/// The history map's bytes (tables at their capacity, spilled events) per tracked
/// number, after the runs (reservations add events); null without a history.
fn history_bytes_per_number(g: &dialguard::guard::Guard) -> Option<f64> {
    let h = g.history();
    (!h.is_empty()).then(|| h.heap_bytes() as f64 / h.len() as f64)
}

/// The JSON the command prints (docs/cli.md).
fn report(
    a: &BenchArgs,
    s: &setup::Setup,
    verdicts: [u64; 3],
    results: &[measure::Run],
    runs: &measure::Runs<'_>,
    machine: Option<&machine::Machine>,
) -> serde_json::Value {
    let snap = s.guard.snapshot();
    let (wrong, failed, stale, panicked) = runs.failures(results);
    serde_json::json!({
        "policy": snap.name(),
        "api": if a.batch { "check_batch" } else if a.reserve { "check_and_reserve" } else { "check" },
        "registry_numbers": s.registry_len,
        "synthetic_registry_bytes_per_number": if a.synthetic > 0 { s.registry_bytes as f64 / a.synthetic as f64 } else { 0.0 },
        "history_numbers": s.guard.history().len(),
        "history_bytes_per_number": history_bytes_per_number(&s.guard),
        "queries": s.queries.len(),
        "swaps": results.iter().map(|r| r.swaps).sum::<u64>(),
        "failed_swaps": failed,
        "stale_after_swap": stale,
        "wrong_verdicts": (!a.reserve).then_some(wrong),
        "panicked_threads": panicked,
        "setup_seconds": s.setup_seconds,
        "verdicts_first_100k": {"allow": verdicts[Verdict::Allow as usize], "deny": verdicts[Verdict::Deny as usize], "defer": verdicts[Verdict::Defer as usize]},
        "machine": machine.map(machine::Machine::json),
        "results": results.iter().map(|r| r.json(a.reserve, machine)).collect::<Vec<_>>(),
    })
}
