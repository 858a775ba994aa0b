//! Real SIP through Kamailio: integrations/kamailio/serve starts Kamailio 5.6 with the
//! dialguard KEMI script on a free loopback port, a sipp UAS plays the carrier and a sipp
//! UAC the dialer, one INVITE per line of a CSV (one at a time, `-l 1`, so the cap, the
//! cool-offs and the opt-out recorded mid-run apply in order). It asserts the answer to
//! every INVITE (code, Retry-After, Warning) and that the carrier received exactly the
//! allowed calls. "Now" is pinned with DIALGUARD_NOW_MS (test-only). Needs kamailio,
//! kamailio-python3-modules and sipp (Debian `sip-tester`): without them it fails when `CI`
//! is set and skips loudly otherwise (.ci/run installs them). About 3 s; every process is
//! stopped on Drop.

mod common;

use std::fs::File;
use std::io::Read;
use std::net::UdpSocket;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Friday 2026-11-27 09:59:58.5 Rome: inside the Italian hours, and half a second off a
/// whole second, so each Retry-After shows the rounding up.
const NOW_MS: &str = "1795769998500";
const NO_HDR: &str = "X-Note: none";
const PAI_OK: &str = "P-Asserted-Identity: <sip:+390299990000@127.0.0.1>";
const DECLARED: &str = "+390299990000";

/// One dialer call: Request-URI user, From user, what the carrier does, a header line
/// for the BYE (or CANCEL), dialing mode, a header line for the INVITE, whether the dialer
/// cancels once it rings ("cancel" | "keep"); then the expected answer:
/// code, Retry-After ("" when absent), Warning text ("" when absent).
struct Call {
    number: &'static str,
    from: &'static str,
    carrier: &'static str,
    bye: &'static str,
    mode: &'static str,
    invite: &'static str,
    after_ring: &'static str,
    code: u16,
    retry: &'static str,
    warning: &'static str,
}

const fn call(number: &'static str, code: u16, retry: &'static str, warning: &'static str) -> Call {
    Call {
        number,
        from: DECLARED,
        carrier: "answer",
        bye: NO_HDR,
        mode: "predictive",
        invite: NO_HDR,
        after_ring: "keep",
        code,
        retry,
        warning,
    }
}

/// The run, in order; integrations/kamailio/test/policy.toml says why each answer is due.
fn calls() -> Vec<Call> {
    vec![
        call("+390255550001", 200, "", ""),
        Call {
            carrier: "busy",
            ..call("0255550002", 486, "", "")
        },
        // The 486 was recorded as busy: a 1 h cool-off from the same instant (rounded up).
        call("0255550002", 480, "3600", "cooloff busy-1h"),
        call("0212345678", 403, "", "registry test-registry"),
        call("0287654321", 403, "", "optout test-optout"),
        call("899123456", 403, "", "suppression test-premium"),
        call("12", 403, "", "invalid_number -"),
        call("+391234567", 403, "", "invalid_number -"),
        // Paris opens at 18:00: 28 801.5 s away, rounded up.
        call("+33123456789", 480, "28802", "outside_window fr-evenings"),
        call("+442079460000", 403, "", "beyond_horizon gb-closed"),
        // Cap of two a day, reached mid-run: the third waits for Saturday's 10:00 opening.
        call("0255550003", 200, "", ""),
        call("0255550003", 200, "", ""),
        call("0255550003", 480, "86402", "cap two-a-day"),
        // The dialer marks the answered call's BYE as an opt-out: refused from then on.
        Call {
            bye: "X-Dialguard-Outcome: opt_out",
            ..call("0255550004", 200, "", "")
        },
        call("0255550004", 403, "", "optout live-optout"),
        // A silent call the dialer marks as abandoned: 2 h cool-off.
        Call {
            bye: "X-Dialguard-Outcome: abandoned",
            ..call("0255550005", 200, "", "")
        },
        call("0255550005", 480, "7200", "cooloff abandoned-2h"),
        // Caller ID from From when there is no P-Asserted-Identity; the PAI wins when set.
        Call {
            from: "+390211111111",
            ..call("0255550006", 403, "", "caller_id declared-cli")
        },
        Call {
            from: "+390211111111",
            invite: PAI_OK,
            ..call("0255550006", 200, "", "")
        },
        Call {
            mode: "robocall",
            ..call("0255550007", 403, "", "invalid_argument X-Dial-Mode")
        },
        // Nobody answers: Kamailio's ring timeout (1 s here) gives 408 in its timer
        // process, which reports the no_answer to the worker; a 30 min cool-off follows.
        Call {
            carrier: "ring",
            ..call("0255550008", 408, "", "")
        },
        call("0255550008", 480, "1800", "cooloff no-answer-30m"),
        // The dialer cancels a ringing call, marking it: the 487 records "machine", not
        // no_answer, so the 4 h cool-off applies (it would be 1800 s otherwise).
        Call {
            carrier: "ring",
            after_ring: "cancel",
            bye: "X-Dialguard-Outcome: machine",
            ..call("0255550009", 487, "", "")
        },
        call("0255550009", 480, "14400", "cooloff machine-4h"),
    ]
}

