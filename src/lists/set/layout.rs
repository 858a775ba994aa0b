//! The arena layout of a [`NumberSet`](super::NumberSet), defined once: the byte offset
//! of every header and partition-record field, the codes stored in them, and the
//! vocabulary (radix, container kind, date encoding) that the writer (`build`) and the
//! reader (`validate`, `raw`) share. Nothing here reads or writes an arena.

use crate::lists::prefix::POW10;

/// Numbers per decimal chunk (the last four digits are the low).
pub(super) const CHUNK: u64 = 10_000;
/// A sparse directory's page holds `1 << TOP_SHIFT` chunks.
pub(super) const TOP_SHIFT: u32 = 10;
pub(super) const TOP_MASK: u32 = (1 << TOP_SHIFT) - 1;
/// A narrow (`u16`) date that stands for "no date".
pub(super) const NO_DATE16: u16 = u16::MAX;
/// A wide (`i32`) date that stands for "no date".
pub(super) const NO_DATE32: i32 = i32::MIN;

/// Bytes of the arena header.
pub(super) const BODY_HEADER: usize = 64;
/// Byte offsets of the header fields (all little-endian).
pub(super) mod head {
    /// `u64`: numbers in the set.
    pub const LEN: usize = 0;
    /// `u32`: partitions.
    pub const N_PARTS: usize = 8;
    /// `u32`: the date encoding ([`super::Dates::code`]).
    pub const DATE_KIND: usize = 12;
    /// `i32` stored as `u32`: the narrow encoding's base day.
    pub const DATE_BASE: usize = 16;
    /// `u32` at 20 is reserved (0).
    /// `u64`: byte offset of the partition table.
    pub const PARTS_OFF: usize = 24;
    /// `u64`: byte offset of the date column.
    pub const DATES_OFF: usize = 32;
    /// `u64`: bytes of the date column.
    pub const DATES_LEN: usize = 40;
}

/// Bytes of one partition record.
pub(super) const PART_RECORD: usize = 80;
/// Byte offsets of the fields of a partition record, from its start.
pub(super) mod rec {
    /// `u64`: the partition key `(L << 56) | h`.
    pub const KEY: usize = 0;
    /// `u32`: the first chunk of the directory.
    pub const MIN_CHUNK: usize = 8;
    /// `u32`: directory slots.
    pub const N_SLOTS: usize = 12;
    /// `u32`: [`super::part_kind`] (sparse bit, binary-radix bit).
    pub const KIND: usize = 16;
    /// `u32`: pages of a sparse directory (0 when dense).
    pub const N_TOP: usize = 20;
    /// `u64` byte offsets of the directory, the page table, the sparse chunk keys and
    /// the container words; then the container word count.
    pub const DIR: usize = 24;
    pub const TOP: usize = 32;
    pub const KEYS: usize = 40;
    pub const WORDS: usize = 48;
    pub const N_WORDS: usize = 56;
    /// `u64`: byte offset of the first-rank table (0 without dates).
    pub const RANKS: usize = 64;
    /// `u64`: global rank of the partition's first number.
    pub const RANK_BASE: usize = 72;
}

/// How registration dates are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dates {
    None,
    /// `u16` days after `base`; `u16::MAX` = no date.
    Narrow {
        base: i32,
    },
    /// `i32` day numbers; `i32::MIN` = no date.
    Wide,
}

impl Dates {
    /// The code stored at [`head::DATE_KIND`].
    pub(super) fn code(self) -> u32 {
        match self {
            Dates::None => 0,
            Dates::Narrow { .. } => 1,
            Dates::Wide => 2,
        }
    }

    /// The encoding of `code`, with the narrow base read from the header.
    pub(super) fn from_code(code: u32, base: i32) -> Option<Dates> {
        match code {
            0 => Some(Dates::None),
            1 => Some(Dates::Narrow { base }),
            2 => Some(Dates::Wide),
            _ => None,
        }
    }

