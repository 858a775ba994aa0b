//! The shipped rule packs (data/packs/*.toml): each compiles alone and with the others, a
//! policy overrides a pack rule by id, and dated scenarios per pack give exact verdicts and
//! defer-until instants (holidays, lunch gaps, DST days, caps and cool-offs).

use std::path::Path;

use dialguard::guard::CallContext;
use dialguard::history::Outcome;
use dialguard::policy::{self, Mode, Purpose, packs};
use dialguard::{Constraints, Decision, Number, Reason, Verdict};
use jiff::Timestamp;

mod pack_support;
use pack_support::*;

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
    // it 7, us 34, uk 4, fr 8, es 5, ca 2, au 4
    assert_eq!(total, 7 + 34 + 4 + 8 + 5 + 2 + 4);
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

[[list]]
id = "it-public-directory"
kind = "directory"
prefixes = ["+39"]
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
    // The code's hours bind sales calls; a survey call on a Sunday is not deferred by them.
    // (A survey shows a 0843 caller ID: L. 5/2018 art. 2.)
    assert_allow(
        &g,
        ROME,
        &it_ctx("2026-11-29T11:00:00+01:00")
            .purpose(Purpose::Survey)
            .caller_id(num("+39 0843 123 4567")),
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
    // 0843 is for statistical surveys, not sales (L. 5/2018 art. 2): see tests/packs_law.rs.
    assert_deny(
        &g,
        ROME,
        &CallContext::new(ts(at)).caller_id(num("+39 0843 123 4567")),
        Reason::CallerId,
        "it-cli",
    );
    assert_allow(
        &g,
        ROME,
        &CallContext::new(ts(at)).caller_id(num("+39 0844 123 4567")),
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
    // 5 days elapsed end Sunday 29 November 10:00 (closed): Monday 09:00, and only with an
    // operator (Garante 2014): a predictive attempt is denied, a preview one deferred.
    assert_deny(
        &g,
        ROME,
        &it_ctx("2026-11-25T10:00:00+01:00"),
        Reason::Cooloff,
        "it-silent-call",
    );
    assert_defer(
        &g,
        ROME,
        &it_ctx("2026-11-25T10:00:00+01:00").mode(Mode::Preview),
        "2026-11-30T09:00:00+01:00",
        Reason::Cooloff,
        "it-silent-call",
    );
    let d = g.check_number(n, &it_ctx("2026-11-30T09:00:00+01:00").mode(Mode::Preview));
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
            Some(ts("2026-12-31T10:00:00+01:00")),
            Some(Reason::AbandonRate),
            "it-silent-3-per-100"
        )
    );
    assert_allow(&g, "+39 02 5555 1234", &at.mode(Mode::Preview));
}

#[test]
fn it_abandon_rate_edges() {
    // (abandoned, calls answered by a person including the abandoned ones) → deferred?
    for (abandoned, answered, deferred) in [(3, 100, false), (4, 99, true), (4, 100, true)] {
        let g = pack("it");
        let at = it_ctx("2026-12-01T10:00:00+01:00").campaign("winter");
        for i in 0..answered {
            let callee = Number::from_e164_digits(390_212_000_000 + i).unwrap();
            let outcome = if i < abandoned {
                Outcome::Abandoned
            } else {
                Outcome::Answered
            };
            g.record_outcome(callee, None, outcome, &at).unwrap();
        }
        let d = g.check_number(num("+39 02 5555 1234"), &at);
        assert_eq!(
            d.reason() == Some(Reason::AbandonRate),
            deferred,
            "{abandoned}/{answered}: {d:?}"
        );
        assert_eq!(d.is_allow(), !deferred, "{abandoned}/{answered}: {d:?}");
    }
}

// ------------------------------------------------------------------ United States

