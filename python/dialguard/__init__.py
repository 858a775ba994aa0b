"""ctypes binding of the dialguard C ABI (include/dialguard.h).

Loads the shared library named by the DIALGUARD_LIB environment variable, else a
libdialguard.so bundled in this package's directory, else the one the system finds as
"dialguard" (installed with pkg-config, see docs/c-abi.md).

    from dialguard import Guard
    with Guard("policies/it/policy.toml") as g:
        d = g.check("02 1234 5678", now_ms=1795770000000, caller_id="+39 02 9999 0000")
        print(d.verdict, d.reason, d.rule)     # deny registry rpo

A Guard may be shared by threads: every call releases the GIL while in the library.
Failures raise DialguardError (status name + the library's message), as the C ABI returns
a status: an invalid number raises status "invalid_number", never a decision. For the check
functions the error carries the fail-closed DENY decision in `.decision`. check_batch is
the exception, as in C: a bad entry is denied on its own so the others are still decided.
"""

import ctypes
import ctypes.util
import os
from collections import namedtuple

ABI_VERSION = 1
RULE_NONE = 65535
OK = 0

PURPOSES = {"sales": 0, "survey": 1, "collection": 2, "informational": 3}
MODES = {"predictive": 0, "preview": 1, "manual": 2}
OUTCOMES = {
    "no_answer": 1, "busy": 2, "answered": 3, "abandoned": 4,
    "machine": 5, "refused": 6, "opt_out": 7, "wrong_number": 8,
}


class _Context(ctypes.Structure):
    _fields_ = [
        ("now_unix_ms", ctypes.c_int64),
        ("campaign", ctypes.c_char_p),
        ("subject", ctypes.c_char_p),
        ("caller_id", ctypes.c_char_p),
        ("caller_id_e164", ctypes.c_uint64),
        ("purpose", ctypes.c_uint32),
        ("mode", ctypes.c_uint32),
    ]


class _OpenOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("policy_path", ctypes.c_char_p),
        ("state_dir", ctypes.c_char_p),
        ("redis_url", ctypes.c_char_p),
        ("fsync", ctypes.c_uint32),
        ("fsync_ms", ctypes.c_uint32),
    ]


#: dg_fsync values by name; an int is DG_FSYNC_EVERY_MS with that delay.
FSYNC = {"record": 0, "never": 1}
_FSYNC_EVERY_MS = 2


def _fsync(fsync):
    """(code, ms) of the `fsync` argument of Guard."""
    if fsync is None:
        return FSYNC["record"], 0
    if isinstance(fsync, str) and fsync in FSYNC:
        return FSYNC[fsync], 0
    # bool is an int in Python: refuse it rather than read True as 1 ms.
    if isinstance(fsync, int) and not isinstance(fsync, bool) and 1 <= fsync <= 0xFFFFFFFF:
        return _FSYNC_EVERY_MS, fsync
    raise ValueError(
        f"fsync={fsync!r} is not valid; use None or \"record\" (sync every record, survives "
        "power loss), \"never\", or a delay in milliseconds (int, 1 to 4294967295)"
    )


class _Decision(ctypes.Structure):
    _fields_ = [
        ("verdict", ctypes.c_uint32),
        ("reason", ctypes.c_uint32),
        ("rule", ctypes.c_uint32),
        ("constraints", ctypes.c_uint32),
        ("until_unix_ms", ctypes.c_int64),
        ("policy_version", ctypes.c_uint64),
    ]


#: A decision with names resolved: verdict "allow"/"deny"/"defer", reason ("none" for
#: allow), rule id (None when no rule decided), until_ms (defer), constraints bits.
Decision = namedtuple(
    "Decision", "verdict reason rule until_ms constraints policy_version"
)


def _find():
    env = os.environ.get("DIALGUARD_LIB")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for name in ("libdialguard.so", "libdialguard.so.0"):
        bundled = os.path.join(here, name)
        if os.path.exists(bundled):
            return bundled
    return ctypes.util.find_library("dialguard")


