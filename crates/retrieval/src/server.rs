//! The same [`Store`] on a Qdrant server or cluster, through qdrant-client (gRPC): selected by
//! configuration (`ORIENT_QDRANT_URL`), same collection schema as the embedded store (named
//! dense vector `dense`, sparse `bm25` with IDF, the same indexed payload fields),
//! batched upserts, retries with backoff, and clear errors for an unreachable server or a
//! collection whose schema does not match.
//!
//! The client is async; this store owns a small runtime and blocks on it, like qdrant-edge's
//! synchronous calls. From async code, call it through `spawn_blocking`.

use crate::chunk::Chunk;
use crate::store::{Store, StoreError, StoreHit, StoreQuery, StoredChunk, DENSE, SPARSE};
use qdrant_client::qdrant::{
    vectors_config, Condition, CountPointsBuilder, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder, DeletePointsBuilder, Distance, FieldType,
    Filter, Fusion, Modifier, NamedVectors, PointId, PointStruct, PointsIdsList, PrefetchQueryBuilder, Query, QueryPointsBuilder, Range,
    SparseVectorParamsBuilder, SparseVectorsConfigBuilder, UpsertPointsBuilder, Vector, VectorInput, VectorParamsBuilder, VectorsConfigBuilder,
};
use qdrant_client::{Payload, Qdrant};
use std::future::Future;
use std::time::Duration;

/// Points per upsert request.
const BATCH: usize = 256;
const ATTEMPTS: u32 = 4;

pub struct ServerStore {
    client: Qdrant,
    collection: String,
    url: String,
    rt: tokio::runtime::Runtime,
}

impl ServerStore {
    /// Connect, create the collection with orient's schema if absent, or check its schema.
    pub fn open(url: &str, collection: &str, dim: usize) -> Result<Self, StoreError> {
        let unreachable = |reason: String| StoreError::Unreachable { url: url.into(), reason };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| unreachable(e.to_string()))?;
        let client = Qdrant::from_url(url)
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(3))
            // The schema check below is the compatibility check that matters to orient.
            .skip_compatibility_check()
            .build()
            .map_err(|e| unreachable(e.to_string()))?;
        let store = ServerStore { client, collection: collection.into(), url: url.into(), rt };
        let exists = store.call(|c, name| async move { c.collection_exists(name).await })?;
        if exists {
            store.check_schema(dim)?;
        } else {
            store.create(dim)?;
        }
        store.create_missing_indexes()?;
        Ok(store)
    }

    /// Run one request with retries and exponential backoff (200 ms, 400 ms, 800 ms).
    fn call<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        F: Fn(Qdrant, String) -> Fut,
        Fut: Future<Output = Result<T, qdrant_client::QdrantError>>,
    {
        let mut delay = Duration::from_millis(200);
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            match self.rt.block_on(f(self.client.clone(), self.collection.clone())) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    last = e.to_string();
                    if attempt < ATTEMPTS {
                        std::thread::sleep(delay);
                        delay *= 2;
                    }
                }
            }
        }
        if last.contains("transport") || last.contains("connect") || last.contains("Unavailable") || last.contains("deadline") {
            Err(StoreError::Unreachable { url: self.url.clone(), reason: last })
        } else {
            Err(StoreError::Operation(last))
        }
    }

    fn create(&self, dim: usize) -> Result<(), StoreError> {
        self.call(|c, name| async move {
            let mut vectors = VectorsConfigBuilder::default();
            vectors.add_named_vector_params(DENSE, VectorParamsBuilder::new(dim as u64, Distance::Cosine));
            let mut sparse = SparseVectorsConfigBuilder::default();
            sparse.add_named_vector_params(SPARSE, SparseVectorParamsBuilder::default().modifier(Modifier::Idf));
            c.create_collection(CreateCollectionBuilder::new(name).vectors_config(vectors).sparse_vectors_config(sparse)).await
        })?;
        Ok(())
    }

    /// Indexes added by a later version are created on a collection built before it.
    fn create_missing_indexes(&self) -> Result<(), StoreError> {
        let info = self.call(|c, name| async move { c.collection_info(name).await })?;
        let existing = info.result.map(|r| r.payload_schema).unwrap_or_default();
        for (field, integer) in crate::store::INDEXED_FIELDS.into_iter().filter(|(f, _)| !existing.contains_key(*f)) {
            let kind = if integer { FieldType::Integer } else { FieldType::Keyword };
            self.call(|c, name| async move { c.create_field_index(CreateFieldIndexCollectionBuilder::new(name, field, kind).wait(true)).await })?;
        }
        Ok(())
    }

    fn check_schema(&self, dim: usize) -> Result<(), StoreError> {
        let info = self.call(|c, name| async move { c.collection_info(name).await })?;
        let mismatch = |reason: String| StoreError::SchemaMismatch { path: format!("{} collection {}", self.url, self.collection), reason };
        let params = info.result.and_then(|r| r.config).and_then(|c| c.params).ok_or_else(|| mismatch("no collection parameters".into()))?;
        let size = match params.vectors_config.and_then(|v| v.config) {
            Some(vectors_config::Config::ParamsMap(m)) => m.map.get(DENSE).map(|p| p.size),
            _ => None,
        };
        if size != Some(dim as u64) {
            return Err(mismatch(format!("named dense vector {DENSE:?} has size {size:?}, the embedder gives {dim}")));
        }
        if !params.sparse_vectors_config.is_some_and(|s| s.map.contains_key(SPARSE)) {
            return Err(mismatch(format!("no sparse vector {SPARSE:?}")));
        }
        Ok(())
    }
}

