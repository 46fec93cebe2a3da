//! Loading the models `models.toml` names: fetched first when their files are missing
//! (sha256-checked), then built by the loader their architecture needs. Callers name a role or
//! a model; file formats and architectures stay in this crate.

use crate::fetch::{self, FetchError, FetchProgress};
use crate::registry::RegistryError;
use crate::{E5Embedder, Generator, InferenceError, ModelInfo, QwenGenerator, Registry};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Inference(#[from] InferenceError),
    #[error("model {name} has architecture {architecture}; a {role} must be {expected}")]
    WrongArchitecture { name: String, architecture: String, role: &'static str, expected: &'static str },
}

/// Generators: GGUF files of this decoder family.
const GENERATOR_ARCHITECTURE: &str = "qwen2";
/// Embedders: multilingual-e5 BERT encoders (safetensors and tokenizer.json).
const EMBEDDER_ARCHITECTURE: &str = "bert-e5";

impl Registry {
    /// Fetch model `name` into `home` unless its files are already there; `progress` hears
    /// what is done (nothing when nothing is fetched).
    pub fn ensure(&self, name: &str, home: &Path, progress: &mut dyn FetchProgress) -> Result<(), LoadError> {
        let spec = self.model(name)?;
        let files = spec.files(name, home);
        // A generator reads its tokenizer from the GGUF metadata.
        let tokenizer_ok = spec.architecture == GENERATOR_ARCHITECTURE || files.tokenizer.exists();
        if !(files.weights.exists() && tokenizer_ok) {
            progress.step(&format!("First run: fetching model {name} (verified by sha256)…"));
            fetch::fetch_model(name, spec, home, progress)?;
        }
        Ok(())
    }

    /// What receipts name of a model: its name, architecture and the digest of the file loaded.
    pub fn info(&self, name: &str, weights: &Path) -> Result<ModelInfo, LoadError> {
        let spec = self.model(name)?;
        Ok(ModelInfo {
            name: name.to_string(),
            architecture: spec.architecture.clone(),
            sha256: fetch::recorded_digest(weights).unwrap_or_else(|| spec.converted_sha256.clone()),
        })
    }

    /// The embedder of the `embedder` role, fetched first if needed.
    pub fn load_embedder(&self, home: &Path, progress: &mut dyn FetchProgress) -> Result<E5Embedder, LoadError> {
        let name = self.roles.embedder.clone();
        let spec = self.expect(&name, "embedder", EMBEDDER_ARCHITECTURE)?;
        self.ensure(&name, home, progress)?;
        let files = spec.files(&name, home);
        Ok(E5Embedder::load(&files.weights, &files.tokenizer, self.info(&name, &files.weights)?)?)
    }

    /// Generator `name` (default: the `generator` role), fetched first if needed.
    pub fn load_generator(&self, name: Option<&str>, home: &Path, progress: &mut dyn FetchProgress) -> Result<Arc<dyn Generator>, LoadError> {
        let name = name.map(String::from).unwrap_or_else(|| self.roles.generator.clone());
        let spec = self.expect(&name, "generator", GENERATOR_ARCHITECTURE)?;
        self.ensure(&name, home, progress)?;
        let files = spec.files(&name, home);
        Ok(Arc::new(QwenGenerator::load(&files.weights, self.info(&name, &files.weights)?)?))
    }

    fn expect(&self, name: &str, role: &'static str, expected: &'static str) -> Result<&crate::ModelSpec, LoadError> {
        let spec = self.model(name)?;
        if spec.architecture != expected {
            return Err(LoadError::WrongArchitecture { name: name.into(), architecture: spec.architecture.clone(), role, expected });
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_of_the_wrong_architecture_is_refused_before_anything_is_fetched() {
        let r = Registry::builtin();
        let home = tempfile::tempdir().unwrap();
        let embedder = r.roles.embedder.clone();
        let err = r.load_generator(Some(&embedder), home.path(), &mut |_: &str| panic!("nothing may be fetched")).err().unwrap();
        assert!(matches!(err, LoadError::WrongArchitecture { role: "generator", .. }), "{err}");
        assert!(r.load_generator(Some("no-such-model"), home.path(), &mut |_: &str| {}).is_err());
        assert!(std::fs::read_dir(home.path()).unwrap().next().is_none());
    }
}
