//! The small contracts every backend implements (one error enum, plain data in and out).

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    #[error("model not found at {path}: run `orient models fetch` first")]
    MissingModel { path: String },
    #[error("model file {path} is invalid: {reason}")]
    InvalidModel { path: String, reason: String },
    #[error("tokenizer error: {0}")]
    Tokenizer(String),
    #[error("model computation failed: {0}")]
    Compute(String),
    #[error("input too long: {tokens} tokens, the model accepts {max}")]
    InputTooLong { tokens: usize, max: usize },
    /// A remote engine could not be reached or did not answer as expected.
    #[error("generation engine unavailable: {0}")]
    Unavailable(String),
}

impl From<candle_core::Error> for InferenceError {
    fn from(e: candle_core::Error) -> Self {
        InferenceError::Compute(e.to_string())
    }
}

/// Identity of a loaded model, for receipts and reproducibility.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct ModelInfo {
    pub name: String,
    pub architecture: String,
    /// sha256 of the file actually loaded.
    pub sha256: String,
}

/// e5 models are trained with a prefix that says what the text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    Query,
    Passage,
}

pub trait Embedder: Send + Sync {
    fn info(&self) -> &ModelInfo;
    fn dim(&self) -> usize;
    /// One L2-normalised vector per text, in order.
    fn embed(&self, texts: &[&str], kind: TextKind) -> Result<Vec<Vec<f32>>, InferenceError>;

    /// The same encoder cut after its first `layers` layers, when the architecture allows it
    /// (the rails' classifier reads short messages and needs speed more than depth).
    fn first_layers(&self, _layers: usize) -> Option<std::sync::Arc<dyn Embedder>> {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        ChatMessage { role, content: content.into() }
    }
}

#[derive(Debug, Clone)]
pub struct GenerationRequest {
    pub messages: Vec<ChatMessage>,
    pub max_tokens: usize,
    /// 1.0 disables the penalty.
    pub repeat_penalty: f32,
    /// How many recent tokens the penalty looks at.
    pub repeat_last_n: usize,
    /// Keep going past stop tokens (benchmarks that need exactly `max_tokens`).
    pub ignore_stop: bool,
}

impl GenerationRequest {
    pub fn new(messages: Vec<ChatMessage>) -> Self {
        GenerationRequest { messages, max_tokens: 160, repeat_penalty: 1.1, repeat_last_n: 64, ignore_stop: false }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct GenerationStats {
    pub prompt_tokens: usize,
    /// Prompt tokens served from the cached system-prompt prefix (not recomputed).
    pub cached_prompt_tokens: usize,
    pub generated_tokens: usize,
    pub prefill_ms: f64,
    pub decode_ms: f64,
    /// Why generation ended: "stop" (a stop token), "length" (max tokens) or "cancelled".
    pub finish_reason: String,
    /// The most turns decoded in one step with this one (continuous batching; 1 alone, 0 when
    /// the engine does not say).
    pub peak_batch: usize,
    /// The model that wrote, when it is not the generator's own (the local model behind a
    /// remote engine that failed): receipts name this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelInfo>,
}

pub trait Generator: Send + Sync {
    fn info(&self) -> &ModelInfo;
    /// Greedy generation. `on_text` receives decoded text pieces as they are produced; returning
    /// `false` stops generation (the caller went away).
    fn generate(&self, request: &GenerationRequest, on_text: &mut dyn FnMut(&str) -> bool) -> Result<GenerationStats, InferenceError>;
    /// Count tokens of a text (for budgets and receipts).
    fn count_tokens(&self, text: &str) -> Result<usize, InferenceError>;
}
