//! Whether a message asks for paths to explore ("un élève de 3e veut travailler dans l'armée
//! mais sans le lycée général") or about the fiches it names ("combien gagne un vétérinaire ?"),
//! read by a logistic head over the query vector retrieval already computes for the message.
//!
//! The routing rules of [`crate::turn`] read words: a title, a situation, a taste. A teacher who
//! names their own job, a sector with no precise job in it, a wish told without "quels
//! métiers" slip between them. The head reads the whole message; it is trained on labelled
//! messages (`corpus/open-questions/`, and the development sets) by `orient open-questions
//! train`, and shipped as data (`data/open-question-head.json`). It only ever opens the way to
//! paths: a message the rules already read as open stays open.

use serde::{Deserialize, Serialize};

/// The head shipped with orient.
pub const BUILTIN: &str = include_str!("../data/open-question-head.json");

/// A logistic head over query vectors, trained by `orient open-questions train` (this file's
/// head) or `orient live-data train` (`crate::live_data`'s).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogisticHead {
    /// The embedder whose query vectors the head reads: name and weights' sha256.
    pub encoder: String,
    pub encoder_sha256: String,
    pub weights: Vec<f32>,
    pub bias: f32,
    /// A probability at or above this reads the message as open. Chosen on the validation
    /// part so that few questions about a named fiche reach it (a card that answers is worth
    /// more than paths nobody asked for).
    pub threshold: f32,
    /// How it was trained and how it scored on validation (for `docs/`).
    pub trained: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenHeadError {
    #[error("logistic head: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("logistic head: {0} weights for vectors of {1}")]
    Dimension(usize, usize),
}

/// The head that reads whether a message asks for paths.
pub type OpenQuestionHead = LogisticHead;

impl LogisticHead {
    pub fn parse(text: &str) -> Result<LogisticHead, OpenHeadError> {
        Ok(serde_json::from_str(text)?)
    }

    /// The open-question head shipped with orient.
    pub fn builtin() -> Result<LogisticHead, OpenHeadError> {
        Self::parse(BUILTIN)
    }

    /// Whether the head reads vectors of this embedder (name, weights' sha256).
    pub fn reads(&self, encoder_sha256: &str) -> bool {
        self.encoder_sha256 == encoder_sha256
    }

    /// The probability that the message of this query vector asks for paths.
    pub fn probability(&self, v: &[f32]) -> Result<f32, OpenHeadError> {
        if v.len() != self.weights.len() {
            return Err(OpenHeadError::Dimension(self.weights.len(), v.len()));
        }
        Ok(sigmoid(dot(&self.weights, v) + self.bias))
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// L2-regularised logistic regression by full-batch gradient descent: deterministic (no
/// random start, no shuffling), so the same corpus gives the same head. `y`: open or not.
/// Each class weighs as much as the other whatever their counts.
pub fn fit(x: &[Vec<f32>], y: &[bool], l2: f32, steps: usize, learning_rate: f32) -> (Vec<f32>, f32) {
    let d = x.first().map_or(0, Vec::len);
    let positives = y.iter().filter(|t| **t).count().max(1) as f32;
    let negatives = y.iter().filter(|t| !**t).count().max(1) as f32;
    let weight = |t: bool| if t { 0.5 / positives } else { 0.5 / negatives };
    let (mut w, mut b) = (vec![0.0f32; d], 0.0f32);
    for _ in 0..steps {
        let mut gw: Vec<f32> = w.iter().map(|wi| l2 * wi).collect();
        let mut gb = 0.0;
        for (xi, &t) in x.iter().zip(y) {
            let err = (sigmoid(dot(&w, xi) + b) - if t { 1.0 } else { 0.0 }) * weight(t);
            for (g, v) in gw.iter_mut().zip(xi) {
                *g += err * v;
            }
            gb += err;
        }
        for (wi, g) in w.iter_mut().zip(&gw) {
            *wi -= learning_rate * g;
        }
        b -= learning_rate * gb;
    }
    (w, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_head_parses() {
        let h = OpenQuestionHead::builtin().unwrap();
        assert!(!h.weights.is_empty() && h.threshold > 0.0 && h.threshold < 1.0);
        assert!(matches!(h.probability(&[0.0; 3]), Err(OpenHeadError::Dimension(_, 3))));
    }

    #[test]
    fn fit_separates_two_directions() {
        // Open messages lean one way, named ones the other, with noise in a third dimension.
        let x: Vec<Vec<f32>> = (0..40).map(|i| if i % 2 == 0 { vec![1.0, 0.1, (i % 5) as f32 * 0.1] } else { vec![0.1, 1.0, (i % 7) as f32 * 0.1] }).collect();
        let y: Vec<bool> = (0..40).map(|i| i % 2 == 0).collect();
        let (w, b) = fit(&x, &y, 0.01, 500, 1.0);
        let h = LogisticHead { encoder: "t".into(), encoder_sha256: "t".into(), weights: w, bias: b, threshold: 0.5, trained: serde_json::Value::Null };
        assert!(h.probability(&[1.0, 0.1, 0.2]).unwrap() > 0.8);
        assert!(h.probability(&[0.1, 1.0, 0.2]).unwrap() < 0.2);
    }
}
