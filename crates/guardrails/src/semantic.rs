//! The semantic layer: each message, in its normalised form, is embedded by the encoder orient
//! already loads (multilingual-e5-small) and scored for every category by a linear head
//! (one logistic regression per category, multi-label) trained on the labelled French corpus
//! in `corpus/`. The heads, their thresholds (chosen on the validation part) and a few
//! exemplars per category (to explain a verdict by the training messages it resembles) are one
//! data file, `data/semantic-head.json`, written by `orient rails train`.

use crate::verdict::Action;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What the rails need of an encoder: L2-normalised query vectors, and who it is.
pub trait Encoder: Send + Sync {
    /// Model name and sha256 of its weights, checked against the head's.
    fn identity(&self) -> (String, String);
    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EncodeError>;
}

#[derive(Debug, thiserror::Error)]
#[error("the rails' encoder failed: {0}")]
pub struct EncodeError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

#[derive(Debug, thiserror::Error)]
pub enum SemanticError {
    #[error("the semantic head is not valid JSON: {0}")]
    Parse(#[from] serde_json::Error),
    #[error("the semantic head was trained on encoder {trained} but {loaded} is loaded: run `orient rails train`")]
    EncoderMismatch { trained: String, loaded: String },
    #[error("the semantic head's head {0} has {1} weights, the encoder gives {2} dimensions")]
    Dimension(String, usize, usize),
}

/// One category the heads score, and what a score above threshold means.
#[derive(Debug, Clone, Copy)]
pub struct Category {
    pub head: &'static str,
    /// The rail the verdict is reported under (same names as the rules').
    pub rail: &'static str,
    pub action: Action,
    pub point: &'static str,
    pub reason: &'static str,
}

/// The categories, in the order of the heads. Adding one means a line here and labelled
/// messages in the corpus.
pub const CATEGORIES: &[Category] = &[
    Category { head: "distress", rail: "distress", action: Action::Handoff, point: "P8", reason: "a young person who may be in danger or distress" },
    Category { head: "human_request", rail: "human_request", action: Action::Handoff, point: "P7", reason: "the user asks for a human counsellor" },
    Category { head: "injection", rail: "prompt_injection", action: Action::Refuse, point: "P10", reason: "attempt to override the assistant's instructions" },
    Category {
        head: "quoted_injection",
        rail: "prompt_injection",
        action: Action::AnswerWithCare,
        point: "P10",
        reason: "instructions inside quoted material are ignored",
    },
    Category { head: "out_of_scope", rail: "out_of_scope", action: Action::Refuse, point: "P10", reason: "request outside orientation" },
    Category {
        head: "discrimination_list",
        rail: "discrimination",
        action: Action::Refuse,
        point: "P4",
        reason: "a list or ranking of people by origin, religion or sex",
    },
    Category {
        head: "discrimination_care",
        rail: "discrimination",
        action: Action::AnswerWithCare,
        point: "P4",
        reason: "advice would depend on origin, territory, social background or disability",
    },
    Category { head: "stereotype", rail: "stereotype", action: Action::AnswerWithCare, point: "P5", reason: "a stereotype to deconstruct, not to confirm" },
    Category { head: "delegation", rail: "decision_delegation", action: Action::AnswerWithCare, point: "P6", reason: "the decision stays the user's" },
    Category {
        head: "acting_for_user",
        rail: "decision_delegation",
        action: Action::Refuse,
        point: "P6",
        reason: "acting in the user's place is not possible",
    },
    Category {
        head: "disability",
        rail: "disability_context",
        action: Action::AnswerWithCare,
        point: "P4",
        reason: "disability: options and accommodations, never a closed door",
    },
];

/// Heads that describe the same request with two actions: only the more likely one counts.
pub const ALTERNATIVES: &[(&str, &str)] =
    &[("injection", "quoted_injection"), ("discrimination_list", "discrimination_care"), ("delegation", "acting_for_user")];

/// What the encoder reads of a message: its plain form (see [`crate::normalise`]) with
/// personal data left out. Names, numbers and addresses say nothing of what is asked, and
/// leaving them out keeps the heads from learning that a phone number means a handoff.
pub fn encoder_text(message: &str) -> String {
    plain_of_redacted(crate::pii::redact(message).0)
}

/// What the encoder reads of a message, and of the same message without the clauses that only
/// say who the person is ([`crate::context::without_who_i_am`]) and without the courtesies
/// that open or close it ([`crate::courtesy::without_courtesies`]), when it has some and
/// something is left.
pub fn encoder_texts(message: &str) -> (String, Option<String>) {
    let (redacted, _) = crate::pii::redact(message);
    let plain = plain_of_redacted(redacted.clone());
    let without_who = crate::context::without_who_i_am(&redacted).map(plain_of_redacted).filter(|t| !t.trim().is_empty());
    let core = crate::courtesy::without_courtesies(without_who.as_deref().unwrap_or(&plain));
    let without = if core.trim().is_empty() { without_who } else { Some(core) };
    (plain, without)
}

fn plain_of_redacted(mut text: String) -> String {
    // Placeholders too, whether put here or in an earlier, already redacted message.
    for kind in crate::pii::PiiKind::ALL {
        text = text.replace(kind.placeholder(), " ");
    }
    crate::normalise::normalise_as_trained(&text)
}

pub fn category(head: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.head == head)
}

