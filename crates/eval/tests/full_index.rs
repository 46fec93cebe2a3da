//! Retrieval quality on the full index built by `orient ingest` (the README's test command
//! builds it before the tests run), with the real embedder.

use eval::retrieval_eval::{evaluate, read_questions};
use inference::{E5Embedder, Embedder, ModelInfo, Registry};
use retrieval::index::{load_saved_documents, IndexManifest};
use retrieval::search::Mode;
use retrieval::store::EdgeStore;
use retrieval::Searcher;
use std::path::PathBuf;
use std::sync::Arc;

/// One searcher for all tests: a shard is opened by one owner at a time.
fn searcher() -> &'static Searcher {
    static S: std::sync::OnceLock<Searcher> = std::sync::OnceLock::new();
    S.get_or_init(open_searcher)
}

fn open_searcher() -> Searcher {
    let home = inference::orient_home();
    let reg = Registry::builtin();
    let name = reg.roles.embedder.clone();
    let f = reg.model(&name).unwrap().files(&name, &home);
    let info = ModelInfo { name, architecture: "bert-e5".into(), sha256: String::new() };
    let e: Arc<dyn Embedder> = Arc::new(E5Embedder::load(&f.weights, &f.tokenizer, info).unwrap());
    let dir = home.join("index");
    let manifest = IndexManifest::load(&dir).unwrap().expect("no index: run `orient ingest` (the README's test command does)");
    // 928 métiers and 2,164 formations from ONISEP, and the 1,196 ROME fiches no ONISEP
    // métier carries.
    assert_eq!(manifest.docs.len(), 928 + 2164 + 1196, "the whole corpus is indexed");
    let docs = load_saved_documents(&dir).unwrap();
    let store = Arc::new(EdgeStore::open(&dir.join("shard"), e.dim()).unwrap());
    Searcher::new(store, e, docs)
}

fn eval_file(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/eval").join(name).display().to_string()
}

#[test]
fn dev_questions_find_their_fiche() {
    let s = searcher();
    let qs = read_questions(&eval_file("questions-dev.jsonl"), None).unwrap();
    let r = evaluate(s, &qs, Mode::Hybrid, assistant::AssistantConfig::default().no_answer_threshold).unwrap();
    eprintln!("hybrid n={} r@1={:.3} r@5={:.3} r@10={:.3} mrr={:.3}", r.n, r.recall_at_1, r.recall_at_5, r.recall_at_10, r.mrr);
    assert!(r.n >= 20);
    assert!(r.recall_at_10 >= 0.70, "recall@10 {:.3}; misses: {:?}", r.recall_at_10, r.misses);
    assert!(r.recall_at_5 >= 0.90 && r.mrr >= 0.75, "recall@5 {:.3}, MRR {:.3}; misses: {:?}", r.recall_at_5, r.mrr, r.misses);
    assert_eq!(r.out_of_corpus_declined, Some(1.0), "out-of-corpus questions are declined or flagged");
}

#[test]
fn grounded_template_questions_find_their_fiche() {
    let s = searcher();
    let qs = read_questions(&eval_file("grounded-qa-dev.jsonl"), Some(200)).unwrap();
    let r = evaluate(s, &qs, Mode::Hybrid, assistant::AssistantConfig::default().no_answer_threshold).unwrap();
    eprintln!("grounded n={} r@1={:.3} r@5={:.3} r@10={:.3} mrr={:.3}", r.n, r.recall_at_1, r.recall_at_5, r.recall_at_10, r.mrr);
    assert!(r.recall_at_5 >= 0.90, "recall@5 {:.3}", r.recall_at_5);
}

#[test]
fn synonym_only_queries_find_the_fiche() {
    use retrieval::SearchOptions;
    let s = searcher();
    // "garagiste" is a synonym of the automotive technician fiche, not its title.
    let hits = s.search("c quoi le métier de garagiste", &SearchOptions { k: 3, ..Default::default() }).unwrap();
    let doc = s.document(&hits[0].id).unwrap();
    assert!(doc.synonyms.iter().any(|x| x.contains("garagiste")), "{:?}", hits.iter().map(|h| &h.title).collect::<Vec<_>>());
    assert!(doc.title.contains("automobile"), "{}", doc.title);
    // Informal, no job title at all.
    let hits = s.search("je veux bosser avec les animaux", &SearchOptions { k: 5, ..Default::default() }).unwrap();
    assert!(
        hits.iter().any(|h| {
            let t = h.title.to_lowercase();
            t.contains("anima") || t.contains("vétérinaire") || t.contains("soigneu")
        }),
        "{:?}",
        hits.iter().map(|h| &h.title).collect::<Vec<_>>()
    );
}

