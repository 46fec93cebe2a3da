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
    pub state: StateSection,
    pub assistant: AssistantSection,
    pub generator: GeneratorSection,
    pub log: LogSection,
}

/// Turns admitted at once at most (`workers + queue_capacity`).
pub const MAX_ADMITTED: usize = 256;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub addr: String,
    /// Largest request body accepted (bytes); beyond it, 413.
    pub max_body_bytes: usize,
    /// Longest chat message (characters); beyond it, 413.
    pub max_message_chars: usize,
    /// Answers the model writes at the same time (decoded together: continuous batching). A
    /// turn waits for one of these places only once its facts card is shown.
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
    /// Conversations kept that nobody waits on; the least recently active go first.
    pub max_conversations: usize,
    /// A conversation idle this long is forgotten (seconds).
    pub conversation_ttl_s: u64,
    /// Where fairness and answer reports are listed from (default: ORIENT_HOME/reports).
    pub reports_dir: Option<PathBuf>,
    /// Reverse proxies whose client-address header is believed (addresses or CIDR blocks,
    /// e.g. "10.0.0.0/8"). Empty: the peer address is the client.
    pub trusted_proxies: Vec<String>,
    /// The header a trusted proxy puts the client's address in (the right-most entry not
    /// itself a trusted proxy is taken).
    pub client_ip_header: String,
    /// Open connections at most; more wait to be accepted.
    pub max_connections: usize,
    /// A client must send its request headers within this time (seconds), or is cut off.
    pub header_read_timeout_s: u64,
    /// Conversations waiting for a counsellor at most, all clients together.
    pub max_waiting_handoffs: usize,
    /// Conversations one client address may have waiting for a counsellor at once.
    pub max_waiting_handoffs_per_client: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: "127.0.0.1:8080".into(),
            max_body_bytes: 8 * 1024,
            max_message_chars: 2000,
            workers: 4,
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
            trusted_proxies: Vec::new(),
            client_ip_header: "x-forwarded-for".into(),
            max_connections: 1024,
            header_read_timeout_s: 10,
            max_waiting_handoffs: 2000,
            max_waiting_handoffs_per_client: 3,
        }
    }
}

/// Bearer tokens per role, stored as sha256 hex digests (`orient token` prints a new one).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub counsellor_tokens: Vec<String>,
    pub auditor_tokens: Vec<String>,
    /// Operators: `/metrics` and the admin routes (log purge).
    pub operator_tokens: Vec<String>,
}

/// The transparency log. The signing key is a secret: it comes from `ORIENT_LOG_KEY` only.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSection {
    /// A signed checkpoint after this many records (and on shutdown).
    pub checkpoint_every: u64,
    /// Rotated files older than this are deleted (the server does it daily).
    pub retention_days: u64,
    /// The ed25519 public key (64 hex characters) checkpoints must verify under; default: the
    /// one of `ORIENT_LOG_KEY` when set. Verification never trusts a key written in the log.
    pub public_key: Option<String>,
    /// The replica's name, carried by every record of its chain (one chain per replica) and
    /// under which its head is published in the state store. Empty: a name made on first use
    /// and kept in the home. Env `ORIENT_REPLICA`.
    pub replica: String,
}

impl LogSection {
    /// `replica`, else the name this home was given on first use (kept in
    /// `ORIENT_HOME/keys/replica`: the host name and a random suffix, so that a recreated
    /// container keeps its chain's name and two homes on one machine differ).
    pub fn replica_name(&self, home: &Path) -> Result<String> {
        let named = self.replica.trim();
        if !named.is_empty() {
            return Ok(named.to_string());
        }
        let path = home.join("keys").join("replica");
        if let Ok(kept) = std::fs::read_to_string(&path) {
            let kept = kept.trim();
            anyhow::ensure!(!kept.is_empty(), "{} is empty: write the replica's name in it", path.display());
            return Ok(kept.to_string());
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).ok().filter(|h| !h.is_empty());
        let name = format!("{}-{}", host.as_deref().unwrap_or("orient"), hex::encode(rand::random::<[u8; 2]>()));
        std::fs::create_dir_all(path.parent().expect("a file under keys/")).with_context(|| format!("cannot create {}", path.display()))?;
        std::fs::write(&path, &name).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(name)
    }
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection { checkpoint_every: 100, retention_days: 183, public_key: None, replica: String::new() }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// A Qdrant server's gRPC URL; empty: the embedded qdrant-edge store.
    pub url: String,
}

