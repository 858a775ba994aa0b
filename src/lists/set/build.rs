//! Building an arena from sorted numbers: per partition, the radix and directory kind
//! that cost least, the containers (array, bitmap or Elias–Fano, the smallest), the first-rank table
//! of dated sets, then one allocation at the final size filled through the field
//! offsets of `layout`.

use super::layout::{
    BODY_HEADER, Container, Dates, KIND_SHIFT, NO_DATE16, NO_DATE32, OFF_MASK, PART_RECORD, Radix,
    TOP_MASK, TOP_SHIFT, Tuning, head, part_kind, rec, split,
};
use super::{Backing, ef};
use crate::lists::prefix::POW10;

#[cfg(target_os = "linux")]
const HUGE_MIN: usize = 4 << 20;

/// A partition while it is being built; offsets are element indexes in the
/// section vectors, turned into byte offsets when the arena is assembled.
struct PartBuild {
    key: u64,
    radix: Radix,
    min_chunk: u32,
    n_slots: u32,
    sparse: bool,
    n_top: u32,
    dir: usize,
    top: usize,
    keys: usize,
    words: usize,
    n_words: usize,
    ranks: usize,
    rank_base: u64,
}

#[derive(Default)]
struct Sections {
    u16s: Vec<u16>,
    u32s: Vec<u32>,
    u64s: Vec<u64>,
    parts: Vec<PartBuild>,
}

/// The arena of the sorted, distinct, valid `numbers` with optional parallel `dates`.
pub(super) fn build_arena(numbers: &[u64], dates: Option<&[Option<i32>]>, t: Tuning) -> Backing {
    let mut s = Sections::default();
    let dated = dates.is_some_and(|d| d.iter().any(Option::is_some));
    let mut i = 0;
    while i < numbers.len() {
        // Numbers are sorted, so a partition is the run below the next one's
        // first value: find its end by binary search, not by splitting each number.
        let (key, v) = split(numbers[i]);
        let base = numbers[i] - v;
        let l = (key >> 56) as u32;
        let upper = base + POW10[l.min(10) as usize];
        let start = i;
        i += numbers[i..].partition_point(|&n| n < upper);
        build_part(
            &mut s,
            key,
            &numbers[start..i],
            base,
            start as u64,
            dated,
            t,
        );
    }
    let date_kind = date_kind(dates, dated);

    // Section placement (8-aligned): header | parts | u64s | u32s | u16s | dates.
    let align8 = |x: usize| x.div_ceil(8) * 8;
    let parts_off = BODY_HEADER;
    let u64_off = align8(parts_off + s.parts.len() * PART_RECORD);
    let u32_off = u64_off + s.u64s.len() * 8;
    let u16_off = align8(u32_off + s.u32s.len() * 4);
    let dates_off = align8(u16_off + s.u16s.len() * 2);
    let dates_len = numbers.len() * date_kind.width();

    let mut arena = Arena::new(dates_off + dates_len);
    let mut w = Writer { b: arena.bytes() };
    w.u64(head::LEN, numbers.len() as u64);
    w.u32(head::N_PARTS, s.parts.len() as u32);
    w.u32(head::DATE_KIND, date_kind.code());
    let date_base = match date_kind {
        Dates::Narrow { base } => base,
        _ => 0,
    };
    w.u32(head::DATE_BASE, date_base as u32);
    w.u64(head::PARTS_OFF, parts_off as u64);
    w.u64(head::DATES_OFF, dates_off as u64);
    w.u64(head::DATES_LEN, dates_len as u64);
    for (i, p) in s.parts.iter().enumerate() {
        let at = parts_off + i * PART_RECORD;
        w.u64(at + rec::KEY, p.key);
        w.u32(at + rec::MIN_CHUNK, p.min_chunk);
        w.u32(at + rec::N_SLOTS, p.n_slots);
        w.u32(at + rec::KIND, part_kind(p.sparse, p.radix));
        w.u32(at + rec::N_TOP, p.n_top);
        w.u64(at + rec::DIR, (u32_off + 4 * p.dir) as u64);
        w.u64(at + rec::TOP, (u32_off + 4 * p.top) as u64);
        w.u64(at + rec::KEYS, (u16_off + 2 * p.keys) as u64);
        w.u64(at + rec::WORDS, (u16_off + 2 * p.words) as u64);
        w.u64(at + rec::N_WORDS, p.n_words as u64);
        let ranks = if dated { u64_off + 8 * p.ranks } else { 0 };
        w.u64(at + rec::RANKS, ranks as u64);
        w.u64(at + rec::RANK_BASE, p.rank_base);
    }
    for (i, &x) in s.u64s.iter().enumerate() {
        w.u64(u64_off + 8 * i, x);
    }
    for (i, &x) in s.u32s.iter().enumerate() {
        w.u32(u32_off + 4 * i, x);
    }
    for (i, &x) in s.u16s.iter().enumerate() {
        w.u16(u16_off + 2 * i, x);
    }
    if let Some(d) = dates {
        for (i, x) in d.iter().enumerate() {
            match date_kind {
                Dates::None => {}
                Dates::Narrow { base } => w.u16(
                    dates_off + 2 * i,
                    x.map_or(NO_DATE16, |x| (x - base) as u16),
                ),
                Dates::Wide => w.u32(dates_off + 4 * i, x.unwrap_or(NO_DATE32) as u32),
            }
        }
    }
    arena.finish()
}

