//! The in-memory store: atomic reserve under contention, outcomes, pruning, opt-outs,
//! campaign counters.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier};

use dialguard::Number;
use dialguard::history::*;

const H: i64 = 3600;
const D: i64 = 86_400;
const T0: i64 = 1_780_000_000;

fn num(d: u64) -> Number {
    Number::from_e164_digits(d).unwrap()
}

fn events(h: &dyn HistoryStore, n: Number) -> Vec<Event> {
    let mut v = Vec::new();
    h.read(n, &mut |e| v.extend_from_slice(e)).unwrap();
    v
}

/// Reserve an attempt when every cap admits it now: the guard's hot path in miniature.
fn reserve(
    h: &dyn HistoryStore,
    n: Number,
    t: i64,
    caps: &[CapRule],
    q: &Query,
) -> Option<AttemptId> {
    let days = FixedOffsetDays(0);
    h.with_events(n, t, &mut |evs| {
        caps.iter()
            .all(|c| cap_clear_at(evs, c, q, t, &days) <= t)
            .then(|| NewEvent::attempt(q))
    })
    .unwrap()
}

const CAP3: CapRule = CapRule {
    max: 3,
    within: Span::Elapsed(24 * H),
    key: CapKey::Number,
    count: CountKind::Attempts,
};

