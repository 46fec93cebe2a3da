//! A generator that runs each distinct prompt once. Decoding is greedy, so the same prompt
//! always gives the same text: evaluations whose variants reduce to the same prompt (a first
//! name masked by the PII rail, say) replay the first run instead of generating again.

use inference::{GenerationRequest, GenerationStats, Generator, InferenceError, ModelInfo};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub struct MemoGenerator {
    inner: Arc<dyn Generator>,
    seen: Mutex<HashMap<String, (Vec<String>, GenerationStats)>>,
}

impl MemoGenerator {
    pub fn new(inner: Arc<dyn Generator>) -> Self {
        MemoGenerator { inner, seen: Mutex::new(HashMap::new()) }
    }

    /// Distinct prompts generated so far.
    pub fn generations(&self) -> usize {
        self.seen.lock().map(|m| m.len()).unwrap_or(0)
    }

    fn key(r: &GenerationRequest) -> String {
        let messages = serde_json::to_string(&r.messages).unwrap_or_default();
        format!("{}|{}|{}|{}|{messages}", r.max_tokens, r.repeat_penalty, r.repeat_last_n, r.ignore_stop)
    }
}

impl Generator for MemoGenerator {
    fn info(&self) -> &ModelInfo {
        self.inner.info()
    }

    fn generate(&self, request: &GenerationRequest, on_text: &mut dyn FnMut(&str) -> bool) -> Result<GenerationStats, InferenceError> {
        let key = Self::key(request);
        let known = self.seen.lock().ok().and_then(|m| m.get(&key).cloned());
        if let Some((pieces, stats)) = known {
            for p in &pieces {
                if !on_text(p) {
                    break;
                }
            }
            return Ok(stats);
        }
        let mut pieces = Vec::new();
        let mut stopped = false;
        let stats = self.inner.generate(request, &mut |p| {
            pieces.push(p.to_string());
            let go = on_text(p);
            stopped |= !go;
            go
        })?;
        // A run cut short by its caller is not the prompt's whole answer: not kept.
        if !stopped {
            if let Ok(mut m) = self.seen.lock() {
                m.insert(key, (pieces, stats.clone()));
            }
        }
        Ok(stats)
    }

    fn count_tokens(&self, text: &str) -> Result<usize, InferenceError> {
        self.inner.count_tokens(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use inference::{ChatMessage, QwenGenerator, Role};

    #[test]
    fn the_same_prompt_is_generated_once_and_replayed_identically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        inference::testing::write_tiny_qwen2(&path).unwrap();
        let info = ModelInfo { name: "tiny".into(), architecture: "qwen2".into(), sha256: String::new() };
        let memo = MemoGenerator::new(Arc::new(QwenGenerator::load(&path, info).unwrap()));
        let req = |q: &str| {
            let mut r = GenerationRequest::new(vec![ChatMessage::new(Role::System, "sys"), ChatMessage::new(Role::User, q)]);
            r.max_tokens = 8;
            r
        };
        let run = |r: &GenerationRequest| {
            let mut text = String::new();
            let stats = memo.generate(r, &mut |t| {
                text.push_str(t);
                true
            });
            (text, stats.unwrap().generated_tokens)
        };
        let first = run(&req("bonjour"));
        assert_eq!(run(&req("bonjour")), first);
        assert_eq!(memo.generations(), 1);
        run(&req("autre question"));
        assert_eq!(memo.generations(), 2);
    }
}
