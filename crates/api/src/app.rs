//! Everything the commands share: paths, the model registry, loading models and the index,
//! and the first-run set-up (fetch models, build the index) when something is missing.

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use inference::{E5Embedder, Embedder, Generator, Registry};
use retrieval::index::{self, IndexManifest, Indexer, Progress};
use retrieval::search::Searcher;
use retrieval::sparse::SparseEncoder;
use retrieval::store::Store;
use std::path::PathBuf;
use std::sync::Arc;

pub struct App {
    /// A Qdrant server (gRPC URL) instead of the embedded store.
    pub qdrant_url: Option<String>,
    pub home: PathBuf,
    pub registry: Registry,
    pub data_dir: PathBuf,
    pub quiet: bool,
    /// An OpenAI-compatible engine for generated sentences instead of the local model.
    pub remote_generator: Option<inference::RemoteSettings>,
    /// With a remote engine: the local model takes over when it fails.
    pub local_fallback: bool,
}

impl App {
    pub fn new(home: Option<PathBuf>, models: Option<PathBuf>, data: Option<PathBuf>, qdrant_url: Option<String>, quiet: bool) -> Result<App> {
        let home = home.unwrap_or_else(inference::orient_home);
        let registry = match models {
            Some(p) => Registry::load(&p)?,
            None if home.join("models.toml").exists() => Registry::load(&home.join("models.toml"))?,
            None => Registry::builtin(),
        };
        let data_dir = data.unwrap_or_else(retrieval::data::default_data_dir);
        Ok(App { qdrant_url: qdrant_url.filter(|u| !u.is_empty()), home, registry, data_dir, quiet, remote_generator: None, local_fallback: true })
    }

    pub fn say(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    pub fn index_dir(&self) -> PathBuf {
        self.home.join("index")
    }

    /// Progress of a first-run fetch, on stderr unless quiet.
    fn progress(&self) -> impl FnMut(&str) + '_ {
        move |m: &str| self.say(&format!("  {m}"))
    }

    pub fn embedder(&self) -> Result<Arc<dyn Embedder>> {
        Ok(Arc::new(self.e5_embedder()?))
    }

    /// The embedder as its concrete type (benchmarks tune its input length).
    pub fn e5_embedder(&self) -> Result<E5Embedder> {
        Ok(self.registry.load_embedder(&self.home, &mut self.progress())?)
    }

    /// The generator the configuration names: the local model, or the remote engine (with
    /// the local model behind it when `generator.local_fallback`).
    pub fn generator(&self) -> Result<Arc<dyn Generator>> {
        let Some(remote) = &self.remote_generator else {
            return Ok(self.registry.load_generator(None, &self.home, &mut self.progress())?);
        };
        let engine: Arc<dyn Generator> = Arc::new(inference::RemoteGenerator::new(remote.clone()));
        if !self.local_fallback {
            return Ok(engine);
        }
        let local = self.registry.load_generator(None, &self.home, &mut self.progress())?;
        Ok(Arc::new(inference::Fallback::new(engine, local)))
    }

    pub fn generator_named(&self, name: &str) -> Result<Arc<dyn Generator>> {
        Ok(self.registry.load_generator(Some(name), &self.home, &mut self.progress())?)
    }

    /// The embedded qdrant-edge shard under ORIENT_HOME, or the Qdrant server when configured.
    pub fn open_store(&self, embedder: &dyn Embedder) -> Result<Arc<dyn Store>> {
        Ok(index::open_store(&self.index_dir(), self.qdrant_url.as_deref(), embedder.dim())?)
    }