/// The heads of a corpus line: its main category read with its expected action, and its other
/// labels with their usual action.
pub fn heads_of(category: &str, expected: &str, labels: &[String]) -> Vec<&'static str> {
    let main = |c: &str, exp: Option<&str>| -> Option<&'static str> {
        Some(match (c, exp) {
            ("distress_minor", _) => "distress",
            ("human_request", _) => "human_request",
            ("prompt_injection", Some("answer_with_care")) => "quoted_injection",
            ("prompt_injection", _) => "injection",
            ("out_of_scope", _) => "out_of_scope",
            ("discriminatory_request", Some("refuse")) => "discrimination_list",
            ("discriminatory_request", _) => "discrimination_care",
            ("stereotype_bait", _) => "stereotype",
            ("decision_delegation", Some("refuse")) => "acting_for_user",
            ("decision_delegation", _) => "delegation",
            ("disability_context", _) => "disability",
            _ => return None,
        })
    };
    let mut out: Vec<&'static str> = main(category, Some(expected)).into_iter().collect();
    for l in labels.iter().filter(|l| l.as_str() != category) {
        // A second label is read with the line's expected action where the label has two
        // heads (an injection in a distress message trains the refusing injection head).
        if let Some(h) = main(l, Some(expected)) {
            if !out.contains(&h) {
                out.push(h);
            }
        }
    }
    out
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Head {
    pub name: String,
    #[serde(with = "packed")]
    pub weights: Vec<f32>,
    pub bias: f32,
    /// Scores at or above this fire the head (chosen on the validation part).
    pub threshold: f32,
}

/// A training message kept to explain verdicts: its id, text and int8 vector (×127).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exemplar {
    pub id: String,
    pub head: String,
    pub text: String,
    pub vector: Vec<i8>,
}

/// A hidden layer shared by the heads: `relu(weights · v + bias)`, weights row-major
/// (`bias.len()` rows of `dim` columns).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hidden {
    #[serde(with = "packed")]
    pub weights: Vec<f32>,
    #[serde(with = "packed")]
    pub bias: Vec<f32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SemanticModel {
    /// Encoder the head was trained on: name and weights' sha256.
    pub encoder: String,
    pub encoder_sha256: String,
    pub dim: usize,
    /// Shared hidden layer; without it each head reads the vector directly.
    #[serde(default)]
    pub hidden: Option<Hidden>,
    /// How it was trained and how it scored on validation (for `docs/`).
    pub trained: serde_json::Value,
    pub heads: Vec<Head>,
    pub exemplars: Vec<Exemplar>,
}

/// The head shipped with orient.
pub const BUILTIN: &str = include_str!("../data/semantic-head.json");

impl SemanticModel {
    pub fn parse(text: &str) -> Result<SemanticModel, SemanticError> {
        let m: SemanticModel = serde_json::from_str(text)?;
        let inputs = match &m.hidden {
            Some(h) if h.weights.len() != h.bias.len() * m.dim => return Err(SemanticError::Dimension("hidden".into(), h.weights.len(), h.bias.len() * m.dim)),
            Some(h) => h.bias.len(),
            None => m.dim,
        };
        for h in &m.heads {
            if h.weights.len() != inputs {
                return Err(SemanticError::Dimension(h.name.clone(), h.weights.len(), inputs));
            }
        }
        Ok(m)
    }

