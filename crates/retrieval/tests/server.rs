//! The Qdrant server backend. The unreachable-server case always runs; the others need a real
//! server: `QDRANT_URL=http://127.0.0.1:6334 cargo test --release -p retrieval --test server`
//! (docs/operations.md says how to start one). Without QDRANT_URL they report that they did
//! not run, in their output, and pass.

mod common;
use common::chunk;
use retrieval::server::ServerStore;
use retrieval::store::{PayloadFilter, Store, StoreError, StoreQuery, StoredChunk};
use retrieval::Kind;

#[test]
fn an_unreachable_server_is_a_clear_error() {
    let t = std::time::Instant::now();
    let err = ServerStore::open("http://127.0.0.1:1", "orient-test", 4).err().expect("nothing listens on port 1");
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
    assert!(t.elapsed().as_secs() < 20, "retries are bounded");
}

fn server() -> Option<String> {
    let url = std::env::var("QDRANT_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("QDRANT_URL is not set: server tests did not run");
    }
    url
}

#[test]
fn server_round_trip_fusion_and_schema_mismatch() {
    let Some(url) = server() else { return };
    let name = format!("orient-test-{}", std::process::id());
    let store = ServerStore::open(&url, &name, 3).unwrap();
    let p = |id: &str, n: u64, kind: Kind, d: [f32; 3], s: (Vec<u32>, Vec<f32>)| StoredChunk {
        point_id: n,
        dense: Some(d.to_vec()),
        sparse: s,
        chunk: chunk(id, kind),
    };
    store
        .upsert(vec![
            p("A", 1, Kind::Metier, [1.0, 0.0, 0.0], (vec![1], vec![1.0])),
            p("B", 2, Kind::Metier, [0.8, 0.6, 0.0], (vec![7], vec![2.0])),
            p("C", 3, Kind::Formation, [0.6, 0.8, 0.0], (vec![7], vec![1.0])),
        ])
        .unwrap();
    assert_eq!(store.count().unwrap(), 3);
    let q = StoreQuery { dense: Some(vec![1.0, 0.0, 0.0]), sparse: Some((vec![7], vec![1.0])), filter: Default::default(), limit: 3, prefetch: 3 };
    let ids: Vec<String> = store.query(&q).unwrap().into_iter().map(|h| h.chunk.doc_id).collect();
    assert_eq!(ids, vec!["B", "C", "A"]);
    let only_metier = StoreQuery { filter: PayloadFilter { kind: Some(Kind::Metier), ..Default::default() }, ..q };
    assert!(store.query(&only_metier).unwrap().iter().all(|h| h.chunk.kind == Kind::Metier));
    store.delete(&[3]).unwrap();
    assert_eq!(store.count().unwrap(), 2);
    store.delete(&[1, 2]).unwrap();
    common::profile_filters_hold(&store);
    drop(store);
    // Same collection, another vector size: refused with a clear message.
    let err = ServerStore::open(&url, &name, 384).err().unwrap();
    assert!(matches!(err, StoreError::SchemaMismatch { .. }), "{err}");
}
