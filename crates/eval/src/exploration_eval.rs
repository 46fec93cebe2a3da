//! `orient eval exploration`: open questions ("jsp quoi faire, j'aime cuisiner") asked to the
//! whole assistant. Measures whether an expected métier is among those proposed, whether the
//! proposals match the interests and level the person stated (their ONISEP centres d'intérêt
//! against the labelled ones), how many sectors they span, how often the reply ends with a
//! question, and how well the profile was read (interests, level).

use crate::EvalError;
use assistant::{Assistant, FollowUp};
use retrieval::Level;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize)]
pub struct OpenQuestion {
    pub id: String,
    pub question: String,
    #[serde(default)]
    pub register: String,
    /// ONISEP centres d'intérêt the question expresses (labels as in the fiches).
    #[serde(default)]
    pub interests: Vec<String>,
    /// Highest level accepted ("CAP", "Bac", "Bac + 2"…), if the person said one.
    #[serde(default)]
    pub max_level: Option<String>,
    /// Métiers a counsellor would propose (any one of them among the proposals counts).
    #[serde(default)]
    pub expected: Vec<String>,
}

pub fn read_questions(path: &str, limit: Option<usize>) -> Result<Vec<OpenQuestion>, EvalError> {
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

#[derive(Debug, Clone, Serialize)]
pub struct ExplorationDetail {
    pub id: String,
    pub question: String,
    pub register: String,
    /// The reply was an exploration (not a fiche's card).
    pub explored: bool,
    pub proposals: Vec<String>,
    pub proposal_titles: Vec<String>,
    /// An expected métier is among the proposals.
    pub expected_hit: bool,
    /// Share of the proposals that carry a stated interest and fit the stated level.
    pub matching: f64,
    /// Distinct main sectors among the proposals.
    pub sectors: usize,
    pub follow_up: Option<FollowUp>,
    pub interests_read: Vec<String>,
    pub interests_expected: Vec<String>,
    pub level_read: Option<Level>,
    pub level_expected: Option<Level>,
    pub answer: String,
    pub total_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExplorationReport {
    pub kind: String,
    pub created: String,
    pub questions_file: String,
    pub questions_sha256: String,
    pub models: Vec<inference::ModelInfo>,
    pub index_version: String,
    pub n: usize,
    /// Questions that state at least one interest (the others should get a question back).
    pub with_interests: usize,
    pub explored_rate: f64,
    pub expected_hit_rate: f64,
    pub matching_rate: f64,
    pub two_sectors_rate: f64,
    pub follow_up_rate: f64,
    /// Questions without interest that were asked what the person likes.
    pub vague_asked_back: f64,
    pub interest_precision: f64,
    pub interest_recall: f64,
    /// Questions with a labelled level limit whose limit was read exactly.
    pub level_read_rate: f64,
    pub total_ms_p50: f64,
    pub seconds: f64,
    pub details: Vec<ExplorationDetail>,
}

/// The main sector of a métier, as the exploration reads it (transverse "Fonction publique"
/// aside).
fn main_sector(d: &retrieval::Document) -> Option<String> {
    d.facts.sectors.iter().find(|s| s.as_str() != "Fonction publique").or(d.facts.sectors.first()).cloned()
}

pub fn evaluate_one(assistant: &Assistant, q: &OpenQuestion) -> Result<ExplorationDetail, EvalError> {
    let a = assistant.ask(&q.question, false, &mut |_| {}).map_err(|e| EvalError::Run(e.to_string()))?;
    let level_expected = q.max_level.as_deref().and_then(Level::parse);
    // Understanding is measured on every question, whatever the reply became.
    let read = assistant::Profile::read(&q.question, &assistant::question::Question::read(&q.question));
    let (interests_read, level_read) = (read.interests, read.max_level);
    let (proposals, titles, follow_up) = match &a.exploration {
        Some(e) => (e.proposals.iter().map(|p| p.id.clone()).collect::<Vec<_>>(), e.proposals.iter().map(|p| p.title.clone()).collect::<Vec<_>>(), e.follow_up),
        None => (a.sources.iter().map(|s| s.id.clone()).collect(), a.sources.iter().map(|s| s.title.clone()).collect(), None),
    };
    let docs: Vec<&retrieval::Document> = proposals.iter().filter_map(|id| assistant.searcher.document(id)).collect();
    let fits = |d: &&retrieval::Document| {
        let interest = q.interests.is_empty() || d.facts.interests.iter().any(|i| q.interests.contains(i));
        let level = level_expected.is_none_or(|max| d.facts.level_order().is_some_and(|l| l <= max));
        interest && level
    };
    let matching = if docs.is_empty() { 0.0 } else { docs.iter().filter(|d| fits(d)).count() as f64 / docs.len() as f64 };
    let mut sectors: Vec<String> = docs.iter().filter_map(|d| main_sector(d)).collect();
    sectors.sort();
    sectors.dedup();
    Ok(ExplorationDetail {
        id: q.id.clone(),
        question: q.question.clone(),
        register: q.register.clone(),
        explored: a.exploration.is_some(),
        expected_hit: q.expected.iter().any(|e| proposals.contains(e)),
        matching,
        sectors: sectors.len(),
        follow_up,
        interests_read,
        interests_expected: q.interests.clone(),
        level_read,
        level_expected,
        proposals,
        proposal_titles: titles,
        answer: a.answer,
        total_ms: a.total_ms,
    })
}

pub fn summarise(details: Vec<ExplorationDetail>) -> ExplorationReport {
    let share = |n: usize, of: usize| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    let with: Vec<&ExplorationDetail> = details.iter().filter(|d| !d.interests_expected.is_empty()).collect();
    let vague: Vec<&ExplorationDetail> = details.iter().filter(|d| d.interests_expected.is_empty()).collect();
    let proposed: Vec<&&ExplorationDetail> = with.iter().filter(|d| !d.proposals.is_empty()).collect();
    let read: usize = details.iter().map(|d| d.interests_read.len()).sum();
    let read_right: usize = details.iter().map(|d| d.interests_read.iter().filter(|i| d.interests_expected.contains(i)).count()).sum();
    let expected: usize = details.iter().map(|d| d.interests_expected.len()).sum();
    let found: usize = details.iter().map(|d| d.interests_expected.iter().filter(|i| d.interests_read.contains(i)).count()).sum();
    let limited: Vec<&ExplorationDetail> = details.iter().filter(|d| d.level_expected.is_some()).collect();
    let mut times: Vec<f64> = details.iter().map(|d| d.total_ms).collect();
    times.sort_by(|a, b| a.total_cmp(b));
    ExplorationReport {
        kind: "exploration".into(),
        created: crate::now_rfc3339(),
        questions_file: String::new(),
        questions_sha256: String::new(),
        models: Vec::new(),
        index_version: String::new(),
        n: details.len(),
        with_interests: with.len(),
        explored_rate: share(details.iter().filter(|d| d.explored).count(), details.len()),
        expected_hit_rate: share(with.iter().filter(|d| d.expected_hit).count(), with.len()),
        matching_rate: if proposed.is_empty() { 0.0 } else { proposed.iter().map(|d| d.matching).sum::<f64>() / proposed.len() as f64 },
        two_sectors_rate: share(proposed.iter().filter(|d| d.sectors >= 2).count(), proposed.len()),
        follow_up_rate: share(details.iter().filter(|d| d.follow_up.is_some()).count(), details.len()),
        vague_asked_back: share(vague.iter().filter(|d| d.follow_up == Some(FollowUp::Interests)).count(), vague.len()),
        interest_precision: share(read_right, read),
        interest_recall: share(found, expected),
        level_read_rate: share(limited.iter().filter(|d| d.level_read == d.level_expected).count(), limited.len()),
        total_ms_p50: times.get(times.len() / 2).copied().unwrap_or(0.0),
        seconds: 0.0,
        details,
    }
}
