//! The real models, as fetched by `orient models fetch` (the README's test command runs it
//! first). These tests fail, rather than skip, when the models are missing.

use inference::{ChatMessage, E5Embedder, Embedder, GenerationRequest, Generator, ModelInfo, QwenGenerator, Registry, Role, TextKind};
use std::sync::OnceLock;

fn files(role_generator: bool) -> (std::path::PathBuf, std::path::PathBuf, ModelInfo) {
    let reg = Registry::builtin();
    let name = if role_generator { reg.roles.generator.clone() } else { reg.roles.embedder.clone() };
    let spec = reg.model(&name).unwrap();
    let f = spec.files(&name, &inference::orient_home());
    assert!(f.weights.exists(), "{} is missing: run `orient models fetch` (the README's test command does)", f.weights.display());
    let info = ModelInfo { name, architecture: spec.architecture.clone(), sha256: spec.converted_sha256.clone() };
    (f.weights, f.tokenizer, info)
}

fn generator() -> &'static QwenGenerator {
    static G: OnceLock<QwenGenerator> = OnceLock::new();
    G.get_or_init(|| {
        let (w, _, info) = files(true);
        QwenGenerator::load(&w, info).unwrap()
    })
}

fn embedder() -> &'static E5Embedder {
    static E: OnceLock<E5Embedder> = OnceLock::new();
    E.get_or_init(|| {
        let (w, t, info) = files(false);
        E5Embedder::load(&w, &t, info).unwrap()
    })
}

#[test]
fn fetched_files_match_their_pinned_digests() {
    for gen in [true, false] {
        let (w, _, info) = files(gen);
        assert_eq!(inference::fetch::sha256_file(&w).unwrap(), info.sha256, "{}", w.display());
    }
}

#[test]
fn qwen_tokenizer_built_from_gguf_has_the_known_ids() {
    let tok = generator().tokenizer();
    assert_eq!(tok.token_to_id("<|im_start|>"), Some(151644));
    assert_eq!(tok.token_to_id("<|im_end|>"), Some(151645));
    let enc = tok.encode("<|im_start|>user\n", false).unwrap();
    assert_eq!(enc.get_ids(), &[151644, 872, 198]);
    for text in ["Quelle formation pour devenir infirmière ?", "L'élève de 3ᵉ veut être pâtissière — 1 950 € brut."] {
        let ids = tok.encode(text, false).unwrap();
        assert_eq!(tok.decode(ids.get_ids(), false).unwrap(), text, "round trip");
    }
}

#[test]
fn greedy_generation_on_the_real_model_is_deterministic_french() {
    let g = generator();
    // A system message longer than one prompt chunk (64 tokens), so a second run reuses it.
    let system = "Tu es un assistant d'orientation d'un service public. Tu réponds en français simple, en une phrase, \
        à des collégiens, des lycéens, des parents et des professeurs. Tu ne décides jamais à leur place, tu ne \
        donnes aucun chiffre qui ne soit pas sûr, et tu proposes de parler à un conseiller quand c'est utile.";
    let msgs = vec![ChatMessage::new(Role::System, system), ChatMessage::new(Role::User, "Que fait un boulanger ?")];
    let mut req = GenerationRequest::new(msgs);
    req.max_tokens = 24;
    let run = || {
        let mut s = String::new();
        let stats = g
            .generate(&req, &mut |t| {
                s.push_str(t);
                true
            })
            .unwrap();
        (s, stats)
    };
    let (a, sa) = run();
    let (b, sb) = run();
    assert_eq!(a, b, "greedy decoding is deterministic");
    assert_eq!(sa.cached_prompt_tokens, 0);
    assert!(sb.cached_prompt_tokens >= 64, "second run reuses the prompt's first chunks: {sb:?}");
    assert!(sa.generated_tokens > 3);
    let lower = a.to_lowercase();
    assert!(lower.contains("pain") || lower.contains("boulang"), "answer on topic: {a}");
}

#[test]
fn embedder_puts_animal_care_closer_to_an_animal_fiche_than_to_accounting() {
    let e = embedder();
    let q = e.embed(&["je veux travailler avec les animaux, les soigner"], TextKind::Query).unwrap().remove(0);
    let p = e
        .embed(
            &[
                "Auxiliaire vétérinaire : il assiste le vétérinaire, accueille les propriétaires et soigne les animaux.",
                "Comptable : il tient les comptes de l'entreprise, enregistre les factures et prépare le bilan.",
            ],
            TextKind::Passage,
        )
        .unwrap();
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let norm = dot(&q, &q).sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "L2-normalised");
    assert_eq!(q.len(), 384);
    assert!(dot(&q, &p[0]) > dot(&q, &p[1]) + 0.02, "animal {} vs accounting {}", dot(&q, &p[0]), dot(&q, &p[1]));
}

#[test]
fn batched_and_single_embeddings_agree() {
    let e = embedder();
    let texts = ["un texte court", "un texte un peu plus long sur le métier de boulanger et ses horaires", "infirmier"];
    let batch = e.embed(&texts, TextKind::Passage).unwrap();
    for (i, t) in texts.iter().enumerate() {
        let one = e.embed(&[t], TextKind::Passage).unwrap().remove(0);
        let cos: f32 = one.iter().zip(&batch[i]).map(|(a, b)| a * b).sum();
        assert!(cos > 0.9999, "padding must not change the embedding (cos {cos})");
    }
}

#[test]
fn turns_decoded_together_on_the_real_model_stay_on_their_own_topic() {
    let g = generator();
    let ask = |q: &str| {
        let msgs = vec![ChatMessage::new(Role::System, "Tu es un assistant. Réponds en français, en une phrase."), ChatMessage::new(Role::User, q)];
        let mut req = GenerationRequest::new(msgs);
        req.max_tokens = 20;
        let mut s = String::new();
        let stats = g
            .generate(&req, &mut |t| {
                s.push_str(t);
                true
            })
            .unwrap();
        (s.to_lowercase(), stats)
    };
    let questions = [
        ("Que fait un boulanger ?", ["pain", "boulang"]),
        ("Que fait un infirmier ?", ["soin", "malade"]),
        ("Que fait un électricien ?", ["électri", "install"]),
    ];
    let alone: Vec<String> = questions.iter().map(|(q, _)| ask(q).0).collect();
    let start = std::sync::Barrier::new(questions.len());
    let together: Vec<(String, inference::GenerationStats)> = std::thread::scope(|s| {
        let handles: Vec<_> = questions
            .iter()
            .map(|(q, _)| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    ask(q)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(together.iter().any(|(_, s)| s.peak_batch > 1), "the turns shared decoding steps");
    for (((_, words), (text, _)), single) in questions.iter().zip(&together).zip(&alone) {
        // Each row of a batched product is computed as a single one is: the same text.
        assert_eq!(text, single, "batched vs alone");
        assert!(words.iter().any(|w| text.contains(w)), "on topic: {text}");
    }
}
