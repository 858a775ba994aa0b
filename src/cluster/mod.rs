//! Several dialer servers, one contact history: [`RedisStore`] implements
//! [`HistoryStore`](crate::history::HistoryStore) over Redis (or Valkey), configured by
//! the policy's `[cluster]` table ([`ClusterConfig`]).
//!
//! # Design
//! - **Decisions stay in the local engine.** A reservation runs the guard's own decision
//!   closure on the number's events as this node's replica holds them, computes the new
//!   event list with the in-process store's code (prune, insert, attach an outcome), and
//!   commits it with one server-side script (loaded once, called by SHA, reloaded on
//!   `NOSCRIPT`). The script is a compare-and-set: it stores the new events only if the
//!   number's version is still the one the decision was based on, and appends the
//!   change to a stream whose entry id becomes the new version, atomically. Otherwise it returns the current
//!   events and the node decides again (at most 16 times, then it fails closed). Caps and
//!   cool-offs therefore have exactly one implementation — a second one in Lua could
//!   diverge, and a divergence would be a fail-open — and N processes with a cap of 3
//!   admit exactly 3, whatever the interleaving. When the replica is current (the
//!   common case) a reservation is one round trip; a deny decided on the replica costs
//!   none, since a replica can only lack events, never hold extra ones.
//! - **What stays local.** The policy, lists, calendars and windows never need Redis.
//!   Checks ([`HistoryStore::read`](crate::history::HistoryStore::read)) read the local
//!   replica, never Redis; they see other nodes' attempts after the propagation delay
//!   (milliseconds), and only reservations are exact across nodes. Abandon-rate
//!   counters are per node, fed by every node's outcomes through the streams.
//! - **Keys** (the `keys` module): numbers are spread over 16 shards; every key of a
//!   shard carries the hash tag `{prefix<shard>}`, so each script call touches one Redis
//!   Cluster slot (this build connects to one server or a proxy; a cluster client is
//!   not wired yet). Number keys expire an hour after their last event leaves the
//!   retention, and never while they hold an opt-out outcome.
//! - **Propagation.** Reservations, outcomes and opt-outs are appended to the shard's
//!   stream (`XADD MAXLEN ~ stream_maxlen`). A follower thread per node reads all 16
//!   streams with `XREAD BLOCK` and applies each change to the replica (newer versions
//!   only) and to the opt-out overlay ([`RedisStore::set_opt_out_listener`]).
//! - **Catch-up.** At start a node loads every number key (`SCAN`) and opt-out, and
//!   replays the retained streams (rebuilding abandon counters). After a reconnection it
//!   continues from its last stream ids; when entries were trimmed past them, or Redis
//!   restarted (its run id changed), it reloads the keys instead, so trimming loses
//!   nothing but speed.
//! - **Faults.** Connect and command timeouts are bounded ([`ClusterConfig`]); after a
//!   network failure calls fail at once for 200 ms while the follower probes. With
//!   `when_unavailable = "deny"` a change that cannot reach Redis returns
//!   [`HistoryError::Unavailable`](crate::history::HistoryError::Unavailable) (the guard
//!   denies `store_unavailable`), and so do reads until the replica was loaded once.
//!   With `"local"` the node decides on its replica, counts it
//!   ([`RedisStore::local_decisions`]), queues the change and appends it when Redis
//!   returns (whatever the caps say then: the call was acknowledged). Nothing
//!   acknowledged is lost as long as Redis keeps what it acknowledged (AOF with
//!   `appendfsync always`; `everysec` may lose the last second on a power cut).

mod config;
mod follower;
mod keys;
mod link;
mod store;

pub use config::{ClusterConfig, ClusterError, WhenUnavailable};
pub use keys::{SHARDS, shard_of};
pub use store::{OptOutListener, RedisStore};