    /// Bytes per number in the date column.
    pub(super) fn width(self) -> usize {
        match self {
            Dates::None => 0,
            Dates::Narrow { .. } => 2,
            Dates::Wide => 4,
        }
    }
}

/// How a partition cuts the national part `v` of a number into chunk and low.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Radix {
    /// chunk = v / 10^4 (NPA-NXX for NANP): registry-like data clustered in
    /// decimal blocks. Bitmaps of 10 000 bits (625 words).
    Dec,
    /// chunk = v >> 16: data spread evenly, where decimal chunks would hold one or
    /// two numbers each and the directory would dominate. Bitmaps of 65 536 bits.
    Bin,
}

impl Radix {
    #[inline(always)]
    pub(super) fn cut(self, v: u64) -> (u32, u16) {
        match self {
            Radix::Dec => ((v / CHUNK) as u32, (v % CHUNK) as u16),
            Radix::Bin => ((v >> 16) as u32, v as u16),
        }
    }

    #[inline(always)]
    pub(super) fn join(self, chunk: u32, low: u16) -> u64 {
        match self {
            Radix::Dec => u64::from(chunk) * CHUNK + u64::from(low),
            Radix::Bin => (u64::from(chunk) << 16) | u64::from(low),
        }
    }

    /// Values a low can take (the universe of a container).
    pub(super) const fn universe(self) -> u32 {
        match self {
            Radix::Dec => CHUNK as u32,
            Radix::Bin => 1 << 16,
        }
    }

    /// Words of a bitmap container; arrays are shorter.
    pub(super) const fn bitmap_words(self) -> usize {
        match self {
            Radix::Dec => 625,
            Radix::Bin => 4096,
        }
    }

    /// Number of chunks in a partition of `l`-digit numbers (≤ 10^6).
    pub(super) const fn chunk_space(self, l: u32) -> u64 {
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

/// A directory entry is a container's first word (offset from the partition's
/// container words) in its low 30 bits and the container's [`Container`] code in the
/// top two. 30 bits suffice: a container is never larger than its chunk's bitmap, so a
/// partition (at most 10^10 numbers) holds at most 10^10 / 16 < 2^30 words.
pub(super) const KIND_SHIFT: u32 = 30;
pub(super) const OFF_MASK: u32 = (1 << KIND_SHIFT) - 1;

/// What a container holds, chosen per chunk by size with an explicit kind, as in
/// roaring: a sorted `u16` array of the lows, a bitmap of every low, or an Elias–Fano
/// encoding (`set/ef.rs`), whichever is smallest. Array and bitmap share directory
/// code 0 and are told apart by length (a container as long as the radix's bitmap is
/// a bitmap), so arenas written before Elias–Fano read as they did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Container {
    Array,
    Bitmap,
    EliasFano,
}

impl Container {
    /// The kind and words for a chunk of `count` numbers under `radix` (what the writer
    /// picks): the smallest, the faster kind on a tie (bitmap, array, then Elias–Fano;
    /// an array as long as a bitmap would read as one, so the bitmap must win that tie).
    pub(super) fn for_count(count: usize, radix: Radix, t: Tuning) -> (Container, usize) {
        let bitmap = radix.bitmap_words();
        let ef = t
            .elias_fano
            .then(|| super::ef::words(count, radix.universe(), t.ef_block_bits))
            .flatten()
            .unwrap_or(usize::MAX);
        if bitmap <= count.min(ef) {
            (Container::Bitmap, bitmap)
        } else if count <= ef {
            (Container::Array, count)
        } else {
            (Container::EliasFano, ef)
        }
    }

    /// The directory code of this kind.
    pub(super) fn code(self) -> u32 {
        match self {
            Container::Array | Container::Bitmap => 0,
            Container::EliasFano => 1,
        }
    }

