//! The receipt every reply carries: charter points applied, rail verdicts, sources, models and
//! index versions, timings, tokens, CPU time (P1, P11, P12).

use crate::turn::{Answer, Assistant};
use guardrails::Verdict;
use inference::ModelInfo;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Receipt {
    /// Charter points applied, in order (`P1`…).
    pub points: Vec<String>,
    pub verdicts: Vec<Verdict>,
    pub sources: Vec<String>,
    pub models: Vec<ModelInfo>,
    pub index_version: String,
    pub action: String,
    pub prompt_tokens: usize,
    pub cached_prompt_tokens: usize,
    pub generated_tokens: usize,
    pub retrieval_ms: f64,
    pub first_text_ms: f64,
    pub total_ms: f64,
    /// CPU time of the process during the turn.
    pub cpu_ms: f64,
    /// Served from the answer cache (an identical question without personal data was
    /// answered within the cache's lifetime); timings and tokens are the original turn's.
    pub cached: bool,
}

impl Receipt {
    pub fn new(verdicts: &[Verdict], a: &Answer, assistant: &Assistant, cpu_ms: f64) -> Receipt {
        let mut points: Vec<String> = verdicts.iter().map(|v| v.point.clone()).collect();
        points.push("P11".into()); // every reply is recorded in the transparency log
        points.sort_by_key(|p| p[1..].parse::<u32>().unwrap_or(0));
        points.dedup();
        let g = a.generation.clone().unwrap_or_default();
        let mut models = Vec::new();
        if a.generation.is_some() || a.coverage > 0.0 {
            models.push(assistant.searcher.embedder().info().clone());
        }
        if let Some(g) = &a.generation {
            // The model that wrote: the generator's own, or the one that took over for it.
            models.push(g.model.clone().unwrap_or_else(|| assistant.generator.info().clone()));
        }
        Receipt {
            points,
            verdicts: verdicts.to_vec(),
            sources: a.sources.iter().map(|s| s.id.clone()).collect(),
            models,
            index_version: assistant.index_version.clone(),
            action: a.action.as_str().into(),
            prompt_tokens: g.prompt_tokens,
            cached_prompt_tokens: g.cached_prompt_tokens,
            generated_tokens: g.generated_tokens,
            retrieval_ms: a.retrieval_ms,
            first_text_ms: a.first_text_ms,
            total_ms: a.total_ms,
            cpu_ms,
            cached: false,
        }
    }
}

/// User + system CPU time of this process, in milliseconds.
pub fn cpu_time_ms() -> f64 {
    // /proc/self/stat fields 14 and 15 (utime, stime) in clock ticks; Linux only, 0 elsewhere.
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    let Some(after) = stat.rfind(')').map(|i| &stat[i + 2..]) else { return 0.0 };
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|u| u.parse::<f64>().ok()).unwrap_or(0.0) + f.get(12).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    ticks * 10.0 // USER_HZ is 100 on Linux
}
