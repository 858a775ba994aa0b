//! NumberSet at scale: lookups (serial / independent / batched with prefetch), hits and
//! misses, clustered (NANP-like) and uniform data, bytes per number, build time,
//! text compile throughput and compiled-file open time.
//!
//! `cargo bench --bench lists` runs 1 M and 10 M; `DIALGUARD_BENCH_BIG=1` adds 100 M
//! lookups and a 10 M text compile.
//! Sizes, bytes/number and build times are printed to stderr (`# ...` lines).

use std::hint::black_box;
use std::io::Write;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use dialguard::Number;
use dialguard::lists::synthetic::{self, SplitMix};
use dialguard::lists::{
    LineFormat, NumberSet, SetTuning, compile_list_file, compile_text_list, open_compiled,
    write_compiled,
};

/// Deterministic generator (splitmix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// NANP-like registry (the shape used while designing the set, as in
/// src/lists/synthetic.rs): numbers cluster in active exchanges (1-NPA-NXX, NPA and NXX
/// in 200–999), each active exchange with a density drawn from U(0, 16 %). About
/// `target` numbers. Returns (sorted numbers, active exchange ids).
fn clustered(target: usize, seed: u64) -> (Vec<u64>, Vec<u64>) {
    let mut rng = Rng(seed);
    let all = 800 * 800u64;
    let want = (target as u64 / 800).clamp(1, all);
    let mut exchanges = Vec::new();
    for e in 0..all {
        if rng.below(all) < want {
            exchanges.push(e);
        }
    }
    let mut nums = Vec::with_capacity(target + target / 8);
    for &e in &exchanges {
        let (npa, nxx) = (200 + e / 800, 200 + e % 800);
        let base = 10_000_000_000 + npa * 10_000_000 + nxx * 10_000;
        let density = rng.below(1 << 20) * 16 / 100; // of 2^20
        for low in 0..10_000 {
            if rng.below(1 << 20) < density {
                nums.push(base + low);
            }
        }
    }
    (nums, exchanges)
}

