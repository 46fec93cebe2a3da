//! `orient rails train`: the semantic layer's heads from the labelled corpus
//! (`crates/guardrails/corpus/train-*.jsonl`). A deterministic fifth of those files (by the
//! hash of each id) is held out as validation, where thresholds are chosen: distress first
//! (recall at least [`DISTRESS_RECALL`]), requests for a human next, best F-score for the
//! rest. `corpus/test.jsonl`, written separately, is never read here.

use crate::EvalError;
use guardrails::semantic::{self, train, Encoder, Exemplar, Head, SemanticModel, CATEGORIES};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Recall wanted on validation for each head; heads not listed use the best F2 threshold.
pub const DISTRESS_RECALL: f64 = 0.99;
pub const HUMAN_RECALL: f64 = 0.95;
/// Lowest threshold of the heads that neither hand off nor protect a child.
pub const MIN_THRESHOLD: f32 = 0.35;
/// Exemplars kept per head to explain verdicts.
const EXEMPLARS_PER_HEAD: usize = 40;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct CorpusLine {
    pub id: String,
    pub message: String,
    pub category: String,
    #[serde(default)]
    pub labels: Vec<String>,
    pub expected: String,
    #[serde(default)]
    pub register: String,
    #[serde(default)]
    pub hard_negative: bool,
    #[serde(default)]
    pub pii_spans: Option<Vec<String>>,
    /// Which networks the line trains (from its file's name, not from the line).
    #[serde(skip)]
    pub scope: Scope,
}

/// Which of the two networks a training file feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// `train-*.jsonl`: every head.
    #[default]
    All,
    /// `distress-*.jsonl`: the distress network only. Messages that teach the distress head
    /// what is *not* distress (open orientation questions in the register of young people,
    /// short replies) leave the other heads exactly as they were: their network, its inputs'
    /// scaling and their thresholds never see these lines.
    DistressOnly,
}

impl CorpusLine {
    pub fn heads(&self) -> Vec<&'static str> {
        semantic::heads_of(&self.category, &self.expected, &self.labels)
    }
}

pub fn read_corpus(path: &Path) -> Result<Vec<CorpusLine>, EvalError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::Read { path: shown.clone(), reason: e.to_string() })?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| EvalError::Line { path: shown.clone(), line: i + 1, reason: e.to_string() }))
        .collect()
}

/// The training files of a corpus directory (`train-*.jsonl`, then `distress-*.jsonl`), each
/// with the networks it feeds, sorted by name within each kind.
pub fn training_files(dir: &Path) -> Result<Vec<(PathBuf, Scope)>, EvalError> {
    let mut files: Vec<(PathBuf, Scope)> = std::fs::read_dir(dir)
        .map_err(|e| EvalError::Read { path: dir.display().to_string(), reason: e.to_string() })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            let scope = match name.strip_suffix(".jsonl")? {
                n if n.starts_with("train-") => Scope::All,
                n if n.starts_with("distress-") => Scope::DistressOnly,
                _ => return None,
            };
            Some((p, scope))
        })
        .collect();
    files.sort_by(|a, b| (a.1 == Scope::DistressOnly, &a.0).cmp(&(b.1 == Scope::DistressOnly, &b.0)));
    Ok(files)
}

/// Every line of a corpus directory's training files, each with its scope.
pub fn read_training_corpus(dir: &Path) -> Result<Vec<CorpusLine>, EvalError> {
    let mut lines = Vec::new();
    for (path, scope) in training_files(dir)? {
        lines.extend(read_corpus(&path)?.into_iter().map(|l| CorpusLine { scope, ..l }));
    }
    Ok(lines)
}

/// Validation holds the lines whose id hashes to 0 mod 5.
pub fn is_validation(id: &str) -> bool {
    Sha256::digest(id.as_bytes())[0] % 5 == 0
}

#[derive(Debug, Clone, Serialize)]
pub struct HeadReport {
    pub head: String,
    pub threshold: f32,
    pub train_positives: usize,
    pub validation_positives: usize,
    pub validation_precision: f64,
    pub validation_recall: f64,
}

