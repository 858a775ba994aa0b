//! The shipped rule packs (data/packs/*.toml): each compiles alone and with the others, a
//! policy overrides a pack rule by id, and dated scenarios per pack give exact verdicts and
//! defer-until instants (holidays, lunch gaps, DST days, caps and cool-offs).

use std::path::Path;

use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::history::Outcome;
use dialguard::policy::{self, Mode, Purpose, packs};
use dialguard::{Constraints, Decision, Number, Reason, Verdict};
use jiff::Timestamp;

const NOW: i64 = 1_780_000_000;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn secs(s: &str) -> i64 {
    ts(s).as_second()
}

fn num(s: &str) -> Number {
    dialguard::number::parse(s, None).unwrap()
}

fn guard(text: &str) -> Guard {
    let snap = policy::compile_str(text, Path::new("test.toml"), NOW).unwrap();
    Guard::with_snapshot(snap, GuardOptions::default())
        .unwrap()
        .0
}

/// A guard over one pack alone.
fn pack(name: &str) -> Guard {
    guard(&format!(
        "[policy]\nname = \"t\"\ninclude = [\"builtin:{name}\"]\n"
    ))
}

/// The id of the rule that decided (deny / defer), or "-" for allow.
fn rule_of(g: &Guard, d: &Decision) -> String {
    d.rule()
        .and_then(|r| g.snapshot().rule(r).map(|m| m.id.clone()))
        .unwrap_or_else(|| "-".into())
}

#[track_caller]
fn assert_allow(g: &Guard, n: &str, ctx: &CallContext<'_>) {
    let d = g.check_number(num(n), ctx);
    assert_eq!(
        d,
        Decision::ALLOW,
        "{n} at {}: {d:?} by {}",
        ctx.now,
        rule_of(g, &d)
    );
}

#[track_caller]
fn assert_defer(
    g: &Guard,
    n: &str,
    ctx: &CallContext<'_>,
    until: &str,
    reason: Reason,
    rule: &str,
) {
    let d = g.check_number(num(n), ctx);
    assert_eq!(
        (d.verdict(), d.until(), d.reason(), rule_of(g, &d).as_str()),
        (Verdict::Defer, Some(secs(until)), Some(reason), rule),
        "{n} at {}: {d:?}",
        ctx.now
    );
}

#[track_caller]
fn assert_deny(g: &Guard, n: &str, ctx: &CallContext<'_>, reason: Reason, rule: &str) {
    let d = g.check_number(num(n), ctx);
    assert_eq!(
        (d.verdict(), d.reason(), rule_of(g, &d).as_str()),
        (Verdict::Deny, Some(reason), rule),
        "{n} at {}: {d:?}",
        ctx.now
    );
}

// ------------------------------------------------------------------ compile

#[test]
fn pack_names() {
    assert_eq!(
        packs::names(),
        [
            "builtin:it",
            "builtin:us",
            "builtin:uk",
            "builtin:fr",
            "builtin:es",
            "builtin:ca",
            "builtin:au"
        ]
    );
}

#[test]
fn every_pack_compiles_alone_with_sources_and_confidence() {
    for name in packs::names() {
        let text = format!("[policy]\nname = \"t\"\ninclude = [\"{name}\"]\n");
        let snap = policy::compile_str(&text, Path::new("t.toml"), NOW)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let rules: Vec<_> = snap.rules().iter().filter(|r| r.origin == name).collect();
        assert!(!rules.is_empty(), "{name} has no rules");
        for r in rules {
            assert!(r.source.is_some(), "{name}: {} has no source", r.id);
            if r.kind != dialguard::policy::RuleKind::Calendar {
                let c = r.confidence.as_deref();
                assert!(
                    matches!(c, Some("P" | "S" | "V" | "M")),
                    "{name}: {} has confidence {c:?}",
                    r.id
                );
            }
        }
        // The header names the pack.
        let src: dialguard::policy::source::PolicySource =
            toml::from_str(packs::text(name).unwrap()).unwrap();
        assert_eq!(src.policy.name, name);
        assert!(src.list.is_empty() && src.consent.is_empty() && src.blackout.is_empty());
    }
}

