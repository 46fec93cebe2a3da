//! Helpers that write small but real models for tests: a 2-layer qwen2 GGUF with a byte-level
//! vocabulary and ChatML special tokens. It runs through the very same loader, tokenizer builder
//! and decoder as the real model, in milliseconds.

use candle_core::quantized::{gguf_file::Value, GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use std::path::Path;

/// GPT-2's reversible byte → printable character map.
pub fn byte_to_char(b: u8) -> char {
    let printable = |b: u8| (b'!'..=b'~').contains(&b) || (0xA1..=0xAC).contains(&b) || (0xAE..=0xFF).contains(&b);
    if printable(b) {
        return b as char;
    }
    let offset = (0..b).filter(|&x| !printable(x)).count() as u32;
    char::from_u32(256 + offset).expect("valid code point")
}

/// Deterministic pseudo-random values in [-scale, scale].
fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

/// Write a tiny qwen2 model (hidden 64, 2 layers, 4 heads, 2 KV heads) to `path`.
pub fn write_tiny_qwen2(path: &Path) -> candle_core::Result<()> {
    let dev = Device::Cpu;
    let hidden = 64usize;
    let ffn = 128usize;
    let (n_head, n_kv) = (4usize, 2usize);
    let head_dim = hidden / n_head;
    let mut tokens: Vec<String> = (0..=255u8).map(|b| byte_to_char(b).to_string()).collect();
    let merges = ["Ġ t".to_string(), "e s".to_string()];
    tokens.push("Ġt".into());
    tokens.push("es".into());
    let specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
    tokens.extend(specials.iter().map(|s| s.to_string()));
    let vocab = tokens.len();
    let token_type: Vec<Value> = (0..vocab).map(|i| Value::I32(if i >= vocab - 3 { 3 } else { 1 })).collect();

    let seed = std::cell::Cell::new(1u64);
    let next_seed = || {
        seed.set(seed.get() + 1);
        seed.get()
    };
    let q = |rows: usize, cols: usize, dtype: GgmlDType| -> candle_core::Result<QTensor> {
        let t = Tensor::from_vec(values(rows * cols, next_seed(), 0.3), (rows, cols), &dev)?;
        QTensor::quantize(&t, dtype)
    };
    let mut tensors: Vec<(String, QTensor)> = vec![
        ("token_embd.weight".into(), q(vocab, hidden, GgmlDType::Q8_0)?),
        ("output_norm.weight".into(), QTensor::quantize(&Tensor::ones(hidden, candle_core::DType::F32, &dev)?, GgmlDType::F32)?),
    ];
    for l in 0..2 {
        let p = format!("blk.{l}");
        let ones = QTensor::quantize(&Tensor::ones(hidden, candle_core::DType::F32, &dev)?, GgmlDType::F32)?;
        tensors.push((format!("{p}.attn_norm.weight"), ones));
        let ones = QTensor::quantize(&Tensor::ones(hidden, candle_core::DType::F32, &dev)?, GgmlDType::F32)?;
        tensors.push((format!("{p}.ffn_norm.weight"), ones));
        tensors.push((format!("{p}.attn_q.weight"), q(hidden, hidden, GgmlDType::Q8_0)?));
        tensors.push((format!("{p}.attn_k.weight"), q(n_kv * head_dim, hidden, GgmlDType::Q8_0)?));
        tensors.push((format!("{p}.attn_v.weight"), q(n_kv * head_dim, hidden, GgmlDType::Q5_0)?));
        tensors.push((format!("{p}.attn_output.weight"), q(hidden, hidden, GgmlDType::Q8_0)?));
        for (name, n) in [("attn_q.bias", hidden), ("attn_k.bias", n_kv * head_dim), ("attn_v.bias", n_kv * head_dim)] {
            let b = Tensor::from_vec(values(n, next_seed(), 0.1), n, &dev)?;
            tensors.push((format!("{p}.{name}"), QTensor::quantize(&b, GgmlDType::F32)?));
        }
        tensors.push((format!("{p}.ffn_gate.weight"), q(ffn, hidden, GgmlDType::Q8_0)?));
        tensors.push((format!("{p}.ffn_up.weight"), q(ffn, hidden, GgmlDType::Q8_0)?));
        tensors.push((format!("{p}.ffn_down.weight"), q(hidden, ffn, GgmlDType::Q8_0)?));
    }
    let md: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String("qwen2".into())),
        ("general.name", Value::String("tiny-qwen2-test".into())),
        ("qwen2.attention.head_count", Value::U32(n_head as u32)),
        ("qwen2.attention.head_count_kv", Value::U32(n_kv as u32)),
        ("qwen2.embedding_length", Value::U32(hidden as u32)),
        ("qwen2.context_length", Value::U32(512)),
        ("qwen2.block_count", Value::U32(2)),
        ("qwen2.attention.layer_norm_rms_epsilon", Value::F32(1e-6)),
        ("qwen2.rope.freq_base", Value::F32(10000.0)),
        ("tokenizer.ggml.model", Value::String("gpt2".into())),
        ("tokenizer.ggml.pre", Value::String("qwen2".into())),
        ("tokenizer.ggml.tokens", Value::Array(tokens.iter().map(|t| Value::String(t.clone())).collect())),
        ("tokenizer.ggml.merges", Value::Array(merges.iter().map(|m| Value::String(m.clone())).collect())),
        ("tokenizer.ggml.token_type", Value::Array(token_type)),
        ("tokenizer.ggml.eos_token_id", Value::U32((vocab - 1) as u32)),
        ("tokenizer.chat_template", Value::String("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}".into())),
    ];
    let md_refs: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (*k, v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let mut f = std::fs::File::create(path)?;
    candle_core::quantized::gguf_file::write(&mut f, &md_refs, &t_refs)
}
