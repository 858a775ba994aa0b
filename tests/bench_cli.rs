//! `dialguard bench` end to end, at sizes CI can run: its JSON keys (what integrators
//! script against), and the hot-swap run of the README's performance table ("0 failed
//! checks"): two *different* registry copies swapped under load, every verdict checked
//! against both copies' answers, failed swaps and panicked threads counted. The 100 M run
//! stays a documented manual command (README, Performance).

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_dialguard");

fn us() -> String {
    format!("{}/policies/us/policy.toml", env!("CARGO_MANIFEST_DIR"))
}

/// Runs `dialguard bench` with `args` on the US policy at 11:00 New York (inside the
/// calling window, so the registry decides); returns the exit code, the JSON and stderr.
fn bench(args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = Command::new(BIN)
        .args(["bench", "--policy", &us(), "--at", "2026-11-27T16:00:00Z"])
        .args(["--mode", "preview", "--machine-mb", "16"])
        .args(args)
        .output()
        .expect("run dialguard bench");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    let json = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("bench printed no JSON object ({e}):\n{stdout}\n{stderr}"));
    (out.status.code().expect("exited"), json, stderr)
}

fn u(json: &serde_json::Value, key: &str) -> u64 {
    json[key]
        .as_u64()
        .unwrap_or_else(|| panic!("{key} is not a count in {json}"))
}

const TOP_KEYS: &[&str] = &[
    "policy",
    "api",
    "registry_numbers",
    "synthetic_registry_bytes_per_number",
    "history_numbers",
    "history_bytes_per_number",
    "queries",
    "swaps",
    "failed_swaps",
    "stale_after_swap",
    "wrong_verdicts",
    "panicked_threads",
    "setup_seconds",
    "verdicts_first_100k",
    "machine",
    "results",
];

const RESULT_KEYS: &[&str] = &[
    "threads",
    "checks",
    "seconds",
    "checks_per_s",
    "p50_ns",
    "p99_ns",
    "p999_ns",
    "p50_dram_misses",
    "p99_dram_misses",
    "p50_map_lookups",
    "swaps",
    "wrong_verdicts",
    "panicked_threads",
];

fn assert_keys(json: &serde_json::Value) {
    let obj = json.as_object().expect("a JSON object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut want = TOP_KEYS.to_vec();
    want.sort_unstable();
    assert_eq!(keys, want, "top-level keys of {json}");
    for r in json["results"].as_array().expect("results") {
        let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want = RESULT_KEYS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want, "keys of a result in {json}");
    }
    let mix = &json["verdicts_first_100k"];
    for k in ["allow", "deny", "defer"] {
        assert!(mix[k].is_u64(), "verdicts_first_100k.{k} in {json}");
    }
}

