//! Hot swap under load: readers check continuously while the registry is replaced again
//! and again (`Guard::swap_list`) and the policy reloaded. No check may fail, block or see
//! a half-swapped state, and replaced snapshots must be freed once no reader holds them.
//!
//! The default size is 2 M numbers per registry copy; `DIALGUARD_SWAP_BIG=1 cargo test
//! --release --test hot_swap -- --ignored` runs the same with 100 M.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    let stop = Arc::new(AtomicBool::new(false));
    let checks = Arc::new(AtomicU64::new(0));
    let now = "2026-11-27T16:00:00Z".parse().unwrap();
    let readers: Vec<_> = (0..2)
        .map(|r| {
            let (guard, stop, checks) =
                (Arc::clone(&guard), Arc::clone(&stop), Arc::clone(&checks));
            let (both, neither) = (probe_both.clone(), neither.clone());
            std::thread::spawn(move || {
                let ctx = CallContext::new(now);
                let (mut i, mut worst) = (r * 7, Duration::ZERO);
                let mut failures = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let (n, deny) = if i % 2 == 0 {
                        (both[i % both.len()], true)
                    } else {
                        (neither[i % neither.len()], false)
                    };
                    let t0 = Instant::now();
                    let d = guard.check_number(n, &ctx);
                    worst = worst.max(t0.elapsed());
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
                (failures, worst)
            })
        })
        .collect();

    let mut replaced = Vec::new();
    let started = Instant::now();
    for k in 0..swaps {
        let set = NumberSet::from_numbers(sets[k % 2].as_ref().clone());
        let old = guard.swap_list("dnc", set, None).unwrap();
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
            replaced.push(Arc::downgrade(&guard.swap(same)));
        }
    }
    let swap_time = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        let (failures, worst) = r.join().unwrap();
        assert!(
            failures.is_empty(),
            "checks saw a wrong verdict during swaps: {failures:?}"
        );
        eprintln!("reader worst single check during {swaps} swaps: {worst:?}");
    }
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
