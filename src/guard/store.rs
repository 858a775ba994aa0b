//! Where a guard keeps contact history: in this process ([`History`], optionally
//! journaled to a state directory) or shared by every dialer server through Redis
//! ([`RedisStore`], which keeps a local replica that checks read).
//!
//! A shared store also feeds the live opt-out overlay: opt-outs recorded on other nodes
//! arrive through its listener, and the ones already in Redis are loaded once the node
//! has synchronised. Until then the node cannot know every opt-out, so checks fail
//! closed (`store_unavailable`) rather than allow a number opted out elsewhere.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cluster::{ClusterConfig, RedisStore};
use crate::history::{History, HistoryError, HistoryStore, JournalOptions, RecoveryReport};
use crate::lists::OptOutOverlay;
use crate::number::Number;
use crate::policy::Snapshot;

use super::{GuardError, GuardOptions};

pub(super) enum Store {
    Local(History),
    Shared {
        redis: RedisStore,
        /// True once the opt-outs already in Redis are in the overlay.
        overlay_loaded: AtomicBool,
    },
}

impl Store {
    /// The store `options` (else the policy's `[cluster]`) asks for.
    pub(super) fn open(
        snap: &Snapshot,
        options: &GuardOptions,
        overlay: &Arc<OptOutOverlay>,
    ) -> Result<(Store, Option<RecoveryReport>), GuardError> {
        let retention = snap.retention();
        if let Some(cfg) = options.cluster.as_ref().or(snap.cluster()) {
            return Ok((Store::shared(cfg, snap, overlay)?, None));
        }
        let Some(dir) = &options.state_dir else {
            return Ok((Store::Local(History::with_retention(retention, 0)), None));
        };
        let defaults = JournalOptions::default();
        let opts = JournalOptions {
            fsync: options.fsync.unwrap_or(defaults.fsync),
            retention,
            ..defaults
        };
        let (h, report) = History::open(dir, opts)?;
        load_overlay(overlay, h.opted_out());
        Ok((Store::Local(h), Some(report)))
    }

    fn shared(
        cfg: &ClusterConfig,
        snap: &Snapshot,
        overlay: &Arc<OptOutOverlay>,
    ) -> Result<Store, GuardError> {
        cfg.validate().map_err(GuardError::Cluster)?;
        let redis = RedisStore::open(cfg, snap.retention()).map_err(GuardError::Cluster)?;
        let sink = Arc::clone(overlay);
        redis.set_opt_out_listener(Box::new(move |digits, at| {
            if let Some(n) = Number::from_e164_digits(digits) {
                sink.insert(n, at);
            }
        }));
        let store = Store::Shared {
            redis,
            overlay_loaded: AtomicBool::new(false),
        };
        store.ready(overlay);
        Ok(store)
    }

    /// The store seam every check and reservation goes through.
    #[inline]
    pub(super) fn seam(&self) -> &dyn HistoryStore {
        match self {
            Store::Local(h) => h,
            Store::Shared { redis, .. } => redis,
        }
    }

    /// Starts loading `n`'s history (a hint, see [`HistoryStore::prefetch`]): the local
    /// store's, or the shared store's replica, which its checks read (its reservations
    /// are round trips to Redis, which a prefetch cannot shorten).
    #[inline]
    pub(super) fn prefetch(&self, n: Number) {
        self.local().prefetch(n.get());
    }

    /// The in-process history: the store itself, or the shared store's replica (abandon
    /// counters, retention, sweeping, inspection).
    #[inline]
    pub(super) fn local(&self) -> &History {
        match self {
            Store::Local(h) => h,
            Store::Shared { redis, .. } => redis.replica(),
        }
    }

    /// The shared store, if this guard uses one.
    pub(super) fn redis(&self) -> Option<&RedisStore> {
        match self {
            Store::Local(_) => None,
            Store::Shared { redis, .. } => Some(redis),
        }
    }

    /// Whether checks may be answered: always for a local store; for a shared one, once
    /// it has synchronised and its opt-outs are in the overlay (loaded here, once).
    #[inline]
    pub(super) fn ready(&self, overlay: &OptOutOverlay) -> bool {
        match self {
            Store::Local(_) => true,
            Store::Shared {
                redis,
                overlay_loaded,
            } => {
                overlay_loaded.load(Ordering::Acquire) || load_once(redis, overlay_loaded, overlay)
            }
        }
    }
}

#[cold]
fn load_once(redis: &RedisStore, loaded: &AtomicBool, overlay: &OptOutOverlay) -> bool {
    let Ok(opted_out) = redis.opted_out() else {
        return false;
    };
    load_overlay(overlay, opted_out);
    loaded.store(true, Ordering::Release);
    true
}

fn load_overlay(overlay: &OptOutOverlay, opted_out: Vec<(u64, i64)>) {
    for (n, at) in opted_out {
        if let Some(n) = Number::from_e164_digits(n) {
            overlay.insert(n, at);
        }
    }
}

/// The deny cause when a shared store has not synchronised yet.
pub(super) fn not_ready() -> HistoryError {
    HistoryError::Unavailable {
        what: "the shared contact history (Redis) has not been loaded yet".into(),
        hint: "check that Redis is reachable at [cluster] redis; checks are denied until it is",
    }
}
