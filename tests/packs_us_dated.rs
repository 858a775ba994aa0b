//! Issue 16 item 7: one dated case for each `builtin:us` rule that had none (Oklahoma,
//! Maryland's cap, the hours of WA, MA, KY, MI, MN, NM, NV, and the federal abandon limit).
//! Each expected instant is derived by hand in a comment from the text the rule's `source`
//! cites (data/packs/us.toml). Numbers use a geographic area code of the state in a single
//! time zone; DST in 2026 starts Sunday 8 March and ends Sunday 1 November (02:00 local).
//!
//! Sales calls in preview mode with a caller ID, unless the case is about predictive mode:
//! the pack denies a call without caller ID (47 CFR 64.1601(e)) and a predictive sales call
//! without a written consent on file (47 CFR 64.1200(a)(2)).

use dialguard::guard::{CallContext, Guard};
use dialguard::history::Outcome;
use dialguard::policy::Mode;
use dialguard::{Number, Reason};

mod pack_support;
use pack_support::*;

fn us() -> Guard {
    pack("us")
}

/// The US pack with a consent file holding `(number, kind)` records, plus `extra`.
fn us_with_consents(tag: &str, records: &[(&str, &str)], extra: &str) -> Guard {
    with_consents("us", tag, records, extra)
}

/// A sales call in preview mode with a caller ID.
fn preview(at: &str) -> CallContext<'static> {
    CallContext::new(ts(at))
        .caller_id(num("+1 202 555 0199"))
        .mode(Mode::Preview)
}

#[track_caller]
fn reserve(g: &Guard, n: &str, ctx: &CallContext<'_>) {
    let r = g.check_and_reserve(num(n), ctx);
    assert!(
        r.attempt.is_some(),
        "{n} at {}: {:?} by {}",
        ctx.now,
        r.decision,
        rule_of(g, &r.decision)
    );
}

// ------------------------------------------------------------------ Oklahoma

const OKC: &str = "+1 405 555 0100";

/// 15 O.S. 775C.4 (Telephone Solicitation Act of 2022): no sales call before 8:00 a.m. or
/// after 8:00 p.m. at the called party's location [V]. Saturday 7 March 2026 20:15 CST
/// (UTC-6) = 02:15Z on the 8th is after 20:00 (the federal 21:00 is not reached, so the
/// state rule decides). Clocks go forward at 02:00 on Sunday the 8th: the next 08:00 is
/// 08:00 CDT (UTC-5) = 13:00Z, not 14:00Z.
#[test]
fn ok_hours_end_at_20_and_reopen_on_the_dst_morning() {
    let g = us();
    assert_defer(
        &g,
        OKC,
        &preview("2026-03-07T20:15:00-06:00"),
        "2026-03-08T13:00:00Z",
        Reason::OutsideWindow,
        "us-ok-hours",
    );
    assert_allow(&g, OKC, &preview("2026-03-08T13:00:00Z"));
    assert_allow(&g, OKC, &preview("2026-03-07T19:59:00-06:00"));
}

/// 15 O.S. 775C.4: at most 3 sales calls to a number per 24 hours [V: text not retrieved;
/// counted per number whatever the subject, the stricter reading]. Reservations on Saturday
/// 31 October 2026 at 10:00, 11:00 and 12:00 CDT (UTC-5) = 15:00Z, 16:00Z, 17:00Z, on
/// three subjects; the fourth, 13:00 CDT, on a fourth subject, waits until the first is 24
/// hours old: 15:00Z on 1 November. Clocks go back at 02:00 CDT on the 1st, so that is
/// 09:00 CST (UTC-6), not 10:00: the 24 hours are elapsed time, not wall-clock time.
#[test]
fn ok_three_calls_per_24_hours_per_number_across_the_dst_end() {
    let g = us();
    for (at, subject) in [
        ("2026-10-31T10:00:00-05:00", "solar"),
        ("2026-10-31T11:00:00-05:00", "insurance"),
        ("2026-10-31T12:00:00-05:00", "solar"),
    ] {
        reserve(&g, OKC, &preview(at).subject(subject));
    }
    assert_defer(
        &g,
        OKC,
        &preview("2026-10-31T13:00:00-05:00").subject("roofing"),
        "2026-11-01T09:00:00-06:00",
        Reason::Cap,
        "us-ok-3-per-24h",
    );
    assert_allow(&g, OKC, &preview("2026-11-01T15:00:00Z").subject("roofing"));
}