#[test]
fn bench_prints_every_documented_key_with_sizes_and_counts() {
    let (code, json, stderr) = bench(&[
        "--synthetic",
        "2000",
        "--history",
        "1000",
        "--queries",
        "3000",
        "--threads",
        "2",
        "--seconds",
        "0.2",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_keys(&json);
    assert_eq!(json["policy"], "example-us-outbound");
    assert_eq!(json["api"], "check");
    assert_eq!(u(&json, "queries"), 3000);
    // The synthetic registry is added to the policy's own lists.
    assert!(u(&json, "registry_numbers") >= 1500, "{json}");
    let h = u(&json, "history_numbers");
    assert!((900..=1000).contains(&h), "history_numbers {h} in {json}");
    // A 24-byte slot and its key in a hashbrown table: 33 bytes a bucket at a load of
    // 7/16 to 7/8 (64 shards of at least 16 buckets here: a small map is mostly empty).
    let per = json["history_bytes_per_number"].as_f64().unwrap();
    assert!(
        (37.0..=200.0).contains(&per),
        "history_bytes_per_number {per}"
    );
    assert!(
        json["synthetic_registry_bytes_per_number"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let results = json["results"].as_array().unwrap();
    assert_eq!(results.len(), 2, "one result per thread count: {json}");
    for (i, r) in results.iter().enumerate() {
        assert_eq!(u(r, "threads"), i as u64 + 1);
        assert!(u(r, "checks") > 0, "{r}");
        assert!(u(r, "p50_ns") <= u(r, "p99_ns") && u(r, "p99_ns") <= u(r, "p999_ns"));
        assert_eq!(u(r, "wrong_verdicts"), 0, "{r}");
        assert_eq!(u(r, "swaps"), 0);
    }
    // Half the queries are registry numbers: the mix has denies and allows.
    let mix = &json["verdicts_first_100k"];
    assert!(u(mix, "deny") > 0 && u(mix, "allow") > 0, "{json}");
    assert_eq!(u(mix, "allow") + u(mix, "deny") + u(mix, "defer"), 3000);
    assert_eq!(u(&json, "wrong_verdicts"), 0);
    assert_eq!(u(&json, "panicked_threads"), 0);
}

#[test]
fn bench_batch_and_reserve_name_their_api() {
    let small = [
        "--synthetic",
        "1000",
        "--queries",
        "1000",
        "--threads",
        "1",
        "--seconds",
        "0.1",
    ];
    let (code, json, stderr) = bench(&[&small[..], &["--batch"]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert_keys(&json);
    assert_eq!(json["api"], "check_batch");
    assert_eq!(u(&json, "wrong_verdicts"), 0);
    let (code, json, stderr) = bench(&[&small[..], &["--reserve"]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert_keys(&json);
    assert_eq!(json["api"], "check_and_reserve");
    // Reservations change the answers as they go: not checked, and said so.
    assert!(json["wrong_verdicts"].is_null(), "{json}");
}

#[test]
fn bench_reserves_tracked_numbers_into_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let (code, json, stderr) = bench(&[
        "--history",
        "300",
        "--query-tracked",
        "--purpose",
        "collection",
        "--reserve",
        "--state",
        state.to_str().unwrap(),
        "--fsync",
        "never",
        "--threads",
        "1",
        "--seconds",
        "0.1",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_keys(&json);
    assert_eq!(json["api"], "check_and_reserve");
    // The queries are the tracked numbers themselves (a number drawn twice is tracked once).
    let h = u(&json, "history_numbers");
    assert!((250..=300).contains(&h), "history_numbers {h} in {json}");
    let q = u(&json, "queries");
    assert!((h..=300).contains(&q), "queries {q} in {json}");
    // The synthetic history and the reservations went to the journal.
    let journaled: u64 = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(
        journaled > 300 * 16,
        "{journaled} bytes in {}",
        state.display()
    );
}

#[test]
fn bench_hot_swap_of_two_different_copies_gets_every_verdict_right() {
    let (code, json, stderr) = bench(&[
        "--synthetic",
        "40000",
        "--queries",
        "20000",
        "--threads",
        "2",
        "--seconds",
        "0.6",
        "--swap-every-ms",
        "10",
    ]);
    assert_eq!(code, 0, "bench failed: {stderr}\n{json}");
    assert_keys(&json);
    let swaps = u(&json, "swaps");
    assert!(swaps >= 10, "only {swaps} swaps in {json}");
    for r in json["results"].as_array().unwrap() {
        assert!(u(r, "swaps") >= 5, "{r}");
        assert!(u(r, "checks") > 1000, "{r}");
    }
    assert_eq!(u(&json, "wrong_verdicts"), 0, "{json}");
    assert_eq!(u(&json, "stale_after_swap"), 0, "{json}");
    assert_eq!(u(&json, "failed_swaps"), 0, "{json}");
    assert_eq!(u(&json, "panicked_threads"), 0, "{json}");
}

/// The machine's own yardsticks are measured in the same run, and every latency is also
/// given as a multiple of them (issue 15).
#[test]
fn bench_prints_latencies_as_multiples_of_the_machines_dram_miss() {
    let (code, json, stderr) = bench(&["--seconds", "0.2", "--threads", "1", "--queries", "1000"]);
    assert_eq!(code, 0, "{stderr}");
    let m = &json["machine"];
    let miss = m["dram_miss_ns"].as_f64().unwrap();
    let lookup = m["map_lookup_ns"].as_f64().unwrap();
    assert!(miss > 0.0 && lookup > 0.0, "{m}");
    assert_eq!(m["memory_mb"], 16);
    let r = &json["results"][0];
    let p50 = r["p50_ns"].as_f64().unwrap();
    let ratio = r["p50_dram_misses"].as_f64().unwrap();
    assert!((ratio - p50 / miss).abs() <= 0.01 + 0.01 * ratio, "{r} {m}");
    assert!(r["p50_map_lookups"].as_f64().unwrap() > 0.0);
}

/// `--suite`: the three APIs on the same data in one run, and the ratios computed from
/// the figures printed beside them.
#[test]
fn bench_suite_runs_the_batch_and_reservations_and_prints_the_ratios() {
    let (code, json, stderr) = bench(&[
        "--synthetic",
        "20000",
        "--history",
        "2000",
        "--queries",
        "5000",
        "--threads",
        "1",
        "--seconds",
        "0.2",
        "--suite",
        "--batch-size",
        "1000",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut rest = json.clone();
    rest.as_object_mut().unwrap().remove("suite");
    assert_keys(&rest);
    let suite = &json["suite"];
    let batch = &suite["check_batch"][0];
    let reserve = &suite["check_and_reserve"][0];
    assert!(u(batch, "checks") >= 1000, "{suite}");
    assert_eq!(u(batch, "wrong_verdicts"), 0, "{suite}");
    assert!(reserve["wrong_verdicts"].is_null(), "{suite}");
    assert!(u(reserve, "checks") > 0, "{suite}");
    let r = &suite["ratios"];
    let miss = json["machine"]["dram_miss_ns"].as_f64().unwrap();
    let check_p50 = json["results"][0]["p50_ns"].as_f64().unwrap();
    let got = r["check_p50_dram_misses"].as_f64().unwrap();
    assert!((got - check_p50 / miss).abs() <= 0.01 + 0.01 * got, "{r}");
    let reserve_p50 = reserve["p50_ns"].as_f64().unwrap();
    let got = r["reserve_p50_dram_misses"].as_f64().unwrap();
    assert!((got - reserve_p50 / miss).abs() <= 0.01 + 0.01 * got, "{r}");
    let check_per_s = json["results"][0]["checks_per_s"].as_f64().unwrap();
    let batch_per_s = batch["checks_per_s"].as_f64().unwrap();
    let got = r["batch_per_s_over_check_per_s"].as_f64().unwrap();
    assert!(
        (got - batch_per_s / check_per_s).abs() <= 0.01 + 0.01 * got,
        "{r}"
    );
    assert!(
        r["registry_bytes_per_number"].as_f64().unwrap() > 0.5,
        "{r}"
    );
}

#[test]
fn bench_refuses_reserve_with_swaps_and_swaps_without_a_registry() {
    let out = Command::new(BIN)
        .args(["bench", "--policy", &us(), "--synthetic", "100"])
        .args(["--reserve", "--swap-every-ms", "10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(BIN)
        .args(["bench", "--policy", &us(), "--swap-every-ms", "10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--swap-every-ms needs --synthetic N"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(BIN)
        .args(["bench", "--policy", &us(), "--batch", "--batch-size", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--batch-size must be positive"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
