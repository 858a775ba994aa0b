//! Recovery: loads the newest checkpoint, replays the journals after it (truncating a
//! torn tail, refusing a corruption) and reopens the journal for appending.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};

use super::codec::{
    CHECKPOINT_MAGIC, Dec, HEADER, JOURNAL_MAGIC, K_CP_CAMPAIGN, K_CP_END, K_CP_NUMBER,
    K_CP_OPTOUT, MAX_PAYLOAD, Record, check, check_header, decode_journal, read_record,
};
use super::files::{io, journal_path, list};
use super::{Journal, JournalOptions, RecoveryReport, TornTail, Writer, create_journal};
use crate::history::HistoryError;
use crate::history::event::Tag;
use crate::history::slot::Slot;
use crate::history::store::Inner;

pub(super) struct Parsed {
    seq: u64,
    rec: Record,
}

/// Replays the state directory into `inner` (built without a journal) and opens the
/// journal for appending.
pub(crate) fn recover(
    dir: &Path,
    opts: &JournalOptions,
    inner: &Inner,
) -> Result<(Journal, RecoveryReport), HistoryError> {
    fs::create_dir_all(dir).map_err(io("creating state directory", dir))?;
    let _ = fs::remove_file(dir.join("checkpoint.tmp"));
    let files = list(dir)?;
    let mut report = RecoveryReport::default();
    let cp = files.iter().rev().find(|f| f.2).map(|f| (f.0, f.1.clone()));
    let base_gen = cp.as_ref().map_or(0, |c| c.0);
    let journals: Vec<(u64, PathBuf)> = files
        .iter()
        .filter(|f| !f.2 && f.0 >= base_gen)
        .map(|f| (f.0, f.1.clone()))
        .collect();

    // 1. Read the journals (small: bounded by checkpoint_every).
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut last: Option<(u64, PathBuf, u64)> = None; // generation, path, valid length
    let mut max_seq = 0u64;
    for (g, path) in &journals {
        if let Some(len) = read_journal(*g, path, &mut parsed, &mut max_seq, &mut report)? {
            last = Some((*g, path.clone(), len));
        }
    }

    // 2. Load the checkpoint, keeping sequence marks only for keys the journals touch.
    let touched_numbers: HashSet<u64> = parsed
        .iter()
        .map(|p| match p.rec {
            Record::Event { number, .. }
            | Record::Outcome { number, .. }
            | Record::OptOut { number, .. } => number,
        })
        .collect();
    let mut number_lsn: HashMap<u64, u64> = HashMap::new();
    let mut campaign_lsn: HashMap<Tag, u64> = HashMap::new();
    if let Some((g, path)) = &cp {
        let (seq, n) = load_checkpoint(
            path,
            *g,
            inner,
            &touched_numbers,
            &mut number_lsn,
            &mut campaign_lsn,
        )?;
        max_seq = max_seq.max(seq);
        report.checkpoint = Some(*g);
        report.checkpoint_numbers = n;
    }

    // 3. Replay, skipping what the checkpoint already holds.
    replay(&parsed, &number_lsn, &campaign_lsn, inner, &mut report);
    report.numbers = inner.map.len();
    report.opt_outs = inner.opt_outs.len();

    // 4. Open the newest journal for appending (or start one).
    let journal = open_journal(dir, opts, last, base_gen, max_seq, parsed.len())?;
    Ok((journal, report))
}