/// 15 O.S. 775C.3: a sales call using an automated system for the selection or dialing of
/// numbers needs the called party's prior express written consent (775C.2(3)); the pack
/// reads predictive mode as such a system. Shown with the federal rule
/// (`us-pewc-automated`) switched off by id. Tuesday 1 December 2026 10:00 CST: inside every
/// window, so only the consent decides; an EBR is not that consent.
#[test]
fn ok_predictive_sales_call_needs_written_consent() {
    let g = us_with_consents(
        "ok-pewc",
        &[("+14055550101", "consent"), ("+14055550102", "ebr")],
        "\n[[consent_required]]\nid = \"us-pewc-automated\"\ncampaigns = [\"never\"]\n",
    );
    let at = CallContext::new(ts("2026-12-01T10:00:00-06:00")).caller_id(num("+1 202 555 0199"));
    let r = Reason::ConsentRequired;
    assert_deny(&g, OKC, &at, r, "us-ok-automated-consent");
    assert_deny(&g, "+1 405 555 0102", &at, r, "us-ok-automated-consent");
    assert_allow(&g, "+1 405 555 0101", &at);
    // Preview (a person dials) is not an automated system.
    assert_allow(&g, OKC, &at.mode(Mode::Preview));
}

// ------------------------------------------------------------------ Maryland

/// Md. Code, Com. Law 14-4502 (Stop the Spam Calls Act of 2023): at most 3 sales calls to
/// a called party per 24 hours on the same subject [S]. Reservations on Saturday 7 March
/// 2026 at 17:00, 18:00 and 19:00 EST (UTC-5) = 22:00Z, 23:00Z and 00:00Z; the fourth on
/// the same subject, 19:30 EST, waits until the first is 24 hours old: 22:00Z on Sunday 8
/// March, after the 02:00 spring-forward, = 18:00 EDT (UTC-4), inside 08-20. Another
/// subject is counted apart.
#[test]
fn md_three_calls_per_24_hours_same_subject_across_the_dst_start() {
    let g = us();
    let bal = "+1 410 555 0100";
    for at in [
        "2026-03-07T17:00:00-05:00",
        "2026-03-07T18:00:00-05:00",
        "2026-03-07T19:00:00-05:00",
    ] {
        reserve(&g, bal, &preview(at).subject("solar"));
    }
    let fourth = preview("2026-03-07T19:30:00-05:00");
    assert_defer(
        &g,
        bal,
        &fourth.subject("solar"),
        "2026-03-08T18:00:00-04:00",
        Reason::Cap,
        "us-md-3-per-24h",
    );
    assert_allow(&g, bal, &fourth.subject("insurance"));
    assert_allow(&g, bal, &preview("2026-03-08T22:00:00Z").subject("solar"));
}

// ------------------------------------------------------------------ hours

/// RCW 19.158.040 and 80.36.390: no sales call before 8 a.m. or after 8 p.m. local.
/// Saturday 7 March 2026 20:30 PST (UTC-8) = 04:30Z on the 8th is after 20:00 → 08:00 on
/// Sunday 8 March, after the spring-forward: 08:00 PDT (UTC-7) = 15:00Z.
#[test]
fn wa_hours_08_20_dst_start() {
    let g = us();
    assert_defer(
        &g,
        "+1 206 555 0100",
        &preview("2026-03-07T20:30:00-08:00"),
        "2026-03-08T15:00:00Z",
        Reason::OutsideWindow,
        "us-wa-hours",
    );
}

/// M.G.L. c.159C s.3: no sales call before 8 a.m. or after 8 p.m. local. Saturday 31
/// October 2026 20:00 EDT (UTC-4) = 00:00Z on 1 November is not before 20:00 → 08:00 on
/// Sunday 1 November, after the fall-back: 08:00 EST (UTC-5) = 13:00Z.
#[test]
fn ma_hours_08_20_dst_end() {
    let g = us();
    assert_defer(
        &g,
        "+1 617 555 0100",
        &preview("2026-10-31T20:00:00-04:00"),
        "2026-11-01T13:00:00Z",
        Reason::OutsideWindow,
        "us-ma-hours",
    );
}

/// KRS 367.46955(15): no telephone solicitation before 10 a.m. or after 9 p.m. in the
/// consumer's time zone [V]. Louisville (502, Eastern). Sunday 8 March 2026 08:30 EDT
/// (UTC-4) = 12:30Z: federal hours are open (from 08:00), Kentucky's are not → 10:00 EDT =
/// 14:00Z (it would be 15:00Z on the Saturday, in EST).
#[test]
fn ky_hours_from_10_dst_start() {
    let g = us();
    assert_defer(
        &g,
        "+1 502 555 0100",
        &preview("2026-03-08T08:30:00-04:00"),
        "2026-03-08T14:00:00Z",
        Reason::OutsideWindow,
        "us-ky-hours",
    );
}

/// Michigan, 09-21 [V: statute not found, vendor value kept]. Detroit (313, Eastern).
/// Monday 2 November 2026 08:30 EST (UTC-5), the first weekday after the fall-back =
/// 13:30Z → 09:00 EST = 14:00Z.
#[test]
fn mi_hours_from_09_after_dst_end() {
    let g = us();
    assert_defer(
        &g,
        "+1 313 555 0100",
        &preview("2026-11-02T08:30:00-05:00"),
        "2026-11-02T14:00:00Z",
        Reason::OutsideWindow,
        "us-mi-hours",
    );
}

