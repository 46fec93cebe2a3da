//! The rails' commands: `orient guard`, `orient eval guardrails` and `orient rails train`.

use crate::app::App;
use anyhow::{Context, Result};
use assistant::rails::EmbedderEncoder;
use eval::rails_train::{embed_lines, read_training_corpus, train_heads};
use guardrails::semantic::Encoder;
use guardrails::{Guard, History, Layer};
use std::collections::HashMap;
use std::path::Path;

/// The rails as the service runs them (rules and the semantic layer on the embedder), or the
/// rules alone.
/// `head`: a semantic head file instead of the shipped one.
pub fn load_guard(app: &App, rules_only: bool, head: Option<&Path>) -> Result<Guard> {
    if rules_only {
        return Ok(Guard::rules_only());
    }
    match head {
        None => Ok(assistant::rails::guard(app.embedder()?)?),
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            let model = guardrails::semantic::SemanticModel::parse(&text)?;
            Ok(assistant::rails::guard_with(app.embedder()?, model)?)
        }
    }
}

pub fn guard(app: &App, message: &str, json: bool, rules_only: bool, head: Option<&Path>) -> Result<()> {
    let r = load_guard(app, rules_only, head)?.check(message, &History::default())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!("action: {}", r.action.as_str());
    println!("points: {}", r.points.join(", "));
    println!("redacted: {}", r.redacted);
    println!("retrieval text: {}", r.retrieval_text);
    for v in &r.verdicts {
        let span = v.span.map(|s| format!(" [{}..{}]", s.start, s.end)).unwrap_or_default();
        let layer = match &v.layer {
            Some(Layer::Rule { id }) => format!(" (rule {id})"),
            Some(Layer::Semantic { head, score, threshold, nearest, window }) => format!(
                " (semantic {head}: {score:.2} ≥ {threshold:.2}{}; nearest {})",
                if *window { ", last messages together" } else { "" },
                nearest.iter().map(|(id, s)| format!("{id} {s:.2}")).collect::<Vec<_>>().join(", ")
            ),
            Some(Layer::Conversation { id }) => format!(" (conversation: {id})"),
            None => String::new(),
        };
        println!("- {} {} {}: {}{span}{layer}", v.point, v.rail, v.action.as_str(), v.reason);
    }
    if !r.scores.is_empty() {
        let scores: Vec<String> = r.scores.iter().map(|(h, s)| format!("{h} {s:.2}")).collect();
        println!("scores: {}", scores.join(", "));
    }
    Ok(())
}

pub fn eval_guardrails(app: &App, probes: &Path, json: bool, rules_only: bool, head: Option<&Path>, no_second_opinion: bool) -> Result<()> {
    let probes = eval::guardrails_eval::read_probes(&probes.display().to_string()).map_err(anyhow::Error::msg)?;
    let guard = load_guard(app, rules_only, head)?;
    let guard = if no_second_opinion { guard.without_second_opinion() } else { guard };
    // As the service decides: with the assistant's fiche names on top of the rails.
    let searcher = if rules_only { None } else { Some(app.searcher()?) };
    let after = |r: &mut guardrails::InputReport| {
        if let Some(s) = &searcher {
            assistant::rails::with_orientation_evidence(r, |text| s.named_with_names(text));
        }
    };
    let r = eval::guardrails_eval::evaluate_with(&probes, &guard, &after)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    let rate = |r: &eval::guardrails_eval::Rate| format!("{:.3} ({}/{})", r.rate, r.hits, r.n);
    println!("n={}  accuracy={:.3}  semantic layer: {}", r.n, r.accuracy, if r.semantic { "on" } else { "off (rules only)" });
    println!("distress → handoff: {}   all handoffs: {}   refusals: {}", rate(&r.distress_recall), rate(&r.handoffs), rate(&r.refusals));
    println!(
        "benign answered plainly: {}   hard negatives flagged: {}   PII spans masked: {}",
        rate(&r.benign),
        rate(&r.hard_negative_false_positives),
        rate(&r.pii_spans)
    );
    println!(
        "handed off and answered after the help: distress {} {:?}   benign {}",
        rate(&r.after_help.distress),
        r.after_help.distress_ids,
        rate(&r.after_help.benign)
    );
    println!(
        "latency per message (embedding included): first call {:.1} ms, p50 {:.1} ms, p99 {:.1} ms; 60-word messages p50 {:.1} ms, p99 {:.1} ms",
        r.first_call_ms, r.p50_ms, r.p99_ms, r.p50_ms_60_words, r.p99_ms_60_words
    );
    println!("by category (expected action given):");
    for (c, x) in &r.by_category {
        println!("  {c:<24} {}", rate(x));
    }
    println!("by action: precision / recall (expected, given, both)");
    for (a, x) in &r.by_action {
        println!("  {a:<18} {:.3} / {:.3} ({}, {}, {})", x.precision, x.recall, x.expected, x.predicted, x.correct);
    }
    println!("confusion:");
    for (cat, by_expected) in &r.confusion {
        for (expected, got) in by_expected {
            let cells: Vec<String> = got.iter().map(|(g, n)| format!("{g}: {n}")).collect();
            println!("  {cat:<24} expected {expected:<18} → {}", cells.join(", "));
        }
    }
    for m in &r.misses {
        println!("  miss {} ({}): expected {}, got {} — {}", m.id, m.category, m.expected, m.got, m.message);
    }
    Ok(())
}

