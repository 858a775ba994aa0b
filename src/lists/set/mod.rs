//! [`NumberSet`]: an exact, immutable set of numbers with optional registration
//! dates, laid out for national-scale registries (hundreds of millions of numbers).
//!
//! This module owns the friendly API; the compact core is apart, as in fst or roaring:
//! `layout` (every field offset and code, defined once), `build` (numbers → arena),
//! `validate` (arena → checked partitions) and `raw` (lookups in a checked arena).
//! The layout is described on [`NumberSet`].

mod build;
mod ef;
mod layout;
mod raw;
#[cfg(test)]
mod tests;
mod validate;

use std::fmt;
use std::sync::Arc;

use crate::Number;
use crate::lists::prefix::POW10;
pub use layout::Tuning;
use layout::{
    Container, Dates, NO_DATE16, NO_DATE32, Part, Radix, TOP_SHIFT, rd16, rd32, rd64, split,
};

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
/// # Layout (the field offsets are in `set/layout.rs`)
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
///     is NPA-NXX, which is how registries cluster (about 1.26 B/number, measured
///     while designing the set on 256.5 M NANP-like numbers clustered in active
///     exchanges: a flat power-of-two bitmap layout took 2.26 B/number there);
///   * binary: chunk = `v >> 16`, low = `v & 0xFFFF`. For numbers spread thinly,
///     where decimal chunks would hold one or two numbers each and the directory
///     would dominate (the power-of-two variant of the same design).
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
/// A container is the chunk's numbers, in whichever of three kinds is smallest (the
/// kind is explicit: the top two bits of the chunk's directory entry):
/// * a sorted `u16` array of the lows (few numbers);
/// * a bitmap of 10 000 / 65 536 bits (625 / 4 096 words; very dense chunks);
/// * Elias–Fano (`set/ef.rs`): about `2 + log2(10 000 / n)` bits a number, in blocks of
///   one or two cache lines found through a small table in the container's first line,
///   so a lookup reads that line and one block, prefetched together. On the synthetic
///   registry this takes the set from 1.30 to 0.72 B/number at 20 M numbers and from
///   1.17 to 0.68 at 100 M (1.45 instead of 2.16 on numbers spread evenly), for about
///   30 ns more work per lookup (benches/lists.rs, `DIALGUARD_BENCH_LAYOUT=1`).
///
/// A container's length is the difference of two consecutive offsets; an array or
/// bitmap (code 0) is told apart by it, a length equal to the bitmap size meaning bitmap.
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

/// A located member: which container, and where in it.
#[derive(Clone, Copy)]
struct Hit {
    part: usize,
    slot: u32,
    /// Byte offset of the container's first word, its length in words, its kind.
    con: (usize, usize, Container),
    low: u16,
    /// Rank in the container (array and Elias–Fano containers; bitmaps count it).
    idx: usize,
}

impl NumberSet {
    /// Builds a set from E.164 digit values (any order, duplicates allowed). Values
    /// that are not numbers (0, or more than 15 digits) are dropped.
    pub fn from_numbers(numbers: Vec<u64>) -> NumberSet {
        Self::from_numbers_tuned(numbers, Tuning::default())
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
        Self::build_tuned(numbers, dates, Tuning::default())
    }

    /// [`from_numbers`](Self::from_numbers) with a choice of containers other than the
    /// default, to measure what each layout costs (benches); not a stable API.
    #[doc(hidden)]
    pub fn from_numbers_tuned(mut numbers: Vec<u64>, tuning: Tuning) -> NumberSet {
        numbers.retain(|&n| Number::from_e164_digits(n).is_some());
        if !numbers.is_sorted() {
            numbers.sort_unstable();
        }
        numbers.dedup();
        Self::build_tuned(&numbers, None, tuning)
    }