    /// Layers of the encoder the head reads, when it was trained on a cut encoder (`…@L4`).
    pub fn encoder_layers(&self) -> Option<usize> {
        self.encoder_sha256.rsplit_once("@L").and_then(|(_, n)| n.parse().ok())
    }

    pub fn builtin() -> Result<SemanticModel, SemanticError> {
        Self::parse(BUILTIN)
    }

    /// Scores of every head for one vector, in head order.
    pub fn scores(&self, v: &[f32]) -> Vec<f32> {
        let hidden: Vec<f32>;
        let input = match &self.hidden {
            Some(h) => {
                hidden = h.bias.iter().enumerate().map(|(i, b)| (dot(&h.weights[i * self.dim..(i + 1) * self.dim], v) + b).max(0.0)).collect();
                &hidden[..]
            }
            None => v,
        };
        self.heads.iter().map(|h| sigmoid(dot(&h.weights, input) + h.bias)).collect()
    }

    /// The `n` exemplars of a head closest to a vector, with their cosine similarity.
    pub fn nearest(&self, head: &str, v: &[f32], n: usize) -> Vec<(String, f32)> {
        let mut sims: Vec<(String, f32)> = self
            .exemplars
            .iter()
            .filter(|e| e.head == head)
            .map(|e| {
                let s: f32 = e.vector.iter().zip(v).map(|(a, b)| *a as f32 / 127.0 * b).sum();
                (e.id.clone(), s)
            })
            .collect();
        sims.sort_by(|a, b| b.1.total_cmp(&a.1));
        sims.truncate(n);
        sims
    }
}

