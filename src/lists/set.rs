//! [`NumberSet`]: an exact, immutable set of numbers with optional registration
//! dates, laid out for national-scale registries (hundreds of millions of numbers).
//!
//! (layout: see [`NumberSet`]).

use std::fmt;
use std::sync::Arc;

use super::prefix::POW10;
use crate::Number;

const CHUNK: u64 = 10_000;
const TOP_SHIFT: u32 = 10;
const TOP_MASK: u32 = (1 << TOP_SHIFT) - 1;
const NO_DATE16: u16 = u16::MAX;
const NO_DATE32: i32 = i32::MIN;
/// Bytes of the arena header.
pub(crate) const BODY_HEADER: usize = 64;
/// Bytes of one partition record.
const PART_RECORD: usize = 80;
#[cfg(target_os = "linux")]
const HUGE_MIN: usize = 4 << 20;

/// How registration dates are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dates {
    None,
    /// `u16` days after `base`; `u16::MAX` = no date.
    Narrow {
        base: i32,
    },
    /// `i32` day numbers; `i32::MIN` = no date.
    Wide,
}

/// How a partition cuts the national part `v` of a number into chunk and low.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Radix {
    /// chunk = v / 10^4 (NPA-NXX for NANP): registry-like data clustered in
    /// decimal blocks. Bitmaps of 10 000 bits (625 words).
    Dec,
    /// chunk = v >> 16: data spread evenly, where decimal chunks would hold one or
    /// two numbers each and the directory would dominate. Bitmaps of 65 536 bits.
    Bin,
}

impl Radix {
    #[inline(always)]
    fn cut(self, v: u64) -> (u32, u16) {
        match self {
            Radix::Dec => ((v / CHUNK) as u32, (v % CHUNK) as u16),
            Radix::Bin => ((v >> 16) as u32, v as u16),
        }
    }

    #[inline(always)]
    fn join(self, chunk: u32, low: u16) -> u64 {
        match self {
            Radix::Dec => u64::from(chunk) * CHUNK + u64::from(low),
            Radix::Bin => (u64::from(chunk) << 16) | u64::from(low),
        }
    }

    /// Words of a bitmap container; arrays are shorter.
    const fn bitmap_words(self) -> usize {
        match self {
            Radix::Dec => 625,
            Radix::Bin => 4096,
        }
    }

    /// Number of chunks in a partition of `l`-digit numbers (≤ 10^6).
    const fn chunk_space(self, l: u32) -> u64 {
        let span = POW10[if l < 10 { l } else { 10 } as usize];
        match self {
            Radix::Dec => {
                if span > CHUNK {
                    span / CHUNK
                } else {
                    1
                }
            }
            Radix::Bin => span.div_ceil(1 << 16),
        }
    }
}

/// One partition, decoded and validated; offsets are byte offsets in the arena.
#[derive(Clone, Copy, Debug)]
struct Part {
    radix: Radix,
    bitmap: usize,
    min_chunk: u32,
    n_slots: u32,
    sparse: bool,
    n_top: u32,
    dir: usize,
    top: usize,
    keys: usize,
    words: usize,
    ranks: usize,
    rank_base: u64,
}

/// Where the arena lives.
pub(crate) enum Backing {
    Heap(Vec<u8>),
    /// Anonymous huge-page-advised mapping (kept writable: nothing writes to it
    /// after the build, and safe code cannot).
    Anon(memmap2::MmapMut),
}

impl Backing {
    /// The arena's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.body()
    }

    #[inline]
    fn body(&self) -> &[u8] {
        match self {
            Backing::Heap(v) => v,
            Backing::Anon(m) => m,
        }
    }
}

