//! The distress head's second opinion: a logistic regression on the words of the message.
//!
//! The distress network reads a sentence vector of e5's first layers, and its threshold is low
//! (chosen for a validation recall of 0.99), so ordinary orientation questions that only
//! *sound* like a worry ("je déteste l'idée d'être enfermé dans un bureau", "jveu rester pres
//! de chez moi… jaime les vaches") read 0.8–0.98 and were handed off. A second model that sees
//! the words themselves (unigrams and bigrams of the rails' plain form) makes errors of another
//! kind. The two are stacked: `z = a·logit(encoder) + b·logit(words) + c`, fitted on the
//! validation part, and the encoder's distress verdict stands only when `z` reaches the
//! threshold that keeps every validation distress message the encoder catches. The encoder's
//! own confidence stays in `z`, so a near-certain encoder is not overruled by a words model
//! that never saw a rare phrasing. Rules are not touched: their overrides stand whatever the
//! models read.
//!
//! The model file names the distress head it was fitted with ([`head_fingerprint`]); with any
//! other head it is not used, so a retrained head never runs with a stale second opinion.

use crate::semantic::{sigmoid, SemanticModel};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The second opinion shipped with orient (`orient rails words` writes it).
pub const BUILTIN: &str = include_str!("../data/distress-words.json");

/// Word and word-pair features of a plain (normalised, lower-case) text, each once.
pub fn features(plain: &str) -> Vec<String> {
    let words: Vec<&str> = plain.split(|c: char| !c.is_alphanumeric() && c != '_').filter(|w| !w.is_empty()).collect();
    let mut seen = HashSet::new();
    let pairs = words.windows(2).map(|p| format!("{} {}", p[0], p[1]));
    words.iter().map(|w| w.to_string()).chain(pairs).filter(|f| seen.insert(f.clone())).collect()
}

fn logit(p: f32) -> f32 {
    let p = p.clamp(1e-7, 1.0 - 1e-7);
    (p / (1.0 - p)).ln()
}

/// A logistic regression over word features.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WordModel {
    pub bias: f32,
    /// Feature → weight (features seen in at least two training messages).
    pub weights: BTreeMap<String, f32>,
}

impl WordModel {
    pub fn score(&self, plain: &str) -> f32 {
        sigmoid(self.bias + features(plain).iter().filter_map(|f| self.weights.get(f)).sum::<f32>())
    }

    /// The features of the text that weigh most towards distress, strongest first.
    pub fn strongest(&self, plain: &str, n: usize) -> Vec<(String, f32)> {
        let mut found: Vec<(String, f32)> =
            features(plain).into_iter().filter_map(|f| self.weights.get(&f).map(|w| (f, *w))).filter(|(_, w)| *w > 0.0).collect();
        found.sort_by(|a, b| b.1.total_cmp(&a.1));
        found.truncate(n);
        found
    }
}

/// How the two readings are combined, fitted on validation.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Stack {
    pub encoder: f32,
    pub words: f32,
    pub bias: f32,
    /// The distress verdict of the encoder stands when the combined logit reaches this.
    pub threshold: f32,
}

impl Stack {
    pub fn combined(&self, encoder: f32, words: f32) -> f32 {
        self.encoder * logit(encoder) + self.words * logit(words) + self.bias
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DistressWords {
    /// [`head_fingerprint`] of the distress head the stack was fitted with.
    pub head: String,
    pub model: WordModel,
    pub stack: Stack,
    /// How it was trained and what it did on validation (for `docs/`).
    pub trained: serde_json::Value,
}

/// What the second opinion read of one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub words: f32,
    pub combined: f32,
    pub confirms: bool,
    pub strongest: Vec<(String, f32)>,
}

impl DistressWords {
    pub fn parse(text: &str) -> Result<DistressWords, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The shipped second opinion, when it was fitted with this head.
    pub fn builtin_for(model: &SemanticModel) -> Option<DistressWords> {
        let words = Self::parse(BUILTIN).ok()?;
        (head_fingerprint(model).as_deref() == Some(words.head.as_str())).then_some(words)
    }