/// Uniform over the NANP national space (+1 NPA NXX XXXX, NPA 200–999).
fn uniform(target: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng(seed);
    let mut v: Vec<u64> = (0..target)
        .map(|_| 12_000_000_000 + rng.below(8_000_000_000))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

const QUERIES: usize = 1 << 20;
const BLOCK: usize = 4096;

struct Case {
    name: String,
    set: NumberSet,
    hits: Vec<Number>,
    misses: Vec<Number>,
}

fn make_case(kind: &str, target: usize) -> Case {
    let mut rng = Rng(7);
    let t0 = Instant::now();
    let (nums, exchanges) = match kind {
        "clustered" => clustered(target, 1),
        _ => (uniform(target, 1), Vec::new()),
    };
    let gen_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let set = NumberSet::from_numbers(nums.clone());
    let build_s = t1.elapsed().as_secs_f64();
    let hits = (0..QUERIES)
        .map(|_| Number::from_e164_digits(nums[rng.below(nums.len() as u64) as usize]))
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();
    // Misses: live but unlisted numbers (inside active exchanges when clustered).
    let mut misses = Vec::with_capacity(QUERIES);
    while misses.len() < QUERIES {
        let cand = if exchanges.is_empty() {
            12_000_000_000 + rng.below(8_000_000_000)
        } else {
            let e = exchanges[rng.below(exchanges.len() as u64) as usize];
            10_000_000_000
                + (200 + e / 800) * 10_000_000
                + (200 + e % 800) * 10_000
                + rng.below(10_000)
        };
        if nums.binary_search(&cand).is_err()
            && let Some(n) = Number::from_e164_digits(cand)
        {
            misses.push(n);
        }
    }
    let name = format!("{kind}/{}M", target / 1_000_000);
    eprintln!(
        "# {name}: {} numbers, arena {} bytes = {:.3} B/number, heap {} bytes; generated in {gen_s:.2} s, built (sorted input) in {build_s:.3} s",
        set.len(),
        set.arena_bytes(),
        set.arena_bytes() as f64 / set.len() as f64,
        set.heap_bytes(),
    );
    Case {
        name,
        set,
        hits,
        misses,
    }
}

fn sizes() -> Vec<usize> {
    let mut v = vec![1_000_000, 10_000_000];
    if std::env::var_os("DIALGUARD_BENCH_BIG").is_some_and(|x| x == "1") {
        v.push(100_000_000);
    }
    v
}

fn layout_only() -> bool {
    std::env::var_os("DIALGUARD_BENCH_LAYOUT").is_some_and(|x| x == "1")
}

fn lookups(c: &mut Criterion) {
    if layout_only() {
        return;
    }
    for kind in ["clustered", "uniform"] {
        for target in sizes() {
            let case = make_case(kind, target);
            let mut g = c.benchmark_group(format!("lookup/{}", case.name));
            g.throughput(Throughput::Elements(BLOCK as u64));
            for (what, qs) in [("hit", &case.hits), ("miss", &case.misses)] {
                let set = &case.set;
                // Serial: the next query's address depends on the previous answer,
                // so lookups cannot overlap (what one synchronous check pays).
                let mut pos = 0usize;
                g.bench_function(BenchmarkId::new("serial", what), |b| {
                    b.iter(|| {
                        let mut acc = 0usize;
                        for k in 0..BLOCK {
                            let q = qs[(pos + k + acc) & (QUERIES - 1)];
                            acc += usize::from(set.contains(q));
                        }
                        pos = (pos + BLOCK) & (QUERIES - 1);
                        black_box(acc)
                    })
                });
                let mut pos = 0usize;
                g.bench_function(BenchmarkId::new("independent", what), |b| {
                    b.iter(|| {
                        let mut acc = 0usize;
                        for q in &qs[pos..pos + BLOCK] {
                            acc += usize::from(set.contains(*q));
                        }
                        pos = (pos + BLOCK) & (QUERIES - 1);
                        black_box(acc)
                    })
                });
                let mut pos = 0usize;
                let mut out = vec![false; BLOCK];
                g.bench_function(BenchmarkId::new("batch", what), |b| {
                    b.iter(|| {
                        set.contains_batch(&qs[pos..pos + BLOCK], &mut out);
                        pos = (pos + BLOCK) & (QUERIES - 1);
                        black_box(out[0])
                    })
                });
            }
            g.finish();
        }
    }
}

fn build_and_files(c: &mut Criterion) {
    if layout_only() {
        return;
    }
    // Registration dates: what they add, reported apart from the set itself.
    for target in [1_000_000, 10_000_000] {
        let (nums, _) = clustered(target, 11);
        let mut rng = Rng(13);
        let dated: Vec<(u64, Option<i32>)> = nums
            .iter()
            .map(|&n| (n, Some(12_000 + rng.below(8_000) as i32))) // 2002-2024
            .collect();
        let t = Instant::now();
        let set = NumberSet::from_dated(dated);
        let build_s = t.elapsed().as_secs_f64();
        let n = set.len() as f64;
        eprintln!(
            "# dated clustered/{}M: {:.3} B/number total = {:.3} set + {:.3} dates; built (unsorted pairs) in {build_s:.3} s",
            target / 1_000_000,
            set.arena_bytes() as f64 / n,
            (set.arena_bytes() - set.date_bytes()) as f64 / n,
            set.date_bytes() as f64 / n,
        );
    }
    let (nums, _) = clustered(1_000_000, 3);
    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.throughput(Throughput::Elements(nums.len() as u64));
    g.bench_function("from_numbers/clustered/1M/sorted", |b| {
        b.iter(|| black_box(NumberSet::from_numbers(nums.clone())).len())
    });
    let mut shuffled = nums.clone();
    let mut rng = Rng(9);
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.below(i as u64 + 1) as usize);
    }
    g.bench_function("from_numbers/clustered/1M/shuffled", |b| {
        b.iter(|| black_box(NumberSet::from_numbers(shuffled.clone())).len())
    });
    g.finish();

    // Text compile: one number a line, half with '+', sorted (registry extracts
    // usually are) and shuffled (adds the sort).
    let dir = tempfile::tempdir().expect("temp dir");
    let output = dir.path().join("registry.dgl");
    let mut g = c.benchmark_group("compile_text_list");
    g.sample_size(10);
    let big_sorted = if sizes().len() > 2 {
        clustered(10_000_000, 4).0
    } else {
        Vec::new()
    };
    let mut inputs = vec![("1M/sorted", &nums), ("1M/shuffled", &shuffled)];
    if !big_sorted.is_empty() {
        inputs.push(("10M/sorted", &big_sorted));
    }
    for (order, list) in inputs {
        let input = dir
            .path()
            .join(format!("registry-{}.txt", order.replace('/', "-")));
        let mut text = Vec::with_capacity(list.len() * 14);
        for (i, n) in list.iter().enumerate() {
            if i % 2 == 0 {
                text.push(b'+');
            }
            writeln!(text, "{n}").expect("write to Vec");
        }
        std::fs::write(&input, &text).expect("write input");
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("clustered/{order}"), |b| {
            b.iter(|| compile_text_list(&input, &output, Some(20_777), None).expect("compile"))
        });
    }
    // The US DNC download's area-code split against the same numbers as E.164 text:
    // both must compile in one pass at about the same speed.
    let nanp: Vec<u64> = shuffled
        .iter()
        .map(|n| 12_000_000_000 + n % 7_999_999_999)
        .collect();
    let (mut e164, mut split) = (Vec::new(), Vec::new());
    for n in &nanp {
        let (area, local) = ((n / 10_000_000) % 1000, n % 10_000_000);
        writeln!(e164, "+{n}").expect("write to Vec");
        writeln!(split, "{area},{local:07}").expect("write to Vec");
    }
    for (name, text, format) in [
        ("nanp-e164/1M", &e164, LineFormat::E164),
        (
            "nanp-area-code-split/1M",
            &split,
            LineFormat::AreaCodeSplit { delimiter: b',' },
        ),
    ] {
        let input = dir.path().join(format!("{}.txt", name.replace('/', "-")));
        std::fs::write(&input, text).expect("write input");
        g.throughput(Throughput::Elements(nanp.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                compile_list_file(&input, &output, None, None, format, false).expect("compile")
            })
        });
    }
    g.finish();

    let (big, _) = clustered(10_000_000, 5);
    let set = NumberSet::from_numbers(big);
    let file = dir.path().join("big.dgl");
    write_compiled(&set, None, &file).expect("write compiled");
    let mut g = c.benchmark_group("open_compiled");
    g.sample_size(10);
    g.bench_function(format!("clustered/{}numbers", set.len()), |b| {
        b.iter(|| open_compiled(&file).expect("open").set.len())
    });
    g.finish();
}

