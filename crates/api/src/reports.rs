//! `orient eval fairness` and `orient eval answers`: run the evaluations of the `eval` crate on
//! the real assistant and write their reports (JSON + HTML) for the audit team.

use crate::app::App;
use anyhow::{Context, Result};
use assistant::{Assistant, AssistantConfig, GenerationMode};
use eval::fairness::{self, FairnessConfig, FairnessReport, Mode, Provenance, Runner};
use eval::memo::MemoGenerator;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

fn progress(app: &App, total: usize, what: &str) -> ProgressBar {
    let bar = if app.quiet { ProgressBar::hidden() } else { ProgressBar::new(total as u64) };
    bar.set_style(ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed}, reste {eta})").expect("valid template").progress_chars("=> "));
    bar.set_message(what.to_string());
    bar
}

/// The assistant with a generator that generates each distinct prompt once.
fn eval_assistant(app: &App, searcher: Arc<retrieval::Searcher>, max_tokens: usize, generation: GenerationMode) -> Result<(Assistant, Arc<MemoGenerator>)> {
    let memo = Arc::new(MemoGenerator::new(app.generator()?));
    let mut a = Assistant::new(searcher, memo.clone(), AssistantConfig { max_tokens, generation, ..Default::default() })?;
    a.index_version = app.index_version();
    Ok((a, memo))
}

fn file_digest(path: &Path) -> Result<String> {
    Ok(eval::sha256_hex(&std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?))
}

