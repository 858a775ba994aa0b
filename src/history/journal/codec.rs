//! The record codec: file headers, record framing (`len | check | payload`) and the
//! payload layouts of journal and checkpoint records. No file access.

use std::path::Path;

use super::FORMAT_VERSION;
use crate::history::HistoryError;
use crate::history::event::{AttemptId, EPOCH_2020, Event, MAX_INSTANT, Outcome, Tag};

pub(super) const JOURNAL_MAGIC: [u8; 4] = *b"DGHJ";
pub(super) const CHECKPOINT_MAGIC: [u8; 4] = *b"DGHC";
pub(super) const HEADER: u64 = 16;
/// Largest record payload accepted on read (a checkpoint entry of a campaign can be big).
pub(super) const MAX_PAYLOAD: usize = 1 << 30;
/// Largest journal record payload (an outcome record is 40 bytes). A length above it is
/// damage, so a flipped length bit cannot pass for a torn tail and swallow the file.
pub(super) const MAX_JOURNAL_PAYLOAD: usize = 64;

pub(super) const K_EVENT: u8 = 1;
pub(super) const K_OUTCOME: u8 = 2;
pub(super) const K_OPTOUT: u8 = 3;
pub(super) const K_CP_NUMBER: u8 = 10;
pub(super) const K_CP_CAMPAIGN: u8 = 11;
pub(super) const K_CP_OPTOUT: u8 = 12;
pub(super) const K_CP_END: u8 = 13;

/// A journal record (its payload, without the sequence number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Record {
    /// A reservation (or any event appended by `with_events`).
    Event { number: u64, event: Event },
    /// An outcome: attached to `attempt` if held, else the event is added.
    Outcome {
        number: u64,
        attempt: Option<AttemptId>,
        event: Event,
    },
    /// A run-time opt-out.
    OptOut { number: u64, at: u32 },
}

// ---------------------------------------------------------------- encoding helpers

pub(super) struct Enc<'a> {
    pub(super) buf: &'a mut Vec<u8>,
}

impl Enc<'_> {
    pub(super) fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    pub(super) fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub(super) fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub(super) fn event(&mut self, e: &Event) -> &mut Self {
        self.u32(e.at)
            .u32(e.campaign.0)
            .u32(e.subject.0)
            .u8(e.outcome)
            .u8(e.flags)
    }
}

/// Reads fields from a payload; every read is bounds-checked (a short payload is a
/// parse error, never a panic).
pub(super) struct Dec<'a> {
    pub(super) b: &'a [u8],
}

impl Dec<'_> {
    pub(super) fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        if self.b.len() < N {
            return Err("record shorter than its kind requires".into());
        }
        let (h, t) = self.b.split_at(N);
        self.b = t;
        let mut a = [0u8; N];
        a.copy_from_slice(h);
        Ok(a)
    }
    pub(super) fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take::<1>()?[0])
    }
    pub(super) fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    pub(super) fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take()?))
    }
    pub(super) fn number(&mut self) -> Result<u64, String> {
        let n = self.u64()?;
        crate::Number::from_e164_digits(n)
            .map(|n| n.get())
            .ok_or_else(|| format!("invalid number {n}"))
    }
    pub(super) fn stamp(&mut self) -> Result<u32, String> {
        let at = self.u32()?;
        if at as i64 >= MAX_INSTANT - EPOCH_2020 {
            return Err(format!("instant {at} out of range"));
        }
        Ok(at)
    }
    pub(super) fn event(&mut self) -> Result<Event, String> {
        let at = self.stamp()?;
        let campaign = Tag(self.u32()?);
        let subject = Tag(self.u32()?);
        let outcome = self.u8()?;
        if outcome != 0 && Outcome::from_code(outcome).is_none() {
            return Err(format!("unknown outcome code {outcome}"));
        }
        let flags = self.u8()?;
        Ok(Event {
            at,
            campaign,
            subject,
            outcome,
            flags,
        })
    }
    pub(super) fn end(&self) -> Result<(), String> {
        if self.b.is_empty() {
            Ok(())
        } else {
            Err(format!("{} unexpected trailing bytes", self.b.len()))
        }
    }
}

pub(super) fn check(payload: &[u8]) -> u32 {
    xxhash_rust::xxh3::xxh3_64_with_seed(payload, payload.len() as u64) as u32
}