    /// The kind of a container with directory code `code` and `len` words under bitmaps
    /// of `bitmap` words (what the reader infers); `None` for an unknown code or a code-0
    /// container longer than a bitmap, which no valid arena holds.
    #[inline(always)]
    pub(super) fn of(code: u32, len: usize, bitmap: usize) -> Option<Container> {
        match code {
            0 => match len.cmp(&bitmap) {
                std::cmp::Ordering::Less => Some(Container::Array),
                std::cmp::Ordering::Equal => Some(Container::Bitmap),
                std::cmp::Ordering::Greater => None,
            },
            1 => Some(Container::EliasFano),
            _ => None,
        }
    }
}

/// The containers the writer may choose from. The default is what sets are built
/// with; the others are for measuring what each layout costs (`benches/lists.rs`).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// Whether Elias–Fano containers may be chosen (else arrays and bitmaps only).
    pub elias_fano: bool,
    /// Expected bits of an Elias–Fano block (`usize::MAX`: one block per container).
    pub ef_block_bits: usize,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            elias_fano: true,
            ef_block_bits: 448,
        }
    }
}

/// The code stored at [`rec::KIND`]: bit 0 = sparse directory, bit 1 = binary radix.
pub(super) fn part_kind(sparse: bool, radix: Radix) -> u32 {
    u32::from(sparse) | u32::from(radix == Radix::Bin) << 1
}

/// `(sparse, radix)` of a [`rec::KIND`] code; `None` for an unknown code.
pub(super) fn decode_part_kind(kind: u32) -> Option<(bool, Radix)> {
    if kind > 3 {
        return None;
    }
    let radix = if kind & 2 == 0 {
        Radix::Dec
    } else {
        Radix::Bin
    };
    Some((kind & 1 == 1, radix))
}

/// One partition, decoded and validated; offsets are byte offsets in the arena.
#[derive(Clone, Copy, Debug)]
pub(super) struct Part {
    pub radix: Radix,
    pub bitmap: usize,
    pub min_chunk: u32,
    pub n_slots: u32,
    pub sparse: bool,
    pub n_top: u32,
    pub dir: usize,
    pub top: usize,
    pub keys: usize,
    pub words: usize,
    pub ranks: usize,
    pub rank_base: u64,
}

#[inline(always)]
pub(super) fn rd16(b: &[u8], off: usize) -> Option<u16> {
    b.get(off..)?
        .first_chunk::<2>()
        .map(|a| u16::from_le_bytes(*a))
}
#[inline(always)]
pub(super) fn rd32(b: &[u8], off: usize) -> Option<u32> {
    b.get(off..)?
        .first_chunk::<4>()
        .map(|a| u32::from_le_bytes(*a))
}
#[inline(always)]
pub(super) fn rd64(b: &[u8], off: usize) -> Option<u64> {
    b.get(off..)?
        .first_chunk::<8>()
        .map(|a| u64::from_le_bytes(*a))
}

/// `(partition key, national part v < 10^10)` of a valid number (1 ≤ n < 10^15).
#[inline(always)]
pub(super) fn split(n: u64) -> (u64, u64) {
    let l = n.checked_ilog10().map_or(0, |d| d + 1);
    // One arm per constant divisor, so each division compiles to a multiply (a lookup
    // does this once per number and list; a division by a loaded value is ~40 cycles).
    macro_rules! by {
        ($span:expr) => {{
            let h = n / $span;
            (h, n - h * $span)
        }};
    }
    let (h, v) = match l {
        0 => (0, n),
        1 => by!(POW10[1]),
        2 => by!(POW10[2]),
        3 => by!(POW10[3]),
        4 => by!(POW10[4]),
        5 => by!(POW10[5]),
        6 => by!(POW10[6]),
        7 => by!(POW10[7]),
        8 => by!(POW10[8]),
        9 => by!(POW10[9]),
        _ => by!(POW10[10]),
    };
    ((u64::from(l) << 56) | h, v)
}
