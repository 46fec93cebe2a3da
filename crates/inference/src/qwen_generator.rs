//! The default generator: a quantized qwen2 GGUF with its own tokenizer (built from the GGUF
//! metadata), ChatML prompts, greedy decoding with a repeat penalty, text streamed as produced,
//! and the KV cache of the system prompt reused across requests.

use crate::contract::{ChatMessage, GenerationRequest, GenerationStats, Generator, InferenceError, ModelInfo, Role};
use crate::qwen2::{pick_greedy, KvCache, Qwen2};
use candle_core::quantized::gguf_file;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use candle_core::Device;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;
use tokenizers::Tokenizer;

pub struct QwenGenerator {
    model: Qwen2,
    tokenizer: Tokenizer,
    stop_ids: Vec<u32>,
    info: ModelInfo,
    /// The last system prompt computed, as tokens and the cache after them.
    prefix: Mutex<Option<(Vec<u32>, KvCache)>>,
    /// One forward pass at a time: on a CPU the cores are the bottleneck; queueing keeps
    /// each request at full speed instead of splitting cores between them.
    compute: Mutex<()>,
}

impl QwenGenerator {
    pub fn load(path: &Path, info: ModelInfo) -> Result<Self, InferenceError> {
        if !path.exists() {
            return Err(InferenceError::MissingModel { path: path.display().to_string() });
        }
        let invalid = |reason: String| InferenceError::InvalidModel { path: path.display().to_string(), reason };
        let mut f = std::fs::File::open(path).map_err(|e| invalid(e.to_string()))?;
        let ct = gguf_file::Content::read(&mut f).map_err(|e| invalid(format!("not a GGUF file: {e}")))?;
        let arch = ct.metadata.get("general.architecture").and_then(|v| v.to_string().ok()).cloned().unwrap_or_default();
        if arch != "qwen2" {
            return Err(invalid(format!("architecture {arch:?} is not qwen2")));
        }
        let template = ct.metadata.get("tokenizer.chat_template").and_then(|v| v.to_string().ok()).cloned().unwrap_or_default();
        if !template.contains("<|im_start|>") {
            return Err(invalid("chat template is not ChatML".into()));
        }
        let tokenizer = Tokenizer::from_gguf(&ct).map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
        let mut stop_ids: Vec<u32> = ["<|im_end|>", "<|endoftext|>"].iter().filter_map(|t| tokenizer.token_to_id(t)).collect();
        if let Some(eos) = ct.metadata.get("tokenizer.ggml.eos_token_id").and_then(|v| v.to_u32().ok()) {
            if !stop_ids.contains(&eos) {
                stop_ids.push(eos);
            }
        }
        let model = Qwen2::from_gguf(&ct, &mut f, &Device::Cpu).map_err(|e| invalid(e.to_string()))?;
        Ok(QwenGenerator { model, tokenizer, stop_ids, info, prefix: Mutex::new(None), compute: Mutex::new(()) })
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    fn encode(&self, text: &str) -> Result<Vec<u32>, InferenceError> {
        let enc = self.tokenizer.encode(text, false).map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// ChatML, split after the leading system message so its tokens can be cached.
    fn prompt_tokens(&self, messages: &[ChatMessage]) -> Result<(Vec<u32>, Vec<u32>), InferenceError> {
        let turn = |m: &ChatMessage| {
            let role = match m.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            format!("<|im_start|>{role}\n{}<|im_end|>\n", m.content)
        };
        let (system, rest) = match messages.first() {
            Some(m) if m.role == Role::System => (turn(m), &messages[1..]),
            _ => (String::new(), messages),
        };
        let mut tail: String = rest.iter().map(turn).collect();
        tail.push_str("<|im_start|>assistant\n");
        Ok((self.encode(&system)?, self.encode(&tail)?))
    }

    /// A cache holding `system` already computed, from the saved prefix when it matches.
    fn cache_after(&self, system: &[u32]) -> Result<(KvCache, usize), InferenceError> {
        if system.is_empty() {
            return Ok((self.model.new_cache(), 0));
        }
        if let Some((tokens, cache)) = self.prefix.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if tokens == system {
                return Ok((cache.clone(), system.len()));
            }
        }
        let mut cache = self.model.new_cache();
        self.model.forward(system, &mut cache)?;
        *self.prefix.lock().unwrap_or_else(|p| p.into_inner()) = Some((system.to_vec(), cache.clone()));
        Ok((cache, 0))
    }
}

impl Generator for QwenGenerator {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn count_tokens(&self, text: &str) -> Result<usize, InferenceError> {
        Ok(self.encode(text)?.len())
    }

    fn generate(&self, req: &GenerationRequest, on_text: &mut dyn FnMut(&str) -> bool) -> Result<GenerationStats, InferenceError> {
        let (system, tail) = self.prompt_tokens(&req.messages)?;
        let prompt_tokens = system.len() + tail.len();
        if prompt_tokens + req.max_tokens > self.model.context_length {
            return Err(InferenceError::InputTooLong { tokens: prompt_tokens + req.max_tokens, max: self.model.context_length });
        }
        let _turn = self.compute.lock().unwrap_or_else(|p| p.into_inner());
        let t0 = Instant::now();
        let (mut cache, cached) = self.cache_after(&system)?;
        let mut logits = self.model.forward(&tail, &mut cache)?;
        let prefill_ms = t0.elapsed().as_secs_f64() * 1e3;

        let t1 = Instant::now();
        let mut history: Vec<u32> = system.iter().chain(tail.iter()).copied().collect();
        let mut generated: Vec<u32> = Vec::new();
        let mut emitted = 0usize; // bytes of decoded text already sent
        let mut finish = "length";
        while generated.len() < req.max_tokens {
            let recent_from = history.len().saturating_sub(req.repeat_last_n);
            let next = pick_greedy(&logits, &history[recent_from..], req.repeat_penalty)?;
            if self.stop_ids.contains(&next) && !req.ignore_stop {
                finish = "stop";
                break;
            }
            generated.push(next);
            history.push(next);
            // Decode everything so far and send only complete new text: a multi-byte character
            // split across tokens is held back until its last byte arrives.
            let text = self.tokenizer.decode(&generated, true).map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
            let fresh = text.get(emitted..).unwrap_or("");
            if !fresh.is_empty() && !text.ends_with('\u{FFFD}') {
                if !on_text(fresh) {
                    finish = "cancelled";
                    break;
                }
                emitted = text.len();
            }
            if generated.len() == req.max_tokens {
                break;
            }
            logits = self.model.forward(&[next], &mut cache)?;
        }
        Ok(GenerationStats {
            prompt_tokens,
            cached_prompt_tokens: cached,
            generated_tokens: generated.len(),
            prefill_ms,
            decode_ms: t1.elapsed().as_secs_f64() * 1e3,
            finish_reason: finish.into(),
            model: None,
        })
    }
}