    /// Build or update the index (only changed fiches are re-embedded).
    pub fn ingest(&self, embedder: &dyn Embedder, rebuild: bool) -> Result<index::IngestReport> {
        let dir = self.index_dir();
        let stale = index::built_by_another_embedder(&dir, &embedder.info().sha256);
        if rebuild || stale {
            if stale {
                self.say("The embedder changed since the index was built: rebuilding it.");
            }
            if dir.exists() {
                std::fs::remove_dir_all(&dir).with_context(|| format!("cannot remove {}", dir.display()))?;
            }
        }
        let docs = index::load_documents(&self.data_dir, &self.home.join("data"))?;
        let store = self.open_store(embedder)?;
        let sparse = SparseEncoder::french();
        let indexer = Indexer { store: store.as_ref(), embedder, sparse: &sparse, dir: dir.clone(), batch_docs: 32 };
        let bar = if self.quiet { ProgressBar::hidden() } else { ProgressBar::new(0) };
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} passages ({per_sec}, reste {eta})").expect("valid template").progress_chars("=> "),
        );
        bar.set_message("Indexing");
        let report = indexer.ingest(&docs, &mut |p| match p {
            Progress::Start { total_chunks } => bar.set_length(total_chunks as u64),
            Progress::Embedded { chunks } => bar.inc(chunks as u64),
            Progress::Finishing => bar.set_message("Optimizing"),
        })?;
        bar.finish_and_clear();
        Ok(report)
    }

    /// The searcher over the index, building the index first if there is none.
    pub fn searcher(&self) -> Result<Arc<Searcher>> {
        let embedder = self.embedder()?;
        let dir = self.index_dir();
        if !index::is_current(&dir, &embedder.info().sha256)? {
            self.say("First run: building the index of the ONISEP and ROME fiches (about 10 minutes on 2 cores)…");
            let r = self.ingest(embedder.as_ref(), false)?;
            self.say(&format!("Index ready: {} fiches, {} passages, {:.0} s.", r.documents, r.points, r.seconds));
        }
        let docs = index::load_saved_documents(&dir)?;
        let store = self.open_store(embedder.as_ref())?;
        Ok(Arc::new(Searcher::new(store, embedder, docs)))
    }

    /// The transparency log under ORIENT_HOME/log; checkpoints are signed when `ORIENT_LOG_KEY`
    /// holds an ed25519 seed (64 hex characters). Fails at once while `orient serve` owns it.
    pub fn transparency_log(&self, section: &crate::config::LogSection) -> Result<guardrails::log::TransparencyLog> {
        Ok(guardrails::log::TransparencyLog::open(self.transparency_log_config(section)?)?)
    }

    pub fn transparency_log_config(&self, section: &crate::config::LogSection) -> Result<guardrails::log::LogConfig> {
        let mut cfg = guardrails::log::LogConfig::new(self.home.join("log").join("transparency.jsonl"));
        if let Ok(k) = std::env::var("ORIENT_LOG_KEY") {
            cfg.signing_key = Some(guardrails::log::signing_key_from_hex(&k).context("ORIENT_LOG_KEY must be 64 hex characters")?);
        }
        cfg.checkpoint_every = section.checkpoint_every;
        cfg.replica = Some(section.replica_name(&self.home)?);
        cfg.retention = std::time::Duration::from_secs(section.retention_days * 24 * 3600);
        Ok(cfg)
    }

    /// The key of the log's conversation pseudonyms: `ORIENT_LOG_PSEUDONYM_KEY` (64 hex
    /// characters; replicas share it), else one made on first use and kept under
    /// ORIENT_HOME/keys, readable by its owner only.
    pub fn pseudonym_key(&self) -> Result<[u8; 32]> {
        let parse = |h: &str| -> Option<[u8; 32]> { hex::decode(h.trim()).ok()?.try_into().ok() };
        if let Ok(k) = std::env::var("ORIENT_LOG_PSEUDONYM_KEY") {
            return parse(&k).context("ORIENT_LOG_PSEUDONYM_KEY must be 64 hex characters");
        }
        let path = self.home.join("keys").join("log-pseudonym.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return parse(&text).with_context(|| format!("{} must hold 64 hex characters", path.display()));
        }
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let key: [u8; 32] = rand::random();
        std::fs::create_dir_all(path.parent().expect("a file under keys/")).with_context(|| format!("cannot create {}", path.display()))?;
        let mut f =
            std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).with_context(|| format!("cannot create {}", path.display()))?;
        f.write_all(hex::encode(key).as_bytes()).and_then(|_| f.sync_all()).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(key)
    }

    pub fn index_version(&self) -> String {
        IndexManifest::load(&self.index_dir()).ok().flatten().map(|m| m.version).unwrap_or_default()
    }
}