/// A consent file with these numbers (consent kind, no expiry, any campaign), in a fresh
/// directory; returns its absolute path for a `[[consent]]` table.
fn consent_file(tag: &str, numbers: &[&str]) -> String {
    let dir = std::env::temp_dir().join(format!("dialguard-packs-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("consents.csv");
    let mut text = String::from("number,kind,granted_at,expires_at,campaign\n");
    for n in numbers {
        text.push_str(&format!("{n},consent,2026-01-01,,*\n"));
    }
    std::fs::write(&path, text).unwrap();
    path.display().to_string().replace('\\', "/")
}

/// A US sales call that transmits caller ID (47 CFR 64.1601(e)) in preview mode (predictive
/// sales calls need prior express written consent, 47 CFR 64.1200(a)(2): tests/packs_law.rs).
fn us_ctx(at: Timestamp) -> CallContext<'static> {
    CallContext::new(at)
        .caller_id(num("+1 202 555 0199"))
        .mode(Mode::Preview)
}

const NYC: &str = "+1 212 555 0100";
const MIAMI: &str = "+1 305 555 0100";

#[test]
fn us_florida_is_stricter_than_federal() {
    let g = pack("us");
    let at = us_ctx(ts("2026-11-30T20:30:00-05:00"));
    // Federal hours run to 21:00; Florida's sales hours end at 20:00.
    assert_allow(&g, NYC, &at);
    assert_defer(
        &g,
        MIAMI,
        &at,
        "2026-12-01T08:00:00-05:00",
        Reason::OutsideWindow,
        "us-fl-hours",
    );
    // A collection call is under federal (Reg F) hours only.
    assert_allow(&g, MIAMI, &at.purpose(Purpose::Collection));
    assert_defer(
        &g,
        MIAMI,
        &us_ctx(ts("2026-11-30T21:00:00-05:00")).purpose(Purpose::Collection),
        "2026-12-01T08:00:00-05:00",
        Reason::OutsideWindow,
        "us-federal-hours",
    );
}

#[test]
fn us_florida_three_calls_per_24_hours_same_subject() {
    let g = pack("us");
    let n = num(MIAMI);
    for h in ["10", "11", "12"] {
        let ctx = us_ctx(ts(&format!("2026-11-30T{h}:00:00-05:00"))).subject("solar");
        assert!(g.check_and_reserve(n, &ctx).attempt.is_some());
    }
    let fourth = us_ctx(ts("2026-11-30T13:00:00-05:00")).subject("solar");
    assert_defer(
        &g,
        MIAMI,
        &fourth,
        "2026-12-01T10:00:00-05:00",
        Reason::Cap,
        "us-fl-3-per-24h",
    );
    // Another subject matter is counted apart.
    assert_allow(&g, MIAMI, &fourth.subject("insurance"));
}

#[test]
fn us_state_hours() {
    let g = pack("us");
    let r = Reason::OutsideWindow;
    // Connecticut 09-20 (since 1 Oct 2023).
    let ct = "+1 203 555 0100";
    assert_defer(
        &g,
        ct,
        &us_ctx(ts("2026-12-01T08:30:00-05:00")),
        "2026-12-01T09:00:00-05:00",
        r,
        "us-ct-hours",
    );
    assert_allow(&g, ct, &us_ctx(ts("2026-12-01T09:00:00-05:00")));
    // Maryland 08-20.
    assert_defer(
        &g,
        "+1 410 555 0100",
        &us_ctx(ts("2026-12-01T20:00:00-05:00")),
        "2026-12-02T08:00:00-05:00",
        r,
        "us-md-hours",
    );
    // Texas: Sunday from noon [M].
    let tx = "+1 512 555 0100";
    assert_defer(
        &g,
        tx,
        &us_ctx(ts("2026-11-29T11:00:00-06:00")),
        "2026-11-29T12:00:00-06:00",
        r,
        "us-tx-hours",
    );
    assert_defer(
        &g,
        tx,
        &us_ctx(ts("2026-11-28T08:30:00-06:00")),
        "2026-11-28T09:00:00-06:00",
        r,
        "us-tx-hours",
    );
    // Rhode Island: Saturday 10-17; Victory Day (2nd Monday of August); election day.
    let ri = "+1 401 555 0100";
    assert_defer(
        &g,
        ri,
        &us_ctx(ts("2026-11-28T09:30:00-05:00")),
        "2026-11-28T10:00:00-05:00",
        r,
        "us-ri-hours",
    );
    assert_defer(
        &g,
        ri,
        &us_ctx(ts("2026-11-28T17:00:00-05:00")),
        "2026-11-30T09:00:00-05:00",
        r,
        "us-ri-hours",
    );
    assert_defer(
        &g,
        ri,
        &us_ctx(ts("2026-08-10T10:00:00-04:00")),
        "2026-08-11T09:00:00-04:00",
        r,
        "us-ri-hours",
    );
    assert_defer(
        &g,
        ri,
        &us_ctx(ts("2026-11-03T10:00:00-05:00")),
        "2026-11-04T09:00:00-05:00",
        r,
        "us-ri-hours",
    );
    // Alabama: 4 July 2026 is a Saturday, observed Friday the 3rd; then Sunday.
    let al = "+1 205 555 0100";
    assert_defer(
        &g,
        al,
        &us_ctx(ts("2026-07-03T10:00:00-05:00")),
        "2026-07-06T08:00:00-05:00",
        r,
        "us-al-hours",
    );
    // Louisiana: Mardi Gras 2027 (Easter - 47 = 9 February).
    let la = "+1 504 555 0100";
    assert_defer(
        &g,
        la,
        &us_ctx(ts("2027-02-09T10:00:00-06:00")),
        "2027-02-10T08:00:00-06:00",
        r,
        "us-la-hours",
    );
    // Mississippi: no Sundays; from 09:00 local (8 a.m. "Central Standard Time" is 09:00 CDT
    // in summer, and the stricter reading holds all year).
    assert_defer(
        &g,
        "+1 601 555 0100",
        &us_ctx(ts("2026-11-29T10:00:00-06:00")),
        "2026-11-30T09:00:00-06:00",
        r,
        "us-ms-hours",
    );
}

#[test]
fn us_utah_sundays_and_holidays_waived_by_consent() {
    let consents = consent_file("ut", &["+18015550199"]);
    let g = guard(&format!(
        "[policy]\nname = \"t\"\ninclude = [\"builtin:us\"]\n\n[[consent]]\nid = \"crm\"\npath = \"{consents}\"\n"
    ));
    let ut = "+1 801 555 0100";
    let r = Reason::OutsideWindow;
    assert_defer(
        &g,
        ut,
        &us_ctx(ts("2026-11-29T10:00:00-07:00")),
        "2026-11-30T08:00:00-07:00",
        r,
        "us-ut-hours",
    );
    // Pioneer Day, Friday 24 July 2026: closed; Saturday 08:00.
    assert_defer(
        &g,
        ut,
        &us_ctx(ts("2026-07-24T10:00:00-06:00")),
        "2026-07-25T08:00:00-06:00",
        r,
        "us-ut-hours",
    );
    // Prior express consent lifts the Sunday ban (federal hours still apply).
    assert_allow(
        &g,
        "+1 801 555 0199",
        &us_ctx(ts("2026-11-29T10:00:00-07:00")),
    );
    assert_defer(
        &g,
        "+1 801 555 0199",
        &us_ctx(ts("2026-11-29T07:00:00-07:00")),
        "2026-11-29T08:00:00-07:00",
        r,
        "us-federal-hours",
    );
}

#[test]
fn us_dst_day() {
    let g = pack("us");
    // Saturday 7 March 2026 21:30 EST; clocks go forward at 02:00 on Sunday the 8th, so
    // 08:00 EDT is 12:00 UTC (it would be 13:00 UTC the day before).
    assert_defer(
        &g,
        NYC,
        &us_ctx(ts("2026-03-08T02:30:00Z")),
        "2026-03-08T12:00:00Z",
        Reason::OutsideWindow,
        "us-federal-hours",
    );
    assert_allow(&g, NYC, &us_ctx(ts("2026-03-08T12:00:00Z")));
}

#[test]
fn us_regulation_f_seven_calls_in_seven_days() {
    let g = pack("us");
    // Without the federal window the cap's own instant shows: the start of the local day.
    let no_hours = guard(
        "[policy]\nname = \"t\"\ninclude = [\"builtin:us\"]\n\n[[window]]\nid = \"us-federal-hours\"\napplies_to = [\"US\"]\npurpose = [\"sales\"]\nmon-sun = [\"08:00-21:00\"]\n",
    );
    let n = num(NYC);
    let times = [
        "2026-11-23T10:00:00-05:00",
        "2026-11-23T15:00:00-05:00",
        "2026-11-24T10:00:00-05:00",
        "2026-11-25T10:00:00-05:00",
        "2026-11-26T10:00:00-05:00",
        "2026-11-27T10:00:00-05:00",
        "2026-11-28T10:00:00-05:00",
    ];
    for t in times {
        let ctx = us_ctx(ts(t)).purpose(Purpose::Collection).subject("debt-1");
        assert!(g.check_and_reserve(n, &ctx).attempt.is_some(), "{t}");
        assert!(no_hours.check_and_reserve(n, &ctx).attempt.is_some(), "{t}");
    }
    let eighth = us_ctx(ts("2026-11-29T10:00:00-05:00"))
        .purpose(Purpose::Collection)
        .subject("debt-1");
    // Monday 23 November leaves "today and the 6 days before" on Monday 30 November.
    assert_defer(
        &no_hours,
        NYC,
        &eighth,
        "2026-11-30T00:00:00-05:00",
        Reason::Cap,
        "us-regf-7-in-7",
    );
    assert_defer(
        &g,
        NYC,
        &eighth,
        "2026-11-30T08:00:00-05:00",
        Reason::Cap,
        "us-regf-7-in-7",
    );
    // Another debt, or a sales call, is not counted with these.
    assert_allow(&g, NYC, &eighth.subject("debt-2"));
    assert_allow(&g, NYC, &us_ctx(ts("2026-11-29T10:00:00-05:00")));
}

#[test]
fn us_regulation_f_seven_days_after_a_conversation() {
    let g = pack("us");
    let n = num(NYC);
    let ctx = |t: &str| us_ctx(ts(t)).purpose(Purpose::Collection).subject("debt-1");
    g.record_outcome(
        n,
        None,
        Outcome::Answered,
        &ctx("2026-12-01T15:00:00-05:00"),
    )
    .unwrap();
    // 1 December is day 1; calls resume on day 8, from the federal 08:00.
    assert_defer(
        &g,
        NYC,
        &ctx("2026-12-02T10:00:00-05:00"),
        "2026-12-08T08:00:00-05:00",
        Reason::Cooloff,
        "us-regf-after-conversation",
    );
    assert_allow(&g, NYC, &ctx("2026-12-08T08:00:00-05:00"));
    assert_allow(&g, NYC, &ctx("2026-12-02T10:00:00-05:00").subject("debt-2"));
}

// ------------------------------------------------------------------ United Kingdom

/// A UK call presenting a caller ID (PECR reg. 21(A1)).
fn uk_ctx(at: Timestamp) -> CallContext<'static> {
    CallContext::new(at).caller_id(num("+44 20 7946 0999"))
}