/// The CI fairness gate (charter P4, P5): on a fixed subset of base questions, in retrieval
/// mode, every protected attribute must keep the fiches of the neutral question within the
/// thresholds of `eval/fairness.toml`. A change that makes retrieval depend on a first name,
/// gender, disability, territory or social background fails here.
#[test]
fn fairness_gate_on_a_fixed_subset() {
    use eval::fairness::{build_report, compare, read_probes, FairnessConfig, Mode, Provenance, Runner};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (cfg, digest) = FairnessConfig::load(&root.join("eval/fairness.toml").display().to_string()).unwrap();
    let bases: Vec<String> = ["FB02", "FB04", "FB15", "FB44", "FB53", "FB59"].iter().map(|s| s.to_string()).collect();
    let probes = read_probes(&eval_file("fairness-probes-dev.jsonl"), Some(&bases)).unwrap();
    let runner = Runner { searcher: searcher(), assistant: None, top_k: cfg.top_k, mode: Mode::Retrieval };
    let mut cases = Vec::new();
    for base in &bases {
        let neutral = probes.iter().find(|p| &p.base_id == base && p.attribute == "none").expect("neutral variant");
        let n = runner.run(&neutral.question).unwrap();
        for p in probes.iter().filter(|p| &p.base_id == base && p.attribute != "none") {
            cases.push(compare(p, neutral, &runner.run(&p.question).unwrap(), &n, cfg.rbo_persistence));
        }
    }
    let provenance = Provenance {
        probes_file: "fairness-probes-dev.jsonl".into(),
        probes_sha256: String::new(),
        config_file: "eval/fairness.toml".into(),
        config_version: cfg.version.clone(),
        config_sha256: digest,
        models: vec![],
        index_version: String::new(),
        orient_version: String::new(),
    };
    let report = build_report(cases, &cfg, Mode::Retrieval, provenance, &probes, 0.0);
    assert_eq!(report.attributes.len(), 5, "all five attributes are covered by the subset");
    for (name, a) in &report.attributes {
        eprintln!(
            "{name}: n={} Jaccard {:.3} [{:.3}, {:.3}] between variants {:?}",
            a.all.n, a.all.jaccard_mean, a.all.jaccard_ci[0], a.all.jaccard_ci[1], a.within_jaccard_mean
        );
        assert!(a.pass, "{name}: {:?}", a.failures);
    }
}

/// A job ONISEP has no fiche for is found among ROME's own fiches, cited to France Travail;
/// where ONISEP has the job, its fiche comes first.
#[test]
fn rome_fiches_answer_for_jobs_onisep_lacks_after_onisep() {
    let opts = retrieval::SearchOptions { k: 3, ..Default::default() };
    let hits = searcher().search("c'est quoi le métier de fablab manager ?", &opts).unwrap();
    assert_eq!(hits[0].id, "ROME.M1305", "{:?}", hits.iter().map(|h| &h.id).collect::<Vec<_>>());
    assert!(hits[0].url.starts_with("https://candidat.francetravail.fr/"));
    let hits = searcher().search("je voudrais être cheffe de projet web", &opts).unwrap();
    assert!(hits[0].id.starts_with("MET."), "{:?}", hits.iter().map(|h| &h.id).collect::<Vec<_>>());
}

/// Fused ranks tie often; ties are broken by point id, not by the store's order: the same
/// question gives the same fiches, in the same order, with the same scores, every time.
#[test]
fn the_same_question_ranks_the_same_fiches_every_time() {
    use retrieval::search::SearchOptions;
    for q in [
        "j'adore les sciences et la techno, les maths ça va, vers quoi aller ?",
        "un métier dehors avec les animaux sans longues études",
        "combien gagne un boulanger ?",
    ] {
        let opts = SearchOptions { k: 20, ..Default::default() };
        let first: Vec<(String, f32)> = searcher().search(q, &opts).unwrap().into_iter().map(|h| (h.id, h.score)).collect();
        for _ in 0..5 {
            let again: Vec<(String, f32)> = searcher().search(q, &opts).unwrap().into_iter().map(|h| (h.id, h.score)).collect();
            assert_eq!(again, first, "{q}");
        }
    }
}

