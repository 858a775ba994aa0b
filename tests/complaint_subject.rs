//! Issue 12 items 1, 2 and 4 through the guard: every check, reservation, outcome,
//! opt-out and complaint goes to the decision log; a complaint opts the number out at
//! once and comes back with its evidence (the contact and the decision that allowed it);
//! `dialguard subject` answers an access request from the lists, the consents, the
//! history and the log; the log still verifies after all of it. Through the Rust API,
//! the CLI and the C ABI.

use std::path::Path;
use std::process::Command;

use dialguard::audit::AuditConfig;
use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::history::Outcome;
use dialguard::{Reason, number};
use jiff::Timestamp;

const BIN: &str = env!("CARGO_BIN_EXE_dialguard");
const FRI_10: &str = "2026-11-27T10:00:00+01:00";
const SAT_11: &str = "2026-11-28T11:00:00+01:00";

fn policy() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/policies/it/policy.toml")
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn a_complaint_opts_out_at_once_and_returns_the_contact_and_its_decision() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit");
    let options = GuardOptions {
        state_dir: Some(dir.path().join("state")),
        audit: Some(AuditConfig::new(&audit)),
        ..GuardOptions::default()
    };
    let (g, _) = Guard::open(Path::new(policy()), options).unwrap();
    let cli = number::parse("+39 0844 000 0000", None).unwrap();
    let n = number::parse("+39 02 5555 1234", None).unwrap();
    let fri = CallContext::new(at(FRI_10))
        .campaign("winter")
        .caller_id(cli);
    let r = g.check_and_reserve(n, &fri);
    assert!(r.decision.is_allow(), "{:?}", r.decision);
    g.record_outcome(n, r.attempt, Outcome::Answered, &fri)
        .unwrap();
    // A check of another number is logged too.
    let listed = g.check("02 1234 5678", &fri);
    assert_eq!(listed.reason(), Some(Reason::Registry));

    let sat = CallContext::new(at(SAT_11)).campaign("winter");
    let receipt = g
        .record_complaint(n, &sat, "phone", Some("they called me twice"))
        .unwrap();
    assert!(receipt.logged);
    assert_eq!(receipt.history.len(), 1, "{:?}", receipt.history);
    let evidence = receipt.evidence.expect("evidence from the log");
    assert_eq!(evidence.contacts.len(), 1, "{evidence:?}");
    let contact = &evidence.contacts[0];
    assert_eq!(contact.campaign.as_deref(), Some("winter"));
    assert_eq!(contact.outcome.as_deref(), Some("answered"));
    let decision = contact
        .decision
        .as_ref()
        .expect("the decision that allowed it");
    assert_eq!(decision.verdict.as_deref(), Some("allow"));

    // Opted out at once, on this thread and others.
    assert_eq!(g.check_number(n, &fri).reason(), Some(Reason::OptOut));
    let g2 = &g;
    std::thread::scope(|s| {
        s.spawn(|| assert_eq!(g2.check_number(n, &fri).reason(), Some(Reason::OptOut)));
    });
    let log = g.audit_log().unwrap();
    log.sync().unwrap();
    let report = dialguard::audit::verify(&audit).unwrap();
    // check (reserve), outcome, check, opt-out, complaint, check, check.
    assert!(report.records >= 7, "{report:?}");
}

