//! The generator's machinery on a tiny generated qwen2 model: loading, tokenizer built from
//! GGUF metadata, ChatML, greedy determinism, KV-cache reuse of the system prompt, limits.

use inference::testing::write_tiny_qwen2;
use inference::{ChatMessage, GenerationRequest, Generator, ModelInfo, QwenGenerator, Role};

fn tiny() -> (tempfile::TempDir, QwenGenerator) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.gguf");
    write_tiny_qwen2(&path).unwrap();
    let info = ModelInfo { name: "tiny".into(), architecture: "qwen2".into(), sha256: String::new() };
    let g = QwenGenerator::load(&path, info).unwrap();
    (dir, g)
}

fn run(g: &QwenGenerator, system: &str, user: &str, max: usize) -> (String, inference::GenerationStats) {
    let mut req = GenerationRequest::new(vec![ChatMessage::new(Role::System, system), ChatMessage::new(Role::User, user)]);
    req.max_tokens = max;
    let mut text = String::new();
    let stats = g
        .generate(&req, &mut |t| {
            text.push_str(t);
            true
        })
        .unwrap();
    (text, stats)
}

#[test]
fn special_tokens_are_single_ids_and_text_round_trips() {
    let (_d, g) = tiny();
    let tok = g.tokenizer();
    let enc = tok.encode("<|im_start|>user\nBonjour élève<|im_end|>", false).unwrap();
    let ids = enc.get_ids();
    assert_eq!(ids[0], tok.token_to_id("<|im_start|>").unwrap());
    assert_eq!(*ids.last().unwrap(), tok.token_to_id("<|im_end|>").unwrap());
    let back = tok.decode(ids, false).unwrap();
    assert_eq!(back, "<|im_start|>user\nBonjour élève<|im_end|>");
}

#[test]
fn greedy_output_is_deterministic_and_bounded() {
    let (_d, g) = tiny();
    let (a, sa) = run(&g, "sys", "question", 12);
    let (b, _) = run(&g, "sys", "question", 12);
    assert_eq!(a, b);
    assert!(sa.generated_tokens <= 12);
    assert!(sa.finish_reason == "length" || sa.finish_reason == "stop");
}

#[test]
fn cached_system_prompt_gives_the_same_tokens_as_a_cold_run() {
    // Longer than one prompt chunk (64 tokens): reuse is by whole chunks.
    let system = "Tu es un assistant d'orientation. Réponds en français simple, sans décider à la place de la personne.";
    let (_d, cold) = tiny();
    let (cold_text, cold_stats) = run(&cold, system, "Quelle formation ?", 10);
    assert_eq!(cold_stats.cached_prompt_tokens, 0);
    let (_d2, warm) = tiny();
    run(&warm, system, "autre chose", 3);
    let (warm_text, warm_stats) = run(&warm, system, "Quelle formation ?", 10);
    assert!(warm_stats.cached_prompt_tokens >= 64, "the system prompt's KV cache is reused: {warm_stats:?}");
    assert_eq!(warm_stats.cached_prompt_tokens % 64, 0, "by whole chunks");
    assert_eq!(cold_text, warm_text);
}

#[test]
fn cancelling_stops_generation() {
    let (_d, g) = tiny();
    let mut req = GenerationRequest::new(vec![ChatMessage::new(Role::User, "x")]);
    req.max_tokens = 50;
    req.repeat_penalty = 1.0;
    let mut n = 0;
    let stats = g
        .generate(&req, &mut |_| {
            n += 1;
            false
        })
        .unwrap();
    assert!(n <= 1);
    assert!(stats.finish_reason == "cancelled" || stats.finish_reason == "stop");
}

#[test]
fn prompt_longer_than_the_context_is_a_clear_error() {
    let (_d, g) = tiny();
    let long = "mot ".repeat(2000);
    let req = GenerationRequest::new(vec![ChatMessage::new(Role::User, long)]);
    let err = g.generate(&req, &mut |_| true).unwrap_err();
    assert!(err.to_string().contains("too long"), "{err}");
}

#[test]
fn a_missing_or_broken_model_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let info = ModelInfo { name: "x".into(), architecture: "qwen2".into(), sha256: String::new() };
    let missing = QwenGenerator::load(&dir.path().join("none.gguf"), info.clone()).err().unwrap();
    assert!(missing.to_string().contains("orient models fetch"), "{missing}");
    let bad = dir.path().join("bad.gguf");
    std::fs::write(&bad, b"not a gguf at all").unwrap();
    let broken = QwenGenerator::load(&bad, info).err().unwrap();
    assert!(broken.to_string().contains("invalid"), "{broken}");
}