fn server_filter(f: &crate::store::PayloadFilter) -> Option<Filter> {
    let mut must = Vec::new();
    if let Some(k) = f.kind {
        must.push(Condition::matches("kind", k.as_str().to_string()));
    }
    if !f.interests_any.is_empty() {
        must.push(Condition::matches("interests", f.interests_any.clone()));
    }
    if let Some(l) = f.max_level {
        must.push(Condition::range("level_rank", Range { lte: Some(l.rank() as f64), ..Default::default() }));
    }
    if let Some(s) = &f.section {
        must.push(Condition::matches("section", s.clone()));
    }
    let must_not: Vec<Condition> = if f.conditions_none.is_empty() { Vec::new() } else { vec![Condition::matches("conditions", f.conditions_none.clone())] };
    (!must.is_empty() || !must_not.is_empty()).then(|| Filter { must, must_not, ..Default::default() })
}

impl Store for ServerStore {
    fn upsert(&self, points: Vec<StoredChunk>) -> Result<(), StoreError> {
        let mut structs = Vec::with_capacity(points.len());
        for p in points {
            let mut vectors = NamedVectors::default().add_vector(SPARSE, Vector::new_sparse(p.sparse.0, p.sparse.1));
            if let Some(d) = p.dense {
                vectors = vectors.add_vector(DENSE, d);
            }
            let payload = Payload::try_from(serde_json::to_value(&p.chunk).map_err(|e| StoreError::Operation(e.to_string()))?)
                .map_err(|e| StoreError::Operation(e.to_string()))?;
            structs.push(PointStruct::new(p.point_id, vectors, payload));
        }
        for batch in structs.chunks(BATCH) {
            let batch = batch.to_vec();
            self.call(move |c, name| {
                let batch = batch.clone();
                async move { c.upsert_points(UpsertPointsBuilder::new(name, batch).wait(true)).await }
            })?;
        }
        Ok(())
    }

    fn delete(&self, point_ids: &[u64]) -> Result<(), StoreError> {
        if point_ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<PointId> = point_ids.iter().map(|&i| i.into()).collect();
        self.call(move |c, name| {
            let ids = PointsIdsList { ids: ids.clone() };
            async move { c.delete_points(DeletePointsBuilder::new(name).points(ids).wait(true)).await }
        })?;
        Ok(())
    }

    fn query(&self, q: &StoreQuery) -> Result<Vec<StoreHit>, StoreError> {
        let filter = server_filter(&q.filter);
        let prefetch = q.prefetch.max(q.limit) as u64;
        let mut branches: Vec<(&str, VectorInput)> = Vec::new();
        if let Some(d) = &q.dense {
            branches.push((DENSE, VectorInput::new_dense(d.clone())));
        }
        if let Some(s) = q.sparse.as_ref().filter(|s| !s.0.is_empty()) {
            branches.push((SPARSE, VectorInput::new_sparse(s.0.clone(), s.1.clone())));
        }
        if branches.is_empty() {
            return Ok(Vec::new());
        }
        let limit = q.limit as u64;
        let response = self.call(|c, name| {
            let mut req = QueryPointsBuilder::new(name).limit(limit).with_payload(true);
            if let Some(f) = filter.clone() {
                req = req.filter(f);
            }
            if branches.len() == 1 {
                let (using, v) = branches[0].clone();
                req = req.using(using).query(Query::new_nearest(v));
            } else {
                for (using, v) in &branches {
                    let mut p = PrefetchQueryBuilder::default().using(*using).query(Query::new_nearest(v.clone())).limit(prefetch);
                    if let Some(f) = filter.clone() {
                        p = p.filter(f);
                    }
                    req = req.add_prefetch(p);
                }
                req = req.query(Query::new_fusion(Fusion::Rrf));
            }
            async move { c.query(req).await }
        })?;
        response
            .result
            .into_iter()
            .map(|p| {
                let id = match p.id.and_then(|i| i.point_id_options) {
                    Some(qdrant_client::qdrant::point_id::PointIdOptions::Num(n)) => n,
                    other => return Err(StoreError::Operation(format!("unexpected point id {other:?}"))),
                };
                let payload: serde_json::Value = Payload::from(p.payload).into();
                let chunk: Chunk = serde_json::from_value(payload).map_err(|e| StoreError::Operation(e.to_string()))?;
                Ok(StoreHit { point_id: id, score: p.score, chunk })
            })
            .collect()
    }

    fn count(&self) -> Result<usize, StoreError> {
        let r = self.call(|c, name| async move { c.count(CountPointsBuilder::new(name).exact(true)).await })?;
        Ok(r.result.map(|r| r.count as usize).unwrap_or(0))
    }

    fn flush(&self) -> Result<(), StoreError> {
        Ok(()) // upserts wait for the server to apply them
    }

    fn optimize(&self) -> Result<(), StoreError> {
        Ok(()) // the server optimizes in the background
    }
}