#[test]
fn the_cli_records_a_complaint_and_answers_a_subject_access_request() {
    let dir = tempfile::tempdir().unwrap();
    let (state, audit) = (dir.path().join("state"), dir.path().join("audit"));
    let (state, audit) = (state.to_str().unwrap(), audit.to_str().unwrap());
    let run = |args: &[&str]| {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let base = ["--policy", policy(), "--state", state, "--audit", audit];
    let reserved: serde_json::Value = serde_json::from_str(&run(&[
        &["check"][..],
        &base,
        &["--at", FRI_10, "--campaign", "winter"],
        &[
            "--caller-id",
            "+39 0844 000 0000",
            "--reserve",
            "02 5555 1234",
        ],
    ]
    .concat()))
    .unwrap();
    assert_eq!(reserved["verdict"], "allow");
    let attempt = reserved["attempt"].as_u64().unwrap().to_string();
    run(&[
        &["record"][..],
        &base,
        &[
            "--at",
            FRI_10,
            "--campaign",
            "winter",
            "--attempt",
            &attempt,
        ],
        &["--outcome", "answered", "02 5555 1234"],
    ]
    .concat());
    let complaint: serde_json::Value = serde_json::from_str(&run(&[
        &["complaint"][..],
        &base,
        &[
            "--at",
            SAT_11,
            "--channel",
            "email",
            "--text",
            "twice in one day",
        ],
        &["02 5555 1234"],
    ]
    .concat()))
    .unwrap();
    assert_eq!(complaint["opted_out"], true);
    assert_eq!(complaint["logged"], true);
    assert_eq!(
        complaint["evidence"]["contacts"][0]["decision"]["verdict"],
        "allow"
    );
    assert_eq!(complaint["history"][0]["outcome"], "answered");

    let after: serde_json::Value = serde_json::from_str(&run(&[
        &["check"][..],
        &base,
        &["--at", SAT_11, "02 5555 1234"],
    ]
    .concat()))
    .unwrap();
    assert_eq!(after["reason"], "optout");

    let subject: serde_json::Value =
        serde_json::from_str(&run(&[&["subject"][..], &base, &["02 5555 1234"]].concat())).unwrap();
    assert!(subject["opted_out_at"].is_string(), "{subject}");
    assert_eq!(subject["contacts"][0]["outcome"], "answered");
    let kinds: Vec<&str> = subject["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for k in ["reserve", "outcome", "complaint", "opt_out", "check"] {
        assert!(kinds.contains(&k), "{k} not in {kinds:?}");
    }
    // A number on the RPO: the list and its registration date.
    let listed: serde_json::Value =
        serde_json::from_str(&run(&[&["subject"][..], &base, &["02 1234 5678"]].concat())).unwrap();
    assert_eq!(listed["lists"][0]["list"], "rpo", "{listed}");
    assert_eq!(listed["lists"][0]["registered"], "2025-03-01");

    let verify = run(&["audit", "verify", audit]);
    assert!(verify.starts_with("ok: "), "{verify}");

    // Without a decision log a complaint is refused before anything is recorded.
    let out = Command::new(BIN)
        .args([
            "complaint",
            "--policy",
            policy(),
            "--state",
            state,
            "02 5555 9999",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a decision log"));
}

#[test]
fn the_c_abi_records_a_complaint() {
    use dialguard::ffi::*;
    let p = std::ffi::CString::new(policy()).unwrap();
    let mut g = std::ptr::null_mut();
    assert_eq!(
        unsafe { dg_guard_open(p.as_ptr(), std::ptr::null(), &mut g) },
        dg_status::Ok
    );
    let ctx = dg_context {
        now_unix_ms: at(FRI_10).as_millisecond(),
        campaign: std::ptr::null(),
        subject: std::ptr::null(),
        caller_id: std::ptr::null(),
        caller_id_e164: 3_908_440_000_000,
        purpose: dg_purpose::Sales as u32,
        mode: dg_mode::Preview as u32,
    };
    let st = unsafe {
        dg_record_complaint(
            g,
            c"02 5555 7777".as_ptr(),
            &ctx,
            c"fax".as_ptr(),
            std::ptr::null(),
        )
    };
    assert_eq!(st, dg_status::InvalidArgument);
    let st = unsafe {
        dg_record_complaint(
            g,
            c"02 5555 7777".as_ptr(),
            &ctx,
            std::ptr::null(),
            c"rude".as_ptr(),
        )
    };
    assert_eq!(st, dg_status::Ok);
    let mut d = std::mem::MaybeUninit::<dg_decision>::zeroed();
    let st = unsafe { dg_check(g, c"02 5555 7777".as_ptr(), &ctx, d.as_mut_ptr()) };
    assert_eq!(st, dg_status::Ok);
    assert_eq!(unsafe { d.assume_init() }.reason, Reason::OptOut as u32);
    assert_eq!(unsafe { dg_guard_close(g) }, dg_status::Ok);
}
