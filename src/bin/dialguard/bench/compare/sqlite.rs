//! The SQLite peer of `--compare sqlite` (cargo feature `sqlite-peer`): an in-process
//! database, as an integrator keeping the registry and the attempts in SQLite would
//! have. The registry sample is a `WITHOUT ROWID` table keyed by the number, looked up
//! with a prepared statement; the cap is an attempts table indexed on (number, at): a
//! count within the window and, when under the cap, an insert, in one `BEGIN IMMEDIATE`
//! transaction. The file is in the temporary directory, with journal_mode=WAL,
//! synchronous=NORMAL and a 256 MiB page cache, and is deleted when the peer is dropped.

use std::path::PathBuf;
use std::time::Instant;

use dialguard::Number;
use rusqlite::{Connection, params};
use serde_json::{Value, json};

use super::Peer;
use super::workload::{CAP_MAX, CAP_WITHIN};

const SETUP: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -262144;
CREATE TABLE registry (number INTEGER PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE attempts (number INTEGER NOT NULL, at INTEGER NOT NULL);
CREATE INDEX attempts_number_at ON attempts (number, at);
";
const LOOKUP: &str = "SELECT EXISTS (SELECT 1 FROM registry WHERE number = ?1)";
const COUNT: &str = "SELECT count(*) FROM attempts WHERE number = ?1 AND at > ?2";
const INSERT: &str = "INSERT INTO attempts (number, at) VALUES (?1, ?2)";

pub(super) struct SqlitePeer {
    /// `None` once closed (in Drop, before the files are deleted).
    con: Option<Connection>,
    path: PathBuf,
    load_seconds: f64,
    version: &'static str,
}

fn err(what: &'static str) -> impl Fn(rusqlite::Error) -> String {
    move |e| format!("--compare sqlite: {what}: {e}")
}

/// Numbers are stored as SQLite integers (at most 15 digits: always in range).
fn key(n: Number) -> Result<i64, String> {
    i64::try_from(n.get()).map_err(|_| format!("--compare sqlite: number {} out of range", n.get()))
}

impl SqlitePeer {
    pub(super) fn open(registry: &[u64]) -> Result<SqlitePeer, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!(
            "dialguard-compare-{}-{nanos}.sqlite",
            std::process::id()
        ));
        let con = Connection::open(&path).map_err(|e| {
            format!(
                "--compare sqlite: cannot create {}: {e}; set TMPDIR to a writable directory",
                path.display()
            )
        })?;
        // From here on, Drop deletes the files.
        let mut peer = SqlitePeer {
            con: Some(con),
            path,
            load_seconds: 0.0,
            version: rusqlite::version(),
        };
        peer.load(registry)?;
        Ok(peer)
    }

    fn con(&mut self) -> Result<&mut Connection, String> {
        self.con
            .as_mut()
            .ok_or_else(|| "--compare sqlite: the database is closed".to_owned())
    }

    fn load(&mut self, registry: &[u64]) -> Result<(), String> {
        let started = Instant::now();
        let con = self.con()?;
        con.execute_batch(SETUP)
            .map_err(err("creating the tables"))?;
        let tx = con.transaction().map_err(err("BEGIN"))?;
        {
            let mut insert = tx
                .prepare("INSERT INTO registry (number) VALUES (?1)")
                .map_err(err("prepare"))?;
            for &d in registry {
                let n = i64::try_from(d)
                    .map_err(|_| format!("--compare sqlite: number {d} out of range"))?;
                insert.execute([n]).map_err(err("loading the registry"))?;
            }
        }
        tx.commit().map_err(err("COMMIT"))?;
        let count: i64 = con
            .query_row("SELECT count(*) FROM registry", [], |r| r.get(0))
            .map_err(err("count"))?;
        if usize::try_from(count).ok() != Some(registry.len()) {
            return Err(format!(
                "--compare sqlite: the registry table holds {count} numbers, {} were loaded",
                registry.len()
            ));
        }
        self.load_seconds = started.elapsed().as_secs_f64();
        Ok(())
    }
}

impl Drop for SqlitePeer {
    fn drop(&mut self) {
        drop(self.con.take());
        for ext in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(ext);
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Peer for SqlitePeer {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn about(&self) -> Value {
        json!({
            "sqlite_version": self.version,
            "load_seconds": (self.load_seconds * 1000.0).round() / 1000.0,
            "settings": "in process, file in the temporary directory; journal_mode=WAL, \
                         synchronous=NORMAL, cache_size=256 MiB",
            "membership": "prepared SELECT on a WITHOUT ROWID table; batches: the same in a loop",
            "cap": "BEGIN IMMEDIATE; count in window on an (number, at) index; INSERT; COMMIT",
        })
    }

    fn contains(&mut self, n: Number) -> Result<bool, String> {
        let k = key(n)?;
        let con = self.con()?;
        let mut st = con.prepare_cached(LOOKUP).map_err(err("prepare"))?;
        st.query_row([k], |r| r.get(0)).map_err(err("lookup"))
    }

    fn contains_batch(&mut self, ns: &[Number], out: &mut [bool]) -> Result<(), String> {
        for (n, o) in ns.iter().zip(out.iter_mut()) {
            *o = self.contains(*n)?;
        }
        Ok(())
    }

    fn reserve(&mut self, n: Number, t: i64, _op: usize) -> Result<bool, String> {
        let k = key(n)?;
        let con = self.con()?;
        let tx = con
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err("BEGIN IMMEDIATE"))?;
        let live: i64 = tx
            .prepare_cached(COUNT)
            .and_then(|mut st| st.query_row(params![k, t - CAP_WITHIN], |r| r.get(0)))
            .map_err(err("count in window"))?;
        let admitted = live < i64::from(CAP_MAX);
        if admitted {
            tx.prepare_cached(INSERT)
                .and_then(|mut st| st.execute(params![k, t]))
                .map_err(err("insert"))?;
        }
        tx.commit().map_err(err("COMMIT"))?;
        Ok(admitted)
    }
}
