//! `dialguard bench --compare PEER`: the comparison integrators make before adopting
//! dialguard, measured in the same run. Each peer (a Redis set and Lua cap script, or an
//! in-process SQLite with the `sqlite-peer` feature) is loaded with the same registry
//! sample and asked the same questions as dialguard — membership one at a time,
//! membership in batches of 256, and a cap of 3 attempts per number per rolling 10
//! minutes — and dialguard's figures are printed as ratios to each peer's.
//!
//! Every answer is checked against the truth (a binary search in the sample; the cap
//! rule applied by hand) and against dialguard's: a peer that disagrees is a bug in the
//! comparison, and the command fails (exit 2) after printing the JSON.

mod redis;
#[cfg(feature = "sqlite-peer")]
mod sqlite;
mod workload;

use std::time::{Duration, Instant};

use dialguard::Number;
use jiff::Timestamp;
use serde_json::{Value, json};

pub(crate) use workload::sample;
use workload::{Dialguard, Workload};

/// Numbers per pipeline (Redis) or `check_batch` call (dialguard).
pub(super) const BATCH: usize = 256;
/// Timed operations per phase at most (each phase also stops after `--seconds`).
const MAX_OPS: usize = 1 << 22;

/// A participant: the same questions, answered by its own store.
pub(super) trait Peer {
    fn name(&self) -> &'static str;
    /// Where it runs and how it is set up (printed with its figures).
    fn about(&self) -> Value;
    /// Whether `n` is in the registry sample: one round trip or lookup.
    fn contains(&mut self, n: Number) -> Result<bool, String>;
    /// The same for up to `BATCH` numbers at once (a pipeline, a batch call).
    fn contains_batch(&mut self, ns: &[Number], out: &mut [bool]) -> Result<(), String>;
    /// One reservation under the cap at instant `t` (seconds): true when admitted and
    /// recorded. `op` is unique per call (a member name for stores that need one).
    fn reserve(&mut self, n: Number, t: i64, op: usize) -> Result<bool, String>;
}

/// One timed phase: per-op latencies (sorted), items done, wall time.
struct Phase {
    lat: Vec<u32>,
    items: u64,
    seconds: f64,
}

impl Phase {
    fn p(&self, q: f64) -> u32 {
        super::percentile(&self.lat, q)
    }

    fn per_s(&self) -> f64 {
        (self.items as f64 / self.seconds.max(f64::MIN_POSITIVE)).round()
    }

    fn json(&self) -> Value {
        json!({"ops": self.lat.len(), "p50_ns": self.p(0.50), "p99_ns": self.p(0.99),
               "ops_per_s": self.per_s()})
    }
}