/// Where conversations and the counsellor queue live.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct StateSection {
    /// `postgres://user:password@host/db` for several replicas sharing one state; empty: SQLite
    /// in ORIENT_HOME/state (one replica). Env `ORIENT_STATE_URL`.
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssistantSection {
    pub max_tokens: usize,
    /// What the model adds under the card of facts: `off` (nothing, the default: measured the
    /// better answers) or `bridge` (one checked sentence).
    pub generation: assistant::GenerationMode,
}

impl Default for AssistantSection {
    fn default() -> Self {
        AssistantSection { max_tokens: 60, generation: assistant::GenerationMode::Off }
    }
}

/// Where generated sentences come from: the local model (default), or an existing engine that
/// speaks OpenAI's chat-completions API (vLLM, llama.cpp's server, a gateway).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeneratorSection {
    /// The engine's base URL (`http://host:port`); empty: the local model. Env
    /// `ORIENT_GENERATOR_URL`.
    pub url: String,
    /// The model name the engine serves (named in every receipt). Env `ORIENT_GENERATOR_MODEL`.
    pub model: String,
    /// One attempt, streaming included (seconds); the response's headers must come within 15 s.
    pub timeout_s: u64,
    /// Attempts after the first, before any text has arrived.
    pub retries: u32,
    /// Consecutive failures after which the engine is not called for `breaker_cooldown_s`.
    pub breaker_failures: u32,
    pub breaker_cooldown_s: u64,
    /// The environment variable holding the engine's bearer token, if it needs one (the token
    /// itself never goes in the file).
    pub api_key_env: String,
    /// When the engine fails before saying anything, the local model writes the sentence
    /// (true), or the answer is the card of facts alone (false: nothing loaded locally).
    pub local_fallback: bool,
}

impl Default for GeneratorSection {
    fn default() -> Self {
        GeneratorSection {
            url: String::new(),
            model: String::new(),
            timeout_s: 30,
            retries: 1,
            breaker_failures: 3,
            breaker_cooldown_s: 30,
            api_key_env: String::new(),
            local_fallback: true,
        }
    }
}