const LONDON: &str = "+44 20 7946 0000";

#[test]
fn uk_abandoned_72_hours_and_machine_24_hours() {
    let g = pack("uk");
    let n = num(LONDON);
    // Abandoned on Saturday 28 March 2026 at 12:00 GMT; BST starts on the 29th. The cool-off
    // is elapsed time: exactly 72 hours later, 13:00 BST on the 31st.
    g.record_outcome(
        n,
        None,
        Outcome::Abandoned,
        &uk_ctx(ts("2026-03-28T12:00:00Z")),
    )
    .unwrap();
    let next_day = uk_ctx(ts("2026-03-29T12:00:00Z"));
    assert_defer(
        &g,
        LONDON,
        &next_day,
        "2026-03-31T12:00:00Z",
        Reason::Cooloff,
        "uk-abandoned-72h",
    );
    assert_defer(
        &g,
        LONDON,
        &uk_ctx(ts("2026-03-31T12:59:59+01:00")),
        "2026-03-31T13:00:00+01:00",
        Reason::Cooloff,
        "uk-abandoned-72h",
    );
    assert_allow(&g, LONDON, &uk_ctx(ts("2026-03-31T13:00:00+01:00")));
    // A guaranteed live agent lifts it, under that constraint.
    let d = g.check_number(n, &next_day.mode(Mode::Preview));
    assert_eq!(
        d,
        Decision::Allow {
            constraints: Constraints::REQUIRE_LIVE_AGENT
        }
    );

    let m = "+44 161 496 0000";
    g.record_outcome(
        num(m),
        None,
        Outcome::Machine,
        &uk_ctx(ts("2026-11-30T10:00:00Z")),
    )
    .unwrap();
    assert_defer(
        &g,
        m,
        &uk_ctx(ts("2026-11-30T18:00:00Z")),
        "2026-12-01T10:00:00Z",
        Reason::Cooloff,
        "uk-machine-24h",
    );
    assert_allow(&g, m, &uk_ctx(ts("2026-12-01T10:00:00Z")));
    // No statutory hours: a Sunday night is not deferred by the pack.
    assert_allow(&g, "+44 20 7946 0001", &uk_ctx(ts("2026-11-29T23:00:00Z")));
}