/// Train the semantic heads on `corpus/train-*.jsonl` and write them to `out`.
pub fn train(app: &App, corpus: &Path, out: &Path, opts: &eval::rails_train::NetOptions, layers: Option<usize>) -> Result<()> {
    let lines = read_training_corpus(corpus)?;
    anyhow::ensure!(!lines.is_empty(), "no train-*.jsonl in {}", corpus.display());
    let full = app.embedder()?;
    let encoder = EmbedderEncoder(match layers {
        Some(n) => full.first_layers(n).unwrap_or(full),
        None => full,
    });
    let quiet = app.quiet;
    // Vectors are cached under ORIENT_HOME per encoder digest: retraining after a corpus edit
    // embeds only the new lines.
    let cache_path = app.home.join("cache").join({
        let id = encoder.identity().1;
        let (sha, cut) = id.split_once('@').unwrap_or((id.as_str(), ""));
        format!("rails-vectors-{}{}{cut}.json", &sha[..12.min(sha.len())], if cut.is_empty() { "" } else { "-" })
    });
    let mut cache: HashMap<String, Vec<f32>> = std::fs::read(&cache_path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    let vectors = embed_lines(&lines, &encoder, &mut cache, &mut |done, total| {
        if !quiet && (done % 512 == 0 || done == total) {
            eprintln!("  embedded {done}/{total}");
        }
    })?;
    if let Some(dir) = cache_path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&cache_path, serde_json::to_vec(&cache)?).with_context(|| format!("cannot write {}", cache_path.display()))?;
    let (model, reports) = train_heads(&lines, vectors, &encoder, opts)?;
    std::fs::write(out, serde_json::to_string(&model)? + "\n").with_context(|| format!("cannot write {}", out.display()))?;
    println!("{} messages ({} for validation) → {}", lines.len(), lines.iter().filter(|l| eval::rails_train::is_validation(&l.id)).count(), out.display());
    for h in reports {
        println!(
            "  {:<20} threshold {:.3}  train positives {:>4}  validation: {:>3} positives, precision {:.3}, recall {:.3}",
            h.head, h.threshold, h.train_positives, h.validation_positives, h.validation_precision, h.validation_recall
        );
    }
    println!("The distress second opinion was fitted to the previous head: fit it to this one with `orient rails words --head {}`.", out.display());
    Ok(())
}

/// Fit the distress second opinion to a semantic head (`head`, or the shipped one) and write it.
pub fn fit_words(app: &App, corpus: &Path, head: Option<&Path>, out: &Path) -> Result<()> {
    let lines = read_training_corpus(corpus)?;
    anyhow::ensure!(!lines.is_empty(), "no training files in {}", corpus.display());
    let model = match head {
        Some(p) => guardrails::semantic::SemanticModel::parse(&std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?)?,
        None => guardrails::semantic::SemanticModel::builtin()?,
    };
    let full = app.embedder()?;
    let encoder = EmbedderEncoder(match model.encoder_layers() {
        Some(n) => full.first_layers(n).unwrap_or(full),
        None => full,
    });
    let quiet = app.quiet;
    let (words, r) = eval::words_train::fit(&lines, &model, &encoder, &mut |done, total| {
        if !quiet && (done % 512 == 0 || done == total) {
            eprintln!("  validation embedded {done}/{total}");
        }
    })?;
    std::fs::write(out, serde_json::to_string_pretty(&words)? + "\n").with_context(|| format!("cannot write {}", out.display()))?;
    println!("{} training messages, {} features → {}", r.train_messages, r.features, out.display());
    println!(
        "  validation ({} messages, {} distress): distress caught {} → {}, other messages read as distress {} → {}",
        r.validation_messages, r.validation_distress, r.caught_by_encoder, r.caught_with_words, r.flagged_by_encoder, r.flagged_with_words
    );
    Ok(())
}
