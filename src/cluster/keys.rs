//! How the shared history is laid out in Redis: key names (hash-tagged by shard) and
//! the byte encoding of a number's events.
//!
//! Numbers are spread over [`SHARDS`] shards; every key of a shard carries the hash tag
//! `{prefix<shard>}`, so one script call only touches keys of one Redis Cluster slot:
//! - `{p7}:n:<digits>` — hash `v` (version: the id of the stream entry that wrote it)
//!   and `e` (the number's events);
//! - `{p7}:log` — the shard's stream of changes, followed by every node;
//! - `{p7}:optout` — hash digits → instant of every run-time opt-out (kept forever).

use crate::history::{Event, HistoryError, Tag};

/// Shards of the key space (and streams a node follows): spreads a Redis Cluster's load
/// over 16 slots while one `XREAD` still follows all streams.
pub const SHARDS: usize = 16;

/// Bytes of one encoded event: instant (u32), campaign (u32), subject (u32), outcome
/// (u8), flags (u8), little-endian.
const EVENT_BYTES: usize = 14;

/// The names of one shard's keys.
#[derive(Clone, Debug)]
pub(crate) struct ShardKeys {
    pub(crate) tag: String,
    pub(crate) log: String,
    pub(crate) optout: String,
}

/// Key names for a prefix.
#[derive(Clone, Debug)]
pub(crate) struct Keys {
    pub(crate) shards: Vec<ShardKeys>,
    pub(crate) prefix: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str) -> Keys {
        let shards = (0..SHARDS)
            .map(|s| {
                let tag = format!("{{{prefix}{s}}}");
                ShardKeys {
                    log: format!("{tag}:log"),
                    optout: format!("{tag}:optout"),
                    tag,
                }
            })
            .collect();
        Keys {
            shards,
            prefix: prefix.to_owned(),
        }
    }

    /// The shard of a number: a fixed function of its digits, the same on every node.
    pub(crate) fn shard_of(n: u64) -> usize {
        // xxh3 (unseeded, stable across processes and versions) spreads sequential numbers.
        let h = xxhash_rust::xxh3::xxh3_64(&n.to_le_bytes());
        usize::try_from(h % SHARDS as u64).unwrap_or(0)
    }

    pub(crate) fn shard(&self, n: u64) -> &ShardKeys {
        &self.shards[Keys::shard_of(n)]
    }

    pub(crate) fn number(&self, n: u64) -> String {
        format!("{}:n:{n}", self.shard(n).tag)
    }

    /// The `SCAN MATCH` pattern of every number key of this prefix.
    pub(crate) fn number_pattern(&self) -> String {
        format!("{{{}*}}:n:*", self.prefix)
    }

    /// The number of a number key, or `None` for a key of another shape.
    pub(crate) fn number_of_key(key: &str) -> Option<u64> {
        let (_, digits) = key.rsplit_once(":n:")?;
        digits.parse().ok()
    }
}

/// The shard (0..[`SHARDS`]) holding a number's keys and stream entries: the same on
/// every node and in every version (for operators' tooling and tests).
pub fn shard_of(digits: u64) -> usize {
    Keys::shard_of(digits)
}

/// Bits of a packed version that hold the stream id's sequence number.
const SEQ_BITS: u32 = 22;

/// A stream id `ms-seq` as one ordered `u64` version (`0` for none): the milliseconds
/// (below 2^42, i.e. until the year 2109) above 22 bits of sequence (4 million entries
/// in one millisecond of one shard). `None` for an id outside that range.
pub(crate) fn pack_id(id: &str) -> Option<u64> {
    if id == "0" {
        return Some(0);
    }
    let (ms, seq) = id.split_once('-')?;
    let (ms, seq): (u64, u64) = (ms.parse().ok()?, seq.parse().ok()?);
    if ms >> (64 - SEQ_BITS) != 0 || seq >> SEQ_BITS != 0 {
        return None;
    }
    Some(ms << SEQ_BITS | seq)
}