/// Reads `journal.<g>` at `path` into `parsed`, truncating a torn tail (named in
/// `report`). `None` when the file held only part of a header and was removed, else the
/// valid length to append after.
fn read_journal(
    g: u64,
    path: &Path,
    parsed: &mut Vec<Parsed>,
    max_seq: &mut u64,
    report: &mut RecoveryReport,
) -> Result<Option<u64>, HistoryError> {
    let mut data = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .map_err(io("reading journal", path))?;
    if data.len() < HEADER as usize {
        // Crashed while creating it: only a header was being written.
        if data.iter().all(|&b| b == 0) || JOURNAL_MAGIC.starts_with(&data[..data.len().min(4)]) {
            fs::remove_file(path).map_err(io("removing empty journal", path))?;
            report.torn_tails.push(TornTail {
                file: path.to_path_buf(),
                offset: 0,
                bytes_dropped: data.len() as u64,
            });
            return Ok(None);
        }
    }
    check_header(path, &data, JOURNAL_MAGIC, g)?;
    report.journals += 1;
    let mut pos = HEADER as usize;
    let mut index = 0u64;
    while pos < data.len() {
        match read_record(&data, pos) {
            Ok((payload, next)) => {
                let (seq, rec) = decode_journal(payload).map_err(|what| HistoryError::Corrupt {
                    path: path.to_path_buf(),
                    offset: pos as u64,
                    record: index,
                    what,
                })?;
                *max_seq = (*max_seq).max(seq);
                parsed.push(Parsed { seq, rec });
                pos = next;
                index += 1;
            }
            Err((_, true)) => {
                let f = OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(io("opening journal", path))?;
                f.set_len(pos as u64)
                    .and_then(|_| f.sync_all())
                    .map_err(io("truncating torn journal tail", path))?;
                report.torn_tails.push(TornTail {
                    file: path.to_path_buf(),
                    offset: pos as u64,
                    bytes_dropped: (data.len() - pos) as u64,
                });
                data.truncate(pos);
                break;
            }
            Err((what, false)) => {
                return Err(HistoryError::Corrupt {
                    path: path.to_path_buf(),
                    offset: pos as u64,
                    record: index,
                    what,
                });
            }
        }
    }
    Ok(Some(data.len() as u64))
}

/// Applies the journal records to `inner`, skipping each one the checkpoint already holds
/// (its sequence number is at most the number's or campaign's mark).
fn replay(
    parsed: &[Parsed],
    number_lsn: &HashMap<u64, u64>,
    campaign_lsn: &HashMap<Tag, u64>,
    inner: &Inner,
    report: &mut RecoveryReport,
) {
    for p in parsed {
        match p.rec {
            Record::Event { number, event } => {
                if p.seq <= number_lsn.get(&number).copied().unwrap_or(0) {
                    report.records_in_checkpoint += 1;
                    continue;
                }
                let mut slot = inner.map.entry(number).or_default();
                inner.apply_event(&mut slot, event);
                report.records_replayed += 1;
            }
            Record::Outcome {
                number,
                attempt,
                event,
            } => {
                let Some(outcome) = event.outcome() else {
                    continue;
                };
                let n_done = p.seq <= number_lsn.get(&number).copied().unwrap_or(0);
                let c_done = p.seq <= campaign_lsn.get(&event.campaign).copied().unwrap_or(0);
                if !n_done {
                    let mut slot = inner.map.entry(number).or_default();
                    inner.apply_outcome(&mut slot, attempt, outcome, event);
                }
                if !c_done && outcome.is_connected() {
                    let mut c = inner.campaigns.map.entry(event.campaign).or_default();
                    inner.campaigns.record_into(&mut c, outcome, event.at);
                }
                if n_done && c_done {
                    report.records_in_checkpoint += 1;
                } else {
                    report.records_replayed += 1;
                }
            }
            Record::OptOut { number, at } => {
                inner
                    .opt_outs
                    .entry(number)
                    .and_modify(|a| *a = (*a).min(at))
                    .or_insert(at);
                report.records_replayed += 1;
            }
        }
    }
}

/// The journal to append to: the newest one read (`last`: generation, path, valid
/// length), or a new `journal.<base_gen or 1>`.
fn open_journal(
    dir: &Path,
    opts: &JournalOptions,
    last: Option<(u64, PathBuf, u64)>,
    base_gen: u64,
    max_seq: u64,
    replayed: usize,
) -> Result<Journal, HistoryError> {
    let (generation, path, len, file) = match last {
        Some((g, path, len)) => {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(io("opening journal", &path))?;
            (g, path, len, f)
        }
        None => {
            let g = base_gen.max(1);
            let path = journal_path(dir, g);
            let _ = fs::remove_file(&path); // an empty/torn one removed above, if any
            let f = create_journal(dir, &path, g)?;
            (g, path, HEADER, f)
        }
    };
    let journal = Journal {
        dir: dir.to_owned(),
        fsync: opts.fsync,
        w: Mutex::new(Writer {
            file: Arc::new(file),
            path,
            generation,
            len,
            next_seq: max_seq + 1,
            buf: Vec::with_capacity(64),
            poisoned: None,
        }),
        last_seq: AtomicU64::new(max_seq),
        dirty: AtomicBool::new(false),
        since_checkpoint: AtomicU64::new(replayed as u64),
        checkpointing: Mutex::new(()),
        synced: Mutex::new(max_seq),
        data_syncs: AtomicU64::new(0),
    };
    Ok(journal)
}