/// Exact immutable set of numbers, optionally with a registration date (local day
/// number: days since 1970-01-01) per number. Cloning is cheap (the arena is
/// shared); lookups never allocate.
///
/// ```
/// use dialguard::{Number, lists::NumberSet};
/// let set = NumberSet::from_dated(vec![(390212345678, Some(20_000)), (12125550100, None)]);
/// let n = Number::from_e164_digits(390212345678).unwrap();
/// assert!(set.contains(n));
/// assert_eq!(set.registered_on(n), Some(Some(20_000)));
/// ```
///
/// # Layout (measured design, research/hardware.md §3.3 and §5.1)
///
/// A number with `L` digits is split into
/// * a **partition key** `(L, h)`: `h` is the first `max(0, L - 10)` digits. This is
///   the structural stand-in for "country calling code": for NANP (`+1`, 11 digits) it
///   is exactly `+1`; for 12-digit numbers it is the first two digits (`+39`, `+44`);
///   a 3-digit code shares a partition with its siblings. It needs no numbering table,
///   cannot misroute, and keeps numbers of different lengths apart (so Italian
///   national numbers with a leading 0 never collide with shorter ones);
/// * a **national part** `v` (the remaining up to 10 digits), cut into a **chunk** and
///   a 16-bit **low** in one of two ways, chosen per partition by size:
///   * decimal: chunk = `v / 10^4`, low = the last four digits. For NANP the chunk
///     is NPA-NXX, which is how registries cluster (1.26 B/number measured);
///   * binary: chunk = `v >> 16`, low = `v & 0xFFFF`. For numbers spread thinly,
///     where decimal chunks would hold one or two numbers each and the directory
///     would dominate (the power-of-two variant of research §5.1).
///
/// Each partition has a directory of `u32` offsets into its container words:
/// * **dense** (one entry per chunk between the smallest and largest present
///   chunk): one dependent miss, then the container. Used when it is no more than
///   twice the size of the sparse form, which is the case for registry-like data.
///   (Italy's 9–12-digit numbers fall in several partitions by length, each with
///   at most 10^6 chunks, so a dense directory there is also bounded: 4 MB.)
/// * **sparse** (two levels): a small `top` table indexed by `chunk >> 10` (at most
///   977 entries, 4 KiB, stays cached) gives the run of present chunks in that
///   1024-chunk page; their low 10 bits are a sorted `u16` run searched in one or two
///   cache lines; its index selects the offsets. Used for scattered sets (an opt-out
///   list of 10 000 numbers across a country) where a dense directory would cost
///   more than the numbers.
///
/// A container is the chunk's numbers: a sorted `u16` array of the lows when the
/// chunk has fewer than 625 (decimal) / 4 096 (binary), else a bitmap of 10 000 /
/// 65 536 bits (625 / 4 096 words). Its length is the difference of two consecutive
/// offsets, and a length equal to the bitmap size means bitmap.
///
/// Registration dates sit beside it in rank order (a `u16` per number as days from
/// the earliest date when the spread allows, else `i32`), found through a `u64`
/// first-rank per directory entry; a set without dates stores neither.
///
/// Everything lives in one little-endian byte arena (read with bounds-checked
/// loads, so any arena, including a mapped file, is safe to query) that is exactly
/// the body of a compiled list file (see [`write_compiled`](super::write_compiled)). Arenas of 4 MiB
/// and more are allocated once at their final size as an anonymous mapping advised
/// for transparent huge pages before being filled.
#[derive(Clone)]
pub struct NumberSet {
    store: Arc<Backing>,
    /// Partition keys `(L << 56) | h`, ascending, parallel to `parts`.
    keys: Box<[u64]>,
    parts: Box<[Part]>,
    len: u64,
    dates: Dates,
    dates_off: usize,
    dates_len: usize,
}

impl Default for NumberSet {
    fn default() -> Self {
        NumberSet::from_numbers(Vec::new())
    }
}

impl fmt::Debug for NumberSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NumberSet")
            .field("len", &self.len)
            .field("partitions", &self.parts.len())
            .field("dates", &self.dates)
            .field("arena_bytes", &self.arena_bytes())
            .finish()
    }
}

// ---------------------------------------------------------------- reading helpers

#[inline(always)]
fn rd16(b: &[u8], off: usize) -> Option<u16> {
    b.get(off..)?
        .first_chunk::<2>()
        .map(|a| u16::from_le_bytes(*a))
}
#[inline(always)]
fn rd32(b: &[u8], off: usize) -> Option<u32> {
    b.get(off..)?
        .first_chunk::<4>()
        .map(|a| u32::from_le_bytes(*a))
}
#[inline(always)]
fn rd64(b: &[u8], off: usize) -> Option<u64> {
    b.get(off..)?
        .first_chunk::<8>()
        .map(|a| u64::from_le_bytes(*a))
}

/// `(partition key, national part v < 10^10)` of a valid number (1 ≤ n < 10^15).
#[inline(always)]
fn split(n: u64) -> (u64, u64) {
    let l = n.ilog10() + 1;
    let span = POW10[l.min(10) as usize];
    let h = n / span;
    ((u64::from(l) << 56) | h, n - h * span)
}

/// A located member: which container, and where in it.
#[derive(Clone, Copy)]
struct Hit {
    part: usize,
    slot: u32,
    /// Byte offset of the container's first word, and its length in words.
    base: usize,
    len: usize,
    low: u16,
    /// Index in the sorted array (array containers only).
    idx: usize,
}

