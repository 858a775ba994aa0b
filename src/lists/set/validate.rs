//! Validation of an arena (built here or read from a compiled file): the header, the
//! partition table and every directory, page table and chunk key are checked against
//! the arena through the field offsets of `layout` before a set serves from it.

use super::ef;
use super::layout::{
    BODY_HEADER, Container, Dates, KIND_SHIFT, OFF_MASK, PART_RECORD, Part, TOP_MASK, TOP_SHIFT,
    decode_part_kind, head, rd16, rd32, rd64, rec,
};
use crate::lists::prefix::POW10;

/// What an arena's header and partition table say, checked.
pub(super) struct Parsed {
    /// Partition keys `(L << 56) | h`, ascending, parallel to `parts`.
    pub keys: Box<[u64]>,
    pub parts: Box<[Part]>,
    pub len: u64,
    pub dates: Dates,
    pub dates_off: usize,
    pub dates_len: usize,
}

/// Decodes the arena header and partition table, checking every offset, count and
/// directory entry against the arena, and every Elias–Fano container's counts (what
/// its lookups navigate by). Arrays and bitmaps are not re-sorted or re-checked (the
/// file checksum covers accidental damage); whatever they hold, lookups stay in bounds.
pub(super) fn parse_arena(b: &[u8]) -> Result<Parsed, String> {
    let r64 = |at: usize| rd64(b, at).ok_or("arena too short");
    let r32 = |at: usize| rd32(b, at).ok_or("arena too short");
    if b.len() < BODY_HEADER {
        return Err(format!(
            "arena of {} bytes is shorter than its header",
            b.len()
        ));
    }
    let len = r64(head::LEN)?;
    // Every number takes at least one bit of the arena (a bitmap bit), so a larger count
    // is a crafted or damaged header (and would size allocations, e.g. in `to_entries`).
    if len > (b.len() as u64).saturating_mul(8) {
        return Err(format!(
            "{len} numbers cannot fit in an arena of {} bytes",
            b.len()
        ));
    }
    let n_parts = r32(head::N_PARTS)? as usize;
    let kind = r32(head::DATE_KIND)?;
    let base = r32(head::DATE_BASE)? as i32;
    let parts_off = usize::try_from(r64(head::PARTS_OFF)?).map_err(|_| "offset overflow")?;
    let dates_off = usize::try_from(r64(head::DATES_OFF)?).map_err(|_| "offset overflow")?;
    let dates_len = usize::try_from(r64(head::DATES_LEN)?).map_err(|_| "offset overflow")?;
    let in_bounds = |off: usize, bytes: Option<usize>| in_bounds(b, off, bytes);
    let Some(dates) = Dates::from_code(kind, base) else {
        return Err(format!("unknown date encoding {kind}"));
    };
    let want = usize::try_from(len)
        .ok()
        .and_then(|n| n.checked_mul(dates.width()));
    if want != Some(dates_len) || !in_bounds(dates_off, Some(dates_len)) {
        return Err("date column does not match the number count or the arena".into());
    }
    if !in_bounds(parts_off, n_parts.checked_mul(PART_RECORD)) {
        return Err("partition table runs past the end of the arena".into());
    }
    let mut keys = Vec::with_capacity(n_parts);
    let mut parts = Vec::with_capacity(n_parts);
    for i in 0..n_parts {
        let (key, p) = parse_part(
            b,
            i,
            parts_off + i * PART_RECORD,
            keys.last().copied(),
            dates,
        )?;
        keys.push(key);
        parts.push(p);
    }
    Ok(Parsed {
        keys: keys.into_boxed_slice(),
        parts: parts.into_boxed_slice(),
        len,
        dates,
        dates_off,
        dates_len,
    })
}