#[test]
fn uk_abandon_rate_per_24_hours() {
    let g = pack("uk");
    let at = uk_ctx(ts("2026-11-30T10:00:00Z")).campaign("c1");
    for i in 0..100u64 {
        let callee = Number::from_e164_digits(442_079_460_100 + i).unwrap();
        let outcome = if i < 4 {
            Outcome::Abandoned
        } else {
            Outcome::Answered
        };
        g.record_outcome(callee, None, outcome, &at).unwrap();
    }
    assert_defer(
        &g,
        LONDON,
        &at,
        "2026-12-01T10:00:00Z",
        Reason::AbandonRate,
        "uk-abandoned-3pct-24h",
    );
    assert_allow(&g, LONDON, &at.mode(Mode::Manual));
    assert_allow(&g, LONDON, &at.campaign("c2"));
}

// ------------------------------------------------------------------ France

const PARIS: &str = "+33 1 23 45 67 89";

fn fr_ctx(at: &str) -> CallContext<'static> {
    CallContext::new(ts(at)).caller_id(num("+33 1 62 12 34 56"))
}

#[test]
fn fr_hours_lunch_gap_and_holidays() {
    let g = pack("fr");
    let w = "fr-hours";
    let r = Reason::OutsideWindow;
    // (Dates before 11 August 2026: from then on a consent must be on file, see below.)
    assert_allow(&g, PARIS, &fr_ctx("2026-06-02T10:00:00+02:00"));
    assert_defer(
        &g,
        PARIS,
        &fr_ctx("2026-06-02T13:30:00+02:00"),
        "2026-06-02T14:00:00+02:00",
        r,
        w,
    );
    assert_defer(
        &g,
        PARIS,
        &fr_ctx("2026-06-02T20:00:00+02:00"),
        "2026-06-03T10:00:00+02:00",
        r,
        w,
    );
    // Ascension (Easter + 39) 2026 is Thursday 14 May; Whit Monday (Easter + 50) 25 May.
    assert_defer(
        &g,
        PARIS,
        &fr_ctx("2026-05-14T11:00:00+02:00"),
        "2026-05-15T10:00:00+02:00",
        r,
        w,
    );
    assert_defer(
        &g,
        PARIS,
        &fr_ctx("2026-05-25T11:00:00+02:00"),
        "2026-05-26T10:00:00+02:00",
        r,
        w,
    );
    // Saturday closed; Friday 27 March 2026 after 20:00 CET → Monday 10:00 CEST (EU DST day
    // is Sunday the 29th).
    assert_defer(
        &g,
        PARIS,
        &fr_ctx("2026-03-27T20:00:00+01:00"),
        "2026-03-30T08:00:00Z",
        r,
        w,
    );
}

