//! A BERT encoder written for CPU throughput: every linear layer runs as one 2-D matrix
//! product over all tokens of the batch (weights pre-transposed, contiguous), and Q, K, V are
//! one fused product. candle's stock BERT runs one small product per sequence instead, which
//! left half the cores idle on orient's ingest.

use candle_core::{DType, Device, Module, Result, Tensor};
use std::collections::HashMap;

#[derive(Clone)]
struct Linear {
    /// (in, out), contiguous.
    wt: Tensor,
    b: Tensor,
}

impl Linear {
    fn new(w: &Tensor, b: &Tensor) -> Result<Self> {
        Ok(Linear { wt: w.t()?.contiguous()?, b: b.clone() })
    }
    /// x: (tokens, in) → (tokens, out)
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.matmul(&self.wt)?.broadcast_add(&self.b)
    }
}

#[derive(Clone)]
struct LayerNorm {
    w: Tensor,
    b: Tensor,
    eps: f32,
}

impl LayerNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::layer_norm(x, &self.w, &self.b, self.eps)
    }
}

#[derive(Clone)]
struct Layer {
    qkv: Linear,
    attn_out: Linear,
    attn_ln: LayerNorm,
    ffn_in: Linear,
    ffn_out: Linear,
    out_ln: LayerNorm,
}

#[derive(Clone)]
pub struct Bert {
    word: candle_nn::Embedding,
    position: Tensor,
    token_type0: Tensor,
    emb_ln: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    pub hidden: usize,
}

impl Bert {
    /// From HF BERT tensor names (as written by the E5S1 conversion).
    pub fn from_tensors(t: &HashMap<String, Tensor>, heads: usize, eps: f64) -> Result<Self> {
        let get = |n: &str| t.get(n).cloned().ok_or_else(|| candle_core::Error::Msg(format!("missing tensor {n}")));
        let eps = eps as f32;
        let ln = |p: &str| -> Result<LayerNorm> { Ok(LayerNorm { w: get(&format!("{p}.weight"))?, b: get(&format!("{p}.bias"))?, eps }) };
        let word = get("embeddings.word_embeddings.weight")?;
        let hidden = word.dim(1)?;
        let position = get("embeddings.position_embeddings.weight")?;
        let token_type0 = get("embeddings.token_type_embeddings.weight")?.get(0)?;
        let mut layers = Vec::new();
        let mut l = 0;
        while t.contains_key(&format!("encoder.layer.{l}.attention.self.query.weight")) {
            let p = format!("encoder.layer.{l}");
            let w = |n: &str| get(&format!("{p}.{n}.weight"));
            let b = |n: &str| get(&format!("{p}.{n}.bias"));
            let qkv_w = Tensor::cat(&[w("attention.self.query")?, w("attention.self.key")?, w("attention.self.value")?], 0)?;
            let qkv_b = Tensor::cat(&[b("attention.self.query")?, b("attention.self.key")?, b("attention.self.value")?], 0)?;
            layers.push(Layer {
                qkv: Linear::new(&qkv_w, &qkv_b)?,
                attn_out: Linear::new(&w("attention.output.dense")?, &b("attention.output.dense")?)?,
                attn_ln: ln(&format!("{p}.attention.output.LayerNorm"))?,
                ffn_in: Linear::new(&w("intermediate.dense")?, &b("intermediate.dense")?)?,
                ffn_out: Linear::new(&w("output.dense")?, &b("output.dense")?)?,
                out_ln: ln(&format!("{p}.output.LayerNorm"))?,
            });
            l += 1;
        }
        if layers.is_empty() {
            candle_core::bail!("no encoder layers found");
        }
        Ok(Bert { word: candle_nn::Embedding::new(word, hidden), position, token_type0, emb_ln: ln("embeddings.LayerNorm")?, layers, heads, hidden })
    }

    /// The same model cut after its first `n` layers (weights shared, nothing copied).
    pub fn first_layers(&self, n: usize) -> Bert {
        let mut cut = self.clone();
        cut.layers.truncate(n.clamp(1, self.layers.len()));
        cut
    }

    pub fn layer_count(&self) -> usize {
        self.layers.len()
    }

