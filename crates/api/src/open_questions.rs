//! `orient open-questions train`: the open-question head from labelled messages, written where
//! the build includes it (`crates/assistant/data/open-question-head.json`).

use crate::app::App;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

pub fn train(app: &App, corpus: &Path, open: &[PathBuf], named: &[PathBuf], out: &Path) -> Result<()> {
    let mut lines = eval::open_head_train::read_corpus_dir(corpus)?;
    for (files, kind) in [(open, true), (named, false)] {
        for f in files {
            lines.extend(eval::open_head_train::read_lines(f, Some(kind))?);
        }
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