    pub fn read(&self, encoder_score: f32, plain: &str) -> Reading {
        let words = self.model.score(plain);
        let combined = self.stack.combined(encoder_score, words);
        Reading { words, combined, confirms: combined >= self.stack.threshold, strongest: self.model.strongest(plain, 3) }
    }
}

/// A digest of what decides the distress head's score: the shared layer and the head's
/// weights, bias and threshold.
pub fn head_fingerprint(model: &SemanticModel) -> Option<String> {
    let head = model.heads.iter().find(|h| h.name == "distress")?;
    let mut h = Sha256::new();
    if let Some(hidden) = &model.hidden {
        for x in hidden.weights.iter().chain(&hidden.bias) {
            h.update(x.to_le_bytes());
        }
    }
    for x in head.weights.iter().chain([&head.bias, &head.threshold]) {
        h.update(x.to_le_bytes());
    }
    Some(format!("{:x}", h.finalize()))
}

/// Training of the words model: a logistic regression on binary features, classes weighted
/// to balance, L2 penalty `‖w‖² / (2C)` on the summed loss, full-batch Adam.
pub mod train {
    use super::*;

    pub struct Options {
        /// Inverse regularisation strength (scikit-learn's `C`).
        pub c: f32,
        /// Features must appear in this many training messages.
        pub min_messages: usize,
        pub iterations: usize,
        pub learning_rate: f32,
    }

    impl Default for Options {
        fn default() -> Self {
            Options { c: 0.3, min_messages: 2, iterations: 600, learning_rate: 0.05 }
        }
    }

    pub fn words_model(texts: &[&str], y: &[bool], opts: &Options) -> WordModel {
        let docs: Vec<Vec<String>> = texts.iter().map(|t| features(t)).collect();
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for d in &docs {
            for f in d {
                *counts.entry(f.as_str()).or_default() += 1;
            }
        }
        let mut vocabulary: Vec<&str> = counts.iter().filter(|(_, n)| **n >= opts.min_messages).map(|(f, _)| *f).collect();
        vocabulary.sort_unstable();
        let index: HashMap<&str, usize> = vocabulary.iter().enumerate().map(|(i, f)| (*f, i)).collect();
        let rows: Vec<Vec<usize>> = docs.iter().map(|d| d.iter().filter_map(|f| index.get(f.as_str()).copied()).collect()).collect();
        let n = y.len() as f32;
        let positives = y.iter().filter(|p| **p).count().max(1) as f32;
        let (w_pos, w_neg) = (n / (2.0 * positives), n / (2.0 * (n - positives).max(1.0)));
        let dim = vocabulary.len() + 1; // the bias last, not penalised
        let (mut w, mut m, mut v) = (vec![0.0f32; dim], vec![0.0f32; dim], vec![0.0f32; dim]);
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        for t in 1..=opts.iterations {
            let mut grad = vec![0.0f32; dim];
            for (row, &label) in rows.iter().zip(y) {
                let z = w[dim - 1] + row.iter().map(|&j| w[j]).sum::<f32>();
                let g = (sigmoid(z) - if label { 1.0 } else { 0.0 }) * if label { w_pos } else { w_neg };
                for &j in row {
                    grad[j] += g;
                }
                grad[dim - 1] += g;
            }
            for (j, g) in grad.iter_mut().enumerate().take(dim - 1) {
                *g += w[j] / opts.c;
            }
            let (c1, c2) = (1.0 - b1.powi(t as i32), 1.0 - b2.powi(t as i32));
            for j in 0..dim {
                m[j] = b1 * m[j] + (1.0 - b1) * grad[j];
                v[j] = b2 * v[j] + (1.0 - b2) * grad[j] * grad[j];
                w[j] -= opts.learning_rate * (m[j] / c1) / ((v[j] / c2).sqrt() + eps);
            }
        }
        let weights = vocabulary.iter().zip(&w).filter(|(_, w)| w.abs() >= 1e-3).map(|(f, w)| (f.to_string(), *w)).collect();
        WordModel { bias: w[dim - 1], weights }
    }