#[test]
fn race_cap_of_three_admits_exactly_three_per_number_every_run() {
    const THREADS: usize = 8;
    const NUMBERS: u64 = 4;
    const TRIES: i64 = 300;
    for run in 0..6 {
        let h: Arc<dyn HistoryStore> = Arc::new(History::in_memory(30 * D));
        let admitted: Arc<Vec<AtomicU32>> =
            Arc::new((0..NUMBERS).map(|_| AtomicU32::new(0)).collect());
        let barrier = Arc::new(Barrier::new(THREADS));
        let threads: Vec<_> = (0..THREADS)
            .map(|th| {
                let (h, admitted, barrier) = (h.clone(), admitted.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let q = Query::default();
                    for i in 0..TRIES {
                        let k = (i as u64 + th as u64 + run) % NUMBERS;
                        // Clocks differ by thread and advance: all within one 24 h window.
                        let t = T0 + i * 7 + th as i64;
                        if reserve(&*h, num(390_200_000_000 + k), t, &[CAP3], &q).is_some() {
                            admitted[k as usize].fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        for k in 0..NUMBERS {
            assert_eq!(
                admitted[k as usize].load(Ordering::Relaxed),
                3,
                "run {run} number {k}"
            );
            assert_eq!(
                events(&*h, num(390_200_000_000 + k)).len(),
                3,
                "run {run} number {k}"
            );
        }
    }
}

#[test]
fn record_outcome_attaches_to_the_attempt_or_records_a_new_event() {
    let h = History::in_memory(30 * D);
    let n = num(33_612_345_678);
    let q = Query {
        campaign: Tag::of("c"),
        subject: Tag::of("s"),
        live_agent: true,
    };
    let a = reserve(&h, n, T0, &[], &q).unwrap();
    let b = reserve(&h, n, T0, &[], &q).unwrap();
    assert_eq!(a.instant(), T0);
    assert_ne!(a, b, "two attempts in one second get distinct ids");
    assert_eq!(
        h.record_outcome(n, Some(b), Outcome::Busy, &q, T0 + 30)
            .unwrap(),
        b
    );
    let ev = events(&h, n);
    assert_eq!(ev.len(), 2);
    assert_eq!(
        (ev[0].outcome(), ev[1].outcome()),
        (None, Some(Outcome::Busy))
    );
    assert_eq!(
        ev[1].instant(),
        T0,
        "the outcome keeps the attempt's instant"
    );
    assert!(ev[1].live_agent());
    assert_eq!(
        (ev[1].campaign(), ev[1].subject()),
        (Tag::of("c"), Tag::of("s"))
    );
    // Without an id (or with one not held) a new event at t holds the outcome.
    let c = h
        .record_outcome(n, None, Outcome::Refused, &q, T0 + 99)
        .unwrap();
    assert_eq!(c.instant(), T0 + 99);
    let bogus = AttemptId(12345);
    let d = h
        .record_outcome(n, Some(bogus), Outcome::NoAnswer, &q, T0 + 100)
        .unwrap();
    assert_eq!(d.instant(), T0 + 100);
    let outcomes: Vec<_> = events(&h, n)
        .iter()
        .map(|e| (e.instant(), e.outcome()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (T0, None),
            (T0, Some(Outcome::Busy)),
            (T0 + 99, Some(Outcome::Refused)),
            (T0 + 100, Some(Outcome::NoAnswer))
        ]
    );
}

#[test]
fn opt_out_with_forever_cooloff_blocks_every_later_check_at_once() {
    let h = History::in_memory(2 * D);
    let n = num(441_632_960_000);
    let q = Query::default();
    let forever = CooloffRule {
        after: Outcome::OptOut,
        duration: CoolSpan::Forever,
        unless_live_agent: false,
        key: CapKey::Number,
    };
    let days = FixedOffsetDays(0);
    let a = reserve(&h, n, T0, &[], &q).unwrap();
    h.record_outcome(n, Some(a), Outcome::OptOut, &q, T0 + 20)
        .unwrap();
    let mut clear = Some(0);
    h.read(n, &mut |e| {
        clear = cooloff_clear_at(e, &forever, &q, T0 + 21, &days)
    })
    .unwrap();
    assert_eq!(clear, None);
    // A write a year later prunes everything else but keeps the opt-out.
    let later = T0 + 365 * D;
    reserve(&h, n, later - 10, &[], &q).unwrap();
    let kept: Vec<_> = events(&h, n)
        .iter()
        .map(|e| (e.instant(), e.outcome()))
        .collect();
    assert_eq!(kept, [(T0, Some(Outcome::OptOut)), (later - 10, None)]);
}

#[test]
fn prune_on_write_and_sweep_keep_exactly_the_retention() {
    let h = History::in_memory(D);
    let (n, m) = (num(12_125_550_100), num(12_125_550_101));
    let q = Query::default();
    for i in 0..5 {
        reserve(&h, n, T0 + i * H, &[], &q).unwrap();
    }
    reserve(&h, m, T0, &[], &q).unwrap();
    // At T0 + 26 h the events at T0 .. T0 + 2 h are a day old or more: a 24 h window
    // (t - 24 h, t] no longer contains them.
    reserve(&h, n, T0 + 26 * H, &[], &q).unwrap();
    let at: Vec<i64> = events(&h, n).iter().map(Event::instant).collect();
    assert_eq!(at, [T0 + 3 * H, T0 + 4 * H, T0 + 26 * H]);
    assert_eq!(h.len(), 2);
    // m is never written again: only sweep drops it.
    assert_eq!(h.sweep(T0 + D - 1), 0);
    assert_eq!(h.sweep(T0 + D), 1);
    assert_eq!(h.len(), 1);
    assert!(events(&h, m).is_empty());
}

#[test]
fn a_check_that_records_nothing_leaves_no_entry() {
    let h = History::in_memory(D);
    let n = num(49_301_234_567);
    assert_eq!(h.with_events(n, T0, &mut |_| None).unwrap(), None);
    assert_eq!(h.len(), 0);
}

#[test]
fn bad_instants_are_errors_and_record_nothing() {
    let h = History::in_memory(D);
    let n = num(49_301_234_567);
    let err = h
        .with_events(n, 1_000, &mut |_| {
            Some(NewEvent::attempt(&Query::default()))
        })
        .unwrap_err();
    assert!(matches!(err, HistoryError::InstantOutOfRange { t: 1_000 }));
    let far = T0 * 1000;
    assert!(matches!(
        h.record_outcome(n, None, Outcome::Busy, &Query::default(), far),
        Err(HistoryError::InstantOutOfRange { .. })
    ));
    assert!(h.record_opt_out(n, -5).is_err());
    assert_eq!(h.len(), 0);
    assert!(h.opted_out().is_empty());
}

#[test]
fn run_time_opt_outs_keep_the_first_instant() {
    let h = History::in_memory(D);
    h.record_opt_out(num(3_912_345), T0 + 5).unwrap();
    h.record_opt_out(num(3_912_345), T0).unwrap();
    h.record_opt_out(num(1_999), T0 + 9).unwrap();
    assert_eq!(h.opted_out(), [(1_999, T0 + 9), (3_912_345, T0)]);
}

#[test]
fn campaign_abandon_rate_over_a_rolling_window() {
    let h = History::in_memory(31 * D);
    let camp = Tag::of("predictive-1");
    let q = Query {
        campaign: camp,
        ..Query::default()
    };
    for i in 0..40u64 {
        let n = num(33_600_000_000 + i);
        let t = T0 + i as i64 * H;
        let a = reserve(&h, n, t, &[], &q).unwrap();
        let o = match i % 10 {
            0 => Outcome::Abandoned,
            1 => Outcome::Machine,
            2 => Outcome::NoAnswer,
            _ => Outcome::Answered,
        };
        h.record_outcome(n, Some(a), o, &q, t + 30).unwrap();
    }
    // 40 calls: 4 abandoned, 4 machine, 4 no answer, 28 answered → 32 answered by a person.
    assert_eq!(h.abandon_rate(camp, 30 * D, T0 + 40 * H), (4, 32));
    // The last 24 h: outcomes of calls 16..=39 (t + 30 s > now - 24 h for i ≥ 16):
    // 24 calls, abandoned 20 and 30, not answered 21, 22, 31, 32 → 2 of 20.
    assert_eq!(h.abandon_rate(camp, 24 * H, T0 + 40 * H), (2, 20));
    assert_eq!(
        h.abandon_rate(Tag::of("other"), 30 * D, T0 + 40 * H),
        (0, 0)
    );
}
