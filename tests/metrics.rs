//! Guard metrics: the counters after a known sequence of checks and reservations (by
//! verdict, reason and rule), rule counters kept by name across a reload that renumbers
//! the rules, snapshot age and reload count, and the Prometheus text: checked line by line
//! here, and parsed by the reference Python client (`prometheus_client`) when installed.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use dialguard::metrics::{MetricsSnapshot, NO_RULE};
use dialguard::{CallContext, Guard, GuardOptions, Number, Reason, Verdict};
use jiff::Timestamp;

const POLICY: &str = r#"
[policy]
name = "metered"
default_country = "US"

[[window]]
id = "weekdays"
mon-fri = ["09:00-20:00"]
sat = []
sun = []

[[cap]]
id = "two-a-day"
max = 2
within = "24h"
"#;

/// The same rules in the other order, so that their ids (indices) swap.
const REORDERED: &str = r#"
[policy]
name = "metered"
default_country = "US"

[[cap]]
id = "two-a-day"
max = 2
within = "24h"

[[window]]
id = "weekdays"
mon-fri = ["09:00-20:00"]
sat = []
sun = []
"#;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn n(s: &str) -> Number {
    dialguard::number::parse(s, None).unwrap()
}

fn count(m: &MetricsSnapshot, v: Verdict, r: Option<Reason>, rule: &str) -> u64 {
    m.decisions
        .iter()
        .filter(|d| d.verdict == v && d.reason == r && d.rule == rule)
        .map(|d| d.count)
        .sum()
}

/// Friday 10:00 and Saturday 10:00 in New York.
const FRIDAY: &str = "2026-11-27T15:00:00Z";
const SATURDAY: &str = "2026-11-28T15:00:00Z";

fn open(dir: &std::path::Path) -> Guard {
    std::fs::write(dir.join("policy.toml"), POLICY).unwrap();
    Guard::open(&dir.join("policy.toml"), GuardOptions::default())
        .unwrap()
        .0
}

/// Runs the known sequence; returns the guard after it.
fn known_sequence(g: &Guard) {
    let fri = CallContext::new(at(FRIDAY)).campaign("c1");
    let a = n("+1 212 555 0101");
    let b = n("+1 212 555 0102");
    for _ in 0..2 {
        let r = g.check_and_reserve(a, &fri);
        assert!(r.decision.is_allow() && r.attempt.is_some(), "{r:?}");
    }
    let r = g.check_and_reserve(a, &fri);
    assert_eq!(r.decision.reason(), Some(Reason::Cap));
    assert_eq!(g.check_number(a, &fri).reason(), Some(Reason::Cap));
    assert_eq!(
        g.check("not a number", &fri).reason(),
        Some(Reason::InvalidNumber)
    );
    let sat = CallContext::new(at(SATURDAY));
    assert_eq!(
        g.check_number(b, &sat).reason(),
        Some(Reason::OutsideWindow)
    );
    assert!(g.check_number(b, &fri).is_allow());
}

#[test]
fn counters_match_a_known_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let g = open(dir.path());
    assert_eq!(g.metrics().snapshot().decisions_total(), 0);
    known_sequence(&g);
    let m = g.metrics().snapshot();
    assert_eq!(count(&m, Verdict::Allow, None, NO_RULE), 3, "{m:?}");
    assert_eq!(count(&m, Verdict::Defer, Some(Reason::Cap), "two-a-day"), 2);
    assert_eq!(
        count(&m, Verdict::Defer, Some(Reason::OutsideWindow), "weekdays"),
        1
    );
    assert_eq!(
        count(&m, Verdict::Deny, Some(Reason::InvalidNumber), NO_RULE),
        1
    );
    assert_eq!(m.decisions_total(), 7, "nothing else counted: {m:?}");
    assert_eq!(m.by_verdict(Verdict::Allow), 3);
    assert_eq!(m.by_verdict(Verdict::Defer), 3);
    assert_eq!(m.by_verdict(Verdict::Deny), 1);
    assert_eq!(m.by_reason(Reason::Cap), 2);
    assert_eq!(m.by_rule("two-a-day"), 2);
    assert_eq!(m.by_rule("weekdays"), 1);
    assert_eq!(m.reservations, 2);
    assert_eq!(m.store_failures, 0);
    assert_eq!(m.reloads, 0);
    assert_eq!(m.audit_dropped, 0);
    assert_eq!(m.policy_name, "metered");
    assert_eq!(m.policy_version, g.snapshot().version());

    g.metrics().add_audit_drops(3);
    g.metrics().add_audit_drops(4);
    assert_eq!(g.metrics().snapshot().audit_dropped, 7);
}

