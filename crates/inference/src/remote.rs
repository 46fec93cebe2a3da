//! A generator on an existing engine that speaks OpenAI's chat-completions API (vLLM,
//! llama.cpp's server, an OpenAI-compatible gateway). orient keeps everything else — retrieval,
//! rails, the facts card, the sentence checks, receipts and the log —; only the generated
//! sentences come from the engine, streamed, so the output rails read them exactly as they read
//! the local model's.
//!
//! Failures are bounded: a timeout per attempt, a few retries before any text has arrived
//! (never after: a half-streamed sentence is not sent twice), and a circuit breaker that stops
//! calling an engine that keeps failing: once it is open, a dead engine costs the young person
//! only the generated sentence (the caller falls back, see [`Fallback`]); before, each attempt
//! waits at most its timeout.

use crate::contract::{GenerationRequest, GenerationStats, Generator, InferenceError, ModelInfo, Role};
use serde::Deserialize;
use std::io::{BufRead, BufReader};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where the engine is and how patient to be with it.
#[derive(Clone, PartialEq)]
pub struct RemoteSettings {
    /// Base URL, e.g. `http://10.0.0.5:8000` (the path `/v1/chat/completions` is added; a
    /// trailing `/v1` is accepted). Never with credentials in it: see [`RemoteSettings::check_url`].
    pub url: String,
    /// The model name the engine serves.
    pub model: String,
    /// One attempt, streaming included (the response's headers must come within 15 s of it).
    pub timeout: Duration,
    /// Attempts after the first, before any text arrived.
    pub retries: u32,
    /// Bearer token, if the engine wants one.
    pub api_key: Option<String>,
    /// Consecutive failed requests that open the breaker.
    pub breaker_failures: u32,
    /// How long an open breaker refuses calls before one is tried again.
    pub breaker_cooldown: Duration,
}

impl RemoteSettings {
    pub fn new(url: impl Into<String>, model: impl Into<String>) -> Self {
        RemoteSettings {
            url: url.into(),
            model: model.into(),
            timeout: Duration::from_secs(30),
            retries: 1,
            api_key: None,
            breaker_failures: 3,
            breaker_cooldown: Duration::from_secs(30),
        }
    }

    fn endpoint(&self) -> String {
        let base = self.url.trim_end_matches('/');
        format!("{}/v1/chat/completions", base.strip_suffix("/v1").unwrap_or(base))
    }

    /// A URL that can be shown in receipts, logs and errors: http(s), a host, no user or
    /// password, no query. A token goes in `api_key`, which is never shown.
    pub fn check_url(url: &str) -> Result<(), String> {
        let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")).ok_or("must start with http:// or https://")?;
        let authority = rest.split('/').next().unwrap_or("");
        if authority.is_empty() {
            return Err("names no host".into());
        }
        if authority.contains('@') {
            return Err("must not carry a user or password (put a token in the variable named by generator.api_key_env)".into());
        }
        if rest.contains(['?', '#']) {
            return Err("must not carry a query or fragment".into());
        }
        Ok(())
    }
}

// The key stays out of debug output.
impl std::fmt::Debug for RemoteSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteSettings")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("api_key", &self.api_key.as_ref().map(|_| "…"))
            .field("breaker_failures", &self.breaker_failures)
            .field("breaker_cooldown", &self.breaker_cooldown)
            .finish()
    }
}

#[derive(Debug, Default)]
struct Breaker {
    failures: u32,
    open_until: Option<Instant>,
}

pub struct RemoteGenerator {
    settings: RemoteSettings,
    agent: ureq::Agent,
    info: ModelInfo,
    breaker: Mutex<Breaker>,
}