/// The stream id of a packed version (`0` for none).
pub(crate) fn unpack_id(v: u64) -> String {
    if v == 0 {
        return "0".to_owned();
    }
    format!("{}-{}", v >> SEQ_BITS, v & ((1 << SEQ_BITS) - 1))
}

/// Encodes events (already ordered by instant) for the `e` field and stream entries.
pub(crate) fn encode(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::with_capacity(events.len() * EVENT_BYTES);
    for e in events {
        out.extend_from_slice(&e.at.to_le_bytes());
        out.extend_from_slice(&e.campaign.0.to_le_bytes());
        out.extend_from_slice(&e.subject.0.to_le_bytes());
        out.push(e.outcome);
        out.push(e.flags);
    }
    out
}

/// Decodes the `e` field; a malformed value is an error (fail closed), never skipped.
pub(crate) fn decode(bytes: &[u8], what: &str) -> Result<Vec<Event>, HistoryError> {
    if !bytes.len().is_multiple_of(EVENT_BYTES) {
        return Err(HistoryError::Unavailable {
            what: format!(
                "{what} holds {} bytes, not a multiple of {EVENT_BYTES}: not written by this \
                 dialguard version",
                bytes.len()
            ),
            hint: "check that every node runs the same dialguard version and that no other \
                   program writes under this key_prefix",
        });
    }
    let u32_at = |c: &[u8], i: usize| u32::from_le_bytes([c[i], c[i + 1], c[i + 2], c[i + 3]]);
    let mut out: Vec<Event> = bytes
        .chunks_exact(EVENT_BYTES)
        .map(|c| Event {
            at: u32_at(c, 0),
            campaign: Tag(u32_at(c, 4)),
            subject: Tag(u32_at(c, 8)),
            outcome: c[12],
            flags: c[13],
        })
        .collect();
    // The slot code relies on instant order; a writer always keeps it, but a stable sort
    // costs nothing on sorted input and keeps a damaged value from breaking lookups.
    out.sort_by_key(|e| e.at);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_bad_lengths_fail() {
        let evs = [
            Event::new(1_780_000_000, Tag(7), Tag(9), None, true).unwrap(),
            Event::new(
                1_780_000_100,
                Tag(u32::MAX),
                Tag::NONE,
                Some(crate::history::Outcome::OptOut),
                false,
            )
            .unwrap(),
        ];
        let b = encode(&evs);
        assert_eq!(decode(&b, "k").unwrap(), evs);
        let e = decode(&b[..20], "key x").unwrap_err().to_string();
        assert!(e.contains("key x") && e.contains("20 bytes"), "{e}");
    }

    #[test]
    fn versions_pack_stream_ids_in_order() {
        let ids = [
            "0",
            "1-0",
            "1780000000000-0",
            "1780000000000-7",
            "1780000000001-0",
        ];
        let packed: Vec<u64> = ids.iter().map(|i| pack_id(i).unwrap()).collect();
        assert!(packed.windows(2).all(|w| w[0] < w[1]), "{packed:?}");
        for (i, p) in ids.iter().zip(&packed) {
            assert_eq!(unpack_id(*p), *i);
        }
        for bad in ["", "x-1", "1", "1-4194304", "99999999999999999-0"] {
            assert_eq!(pack_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn keys_share_a_hash_tag_per_shard() {
        let k = Keys::new("dg:");
        let n = 33_612_345_678;
        let s = k.shard(n);
        assert!(k.number(n).starts_with(&s.tag) && s.log.starts_with(&s.tag));
        assert_eq!(Keys::number_of_key(&k.number(n)), Some(n));
        assert_eq!(k.number_pattern(), "{dg:*}:n:*");
        // Sequential numbers spread over every shard.
        let used: std::collections::HashSet<usize> =
            (0..1000u64).map(|i| Keys::shard_of(n + i)).collect();
        assert_eq!(used.len(), SHARDS);
    }
}