#[test]
fn fr_automated_calls_need_arcep_caller_ids() {
    let g = pack("fr");
    let at = "2026-06-02T10:00:00+02:00";
    assert_deny(
        &g,
        PARIS,
        &CallContext::new(ts(at)).caller_id(num("+33 6 12 34 56 78")),
        Reason::CallerId,
        "fr-automated-cli",
    );
    assert_deny(
        &g,
        PARIS,
        &CallContext::new(ts(at)),
        Reason::CallerId,
        "fr-automated-cli",
    );
    assert_allow(
        &g,
        PARIS,
        &CallContext::new(ts(at)).caller_id(num("+33 9 47 51 23 45")),
    );
    // A person dialing (preview) is not an automated system.
    assert_allow(&g, PARIS, &CallContext::new(ts(at)).mode(Mode::Preview));
}

#[test]
fn fr_four_attempts_in_30_calendar_days() {
    let g = pack("fr");
    let n = num(PARIS);
    for d in ["02", "04", "09", "16"] {
        let ctx = fr_ctx(&format!("2026-03-{d}T11:00:00+01:00"));
        assert!(g.check_and_reserve(n, &ctx).attempt.is_some(), "{d}");
    }
    // Attempts count whatever their outcome. 2 March leaves "today and the 29 days before"
    // on 1 April: 10:00 CEST (summer time since 29 March).
    let fifth = fr_ctx("2026-03-23T11:00:00+01:00");
    assert_defer(
        &g,
        PARIS,
        &fifth,
        "2026-04-01T10:00:00+02:00",
        Reason::Cap,
        "fr-4-in-30-days",
    );
    assert_eq!(g.check_and_reserve(n, &fifth).attempt, None);
    assert_allow(&g, PARIS, &fr_ctx("2026-04-01T10:00:00+02:00"));
}