#[test]
fn all_packs_compile_together() {
    let all = packs::names()
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!("[policy]\nname = \"all\"\ninclude = [{all}]\n");
    let snap = policy::compile_str(&text, Path::new("all.toml"), NOW).unwrap();
    let mut ids: Vec<&str> = snap
        .rules()
        .iter()
        .filter(|r| r.origin.starts_with("builtin:"))
        .map(|r| r.id.as_str())
        .collect();
    let total = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), total);
    // it 5, us 28, uk 3, fr 6, es 2, ca 1, au 3
    assert_eq!(total, 5 + 28 + 3 + 6 + 2 + 1 + 3);
}

#[test]
fn a_policy_overrides_pack_rules_by_id() {
    let g = guard(
        r#"
[policy]
name = "acme"
include = ["builtin:it", "builtin:fr", "builtin:us"]

[[window]]
id = "it-code-hours"
applies_to = ["IT"]
mon-fri = ["09:00-18:00"]

[[caller_id]]
id = "it-cli"
applies_to = ["IT"]
allow_prefixes = ["+3902"]
"#,
    );
    let snap = g.snapshot();
    let meta = snap.rule(snap.rule_id("it-code-hours").unwrap()).unwrap();
    assert_eq!(meta.origin, "test.toml");
    assert_eq!(meta.source, None);
    // Pack rules not overridden stay, from their pack.
    let fr = snap.rule(snap.rule_id("fr-hours").unwrap()).unwrap();
    assert_eq!(fr.origin, "builtin:fr");
    assert_eq!(
        snap.rules()
            .iter()
            .filter(|r| r.id == "it-code-hours" || r.id == "it-cli")
            .count(),
        2
    );
    let cli = num("+39 02 9999 0000");
    let mon = CallContext::new(ts("2026-11-30T18:30:00+01:00")).caller_id(cli);
    // The pack would allow until 20:00; the override closes at 18:00 and has no calendar.
    assert_defer(
        &g,
        "+39 06 1234 5678",
        &mon,
        "2026-12-01T09:00:00+01:00",
        Reason::OutsideWindow,
        "it-code-hours",
    );
    let sat = CallContext::new(ts("2026-11-28T11:00:00+01:00")).caller_id(cli);
    assert_defer(
        &g,
        "+39 06 1234 5678",
        &sat,
        "2026-11-30T09:00:00+01:00",
        Reason::OutsideWindow,
        "it-code-hours",
    );
    // The overridden caller-ID rule: a Milan number passes, the pack's 0844 no longer does.
    let tue = CallContext::new(ts("2026-12-01T10:00:00+01:00"));
    assert_allow(&g, "+39 06 1234 5678", &tue.caller_id(cli));
    assert_deny(
        &g,
        "+39 06 1234 5678",
        &tue.caller_id(num("+39 0844 123 4567")),
        Reason::CallerId,
        "it-cli",
    );
}

// ------------------------------------------------------------------ Italy

const ROME: &str = "+39 06 1234 5678";

fn it_ctx(at: &str) -> CallContext<'static> {
    CallContext::new(ts(at)).caller_id(num("+39 0844 123 4567"))
}

#[test]
fn it_hours_holidays_and_pre_holidays() {
    let g = pack("it");
    let w = "it-code-hours";
    let r = Reason::OutsideWindow;
    assert_allow(&g, ROME, &it_ctx("2026-11-30T09:00:00+01:00"));
    assert_defer(
        &g,
        ROME,
        &it_ctx("2026-11-30T20:00:00+01:00"),
        "2026-12-01T09:00:00+01:00",
        r,
        w,
    );
    // Saturday 10-19, Sunday closed.
    assert_defer(
        &g,
        ROME,
        &it_ctx("2026-11-28T09:30:00+01:00"),
        "2026-11-28T10:00:00+01:00",
        r,
        w,
    );
    assert_defer(
        &g,
        ROME,
        &it_ctx("2026-11-28T19:00:00+01:00"),
        "2026-11-30T09:00:00+01:00",
        r,
        w,
    );
    // Easter Monday 2027 (Easter Sunday is 28 March): closed, Tuesday 09:00.
    assert_defer(
        &g,
        ROME,
        &it_ctx("2027-03-29T10:00:00+02:00"),
        "2027-03-30T09:00:00+02:00",
        r,
        w,
    );
    // San Francesco, a holiday again from 2026; first on a weekday in 2027.
    assert_defer(
        &g,
        ROME,
        &it_ctx("2027-10-04T10:00:00+02:00"),
        "2027-10-05T09:00:00+02:00",
        r,
        w,
    );
    assert_allow(&g, ROME, &it_ctx("2025-10-03T10:00:00+02:00"));
    // Christmas Eve is a pre-holiday: 10-19 even on a Thursday; then 25, 26 (Sat), Sunday.
    assert_defer(
        &g,
        ROME,
        &it_ctx("2026-12-24T09:30:00+01:00"),
        "2026-12-24T10:00:00+01:00",
        r,
        w,
    );
    assert_defer(
        &g,
        ROME,
        &it_ctx("2026-12-24T19:00:00+01:00"),
        "2026-12-28T09:00:00+01:00",
        r,
        w,
    );
    // Saturday 2 October 2027 evening: Sunday closed, Monday 4 October a holiday.
    assert_defer(
        &g,
        ROME,
        &it_ctx("2027-10-02T19:00:00+02:00"),
        "2027-10-05T09:00:00+02:00",
        r,
        w,
    );
}

