//! The Redis peer of `--compare`: what a Redis-based dialer would do. The registry
//! sample is a Redis set (loaded with pipelined SADD), a lookup is one SISMEMBER round
//! trip (or 256 in one pipeline), and the cap is a Lua script run with EVALSHA on a
//! sorted set of attempt instants per number: ZREMRANGEBYSCORE (drop what aged out),
//! ZCARD, and ZADD when under the cap — atomic, as the cap needs.
//!
//! Everything lives under a key prefix of its own (`dgcompare:<pid>:<nanos>:`), expires
//! within an hour even if the process is killed, and is deleted when the peer is
//! dropped (also after an error).

use std::time::{Duration, Instant};

use dialguard::Number;
use dialguard::cluster::ClusterConfig;
use redis::{Connection, Script};
use serde_json::{Value, json};

use super::Peer;
use super::workload::{CAP_MAX, CAP_WITHIN};

/// Members per SADD command while loading, and commands per pipeline.
const LOAD_CHUNK: usize = 10_000;
/// A command that takes longer than this fails the comparison (no hang).
const TIMEOUT: Duration = Duration::from_secs(10);
/// The safety expiry of every key (seconds), should the clean-up not run.
const SAFETY_TTL: u64 = 3600;

/// The cap: KEYS[1] is the number's sorted set of attempts; ARGV: now (s), window (s),
/// max, a unique member. An attempt counts while its instant is > now - window.
const CAP_SCRIPT: &str = r"
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
";

pub(super) struct RedisPeer {
    con: Connection,
    url: String,
    prefix: String,
    registry_key: String,
    script: Script,
    version: String,
    load_seconds: f64,
    bytes_per_number: f64,
}

fn err(what: &str, url: &str) -> impl Fn(redis::RedisError) -> String {
    move |e| {
        format!(
            "--compare {url}: {what}: {e}; check that a test redis-server runs there \
             (redis-server --save '' --appendonly no)"
        )
    }
}

impl RedisPeer {
    pub(super) fn open(url: &str, registry: &[u64]) -> Result<RedisPeer, String> {
        let shown = ClusterConfig::new(url).redacted_url();
        let client = redis::Client::open(url).map_err(err("bad URL", &shown))?;
        let con = client
            .get_connection_with_timeout(TIMEOUT)
            .map_err(err("cannot connect", &shown))?;
        con.set_read_timeout(Some(TIMEOUT))
            .map_err(err("set timeout", &shown))?;
        con.set_write_timeout(Some(TIMEOUT))
            .map_err(err("set timeout", &shown))?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let prefix = format!("dgcompare:{}:{nanos}:", std::process::id());
        let mut peer = RedisPeer {
            con,
            url: shown,
            registry_key: format!("{prefix}registry"),
            prefix,
            script: Script::new(CAP_SCRIPT),
            version: String::new(),
            load_seconds: 0.0,
            bytes_per_number: 0.0,
        };
        // From here on, Drop deletes whatever was written.
        peer.load(registry)?;
        Ok(peer)
    }

    fn used_memory(&mut self) -> Result<(u64, String), String> {
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query(&mut self.con)
            .map_err(err("INFO", &self.url))?;
        let mem: String = redis::cmd("INFO")
            .arg("memory")
            .query(&mut self.con)
            .map_err(err("INFO", &self.url))?;
        let field = |text: &str, key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_owned()))
                .unwrap_or_default()
        };
        let used = field(&mem, "used_memory:").parse().unwrap_or(0);
        Ok((used, field(&info, "redis_version:")))
    }

    fn load(&mut self, registry: &[u64]) -> Result<(), String> {
        let (before, version) = self.used_memory()?;
        self.version = version;
        let started = Instant::now();
        for group in registry.chunks(LOAD_CHUNK * 16) {
            let mut pipe = redis::pipe();
            for chunk in group.chunks(LOAD_CHUNK) {
                pipe.cmd("SADD").arg(&self.registry_key).arg(chunk).ignore();
            }
            pipe.cmd("EXPIRE")
                .arg(&self.registry_key)
                .arg(SAFETY_TTL)
                .ignore();
            pipe.query::<()>(&mut self.con)
                .map_err(err("loading the registry (SADD)", &self.url))?;
        }
        self.load_seconds = started.elapsed().as_secs_f64();
        let card: usize = redis::cmd("SCARD")
            .arg(&self.registry_key)
            .query(&mut self.con)
            .map_err(err("SCARD", &self.url))?;
        if card != registry.len() {
            return Err(format!(
                "--compare {}: the registry set holds {card} numbers, {} were loaded; is \
                 another client writing under {}?",
                self.url,
                registry.len(),
                self.prefix
            ));
        }
        let (after, _) = self.used_memory()?;
        self.bytes_per_number = after.saturating_sub(before) as f64 / card.max(1) as f64;
        self.script
            .prepare_invoke()
            .load(&mut self.con)
            .map_err(err("SCRIPT LOAD", &self.url))?;
        Ok(())
    }

    /// Deletes every key under the prefix (SCAN + UNLINK).
    fn clean_up(&mut self) -> Result<(), redis::RedisError> {
        let pattern = format!("{}*", self.prefix);
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(10_000)
                .query(&mut self.con)?;
            if !keys.is_empty() {
                redis::cmd("UNLINK").arg(&keys).query::<()>(&mut self.con)?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

impl Drop for RedisPeer {
    fn drop(&mut self) {
        if let Err(e) = self.clean_up() {
            eprintln!(
                "dialguard bench: could not delete the keys {}* on {}: {e}; they expire \
                 within {SAFETY_TTL} s",
                self.prefix, self.url
            );
        }
    }
}

impl Peer for RedisPeer {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn about(&self) -> Value {
        json!({
            "url": self.url,
            "redis_version": self.version,
            "load_seconds": (self.load_seconds * 1000.0).round() / 1000.0,
            "used_memory_bytes_per_number": (self.bytes_per_number * 10.0).round() / 10.0,
            "membership": "SISMEMBER, one round trip each; batches: 256 SISMEMBER in one pipeline",
            "cap": "EVALSHA: ZREMRANGEBYSCORE + ZCARD + ZADD on a sorted set per number",
        })
    }

    fn contains(&mut self, n: Number) -> Result<bool, String> {
        redis::cmd("SISMEMBER")
            .arg(&self.registry_key)
            .arg(n.get())
            .query(&mut self.con)
            .map_err(err("SISMEMBER", &self.url))
    }

    fn contains_batch(&mut self, ns: &[Number], out: &mut [bool]) -> Result<(), String> {
        let mut pipe = redis::pipe();
        for n in ns {
            pipe.cmd("SISMEMBER").arg(&self.registry_key).arg(n.get());
        }
        let got: Vec<bool> = pipe
            .query(&mut self.con)
            .map_err(err("pipelined SISMEMBER", &self.url))?;
        if got.len() != ns.len() {
            return Err(format!(
                "--compare {}: a pipeline of {} SISMEMBER got {} answers",
                self.url,
                ns.len(),
                got.len()
            ));
        }
        out[..got.len()].copy_from_slice(&got);
        Ok(())
    }

    fn reserve(&mut self, n: Number, t: i64, op: usize) -> Result<bool, String> {
        let admitted: i64 = self
            .script
            .key(format!("{}cap:{}", self.prefix, n.get()))
            .arg(t)
            .arg(CAP_WITHIN)
            .arg(CAP_MAX)
            .arg(op)
            .arg(SAFETY_TTL)
            .invoke(&mut self.con)
            .map_err(err("EVALSHA (cap script)", &self.url))?;
        Ok(admitted == 1)
    }
}
