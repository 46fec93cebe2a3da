//! `orient eval retrieval`: recall@1/5/10 and MRR over question files shaped like
//! `questions-dev.jsonl` (`id`, `question`, `intent`, `gold_ids`) or `grounded-qa-dev.jsonl`
//! (`question`, `source_id`, optional `answer_ids`).

pub use crate::EvalError;
use assistant::live_data::needs_live_data;
use retrieval::search::{Mode, Searcher};
use retrieval::SearchOptions;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
struct RawQuestion {
    id: Option<String>,
    question: String,
    intent: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    gold_ids: Option<Vec<String>>,
    source_id: Option<String>,
    answer_ids: Option<Vec<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub id: String,
    pub question: String,
    pub intent: String,
    /// Any of these counts as a hit; empty means out of corpus.
    pub gold: Vec<String>,
}

pub fn read_questions(path: &str, limit: Option<usize>) -> Result<Vec<Question>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::Read { path: path.into(), reason: e.to_string() })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let raw: RawQuestion = serde_json::from_str(line).map_err(|e| EvalError::Line { path: path.into(), line: i + 1, reason: e.to_string() })?;
        let gold = match (raw.gold_ids, raw.source_id, raw.answer_ids) {
            (Some(g), _, _) => g,
            (None, Some(s), extra) => std::iter::once(s).chain(extra.unwrap_or_default()).collect(),
            (None, None, _) => return Err(EvalError::Line { path: path.into(), line: i + 1, reason: "neither gold_ids nor source_id".into() }),
        };
        out.push(Question {
            id: raw.id.unwrap_or_else(|| format!("L{}", i + 1)),
            question: raw.question,
            intent: raw.intent.or(raw.kind).unwrap_or_else(|| "general".into()),
            gold,
        });
    }
    if let Some(n) = limit {
        out = sample_evenly(out, n);
    }
    Ok(out)
}

