//! Public API that no other test drove: `CallContext::known_region` / `known_zone`,
//! `Guard::sweep`, `Guard::history`, `Guard::swap_list`'s unknown-list error and its
//! snapshot date, and `Guard::explain` called directly.

use std::path::Path;

use dialguard::guard::{CallContext, Guard, GuardError, GuardOptions, StepOutcome};
use dialguard::history::Outcome;
use dialguard::lists::NumberSet;
use dialguard::number::{RegionId, ZoneId};
use dialguard::{Decision, Number, Reason, Verdict};
use jiff::Timestamp;

fn guard_for(policy: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, Guard) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.toml"), policy).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let (g, _) = Guard::open(&dir.path().join("policy.toml"), GuardOptions::default()).unwrap();
    (dir, g)
}

fn n(s: &str) -> Number {
    dialguard::number::parse(s, None).unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const NEW_YORK: &str = "+1 212 555 0143";

/// Calling hours 09:00-20:00 every day; a blackout only for Florida.
const REGIONAL: &str = r#"
[policy]
name = "regional"
default_country = "US"

[[window]]
id = "hours"
mon-sun = ["09:00-20:00"]

[[blackout]]
id = "fl-storm"
applies_to = ["US-FL"]
from = "2026-11-01T00:00:00Z"
"#;

#[test]
fn known_region_adds_the_rules_of_that_region() {
    let (_d, g) = guard_for(REGIONAL, &[]);
    // 10:00 in New York.
    let ctx = CallContext::new(at("2026-11-27T15:00:00Z"));
    assert_eq!(g.check_number(n(NEW_YORK), &ctx).verdict(), Verdict::Allow);
    // The callee's address on file is in Florida: the Florida blackout applies too.
    let fl = RegionId::from_code("US-FL").unwrap();
    let d = g.check_number(n(NEW_YORK), &ctx.known_region(fl));
    assert_eq!(d.reason(), Some(Reason::Blackout), "{d:?}");
    assert_eq!(d.rule(), g.snapshot().rule_id("fl-storm"));
    // Another region changes nothing.
    let tx = RegionId::from_code("US-TX").unwrap();
    assert_eq!(
        g.check_number(n(NEW_YORK), &ctx.known_region(tx)).verdict(),
        Verdict::Allow
    );
}

#[test]
fn known_zone_must_also_be_inside_the_window() {
    let (_d, g) = guard_for(REGIONAL, &[]);
    // 09:30 in New York, 06:30 in Los Angeles.
    let ctx = CallContext::new(at("2026-11-27T14:30:00Z"));
    assert_eq!(g.check_number(n(NEW_YORK), &ctx).verdict(), Verdict::Allow);
    let la = ZoneId::from_name("America/Los_Angeles").unwrap();
    let d = g.check_number(n(NEW_YORK), &ctx.known_zone(la));
    assert_eq!(d.reason(), Some(Reason::OutsideWindow), "{d:?}");
    // Until 09:00 in Los Angeles = 17:00 UTC, when both zones are inside.
    assert_eq!(d.until(), Some(at("2026-11-27T17:00:00Z")));
    // The number's own zone still counts: known zone Chicago (08:30) defers to 09:00 CT.
    let chicago = ZoneId::from_name("America/Chicago").unwrap();
    let d = g.check_number(n(NEW_YORK), &ctx.known_zone(chicago));
    assert_eq!(d.until(), Some(at("2026-11-27T15:00:00Z")));
    // And at 19:30 New York (16:30 LA) the number's zone closes first.
    let late = CallContext::new(at("2026-11-28T00:30:00Z")).known_zone(la);
    assert_eq!(g.check_number(n(NEW_YORK), &late).verdict(), Verdict::Allow);
    let later = CallContext::new(at("2026-11-28T01:30:00Z")).known_zone(la);
    assert_eq!(
        g.check_number(n(NEW_YORK), &later).reason(),
        Some(Reason::OutsideWindow)
    );
}

const CAPPED: &str = r#"
[policy]
name = "capped"
default_country = "US"

[[window]]
id = "always"
mon-sun = ["00:00-24:00"]

[[cap]]
id = "two-a-day"
max = 2
within = "24h"
"#;

#[test]
fn history_shows_reservations_and_sweep_drops_what_no_rule_needs() {
    let (_d, g) = guard_for(CAPPED, &[]);
    let t0 = at("2026-11-27T15:00:00Z");
    let ctx = CallContext::new(t0).campaign("c1");
    assert!(g.history().is_empty());
    let numbers = [
        n("+1 212 555 0101"),
        n("+1 212 555 0102"),
        n("+1 305 555 0103"),
    ];
    for x in numbers {
        let r = g.check_and_reserve(x, &ctx);
        assert!(r.decision.is_allow() && r.attempt.is_some(), "{r:?}");
    }
    let r = g.check_and_reserve(numbers[0], &ctx);
    assert!(r.decision.is_allow());
    assert_eq!(g.history().len(), 3);
    let mut seen = Vec::new();
    g.history().for_each(|digits, events| {
        seen.push((digits, events.len()));
        for e in events {
            assert_eq!(e.instant(), t0.as_second());
            assert_eq!(e.campaign(), dialguard::history::Tag::of("c1"));
            assert_eq!(e.outcome(), None, "a reservation has no outcome yet");
        }
    });
    seen.sort_unstable();
    let mut want: Vec<(u64, usize)> = numbers.iter().map(|x| (x.get(), 1)).collect();
    want[0].1 = 2;
    want.sort_unstable();
    assert_eq!(seen, want);
    // The cap reads this history: the first number has had its two calls.
    assert_eq!(g.check_number(numbers[0], &ctx).reason(), Some(Reason::Cap));

    // One hour later everything is still needed by the 24 h cap.
    assert_eq!(g.sweep(at("2026-11-27T16:00:00Z")), 0);
    assert_eq!(g.history().len(), 3);
    // A fresh call to one number the next day keeps that number.
    let next_day = CallContext::new(at("2026-11-28T14:00:00Z"));
    assert!(
        g.check_and_reserve(numbers[2], &next_day)
            .decision
            .is_allow()
    );
    // 25 hours after the first calls they are beyond every rule: two numbers go.
    assert_eq!(g.sweep(at("2026-11-28T16:00:00Z")), 2);
    assert_eq!(g.history().len(), 1);
    let mut left = Vec::new();
    g.history().for_each(|digits, _| left.push(digits));
    assert_eq!(left, vec![numbers[2].get()]);
    assert_eq!(g.sweep(at("2026-12-10T00:00:00Z")), 1);
    assert!(g.history().is_empty());
}

const DATED: &str = r#"
[policy]
name = "dated"
default_country = "US"

[[list]]
id = "dnc"
kind = "registry"
path = "dnc.txt"
snapshot_date = "2026-11-25"
max_age_days = 15

[[list]]
id = "own-optout"
kind = "optout"
path = "optout.txt"

[[window]]
id = "always"
mon-sun = ["00:00-24:00"]
"#;

fn days(date: &str) -> i32 {
    let t: Timestamp = format!("{date}T00:00:00Z").parse().unwrap();
    (t.as_second() / 86_400) as i32
}

#[test]
fn swap_list_refuses_an_unknown_list_and_keeps_the_snapshot() {
    let (_d, g) = guard_for(
        DATED,
        &[
            ("dnc.txt", "+12125550101\n"),
            ("optout.txt", "+12125550199\n"),
        ],
    );
    let before = g.snapshot().version();
    let set = NumberSet::from_numbers(vec![12_125_550_102]);
    match g.swap_list("no-such-list", set, None) {
        Err(e @ GuardError::UnknownList(_)) => {
            assert!(matches!(&e, GuardError::UnknownList(id) if id == "no-such-list"));
            assert_eq!(
                e.to_string(),
                "no list with id \"no-such-list\" in the policy; swap_list replaces a [[list]] by its id"
            );
        }
        other => panic!("expected UnknownList, got {:?}", other.map(|s| s.version())),
    }
    assert_eq!(
        g.snapshot().version(),
        before,
        "a failed swap changed the policy"
    );
    let ctx = CallContext::new(at("2026-11-27T15:00:00Z"));
    assert_eq!(
        g.check_number(n("+1 212 555 0101"), &ctx).reason(),
        Some(Reason::Registry)
    );
    // A rule that is not a list is not a list either.
    let set = NumberSet::from_numbers(vec![12_125_550_102]);
    assert!(matches!(
        g.swap_list("always", set, None),
        Err(GuardError::UnknownList(_))
    ));
}

#[test]
fn swap_list_replaces_numbers_and_its_snapshot_date_decides_freshness() {
    let (_d, g) = guard_for(
        DATED,
        &[
            ("dnc.txt", "+12125550101\n"),
            ("optout.txt", "+12125550199\n"),
        ],
    );
    let ctx = CallContext::new(at("2026-11-27T15:00:00Z"));
    let (old, new, other) = (
        n("+1 212 555 0101"),
        n("+1 212 555 0102"),
        n("+1 212 555 0103"),
    );
    assert_eq!(g.check_number(old, &ctx).reason(), Some(Reason::Registry));
    assert_eq!(g.check_number(new, &ctx).verdict(), Verdict::Allow);

    // A fresh copy with a new number and without the old one, taken yesterday.
    let set = NumberSet::from_numbers(vec![new.get()]);
    g.swap_list("dnc", set, Some(days("2026-11-26"))).unwrap();
    assert_eq!(g.check_number(old, &ctx).verdict(), Verdict::Allow);
    assert_eq!(g.check_number(new, &ctx).reason(), Some(Reason::Registry));

    // A copy taken 2026-11-01 is 26 days old on 27 November: beyond max_age_days = 15,
    // nobody in its scope may be called.
    let set = NumberSet::from_numbers(vec![new.get()]);
    g.swap_list("dnc", set, Some(days("2026-11-01"))).unwrap();
    for x in [old, new, other] {
        assert_eq!(g.check_number(x, &ctx).reason(), Some(Reason::StaleList));
    }
    // Without a date the list keeps the date it had: still stale.
    let set = NumberSet::from_numbers(vec![new.get()]);
    g.swap_list("dnc", set, None).unwrap();
    assert_eq!(
        g.check_number(other, &ctx).reason(),
        Some(Reason::StaleList)
    );
    // On 2026-11-10 the same copy was 9 days old: fresh.
    let ctx16 = CallContext::new(at("2026-11-10T15:00:00Z"));
    let d = g.check_number(other, &ctx16);
    assert_eq!(d.verdict(), Verdict::Allow, "{d:?}");

    // The opt-out list is swapped the same way (by its id).
    assert_eq!(
        g.check_number(n("+1 212 555 0199"), &ctx16).reason(),
        Some(Reason::OptOut)
    );
    g.swap_list(
        "own-optout",
        NumberSet::from_numbers(vec![other.get()]),
        None,
    )
    .unwrap();
    assert_eq!(g.check_number(other, &ctx16).reason(), Some(Reason::OptOut));
    assert_eq!(
        g.check_number(n("+1 212 555 0199"), &ctx16).verdict(),
        Verdict::Allow
    );
}

#[test]
fn explain_reports_the_decision_and_the_rule_that_made_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (g, _) = Guard::open(
        &root.join("policies/it/policy.toml"),
        GuardOptions::default(),
    )
    .unwrap();
    let snap = g.snapshot();
    let cli = dialguard::number::parse("+39 02 9999 0000", None).unwrap();
    let fri = CallContext::new(at("2026-11-27T09:00:00Z"))
        .campaign("winter-offers")
        .caller_id(cli);
    let sat = CallContext::new(at("2026-11-28T18:30:00Z"))
        .campaign("winter-offers")
        .caller_id(cli);
    let rule = |id: &str| snap.rule_id(id).unwrap();

    // On the registry: deny, and the step of `rpo` says so.
    let x = n("+39 02 1234 5678");
    let e = g.explain(x, &fri);
    assert_eq!(e.number, x);
    assert_eq!(e.decision, g.check_number(x, &fri));
    assert_eq!(e.decision.reason(), Some(Reason::Registry));
    assert_eq!(e.snapshot.version(), snap.version());
    let rpo: Vec<_> = e.steps.iter().filter(|s| s.rule == rule("rpo")).collect();
    assert_eq!(rpo.len(), 1, "{:?}", e.steps);
    assert_eq!(rpo[0].outcome, StepOutcome::Deny(Reason::Registry));
    assert!(!rpo[0].detail.is_empty());

    // Allowed: the window and the caller-ID rule pass, nothing denies or defers.
    let x = n("+39 02 5555 1234");
    let e = g.explain(x, &fri);
    assert_eq!(e.decision, Decision::ALLOW);
    let outcome = |id: &str| {
        e.steps
            .iter()
            .find(|s| s.rule == rule(id))
            .unwrap_or_else(|| panic!("no step for {id}: {:?}", e.steps))
            .outcome
    };
    assert_eq!(outcome("it-code-hours"), StepOutcome::Pass);
    assert_eq!(outcome("it-cli"), StepOutcome::Pass);
    assert_eq!(outcome("rpo"), StepOutcome::Pass);
    assert!(
        e.steps
            .iter()
            .all(|s| !matches!(s.outcome, StepOutcome::Deny(_) | StepOutcome::Defer(..))),
        "{:?}",
        e.steps
    );

    // Saturday 19:30: the window defers to Monday 09:00, the same instant as the decision.
    let e = g.explain(x, &sat);
    assert_eq!(e.decision, g.check_number(x, &sat));
    let until = e.decision.until().unwrap();
    assert_eq!(until, at("2026-11-30T08:00:00Z"));
    let hours = e
        .steps
        .iter()
        .find(|s| s.rule == rule("it-code-hours"))
        .unwrap();
    assert_eq!(
        hours.outcome,
        StepOutcome::Defer(Reason::OutsideWindow, until)
    );
}

#[test]
fn history_records_outcomes_given_without_a_reservation() {
    let (_d, g) = guard_for(CAPPED, &[]);
    let ctx = CallContext::new(at("2026-11-27T15:00:00Z"));
    let x = n("+1 212 555 0177");
    g.record_outcome(x, None, Outcome::NoAnswer, &ctx).unwrap();
    let mut got = Vec::new();
    g.history()
        .for_each(|d, ev| got.push((d, ev.iter().map(|e| e.outcome()).collect::<Vec<_>>())));
    assert_eq!(got, vec![(x.get(), vec![Some(Outcome::NoAnswer)])]);
}
