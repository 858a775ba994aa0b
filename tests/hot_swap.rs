//! Hot swap under load: readers check continuously while the registry is replaced again
//! and again (`Guard::swap_list`) and the policy reloaded. No check may fail, block or see
//! a half-swapped state, and replaced snapshots must be freed once no reader holds them.
//!
//! "Never blocks" is measured against a baseline in the same run: the readers first check
//! for a while with no swaps, then during the swaps. The rate at which checks complete
//! while a swap call is running must be at least 1/8 of the baseline rate (a swap that
//! blocks checks for its duration completes none meanwhile), and the p99 check latency
//! during swaps must stay within 8x the baseline's (checks generally slowed by swaps).
//! The worst single check is printed only: on a loaded 2-core machine it is a
//! descheduled reader (100-200 ms), with or without swaps.
//!
//! The default size is 2 M numbers per registry copy; `DIALGUARD_SWAP_BIG=1 cargo test
//! --release --test hot_swap -- --ignored` runs the same with 100 M.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::lists::NumberSet;
use dialguard::lists::synthetic::{SplitMix, clustered};
use dialguard::{Number, Reason, Verdict};

const POLICY: &str = r#"
[policy]
name = "swap"
default_country = "US"

[[list]]
id = "dnc"
kind = "registry"
path = "dnc.txt"

[[window]]
id = "always"
mon-sun = ["00:00-24:00"]
"#;

const BASELINE: u8 = 0;
const SWAPPING: u8 = 1;
const STOP: u8 = 2;
/// p99 during swaps may be at most this many times the p99 without swaps …
const MAX_P99_RATIO: u64 = 8;
/// … or this many nanoseconds, whichever is larger.
const MIN_P99_BOUND_NS: u64 = 50_000;

