//! `orient eval answers`: the full assistant on a question file shaped like
//! `questions-dev.jsonl` (`gold_ids`, `key_facts`, `must_not`). Measures the source hit rate,
//! key-fact coverage, unsupported claims (figures or diplomas absent from the cited fiches),
//! "je ne sais pas" on out-of-corpus questions, time to first text and total time.

use crate::EvalError;
use assistant::Assistant;
use regex::Regex;
use retrieval::french::fold;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize)]
pub struct AnswerQuestion {
    pub id: String,
    pub question: String,
    #[serde(default)]
    pub intent: String,
    #[serde(default)]
    pub gold_ids: Vec<String>,
    #[serde(default)]
    pub key_facts: Vec<String>,
    #[serde(default)]
    pub must_not: Vec<String>,
    /// The fiches do not hold the answer (this year's dates, a school's figures, rankings):
    /// the answer must say so.
    #[serde(default)]
    pub out_of_data: bool,
    /// What the person rules out: fiche ids or words of their titles, never to be proposed.
    #[serde(default)]
    pub excluded: Vec<String>,
}

pub fn read_questions(path: &str, limit: Option<usize>) -> Result<Vec<AnswerQuestion>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::Read { path: path.into(), reason: e.to_string() })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        out.push(serde_json::from_str(line).map_err(|e| EvalError::Line { path: path.into(), line: i + 1, reason: e.to_string() })?);
    }
    if let Some(n) = limit {
        out.truncate(n);
    }
    Ok(out)
}

const STOP: &[&str] = &[
    "pour", "dans", "avec", "sans", "mais", "plus", "moins", "tres", "sont", "etre", "avoir", "fait", "faire", "peut", "peuvent", "elle", "elles", "ils",
    "leur", "leurs", "cette", "ces", "des", "les", "une", "par", "sur", "que", "qui", "quoi", "dont", "entre", "aussi", "souvent", "d'abord", "puis", "tout",
    "tous", "toute", "toutes", "comme", "ainsi", "donc", "encore", "selon", "apres", "avant", "depuis", "chez", "vers",
];

/// Content words of a text: folded, four letters or more, not a stop word; numbers kept.
pub fn content_words(text: &str) -> HashSet<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| (w.len() >= 4 && !STOP.contains(w)) || (!w.is_empty() && w.chars().all(|c| c.is_ascii_digit())))
        .map(String::from)
        .collect()
}

/// Share of a statement's content words found in the answer.
pub fn coverage(statement: &str, answer_words: &HashSet<String>) -> f64 {
    let words = content_words(statement);
    if words.is_empty() {
        return 1.0;
    }
    words.iter().filter(|w| answer_words.contains(*w)).count() as f64 / words.len() as f64
}

/// A key fact counts as given when half its content words are in the answer.
pub const FACT_COVERED: f64 = 0.5;
/// A forbidden statement counts as made when most of its content words are in the answer.
pub const MUST_NOT_HIT: f64 = 0.75;

fn claim_patterns() -> &'static [Regex] {
    static P: OnceLock<Vec<Regex>> = OnceLock::new();
    P.get_or_init(|| {
        [
            // Figures (not fiche ids, which are sources themselves).
            r"(?:^|[^.\w])(\d+(?:[,.]\d+)?)\s*(?:%|€|euros?|ans?|mois|heures?|h\b)",
            // Diplomas named by their acronym.
            r"\b(CAP|BEP|BP|BTS|BTSA|BUT|DUT|DEUST|DNMADE|DEAES|DEES|DCG|DSCG|CQP|MC|bac pro|bac techno|licence pro|master|doctorat)\b",
        ]
        .iter()
        .map(|p| Regex::new(p).expect("valid claim pattern"))
        .collect()
    })
}

/// Figures and diplomas the answer states that none of its evidence texts contains.
pub fn unsupported_claims(answer: &str, evidence: &str) -> Vec<String> {
    let evidence = fold(evidence).replace(' ', "");
    let mut out = Vec::new();
    for p in claim_patterns() {
        for c in p.captures_iter(answer) {
            let claim = c.get(1).map(|m| m.as_str()).unwrap_or_default();
            let key = fold(claim).replace(' ', "");
            if !key.is_empty() && !evidence.contains(&key) && !out.contains(&claim.to_string()) {
                out.push(claim.to_string());
            }
        }
    }
    out
}