/// Dates: `u16` offsets from the earliest date when the spread fits, else `i32`.
fn date_kind(dates: Option<&[Option<i32>]>, dated: bool) -> Dates {
    match dates {
        Some(d) if dated => {
            let (lo, hi) = d
                .iter()
                .flatten()
                .fold((i32::MAX, i32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            if i64::from(hi) - i64::from(lo) < i64::from(NO_DATE16) {
                Dates::Narrow { base: lo }
            } else {
                Dates::Wide
            }
        }
        _ => Dates::None,
    }
}

/// The shape of a partition under one radix: its present chunks as (chunk, first
/// index, end index) within the partition's numbers, the directory kind, and bytes.
struct Plan {
    radix: Radix,
    chunks: Vec<(u32, usize, usize)>,
    sparse: bool,
    bytes: usize,
}

fn plan(ns: &[u64], base: u64, radix: Radix, dated: bool, t: Tuning) -> Option<Plan> {
    let mut chunks: Vec<(u32, usize, usize)> = Vec::new();
    for (i, &n) in ns.iter().enumerate() {
        let c = radix.cut(n - base).0;
        match chunks.last_mut() {
            Some(last) if last.0 == c => last.2 = i + 1,
            _ => chunks.push((c, i, i + 1)),
        }
    }
    let (min, max) = (chunks.first()?.0, chunks.last()?.0);
    let span = (max - min) as usize + 1;
    let present = chunks.len();
    let n_top = ((max - min) >> TOP_SHIFT) as usize + 1;
    let rank_cost = if dated { 8 } else { 0 };
    let dense_bytes = (4 + rank_cost) * span + 4;
    let sparse_bytes = 4 * (n_top + 1) + (2 + 4 + rank_cost) * present + 4;
    // Dense saves a dependent access; take it unless it costs over twice as much.
    let sparse = dense_bytes > 2 * sparse_bytes;
    let words: usize = chunks
        .iter()
        .map(|&(_, a, z)| Container::for_count(z - a, radix, t).1)
        .sum();
    let bytes = 2 * words + if sparse { sparse_bytes } else { dense_bytes };
    Some(Plan {
        radix,
        chunks,
        sparse,
        bytes,
    })
}

/// Builds one partition from its sorted numbers, whose national parts are
/// `n - base` (global rank of the first: `rank0`).
/// Decimal unless binary saves more than a quarter of the bytes: binary chunks are
/// 6.5 times wider, so where decimal is already compact they only make the
/// containers longer to search (measured: 10 M evenly spread NANP numbers are
/// 2.32 B/number decimal, 2.05 binary, but binary lookups were ~3× slower).
fn build_part(
    s: &mut Sections,
    key: u64,
    ns: &[u64],
    base: u64,
    rank0: u64,
    dated: bool,
    t: Tuning,
) {
    let (Some(dec), Some(bin)) = (
        plan(ns, base, Radix::Dec, dated, t),
        plan(ns, base, Radix::Bin, dated, t),
    ) else {
        return;
    };
    let Plan {
        radix,
        chunks,
        sparse,
        ..
    } = if 4 * bin.bytes < 3 * dec.bytes {
        bin
    } else {
        dec
    };
    let bitmap = radix.bitmap_words();
    let (Some(first), Some(last)) = (chunks.first(), chunks.last()) else {
        return;
    };
    let (min, max) = (first.0, last.0);
    let span = (max - min) as usize + 1;
    let present = chunks.len();
    let n_top = ((max - min) >> TOP_SHIFT) as usize + 1;

    // Containers, and each present chunk's word offset with its kind (`OFF_MASK`
    // explains why the offset fits in 30 bits).
    let words = s.u16s.len();
    let mut offs = Vec::with_capacity(present + 1);
    let mut kinds = Vec::with_capacity(present);
    let mut lows = Vec::new();
    for &(_, a, z) in &chunks {
        offs.push((s.u16s.len() - words) as u32);
        lows.clear();
        lows.extend(ns[a..z].iter().map(|&n| radix.cut(n - base).1));
        let (kind, _) = Container::for_count(z - a, radix, t);
        kinds.push(kind.code() << KIND_SHIFT);
        match kind {
            Container::Bitmap => {
                let base = s.u16s.len();
                s.u16s.resize(base + bitmap, 0);
                for &low in &lows {
                    s.u16s[base + low as usize / 16] |= 1 << (low % 16);
                }
            }
            Container::Array => s.u16s.extend_from_slice(&lows),
            Container::EliasFano => {
                s.u16s
                    .extend(ef::encode(&lows, radix.universe(), t.ef_block_bits))
            }
        }
    }
    let n_words = s.u16s.len() - words;
    // Unreachable (`OFF_MASK`'s bound), but a truncated offset would make listed
    // numbers read as unlisted: stop rather than build that set.
    assert!(
        n_words <= OFF_MASK as usize,
        "a partition of {n_words} container words does not fit the 30-bit directory offset"
    );
    offs.push(n_words as u32);

    let ranks = s.u64s.len();
    let (dir, top, keys, n_slots);
    if sparse {
        top = s.u32s.len();
        let mut k = 0usize;
        for t in 0..n_top {
            while k < present && ((chunks[k].0 - min) >> TOP_SHIFT) < t as u32 {
                k += 1;
            }
            s.u32s.push(k as u32);
        }
        s.u32s.push(present as u32);
        dir = s.u32s.len();
        s.u32s.extend(
            offs.iter()
                .zip(kinds.iter().chain([&0]))
                .map(|(o, k)| o | k),
        );
        keys = s.u16s.len();
        s.u16s
            .extend(chunks.iter().map(|c| ((c.0 - min) & TOP_MASK) as u16));
        if dated {
            s.u64s.extend(chunks.iter().map(|c| c.1 as u64));
        }
        n_slots = present;
    } else {
        top = 0;
        keys = 0;
        dir = s.u32s.len();
        let mut k = 0usize;
        for rel in 0..span {
            while k < present && ((chunks[k].0 - min) as usize) < rel {
                k += 1;
            }
            // An absent chunk is an empty container of code 0 at the next one's start.
            let kind = match chunks.get(k) {
                Some(c) if (c.0 - min) as usize == rel => kinds[k],
                _ => 0,
            };
            s.u32s.push(offs[k] | kind);
            if dated {
                s.u64s.push(chunks.get(k).map_or(ns.len(), |c| c.1) as u64);
            }
        }
        s.u32s.push(n_words as u32);
        n_slots = span;
    }
    s.parts.push(PartBuild {
        key,
        radix,
        min_chunk: min,
        n_slots: n_slots as u32,
        sparse,
        n_top: if sparse { n_top as u32 } else { 0 },
        dir,
        top,
        keys,
        words,
        n_words,
        ranks,
        rank_base: rank0,
    });
}

/// The arena under construction: allocated once at its final size (huge-page
/// advised when large), then filled.
enum Arena {
    Heap(Vec<u8>),
    #[cfg(target_os = "linux")]
    Anon(memmap2::MmapMut),
}

impl Arena {
    fn new(len: usize) -> Arena {
        #[cfg(target_os = "linux")]
        if len >= HUGE_MIN
            && let Ok(map) = memmap2::MmapOptions::new().len(len).map_anon()
        {
            // Advice before the first touch, so the kernel backs it with huge
            // pages (advising after the first touch converts nothing: measured while designing
            // the set, 25 % of lookup latency lost at 250 M numbers).
            let _ = map.advise(memmap2::Advice::HugePage);
            return Arena::Anon(map);
        }
        Arena::Heap(vec![0; len])
    }

    fn bytes(&mut self) -> &mut [u8] {
        match self {
            Arena::Heap(v) => v,
            #[cfg(target_os = "linux")]
            Arena::Anon(m) => m,
        }
    }

    fn finish(self) -> Backing {
        match self {
            Arena::Heap(v) => Backing::Heap(v),
            #[cfg(target_os = "linux")]
            Arena::Anon(m) => Backing::Anon(m),
        }
    }
}

/// Positional little-endian writes into the arena, at the offsets `layout` names. A
/// write past the end is dropped (the placement above sizes the arena so none is);
/// validation at open then refuses the arena, so a builder bug cannot serve.
struct Writer<'a> {
    b: &'a mut [u8],
}

impl Writer<'_> {
    fn put<const N: usize>(&mut self, at: usize, v: [u8; N]) {
        if let Some(dst) = at.checked_add(N).and_then(|end| self.b.get_mut(at..end)) {
            dst.copy_from_slice(&v);
        }
    }
    fn u16(&mut self, at: usize, x: u16) {
        self.put(at, x.to_le_bytes());
    }
    fn u32(&mut self, at: usize, x: u32) {
        self.put(at, x.to_le_bytes());
    }
    fn u64(&mut self, at: usize, x: u64) {
        self.put(at, x.to_le_bytes());
    }
}
