//! A real PostgreSQL server for tests: Debian's `postgresql` package, a cluster made by
//! `initdb` in a temporary directory, listening on 127.0.0.1 only, stopped when dropped.
//! Run as the `postgres` user when the tests run as root (PostgreSQL refuses root).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct TestPostgres {
    pub url: String,
    child: Child,
    data: PathBuf,
    bin: PathBuf,
    _dir: tempfile::TempDir,
}

/// The directory of PostgreSQL's server programs: Debian keeps them out of PATH.
fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> =
        std::fs::read_dir("/usr/lib/postgresql").into_iter().flatten().flatten().map(|e| e.path().join("bin")).filter(|b| b.join("initdb").exists()).collect();
    found.sort();
    found.pop().unwrap_or_else(|| panic!("PostgreSQL's server is not installed: apt-get install postgresql (.ci/run installs it)"))
}

fn as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `program args…`, as the `postgres` user when we are root.
fn command(program: &Path) -> Command {
    if as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl TestPostgres {
    pub fn start() -> TestPostgres {
        let bin = bin_dir();
        let dir = tempfile::Builder::new().prefix("orient-pg").tempdir().unwrap();
        let data = dir.path().join("data");
        if as_root() {
            let status = Command::new("chown").args(["-R", "postgres:"]).arg(dir.path()).status().unwrap();
            assert!(status.success(), "chown of the test cluster's directory failed");
        }
        let out = command(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .unwrap_or_else(|e| panic!("initdb: {e}"));
        assert!(out.status.success(), "initdb failed: {}", String::from_utf8_lossy(&out.stderr));
        let port = free_port();
        let child = command(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .arg("-k")
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        let pg = TestPostgres { url, child, data, bin, _dir: dir };
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(t.elapsed() < Duration::from_secs(60), "PostgreSQL did not start in 60 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        // Accepting connections is not yet accepting queries ("the database system is starting up").
        loop {
            match crate::open(&crate::Location::Postgres(pg.url.clone())) {
                Ok(_) => break,
                Err(e) => {
                    assert!(t.elapsed() < Duration::from_secs(60), "PostgreSQL not ready in 60 s: {e}");
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
        pg
    }

    pub fn location(&self) -> crate::Location {
        crate::Location::Postgres(self.url.clone())
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // Immediate: a test cluster needs no checkpoint.
        let stopped = command(&self.bin.join("pg_ctl")).args(["stop", "-m", "immediate", "-D"]).arg(&self.data).output();
        if !stopped.is_ok_and(|o| o.status.success()) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
