//! The rails' semantic layer on orient's embedder: the adapter from [`inference::Embedder`]
//! to [`guardrails::semantic::Encoder`], and the guard built on the head shipped with orient.

use guardrails::semantic::{EncodeError, Encoder, Semantic, SemanticError, SemanticModel};
use guardrails::Guard;
use inference::{Embedder, TextKind};
use std::sync::Arc;

pub struct EmbedderEncoder(pub Arc<dyn Embedder>);

impl Encoder for EmbedderEncoder {
    fn identity(&self) -> (String, String) {
        let info = self.0.info();
        (info.name.clone(), info.sha256.clone())
    }

    fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EncodeError> {
        self.0.embed(texts, TextKind::Query).map_err(|e| EncodeError(Box::new(e)))
    }
}

/// Rules and the shipped semantic head, on this embedder, cut to the layers the head was
/// trained on (refused if the head was trained on another encoder).
pub fn guard(embedder: Arc<dyn Embedder>) -> Result<Guard, SemanticError> {
    guard_with(embedder, SemanticModel::builtin()?)
}

/// Rules and the given semantic head (one trained on another corpus, before it is shipped).
pub fn guard_with(embedder: Arc<dyn Embedder>, model: SemanticModel) -> Result<Guard, SemanticError> {
    let encoder = match model.encoder_layers() {
        Some(n) => embedder.first_layers(n).unwrap_or(embedder),
        None => embedder,
    };
    Ok(Guard::new(Semantic::new(model, Arc::new(EmbedderEncoder(encoder)))?))
}
