//! `dialguard demo`: the bundled Italian and US example policies asked about a few
//! numbers at pinned instants, the way a dialer asks before each attempt. The README's
//! main command (`cargo run --release -- demo`); it builds only the normal dependencies.

use std::error::Error;
use std::path::Path;

use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::history::Outcome;
use dialguard::policy::Mode;
use dialguard::{Decision, number};

fn show(guard: &Guard, input: &str, ctx: &CallContext<'_>, note: &str) {
    let snap = guard.snapshot();
    let decision = guard.check(input, ctx);
    let rule = decision
        .rule()
        .and_then(|r| snap.rule(r))
        .map_or("-", |m| m.id.as_str());
    let what = match decision {
        Decision::Allow { constraints } if constraints.is_empty() => "ALLOW".to_string(),
        Decision::Allow { constraints } => format!(
            "ALLOW with {}",
            constraints.names().collect::<Vec<_>>().join(",")
        ),
        Decision::Deny { reason, .. } => format!("DENY   {reason} ({rule})"),
        Decision::Defer { until, reason, .. } => {
            // Compliance staff read "Monday 09:00 Rome", not UTC.
            let n = number::parse(input, snap.default_country()).ok();
            let zone = n.and_then(|n| number::locate(n).zones.first().map(|z| z.name()));
            let local = until.in_tz(zone.unwrap_or("UTC")).ok().map_or_else(
                || until.to_string(),
                |z| z.strftime("%a %d %b %H:%M %Z").to_string(),
            );
            format!("DEFER  {reason} ({rule}) until {local}")
        }
    };
    println!("  {:<22} at {}  {:<62} {note}", input, ctx.now, what);
}

pub(crate) fn run(root: &Path) -> Result<(), Box<dyn Error>> {
    italy(root)?;
    united_states(root)
}

fn italy(root: &Path) -> Result<(), Box<dyn Error>> {
    println!("Italy: RPO + code-of-conduct hours + silent-call cool-off + ROC caller ID");
    let (it, _) = Guard::open(&root.join("it/policy.toml"), GuardOptions::default())?;
    let cli = number::parse("+39 02 9999 0000", None)?;
    let fri = CallContext::new("2026-11-27T10:00:00+01:00".parse()?)
        .caller_id(cli)
        .campaign("winter-offers");
    show(&it, "02 1234 5678", &fri, "on the RPO, no consent");
    show(
        &it,
        "06 1234 5678",
        &fri,
        "on the RPO, consent given after registering",
    );
    show(
        &it,
        "347 123 4567",
        &fri,
        "on the RPO, consent given before registering (voided)",
    );
    show(
        &it,
        "333 111 2233",
        &fri,
        "on the RPO, contract ended 26 days ago",
    );
    show(
        &it,
        "02 8765 4321",
        &fri,
        "internal opt-out beats its consent",
    );
    show(&it, "899 123 456", &fri, "premium prefix suppressed");
    show(&it, "02 5555 1234", &fri, "not listed, inside the hours");
    let sat_evening = CallContext {
        now: "2026-11-28T19:30:00+01:00".parse()?,
        ..fri
    };
    show(
        &it,
        "02 5555 1234",
        &sat_evening,
        "Saturday after 19:00; Sunday closed",
    );
    let pre_holiday = CallContext {
        now: "2026-12-07T19:30:00+01:00".parse()?,
        ..fri
    };
    show(
        &it,
        "02 5555 1234",
        &pre_holiday,
        "eve of 8 December: 10-19 only, then the holiday",
    );
    let no_cli = CallContext {
        caller_id: None,
        ..fri
    };
    show(&it, "02 5555 1234", &no_cli, "no caller ID presented");
    show(&it, "12", &fri, "not a phone number");

    // A silent (abandoned) call: no recall for 5 days, then only with a live agent
    // (Garante, provision of 20 Feb 2014).
    let n = number::parse("02 5555 4321", it.snapshot().default_country())?;
    it.record_outcome(n, None, Outcome::Abandoned, &fri)?;
    let next_day = CallContext {
        now: "2026-11-30T10:00:00+01:00".parse()?,
        ..fri
    };
    show(
        &it,
        "02 5555 4321",
        &next_day,
        "3 days after a silent call, predictive: never without an agent",
    );
    show(
        &it,
        "02 5555 4321",
        &next_day.mode(Mode::Preview),
        "same, preview mode: still within the 5 days",
    );
    Ok(())
}

fn united_states(root: &Path) -> Result<(), Box<dyn Error>> {
    println!(
        "\nUnited States: National DNC + EBR, federal 8-21 callee time, Florida 8-20 and 3 per 24 h"
    );
    let (us, _) = Guard::open(&root.join("us/policy.toml"), GuardOptions::default())?;
    let ctx = CallContext::new("2026-11-27T15:00:00Z".parse()?)
        .campaign("renewals")
        .subject("auto-policy");
    show(&us, "(201) 555-0123", &ctx, "National DNC, no exemption");
    show(
        &us,
        "(212) 555-0100",
        &ctx,
        "National DNC, EBR from a purchase in June",
    );
    show(&us, "212-555-0177", &ctx, "company do-not-call list");
    let late = CallContext {
        now: "2026-11-28T01:30:00Z".parse()?,
        ..ctx
    };
    show(
        &us,
        "(305) 555-0188",
        &late,
        "Miami, 20:30 local: Florida stops at 20:00",
    );
    show(&us, "(206) 555-0188", &late, "Seattle, 17:30 local");

    // Florida: three attempts on the same subject within 24 hours, reserved atomically.
    let fl = number::parse("(305) 555-0142", us.snapshot().default_country())?;
    for i in 1..=4 {
        let r = us.check_and_reserve(fl, &ctx);
        println!("  reserve #{i} for {fl}: {:?}", r.decision.verdict());
    }
    show(
        &us,
        "(305) 555-0142",
        &ctx,
        "after three reservations today",
    );
    Ok(())
}
