//! The default generator: a quantized qwen2 GGUF with its own tokenizer (built from the GGUF
//! metadata), ChatML prompts, greedy decoding with a repeat penalty, text streamed as produced,
//! prompts' KV caches reused by the prompts that start the same way, and continuous batching: concurrent
//! turns share each decoding step (see `Engine::run`).

use crate::contract::{ChatMessage, GenerationRequest, GenerationStats, Generator, InferenceError, ModelInfo, Role};
use crate::prompt_cache::PromptCache;
use crate::qwen2::{pick_greedy, KvCache, Qwen2};
use candle_core::quantized::gguf_file;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use candle_core::Device;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;
use tokenizers::Tokenizer;

pub struct QwenGenerator {
    engine: Arc<Engine>,
    info: ModelInfo,
    /// Turns go to the batcher thread, which owns every forward pass.
    jobs: Mutex<mpsc::Sender<Job>>,
}

/// What the batcher thread and the callers share: the weights and the tokenizer.
struct Engine {
    model: Qwen2,
    tokenizer: Tokenizer,
    stop_ids: Vec<u32>,
}

/// The most sequences decoded in one step; more wait for a place (each one's cache is memory).
pub const MAX_BATCH: usize = 16;

/// Prompts are computed in chunks of this many tokens, starting at multiples of it: one chunk
/// per step for a newcomer while others are decoding (a whole prompt at once would freeze their
/// streams for seconds; a chunk costs them about one step's time), all of them at once when no
/// one is. The boundaries never move, so a prompt is computed the same way whatever the load
/// and whatever part of it came from the prompt cache: same numbers, same text.
pub const PREFILL_CHUNK: usize = 64;

/// Prompt tokens kept computed for reuse (see `prompt_cache`): about 470 MB of keys and values
/// on the 1.5B model (57 KB a token), 190 MB on the 0.5B one.
pub const PROMPT_CACHE_TOKENS: usize = 8192;

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
        let engine = Arc::new(Engine { model, tokenizer, stop_ids });
        let (jobs, queue) = mpsc::channel();
        let batcher = engine.clone();
        std::thread::Builder::new()
            .name("orient-generator".into())
            .spawn(move || batcher.run(queue))
            .map_err(|e| InferenceError::Compute(format!("cannot start the generator thread: {e}")))?;
        Ok(QwenGenerator { engine, info, jobs: Mutex::new(jobs) })
    }

    pub fn tokenizer(&self) -> &Tokenizer {
        &self.engine.tokenizer
    }
}