#[test]
fn latency_is_sampled_into_the_histogram() {
    let dir = tempfile::tempdir().unwrap();
    let g = open(dir.path());
    let fri = CallContext::new(at(FRIDAY));
    let b = n("+1 212 555 0102");
    let sample = u64::from(dialguard::metrics::LATENCY_SAMPLE);
    for _ in 0..sample * 4 {
        g.check_number(b, &fri);
    }
    let m = g.metrics().snapshot();
    // Four full sampling periods on this thread: at least three samples whatever the
    // phase of the per-thread tick, and never more than five.
    let c = m.check_latency.count();
    assert!((3..=5).contains(&c), "{c} samples of {}", sample * 4);
    assert!(m.check_latency.sum_ns > 0);
    assert_eq!(m.reserve_latency.count(), 0, "no reservation was made");
    assert_eq!(
        m.check_latency.counts.len(),
        m.check_latency.upper_bounds_ns.len() + 1
    );
}

#[test]
fn reload_counts_ages_and_keeps_rule_counters_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let g = open(dir.path());
    known_sequence(&g);
    let age1 = g.metrics().snapshot().snapshot_age;
    std::thread::sleep(Duration::from_millis(60));
    let age2 = g.metrics().snapshot().snapshot_age;
    assert!(
        age2 >= age1 + Duration::from_millis(60),
        "{age1:?} then {age2:?}"
    );

    std::fs::write(dir.path().join("policy.toml"), REORDERED).unwrap();
    g.reload(&dir.path().join("policy.toml")).unwrap();
    let m = g.metrics().snapshot();
    assert_eq!(m.reloads, 1);
    assert!(
        m.snapshot_age < age2,
        "{:?} after the reload",
        m.snapshot_age
    );
    assert_eq!(m.policy_version, g.snapshot().version());

    // The rules now have each other's ids; counts still go to the right names.
    let fri = CallContext::new(at(FRIDAY));
    let sat = CallContext::new(at(SATURDAY));
    assert_eq!(
        g.check_number(n("+1 212 555 0101"), &fri).reason(),
        Some(Reason::Cap)
    );
    assert_eq!(
        g.check_number(n("+1 212 555 0199"), &sat).reason(),
        Some(Reason::OutsideWindow)
    );
    let m = g.metrics().snapshot();
    assert_eq!(count(&m, Verdict::Defer, Some(Reason::Cap), "two-a-day"), 3);
    assert_eq!(
        count(&m, Verdict::Defer, Some(Reason::OutsideWindow), "weekdays"),
        2
    );
}

/// Checks every line of a Prometheus text exposition (version 0.0.4): a `# HELP` and a
/// `# TYPE` before each family's samples, sample names of that family (with the
/// histogram suffixes), well-formed labels, a numeric value. Returns the samples.
fn strict_parse(text: &str) -> Vec<(String, String, f64)> {
    let mut family: Option<(String, String)> = None;
    let mut samples = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let where_ = format!("line {}: {line:?}", i + 1);
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert!(valid_name(name), "{where_}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, ty) = rest.split_once(' ').expect(&where_);
            assert!(valid_name(name), "{where_}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&ty),
                "{where_}"
            );
            family = Some((name.to_owned(), ty.to_owned()));
            continue;
        }
        assert!(!line.starts_with('#') && !line.is_empty(), "{where_}");
        let (fam, ty) = family.as_ref().expect("a sample before any # TYPE");
        let (series, value) = line.rsplit_once(' ').expect(&where_);
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, rest.strip_suffix('}').expect(&where_)),
            None => (series, ""),
        };
        let ok_name = if ty == "histogram" {
            ["_bucket", "_sum", "_count"]
                .iter()
                .any(|s| name.strip_suffix(s) == Some(fam.as_str()))
        } else {
            name == fam
        };
        assert!(ok_name, "{where_}: not of family {fam}");
        if !labels.is_empty() {
            for pair in split_labels(labels) {
                let (k, v) = pair.split_once('=').expect(&where_);
                assert!(valid_name(k), "{where_}: label {k}");
                assert!(
                    v.len() >= 2 && v.starts_with('"') && v.ends_with('"'),
                    "{where_}"
                );
            }
        }
        let v: f64 = match value {
            "+Inf" => f64::INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("{where_}: value")),
        };
        samples.push((name.to_owned(), labels.to_owned(), v));
    }
    samples
}

fn valid_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_' || f == ':')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_' || x == ':')
}