impl GeneratorSection {
    /// The remote engine's settings, when one is configured.
    pub fn remote(&self) -> Result<Option<inference::RemoteSettings>> {
        if self.url.is_empty() {
            return Ok(None);
        }
        let api_key = match self.api_key_env.as_str() {
            "" => None,
            var => Some(std::env::var(var).with_context(|| format!("generator.api_key_env names {var}, which is not set"))?),
        };
        Ok(Some(inference::RemoteSettings {
            url: self.url.clone(),
            model: self.model.clone(),
            timeout: std::time::Duration::from_secs(self.timeout_s.max(1)),
            retries: self.retries,
            api_key,
            breaker_failures: self.breaker_failures.max(1),
            breaker_cooldown: std::time::Duration::from_secs(self.breaker_cooldown_s),
        }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Counsellor,
    Auditor,
    Operator,
}

impl Config {
    /// The given file, else `orient.toml` in ORIENT_HOME when present, else defaults; then
    /// `ORIENT_*` variables on top. Never a file of the current directory: whoever can write
    /// there must not be able to reconfigure the service.
    pub fn load(path: Option<&Path>, home: &Path) -> Result<Config> {
        let in_home = home.join("orient.toml");
        let mut cfg = match path {
            Some(p) => Self::read(p)?,
            None if in_home.exists() => Self::read(&in_home)?,
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
        if let Some(v) = var("ORIENT_OPERATOR_TOKENS") {
            self.auth.operator_tokens = list(v);
        }
        if let Some(v) = var("ORIENT_TRUSTED_PROXIES") {
            self.server.trusted_proxies = list(v);
        }
        if let Some(v) = var("ORIENT_REPLICA") {
            self.log.replica = v;
        }
        if let Some(v) = var("ORIENT_STATE_URL") {
            self.state.url = v;
        }
        if let Some(v) = var("ORIENT_GENERATOR_URL") {
            self.generator.url = v;
        }
        if let Some(v) = var("ORIENT_GENERATOR_MODEL") {
            self.generator.model = v;
        }
        if !self.generator.url.is_empty() {
            if let Err(why) = inference::RemoteSettings::check_url(&self.generator.url) {
                anyhow::bail!("generator.url {why}");
            }
            anyhow::ensure!(self.generator.retries <= 5, "generator.retries: at most 5");
            anyhow::ensure!(self.generator.breaker_cooldown_s <= 86_400, "generator.breaker_cooldown_s: at most 86400 (a day)");
            anyhow::ensure!(!self.generator.model.is_empty(), "generator.model must name the model the engine at generator.url serves");
        }
        if let Some(v) = var("ORIENT_LOG_PUBLIC_KEY") {
            self.log.public_key = Some(v);
        }
        if let Some(v) = var("ORIENT_RATE_LIMIT_PER_MINUTE") {
            self.server.rate_limit_per_minute = v.parse().context("ORIENT_RATE_LIMIT_PER_MINUTE must be a number")?;
        }
        if let Some(v) = var("ORIENT_QUEUE_CAPACITY") {
            self.server.queue_capacity = v.parse().context("ORIENT_QUEUE_CAPACITY must be a number")?;
        }
        for t in self.auth.counsellor_tokens.iter().chain(&self.auth.auditor_tokens).chain(&self.auth.operator_tokens) {
            anyhow::ensure!(
                t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()),
                "auth tokens are stored as sha256 hex digests (64 characters); `orient token` makes one"
            );
        }
        anyhow::ensure!(self.server.workers >= 1, "server.workers must be at least 1");
        // Each admitted turn may hold a blocking thread while it waits for the model; the rails
        // of new messages (a child's among them) must always find one (tokio keeps 512).
        anyhow::ensure!(
            self.server.workers.saturating_add(self.server.queue_capacity) <= MAX_ADMITTED,
            "server.workers + server.queue_capacity must be at most {MAX_ADMITTED}"
        );
        for p in &self.server.trusted_proxies {
            anyhow::ensure!(crate::server::client::parse_net(p).is_some(), "server.trusted_proxies: {p:?} is not an address or a CIDR block");
        }
        if let Some(k) = &self.log.public_key {
            anyhow::ensure!(self.log_public_key_from(k).is_some(), "log.public_key must be an ed25519 public key in 64 hex characters");
        }
        Ok(())
    }

    fn log_public_key_from(&self, hex_key: &str) -> Option<ed25519_dalek::VerifyingKey> {
        let b: [u8; 32] = hex::decode(hex_key.trim()).ok()?.try_into().ok()?;
        ed25519_dalek::VerifyingKey::from_bytes(&b).ok()
    }

    /// The key checkpoints must verify under: configured, else derived from the signing key.
    pub fn log_public_key(&self, signing: Option<&ed25519_dalek::SigningKey>) -> Option<ed25519_dalek::VerifyingKey> {
        match &self.log.public_key {
            Some(k) => self.log_public_key_from(k),
            None => signing.map(|k| k.verifying_key()),
        }
    }

    /// Where the state lives (`[state] url`, else SQLite in `home`).
    pub fn state_location(&self, home: &Path) -> Result<state::Location> {
        Ok(state::Location::parse(&self.state.url, home.join("state").join("conversations.sqlite"))?)
    }

    /// The role a bearer token grants, if any.
    pub fn role_of(&self, token: &str) -> Option<Role> {
        let digest = token_digest(token);
        let known = |list: &[String]| list.iter().any(|d| constant_time_eq(d.to_ascii_lowercase().as_bytes(), digest.as_bytes()));
        if known(&self.auth.counsellor_tokens) {
            Some(Role::Counsellor)
        } else if known(&self.auth.auditor_tokens) {
            Some(Role::Auditor)
        } else if known(&self.auth.operator_tokens) {
            Some(Role::Operator)
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

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// No file and no environment value makes loading panic: it is read, or refused with
        /// an error.
        #[test]
        fn any_configuration_text_is_read_or_refused_never_a_panic(
            text in "(\\[(server|auth|log|store|assistant)\\]\n)?((addr|workers|queue_capacity|rate_limit_per_minute|trusted_proxies|max_connections|header_read_timeout_s|checkpoint_every|retention_days|public_key|counsellor_tokens|operator_tokens|url|max_tokens|[a-z_]{1,24}) = (\"[^\"\\n]{0,20}\"|[0-9-]{1,22}|\\[\"[^\"\\n]{0,12}\"\\]|true)\n){0,4}|\\PC{0,60}",
            value in "\\PC{0,30}",
        ) {
            if let Ok(mut c) = toml::from_str::<Config>(&text) {
                let _ = c.apply_env(|k| k.starts_with("ORIENT_").then(|| value.clone()));
                let _ = c.role_of(&value);
                let _ = c.log_public_key(None);
            }
        }
    }
}
