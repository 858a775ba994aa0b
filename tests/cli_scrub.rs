//! `dialguard check --csv-column`: a CRM export scrubbed with one JSON line per data row
//! that joins back to the row, `--summary`, `until_local`, and `record --attempt`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_dialguard");

fn it_policy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/it/policy.toml")
}

struct Out {
    code: Option<i32>,
    lines: Vec<Value>,
    stderr: String,
}

fn run(args: &[&str]) -> Out {
    let out = Command::new(BIN).args(args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    Out {
        code: out.status.code(),
        lines: stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A small export with what real ones hold: quoted cells with the delimiter inside,
/// blank and garbage cells, a row shorter than the header.
const CRM: &str = "id,name,phone,notes\n\
    101,Mario Rossi,02 1234 5678,\n\
    102,\"Bianchi, Anna\",\"+39 02 5555 1234\",\"said \"\"call later\"\"\"\n\
    103,No Phone,,\n\
    104,Garbage,n/a,\n\
    105,Short row\n\
    106,Opted out,02 8765 4321,\n";

#[test]
fn one_line_per_data_row_with_its_row_number_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("crm.csv");
    std::fs::write(&csv, CRM).unwrap();
    let policy = it_policy();
    let out = run(&[
        "check",
        "--policy",
        policy.to_str().unwrap(),
        "--at",
        "2026-11-27T10:00:00+01:00",
        "--caller-id",
        "02 9999 0000",
        "--csv-column",
        "phone",
        "--summary",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.lines.len(), 6, "one line per data row");
    let rows: Vec<u64> = out
        .lines
        .iter()
        .map(|l| l["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [1, 2, 3, 4, 5, 6]);
    let inputs: Vec<&str> = out
        .lines
        .iter()
        .map(|l| l["input"].as_str().unwrap())
        .collect();
    assert_eq!(
        inputs,
        [
            "02 1234 5678",
            "+39 02 5555 1234",
            "",
            "n/a",
            "",
            "02 8765 4321"
        ]
    );
    let verdicts: Vec<(&str, &str)> = out
        .lines
        .iter()
        .map(|l| {
            (
                l["verdict"].as_str().unwrap(),
                l["reason"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("deny", "registry"),
            ("allow", "-"),
            ("deny", "invalid_number"),
            ("deny", "invalid_number"),
            ("deny", "invalid_number"),
            ("deny", "optout"),
        ]
    );
    // The summary on stderr agrees with the lines, counted here independently.
    let summary: Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert_eq!(summary["checked"], 6);
    assert_eq!(summary["allow"], 1);
    assert_eq!(summary["deny"], 5);
    assert_eq!(summary["defer"], 0);
    assert_eq!(summary["by_reason"]["invalid_number"], 3);
    assert_eq!(summary["by_rule"]["rpo"], 1);
}

#[test]
fn columns_by_index_without_header_and_other_delimiters() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("crm.csv");
    std::fs::write(&csv, "02 1234 5678;x\n;y\n").unwrap();
    let policy = it_policy();
    let out = run(&[
        "check",
        "--policy",
        policy.to_str().unwrap(),
        "--at",
        "2026-11-27T10:00:00+01:00",
        "--csv-column",
        "1",
        "--no-header",
        "--delimiter",
        ";",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.lines.len(), 2);
    assert_eq!(out.lines[0]["number"], "+390212345678");
    assert_eq!(out.lines[1]["reason"], "invalid_number");

    let out = run(&[
        "check",
        "--policy",
        policy.to_str().unwrap(),
        "--csv-column",
        "telefono",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr
            .contains("no column \"telefono\" in the header row; the columns are: 02 1234 5678;x"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_defer_says_when_in_the_callees_local_time() {
    let policy = it_policy();
    let out = run(&[
        "check",
        "--policy",
        policy.to_str().unwrap(),
        "--at",
        "2026-11-28T19:30:00+01:00",
        "--caller-id",
        "02 9999 0000",
        "02 5555 1234",
    ]);
    assert_eq!(out.lines[0]["until"], "2026-11-30T08:00:00Z");
    assert_eq!(
        out.lines[0]["until_local"],
        "2026-11-30T09:00:00+01:00[Europe/Rome]"
    );
}

/// `check --reserve` then `record` used to count every call twice: after two real
/// calls a cap of 3 deferred the third. With `--attempt` the outcome joins its
/// reservation.
#[test]
fn record_attempt_attaches_the_outcome_to_the_reservation() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[policy]\nname = \"t\"\ndefault_country = \"IT\"\n[[cap]]\nid = \"three-a-day\"\nmax = 3\nwithin = \"24h\"\n",
    )
    .unwrap();
    let state = dir.path().join("state");
    let (p, s) = (policy.to_str().unwrap(), state.to_str().unwrap());
    let at = |h: u32| format!("2026-11-27T{h:02}:00:00+01:00");
    for h in [9, 10] {
        let reserve = run(&[
            "check",
            "--policy",
            p,
            "--state",
            s,
            "--at",
            &at(h),
            "--reserve",
            "--fsync",
            "never",
            "02 1234 5678",
        ]);
        assert_eq!(reserve.lines[0]["verdict"], "allow", "{:?}", reserve.lines);
        let attempt = reserve.lines[0]["attempt"].as_u64().unwrap().to_string();
        let recorded = run(&[
            "record",
            "--policy",
            p,
            "--state",
            s,
            "--at",
            &at(h),
            "--attempt",
            &attempt,
            "--outcome",
            "no_answer",
            "02 1234 5678",
        ]);
        assert_eq!(recorded.code, Some(0), "{}", recorded.stderr);
        assert_eq!(
            recorded.lines[0]["attempt"].as_u64().unwrap().to_string(),
            attempt
        );
    }
    let third = run(&[
        "check",
        "--policy",
        p,
        "--state",
        s,
        "--at",
        &at(11),
        "--reserve",
        "02 1234 5678",
    ]);
    assert_eq!(third.lines[0]["verdict"], "allow", "{:?}", third.lines);
    let fourth = run(&[
        "check",
        "--policy",
        p,
        "--state",
        s,
        "--at",
        &at(12),
        "02 1234 5678",
    ]);
    assert_eq!(fourth.lines[0]["reason"], "cap");

    let bad = run(&[
        "check",
        "--policy",
        p,
        "--fsync",
        "sometimes",
        "02 1234 5678",
    ]);
    assert_eq!(bad.code, Some(2));
    assert!(
        bad.stderr.contains("--fsync \"sometimes\" is not valid"),
        "{}",
        bad.stderr
    );
}

/// The README's main command: the tour of the bundled policies.
#[test]
fn demo_tours_the_bundled_policies() {
    let out = Command::new(BIN).arg("demo").output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "DENY   registry (rpo)",
        "DEFER  outside_window (it-code-hours) until Mon 30 Nov 09:00 CET",
        "DENY   cooloff (it-silent-call)",
        "DEFER  cap (us-fl-3-per-24h) until Sat 28 Nov 10:00 EST",
        "reserve #4 for +13055550142: Defer",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }
}
