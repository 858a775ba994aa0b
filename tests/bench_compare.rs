//! `dialguard bench --compare`: dialguard and its peers asked the same questions in one
//! run — against a real, private redis-server (tests/common/redis.rs) and, built with
//! `--features sqlite-peer`, an in-process SQLite. Small sizes (a 20,000-number
//! registry, a 5,000-number sample, 0.3 s phases): the figures must be there and
//! positive, every answer must agree with dialguard's, the cap must have bitten (some
//! reservations refused) and the peer's keys must be gone afterwards.
//! Without redis-server it fails when `CI` is set and skips loudly otherwise.

mod common;

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_dialguard");

/// Runs the bench on the US policy at 11:00 New York with `--compare` `peers`; returns
/// the exit code, the JSON (Null when none was printed) and stderr.
fn bench_compare(peers: &[&str]) -> (i32, serde_json::Value, String) {
    let policy = format!("{}/policies/us/policy.toml", env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new(BIN);
    cmd.args(["bench", "--policy", &policy, "--at", "2026-11-27T16:00:00Z"])
        .args([
            "--synthetic",
            "20000",
            "--queries",
            "20000",
            "--history",
            "1000",
        ])
        .args(["--threads", "1", "--seconds", "0.3", "--machine-mb", "0"])
        .args(["--compare-numbers", "5000"]);
    for p in peers {
        cmd.args(["--compare", p]);
    }
    let out = cmd.output().expect("run dialguard bench --compare");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let json = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().expect("exited"), json, stderr)
}

fn positive(v: &serde_json::Value, path: &str) -> f64 {
    let x = v
        .pointer(path)
        .and_then(serde_json::Value::as_f64)
        .unwrap_or_else(|| panic!("{path} is not a number in {v}"));
    assert!(x > 0.0, "{path} = {x} in {v}");
    x
}

/// The figures of one participant (dialguard or a peer) are there and positive, and
/// the cap admitted some reservations and refused others.
fn check_figures(v: &serde_json::Value) {
    for path in [
        "/membership/ops",
        "/membership/p50_ns",
        "/membership/p99_ns",
        "/membership/ops_per_s",
        "/membership_batch/numbers",
        "/membership_batch/numbers_per_s",
        "/cap/ops",
        "/cap/p50_ns",
        "/cap/p99_ns",
        "/cap/ops_per_s",
        "/cap/admitted",
    ] {
        positive(v, path);
    }
    // The schedule admits 6 of every 8 attempts: refusals prove the cap was enforced.
    let ops = positive(v, "/cap/ops");
    let admitted = positive(v, "/cap/admitted");
    assert!(admitted < ops, "the cap never refused: {v}");
}

/// A peer agreed with dialguard on every answer, and its ratios are there.
fn check_peer(j: &serde_json::Value, name: &str) {
    let c = &j["compare"];
    // 5,000 drawn evenly from the registry, less the few numbers it holds twice.
    let sample = positive(c, "/registry_numbers");
    assert!((4500.0..=5000.0).contains(&sample), "the sample size: {c}");
    positive(c, "/registry_hits_in_queries");
    check_figures(&c["dialguard"]);
    assert_eq!(c["dialguard"]["membership_wrong"], 0, "{c}");
    assert_eq!(c["dialguard"]["cap_wrong_vs_rule"], 0, "{c}");
    let peers = c["peers"].as_array().expect("peers");
    let p = peers
        .iter()
        .find(|p| p["peer"] == name)
        .unwrap_or_else(|| panic!("no {name} peer in {c}"));
    check_figures(p);
    let a = &p["agreement"];
    positive(a, "/membership_answers");
    // At least one whole block of the cap schedule (1024 numbers × 8 attempts).
    assert!(positive(a, "/cap_answers_compared") >= 8192.0, "{a}");
    for k in [
        "membership_disagreements",
        "cap_disagreements",
        "cap_wrong_vs_rule",
    ] {
        assert_eq!(a[k], 0, "{name}: {k} in {a}");
    }
    for path in [
        "/ratios/membership/peer_p50_over_dialguard_p50",
        "/ratios/membership/peer_p99_over_dialguard_p99",
        "/ratios/membership/dialguard_per_s_over_peer_per_s",
        "/ratios/membership_batch/dialguard_numbers_per_s_over_peer_numbers_per_s",
        "/ratios/cap/peer_p50_over_dialguard_p50",
        "/ratios/cap/peer_p99_over_dialguard_p99",
        "/ratios/cap/dialguard_per_s_over_peer_per_s",
    ] {
        positive(p, path);
    }
    // Both admitted the same reservations over the ops both made; dialguard made at
    // least as many.
    assert!(c["dialguard"]["cap"]["ops"].as_u64() >= p["cap"]["ops"].as_u64());
}

#[test]
fn redis_peer_agrees_with_dialguard_and_cleans_up() {
    let Some(srv) = common::redis::start("dialguard bench --compare redis://") else {
        return;
    };
    let client = redis::Client::open(srv.url()).expect("client");
    let mut con = client.get_connection().expect("connect");
    // The shared helper's server syncs its append-only file on every write; a peer for
    // a comparison keeps its data in memory, as a cache of the registry would.
    redis::cmd("CONFIG")
        .arg(&["SET", "appendonly", "no"])
        .query::<()>(&mut con)
        .expect("CONFIG SET appendonly no");
    let (code, j, stderr) = bench_compare(&[&srv.url()]);
    assert_eq!(code, 0, "{j}\n{stderr}");
    check_peer(&j, "redis");
    let about = &j["compare"]["peers"][0]["about"];
    assert!(
        about["redis_version"]
            .as_str()
            .is_some_and(|v| !v.is_empty())
    );
    positive(about, "/used_memory_bytes_per_number");
    // Every key it wrote is gone.
    let keys: u64 = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
    assert_eq!(keys, 0, "keys left behind on the test server");
}

#[test]
fn an_unreachable_or_unknown_peer_is_a_clear_error() {
    let (code, _, stderr) = bench_compare(&["redis://127.0.0.1:1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot connect"), "{stderr}");
    assert!(stderr.contains("redis-server"), "says what to do: {stderr}");
    let (code, _, stderr) = bench_compare(&["postgres://x"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("redis://HOST:PORT"), "{stderr}");
}

#[cfg(not(feature = "sqlite-peer"))]
#[test]
fn sqlite_without_the_feature_says_how_to_build_it() {
    let (code, _, stderr) = bench_compare(&["sqlite"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--features sqlite-peer"), "{stderr}");
}

#[cfg(feature = "sqlite-peer")]
#[test]
fn sqlite_peer_agrees_with_dialguard_and_removes_its_file() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let policy = format!("{}/policies/us/policy.toml", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(BIN)
        .env("TMPDIR", tmp.path())
        .args(["bench", "--policy", &policy, "--at", "2026-11-27T16:00:00Z"])
        .args(["--synthetic", "20000", "--queries", "20000"])
        .args(["--threads", "1", "--seconds", "0.3", "--machine-mb", "0"])
        .args(["--compare-numbers", "5000", "--compare", "sqlite"])
        .output()
        .expect("run dialguard bench --compare sqlite");
    let j = common::json_output(&out);
    check_peer(&j, "sqlite");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}