/// Registry layouts side by side (issue 15, point 4), with `DIALGUARD_BENCH_LAYOUT=1`
/// (20 M numbers; `DIALGUARD_BENCH_BIG=1` adds 100 M): for each data shape (the
/// registry `dialguard bench --synthetic` uses, and numbers spread evenly over the same
/// exchanges) and each container choice, bytes per number and the p50 of single
/// lookups timed one by one (timer cost subtracted), as a ratio to a dependent DRAM
/// miss measured in the same run over 2 GiB (huge-page advised, like the arena; and
/// plain 4 KiB pages, like `dialguard bench`). Printed as `# layout ...` lines; the
/// other benches are skipped in such a run.
/// Needs about 4 GiB free (6 GiB with the 100 M case).
fn layout_report(_c: &mut Criterion) {
    if !layout_only() {
        return;
    }
    let chase_thp = chase_ns(2 << 30, true);
    let chase_4k = chase_ns(2 << 30, false);
    eprintln!(
        "# layout dependent miss over 2 GiB: {chase_thp:.1} ns (huge pages), {chase_4k:.1} ns (4 KiB pages)"
    );
    let timer = timer_ns();
    // 1 M fits in the caches: what the container code costs, without misses.
    let mut shapes = vec![
        ("clustered", 1_000_000usize),
        ("clustered", 20_000_000),
        ("uniform", 20_000_000),
    ];
    if std::env::var_os("DIALGUARD_BENCH_BIG").is_some_and(|x| x == "1") {
        shapes.push(("clustered", 100_000_000));
    }
    let tunings = [
        (
            "array+bitmap",
            SetTuning {
                elias_fano: false,
                ..SetTuning::default()
            },
        ),
        (
            "ef-block-128",
            SetTuning {
                ef_block_bits: 128,
                ..SetTuning::default()
            },
        ),
        (
            "ef-block-224",
            SetTuning {
                ef_block_bits: 224,
                ..SetTuning::default()
            },
        ),
        ("ef-block-448", SetTuning::default()),
        (
            "ef-block-960",
            SetTuning {
                ef_block_bits: 960,
                ..SetTuning::default()
            },
        ),
        (
            "ef-one-block",
            SetTuning {
                ef_block_bits: usize::MAX,
                ..SetTuning::default()
            },
        ),
    ];
    for (shape, n) in shapes {
        let draw = |n: usize, seed: u64| match shape {
            "clustered" => synthetic::clustered(n, None, &mut SplitMix(seed)),
            _ => synthetic::uniform(n, None, &mut SplitMix(seed)),
        };
        let mut nums = draw(n, 1);
        nums.sort_unstable();
        nums.dedup();
        let mut rng = Rng(5);
        let hits: Vec<Number> = (0..1 << 18)
            .filter_map(|_| Number::from_e164_digits(nums[rng.below(nums.len() as u64) as usize]))
            .collect();
        // Misses: unlisted numbers in a listed number's exchange (a miss in an empty
        // exchange stops at the directory and costs nothing to compare).
        let mut misses = Vec::with_capacity(1 << 18);
        while misses.len() < 1 << 18 {
            let n = nums[rng.below(nums.len() as u64) as usize];
            let cand = n - n % 10_000 + rng.below(10_000);
            if nums.binary_search(&cand).is_err()
                && let Some(q) = Number::from_e164_digits(cand)
            {
                misses.push(q);
            }
        }
        for (name, tuning) in tunings {
            let set = NumberSet::from_numbers_tuned(nums.clone(), tuning);
            let bpn = set.arena_bytes() as f64 / set.len() as f64;
            let mut line = format!(
                "# layout {shape}/{}M {name}: {} numbers, {bpn:.3} B/number",
                n / 1_000_000,
                set.len()
            );
            for (what, qs) in [("hit", &hits), ("miss", &misses)] {
                let p50 = (single_p50(&set, qs) - timer).max(0.0);
                // The best of five passes: one pass is at the mercy of the neighbours.
                let mut out = vec![false; qs.len()];
                let batch = (0..5)
                    .map(|_| {
                        let t = Instant::now();
                        set.contains_batch(qs, &mut out);
                        black_box(&out);
                        t.elapsed().as_nanos() as f64 / qs.len() as f64
                    })
                    .fold(f64::MAX, f64::min);
                line += &format!(
                    "; {what} p50 {p50:.0} ns = {:.2} misses (4 KiB: {:.2}), batch {batch:.0} ns",
                    p50 / chase_thp,
                    p50 / chase_4k
                );
            }
            eprintln!("{line}");
        }
    }
}

