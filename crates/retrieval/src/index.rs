//! Building and updating the index: parse the sources, chunk, embed (dense + sparse), upsert.
//!
//! Incremental: a manifest records each document's content hash and point ids, so a re-run
//! only re-embeds what changed and deletes what disappeared. The manifest is saved after each
//! flushed batch; a crash mid-ingest loses at most the batch in flight, which the next run
//! redoes (point ids are deterministic, so upserts overwrite rather than duplicate).

use crate::chunk::chunk_document;
use crate::data::{self, DataError};
use crate::document::Document;
use crate::onisep::{self, ParseError};
use crate::sparse::SparseEncoder;
use crate::store::{point_id, Store, StoreError, StoredChunk};
use inference::{Embedder, InferenceError, TextKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "manifest.json";
pub const DOCUMENTS: &str = "documents.json";
const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Rome(#[from] crate::rome::RomeError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Inference(#[from] InferenceError),
    #[error("index file {path}: {reason}")]
    File { path: String, reason: String },
    #[error("the index at {0} was built with another embedder or schema; run `orient ingest --rebuild`")]
    Stale(String),
    #[error("no index at {0}: run `orient ingest` first")]
    Missing(String),
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DocEntry {
    pub hash: String,
    pub points: Vec<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IndexManifest {
    pub schema: u32,
    /// sha256 of the embedder weights the vectors came from.
    pub embedder: String,
    pub docs: BTreeMap<String, DocEntry>,
    /// Changes with every ingest that modified something: the "index version" in receipts.
    pub version: String,
}

impl IndexManifest {
    pub fn load(dir: &Path) -> Result<Option<Self>, IndexError> {
        let p = dir.join(MANIFEST);
        if !p.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&p).map_err(|e| IndexError::File { path: p.display().to_string(), reason: e.to_string() })?;
        serde_json::from_str(&text).map(Some).map_err(|e| IndexError::File { path: p.display().to_string(), reason: e.to_string() })
    }

    fn save(&self, dir: &Path) -> Result<(), IndexError> {
        write_atomic(&dir.join(MANIFEST), &serde_json::to_vec(self).expect("manifest serializes"))
    }
}

/// Write through a temporary file and rename, so readers never see half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let err = |e: std::io::Error| IndexError::File { path: path.display().to_string(), reason: e.to_string() };
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(err)?;
    std::fs::File::open(&tmp).and_then(|f| f.sync_all()).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// Load every ONISEP document from the data directory (downloading when absent), and the ROME
/// fiches that no ONISEP métier carries.
pub fn load_documents(data_dir: &Path, cache: &Path) -> Result<Vec<Document>, IndexError> {
    let metiers = data::locate(data_dir, data::METIERS_ZIP, data::METIERS_URL, cache)?;
    let formations = data::locate(data_dir, data::FORMATIONS_ZIP, data::FORMATIONS_URL, cache)?;
    let mut docs = onisep::parse_metiers(&onisep::read_zip_xml(&metiers)?, &metiers.display().to_string(), data::DATA_DATE)?;
    docs.extend(onisep::parse_formations(&onisep::read_zip_xml(&formations)?, &formations.display().to_string(), data::DATA_DATE)?);
    // ROME titles widen what finds a métier; without the ROME files, ONISEP alone is indexed.
    if data_dir.join(crate::rome::APPELLATIONS_CSV).exists() {
        let rome = crate::rome::Rome::load(data_dir)?;
        crate::rome::expand(&mut docs, &rome);
        let alone = crate::rome::standalone(&rome, &docs);
        docs.extend(alone);
    } else {
        tracing::warn!("ROME 4.0 files not found under {}: indexing ONISEP only", data_dir.display());
    }
    Ok(docs)
}

/// The Qdrant collection orient's index lives in on a server.
pub const COLLECTION: &str = "orient";
/// The embedded shard's directory inside the index directory.
const SHARD: &str = "shard";

/// The store of the index in `index_dir`: the embedded qdrant-edge shard there, or the
/// Qdrant server at `server_url` (the manifest and saved documents stay in `index_dir`).
pub fn open_store(index_dir: &Path, server_url: Option<&str>, dim: usize) -> Result<std::sync::Arc<dyn Store>, IndexError> {
    std::fs::create_dir_all(index_dir).map_err(|e| IndexError::File { path: index_dir.display().to_string(), reason: e.to_string() })?;
    Ok(match server_url {
        Some(url) => std::sync::Arc::new(crate::server::ServerStore::open(url, COLLECTION, dim)?),
        None => std::sync::Arc::new(crate::store::EdgeStore::open(&index_dir.join(SHARD), dim)?),
    })
}

/// Whether the index in `index_dir` is complete and was built with the embedder of this
/// digest; if not, it must be built (again).
pub fn is_current(index_dir: &Path, embedder_sha256: &str) -> Result<bool, IndexError> {
    Ok(IndexManifest::load(index_dir)?.is_some_and(|m| m.embedder == embedder_sha256) && index_dir.join(DOCUMENTS).exists())
}

/// Whether an index exists in `index_dir` that another embedder built (it must be rebuilt
/// from scratch: its vectors mean nothing to this one).
pub fn built_by_another_embedder(index_dir: &Path, embedder_sha256: &str) -> bool {
    IndexManifest::load(index_dir).ok().flatten().is_some_and(|m| m.embedder != embedder_sha256)
}

/// Documents saved beside the index (facts, links and titles for answers).
pub fn load_saved_documents(index_dir: &Path) -> Result<Vec<Document>, IndexError> {
    let p = index_dir.join(DOCUMENTS);
    if !p.exists() {
        return Err(IndexError::Missing(index_dir.display().to_string()));
    }
    let bytes = std::fs::read(&p).map_err(|e| IndexError::File { path: p.display().to_string(), reason: e.to_string() })?;
    serde_json::from_slice(&bytes).map_err(|e| IndexError::File { path: p.display().to_string(), reason: e.to_string() })
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    pub documents: usize,
    pub unchanged: usize,
    pub updated: usize,
    pub removed: usize,
    pub chunks_embedded: usize,
    pub points: usize,
    pub seconds: f64,
    pub version: String,
}

/// Progress events for the CLI's progress bar.
pub enum Progress {
    Start { total_chunks: usize },
    Embedded { chunks: usize },
    Finishing,
}

pub struct Indexer<'a> {
    pub store: &'a dyn Store,
    pub embedder: &'a dyn Embedder,
    pub sparse: &'a SparseEncoder,
    pub dir: PathBuf,
    /// Documents embedded per upsert + manifest save.
    pub batch_docs: usize,
}

impl Indexer<'_> {
    pub fn ingest(&self, docs: &[Document], progress: &mut dyn FnMut(Progress)) -> Result<IngestReport, IndexError> {
        let t0 = std::time::Instant::now();
        let embedder_digest = self.embedder.info().sha256.clone();
        let mut manifest = IndexManifest::load(&self.dir)?.unwrap_or_else(|| IndexManifest {
            schema: SCHEMA_VERSION,
            embedder: embedder_digest.clone(),
            ..Default::default()
        });
        if manifest.schema != SCHEMA_VERSION || manifest.embedder != embedder_digest {
            return Err(IndexError::Stale(self.dir.display().to_string()));
        }
        let mut report = IngestReport { documents: docs.len(), ..Default::default() };
        let changed: Vec<(&Document, String)> =
            docs.iter().map(|d| (d, d.content_hash())).filter(|(d, h)| manifest.docs.get(&d.id).map(|e| &e.hash) != Some(h)).collect();
        report.unchanged = docs.len() - changed.len();

        // Documents gone from the sources leave the index.
        let present: std::collections::HashSet<&str> = docs.iter().map(|d| d.id.as_str()).collect();
        let gone: Vec<String> = manifest.docs.keys().filter(|id| !present.contains(id.as_str())).cloned().collect();
        for id in &gone {
            if let Some(e) = manifest.docs.remove(id) {
                self.store.delete(&e.points)?;
            }
        }
        report.removed = gone.len();

        let total_chunks: usize = changed.iter().map(|(d, _)| chunk_document(d).len()).sum();
        progress(Progress::Start { total_chunks });
        for batch in changed.chunks(self.batch_docs.max(1)) {
            // The whole batch is embedded in one call, so passages of similar length share
            // padded batches.
            let mut chunks = Vec::new();
            let mut entries = Vec::new();
            for (doc, hash) in batch {
                let doc_chunks = chunk_document(doc);
                let ids: Vec<u64> = doc_chunks.iter().map(|c| point_id(&c.chunk_id)).collect();
                if let Some(old) = manifest.docs.get(&doc.id) {
                    let stale: Vec<u64> = old.points.iter().filter(|p| !ids.contains(p)).copied().collect();
                    self.store.delete(&stale)?;
                }
                chunks.extend(doc_chunks);
                entries.push((doc.id.clone(), DocEntry { hash: hash.clone(), points: ids }));
            }
            let texts: Vec<String> = chunks.iter().map(|c| c.indexed_text()).collect();
            let to_embed: Vec<&str> = chunks.iter().zip(&texts).filter(|(c, _)| c.dense).map(|(_, t)| t.as_str()).collect();
            let mut dense = self.embedder.embed(&to_embed, TextKind::Passage)?.into_iter();
            let mut points = Vec::with_capacity(chunks.len());
            for (chunk, text) in chunks.into_iter().zip(&texts) {
                let vector = if chunk.dense { dense.next() } else { None };
                points.push(StoredChunk { point_id: point_id(&chunk.chunk_id), dense: vector, sparse: self.sparse.document(text), chunk });
            }
            report.chunks_embedded += to_embed.len();
            progress(Progress::Embedded { chunks: points.len() });
            self.store.upsert(points)?;
            self.store.flush()?;
            manifest.docs.extend(entries);
            manifest.save(&self.dir)?;
        }
        report.updated = changed.len();
        progress(Progress::Finishing);
        if report.updated > 0 || report.removed > 0 || manifest.version.is_empty() {
            let all: String = manifest.docs.values().map(|e| e.hash.as_str()).collect();
            use sha2::{Digest, Sha256};
            manifest.version = hex::encode(&Sha256::digest(all.as_bytes())[..8]);
            self.store.optimize()?;
            self.store.flush()?;
            manifest.save(&self.dir)?;
        }
        write_atomic(&self.dir.join(DOCUMENTS), &serde_json::to_vec(docs).expect("documents serialize"))?;
        report.points = self.store.count()?;
        report.version = manifest.version.clone();
        report.seconds = t0.elapsed().as_secs_f64();
        Ok(report)
    }
}