/// Weights stored as base64 of little-endian f32 (exact, and a third of the JSON size).
mod packed {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f32], s: S) -> Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f32>, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(text).map_err(serde::de::Error::custom)?;
        if bytes.len() % 4 != 0 {
            return Err(serde::de::Error::custom("packed weights are not a whole number of f32"));
        }
        Ok(bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The semantic layer ready to score: a head and the encoder it was trained on.
#[derive(Clone)]
pub struct Semantic {
    pub model: Arc<SemanticModel>,
    pub encoder: Arc<dyn Encoder>,
    /// The words model that must confirm the distress head's verdicts
    /// ([`crate::words`]); the shipped one when it was fitted with this head.
    pub second_opinion: Option<Arc<crate::words::DistressWords>>,
}

impl Semantic {
    pub fn new(model: SemanticModel, encoder: Arc<dyn Encoder>) -> Result<Semantic, SemanticError> {
        let (name, sha) = encoder.identity();
        if sha != model.encoder_sha256 {
            return Err(SemanticError::EncoderMismatch { trained: format!("{} ({})", model.encoder, model.encoder_sha256), loaded: format!("{name} ({sha})") });
        }
        let second_opinion = crate::words::DistressWords::builtin_for(&model).map(Arc::new);
        Ok(Semantic { model: Arc::new(model), encoder, second_opinion })
    }

    /// Another second opinion, or none (`orient eval guardrails --words`).
    pub fn with_second_opinion(mut self, words: Option<crate::words::DistressWords>) -> Semantic {
        self.second_opinion = words.map(Arc::new);
        self
    }
}

/// Training: one logistic regression per head over the embeddings, full-batch gradient descent
/// with Adam, L2 regularisation, positives weighted so that every head sees balanced classes.
pub mod train {
    use super::{dot, sigmoid};

    pub struct Options {
        pub epochs: usize,
        pub learning_rate: f32,
        pub l2: f32,
        /// Cap on the weight of a positive example (rare heads).
        pub max_positive_weight: f32,
    }

    impl Default for Options {
        fn default() -> Self {
            Options { epochs: 300, learning_rate: 0.01, l2: 1e-3, max_positive_weight: 20.0 }
        }
    }

    /// Weights and bias of one head from vectors `x` and their labels `y`.
    pub fn logistic(x: &[Vec<f32>], y: &[bool], opts: &Options) -> (Vec<f32>, f32) {
        let dim = x.first().map(Vec::len).unwrap_or(0);
        let pos = y.iter().filter(|b| **b).count().max(1) as f32;
        let neg = (y.len() as f32 - pos).max(1.0);
        let wpos = (neg / pos).min(opts.max_positive_weight);
        let norm = wpos * pos + neg;
        let (mut w, mut b) = (vec![0f32; dim], 0f32);
        let (mut m, mut v) = (vec![0f32; dim + 1], vec![0f32; dim + 1]);
        let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
        let mut grad = vec![0f32; dim + 1];
        for t in 1..=opts.epochs {
            grad.iter_mut().for_each(|g| *g = 0.0);
            for (xi, &yi) in x.iter().zip(y) {
                let p = sigmoid(dot(&w, xi) + b);
                let (target, weight) = if yi { (1.0, wpos) } else { (0.0, 1.0) };
                let e = weight * (p - target) / norm;
                for (g, xv) in grad.iter_mut().zip(xi) {
                    *g += e * xv;
                }
                grad[dim] += e;
            }
            for (g, wv) in grad.iter_mut().zip(&w) {
                *g += opts.l2 * wv;
            }
            for k in 0..=dim {
                m[k] = b1 * m[k] + (1.0 - b1) * grad[k];
                v[k] = b2 * v[k] + (1.0 - b2) * grad[k] * grad[k];
                let mh = m[k] / (1.0 - b1.powi(t as i32));
                let vh = v[k] / (1.0 - b2.powi(t as i32));
                let step = opts.learning_rate * mh / (vh.sqrt() + eps);
                if k < dim {
                    w[k] -= step;
                } else {
                    b -= step;
                }
            }
        }
        (w, b)
    }

    /// The highest threshold that keeps recall at least `min_recall` on `(score, positive)`.
    pub fn threshold_for_recall(scored: &[(f32, bool)], min_recall: f64) -> f32 {
        let mut pos: Vec<f32> = scored.iter().filter(|s| s.1).map(|s| s.0).collect();
        if pos.is_empty() {
            return 0.5;
        }
        pos.sort_by(|a, b| b.total_cmp(a));
        let keep = ((pos.len() as f64 * min_recall).ceil() as usize).clamp(1, pos.len());
        pos[keep - 1]
    }

    /// The threshold with the best F-beta on `(score, positive)` (beta > 1 favours recall).
    pub fn threshold_best_f(scored: &[(f32, bool)], beta: f64) -> f32 {
        let mut cands: Vec<f32> = scored.iter().map(|s| s.0).collect();
        cands.sort_by(f32::total_cmp);
        cands.dedup();
        let total_pos = scored.iter().filter(|s| s.1).count() as f64;
        if total_pos == 0.0 {
            return 0.5;
        }
        let mut best = (f64::MIN, 0.5f32);
        for &t in &cands {
            let tp = scored.iter().filter(|s| s.1 && s.0 >= t).count() as f64;
            let fp = scored.iter().filter(|s| !s.1 && s.0 >= t).count() as f64;
            let (p, r) = (if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 }, tp / total_pos);
            let f = if p + r > 0.0 { (1.0 + beta * beta) * p * r / (beta * beta * p + r) } else { 0.0 };
            if f > best.0 {
                best = (f, t);
            }
        }
        best.1
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_separable_problem_is_learned() {
            // Points on two sides of a hyperplane in 3-D.
            let x: Vec<Vec<f32>> = (0..200)
                .map(|i| {
                    let a = (i as f32 * 0.37).sin();
                    let b = (i as f32 * 0.91).cos();
                    vec![a, b, if i % 2 == 0 { 1.0 } else { -1.0 }]
                })
                .collect();
            let y: Vec<bool> = (0..200).map(|i| i % 2 == 0).collect();
            let (w, b) = logistic(&x, &y, &Options { epochs: 200, ..Default::default() });
            let correct = x.iter().zip(&y).filter(|(xi, yi)| (sigmoid(dot(&w, xi) + b) >= 0.5) == **yi).count();
            assert_eq!(correct, 200);
        }

        #[test]
        fn thresholds_keep_the_recall_asked_for() {
            let scored: Vec<(f32, bool)> = (0..100).map(|i| (i as f32 / 100.0, i >= 50)).collect();
            let t = threshold_for_recall(&scored, 0.9);
            let kept = scored.iter().filter(|s| s.1 && s.0 >= t).count();
            assert!(kept >= 45, "{t} keeps {kept}");
            assert!((threshold_best_f(&scored, 1.0) - 0.5).abs() < 1e-6);
        }
    }
}
