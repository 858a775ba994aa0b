//! `dialguard report` over a generated day of traffic: the JSON counts against counts
//! kept independently while generating, the CSV's rows, and the HTML page rendered by a
//! real headless Chromium (Debian's `chromium`; .ci/run installs it) whose figures must be
//! the JSON's.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use dialguard::audit::{AuditConfig, AuditLog, Complaint, DecisionRecord, ListAge, RecordKind};
use dialguard::history::Outcome;
use dialguard::{Number, Reason, Verdict};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_dialguard");
/// 2026-03-16T00:00:00Z, the reported day.
const DAY: i64 = 1_773_619_200;

/// What the generator wrote for the reported day, counted on its own.
#[derive(Default)]
struct Expected {
    total: u64,
    by_verdict: BTreeMap<String, u64>,
    by_reason: BTreeMap<String, u64>,
    by_rule: BTreeMap<String, u64>,
    by_campaign: BTreeMap<String, u64>,
    by_kind: BTreeMap<String, u64>,
    /// (connected, abandoned) per campaign.
    abandon: BTreeMap<String, (u64, u64)>,
    rpo_calls: u64,
    rpo_old: u64,
    violations: Vec<u64>,
    /// Complainant number → contacts (allowed reservations) in the 90 days before.
    complaints: BTreeMap<String, u64>,
}

fn add(m: &mut BTreeMap<String, u64>, k: &str) {
    *m.entry(k.to_owned()).or_default() += 1;
}

/// A small deterministic generator (xorshift64*), independent of the crate's.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

const CAMPAIGNS: [Option<&str>; 3] = [Some("spring"), Some("summer"), None];
const DENIALS: [(Reason, &str); 3] = [
    (Reason::Registry, "rpo"),
    (Reason::OptOut, "optout"),
    (Reason::Cap, "it-cap-3"),
];
const OUTCOMES: [Outcome; 4] = [
    Outcome::Answered,
    Outcome::Abandoned,
    Outcome::NoAnswer,
    Outcome::Machine,
];

fn number(i: u64) -> Number {
    Number::from_e164_digits(393_470_000_000 + i).unwrap()
}