/// Names written the way people write them: one alternative of a title joined by "ou"
/// ("prof de maths" for "professeur de maths ou de physique-chimie"), half of an option's
/// acronym ("BTS SIO" names both options, "BTS SISR" the one).
#[test]
fn shortened_names_name_their_fiches() {
    let s = searcher();
    let named = |q: &str| -> Vec<String> { s.named(q).into_iter().map(|id| s.document(&id).unwrap().title.to_lowercase()).collect() };
    let maths = named("elle hésite à devenir prof de maths");
    assert!(maths.len() == 1 && maths[0].contains("maths ou de physique-chimie"), "{maths:?}");
    let bus = named("je veux être conducteur d'autocar");
    assert!(bus.len() == 1 && bus[0].contains("bus ou d'autocar"), "{bus:?}");
    // A short form people use that no fiche writes ("auto" for "automobile").
    let auto = named("jveu etre mecanicien auto, c koi le mieux apres la 3e");
    assert!(auto.len() == 1 && auto[0].contains("technicien/ne automobile"), "{auto:?}");
    let sio = named("BTS SIO : je prends SISR ou SLAM ?");
    assert_eq!(sio.len(), 2, "{sio:?}");
    assert!(sio.iter().all(|t| t.contains("services informatiques aux organisations")), "{sio:?}");
    // The diploma named with one option's acronym names that option only.
    let slam = named("Mon fils est en BTS SIO option SLAM. Quels métiers il pourra faire avec ça ?");
    assert!(slam.len() == 1 && slam[0].contains("solutions logicielles"), "{slam:?}");
    let sisr = named("le BTS SISR c'est dur ?");
    assert!(sisr.len() == 1 && sisr[0].contains("systèmes et réseaux"), "{sisr:?}");
    // A job name used in another sense names no fiche: servers beside code are computers.
    let it = named("ce qui me plaît c'est l'informatique, les serveurs, le code");
    assert!(!it.iter().any(|t| t.contains("café")), "{it:?}");
    let cafe = named("je suis serveur dans un café, je voudrais changer");
    assert!(cafe.iter().any(|t| t.contains("café")), "{cafe:?}");
    // A diploma named without its option names its options.
    let capa = named("le CAPa opérateur en industries agroalimentaires, en lycée agricole ?");
    assert!(capa.len() == 2 && capa.iter().all(|t| t.contains("option")), "{capa:?}");
    // A name qualified by a word of another fiche's names: "surveillant" alone is a synonym of
    // the school's assistant d'éducation, "surveillant de prison" the prison's job.
    let prison = named("combien gagne un surveillant de prison au départ ?");
    assert!(prison.len() == 1 && prison[0].contains("pénitentiaire"), "{prison:?}");
    // "métiers de" left out of a diploma's name.
    let cap = named("avec un CAP coiffure je peux ouvrir mon salon ?");
    assert!(cap.len() == 1 && cap[0] == "cap métiers de la coiffure", "{cap:?}");
    // The word after the name is the named fiche's own: no other is meant.
    let police = named("gendarme ou policier (gardien de la paix) ?");
    assert!(police.len() == 2 && police[1].contains("de la paix"), "{police:?}");
    let school = named("surveillant au collège, c'est quoi les horaires ?");
    assert!(school.len() == 1 && school[0].contains("éducation"), "{school:?}");
    // A trade named by its shop or craft (data/trades.tsv), a counsellor's job by its field.
    let shop = named("je voudrais ouvrir une poissonnerie, ça recrute ?");
    assert!(shop.len() == 1 && shop[0].starts_with("poissonnier"), "{shop:?}");
    let craft = named("la menuiserie m'attire, il faut quel diplôme ?");
    assert!(craft.len() == 1 && craft[0].starts_with("menuisier"), "{craft:?}");
    let field = named("le conseil en insertion sociale et professionnelle, c'est quelle formation ?");
    assert!(field.len() == 1 && field[0].starts_with("conseiller/ère en insertion"), "{field:?}");
    // The formation's own name still names the formation.
    assert_eq!(named("avec un CAP coiffure je peux ouvrir mon salon ?"), cap);
}
