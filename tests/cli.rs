//! The `dialguard` binary end to end against the example policies (policies/it,
//! policies/us): exact JSON Lines, explain output, the durable history across
//! invocations, exit codes and messages, and compiled list files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_dialguard");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")
}

fn it() -> String {
    root().join("it/policy.toml").display().to_string()
}

fn us() -> String {
    root().join("us/policy.toml").display().to_string()
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

fn run_with(args: &[&str], stdin: Option<&str>) -> Out {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run dialguard");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn run(args: &[&str]) -> Out {
    run_with(args, None)
}

/// Runs and requires exit code 0 and an empty stderr.
fn ok(args: &[&str]) -> Out {
    let out = run(args);
    assert_eq!(out.code, 0, "{args:?}\nstderr: {}", out.stderr);
    assert_eq!(out.stderr, "", "{args:?}");
    out
}

const FRI_10_ROME: &str = "2026-11-27T10:00:00+01:00";

#[test]
fn check_prints_one_exact_json_line_per_input() {
    let p = it();
    let out = ok(&[
        "check",
        "--policy",
        &p,
        "--at",
        FRI_10_ROME,
        "--caller-id",
        "+39 02 9999 0000",
        "02 1234 5678",
        "06 1234 5678",
        "347 123 4567",
        "333 111 2233",
        "02 8765 4321",
        "899 123 456",
        "02 5555 1234",
        "12",
    ]);
    assert_eq!(
        out.lines(),
        [
            r#"{"input":"02 1234 5678","number":"+390212345678","region":"IT","verdict":"deny","reason":"registry","rule":"rpo","constraints":[]}"#,
            r#"{"input":"06 1234 5678","number":"+390612345678","region":"IT","verdict":"allow","reason":null,"rule":null,"constraints":[]}"#,
            r#"{"input":"347 123 4567","number":"+393471234567","region":"IT","verdict":"deny","reason":"registry","rule":"rpo","constraints":[]}"#,
            r#"{"input":"333 111 2233","number":"+393331112233","region":"IT","verdict":"allow","reason":null,"rule":null,"constraints":[]}"#,
            r#"{"input":"02 8765 4321","number":"+390287654321","region":"IT","verdict":"deny","reason":"optout","rule":"internal-optout","constraints":[]}"#,
            r#"{"input":"899 123 456","number":"+39899123456","region":"IT","verdict":"deny","reason":"suppression","rule":"premium-prefixes","constraints":[]}"#,
            r#"{"input":"02 5555 1234","number":"+390255551234","region":"IT","verdict":"allow","reason":null,"rule":null,"constraints":[]}"#,
            r#"{"input":"12","verdict":"deny","reason":"invalid_number","rule":null,"constraints":[],"error":"too short: 2 digits after calling code +39; at least 6 expected"}"#,
        ]
    );
}

#[test]
fn check_defer_carries_until_in_utc() {
    let p = it();
    // Saturday 19:30 Rome: closed; Sunday closed; Monday 09:00 Rome = 08:00Z.
    let out = ok(&[
        "check",
        "--policy",
        &p,
        "--at",
        "2026-11-28T19:30:00+01:00",
        "--caller-id",
        "+39 0844 000 0000",
        "02 5555 1234",
    ]);
    assert_eq!(
        out.stdout,
        "{\"input\":\"02 5555 1234\",\"number\":\"+390255551234\",\"region\":\"IT\",\"verdict\":\"defer\",\"reason\":\"outside_window\",\"rule\":\"it-code-hours\",\"until\":\"2026-11-30T08:00:00Z\",\"until_local\":\"2026-11-30T09:00:00+01:00[Europe/Rome]\",\"constraints\":[]}\n"
    );
    // Eve of 8 December: 10-19 only, then the holiday: Wednesday 9th 09:00 Rome.
    let out = ok(&[
        "check",
        "--policy",
        &p,
        "--at",
        "2026-12-07T19:30:00+01:00",
        "--caller-id",
        "+39 0844 000 0000",
        "02 5555 1234",
    ]);
    assert!(
        out.stdout
            .contains(r#""rule":"it-code-hours","until":"2026-12-09T08:00:00Z""#),
        "{}",
        out.stdout
    );
}

#[test]
fn check_caller_id_flag() {
    let p = it();
    let line = |cli: Option<&str>| {
        let mut args = vec!["check", "--policy", &p, "--at", FRI_10_ROME];
        if let Some(c) = cli {
            args.extend(["--caller-id", c]);
        }
        args.push("02 5555 1234");
        ok(&args).stdout
    };
    let deny = "{\"input\":\"02 5555 1234\",\"number\":\"+390255551234\",\"region\":\"IT\",\"verdict\":\"deny\",\"reason\":\"caller_id\",\"rule\":\"it-cli\",\"constraints\":[]}\n";
    let allow = "{\"input\":\"02 5555 1234\",\"number\":\"+390255551234\",\"region\":\"IT\",\"verdict\":\"allow\",\"reason\":null,\"rule\":null,\"constraints\":[]}\n";
    assert_eq!(line(None), deny);
    assert_eq!(line(Some("+39 0844 123 4567")), allow);
    // Declared in the ROC list; national format follows default_country.
    assert_eq!(line(Some("02 9999 0001")), allow);
    assert_eq!(line(Some("02 9999 0002")), deny);
    // A caller ID that is not a number is a usage error.
    let out = run(&[
        "check",
        "--policy",
        &p,
        "--caller-id",
        "abc",
        "02 5555 1234",
    ]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "dialguard: --caller-id \"abc\": letter 'a' at position 1: a number may carry a label \
         before it (Tel:, Phone:), an extension after it (ext. 12, x12) or vanity letters after \
         three digits (1-800-FLOWERS); this is none of them\n"
    );
}

#[test]
fn check_reads_numbers_from_stdin() {
    let p = it();
    let out = run_with(
        &[
            "check",
            "--policy",
            &p,
            "--at",
            FRI_10_ROME,
            "--caller-id",
            "0299990000",
            "-",
        ],
        Some("02 1234 5678\n\n  06 1234 5678  \r\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.lines(),
        [
            r#"{"row":1,"input":"02 1234 5678","number":"+390212345678","region":"IT","verdict":"deny","reason":"registry","rule":"rpo","constraints":[]}"#,
            r#"{"row":3,"input":"06 1234 5678","number":"+390612345678","region":"IT","verdict":"allow","reason":null,"rule":null,"constraints":[]}"#,
        ]
    );
}

#[test]
fn check_us_policy_and_the_mode_flag() {
    let p = us();
    let out = ok(&[
        "check",
        "--policy",
        &p,
        "--at",
        "2026-11-28T01:30:00Z",
        "(201) 555-0123",
        "(212) 555-0100",
        "212-555-0177",
        "(305) 555-0188",
        "(206) 555-0188",
    ]);
    assert_eq!(
        out.lines(),
        [
            r#"{"input":"(201) 555-0123","number":"+12015550123","region":"US-NJ","verdict":"deny","reason":"registry","rule":"national-dnc","constraints":[]}"#,
            r#"{"input":"(212) 555-0100","number":"+12125550100","region":"US-NY","verdict":"allow","reason":null,"rule":null,"constraints":[]}"#,
            r#"{"input":"212-555-0177","number":"+12125550177","region":"US-NY","verdict":"deny","reason":"optout","rule":"company-dnc","constraints":[]}"#,
            r#"{"input":"(305) 555-0188","number":"+13055550188","region":"US-FL","verdict":"defer","reason":"outside_window","rule":"us-fl-hours","until":"2026-11-28T13:00:00Z","until_local":"2026-11-28T08:00:00-05:00[America/New_York]","constraints":[]}"#,
            r#"{"input":"(206) 555-0188","number":"+12065550188","region":"US-WA","verdict":"allow","reason":null,"rule":null,"constraints":[]}"#,
        ]
    );
    let out = run(&["check", "--policy", &p, "--mode", "robot", "(206) 555-0188"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "dialguard: --mode \"robot\" is not valid; use predictive | preview | manual\n"
    );
}

#[test]
fn explain_lists_every_rule_in_order_and_the_verdict() {
    let p = it();
    let out = ok(&[
        "explain",
        "--policy",
        &p,
        "--at",
        FRI_10_ROME,
        "--campaign",
        "winter",
        "--caller-id",
        "+39 0844 000 0000",
        "02 5555 1234",
    ]);
    let text = &out.stdout;
    assert!(
        text.starts_with(
            "number   02 5555 1234 -> +390255551234  region IT  zones Europe/Rome\n\
             at       2026-11-27T09:00:00Z  policy \"example-it-outbound\" (version "
        ),
        "{text}"
    );
    let steps: Vec<&str> = text.lines().filter(|l| l.starts_with("  [")).collect();
    assert_eq!(
        steps,
        [
            "  [list] internal-optout: pass — not listed",
            "  [list] premium-prefixes: pass — not listed",
            "  [list] rpo: pass — not listed",
            "  [caller_id] it-cli: pass — caller ID allowed",
            "  [caller_id] it-cli-survey: n/a — not in scope",
            "  [abandon_limit] it-silent-3-per-100: pass — 0 abandoned / 0 answered",
            "  [window] it-code-hours: pass — inside the calling window",
            "  [cooloff] it-silent-call: pass — no cool-off after abandoned running",
        ]
    );
    assert!(text.contains("      source: D.P.R. 26/2022 (RPO); L. 11 Jan 2018 n. 5 art. 1\n"));
    assert!(text.ends_with("\nverdict: allow\n"), "{text}");

    // A deny stops at the deciding rule.
    let out = ok(&[
        "explain",
        "--policy",
        &p,
        "--at",
        FRI_10_ROME,
        "02 1234 5678",
    ]);
    let steps: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("  ["))
        .collect();
    assert_eq!(
        steps,
        [
            "  [list] internal-optout: pass — not listed",
            "  [list] premium-prefixes: pass — not listed",
            "  [list] rpo: DENY registry — listed",
        ]
    );
    assert!(
        out.stdout
            .ends_with("\nverdict: deny (registry, rule rpo)\n")
    );

    // An invalid number.
    let out = ok(&["explain", "--policy", &p, "--at", FRI_10_ROME, "12"]);
    assert_eq!(
        out.stdout,
        "12: invalid number: too short: 2 digits after calling code +39; at least 6 expected\n\
         verdict: deny (invalid_number)\n"
    );
    // explain takes one number.
    let out = run(&["explain", "--policy", &p, "1", "2"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stderr, "dialguard: explain takes exactly one number\n");
}

#[test]
fn explain_of_a_deferral_shows_the_verdict_line() {
    let p = us();
    let out = ok(&[
        "explain",
        "--policy",
        &p,
        "--at",
        "2026-11-28T01:30:00Z",
        "--subject",
        "s",
        "(305) 555-0188",
    ]);
    let steps: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("  ["))
        .collect();
    assert_eq!(
        steps[..4],
        [
            "  [list] company-dnc: pass — not listed",
            "  [list] national-dnc: pass — not listed",
            "  [abandon_limit] us-tsr-3pct: n/a — no campaign given: rates are counted per campaign",
            "  [window] us-federal-hours: pass — inside the calling window",
        ]
    );
    assert_eq!(
        steps[4],
        "  [window] us-fl-hours: DEFER outside_window until 2026-11-28T13:00:00Z — closed now; \
         opens 2026-11-28T13:00:00Z"
    );
    assert!(out.stdout.ends_with(
        "\nverdict: defer (outside_window, rule us-fl-hours) until 2026-11-28T13:00:00Z\n"
    ));
}

#[test]
fn explain_of_a_deferral_still_lists_the_rules_consulted_after_it() {
    let p = us();
    let out = ok(&[
        "explain",
        "--policy",
        &p,
        "--at",
        "2026-11-28T01:30:00Z",
        "--subject",
        "s",
        "(305) 555-0188",
    ]);
    // The Florida cap is consulted (at the window's opening) but not reported.
    assert!(
        out.stdout.contains("  [cap] us-fl-3-per-24h: "),
        "{}",
        out.stdout
    );
}

#[test]
fn normalize_prints_exact_lines() {
    let out = ok(&[
        "normalize",
        "--default-country",
        "IT",
        "02 1234 5678",
        "+1 (212) 555-0100",
        "0039 347 123 4567",
        "abc",
    ]);
    assert_eq!(
        out.lines(),
        [
            r#"{"input":"02 1234 5678","number":"+390212345678","region":"IT","zones":["Europe/Rome"]}"#,
            r#"{"input":"+1 (212) 555-0100","number":"+12125550100","region":"US-NY","zones":["America/New_York"]}"#,
            r#"{"input":"0039 347 123 4567","number":"+393471234567","region":"IT","zones":["Europe/Rome","Europe/Vatican"]}"#,
            r#"{"error":"letter 'a' at position 1: a number may carry a label before it (Tel:, Phone:), an extension after it (ext. 12, x12) or vanity letters after three digits (1-800-FLOWERS); this is none of them","input":"abc"}"#,
        ]
    );
    let out = run_with(&["normalize", "-"], Some("+12085550100\n"));
    assert_eq!(
        out.stdout,
        "{\"input\":\"+12085550100\",\"number\":\"+12085550100\",\"region\":\"US-ID\",\"zones\":[\"America/Boise\",\"America/Los_Angeles\"]}\n"
    );
    let out = run(&["normalize", "--default-country", "XX", "1"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "dialguard: unknown country \"XX\"; use an ISO 3166-1 code such as IT or US\n"
    );
}

#[test]
fn compile_prints_a_summary() {
    let p = us();
    let out = ok(&["compile", "--policy", &p]);
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    let version = v["version"].as_str().unwrap().to_owned();
    assert_eq!(version.len(), 16);
    assert!(version.bytes().all(|b| b.is_ascii_hexdigit()), "{version}");
    assert_eq!(
        v,
        serde_json::json!({
            "policy": "example-us-outbound",
            "version": version,
            "rules": 7,
            "by_kind": {"abandon_limit": 1, "cap": 1, "list": 2, "live": 1, "window": 2},
            "lists": [
                {"id": "national-dnc", "kind": "registry", "numbers": 4},
                {"id": "company-dnc", "kind": "optout", "numbers": 1}
            ],
            "consents": 1,
            "horizon_days": 30
        })
    );
}

#[test]
fn record_then_check_with_state_persists_history_across_invocations() {
    let state = tempfile::tempdir().unwrap();
    let s = state.path().join("state").display().to_string();
    let p = it();
    let out = ok(&[
        "record",
        "--policy",
        &p,
        "--state",
        &s,
        "--at",
        FRI_10_ROME,
        "--outcome",
        "abandoned",
        "02 5555 4321",
        "xx",
    ]);
    let lines = out.lines();
    assert_eq!(lines.len(), 2);
    let rec: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(rec["input"], "02 5555 4321");
    assert_eq!(rec["number"], "+390255554321");
    assert_eq!(rec["recorded"], "abandoned");
    assert!(rec["attempt"].is_u64(), "{rec}");
    assert_eq!(
        lines[1],
        r#"{"error":"letter 'x' at position 1: a number may carry a label before it (Tel:, Phone:), an extension after it (ext. 12, x12) or vanity letters after three digits (1-800-FLOWERS); this is none of them","input":"xx"}"#
    );
    // A later, separate invocation sees the silent call: 5-day cool-off.
    let check = |mode: &str| {
        ok(&[
            "check",
            "--policy",
            &p,
            "--state",
            &s,
            "--at",
            "2026-11-30T10:00:00+01:00",
            "--caller-id",
            "+39 0844 000 0000",
            "--mode",
            mode,
            "02 5555 4321",
        ])
        .stdout
    };
    // Garante 2014: no recall for 5 days in any mode, then only with an agent: predictive
    // is denied, preview deferred to the end of the 5 days.
    assert_eq!(
        check("predictive"),
        "{\"input\":\"02 5555 4321\",\"number\":\"+390255554321\",\"region\":\"IT\",\"verdict\":\"deny\",\"reason\":\"cooloff\",\"rule\":\"it-silent-call\",\"constraints\":[]}\n"
    );
    assert_eq!(
        check("preview"),
        "{\"input\":\"02 5555 4321\",\"number\":\"+390255554321\",\"region\":\"IT\",\"verdict\":\"defer\",\"reason\":\"cooloff\",\"rule\":\"it-silent-call\",\"until\":\"2026-12-02T09:00:00Z\",\"until_local\":\"2026-12-02T10:00:00+01:00[Europe/Rome]\",\"constraints\":[]}\n"
    );
    // Without the state directory nothing is remembered.
    let out = ok(&[
        "check",
        "--policy",
        &p,
        "--at",
        "2026-11-30T10:00:00+01:00",
        "--caller-id",
        "+39 0844 000 0000",
        "02 5555 4321",
    ]);
    assert!(
        out.stdout.contains(r#""verdict":"allow""#),
        "{}",
        out.stdout
    );

    // An opt_out outcome is remembered as an opt-out.
    ok(&[
        "record",
        "--policy",
        &p,
        "--state",
        &s,
        "--at",
        FRI_10_ROME,
        "--outcome",
        "opt_out",
        "02 5555 9999",
    ]);
    let out = ok(&[
        "check",
        "--policy",
        &p,
        "--state",
        &s,
        "--at",
        "2026-11-30T10:00:00+01:00",
        "--caller-id",
        "+39 0844 000 0000",
        "02 5555 9999",
    ]);
    assert_eq!(
        out.stdout,
        "{\"input\":\"02 5555 9999\",\"number\":\"+390255559999\",\"region\":\"IT\",\"verdict\":\"deny\",\"reason\":\"optout\",\"rule\":\"live-optout\",\"constraints\":[]}\n"
    );
}

fn attempt_of(line: &str) -> Option<u64> {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v.get("attempt")
        .map(|a| a.as_u64().expect("attempt is a u64"))
}

#[test]
fn check_reserve_counts_toward_the_cap() {
    let p = us();
    // Four reservations in one invocation: three allowed with consecutive attempt ids.
    let out = run_with(
        &[
            "check",
            "--policy",
            &p,
            "--at",
            "2026-11-27T15:00:00Z",
            "--subject",
            "auto",
            "--reserve",
            "-",
        ],
        Some("(305) 555-0142\n(305) 555-0142\n(305) 555-0142\n(305) 555-0142\n"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines = out.lines();
    assert_eq!(lines.len(), 4);
    let ids: Vec<Option<u64>> = lines.iter().map(|l| attempt_of(l)).collect();
    let first = ids[0].expect("first reservation has an attempt id");
    assert_eq!(ids, [Some(first), Some(first + 1), Some(first + 2), None]);
    for l in &lines[..3] {
        assert!(
            l.contains(r#""verdict":"allow","reason":null,"rule":null,"constraints":[]"#),
            "{l}"
        );
    }
    assert_eq!(
        lines[3],
        r#"{"row":4,"input":"(305) 555-0142","number":"+13055550142","region":"US-FL","verdict":"defer","reason":"cap","rule":"us-fl-3-per-24h","until":"2026-11-28T15:00:00Z","until_local":"2026-11-28T10:00:00-05:00[America/New_York]","constraints":[]}"#
    );

    // Across invocations with --state: the third hour's reservation is the last allowed.
    let state = tempfile::tempdir().unwrap();
    let s = state.path().display().to_string();
    let reserve = |at: &str| {
        ok(&[
            "check",
            "--policy",
            &p,
            "--state",
            &s,
            "--at",
            at,
            "--subject",
            "auto",
            "--reserve",
            "(305) 555-0142",
        ])
        .stdout
    };
    for at in [
        "2026-11-27T14:00:00Z",
        "2026-11-27T15:00:00Z",
        "2026-11-27T16:00:00Z",
    ] {
        let line = reserve(at);
        assert!(line.contains(r#""verdict":"allow""#), "{at}: {line}");
        assert!(attempt_of(line.trim()).is_some());
    }
    assert_eq!(
        reserve("2026-11-27T17:00:00Z"),
        "{\"input\":\"(305) 555-0142\",\"number\":\"+13055550142\",\"region\":\"US-FL\",\"verdict\":\"defer\",\"reason\":\"cap\",\"rule\":\"us-fl-3-per-24h\",\"until\":\"2026-11-28T14:00:00Z\",\"until_local\":\"2026-11-28T09:00:00-05:00[America/New_York]\",\"constraints\":[]}\n"
    );
    // Plain check does not reserve.
    let out = ok(&[
        "check",
        "--policy",
        &p,
        "--state",
        &s,
        "--at",
        "2026-11-28T14:00:00Z",
        "--subject",
        "auto",
        "(305) 555-0142",
    ]);
    assert!(!out.stdout.contains("attempt"), "{}", out.stdout);
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    let p = it();
    let out = run(&["check", "--policy", "/nonexistent/policy.toml", "1"]);
    assert_eq!((out.code, out.stdout.as_str()), (2, ""));
    assert_eq!(
        out.stderr,
        "dialguard: /nonexistent/policy.toml: cannot read the policy: No such file or directory \
         (os error 2) (check the path and permissions)\n"
    );

    let out = run(&["check", "--policy", &p, "--at", "yesterday", "1"]);
    assert_eq!((out.code, out.stdout.as_str()), (2, ""));
    assert!(
        out.stderr
            .starts_with("dialguard: --at \"yesterday\" is not an RFC 3339 instant ("),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .ends_with("); write e.g. 2026-03-10T11:00:00+01:00\n"),
        "{}",
        out.stderr
    );

    let out = run(&["check", "--policy", &p, "--bogus", "1"]);
    assert_eq!((out.code, out.stdout.as_str()), (2, ""));
    assert!(
        out.stderr
            .starts_with("error: unexpected argument '--bogus' found"),
        "{}",
        out.stderr
    );

    let out = run(&[
        "record",
        "--policy",
        &p,
        "--state",
        "/tmp/unused",
        "--at",
        FRI_10_ROME,
        "--outcome",
        "hung_up",
        "1",
    ]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "dialguard: --outcome: unknown outcome \"hung_up\"; valid outcomes: no_answer, busy, \
         answered, abandoned, machine, refused, opt_out, wrong_number\n"
    );

    // A broken policy: the compiler's message, with file and line.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[policy]\nname = \"b\"\n\n[[cap]]\nid = \"c\"\nmax = 3\nwithin = \"30\"\n",
    )
    .unwrap();
    let out = run(&["check", "--policy", &bad.display().to_string(), "1"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        format!(
            "dialguard: {}:4: [[cap]] \"c\", key `within`: bad duration \"30\": a number needs a \
             unit (d, h, m or s) (write e.g. \"24h\", \"7d\", \"30d\")\n",
            bad.display()
        )
    );
    let out = run(&["compile", "--policy", &bad.display().to_string()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(":4: [[cap]] \"c\", key `within`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_compiled_list_gives_the_same_verdicts_as_the_text_list() {
    let dir = tempfile::tempdir().unwrap();
    let lists = dir.path().join("lists");
    std::fs::create_dir_all(&lists).unwrap();
    for f in ["national-dnc.txt", "company-dnc.txt", "consents.csv"] {
        std::fs::copy(root().join("us/lists").join(f), lists.join(f)).unwrap();
    }
    let bin = lists.join("national-dnc.bin");
    let out = ok(&[
        "compile-list",
        &lists.join("national-dnc.txt").display().to_string(),
        &bin.display().to_string(),
        "--snapshot-date",
        "2026-11-15",
        "--default-country",
        "US",
    ]);
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(v["lines"], 5);
    assert_eq!(v["entries"], 4);
    assert_eq!(v["numbers"], 4);
    assert_eq!(v["bytes_in"], 85);
    assert_eq!(
        v["bytes_out"].as_u64(),
        Some(std::fs::metadata(&bin).unwrap().len())
    );

    let text_policy = std::fs::read_to_string(root().join("us/policy.toml")).unwrap();
    std::fs::write(dir.path().join("text.toml"), &text_policy).unwrap();
    // The compiled file carries its snapshot date: the policy need not repeat it.
    let compiled_policy = text_policy
        .replace("lists/national-dnc.txt", "lists/national-dnc.bin")
        .replace("snapshot_date = \"2026-11-15\"\n", "");
    assert_ne!(compiled_policy, text_policy);
    std::fs::write(dir.path().join("compiled.toml"), &compiled_policy).unwrap();

    let numbers = [
        "(201) 555-0123",
        "(212) 555-0100",
        "(305) 555-0111",
        "(407) 555-0199",
        "212-555-0177",
        "(305) 555-0188",
        "(206) 555-0188",
        "(201) 555-0124",
    ];
    let check = |policy: &str, at: &str| {
        let p = dir.path().join(policy).display().to_string();
        let mut args = vec!["check", "--policy", &p, "--at", at];
        args.extend(numbers);
        ok(&args).stdout
    };
    for at in [
        "2026-11-27T15:00:00Z",
        "2026-11-28T01:30:00Z",
        "2026-12-16T15:00:00Z",
        "2026-12-16T00:00:01Z",
    ] {
        assert_eq!(
            check("text.toml", at),
            check("compiled.toml", at),
            "at {at}"
        );
    }
    let fresh = check("compiled.toml", "2026-11-27T15:00:00Z");
    assert_eq!(
        fresh
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                format!(
                    "{} {}",
                    v["verdict"].as_str().unwrap(),
                    v["rule"].as_str().unwrap_or("-")
                )
            })
            .collect::<Vec<_>>(),
        [
            "deny national-dnc",
            "allow -",
            "deny national-dnc",
            "deny national-dnc",
            "deny company-dnc",
            "allow -",
            // 07:00 in Seattle.
            "defer us-federal-hours",
            "allow -",
        ]
    );
    // 31 days after 2026-11-15 (00:00 UTC) the copy is stale, from the compiled date too.
    let stale = check("compiled.toml", "2026-12-16T00:00:01Z");
    assert!(
        stale
            .lines()
            .filter(|l| !l.contains("company-dnc"))
            .all(|l| l.contains(r#""reason":"stale_list","rule":"national-dnc""#)),
        "{stale}"
    );
}

#[test]
fn compile_list_reads_registry_export_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_dialguard");
    // A CSV export: header, the number in column 2, the registration date in column 3.
    let csv = dir.path().join("export.csv");
    std::fs::write(
        &csv,
        "id;phone;registered\n1;+390212345678;2025-03-01\n2;\"+393471234567\";2024-10-15\n",
    )
    .unwrap();
    let out = dir.path().join("export.dgl");
    let st = std::process::Command::new(bin)
        .args([
            "compile-list",
            csv.to_str().unwrap(),
            out.to_str().unwrap(),
            "--csv-column",
            "2",
            "--date-column",
            "3",
        ])
        .args([
            "--delimiter",
            ";",
            "--skip-header",
            "--snapshot-date",
            "2026-11-20",
        ])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let list = dialguard::lists::open_compiled(&out).unwrap();
    let n = |d: u64| dialguard::Number::from_e164_digits(d).unwrap();
    let day = |s: &str| dialguard::calendar::Date::parse(s).unwrap().to_days();
    assert_eq!(list.set.len(), 2);
    assert_eq!(
        list.set.registered_on(n(390212345678)),
        Some(Some(day("2025-03-01")))
    );
    assert_eq!(
        list.set.registered_on(n(393471234567)),
        Some(Some(day("2024-10-15")))
    );
    assert_eq!(list.snapshot_date, Some(day("2026-11-20")));
    assert!(
        !dir.path().join("export.plain.tmp").exists(),
        "the temporary flat file is removed"
    );

    // The US National DNC download: area code and number in two columns.
    let split = dir.path().join("dnc.txt");
    std::fs::write(&split, "201,5550123\n212,5550100\n").unwrap();
    let out2 = dir.path().join("dnc.dgl");
    let st = std::process::Command::new(bin)
        .args([
            "compile-list",
            split.to_str().unwrap(),
            out2.to_str().unwrap(),
            "--area-code-split",
        ])
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let list = dialguard::lists::open_compiled(&out2).unwrap();
    assert!(list.set.contains(n(12015550123)) && list.set.contains(n(12125550100)));
    assert_eq!(list.set.len(), 2);

    // A malformed split line is a clear error naming file:line.
    std::fs::write(&split, "201,5550123\n21,555\n").unwrap();
    let st = std::process::Command::new(bin)
        .args([
            "compile-list",
            split.to_str().unwrap(),
            out2.to_str().unwrap(),
            "--area-code-split",
        ])
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(2));
    let err = String::from_utf8_lossy(&st.stderr);
    assert!(
        err.contains("dnc.txt:2:") && err.contains("not an area code and a 7-digit number"),
        "{err}"
    );
}
