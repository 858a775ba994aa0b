//! A private `redis-server` for one test: a free loopback port, its own temporary data
//! directory, no RDB snapshots and an append-only file synced on every write (so a
//! restart keeps everything acknowledged); killed when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running private server; `kill` and `restart` simulate a crash on the same port and
/// data directory.
pub struct RedisServer {
    child: Option<Child>,
    /// The loopback port it listens on.
    pub port: u16,
    dir: tempfile::TempDir,
    /// Extra arguments (TLS, a password), kept for restarts.
    extra: Vec<String>,
}

/// Starts a server, or returns `None` (after `missing_tool`) when redis-server is absent.
pub fn start(check: &str) -> Option<RedisServer> {
    let found = Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        super::missing_tool("redis-server", check, "apt-get install redis-server");
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir for redis-server");
    let port = free_port();
    let mut s = RedisServer {
        child: None,
        port,
        dir,
        extra: Vec::new(),
    };
    s.restart();
    Some(s)
}

/// A server that only speaks TLS (certificate for IP 127.0.0.1 signed by a test CA made
/// here with openssl, `ca.crt` in its directory) and requires `password`. `None` (after
/// `missing_tool`) when redis-server or openssl is absent.
pub fn start_tls(check: &str, password: &str) -> Option<RedisServer> {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        super::missing_tool("openssl", check, "apt-get install openssl");
        return None;
    }
    let mut s = start(check)?;
    let d = s.dir();
    let ssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&d)
            .output()
            .expect("run openssl");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=dialguard test CA",
    ]);
    ssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "srv.key",
        "-out",
        "srv.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(d.join("ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    ssl(&[
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.crt",
        "-days",
        "2",
        "-extfile",
        "ext",
    ]);
    let path = |f: &str| d.join(f).to_string_lossy().into_owned();
    s.extra = vec![
        "--tls-port".into(),
        s.port.to_string(),
        "--port".into(),
        "0".into(),
        "--tls-cert-file".into(),
        path("srv.crt"),
        "--tls-key-file".into(),
        path("srv.key"),
        "--tls-ca-cert-file".into(),
        path("ca.crt"),
        "--tls-auth-clients".into(),
        "no".into(),
        "--requirepass".into(),
        password.into(),
    ];
    s.restart();
    Some(s)
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    l.local_addr().expect("local addr").port()
}

impl RedisServer {
    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The data directory (holds the append-only file).
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// Kills the server (SIGKILL: a crash, no shutdown save) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// (Re)starts on the same port and directory; waits until it answers (≤ 10 s).
    pub fn restart(&mut self) {
        self.kill();
        // A fresh log per start: readiness is read from it for TLS servers.
        let _ = std::fs::remove_file(self.dir.path().join("redis.log"));
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(self.dir.path())
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .args(["--protected-mode", "no", "--daemonize", "no"])
            .args(&self.extra)
            .arg("--logfile")
            .arg(self.dir.path().join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.ping() {
                return;
            }
            // A TLS server does not answer plain PING: wait for its log line instead.
            let log = std::fs::read_to_string(self.dir.path().join("redis.log"));
            if !self.extra.is_empty()
                && log.is_ok_and(|l| l.contains("Ready to accept connections"))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let log = std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default();
        panic!(
            "redis-server on port {} did not answer within 10 s; its log:\n{log}",
            self.port
        );
    }

    /// True when the server answers PING (and has loaded its data).
    fn ping(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        if s.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut buf = [0u8; 64];
        matches!(s.read(&mut buf), Ok(n) if buf[..n].starts_with(b"+PONG"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