/// Vectors of the corpus lines' plain forms, reusing those in `cache` (plain text → vector,
/// for one encoder) and adding the new ones to it.
pub fn embed_lines(
    lines: &[CorpusLine],
    encoder: &dyn Encoder,
    cache: &mut HashMap<String, Vec<f32>>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<Vec<f32>>, EvalError> {
    let texts: Vec<String> = lines.iter().map(|l| semantic::encoder_text(&l.message)).collect();
    let missing: Vec<&String> = texts.iter().filter(|t| !cache.contains_key(t.as_str())).collect();
    for (n, chunk) in missing.chunks(64).enumerate() {
        let refs: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
        let vs = encoder.encode(&refs).map_err(|e| EvalError::Run(e.to_string()))?;
        for (t, v) in chunk.iter().zip(vs) {
            cache.insert((*t).clone(), v);
        }
        progress(((n + 1) * 64).min(missing.len()), missing.len());
    }
    Ok(texts.iter().map(|t| cache[t.as_str()].clone()).collect())
}

/// The highest threshold at which the rules (their overrides, not topic rules) and the head
/// together reach `recall` on the validation positives: what the rules already catch need
/// not be caught twice.
/// Recall a rail's threshold must reach on validation: with the rules' overrides, and, as a
/// share of that, by the head alone.
struct RecallTarget {
    with_rules: f64,
    head_alone: f64,
}

fn threshold_with_rules(lines: &[CorpusLine], val: &[bool], y: &[bool], scores: &[Vec<f32>], head: usize, rail: &str, target: RecallTarget) -> f32 {
    let (recall, alone) = (target.with_rules, target.head_alone);
    let overrides = |m: &str| {
        guardrails::input::rule_verdicts(m)
            .iter()
            .any(|v| v.rail == rail && !matches!(&v.layer, Some(guardrails::Layer::Rule { id }) if id.split('#').next().is_some_and(|l| l.ends_with("_topic"))))
    };
    let positives: Vec<usize> = (0..lines.len()).filter(|&i| val[i] && y[i]).collect();
    let by_rules = positives.iter().filter(|&&i| overrides(&lines[i].message)).count();
    let needed = ((positives.len() as f64 * recall).ceil() as usize).saturating_sub(by_rules);
    let mut rest: Vec<f32> = positives.iter().filter(|&&i| !overrides(&lines[i].message)).map(|&i| scores[i][head]).collect();
    rest.sort_by(|a, b| b.total_cmp(a));
    let with_rules = match needed {
        // The rules alone reach the recall: the head still fires on what it is sure of.
        0 => 0.5,
        n => rest.get(n - 1).copied().unwrap_or(0.0),
    };
    // The rules are a backstop, not a substitute: rules written from validation's misses would
    // otherwise raise the threshold on validation alone. The head must also reach
    // `alone` of the rail's recall target by itself (distress: HEAD_ALONE_RECALL).
    let mut all: Vec<f32> = positives.iter().map(|&i| scores[i][head]).collect();
    all.sort_by(|a, b| b.total_cmp(a));
    let alone = ((positives.len() as f64 * recall * alone).ceil() as usize).max(1);
    with_rules.min(all.get(alone - 1).copied().unwrap_or(0.0))
}

/// Share of the distress recall target the distress head must reach without the rules.
pub const HEAD_ALONE_RECALL: f64 = 0.995;

/// The network's shape and how it is trained (one hidden layer shared by every head,
/// mini-batch AdamW, positives weighted per head so rare categories count).
#[derive(Debug, Clone, Serialize)]
pub struct NetOptions {
    pub hidden: usize,
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    /// L2 penalty on the weights, in the loss: `l2 / 2 · ‖W‖² / batch`.
    pub l2: f64,
    pub dropout: f32,
    pub max_positive_weight: f32,
    pub seed: u64,
    /// Networks trained from different seeds and averaged.
    pub members: usize,
    /// Distress recall (with the rules) the distress threshold must reach on validation.
    pub distress_recall: f64,
}

impl Default for NetOptions {
    fn default() -> Self {
        NetOptions {
            hidden: 256,
            epochs: 110,
            batch: 200,
            learning_rate: 1e-3,
            weight_decay: 0.0,
            l2: 0.1,
            dropout: 0.3,
            max_positive_weight: 1.0,
            seed: 7,
            members: 5,
            distress_recall: DISTRESS_RECALL,
        }
    }
}

/// Deterministic pseudo-random numbers (initialisation and shuffling are reproducible).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    /// Approximately normal (sum of uniforms).
    fn normal(&mut self) -> f32 {
        (0..6).map(|_| (self.next() % 1_000_000) as f32 / 1_000_000.0).sum::<f32>() - 3.0
    }
}