/// Frames `payload` (already in `buf[8..]`) in place.
pub(super) fn frame(buf: &mut [u8]) {
    let len = (buf.len() - 8) as u32;
    let c = check(&buf[8..]);
    buf[..4].copy_from_slice(&len.to_le_bytes());
    buf[4..8].copy_from_slice(&c.to_le_bytes());
}

pub(super) fn encode_journal(buf: &mut Vec<u8>, seq: u64, rec: &Record) {
    buf.clear();
    buf.extend_from_slice(&[0; 8]);
    let mut e = Enc { buf };
    match rec {
        Record::Event { number, event } => {
            e.u8(K_EVENT).u64(seq).u64(*number).event(event);
        }
        Record::Outcome {
            number,
            attempt,
            event,
        } => {
            e.u8(K_OUTCOME)
                .u64(seq)
                .u64(*number)
                .u8(attempt.is_some() as u8)
                .u64(attempt.map_or(0, |a| a.0))
                .event(event);
        }
        Record::OptOut { number, at } => {
            e.u8(K_OPTOUT).u64(seq).u64(*number).u32(*at);
        }
    }
    frame(buf);
}

pub(super) fn decode_journal(p: &[u8]) -> Result<(u64, Record), String> {
    let mut d = Dec { b: p };
    let kind = d.u8()?;
    let seq = d.u64()?;
    let rec = match kind {
        K_EVENT => Record::Event {
            number: d.number()?,
            event: d.event()?,
        },
        K_OUTCOME => {
            let number = d.number()?;
            let has = d.u8()?;
            let id = d.u64()?;
            let event = d.event()?;
            if Outcome::from_code(event.outcome).is_none() {
                return Err("outcome record without an outcome".into());
            }
            Record::Outcome {
                number,
                attempt: (has != 0).then_some(AttemptId(id)),
                event,
            }
        }
        K_OPTOUT => Record::OptOut {
            number: d.number()?,
            at: d.stamp()?,
        },
        k => return Err(format!("unknown journal record kind {k}")),
    };
    d.end()?;
    Ok((seq, rec))
}

pub(super) fn header(magic: [u8; 4], generation: u64) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[..4].copy_from_slice(&magic);
    h[4..8].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    h[8..].copy_from_slice(&generation.to_le_bytes());
    h
}

pub(super) fn check_header(
    path: &Path,
    h: &[u8],
    magic: [u8; 4],
    generation: u64,
) -> Result<(), HistoryError> {
    let corrupt = |what: String| HistoryError::Corrupt {
        path: path.to_owned(),
        offset: 0,
        record: 0,
        what,
    };
    if h.len() < HEADER as usize || h[..4] != magic {
        return Err(corrupt(format!(
            "not a dialguard history file (expected magic {:?})",
            String::from_utf8_lossy(&magic)
        )));
    }
    let version = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    if version > FORMAT_VERSION {
        return Err(HistoryError::NewerFormat {
            path: path.to_owned(),
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if version == 0 {
        return Err(corrupt("format version 0".into()));
    }
    let g = u64::from_le_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]);
    if g != generation {
        return Err(corrupt(format!(
            "header says generation {g}, file name says {generation}"
        )));
    }
    Ok(())
}

/// Reads one framed record at `pos`; `Err((offset, what, is_tail))` when it is bad,
/// `is_tail` meaning nothing but this record (or zeros) follows.
pub(super) fn read_record(data: &[u8], pos: usize) -> Result<(&[u8], usize), (String, bool)> {
    let rest = &data[pos..];
    let tail_after =
        |end: usize| end >= data.len() || data[end.min(data.len())..].iter().all(|&b| b == 0);
    if rest.len() < 8 {
        return Err(("incomplete record header".into(), true));
    }
    let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
    let c = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
    if len == 0 || len > MAX_JOURNAL_PAYLOAD {
        return Err((format!("invalid record length {len}"), tail_after(pos)));
    }
    if rest.len() < 8 + len {
        return Err(("record extends past the end of the file".into(), true));
    }
    let payload = &rest[8..8 + len];
    if check(payload) != c {
        return Err(("checksum mismatch".into(), tail_after(pos + 8 + len)));
    }
    Ok((payload, pos + 8 + len))
}
