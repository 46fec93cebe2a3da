//! What the `orient` binary's tests share: a temporary home on the real models and index, and
//! a real server started on 127.0.0.1:0.
#![allow(dead_code)]

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A temporary home whose models and index are the real ones (linked), so nothing is rebuilt.
pub fn home() -> tempfile::TempDir {
    let real = inference::orient_home();
    let d = tempfile::tempdir().unwrap();
    for sub in ["models", "downloads", "index"] {
        assert!(real.join(sub).exists(), "{} missing: run ./scripts/test.sh", real.join(sub).display());
        std::os::unix::fs::symlink(real.join(sub), d.path().join(sub)).unwrap();
    }
    d
}

/// A temporary home with linked models and its own copy of the index: an embedded shard is
/// opened by one process at a time, and servers stay open for the whole test.
pub fn home_with_own_index() -> tempfile::TempDir {
    let real = inference::orient_home();
    let d = tempfile::tempdir().unwrap();
    for sub in ["models", "downloads"] {
        std::os::unix::fs::symlink(real.join(sub), d.path().join(sub)).unwrap();
    }
    copy_dir(&real.join("index"), &d.path().join("index"));
    d
}

fn copy_dir(from: &Path, to: &Path) {
    assert!(from.exists(), "{} missing: run ./scripts/test.sh", from.display());
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else if e.file_name() != ".lock" {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub const COUNSELLOR_TOKEN: &str = "test-counsellor-token-8d1f";
/// A second counsellor, for claims.
pub const COUNSELLOR_TOKEN_2: &str = "test-counsellor-token-2b7e";
pub const AUDITOR_TOKEN: &str = "test-auditor-token-51ac";
pub const OPERATOR_TOKEN: &str = "test-operator-token-c3e0";

fn digest(t: &str) -> String {
    hex::encode(Sha256::digest(t.as_bytes()))
}

/// `orient serve` on the real models and index, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    pub home: tempfile::TempDir,
    pub agent: ureq::Agent,
}

impl Server {
    /// Start with `[server]` settings added to a configuration that holds the test tokens.
    pub fn start(server_settings: &str) -> Server {
        Self::start_in(home_with_own_index(), server_settings)
    }

    /// The configuration file of a home with `[server]` settings and the test tokens.
    pub fn configure(home: &Path, server_settings: &str) -> PathBuf {
        let config = home.join("orient.toml");
        std::fs::write(
            &config,
            format!(
                "[server]\n{server_settings}\n[auth]\ncounsellor_tokens = [\"{}\", \"{}\"]\nauditor_tokens = [\"{}\"]\noperator_tokens = [\"{}\"]\n",
                digest(COUNSELLOR_TOKEN),
                digest(COUNSELLOR_TOKEN_2),
                digest(AUDITOR_TOKEN),
                digest(OPERATOR_TOKEN)
            ),
        )
        .unwrap();
        config
    }

    /// `orient serve` on this home (its models and index already in place).
    pub fn command(home: &Path, config: &Path) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_orient"));
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--config"])
            .arg(config)
            .current_dir(repo_root())
            .env("ORIENT_HOME", home)
            .env("ORIENT_LOG_KEY", "07".repeat(32));
        cmd
    }

    /// Start on an existing home (a restart keeps what the home holds).
    pub fn start_in(home: tempfile::TempDir, server_settings: &str) -> Server {
        let config = Self::configure(home.path(), server_settings);
        let mut child = Self::command(home.path(), &config).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let base = line.trim().strip_prefix("orient listening on ").unwrap_or_else(|| panic!("unexpected first line: {line}")).to_string();
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut server = Server { child, base, home, agent };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let t = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the server exited before it was ready: {status}");
            }
            if let Ok(r) = self.agent.get(&format!("{}/readyz", self.base)).call() {
                if r.status() == 200 {
                    return;
                }
            }
            assert!(t.elapsed() < Duration::from_secs(300), "server not ready after 300 s");
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET: status and body (JSON when it parses, else a string).
    pub fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.agent.get(&self.url(path));
        if let Some(t) = token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        read(req.call().unwrap())
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
        let mut req = self.agent.post(&self.url(path)).header("Content-Type", "application/json");
        if let Some(t) = token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        read(req.send(body).unwrap())
    }

    /// POST a chat message and read its event stream: `(event name, data)` in order.
    pub fn chat_stream(&self, body: &Value) -> Vec<(String, Value)> {
        let resp = self.agent.post(&self.url("/v1/chat")).header("Accept", "text/event-stream").send_json(body).unwrap();
        assert_eq!(resp.status(), 200);
        read_events(resp)
    }

    pub fn log_path(&self) -> PathBuf {
        self.home.path().join("log").join("transparency.jsonl")
    }
}

pub fn read(mut r: ureq::http::Response<ureq::Body>) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Server-Sent Events until the stream ends.
pub fn read_events(mut resp: ureq::http::Response<ureq::Body>) -> Vec<(String, Value)> {
    let reader = BufReader::new(resp.body_mut().as_reader());
    let (mut out, mut name, mut data) = (Vec::new(), String::from("message"), String::new());
    for line in reader.lines() {
        let line = line.unwrap();
        if line.is_empty() {
            if !data.is_empty() {
                out.push((name.clone(), serde_json::from_str(&data).unwrap_or(Value::String(data.clone()))));
            }
            name = "message".into();
            data.clear();
        } else if let Some(n) = line.strip_prefix("event:") {
            name = n.trim().to_string();
        } else if let Some(d) = line.strip_prefix("data:") {
            data.push_str(d.trim_start());
        }
    }
    out
}

impl Server {
    /// Kill the process at once (no shutdown: a crash) and give back its home.
    pub fn crash(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let home = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.home, home)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn log_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}
