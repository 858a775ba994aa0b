//! The Elias–Fano container: one chunk's lows (values below the radix's universe
//! `U`, 10 000 or 65 536) in about `2 + log2(U / n)` bits each, laid out so that a
//! lookup reads the container's first cache line and one block of about one line.
//!
//! Each low `x` is split into a high part `x >> l` (its *bucket*) and `l` low bits.
//! Buckets are grouped in *blocks* of `2^g` buckets; a block is self-contained: the
//! unary counts of its buckets (per bucket, one `1` per member then a `0`), then the
//! `l`-bit remainders of its members. Words, all `u16`:
//!
//! ```text
//! [n] [l | g << 8] [c_1 .. c_{blocks-1}] [block 0 | block 1 | ...  bit stream]
//! ```
//!
//! `c_k` is the number of members in blocks before `k`, so block `k` starts at bit
//! `k·2^g + c_k·(1 + l)` of the stream: the table in the first line locates the block
//! without a select structure, and `c_k` plus the rank inside the block is the
//! member's rank (which finds its registration date). Bits run from the low bit of
//! each little-endian word upwards. The writer picks `l = ⌊log2(U / n)⌋` and the largest
//! `g` whose expected block is at most `Tuning::ef_block_bits` (448 by default: a
//! block then spans one or two cache lines, which a lookup prefetches beside the
//! container's first line); the reader takes both from the
//! header, and `validate` checks every count against the stream (see [`check`]).

use super::layout::{rd16, rd64};

/// Words of the header (`n`, then `l | g << 8`).
const HEADER: usize = 2;

/// The shape of a container: members, low bits, block bits, and what follows.
#[derive(Clone, Copy, Debug)]
struct Shape {
    n: usize,
    l: u32,
    g: u32,
    buckets: usize,
    blocks: usize,
}

impl Shape {
    /// The writer's shape for `n` members of a universe of `universe` values, in
    /// blocks of about `block_bits`.
    fn for_count(n: usize, universe: u32, block_bits: usize) -> Shape {
        let u = universe as usize;
        let l = (u / n.max(1)).max(1).ilog2();
        let buckets = ((u - 1) >> l) + 1;
        // Bits per bucket: its terminating zero, and (1 + l) per member.
        let per_bucket = 1.0 + n as f64 / buckets as f64 * f64::from(1 + l);
        let mut g = 0u32;
        while g < 16 && (1usize << (g + 1)) as f64 * per_bucket <= block_bits as f64 {
            g += 1;
        }
        Shape::new(n, l, g, universe)
    }

    fn new(n: usize, l: u32, g: u32, universe: u32) -> Shape {
        let buckets = ((universe as usize - 1) >> l) + 1;
        Shape {
            n,
            l,
            g,
            buckets,
            // A shift, not a division: this runs on every lookup (a `div` was the
            // hottest instruction of the lookup loop, measured).
            blocks: (buckets + (1 << g) - 1) >> g,
        }
    }

    /// Bits of the stream.
    fn bits(&self) -> usize {
        self.buckets + self.n * (1 + self.l as usize)
    }

    /// Words of the whole container.
    fn words(&self) -> usize {
        HEADER + self.blocks - 1 + self.bits().div_ceil(16)
    }

    /// Byte offset of the stream, from the container's start.
    fn stream(&self) -> usize {
        2 * (HEADER + self.blocks - 1)
    }

    /// Buckets in block `k`.
    fn block_buckets(&self, k: usize) -> usize {
        (1usize << self.g).min(self.buckets - (k << self.g))
    }

    /// Bit where block `k` starts, given `c_k` members before it.
    fn block_start(&self, k: usize, ck: usize) -> usize {
        (k << self.g) + ck * (1 + self.l as usize)
    }
}

/// Words an Elias–Fano container of `n` members takes (`None` when `n` does not fit
/// the `u16` header: such a chunk is a bitmap, which is smaller anyway).
pub(super) fn words(n: usize, universe: u32, block_bits: usize) -> Option<usize> {
    (1..=usize::from(u16::MAX))
        .contains(&n)
        .then(|| Shape::for_count(n, universe, block_bits).words())
}

