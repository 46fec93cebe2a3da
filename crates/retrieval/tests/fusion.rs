//! Reciprocal rank fusion on a constructed case, in a real qdrant-edge shard: a passage found
//! by both dense and sparse search outranks one found first by dense alone.

mod common;
use common::chunk;
use retrieval::store::{EdgeStore, PayloadFilter, Store, StoreQuery, StoredChunk};
use retrieval::Kind;

#[test]
fn rrf_prefers_agreement_between_dense_and_sparse() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EdgeStore::open(&tmp.path().join("s"), 3).unwrap();
    let point = |id: &str, n: u64, dense: [f32; 3], sparse: (Vec<u32>, Vec<f32>)| StoredChunk {
        point_id: n,
        dense: Some(dense.to_vec()),
        sparse,
        chunk: chunk(id, Kind::Metier),
    };
    store
        .upsert(vec![
            // Dense ranks A > B > C for the query (1, 0, 0); sparse (term 7) ranks B > C, and
            // A does not contain the term at all.
            point("A", 1, [1.0, 0.0, 0.0], (vec![1], vec![1.0])),
            point("B", 2, [0.8, 0.6, 0.0], (vec![7], vec![2.0])),
            point("C", 3, [0.6, 0.8, 0.0], (vec![7], vec![1.0])),
        ])
        .unwrap();
    let q = |dense: bool, sparse: bool| -> Vec<String> {
        let query = StoreQuery {
            dense: dense.then(|| vec![1.0, 0.0, 0.0]),
            sparse: sparse.then(|| (vec![7], vec![1.0])),
            filter: Default::default(),
            limit: 3,
            prefetch: 3,
        };
        store.query(&query).unwrap().into_iter().map(|h| h.chunk.doc_id).collect()
    };
    assert_eq!(q(true, false), vec!["A", "B", "C"]);
    assert_eq!(q(false, true), vec!["B", "C"]);
    // RRF (k = 60): B = 1/62 + 1/61, C = 1/63 + 1/62, A = 1/61.
    assert_eq!(q(true, true), vec!["B", "C", "A"]);
    // Kind filter applies to both branches.
    let none = store
        .query(&StoreQuery {
            dense: Some(vec![1.0, 0.0, 0.0]),
            sparse: Some((vec![7], vec![1.0])),
            filter: PayloadFilter { kind: Some(Kind::Formation), ..Default::default() },
            limit: 3,
            prefetch: 3,
        })
        .unwrap();
    assert!(none.is_empty());
}

#[test]
fn profile_filters_on_the_embedded_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store = EdgeStore::open(&tmp.path().join("s"), 3).unwrap();
    common::profile_filters_hold(&store);
}
