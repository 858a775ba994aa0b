//! What the pack tests share (tests/packs.rs, packs_law.rs, packs_us_dated.rs): a guard
//! over a built-in pack, numbers and instants from text, and verdict assertions that name
//! the deciding rule.

// Each test file uses its own subset.
#![allow(dead_code)]

use std::path::Path;

use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::policy;
use dialguard::{Decision, Number, Reason, Verdict};
use jiff::Timestamp;

/// When the test snapshots are compiled (Unix seconds).
pub const NOW: i64 = 1_780_000_000;

pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

pub fn secs(s: &str) -> i64 {
    ts(s).as_second()
}

pub fn num(s: &str) -> Number {
    dialguard::number::parse(s, None).unwrap()
}

pub fn guard(text: &str) -> Guard {
    let snap = policy::compile_str(text, Path::new("test.toml"), NOW).unwrap();
    Guard::with_snapshot(snap, GuardOptions::default())
        .unwrap()
        .0
}

/// A guard over one pack alone.
pub fn pack(name: &str) -> Guard {
    guard(&format!(
        "[policy]\nname = \"t\"\ninclude = [\"builtin:{name}\"]\n{}",
        directory(name)
    ))
}

/// The IT pack asks the policy which numbers come from public directories (Codice di
/// condotta 2024 art. 10 c.2): the scenarios say every Italian number does.
pub fn directory(name: &str) -> &'static str {
    if name == "it" {
        "\n[[list]]\nid = \"it-public-directory\"\nkind = \"directory\"\nprefixes = [\"+39\"]\n"
    } else {
        ""
    }
}

/// A pack with a consent file holding `(number, kind)` records (no expiry, any
/// campaign), plus `extra` policy text. `tag` names the file's folder.
pub fn with_consents(name: &str, tag: &str, records: &[(&str, &str)], extra: &str) -> Guard {
    let dir = std::env::temp_dir().join(format!(
        "dialguard-packs-{name}-{tag}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("consents.csv");
    let mut text = String::from("number,kind,granted_at,expires_at,campaign\n");
    for (n, kind) in records {
        text.push_str(&format!("{n},{kind},2023-01-01,,*\n"));
    }
    std::fs::write(&path, text).unwrap();
    let path = path.display().to_string().replace('\\', "/");
    guard(&format!(
        "[policy]\nname = \"t\"\ninclude = [\"builtin:{name}\"]\n\n[[consent]]\nid = \"crm\"\npath = \"{path}\"\n{extra}"
    ))
}

/// The id of the rule that decided (deny / defer), or "-" for allow.
pub fn rule_of(g: &Guard, d: &Decision) -> String {
    d.rule()
        .and_then(|r| g.snapshot().rule(r).map(|m| m.id.clone()))
        .unwrap_or_else(|| "-".into())
}

#[track_caller]
pub fn assert_allow(g: &Guard, n: &str, ctx: &CallContext<'_>) {
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
pub fn assert_defer(
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
        (Verdict::Defer, Some(ts(until)), Some(reason), rule),
        "{n} at {}: {d:?}",
        ctx.now
    );
}

#[track_caller]
pub fn assert_deny(g: &Guard, n: &str, ctx: &CallContext<'_>, reason: Reason, rule: &str) {
    let d = g.check_number(num(n), ctx);
    assert_eq!(
        (d.verdict(), d.reason(), rule_of(g, &d).as_str()),
        (Verdict::Deny, Some(reason), rule),
        "{n} at {}: {d:?}",
        ctx.now
    );
}
