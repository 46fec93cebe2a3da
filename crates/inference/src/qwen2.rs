//! A quantized qwen2 decoder whose weights are shared and immutable and whose KV cache is a
//! separate value. That split is what lets orient compute the fixed system prompt once and
//! start every conversation from a copy of its cache (tensors are reference-counted, so a copy
//! costs nothing until the cache grows).

use candle_core::quantized::{gguf_file, GgmlDType, QMatMul, QTensor};
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

impl KvCache {
    /// The same cache cut to its first `len` positions. The tensors are views: the next step
    /// appends into new ones, so the cache cut from is never changed.
    pub fn truncated(&self, len: usize) -> KvCache {
        if len >= self.len {
            return self.clone();
        }
        let cut = |t: &Tensor| t.narrow(2, 0, len).expect("len is within the cache");
        KvCache { layers: self.layers.iter().map(|l| l.as_ref().map(|(k, v)| (cut(k), cut(v)))).collect(), len }
    }
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
        for (layer, slot) in self.layers.iter().zip(cache.layers.iter_mut()) {
            let x = layer.attn_norm.forward(&h)?;
            let (q, k, v) = layer.qkv(&x)?;
            let y = self.attend(q, k, v, slot, start, mask.as_ref())?;
            h = layer.feed_forward(&y, &h)?;
        }
        cache.len = start + seq;
        let h = self.norm.forward(&h)?;
        let last = h.i((.., seq - 1, ..))?;
        project(&[&self.output], &last)?.remove(0).squeeze(0)?.to_dtype(DType::F32)
    }

    /// One decoding step of several sequences at once, each with its next token and its own
    /// cache; returns each one's logits, in order. Every weight matrix is read once for the
    /// whole batch (one matrix product per projection over all the sequences): decoding on a
    /// CPU is bound by reading the weights, so a step for eight costs little more than a step
    /// for one. Attention runs per sequence, over its own cache and at its own position.
    pub fn forward_batch(&self, steps: &mut [(u32, &mut KvCache)]) -> Result<Vec<Tensor>> {
        let b = steps.len();
        if b == 0 {
            return Ok(Vec::new());
        }
        if let Some((_, c)) = steps.iter().find(|(_, c)| c.len + 1 > self.context_length) {
            candle_core::bail!("context of {} tokens exceeds {}", c.len + 1, self.context_length);
        }
        let dev = self.cos.device();
        let ids: Vec<u32> = steps.iter().map(|(id, _)| *id).collect();
        // (b, 1, hidden): the batch is the sequences, each of one position.
        let mut h = self.embed.forward(&Tensor::new(ids.as_slice(), dev)?.unsqueeze(1)?)?;
        for (l, layer) in self.layers.iter().enumerate() {
            let x = layer.attn_norm.forward(&h)?;
            let (q, k, v) = layer.qkv(&x)?;
            let mut ys = Vec::with_capacity(b);
            for (i, (_, cache)) in steps.iter_mut().enumerate() {
                let start = cache.len;
                let one = |t: &Tensor| t.narrow(0, i, 1);
                ys.push(self.attend(one(&q)?, one(&k)?, one(&v)?, &mut cache.layers[l], start, None)?);
            }
            h = layer.feed_forward(&Tensor::cat(&ys, 0)?, &h)?;
        }
        for (_, cache) in steps.iter_mut() {
            cache.len += 1;
        }
        let h = self.norm.forward(&h)?.squeeze(1)?;
        let logits = project(&[&self.output], &h)?.remove(0).to_dtype(DType::F32)?;
        (0..b).map(|i| logits.get(i)).collect()
    }

    /// Attention of `seq` new positions starting at `start` (q, k, v of shape (1, seq, ·)),
    /// appending their keys and values to the layer's cache slot; returns (1, seq, hidden).
    fn attend(&self, q: Tensor, k: Tensor, v: Tensor, slot: &mut Option<(Tensor, Tensor)>, start: usize, mask: Option<&Tensor>) -> Result<Tensor> {
        let seq = q.dim(1)?;
        let heads = |t: Tensor, n: usize| t.reshape((1, seq, n, self.head_dim))?.transpose(1, 2)?.contiguous();
        let (q, k, v) = (heads(q, self.n_head)?, heads(k, self.n_kv_head)?, heads(v, self.n_kv_head)?);
        let cos = self.cos.narrow(0, start, seq)?;
        let sin = self.sin.narrow(0, start, seq)?;
        let q = candle_nn::rotary_emb::rope(&q, &cos, &sin)?;
        let k = candle_nn::rotary_emb::rope(&k, &cos, &sin)?;
        let (k, v) = match slot.take() {
            Some((pk, pv)) => (Tensor::cat(&[&pk, &k], 2)?, Tensor::cat(&[&pv, &v], 2)?),
            None => (k, v),
        };
        *slot = Some((k.clone(), v.clone()));
        // Grouped-query attention without copying the cache once per query head: the `rep`
        // query heads that share a key/value head are consecutive, so they are read as one
        // group of `rep * seq` rows against that head's keys.
        let rep = self.n_head / self.n_kv_head;
        let total = k.dim(2)?;
        let q = q.reshape((self.n_kv_head, rep * seq, self.head_dim))?;
        let (k, v) = (k.squeeze(0)?, v.squeeze(0)?);
        let att = (q.matmul(&k.t()?)? / (self.head_dim as f64).sqrt())?;
        let att = match mask {
            Some(m) => att.reshape((self.n_kv_head, rep, seq, total))?.broadcast_add(m)?.reshape((self.n_kv_head, rep * seq, total))?,
            None => att,
        };
        let att = candle_nn::ops::softmax_last_dim(&att)?;
        let y = att.matmul(&v)?.reshape((1, self.n_head, seq, self.head_dim))?;
        y.transpose(1, 2)?.reshape((1, seq, self.n_head * self.head_dim))
    }
}