/// The container of the sorted, distinct `lows` (each below `universe`; at most
/// `u16::MAX` of them, see [`words`]).
pub(super) fn encode(lows: &[u16], universe: u32, block_bits: usize) -> Vec<u16> {
    let s = Shape::for_count(lows.len(), universe, block_bits);
    let mut out = vec![0u16; s.words()];
    out[0] = lows.len() as u16;
    out[1] = (s.l | s.g << 8) as u16;
    let (table, stream) = out[HEADER..].split_at_mut(s.blocks - 1);
    let mut bits = BitWriter {
        words: stream,
        at: 0,
    };
    let mut i = 0;
    for k in 0..s.blocks {
        if k > 0 {
            table[k - 1] = i as u16;
        }
        let first = k << s.g;
        let start = i;
        for bucket in first..first + s.block_buckets(k) {
            while i < lows.len() && (usize::from(lows[i]) >> s.l) == bucket {
                bits.push(1, 1);
                i += 1;
            }
            bits.push(0, 1);
        }
        for &low in &lows[start..i] {
            bits.push(u64::from(low) & ((1u64 << s.l) - 1), s.l);
        }
    }
    out
}

struct BitWriter<'a> {
    words: &'a mut [u16],
    at: usize,
}

impl BitWriter<'_> {
    fn push(&mut self, v: u64, width: u32) {
        for b in 0..width {
            if v >> b & 1 == 1 {
                let at = self.at + b as usize;
                self.words[at / 16] |= 1 << (at % 16);
            }
        }
        self.at += width as usize;
    }
}

/// 64 bits of the stream at byte `at` from bit `bit`, shifted so bit `bit` is bit 0
/// (at least 57 valid bits; bytes past the arena read as 0).
#[inline(always)]
fn bits_at(b: &[u8], at: usize, bit: usize) -> u64 {
    let byte = at + bit / 8;
    let w = match rd64(b, byte) {
        Some(w) => w,
        None => {
            let mut a = [0u8; 8];
            for (i, x) in a.iter_mut().enumerate() {
                *x = b.get(byte + i).copied().unwrap_or(0);
            }
            u64::from_le_bytes(a)
        }
    };
    w >> (bit % 8)
}

/// Bits examined per step of a scan (what [`bits_at`] always delivers).
const STEP: usize = 56;
const STEP_MASK: u64 = (1 << STEP) - 1;

/// Position just after the `z`-th zero at or after bit `from` (`from` itself when `z`
/// is 0), scanning at most `limit` bits; `None` past the limit.
#[inline(always)]
fn skip_zeros(b: &[u8], at: usize, from: usize, mut z: usize, limit: usize) -> Option<usize> {
    let mut p = from;
    while z > 0 {
        if p >= from + limit {
            return None;
        }
        let zeros = !bits_at(b, at, p) & STEP_MASK;
        let count = zeros.count_ones() as usize;
        if count < z {
            z -= count;
            p += STEP;
            continue;
        }
        return Some(p + select(zeros, z - 1) + 1);
    }
    Some(p)
}