impl NumberSet {
    /// Builds a set from E.164 digit values (any order, duplicates allowed). Values
    /// that are not numbers (0, or more than 15 digits) are dropped.
    pub fn from_numbers(mut numbers: Vec<u64>) -> NumberSet {
        numbers.retain(|&n| Number::from_e164_digits(n).is_some());
        if !numbers.is_sorted() {
            numbers.sort_unstable();
        }
        numbers.dedup();
        Self::build(&numbers, None)
    }

    /// Builds a set with registration dates. A number listed twice keeps the
    /// earliest date, and an undated entry counts as earliest of all (unknown
    /// registration date = registered since forever, the conservative reading).
    /// Values that are not numbers are dropped; a date of `i32::MIN` reads as none.
    pub fn from_dated(mut entries: Vec<(u64, Option<i32>)>) -> NumberSet {
        entries.retain(|e| Number::from_e164_digits(e.0).is_some());
        // Option's order puts None first, so the first entry per number is the one kept.
        entries.sort_unstable();
        entries.dedup_by_key(|e| e.0);
        let numbers: Vec<u64> = entries.iter().map(|e| e.0).collect();
        let dates: Vec<Option<i32>> = entries.into_iter().map(|e| e.1).collect();
        Self::build(&numbers, Some(&dates))
    }

    /// Builds from sorted, distinct, valid numbers and optional parallel dates.
    pub(crate) fn build(numbers: &[u64], dates: Option<&[Option<i32>]>) -> NumberSet {
        let arena = build_arena(numbers, dates);
        match NumberSet::from_backing(Arc::new(arena)) {
            Ok(set) => set,
            // Only a bug in the builder can get here; a wrong set must not serve.
            Err(e) => panic!("dialguard internal error: built an invalid number set: {e}"),
        }
    }

    /// Decodes and validates an arena. Every offset is checked against the arena
    /// before it is kept, so lookups on a damaged arena cannot go out of bounds
    /// (they would still be bounds-checked reads if they could).
    pub(crate) fn from_backing(store: Arc<Backing>) -> Result<NumberSet, String> {
        let b = store.body();
        let (keys, parts, len, dates, dates_off, dates_len) = parse_arena(b)?;
        Ok(NumberSet {
            keys,
            parts,
            len,
            dates,
            dates_off,
            dates_len,
            store,
        })
    }

    #[inline(always)]
    fn arena(&self) -> &[u8] {
        self.store.body()
    }

    /// The arena bytes (the body of a compiled list file).
    pub(crate) fn arena_bytes_slice(&self) -> &[u8] {
        self.arena()
    }