#[derive(Debug, Clone, Serialize)]
pub struct AnswerDetail {
    pub id: String,
    pub question: String,
    pub intent: String,
    pub out_of_corpus: bool,
    pub source_hit: bool,
    pub declined: bool,
    pub key_fact_coverage: f64,
    pub unsupported: Vec<String>,
    pub must_not_hits: Vec<String>,
    /// The question's out-of-data flag.
    pub out_of_data: bool,
    /// What the assistant read the question as asking.
    pub asked: assistant::question::Question,
    /// The question's intent is among what was read (comparison and yes/no by their flags;
    /// out-of-data intents by the live-data note).
    pub intent_recognised: bool,
    /// Ruled-out fiches or words found among the sources.
    pub excluded_proposed: Vec<String>,
    pub sources: Vec<String>,
    pub answer: String,
    /// The model's part of the answer (kept after the checks), and what the checks dropped.
    pub generated: String,
    pub dropped: Vec<String>,
    pub sentence_checks: Vec<assistant::SentenceCheck>,
    pub first_text_ms: f64,
    pub total_ms: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IntentMetrics {
    pub n: usize,
    pub source_hit_rate: f64,
    pub key_fact_coverage: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnswersReport {
    pub kind: String,
    pub created: String,
    pub pass: Option<bool>,
    pub summary: String,
    pub questions_file: String,
    pub questions_sha256: String,
    pub models: Vec<inference::ModelInfo>,
    pub index_version: String,
    pub n: usize,
    pub out_of_corpus: usize,
    pub source_hit_rate: f64,
    pub key_fact_coverage: f64,
    pub unsupported_claim_rate: f64,
    pub must_not_hits: usize,
    pub out_of_corpus_declined: f64,
    /// In-data questions wrongly told the fiches do not hold the answer.
    pub in_data_declined: f64,
    /// Questions whose labelled intent was read.
    pub intent_recognised: f64,
    /// Questions that got a fiche the person ruled out.
    pub excluded_proposed: usize,
    pub first_text_ms_p50: f64,
    pub total_ms_p50: f64,
    pub seconds: f64,
    pub generations: usize,
    pub per_intent: BTreeMap<String, IntentMetrics>,
    pub details: Vec<AnswerDetail>,
}

/// Evidence an answer may rest on: the whole text of every fiche it cites.
fn evidence(assistant: &Assistant, sources: &[String]) -> String {
    sources.iter().filter_map(|id| assistant.searcher.document(id)).map(|d| serde_json::to_string(d).unwrap_or_default()).collect::<Vec<_>>().join("\n")
}

/// Whether the assistant read the question's labelled intent.
fn recognised(intent: &str, a: &assistant::Answer) -> bool {
    match intent {
        "comparaison" => a.asked.comparison,
        "oui_non" => a.asked.yes_no,
        "hors_donnees" => a.needs_live_data,
        "" | "general" => true,
        other => a.asked.asked.iter().any(|x| x.key() == other),
    }
}

/// Ruled-out fiches (by id) or words (in a cited fiche's title) the answer proposes anyway.
fn excluded_proposed(q: &AnswerQuestion, a: &assistant::Answer) -> Vec<String> {
    q.excluded
        .iter()
        .filter(|e| {
            let e_folded = fold(e);
            a.sources.iter().any(|s| s.id == **e || (!e.contains('.') && fold(&s.title).contains(&e_folded)))
        })
        .cloned()
        .collect()
}

pub fn evaluate_one(assistant: &Assistant, q: &AnswerQuestion) -> Result<AnswerDetail, EvalError> {
    let a = assistant.ask(&q.question, false, &mut |_| {}).map_err(|e| EvalError::Run(e.to_string()))?;
    let sources: Vec<String> = a.sources.iter().map(|s| s.id.clone()).collect();
    let words = content_words(&a.answer);
    let out_of_corpus = q.gold_ids.is_empty() || q.out_of_data;
    let facts = if q.key_facts.is_empty() || out_of_corpus {
        1.0
    } else {
        q.key_facts.iter().filter(|f| coverage(f, &words) >= FACT_COVERED).count() as f64 / q.key_facts.len() as f64
    };
    Ok(AnswerDetail {
        id: q.id.clone(),
        question: q.question.clone(),
        intent: if q.intent.is_empty() { "general".into() } else { q.intent.clone() },
        out_of_corpus,
        source_hit: q.gold_ids.is_empty() || q.gold_ids.iter().any(|g| sources.contains(g)),
        declined: a.no_answer || a.needs_live_data,
        key_fact_coverage: facts,
        // The rails' fixed replies (help numbers "24 h/24", refusals) are not claims from fiches.
        unsupported: if matches!(a.action, guardrails::Action::Handoff | guardrails::Action::Refuse) {
            Vec::new()
        } else {
            unsupported_claims(&assistant::without_fixed_replies(&a.answer), &evidence(assistant, &sources))
        },
        must_not_hits: q.must_not.iter().filter(|m| coverage(m, &words) >= MUST_NOT_HIT).cloned().collect(),
        out_of_data: q.out_of_data,
        intent_recognised: recognised(&q.intent, &a),
        excluded_proposed: excluded_proposed(q, &a),
        asked: a.asked.clone(),
        sources,
        generated: a.generated.clone(),
        dropped: a.dropped_sentences.clone(),
        sentence_checks: a.sentence_checks.clone(),
        answer: a.answer,
        first_text_ms: a.first_text_ms,
        total_ms: a.total_ms,
    })
}

/// Per-intent metrics; source hit rate, key-fact coverage, unsupported-claim rate,
/// out-of-corpus declined rate, first-text and total p50 (ms); must_not hits.
pub fn summarise(details: &[AnswerDetail]) -> (BTreeMap<String, IntentMetrics>, [f64; 6], usize) {
    let inc: Vec<&AnswerDetail> = details.iter().filter(|d| !d.out_of_corpus).collect();
    let ooc: Vec<&AnswerDetail> = details.iter().filter(|d| d.out_of_corpus).collect();
    let rate = |v: &[&AnswerDetail], f: fn(&AnswerDetail) -> f64| if v.is_empty() { 0.0 } else { v.iter().map(|d| f(d)).sum::<f64>() / v.len() as f64 };
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let mut per_intent: BTreeMap<String, Vec<&AnswerDetail>> = BTreeMap::new();
    for d in &inc {
        per_intent.entry(d.intent.clone()).or_default().push(d);
    }
    let per_intent = per_intent
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                IntentMetrics {
                    n: v.len(),
                    source_hit_rate: rate(&v, |d| f64::from(u8::from(d.source_hit))),
                    key_fact_coverage: rate(&v, |d| d.key_fact_coverage),
                },
            )
        })
        .collect();
    let all: Vec<&AnswerDetail> = details.iter().collect();
    let figures = [
        rate(&inc, |d| f64::from(u8::from(d.source_hit))),
        rate(&inc, |d| d.key_fact_coverage),
        rate(&all, |d| f64::from(u8::from(!d.unsupported.is_empty()))),
        rate(&ooc, |d| f64::from(u8::from(d.declined))),
        median(details.iter().map(|d| d.first_text_ms).collect()),
        median(details.iter().map(|d| d.total_ms).collect()),
    ];
    (per_intent, figures, details.iter().map(|d| d.must_not_hits.len()).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_facts_are_matched_by_content_words() {
        let answer = content_words("Le cordiste réalise des travaux en hauteur avec des cordes et un harnais. Salaire du débutant : 1950 euros brut par mois.");
        assert!(coverage("Salaire du débutant : 1950 euros brut par mois", &answer) >= FACT_COVERED);
        assert!(coverage("L'actuaire conçoit les contrats d'assurance", &answer) < FACT_COVERED);
    }

    #[test]
    fn figures_and_diplomas_absent_from_the_sources_are_unsupported() {
        let evidence = "Le CAP boulanger se prépare en 2 ans. Salaire : 1 800 euros.";
        assert!(unsupported_claims("Le CAP dure 2 ans.", evidence).is_empty());
        assert_eq!(unsupported_claims("Le BTS dure 2 ans et le salaire monte à 3000 euros.", evidence), vec!["3000", "BTS"]);
    }
}
