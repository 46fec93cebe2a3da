//! Ingest a slice of the real fiches with the real embedder into a real qdrant-edge shard,
//! then search it; re-ingest is incremental; a schema mismatch is a clear error.

use inference::{E5Embedder, Embedder, ModelInfo, Registry};
use retrieval::data::{default_data_dir, METIERS_ZIP};
use retrieval::index::Indexer;
use retrieval::onisep::{parse_metiers, read_zip_xml};
use retrieval::search::Mode;
use retrieval::sparse::SparseEncoder;
use retrieval::store::{EdgeStore, Store, StoreError};
use retrieval::{Document, SearchOptions, Searcher};
use std::path::PathBuf;
use std::sync::Arc;

fn embedder() -> Arc<dyn Embedder> {
    let reg = Registry::builtin();
    let name = reg.roles.embedder.clone();
    let f = reg.model(&name).unwrap().files(&name, &inference::orient_home());
    assert!(f.weights.exists(), "run `orient models fetch` first (the README's test command does)");
    let info = ModelInfo { name, architecture: "bert-e5".into(), sha256: "test".into() };
    Arc::new(E5Embedder::load(&f.weights, &f.tokenizer, info).unwrap())
}

fn slice() -> Vec<Document> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(default_data_dir());
    let all = parse_metiers(&read_zip_xml(&dir.join(METIERS_ZIP)).unwrap(), "m", "25/06/2024").unwrap();
    let wanted = |d: &Document| {
        let t = d.title.to_lowercase();
        t.contains("vétérinaire") || t.contains("comptab") || t.contains("mécanicien") || t.contains("boulang")
    };
    let mut docs: Vec<Document> = all.iter().filter(|d| wanted(d)).cloned().collect();
    docs.extend(all.iter().take(15).cloned());
    docs.sort_by(|a, b| a.id.cmp(&b.id));
    docs.dedup_by(|a, b| a.id == b.id);
    docs
}

#[test]
fn ingest_search_and_incremental_update() {
    let tmp = tempfile::tempdir().unwrap();
    let e = embedder();
    let docs = slice();
    assert!(docs.len() > 20);
    let store = Arc::new(EdgeStore::open(&tmp.path().join("shard"), e.dim()).unwrap());
    let sparse = SparseEncoder::french();
    let indexer = Indexer { store: store.as_ref(), embedder: e.as_ref(), sparse: &sparse, dir: tmp.path().to_path_buf(), batch_docs: 8 };
    let first = indexer.ingest(&docs, &mut |_| {}).unwrap();
    assert_eq!(first.updated, docs.len());
    let chunks: usize = docs.iter().map(|d| retrieval::chunk::chunk_document(d).len()).sum();
    assert_eq!(store.count().unwrap(), chunks);

    // Nothing changed: nothing is embedded again.
    let again = indexer.ingest(&docs, &mut |_| {}).unwrap();
    assert_eq!((again.unchanged, again.updated, again.chunks_embedded), (docs.len(), 0, 0));
    assert_eq!(again.version, first.version);

    // One fiche edited, one removed: only those are touched.
    let mut edited = docs.clone();
    edited[0].summary.push_str(" Une phrase ajoutée.");
    let removed = edited.pop().unwrap();
    let third = indexer.ingest(&edited, &mut |_| {}).unwrap();
    assert_eq!((third.updated, third.removed), (1, 1));
    assert_ne!(third.version, first.version);
    let removed_chunks = retrieval::chunk::chunk_document(&removed).len();
    assert_eq!(store.count().unwrap(), chunks - removed_chunks);

    let searcher = Searcher::new(store.clone(), e.clone(), edited.clone());
    let find = |q: &str, mode: Mode| -> Vec<String> {
        searcher.search(q, &SearchOptions { k: 3, mode, ..Default::default() }).unwrap().into_iter().map(|h| h.id).collect()
    };
    let animal = find("je voudrais soigner les animaux malades", Mode::Hybrid);
    let is_vet = |id: &String| searcher.document(id).unwrap().title.contains("vétérinaire");
    assert!(animal.iter().take(2).any(is_vet), "{animal:?}");
    // Dense alone still understands the question; sparse alone matches the words.
    assert!(find("je voudrais soigner les animaux malades", Mode::Dense).iter().any(is_vet));
    let bread = find("le pain et les croissants", Mode::Sparse);
    assert!(searcher.document(&bread[0]).unwrap().title.contains("boulang"), "{bread:?}");
    // A title said word for word wins.
    let met1 = find("c quoi le métier de contrôleur aérien ?", Mode::Hybrid);
    assert_eq!(met1[0], "MET.1");
}

#[test]
fn reopening_with_another_vector_size_is_a_schema_error() {
    let tmp = tempfile::tempdir().unwrap();
    drop(EdgeStore::open(&tmp.path().join("shard"), 384).unwrap());
    let err = EdgeStore::open(&tmp.path().join("shard"), 768).err().unwrap();
    assert!(matches!(err, StoreError::SchemaMismatch { .. }), "{err}");
    assert!(err.to_string().contains("orient ingest --rebuild"));
}