    /// Directory slot of `chunk` in partition `p`, if the chunk has numbers.
    #[inline(always)]
    fn slot(b: &[u8], p: &Part, chunk: u32) -> Option<u32> {
        let rel = chunk.checked_sub(p.min_chunk)?;
        if !p.sparse {
            return (rel < p.n_slots).then_some(rel);
        }
        let t = rel >> TOP_SHIFT;
        if t >= p.n_top {
            return None;
        }
        let at = p.top + 4 * t as usize;
        let (mut lo, mut hi) = (rd32(b, at)? as usize, rd32(b, at + 4)? as usize);
        let key = (rel & TOP_MASK) as u16;
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let k = rd16(b, p.keys + 2 * mid)?;
            match k.cmp(&key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u32),
            }
        }
        None
    }

    /// Container of `slot`: (byte offset of its first word, length in words).
    #[inline(always)]
    fn container(b: &[u8], p: &Part, slot: u32) -> Option<(usize, usize)> {
        let at = p.dir + 4 * slot as usize;
        let o0 = rd32(b, at)? as usize;
        let o1 = rd32(b, at + 4)? as usize;
        Some((p.words + 2 * o0, o1.checked_sub(o0)?))
    }

    /// Searches a container for `low`; `Some(index)` (array) or `Some(0)` (bitmap).
    #[inline(always)]
    fn search(b: &[u8], base: usize, len: usize, bitmap: usize, low: u16) -> Option<usize> {
        if len == bitmap {
            let w = rd16(b, base + 2 * (low as usize / 16))?;
            return (w >> (low % 16) & 1 == 1).then_some(0);
        }
        if len > bitmap {
            return None; // impossible in a valid arena (validated at open)
        }
        let (mut lo, mut hi) = (0usize, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let v = rd16(b, base + 2 * mid)?;
            match v.cmp(&low) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    #[inline(always)]
    fn part_of(&self, key: u64) -> Option<usize> {
        // Few partitions (one per country-length), so this stays in cache.
        self.keys.binary_search(&key).ok()
    }

    #[inline(always)]
    fn find(&self, n: u64) -> Option<Hit> {
        let b = self.arena();
        let (key, v) = split(n);
        let part = self.part_of(key)?;
        let p = self.parts.get(part)?;
        let (chunk, low) = p.radix.cut(v);
        let slot = Self::slot(b, p, chunk)?;
        let (base, len) = Self::container(b, p, slot)?;
        let idx = Self::search(b, base, len, p.bitmap, low)?;
        Some(Hit {
            part,
            slot,
            base,
            len,
            low,
            idx,
        })
    }

    /// True when `n` is in the set. No allocation; typically two dependent memory
    /// accesses (directory entry, container) on a national-scale set.
    #[inline]
    pub fn contains(&self, n: Number) -> bool {
        self.find(n.get()).is_some()
    }

    /// `None` when `n` is not in the set; `Some(date)` when it is, with its
    /// registration day number if the list gave one.
    pub fn registered_on(&self, n: Number) -> Option<Option<i32>> {
        let hit = self.find(n.get())?;
        if self.dates == Dates::None {
            return Some(None);
        }
        Some(self.date_of(&hit))
    }

    fn date_of(&self, hit: &Hit) -> Option<i32> {
        let b = self.arena();
        let p = self.parts.get(hit.part)?;
        let first = rd64(b, p.ranks + 8 * hit.slot as usize)?;
        let within = if hit.len == p.bitmap {
            bitmap_rank(b, hit.base, hit.low)? as u64
        } else {
            hit.idx as u64
        };
        let rank = p.rank_base.wrapping_add(first).wrapping_add(within);
        let rank = usize::try_from(rank).ok()?;
        if rank >= self.len as usize {
            return None;
        }
        match self.dates {
            Dates::None => None,
            Dates::Narrow { base } => {
                let d = rd16(b, self.dates_off.checked_add(rank.checked_mul(2)?)?)?;
                (d != NO_DATE16).then(|| base.wrapping_add(i32::from(d)))
            }
            Dates::Wide => {
                let at = self.dates_off.checked_add(rank.checked_mul(4)?)?;
                let d = rd32(b, at)? as i32;
                (d != NO_DATE32).then_some(d)
            }
        }
    }

    /// Looks up many numbers at once: `out[i] = self.contains(ns[i])` for every `i`
    /// below `min(ns.len(), out.len())`. The lookups are independent, so their
    /// memory accesses overlap; on x86-64 each group of 16 first prefetches the
    /// directory entries, then the containers, then searches.
    pub fn contains_batch(&self, ns: &[Number], out: &mut [bool]) {
        const G: usize = 16;
        let b = self.arena();
        for (ns, out) in ns.chunks(G).zip(out.chunks_mut(G)) {
            // Stage 1: partition and directory slot address; prefetch it.
            let mut loc = [(usize::MAX, 0u32, 0u16); G];
            for (l, n) in loc.iter_mut().zip(ns) {
                let (key, v) = split(n.get());
                if let Some(pi) = self.part_of(key)
                    && let Some(p) = self.parts.get(pi)
                {
                    let (chunk, low) = p.radix.cut(v);
                    *l = (pi, chunk, low);
                    {
                        let at = match p.sparse {
                            false => p
                                .dir
                                .wrapping_add(4 * chunk.wrapping_sub(p.min_chunk) as usize),
                            true => p.top.wrapping_add(
                                4 * (chunk.wrapping_sub(p.min_chunk) >> TOP_SHIFT) as usize,
                            ),
                        };
                        prefetch(b, at);
                    }
                }
            }
            // Stage 2: resolve slots and container addresses; prefetch the containers.
            let mut con = [(0usize, 0usize, 0usize, 0u16); G];
            for (c, &(pi, chunk, low)) in con.iter_mut().zip(&loc) {
                let Some(p) = self.parts.get(pi) else {
                    continue;
                };
                let Some(slot) = Self::slot(b, p, chunk) else {
                    continue;
                };
                if let Some((base, len)) = Self::container(b, p, slot) {
                    *c = (base, len, p.bitmap, low);
                    let probe = if len == p.bitmap {
                        base + 2 * (low as usize / 16)
                    } else {
                        base + len // the first binary-search probe
                    };
                    prefetch(b, probe);
                }
            }
            // Stage 3: search.
            for (o, &(base, len, bitmap, low)) in out.iter_mut().zip(&con) {
                *o = len != 0 && Self::search(b, base, len, bitmap, low).is_some();
            }
        }
    }

    /// All members with their dates, ascending (for tests, export and folding).
    pub fn to_entries(&self) -> Vec<(u64, Option<i32>)> {
        let b = self.arena();
        // The count is only an estimate of what the containers hold (the arena is not
        // walked at open): never let it size a larger allocation than the arena.
        let mut out = Vec::with_capacity(self.len().min(b.len()));
        for (pi, (key, p)) in self.keys.iter().zip(self.parts.iter()).enumerate() {
            let l = (key >> 56) as u32;
            let h = key & ((1 << 56) - 1);
            let span = POW10[l.min(10) as usize];
            let mut emit = |chunk: u32, slot: u32| {
                let Some((base, len)) = Self::container(b, p, slot) else {
                    return;
                };
                let prefix = h * span;
                let mut push = |low: u16, idx: usize| {
                    let n = prefix + p.radix.join(chunk, low);
                    let date = if self.dates == Dates::None {
                        None
                    } else {
                        let hit = Hit {
                            part: pi,
                            slot,
                            base,
                            len,
                            low,
                            idx,
                        };
                        self.date_of(&hit)
                    };
                    out.push((n, date));
                };
                if len == p.bitmap {
                    for word in 0..len {
                        let w = rd16(b, base + 2 * word).unwrap_or(0);
                        for bit in 0..16 {
                            if w >> bit & 1 == 1 {
                                push((word * 16 + bit) as u16, 0);
                            }
                        }
                    }
                } else {
                    for i in 0..len {
                        if let Some(low) = rd16(b, base + 2 * i) {
                            push(low, i);
                        }
                    }
                }
            };
            if p.sparse {
                for t in 0..p.n_top {
                    let at = p.top + 4 * t as usize;
                    let (lo, hi) = (rd32(b, at).unwrap_or(0), rd32(b, at + 4).unwrap_or(0));
                    for s in lo..hi {
                        if let Some(k) = rd16(b, p.keys + 2 * s as usize) {
                            emit(p.min_chunk + (t << TOP_SHIFT) + u32::from(k), s);
                        }
                    }
                }
            } else {
                for s in 0..p.n_slots {
                    emit(p.min_chunk + s, s);
                }
            }
        }
        out
    }

    /// How each partition is laid out, as `(digits, leading digits, layout)` with
    /// layout one of `dec-dense`, `dec-sparse`, `bin-dense`, `bin-sparse`. For
    /// tests and capacity reports; not a stable format.
    #[doc(hidden)]
    pub fn partition_layouts(&self) -> Vec<(u32, u64, &'static str)> {
        self.keys
            .iter()
            .zip(self.parts.iter())
            .map(|(k, p)| {
                let layout = match (p.radix, p.sparse) {
                    (Radix::Dec, false) => "dec-dense",
                    (Radix::Dec, true) => "dec-sparse",
                    (Radix::Bin, false) => "bin-dense",
                    (Radix::Bin, true) => "bin-sparse",
                };
                ((k >> 56) as u32, k & ((1 << 56) - 1), layout)
            })
            .collect()
    }

    /// Number of distinct numbers.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// True when the set has no numbers.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when the set carries registration dates.
    pub fn has_dates(&self) -> bool {
        self.dates != Dates::None
    }

    /// Heap (and anonymous-mapping) bytes held by the set, arena included (a set opened
    /// from a compiled file holds a private copy of it).
    pub fn heap_bytes(&self) -> usize {
        let own = self.keys.len() * 8 + self.parts.len() * std::mem::size_of::<Part>();
        match &*self.store {
            Backing::Heap(v) => own + v.capacity(),
            Backing::Anon(m) => own + m.len(),
        }
    }

    /// Bytes of the arena (the set's data, wherever it lives), dates included.
    pub fn arena_bytes(&self) -> usize {
        self.arena().len()
    }

    /// Bytes of the arena spent on registration dates (the date column and the
    /// per-chunk first ranks that find it).
    pub fn date_bytes(&self) -> usize {
        if self.dates == Dates::None {
            return 0;
        }
        let ranks: usize = self.parts.iter().map(|p| 8 * p.n_slots as usize).sum();
        self.dates_len + ranks
    }
}

/// Number of set bits below `low` in the bitmap at `base`.
fn bitmap_rank(b: &[u8], base: usize, low: u16) -> Option<u32> {
    let word = low as usize / 16;
    let mut count = 0u32;
    let mut i = 0usize;
    while i + 4 <= word {
        count += rd64(b, base + 2 * i)?.count_ones();
        i += 4;
    }
    while i < word {
        count += rd16(b, base + 2 * i)?.count_ones();
        i += 1;
    }
    let w = rd16(b, base + 2 * word)?;
    Some(count + (w & ((1u16 << (low % 16)) - 1)).count_ones())
}

#[inline(always)]
fn prefetch(b: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(p) = b.get(at) {
        // SAFETY: a prefetch is a hint; it cannot fault, and the address is in bounds.
        #[allow(unused_unsafe)]
        unsafe {
            core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
                (p as *const u8).cast::<i8>(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (b, at);
}

// ---------------------------------------------------------------- building

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

fn build_arena(numbers: &[u64], dates: Option<&[Option<i32>]>) -> Backing {
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
        build_part(&mut s, key, &numbers[start..i], base, start as u64, dated);
    }

    // Dates: u16 offsets from the earliest date when the spread fits, else i32.
    let (date_kind, date_base) = match dates {
        Some(d) if dated => {
            let (lo, hi) = d
                .iter()
                .flatten()
                .fold((i32::MAX, i32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            if i64::from(hi) - i64::from(lo) < i64::from(NO_DATE16) {
                (Dates::Narrow { base: lo }, lo)
            } else {
                (Dates::Wide, 0)
            }
        }
        _ => (Dates::None, 0),
    };

    // Section placement (8-aligned): header | parts | u64s | u32s | u16s | dates.
    let align8 = |x: usize| x.div_ceil(8) * 8;
    let parts_off = BODY_HEADER;
    let u64_off = align8(parts_off + s.parts.len() * PART_RECORD);
    let u32_off = u64_off + s.u64s.len() * 8;
    let u16_off = align8(u32_off + s.u32s.len() * 4);
    let dates_off = align8(u16_off + s.u16s.len() * 2);
    let dates_len = match date_kind {
        Dates::None => 0,
        Dates::Narrow { .. } => numbers.len() * 2,
        Dates::Wide => numbers.len() * 4,
    };
    let total = dates_off + dates_len;

    let mut arena = Arena::new(total);
    let out = arena.bytes();
    let mut w = Writer { b: out, at: 0 };
    w.u64(numbers.len() as u64);
    w.u32(s.parts.len() as u32);
    w.u32(match date_kind {
        Dates::None => 0,
        Dates::Narrow { .. } => 1,
        Dates::Wide => 2,
    });
    w.u32(date_base as u32);
    w.u32(0);
    w.u64(parts_off as u64);
    w.u64(dates_off as u64);
    w.u64(dates_len as u64);
    w.at = parts_off;
    for p in &s.parts {
        w.u64(p.key);
        w.u32(p.min_chunk);
        w.u32(p.n_slots);
        w.u32(u32::from(p.sparse) | u32::from(p.radix == Radix::Bin) << 1);
        w.u32(p.n_top);
        w.u64((u32_off + 4 * p.dir) as u64);
        w.u64((u32_off + 4 * p.top) as u64);
        w.u64((u16_off + 2 * p.keys) as u64);
        w.u64((u16_off + 2 * p.words) as u64);
        w.u64(p.n_words as u64);
        w.u64(if dated {
            (u64_off + 8 * p.ranks) as u64
        } else {
            0
        });
        w.u64(p.rank_base);
    }
    w.at = u64_off;
    s.u64s.iter().for_each(|&x| w.u64(x));
    s.u32s.iter().for_each(|&x| w.u32(x));
    w.at = u16_off;
    s.u16s.iter().for_each(|&x| w.u16(x));
    w.at = dates_off;
    if let Some(d) = dates {
        match date_kind {
            Dates::None => {}
            Dates::Narrow { base } => d.iter().for_each(|x| {
                w.u16(x.map_or(NO_DATE16, |x| (x - base) as u16));
            }),
            Dates::Wide => d.iter().for_each(|x| w.u32(x.unwrap_or(NO_DATE32) as u32)),
        }
    }
    arena.finish()
}

/// The shape of a partition under one radix: its present chunks as (chunk, first
/// index, end index) within the partition's numbers, the directory kind, and bytes.
struct Plan {
    radix: Radix,
    chunks: Vec<(u32, usize, usize)>,
    sparse: bool,
    bytes: usize,
}

fn plan(ns: &[u64], base: u64, radix: Radix, dated: bool) -> Option<Plan> {
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
        .map(|&(_, a, z)| (z - a).min(radix.bitmap_words()))
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
fn build_part(s: &mut Sections, key: u64, ns: &[u64], base: u64, rank0: u64, dated: bool) {
    let (Some(dec), Some(bin)) = (
        plan(ns, base, Radix::Dec, dated),
        plan(ns, base, Radix::Bin, dated),
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

    // Containers, and each present chunk's word offset.
    let words = s.u16s.len();
    let mut offs = Vec::with_capacity(present + 1);
    for &(_, a, z) in &chunks {
        offs.push((s.u16s.len() - words) as u32);
        let lows = ns[a..z].iter().map(|&n| radix.cut(n - base).1);
        if z - a >= bitmap {
            let base = s.u16s.len();
            s.u16s.resize(base + bitmap, 0);
            for low in lows {
                s.u16s[base + low as usize / 16] |= 1 << (low % 16);
            }
        } else {
            s.u16s.extend(lows);
        }
    }
    let n_words = s.u16s.len() - words;
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
        s.u32s.extend_from_slice(&offs);
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
            s.u32s.push(offs[k]);
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
            // pages (research/hardware.md §3.2: advising later converts nothing).
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

struct Writer<'a> {
    b: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put<const N: usize>(&mut self, v: [u8; N]) {
        if let Some(dst) = self.b.get_mut(self.at..self.at + N) {
            dst.copy_from_slice(&v);
        }
        self.at += N;
    }
    fn u16(&mut self, x: u16) {
        self.put(x.to_le_bytes());
    }
    fn u32(&mut self, x: u32) {
        self.put(x.to_le_bytes());
    }
    fn u64(&mut self, x: u64) {
        self.put(x.to_le_bytes());
    }
}

// ---------------------------------------------------------------- validation

type Parsed = (Box<[u64]>, Box<[Part]>, u64, Dates, usize, usize);

/// Decodes the arena header and partition table, checking every offset, count and
/// directory entry against the arena. Containers' contents are not re-sorted or
/// re-checked (the file checksum covers accidental damage); whatever they hold,
/// lookups stay in bounds.
fn parse_arena(b: &[u8]) -> Result<Parsed, String> {
    let r64 = |at: usize| rd64(b, at).ok_or("arena too short");
    let r32 = |at: usize| rd32(b, at).ok_or("arena too short");
    if b.len() < BODY_HEADER {
        return Err(format!(
            "arena of {} bytes is shorter than its header",
            b.len()
        ));
    }
    let len = r64(0)?;
    // Every number takes at least one bit of the arena (a bitmap bit), so a larger count
    // is a crafted or damaged header (and would size allocations, e.g. in `to_entries`).
    if len > (b.len() as u64).saturating_mul(8) {
        return Err(format!(
            "{len} numbers cannot fit in an arena of {} bytes",
            b.len()
        ));
    }
    let n_parts = r32(8)? as usize;
    let kind = r32(12)?;
    let base = r32(16)? as i32;
    let parts_off = usize::try_from(r64(24)?).map_err(|_| "offset overflow")?;
    let dates_off = usize::try_from(r64(32)?).map_err(|_| "offset overflow")?;
    let dates_len = usize::try_from(r64(40)?).map_err(|_| "offset overflow")?;
    let in_bounds = |off: usize, bytes: Option<usize>| -> bool {
        bytes
            .and_then(|n| off.checked_add(n))
            .is_some_and(|end| end <= b.len())
    };
    let dates = match kind {
        0 => Dates::None,
        1 => Dates::Narrow { base },
        2 => Dates::Wide,
        k => return Err(format!("unknown date encoding {k}")),
    };
    let per = match dates {
        Dates::None => 0,
        Dates::Narrow { .. } => 2,
        Dates::Wide => 4,
    };
    let want = usize::try_from(len).ok().and_then(|n| n.checked_mul(per));
    if want != Some(dates_len) || !in_bounds(dates_off, Some(dates_len)) {
        return Err("date column does not match the number count or the arena".into());
    }
    if !in_bounds(parts_off, n_parts.checked_mul(PART_RECORD)) {
        return Err("partition table runs past the end of the arena".into());
    }
    let mut keys = Vec::with_capacity(n_parts);
    let mut parts = Vec::with_capacity(n_parts);
    for i in 0..n_parts {
        let at = parts_off + i * PART_RECORD;
        let off = |k: usize| -> Result<usize, String> {
            usize::try_from(r64(at + k)?).map_err(|_| "offset overflow".to_string())
        };
        let key = r64(at)?;
        let l = (key >> 56) as u32;
        let h = key & ((1 << 56) - 1);
        // `h` is the first L - 10 digits of L-digit numbers: no leading zero (else the
        // numbers read back from the partition are shorter than L and no lookup, which
        // splits by the real length, ever finds them).
        let h_digits = l.saturating_sub(10) as usize;
        if !(1..=15).contains(&l)
            || h >= POW10[h_digits]
            || (h_digits > 0 && h < POW10[h_digits - 1])
        {
            return Err(format!("partition {i} has an impossible key {key:#x}"));
        }
        if keys.last().is_some_and(|&k| k >= key) {
            return Err(format!("partition {i} is out of order"));
        }
        let kind = r32(at + 16)?;
        if kind > 3 {
            return Err(format!("partition {i} has unknown kind {kind}"));
        }
        let radix = if kind & 2 == 0 {
            Radix::Dec
        } else {
            Radix::Bin
        };
        let chunk_space = radix.chunk_space(l);
        let p = Part {
            radix,
            bitmap: radix.bitmap_words(),
            min_chunk: r32(at + 8)?,
            n_slots: r32(at + 12)?,
            sparse: kind & 1 == 1,
            n_top: r32(at + 20)?,
            dir: off(24)?,
            top: off(32)?,
            keys: off(40)?,
            words: off(48)?,
            ranks: off(64)?,
            rank_base: r64(at + 72)?,
        };
        let n_words = off(56)?;
        let ns = p.n_slots as usize;
        if ns == 0 || u64::from(p.min_chunk) + u64::from(p.n_slots) > chunk_space && !p.sparse {
            return Err(format!("partition {i}: directory outside its chunk range"));
        }
        if !in_bounds(p.words, n_words.checked_mul(2)) {
            return Err(format!("partition {i}: containers run past the arena"));
        }
        if !in_bounds(p.dir, ns.checked_add(1).and_then(|n| n.checked_mul(4))) {
            return Err(format!("partition {i}: directory runs past the arena"));
        }
        let mut prev = 0u32;
        for s in 0..=ns {
            let o = r32(p.dir + 4 * s)?;
            let ok = if s == 0 {
                o == 0
            } else {
                o >= prev && (o - prev) as usize <= p.bitmap && (o > prev || !p.sparse)
            };
            if !ok {
                return Err(format!("partition {i}: directory entry {s} is invalid"));
            }
            prev = o;
        }
        if prev as usize != n_words {
            return Err(format!(
                "partition {i}: directory does not end at its last word"
            ));
        }
        if p.sparse {
            let nt = p.n_top as usize;
            if nt == 0
                || u64::from(p.min_chunk) + ((nt as u64) << TOP_SHIFT)
                    > chunk_space + u64::from(TOP_MASK)
            {
                return Err(format!("partition {i}: page table outside its chunk range"));
            }
            if !in_bounds(p.top, (nt + 1).checked_mul(4)) || !in_bounds(p.keys, ns.checked_mul(2)) {
                return Err(format!(
                    "partition {i}: sparse directory runs past the arena"
                ));
            }
            let mut lo = r32(p.top)?;
            if lo != 0 {
                return Err(format!("partition {i}: page table does not start at 0"));
            }
            for t in 0..nt {
                let hi = r32(p.top + 4 * (t + 1))?;
                if hi < lo || hi as usize > ns {
                    return Err(format!("partition {i}: page table entry {t} is invalid"));
                }
                let mut last: Option<u16> = None;
                for s in lo..hi {
                    let k = rd16(b, p.keys + 2 * s as usize).ok_or("arena too short")?;
                    let chunk = u64::from(p.min_chunk) + ((t as u64) << TOP_SHIFT) + u64::from(k);
                    if u32::from(k) > TOP_MASK
                        || last.is_some_and(|l| l >= k)
                        || chunk >= chunk_space
                    {
                        return Err(format!("partition {i}: chunk key {s} is invalid"));
                    }
                    last = Some(k);
                }
                lo = hi;
            }
            if lo as usize != ns {
                return Err(format!(
                    "partition {i}: page table does not cover every chunk"
                ));
            }
        }
        if dates != Dates::None && !in_bounds(p.ranks, ns.checked_mul(8)) {
            return Err(format!("partition {i}: rank table runs past the arena"));
        }
        keys.push(key);
        parts.push(p);
    }
    Ok((
        keys.into_boxed_slice(),
        parts.into_boxed_slice(),
        len,
        dates,
        dates_off,
        dates_len,
    ))
}