/// Splits `a="x",b="y"` at commas outside quotes (values here hold no escapes).
fn split_labels(s: &str) -> Vec<&str> {
    let (mut out, mut start, mut quoted) = (Vec::new(), 0, false);
    for (i, ch) in s.char_indices() {
        match ch {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn value(samples: &[(String, String, f64)], name: &str, labels: &str) -> f64 {
    samples
        .iter()
        .find(|(n, l, _)| n == name && l == labels)
        .unwrap_or_else(|| panic!("no {name}{{{labels}}} in {samples:?}"))
        .2
}

#[test]
fn text_is_prometheus_exposition_with_the_counts() {
    let dir = tempfile::tempdir().unwrap();
    let g = open(dir.path());
    known_sequence(&g);
    g.metrics().add_audit_drops(5);
    let text = g.metrics_text();
    let s = strict_parse(&text);
    let dec = "dialguard_decisions_total";
    assert_eq!(
        value(&s, dec, r#"verdict="defer",reason="cap",rule="two-a-day""#),
        2.0
    );
    assert_eq!(
        value(
            &s,
            dec,
            r#"verdict="defer",reason="outside_window",rule="weekdays""#
        ),
        1.0
    );
    assert_eq!(
        value(&s, dec, r#"verdict="allow",reason="",rule="none""#),
        3.0
    );
    assert_eq!(value(&s, "dialguard_reservations_total", ""), 2.0);
    assert_eq!(value(&s, "dialguard_store_failures_total", ""), 0.0);
    assert_eq!(value(&s, "dialguard_reloads_total", ""), 0.0);
    assert_eq!(value(&s, "dialguard_audit_dropped_total", ""), 5.0);
    assert!(value(&s, "dialguard_snapshot_age_seconds", "") >= 0.0);
    let version = format!("{:016x}", g.snapshot().version());
    assert_eq!(
        value(
            &s,
            "dialguard_policy_info",
            &format!(r#"name="metered",version="{version}""#)
        ),
        1.0
    );
    // Histogram: cumulative buckets ending in +Inf equal to _count.
    let m = g.metrics().snapshot();
    let inf = value(
        &s,
        "dialguard_check_duration_seconds_bucket",
        r#"op="check",le="+Inf""#,
    );
    let cnt = value(
        &s,
        "dialguard_check_duration_seconds_count",
        r#"op="check""#,
    );
    assert_eq!(inf, cnt);
    assert_eq!(cnt, m.check_latency.count() as f64);
    let buckets: Vec<f64> = s
        .iter()
        .filter(|(n, l, _)| {
            n == "dialguard_check_duration_seconds_bucket" && l.starts_with(r#"op="reserve""#)
        })
        .map(|x| x.2)
        .collect();
    assert_eq!(buckets.len(), m.reserve_latency.counts.len());
    assert!(buckets.windows(2).all(|w| w[0] <= w[1]), "{buckets:?}");

    python_parses(&text);
}

/// The reference client's parser reads every family back.
fn python_parses(text: &str) {
    // The python3 on PATH may be a private one (pyenv); Debian's package installs the
    // parser for the system's /usr/bin/python3. Use the first that has it.
    let python = ["python3", "/usr/bin/python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import prometheus_client.parser"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    let Some(python) = python else {
        common::missing_tool(
            "python3 with prometheus_client",
            "the Prometheus reference parser check of metrics_text",
            "apt-get install python3-prometheus-client",
        );
        return;
    };
    let script = "import sys\n\
        from prometheus_client.parser import text_string_to_metric_families\n\
        for f in text_string_to_metric_families(sys.stdin.read()):\n\
        \x20   for s in f.samples:\n\
        \x20       print(f.type, s.name, sorted(s.labels.items()), s.value)\n";
    let mut child = Command::new(python)
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "prometheus_client rejected the text:\n{}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "counter dialguard_decisions_total [('reason', 'cap'), ('rule', 'two-a-day'), ('verdict', 'defer')] 2.0"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("histogram dialguard_check_duration_seconds_count [('op', 'check')]"));
    assert!(stdout.contains("gauge dialguard_policy_info"), "{stdout}");
}

#[test]
fn cli_check_prints_the_metrics_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dialguard"))
        .args(["check", "--policy"])
        .arg(&policy)
        .args(["--at", SATURDAY, "--metrics", "+1 212 555 0101", "garbage"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    let text = String::from_utf8(out.stderr).unwrap();
    let s = strict_parse(&text);
    let dec = "dialguard_decisions_total";
    assert_eq!(
        value(
            &s,
            dec,
            r#"verdict="defer",reason="outside_window",rule="weekdays""#
        ),
        1.0
    );
    // "garbage" is rejected by the CLI's own parser before it reaches the guard, so the
    // guard counted one decision (docs/metrics.md says so).
    assert_eq!(s.iter().filter(|x| x.0 == dec).count(), 1, "{text}");
}
