//! A quantized qwen2 decoder whose weights are shared and immutable and whose KV cache is a
//! separate value. That split is what lets orient compute the fixed system prompt once and
//! start every conversation from a copy of its cache (tensors are reference-counted, so a copy
//! costs nothing until the cache grows).

use candle_core::quantized::{gguf_file, QMatMul};
use candle_core::{DType, Device, IndexOp, Module, Result, Tensor};
use candle_nn::Embedding;
use candle_transformers::quantized_nn::RmsNorm;

struct Layer {
    wq: QMatMul,
    wk: QMatMul,
    wv: QMatMul,
    bq: Tensor,
    bk: Tensor,
    bv: Tensor,
    wo: QMatMul,
    attn_norm: RmsNorm,
    ffn_norm: RmsNorm,
    gate: QMatMul,
    up: QMatMul,
    down: QMatMul,
}

pub struct Qwen2 {
    embed: Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    output: QMatMul,
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    cos: Tensor,
    sin: Tensor,
    pub context_length: usize,
}

/// Per-conversation attention state: keys and values of every position seen so far.
#[derive(Clone, Default)]
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
    len: usize,
}

impl Qwen2 {
    pub fn from_gguf<R: std::io::Read + std::io::Seek>(ct: &gguf_file::Content, r: &mut R, dev: &Device) -> Result<Self> {
        let md = |k: &str| ct.metadata.get(k).ok_or_else(|| candle_core::Error::Msg(format!("GGUF metadata has no {k}")));
        let n_head = md("qwen2.attention.head_count")?.to_u32()? as usize;
        let n_kv_head = md("qwen2.attention.head_count_kv")?.to_u32()? as usize;
        let hidden = md("qwen2.embedding_length")?.to_u32()? as usize;
        let context_length = md("qwen2.context_length")?.to_u32()? as usize;
        let blocks = md("qwen2.block_count")?.to_u32()? as usize;
        let eps = md("qwen2.attention.layer_norm_rms_epsilon")?.to_f32()? as f64;
        let rope_base = md("qwen2.rope.freq_base").and_then(|v| v.to_f32()).unwrap_or(10_000.0);
        let head_dim = hidden / n_head;
        // Positions beyond a few thousand are never used by orient's short prompts; bounding the
        // rotary tables keeps memory small.
        let max_pos = context_length.min(8192);
        let theta: Vec<f32> = (0..head_dim).step_by(2).map(|i| 1.0 / rope_base.powf(i as f32 / head_dim as f32)).collect();
        let theta = Tensor::new(theta.as_slice(), dev)?;
        let pos = Tensor::arange(0, max_pos as u32, dev)?.to_dtype(DType::F32)?.reshape((max_pos, 1))?;
        let freqs = pos.matmul(&theta.reshape((1, head_dim / 2))?)?;
        let (cos, sin) = (freqs.cos()?, freqs.sin()?);

        let t = |r: &mut R, name: &str| ct.tensor(r, name, dev);
        let embed_q = t(r, "token_embd.weight")?;
        let embed = Embedding::new(embed_q.dequantize(dev)?, hidden);
        let output = match t(r, "output.weight") {
            Ok(w) => QMatMul::from_qtensor(w)?,
            Err(_) => QMatMul::from_qtensor(embed_q)?, // tied embeddings
        };
        let norm = RmsNorm::from_qtensor(t(r, "output_norm.weight")?, eps)?;
        let mut layers = Vec::with_capacity(blocks);
        for i in 0..blocks {
            let p = format!("blk.{i}");
            let q = |r: &mut R, s: &str| -> Result<QMatMul> { QMatMul::from_qtensor(t(r, &format!("{p}.{s}"))?) };
            let d = |r: &mut R, s: &str| -> Result<Tensor> { t(r, &format!("{p}.{s}"))?.dequantize(dev) };
            layers.push(Layer {
                wq: q(r, "attn_q.weight")?,
                wk: q(r, "attn_k.weight")?,
                wv: q(r, "attn_v.weight")?,
                bq: d(r, "attn_q.bias")?,
                bk: d(r, "attn_k.bias")?,
                bv: d(r, "attn_v.bias")?,
                wo: q(r, "attn_output.weight")?,
                attn_norm: RmsNorm::from_qtensor(t(r, &format!("{p}.attn_norm.weight"))?, eps)?,
                ffn_norm: RmsNorm::from_qtensor(t(r, &format!("{p}.ffn_norm.weight"))?, eps)?,
                gate: q(r, "ffn_gate.weight")?,
                up: q(r, "ffn_up.weight")?,
                down: q(r, "ffn_down.weight")?,
            });
        }
        Ok(Qwen2 { embed, layers, norm, output, n_head, n_kv_head, head_dim, cos, sin, context_length: max_pos })
    }