/// Writes 3,000 attempts on the reported day plus 200 on each neighbouring day, two calls
/// placed without an allowing decision, an opt-out and two complaints.
fn generate(dir: &Path) -> Expected {
    let log = AuditLog::open(&AuditConfig::new(dir)).unwrap();
    let mut x = Expected::default();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let fresh: Arc<[ListAge]> = Arc::from(vec![ListAge {
        list: "rpo".into(),
        snapshot: Some(20_522),
    }]); // 2026-03-10
    let stale: Arc<[ListAge]> = Arc::from(vec![ListAge {
        list: "rpo".into(),
        snapshot: Some(20_485),
    }]); // 2026-02-01
    let mut attempt = 0u64;
    // Contacts per number before each instant, for the complaints' evidence.
    let mut contacts: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
    for (day_offset, count) in [(-1i64, 200u64), (0, 3000), (1, 200)] {
        for i in 0..count {
            let at = DAY + day_offset * 86_400 + i64::try_from(i).unwrap() * 25;
            let n = rng.next(400);
            let campaign = CAMPAIGNS[usize::try_from(rng.next(3)).unwrap()];
            let reserve = rng.next(4) != 0;
            let mut r = DecisionRecord::new(
                if reserve {
                    RecordKind::Reserve
                } else {
                    RecordKind::Check
                },
                at,
            );
            r.number = Some(number(n));
            r.campaign = campaign.map(Into::into);
            r.lists = if rng.next(2) == 0 {
                Arc::clone(&fresh)
            } else {
                Arc::clone(&stale)
            };
            let roll = rng.next(20);
            let (verdict, reason_rule) = match roll {
                0..=11 => (Verdict::Allow, None),
                12..=16 => (
                    Verdict::Deny,
                    Some(DENIALS[usize::try_from(roll - 12).unwrap() % 3]),
                ),
                _ => (Verdict::Defer, Some((Reason::OutsideWindow, "it-hours"))),
            };
            r.verdict = Some(verdict);
            if let Some((reason, rule)) = reason_rule {
                r.reason = Some(reason);
                r.rule = Some(Arc::from(rule));
            }
            if verdict == Verdict::Defer {
                r.until = Some(at + 3600);
            }
            if reserve {
                attempt += 1;
                r.attempt = Some(attempt);
            }
            let stale_list = Arc::ptr_eq(&r.lists, &stale);
            log.record(r);
            if day_offset == 0 {
                x.total += 1;
                add(&mut x.by_verdict, verdict.name());
                if let Some((reason, rule)) = reason_rule {
                    add(&mut x.by_reason, reason.name());
                    add(&mut x.by_rule, rule);
                }
                add(&mut x.by_campaign, campaign.unwrap_or("(none)"));
                add(&mut x.by_kind, if reserve { "reserve" } else { "check" });
            }
            if !(reserve && verdict == Verdict::Allow) {
                continue;
            }
            contacts.entry(n).or_default().push(at);
            if day_offset == 0 {
                x.rpo_calls += 1;
                x.rpo_old += u64::from(stale_list);
            }
            // The dialer places the call and reports its outcome.
            let outcome = OUTCOMES[usize::try_from(rng.next(4)).unwrap()];
            let mut o = DecisionRecord::new(RecordKind::Outcome, at + 20);
            o.number = Some(number(n));
            o.campaign = campaign.map(Into::into);
            o.attempt = Some(attempt);
            o.outcome = Some(outcome);
            log.record(o);
            if day_offset == 0 {
                let a = x
                    .abandon
                    .entry(campaign.unwrap_or("(none)").to_owned())
                    .or_default();
                a.0 += u64::from(outcome.is_connected());
                a.1 += u64::from(outcome == Outcome::Abandoned);
            }
        }
    }
    // Two calls placed without an allowing decision: a deferred reservation's attempt,
    // and an attempt id never reserved.
    attempt += 1;
    let mut r = DecisionRecord::new(RecordKind::Reserve, DAY + 80_000);
    r.number = Some(number(7));
    r.verdict = Some(Verdict::Defer);
    r.reason = Some(Reason::OutsideWindow);
    r.rule = Some(Arc::from("it-hours"));
    r.until = Some(DAY + 86_400 + 8 * 3600);
    r.attempt = Some(attempt);
    log.record(r);
    x.total += 1;
    add(&mut x.by_verdict, "defer");
    add(&mut x.by_reason, "outside_window");
    add(&mut x.by_rule, "it-hours");
    add(&mut x.by_campaign, "(none)");
    add(&mut x.by_kind, "reserve");
    for (a, t) in [(attempt, DAY + 80_010), (999_999, DAY + 80_020)] {
        let mut o = DecisionRecord::new(RecordKind::Outcome, t);
        o.number = Some(number(7));
        o.attempt = Some(a);
        o.outcome = Some(Outcome::NoAnswer);
        log.record(o);
        x.violations.push(a);
        x.abandon.entry("(none)".into()).or_default();
    }
    let mut opt = DecisionRecord::new(RecordKind::OptOut, DAY + 81_000);
    opt.number = Some(number(3));
    log.record(opt);
    // Complaints about two numbers, at the end of the reported day.
    for (n, channel) in [(11u64, "phone"), (12, "web")] {
        let received = DAY + 82_000;
        let mut c = DecisionRecord::new(RecordKind::Complaint, received);
        c.number = Some(number(n));
        c.complaint = Some(Box::new(Complaint {
            channel: channel.into(),
            text: Some("called at dinner".into()),
        }));
        log.record(c);
        let before = contacts
            .get(&n)
            .map_or(0, |v| v.iter().filter(|&&t| t <= received).count());
        x.complaints.insert(
            format!("+{}", number(n).get()),
            u64::try_from(before).unwrap(),
        );
    }
    log.close().unwrap();
    x
}