impl Layer {
    /// The query, key and value projections of normalised hidden states (any leading shape).
    fn qkv(&self, x: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let mut out = project(&[&self.wq, &self.wk, &self.wv], x)?.into_iter();
        let mut next = |bias: &Tensor| out.next().expect("three projections").broadcast_add(bias);
        Ok((next(&self.bq)?, next(&self.bk)?, next(&self.bv)?))
    }

    /// The attention output projection, its residual, then the gated feed-forward and its
    /// residual: the rest of the block after attention.
    fn feed_forward(&self, attended: &Tensor, residual: &Tensor) -> Result<Tensor> {
        let h1 = (project(&[&self.wo], attended)?.remove(0) + residual)?;
        let x = self.ffn_norm.forward(&h1)?;
        let [gate, up]: [Tensor; 2] = project(&[&self.gate, &self.up], &x)?.try_into().expect("two projections");
        let mlp = (candle_nn::ops::silu(&gate)? * up)?;
        project(&[&self.down], &mlp)?.remove(0) + h1
    }
}

/// Every product of the model's weight matrices goes through here, so that each row of the
/// result is computed the same way whatever the number of rows. candle picks its kernel by the
/// number of rows (one row of a Q6_K matrix takes another path than several), and the paths
/// round differently: a turn's text would depend on whether it was decoded alone or in a
/// batch. A single row is computed as two (itself twice).
fn project(ws: &[&QMatMul], x: &Tensor) -> Result<Vec<Tensor>> {
    let dims = x.dims().to_vec();
    let (&k, lead) = dims.split_last().expect("a hidden state has a last dimension");
    let single_row_path = |w: &&QMatMul| matches!(w, QMatMul::QTensor(t) if t.dtype() == GgmlDType::Q6K);
    if lead.iter().product::<usize>() != 1 || !ws.iter().any(single_row_path) {
        return project_rows(ws, x);
    }
    let one = x.reshape((1, k))?;
    let two = Tensor::cat(&[&one, &one], 0)?;
    project_rows(ws, &two)?
        .into_iter()
        .map(|out| {
            let mut shape = dims.clone();
            *shape.last_mut().expect("same rank") = out.dim(1)?;
            out.narrow(0, 0, 1)?.reshape(shape)
        })
        .collect()
}

/// Several projections of the same input. Where candle has a fused kernel for these weights
/// (x86 with AVX-512 VNNI, same quantization), the input is quantized once and all the products
/// run in one parallel pass; otherwise the weights that share a type are fused and the rest
/// run one by one.
fn project_rows(ws: &[&QMatMul], x: &Tensor) -> Result<Vec<Tensor>> {
    let quantized: Option<Vec<&QTensor>> = ws
        .iter()
        .map(|w| match w {
            QMatMul::QTensor(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect();
    if let Some(qs) = quantized {
        if let Some(out) = QTensor::gemv_fused_shared_lhs(&qs, x)? {
            return Ok(out);
        }
        // Q and K often share a type when V does not (Q4_K_M keeps some V in Q6_K).
        if qs.len() > 2 {
            if let Some(mut out) = QTensor::gemv_fused_shared_lhs(&qs[..2], x)? {
                for w in &ws[2..] {
                    out.push(w.forward(x)?);
                }
                return Ok(out);
            }
        }
    }
    ws.iter().map(|w| w.forward(x)).collect()
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
