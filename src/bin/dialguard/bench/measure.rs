//! The timed runs: N threads checking (or reserving) the queries for `--seconds`, each
//! check timed on its own and its verdict compared, outside the timed span, with the
//! answer computed before; with `--swap-every-ms` a thread swaps the registry copies
//! meanwhile and probes that checks answer as the copy just put in force.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use dialguard::guard::CallContext;
use dialguard::{Decision, Number};

use super::machine::Machine;
use super::setup::{SYNTHETIC, Setup};
use super::{BenchArgs, percentile};

/// Latencies kept per thread (the rest are counted, not timed into the percentiles).
const MAX_SAMPLES: usize = 1 << 22;

/// One thread count's result.
pub(super) struct Run {
    threads: usize,
    checks: u64,
    seconds: f64,
    latencies: Vec<u32>,
    pub swaps: u64,
    wrong: u64,
    panicked: u64,
}

impl Run {
    pub(super) fn json(&self, reserve: bool, machine: Option<&Machine>) -> serde_json::Value {
        let (p50, p99, p999) = (
            percentile(&self.latencies, 0.50),
            percentile(&self.latencies, 0.99),
            percentile(&self.latencies, 0.999),
        );
        let misses = |ns: u32| machine.map(|m| m.in_misses(ns));
        serde_json::json!({
            "threads": self.threads,
            "checks": self.checks,
            "seconds": self.seconds,
            "checks_per_s": (self.checks as f64 / self.seconds).round(),
            "p50_ns": p50,
            "p99_ns": p99,
            "p999_ns": p999,
            "p50_dram_misses": misses(p50),
            "p99_dram_misses": misses(p99),
            "p50_map_lookups": machine.map(|m| m.in_map_lookups(p50)),
            "swaps": self.swaps,
            "wrong_verdicts": (!reserve).then_some(self.wrong),
            "panicked_threads": self.panicked,
        })
    }
}

/// What every run shares.
pub(super) struct Runs<'a> {
    a: &'a BenchArgs,
    s: &'a Setup,
    ctx: &'a CallContext<'a>,
    expected: &'a [[Decision; 2]],
    probes: &'a [(Number, [Decision; 2])],
    failed_swaps: AtomicU64,
    stale_after_swap: AtomicU64,
}

impl<'a> Runs<'a> {
    pub(super) fn new(
        a: &'a BenchArgs,
        s: &'a Setup,
        ctx: &'a CallContext<'a>,
        expected: &'a [[Decision; 2]],
        probes: &'a [(Number, [Decision; 2])],
    ) -> Runs<'a> {
        Runs {
            a,
            s,
            ctx,
            expected,
            probes,
            failed_swaps: AtomicU64::new(0),
            stale_after_swap: AtomicU64::new(0),
        }
    }

    /// (wrong verdicts, failed swaps, stale answers after a swap, panicked threads).
    pub(super) fn failures(&self, runs: &[Run]) -> (u64, u64, u64, u64) {
        (
            runs.iter().map(|r| r.wrong).sum(),
            self.failed_swaps.load(Relaxed),
            self.stale_after_swap.load(Relaxed),
            runs.iter().map(|r| r.panicked).sum(),
        )
    }

    /// `threads` checking threads (and the swapper, if any) for `--seconds`.
    pub(super) fn run(&self, threads: usize) -> Run {
        let run_for = Duration::from_secs_f64(self.a.seconds);
        let started = Instant::now();
        let swaps = AtomicU64::new(0);
        let mut panicked = 0u64;
        let per_thread: Vec<(u64, u64, Vec<u32>)> = std::thread::scope(|s| {
            let swapper = (self.a.swap_every_ms > 0)
                .then(|| s.spawn(|| self.swapper(started, run_for, &swaps)));
            let handles: Vec<_> = (0..threads)
                .map(|t| s.spawn(move || self.worker(t, threads, run_for)))
                .collect();
            let per_thread = handles
                .into_iter()
                .filter_map(|h| h.join().map_err(|_| panicked += 1).ok())
                .collect();
            if swapper.is_some_and(|h| h.join().is_err()) {
                panicked += 1;
            }
            per_thread
        });
        let seconds = started.elapsed().as_secs_f64();
        let checks = per_thread.iter().map(|(c, _, _)| c).sum();
        let wrong = per_thread.iter().map(|(_, w, _)| w).sum();
        let mut latencies: Vec<u32> = per_thread.into_iter().flat_map(|(_, _, l)| l).collect();
        latencies.sort_unstable();
        Run {
            threads,
            checks,
            seconds,
            latencies,
            swaps: swaps.load(Relaxed),
            wrong,
            panicked,
        }
    }

    /// Swaps the copies every `--swap-every-ms` (copy 1 is in force after `expected`)
    /// and checks the probes right after each swap.
    fn swapper(&self, started: Instant, run_for: Duration, swaps: &AtomicU64) {
        let mut k = 0;
        while started.elapsed() < run_for {
            std::thread::sleep(Duration::from_millis(self.a.swap_every_ms));
            let c = k % 2;
            if self
                .s
                .guard
                .swap_list(SYNTHETIC, self.s.copies[c].clone(), None)
                .is_err()
            {
                self.failed_swaps.fetch_add(1, Relaxed);
                continue;
            }
            swaps.fetch_add(1, Relaxed);
            for (n, e) in self.probes {
                if self.s.guard.check_number(*n, self.ctx) != e[c] {
                    self.stale_after_swap.fetch_add(1, Relaxed);
                }
            }
            k += 1;
        }
    }

    /// One checking thread: (checks, wrong verdicts, latencies in ns).
    fn worker(&self, t: usize, threads: usize, run_for: Duration) -> (u64, u64, Vec<u32>) {
        let queries = &self.s.queries;
        let mut lat = Vec::with_capacity(MAX_SAMPLES);
        let (mut count, mut wrong) = (0u64, 0u64);
        let mut i = (t * queries.len() / threads.max(1)) % queries.len();
        let start = Instant::now();
        let size = if self.a.batch {
            self.a.batch_size.max(1)
        } else {
            1
        };
        let mut out = vec![Decision::ALLOW; size];
        loop {
            let end = if self.a.batch {
                (i + size).min(queries.len())
            } else {
                i + 1
            };
            let c0 = Instant::now();
            if self.a.batch {
                self.s
                    .guard
                    .check_batch(&queries[i..end], self.ctx, &mut out);
            } else if self.a.reserve {
                out[0] = self
                    .s
                    .guard
                    .check_and_reserve(queries[i], self.ctx)
                    .decision;
            } else {
                out[0] = self.s.guard.check_number(queries[i], self.ctx);
            }
            let per = c0.elapsed().as_nanos() / (end - i) as u128;
            if !self.expected.is_empty() {
                for (d, e) in out.iter().zip(&self.expected[i..end]) {
                    wrong += u64::from(*d != e[0] && *d != e[1]);
                }
            }
            if lat.len() < MAX_SAMPLES {
                lat.push(u32::try_from(per).unwrap_or(u32::MAX));
            }
            count += (end - i) as u64;
            i = if end == queries.len() { 0 } else { end };
            if count % 1024 < size as u64 && start.elapsed() >= run_for {
                break;
            }
        }
        (count, wrong, lat)
    }
}
