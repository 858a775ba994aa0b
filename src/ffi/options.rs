//! Reading a caller's `dg_open_options` into [`GuardOptions`]: the size check that keeps
//! the struct extensible, the fsync mapping, and the Redis URL override of `[cluster]`.

use std::path::Path;

use jiff::Timestamp;

use super::args::guard_error;
use super::boundary::{FfiError, bounded_str, optional_str};
use super::types::*;
use crate::cluster::ClusterConfig;
use crate::guard::{GuardError, GuardOptions};
use crate::history::FsyncPolicy;
use crate::policy::{self, Snapshot};

/// What `dg_guard_open_with` opens: the compiled policy and how to keep its history.
pub(super) struct OpenRequest<'a> {
    pub policy_path: &'a str,
    pub snapshot: Snapshot,
    pub options: GuardOptions,
}

/// Validates `opts` field by field and compiles the policy it names.
///
/// # Safety
/// `opts` is non-null, aligned, and points to at least `struct_size` readable bytes
/// laid out as `dg_open_options` (the caller's contract); its strings are NULL or
/// NUL-terminated.
pub(super) unsafe fn read<'a>(
    opts: *const dg_open_options,
    function: &str,
) -> Result<OpenRequest<'a>, FfiError> {
    // Read the size alone first: a caller built against an older, smaller struct must
    // not have its missing fields read past the end of its memory.
    // SAFETY: `struct_size` is the first field; readable by contract.
    let size = unsafe { std::ptr::addr_of!((*opts).struct_size).read() };
    let known = size_of::<dg_open_options>();
    if usize::try_from(size).map_or(true, |s| s < known) {
        return Err(FfiError::new(
            dg_status::InvalidArgument,
            format_args!(
                "{function}: `opts->struct_size` is {size}, less than sizeof(dg_open_options) = {known} of this library; set it to sizeof(dg_open_options) and zero-initialise the struct"
            ),
        ));
    }
    // SAFETY: at least `known` bytes by the check above and the contract.
    let o = unsafe { opts.read() };
    // SAFETY (three calls): strings by contract.
    let path = unsafe {
        bounded_str(
            o.policy_path,
            DG_MAX_PATH_LEN,
            function,
            "opts->policy_path",
        )
    }?;
    let dir = unsafe { optional_str(o.state_dir, DG_MAX_PATH_LEN, function, "opts->state_dir") }?;
    let url = unsafe { optional_str(o.redis_url, DG_MAX_PATH_LEN, function, "opts->redis_url") }?;
    let fsync = fsync(o.fsync, o.fsync_ms, function)?;
    let snapshot =
        policy::compile_file(Path::new(path), Timestamp::now().as_second()).map_err(|e| {
            guard_error(
                function,
                &format!("cannot open policy {path:?}"),
                GuardError::Policy(e),
            )
        })?;
    let cluster = url.map(|url| match snapshot.cluster() {
        // Only the server changes: the policy's prefix, timeouts and fallback stay.
        Some(c) => ClusterConfig {
            redis: url.to_owned(),
            ..c.clone()
        },
        None => ClusterConfig::new(url),
    });
    Ok(OpenRequest {
        policy_path: path,
        snapshot,
        options: GuardOptions {
            state_dir: dir.map(Into::into),
            fsync,
            cluster,
            // The policy's `[audit]`, if any, selects the decision log.
            audit: None,
        },
    })
}

/// Maps `dg_open_options.fsync` and `fsync_ms` onto the journal's policy.
pub(super) fn fsync(code: u32, ms: u32, function: &str) -> Result<Option<FsyncPolicy>, FfiError> {
    const RECORD: u32 = dg_fsync::Record as u32;
    const NEVER: u32 = dg_fsync::Never as u32;
    const EVERY_MS: u32 = dg_fsync::EveryMs as u32;
    let invalid = |what: &str| {
        Err(FfiError::new(
            dg_status::InvalidArgument,
            format_args!("{function}: {what}"),
        ))
    };
    match (code, ms) {
        (RECORD, 0) => Ok(None),
        (NEVER, 0) => Ok(Some(FsyncPolicy::Never)),
        (EVERY_MS, 1..) => Ok(Some(FsyncPolicy::EveryMillis(ms))),
        (EVERY_MS, 0) => invalid(
            "`opts->fsync` is DG_FSYNC_EVERY_MS but `opts->fsync_ms` is 0; give the delay in milliseconds (1 and up)",
        ),
        (RECORD | NEVER, _) => invalid(&format!(
            "`opts->fsync_ms` is {ms} but only DG_FSYNC_EVERY_MS uses it; set `opts->fsync` to DG_FSYNC_EVERY_MS (2) or `fsync_ms` to 0"
        )),
        _ => invalid(&format!(
            "`opts->fsync` is {code}; use DG_FSYNC_RECORD (0), DG_FSYNC_NEVER (1) or DG_FSYNC_EVERY_MS (2)"
        )),
    }
}
