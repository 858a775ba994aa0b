"""Tests of the ctypes binding against the real library (run by tests/ffi_python.rs).
Needs DIALGUARD_POLICY (policies/it/policy.toml) and the library (DIALGUARD_LIB, or one
bundled in an installed package). With DIALGUARD_TEST_INSTALLED=1 they test the installed
package (a venv's); otherwise the source tree beside them (python/dialguard)."""

import os
import sys
import tempfile
import threading
import time
import unittest

if os.environ.get("DIALGUARD_TEST_INSTALLED") != "1":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import dialguard  # noqa: E402
from dialguard import Decision, DialguardError, Guard  # noqa: E402

POLICY = os.environ["DIALGUARD_POLICY"]
FRI_10_ROME_MS = 1795770000000   # 2026-11-27T10:00:00+01:00
SAT_1930_ROME_MS = 1795890600000  # 2026-11-28T19:30:00+01:00
MON_09_ROME_MS = 1796025600000    # 2026-11-30T09:00:00+01:00
CTX = dict(now_ms=FRI_10_ROME_MS, campaign="winter-offers", caller_id="+39 02 9999 0000")


class GuardTest(unittest.TestCase):
    def setUp(self):
        self.g = Guard(POLICY)
        self.v = self.g.policy_version

    def tearDown(self):
        self.g.close()

    def test_version(self):
        self.assertEqual(dialguard.version(), "0.1.0")
        self.assertNotEqual(self.v, 0)

    def test_decisions(self):
        v = self.v
        self.assertEqual(self.g.check("02 5555 1234", **CTX), Decision("allow", "none", None, 0, 0, v))
        self.assertEqual(self.g.check("02 1234 5678", **CTX), Decision("deny", "registry", "rpo", 0, 0, v))
        self.assertEqual(self.g.check("02 8765 4321", **CTX),
                         Decision("deny", "optout", "internal-optout", 0, 0, v))
        sat = dict(CTX, now_ms=SAT_1930_ROME_MS)
        self.assertEqual(self.g.check("02 5555 1234", **sat),
                         Decision("defer", "outside_window", "it-code-hours", MON_09_ROME_MS, 0, v))
        no_cli = dict(CTX, caller_id=None)
        self.assertEqual(self.g.check_e164(390255551234, **no_cli).reason, "caller_id")
        self.assertEqual(self.g.check_e164(390212345678, caller_id_e164=390299990000,
                                           now_ms=FRI_10_ROME_MS),
                         Decision("deny", "registry", "rpo", 0, 0, v))

    def test_batch(self):
        got = self.g.check_batch([390255551234, 0, 390212345678], **CTX)
        self.assertEqual([(d.verdict, d.reason) for d in got],
                         [("allow", "none"), ("deny", "invalid_number"), ("deny", "registry")])

    def test_errors_fail_closed(self):
        with self.assertRaises(DialguardError) as e:
            self.g.check("12", **CTX)
        self.assertEqual(e.exception.status, "invalid_number")
        self.assertEqual(e.exception.code, 7003)
        self.assertEqual(e.exception.decision, Decision("deny", "invalid_number", None, 0, 0, 0))
        self.assertEqual(e.exception.message,
                         'dg_check: `number` "12" is not a dialable number: too short: '
                         "2 digits after calling code +39; at least 6 expected")
        with self.assertRaises(DialguardError) as e:
            self.g.check("02 5555 1234", **dict(CTX, purpose=7))
        self.assertEqual((e.exception.status, e.exception.decision.verdict),
                         ("invalid_argument", "deny"))
        with self.assertRaises(DialguardError) as e:
            self.g.check("1" * 65, **CTX)
        self.assertEqual(e.exception.status, "too_long")
        with self.assertRaises(DialguardError) as e:
            Guard("/nonexistent/policy.toml")
        self.assertEqual(e.exception.status, "policy_error")

    def test_invalid_numbers_raise_in_every_call(self):
        # As the C ABI returns a status, never a decision, for a number it cannot read.
        calls = [
            lambda n: self.g.check(n, **CTX),
            lambda n: self.g.check_and_reserve(n, **CTX),
            lambda n: self.g.record_outcome(n, "busy", **CTX),
            lambda n: self.g.opt_out(n, at_ms=FRI_10_ROME_MS),
        ]
        for call in calls:
            for bad in ["12", "", "abc", "+39 1234567"]:
                with self.assertRaises(DialguardError) as e:
                    call(bad)
                self.assertEqual((e.exception.status, e.exception.code), ("invalid_number", 7003))
        for bad in [0, 10**15]:
            with self.assertRaises(DialguardError) as e:
                self.g.check_e164(bad, **CTX)
            self.assertEqual(e.exception.status, "invalid_number")
            self.assertEqual(e.exception.decision.reason, "invalid_number")

    def test_library_path(self):
        # DIALGUARD_LIB wins; without it an installed package loads the one it bundles.
        want = os.environ.get("DIALGUARD_LIB")
        if want:
            self.assertEqual(dialguard.LIBRARY_PATH, want)
        else:
            self.assertEqual(os.path.dirname(dialguard.LIBRARY_PATH),
                             os.path.dirname(os.path.abspath(dialguard.__file__)))

    def test_reserve_outcome_and_opt_out(self):
        d, attempt = self.g.check_and_reserve("02 5555 7777", **CTX)
        self.assertEqual((d.verdict, d.reason), ("allow", "none"))
        self.assertNotEqual(attempt, 0)
        self.assertEqual(self.g.record_outcome("02 5555 7777", "busy", attempt, **CTX), attempt)
        self.g.opt_out("02 5555 8888", at_ms=FRI_10_ROME_MS)
        self.assertEqual(self.g.check("02 5555 8888", **CTX).reason, "optout")
        # A silent call: no recall for 5 days in any mode, then only with an agent (Garante
        # 2014): predictive is denied, preview deferred to the end of the 5 days.
        self.g.record_outcome("02 5555 9999", "abandoned", **CTX)
        d = self.g.check("02 5555 9999", **dict(CTX, now_ms=FRI_10_ROME_MS + 3600_000))
        self.assertEqual((d.verdict, d.reason, d.rule), ("deny", "cooloff", "it-silent-call"))
        d = self.g.check("02 5555 9999", **dict(CTX, now_ms=FRI_10_ROME_MS + 3600_000, mode="preview"))
        self.assertEqual((d.verdict, d.reason, d.rule), ("defer", "cooloff", "it-silent-call"))

    def test_threads_share_a_guard(self):
        results = []

        def work():
            results.append(sum(self.g.check_e164(390255550000 + i, **CTX).verdict == "allow"
                               for i in range(200)))

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [200, 200, 200, 200])

    def test_open_options(self):
        # fsync never, journaled: the opt-out is there for a guard reopened on the directory.
        with tempfile.TemporaryDirectory() as state:
            with Guard(POLICY, state_dir=state, fsync="never") as g:
                g.opt_out("02 5555 4321", at_ms=FRI_10_ROME_MS)
            with Guard(POLICY, state_dir=state, fsync=50) as g:
                self.assertEqual(g.check("02 5555 4321", **CTX).reason, "optout")
        for bad in ("sometimes", 0, -1, True, 1 << 32, 1.5):
            with self.assertRaises(ValueError):
                Guard(POLICY, fsync=bad)
        # The URL reaches the library: one [cluster] refuses is a policy error.
        with self.assertRaises(DialguardError) as e:
            Guard(POLICY, redis_url="http://127.0.0.1:1")
        self.assertEqual(e.exception.status, "policy_error")
        self.assertIn("[cluster] redis", e.exception.message)

    def test_shared_store(self):
        # Two guards on one Redis (tests/ffi_python.rs starts a private server): an
        # opt-out through one is denied by the other, and by a guard opened later.
        url = os.environ.get("DIALGUARD_TEST_REDIS_URL")
        if not url:
            return  # no redis-server outside CI: tests/ffi_python.rs said so loudly
        with Guard(POLICY, redis_url=url) as a, Guard(POLICY, redis_url=url) as b:
            self.assertEqual(b.check("02 5555 6543", **CTX).verdict, "allow")
            a.opt_out("02 5555 6543", at_ms=FRI_10_ROME_MS)
            end = time.monotonic() + 5
            while b.check("02 5555 6543", **CTX).reason != "optout":
                self.assertLess(time.monotonic(), end, "the other guard never saw it")
                time.sleep(0.005)
        with Guard(POLICY, redis_url=url) as c:
            self.assertEqual(c.check("02 5555 6543", **CTX).reason, "optout")

    def test_closed_guard(self):
        g = Guard(POLICY)
        g.close()
        with self.assertRaises(DialguardError) as e:
            g.check("02 5555 1234", **CTX)
        self.assertEqual((e.exception.status, e.exception.decision.verdict),
                         ("null_parameter", "deny"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