/// Loads a checkpoint into `inner`; returns (last sequence number, numbers loaded).
pub(super) fn load_checkpoint(
    path: &Path,
    g: u64,
    inner: &Inner,
    touched: &HashSet<u64>,
    number_lsn: &mut HashMap<u64, u64>,
    campaign_lsn: &mut HashMap<Tag, u64>,
) -> Result<(u64, u64), HistoryError> {
    let file = File::open(path).map_err(io("opening checkpoint", path))?;
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut h = [0u8; HEADER as usize];
    r.read_exact(&mut h).map_err(|_| HistoryError::Corrupt {
        path: path.to_owned(),
        offset: 0,
        record: 0,
        what: "shorter than its header".into(),
    })?;
    check_header(path, &h, CHECKPOINT_MAGIC, g)?;
    let mut offset = HEADER;
    let mut index = 0u64;
    let mut payload = Vec::new();
    let mut numbers = 0u64;
    loop {
        let corrupt = |what: String| HistoryError::Corrupt {
            path: path.to_owned(),
            offset,
            record: index,
            what,
        };
        let mut fh = [0u8; 8];
        r.read_exact(&mut fh)
            .map_err(|_| corrupt("checkpoint ends without its end record".into()))?;
        let len = u32::from_le_bytes([fh[0], fh[1], fh[2], fh[3]]) as usize;
        let c = u32::from_le_bytes([fh[4], fh[5], fh[6], fh[7]]);
        if len == 0 || len > MAX_PAYLOAD {
            return Err(corrupt(format!("invalid record length {len}")));
        }
        payload.resize(len, 0);
        r.read_exact(&mut payload)
            .map_err(|_| corrupt("checkpoint ends inside a record".into()))?;
        if check(&payload) != c {
            return Err(corrupt("checksum mismatch".into()));
        }
        let mut d = Dec { b: &payload };
        match d.u8().map_err(&corrupt)? {
            K_CP_NUMBER => {
                let number = d.number().map_err(&corrupt)?;
                let lsn = d.u64().map_err(&corrupt)?;
                let count = d.u32().map_err(&corrupt)?;
                let mut slot = Slot::default();
                for _ in 0..count {
                    slot.insert(d.event().map_err(&corrupt)?);
                }
                d.end().map_err(&corrupt)?;
                if touched.contains(&number) {
                    number_lsn.insert(number, lsn);
                }
                inner.map.insert(number, slot);
                numbers += 1;
            }
            K_CP_CAMPAIGN => {
                let tag = Tag(d.u32().map_err(&corrupt)?);
                let lsn = d.u64().map_err(&corrupt)?;
                let n_ans = d.u32().map_err(&corrupt)?;
                let n_ab = d.u32().map_err(&corrupt)?;
                let mut c = crate::history::campaign::Counts::default();
                for _ in 0..n_ans {
                    c.answered.push_back(d.u32().map_err(&corrupt)?);
                }
                for _ in 0..n_ab {
                    c.abandoned.push_back(d.u32().map_err(&corrupt)?);
                }
                d.end().map_err(&corrupt)?;
                campaign_lsn.insert(tag, lsn);
                inner.campaigns.map.insert(tag, c);
            }
            K_CP_OPTOUT => {
                let number = d.number().map_err(&corrupt)?;
                let at = d.stamp().map_err(&corrupt)?;
                d.end().map_err(&corrupt)?;
                inner.opt_outs.insert(number, at);
            }
            K_CP_END => {
                let seq = d.u64().map_err(&corrupt)?;
                let n = d.u64().map_err(&corrupt)?;
                let _campaigns = d.u64().map_err(&corrupt)?;
                let _opt_outs = d.u64().map_err(&corrupt)?;
                d.end().map_err(&corrupt)?;
                if n != numbers {
                    return Err(corrupt(format!(
                        "end record counts {n} numbers, the file holds {numbers}"
                    )));
                }
                return Ok((seq, numbers));
            }
            k => return Err(corrupt(format!("unknown checkpoint record kind {k}"))),
        }
        offset += 8 + len as u64;
        index += 1;
    }
}