impl Engine {
    fn encode(&self, text: &str) -> Result<Vec<u32>, InferenceError> {
        let enc = self.tokenizer.encode(text, false).map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// ChatML: the leading system message and the rest, each encoded on its own (the system
    /// message's tokens never depend on what follows).
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

    /// The batcher: owns every forward pass. Each step it gives one prompt chunk to the oldest
    /// newcomer, then one decoding step to every sequence past its prompt, all in one batched
    /// pass; sequences join and leave between steps. It ends when the generator is dropped.
    fn run(&self, queue: mpsc::Receiver<Job>) {
        let mut prompts = PromptCache::new(PROMPT_CACHE_TOKENS);
        let mut active: Vec<Sequence> = Vec::new();
        let mut waiting: std::collections::VecDeque<Job> = Default::default();
        loop {
            if active.is_empty() && waiting.is_empty() {
                match queue.recv() {
                    Ok(job) => waiting.push_back(job),
                    Err(_) => return,
                }
            }
            waiting.extend(queue.try_iter());
            while active.len() < MAX_BATCH {
                let Some(job) = waiting.pop_front() else { break };
                let (cache, cached) = prompts.lookup(&job.prompt, PREFILL_CHUNK).unwrap_or_else(|| (self.model.new_cache(), 0));
                active.push(Sequence::new(job, cache, cached));
            }
            active.retain(|s| !s.cancelled());
            self.prefill_step(&mut active, &mut prompts);
            self.decode_step(&mut active);
        }
    }

    /// One chunk of the oldest unfinished prompt (all its chunks when no one is decoding); a
    /// prompt computed to its end is kept for the next ones that start the same way.
    fn prefill_step(&self, active: &mut Vec<Sequence>, prompts: &mut PromptCache) {
        let decoding = active.iter().any(|s| s.logits.is_some());
        let Some(i) = active.iter().position(|s| s.logits.is_none()) else { return };
        let s = &mut active[i];
        loop {
            // Up to the next multiple of the chunk size, counted from the prompt's start.
            let done = s.prompt_tokens - s.pending.len();
            let n = (PREFILL_CHUNK - done % PREFILL_CHUNK).min(s.pending.len());
            let chunk: Vec<u32> = s.pending.drain(..n).collect();
            match self.model.forward(&chunk, &mut s.cache) {
                Ok(logits) if s.pending.is_empty() => {
                    prompts.insert(&s.history, &s.cache);
                    s.prefill_ms = s.submitted.elapsed().as_secs_f64() * 1e3;
                    s.decode_start = Instant::now();
                    s.logits = Some(logits);
                    return;
                }
                Ok(_) if decoding => return,
                Ok(_) => {}
                Err(e) => return active.swap_remove(i).finish(Err(e.into())),
            }
        }
    }

    /// Every sequence past its prompt picks its next token from its logits; those that go on
    /// are computed together.
    fn decode_step(&self, active: &mut Vec<Sequence>) {
        let mut going: Vec<usize> = Vec::new();
        let mut i = 0;
        while i < active.len() {
            match active[i].logits.take() {
                None => i += 1,
                Some(logits) => match self.advance(&mut active[i], &logits) {
                    Ok(Some(next)) => {
                        active[i].next = next;
                        going.push(i);
                        i += 1;
                    }
                    Ok(None) => active.swap_remove(i).finish_ok(),
                    Err(e) => active.swap_remove(i).finish(Err(e)),
                },
            }
        }
        if going.is_empty() {
            return;
        }
        let mut steps: Vec<(u32, &mut KvCache)> = Vec::with_capacity(going.len());
        let mut seqs: Vec<&mut Sequence> = active.iter_mut().collect();
        // Indices of `going` are increasing: take each one's cache in order.
        for (n, s) in seqs.iter_mut().enumerate() {
            if going.contains(&n) {
                let next = s.next;
                steps.push((next, &mut s.cache));
            }
        }
        match self.model.forward_batch(&mut steps) {
            Ok(logits) => {
                let batch = going.len();
                for (&n, l) in going.iter().zip(logits) {
                    active[n].logits = Some(l);
                    active[n].peak_batch = active[n].peak_batch.max(batch);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for n in going.into_iter().rev() {
                    active.swap_remove(n).finish(Err(InferenceError::Compute(msg.clone())));
                }
            }
        }
    }

    /// Pick the next token and send the new text; `None` when the sequence is done.
    fn advance(&self, s: &mut Sequence, logits: &candle_core::Tensor) -> Result<Option<u32>, InferenceError> {
        let req = &s.job;
        if req.max_tokens == 0 {
            return Ok(None);
        }
        let recent_from = s.history.len().saturating_sub(req.repeat_last_n);
        let next = pick_greedy(logits, &s.history[recent_from..], req.repeat_penalty)?;
        if self.stop_ids.contains(&next) && !req.ignore_stop {
            s.finish = "stop";
            return Ok(None);
        }
        s.generated.push(next);
        s.history.push(next);
        // Decode everything so far and send only complete new text: a multi-byte character
        // split across tokens is held back until its last byte arrives.
        let text = self.tokenizer.decode(&s.generated, true).map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
        let fresh = text.get(s.emitted..).unwrap_or("");
        if !fresh.is_empty() && !text.ends_with('\u{FFFD}') {
            if s.job.events.send(Event::Text(fresh.to_string())).is_err() {
                s.finish = "cancelled";
                return Ok(None);
            }
            s.emitted = text.len();
        }
        if s.generated.len() >= s.job.max_tokens {
            return Ok(None);
        }
        Ok(Some(next))
    }
}

/// A turn handed to the batcher.
struct Job {
    /// ChatML tokens of the whole prompt.
    prompt: Vec<u32>,
    max_tokens: usize,
    repeat_penalty: f32,
    repeat_last_n: usize,
    ignore_stop: bool,
    submitted: Instant,
    events: mpsc::Sender<Event>,
    /// Set by the caller when its reader went away.
    cancel: Arc<AtomicBool>,
}

impl Job {
    fn finish(self, result: Result<GenerationStats, InferenceError>) {
        // The caller may have gone: nothing to tell then.
        let _ = self.events.send(Event::Done(result));
    }
}

enum Event {
    Text(String),
    Done(Result<GenerationStats, InferenceError>),
}

/// A turn inside the batcher: its cache, what it still has to read, what it wrote.
struct Sequence {
    cache: KvCache,
    cached: usize,
    prompt_tokens: usize,
    pending: Vec<u32>,
    history: Vec<u32>,
    generated: Vec<u32>,
    emitted: usize,
    logits: Option<candle_core::Tensor>,
    next: u32,
    peak_batch: usize,
    submitted: Instant,
    prefill_ms: f64,
    decode_start: Instant,
    finish: &'static str,
    job: Job,
}

impl Sequence {
    /// `cache` holds the first `cached` tokens of the job's prompt.
    fn new(job: Job, cache: KvCache, cached: usize) -> Self {
        Sequence {
            cache,
            cached,
            prompt_tokens: job.prompt.len(),
            pending: job.prompt[cached..].to_vec(),
            history: job.prompt.clone(),
            generated: Vec::new(),
            emitted: 0,
            logits: None,
            next: 0,
            peak_batch: 0,
            submitted: job.submitted,
            prefill_ms: 0.0,
            decode_start: Instant::now(),
            finish: "length",
            job,
        }
    }

    fn cancelled(&self) -> bool {
        if self.job.cancel.load(Ordering::Relaxed) {
            let _ = self.job.events.send(Event::Done(Ok(self.stats("cancelled"))));
            return true;
        }
        false
    }

    fn stats(&self, finish: &str) -> GenerationStats {
        GenerationStats {
            prompt_tokens: self.prompt_tokens,
            cached_prompt_tokens: self.cached,
            generated_tokens: self.generated.len(),
            prefill_ms: self.prefill_ms,
            decode_ms: if self.logits.is_some() || !self.generated.is_empty() { self.decode_start.elapsed().as_secs_f64() * 1e3 } else { 0.0 },
            finish_reason: finish.into(),
            peak_batch: self.peak_batch,
            model: None,
        }
    }

    fn finish_ok(self) {
        let stats = self.stats(self.finish);
        self.job.finish(Ok(stats));
    }

    fn finish(self, result: Result<GenerationStats, InferenceError>) {
        self.job.finish(result);
    }
}

impl Generator for QwenGenerator {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn count_tokens(&self, text: &str) -> Result<usize, InferenceError> {
        Ok(self.engine.encode(text)?.len())
    }

    fn generate(&self, req: &GenerationRequest, on_text: &mut dyn FnMut(&str) -> bool) -> Result<GenerationStats, InferenceError> {
        let (system, tail) = self.engine.prompt_tokens(&req.messages)?;
        let prompt_tokens = system.len() + tail.len();
        if prompt_tokens + req.max_tokens > self.engine.model.context_length {
            return Err(InferenceError::InputTooLong { tokens: prompt_tokens + req.max_tokens, max: self.engine.model.context_length });
        }
        let (events, replies) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let job = Job {
            prompt: system.into_iter().chain(tail).collect(),
            max_tokens: req.max_tokens,
            repeat_penalty: req.repeat_penalty,
            repeat_last_n: req.repeat_last_n,
            ignore_stop: req.ignore_stop,
            submitted: Instant::now(),
            events,
            cancel: cancel.clone(),
        };
        let stopped = || InferenceError::Compute("the generator thread stopped".into());
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).send(job).map_err(|_| stopped())?;
        let mut cancelled = false;
        for event in replies {
            match event {
                Event::Text(t) if !cancelled => {
                    if !on_text(&t) {
                        cancelled = true;
                        cancel.store(true, Ordering::Relaxed);
                    }
                }
                Event::Text(_) => {}
                Event::Done(Ok(mut stats)) => {
                    if cancelled {
                        stats.finish_reason = "cancelled".into();
                    }
                    return Ok(stats);
                }
                Event::Done(Err(e)) => return Err(e),
            }
        }
        Err(stopped())
    }
}