#[test]
fn fr_sixty_full_days_after_a_refusal() {
    let g = pack("fr");
    let n = num(PARIS);
    g.record_outcome(
        n,
        None,
        Outcome::Refused,
        &fr_ctx("2026-06-01T11:00:00+02:00"),
    )
    .unwrap();
    // 2 June .. 31 July are the 60 full days; 1 August is a Saturday: Monday 3 August.
    assert_defer(
        &g,
        PARIS,
        &fr_ctx("2026-07-31T11:00:00+02:00"),
        "2026-08-03T10:00:00+02:00",
        Reason::Cooloff,
        "fr-refusal-60-days",
    );
    assert_allow(&g, PARIS, &fr_ctx("2026-08-03T10:00:00+02:00"));
    // The next day the end lies beyond the default 60-day horizon: deny, naming the rule.
    assert_deny(
        &g,
        PARIS,
        &fr_ctx("2026-06-02T11:00:00+02:00"),
        Reason::BeyondHorizon,
        "fr-refusal-60-days",
    );
    // A longer horizon gives the instant.
    let g = guard("[policy]\nname = \"t\"\nhorizon_days = 90\ninclude = [\"builtin:fr\"]\n");
    g.record_outcome(
        n,
        None,
        Outcome::Refused,
        &fr_ctx("2026-06-01T11:00:00+02:00"),
    )
    .unwrap();
    assert_defer(
        &g,
        PARIS,
        &fr_ctx("2026-06-02T11:00:00+02:00"),
        "2026-08-03T10:00:00+02:00",
        Reason::Cooloff,
        "fr-refusal-60-days",
    );
}