    pub fn new_cache(&self) -> KvCache {
        KvCache { layers: vec![None; self.layers.len()], len: 0 }
    }

    /// Run `ids` after what `cache` already holds; returns the logits of the last position.
    pub fn forward(&self, ids: &[u32], cache: &mut KvCache) -> Result<Tensor> {
        let seq = ids.len();
        let start = cache.len;
        if start + seq > self.context_length {
            candle_core::bail!("context of {} tokens exceeds {}", start + seq, self.context_length);
        }
        let dev = self.cos.device();
        let x = Tensor::new(ids, dev)?.unsqueeze(0)?;
        let mut h = self.embed.forward(&x)?;
        let mask = if seq > 1 { Some(causal_mask(seq, start, dev)?) } else { None };
        let cos = self.cos.narrow(0, start, seq)?;
        let sin = self.sin.narrow(0, start, seq)?;
        for (layer, slot) in self.layers.iter().zip(cache.layers.iter_mut()) {
            let residual = &h;
            let x = layer.attn_norm.forward(&h)?;
            let q = layer.wq.forward(&x)?.broadcast_add(&layer.bq)?;
            let k = layer.wk.forward(&x)?.broadcast_add(&layer.bk)?;
            let v = layer.wv.forward(&x)?.broadcast_add(&layer.bv)?;
            let q = q.reshape((1, seq, self.n_head, self.head_dim))?.transpose(1, 2)?.contiguous()?;
            let k = k.reshape((1, seq, self.n_kv_head, self.head_dim))?.transpose(1, 2)?.contiguous()?;
            let v = v.reshape((1, seq, self.n_kv_head, self.head_dim))?.transpose(1, 2)?.contiguous()?;
            let q = candle_nn::rotary_emb::rope(&q, &cos, &sin)?;
            let k = candle_nn::rotary_emb::rope(&k, &cos, &sin)?;
            let (k, v) = match slot.take() {
                Some((pk, pv)) => (Tensor::cat(&[&pk, &k], 2)?, Tensor::cat(&[&pv, &v], 2)?),
                None => (k, v),
            };
            *slot = Some((k.clone(), v.clone()));
            let rep = self.n_head / self.n_kv_head;
            let k = candle_transformers::utils::repeat_kv(k, rep)?.contiguous()?;
            let v = candle_transformers::utils::repeat_kv(v, rep)?.contiguous()?;
            let att = (q.matmul(&k.t()?)? / (self.head_dim as f64).sqrt())?;
            let att = match &mask {
                Some(m) => att.broadcast_add(m)?,
                None => att,
            };
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let y = att.matmul(&v)?.transpose(1, 2)?.reshape((1, seq, self.n_head * self.head_dim))?;
            let h1 = (layer.wo.forward(&y)? + residual)?;
            let x = layer.ffn_norm.forward(&h1)?;
            let mlp = (candle_nn::ops::silu(&layer.gate.forward(&x)?)? * layer.up.forward(&x)?)?;
            h = (layer.down.forward(&mlp)? + h1)?;
        }
        cache.len = start + seq;
        let h = self.norm.forward(&h)?;
        let last = h.i((.., seq - 1, ..))?;
        self.output.forward(&last)?.squeeze(0)?.to_dtype(DType::F32)
    }
}

/// Additive mask (seq, start+seq): position i may see cached positions and itself, not later.
fn causal_mask(seq: usize, start: usize, dev: &Device) -> Result<Tensor> {
    let total = start + seq;
    let mask: Vec<f32> = (0..seq).flat_map(|i| (0..total).map(move |j| if j > start + i { f32::NEG_INFINITY } else { 0.0 })).collect();
    Tensor::from_vec(mask, (seq, total), dev)
}

/// Greedy choice with a repeat penalty over recent tokens (llama.cpp's rule).
pub fn pick_greedy(logits: &Tensor, recent: &[u32], penalty: f32) -> Result<u32> {
    let mut l = logits.to_vec1::<f32>()?;
    if penalty != 1.0 {
        let unique: std::collections::BTreeSet<u32> = recent.iter().copied().collect();
        for t in unique {
            if let Some(v) = l.get_mut(t as usize) {
                *v = if *v >= 0.0 { *v / penalty } else { *v * penalty };
            }
        }
    }
    let (best, _) = l.iter().enumerate().fold((0usize, f32::NEG_INFINITY), |acc, (i, &v)| if v > acc.1 { (i, v) } else { acc });
    Ok(best as u32)
}