impl RemoteGenerator {
    pub fn new(settings: RemoteSettings) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .timeout_connect(Some(settings.timeout.min(Duration::from_secs(5))))
            .timeout_recv_response(Some(settings.timeout.min(Duration::from_secs(15))))
            .http_status_as_error(false)
            .build()
            .into();
        // The receipt names the remote model and the engine; there is no file to hash.
        let info = ModelInfo { name: settings.model.clone(), architecture: "openai-chat (remote)".into(), sha256: format!("remote:{}", settings.url) };
        RemoteGenerator { settings, agent, info, breaker: Mutex::new(Breaker::default()) }
    }

    fn breaker_open(&self) -> bool {
        let b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        b.open_until.is_some_and(|t| Instant::now() < t)
    }

    fn record(&self, ok: bool) {
        let mut b = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        if ok {
            *b = Breaker::default();
            return;
        }
        b.failures += 1;
        if b.failures >= self.settings.breaker_failures {
            b.open_until = Instant::now().checked_add(self.settings.breaker_cooldown);
            tracing::warn!(failures = b.failures, "remote generator failing: calls suspended for {:?}", self.settings.breaker_cooldown);
        }
    }

    fn body(&self, request: &GenerationRequest) -> serde_json::Value {
        let messages: Vec<serde_json::Value> = request
            .messages
            .iter()
            .map(|m| {
                let role = match m.role {
                    Role::System => "system",
                    Role::User => "user",
                    Role::Assistant => "assistant",
                };
                serde_json::json!({ "role": role, "content": m.content })
            })
            .collect();
        // Greedy, as the local generator: the same question gets the same sentence.
        serde_json::json!({
            "model": self.settings.model,
            "messages": messages,
            "max_tokens": request.max_tokens,
            "temperature": 0.0,
            "stream": true,
        })
    }

    /// One request; `Err((error, streamed))` says whether text had already been passed on.
    fn attempt(&self, request: &GenerationRequest, on_text: &mut dyn FnMut(&str) -> bool) -> Result<GenerationStats, (InferenceError, bool)> {
        let t0 = Instant::now();
        let unreachable = |e: ureq::Error| (InferenceError::Unavailable(format!("{}: {e}", self.settings.url)), false);
        let mut call = self.agent.post(&self.settings.endpoint()).header("Accept", "text/event-stream");
        if let Some(key) = &self.settings.api_key {
            call = call.header("Authorization", &format!("Bearer {key}"));
        }
        let response = call.send_json(self.body(request)).map_err(unreachable)?;
        let status = response.status().as_u16();
        if status != 200 {
            let mut body = response.into_body();
            let text = body.read_to_string().unwrap_or_default();
            let text: String = text.chars().take(300).collect();
            return Err((InferenceError::Unavailable(format!("{} answered HTTP {status}: {text}", self.settings.url)), false));
        }
        let reader = BufReader::new(response.into_body().into_reader());
        let mut stats = GenerationStats { finish_reason: "stop".into(), ..Default::default() };
        let mut streamed = false;
        let mut first = true;
        // A stream that stops without saying it ended (no `[DONE]`, no finish reason) was cut:
        // its last sentence may be half-written.
        let mut ended = false;
        let fail = |what: String, streamed: bool| (InferenceError::Unavailable(format!("{}: {what}", self.settings.url)), streamed);
        for line in reader.lines() {
            let line = line.map_err(|e| fail(format!("stream cut: {e}"), streamed))?;
            let Some(data) = line.strip_prefix("data:").map(str::trim) else { continue };
            if data == "[DONE]" {
                ended = true;
                break;
            }
            let chunk: Chunk = serde_json::from_str(data).map_err(|e| fail(format!("not an OpenAI stream: {e}"), streamed))?;
            if let Some(error) = chunk.error {
                // Engines report a failure mid-stream as an `error` object.
                let said: String = error.to_string().chars().take(300).collect();
                return Err(fail(format!("the engine reported an error: {said}"), streamed));
            }
            if let Some(u) = chunk.usage {
                stats.prompt_tokens = u.prompt_tokens;
                stats.generated_tokens = u.completion_tokens;
            }
            let Some(choice) = chunk.choices.into_iter().next() else { continue };
            if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                if first {
                    stats.prefill_ms = t0.elapsed().as_secs_f64() * 1e3;
                    first = false;
                }
                streamed = true;
                stats.generated_tokens += 1;
                if !on_text(&text) {
                    stats.finish_reason = "cancelled".into();
                    ended = true;
                    break;
                }
            }
            if let Some(reason) = choice.finish_reason {
                stats.finish_reason = reason;
                ended = true;
            }
        }
        if !ended {
            return Err(fail("the stream ended before the engine said it was done".into(), streamed));
        }
        stats.decode_ms = t0.elapsed().as_secs_f64() * 1e3 - stats.prefill_ms;
        Ok(stats)
    }
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Delta,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    prompt_tokens: usize,
    completion_tokens: usize,
}