/// A deterministic, evenly spread sample (every k-th question), so that every question type
/// of a long file is represented.
fn sample_evenly<T>(items: Vec<T>, n: usize) -> Vec<T> {
    if items.len() <= n || n == 0 {
        return items;
    }
    let step = items.len() as f64 / n as f64;
    let keep: std::collections::HashSet<usize> = (0..n).map(|i| (i as f64 * step) as usize).collect();
    items.into_iter().enumerate().filter(|(i, _)| keep.contains(i)).map(|(_, x)| x).collect()
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Metrics {
    pub n: usize,
    pub recall_at_1: f64,
    pub recall_at_5: f64,
    pub recall_at_10: f64,
    pub mrr: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub id: String,
    pub question: String,
    pub gold: Vec<String>,
    pub got: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RetrievalReport {
    pub mode: String,
    pub n: usize,
    pub recall_at_1: f64,
    pub recall_at_5: f64,
    pub recall_at_10: f64,
    pub mrr: f64,
    pub per_intent: BTreeMap<String, Metrics>,
    /// Out-of-corpus questions (no gold ids).
    pub out_of_corpus: usize,
    /// Share of out-of-corpus questions whose coverage stays under the no-answer threshold.
    pub out_of_corpus_refused: Option<f64>,
    /// Share of out-of-corpus questions the assistant declines or answers with the "the fiches
    /// do not hold this" note (coverage under the threshold, or time/place-specific data asked).
    pub out_of_corpus_declined: Option<f64>,
    /// Share of in-corpus questions that get that note.
    pub in_corpus_declined: f64,
    /// Share of in-corpus questions wrongly under the threshold.
    pub in_corpus_refused: f64,
    pub threshold: f32,
    pub misses: Vec<Miss>,
    /// Per question: rank of the first gold fiche (None: not in the top 10) and coverage.
    pub details: Vec<Detail>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Detail {
    pub id: String,
    pub in_corpus: bool,
    pub rank: Option<usize>,
    pub coverage: Option<f32>,
}

#[derive(Default)]
struct Acc {
    n: usize,
    r1: usize,
    r5: usize,
    r10: usize,
    rr: f64,
}

impl Acc {
    fn add(&mut self, rank: Option<usize>) {
        self.n += 1;
        if let Some(r) = rank {
            self.r1 += (r < 1) as usize;
            self.r5 += (r < 5) as usize;
            self.r10 += (r < 10) as usize;
            self.rr += 1.0 / (r as f64 + 1.0);
        }
    }
    fn metrics(&self) -> Metrics {
        let n = self.n.max(1) as f64;
        Metrics { n: self.n, recall_at_1: self.r1 as f64 / n, recall_at_5: self.r5 as f64 / n, recall_at_10: self.r10 as f64 / n, mrr: self.rr / n }
    }
}

pub fn evaluate(searcher: &Searcher, questions: &[Question], mode: Mode, threshold: f32) -> Result<RetrievalReport, EvalError> {
    let mut all = Acc::default();
    let mut per: BTreeMap<String, Acc> = BTreeMap::new();
    let (mut ooc, mut ooc_refused, mut in_refused) = (0usize, 0usize, 0usize);
    let (mut ooc_declined, mut in_declined) = (0usize, 0usize);
    let mut misses = Vec::new();
    let mut details = Vec::new();
    let opts = SearchOptions { k: 10, mode, ..Default::default() };
    for q in questions {
        let dense = if mode == Mode::Sparse { None } else { Some(searcher.query_vector(&q.question)?) };
        let coverage = match &dense {
            Some(d) => Some(searcher.coverage(d)?),
            None => None,
        };
        let under = coverage.is_some_and(|c| c < threshold);
        let declined = (under || needs_live_data(&q.question)) as usize;
        if q.gold.is_empty() {
            details.push(Detail { id: q.id.clone(), in_corpus: false, rank: None, coverage });
            ooc += 1;
            ooc_refused += under as usize;
            ooc_declined += declined;
            continue;
        }
        in_refused += under as usize;
        in_declined += declined;
        let hits = searcher.search_with_vector(&q.question, dense, &opts)?;
        let rank = hits.iter().position(|h| q.gold.contains(&h.id));
        details.push(Detail { id: q.id.clone(), in_corpus: true, rank, coverage });
        all.add(rank);
        per.entry(q.intent.clone()).or_default().add(rank);
        if rank.is_none_or(|r| r >= 5) {
            misses.push(Miss {
                id: q.id.clone(),
                question: q.question.clone(),
                gold: q.gold.clone(),
                got: hits.iter().take(5).map(|h| h.id.clone()).collect(),
            });
        }
    }
    let m = all.metrics();
    Ok(RetrievalReport {
        mode: format!("{mode:?}").to_lowercase(),
        n: m.n,
        recall_at_1: m.recall_at_1,
        recall_at_5: m.recall_at_5,
        recall_at_10: m.recall_at_10,
        mrr: m.mrr,
        per_intent: per.into_iter().map(|(k, v)| (k, v.metrics())).collect(),
        out_of_corpus: ooc,
        out_of_corpus_refused: (ooc > 0 && mode != Mode::Sparse).then(|| ooc_refused as f64 / ooc as f64),
        in_corpus_refused: in_refused as f64 / m.n.max(1) as f64,
        out_of_corpus_declined: (ooc > 0).then(|| ooc_declined as f64 / ooc as f64),
        in_corpus_declined: in_declined as f64 / m.n.max(1) as f64,
        threshold,
        misses,
        details,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recall_and_mrr_on_constructed_ranks() {
        let mut a = Acc::default();
        a.add(Some(0));
        a.add(Some(3));
        a.add(Some(7));
        a.add(None);
        let m = a.metrics();
        assert_eq!(m.recall_at_1, 0.25);
        assert_eq!(m.recall_at_5, 0.5);
        assert_eq!(m.recall_at_10, 0.75);
        assert!((m.mrr - (1.0 + 0.25 + 0.125) / 4.0).abs() < 1e-12);
    }

    #[test]
    fn even_sample_spreads_over_the_file() {
        let s = sample_evenly((0..100).collect(), 10);
        assert_eq!(s, vec![0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    }
}