    fn build_tuned(numbers: &[u64], dates: Option<&[Option<i32>]>, t: Tuning) -> NumberSet {
        let arena = build::build_arena(numbers, dates, t);
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
        let validate::Parsed {
            keys,
            parts,
            len,
            dates,
            dates_off,
            dates_len,
        } = validate::parse_arena(store.body())?;
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
        let slot = raw::slot(b, p, chunk)?;
        let con = raw::container(b, p, slot)?;
        let idx = raw::search(b, p, con, low)?;
        Some(Hit {
            part,
            slot,
            con,
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
        let within = match hit.con.2 {
            Container::Bitmap => u64::from(raw::bitmap_rank(b, hit.con.0, hit.low)?),
            Container::Array | Container::EliasFano => hit.idx as u64,
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
                    raw::prefetch(b, raw::slot_probe(p, chunk));
                }
            }
            // Stage 2: resolve slots and container addresses; prefetch the containers.
            let mut con = [None; G];
            for (c, &(pi, chunk, low)) in con.iter_mut().zip(&loc) {
                let Some(p) = self.parts.get(pi) else {
                    continue;
                };
                let Some(slot) = raw::slot(b, p, chunk) else {
                    continue;
                };
                if let Some(found) = raw::container(b, p, slot) {
                    *c = Some((p, found, low));
                    raw::prefetch_search(b, p, found, low);
                }
            }
            // Stage 3: search.
            for (o, c) in out.iter_mut().zip(&con) {
                *o = c.is_some_and(|(p, found, low)| {
                    found.1 != 0 && raw::search(b, p, found, low).is_some()
                });
            }
        }
    }

    /// The first half of a lookup, for software pipelining: finds `n`'s container
    /// (the directory is hot) and requests the container lines the search will read,
    /// without waiting for them. [`NumberSet::finish`] ends the lookup once the lines
    /// have had time to arrive, e.g. after the batch has judged another group.
    #[inline]
    pub(crate) fn probe(&self, n: Number) -> Probe {
        let b = self.arena();
        let mut probe = Probe {
            n,
            arena: b.as_ptr() as usize,
            at: None,
        };
        let (key, v) = split(n.get());
        if let Some(pi) = self.part_of(key)
            && let Some(p) = self.parts.get(pi)
        {
            let (chunk, low) = p.radix.cut(v);
            if let Some(found) = raw::slot(b, p, chunk).and_then(|s| raw::container(b, p, s)) {
                raw::prefetch_search(b, p, found, low);
                probe.at = Some((pi, found, low));
            }
        }
        probe
    }

    /// Requests the lines a lookup of `n` will read (a hint: `probe` without its result).
    #[inline]
    pub(crate) fn prefetch(&self, n: Number) {
        self.probe(n);
    }

    /// Ends a lookup [`NumberSet::probe`] began: `contains(n)`. A probe made by another
    /// set is not trusted: the lookup is then done again here, in full.
    #[inline]
    pub(crate) fn finish(&self, probe: &Probe) -> bool {
        let b = self.arena();
        if probe.arena != b.as_ptr() as usize {
            return self.contains(probe.n);
        }
        let Some((pi, found, low)) = probe.at else {
            return false;
        };
        self.parts
            .get(pi)
            .is_some_and(|p| found.1 != 0 && raw::search(b, p, found, low).is_some())
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
                let Some(con) = raw::container(b, p, slot) else {
                    return;
                };
                let (base, len, kind) = con;
                let prefix = h * span;
                let mut push = |low: u16, idx: usize| {
                    let n = prefix + p.radix.join(chunk, low);
                    let date = if self.dates == Dates::None {
                        None
                    } else {
                        let hit = Hit {
                            part: pi,
                            slot,
                            con,
                            low,
                            idx,
                        };
                        self.date_of(&hit)
                    };
                    out.push((n, date));
                };
                match kind {
                    Container::Bitmap => {
                        for word in 0..len {
                            let w = rd16(b, base + 2 * word).unwrap_or(0);
                            for bit in 0..16 {
                                if w >> bit & 1 == 1 {
                                    push((word * 16 + bit) as u16, 0);
                                }
                            }
                        }
                    }
                    Container::Array => {
                        for i in 0..len {
                            if let Some(low) = rd16(b, base + 2 * i) {
                                push(low, i);
                            }
                        }
                    }
                    Container::EliasFano => {
                        if len != 0 {
                            ef::for_each(b, base, p.radix.universe(), push);
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

/// A lookup of one number begun by [`NumberSet::probe`]: the number, the arena it was
/// begun on, and where its container is (`None`: the set has no container for it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Probe {
    n: Number,
    arena: usize,
    at: Option<(usize, (usize, usize, Container), u16)>,
}