fn run(size: usize, swaps: usize) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.toml"), POLICY).unwrap();
    std::fs::write(dir.path().join("dnc.txt"), "+12015550123\n").unwrap();
    let (guard, _) = Guard::open(&dir.path().join("policy.toml"), GuardOptions::default()).unwrap();
    let guard = Arc::new(guard);

    // Two registry copies that share half their numbers: `both` are denied whichever copy
    // is in force, `neither` always allowed, `a_only` / `b_only` depend on the copy.
    let mut rng = SplitMix(9);
    let mut all = clustered(size * 3 / 2, Some("US"), &mut rng);
    all.sort_unstable();
    all.dedup();
    let third = all.len() / 3;
    let (a_only, rest) = all.split_at(third);
    let (b_only, both) = rest.split_at(third);
    let set_a: Vec<u64> = a_only.iter().chain(both).copied().collect();
    let set_b: Vec<u64> = b_only.iter().chain(both).copied().collect();
    let probe_both: Vec<Number> = both
        .iter()
        .step_by(97)
        .filter_map(|&d| Number::from_e164_digits(d))
        .collect();
    let neither: Vec<Number> = clustered(50_000, Some("US"), &mut SplitMix(77))
        .into_iter()
        .filter(|d| all.binary_search(d).is_err())
        .filter_map(Number::from_e164_digits)
        .collect();
    let sets = [Arc::new(set_a), Arc::new(set_b)];

    // The first copy is in force before the readers start.
    guard
        .swap_list(
            "dnc",
            NumberSet::from_numbers(sets[1].as_ref().clone()),
            None,
        )
        .unwrap();
    // 0: baseline (no swaps), 1: swapping, 2: stop.
    let phase = Arc::new(AtomicU8::new(BASELINE));
    let checks = Arc::new(AtomicU64::new(0));
    let now = "2026-11-27T16:00:00Z".parse().unwrap();
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let (guard, phase, checks) =
                (Arc::clone(&guard), Arc::clone(&phase), Arc::clone(&checks));
            let (both, neither) = (probe_both.clone(), neither.clone());
            std::thread::spawn(move || {
                let ctx = CallContext::new(now);
                let (mut i, mut worst) = (r * 7, Duration::ZERO);
                let mut failures = Vec::new();
                // Latencies (ns) per phase, capped so memory stays bounded.
                let mut lat: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
                loop {
                    let p = phase.load(Ordering::Relaxed);
                    if p == STOP {
                        break;
                    }
                    let (n, deny) = if i % 2 == 0 {
                        (both[i % both.len()], true)
                    } else {
                        (neither[i % neither.len()], false)
                    };
                    let t0 = Instant::now();
                    let d = guard.check_number(n, &ctx);
                    let took = t0.elapsed();
                    if p == SWAPPING {
                        worst = worst.max(took);
                    }
                    let l = &mut lat[usize::from(p)];
                    if l.len() < 4_000_000 {
                        l.push(took.as_nanos().min(u128::from(u32::MAX)) as u32);
                    }
                    let ok = if deny {
                        d.reason() == Some(Reason::Registry)
                    } else {
                        d.verdict() == Verdict::Allow
                    };
                    if !ok && failures.len() < 5 {
                        failures.push(format!("{n}: {d:?}"));
                    }
                    i += 1;
                    checks.fetch_add(1, Ordering::Relaxed);
                }
                (failures, worst, lat)
            })
        })
        .collect();

    // The baseline: readers check with no swap running.
    let baseline = Instant::now();
    std::thread::sleep(Duration::from_millis(700));
    let baseline_rate = checks.load(Ordering::Relaxed) as f64 / baseline.elapsed().as_secs_f64();
    phase.store(SWAPPING, Ordering::Relaxed);
    let mut replaced = Vec::new();
    // The time spent inside the swap calls, and the checks the readers completed meanwhile.
    let (mut in_swaps, mut checks_in_swaps) = (Duration::ZERO, 0u64);
    let started = Instant::now();
    for k in 0..swaps {
        let set = NumberSet::from_numbers(sets[k % 2].as_ref().clone());
        let (c0, t0) = (checks.load(Ordering::Relaxed), Instant::now());
        let old = guard.swap_list("dnc", set, None).unwrap();
        in_swaps += t0.elapsed();
        checks_in_swaps += checks.load(Ordering::Relaxed) - c0;
        replaced.push(Arc::downgrade(&old));
        drop(old);
        // The copy just put in force answers for its own numbers at once.
        let ctx = CallContext::new(now);
        let own = if k % 2 == 0 {
            a_only[k % a_only.len()]
        } else {
            b_only[k % b_only.len()]
        };
        let d = guard.check_number(Number::from_e164_digits(own).unwrap(), &ctx);
        assert_eq!(
            d.reason(),
            Some(Reason::Registry),
            "swap {k}: the new copy is not in force"
        );
        if k % 5 == 4 {
            // A whole-snapshot swap in the middle (what `reload` does after compiling).
            let same = guard.snapshot().as_ref().clone();
            let (c0, t0) = (checks.load(Ordering::Relaxed), Instant::now());
            let old = guard.swap(same);
            in_swaps += t0.elapsed();
            checks_in_swaps += checks.load(Ordering::Relaxed) - c0;
            replaced.push(Arc::downgrade(&old));
        }
    }
    let swap_time = started.elapsed();
    phase.store(STOP, Ordering::Relaxed);
    let mut lat: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
    for r in readers {
        let (failures, worst, l) = r.join().unwrap();
        assert!(
            failures.is_empty(),
            "checks saw a wrong verdict during swaps: {failures:?}"
        );
        eprintln!("reader worst single check during {swaps} swaps: {worst:?}");
        for (all, mine) in lat.iter_mut().zip(l) {
            all.extend(mine);
        }
    }
    let [base, during] = lat.map(|mut l| {
        l.sort_unstable();
        l
    });
    assert!(
        base.len() > 1000 && during.len() > 1000,
        "too few checks to compare: {} without swaps, {} during",
        base.len(),
        during.len()
    );
    let p99 = |l: &[u32]| l[(l.len() - 1) * 99 / 100];
    let (p99_base, p99_swap) = (p99(&base), p99(&during));
    eprintln!(
        "p99 check latency: {p99_base} ns without swaps ({} checks), {p99_swap} ns during swaps ({} checks), ratio {:.2}",
        base.len(),
        during.len(),
        f64::from(p99_swap) / f64::from(p99_base.max(1))
    );
    // Generous for a loaded 2-core machine (the swapping thread competes with the
    // readers for the cores and the cache), with a floor for very fast baselines.
    let bound = (u64::from(p99_base) * MAX_P99_RATIO).max(MIN_P99_BOUND_NS);
    // A swap that blocked checks while it ran shows as readers completing (almost) no
    // checks inside the swap calls. That is only measurable when the calls took a while
    // in total (5 ms; a swap is a snapshot clone and a pointer exchange); then the check
    // rate inside them must be at least 1/8 of the rate without swaps. (Measured on the
    // loaded 2-core VM: about 0.5 of it normally; 0.075 when checks took the writer lock
    // and each swap held it for 50 ms: the readers that run between the lock's release
    // and the swapper reading the counter are counted too.)
    let rate_in_swaps = checks_in_swaps as f64 / in_swaps.as_secs_f64().max(1e-9);
    eprintln!(
        "{checks_in_swaps} checks completed during {in_swaps:?} inside the swap calls \
         ({rate_in_swaps:.0}/s; {baseline_rate:.0}/s without swaps)"
    );
    if in_swaps >= Duration::from_millis(5) {
        assert!(
            rate_in_swaps >= baseline_rate / 8.0,
            "checks were blocked by the swaps: {checks_in_swaps} checks in {in_swaps:?} inside \
             the swap calls ({rate_in_swaps:.0}/s) vs {baseline_rate:.0}/s without swaps"
        );
    } else {
        eprintln!("the swap calls took {in_swaps:?} in all: too short to measure blocking");
    }
    assert!(
        u64::from(p99_swap) <= bound,
        "checks were slowed down by the swaps: p99 {p99_swap} ns during swaps vs {p99_base} ns \
         without (bound {bound} ns = {MAX_P99_RATIO}x, at least {MIN_P99_BOUND_NS} ns)"
    );
    assert!(
        checks.load(Ordering::Relaxed) > 1000,
        "readers ran during the swaps"
    );
    // Every replaced snapshot is freed once no reader holds it (the readers are done).
    assert!(
        replaced.iter().all(|w| w.upgrade().is_none()),
        "a replaced snapshot is still alive"
    );
    eprintln!(
        "{swaps} swaps of {} numbers in {swap_time:?}",
        sets[0].len()
    );
}

#[test]
fn registry_swaps_under_load_fail_no_check_and_free_old_copies() {
    run(2_000_000, 20);
}

#[test]
#[ignore = "100 M numbers per copy: several GB of RAM and minutes; run with DIALGUARD_SWAP_BIG=1 --release"]
fn registry_swaps_under_load_at_national_scale() {
    let size = if std::env::var_os("DIALGUARD_SWAP_BIG").is_some() {
        100_000_000
    } else {
        10_000_000
    };
    run(size, 6);
}
