//! A generator on an existing engine that speaks OpenAI's chat-completions API (vLLM,
//! llama.cpp's server, an OpenAI-compatible gateway). orient keeps everything else — retrieval,
//! rails, the facts card, the sentence checks, receipts and the log —; only the generated
//! sentences come from the engine, streamed, so the output rails read them exactly as they read
//! the local model's.
//!
//! Failures are bounded: a timeout per request, a few retries before any text has arrived
//! (never after: a half-streamed sentence is not sent twice), and a circuit breaker that stops
//! calling an engine that keeps failing, so a dead engine costs the young person nothing but
//! the generated sentence (the caller falls back, see [`crate::Fallback`]).

use crate::contract::{GenerationRequest, GenerationStats, Generator, InferenceError, ModelInfo, Role};
use serde::Deserialize;
use std::io::{BufRead, BufReader};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where the engine is and how patient to be with it.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteSettings {
    /// Base URL, e.g. `http://10.0.0.5:8000` (the path `/v1/chat/completions` is added).
    pub url: String,
    /// The model name the engine serves.
    pub model: String,
    /// Whole request, streaming included.
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
        format!("{}/v1/chat/completions", self.url.trim_end_matches('/'))
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
            b.open_until = Some(Instant::now() + self.settings.breaker_cooldown);
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
        for line in reader.lines() {
            let line = line.map_err(|e| (InferenceError::Unavailable(format!("{}: stream cut: {e}", self.settings.url)), streamed))?;
            let Some(data) = line.strip_prefix("data:").map(str::trim) else { continue };
            if data == "[DONE]" {
                break;
            }
            let chunk: Chunk =
                serde_json::from_str(data).map_err(|e| (InferenceError::Unavailable(format!("{}: not an OpenAI stream: {e}", self.settings.url)), streamed))?;
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
                    break;
                }
            }
            if let Some(reason) = choice.finish_reason {
                stats.finish_reason = reason;
            }
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
/// no local model). `info` names the primary, the one configured; each take-over is logged
/// (warning) with the engine's error.
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
                self.secondary.generate(request, on_text)
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