pub fn fairness(app: &App, probes_path: &Path, out: &Path, mode: Mode, config_path: &Path, bases: Option<Vec<String>>, max_tokens: usize) -> Result<()> {
    let probes = fairness::read_probes(&probes_path.display().to_string(), bases.as_deref())?;
    let (cfg, config_sha256) = FairnessConfig::load(&config_path.display().to_string())?;
    let searcher = app.searcher()?;
    let (assistant, memo) = match mode {
        Mode::Retrieval => (None, None),
        Mode::Proposals | Mode::Full => {
            let (a, m) = eval_assistant(app, searcher.clone(), max_tokens, GenerationMode::default())?;
            (Some(a), Some(m))
        }
    };
    let mut models = vec![searcher.embedder().info().clone()];
    if let Some(a) = &assistant {
        models.push(a.generator.info().clone());
    }
    let provenance = Provenance {
        probes_file: probes_path.display().to_string(),
        probes_sha256: file_digest(probes_path)?,
        config_file: config_path.display().to_string(),
        config_version: cfg.version.clone(),
        config_sha256,
        models,
        index_version: app.index_version(),
        orient_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let runner = Runner { searcher: &searcher, assistant: assistant.as_ref(), top_k: cfg.top_k, mode };
    let label = match mode {
        Mode::Retrieval => "Fairness (retrieval)",
        Mode::Proposals => "Fairness (proposals)",
        Mode::Full => "Fairness (full answers)",
    };
    let bar = progress(app, probes.len(), label);
    let report = fairness::evaluate(&probes, &runner, &cfg, mode, provenance, &mut |done, _| bar.set_position(done as u64))?;
    bar.finish_and_clear();
    let mut json = serde_json::to_value(&report)?;
    if let Some(m) = &memo {
        json["generations"] = serde_json::json!(m.generations());
    }
    eval::write_report(out, &json, &eval::report_html::fairness_html(&report))?;
    println!("{}", report.summary);
    for (name, a) in &report.attributes {
        println!(
            "  {name:<10} n={:<4} Jaccard {:.3} [{:.3}, {:.3}]  RBO {:.3}  between variants {:.3}  {}{}",
            a.all.n,
            a.all.jaccard_mean,
            a.all.jaccard_ci[0],
            a.all.jaccard_ci[1],
            a.all.rbo_mean,
            a.within_jaccard_mean.unwrap_or(f64::NAN),
            if a.pass { "pass" } else { "FAIL" },
            a.exceptions.as_ref().map(|e| format!("  (exceptions apart: n={}, Jaccard {:.3})", e.n, e.jaccard_mean)).unwrap_or_default()
        );
        for f in &a.failures {
            println!("    {f}");
        }
    }
    println!(
        "{} probes in {:.0} s{}; report in {}",
        report.n_probes,
        report.seconds,
        memo.map(|m| format!(" ({} distinct generations)", m.generations())).unwrap_or_default(),
        out.join("report.html").display()
    );
    if !report.pass {
        std::process::exit(3);
    }
    Ok(())
}

pub fn fairness_diff(old: &Path, new: &Path) -> Result<()> {
    let read = |p: &Path| -> Result<FairnessReport> {
        let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not a fairness report.json", p.display()))
    };
    let (o, n) = (read(old)?, read(new)?);
    // Auditors read this: French, like the reports.
    println!(
        "ancien : {} ({}, seuils {}) ; nouveau : {} ({}, seuils {})",
        old.display(),
        o.created,
        o.config.version,
        new.display(),
        n.created,
        n.config.version
    );
    for l in fairness::diff(&o, &n) {
        println!("  {:<10} {:<22} {:>8.3} → {:>8.3}  {}", l.attribute, l.metric, l.old, l.new, l.change);
    }
    let verdict = |p: bool| if p { "conforme" } else { "non conforme" };
    println!("global : {} → {}", verdict(o.pass), verdict(n.pass));
    Ok(())
}

pub fn answers(app: &App, questions: &Path, out: &Path, limit: Option<usize>, max_tokens: usize, generation: GenerationMode) -> Result<()> {
    let qs = eval::answers_eval::read_questions(&questions.display().to_string(), limit)?;
    let (assistant, memo) = eval_assistant(app, app.searcher()?, max_tokens, generation)?;
    let bar = progress(app, qs.len(), "Answers");
    let t0 = Instant::now();
    let mut details = Vec::new();
    for q in &qs {
        details.push(eval::answers_eval::evaluate_one(&assistant, q)?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let seconds = t0.elapsed().as_secs_f64();
    let (per_intent, [hit, facts, unsupported, declined, first, total], must_not_hits) = eval::answers_eval::summarise(&details);
    let out_of_corpus = details.iter().filter(|d| d.out_of_corpus).count();
    let share = |n: usize, of: usize| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    let in_data_declined = share(details.iter().filter(|d| !d.out_of_corpus && d.declined).count(), details.len() - out_of_corpus);
    let intent_recognised = share(details.iter().filter(|d| d.intent_recognised).count(), details.len());
    let excluded_proposed = details.iter().filter(|d| !d.excluded_proposed.is_empty()).count();
    let summary = format!(
        "Bonne fiche citée {:.0} %, faits attendus {:.0} %, réponses avec une affirmation non sourcée {:.0} %, « je ne sais pas » hors des fiches {:.0} %.",
        hit * 100.0,
        facts * 100.0,
        unsupported * 100.0,
        declined * 100.0
    );
    let report = eval::answers_eval::AnswersReport {
        kind: "answers".into(),
        created: eval::now_rfc3339(),
        pass: None,
        summary: summary.clone(),
        questions_file: questions.display().to_string(),
        questions_sha256: file_digest(questions)?,
        models: vec![assistant.searcher.embedder().info().clone(), assistant.generator.info().clone()],
        index_version: app.index_version(),
        n: details.len(),
        out_of_corpus,
        source_hit_rate: hit,
        key_fact_coverage: facts,
        unsupported_claim_rate: unsupported,
        must_not_hits,
        out_of_corpus_declined: declined,
        in_data_declined,
        intent_recognised,
        excluded_proposed,
        first_text_ms_p50: first,
        total_ms_p50: total,
        seconds,
        generations: memo.generations(),
        per_intent,
        details,
    };
    eval::write_report(out, &serde_json::to_value(&report)?, &eval::report_html::answers_html(&report))?;
    println!("{summary}");
    println!(
        "intent read {:.0} %, in-data questions declined {:.0} %, ruled-out fiches proposed {excluded_proposed}, must_not hits {must_not_hits}",
        intent_recognised * 100.0,
        in_data_declined * 100.0
    );
    for (intent, m) in &report.per_intent {
        println!("  {intent:<14} n={:<3} right fiche {:.0} %  key facts {:.0} %", m.n, m.source_hit_rate * 100.0, m.key_fact_coverage * 100.0);
    }
    println!(
        "{} questions in {:.0} s; first text p50 {:.0} ms, whole answer p50 {:.1} s; report in {}",
        report.n,
        seconds,
        first,
        total / 1e3,
        out.join("report.html").display()
    );
    Ok(())
}

pub fn exploration(app: &App, questions: &Path, out: &Path, limit: Option<usize>) -> Result<()> {
    let qs = eval::exploration_eval::read_questions(&questions.display().to_string(), limit)?;
    let (assistant, _) = eval_assistant(app, app.searcher()?, 0, GenerationMode::Off)?;
    let bar = progress(app, qs.len(), "Open questions");
    let t0 = Instant::now();
    let mut details = Vec::new();
    for q in &qs {
        details.push(eval::exploration_eval::evaluate_one(&assistant, q)?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut report = eval::exploration_eval::summarise(details);
    report.seconds = t0.elapsed().as_secs_f64();
    report.questions_file = questions.display().to_string();
    report.questions_sha256 = file_digest(questions)?;
    report.models = vec![assistant.searcher.embedder().info().clone()];
    report.index_version = app.index_version();
    eval::write_report(out, &serde_json::to_value(&report)?, &eval::report_html::exploration_html(&report))?;
    let pct = |x: f64| x * 100.0;
    println!(
        "{} open questions ({} with interests) in {:.0} s: explored {:.0} %, expected métier proposed {:.1} %, proposals matching interests and level {:.1} %, two sectors or more {:.1} %, ending with a question {:.0} % (vague ones asked what they like {:.0} %)",
        report.n,
        report.with_interests,
        report.seconds,
        pct(report.explored_rate),
        pct(report.expected_hit_rate),
        pct(report.matching_rate),
        pct(report.two_sectors_rate),
        pct(report.follow_up_rate),
        pct(report.vague_asked_back)
    );
    println!(
        "interests read: precision {:.1} %, recall {:.1} %; level limit read {:.1} %; reply p50 {:.0} ms; report in {}",
        pct(report.interest_precision),
        pct(report.interest_recall),
        pct(report.level_read_rate),
        report.total_ms_p50,
        out.join("report.html").display()
    );
    Ok(())
}
