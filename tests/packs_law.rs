//! Issue 17, "the packs say what the law says": one dated test per corrected or added pack
//! value. Each expected instant is derived by hand in a comment from the text the pack
//! cites (name, article, URL).

use std::path::Path;

use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::history::Outcome;
use dialguard::policy::{self, Mode, Purpose};
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

fn pack(name: &str) -> Guard {
    guard(&format!(
        "[policy]\nname = \"t\"\ninclude = [\"builtin:{name}\"]\n"
    ))
}

/// A pack with a consent file holding `(number, kind)` records (no expiry, any campaign).
fn pack_with_consents(name: &str, tag: &str, records: &[(&str, &str)]) -> Guard {
    let dir =
        std::env::temp_dir().join(format!("dialguard-packs-law-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("consents.csv");
    let mut text = String::from("number,kind,granted_at,expires_at,campaign\n");
    for (n, kind) in records {
        text.push_str(&format!("{n},{kind},2023-01-01,,*\n"));
    }
    std::fs::write(&path, text).unwrap();
    let path = path.display().to_string().replace('\\', "/");
    guard(&format!(
        "[policy]\nname = \"t\"\ninclude = [\"builtin:{name}\"]\n\n[[consent]]\nid = \"crm\"\npath = \"{path}\"\n"
    ))
}

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

// ------------------------------------------------------------------ 1. IT silent calls

const ROME: &str = "+39 06 1234 5678";

fn it_ctx(at: &str) -> CallContext<'static> {
    CallContext::new(ts(at)).caller_id(num("+39 0844 123 4567"))
}

/// Garante per la protezione dei dati personali, provvedimento generale prescrittivo sulle
/// "chiamate mute", 20 Feb 2014 n. 83, GU n. 79 of 4 Apr 2014 (14A02670,
/// gazzettaufficiale.it; privacy.it/archivio/garanteprovv201402202.html): after a silent
/// call the number may not be called again for 5 days, and the next call must be placed
/// with an operator available.
#[test]
fn it_silent_call_5_days_then_live_agent() {
    let g = pack("it");
    let n = num(ROME);
    // Abandoned Tuesday 24 Nov 2026 10:00 CET.
    g.record_outcome(
        n,
        None,
        Outcome::Abandoned,
        &it_ctx("2026-11-24T10:00:00+01:00"),
    )
    .unwrap();
    // Day 2, preview mode: the 5 days hold even with an agent (no `unless`). 24 Nov 10:00
    // + 5 days = Sunday 29 Nov 10:00, a closed day under the Codice di condotta 2024 (no
    // Sunday calls): the first instant is Monday 30 Nov 09:00 CET.
    let during = it_ctx("2026-11-25T10:00:00+01:00");
    assert_defer(
        &g,
        ROME,
        &during.mode(Mode::Preview),
        "2026-11-30T09:00:00+01:00",
        Reason::Cooloff,
        "it-silent-call",
    );
    // A predictive attempt cannot promise an operator: denied, now and after the 5 days.
    assert_deny(&g, ROME, &during, Reason::Cooloff, "it-silent-call");
    let after = it_ctx("2026-11-30T09:00:00+01:00");
    assert_deny(&g, ROME, &after, Reason::Cooloff, "it-silent-call");
    // Preview / manual after the 5 days: allowed, with the live-agent constraint.
    for mode in [Mode::Preview, Mode::Manual] {
        assert_eq!(
            g.check_number(n, &after.mode(mode)),
            Decision::Allow {
                constraints: Constraints::REQUIRE_LIVE_AGENT
            }
        );
    }
    // The requirement lasts until an attempt with an agent is recorded after the event.
    let r = g.check_and_reserve(n, &after.mode(Mode::Preview));
    assert!(r.decision.is_allow());
    g.record_outcome(n, r.attempt, Outcome::NoAnswer, &after.mode(Mode::Preview))
        .unwrap();
    assert_allow(&g, ROME, &it_ctx("2026-12-01T10:00:00+01:00"));
    // A new abandoned call starts it all over: Wednesday 2 Dec 10:00 + 5 days = Monday
    // 7 Dec 10:00 (open, 09-20).
    g.record_outcome(
        n,
        None,
        Outcome::Abandoned,
        &it_ctx("2026-12-02T10:00:00+01:00"),
    )
    .unwrap();
    assert_defer(
        &g,
        ROME,
        &it_ctx("2026-12-03T10:00:00+01:00").mode(Mode::Manual),
        "2026-12-07T10:00:00+01:00",
        Reason::Cooloff,
        "it-silent-call",
    );
}

/// Ofcom, Revised statement of policy on the persistent misuse of an electronic
/// communications network or service (2016): a number that received an
/// abandoned call may be called again within 72 hours only with a live operator
/// guaranteed. That is `unless = "live_agent"`, unchanged.
#[test]
fn uk_72_hours_still_lifted_at_once_by_a_live_agent() {
    let g = pack("uk");
    let london = "+44 20 7946 0000";
    let at = CallContext::new(ts("2026-11-30T10:00:00Z"));
    g.record_outcome(num(london), None, Outcome::Abandoned, &at)
        .unwrap();
    let later = CallContext::new(ts("2026-11-30T11:00:00Z"));
    assert_eq!(
        g.check_number(num(london), &later.mode(Mode::Manual)),
        Decision::Allow {
            constraints: Constraints::REQUIRE_LIVE_AGENT
        }
    );
    // 10:00Z + 72 h = Thursday 3 Dec 10:00Z.
    assert_defer(
        &g,
        london,
        &later,
        "2026-12-03T10:00:00Z",
        Reason::Cooloff,
        "uk-abandoned-72h",
    );
}

#[test]
fn then_and_unless_are_checked_and_exclusive() {
    let base =
        "[policy]\nname = \"t\"\n\n[[cooloff]]\nid = \"c\"\nafter = \"abandoned\"\nfor = \"5d\"\n";
    let err = policy::compile_str(
        &format!("{base}then = \"live_agnet\"\n"),
        Path::new("t.toml"),
        NOW,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("key `then`") && err.contains("live_agent"),
        "{err}"
    );
    let err = policy::compile_str(
        &format!("{base}then = \"live_agent\"\nunless = \"live_agent\"\n"),
        Path::new("t.toml"),
        NOW,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("not both"), "{err}");
    // A misspelt key is rejected with a hint.
    let err = policy::compile_str(
        &format!("{base}thne = \"live_agent\"\n"),
        Path::new("t.toml"),
        NOW,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("did you mean `then`?"), "{err}");
}

// ------------------------------------------------------------------ 2. off-hours consent

/// C. consom. art. D223-9 al. 2 (décret n° 2022-1313 of 13 Oct 2022,
/// legifrance.gouv.fr/jorf/id/JORFTEXT000046421823): the hours (Mon-Fri 10-13 and 14-20)
/// do not apply when the consumer has expressly and beforehand consented to be called
/// outside them. A consent to be called is not that consent.
#[test]
fn fr_hours_lifted_only_by_an_outside_hours_consent() {
    let plain = "+33 1 23 45 67 01";
    let off = "+33 1 23 45 67 02";
    let g = pack_with_consents(
        "fr",
        "fr-off",
        &[(plain, "consent"), (off, "consent"), (off, "outside_hours")],
    );
    let ctx = |at: &str| CallContext::new(ts(at)).caller_id(num("+33 1 62 12 34 56"));
    // Saturday 6 June 2026 11:00 CEST: closed; Monday 8 June 10:00 CEST.
    let sat = ctx("2026-06-06T11:00:00+02:00");
    assert_defer(
        &g,
        plain,
        &sat,
        "2026-06-08T10:00:00+02:00",
        Reason::OutsideWindow,
        "fr-hours",
    );
    assert_allow(&g, off, &sat);
    // After the opt-in date (Loi 2025-594 art. 13 III, 11 Aug 2026) an off-hours consent
    // alone is no consent to be called: Saturday 28 Nov 2026.
    let g = pack_with_consents("fr", "fr-off-only", &[(off, "outside_hours")]);
    assert_deny(
        &g,
        off,
        &ctx("2026-11-28T11:00:00+01:00"),
        Reason::ConsentRequired,
        "fr-opt-in",
    );
}

/// Telecommunications (Telemarketing and Research Calls) Industry Standard 2017, calling
/// times (donotcall.gov.au/consumers/consumer-overview/industry-standards/) and ACMA guidance (donotcall.gov.au, "consent to calls
/// outside permitted times"): calls outside the hours need the consumer's consent to a
/// call at that time.
#[test]
fn au_hours_lifted_only_by_an_outside_hours_consent() {
    let plain = "+61 2 9123 4501";
    let off = "+61 2 9123 4502";
    let g = pack_with_consents(
        "au",
        "au-off",
        &[(plain, "consent"), (off, "outside_hours")],
    );
    // Sunday 29 Nov 2026 11:00 AEDT: no telemarketing on Sundays; Monday 30 Nov 09:00.
    let sun = CallContext::new(ts("2026-11-29T11:00:00+11:00"));
    assert_defer(
        &g,
        plain,
        &sun,
        "2026-11-30T09:00:00+11:00",
        Reason::OutsideWindow,
        "au-telemarketing-hours",
    );
    assert_allow(&g, off, &sun);
}

#[test]
fn outside_hours_is_not_a_kind_for_consent_required_and_waivers_are_checked() {
    let base = "[policy]\nname = \"t\"\n\n";
    let err = policy::compile_str(
        &format!("{base}[[consent_required]]\nid = \"c\"\nkinds = [\"outside_hours\"]\n"),
        Path::new("t.toml"),
        NOW,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("only lifts calling hours"), "{err}");
    let err = policy::compile_str(
        &format!("{base}[[window]]\nid = \"w\"\nmon-fri = [\"09:00-20:00\"]\nwaived_by = [\"outside_hour\"]\n"),
        Path::new("t.toml"),
        NOW,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("did you mean \"outside_hours\"?"), "{err}");
}

// ------------------------------------------------------------------ 3. abandon limits

/// Records `abandoned` abandoned and `answered - abandoned` answered calls of a campaign.
fn campaign_calls(g: &Guard, base: u64, abandoned: u64, answered: u64, ctx: &CallContext<'_>) {
    for i in 0..answered {
        let callee = Number::from_e164_digits(base + i).unwrap();
        let o = if i < abandoned {
            Outcome::Abandoned
        } else {
            Outcome::Answered
        };
        g.record_outcome(callee, None, o, ctx).unwrap();
    }
}

/// 16 CFR 310.4(b)(4)(i) (ecfr.gov/current/title-16/part-310#p-310.4(b)(4)): the safe
/// harbour needs abandonment of "no more than three percent of all calls answered by a
/// person, measured over the duration of a single calling campaign, if less than 30 days,
/// or separately over each successive 30-day period". No minimum number of calls: the rate
/// is judged from the first answered call.
#[test]
fn us_abandon_rate_judged_from_the_first_answered_call() {
    let g = pack("us");
    let at = CallContext::new(ts("2026-12-01T12:00:00-05:00")).campaign("c");
    // 1 abandoned of 10 answered = 10 % > 3 %: predictive waits until the calls age out of
    // the 30 days: 1 Dec 12:00 EST + 30 d = 31 Dec 12:00 EST.
    campaign_calls(&g, 12_125_551_000, 1, 10, &at);
    assert_defer(
        &g,
        "+1 212 555 0100",
        &at,
        "2026-12-31T12:00:00-05:00",
        Reason::AbandonRate,
        "us-tsr-3pct",
    );
    assert_allow(&g, "+1 212 555 0100", &at.mode(Mode::Preview));
}

/// Ofcom persistent misuse statement (2016, in force 1 Mar 2017): abandoned calls no more than 3 %
/// of live calls per campaign over any 24 hours. No minimum sample.
#[test]
fn uk_abandon_rate_judged_from_the_first_answered_call() {
    let g = pack("uk");
    let at = CallContext::new(ts("2026-11-30T10:00:00Z")).campaign("c");
    // 1 of 1: 100 %. 10:00Z + 24 h.
    campaign_calls(&g, 442_079_460_100, 1, 1, &at);
    assert_defer(
        &g,
        "+44 20 7946 0000",
        &at,
        "2026-12-01T10:00:00Z",
        Reason::AbandonRate,
        "uk-abandoned-3pct-24h",
    );
}

/// Garante provv. 20 Feb 2014 n. 83 (GU n. 79 of 4 Apr 2014): at most 3 silent calls per
/// 100 calls answered, per campaign. 3/100 passes; 3/99 (3.03 %) and 4/100 do not.
#[test]
fn it_abandon_rate_without_a_minimum_sample() {
    for (abandoned, answered, over) in
        [(3, 100, false), (3, 99, true), (4, 100, true), (1, 5, true)]
    {
        let g = pack("it");
        let at = it_ctx("2026-12-01T10:00:00+01:00").campaign("c");
        campaign_calls(&g, 390_212_000_000, abandoned, answered, &at);
        let d = g.check_number(num("+39 02 5555 1234"), &at);
        assert_eq!(
            d.reason() == Some(Reason::AbandonRate),
            over,
            "{abandoned}/{answered}: {d:?}"
        );
        if over {
            // 1 Dec 10:00 CET + 30 d.
            assert_eq!(d.until(), Some(secs("2026-12-31T10:00:00+01:00")));
        }
    }
}

// ------------------------------------------------------------------ 4. IT caller ID

/// L. 11 Jan 2018 n. 5 art. 2 (GU n. 29 of 5 Feb 2018) and AGCOM delib. 156/18/CIR: sales
/// calls show a 0844 number (or one the caller can be called back on), statistical surveys
/// a 0843 number. 0843 on a sales call is refused.
#[test]
fn it_caller_id_by_purpose() {
    let g = pack("it");
    let at = "2026-12-01T10:00:00+01:00";
    let with = |cli: &str, p: Purpose| CallContext::new(ts(at)).caller_id(num(cli)).purpose(p);
    assert_allow(&g, ROME, &with("+39 0844 123 4567", Purpose::Sales));
    assert_deny(
        &g,
        ROME,
        &with("+39 0843 123 4567", Purpose::Sales),
        Reason::CallerId,
        "it-cli",
    );
    assert_allow(&g, ROME, &with("+39 0843 123 4567", Purpose::Survey));
    assert_deny(
        &g,
        ROME,
        &with("+39 0844 123 4567", Purpose::Survey),
        Reason::CallerId,
        "it-cli-survey",
    );
}
