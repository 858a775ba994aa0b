//! Bytes per tracked number, measured with a counting global allocator: a number with
//! three or four attempts of one campaign (held inline in the map's bucket), map
//! overhead included.
//!
//! hashbrown sizes each shard's table to a power of two, so the figure steps with the
//! count: ~33 bytes per bucket (8-byte key, 24-byte slot, 1 control byte) at a load
//! between 7/16 and 7/8. The test sweeps one full doubling period of sizes and reports
//! each; run with `--nocapture` to see them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use dialguard::Number;
use dialguard::history::*;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - l.size() as isize, Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn bytes_per_number(count: u64, events: i64) -> f64 {
    let before = LIVE.load(Ordering::Relaxed);
    let h = History::in_memory(30 * 86_400);
    let q = Query {
        campaign: Tag::of("spring"),
        subject: Tag::NONE,
        live_agent: false,
    };
    for i in 0..count {
        let n = Number::from_e164_digits(33_600_000_000 + i * 7).unwrap();
        for k in 0..events {
            let t = 1_780_000_000 + k * 3600;
            h.with_events(n, t, &mut |_| Some(NewEvent::attempt(&q)))
                .unwrap();
        }
    }
    assert_eq!(h.len() as u64, count);
    let used = LIVE.load(Ordering::Relaxed) - before;
    drop(h);
    used as f64 / count as f64
}

fn sweep(events: i64) -> (Vec<f64>, f64) {
    // One doubling period of the 64-shard map: 64 × 2048 × 7/8 = 114 688 entries fill
    // the 2048-bucket shards; the sweep runs from just past that to just below the next.
    let sizes: Vec<u64> = (0..8).map(|k| 115_000 + k * 14_300).collect();
    let mut figures = Vec::new();
    for &n in &sizes {
        let b = bytes_per_number(n, events);
        eprintln!("{n:>7} numbers × {events} events: {b:.1} B/number");
        figures.push(b);
    }
    let mean = figures.iter().sum::<f64>() / figures.len() as f64;
    eprintln!("mean over one doubling period, {events} events: {mean:.1} B/number");
    (figures, mean)
}

#[test]
fn three_or_four_events_per_number_cost_at_most_64_bytes_on_average() {
    for events in [3, 4] {
        let (figures, mean) = sweep(events);
        for &b in &figures {
            assert!((37.0..=80.0).contains(&b), "{events} events: {b}");
        }
        assert!(mean <= 64.0, "{events} events: {mean}");
    }
}
