"""Kamailio KEMI routing script (app_python3): dialguard decides every initial INVITE.

Loaded once by Kamailio's main process (kamailio.cfg, `cfgengine "python"`); each SIP
worker opens the guard once in child_init and keeps it for its life, never per request.

Environment (set by `serve`):
  DIALGUARD_POLICY     policy file (required)
  DIALGUARD_STATE_DIR  contact history directory (":memory:": in memory, lost on restart)
  DIALGUARD_REDIS_URL  Redis server of a history shared by every worker and proxy
                       (docs/cluster.md); replaces the state directory
  DIALGUARD_FSYNC      journal fsync: record (default), never, or a delay in ms
  DIALGUARD_LIB        libdialguard.so (else bundled with the package, else the system's)
  DIALGUARD_TRUSTED    comma-separated source IPs allowed to send outcome reports
                       (default 127.0.0.1)
  DIALGUARD_NOW_MS     TEST ONLY: pins "now" (Unix ms) for every decision and outcome, so
                       tests are deterministic. Never set it in production.
  DIALGUARD_BENCH_BYPASS  BENCH ONLY: "1" relays every INVITE without asking the guard,
                       to measure the guard's cost against the same script (`bench`).

Headers read on an initial INVITE: the number is the Request-URI user part (national
numbers read in the policy's default country); caller ID is the P-Asserted-Identity user,
else the From user; X-Campaign, X-Subject, X-Dial-Mode (predictive | preview | manual,
default predictive), X-Purpose (sales | survey | collection | informational, default
sales). Answers: deny -> 403 Forbidden, defer -> 480 Temporarily Unavailable with
Retry-After, both with `Warning: 399 dialguard "<reason> <rule>"`; allow -> relayed.
Any error -> 403 (bad input) or 500 (internal), with a Warning, never relayed.
"""

import json
import os
import time
import urllib.parse

import KSR  # provided by app_python3

import dialguard
from dialguard import DialguardError, Guard

POLICY = os.environ.get("DIALGUARD_POLICY")
STATE_DIR = os.environ.get("DIALGUARD_STATE_DIR") or None
if STATE_DIR == ":memory:":
    STATE_DIR = None  # history in this process's memory: lost on restart
REDIS_URL = os.environ.get("DIALGUARD_REDIS_URL") or None
if REDIS_URL:
    STATE_DIR = None  # the shared store holds the history
FSYNC = os.environ.get("DIALGUARD_FSYNC") or None
if FSYNC is not None and FSYNC.isdigit():
    FSYNC = int(FSYNC)
NOW_MS = os.environ.get("DIALGUARD_NOW_MS")
if NOW_MS is not None and not NOW_MS.isdigit():
    # Raised at load: Kamailio does not start, rather than decide at a wrong instant.
    raise ValueError("DIALGUARD_NOW_MS=%r: give Unix milliseconds (digits), or unset it"
                     % NOW_MS)
BYPASS = os.environ.get("DIALGUARD_BENCH_BYPASS") == "1"
TRUSTED = {ip.strip() for ip in os.environ.get("DIALGUARD_TRUSTED", "127.0.0.1").split(",")}
HTABLE = "dgcalls"

# Final responses of relayed calls -> outcomes. 487: the dialer cancelled while it rang,
# i.e. nobody answered. Other codes (404, 5xx, ...) record nothing beyond the reserved
# attempt, which still counts for caps.
OUTCOME_BY_CODE = {486: "busy", 600: "busy", 408: "no_answer", 480: "no_answer",
                   487: "no_answer", 603: "refused"}

# This process's guard: opened in child_init by SIP workers only.
_guard = None


def mod_init():
    if not POLICY:
        KSR.err("dialguard: DIALGUARD_POLICY is not set: start Kamailio with "
                "integrations/kamailio/serve POLICY LISTEN_PORT NEXT_HOP_PORT\n")
    return Router()


def _now_ms():
    return int(NOW_MS) if NOW_MS else time.time_ns() // 1_000_000


def _pv(spec):
    v = KSR.pv.get(spec)
    return None if v is None or v == "" else str(v)


# One PV spec for every key: Kamailio caches each distinct spec text for the life of the
# process, so a Call-ID spelled into the spec would grow that cache with every call.
_KEY = "$var(dg_callid)"
_ITEM = "$sht(%s=>$var(dg_callid))" % HTABLE


