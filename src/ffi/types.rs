//! The values that cross the C ABI: constants, status codes, enums and the
//! `#[repr(C)]` structs (`dg_context`, `dg_decision`), with their conversions.

use std::ffi::c_char;

use crate::decision::{Decision, Reason};

/// The ABI revision of this header and library. Compare `dg_abi_version()` with
/// `DG_ABI_VERSION` at start-up: a mismatch means the program was compiled against a
/// different header than the library it loaded.
pub const DG_ABI_VERSION: u32 = 1;

/// Longest number string accepted, in bytes (longer input fails with `DG_STATUS_TOO_LONG`).
pub const DG_MAX_NUMBER_LEN: usize = 64;

/// Longest campaign or subject id accepted, in bytes.
pub const DG_MAX_ID_LEN: usize = 256;

/// Longest file path accepted, in bytes.
pub const DG_MAX_PATH_LEN: usize = 4096;

/// `dg_decision.rule` when no policy rule decided (invalid input, internal error, allow).
pub const DG_RULE_NONE: u32 = 65535;

/// `dg_decision.constraints` bit: a live agent must be on the line when the callee answers.
pub const DG_CONSTRAINT_REQUIRE_LIVE_AGENT: u32 = 1;

/// `dg_decision.constraints` bit: the attempt must not be placed by a predictive dialer.
pub const DG_CONSTRAINT_NO_PREDICTIVE: u32 = 2;

/// The result of every fallible function. 0 is success; errors use the private range
/// 7001 and up. Values are never renumbered; retired ones stay reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_status {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullParameter = 7001,
    /// A string argument was not valid UTF-8.
    InvalidUtf8 = 7002,
    /// The number (or caller ID) is not a dialable phone number; see `dg_last_error`.
    InvalidNumber = 7003,
    /// An argument is out of range: an unknown purpose/mode/outcome code, an instant
    /// outside the supported range, a handle that is not one, an oversized batch.
    InvalidArgument = 7004,
    /// The policy did not compile (the text lists every error with file and line).
    PolicyError = 7005,
    /// A file operation failed (state directory, journal).
    IoError = 7006,
    /// The contact history refused the operation (corrupt or newer state files,
    /// journal unusable after an earlier failure).
    HistoryError = 7007,
    /// The handle was closed by `dg_guard_close`.
    ClosedHandle = 7008,
    /// An internal error (a bug) was caught; the call failed closed.
    Panic = 7009,
    /// The output buffer is too small; `*out_len` says how many bytes are needed.
    BufferTooSmall = 7010,
    /// A string argument is longer than its limit (`DG_MAX_NUMBER_LEN`, `DG_MAX_ID_LEN`,
    /// `DG_MAX_PATH_LEN`).
    TooLong = 7011,
    /// No such item (e.g. a rule id that the policy in force does not have).
    NotFound = 7012,
}

impl dg_status {
    pub(super) const ALL: [dg_status; 13] = [
        dg_status::Ok,
        dg_status::NullParameter,
        dg_status::InvalidUtf8,
        dg_status::InvalidNumber,
        dg_status::InvalidArgument,
        dg_status::PolicyError,
        dg_status::IoError,
        dg_status::HistoryError,
        dg_status::ClosedHandle,
        dg_status::Panic,
        dg_status::BufferTooSmall,
        dg_status::TooLong,
        dg_status::NotFound,
    ];

    pub(super) const fn c_name(self) -> &'static std::ffi::CStr {
        match self {
            dg_status::Ok => c"ok",
            dg_status::NullParameter => c"null_parameter",
            dg_status::InvalidUtf8 => c"invalid_utf8",
            dg_status::InvalidNumber => c"invalid_number",
            dg_status::InvalidArgument => c"invalid_argument",
            dg_status::PolicyError => c"policy_error",
            dg_status::IoError => c"io_error",
            dg_status::HistoryError => c"history_error",
            dg_status::ClosedHandle => c"closed_handle",
            dg_status::Panic => c"panic",
            dg_status::BufferTooSmall => c"buffer_too_small",
            dg_status::TooLong => c"too_long",
            dg_status::NotFound => c"not_found",
        }
    }
}

