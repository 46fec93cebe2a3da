//! `orient open-questions train` and `orient live-data train`: a logistic head from labelled
//! messages, written where the build includes it (`crates/assistant/data/open-question-head.json`,
//! `crates/assistant/data/live-data-head.json`); `score`: a head's probabilities on a set.

use crate::app::App;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// `open`, `named`: development sets whose every line is positive, negative; `marked`: sets
/// whose lines carry their own label or `out_of_data` mark; `negative`: sets read as negative
/// whatever their own labels.
pub fn train(app: &App, corpus: &Path, open: &[PathBuf], named: &[PathBuf], marked: &[PathBuf], negative: &[PathBuf], out: &Path) -> Result<()> {
    let mut lines = eval::open_head_train::read_corpus_dir(corpus)?;
    for (files, kind) in [(open, Some(true)), (named, Some(false)), (marked, None)] {
        for f in files {
            lines.extend(eval::open_head_train::read_lines(f, kind)?);
        }
    }
    for f in negative {
        lines.extend(eval::open_head_train::read_lines_as(f, false)?);
    }
    let searcher = app.searcher()?;
    let quiet = app.quiet;
    let head = eval::open_head_train::train(&searcher, &lines, &mut |done, total| {
        if !quiet && (done % 200 == 0 || done == total) {
            eprintln!("  embedded {done}/{total}");
        }
    })?;
    std::fs::write(out, serde_json::to_string(&head)? + "\n").with_context(|| format!("cannot write {}", out.display()))?;
    println!("{} messages → {} (threshold {:.2}; validation: {})", lines.len(), out.display(), head.threshold, head.trained["validation"]);
    Ok(())
}

/// Each message's probability under a head (`orient open-questions score`), read as a turn
/// reads it (personal data redacted, self-descriptions stripped).
pub fn score(app: &App, head: &Path, questions: &Path) -> Result<()> {
    let text = std::fs::read_to_string(head).with_context(|| format!("cannot read {}", head.display()))?;
    let head = assistant::open_head::LogisticHead::parse(&text)?;
    let lines = eval::open_head_train::read_lines(questions, Some(false))?;
    let searcher = app.searcher()?;
    // Read at the head's own threshold, per label (an unlabelled line counts as negative).
    let mut read = [[0usize; 2]; 2];
    for l in lines {
        let v = searcher.query_vector(&guardrails::input::retrieval_text(&guardrails::pii::redact(&l.text).0))?;
        let p = head.probability(&v)?;
        read[usize::from(l.positive)][usize::from(p >= head.threshold)] += 1;
        println!("{}", serde_json::json!({ "text": l.text, "positive": l.positive, "probability": p }));
    }
    let [[neg_no, neg_yes], [pos_no, pos_yes]] = read;
    eprintln!("threshold {:.2}: positive read positive {pos_yes}/{}; negative read positive {neg_yes}/{}", head.threshold, pos_yes + pos_no, neg_yes + neg_no);
    Ok(())
}
