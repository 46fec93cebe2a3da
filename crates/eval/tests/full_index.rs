//! Retrieval quality on the full index built by `orient ingest` (the README's test command
//! builds it before the tests run), with the real embedder.

use eval::retrieval_eval::{evaluate, read_questions};
use inference::{E5Embedder, Embedder, ModelInfo, Registry};
use retrieval::index::{load_saved_documents, IndexManifest};
use retrieval::search::Mode;
use retrieval::store::EdgeStore;
use retrieval::Searcher;
use std::path::PathBuf;
use std::sync::Arc;

/// One searcher for all tests: a shard is opened by one owner at a time.
fn searcher() -> &'static Searcher {
    static S: std::sync::OnceLock<Searcher> = std::sync::OnceLock::new();
    S.get_or_init(open_searcher)
}

fn open_searcher() -> Searcher {
    let home = inference::orient_home();
    let reg = Registry::builtin();
    let name = reg.roles.embedder.clone();
    let f = reg.model(&name).unwrap().files(&name, &home);
    let info = ModelInfo { name, architecture: "bert-e5".into(), sha256: String::new() };
    let e: Arc<dyn Embedder> = Arc::new(E5Embedder::load(&f.weights, &f.tokenizer, info).unwrap());
    let dir = home.join("index");
    let manifest = IndexManifest::load(&dir).unwrap().expect("no index: run `orient ingest` (the README's test command does)");
    assert_eq!(manifest.docs.len(), 928 + 2164, "the whole corpus is indexed");
    let docs = load_saved_documents(&dir).unwrap();
    let store = Arc::new(EdgeStore::open(&dir.join("shard"), e.dim()).unwrap());
    Searcher::new(store, e, docs)
}

fn eval_file(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/eval").join(name).display().to_string()
}

#[test]
fn dev_questions_find_their_fiche() {
    let s = searcher();
    let qs = read_questions(&eval_file("questions-dev.jsonl"), None).unwrap();
    let r = evaluate(s, &qs, Mode::Hybrid, assistant::AssistantConfig::default().no_answer_threshold).unwrap();
    eprintln!("hybrid n={} r@1={:.3} r@5={:.3} r@10={:.3} mrr={:.3}", r.n, r.recall_at_1, r.recall_at_5, r.recall_at_10, r.mrr);
    assert!(r.n >= 20);
    assert!(r.recall_at_10 >= 0.70, "recall@10 {:.3}; misses: {:?}", r.recall_at_10, r.misses);
}

#[test]
fn grounded_template_questions_find_their_fiche() {
    let s = searcher();
    let qs = read_questions(&eval_file("grounded-qa-dev.jsonl"), Some(200)).unwrap();
    let r = evaluate(s, &qs, Mode::Hybrid, assistant::AssistantConfig::default().no_answer_threshold).unwrap();
    eprintln!("grounded n={} r@1={:.3} r@5={:.3} r@10={:.3} mrr={:.3}", r.n, r.recall_at_1, r.recall_at_5, r.recall_at_10, r.mrr);
    assert!(r.recall_at_10 >= 0.70, "recall@10 {:.3}", r.recall_at_10);
}