def _get_call(callid):
    """The reservation kept for `callid` (a dict), or None."""
    if not callid:
        return None
    KSR.pv.sets(_KEY, callid)
    raw = _pv(_ITEM)
    return json.loads(raw) if raw else None


def _put_call(callid, call):
    """Keeps the reservation of `callid`; False when Kamailio could not store it."""
    value = json.dumps(call)
    KSR.pv.sets(_KEY, callid)
    KSR.pv.sets(_ITEM, value)
    if _pv(_ITEM) != value:
        KSR.err("dialguard: cannot keep the state of call %s: Kamailio's shared memory is "
                "full (raise kamailio -m)\n" % callid)
        return False
    return True


def _warning(reason, rule):
    return 'Warning: 399 dialguard "%s %s"\r\n' % (reason, rule or "-")


def _refuse(code, text, reason, rule, retry_after=None):
    if retry_after is not None:
        KSR.hdr.append_to_reply("Retry-After: %d\r\n" % retry_after)
    KSR.hdr.append_to_reply(_warning(reason, rule))
    KSR.sl.sl_send_reply(code, text)
    return 1


def _retry_after(until_ms, now_ms):
    # Whole seconds until the allowed instant, rounded up (never 0: "now" is not allowed).
    return max(1, -((now_ms - until_ms) // 1000))


def _where():
    """Where the history lives, for log lines (no password: the library redacts its own
    messages, this one names the host only)."""
    if REDIS_URL:
        return "shared store redis://%s" % REDIS_URL.rsplit("@", 1)[-1].split("://", 1)[-1]
    return "state dir %s" % (STATE_DIR or "in memory")


class Router:
    def child_init(self, rank):
        global _guard
        # rank > 0: SIP workers (127 is the RPC pseudo-worker). Timer and main processes
        # never decide, so they never hold the state directory's lock.
        if rank <= 0 or rank == 127 or _guard is not None or BYPASS:
            return 0
        try:
            _guard = Guard(POLICY, STATE_DIR, redis_url=REDIS_URL, fsync=FSYNC)
        except (DialguardError, OSError, TypeError, ValueError) as e:
            KSR.err("dialguard: cannot open the guard (policy %s, %s): %s\n"
                    % (POLICY, _where(), e))
            return -1  # Kamailio stops: better no proxy than an unguarded one
        KSR.info("dialguard %s: guard open in worker rank %d (policy %s, %s)\n"
                 % (dialguard.version(), rank, POLICY, _where()))
        return 0

    # -- requests ---------------------------------------------------------------------

    def ksr_request_route(self, msg):
        if KSR.maxfwd.process_maxfwd(10) < 0:
            KSR.sl.sl_send_reply(483, "Too Many Hops")
            return 1
        if KSR.is_CANCEL():
            self._mark_from_header()
            if KSR.tm.t_check_trans() > 0:
                KSR.tm.t_relay()
            return 1
        if not KSR.is_ACK():
            if KSR.tmx.t_precheck_trans() > 0:
                KSR.tm.t_check_trans()
                return 1
            if KSR.tm.t_check_trans() == 0:
                return 1
        if KSR.siputils.has_totag() > 0:
            return self._in_dialog()
        if KSR.is_ACK():
            # An ACK of a relayed final response: t_check_trans above forwarded it.
            return 1
        if KSR.is_method("MESSAGE") and _pv("$hdr(X-Dialguard-Outcome)"):
            return self._outcome_report()
        if KSR.is_INVITE():
            return self._initial_invite()
        if KSR.is_OPTIONS() and not _pv("$rU"):
            KSR.sl.sl_send_reply(200, "OK")  # keepalive to the proxy itself
            return 1
        KSR.hdr.append_to_reply("Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n")
        KSR.sl.sl_send_reply(405, "Method Not Allowed")
        return 1

    def _in_dialog(self):
        if KSR.rr.loose_route() < 0:
            # An ACK of a non-2xx final response has no route set: tm absorbs it.
            if KSR.is_ACK():
                if KSR.tm.t_check_trans() > 0:
                    self._relay()
                return 1
            KSR.sl.sl_send_reply(404, "Not here")
            return 1
        if KSR.is_INVITE():
            # A re-INVITE must belong to a call this proxy allowed: a to-tag and a Route
            # are easy to forge, and would otherwise carry a new call past the guard.
            callid = _pv("$ci")
            call = _get_call(callid)
            if call is None:
                return _refuse(403, "Forbidden", "unknown_dialog", None)
            _put_call(callid, call)  # restarts its expiry
        if KSR.is_BYE():
            self._mark_from_header()
        self._relay()
        return 1

    def _initial_invite(self):
        if BYPASS:
            return self._relay_invite(None)
        try:
            call = self._decide()
        except DialguardError as e:
            # Not a decision: the input (number, caller ID) or the library failed.
            d = e.decision
            reason = d.reason if d is not None else "internal"
            KSR.warn("dialguard: %s [Call-ID %s]\n" % (e, _pv("$ci")))
            if e.status in ("invalid_number", "too_long", "invalid_utf8"):
                return _refuse(403, "Forbidden", reason, None)
            return _refuse(500, "Server Internal Error", reason, None)
        except Exception as e:  # noqa: BLE001 -- fail closed on anything unforeseen
            KSR.err("dialguard: internal error, call refused: %r [Call-ID %s]\n"
                    % (e, _pv("$ci")))
            return _refuse(500, "Server Internal Error", "internal", None)
        # Outside the try: once t_relay has run, nothing may answer the INVITE here.
        return self._relay_invite(call) if call is not None else 1

    def _decide(self):
        """The call to relay (allowed and reserved), or None when it was refused here."""
        if _guard is None:
            _refuse(500, "Server Internal Error", "no_policy", None)
            return None
        number = urllib.parse.unquote(_pv("$rU") or "")
        caller = None
        if KSR.hdr.is_present("P-Asserted-Identity") > 0:
            caller = _pv("$(ai{uri.user})")
        caller = caller or _pv("$fU")
        ctx = dict(
            now_ms=_now_ms(),
            campaign=_pv("$hdr(X-Campaign)"),
            subject=_pv("$hdr(X-Subject)"),
            caller_id=urllib.parse.unquote(caller) if caller else None,
            mode=_pv("$hdr(X-Dial-Mode)") or "predictive",
            purpose=_pv("$hdr(X-Purpose)") or "sales",
        )
        for key, header, names in (("mode", "X-Dial-Mode", dialguard.MODES),
                                   ("purpose", "X-Purpose", dialguard.PURPOSES)):
            if ctx[key] not in names:
                _refuse(403, "Forbidden", "invalid_argument", header)
                return None
        d, attempt = _guard.check_and_reserve(number, **ctx)
        if d.verdict == "allow" and attempt != 0:
            return dict(ctx, number=number, attempt=attempt)
        if d.verdict == "defer":
            _refuse(480, "Temporarily Unavailable", d.reason, d.rule,
                    _retry_after(d.until_ms, ctx["now_ms"]))
        else:
            # deny, an unknown verdict, or an allow without a reservation: never relay.
            _refuse(403, "Forbidden", d.reason, d.rule)
        return None

    def _relay_invite(self, call):
        if call is not None:
            if not _put_call(_pv("$ci"), call):
                # Kamailio's shared memory is full: the call's outcome could not be
                # recorded later (a busy or an opt-out lost), so it is not placed.
                # (logged by _put_call)
                return _refuse(500, "Server Internal Error", "store_unavailable", None)
        KSR.rr.record_route()
        KSR.pv.sets("$du", _pv("$shv(dg_next_hop)"))
        if call is not None:
            KSR.tm.t_on_reply("ksr_onreply_dialguard")
            KSR.tm.t_on_failure("ksr_failure_dialguard")
        if KSR.tm.t_relay() < 0:
            # Not placed: the reservation stays (restrictive); tell the dialer.
            KSR.sl.sl_reply_error()
        return 1

    def _relay(self):
        if KSR.tm.t_relay() < 0:
            KSR.sl.sl_reply_error()

    # app_python3 looks these up on every reply and sent request.
    def ksr_reply_route(self, msg):
        return 1

    def ksr_onsend_route(self, msg):
        return 1

    # -- outcomes -----------------------------------------------------------------------

    def ksr_onreply_dialguard(self, msg):
        code = KSR.pv.get("$rs")
        if code is not None and 200 <= int(code) < 300 and KSR.is_method("INVITE"):
            self._record(_pv("$ci"), "answered", final=True)
        return 1

    def ksr_failure_dialguard(self, msg):
        code = int(KSR.pv.get("$T_reply_code") or 0)
        callid = _pv("$ci")
        call = self._call(callid)
        outcome = (call or {}).get("mark") or OUTCOME_BY_CODE.get(code)
        if outcome is not None:
            if _guard is None:
                # A local timeout runs here in a timer process, which holds no guard:
                # hand the outcome to the worker as an outcome report (MESSAGE to self).
                self._report_to_worker(callid, outcome)
            else:
                self._record(callid, outcome, final=True)
        return 1

    def _call(self, callid):
        return _get_call(callid)

    def _record(self, callid, outcome, final=False):
        """Records `outcome` on the reserved attempt of the call `callid`; the final
        response's outcome once only (a 200 is retransmitted until ACKed)."""
        call = self._call(callid)
        if call is None or _guard is None:
            KSR.warn("dialguard: outcome %s for unknown call %s not recorded\n"
                     % (outcome, callid))
            return False
        if final and call.get("final"):
            return True
        try:
            _guard.record_outcome(call["number"], outcome, call["attempt"],
                                  now_ms=_now_ms(), campaign=call["campaign"],
                                  subject=call["subject"], caller_id=call["caller_id"],
                                  mode=call["mode"], purpose=call["purpose"])
        except DialguardError as e:
            KSR.err("dialguard: outcome %s of call %s NOT recorded: %s\n"
                    % (outcome, callid, e))
            return False
        if final:
            call["final"] = outcome
            _put_call(callid, call)
        return True

    def _mark_from_header(self):
        """A CANCEL or BYE marked by the dialer (`X-Dialguard-Outcome: abandoned`, ...)."""
        outcome = _pv("$hdr(X-Dialguard-Outcome)")
        if outcome is None:
            return
        KSR.hdr.remove("X-Dialguard-Outcome")
        callid = _pv("$ci")
        if outcome not in dialguard.OUTCOMES:
            KSR.warn("dialguard: unknown X-Dialguard-Outcome %r on call %s\n"
                     % (outcome, callid))
            return
        if KSR.is_CANCEL():
            # The INVITE's 487 comes later: its failure route records the mark.
            call = self._call(callid)
            if call is not None:
                call["mark"] = outcome
                _put_call(callid, call)
            return
        self._record(callid, outcome)

    def _outcome_report(self):
        """MESSAGE with X-Dialguard-Outcome and X-Dialguard-Call-ID: the outcome of a call
        relayed earlier, from the dialer (or from this proxy's own timer process)."""
        if _pv("$si") not in TRUSTED:
            return _refuse(403, "Forbidden", "untrusted_report", _pv("$si"))
        outcome = _pv("$hdr(X-Dialguard-Outcome)")
        callid = _pv("$hdr(X-Dialguard-Call-ID)")
        if outcome not in dialguard.OUTCOMES or not callid:
            KSR.sl.sl_send_reply(400, "Bad Outcome Report")
            return 1
        if self._record(callid, outcome, final=_pv("$hdr(X-Dialguard-Final)") == "yes"):
            KSR.sl.sl_send_reply(200, "Recorded")
        else:
            KSR.sl.sl_send_reply(404, "Unknown Call")
        return 1

    def _report_to_worker(self, callid, outcome):
        me = _pv("$shv(dg_self)")
        KSR.pv.sets("$uac_req(method)", "MESSAGE")
        KSR.pv.sets("$uac_req(ruri)", me)
        KSR.pv.sets("$uac_req(turi)", me)
        KSR.pv.sets("$uac_req(furi)", me)
        KSR.pv.sets("$uac_req(hdrs)", "X-Dialguard-Outcome: %s\r\nX-Dialguard-Call-ID: %s\r\n"
                    "X-Dialguard-Final: yes\r\n" % (outcome, callid))
        if KSR.uac.uac_req_send() < 0:
            KSR.err("dialguard: outcome %s of call %s NOT recorded: cannot report it to "
                    "the worker\n" % (outcome, callid))
