//! multilingual-e5-small on candle's BERT: `query: ` / `passage: ` prefixes, mean pooling over
//! the attention mask, L2 normalisation, batches sorted by length to waste little on padding.

use crate::bert::{load_tensors, Bert};
use crate::contract::{Embedder, InferenceError, ModelInfo, TextKind};
use candle_core::{DType, Device, Tensor};
use candle_transformers::models::bert::Config;
use std::path::Path;
use tokenizers::{Tokenizer, TruncationParams};

/// Default input cut: orient's passages are ~110 words; 128 tokens keep the title and most of
/// the text at a fraction of the cost of 512 (attention and padding grow with length).
pub const DEFAULT_MAX_TOKENS: usize = 128;

#[derive(Clone)]
pub struct E5Embedder {
    model: Bert,
    tokenizer: Tokenizer,
    info: ModelInfo,
    dim: usize,
    /// Texts per forward pass.
    pub batch_size: usize,
    /// Longest input in tokens (the model's positions allow 512). Cost grows with length;
    /// passages are cut here (the sparse index still sees their whole text).
    pub max_tokens: usize,
}

impl E5Embedder {
    /// Load `model.safetensors` with its `config.json` beside it, and a tokenizer.json.
    pub fn load(weights: &Path, tokenizer: &Path, info: ModelInfo) -> Result<Self, InferenceError> {
        for p in [weights, tokenizer] {
            if !p.exists() {
                return Err(InferenceError::MissingModel { path: p.display().to_string() });
            }
        }
        let cfg_path = weights.with_file_name("config.json");
        let cfg_text = std::fs::read_to_string(&cfg_path).map_err(|_| InferenceError::MissingModel { path: cfg_path.display().to_string() })?;
        let config: Config =
            serde_json::from_str(&cfg_text).map_err(|e| InferenceError::InvalidModel { path: cfg_path.display().to_string(), reason: e.to_string() })?;
        let invalid = |e: candle_core::Error| InferenceError::InvalidModel { path: weights.display().to_string(), reason: e.to_string() };
        let tensors = load_tensors(weights).map_err(invalid)?;
        let model = Bert::from_tensors(&tensors, config.num_attention_heads, config.layer_norm_eps).map_err(invalid)?;
        let mut tokenizer = Tokenizer::from_file(tokenizer).map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
        let max_tokens = config.max_position_embeddings.min(512);
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: max_tokens, ..Default::default() }))
            .map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
        tokenizer.with_padding(None);
        Ok(E5Embedder { model, tokenizer, info, dim: config.hidden_size, batch_size: 16, max_tokens: max_tokens.min(DEFAULT_MAX_TOKENS) })
    }

    /// A faster encoder for short classification inputs: the first `layers` layers, mean
    /// pooled. Its identity names the cut (`name@L4`), so heads trained on it are not mixed up
    /// with the full model's.
    pub fn first_layers(&self, layers: usize) -> E5Embedder {
        let model = self.model.first_layers(layers);
        let mut info = self.info.clone();
        if model.layer_count() < self.model.layer_count() {
            info.name = format!("{}@L{}", info.name, model.layer_count());
            info.sha256 = format!("{}@L{}", info.sha256, model.layer_count());
        }
        E5Embedder { model, ..self.clone() }.with_info(info)
    }

    fn with_info(mut self, info: ModelInfo) -> Self {
        self.info = info;
        self
    }

    fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, InferenceError> {
        let enc = self.tokenizer.encode_batch(texts.to_vec(), true).map_err(|e| InferenceError::Tokenizer(e.to_string()))?;
        // Cut to max_tokens, keeping the closing special token.
        let eos = self.tokenizer.token_to_id("</s>").unwrap_or(2);
        let rows: Vec<Vec<u32>> = enc
            .iter()
            .map(|e| {
                let ids = e.get_ids();
                if ids.len() <= self.max_tokens {
                    ids.to_vec()
                } else {
                    ids[..self.max_tokens - 1].iter().copied().chain([eos]).collect()
                }
            })
            .collect();
        let len = rows.iter().map(Vec::len).max().unwrap_or(0).max(1);
        let n = rows.len();
        let mut ids = vec![0u32; n * len];
        let mut mask = vec![0u32; n * len];
        let pad = self.tokenizer.token_to_id("<pad>").unwrap_or(1);
        for (i, r) in rows.iter().enumerate() {
            for j in 0..len {
                let (id, m) = r.get(j).map(|&id| (id, 1)).unwrap_or((pad, 0));
                ids[i * len + j] = id;
                mask[i * len + j] = m;
            }
        }
        let dev = &Device::Cpu;
        let ids = Tensor::from_vec(ids, (n, len), dev)?;
        let mask = Tensor::from_vec(mask, (n, len), dev)?;
        let hidden = self.model.forward(&ids, &mask)?; // (n, len, dim)
        let maskf = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&maskf)?.sum(1)?;
        let counts = maskf.sum(1)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f32::MAX)?;
        Ok(mean.broadcast_div(&norm)?.to_vec2::<f32>()?)
    }
}

impl Embedder for E5Embedder {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn first_layers(&self, layers: usize) -> Option<std::sync::Arc<dyn Embedder>> {
        Some(std::sync::Arc::new(E5Embedder::first_layers(self, layers)))
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str], kind: TextKind) -> Result<Vec<Vec<f32>>, InferenceError> {
        let prefix = match kind {
            TextKind::Query => "query: ",
            TextKind::Passage => "passage: ",
        };
        // Sort by length so each batch pads little; results go back in the caller's order.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for chunk in order.chunks(self.batch_size.max(1)) {
            let batch: Vec<String> = chunk.iter().map(|&i| format!("{prefix}{}", texts[i])).collect();
            for (&i, v) in chunk.iter().zip(self.embed_batch(&batch)?) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}