/// Minnesota, 09-21 [V: statute not found, vendor value kept]. Minneapolis (612, Central).
/// Sunday 1 November 2026 08:30 CST (UTC-6), hours after the fall-back = 14:30Z → 09:00
/// CST = 15:00Z.
#[test]
fn mn_hours_from_09_dst_end() {
    let g = us();
    assert_defer(
        &g,
        "+1 612 555 0100",
        &preview("2026-11-01T08:30:00-06:00"),
        "2026-11-01T15:00:00Z",
        Reason::OutsideWindow,
        "us-mn-hours",
    );
}

/// NMSA 1978 57-12-22(B)(5): unlawful to make a telephone solicitation "received before
/// 9:00 a.m. or after 9:00 p.m." Albuquerque (505, Mountain). Sunday 8 March 2026 08:30
/// MDT (UTC-6) = 14:30Z → 09:00 MDT = 15:00Z. At 21:00 both the statute and the federal
/// window close; just before, the call is allowed.
#[test]
fn nm_hours_09_21_dst_start() {
    let g = us();
    let abq = "+1 505 555 0100";
    assert_defer(
        &g,
        abq,
        &preview("2026-03-08T08:30:00-06:00"),
        "2026-03-08T15:00:00Z",
        Reason::OutsideWindow,
        "us-nm-hours",
    );
    assert_allow(&g, abq, &preview("2026-03-08T20:59:00-06:00"));
}

/// Nevada 09-20: NRS 597.814(2)(a) bars automatic-dialing calls between 9 p.m. and 9 a.m.;
/// the 20:00 end is the vendor table's [V: statute not found, kept as the stricter].
/// Las Vegas (702, Pacific). Saturday 31 October 2026 20:30 PDT (UTC-7) = 03:30Z on 1
/// November is after 20:00 → 09:00 on Sunday 1 November, after the fall-back: 09:00 PST
/// (UTC-8) = 17:00Z.
#[test]
fn nv_hours_09_20_dst_end() {
    let g = us();
    assert_defer(
        &g,
        "+1 702 555 0100",
        &preview("2026-10-31T20:30:00-07:00"),
        "2026-11-01T17:00:00Z",
        Reason::OutsideWindow,
        "us-nv-hours",
    );
}

// ------------------------------------------------------------------ abandon rate

/// Records `abandoned` abandoned and `answered - abandoned` answered calls of a campaign,
/// to distinct numbers from `base` (an abandoned call was answered by a person).
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

/// 16 CFR 310.4(b)(4)(i) safe harbour: abandonment of "no more than three percent of all
/// calls answered by a person, measured over the duration of a single calling campaign, if
/// less than 30 days, or separately over each successive 30-day period". Campaign "c",
/// Thursday 15 October 2026 12:00 EDT (UTC-4) = 16:00Z: 3 abandoned of 100 answered =
/// 3.00 % <= 3 %: predictive allowed. One more abandoned call: 4 of 101 = 3.96 % > 3 %:
/// predictive waits until those calls leave the 30 days: 16:00Z + 30 d = 14 November 16:00Z
/// = 11:00 EST (UTC-5, after the 1 November fall-back), a Saturday inside 08-21. Preview
/// continues (the limit blocks predictive dialing only).
#[test]
fn tsr_three_percent_of_answered_calls_over_30_days() {
    let nyc = "+1 212 555 0100";
    let g = us_with_consents("tsr", &[("+12125550100", "consent")], "");
    let at = CallContext::new(ts("2026-10-15T12:00:00-04:00"))
        .campaign("c")
        .caller_id(num("+1 202 555 0199"));
    campaign_calls(&g, 12_125_551_000, 3, 100, &at);
    assert_allow(&g, nyc, &at);
    campaign_calls(&g, 12_125_552_000, 1, 1, &at);
    assert_defer(
        &g,
        nyc,
        &at,
        "2026-11-14T11:00:00-05:00",
        Reason::AbandonRate,
        "us-tsr-3pct",
    );
    assert_allow(&g, nyc, &at.mode(Mode::Preview));
    // Another campaign has its own rate.
    assert_allow(&g, nyc, &at.campaign("d"));
    let later = CallContext::new(ts("2026-11-14T11:00:00-05:00"))
        .campaign("c")
        .caller_id(num("+1 202 555 0199"));
    assert_allow(&g, nyc, &later);
}

// ------------------------------------------------------------------ RI federal holidays

/// R.I. Gen. Laws 5-61-3.6 and 5-61-2(2): "hours of operation" are Monday through Friday,
/// "except a state or federal holiday", 9 a.m. to 6 p.m.; Saturday 10 a.m. to 5 p.m.
/// Juneteenth is a federal holiday (5 U.S.C. 6103(a)): Friday 19 June 2026 10:00 EDT
/// (UTC-4) is closed → Saturday 20 June 10:00 EDT = 14:00Z.
#[test]
fn ri_federal_holiday_juneteenth() {
    let g = us();
    assert_defer(
        &g,
        "+1 401 555 0100",
        &preview("2026-06-19T10:00:00-04:00"),
        "2026-06-20T14:00:00Z",
        Reason::OutsideWindow,
        "us-ri-hours",
    );
}
