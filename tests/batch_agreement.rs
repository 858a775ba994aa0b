//! `Guard::check_batch` gives, for every number, the answer `check_number` gives
//! (issue 15): the batch path shares judgements between numbers of one place, so these
//! properties try to make it share one it must not — numbers under a prefix-scoped rule,
//! numbers with history, opt-outs, consents, directory lists, every list kind — on the
//! bundled IT and US policies and on a policy written to use every rule kind, at random
//! instants over two weeks (nights, weekends, holidays), in batches that cross group and
//! memo boundaries, with repeated numbers.

use std::path::Path;

use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::history::Outcome;
use dialguard::number::{self, Number};
use dialguard::policy::{Mode, Purpose, compile_file};
use dialguard::{Decision, Reason};
use jiff::Timestamp;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// 2026-11-23 00:00 UTC, a Monday; instants are drawn over the two weeks after it.
const MONDAY: i64 = 1_795_392_000;
const TWO_WEEKS: i64 = 14 * 86_400;

/// A policy using every rule kind the batch path must respect; `prefix_scope` adds a
/// window scoped to a number prefix (which turns the shared judgements off).
fn every_rule_policy(dir: &Path, prefix_scope: bool) -> std::path::PathBuf {
    let registry: String = (0..400)
        .map(|i| format!("+1212555{:04},2026-0{}-15\n", i * 7 % 10_000, 1 + i % 9))
        .collect();
    std::fs::write(dir.join("registry.txt"), registry).unwrap();
    std::fs::write(dir.join("optout.txt"), "+12125550014\n+13055550100\n").unwrap();
    std::fs::write(dir.join("directory.txt"), "+13055550101\n+13055550102\n").unwrap();
    std::fs::write(
        dir.join("consents.csv"),
        "number,kind,granted_at,expires_at,campaign\n\
         +12125550007,consent,2026-10-01,,*\n\
         +12125550021,ebr,2026-06-01,2027-12-01,*\n\
         +13055550103,consent,2026-10-01,,*\n",
    )
    .unwrap();
    let prefix = if prefix_scope {
        "[[window]]\nid = \"manhattan-late\"\napplies_to = [\"+1212\"]\nmon-fri = [\"10:00-18:00\"]\n"
    } else {
        ""
    };
    let text = format!(
        r#"
[policy]
name = "every-rule"
default_country = "US"
horizon_days = 20

[[list]]
id = "dnc"
kind = "registry"
path = "registry.txt"
applies_to = ["US"]
exemptions = ["consent", "ebr"]

[[list]]
id = "own"
kind = "optout"
path = "optout.txt"

[[list]]
id = "premium"
kind = "suppression"
prefixes = ["+1900"]

[[list]]
id = "dir"
kind = "directory"
path = "directory.txt"

[[consent]]
id = "crm"
path = "consents.csv"

[[consent_required]]
id = "fl-consent"
applies_to = ["US-FL"]
unless_listed = "dir"

[[window]]
id = "hours"
applies_to = ["US"]
mon-fri = ["08:00-21:00"]
sat = ["09:00-17:00"]
sun = []

{prefix}
[[blackout]]
id = "storm"
applies_to = ["US-TX"]
from = "2026-11-25T00:00:00-06:00"
until = "2026-11-28T00:00:00-06:00"

[[cap]]
id = "three-a-day"
applies_to = ["US-CA", "US-FL"]
max = 3
within = "24h"
key = "number"
count = "attempts"

[[cooloff]]
id = "after-abandon"
after = "abandoned"
for = "2d"
"#
    );
    let path = dir.join("policy.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Numbers the properties draw from: list members, neighbours of members, numbers of
/// many US states and of Italy, and a few foreign ones.
fn pool() -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for i in 0..60 {
        v.push(format!("+1212555{:04}", i * 7 % 10_000));
        v.push(format!("+1212555{:04}", i * 7 % 10_000 + 1));
    }
    for s in [
        "+12125550007",
        "+12125550021",
        "+12125550014",
        "+13055550100",
        "+13055550101",
        "+13055550102",
        "+13055550103",
        "+13055550104",
        "+19005550100",
        "+12015550123",
        "+12125550177",
        "+12125550100",
    ] {
        v.push(s.into());
    }
    for area in [
        201, 202, 213, 305, 312, 407, 415, 512, 646, 713, 718, 786, 808, 907, 917, 954,
    ] {
        for i in 0..6 {
            v.push(format!("+1{area}555{:04}", 100 + i * 13));
        }
    }
    for s in [
        "+390212345678",
        "+390612345678",
        "+393331234567",
        "+39899123456",
        "+390255551234",
        "+442079460000",
        "+33142685300",
    ] {
        v.push(s.into());
    }
    v
}

#[derive(Debug)]
struct Case {
    /// Indices into the pool (repeats on purpose).
    picks: Vec<usize>,
    at: i64,
    mode: Mode,
    /// Pool indices with history: (index, seconds before `at`, outcome code).
    history: Vec<(usize, i64, u8)>,
    opted_out: Vec<usize>,
}

fn case(pool_len: usize) -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(0..pool_len, 1..300),
        0..TWO_WEEKS,
        prop::sample::select(vec![Mode::Predictive, Mode::Preview]),
        prop::collection::vec((0..pool_len, 60i64..4 * 86_400, 0u8..3), 0..40),
        prop::collection::vec(0..pool_len, 0..4),
    )
        .prop_map(|(picks, at, mode, history, opted_out)| Case {
            picks,
            at: MONDAY + at,
            mode,
            history,
            opted_out,
        })
}

