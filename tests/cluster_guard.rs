//! Guards on a policy with `[cluster]`, against a real private redis-server: the guard
//! holds the shared store through the history seam, so a cap holds across guards (as it
//! would across dialer servers), an opt-out on one guard is denied by the others, a
//! node that cannot reach Redis fails closed, and the CLI and the C ABI take the shared
//! store from the policy without a state directory.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::{Reason, Verdict, number};
use jiff::Timestamp;

/// Friday 27 November 2026, 10:00 in Rome.
const FRI_10: &str = "2026-11-27T10:00:00+01:00";

fn policy(dir: &Path, redis: &str, prefix: &str, when_unavailable: &str) -> std::path::PathBuf {
    let p = dir.join("policy.toml");
    std::fs::write(
        &p,
        format!(
            r#"[policy]
name = "cluster-test"
default_country = "IT"

[cluster]
redis = "{redis}"
key_prefix = "{prefix}"
when_unavailable = "{when_unavailable}"
connect_timeout_ms = 300
command_timeout_ms = 1000

[[window]]
id = "hours"
applies_to = ["IT"]
mon-fri = ["09:00-20:00"]
sat = []
sun = []

[[cap]]
id = "three-a-day"
applies_to = ["IT"]
max = 3
within = "24h"
key = "number"
count = "attempts"
"#
        ),
    )
    .unwrap();
    p
}

fn at() -> Timestamp {
    FRI_10.parse().unwrap()
}

fn open(p: &Path) -> Guard {
    Guard::open(p, GuardOptions::default()).unwrap().0
}

#[test]
fn a_cap_holds_across_guards_sharing_redis() {
    let Some(redis) = common::redis::start("cluster_guard::a_cap_holds_across_guards") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = policy(dir.path(), &redis.url(), "cap:", "deny");
    let guards: Vec<Arc<Guard>> = (0..3).map(|_| Arc::new(open(&p))).collect();
    assert!(guards.iter().all(|g| g.shared_store().is_some()));
    let n = number::parse(
        "02 5555 1234",
        None.or(number::Country::from_iso("IT").as_ref()),
    )
    .unwrap();
    let admitted: usize = std::thread::scope(|s| {
        let handles: Vec<_> = guards
            .iter()
            .flat_map(|g| (0..2).map(move |_| g))
            .map(|g| {
                s.spawn(move || {
                    (0..4)
                        .filter(|_| {
                            g.check_and_reserve(n, &CallContext::new(at()))
                                .attempt
                                .is_some()
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(
        admitted, 3,
        "3 guards x 2 threads x 4 attempts under a cap of 3"
    );
    // Every guard now defers the number (its replica has the other nodes' attempts).
    let deadline = Instant::now() + Duration::from_secs(5);
    for g in &guards {
        loop {
            let d = g.check_number(n, &CallContext::new(at()));
            if d.verdict() == Verdict::Defer {
                assert_eq!(d.reason(), Some(Reason::Cap));
                break;
            }
            assert!(
                Instant::now() < deadline,
                "a guard never saw the cap: {d:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn an_opt_out_on_one_guard_is_denied_by_another() {
    let Some(redis) = common::redis::start("cluster_guard::an_opt_out_on_one_guard") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = policy(dir.path(), &redis.url(), "opt:", "deny");
    let (a, b) = (open(&p), open(&p));
    let n = number::parse("+39 02 5555 9876", None).unwrap();
    assert!(b.check_number(n, &CallContext::new(at())).is_allow());
    a.opt_out(n, at()).unwrap();
    let started = Instant::now();
    loop {
        let d = b.check_number(n, &CallContext::new(at()));
        if d.reason() == Some(Reason::OptOut) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the other guard still answers {d:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    eprintln!(
        "opt-out seen by the other guard after {:?}",
        started.elapsed()
    );
    // A guard opened later loads it from Redis.
    let c = open(&p);
    assert_eq!(
        c.check_number(n, &CallContext::new(at())).reason(),
        Some(Reason::OptOut)
    );
}

#[test]
fn a_guard_that_cannot_reach_redis_fails_closed() {
    // A port nothing listens on: reserve one, then let it go.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let p = policy(
        dir.path(),
        &format!("redis://127.0.0.1:{port}"),
        "down:",
        "deny",
    );
    let started = Instant::now();
    let g = open(&p);
    let n = number::parse("+39 02 5555 1234", None).unwrap();
    // Inside the window, no history needed to allow it, yet the node cannot know the
    // opt-outs other nodes recorded: deny.
    let d = g.check_number(n, &CallContext::new(at()));
    assert_eq!(d.reason(), Some(Reason::StoreUnavailable), "{d:?}");
    let r = g.check_and_reserve(n, &CallContext::new(at()));
    assert_eq!(r.decision.reason(), Some(Reason::StoreUnavailable));
    assert!(r.attempt.is_none());
    assert!(g.store_error().is_some_and(|e| e.contains("Redis")));
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn the_cli_and_the_c_abi_take_the_shared_store_from_the_policy() {
    let Some(redis) = common::redis::start("cluster_guard::the_cli_and_the_c_abi") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let p = policy(dir.path(), &redis.url(), "cli:", "deny");
    let bin = env!("CARGO_BIN_EXE_dialguard");
    let reserve = || {
        let out = Command::new(bin)
            .args(["check", "--policy", p.to_str().unwrap(), "--at", FRI_10])
            .args(["--reserve", "02 5555 4444"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // No --state: three processes in a row reserve, the fourth is deferred by the cap.
    for _ in 0..3 {
        assert!(reserve().contains("\"verdict\":\"allow\""));
    }
    let fourth = reserve();
    assert!(fourth.contains("\"reason\":\"cap\""), "{fourth}");
    // record without --state records the opt-out in the shared store.
    let out = Command::new(bin)
        .args(["record", "--policy", p.to_str().unwrap(), "--at", FRI_10])
        .args(["--outcome", "opt_out", "02 5555 3333"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The C ABI: the same policy, no state directory.
    use dialguard::ffi::*;
    let path = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    let mut g = std::ptr::null_mut();
    assert_eq!(
        unsafe { dg_guard_open(path.as_ptr(), std::ptr::null(), &mut g) },
        dg_status::Ok
    );
    let ctx = dg_context {
        now_unix_ms: at().as_millisecond(),
        campaign: std::ptr::null(),
        subject: std::ptr::null(),
        caller_id: std::ptr::null(),
        caller_id_e164: 0,
        purpose: dg_purpose::Sales as u32,
        mode: dg_mode::Predictive as u32,
    };
    let mut d = std::mem::MaybeUninit::<dg_decision>::zeroed();
    let st = unsafe { dg_check(g, c"02 5555 3333".as_ptr(), &ctx, d.as_mut_ptr()) };
    assert_eq!(st, dg_status::Ok);
    let d = unsafe { d.assume_init() };
    assert_eq!(d.reason, Reason::OptOut as u32);
    assert_eq!(unsafe { dg_guard_close(g) }, dg_status::Ok);
}
