//! One turn: retrieve → facts (streamed at once) → generate (streamed, checked) → sources.

use crate::facts::facts_block;
use crate::grounding::SentenceFilter;
use crate::prompt::build_messages;
use inference::{GenerationRequest, GenerationStats, Generator, InferenceError};
use retrieval::search::{SearchError, Searcher};
use retrieval::{Document, Hit, Kind, SearchOptions};
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum AssistantError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Inference(#[from] InferenceError),
    #[error("la question est vide")]
    EmptyQuestion,
}

#[derive(Debug, Clone)]
pub struct AssistantConfig {
    /// Fiches retrieved.
    pub top_k: usize,
    /// Passages given to the model.
    pub prompt_passages: usize,
    /// Fiches whose facts are stated.
    pub fact_fiches: usize,
    pub max_tokens: usize,
    /// Below this cosine similarity between the question and the closest passage, the
    /// corpus does not cover the question: say so instead of answering.
    pub no_answer_threshold: f32,
}

impl Default for AssistantConfig {
    fn default() -> Self {
        AssistantConfig { top_k: 5, prompt_passages: 3, fact_fiches: 2, max_tokens: 120, no_answer_threshold: 0.83 }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Source {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub url: String,
}

/// What streams to the user, in order.
#[derive(Debug, Clone)]
pub enum Event {
    /// Checked answer text.
    Text(String),
}

#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub answer: String,
    pub sources: Vec<Source>,
    /// The corpus does not cover the question.
    pub no_answer: bool,
    /// The question asks for dates, this year's amounts or a named school's results, which the
    /// fiches do not hold: the answer says so before giving what the fiches say.
    pub needs_live_data: bool,
    /// Cosine similarity of the closest passage.
    pub coverage: f32,
    /// Generated sentences dropped because they stated unsupported figures.
    pub dropped_sentences: Vec<String>,
    pub generation: Option<GenerationStats>,
    pub retrieval_ms: f64,
    pub first_text_ms: f64,
    pub total_ms: f64,
}

pub const NO_ANSWER: &str = "Je ne sais pas répondre à cette question avec les fiches de l'Onisep dont je dispose. \
Tu peux reformuler ta question, ou en parler avec un conseiller ou une conseillère : c'est gratuit.";

pub struct Assistant {
    pub searcher: Arc<Searcher>,
    pub generator: Arc<dyn Generator>,
    pub config: AssistantConfig,
}

impl Assistant {
    pub fn new(searcher: Arc<Searcher>, generator: Arc<dyn Generator>, config: AssistantConfig) -> Self {
        Assistant { searcher, generator, config }
    }

    pub fn ask(&self, question: &str, on_event: &mut dyn FnMut(Event)) -> Result<Answer, AssistantError> {
        let question = question.trim();
        if question.is_empty() {
            return Err(AssistantError::EmptyQuestion);
        }
        let t0 = Instant::now();
        let dense = self.searcher.query_vector(question)?;
        let coverage = self.searcher.coverage(&dense)?;
        let opts = SearchOptions { k: self.config.top_k, ..Default::default() };
        let hits = self.searcher.search_with_vector(question, Some(dense), &opts)?;
        let retrieval_ms = t0.elapsed().as_secs_f64() * 1e3;
        let mut answer = String::new();
        let mut first_text_ms = 0.0;
        let mut emit = |text: String, answer: &mut String| {
            if text.is_empty() {
                return;
            }
            if answer.is_empty() {
                first_text_ms = t0.elapsed().as_secs_f64() * 1e3;
            }
            answer.push_str(&text);
            on_event(Event::Text(text));
        };

        if hits.is_empty() || coverage < self.config.no_answer_threshold {
            emit(NO_ANSWER.to_string(), &mut answer);
            return Ok(Answer {
                answer,
                sources: Vec::new(),
                no_answer: true,
                needs_live_data: false,
                coverage,
                dropped_sentences: Vec::new(),
                generation: None,
                retrieval_ms,
                first_text_ms,
                total_ms: t0.elapsed().as_secs_f64() * 1e3,
            });
        }

        let live = crate::live_data::needs_live_data(question);
        if live {
            emit(crate::live_data::LIVE_DATA_NOTE.to_string(), &mut answer);
        }
        // Facts first: they are ready before the model's first token.
        let fact_docs: Vec<&Document> = hits
            .iter()
            .take(self.config.fact_fiches)
            .filter_map(|h| self.searcher.document(&h.id))
            .collect();
        let facts = facts_block(&fact_docs);
        if !facts.is_empty() {
            emit(format!("D'après les fiches de l'Onisep :\n{facts}\n\n"), &mut answer);
        }

        let messages = build_messages(question, &hits, self.config.prompt_passages);
        let evidence = evidence_text(&hits, &facts);
        let mut filter = SentenceFilter::new(&evidence);
        let mut req = GenerationRequest::new(messages);
        req.max_tokens = self.config.max_tokens;
        let stats = self.generator.generate(&req, &mut |piece| {
            let ok = filter.push(piece);
            emit(ok, &mut answer);
            true
        })?;
        let rest = filter.finish();
        // A sentence cut by the token limit is dropped rather than shown half-finished.
        if stats.finish_reason != "length" {
            emit(rest, &mut answer);
        }
        let sources = sources(&hits, &fact_docs);
        Ok(Answer {
            answer: answer.trim_end().to_string(),
            sources,
            no_answer: false,
            needs_live_data: live,
            coverage,
            dropped_sentences: filter.dropped,
            generation: Some(stats),
            retrieval_ms,
            first_text_ms,
            total_ms: t0.elapsed().as_secs_f64() * 1e3,
        })
    }
}

fn evidence_text(hits: &[Hit], facts: &str) -> String {
    let mut e = facts.to_string();
    for h in hits {
        for p in &h.passages {
            e.push('\n');
            e.push_str(&p.text);
        }
    }
    e
}

/// Cited sources: the fiches whose facts were stated, then the fiches given to the model.
fn sources(hits: &[Hit], fact_docs: &[&Document]) -> Vec<Source> {
    let mut out: Vec<Source> = fact_docs
        .iter()
        .map(|d| Source { id: d.id.clone(), kind: d.kind, title: d.display_title(), url: d.url.clone() })
        .collect();
    for h in hits.iter().take(3) {
        if !out.iter().any(|s| s.id == h.id) {
            out.push(Source { id: h.id.clone(), kind: h.kind, title: h.title.clone(), url: h.url.clone() });
        }
    }
    out
}