#[test]
fn it_eu_dst_day() {
    let g = pack("it");
    // Saturday 28 March 2026 after 19:00 CET; clocks go forward on Sunday the 29th: the next
    // opening is Monday 09:00 CEST (07:00 UTC).
    assert_defer(
        &g,
        ROME,
        &it_ctx("2026-03-28T19:30:00+01:00"),
        "2026-03-30T07:00:00Z",
        Reason::OutsideWindow,
        "it-code-hours",
    );
}

#[test]
fn it_caller_id_prefixes() {
    let g = pack("it");
    let at = "2026-12-01T10:00:00+01:00";
    assert_allow(
        &g,
        ROME,
        &CallContext::new(ts(at)).caller_id(num("+39 0843 123 4567")),
    );
    assert_deny(
        &g,
        ROME,
        &CallContext::new(ts(at)),
        Reason::CallerId,
        "it-cli",
    );
    assert_deny(
        &g,
        ROME,
        &CallContext::new(ts(at)).caller_id(num("+39 02 9999 0000")),
        Reason::CallerId,
        "it-cli",
    );
}

#[test]
fn it_silent_call_cooloff_and_abandon_rate() {
    let g = pack("it");
    let n = num(ROME);
    g.record_outcome(
        n,
        None,
        Outcome::Abandoned,
        &it_ctx("2026-11-24T10:00:00+01:00"),
    )
    .unwrap();
    // 5 days elapsed end Sunday 29 November 10:00 (closed): Monday 09:00.
    assert_defer(
        &g,
        ROME,
        &it_ctx("2026-11-25T10:00:00+01:00"),
        "2026-11-30T09:00:00+01:00",
        Reason::Cooloff,
        "it-silent-call",
    );
    // With a live agent guaranteed the call may go, under that constraint.
    let d = g.check_number(n, &it_ctx("2026-11-25T10:00:00+01:00").mode(Mode::Preview));
    assert_eq!(
        d,
        Decision::Allow {
            constraints: Constraints::REQUIRE_LIVE_AGENT
        }
    );

    // 4 abandoned out of 100 answered in the campaign: predictive attempts wait.
    let g = pack("it");
    let at = it_ctx("2026-12-01T10:00:00+01:00").campaign("winter");
    for i in 0..100u64 {
        let callee = Number::from_e164_digits(390_212_000_000 + i).unwrap();
        let outcome = if i < 4 {
            Outcome::Abandoned
        } else {
            Outcome::Answered
        };
        g.record_outcome(callee, None, outcome, &at).unwrap();
    }
    let d = g.check_number(num("+39 02 5555 1234"), &at);
    // Every counted call ages out of the 30-day window together.
    assert_eq!(
        (d.verdict(), d.until(), d.reason(), rule_of(&g, &d).as_str()),
        (
            Verdict::Defer,
            Some(secs("2026-12-31T10:00:00+01:00")),
            Some(Reason::AbandonRate),
            "it-silent-3-per-100"
        )
    );
    assert_allow(&g, "+39 02 5555 1234", &at.mode(Mode::Preview));
}