    /// ids, mask: (batch, seq) u32 → hidden states (batch, seq, hidden).
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (b, seq) = ids.dims2()?;
        let h = self.hidden;
        let hd = h / self.heads;
        let dev = ids.device();
        let pos = Tensor::arange(0u32, seq as u32, dev)?;
        let pos = self.position.index_select(&pos, 0)?; // (seq, h)
        let x = self.word.forward(ids)?; // (b, seq, h)
        let x = x.broadcast_add(&pos)?.broadcast_add(&self.token_type0)?;
        let mut x = self.emb_ln.forward(&x)?.reshape((b * seq, h))?;
        // Additive mask: 0 for tokens, a large negative for padding. (b, 1, 1, seq)
        let neg = ((mask.to_dtype(DType::F32)? - 1.0)? * 1e9)?.reshape((b, 1, 1, seq))?;
        let scale = 1.0 / (hd as f64).sqrt();
        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x)?.reshape((b, seq, 3, self.heads, hd))?;
            let part = |i: usize| -> Result<Tensor> { qkv.narrow(2, i, 1)?.squeeze(2)?.transpose(1, 2)?.contiguous() };
            let (q, k, v) = (part(0)?, part(1)?, part(2)?); // (b, heads, seq, hd)
            let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&neg)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs.matmul(&v)?.transpose(1, 2)?.reshape((b * seq, h))?;
            let a = layer.attn_ln.forward(&(layer.attn_out.forward(&ctx)? + &x)?)?;
            let f = gelu_erf(&layer.ffn_in.forward(&a)?)?;
            x = layer.out_ln.forward(&(layer.ffn_out.forward(&f)? + &a)?)?;
        }
        x.reshape((b, seq, h))
    }
}

/// GELU in its erf form, x·(1 + erf(x/√2))/2, over the whole tensor in one loop the compiler
/// vectorises. candle's `gelu_erf` calls a scalar `erf` per element: on a 100-token message it
/// took as long as the layer's four matrix products together (9.4 ms against 13.5 ms per layer,
/// 2 cores), which made it the largest cost of the rails' encoder after the products.
pub fn gelu_erf(x: &Tensor) -> Result<Tensor> {
    let shape = x.shape().clone();
    let mut v = x.flatten_all()?.to_vec1::<f32>()?;
    for e in v.iter_mut() {
        *e = 0.5 * *e * (1.0 + erf(*e * std::f32::consts::FRAC_1_SQRT_2));
    }
    Tensor::from_vec(v, shape, x.device())
}

/// erf(x) for f32 as a ratio of two polynomials in x² (odd numerator of degree 13, even
/// denominator of degree 8) on [-4, 4], where it is exact to a few units in the last place;
/// outside, erf is ±1 in f32. Only multiplications, additions and one division: vectorisable.
#[inline]
fn erf(x: f32) -> f32 {
    const NUM: [f32; 7] = [-2.726_142_3e-10, 2.770_681_4e-8, -2.101_024e-6, -5.692_506_4e-5, -7.349_906_3e-4, -2.954_600_1e-3, -1.609_603_3e-2];
    const DEN: [f32; 5] = [-1.456_607_2e-5, -2.133_740_6e-4, -1.682_827e-3, -7.373_329_2e-3, -1.426_474e-2];
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let p = NUM.iter().fold(0.0f32, |acc, c| acc * x2 + c) * x;
    let q = DEN.iter().fold(0.0f32, |acc, c| acc * x2 + c);
    p / q
}

/// Load the converted safetensors file.
pub fn load_tensors(path: &std::path::Path) -> Result<HashMap<String, Tensor>> {
    candle_core::safetensors::load(path, &Device::Cpu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_gelu_matches_candles_exact_one() {
        let xs: Vec<f32> = (-1200..=1200).map(|i| i as f32 / 100.0).collect();
        let t = Tensor::from_vec(xs.clone(), xs.len(), &Device::Cpu).unwrap();
        let fast = gelu_erf(&t).unwrap().to_vec1::<f32>().unwrap();
        let exact = t.gelu_erf().unwrap().to_vec1::<f32>().unwrap();
        let worst = fast.iter().zip(&exact).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(worst < 2e-6, "largest difference {worst}");
    }
}
