//! `orient open-questions train` and `orient live-data train`: a logistic head
//! (`assistant::open_head::LogisticHead`) from labelled messages. The open-question head reads
//! its corpus (`crates/assistant/corpus/open-questions/*.jsonl`, each line `{"text", "label":
//! "open" | "named"}`) and the development sets (open questions of
//! `eval/exploration/train.jsonl`, named ones of `eval/answers/train.jsonl`); the live-data head
//! its own (`crates/assistant/corpus/live-data/`, `"label": "outside" | "inside"`) and the
//! answer development sets, whose `out_of_data` field is the label. A deterministic fifth (by
//! the hash of each text) is held out as validation, where the threshold is chosen. The
//! held-out sets (`test*.jsonl`) are never read here.

use crate::EvalError;
use assistant::open_head::{fit, LogisticHead};
use retrieval::Searcher;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Share of the validation's negative messages (about a named fiche; answered by the fiches)
/// the threshold may read as positive.
pub const MAX_NAMED_OPENED: f64 = 0.02;
const L2: f32 = 1e-4;
const STEPS: usize = 20000;
const LEARNING_RATE: f32 = 8.0;

/// One labelled message: `positive` is "open" (asks for paths) or "outside" (asks for data
/// the fiches do not hold).
#[derive(Debug, Clone)]
pub struct Line {
    pub text: String,
    pub positive: bool,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(alias = "question")]
    text: String,
    #[serde(default)]
    label: Option<String>,
    /// An answer set's own mark: the fiches cannot hold the answer.
    #[serde(default)]
    out_of_data: Option<bool>,
}

/// The lines of a JSONL file: each its own `label`, else `default` (a development set whose
/// every question is of one kind), else its `out_of_data` mark (an answer set).
pub fn read_lines(path: &Path, default: Option<bool>) -> Result<Vec<Line>, EvalError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::Read { path: shown.clone(), reason: e.to_string() })?;
    let mut lines = Vec::new();
    for (i, l) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = |reason: String| EvalError::Line { path: shown.clone(), line: i + 1, reason };
        let raw: Raw = serde_json::from_str(l).map_err(|e| bad(e.to_string()))?;
        let positive = match raw.label.as_deref() {
            Some("open" | "outside") => true,
            Some("named" | "inside") => false,
            Some(other) => return Err(bad(format!("label {other:?} is none of \"open\", \"named\", \"outside\", \"inside\""))),
            None => default.or(raw.out_of_data).ok_or_else(|| bad("no label".into()))?,
        };
        lines.push(Line { text: raw.text, positive });
    }
    Ok(lines)
}

/// The lines of a JSONL file, all of one label whatever their own (the open-question corpus,
/// open and named alike, is all answered by the fiches for the live-data head).
pub fn read_lines_as(path: &Path, positive: bool) -> Result<Vec<Line>, EvalError> {
    Ok(read_lines(path, Some(positive))?.into_iter().map(|l| Line { positive, ..l }).collect())
}

/// Every `*.jsonl` of a corpus directory, sorted by name.
pub fn read_corpus_dir(dir: &Path) -> Result<Vec<Line>, EvalError> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| EvalError::Read { path: dir.display().to_string(), reason: e.to_string() })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    files.sort();
    let mut lines = Vec::new();
    for f in files {
        lines.extend(read_lines(&f, None)?);
    }
    Ok(lines)
}

/// Validation holds the lines whose text hashes to 0 mod 5.
fn is_validation(text: &str) -> bool {
    Sha256::digest(text.as_bytes())[0] % 5 == 0
}

