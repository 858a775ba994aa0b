//! `dialguard bench --suite`: the issue-15 figures from one command. After the usual
//! `check` runs, the same queries go through `check_batch` and then
//! `check_and_reserve` (last: it records attempts) on the same data, and a `suite`
//! object gives every figure as a ratio measured in this run: latencies in the machine's
//! own dependent DRAM misses, the batch's numbers/s over a loop of `check`'s, and the
//! registry's bytes per number.

use dialguard::Decision;
use dialguard::guard::CallContext;

use super::BenchArgs;
use super::machine::Machine;
use super::measure::{Run, Runs};
use super::setup::Setup;

/// The other two APIs' runs, in the order they ran.
pub(super) struct Suite {
    batch: Vec<Run>,
    reserve: Vec<Run>,
}

impl Suite {
    /// Runs `check_batch` (verdicts checked against `expected`) then
    /// `check_and_reserve`, each at 1..=`--threads` threads.
    pub(super) fn run(
        a: &BenchArgs,
        s: &Setup,
        ctx: &CallContext<'_>,
        expected: &[[Decision; 2]],
    ) -> Suite {
        let batch_args = BenchArgs {
            batch: true,
            ..a.clone()
        };
        let runs = Runs::new(&batch_args, s, ctx, expected, &[]);
        let batch = (1..=a.threads).map(|t| runs.run(t)).collect();
        let reserve_args = BenchArgs {
            reserve: true,
            ..a.clone()
        };
        let runs = Runs::new(&reserve_args, s, ctx, &[], &[]);
        let reserve = (1..=a.threads).map(|t| runs.run(t)).collect();
        Suite { batch, reserve }
    }

    /// Wrong batch verdicts (the reservations' verdicts change as they record).
    pub(super) fn wrong(&self) -> u64 {
        self.batch.iter().map(Run::wrong).sum()
    }

    /// The `suite` object (docs/cli.md).
    pub(super) fn json(
        &self,
        check: &[Run],
        machine: Option<&Machine>,
        registry_bytes_per_number: f64,
    ) -> serde_json::Value {
        let one = |runs: &[Run]| runs.first().map(|r| (r.p50(), r.p99(), r.per_s()));
        let misses = |ns: Option<u32>| ns.zip(machine).map(|(ns, m)| m.in_misses(ns));
        let (c, b, r) = (one(check), one(&self.batch), one(&self.reserve));
        let ratio = |x: Option<f64>, y: Option<f64>| {
            x.zip(y)
                .filter(|&(_, y)| y > 0.0)
                .map(|(x, y)| (x / y * 100.0).round() / 100.0)
        };
        serde_json::json!({
            "check_batch": self.batch.iter().map(|r| r.json(false, machine)).collect::<Vec<_>>(),
            "check_and_reserve": self.reserve.iter().map(|r| r.json(true, machine)).collect::<Vec<_>>(),
            "ratios": {
                "check_p50_dram_misses": misses(c.map(|c| c.0)),
                "check_p99_dram_misses": misses(c.map(|c| c.1)),
                "reserve_p50_dram_misses": misses(r.map(|r| r.0)),
                "reserve_p99_dram_misses": misses(r.map(|r| r.1)),
                "batch_numbers_per_s": b.map(|b| b.2.round()),
                "batch_per_s_over_check_per_s": ratio(b.map(|b| b.2), c.map(|c| c.2)),
                "registry_bytes_per_number": registry_bytes_per_number,
            },
        })
    }
}