/// A process group started for the test: SIGTERM to the whole group on Drop (Kamailio's
/// main process stops its children on it), SIGKILL after a grace period.
struct Service {
    child: Child,
    name: &'static str,
}

impl Service {
    fn spawn(name: &'static str, cmd: &mut Command, log: &Path) -> Service {
        let out = File::create(log).expect("log file");
        let err = out.try_clone().expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Service { child, name }
    }

    fn signal(&self, sig: libc::c_int) {
        let pgid = libc::pid_t::try_from(self.child.id()).expect("pid fits pid_t");
        // SAFETY: kill(2) on the process group this test created; no memory involved.
        unsafe { libc::kill(-pgid, sig) };
    }

    /// Waits for the process to exit by itself, up to `limit`.
    fn wait(&mut self, limit: Duration) -> Option<ExitStatus> {
        let end = Instant::now() + limit;
        while Instant::now() < end {
            if let Some(st) = self.child.try_wait().expect("try_wait") {
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            self.signal(libc::SIGTERM);
            if self.wait(Duration::from_secs(3)).is_none() {
                eprintln!("{} did not stop on SIGTERM: killing it", self.name);
            }
        }
        // Stragglers of the group (Kamailio's children) and the leader if still there.
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind a free loopback UDP port");
    s.local_addr().expect("local addr").port()
}

fn read(path: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = File::open(path) {
        f.read_to_string(&mut s).expect("read log");
    }
    s
}

fn have(tool: &str, arg: &str, expect: &str) -> bool {
    Command::new(tool).arg(arg).output().is_ok_and(|o| {
        String::from_utf8_lossy(&o.stdout).contains(expect)
            || String::from_utf8_lossy(&o.stderr).contains(expect)
    })
}

/// app_python3 of Debian's kamailio-python3-modules, wherever the multiarch dir is.
fn have_app_python3() -> bool {
    std::fs::read_dir("/usr/lib").is_ok_and(|dirs| {
        dirs.flatten().any(|d| {
            d.path().join("kamailio/modules/app_python3.so").exists()
                || d.path().join("modules/app_python3.so").exists()
        })
    })
}

fn tools_present() -> bool {
    let missing = [
        (
            have("kamailio", "-v", "kamailio"),
            "kamailio",
            "apt-get install kamailio",
        ),
        (
            have_app_python3(),
            "Kamailio's app_python3",
            "apt-get install kamailio-python3-modules",
        ),
        (
            have("sipp", "-v", "SIPp"),
            "sipp",
            "apt-get install sip-tester",
        ),
    ];
    for (ok, tool, install) in missing {
        if !ok {
            common::missing_tool(tool, "the SIP test through Kamailio", install);
            return false;
        }
    }
    true
}

/// The cdylib cargo built for this run, beside the test binary (as tests/ffi_python.rs).
fn built_lib() -> PathBuf {
    let lib = std::env::current_exe()
        .expect("test binary path")
        .parent()
        .expect("target/<profile>/deps")
        .join("libdialguard.so");
    assert!(lib.exists(), "{} not built", lib.display());
    lib
}

/// Waits until `log` contains `needle`, or panics with the log after `limit`.
fn wait_for_log(svc: &mut Service, log: &Path, needle: &str, limit: Duration) {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if read(log).contains(needle) {
            return;
        }
        if let Some(st) = svc.child.try_wait().expect("try_wait") {
            panic!(
                "{} exited ({st}) before it was ready:\n{}",
                svc.name,
                read(log)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} not ready after {limit:?}:\n{}", svc.name, read(log));
}

/// Starts `serve` with `policy` (in integrations/kamailio/test), and `redis` (a URL) as
/// its REDIS_URL when given; waits until `workers` guards are open.
fn start_kamailio(
    dir: &Path,
    port: u16,
    carrier: u16,
    policy: &str,
    redis: Option<&str>,
    workers: usize,
) -> Service {
    let log = dir.join("kamailio.log");
    let mut cmd = Command::new(Path::new(ROOT).join("integrations/kamailio/serve"));
    cmd.arg(scenario(policy))
        .arg(port.to_string())
        .arg(carrier.to_string());
    if let Some(url) = redis {
        cmd.arg(url).env("DIALGUARD_CHILDREN", workers.to_string());
    }
    let mut k = Service::spawn(
        "kamailio",
        cmd.env("DIALGUARD_LIB", built_lib())
            .env("DIALGUARD_RUN_DIR", dir.join("run"))
            .env("DIALGUARD_NOW_MS", NOW_MS)
            .env("DIALGUARD_FR_INV_TIMER_MS", "1000"),
        &log,
    );
    let end = Instant::now() + Duration::from_secs(20);
    while read(&log).matches("guard open in worker rank").count() < workers {
        assert!(
            Instant::now() < end,
            "{workers} guards not open after 20 s:\n{}",
            read(&log)
        );
        wait_for_log(
            &mut k,
            &log,
            "guard open in worker rank",
            Duration::from_secs(15),
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    k
}

fn scenario(name: &str) -> PathBuf {
    Path::new(ROOT)
        .join("integrations/kamailio/test")
        .join(name)
}

fn write_csv(path: &Path, calls: &[Call]) {
    let mut csv = String::from("SEQUENTIAL\n");
    for c in calls {
        csv.push_str(&format!(
            "{};{};{};{};{};{};{}\n",
            c.number, c.from, c.carrier, c.bye, c.mode, c.invite, c.after_ring
        ));
    }
    std::fs::write(path, csv).expect("write CSV");
}

#[test]
fn kamailio_asks_dialguard_before_every_invite() {
    if !tools_present() {
        return;
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let (proxy, carrier_port, dialer_port) = (free_udp_port(), free_udp_port(), free_udp_port());
    let kamailio = start_kamailio(dir, proxy, carrier_port, "policy.toml", None, 1);
    let carrier_log = dir.join("carrier-calls.log");
    let carrier = Service::spawn(
        "sipp carrier",
        Command::new("sipp")
            .current_dir(dir)
            .arg("-sf")
            .arg(scenario("carrier.xml"))
            .args(["-i", "127.0.0.1", "-p", &carrier_port.to_string()])
            .args(["-nostdin", "-trace_logs", "-log_file"])
            .arg(&carrier_log),
        &dir.join("carrier.out"),
    );
    let calls = calls();
    let csv = dir.join("calls.csv");
    write_csv(&csv, &calls);
    let dialer_log = dir.join("dialer-calls.log");
    let mut dialer = Service::spawn(
        "sipp dialer",
        Command::new("sipp")
            .current_dir(dir)
            .arg(format!("127.0.0.1:{proxy}"))
            .arg("-sf")
            .arg(scenario("dialer.xml"))
            .arg("-inf")
            .arg(&csv)
            .args(["-i", "127.0.0.1", "-p", &dialer_port.to_string()])
            .args(["-m", &calls.len().to_string(), "-l", "1", "-r", "100"])
            .args(["-timeout", "40s", "-timeout_error", "-nostdin"])
            .args(["-trace_logs", "-log_file"])
            .arg(&dialer_log)
            .args(["-trace_err", "-error_file"])
            .arg(dir.join("dialer-errors.log")),
        &dir.join("dialer.out"),
    );
    let status = dialer.wait(Duration::from_secs(45));
    let report = || {
        format!(
            "dialer log:\n{}\ncarrier log:\n{}\ndialer errors:\n{}\nkamailio log (tail):\n{}",
            read(&dialer_log),
            read(&carrier_log),
            read(&dir.join("dialer-errors.log")),
            tail(&read(&dir.join("kamailio.log")), 60)
        )
    };
    let status =
        status.unwrap_or_else(|| panic!("the dialer did not finish in 45 s\n{}", report()));

    let got: Vec<String> = read(&dialer_log).lines().map(str::to_owned).collect();
    let want: Vec<String> = calls
        .iter()
        .map(|c| format!("{}|{}|{}|{}", c.number, c.code, c.retry, c.warning))
        .collect();
    assert_eq!(got, want, "answer per call differs\n{}", report());
    assert!(
        status.success(),
        "sipp dialer exited with {status}\n{}",
        report()
    );

    let relayed: Vec<String> = read(&carrier_log).lines().map(str::to_owned).collect();
    let allowed: Vec<String> = calls
        .iter()
        .filter(|c| matches!(c.code, 200 | 486 | 408 | 487))
        .map(|c| format!("INVITE {}", c.number))
        .collect();
    assert_eq!(
        relayed,
        allowed,
        "the carrier must get exactly the allowed calls\n{}",
        report()
    );

    drop(dialer);
    drop(carrier);
    drop(kamailio);
    let klog = read(&dir.join("kamailio.log"));
    for bad in [
        "Unhandled exception",
        "NOT recorded",
        "unknown call",
        "cannot keep",
    ] {
        assert!(
            !klog.contains(bad),
            "kamailio log has {bad:?}:\n{}",
            tail(&klog, 80)
        );
    }
}

/// Runs a sipp dialer over `calls` through the proxy, `limit` calls at once; returns its
/// log lines sorted (concurrent calls end in any order).
fn dial(dir: &Path, proxy: u16, name: &str, calls: &[Call], limit: usize) -> Vec<String> {
    let csv = dir.join(format!("{name}.csv"));
    write_csv(&csv, calls);
    let log = dir.join(format!("{name}-calls.log"));
    let errors = dir.join(format!("{name}-errors.log"));
    let mut dialer = Service::spawn(
        "sipp dialer",
        Command::new("sipp")
            .current_dir(dir)
            .arg(format!("127.0.0.1:{proxy}"))
            .arg("-sf")
            .arg(scenario("dialer.xml"))
            .arg("-inf")
            .arg(&csv)
            .args(["-i", "127.0.0.1", "-p", &free_udp_port().to_string()])
            .args(["-m", &calls.len().to_string(), "-l", &limit.to_string()])
            .args(["-r", "50", "-timeout", "40s", "-timeout_error", "-nostdin"])
            .args(["-trace_logs", "-log_file"])
            .arg(&log)
            .args(["-trace_err", "-error_file"])
            .arg(&errors),
        &dir.join(format!("{name}.out")),
    );
    let status = dialer.wait(Duration::from_secs(45));
    let report = format!(
        "dialer log:\n{}\ndialer errors:\n{}\nkamailio log (tail):\n{}",
        read(&log),
        read(&errors),
        tail(&read(&dir.join("kamailio.log")), 60)
    );
    let status = status.unwrap_or_else(|| panic!("{name} did not finish in 45 s\n{report}"));
    assert!(status.success(), "{name} exited with {status}\n{report}");
    let mut got: Vec<String> = read(&log).lines().map(str::to_owned).collect();
    got.sort();
    got
}

/// Four Kamailio workers, each with its own guard on one private Redis: eight INVITEs
/// for one number at once (`-l 8`) under a cap of three a day reach the carrier exactly
/// three times, the others get 480 with the cap's Retry-After; an opt-out recorded
/// through one worker (the BYE's mark) is denied by all of them. With per-worker
/// histories each worker would admit three. About 5 s; every process stopped on Drop.
#[test]
fn kamailio_workers_share_caps_and_opt_outs_through_redis() {
    if !tools_present() {
        return;
    }
    let Some(redis) = common::redis::start("sip_kamailio::workers_share_through_redis") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let (proxy, carrier_port) = (free_udp_port(), free_udp_port());
    let url = redis.url();
    let kamailio = start_kamailio(dir, proxy, carrier_port, "redis-policy.toml", Some(&url), 4);
    let carrier_log = dir.join("carrier-calls.log");
    let carrier = Service::spawn(
        "sipp carrier",
        Command::new("sipp")
            .current_dir(dir)
            .arg("-sf")
            .arg(scenario("carrier.xml"))
            .args(["-i", "127.0.0.1", "-p", &carrier_port.to_string()])
            .args(["-nostdin", "-trace_logs", "-log_file"])
            .arg(&carrier_log),
        &dir.join("carrier.out"),
    );

    let opt_out = Call {
        bye: "X-Dialguard-Outcome: opt_out",
        ..call("0255550004", 200, "", "")
    };
    assert_eq!(
        dial(dir, proxy, "optout", &[opt_out], 1),
        ["0255550004|200||"]
    );
    // The other workers learn the opt-out from Redis's stream (milliseconds); until then
    // they would still allow it, so give them a moment rather than race them.
    std::thread::sleep(Duration::from_millis(500));

    let mut calls: Vec<Call> = (0..8).map(|_| call("0255550003", 0, "", "")).collect();
    calls.extend((0..8).map(|_| call("0255550004", 0, "", "")));
    let got = dial(dir, proxy, "burst", &calls, 8);
    let mut want: Vec<String> = Vec::new();
    want.extend((0..3).map(|_| "0255550003|200||".to_owned()));
    want.extend((0..5).map(|_| "0255550003|480|86402|cap three-a-day".to_owned()));
    want.extend((0..8).map(|_| "0255550004|403||optout live-optout".to_owned()));
    want.sort();
    assert_eq!(
        got,
        want,
        "kamailio log:\n{}",
        tail(&read(&dir.join("kamailio.log")), 60)
    );

    let relayed: Vec<String> = read(&carrier_log).lines().map(str::to_owned).collect();
    let mut expected = vec!["INVITE 0255550004".to_owned()];
    expected.extend((0..3).map(|_| "INVITE 0255550003".to_owned()));
    assert_eq!(
        relayed, expected,
        "the carrier must get exactly the allowed calls"
    );

    drop(carrier);
    drop(kamailio);
    let klog = read(&dir.join("kamailio.log"));
    assert_eq!(
        klog.matches("guard open in worker rank").count(),
        4,
        "{}",
        tail(&klog, 40)
    );
    for bad in [
        "Unhandled exception",
        "NOT recorded",
        "unknown call",
        "cannot keep",
    ] {
        assert!(
            !klog.contains(bad),
            "kamailio log has {bad:?}:\n{}",
            tail(&klog, 80)
        );
    }
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// `serve` checks its arguments before it starts anything (no Kamailio needed): a bad
/// port, a missing policy, several workers without a shared history, and a bad worker
/// count each stop it with a message saying what to do.
#[test]
fn serve_rejects_bad_arguments() {
    let serve = Path::new(ROOT).join("integrations/kamailio/serve");
    let policy = format!("{ROOT}/integrations/kamailio/test/policy.toml");
    for (args, want) in [
        (vec![policy.as_str(), "5060"], "usage:"),
        (
            vec![policy.as_str(), "50x", "5070"],
            "port '50x' is not a number in 1-65535",
        ),
        (
            vec![policy.as_str(), "5060", "70000"],
            "port '70000' is not a number in 1-65535",
        ),
        (vec!["/nonexistent.toml", "5060", "5070"], "no such file"),
    ] {
        let out = Command::new(&serve)
            .args(&args)
            .env_remove("DIALGUARD_CHILDREN")
            .output()
            .expect("run serve");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
    let redis = "redis://127.0.0.1:6379";
    for (args, children, want) in [
        (
            vec![policy.as_str(), "5060", "5070"],
            "4",
            "needs REDIS_URL",
        ),
        (
            vec![policy.as_str(), "5060", "5070", redis],
            "0",
            "not a number of workers",
        ),
        (
            vec![policy.as_str(), "5060", "5070", redis],
            "x",
            "not a number of workers",
        ),
    ] {
        let out = Command::new(&serve)
            .args(&args)
            .env("DIALGUARD_CHILDREN", children)
            .output()
            .expect("run serve");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}