/// p50 nanoseconds of `set.contains` timed one lookup at a time.
fn single_p50(set: &NumberSet, qs: &[Number]) -> f64 {
    let mut ns: Vec<u64> = Vec::with_capacity(qs.len());
    let mut found = 0usize;
    for &q in qs {
        let t = Instant::now();
        found += usize::from(set.contains(q));
        ns.push(t.elapsed().as_nanos() as u64);
    }
    black_box(found);
    ns.sort_unstable();
    ns[ns.len() / 2] as f64
}

/// p50 nanoseconds of timing nothing (subtracted from the timed lookups).
fn timer_ns() -> f64 {
    let mut ns: Vec<u64> = (0..100_000)
        .map(|_| {
            let t = Instant::now();
            black_box(0);
            t.elapsed().as_nanos() as u64
        })
        .collect();
    ns.sort_unstable();
    ns[ns.len() / 2] as f64
}

/// Nanoseconds per step of a pointer chase through one random cycle over `bytes` of
/// cache lines (Sattolo's shuffle), optionally on huge-page-advised memory.
fn chase_ns(bytes: usize, huge: bool) -> f64 {
    const LINE: usize = 8; // u64 words per 64-byte line
    let nodes = bytes / 64;
    let mut map = memmap2::MmapOptions::new()
        .len(bytes)
        .map_anon()
        .expect("map 2 GiB for the chase");
    if huge {
        let _ = map.advise(memmap2::Advice::HugePage);
    }
    let (_, lines, _) = unsafe { map.align_to_mut::<u64>() };
    let mut rng = Rng(3);
    let mut order: Vec<u32> = (0..nodes as u32).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64) as usize);
    }
    for (k, next) in order.iter().enumerate() {
        lines[k * LINE] = u64::from(*next);
    }
    drop(order);
    let mut at = 0usize;
    for _ in 0..100_000 {
        at = lines[at * LINE] as usize;
    }
    const STEPS: usize = 2_000_000;
    let t = Instant::now();
    for _ in 0..STEPS {
        at = lines[at * LINE] as usize;
    }
    let ns = t.elapsed().as_nanos() as f64 / STEPS as f64;
    black_box(at);
    ns
}

criterion_group!(benches, layout_report, lookups, build_and_files);
criterion_main!(benches);