/// Reads and checks partition record `i` at byte `at`; `prev_key` is the previous
/// record's key (keys must ascend).
fn parse_part(
    b: &[u8],
    i: usize,
    at: usize,
    prev_key: Option<u64>,
    dates: Dates,
) -> Result<(u64, Part), String> {
    let r64 = |at: usize| rd64(b, at).ok_or("arena too short");
    let r32 = |at: usize| rd32(b, at).ok_or("arena too short");
    let in_bounds = |off: usize, bytes: Option<usize>| in_bounds(b, off, bytes);
    let off = |k: usize| -> Result<usize, String> {
        usize::try_from(r64(at + k)?).map_err(|_| "offset overflow".to_string())
    };
    let key = r64(at + rec::KEY)?;
    let l = (key >> 56) as u32;
    let h = key & ((1 << 56) - 1);
    // `h` is the first L - 10 digits of L-digit numbers: no leading zero (else the
    // numbers read back from the partition are shorter than L and no lookup, which
    // splits by the real length, ever finds them).
    let h_digits = l.saturating_sub(10) as usize;
    if !(1..=15).contains(&l) || h >= POW10[h_digits] || (h_digits > 0 && h < POW10[h_digits - 1]) {
        return Err(format!("partition {i} has an impossible key {key:#x}"));
    }
    if prev_key.is_some_and(|k| k >= key) {
        return Err(format!("partition {i} is out of order"));
    }
    let kind = r32(at + rec::KIND)?;
    let Some((sparse, radix)) = decode_part_kind(kind) else {
        return Err(format!("partition {i} has unknown kind {kind}"));
    };
    let chunk_space = radix.chunk_space(l);
    let p = Part {
        radix,
        bitmap: radix.bitmap_words(),
        min_chunk: r32(at + rec::MIN_CHUNK)?,
        n_slots: r32(at + rec::N_SLOTS)?,
        sparse,
        n_top: r32(at + rec::N_TOP)?,
        dir: off(rec::DIR)?,
        top: off(rec::TOP)?,
        keys: off(rec::KEYS)?,
        words: off(rec::WORDS)?,
        ranks: off(rec::RANKS)?,
        rank_base: r64(at + rec::RANK_BASE)?,
    };
    let n_words = off(rec::N_WORDS)?;
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
        let e = r32(p.dir + 4 * s)?;
        let (o, code) = (e & OFF_MASK, e >> KIND_SHIFT);
        let ok = if s == 0 {
            o == 0
        } else {
            o >= prev && (o > prev || !p.sparse)
        };
        // The last entry only ends the last container: it has no kind.
        if !ok || (s == ns && code != 0) {
            return Err(format!("partition {i}: directory entry {s} is invalid"));
        }
        if s < ns {
            check_container(b, i, &p, s, e)?;
        }
        prev = o;
    }
    if prev as usize != n_words {
        return Err(format!(
            "partition {i}: directory does not end at its last word"
        ));
    }
    if p.sparse {
        check_sparse(b, i, &p, chunk_space)?;
    }
    if dates != Dates::None && !in_bounds(p.ranks, ns.checked_mul(8)) {
        return Err(format!("partition {i}: rank table runs past the arena"));
    }
    Ok((key, p))
}

/// Checks the container of directory entry `e` (slot `s` of partition `i`): its kind
/// and length, and an Elias–Fano container's every count (`ef::check`).
fn check_container(b: &[u8], i: usize, p: &Part, s: usize, e: u32) -> Result<(), String> {
    let r32 = |at: usize| rd32(b, at).ok_or("arena too short");
    let o = e & OFF_MASK;
    let len = ((r32(p.dir + 4 * (s + 1))? & OFF_MASK).saturating_sub(o)) as usize;
    let bad = |what: &str| format!("partition {i}: container {s} {what}");
    match Container::of(e >> KIND_SHIFT, len, p.bitmap) {
        None => Err(bad("has an invalid kind or length")),
        Some(Container::EliasFano) => {
            if len == 0 {
                return Err(bad("is an empty Elias–Fano container"));
            }
            ef::check(b, p.words + 2 * o as usize, len, p.radix.universe())
                .map_err(|e| bad(&format!("(Elias–Fano) {e}")))
        }
        Some(_) => Ok(()),
    }
}

/// Checks the page table and chunk keys of sparse partition `i`.
fn check_sparse(b: &[u8], i: usize, p: &Part, chunk_space: u64) -> Result<(), String> {
    let r32 = |at: usize| rd32(b, at).ok_or("arena too short");
    let in_bounds = |off: usize, bytes: Option<usize>| in_bounds(b, off, bytes);
    let ns = p.n_slots as usize;
    let nt = p.n_top as usize;
    if nt == 0
        || u64::from(p.min_chunk) + ((nt as u64) << TOP_SHIFT) > chunk_space + u64::from(TOP_MASK)
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
            if u32::from(k) > TOP_MASK || last.is_some_and(|l| l >= k) || chunk >= chunk_space {
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
    Ok(())
}

/// True when `bytes` bytes from `off` lie inside `b` (false on overflow or `None`).
fn in_bounds(b: &[u8], off: usize, bytes: Option<usize>) -> bool {
    bytes
        .and_then(|n| off.checked_add(n))
        .is_some_and(|end| end <= b.len())
}
