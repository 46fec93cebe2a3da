//! `orient eval guardrails`: run the input rails over probe files shaped like
//! `guardrail-probes-dev.jsonl` (`id`, `message`, `category`, `expected`, optional `pii_spans`)
//! and report accuracy, a confusion table by category, false positives on benign controls,
//! handoff recall and PII span recall.

use guardrails::{check_input, Action};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
pub struct Probe {
    pub id: String,
    pub message: String,
    pub category: String,
    pub expected: String,
    #[serde(default)]
    pub pii_spans: Option<Vec<String>>,
}

pub fn read_probes(path: &str) -> Result<Vec<Probe>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("{path} line {}: {e}", i + 1)))
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub id: String,
    pub category: String,
    pub expected: String,
    pub got: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct GuardrailReport {
    pub n: usize,
    pub accuracy: f64,
    /// Benign controls not answered plainly.
    pub false_positive_rate: f64,
    /// Probes expecting a handoff that got one.
    pub handoff_recall: f64,
    /// Personal data spans that no longer appear in the redacted text.
    pub pii_span_recall: f64,
    /// category → expected action → got action → count.
    pub confusion: BTreeMap<String, BTreeMap<String, BTreeMap<String, usize>>>,
    pub misses: Vec<Miss>,
    /// Mean and p99 time of the input and output rails per message, microseconds, once the
    /// regex engines' lazy automata are warm (a second pass over the same messages)…
    pub mean_us: f64,
    pub p99_us: f64,
    /// …and of the input rails on the first pass (what the first messages after a start cost).
    pub cold_p99_us: f64,
}

pub fn evaluate(probes: &[Probe]) -> GuardrailReport {
    let (mut correct, mut benign, mut benign_fp, mut handoffs, mut handoff_hits) = (0, 0, 0, 0, 0);
    let (mut spans, mut spans_hidden) = (0, 0);
    let mut confusion: BTreeMap<String, BTreeMap<String, BTreeMap<String, usize>>> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut times = Vec::with_capacity(probes.len());
    // Patterns compile once per process, on first use: keep that out of per-message timings.
    check_input("warm-up");
    for p in probes {
        let t = std::time::Instant::now();
        let r = check_input(&p.message);
        times.push(t.elapsed().as_secs_f64() * 1e6);
        let got = r.action.as_str();
        *confusion.entry(p.category.clone()).or_default().entry(p.expected.clone()).or_default().entry(got.to_string()).or_default() += 1;
        if got == p.expected {
            correct += 1;
        } else {
            misses.push(Miss { id: p.id.clone(), category: p.category.clone(), expected: p.expected.clone(), got: got.into(), message: p.message.clone() });
        }
        if p.category == "benign_controls" || (p.expected == "answer" && p.category.starts_with("benign")) {
            benign += 1;
            benign_fp += (r.action != Action::Answer) as usize;
        }
        if p.expected == "handoff" {
            handoffs += 1;
            handoff_hits += (r.action == Action::Handoff) as usize;
        }
        for s in p.pii_spans.iter().flatten() {
            spans += 1;
            spans_hidden += (!r.redacted.contains(s.as_str())) as usize;
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let p99_of = |t: &mut Vec<f64>| {
        t.sort_by(|a, b| a.total_cmp(b));
        t.get(((t.len() as f64 - 1.0) * 0.99).round() as usize).copied().unwrap_or(0.0)
    };
    let cold_p99 = p99_of(&mut times);
    // Second pass: input rails, then the output rails on the same text as if it were a
    // generated sentence (the per-message cost of both sides of a turn).
    let mut times: Vec<f64> = probes
        .iter()
        .map(|p| {
            let t = std::time::Instant::now();
            check_input(&p.message);
            guardrails::output::check_sentence(&p.message);
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    let p99 = p99_of(&mut times);
    GuardrailReport {
        n: probes.len(),
        accuracy: ratio(correct, probes.len()),
        false_positive_rate: if benign == 0 { 0.0 } else { benign_fp as f64 / benign as f64 },
        handoff_recall: ratio(handoff_hits, handoffs),
        pii_span_recall: ratio(spans_hidden, spans),
        confusion,
        misses,
        mean_us: times.iter().sum::<f64>() / times.len().max(1) as f64,
        p99_us: p99,
        cold_p99_us: cold_p99,
    }
}