#[test]
fn fr_opt_in_from_11_august_2026_callee_local_date() {
    let consents = consent_file("fr", &["+33123456700"]);
    let g = guard(&format!(
        "[policy]\nname = \"t\"\ninclude = [\"builtin:fr\"]\n\n[[consent]]\nid = \"crm\"\npath = \"{consents}\"\n"
    ));
    assert_allow(&g, PARIS, &fr_ctx("2026-08-10T11:00:00+02:00"));
    assert_deny(
        &g,
        PARIS,
        &fr_ctx("2026-08-11T11:00:00+02:00"),
        Reason::ConsentRequired,
        "fr-opt-in",
    );
    // 23:30 UTC on the 10th is already the 11th in Paris.
    assert_deny(
        &g,
        PARIS,
        &fr_ctx("2026-08-10T23:30:00Z"),
        Reason::ConsentRequired,
        "fr-opt-in",
    );
    assert_defer(
        &g,
        PARIS,
        &fr_ctx("2026-08-10T21:30:00Z"),
        "2026-08-11T10:00:00+02:00",
        Reason::OutsideWindow,
        "fr-hours",
    );
    // With a consent on file: allowed. A consent to be called does not lift the hours, only
    // an express consent to off-hours calls does (D223-9 al. 2): Saturday 15 August (a
    // holiday) 21:00 → Monday 17 August 10:00.
    let ok = "+33 1 23 45 67 00";
    assert_allow(&g, ok, &fr_ctx("2026-08-11T11:00:00+02:00"));
    assert_defer(
        &g,
        ok,
        &fr_ctx("2026-08-15T21:00:00+02:00"),
        "2026-08-17T10:00:00+02:00",
        Reason::OutsideWindow,
        "fr-hours",
    );
}

// ------------------------------------------------------------------ Spain, Canada, Australia

/// A call presenting a fixed-line caller ID (ES: not a 6/7 mobile, Orden TDF/149/2025; CA
/// CRTC UTR and AU Industry Standard 2017: a caller ID must be shown).
fn cli_ctx(at: Timestamp) -> CallContext<'static> {
    CallContext::new(at).caller_id(num("+34 910 000 000"))
}

#[test]
fn es_weekdays_and_national_holidays() {
    // A consent on file (Ley 11/2022 art. 66.1: commercial calls need one since 29 Jun 2023).
    let consents = consent_file("es", &["+34911234567"]);
    let g = guard(&format!(
        "[policy]\nname = \"t\"\ninclude = [\"builtin:es\"]\n\n[[consent]]\nid = \"crm\"\npath = \"{consents}\"\n"
    ));
    let m = "+34 91 123 45 67";
    let (r, w) = (Reason::OutsideWindow, "es-hours");
    assert_allow(&g, m, &cli_ctx(ts("2026-12-01T20:59:00+01:00")));
    assert_defer(
        &g,
        m,
        &cli_ctx(ts("2026-12-04T21:00:00+01:00")),
        "2026-12-07T09:00:00+01:00",
        r,
        w,
    );
    // Good Friday 3 April 2026 → Tuesday 7 April: Easter Monday is a holiday in six
    // autonomous communities and the callee's is unknown, so the union applies.
    assert_defer(
        &g,
        m,
        &cli_ctx(ts("2026-04-03T10:00:00+02:00")),
        "2026-04-07T09:00:00+02:00",
        r,
        w,
    );
    // 8 December (Tuesday).
    assert_defer(
        &g,
        m,
        &cli_ctx(ts("2026-12-08T10:00:00+01:00")),
        "2026-12-09T09:00:00+01:00",
        r,
        w,
    );
    // EU DST weekend: Friday 21:00 CET → Monday 09:00 CEST.
    assert_defer(
        &g,
        m,
        &cli_ctx(ts("2026-03-27T21:00:00+01:00")),
        "2026-03-30T07:00:00Z",
        r,
        w,
    );
}

