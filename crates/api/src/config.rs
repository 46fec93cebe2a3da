//! `orient.toml`: every key has a working default, so `orient serve` runs with no file.
//! Environment variables `ORIENT_*` override the file (see `docs/operations.md`).

use anyhow::{Context, Result};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub auth: AuthConfig,
    pub store: StoreConfig,
    pub assistant: AssistantSection,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub addr: String,
    /// Largest request body accepted (bytes); beyond it, 413.
    pub max_body_bytes: usize,
    /// Longest chat message (characters); beyond it, 413.
    pub max_message_chars: usize,
    /// Answers generated at the same time (the model is one per process: 1 on a small machine).
    pub workers: usize,
    /// Requests that may wait for a worker; beyond it, 503 with Retry-After.
    pub queue_capacity: usize,
    /// Chat requests per minute and per client address (0: no limit).
    pub rate_limit_per_minute: u32,
    /// Requests a client may send at once before the per-minute rate applies.
    pub rate_limit_burst: u32,
    /// Origins allowed to call the chat API from a browser (the sites embedding the widget).
    /// The server's own pages need no entry.
    pub cors_origins: Vec<String>,
    /// Lifetime of a cached answer (seconds; 0 disables the answer cache).
    pub answer_cache_ttl_s: u64,
    pub answer_cache_capacity: u64,
    /// Messages kept per conversation (older ones are forgotten).
    pub history_messages: usize,
    /// Conversations kept in memory; the least recently active go first.
    pub max_conversations: usize,
    /// A conversation idle this long is forgotten (seconds).
    pub conversation_ttl_s: u64,
    /// Where fairness and answer reports are listed from (default: ORIENT_HOME/reports).
    pub reports_dir: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: "127.0.0.1:8080".into(),
            max_body_bytes: 8 * 1024,
            max_message_chars: 2000,
            workers: 1,
            queue_capacity: 4,
            rate_limit_per_minute: 30,
            rate_limit_burst: 10,
            cors_origins: Vec::new(),
            answer_cache_ttl_s: 3600,
            answer_cache_capacity: 10_000,
            history_messages: 20,
            max_conversations: 10_000,
            conversation_ttl_s: 24 * 3600,
            reports_dir: None,
        }
    }
}

/// Bearer tokens per role, stored as sha256 hex digests (`orient token` prints a new one).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub counsellor_tokens: Vec<String>,
    pub auditor_tokens: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// A Qdrant server's gRPC URL; empty: the embedded qdrant-edge store.
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssistantSection {
    pub max_tokens: usize,
}

impl Default for AssistantSection {
    fn default() -> Self {
        AssistantSection { max_tokens: 120 }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Counsellor,
    Auditor,
}

impl Config {
    /// The given file, else `./orient.toml` when present, else defaults; then `ORIENT_*`
    /// variables on top.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let mut cfg = match path {
            Some(p) => Self::read(p)?,
            None if Path::new("orient.toml").exists() => Self::read(Path::new("orient.toml"))?,
            None => Config::default(),
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        Ok(cfg)
    }

    fn read(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read configuration {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid configuration {}", path.display()))
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<()> {
        let list = |v: String| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect::<Vec<_>>();
        if let Some(v) = var("ORIENT_ADDR") {
            self.server.addr = v;
        }
        if let Some(v) = var("ORIENT_CORS_ORIGINS") {
            self.server.cors_origins = list(v);
        }
        if let Some(v) = var("ORIENT_COUNSELLOR_TOKENS") {
            self.auth.counsellor_tokens = list(v);
        }
        if let Some(v) = var("ORIENT_AUDITOR_TOKENS") {
            self.auth.auditor_tokens = list(v);
        }
        if let Some(v) = var("ORIENT_RATE_LIMIT_PER_MINUTE") {
            self.server.rate_limit_per_minute = v.parse().context("ORIENT_RATE_LIMIT_PER_MINUTE must be a number")?;
        }
        if let Some(v) = var("ORIENT_QUEUE_CAPACITY") {
            self.server.queue_capacity = v.parse().context("ORIENT_QUEUE_CAPACITY must be a number")?;
        }
        for t in self.auth.counsellor_tokens.iter().chain(&self.auth.auditor_tokens) {
            anyhow::ensure!(
                t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()),
                "auth tokens are stored as sha256 hex digests (64 characters); `orient token` makes one"
            );
        }
        anyhow::ensure!(self.server.workers >= 1, "server.workers must be at least 1");
        Ok(())
    }

    /// The role a bearer token grants, if any.
    pub fn role_of(&self, token: &str) -> Option<Role> {
        let digest = token_digest(token);
        let known = |list: &[String]| list.iter().any(|d| constant_time_eq(d.to_ascii_lowercase().as_bytes(), digest.as_bytes()));
        if known(&self.auth.counsellor_tokens) {
            Some(Role::Counsellor)
        } else if known(&self.auth.auditor_tokens) {
            Some(Role::Auditor)
        } else {
            None
        }
    }
}

pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Comparison whose time does not depend on where the inputs differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A new random token (shown once) and the digest to put in the configuration.
pub fn new_token() -> (String, String) {
    let bytes: [u8; 24] = rand::random();
    let token = format!("ot_{}", hex::encode(bytes));
    let digest = token_digest(&token);
    (token, digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_work_without_a_file() {
        let c = Config::default();
        assert_eq!(c.server.addr, "127.0.0.1:8080");
        assert!(c.server.max_body_bytes >= 4096);
        assert!(c.role_of("anything").is_none());
    }

    #[test]
    fn tokens_are_matched_by_digest_only() {
        let (token, digest) = new_token();
        let mut c: Config = toml::from_str(&format!("[auth]\ncounsellor_tokens = [\"{digest}\"]\n")).unwrap();
        c.apply_env(|_| None).unwrap();
        assert_eq!(c.role_of(&token), Some(Role::Counsellor));
        assert_eq!(c.role_of(&digest), None, "the stored digest is not itself a token");
        assert_eq!(c.role_of(""), None);
    }

    #[test]
    fn env_overrides_file_and_bad_values_are_clear_errors() {
        let mut c: Config = toml::from_str("[server]\naddr = \"0.0.0.0:9000\"\n").unwrap();
        c.apply_env(|k| (k == "ORIENT_ADDR").then(|| "127.0.0.1:1".to_string())).unwrap();
        assert_eq!(c.server.addr, "127.0.0.1:1");
        let err = c.apply_env(|k| (k == "ORIENT_AUDITOR_TOKENS").then(|| "plaintext".to_string())).unwrap_err();
        assert!(err.to_string().contains("sha256"));
        assert!(toml::from_str::<Config>("[server]\nadress = \"x\"\n").is_err(), "unknown keys are refused");
    }
}