/// One case on a fresh guard: history and opt-outs first, then the batch against each
/// single check.
fn agree(policy: &Path, pool: &[String], c: &Case) -> Result<(), TestCaseError> {
    let at = Timestamp::from_second(c.at).unwrap();
    let snap = compile_file(policy, c.at).unwrap();
    let country = snap.default_country().cloned();
    let (guard, _) = Guard::with_snapshot(snap, GuardOptions::default()).unwrap();
    let parse = |s: &String| number::parse(s, country.as_ref()).ok();
    for &(i, ago, outcome) in &c.history {
        let Some(n) = parse(&pool[i]) else { continue };
        let then = Timestamp::from_second(c.at - ago).unwrap();
        let ctx = CallContext::new(then).mode(Mode::Manual);
        if let Some(a) = guard.check_and_reserve(n, &ctx).attempt {
            let o =
                [Outcome::Answered, Outcome::Abandoned, Outcome::NoAnswer][usize::from(outcome)];
            guard.record_outcome(n, Some(a), o, &ctx).unwrap();
        }
    }
    for &i in &c.opted_out {
        if let Some(n) = parse(&pool[i]) {
            guard.opt_out(n, at).unwrap();
        }
    }
    let numbers: Vec<Number> = c.picks.iter().filter_map(|&i| parse(&pool[i])).collect();
    let ctx = CallContext::new(at).mode(c.mode).purpose(Purpose::Sales);
    let mut out = vec![Decision::deny(Reason::Internal); numbers.len()];
    guard.check_batch(&numbers, &ctx, &mut out);
    for (n, d) in numbers.iter().zip(&out) {
        let single = guard.check_number(*n, &ctx);
        prop_assert_eq!(*d, single, "{} at {}", n, at);
    }
    Ok(())
}

fn run(policy: &Path, cases: u32) {
    let pool = pool();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&case(pool.len()), |c| agree(policy, &pool, &c))
        .unwrap();
}

fn bundled(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("policies/{name}/policy.toml"))
}

#[test]
fn batch_agrees_with_single_checks_on_the_it_policy() {
    run(&bundled("it"), 48);
}

#[test]
fn batch_agrees_with_single_checks_on_the_us_policy() {
    run(&bundled("us"), 48);
}

#[test]
fn batch_agrees_with_single_checks_on_every_rule_kind() {
    let dir = tempfile::tempdir().unwrap();
    run(&every_rule_policy(dir.path(), false), 64);
}

#[test]
fn batch_agrees_with_single_checks_under_a_prefix_scope() {
    let dir = tempfile::tempdir().unwrap();
    run(&every_rule_policy(dir.path(), true), 48);
}

/// The shared judgements must actually be taken: a batch of many numbers of one place
/// (and so one answer) agrees, and a number whose history differs from its neighbours'
/// gets its own answer, not theirs.
#[test]
fn a_number_with_history_is_not_given_its_places_answer() {
    let dir = tempfile::tempdir().unwrap();
    let policy = every_rule_policy(dir.path(), false);
    let at: Timestamp = "2026-11-24T18:00:00Z".parse().unwrap(); // Tue 10:00 in LA
    let snap = compile_file(&policy, at.as_second()).unwrap();
    let (guard, _) = Guard::with_snapshot(snap, GuardOptions::default()).unwrap();
    let ctx = CallContext::new(at);
    let la: Vec<Number> = (0..100)
        .map(|i| number::parse(&format!("+1213555{:04}", 1000 + i), None).unwrap())
        .collect();
    for _ in 0..3 {
        assert!(guard.check_and_reserve(la[50], &ctx).attempt.is_some());
    }
    let mut out = vec![Decision::deny(Reason::Internal); la.len()];
    guard.check_batch(&la, &ctx, &mut out);
    assert!(out[49].is_allow() && out[51].is_allow(), "{:?}", out[49]);
    assert_eq!(out[50].reason(), Some(Reason::Cap), "{:?}", out[50]);
    assert!(out.iter().filter(|d| d.is_allow()).count() == 99);
}