fn report(dir: &Path, format: &str) -> String {
    let out = Command::new(BIN)
        .args([
            "report",
            "--audit",
            dir.to_str().unwrap(),
            "--from",
            "2026-03-16",
            "--to",
            "2026-03-16",
            "--format",
            format,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn map(v: &Value) -> BTreeMap<String, u64> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect()
}

#[test]
fn the_json_report_matches_counts_kept_while_generating() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let x = generate(&dir);
    let j: Value = serde_json::from_str(&report(&dir, "json")).unwrap();
    assert_eq!(j["from"], "2026-03-16T00:00:00Z");
    assert_eq!(j["to"], "2026-03-17T00:00:00Z");
    let d = &j["decisions"];
    assert_eq!(d["total"].as_u64().unwrap(), x.total);
    assert_eq!(x.total, 3001);
    assert_eq!(map(&d["by_verdict"]), x.by_verdict);
    assert_eq!(map(&d["by_reason"]), x.by_reason);
    assert_eq!(map(&d["by_rule"]), x.by_rule);
    assert_eq!(map(&d["by_campaign"]), x.by_campaign);
    assert_eq!(map(&d["by_kind"]), x.by_kind);
    assert_eq!(
        map(&d["by_day"]),
        BTreeMap::from([("2026-03-16".to_owned(), x.total)])
    );
    let v = &j["violations"];
    assert_eq!(v["count"].as_u64().unwrap(), 2);
    let attempts: Vec<u64> = v["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"]["attempt"].as_u64().unwrap())
        .collect();
    assert_eq!(attempts, x.violations);
    assert_eq!(v["calls"][0]["reservation"]["reason"], "outside_window");
    assert!(v["calls"][1]["reservation"].is_null());
    let rpo = &j["registry_age"]["rpo"];
    assert_eq!(rpo["calls"].as_u64().unwrap(), x.rpo_calls);
    assert_eq!(rpo["max_days"].as_i64().unwrap(), 43);
    assert_eq!(rpo["buckets"][">30"].as_u64().unwrap(), x.rpo_old);
    assert_eq!(
        rpo["buckets"]["2-7"].as_u64().unwrap(),
        x.rpo_calls - x.rpo_old
    );
    for (campaign, (connected, abandoned)) in &x.abandon {
        let a = &j["abandon"][campaign];
        assert_eq!(a["connected"].as_u64().unwrap(), *connected, "{campaign}");
        assert_eq!(a["abandoned"].as_u64().unwrap(), *abandoned, "{campaign}");
    }
    assert_eq!(j["abandon"].as_object().unwrap().len(), x.abandon.len());
    assert_eq!(j["opt_outs"], 1);
    let complaints = j["complaints"].as_array().unwrap();
    assert_eq!(complaints.len(), 2);
    for c in complaints {
        let n = c["number"].as_str().unwrap();
        let contacts = c["contacts"].as_array().unwrap();
        assert_eq!(
            u64::try_from(contacts.len()).unwrap(),
            x.complaints[n],
            "{n}"
        );
        assert!(
            !contacts.is_empty(),
            "{n}: the generator gave it no contact"
        );
        for k in contacts {
            assert_eq!(k["decision"]["verdict"], "allow");
            assert!(k["outcome"].is_string(), "{k}");
        }
    }
    assert_eq!(complaints[0]["channel"], "phone");
}

