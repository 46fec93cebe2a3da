//! The vector store contract, and its default backend: qdrant-edge, in-process, on disk.
//!
//! One collection schema everywhere: a named dense vector `dense` (cosine) and a named sparse
//! vector `bm25` (IDF modifier), payload = the passage ([`Chunk`]), with indexes on the fields
//! searches filter by ([`INDEXED_FIELDS`]). Nothing of Qdrant leaks through [`Store`].

use crate::chunk::Chunk;
use crate::document::Kind;
use crate::levels::Level;
use qdrant_edge::{
    Distance, EdgeConfigBuilder, EdgeShard, EdgeSparseVectorParamsBuilder, EdgeVectorParamsBuilder, FieldIndexOperations, Filter, Fusion, JsonPath, Modifier,
    NamedQuery, PayloadFieldSchema, PayloadSchemaType, PointId, PointInsertOperations, PointOperations, PointStruct, Prefetch, QueryEnum, QueryRequest,
    ScoringQuery, UpdateOperation, Vector, VectorInternal, Vectors, WithPayloadInterface, WithVector,
};
use std::path::{Path, PathBuf};

pub const DENSE: &str = "dense";
pub const SPARSE: &str = "bm25";

/// Payload fields with an index, and whether each holds integers (else keywords).
pub const INDEXED_FIELDS: [(&str, bool); 7] =
    [("kind", false), ("doc_id", false), ("section", false), ("interests", false), ("sectors", false), ("level_rank", true), ("conditions", false)];

/// Conditions on a fiche's profile; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PayloadFilter {
    pub kind: Option<Kind>,
    /// At least one of these centres d'intérêt (ONISEP labels).
    pub interests_any: Vec<String>,
    /// A level no higher than this one (fiches without a level are left out).
    pub max_level: Option<Level>,
    /// Only passages of this section (`identite`: one passage per fiche).
    pub section: Option<String>,
    /// None of these working conditions (ROME work contexts, as labelled).
    pub conditions_none: Vec<String>,
}

impl PayloadFilter {
    pub fn is_empty(&self) -> bool {
        *self == PayloadFilter::default()
    }