impl Generator for RemoteGenerator {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn generate(&self, request: &GenerationRequest, on_text: &mut dyn FnMut(&str) -> bool) -> Result<GenerationStats, InferenceError> {
        if self.breaker_open() {
            return Err(InferenceError::Unavailable(format!("{}: suspended after repeated failures", self.settings.url)));
        }
        let mut tries = 0;
        loop {
            match self.attempt(request, on_text) {
                Ok(stats) => {
                    self.record(true);
                    return Ok(stats);
                }
                Err((e, streamed)) => {
                    tries += 1;
                    if streamed || tries > self.settings.retries {
                        self.record(false);
                        return Err(e);
                    }
                    tracing::warn!("remote generator: {e}; trying again");
                    std::thread::sleep(Duration::from_millis(200 * tries as u64));
                }
            }
        }
    }

    /// The engine's tokenizer is not reachable through the chat API: about four characters a
    /// token for French, which is what budgets need.
    fn count_tokens(&self, text: &str) -> Result<usize, InferenceError> {
        Ok(text.chars().count().div_ceil(4))
    }
}

/// A generator that hands over to another when the first fails before saying anything: the
/// remote engine first, the local model after (or the caller's facts-only answer when there is
/// no local model). `info` names the primary, the one configured; when the other one wrote,
/// the stats name it (`GenerationStats::model`, which receipts use) and the take-over is
/// logged with the engine's error.
pub struct Fallback {
    primary: std::sync::Arc<dyn Generator>,
    secondary: std::sync::Arc<dyn Generator>,
}

impl Fallback {
    pub fn new(primary: std::sync::Arc<dyn Generator>, secondary: std::sync::Arc<dyn Generator>) -> Self {
        Fallback { primary, secondary }
    }
}

impl Generator for Fallback {
    fn info(&self) -> &ModelInfo {
        self.primary.info()
    }

    fn generate(&self, request: &GenerationRequest, on_text: &mut dyn FnMut(&str) -> bool) -> Result<GenerationStats, InferenceError> {
        let mut said = false;
        let first = self.primary.generate(request, &mut |t| {
            said = true;
            on_text(t)
        });
        match first {
            Err(e) if !said => {
                tracing::warn!("{e}; the local model answers");
                let mut stats = self.secondary.generate(request, on_text)?;
                stats.model = Some(self.secondary.info().clone());
                Ok(stats)
            }
            other => other,
        }
    }

    fn count_tokens(&self, text: &str) -> Result<usize, InferenceError> {
        self.primary.count_tokens(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::ChatMessage;

    fn closed_port() -> String {
        // Bind then drop: nothing listens there any more.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        format!("http://127.0.0.1:{port}")
    }

    #[test]
    fn urls_with_credentials_or_queries_are_refused_and_v1_is_accepted() {
        assert!(RemoteSettings::check_url("http://10.0.0.5:8000").is_ok());
        assert_eq!(RemoteSettings::new("http://h:8000/v1/", "m").endpoint(), "http://h:8000/v1/chat/completions");
        for bad in ["ftp://h", "https://user:tok@gw.example", "http://h:8000/?key=1", "http://"] {
            assert!(RemoteSettings::check_url(bad).is_err(), "{bad}");
        }
        let mut s = RemoteSettings::new("http://h", "m");
        s.api_key = Some("secret-token".into());
        assert!(!format!("{s:?}").contains("secret-token"));
    }

    #[test]
    fn a_dead_engine_fails_fast_then_is_not_called_while_the_breaker_is_open() {
        let mut s = RemoteSettings::new(closed_port(), "qwen");
        s.retries = 0;
        s.breaker_failures = 2;
        s.breaker_cooldown = Duration::from_secs(60);
        let g = RemoteGenerator::new(s);
        let req = GenerationRequest::new(vec![ChatMessage::new(Role::User, "bonjour")]);
        for _ in 0..2 {
            let e = g.generate(&req, &mut |_| true).unwrap_err();
            assert!(matches!(e, InferenceError::Unavailable(_)), "{e}");
        }
        let t = Instant::now();
        let e = g.generate(&req, &mut |_| true).unwrap_err();
        assert!(e.to_string().contains("suspended"), "{e}");
        assert!(t.elapsed() < Duration::from_millis(50));
        assert_eq!(g.info().name, "qwen");
    }
}
