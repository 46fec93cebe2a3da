//! `orient rails words`: the distress head's second opinion ([`guardrails::words`]) fitted to
//! a semantic head. The words model trains on the same training part as the heads (every
//! file, as the distress network does); its stack with the encoder and the threshold are
//! fitted on the same validation fifth. The test parts are never read.

use crate::rails_train::{is_validation, CorpusLine};
use crate::EvalError;
use guardrails::semantic::{encoder_texts, Encoder, SemanticModel};
use guardrails::words::{head_fingerprint, train, DistressWords};
use serde::Serialize;

/// What the second opinion changes on validation.
#[derive(Debug, Clone, Serialize)]
pub struct WordsReport {
    pub train_messages: usize,
    pub features: usize,
    pub validation_messages: usize,
    pub validation_distress: usize,
    /// Distress messages the encoder alone catches, then with the second opinion.
    pub caught_by_encoder: usize,
    pub caught_with_words: usize,
    /// Other messages the encoder reads as distress, then with the second opinion.
    pub flagged_by_encoder: usize,
    pub flagged_with_words: usize,
}

/// The text the distress head reads at run time: the message without who the person is,
/// when that leaves something (`guard::check_or_rules`).
pub fn head_text(message: &str) -> String {
    let (plain, without) = encoder_texts(message);
    without.unwrap_or(plain)
}

fn is_distress(l: &CorpusLine) -> bool {
    l.heads().contains(&"distress")
}

pub fn fit(
    lines: &[CorpusLine],
    model: &SemanticModel,
    encoder: &dyn Encoder,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<(DistressWords, WordsReport), EvalError> {
    let head = model.heads.iter().position(|h| h.name == "distress").ok_or_else(|| EvalError::Run("the semantic head has no distress head".into()))?;
    let fingerprint = head_fingerprint(model).expect("a distress head exists");
    let texts: Vec<String> = lines.iter().map(|l| head_text(&l.message)).collect();
    let (val, tr): (Vec<usize>, Vec<usize>) = (0..lines.len()).partition(|&i| is_validation(&lines[i].id));
    let train_texts: Vec<&str> = tr.iter().map(|&i| texts[i].as_str()).collect();
    let train_y: Vec<bool> = tr.iter().map(|&i| is_distress(&lines[i])).collect();
    let words = train::words_model(&train_texts, &train_y, &train::Options::default());
    let mut encoder_scores = Vec::with_capacity(val.len());
    for (n, chunk) in val.chunks(64).enumerate() {
        let refs: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
        let vectors = encoder.encode(&refs).map_err(|e| EvalError::Run(e.to_string()))?;
        encoder_scores.extend(vectors.iter().map(|v| model.scores(v)[head]));
        progress(((n + 1) * 64).min(val.len()), val.len());
    }
    let words_scores: Vec<f32> = val.iter().map(|&i| words.score(&texts[i])).collect();
    let y: Vec<bool> = val.iter().map(|&i| is_distress(&lines[i])).collect();
    let threshold = model.heads[head].threshold;
    let stack = train::stack(&encoder_scores, &words_scores, &y, threshold);
    let by_encoder: Vec<bool> = encoder_scores.iter().map(|s| *s >= threshold).collect();
    let with_words: Vec<bool> = (0..val.len()).map(|k| by_encoder[k] && stack.combined(encoder_scores[k], words_scores[k]) >= stack.threshold).collect();
    let count = |hits: &[bool], positive: bool| hits.iter().zip(&y).filter(|(h, y)| **h && **y == positive).count();
    let report = WordsReport {
        train_messages: tr.len(),
        features: words.weights.len(),
        validation_messages: val.len(),
        validation_distress: y.iter().filter(|y| **y).count(),
        caught_by_encoder: count(&by_encoder, true),
        caught_with_words: count(&with_words, true),
        flagged_by_encoder: count(&by_encoder, false),
        flagged_with_words: count(&with_words, false),
    };
    let trained = serde_json::json!({
        "split": "validation = sha256(id)[0] % 5 == 0 (the heads' own)",
        "features": "words and word pairs of the plain form, in at least 2 training messages",
        "regression": { "c": train::Options::default().c, "class_weight": "balanced" },
        "threshold": "every validation distress message the encoder catches is kept",
        "validation": report,
    });
    Ok((DistressWords { head: fingerprint, model: words, stack, trained }, report))
}