/// Runs `op(i)` (which returns the items it did) until `seconds` have passed and at
/// least `min_ops` ops were done, or `MAX_OPS`.
fn timed(
    seconds: f64,
    min_ops: usize,
    mut op: impl FnMut(usize) -> Result<u64, String>,
) -> Result<Phase, String> {
    let started = Instant::now();
    let end = started + Duration::from_secs_f64(seconds);
    let mut lat = Vec::with_capacity(min_ops.clamp(1 << 16, MAX_OPS));
    let mut items = 0u64;
    for i in 0..MAX_OPS.max(min_ops) {
        let c0 = Instant::now();
        items += op(i)?;
        let c1 = Instant::now();
        lat.push(u32::try_from((c1 - c0).as_nanos()).unwrap_or(u32::MAX));
        if c1 >= end && i + 1 >= min_ops {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    Ok(Phase {
        lat,
        items,
        seconds,
    })
}

/// One participant's figures and answers.
struct Measured {
    name: &'static str,
    about: Value,
    membership: Phase,
    membership_wrong: u64,
    batch: Phase,
    batch_wrong: u64,
    cap: Phase,
    admits: Vec<bool>,
    cap_wrong: u64,
}

fn measure(
    p: &mut dyn Peer,
    w: &Workload,
    seconds: f64,
    min_cap_ops: usize,
) -> Result<Measured, String> {
    let q = w.queries.len();
    let mut membership_wrong = 0u64;
    let membership = timed(seconds, 0, |i| {
        let hit = p.contains(w.queries[i % q])?;
        membership_wrong += u64::from(hit != w.truth[i % q]);
        Ok(1)
    })?;
    let chunks = (q / BATCH).max(1);
    let mut out = vec![false; BATCH];
    let mut batch_wrong = 0u64;
    let batch = timed(seconds, 0, |i| {
        let from = (i % chunks) * BATCH;
        let to = (from + BATCH).min(q);
        p.contains_batch(&w.queries[from..to], &mut out[..to - from])?;
        let truth = &w.truth[from..to];
        batch_wrong += out.iter().zip(truth).filter(|(a, b)| a != b).count() as u64;
        Ok((to - from) as u64)
    })?;
    let mut admits = Vec::new();
    let mut cap_wrong = 0u64;
    let cap = timed(seconds, min_cap_ops, |i| {
        let (n, t, turn) = w.cap_op(i);
        let admitted = p.reserve(n, t, i)?;
        cap_wrong += u64::from(admitted != w.pattern[turn]);
        admits.push(admitted);
        Ok(1)
    })?;
    Ok(Measured {
        name: p.name(),
        about: p.about(),
        membership,
        membership_wrong,
        batch,
        batch_wrong,
        cap,
        admits,
        cap_wrong,
    })
}

/// `a / b` to two decimals (0 when `b` is 0).
fn ratio(a: f64, b: f64) -> f64 {
    if b <= 0.0 {
        return 0.0;
    }
    (a / b * 100.0).round() / 100.0
}

/// Latency ratios (peer over dialguard: how many times longer the peer takes) and
/// throughput ratios (dialguard over peer: how many times more dialguard does).
fn ratios(d: &Phase, p: &Phase) -> Value {
    let f = |ph: &Phase, q| f64::from(ph.p(q));
    json!({
        "peer_p50_over_dialguard_p50": ratio(f(p, 0.50), f(d, 0.50)),
        "peer_p99_over_dialguard_p99": ratio(f(p, 0.99), f(d, 0.99)),
        "dialguard_per_s_over_peer_per_s": ratio(d.per_s(), p.per_s()),
    })
}

/// A peer's JSON, with its agreement with dialguard; also the peer's disagreements.
fn peer_json(d: &Measured, p: &Measured) -> (Value, u64) {
    let common = d.admits.len().min(p.admits.len());
    let cap_disagree = d.admits[..common]
        .iter()
        .zip(&p.admits[..common])
        .filter(|(a, b)| a != b)
        .count() as u64;
    // dialguard answers every query right (else it is counted as its own failure), so a
    // wrong peer answer is a disagreement with dialguard.
    let membership_disagree = p.membership_wrong + p.batch_wrong;
    let admitted = p.admits.iter().filter(|a| **a).count();
    let v = json!({
        "peer": p.name,
        "about": p.about,
        "membership": p.membership.json(),
        "membership_batch": {"batch": BATCH, "numbers": p.batch.items,
            "numbers_per_s": p.batch.per_s(), "p50_ns_per_batch": p.batch.p(0.50)},
        "cap": {"ops": p.cap.lat.len(), "p50_ns": p.cap.p(0.50), "p99_ns": p.cap.p(0.99),
            "ops_per_s": p.cap.per_s(), "admitted": admitted},
        "agreement": {
            "membership_answers": p.membership.items + p.batch.items,
            "membership_disagreements": membership_disagree,
            "cap_answers_compared": common,
            "cap_disagreements": cap_disagree,
            "cap_wrong_vs_rule": p.cap_wrong,
        },
        "ratios": {
            "membership": ratios(&d.membership, &p.membership),
            "membership_batch": {"dialguard_numbers_per_s_over_peer_numbers_per_s":
                ratio(d.batch.per_s(), p.batch.per_s())},
            "cap": ratios(&d.cap, &p.cap),
        },
    });
    (v, membership_disagree + cap_disagree + p.cap_wrong)
}

/// Checks the `--compare` values before anything is measured.
pub(crate) fn check_specs(specs: &[String]) -> Result<(), String> {
    for spec in specs {
        if spec.starts_with("redis://") || spec.starts_with("rediss://") {
            continue;
        }
        if spec != "sqlite" {
            return Err(format!(
                "--compare {spec:?}: use redis://HOST:PORT (a test server) or sqlite"
            ));
        }
        if cfg!(not(feature = "sqlite-peer")) {
            return Err(
                "--compare sqlite: this build has no SQLite peer; build with \
                        `cargo build --release --features sqlite-peer`"
                    .into(),
            );
        }
    }
    Ok(())
}

/// Opens the peer named by a `--compare` value (checked by `check_specs`), loaded with
/// the sample.
fn open_peer(spec: &str, w: &Workload) -> Result<Box<dyn Peer>, String> {
    #[cfg(feature = "sqlite-peer")]
    if spec == "sqlite" {
        return Ok(Box::new(sqlite::SqlitePeer::open(&w.registry)?));
    }
    check_specs(&[spec.to_owned()])?;
    Ok(Box::new(redis::RedisPeer::open(spec, &w.registry)?))
}

/// What `--compare` adds to the bench: the `compare` object, and how many answers
/// disagreed (dialguard against the truth, peers against dialguard).
pub(crate) fn run(
    specs: &[String],
    registry: &[u64],
    a: &super::BenchArgs,
    country: Option<&str>,
    now: Timestamp,
) -> Result<(Value, u64), String> {
    let w = Workload::new(
        registry.to_vec(),
        a.queries,
        country,
        a.seed,
        now.as_second(),
    )?;
    let mut peers = Vec::new();
    for spec in specs {
        // Opened, measured and dropped (which deletes its data) one at a time.
        let mut p = open_peer(spec, &w)?;
        // At least one whole block of the cap schedule, so every turn (the window's
        // edge included) is asked even of a slow peer.
        let block = workload::CAP_BLOCK * workload::CAP_ATTEMPTS;
        peers.push(measure(p.as_mut(), &w, a.seconds, block)?);
    }
    // dialguard last, over at least every cap op a peer made, so all can be compared.
    let min_cap_ops = peers.iter().map(|p| p.admits.len()).max().unwrap_or(0);
    let d = measure(&mut Dialguard::new(&w, now)?, &w, a.seconds, min_cap_ops)?;
    let mut failures = d.membership_wrong + d.batch_wrong + d.cap_wrong;
    let mut out = Vec::new();
    for p in &peers {
        let (v, bad) = peer_json(&d, p);
        failures += bad;
        out.push(v);
    }
    let v = json!({
        "registry_numbers": w.registry.len(),
        "queries": w.queries.len(),
        "registry_hits_in_queries": w.truth.iter().filter(|t| **t).count(),
        "cap": {"max": workload::CAP_MAX, "within_s": workload::CAP_WITHIN,
            "attempts_per_number": workload::CAP_ATTEMPTS, "step_s": workload::CAP_STEP,
            "numbers": w.cap_pool.len()},
        "dialguard": {
            "about": d.about,
            "membership": d.membership.json(),
            "membership_batch": {"batch": BATCH, "numbers": d.batch.items,
                "numbers_per_s": d.batch.per_s(), "p50_ns_per_batch": d.batch.p(0.50)},
            "cap": {"ops": d.cap.lat.len(), "p50_ns": d.cap.p(0.50), "p99_ns": d.cap.p(0.99),
                "ops_per_s": d.cap.per_s(),
                "admitted": d.admits.iter().filter(|a| **a).count()},
            "membership_wrong": d.membership_wrong + d.batch_wrong,
            "cap_wrong_vs_rule": d.cap_wrong,
        },
        "peers": out,
    });
    Ok((v, failures))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A peer that gets membership right except for one number, and never refuses.
    struct Liar {
        wrong: Number,
    }

    impl Peer for Liar {
        fn name(&self) -> &'static str {
            "liar"
        }
        fn about(&self) -> Value {
            Value::Null
        }
        fn contains(&mut self, n: Number) -> Result<bool, String> {
            Ok(n != self.wrong && n.get().is_multiple_of(2))
        }
        fn contains_batch(&mut self, ns: &[Number], out: &mut [bool]) -> Result<(), String> {
            for (n, o) in ns.iter().zip(out) {
                *o = self.contains(*n)?;
            }
            Ok(())
        }
        fn reserve(&mut self, _: Number, _: i64, _: usize) -> Result<bool, String> {
            Ok(true)
        }
    }

    #[test]
    fn a_peer_that_answers_differently_is_counted() {
        let registry: Vec<u64> = (0..5000u64).map(|i| 33_612_000_000 + 2 * i).collect();
        let now = Timestamp::from_second(1_780_000_000).unwrap();
        let w = Workload::new(registry, 8192, Some("FR"), 7, now.as_second()).unwrap();
        // The liar is right about every registry number but one, and about the fresh
        // numbers that are odd; the cap it never enforces.
        let hit = *w.queries.iter().zip(&w.truth).find(|(_, t)| **t).unwrap().0;
        let mut liar = Liar { wrong: hit };
        let block = workload::CAP_BLOCK * workload::CAP_ATTEMPTS;
        let p = measure(&mut liar, &w, 0.0, block).unwrap();
        let d = measure(&mut Dialguard::new(&w, now).unwrap(), &w, 0.0, block).unwrap();
        assert_eq!(d.membership_wrong + d.batch_wrong + d.cap_wrong, 0);
        assert!(p.membership_wrong + p.batch_wrong > 0);
        // Refusals are 2 of every 8 attempts.
        assert_eq!(p.cap_wrong, 2 * u64::try_from(block / 8).unwrap());
        let (v, bad) = peer_json(&d, &p);
        assert!(bad >= p.cap_wrong, "{v}");
        assert_eq!(
            v["agreement"]["cap_disagreements"],
            2 * u64::try_from(block / 8).unwrap()
        );
    }
}
