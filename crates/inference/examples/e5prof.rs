use inference::{E5Embedder, Embedder, ModelInfo, TextKind};
fn main() {
    let home = inference::orient_home().join("models/multilingual-e5-small");
    let info = ModelInfo { name: "e5".into(), architecture: "bert-e5".into(), sha256: String::new() };
    let t = std::time::Instant::now();
    let e = E5Embedder::load(&home.join("model.safetensors"), &home.join("tokenizer.json"), info).unwrap();
    println!("load {:.2}s", t.elapsed().as_secs_f64());
    let text = "Le contrôleur aérien règle la circulation des avions, en altitude et aux abords de son aéroport d'attache. Depuis sa tour de contrôle, quels que soient le trafic et les conditions météo, il guide les pilotes tout au long de leur vol. Face à ses ordinateurs, il analyse en permanence une multitude d'informations qui lui permettent de spécifier, en temps réel, à quel moment l'avion peut décoller ou se poser, et quelle piste emprunter.";
    let texts: Vec<&str> = vec![text; 16];
    let t = std::time::Instant::now();
    let v = e.embed(&texts, TextKind::Passage).unwrap();
    println!("16 x ~{} chars: {:.2}s dim {}", text.len(), t.elapsed().as_secs_f64(), v[0].len());
}