    /// The stack of the two readings, fitted on validation messages (`encoder`, `words`:
    /// their scores; `y`: distress or not), and the highest threshold at which every
    /// validation distress message the encoder catches (`encoder ≥ encoder_threshold`) is
    /// still caught.
    pub fn stack(encoder: &[f32], words: &[f32], y: &[bool], encoder_threshold: f32) -> Stack {
        let x: Vec<[f32; 2]> = encoder.iter().zip(words).map(|(e, w)| [logit(*e), logit(*w)]).collect();
        let mut p = [0.0f32; 3];
        let (mut m, mut v) = ([0.0f32; 3], [0.0f32; 3]);
        let n = x.len().max(1) as f32;
        for t in 1..=3000 {
            let mut grad = [0.0f32; 3];
            for (xi, &label) in x.iter().zip(y) {
                let g = sigmoid(p[0] * xi[0] + p[1] * xi[1] + p[2]) - if label { 1.0 } else { 0.0 };
                grad[0] += g * xi[0] / n;
                grad[1] += g * xi[1] / n;
                grad[2] += g / n;
            }
            let (c1, c2) = (1.0 - 0.9f32.powi(t), 1.0 - 0.999f32.powi(t));
            for j in 0..3 {
                m[j] = 0.9 * m[j] + 0.1 * grad[j];
                v[j] = 0.999 * v[j] + 0.001 * grad[j] * grad[j];
                p[j] -= 0.01 * (m[j] / c1) / ((v[j] / c2).sqrt() + 1e-8);
            }
        }
        let mut stack = Stack { encoder: p[0], words: p[1], bias: p[2], threshold: 0.0 };
        stack.threshold = encoder
            .iter()
            .zip(words)
            .zip(y)
            .filter(|((e, _), y)| **y && **e >= encoder_threshold)
            .map(|((e, w), _)| stack.combined(*e, *w))
            .fold(f32::INFINITY, f32::min);
        if !stack.threshold.is_finite() {
            stack.threshold = f32::NEG_INFINITY;
        }
        stack
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_words_and_pairs_once() {
        assert_eq!(features("j'en peux plus, plus"), vec!["j", "en", "peux", "plus", "j en", "en peux", "peux plus", "plus plus"]);
    }

    #[test]
    fn a_trained_model_reads_its_words_and_the_stack_keeps_every_caught_positive() {
        let texts = [
            "je veux mourir",
            "envie de mourir ce soir",
            "je veux disparaitre",
            "metier dehors avec les vaches",
            "metier avec les animaux",
            "je veux un cap dehors",
        ];
        let y = [true, true, true, false, false, false];
        let model = train::words_model(&texts, &y, &train::Options { min_messages: 1, ..Default::default() });
        assert!(model.score("mourir") > 0.5 && model.score("les vaches") < 0.5);
        assert_eq!(model.strongest("je veux mourir", 1)[0].0, "mourir");
        let words: Vec<f32> = texts.iter().map(|t| model.score(t)).collect();
        let encoder = [0.9, 0.02, 0.6, 0.95, 0.3, 0.001];
        let stack = train::stack(&encoder, &words, &y, 0.01);
        for i in 0..3 {
            assert!(stack.combined(encoder[i], words[i]) >= stack.threshold, "positive {i} kept");
        }
        let dw = DistressWords { head: String::new(), model, stack, trained: serde_json::Value::Null };
        assert!(!dw.read(0.95, "metier dehors avec les vaches").confirms);
    }

    #[test]
    fn the_shipped_second_opinion_belongs_to_the_shipped_head() {
        let head = SemanticModel::builtin().unwrap();
        let words = DistressWords::builtin_for(&head).expect("distress-words.json was fitted with semantic-head.json");
        assert!(words.stack.threshold.is_finite());
    }
}