/// The head trained on the lines' query vectors (the searcher's, as a turn computes them),
/// with its threshold chosen on validation.
pub fn train(searcher: &Searcher, lines: &[Line], progress: &mut dyn FnMut(usize, usize)) -> Result<LogisticHead, EvalError> {
    let mut vectors = Vec::with_capacity(lines.len());
    for (i, l) in lines.iter().enumerate() {
        // As a turn sees it: personal data redacted, self-descriptions stripped.
        vectors.push(searcher.query_vector(&guardrails::input::retrieval_text(&guardrails::pii::redact(&l.text).0))?);
        progress(i + 1, lines.len());
    }
    let val: Vec<bool> = lines.iter().map(|l| is_validation(&l.text)).collect();
    let pick = |want_val: bool| -> (Vec<Vec<f32>>, Vec<bool>) {
        lines.iter().zip(&vectors).zip(&val).filter(|(_, v)| **v == want_val).map(|((l, x), _)| (x.clone(), l.positive)).unzip()
    };
    let (x, y) = pick(false);
    let (vx, vy) = pick(true);
    if !y.contains(&true) || !y.contains(&false) || !vy.contains(&true) || !vy.contains(&false) {
        return Err(EvalError::Run("the corpus needs messages of both labels in both its parts".into()));
    }
    let (weights, bias) = fit(&x, &y, L2, STEPS, LEARNING_RATE);
    let info = searcher.embedder_handle().info().clone();
    let mut head = LogisticHead { encoder: info.name, encoder_sha256: info.sha256, weights, bias, threshold: 0.5, trained: serde_json::Value::Null };
    let p: Vec<f32> = vx.iter().map(|v| head.probability(v)).collect::<Result<_, _>>().map_err(|e| EvalError::Run(e.to_string()))?;
    let named: Vec<f32> = p.iter().zip(&vy).filter(|(_, o)| !**o).map(|(p, _)| *p).collect();
    let open: Vec<f32> = p.iter().zip(&vy).filter(|(_, o)| **o).map(|(p, _)| *p).collect();
    head.threshold = threshold_for(&named, MAX_NAMED_OPENED);
    let rate = |ps: &[f32]| ps.iter().filter(|p| **p >= head.threshold).count() as f64 / ps.len() as f64;
    head.trained = serde_json::json!({
        "lines": lines.len(),
        "positive": lines.iter().filter(|l| l.positive).count(),
        "negative": lines.iter().filter(|l| !l.positive).count(),
        "validation": { "positive": open.len(), "negative": named.len(), "positive_read_positive": rate(&open), "negative_read_positive": rate(&named) },
        "l2": L2, "steps": STEPS, "learning_rate": LEARNING_RATE, "max_named_opened": MAX_NAMED_OPENED,
    });
    Ok(head)
}

/// The lowest threshold, on a grid of hundredths from 0.5, at which at most `share` of the
/// named questions' probabilities reach it.
fn threshold_for(named: &[f32], share: f64) -> f32 {
    (50..100).map(|t| t as f32 / 100.0).find(|t| named.iter().filter(|p| **p >= *t).count() as f64 <= share * named.len() as f64).unwrap_or(0.99)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_lets_few_named_questions_through() {
        let named: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
        // 2 of 100 may reach it: 0.98 and 0.99.
        assert_eq!(threshold_for(&named, 0.02), 0.98);
        assert_eq!(threshold_for(&[0.1, 0.2], 0.02), 0.5);
    }

    #[test]
    fn lines_take_their_label_or_the_file_s() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jsonl");
        std::fs::write(&p, "{\"text\": \"jsp quoi faire\", \"label\": \"open\"}\n{\"question\": \"combien gagne un juge ?\"}\n").unwrap();
        assert!(read_lines(&p, None).is_err());
        let lines = read_lines(&p, Some(false)).unwrap();
        assert_eq!((lines[0].positive, lines[1].positive), (true, false));
        std::fs::write(&p, "{\"question\": \"frais de l'ESSEC ?\", \"out_of_data\": true}\n{\"text\": \"x\", \"label\": \"inside\"}\n").unwrap();
        let lines = read_lines(&p, None).unwrap();
        assert_eq!((lines[0].positive, lines[1].positive), (true, false));
        std::fs::write(&p, "{\"text\": \"x\", \"label\": \"peut-être\"}\n").unwrap();
        assert!(read_lines(&p, Some(true)).is_err());
    }
}