    /// The filter in Qdrant's JSON form (the REST API's shape), None when empty.
    pub fn to_qdrant_json(&self) -> Option<serde_json::Value> {
        let mut must = Vec::new();
        if let Some(k) = self.kind {
            must.push(serde_json::json!({"key": "kind", "match": {"value": k.as_str()}}));
        }
        if !self.interests_any.is_empty() {
            must.push(serde_json::json!({"key": "interests", "match": {"any": self.interests_any}}));
        }
        if let Some(l) = self.max_level {
            must.push(serde_json::json!({"key": "level_rank", "range": {"lte": l.rank()}}));
        }
        if let Some(s) = &self.section {
            must.push(serde_json::json!({"key": "section", "match": {"value": s}}));
        }
        let must_not: Vec<serde_json::Value> =
            if self.conditions_none.is_empty() { Vec::new() } else { vec![serde_json::json!({"key": "conditions", "match": {"any": self.conditions_none}})] };
        match (must.is_empty(), must_not.is_empty()) {
            (true, true) => None,
            (_, true) => Some(serde_json::json!({ "must": must })),
            (true, false) => Some(serde_json::json!({ "must_not": must_not })),
            (false, false) => Some(serde_json::json!({ "must": must, "must_not": must_not })),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the index at {path}: {reason}")]
    Open { path: String, reason: String },
    #[error("the index at {path} has another schema ({reason}); rebuild it with `orient ingest --rebuild`")]
    SchemaMismatch { path: String, reason: String },
    #[error("index operation failed: {0}")]
    Operation(String),
    #[error("the Qdrant server at {url} is unreachable: {reason}")]
    Unreachable { url: String, reason: String },
}

/// A passage with its vectors, ready to store.
pub struct StoredChunk {
    pub point_id: u64,
    /// None for passages found through the sparse index only.
    pub dense: Option<Vec<f32>>,
    pub sparse: (Vec<u32>, Vec<f32>),
    pub chunk: Chunk,
}

#[derive(Debug, Clone, Default)]
pub struct StoreQuery {
    pub dense: Option<Vec<f32>>,
    pub sparse: Option<(Vec<u32>, Vec<f32>)>,
    pub filter: PayloadFilter,
    pub limit: usize,
    /// Candidates taken from each of dense and sparse before fusion.
    pub prefetch: usize,
}

#[derive(Debug, Clone)]
pub struct StoreHit {
    pub point_id: u64,
    pub score: f32,
    pub chunk: Chunk,
}

pub trait Store: Send + Sync {
    fn upsert(&self, points: Vec<StoredChunk>) -> Result<(), StoreError>;
    fn delete(&self, point_ids: &[u64]) -> Result<(), StoreError>;
    /// Dense only, sparse only, or both fused by reciprocal rank.
    fn query(&self, q: &StoreQuery) -> Result<Vec<StoreHit>, StoreError>;
    fn count(&self) -> Result<usize, StoreError>;
    /// Make everything written durable.
    fn flush(&self) -> Result<(), StoreError>;
    /// Build search structures after a bulk load.
    fn optimize(&self) -> Result<(), StoreError>;
}

/// Stable point id of a chunk (first 8 bytes of sha256 of its id).
pub fn point_id(chunk_id: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(chunk_id.as_bytes());
    u64::from_le_bytes(d[..8].try_into().unwrap())
}

pub struct EdgeStore {
    shard: EdgeShard,
    path: PathBuf,
}

fn op_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Operation(e.to_string())
}

impl EdgeStore {
    /// Open the shard at `path`, creating it with orient's schema when absent.
    pub fn open(path: &Path, dim: usize) -> Result<Self, StoreError> {
        let p = path.display().to_string();
        let config = EdgeConfigBuilder::new()
            .vector(DENSE, EdgeVectorParamsBuilder::new(dim, Distance::Cosine).build())
            .sparse_vector(SPARSE, EdgeSparseVectorParamsBuilder::new().modifier(Modifier::Idf).build())
            .on_disk_payload(true)
            .build();
        let exists = path.join("edge_config.json").exists();
        std::fs::create_dir_all(path).map_err(|e| StoreError::Open { path: p.clone(), reason: e.to_string() })?;
        let shard = if exists {
            let shard = EdgeShard::load(path, None).map_err(|e| {
                let reason = e.to_string();
                // The shard's write-ahead log is locked by the process that has it open.
                let reason = if reason.contains("WouldBlock") {
                    format!("it is open in another orient process (a running `orient serve`?); stop it or give this one its own ORIENT_HOME ({reason})")
                } else {
                    reason
                };
                StoreError::Open { path: p.clone(), reason }
            })?;
            check_schema(&shard, dim).map_err(|reason| StoreError::SchemaMismatch { path: p.clone(), reason })?;
            shard
        } else {
            EdgeShard::new(path, config).map_err(|e| StoreError::Open { path: p.clone(), reason: e.to_string() })?
        };
        // Indexes added by a later version are created on an index built before it.
        let existing: Vec<String> = shard.info().payload_schema.keys().map(|k| k.to_string()).collect();
        for (field, integer) in INDEXED_FIELDS.into_iter().filter(|(f, _)| !existing.iter().any(|e| e == f)) {
            let schema = if integer { PayloadSchemaType::Integer } else { PayloadSchemaType::Keyword };
            shard
                .update(UpdateOperation::FieldIndexOperation(FieldIndexOperations::CreateIndex(qdrant_edge::CreateIndex {
                    field_name: json_path(field),
                    field_schema: Some(PayloadFieldSchema::FieldType(schema)),
                })))
                .map_err(op_err)?;
        }
        Ok(EdgeStore { shard, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn check_schema(shard: &EdgeShard, dim: usize) -> Result<(), String> {
    let cfg = serde_json::to_value(&*shard.config()).map_err(|e| e.to_string())?;
    let size = cfg.pointer(&format!("/vectors/{DENSE}/size")).and_then(|v| v.as_u64());
    if size != Some(dim as u64) {
        return Err(format!("dense vector {DENSE:?} has size {size:?}, the embedder gives {dim}"));
    }
    if cfg.pointer(&format!("/sparse_vectors/{SPARSE}")).is_none() {
        return Err(format!("no sparse vector {SPARSE:?}"));
    }
    Ok(())
}

fn json_path(field: &str) -> JsonPath {
    JsonPath::try_from(field).expect("payload field names are valid JSON paths")
}

fn edge_filter(filter: &PayloadFilter) -> Result<Option<Filter>, StoreError> {
    filter.to_qdrant_json().map(|json| serde_json::from_value(json).map_err(op_err)).transpose()
}

fn nearest(name: &str, v: VectorInternal) -> ScoringQuery {
    ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery { query: v, using: Some(name.into()) }))
}

fn sparse_internal(s: &(Vec<u32>, Vec<f32>)) -> Result<VectorInternal, StoreError> {
    Ok(Vector::new_sparse(s.0.clone(), s.1.clone()).map_err(op_err)?.0)
}

impl Store for EdgeStore {
    fn upsert(&self, points: Vec<StoredChunk>) -> Result<(), StoreError> {
        if points.is_empty() {
            return Ok(());
        }
        let mut list = Vec::with_capacity(points.len());
        for p in points {
            let sparse = Vector::new_sparse(p.sparse.0, p.sparse.1).map_err(op_err)?;
            let mut named = vec![(SPARSE, sparse)];
            if let Some(d) = p.dense {
                named.push((DENSE, Vector::new_dense(d)));
            }
            let vectors = Vectors::new_named(named);
            let payload = serde_json::to_value(&p.chunk).map_err(op_err)?;
            list.push(PointStruct::new(PointId::NumId(p.point_id), vectors, payload).into());
        }
        self.shard.update(UpdateOperation::PointOperation(PointOperations::UpsertPoints(PointInsertOperations::PointsList(list)))).map_err(op_err)
    }

    fn delete(&self, point_ids: &[u64]) -> Result<(), StoreError> {
        if point_ids.is_empty() {
            return Ok(());
        }
        let ids = point_ids.iter().map(|&i| PointId::NumId(i)).collect();
        self.shard.update(UpdateOperation::PointOperation(PointOperations::DeletePoints { ids })).map_err(op_err)
    }

    fn query(&self, q: &StoreQuery) -> Result<Vec<StoreHit>, StoreError> {
        let filter = edge_filter(&q.filter)?;
        let prefetch = q.prefetch.max(q.limit);
        let mut branches = Vec::new();
        if let Some(d) = &q.dense {
            branches.push(nearest(DENSE, VectorInternal::Dense(d.clone())));
        }
        if let Some(s) = &q.sparse {
            if !s.0.is_empty() {
                branches.push(nearest(SPARSE, sparse_internal(s)?));
            }
        }
        let request = match branches.len() {
            0 => return Ok(Vec::new()),
            1 => QueryRequest {
                prefetches: vec![],
                query: branches.pop(),
                filter,
                score_threshold: None,
                limit: q.limit,
                offset: 0,
                params: None,
                with_vector: WithVector::Bool(false),
                with_payload: WithPayloadInterface::Bool(true),
            },
            _ => QueryRequest {
                prefetches: branches
                    .into_iter()
                    .map(|b| Prefetch { prefetches: vec![], query: Some(b), limit: prefetch, params: None, filter: filter.clone(), score_threshold: None })
                    .collect(),
                query: Some(ScoringQuery::Fusion(Fusion::Rrf { k: 60, weights: None })),
                filter,
                score_threshold: None,
                limit: q.limit,
                offset: 0,
                params: None,
                with_vector: WithVector::Bool(false),
                with_payload: WithPayloadInterface::Bool(true),
            },
        };
        let points = self.shard.query(request).map_err(op_err)?;
        points
            .into_iter()
            .map(|p| {
                let id = match p.id {
                    PointId::NumId(n) => n,
                    other => return Err(StoreError::Operation(format!("unexpected point id {other:?}"))),
                };
                let payload = p.payload.ok_or_else(|| StoreError::Operation("point without payload".into()))?;
                let chunk: Chunk = serde_json::from_value(serde_json::to_value(&payload).map_err(op_err)?).map_err(op_err)?;
                Ok(StoreHit { point_id: id, score: p.score, chunk })
            })
            .collect()
    }

    fn count(&self) -> Result<usize, StoreError> {
        Ok(self.shard.info().points_count)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.shard.flush();
        Ok(())
    }

    fn optimize(&self) -> Result<(), StoreError> {
        self.shard.optimize().map(|_| ()).map_err(op_err)
    }
}
