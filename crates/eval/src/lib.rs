//! Evaluation: how well orient finds the right fiche, answers, guards, and treats everyone
//! alike (counterfactual fairness); reports in JSON and self-contained HTML.

pub mod answers_eval;
pub mod exploration_eval;
pub mod fairness;
pub mod fairness_metrics;
pub mod guardrails_eval;
pub mod memo;
pub mod open_head_train;
pub mod rails_train;
pub mod report_html;
pub mod retrieval_eval;
pub mod words_train;

use retrieval::search::SearchError;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path} line {line}: {reason}")]
    Line { path: String, line: usize, reason: String },
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("{0}")]
    Run(String),
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The current time, RFC 3339 (UTC), for report headers.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Write `report.json` and `report.html` into `dir` (created if needed).
pub fn write_report(dir: &std::path::Path, json: &serde_json::Value, html: &str) -> Result<(), EvalError> {
    let err = |e: std::io::Error| EvalError::Write { path: dir.display().to_string(), reason: e.to_string() };
    std::fs::create_dir_all(dir).map_err(err)?;
    let text = serde_json::to_string_pretty(json).map_err(|e| EvalError::Run(e.to_string()))?;
    std::fs::write(dir.join("report.json"), text).map_err(err)?;
    std::fs::write(dir.join("report.html"), html).map_err(err)?;
    Ok(())
}