#[test]
fn the_csv_report_has_five_fields_a_row_and_the_same_totals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let x = generate(&dir);
    let csv = report(&dir, "csv");
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some("section,group,key,value,detail"));
    assert!(csv.contains(&format!("decisions,,total,{},\r\n", x.total)));
    assert!(csv.contains(&format!(
        "decisions,by_verdict,allow,{},\r\n",
        x.by_verdict["allow"]
    )));
    assert!(csv.contains("violations,,count,2,\r\n"));
    let complaint_rows = csv.lines().filter(|l| l.starts_with("complaint,")).count();
    assert_eq!(complaint_rows, 2);
    let contact_rows = csv
        .lines()
        .filter(|l| l.starts_with("complaint_contact,"))
        .count();
    assert_eq!(
        u64::try_from(contact_rows).unwrap(),
        x.complaints.values().sum::<u64>()
    );
    for l in csv.lines() {
        // No field here holds a comma or quote, so a plain split counts the fields.
        assert_eq!(l.split(',').count(), 5, "{l}");
    }
}

/// The page as Chromium rendered it (`--dump-dom`), or `None` when Chromium is missing.
fn render(page: &Path, profile: &Path) -> Option<String> {
    let chromium = ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(chromium) = chromium else {
        common::missing_tool(
            "chromium",
            "the HTML report's rendering test",
            "apt-get install chromium",
        );
        return None;
    };
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Bounded: a hung browser fails the test instead of hanging it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish rendering in 90 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "chromium failed");
    Some(String::from_utf8(out.stdout).unwrap())
}

/// The text of the element with `id` in `dom`.
fn text_of(dom: &str, id: &str) -> String {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let start = at + dom[at..].find('>').unwrap() + 1;
    let end = start + dom[start..].find('<').unwrap();
    dom[start..end].to_owned()
}

#[test]
fn the_html_page_renders_in_chromium_with_the_json_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    generate(&dir);
    let j: Value = serde_json::from_str(&report(&dir, "json")).unwrap();
    let page = tmp.path().join("report.html");
    std::fs::write(&page, report(&dir, "html")).unwrap();
    let Some(dom) = render(&page, &tmp.path().join("profile")) else {
        return;
    };
    assert!(!dom.contains("<script"), "the page must run no script");
    let d = &j["decisions"];
    assert_eq!(text_of(&dom, "total"), d["total"].to_string());
    for v in ["allow", "deny", "defer"] {
        assert_eq!(text_of(&dom, v), d["by_verdict"][v].to_string(), "{v}");
    }
    assert_eq!(
        text_of(&dom, "violations"),
        j["violations"]["count"].to_string()
    );
    assert_eq!(text_of(&dom, "complaints"), "2");
    // Every bar of every chart: its label and its value as rendered.
    for chart in [
        "by_verdict",
        "by_reason",
        "by_rule",
        "by_campaign",
        "by_day",
    ] {
        let at = dom
            .find(&format!("id=\"chart-{chart}\""))
            .unwrap_or_else(|| panic!("no chart {chart}"));
        let svg = &dom[at..at + dom[at..].find("</svg>").unwrap()];
        let m = d[chart].as_object().unwrap();
        assert_eq!(svg.matches("class=\"bar\"").count(), m.len(), "{chart}");
        for (k, n) in m {
            let bar = format!("data-key=\"{k}\" data-value=\"{n}\"><text x=\"0\" y=");
            let bar_at = svg
                .find(&bar)
                .unwrap_or_else(|| panic!("{chart}: no bar for {k} = {n}"));
            let shown = &svg[bar_at..];
            assert!(
                shown.contains(&format!(">{k}</text>")),
                "{chart}: label {k}"
            );
            let value_at = shown.find("class=\"value\"").unwrap();
            let value = &shown[value_at + shown[value_at..].find('>').unwrap() + 1..];
            assert_eq!(
                &value[..value.find('<').unwrap()],
                n.to_string(),
                "{chart}: {k}"
            );
        }
    }
    for (campaign, a) in j["abandon"].as_object().unwrap() {
        let row = format!("data-campaign=\"{campaign}\"");
        assert!(dom.contains(&row), "abandon row for {campaign}");
        assert!(
            dom.contains(&format!("data-value=\"{}\"", a["rate"])),
            "{campaign} rate"
        );
    }
}
