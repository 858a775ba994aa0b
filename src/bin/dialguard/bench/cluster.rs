//! `dialguard bench --cluster URL`: the cost of the shared store, measured at the store
//! level in one run — a bare Redis round trip (`PING`, and `EVALSHA` of an empty
//! script), a reservation through Redis and in process, a check on the local replica and
//! in process, reservation throughput with several threads, and the propagation delay
//! to a second node — printed as JSON with the ratios between them.
//!
//! It writes under a key prefix of its own (`dgbench:<pid>:`); number keys expire with
//! the retention, the streams stay (trimmed): point it at a test Redis, not production.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dialguard::Number;
use dialguard::cluster::{ClusterConfig, RedisStore};
use dialguard::history::{
    CapKey, CapRule, CountKind, Event, FixedOffsetDays, History, HistoryStore, NewEvent, Query,
    Retention, Span, cap_clear_at,
};

/// Operations per latency phase at most (each phase also stops after `seconds`).
const MAX_OPS: usize = 20_000;

/// A cap of 3 attempts a day: what every reservation decides with.
fn decide(s: &dyn HistoryStore, n: Number, t: i64) -> Result<bool, String> {
    let cap = CapRule {
        max: 3,
        within: Span::Elapsed(86_400),
        key: CapKey::Number,
        count: CountKind::Attempts,
    };
    let q = Query::default();
    let mut f = |evs: &[Event]| {
        (cap_clear_at(evs, &cap, &q, t, &FixedOffsetDays(0)) <= t).then(|| NewEvent::attempt(&q))
    };
    s.with_events(n, t, &mut f)
        .map(|id| id.is_some())
        .map_err(|e| e.to_string())
}

fn check(s: &dyn HistoryStore, n: Number) -> Result<usize, String> {
    let mut len = 0;
    s.read(n, &mut |evs| len = evs.len())
        .map_err(|e| e.to_string())?;
    Ok(len)
}

/// Runs `op(i)` until `MAX_OPS` or `seconds`; returns sorted latencies (ns).
fn phase(seconds: f64, mut op: impl FnMut(u64) -> Result<(), String>) -> Result<Vec<u64>, String> {
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let mut lat = Vec::with_capacity(MAX_OPS);
    for i in 0..MAX_OPS {
        let c0 = Instant::now();
        op(u64::try_from(i).unwrap_or(u64::MAX))?;
        lat.push(u64::try_from(c0.elapsed().as_nanos()).unwrap_or(u64::MAX));
        if Instant::now() >= end {
            break;
        }
    }
    lat.sort_unstable();
    Ok(lat)
}

fn pct(sorted: &[u64], p: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[(sorted.len() - 1) * p / 100]
}

fn summary(lat: &[u64]) -> serde_json::Value {
    serde_json::json!({"ops": lat.len(), "p50_ns": pct(lat, 50), "p99_ns": pct(lat, 99)})
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        return 0.0;
    }
    // Two decimals are plenty for a ratio of latencies.
    (a as f64 / b as f64 * 100.0).round() / 100.0
}

pub(crate) fn run(url: &str, seconds: f64, threads: usize, t0: i64) -> Result<(), String> {
    let mut cfg = ClusterConfig::new(url);
    cfg.key_prefix = format!("dgbench:{}:", std::process::id());
    cfg.node = Some("bench-a".into());
    let retention = Retention::new(2 * 86_400);
    let a = Arc::new(RedisStore::open(&cfg, retention).map_err(|e| e.to_string())?);
    if !a.synced() {
        return Err(format!("cannot reach Redis at {}", cfg.redacted_url()));
    }
    cfg.node = Some("bench-b".into());
    let b = RedisStore::open(&cfg, retention).map_err(|e| e.to_string())?;
    let local = History::in_memory(2 * 86_400);
    let base = 33_600_000_000u64;
    let num = |i: u64| Number::from_e164_digits(base + i).ok_or("number out of range");
    let per = seconds / 6.0;

    let ping = phase(per, |_| a.ping().map_err(|e| e.to_string()))?;
    let eval = phase(per, |_| a.eval_empty().map_err(|e| e.to_string()))?;
    // Fresh numbers: every reservation is admitted and committed (one script call).
    b.take_propagation_micros();
    let reserve = phase(per, |i| decide(&*a, num(i)?, t0).map(drop))?;
    let reserve_local = phase(per, |i| decide(&local, num(i)?, t0).map(drop))?;
    let n_reserved = u64::try_from(reserve.len()).unwrap_or(0);
    let check_replica = phase(per, |i| check(&*a, num(i % n_reserved)?).map(drop))?;
    let check_local = phase(per, |i| check(&local, num(i % n_reserved)?).map(drop))?;

    // Throughput: `threads` threads reserving distinct fresh numbers for `per` seconds.
    let started = Instant::now();
    let offset = 1_000_000u64;
    let done: Result<Vec<u64>, String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|k| {
                let a = Arc::clone(&a);
                s.spawn(move || -> Result<u64, String> {
                    let mut count = 0u64;
                    let k = u64::try_from(k).unwrap_or(0);
                    while started.elapsed().as_secs_f64() < per {
                        let n = Number::from_e164_digits(base + offset * (k + 1) + count)
                            .ok_or("number out of range")?;
                        decide(&*a, n, t0)?;
                        count += 1;
                    }
                    Ok(count)
                })
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().map_err(|_| "a bench thread panicked".to_owned())?)
            .collect()
    });
    let total: u64 = done?.iter().sum();
    let elapsed = started.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(200));
    let mut prop = b.take_propagation_micros();
    prop.sort_unstable();
    let prop_ms = |p: usize| {
        prop.get((prop.len().max(1) - 1) * p / 100)
            .map_or(0.0, |&us| f64::from(us) / 1000.0)
    };

    let out = serde_json::json!({
        "redis": cfg.redacted_url(),
        "ping": summary(&ping),
        "evalsha_empty": summary(&eval),
        "reserve_redis": summary(&reserve),
        "reserve_in_process": summary(&reserve_local),
        "check_replica": summary(&check_replica),
        "check_in_process": summary(&check_local),
        "reserve_redis_throughput": {
            "threads": threads,
            "reservations": total,
            "per_s": (total as f64 / elapsed).round(),
        },
        "propagation_ms": {"samples": prop.len(), "p50": prop_ms(50), "p99": prop_ms(99)},
        "ratios": {
            "reserve_p50_over_ping_p50": ratio(pct(&reserve, 50), pct(&ping, 50)),
            "reserve_p50_over_evalsha_p50": ratio(pct(&reserve, 50), pct(&eval, 50)),
            "reserve_p99_over_ping_p99": ratio(pct(&reserve, 99), pct(&ping, 99)),
            "reserve_redis_p50_over_in_process_p50":
                ratio(pct(&reserve, 50), pct(&reserve_local, 50)),
            "check_replica_p50_over_in_process_p50":
                ratio(pct(&check_replica, 50), pct(&check_local, 50)),
        },
        "local_decisions": a.local_decisions(),
    });
    println!("{out}");
    Ok(())
}