def _load(path):
    if not path:
        raise OSError(
            "libdialguard not found: set DIALGUARD_LIB to its path, copy libdialguard.so "
            "into the package directory before `pip install`, or install the library "
            "(docs/c-abi.md)"
        )
    lib = ctypes.CDLL(path)
    G = ctypes.c_void_p
    S = ctypes.c_uint32
    sig = {
        "dg_guard_open": (S, [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(G)]),
        "dg_guard_open_with": (S, [ctypes.POINTER(_OpenOptions), ctypes.POINTER(G)]),
        "dg_guard_close": (S, [G]),
        "dg_guard_reload": (S, [G, ctypes.c_char_p]),
        "dg_policy_version": (ctypes.c_uint64, [G]),
        "dg_check": (S, [G, ctypes.c_char_p, ctypes.POINTER(_Context), ctypes.POINTER(_Decision)]),
        "dg_check_e164": (S, [G, ctypes.c_uint64, ctypes.POINTER(_Context), ctypes.POINTER(_Decision)]),
        "dg_check_batch": (S, [G, ctypes.POINTER(ctypes.c_uint64), ctypes.c_size_t,
                               ctypes.POINTER(_Context), ctypes.POINTER(_Decision)]),
        "dg_check_and_reserve": (S, [G, ctypes.c_char_p, ctypes.POINTER(_Context),
                                     ctypes.POINTER(_Decision), ctypes.POINTER(ctypes.c_uint64)]),
        "dg_record_outcome": (S, [G, ctypes.c_char_p, ctypes.c_uint64, ctypes.c_uint32,
                                  ctypes.POINTER(_Context), ctypes.POINTER(ctypes.c_uint64)]),
        "dg_opt_out": (S, [G, ctypes.c_char_p, ctypes.c_int64]),
        "dg_rule_name": (S, [G, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t,
                             ctypes.POINTER(ctypes.c_size_t)]),
        "dg_last_error": (S, [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]),
        "dg_reason_name": (ctypes.c_char_p, [ctypes.c_uint32]),
        "dg_status_name": (ctypes.c_char_p, [ctypes.c_uint32]),
        "dg_verdict_name": (ctypes.c_char_p, [ctypes.c_uint32]),
        "dg_version": (ctypes.c_char_p, []),
        "dg_abi_version": (ctypes.c_uint32, []),
    }
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype = res
        f.argtypes = args
    if lib.dg_abi_version() != ABI_VERSION:
        raise OSError(
            f"{path}: ABI {lib.dg_abi_version()}, this binding speaks ABI {ABI_VERSION}"
        )
    return lib


#: The shared library this module loaded (DIALGUARD_LIB, bundled, or the system's).
LIBRARY_PATH = _find()
_lib = _load(LIBRARY_PATH)


def version():
    """The library version, e.g. "0.1.0"."""
    return _lib.dg_version().decode()


def _last_error():
    # The last error belongs to this thread; ctypes calls run on the calling thread.
    n = ctypes.c_size_t(0)
    _lib.dg_last_error(None, 0, ctypes.byref(n))
    buf = ctypes.create_string_buffer(n.value + 1)
    _lib.dg_last_error(buf, len(buf), None)
    return buf.value.decode("utf-8", "replace")


class DialguardError(Exception):
    """A call failed: `status` (e.g. "invalid_number"), `code`, `message`, and for checks
    the fail-closed `decision` (always a deny)."""

    def __init__(self, code, message, decision=None):
        self.code = code
        self.status = _lib.dg_status_name(code).decode()
        self.message = message
        self.decision = decision
        super().__init__(f"{self.status}: {message}")


def _enc(s):
    return None if s is None else s.encode("utf-8")