/// Values of `dg_decision.verdict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_verdict {
    /// Dial now, honouring `dg_decision.constraints`.
    Allow = 0,
    /// Do not dial.
    Deny = 1,
    /// Do not dial before `dg_decision.until_unix_ms`.
    Defer = 2,
}

/// Values of `dg_decision.reason` (the same stable codes as the Rust `Reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_reason {
    /// No reason: the verdict is ALLOW.
    None = 0,
    /// The input is not a dialable phone number (also: the number argument was NULL,
    /// not UTF-8 or too long).
    InvalidNumber = 1,
    /// On an internal opt-out list (compiled or added at run time).
    OptOut = 2,
    /// On a national do-not-call registry and no exemption applies.
    Registry = 3,
    /// A registry copy is older than the policy allows.
    StaleList = 4,
    /// On a suppression list or under a suppressed prefix.
    Suppression = 5,
    /// Consent is required and none is on file.
    ConsentRequired = 6,
    /// The caller ID is not allowed for this callee (or could not be read).
    CallerId = 7,
    /// A blackout covers the callee's region.
    Blackout = 8,
    /// Outside the calling window.
    OutsideWindow = 9,
    /// A frequency cap is reached.
    Cap = 10,
    /// A cool-off is running.
    Cooloff = 11,
    /// The campaign's abandon rate is over its ceiling.
    AbandonRate = 12,
    /// The contact history could not be read or written.
    StoreUnavailable = 13,
    /// No allowed instant within the policy horizon.
    BeyondHorizon = 14,
    /// No policy is loaded.
    NoPolicy = 15,
    /// An internal error or a failed call (see the returned status): fail closed.
    Internal = 16,
}

impl dg_reason {
    pub(super) const fn c_name(code: u32) -> &'static std::ffi::CStr {
        match code {
            0 => c"none",
            1 => c"invalid_number",
            2 => c"optout",
            3 => c"registry",
            4 => c"stale_list",
            5 => c"suppression",
            6 => c"consent_required",
            7 => c"caller_id",
            8 => c"blackout",
            9 => c"outside_window",
            10 => c"cap",
            11 => c"cooloff",
            12 => c"abandon_rate",
            13 => c"store_unavailable",
            14 => c"beyond_horizon",
            15 => c"no_policy",
            16 => c"internal",
            _ => c"unknown",
        }
    }
}

/// Values of `dg_context.purpose`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_purpose {
    Sales = 0,
    Survey = 1,
    Collection = 2,
    Informational = 3,
}

/// Values of `dg_context.mode`. Preview and manual mean a live agent is on the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_mode {
    Predictive = 0,
    Preview = 1,
    Manual = 2,
}

/// Values of the `outcome` argument of `dg_record_outcome`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_outcome {
    /// Rang out without an answer.
    NoAnswer = 1,
    /// Line busy.
    Busy = 2,
    /// A person answered and spoke with an agent.
    Answered = 3,
    /// A person answered and no agent was connected in time (silent call).
    Abandoned = 4,
    /// An answering machine took the call.
    Machine = 5,
    /// The person answered and refused.
    Refused = 6,
    /// The person asked not to be called again (the number is opted out at once).
    OptOut = 7,
    /// The number is not the intended contact's.
    WrongNumber = 8,
}

/// Values of `dg_open_options.fsync`: when journal writes reach the disk (with a
/// `state_dir` only; ignored for an in-memory or shared history).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum dg_fsync {
    /// The default: `fdatasync` after every record; survives a power loss.
    Record = 0,
    /// Never forced (the OS writes back): survives a process crash, not a power loss.
    Never = 1,
    /// By a background thread at most `dg_open_options.fsync_ms` ms after a write.
    EveryMs = 2,
}

