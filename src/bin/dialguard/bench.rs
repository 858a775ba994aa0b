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
//! `--cluster URL` measures the shared Redis store instead (see `bench/cluster.rs`).

mod cluster;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::history::{HistoryStore, NewEvent, Query, Tag};
use dialguard::lists::NumberSet;
use dialguard::lists::synthetic::{SplitMix, clustered};
use dialguard::number::{self, Number};
use dialguard::policy::{self, Mode, Purpose};
use dialguard::{Decision, Verdict};
use jiff::Timestamp;

#[derive(Args)]
pub(crate) struct BenchArgs {
    /// The policy file (TOML or JSON; docs/policy.md); not needed with --cluster.
    #[arg(long, required_unless_present = "cluster")]
    policy: Option<PathBuf>,
    /// Measure the shared store on this Redis (redis://host:port; a test server: it
    /// writes under its own key prefix) instead of a policy: reservation latency and
    /// throughput through Redis vs in process, against a bare round trip.
    #[arg(long)]
    cluster: Option<String>,
    /// Measure with 1, 2, … up to this many threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Seconds per thread count.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Numbers to check, one a line (default: synthetic, half of them registry hits).
    #[arg(long, conflicts_with = "queries")]
    numbers: Option<PathBuf>,
    /// Size of a synthetic registry added to the policy (applies to every number).
    #[arg(long, default_value_t = 0)]
    synthetic: usize,
    /// Numbers with a synthetic contact history (1–3 past attempts each).
    #[arg(long, default_value_t = 0)]
    history: usize,
    /// How many synthetic numbers to check (cycled).
    #[arg(long, default_value_t = 1_000_000)]
    queries: usize,
    /// The instant checks are made at (RFC 3339); default now.
    #[arg(long)]
    at: Option<String>,
    /// Use check_and_reserve instead of check (allowed attempts are recorded).
    #[arg(long, conflicts_with = "swap_every_ms")]
    reserve: bool,
    /// Use the batch API (groups of 256) instead of one check per call; latency is then per batch / 256.
    #[arg(long)]
    batch: bool,
    /// The campaign the checks are made for.
    #[arg(long, default_value = "bench")]
    campaign: String,
    /// The caller ID the checks present (for policies with caller-ID rules).
    #[arg(long)]
    caller_id: Option<String>,
    /// predictive | preview | manual
    #[arg(long, default_value = "preview")]
    mode: String,
    /// Replace the synthetic registry every this many milliseconds while measuring
    /// (hot swap under load; alternates two prebuilt copies that differ in a fifth of
    /// their numbers). 0 = never.
    #[arg(long, default_value_t = 0)]
    swap_every_ms: u64,
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

pub(crate) fn run(a: &BenchArgs) -> Result<(), String> {
    if a.threads == 0 || a.seconds <= 0.0 || a.queries == 0 {
        return Err("--threads, --seconds and --queries must be positive".into());
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
    let built = Instant::now();
    let mut snap = policy::compile_file(policy_path, Timestamp::now().as_second())
        .map_err(|e| e.to_string())?;
    let country = snap.default_country().map(|c| c.iso());
    let mut rng = SplitMix(a.seed);
    let mut registry_numbers = Vec::new();
    let mut registry_bytes = 0usize;
    let mut copies: Vec<NumberSet> = Vec::new();
    if a.synthetic > 0 {
        // With swaps, two copies that differ: copy 0 holds the first `synthetic` numbers,
        // copy 1 drops the first quarter of those and adds a quarter of fresh ones.
        let extra = if a.swap_every_ms > 0 {
            (a.synthetic / 4).max(1)
        } else {
            0
        };
        registry_numbers = clustered(a.synthetic + extra, country, &mut rng);
        let set = NumberSet::from_numbers(registry_numbers[..a.synthetic].to_vec());
        registry_bytes = set.heap_bytes();
        if a.swap_every_ms > 0 {
            copies.push(set.clone());
            copies.push(NumberSet::from_numbers(registry_numbers[extra..].to_vec()));
        }
        snap = snap.with_extra_registry("synthetic-registry", set);
    } else if a.swap_every_ms > 0 {
        return Err("--swap-every-ms needs --synthetic N (the registry that is swapped)".into());
    }
    let registry_len = snap.list_sizes().map(|(_, _, n)| n).sum::<usize>();
    let caller_id = a
        .caller_id
        .as_deref()
        .map(|c| number::parse(c, snap.default_country()).map_err(|e| format!("--caller-id: {e}")))
        .transpose()?;
    let queries: Vec<Number> = match &a.numbers {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .filter_map(|l| number::parse(l, snap.default_country()).ok())
                .collect()
        }
        None => {
            let fresh = clustered(a.queries, country, &mut rng);
            (0..a.queries)
                .map(|i| {
                    if i % 2 == 0 && !registry_numbers.is_empty() {
                        registry_numbers[rng.below(registry_numbers.len() as u64) as usize]
                    } else {
                        fresh[i]
                    }
                })
                .filter_map(Number::from_e164_digits)
                .collect()
        }
    };
    drop(registry_numbers);
    if queries.is_empty() {
        return Err("no valid numbers to check".into());
    }
    let (guard, _) =
        Guard::with_snapshot(snap, GuardOptions::default()).map_err(|e| e.to_string())?;
    let t0 = now.as_second();
    if a.history > 0 {
        let hist = clustered(a.history, country, &mut rng);
        let q = Query {
            campaign: Tag::of(&a.campaign),
            subject: Tag::NONE,
            live_agent: true,
        };
        for (i, d) in hist.iter().enumerate() {
            let Some(n) = Number::from_e164_digits(*d) else {
                continue;
            };
            for k in 0..(1 + i % 3) as i64 {
                let at = t0 - 3600 * (k + 1) - (i as i64 % 3600);
                let _ = guard
                    .history()
                    .with_events(n, at, &mut |_| Some(NewEvent::attempt(&q)));
            }
        }
    }
    let setup_s = built.elapsed().as_secs_f64();

    let mut ctx = CallContext::new(now).mode(mode).purpose(Purpose::Sales);
    ctx.campaign = Some(&a.campaign);
    ctx.caller_id = caller_id;
    let mut verdicts = [0u64; 3];
    for n in queries.iter().take(100_000) {
        verdicts[guard.check_number(*n, &ctx).verdict() as usize] += 1;
    }

    // The expected answer of every query under each registry copy (the same twice
    // without swaps). Checks do not record, so the answer at `now` is fixed.
    let expected: Vec<[Decision; 2]> = if a.reserve {
        Vec::new()
    } else {
        let first: Vec<Decision> = queries
            .iter()
            .map(|n| guard.check_number(*n, &ctx))
            .collect();
        if copies.is_empty() {
            first.into_iter().map(|d| [d, d]).collect()
        } else {
            guard
                .swap_list("synthetic-registry", copies[1].clone(), None)
                .map_err(|e| format!("swap: {e}"))?;
            queries
                .iter()
                .zip(first)
                .map(|(n, d0)| [d0, guard.check_number(*n, &ctx)])
                .collect()
        }
    };
    // Numbers whose answer differs between the copies: right after each swap they must
    // answer as the copy just put in force.
    let probes: Vec<(Number, [Decision; 2])> = queries
        .iter()
        .zip(&expected)
        .filter(|(_, e)| e[0] != e[1])
        .map(|(n, e)| (*n, *e))
        .take(64)
        .collect();
    if !copies.is_empty() && probes.is_empty() {
        return Err(
            "--swap-every-ms: no query answers differently under the two registry copies; \
             use more --queries or a policy whose registry decides"
                .into(),
        );
    }

    use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
    let (failed_swaps, stale_after_swap) = (AtomicU64::new(0), AtomicU64::new(0));
    let mut swaps_done = 0u64;
    let mut wrong_total = 0u64;
    let mut panicked = 0u64;
    let mut results = Vec::new();
    for threads in 1..=a.threads {
        let run_for = Duration::from_secs_f64(a.seconds);
        let started = Instant::now();
        let swaps = AtomicU64::new(0);
        let mut run_panicked = 0u64;
        let per_thread: Vec<(u64, u64, Vec<u32>)> = std::thread::scope(|s| {
            let swapper = (a.swap_every_ms > 0).then(|| {
                let (guard, copies, swaps, probes, ctx) = (&guard, &copies, &swaps, &probes, &ctx);
                let (failed_swaps, stale_after_swap) = (&failed_swaps, &stale_after_swap);
                s.spawn(move || {
                    // Copy 1 is in force after the expected answers were computed.
                    let mut k = 0;
                    while started.elapsed() < run_for {
                        std::thread::sleep(Duration::from_millis(a.swap_every_ms));
                        let c = k % 2;
                        if guard
                            .swap_list("synthetic-registry", copies[c].clone(), None)
                            .is_err()
                        {
                            failed_swaps.fetch_add(1, Relaxed);
                            continue;
                        }
                        swaps.fetch_add(1, Relaxed);
                        for (n, e) in probes {
                            if guard.check_number(*n, ctx) != e[c] {
                                stale_after_swap.fetch_add(1, Relaxed);
                            }
                        }
                        k += 1;
                    }
                })
            });
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (guard, queries, ctx, expected) = (&guard, &queries, &ctx, &expected);
                    s.spawn(move || {
                        let mut lat = Vec::with_capacity(1 << 22);
                        let mut count = 0u64;
                        let mut wrong = 0u64;
                        let check = !expected.is_empty();
                        let mut i = (t * queries.len() / threads.max(1)) % queries.len();
                        let start = Instant::now();
                        let mut out = vec![Decision::ALLOW; 256];
                        loop {
                            if a.batch {
                                let end = (i + 256).min(queries.len());
                                let c0 = Instant::now();
                                guard.check_batch(&queries[i..end], ctx, &mut out);
                                let per = c0.elapsed().as_nanos() as u64 / (end - i) as u64;
                                if check {
                                    for (d, e) in out.iter().zip(&expected[i..end]) {
                                        wrong += u64::from(*d != e[0] && *d != e[1]);
                                    }
                                }
                                if lat.len() < lat.capacity() {
                                    lat.push(per.min(u64::from(u32::MAX)) as u32);
                                }
                                count += (end - i) as u64;
                                i = if end == queries.len() { 0 } else { end };
                            } else {
                                let n = queries[i];
                                let c0 = Instant::now();
                                let d = if a.reserve {
                                    guard.check_and_reserve(n, ctx).decision
                                } else {
                                    guard.check_number(n, ctx)
                                };
                                let ns = c0.elapsed().as_nanos();
                                if check {
                                    let e = &expected[i];
                                    wrong += u64::from(d != e[0] && d != e[1]);
                                }
                                if lat.len() < lat.capacity() {
                                    lat.push(ns.min(u128::from(u32::MAX)) as u32);
                                }
                                count += 1;
                                i += 1;
                                if i == queries.len() {
                                    i = 0;
                                }
                            }
                            if count % 1024 < 256 && start.elapsed() >= run_for {
                                break;
                            }
                        }
                        (count, wrong, lat)
                    })
                })
                .collect();
            let per_thread = handles
                .into_iter()
                .filter_map(|h| h.join().map_err(|_| run_panicked += 1).ok())
                .collect();
            if swapper.is_some_and(|h| h.join().is_err()) {
                run_panicked += 1;
            }
            per_thread
        });
        let elapsed = started.elapsed().as_secs_f64();
        let swapped = swaps.load(Relaxed);
        swaps_done += swapped;
        panicked += run_panicked;
        let total: u64 = per_thread.iter().map(|(c, _, _)| c).sum();
        let wrong: u64 = per_thread.iter().map(|(_, w, _)| w).sum();
        wrong_total += wrong;
        let mut lat: Vec<u32> = per_thread.into_iter().flat_map(|(_, _, l)| l).collect();
        lat.sort_unstable();
        results.push(serde_json::json!({
            "threads": threads,
            "checks": total,
            "seconds": elapsed,
            "checks_per_s": (total as f64 / elapsed).round(),
            "p50_ns": percentile(&lat, 0.50),
            "p99_ns": percentile(&lat, 0.99),
            "p999_ns": percentile(&lat, 0.999),
            "swaps": swapped,
            "wrong_verdicts": (!a.reserve).then_some(wrong),
            "panicked_threads": run_panicked,
        }));
    }
    let snap = guard.snapshot();
    let out = serde_json::json!({
        "policy": snap.name(),
        "api": if a.batch { "check_batch" } else if a.reserve { "check_and_reserve" } else { "check" },
        "registry_numbers": registry_len,
        "synthetic_registry_bytes_per_number": if a.synthetic > 0 { registry_bytes as f64 / a.synthetic as f64 } else { 0.0 },
        "history_numbers": guard.history().len(),
        "queries": queries.len(),
        "swaps": swaps_done,
        "failed_swaps": failed_swaps.load(Relaxed),
        "stale_after_swap": stale_after_swap.load(Relaxed),
        "wrong_verdicts": (!a.reserve).then_some(wrong_total),
        "panicked_threads": panicked,
        "setup_seconds": setup_s,
        "verdicts_first_100k": {"allow": verdicts[Verdict::Allow as usize], "deny": verdicts[Verdict::Deny as usize], "defer": verdicts[Verdict::Defer as usize]},
        "results": results,
    });
    println!("{out}");
    let (failed, stale) = (failed_swaps.load(Relaxed), stale_after_swap.load(Relaxed));
    if wrong_total + failed + stale + panicked > 0 {
        return Err(format!(
            "bench: {wrong_total} wrong verdicts, {stale} stale after a swap, {failed} failed swaps, \
             {panicked} panicked threads"
        ));
    }
    Ok(())
}