class Guard:
    """An open guard (dg_guard). Close it with close() or use it as a context manager.

    state_dir: directory of the durable history journal (None: in memory).
    redis_url: a Redis server holding the history shared by every dialer server
    ("redis://127.0.0.1:6379"); replaces the policy's [cluster] redis, keeping its
    other [cluster] keys (docs/cluster.md). None: as the policy says.
    fsync: with state_dir, when journal writes reach the disk: None or "record" (every
    record, the default), "never", or an int delay in milliseconds.
    """

    def __init__(self, policy_path, state_dir=None, redis_url=None, fsync=None):
        self._h = None
        code, ms = _fsync(fsync)
        opts = _OpenOptions(
            ctypes.sizeof(_OpenOptions),
            _enc(str(policy_path)),
            _enc(None if state_dir is None else str(state_dir)),
            _enc(redis_url),
            code,
            ms,
        )
        h = ctypes.c_void_p()
        st = _lib.dg_guard_open_with(ctypes.byref(opts), ctypes.byref(h))
        if st != OK:
            raise DialguardError(st, _last_error())
        self._h = h

    def close(self):
        if self._h is not None:
            st = _lib.dg_guard_close(self._h)
            self._h = None
            if st != OK:
                raise DialguardError(st, _last_error())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _handle(self):
        # A closed Guard passes NULL: the library reports null_parameter, never crashes.
        return self._h

    @staticmethod
    def _ctx(now_ms=0, campaign=None, subject=None, caller_id=None, caller_id_e164=0,
             purpose="sales", mode="predictive"):
        return _Context(
            now_ms, _enc(campaign), _enc(subject), _enc(caller_id), caller_id_e164,
            PURPOSES[purpose] if isinstance(purpose, str) else purpose,
            MODES[mode] if isinstance(mode, str) else mode,
        )

    def _decision(self, d):
        rule = None
        if d.rule != RULE_NONE:
            rule = self.rule_name(d.rule)
        return Decision(
            _lib.dg_verdict_name(d.verdict).decode(),
            _lib.dg_reason_name(d.reason).decode(),
            rule,
            d.until_unix_ms,
            d.constraints,
            d.policy_version,
        )

    def _checked(self, st, d):
        if st != OK:
            raise DialguardError(st, _last_error(), self._decision(d))
        return self._decision(d)

    def check(self, number, **ctx):
        """Checks a number given as text. Keyword arguments: now_ms (0 = now), campaign,
        subject, caller_id (text) or caller_id_e164 (int), purpose, mode."""
        d = _Decision()
        st = _lib.dg_check(self._handle(), _enc(number), ctypes.byref(self._ctx(**ctx)),
                           ctypes.byref(d))
        return self._checked(st, d)

    def check_e164(self, digits, **ctx):
        """Checks a number given as E.164 digits (int)."""
        d = _Decision()
        st = _lib.dg_check_e164(self._handle(), digits, ctypes.byref(self._ctx(**ctx)),
                                ctypes.byref(d))
        return self._checked(st, d)

    def check_batch(self, digits, **ctx):
        """Checks a list of E.164 digit numbers; returns one Decision per number."""
        n = len(digits)
        nums = (ctypes.c_uint64 * n)(*digits)
        out = (_Decision * n)()
        st = _lib.dg_check_batch(self._handle(), nums, n, ctypes.byref(self._ctx(**ctx)), out)
        if st != OK:
            raise DialguardError(st, _last_error())
        return [self._decision(d) for d in out]

    def check_and_reserve(self, number, **ctx):
        """Decides and reserves the attempt when allowed: returns (Decision, attempt id)."""
        d = _Decision()
        attempt = ctypes.c_uint64(0)
        st = _lib.dg_check_and_reserve(self._handle(), _enc(number),
                                       ctypes.byref(self._ctx(**ctx)), ctypes.byref(d),
                                       ctypes.byref(attempt))
        return self._checked(st, d), attempt.value

    def record_outcome(self, number, outcome, attempt=0, **ctx):
        """Records an outcome ("busy", "abandoned", ...); returns the event's attempt id."""
        out = ctypes.c_uint64(0)
        code = OUTCOMES[outcome] if isinstance(outcome, str) else outcome
        st = _lib.dg_record_outcome(self._handle(), _enc(number), attempt, code,
                                    ctypes.byref(self._ctx(**ctx)), ctypes.byref(out))
        if st != OK:
            raise DialguardError(st, _last_error())
        return out.value

    def opt_out(self, number, at_ms=0):
        st = _lib.dg_opt_out(self._handle(), _enc(number), at_ms)
        if st != OK:
            raise DialguardError(st, _last_error())

    def reload(self, policy_path):
        st = _lib.dg_guard_reload(self._handle(), _enc(str(policy_path)))
        if st != OK:
            raise DialguardError(st, _last_error())

    @property
    def policy_version(self):
        return _lib.dg_policy_version(self._handle())

    def rule_name(self, rule):
        n = ctypes.c_size_t(0)
        buf = ctypes.create_string_buffer(128)
        st = _lib.dg_rule_name(self._handle(), rule, buf, len(buf), ctypes.byref(n))
        if st == 7010:  # buffer too small: retry with the size the library asked for
            buf = ctypes.create_string_buffer(n.value + 1)
            st = _lib.dg_rule_name(self._handle(), rule, buf, len(buf), ctypes.byref(n))
        if st != OK:
            raise DialguardError(st, _last_error())
        return buf.value.decode()