/// Options of `dg_guard_open_with`. Zero-initialise it, set `struct_size` to
/// `sizeof(dg_open_options)` (so a later library with more fields knows which ones the
/// caller has), then fill what you need. Read only during the call (no pointer is kept).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct dg_open_options {
    /// `sizeof(dg_open_options)` as the caller compiled it; a smaller value is refused.
    pub struct_size: u32,
    /// UTF-8 path of the policy TOML file (required; at most `DG_MAX_PATH_LEN` bytes).
    pub policy_path: *const c_char,
    /// Directory of the durable history journal, created if missing; NULL keeps the
    /// history in memory. Not used when the history is shared (`redis_url` or the
    /// policy's `[cluster]`).
    pub state_dir: *const c_char,
    /// URL of the Redis server holding the history shared by every dialer server
    /// (`redis://host:port`, see docs/cluster.md); overrides the policy's
    /// `[cluster] redis` and keeps its other `[cluster]` keys. NULL: as the policy says.
    pub redis_url: *const c_char,
    /// A `dg_fsync` value.
    pub fsync: u32,
    /// With `DG_FSYNC_EVERY_MS`: the delay in milliseconds (1 and up); else 0.
    pub fsync_ms: u32,
}

/// Everything about one call attempt besides the number. Filled by the caller; read
/// only during the call (no pointer is kept). Zero-initialise it (`dg_context ctx = {0};`)
/// for: now, no campaign, no subject, no caller ID, sales, predictive.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct dg_context {
    /// The instant of the attempt in Unix milliseconds (UTC); 0 = read the system clock.
    pub now_unix_ms: i64,
    /// Campaign id (UTF-8, NUL-terminated, at most `DG_MAX_ID_LEN` bytes), or NULL.
    pub campaign: *const c_char,
    /// Subject id, e.g. the debt or account (same limits), or NULL.
    pub subject: *const c_char,
    /// The caller ID to present, as text (parsed like the number), or NULL.
    pub caller_id: *const c_char,
    /// The caller ID as E.164 digits (e.g. 390299990000), or 0. Set at most one of
    /// `caller_id` and `caller_id_e164`; this one avoids parsing on the hot path.
    pub caller_id_e164: u64,
    /// A `dg_purpose` value.
    pub purpose: u32,
    /// A `dg_mode` value.
    pub mode: u32,
}

/// The guard's answer, written by the check functions into caller-owned memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct dg_decision {
    /// A `dg_verdict` value: ALLOW, DENY or DEFER.
    pub verdict: u32,
    /// A `dg_reason` value; `DG_REASON_NONE` for ALLOW.
    pub reason: u32,
    /// The deciding rule's id (name it with `dg_rule_name`), or `DG_RULE_NONE`.
    pub rule: u32,
    /// `DG_CONSTRAINT_*` bits the dialer must honour (ALLOW only).
    pub constraints: u32,
    /// DEFER: the earliest lawful instant, Unix milliseconds (UTC); 0 otherwise.
    pub until_unix_ms: i64,
    /// The version of the policy in force when the check started (0 when the call
    /// failed before reading the guard). Rule ids belong to this version.
    pub policy_version: u64,
}

impl dg_decision {
    pub(super) const fn deny(reason: Reason, policy_version: u64) -> dg_decision {
        dg_decision {
            verdict: dg_verdict::Deny as u32,
            reason: reason as u32,
            rule: DG_RULE_NONE,
            constraints: 0,
            until_unix_ms: 0,
            policy_version,
        }
    }

    pub(super) fn from_decision(d: Decision, policy_version: u64) -> dg_decision {
        match d {
            Decision::Allow { constraints } => dg_decision {
                verdict: dg_verdict::Allow as u32,
                reason: dg_reason::None as u32,
                rule: DG_RULE_NONE,
                constraints: constraints.0,
                until_unix_ms: 0,
                policy_version,
            },
            Decision::Deny { reason, rule } => dg_decision {
                verdict: dg_verdict::Deny as u32,
                reason: reason as u32,
                rule: u32::from(rule.raw()),
                constraints: 0,
                until_unix_ms: 0,
                policy_version,
            },
            Decision::Defer {
                until,
                reason,
                rule,
            } => dg_decision {
                verdict: dg_verdict::Defer as u32,
                reason: reason as u32,
                rule: u32::from(rule.raw()),
                constraints: 0,
                until_unix_ms: until.as_millisecond(),
                policy_version,
            },
        }
    }
}