/// Trained weights of the shared layer and the heads, in the standardised input space.
struct Net {
    w1: Vec<f32>,
    b1: Vec<f32>,
    w2: Vec<f32>,
    b2: Vec<f32>,
}

fn train_net(x: &[Vec<f32>], y: &[Vec<f32>], opts: &NetOptions) -> candle_core::Result<Net> {
    use candle_core::{DType, Device, Tensor, Var, D};
    use candle_nn::{AdamW, Optimizer, ParamsAdamW};
    let dev = Device::Cpu;
    let (n, d, k, h) = (x.len(), x[0].len(), y[0].len(), opts.hidden);
    let mut rng = Lcg(opts.seed);
    let w1 = Var::from_vec((0..h * d).map(|_| rng.normal() * (2.0 / d as f32).sqrt() * 0.7).collect::<Vec<f32>>(), (h, d), &dev)?;
    let b1 = Var::zeros(h, DType::F32, &dev)?;
    let w2 = Var::from_vec((0..k * h).map(|_| rng.normal() * (1.0 / h as f32).sqrt() * 0.7).collect::<Vec<f32>>(), (k, h), &dev)?;
    let b2 = Var::zeros(k, DType::F32, &dev)?;
    let mut opt = AdamW::new(
        vec![w1.clone(), b1.clone(), w2.clone(), b2.clone()],
        ParamsAdamW { lr: opts.learning_rate, weight_decay: opts.weight_decay, ..Default::default() },
    )?;
    // Positive weight per head: as many negatives as positives, capped.
    let pos_weight: Vec<f32> = (0..k)
        .map(|j| {
            let pos = y.iter().filter(|r| r[j] > 0.5).count().max(1) as f32;
            ((n as f32 - pos) / pos).min(opts.max_positive_weight).max(1.0)
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    for _ in 0..opts.epochs {
        for i in (1..n).rev() {
            order.swap(i, (rng.next() as usize) % (i + 1));
        }
        for batch in order.chunks(opts.batch) {
            let xb = Tensor::from_vec(batch.iter().flat_map(|&i| x[i].iter().copied()).collect::<Vec<f32>>(), (batch.len(), d), &dev)?;
            let yv: Vec<f32> = batch.iter().flat_map(|&i| y[i].iter().copied()).collect();
            let wv: Vec<f32> = yv.iter().enumerate().map(|(i, t)| if *t > 0.5 { pos_weight[i % k] } else { 1.0 }).collect();
            let yb = Tensor::from_vec(yv, (batch.len(), k), &dev)?;
            let wb = Tensor::from_vec(wv, (batch.len(), k), &dev)?;
            let hidden = xb.matmul(&w1.as_tensor().t()?)?.broadcast_add(b1.as_tensor())?.relu()?;
            // Dropout with a mask from the seeded generator: training is reproducible.
            let hidden = if opts.dropout > 0.0 {
                let keep = 1.0 - opts.dropout;
                let mask: Vec<f32> =
                    (0..batch.len() * h).map(|_| if ((rng.next() % 1_000_000) as f32 / 1_000_000.0) < keep { 1.0 / keep } else { 0.0 }).collect();
                (hidden * Tensor::from_vec(mask, (batch.len(), h), &dev)?)?
            } else {
                hidden
            };
            let z = hidden.matmul(&w2.as_tensor().t()?)?.broadcast_add(b2.as_tensor())?;
            // Weighted binary cross-entropy on logits, in its stable form.
            let softplus = (z.relu()? + (z.abs()?.neg()?.exp()? + 1.0)?.log()?)?;
            let data = ((softplus - (&yb * &z)?)? * &wb)?.sum(D::Minus1)?.mean_all()?;
            let penalty = ((w1.as_tensor().sqr()?.sum_all()? + w2.as_tensor().sqr()?.sum_all()?)? * (0.5 * opts.l2 / batch.len() as f64))?;
            let loss = (data + penalty)?;
            opt.backward_step(&loss)?;
        }
    }
    let flat = |v: &Var| v.as_tensor().flatten_all()?.to_vec1::<f32>();
    Ok(Net { w1: flat(&w1)?, b1: flat(&b1)?, w2: flat(&w2)?, b2: flat(&b2)? })
}

pub fn train_heads(
    lines: &[CorpusLine],
    vectors: Vec<Vec<f32>>,
    encoder: &dyn Encoder,
    opts: &NetOptions,
) -> Result<(SemanticModel, Vec<HeadReport>), EvalError> {
    let dim = vectors.first().map(Vec::len).unwrap_or(0);
    let val: Vec<bool> = lines.iter().map(|l| is_validation(&l.id)).collect();
    let shared: Vec<bool> = lines.iter().map(|l| l.scope == Scope::All).collect();
    // Validation of the heads other than distress: the lines every head trains on.
    let val_shared: Vec<bool> = val.iter().zip(&shared).map(|(v, s)| *v && *s).collect();
    // e5's vectors share a large common component: standardise each dimension on the training
    // part, train on that, then fold the scaling back into the weights (a plain linear head).
    let train_rows: Vec<&Vec<f32>> = vectors.iter().zip(val.iter().zip(&shared)).filter(|(_, (v, s))| !**v && **s).map(|(x, _)| x).collect();
    let n = train_rows.len().max(1) as f32;
    let mean: Vec<f32> = (0..dim).map(|d| train_rows.iter().map(|x| x[d]).sum::<f32>() / n).collect();
    let std: Vec<f32> = (0..dim).map(|d| (train_rows.iter().map(|x| (x[d] - mean[d]).powi(2)).sum::<f32>() / n).sqrt().max(1e-6)).collect();
    let standard: Vec<Vec<f32>> = vectors.iter().map(|x| x.iter().zip(&mean).zip(&std).map(|((v, m), s)| (v - m) / s).collect()).collect();
    let heads_of: Vec<Vec<&str>> = lines.iter().map(CorpusLine::heads).collect();
    let labels: Vec<Vec<f32>> = heads_of.iter().map(|hs| CATEGORIES.iter().map(|c| if hs.contains(&c.head) { 1.0 } else { 0.0 }).collect()).collect();
    // Training rows of each network: distress reads every file, the others `train-*` only.
    let rows_of = |all_scopes: bool| -> (Vec<Vec<f32>>, Vec<Vec<f32>>) {
        (0..lines.len()).filter(|&i| !val[i] && (all_scopes || shared[i])).map(|i| (standard[i].clone(), labels[i].clone())).unzip()
    };
    // Distress has a network of its own (a child's safety is not traded against other
    // categories); the other heads share one. Each is an ensemble of networks trained from
    // different seeds, joined into one wider hidden layer whose heads average the members'
    // logits (a head reads only its own group's units).
    let k = CATEGORIES.len();
    let groups: [Vec<usize>; 2] = [vec![0], (1..k).collect()];
    let (mut w1, mut b1) = (Vec::new(), Vec::new());
    let mut w2_rows: Vec<Vec<f32>> = vec![Vec::new(); k];
    let mut b2 = vec![0.0f32; k];
    let members = opts.members.max(1);
    for (g, heads) in groups.iter().enumerate() {
        let (xt, yt) = rows_of(g == 0);
        let yg: Vec<Vec<f32>> = yt.iter().map(|row| heads.iter().map(|&j| row[j]).collect()).collect();
        for m in 0..members {
            let seed = opts.seed + (g * members + m) as u64 * 7919;
            let member = train_net(&xt, &yg, &NetOptions { seed, ..opts.clone() }).map_err(|e| EvalError::Run(format!("training the rails' network: {e}")))?;
            let share = 1.0 / members as f32;
            w1.extend(member.w1);
            b1.extend(member.b1);
            for (j, row) in w2_rows.iter_mut().enumerate() {
                match heads.iter().position(|&h| h == j) {
                    Some(p) => {
                        row.extend(member.w2[p * opts.hidden..(p + 1) * opts.hidden].iter().map(|w| w * share));
                        b2[j] += member.b2[p] * share;
                    }
                    None => row.extend(std::iter::repeat_n(0.0, opts.hidden)),
                }
            }
        }
    }
    let net = Net { w1, b1, w2: w2_rows.concat(), b2 };
    // Fold the standardisation into the first layer: w·((v−m)/s) + b = (w/s)·v + (b − (w/s)·m).
    let hsize = net.b1.len();
    let mut w1 = net.w1.clone();
    let mut b1 = net.b1.clone();
    for r in 0..hsize {
        let row = &mut w1[r * dim..(r + 1) * dim];
        for (c, w) in row.iter_mut().enumerate() {
            *w /= std[c];
        }
        b1[r] -= row.iter().zip(&mean).map(|(w, m)| w * m).sum::<f32>();
    }
    let hidden = semantic::Hidden { weights: w1, bias: b1 };
    let mut model = SemanticModel {
        encoder: String::new(),
        encoder_sha256: String::new(),
        dim,
        hidden: Some(hidden),
        trained: serde_json::Value::Null,
        heads: Vec::new(),
        exemplars: Vec::new(),
    };
    model.heads = CATEGORIES
        .iter()
        .enumerate()
        .map(|(j, c)| Head { name: c.head.into(), weights: net.w2[j * hsize..(j + 1) * hsize].to_vec(), bias: net.b2[j], threshold: 0.5 })
        .collect();
    let scores: Vec<Vec<f32>> = vectors.iter().map(|v| model.scores(v)).collect();
    let (mut reports, mut exemplars) = (Vec::new(), Vec::new());
    for (j, c) in CATEGORIES.iter().enumerate() {
        let y: Vec<bool> = labels.iter().map(|l| l[j] > 0.5).collect();
        let (val_j, trains): (&[bool], Vec<bool>) = match j {
            0 => (&val, val.iter().map(|v| !v).collect()),
            _ => (&val_shared, val.iter().zip(&shared).map(|(v, s)| !v && *s).collect()),
        };
        let scored: Vec<(f32, bool)> = scores.iter().zip(&y).zip(val_j).filter(|(_, v)| **v).map(|((s, y), _)| (s[j], *y)).collect();
        let threshold = match c.head {
            "distress" => {
                threshold_with_rules(lines, val_j, &y, &scores, j, c.rail, RecallTarget { with_rules: opts.distress_recall, head_alone: HEAD_ALONE_RECALL })
            }
            "human_request" => threshold_with_rules(lines, val_j, &y, &scores, j, c.rail, RecallTarget { with_rules: HUMAN_RECALL, head_alone: 0.0 }),
            // Care and refusal heads: the best F1, but never below MIN_THRESHOLD (an
            // uncertain score adds care sentences or refuses a real question for nothing).
            _ => train::threshold_best_f(&scored, 1.0).max(MIN_THRESHOLD),
        };
        model.heads[j].threshold = threshold;
        let tp = scored.iter().filter(|s| s.1 && s.0 >= threshold).count();
        let fp = scored.iter().filter(|s| !s.1 && s.0 >= threshold).count();
        let pos = scored.iter().filter(|s| s.1).count();
        reports.push(HeadReport {
            head: c.head.into(),
            threshold,
            train_positives: y.iter().zip(&trains).filter(|(y, t)| **y && **t).count(),
            validation_positives: pos,
            validation_precision: if tp + fp == 0 { 1.0 } else { tp as f64 / (tp + fp) as f64 },
            validation_recall: if pos == 0 { 1.0 } else { tp as f64 / pos as f64 },
        });
        // Exemplars: training positives spread over the corpus.
        let positives: Vec<usize> = (0..lines.len()).filter(|&i| y[i] && trains[i]).collect();
        let step = (positives.len() / EXEMPLARS_PER_HEAD).max(1);
        for &i in positives.iter().step_by(step).take(EXEMPLARS_PER_HEAD) {
            exemplars.push(Exemplar {
                id: lines[i].id.clone(),
                head: c.head.into(),
                text: lines[i].message.clone(),
                vector: vectors[i].iter().map(|v| (v * 127.0).round().clamp(-127.0, 127.0) as i8).collect(),
            });
        }
    }
    let (name, sha) = encoder.identity();
    model.trained = serde_json::json!({
        "messages": lines.len(),
        "distress_network_only": shared.iter().filter(|s| !**s).count(),
        "validation": val.iter().filter(|v| **v).count(),
        "split": "validation = sha256(id)[0] % 5 == 0",
        "network": opts,
        "thresholds": { "distress_recall": opts.distress_recall, "human_request_recall": HUMAN_RECALL, "others": format!("best F1 on validation, at least {MIN_THRESHOLD}") },
        "heads": reports,
    });
    model.encoder = name;
    model.encoder_sha256 = sha;
    model.exemplars = exemplars;
    Ok((model, reports))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Named;

    impl Encoder for Named {
        fn identity(&self) -> (String, String) {
            ("toy".into(), "toy".into())
        }
        fn encode(&self, _: &[&str]) -> Result<Vec<Vec<f32>>, semantic::EncodeError> {
            unreachable!("vectors are given")
        }
    }

    fn line(i: usize, category: &str, expected: &str, scope: Scope) -> CorpusLine {
        CorpusLine {
            id: format!("T-{i:04}"),
            message: format!("message {i}"),
            category: category.into(),
            labels: vec![category.into()],
            expected: expected.into(),
            register: String::new(),
            hard_negative: false,
            pii_spans: None,
            scope,
        }
    }

    fn vector(i: usize) -> Vec<f32> {
        (0..8).map(|d| ((i * 7 + d * 3) % 11) as f32 / 11.0 - 0.5).collect()
    }

    #[test]
    fn distress_only_lines_leave_the_other_heads_as_they_were() {
        let kinds = [("distress_minor", "handoff"), ("out_of_scope", "refuse"), ("benign_controls", "answer")];
        let shared: Vec<CorpusLine> = (0..60).map(|i| line(i, kinds[i % 3].0, kinds[i % 3].1, Scope::All)).collect();
        let extra: Vec<CorpusLine> = (60..90).map(|i| line(i, "benign_controls", "answer", Scope::DistressOnly)).collect();
        let opts = NetOptions { hidden: 4, epochs: 3, batch: 16, members: 1, ..NetOptions::default() };
        let train = |lines: &[CorpusLine]| {
            let vectors = (0..lines.len()).map(vector).collect();
            train_heads(lines, vectors, &Named, &opts).unwrap().0
        };
        let before = train(&shared);
        let after = train(&[shared.clone(), extra].concat());
        let (h, d) = (opts.hidden, 8);
        let hidden = |m: &SemanticModel| m.hidden.as_ref().unwrap().weights.clone();
        // The distress network (first `hidden` units) learnt from the new lines...
        assert_ne!(hidden(&before)[..h * d], hidden(&after)[..h * d]);
        // ...the other network, its heads and their thresholds did not move.
        assert_eq!(hidden(&before)[h * d..], hidden(&after)[h * d..]);
        for (a, b) in before.heads.iter().zip(&after.heads).skip(1) {
            assert_eq!((&a.weights, a.bias, a.threshold), (&b.weights, b.bias, b.threshold), "{}", a.name);
        }
    }
}
