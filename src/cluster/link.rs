//! The connection to Redis: a small pool of synchronous connections with bounded
//! connect and command timeouts, a short fail-fast window after a network failure, and
//! the two server-side scripts (loaded once, called by SHA, reloaded on `NOSCRIPT`).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::{Connection, RedisError, Script};

use super::config::{ClusterConfig, ClusterError};
use crate::history::HistoryError;

/// Compare-and-set of one number's events. The decision itself is taken by the client
/// with the local engine's code; the script only checks that it was based on the
/// current version, and if so appends the change to the shard's stream and stores the
/// new events with the entry's id as their version, atomically. Otherwise it returns
/// the current version and events. Stream ids only grow (they are kept with the stream,
/// and a new stream starts from the current time), so a version never repeats, even
/// after the number's key expired.
///
/// KEYS: number hash, shard log. ARGV: expected version (a stream id, `0` for none),
/// events, TTL seconds (0 = keep forever), stream MAXLEN, kind, digits, campaign,
/// outcome, instant, instance, node, wall-clock µs.
const CAS: &str = r"
local cur = redis.call('HGET', KEYS[1], 'v') or '0'
if cur ~= ARGV[1] then
  return {0, cur, redis.call('HGET', KEYS[1], 'e') or ''}
end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'k', ARGV[5],
  'n', ARGV[6], 'e', ARGV[2], 'c', ARGV[7], 'o', ARGV[8], 't', ARGV[9], 'i', ARGV[10],
  'node', ARGV[11], 'w', ARGV[12])
redis.call('HSET', KEYS[1], 'v', id, 'e', ARGV[2])
if ARGV[3] ~= '0' then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
else
  redis.call('PERSIST', KEYS[1])
end
return {1, id, ''}
";

/// Records an opt-out (the earliest instant wins) and appends it to the stream.
/// KEYS: shard opt-out hash, shard log. ARGV: digits, instant, MAXLEN, instance, node, µs.
const OPT_OUT: &str = r"
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]))
if cur == nil or tonumber(ARGV[2]) < cur then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'k', 'x', 'n', ARGV[1],
  't', ARGV[2], 'i', ARGV[4], 'node', ARGV[5], 'w', ARGV[6])
return 1
";

/// After a network failure, calls fail at once for this long instead of each waiting
/// for the connect timeout; the follower thread keeps probing and clears it.
const FAIL_FAST: Duration = Duration::from_millis(200);

/// Idle connections kept for reuse.
const POOL_MAX: usize = 32;

/// A handle on Redis shared by every thread of a node.
pub(crate) struct Link {
    client: redis::Client,
    pool: Mutex<Vec<Connection>>,
    connect_timeout: Duration,
    command_timeout: Duration,
    url: String,
    start: Instant,
    /// Milliseconds since `start` until which calls fail fast (0: not down).
    down_until: AtomicU64,
    pub(crate) cas: Script,
    pub(crate) opt_out: Script,
}

/// The hint of every "cannot reach Redis" error.
pub(crate) const HINT_UNREACHABLE: &str = "check that redis-server runs and is reachable at \
    that address (firewall, TLS, password), or raise [cluster] connect_timeout_ms / \
    command_timeout_ms if it is only slow; with when_unavailable = \"local\" nodes keep \
    deciding alone meanwhile";

impl Link {
    pub(crate) fn new(cfg: &ClusterConfig) -> Result<Link, ClusterError> {
        cfg.validate()?;
        let info = cfg.connection_info()?;
        let client = redis::Client::open(info).map_err(|e| ClusterError::Invalid {
            key: "redis",
            value: cfg.redacted_url(),
            expected: format!("a URL this build can connect to ({e})"),
        })?;
        Ok(Link {
            client,
            pool: Mutex::new(Vec::new()),
            connect_timeout: cfg.connect_timeout(),
            command_timeout: cfg.command_timeout(),
            url: cfg.redacted_url(),
            start: Instant::now(),
            down_until: AtomicU64::new(0),
            cas: Script::new(CAS),
            opt_out: Script::new(OPT_OUT),
        })
    }

    /// A new connection with the command timeout set (`read_timeout` overrides it, for a
    /// blocking `XREAD`).
    pub(crate) fn connect(&self, read_timeout: Option<Duration>) -> Result<Connection, RedisError> {
        let c = self
            .client
            .get_connection_with_timeout(self.connect_timeout)?;
        c.set_read_timeout(Some(read_timeout.unwrap_or(self.command_timeout)))?;
        c.set_write_timeout(Some(self.command_timeout))?;
        Ok(c)
    }

    /// Runs `f` on a pooled connection. A network failure or timeout drops the
    /// connection and opens the fail-fast window; every failure is `Unavailable`.
    pub(crate) fn run<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut Connection) -> Result<T, RedisError>,
    ) -> Result<T, HistoryError> {
        if self.is_down() {
            return Err(HistoryError::Unavailable {
                what: format!(
                    "{what}: Redis at {} failed less than {} ms ago",
                    self.url,
                    FAIL_FAST.as_millis()
                ),
                hint: HINT_UNREACHABLE,
            });
        }
        let pooled = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut con = match pooled {
            Some(c) => c,
            None => self.connect(None).map_err(|e| self.failed(what, &e))?,
        };
        match f(&mut con) {
            Ok(v) => {
                let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
                if pool.len() < POOL_MAX {
                    pool.push(con);
                }
                Ok(v)
            }
            // The connection may hold a half-read reply: never reuse it.
            Err(e) => Err(self.failed(what, &e)),
        }
    }

    /// Maps a Redis error, opening the fail-fast window when the network is at fault.
    pub(crate) fn failed(&self, what: &str, e: &RedisError) -> HistoryError {
        let network = e.is_io_error()
            || e.is_timeout()
            || e.is_connection_dropped()
            || e.is_connection_refusal();
        if network {
            self.mark_down();
            self.pool.lock().unwrap_or_else(|p| p.into_inner()).clear();
        }
        HistoryError::Unavailable {
            what: format!("{what} at {}: {e}", self.url),
            hint: if network {
                HINT_UNREACHABLE
            } else {
                "Redis refused the command: check that it is Redis/Valkey 6.2 or later, that \
                 the user may run EVALSHA, XADD and XREAD, and that no other program writes \
                 under this key_prefix"
            },
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn is_down(&self) -> bool {
        self.now_ms() < self.down_until.load(Ordering::Relaxed)
    }

    pub(crate) fn mark_down(&self) {
        let until = self
            .now_ms()
            .saturating_add(u64::try_from(FAIL_FAST.as_millis()).unwrap_or(u64::MAX));
        self.down_until.store(until.max(1), Ordering::Relaxed);
    }

    pub(crate) fn mark_up(&self) {
        self.down_until.store(0, Ordering::Relaxed);
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }
}