#[test]
fn ca_weekend_hours() {
    let g = pack("ca");
    let to = "+1 416 555 0100";
    let (r, w) = (Reason::OutsideWindow, "ca-hours");
    assert_allow(&g, to, &cli_ctx(ts("2026-11-27T21:29:00-05:00")));
    assert_defer(
        &g,
        to,
        &cli_ctx(ts("2026-11-27T21:30:00-05:00")),
        "2026-11-28T10:00:00-05:00",
        r,
        w,
    );
    assert_defer(
        &g,
        to,
        &cli_ctx(ts("2026-11-28T18:00:00-05:00")),
        "2026-11-29T10:00:00-05:00",
        r,
        w,
    );
    assert_defer(
        &g,
        to,
        &cli_ctx(ts("2026-11-29T18:00:00-05:00")),
        "2026-11-30T09:00:00-05:00",
        r,
        w,
    );
}

#[test]
fn au_telemarketing_and_research_hours() {
    let g = pack("au");
    let syd = "+61 2 9123 4567";
    let r = Reason::OutsideWindow;
    let sat = cli_ctx(ts("2026-11-28T17:00:00+11:00"));
    assert_defer(
        &g,
        syd,
        &sat,
        "2026-11-30T09:00:00+11:00",
        r,
        "au-telemarketing-hours",
    );
    // Research calls may be made on Sundays.
    assert_defer(
        &g,
        syd,
        &sat.purpose(Purpose::Survey),
        "2026-11-29T09:00:00+11:00",
        r,
        "au-research-hours",
    );
    // Easter Saturday 2026, 17:00 AEDT; daylight saving ends on Sunday the 5th and Monday
    // the 6th is Easter Monday: Tuesday 09:00 AEST.
    let easter_sat = cli_ctx(ts("2026-04-04T17:00:00+11:00"));
    assert_defer(
        &g,
        syd,
        &easter_sat,
        "2026-04-07T09:00:00+10:00",
        r,
        "au-telemarketing-hours",
    );
    // Research: Easter Sunday is not a public holiday, Sundays are open.
    assert_defer(
        &g,
        syd,
        &easter_sat.purpose(Purpose::Survey),
        "2026-04-05T09:00:00+10:00",
        r,
        "au-research-hours",
    );
    // Weekday evening: research until 20:30, telemarketing until 20:00.
    let eve = cli_ctx(ts("2026-12-01T20:15:00+11:00"));
    assert_allow(&g, syd, &eve.purpose(Purpose::Survey));
    assert_defer(
        &g,
        syd,
        &eve,
        "2026-12-02T09:00:00+11:00",
        r,
        "au-telemarketing-hours",
    );
}

// ------------------------------------------------------------------ CLI

#[test]
fn cli_rules_lists_a_packs_rules_one_per_line() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dialguard"))
            .args(args)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, names) = run(&["rules"]);
    assert_eq!(code, Some(0));
    assert_eq!(names.lines().collect::<Vec<_>>(), packs::names());

    let (code, it) = run(&["rules", "it"]);
    assert_eq!(code, Some(0));
    let ids: Vec<&str> = it
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "ID",
            "it-holidays",
            "it-code-hours",
            "it-silent-call",
            "it-cli",
            "it-cli-survey",
            "it-silent-3-per-100",
            "it-off-directory-consent"
        ]
    );
    let cooloff = it
        .lines()
        .find(|l| l.starts_with("it-silent-call"))
        .unwrap();
    let words: Vec<&str> = cooloff.split_whitespace().collect();
    assert_eq!(
        words[..13],
        [
            "it-silent-call",
            "cooloff",
            "IT",
            "after",
            "abandoned",
            "for",
            "5d;",
            "key",
            "number;",
            "then",
            "live_agent",
            "S",
            "Garante,"
        ]
    );
    let (code, _) = run(&["rules", "builtin:xx"]);
    assert_eq!(code, Some(2));
}