#[test]
fn requantization_replaces_q5_tensors_and_keeps_the_model_working() {
    use candle_core::quantized::{gguf_file, GgmlDType};
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("tiny.gguf");
    let dst = dir.path().join("tiny-q8.gguf");
    write_tiny_qwen2(&src).unwrap();
    inference::convert::requantize_gguf(&src, &dst).unwrap();
    let mut f = std::fs::File::open(&dst).unwrap();
    let ct = gguf_file::Content::read(&mut f).unwrap();
    assert!(ct.tensor_infos.values().all(|t| t.ggml_dtype != GgmlDType::Q5_0));
    assert_eq!(ct.tensor_infos["blk.0.attn_v.weight"].ggml_dtype, GgmlDType::Q8_0);
    // Deterministic: converting twice gives the same bytes.
    let dst2 = dir.path().join("tiny-q8-2.gguf");
    inference::convert::requantize_gguf(&src, &dst2).unwrap();
    assert_eq!(std::fs::read(&dst).unwrap(), std::fs::read(&dst2).unwrap());
    let info = ModelInfo { name: "tiny".into(), architecture: "qwen2".into(), sha256: String::new() };
    let g = QwenGenerator::load(&dst, info).unwrap();
    let (_, s) = run(&g, "s", "u", 4);
    assert!(s.generated_tokens > 0 || s.finish_reason == "stop");
}

#[test]
fn concurrent_turns_decoded_together_write_what_each_writes_alone() {
    let (_d, g) = tiny();
    let questions = ["Quelle formation ?", "Et le salaire ?", "c quoi un CAP", "bonjour", "métiers du bois", "après la 3e ?"];
    let alone: Vec<String> = questions.iter().map(|q| run(&g, "Tu es un assistant.", q, 24).0).collect();
    // The same turns at once, from several threads: the batcher shares its decoding steps.
    let start = std::sync::Barrier::new(questions.len());
    let together: Vec<(String, inference::GenerationStats)> = std::thread::scope(|s| {
        let handles: Vec<_> = questions
            .iter()
            .map(|q| {
                let (g, start) = (&g, &start);
                s.spawn(move || {
                    start.wait();
                    run(g, "Tu es un assistant.", q, 24)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(together.iter().any(|(_, s)| s.peak_batch > 1), "some turns shared a step");
    let together: Vec<String> = together.into_iter().map(|(t, _)| t).collect();
    assert_eq!(alone, together);
    assert!(alone.iter().collect::<std::collections::BTreeSet<_>>().len() > 1, "the questions give different texts");
}

#[test]
fn a_turn_cancelled_among_others_leaves_them_whole() {
    let (_d, g) = tiny();
    let (expected, _) = run(&g, "sys", "une question longue", 30);
    std::thread::scope(|s| {
        let other = s.spawn(|| run(&g, "sys", "une question longue", 30).0);
        let mut req = GenerationRequest::new(vec![ChatMessage::new(Role::User, "x")]);
        req.max_tokens = 30;
        let stats = g.generate(&req, &mut |_| false).unwrap();
        assert!(stats.finish_reason == "cancelled" || stats.finish_reason == "stop");
        assert_eq!(other.join().unwrap(), expected);
    });
}

#[test]
fn a_prompt_that_starts_like_an_earlier_one_computes_only_what_differs() {
    let card = "Fiche : boulanger. Le boulanger fabrique le pain. Accès : CAP boulanger en 2 ans.";
    let ask = |g: &QwenGenerator, q: &str| run(g, "Tu es un assistant.", &format!("{card}\n\nMessage : {q}"), 10);
    let (_d, warm) = tiny();
    let (_, first) = ask(&warm, "c'est dur ?");
    let (warm_text, follow_up) = ask(&warm, "et ça paie bien ?");
    // The system message and the card were computed for the first question: all the whole
    // chunks of 64 tokens before the question are reused.
    let tokens = |t: &str| warm.tokenizer().encode(t, false).unwrap().get_ids().len();
    let before_question = tokens("<|im_start|>system\nTu es un assistant.<|im_end|>\n") + tokens(&format!("<|im_start|>user\n{card}\n\nMessage : "));
    assert_eq!(first.cached_prompt_tokens, 0);
    assert!(before_question >= 64);
    assert_eq!(follow_up.cached_prompt_tokens, before_question / 64 * 64, "{follow_up:?}");
    // And it writes what a fresh generator writes.
    let (_d2, cold) = tiny();
    let (cold_text, cold_stats) = ask(&cold, "et ça paie bien ?");
    assert_eq!(cold_stats.cached_prompt_tokens, 0);
    assert_eq!(warm_text, cold_text);
    // The very same prompt again: every whole chunk before its last token is reused.
    let (again_text, again) = ask(&warm, "et ça paie bien ?");
    assert_eq!(again.cached_prompt_tokens, (again.prompt_tokens - 1) / 64 * 64);
    assert_eq!(again_text, cold_text);
}