/// Position of the `k`-th (from 0) set bit of `x`, which has more than `k`: byte
/// counts summed in one multiply, the byte found without a branch, then at most seven
/// steps inside it (a bit-by-bit loop here cost 40 ns a lookup, measured).
#[inline(always)]
pub(super) fn select(x: u64, k: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut s = x - ((x >> 1) & 0x5555_5555_5555_5555);
    s = (s & 0x3333_3333_3333_3333) + ((s >> 2) & 0x3333_3333_3333_3333);
    s = (s + (s >> 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    // Byte i of `cum`: set bits in bytes 0..=i (at most 64, so the high bit is clear).
    let cum = s.wrapping_mul(ONES);
    let k8 = (k as u64 & 0x7F).wrapping_mul(ONES);
    // High bit of byte i set when cum_i <= k: those bytes are skipped whole.
    let le = ((k8 | HIGH) - cum) & HIGH;
    let byte = ((le >> 7).wrapping_mul(ONES) >> 56) as usize;
    let before = if byte == 0 {
        0
    } else {
        (cum >> (8 * (byte - 1)) & 0xFF) as usize
    };
    let w = (x >> (8 * byte.min(7)) & 0xFF) as usize;
    8 * byte + usize::from(SELECT_IN_BYTE[w][k.saturating_sub(before) & 7])
}

/// `SELECT_IN_BYTE[w][k]`: position of the `k`-th set bit of byte `w` (a table, not a
/// loop: the loop's unpredictable trip count cost more than the table's cache line).
static SELECT_IN_BYTE: [[u8; 8]; 256] = {
    let mut t = [[0u8; 8]; 256];
    let mut w = 0;
    while w < 256 {
        let (mut bit, mut k) = (0, 0);
        while bit < 8 {
            if w >> bit & 1 == 1 {
                t[w][k] = bit as u8;
                k += 1;
            }
            bit += 1;
        }
        w += 1;
    }
    t
};

/// Length of the run of ones starting at bit `from`, at most `max`.
#[inline(always)]
fn ones_run(b: &[u8], at: usize, from: usize, max: usize) -> usize {
    let mut run = 0;
    while run < max {
        let w = bits_at(b, at, from + run) | !STEP_MASK;
        let ones = w.trailing_ones() as usize;
        run += ones.min(STEP);
        if ones < STEP {
            break;
        }
    }
    run.min(max)
}

/// The `width`-bit value at bit `bit` (width ≤ 16).
#[inline(always)]
fn value_at(b: &[u8], at: usize, bit: usize, width: u32) -> u64 {
    bits_at(b, at, bit) & ((1u64 << width) - 1)
}

/// Header and block `k`'s table entries of the container at `base`.
#[inline(always)]
fn header(b: &[u8], base: usize, universe: u32) -> Option<Shape> {
    let n = usize::from(rd16(b, base)?);
    let lg = rd16(b, base + 2)?;
    let (l, g) = (u32::from(lg & 0xFF), u32::from(lg >> 8));
    if n == 0 || l > 16 || g > 16 || (1u64 << l) > u64::from(universe) {
        return None;
    }
    Some(Shape::new(n, l, g, universe))
}

/// `c_k` (members before block `k`) of the container at `base`.
#[inline(always)]
fn before(b: &[u8], base: usize, s: &Shape, k: usize) -> Option<usize> {
    match k {
        0 => Some(0),
        _ if k >= s.blocks => Some(s.n),
        _ => rd16(b, base + 2 * (HEADER + k - 1)).map(usize::from),
    }
}

/// Rank of `low` in the container at `base` (of `len` words), if it is a member.
#[inline(always)]
pub(super) fn search(b: &[u8], base: usize, len: usize, universe: u32, low: u16) -> Option<usize> {
    let s = header(b, base, universe)?;
    let x = usize::from(low);
    let h = x >> s.l;
    let k = h >> s.g;
    if k >= s.blocks || len != s.words() {
        return None;
    }
    let (ck, cn) = (before(b, base, &s, k)?, before(b, base, &s, k + 1)?);
    let cnt = cn.checked_sub(ck)?;
    let at = base + s.stream();
    let start = s.block_start(k, ck);
    let unary = s.block_buckets(k) + cnt;
    let z = h - (k << s.g);
    let q = skip_zeros(b, at, start, z, unary)?;
    let j0 = (q - start).checked_sub(z)?;
    let m = ones_run(b, at, q, cnt.saturating_sub(j0));
    let want = (x & ((1 << s.l) - 1)) as u64;
    let lows = start + unary;
    (j0..j0 + m)
        .find(|&j| value_at(b, at, lows + j * s.l as usize, s.l) == want)
        .map(|j| ck + j)
}

/// Where a lookup of `low` will read besides the first line, estimated from the
/// container's length alone (members spread evenly): for prefetching beside it.
#[inline(always)]
pub(super) fn probe(base: usize, len: usize, universe: u32, low: u16) -> usize {
    let at = 2 * len * usize::from(low);
    // Constant divisors (the two universes), so no `div` on the lookup path.
    base + if universe == 1 << 16 {
        at >> 16
    } else {
        at / 10_000
    }
}

/// Calls `f(low, rank)` for every member of the container at `base`, ascending.
pub(super) fn for_each(b: &[u8], base: usize, universe: u32, mut f: impl FnMut(u16, usize)) {
    let Some(s) = header(b, base, universe) else {
        return;
    };
    let at = base + s.stream();
    for k in 0..s.blocks {
        let (Some(ck), Some(cn)) = (before(b, base, &s, k), before(b, base, &s, k + 1)) else {
            return;
        };
        let cnt = cn.saturating_sub(ck);
        let start = s.block_start(k, ck);
        let lows = start + s.block_buckets(k) + cnt;
        let (mut p, mut j) = (start, 0usize);
        for bucket in (k << s.g)..(k << s.g) + s.block_buckets(k) {
            let m = ones_run(b, at, p, cnt.saturating_sub(j));
            for i in j..j + m {
                let v = (bucket << s.l) as u64 | value_at(b, at, lows + i * s.l as usize, s.l);
                if let Ok(v) = u16::try_from(v) {
                    f(v, ck + i);
                }
            }
            j += m;
            p += m + 1;
        }
    }
}

/// Checks the container at `base` of `len` words fully: header, length, table, and
/// that each block's unary part holds exactly its members and ends its last bucket
/// within the block, so no lookup can read a count or a remainder from elsewhere.
pub(super) fn check(b: &[u8], base: usize, len: usize, universe: u32) -> Result<(), String> {
    let s = header(b, base, universe).ok_or("header is invalid")?;
    if len != s.words() {
        return Err(format!("holds {len} words, its header says {}", s.words()));
    }
    let at = base + s.stream();
    let mut ck = 0usize;
    for k in 0..s.blocks {
        let cn = before(b, base, &s, k + 1).ok_or("table runs past the arena")?;
        if cn < ck || cn > s.n {
            return Err(format!("block count {} is invalid", k + 1));
        }
        let cnt = cn - ck;
        let start = s.block_start(k, ck);
        let unary = s.block_buckets(k) + cnt;
        let mut ones = 0usize;
        let mut p = 0;
        while p < unary {
            let take = STEP.min(unary - p);
            ones += (bits_at(b, at, start + p) & ((1u64 << take) - 1)).count_ones() as usize;
            p += take;
        }
        if ones != cnt || bits_at(b, at, start + unary - 1) & 1 != 0 {
            return Err(format!("block {k} does not hold its {cnt} members"));
        }
        ck = cn;
    }
    if at + s.bits().div_ceil(8) > b.len() {
        return Err("stream runs past the arena".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lists::synthetic::{SplitMix, clustered};

    /// What the lookups' prefetch relies on: on registry-like data a block lies in the
    /// line of the estimate [`probe`] makes from the container's length and the next
    /// one for most lookups (86 % measured on 2 M numbers), and within one line either
    /// side of it for nearly all (99 %).
    #[test]
    fn the_length_alone_predicts_the_block() {
        let mut nums = clustered(300_000, None, &mut SplitMix(1));
        nums.sort_unstable();
        nums.dedup();
        let (mut total, mut next, mut around) = (0u32, 0u32, 0u32);
        for chunk in nums.chunk_by(|a, b| a / 10_000 == b / 10_000) {
            let lows: Vec<u16> = chunk.iter().map(|n| (n % 10_000) as u16).collect();
            let words = encode(&lows, 10_000, 448);
            let s = Shape::for_count(lows.len(), 10_000, 448);
            // Containers start at any even byte of a line.
            let base = 64 * 1_000 + 2 * (lows.len() % 32);
            for &x in &lows {
                let k = (usize::from(x) >> s.l) >> s.g;
                let ck = if k == 0 {
                    0
                } else {
                    usize::from(words[HEADER + k - 1])
                };
                let cn = if k + 1 < s.blocks {
                    usize::from(words[HEADER + k])
                } else {
                    s.n
                };
                let start = s.block_start(k, ck);
                let end = start + s.block_buckets(k) + (cn - ck) * (1 + s.l as usize);
                let first = (base + s.stream() + start / 8) / 64;
                let last = (base + s.stream() + (end - 1) / 8) / 64;
                let est = probe(base, words.len(), 10_000, x) / 64;
                total += 1;
                next += u32::from(first >= est && last <= est + 1);
                around += u32::from(first + 1 >= est && last <= est + 1);
            }
        }
        let (next, around) = (
            f64::from(next) / f64::from(total),
            f64::from(around) / f64::from(total),
        );
        assert!(
            next > 0.8 && around > 0.97,
            "{next:.3} / {around:.3} of {total}"
        );
    }
}
