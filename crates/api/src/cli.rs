//! Command-line parsing and the commands themselves.

use crate::app::App;
use anyhow::{bail, Context, Result};
use assistant::{Assistant, AssistantConfig, Event};
use clap::{Parser, Subcommand, ValueEnum};
use inference::fetch;
use inference::{ChatMessage, Embedder, GenerationRequest, Role, TextKind};
use retrieval::search::Mode;
use retrieval::{Kind, Level, SearchOptions};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "orient", version, about = "Assistant d'orientation : fiches Onisep, modèles locaux, charte IA")]
struct Cli {
    /// Where models, downloads and the index live (default: $ORIENT_HOME or ~/.cache/orient).
    #[arg(long, global = true, env = "ORIENT_HOME")]
    home: Option<PathBuf>,
    /// models.toml to use (default: ORIENT_HOME/models.toml when present, else the built-in one).
    #[arg(long, global = true, env = "ORIENT_MODELS")]
    models: Option<PathBuf>,
    /// ONISEP data directory (default: $ORIENT_DATA or ../shared/data; downloaded when absent).
    #[arg(long, global = true, env = "ORIENT_DATA")]
    data: Option<PathBuf>,
    /// Use a Qdrant server (gRPC URL, e.g. http://127.0.0.1:6334) instead of the embedded store.
    #[arg(long, global = true, env = "ORIENT_QDRANT_URL")]
    qdrant_url: Option<String>,
    /// Configuration file (default: ORIENT_HOME/orient.toml when present; every key has a default).
    #[arg(long, global = true, env = "ORIENT_CONFIG")]
    config: Option<PathBuf>,
    /// Print no progress messages.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service: chat API, widget, counsellor copilot, audit (fetches models and
    /// builds the index on first start).
    Serve {
        /// Address to listen on (default: server.addr, 127.0.0.1:8080).
        #[arg(long)]
        addr: Option<String>,
    },
    /// Make a new access token for a role; prints the token (give it to the person) and the
    /// digest to put in orient.toml.
    Token {
        #[arg(value_enum)]
        role: RoleArg,
    },
    /// Manage local models.
    Models {
        #[command(subcommand)]
        action: ModelsAction,
    },
    /// Build or update the index of ONISEP fiches (only what changed is re-embedded).
    Ingest {
        /// Drop the index and build it from scratch.
        #[arg(long)]
        rebuild: bool,
        #[arg(long)]
        json: bool,
    },
    /// Search the fiches; with a facet, the fiches whose profile passes it, closest first
    /// ("métiers accessibles après un CAP, avec des animaux, sans travail de nuit").
    Search {
        query: String,
        #[arg(short, default_value_t = 5)]
        k: usize,
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
        #[arg(long, value_enum, default_value_t = ModeArg::Hybrid)]
        mode: ModeArg,
        #[arg(long)]
        json: bool,
        /// Facet: an ONISEP centre d'intérêt, as the fiches label it ("je veux m'occuper
        /// d'animaux"); repeat it for any of several.
        #[arg(long = "interest")]
        interests: Vec<String>,
        /// Facet: the highest level of access, as the fiches write it ("CAP", "bac + 2").
        #[arg(long)]
        max_level: Option<String>,
        /// Facet: a working condition ruled out, as France Travail's ROME labels it ("Travail de
        /// nuit"); repeat it for several.
        #[arg(long = "without")]
        without: Vec<String>,
    },
    /// Ask a question; the answer streams to the terminal.
    Ask {
        question: String,
        /// Print one JSON object (answer, sources) instead of streaming.
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 60)]
        max_tokens: usize,
        /// Generator model from models.toml (default: the generator role).
        #[arg(long)]
        generator: Option<String>,
        /// What the model adds under the card: off or bridge (default: `[assistant] generation`).
        #[arg(long)]
        generation: Option<assistant::GenerationMode>,
    },
    /// Run the input rails on a message and print their verdicts (rule ids, semantic scores).
    Guard {
        message: String,
        #[arg(long)]
        json: bool,
        /// The rule layer alone (no encoder loaded).
        #[arg(long)]
        rules_only: bool,
        /// A semantic head file to try instead of the shipped one.
        #[arg(long)]
        head: Option<PathBuf>,
    },
    /// The rails' semantic layer.
    Rails {
        #[command(subcommand)]
        action: RailsAction,
    },
    /// The head that reads whether a message asks for paths to explore.
    OpenQuestions {
        #[command(subcommand)]
        action: OpenQuestionsAction,
    },
    /// The head that reads whether a question asks for data the fiches do not hold (this
    /// year's dates, a named school's or company's figures, one's own file).
    LiveData {
        #[command(subcommand)]
        action: LiveDataAction,
    },
    /// The transparency log.
    Log {
        #[command(subcommand)]
        action: LogAction,
    },
    /// Evaluate.
    Eval {
        #[command(subcommand)]
        what: EvalWhat,
    },
    /// Measure speed.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Subcommand)]
enum ModelsAction {
    /// Download, verify and convert models (all roles by default).
    Fetch { names: Vec<String> },
    /// List models, their roles and whether they are ready.
    List,
}

#[derive(Subcommand)]
enum RailsAction {
    /// Train the semantic heads on the labelled corpus (train-*.jsonl; a fifth held out for
    /// the thresholds) and write them where the build includes them.
    Train {
        #[arg(long, default_value = "crates/guardrails/corpus")]
        corpus: PathBuf,
        #[arg(long, default_value = "crates/guardrails/data/semantic-head.json")]
        out: PathBuf,
        /// Units of the hidden layer (0: one linear head per category).
        #[arg(long)]
        hidden: Option<usize>,
        #[arg(long)]
        epochs: Option<usize>,
        #[arg(long)]
        dropout: Option<f32>,
        #[arg(long)]
        weight_decay: Option<f64>,
        /// Encoder layers the heads read (fewer is faster; 0: all).
        #[arg(long, default_value_t = 6)]
        layers: usize,
        /// Distress recall, with the rules, the threshold must reach on validation (default 0.99).
        #[arg(long)]
        distress_recall: Option<f64>,
    },
    /// Fit the distress head's second opinion (a words model stacked with the encoder) to a
    /// semantic head, on the same training and validation parts, and write it where the build
    /// includes it. Run it after every `orient rails train`.
    Words {
        #[arg(long, default_value = "crates/guardrails/corpus")]
        corpus: PathBuf,
        /// The semantic head to fit it to (default: the shipped one).
        #[arg(long)]
        head: Option<PathBuf>,
        #[arg(long, default_value = "crates/guardrails/data/distress-words.json")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum LiveDataAction {
    /// Train the live-data head on labelled questions (a fifth held out for the threshold) and
    /// write it where the build includes it.
    Train {
        /// Labelled questions (`*.jsonl`, each line `{"text", "label": "outside" | "inside"}`).
        #[arg(long, default_value = "crates/assistant/corpus/live-data")]
        corpus: PathBuf,
        /// Development answer sets, labelled by their `out_of_data` field.
        #[arg(long, default_values = ["eval/answers/train.jsonl", "eval/answers/train-b.jsonl"])]
        dev: Vec<PathBuf>,
        /// Questions the fiches answer whatever their own labels: the open-question corpus and
        /// the open questions of the exploration development sets.
        #[arg(long, default_values = [
            "crates/assistant/corpus/open-questions/train-a.jsonl",
            "crates/assistant/corpus/open-questions/train-b.jsonl",
            "eval/exploration/train.jsonl",
            "eval/exploration/train-b.jsonl",
        ])]
        inside: Vec<PathBuf>,
        #[arg(long, default_value = "crates/assistant/data/live-data-head.json")]
        out: PathBuf,
    },
    /// Print the head's probability for each question of a JSONL file, as JSON lines.
    Score {
        #[arg(long, default_value = "crates/assistant/data/live-data-head.json")]
        head: PathBuf,
        questions: PathBuf,
    },
}

#[derive(Subcommand)]
enum OpenQuestionsAction {
    /// Train the open-question head on labelled messages (a fifth held out for the threshold)
    /// and write it where the build includes it.
    Train {
        /// Labelled messages (`*.jsonl`, each line `{"text", "label": "open" | "named"}`).
        #[arg(long, default_value = "crates/assistant/corpus/open-questions")]
        corpus: PathBuf,
        /// Development sets whose every question is open.
        #[arg(long, default_value = "eval/exploration/train.jsonl")]
        open: Vec<PathBuf>,
        /// Development sets whose every question is about a named fiche.
        #[arg(long, default_value = "eval/answers/train.jsonl")]
        named: Vec<PathBuf>,
        #[arg(long, default_value = "crates/assistant/data/open-question-head.json")]
        out: PathBuf,
    },
    /// Print a head's probability for each message of a JSONL file (`{"text"}` or
    /// `{"question"}` per line), as JSON lines: to measure a head on a set it never saw.
    Score {
        #[arg(long, default_value = "crates/assistant/data/open-question-head.json")]
        head: PathBuf,
        questions: PathBuf,
    },
}

#[derive(Subcommand)]
enum LogAction {
    /// Delete rotated log files older than the retention period (`[log] retention_days`, six
    /// months by default). While `orient serve` runs it owns the log and purges daily; ask it
    /// with `POST /v1/admin/log/purge` instead.
    Purge {
        /// Retention in days (default: the configuration's).
        #[arg(long)]
        retention_days: Option<u64>,
    },
    /// Check log files (one per replica): hashes, chain, sequence, checkpoints and their
    /// signatures, and the head each replica published in the state store; says where a chain
    /// breaks, which replica's it is, and what the signatures prove.
    Verify {
        /// Log files, one per replica of a deployment (default: ORIENT_HOME/log/transparency.jsonl).
        files: Vec<PathBuf>,
        /// Trusted ed25519 public key (64 hex characters), or `REPLICA=HEX` for one replica's
        /// chain; repeatable. Default: `[log] public_key`, else the key of ORIENT_LOG_KEY.
        /// Never taken from the log.
        #[arg(long)]
        public_key: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum EvalWhat {
    /// Accuracy of the input rails on a probe file, with a confusion table by category.
    Guardrails {
        #[arg(long)]
        probes: PathBuf,
        #[arg(long)]
        json: bool,
        /// The rule layer alone (no encoder loaded).
        #[arg(long)]
        rules_only: bool,
        /// A semantic head file to try instead of the shipped one (from `orient rails train --out`).
        #[arg(long)]
        head: Option<PathBuf>,
        /// The distress head's verdicts without the words model's second opinion.
        #[arg(long)]
        no_second_opinion: bool,
    },
    /// Counterfactual fairness: every variant of a question compared with its neutral
    /// variant; report.json and report.html in --out. `--diff OLD NEW` compares two reports.
    Fairness {
        #[arg(long, required_unless_present = "diff")]
        probes: Option<PathBuf>,
        #[arg(long, required_unless_present = "diff")]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = FairnessModeArg::Retrieval)]
        mode: FairnessModeArg,
        /// Versioned thresholds and settings.
        #[arg(long, default_value = "eval/fairness.toml")]
        thresholds: PathBuf,
        /// Only these base questions (comma-separated base_id values).
        #[arg(long, value_delimiter = ',')]
        bases: Option<Vec<String>>,
        /// Generated tokens per answer in full mode.
        #[arg(long, default_value_t = 120)]
        max_tokens: usize,
        /// Compare two report.json files (what got better, what got worse).
        #[arg(long, num_args = 2, value_names = ["OLD", "NEW"], conflicts_with_all = ["probes", "out"])]
        diff: Option<Vec<PathBuf>>,
    },
    /// The full assistant on a question file (key facts, unsupported claims, "je ne sais pas",
    /// timings); report.json and report.html in --out.
    Answers {
        #[arg(long)]
        questions: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long, default_value_t = 60)]
        max_tokens: usize,
        /// What the model adds under the card: off or bridge (default: `[assistant] generation`).
        #[arg(long)]
        generation: Option<assistant::GenerationMode>,
    },
    /// Open questions ("jsp quoi faire, j'aime…"): expected métiers proposed, proposals matching
    /// the stated interests and level, sectors, questions asked back; report.json and
    /// report.html in --out.
    Exploration {
        #[arg(long)]
        questions: PathBuf,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Recall@1/5/10 and MRR of the fiche search.
    Retrieval {
        #[arg(long)]
        questions: PathBuf,
        #[arg(long, value_enum, default_value_t = ModeArg::Hybrid)]
        mode: ModeArg,
        /// Evaluate an evenly spread sample of this many questions.
        #[arg(long)]
        limit: Option<usize>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum BenchWhat {
    /// Prefill and decode tokens/s of the generator.
    Generate {
        /// Generator model name from models.toml (default: the generator role).
        #[arg(long)]
        model: Option<String>,
        #[arg(long, default_value_t = 128)]
        prompt_tokens: usize,
        #[arg(long, default_value_t = 64)]
        gen_tokens: usize,
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Turns generated at once (continuous batching): aggregate and per-stream decode
        /// tokens/s.
        #[arg(long, default_value_t = 1)]
        streams: usize,
    },
    /// Search latency p50/p99 over a question file: with and without the embedding step, and
    /// repeated (cached) questions.
    Search {
        #[arg(long, default_value = "../shared/data/eval/grounded-qa-dev.jsonl")]
        questions: PathBuf,
        #[arg(long, default_value_t = 300)]
        limit: usize,
    },
    /// State store operations: a turn recorded in a new conversation, a follow-up, a widget's
    /// poll, from several threads at once (what each chat request costs the store).
    State {
        /// `postgres://…`; default: a temporary SQLite file (never the home's own store).
        #[arg(long)]
        state_url: Option<String>,
        #[arg(long, default_value_t = 2000)]
        conversations: usize,
        #[arg(long, default_value_t = 4)]
        threads: usize,
    },
    /// Passages/s of the embedder.
    Embed {
        #[arg(long, default_value_t = 256)]
        passages: usize,
        /// Cut inputs at this many tokens (orient indexes with 128; 512 is the model's limit).
        #[arg(long, default_value_t = inference::e5::DEFAULT_MAX_TOKENS)]
        max_tokens: usize,
        /// Also write the passages, one per line, for a reference engine to embed.
        #[arg(long)]
        dump: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FairnessModeArg {
    Retrieval,
    /// The métiers proposed to open questions.
    Proposals,
    Full,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Counsellor,
    Auditor,
    /// Operators: /metrics and admin routes.
    Operator,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Metier,
    Formation,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    Hybrid,
    Dense,
    Sparse,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Hybrid => Mode::Hybrid,
            ModeArg::Dense => Mode::Dense,
            ModeArg::Sparse => Mode::Sparse,
        }
    }
}

pub fn run() -> Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("ORIENT_LOG").unwrap_or_else(|_| "warn,qdrant_edge=error".into()))
        .with_writer(std::io::stderr)
        .init();
    let home = cli.home.clone().unwrap_or_else(inference::orient_home);
    let config = crate::config::Config::load(cli.config.as_deref(), &home)?;
    let qdrant_url = cli.qdrant_url.or_else(|| Some(config.store.url.clone()).filter(|u| !u.is_empty()));
    let mut app = App::new(cli.home, cli.models, cli.data, qdrant_url, cli.quiet)?;
    app.remote_generator = config.generator.remote()?;
    app.local_fallback = config.generator.local_fallback;
    match cli.command {
        Command::Serve { addr } => crate::server::serve(app, config, addr),
        Command::Token { role } => {
            let (token, digest) = crate::config::new_token();
            let key = match role {
                RoleArg::Counsellor => "counsellor_tokens",
                RoleArg::Auditor => "auditor_tokens",
                RoleArg::Operator => "operator_tokens",
            };
            println!("token (give it to the person, it is shown once): {token}");
            println!("add to orient.toml under [auth]: {key} = [\"{digest}\"]");
            Ok(())
        }
        Command::Models { action: ModelsAction::Fetch { names } } => models_fetch(&app, names),
        Command::Models { action: ModelsAction::List } => models_list(&app),
        Command::Ingest { rebuild, json } => {
            let embedder = app.embedder()?;
            let r = app.ingest(embedder.as_ref(), rebuild)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{} fiches ({} unchanged, {} updated, {} removed); {} passages embedded; {} points in the index; {:.1} s; index version {}",
                    r.documents, r.unchanged, r.updated, r.removed, r.chunks_embedded, r.points, r.seconds, r.version
                );
            }
            Ok(())
        }
        Command::Search { query, k, kind, mode, json, interests, max_level, without } => {
            let facets = Facets { interests, max_level, without };
            if facets.is_empty() {
                search(&app, &query, k, kind, mode, json)
            } else {
                faceted_search(&app, &query, k, kind, &facets, json)
            }
        }
        Command::Ask { question, json, max_tokens, generator, generation } => {
            ask(&app, &config.log, &question, json, max_tokens, generator, generation.unwrap_or(config.assistant.generation))
        }
        Command::Guard { message, json, rules_only, head } => crate::rails::guard(&app, &message, json, rules_only, head.as_deref()),
        Command::Rails { action: RailsAction::Train { corpus, out, hidden, epochs, dropout, weight_decay, layers, distress_recall } } => {
            let d = eval::rails_train::NetOptions::default();
            let opts = eval::rails_train::NetOptions {
                hidden: hidden.unwrap_or(d.hidden),
                epochs: epochs.unwrap_or(d.epochs),
                dropout: dropout.unwrap_or(d.dropout),
                weight_decay: weight_decay.unwrap_or(d.weight_decay),
                distress_recall: distress_recall.unwrap_or(d.distress_recall),
                ..d
            };
            crate::rails::train(&app, &corpus, &out, &opts, (layers > 0).then_some(layers))
        }
        Command::Rails { action: RailsAction::Words { corpus, head, out } } => crate::rails::fit_words(&app, &corpus, head.as_deref(), &out),
        Command::OpenQuestions { action: OpenQuestionsAction::Train { corpus, open, named, out } } => {
            crate::open_questions::train(&app, &corpus, &open, &named, &[], &[], &out)
        }
        Command::LiveData { action: LiveDataAction::Train { corpus, dev, inside, out } } => {
            crate::open_questions::train(&app, &corpus, &[], &[], &dev, &inside, &out)
        }
        Command::LiveData { action: LiveDataAction::Score { head, questions } } => crate::open_questions::score(&app, &head, &questions),
        Command::OpenQuestions { action: OpenQuestionsAction::Score { head, questions } } => crate::open_questions::score(&app, &head, &questions),
        Command::Log { action: LogAction::Verify { files, public_key, json } } => log_verify(&app, &config, files, public_key, json),
        Command::Log { action: LogAction::Purge { retention_days } } => {
            let mut log = app.transparency_log(&config.log)?;
            let retention_days = retention_days.unwrap_or(config.log.retention_days);
            let removed = log.purge_older_than(std::time::Duration::from_secs(retention_days * 24 * 3600))?;
            let names: Vec<String> = removed.iter().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
            log.append("purge", serde_json::json!({ "by": "command", "retention_days": retention_days, "removed": names }))?;
            println!("{} rotated file(s) removed", removed.len());
            Ok(())
        }
        Command::Eval { what: EvalWhat::Guardrails { probes, json, rules_only, head, no_second_opinion } } => {
            crate::rails::eval_guardrails(&app, &probes, json, rules_only, head.as_deref(), no_second_opinion)
        }
        Command::Eval { what: EvalWhat::Fairness { diff: Some(files), .. } } => crate::reports::fairness_diff(&files[0], &files[1]),
        Command::Eval { what: EvalWhat::Fairness { probes, out, mode, thresholds, bases, max_tokens, diff: None } } => {
            let mode = match mode {
                FairnessModeArg::Retrieval => eval::fairness::Mode::Retrieval,
                FairnessModeArg::Proposals => eval::fairness::Mode::Proposals,
                FairnessModeArg::Full => eval::fairness::Mode::Full,
            };
            let (probes, out) = (probes.expect("required by clap"), out.expect("required by clap"));
            crate::reports::fairness(&app, &probes, &out, mode, &thresholds, bases, max_tokens)
        }
        Command::Eval { what: EvalWhat::Exploration { questions, out, limit } } => crate::reports::exploration(&app, &questions, &out, limit),
        Command::Eval { what: EvalWhat::Answers { questions, out, limit, max_tokens, generation } } => {
            crate::reports::answers(&app, &questions, &out, limit, max_tokens, generation.unwrap_or(config.assistant.generation))
        }
        Command::Eval { what: EvalWhat::Retrieval { questions, mode, limit, json } } => eval_retrieval(&app, &questions, mode, limit, json),
        Command::Bench { what: BenchWhat::Generate { model, prompt_tokens, gen_tokens, runs, streams } } => {
            bench_generate(&app, model, prompt_tokens, gen_tokens, runs, streams)
        }
        Command::Bench { what: BenchWhat::Search { questions, limit } } => bench_search(&app, &questions, limit),
        Command::Bench { what: BenchWhat::State { state_url, conversations, threads } } => bench_state(state_url, conversations, threads),
        Command::Bench { what: BenchWhat::Embed { passages, max_tokens, dump } } => bench_embed(&app, passages, max_tokens, dump),
    }
}

fn models_fetch(app: &App, names: Vec<String>) -> Result<()> {
    let names = if names.is_empty() { vec![app.registry.roles.generator.clone(), app.registry.roles.embedder.clone()] } else { names };
    for name in names {
        let spec = app.registry.model(&name)?;
        let quiet = app.quiet;
        let f = fetch::fetch_model(&name, spec, &app.home, &mut |m: &str| {
            if !quiet {
                eprintln!("{m}")
            }
        })?;
        println!("{}\t{}\t{}", f.name, f.weights.display(), f.converted_sha256);
    }
    Ok(())
}

fn models_list(app: &App) -> Result<()> {
    for (name, spec) in &app.registry.models {
        let role = if *name == app.registry.roles.generator {
            "generator"
        } else if *name == app.registry.roles.embedder {
            "embedder"
        } else {
            "-"
        };
        let files = spec.files(name, &app.home);
        let state = if files.weights.exists() { "ready" } else { "not fetched" };
        println!("{name}\t{role}\t{}\t{state}\t{}", spec.architecture, files.weights.display());
    }
    Ok(())
}

fn search(app: &App, query: &str, k: usize, kind: Option<KindArg>, mode: ModeArg, json: bool) -> Result<()> {
    if query.trim().is_empty() {
        bail!("the search text is empty");
    }
    let searcher = app.searcher()?;
    let kind = kind.map(|k| match k {
        KindArg::Metier => Kind::Metier,
        KindArg::Formation => Kind::Formation,
    });
    let opts = SearchOptions { k, kind, mode: mode.into(), ..Default::default() };
    let dense = if matches!(mode, ModeArg::Sparse) { None } else { Some(searcher.query_vector(query)?) };
    let coverage = match &dense {
        Some(d) => Some(searcher.coverage(d)?),
        None => None,
    };
    let hits = searcher.search_with_vector(query, dense, &opts)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "coverage": coverage, "hits": hits }))?);
    } else {
        if let Some(c) = coverage {
            println!("coverage (cosine of the closest passage): {c:.3}");
        }
        for (i, h) in hits.iter().enumerate() {
            println!("{:>2}. {} — {} ({}) [{:.4}]\n    {}", i + 1, h.id, h.title, h.kind.label(), h.score, h.url);
            if let Some(p) = h.passages.first() {
                let snippet: String = p.text.chars().take(160).collect();
                println!("    {} : {}", p.section_label, snippet.replace('\n', " "));
            }
        }
    }
    Ok(())
}

/// What a faceted search filters on (`orient search --interest … --max-level … --without …`).
struct Facets {
    interests: Vec<String>,
    max_level: Option<String>,
    without: Vec<String>,
}

impl Facets {
    fn is_empty(&self) -> bool {
        self.interests.is_empty() && self.max_level.is_none() && self.without.is_empty()
    }
}

/// The fiches whose indexed profile passes the facets, closest to the query first (one per
/// fiche: its identity passage, dense search). Labels are checked against the fiches' own, so
/// a misspelt one is an error rather than an empty list.
fn faceted_search(app: &App, query: &str, k: usize, kind: Option<KindArg>, facets: &Facets, json: bool) -> Result<()> {
    if query.trim().is_empty() {
        bail!("the search text is empty");
    }
    let searcher = app.searcher()?;
    let known = |values: &dyn Fn(&retrieval::Document) -> &Vec<String>| -> std::collections::BTreeSet<String> {
        searcher.documents().flat_map(|d| values(d).iter().cloned()).collect()
    };
    let interests = known(&|d| &d.facts.interests);
    if let Some(bad) = facets.interests.iter().find(|i| !interests.contains(*i)) {
        bail!("no fiche has the centre d'intérêt {bad:?}; the fiches use: {}", interests.iter().cloned().collect::<Vec<_>>().join(" | "));
    }
    let conditions = known(&|d| &d.facts.conditions);
    if let Some(bad) = facets.without.iter().find(|c| !conditions.contains(*c)) {
        bail!("no métier has the working condition {bad:?} (ROME's labels, e.g. \"Travail de nuit\", \"En grande hauteur\")");
    }
    let max_level = match &facets.max_level {
        Some(l) => Some(Level::parse(l).with_context(|| format!("{l:?} is not a level of study (e.g. \"CAP\", \"bac\", \"bac + 2\")"))?),
        None => None,
    };
    let kind = kind.map(|k| match k {
        KindArg::Metier => Kind::Metier,
        KindArg::Formation => Kind::Formation,
    });
    let filter = retrieval::store::PayloadFilter {
        kind,
        interests_any: facets.interests.clone(),
        max_level,
        conditions_none: facets.without.clone(),
        ..Default::default()
    };
    let dense = searcher.query_vector(query)?;
    let found = searcher.profile_search(&dense, filter, k)?;
    let hits: Vec<serde_json::Value> = found
        .iter()
        .filter_map(|(id, score)| searcher.document(id).map(|d| (d, score)))
        .map(|(d, score)| {
            serde_json::json!({
                "id": d.id, "title": d.display_title(), "kind": d.kind, "level": d.facts.level,
                "interests": d.facts.interests, "conditions": d.facts.conditions, "score": score, "url": d.url,
            })
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "hits": hits }))?);
    } else {
        for (i, h) in hits.iter().enumerate() {
            let level = h["level"].as_str().unwrap_or("niveau non précisé");
            println!(
                "{:>2}. {} — {} ({level}) [{:.4}]\n    {}",
                i + 1,
                h["id"].as_str().unwrap_or(""),
                h["title"].as_str().unwrap_or(""),
                h["score"].as_f64().unwrap_or(0.0),
                h["url"].as_str().unwrap_or("")
            );
        }
    }
    Ok(())
}

fn ask(
    app: &App,
    log_section: &crate::config::LogSection,
    question: &str,
    json: bool,
    max_tokens: usize,
    generator: Option<String>,
    generation: assistant::GenerationMode,
) -> Result<()> {
    if question.trim().is_empty() {
        bail!("la question est vide");
    }
    let searcher = app.searcher()?;
    let generator = match generator {
        Some(name) => app.generator_named(&name)?,
        None => app.generator()?,
    };
    let generator_info = generator.info().clone();
    let config = AssistantConfig { max_tokens, generation, ..Default::default() };
    let mut assistant = Assistant::new(searcher, generator, config)?;
    assistant.index_version = app.index_version();
    let mut out = std::io::stdout();
    let answer = assistant.ask(question, true, &mut |e| {
        if !json {
            let Event::Text(t) = e;
            let _ = out.write_all(t.as_bytes());
            let _ = out.flush();
        }
    })?;
    // Only redacted text reaches the log (P9, P11). Opened now, so its lock is held briefly.
    let mut log = app.transparency_log(log_section)?;
    log.append(assistant::TURN_RECORD, serde_json::to_value(answer.record(assistant::Channel::Cli, None))?)?;
    if json {
        let v = serde_json::json!({
            "answer": answer.answer,
            "action": answer.action,
            "handoff": answer.handoff,
            "receipt": answer.receipt,
            "sources": answer.sources,
            "attributions": answer.attributions,
            "no_answer": answer.no_answer,
            "coverage": answer.coverage,
            "dropped_sentences": answer.dropped_sentences,
            "asked": answer.asked,
            "named": answer.named,
            "live_data": answer.live_data,
            "exploration": answer.exploration,
            "generated": answer.generated,
            "generation": answer.generation,
            "generator": generator_info,
            "index_version": app.index_version(),
            "timings_ms": { "retrieval": answer.retrieval_ms, "first_text": answer.first_text_ms, "total": answer.total_ms },
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!();
        if !answer.sources.is_empty() {
            println!("\nSources :");
            for s in &answer.sources {
                println!("- {} : {}", s.title, s.url);
            }
            for a in &answer.attributions {
                println!("Source : {a}.");
            }
        }
        app.say(&format!(
            "[réponse générée par une IA ; premier texte {:.1} s, total {:.1} s ; charte : {}]",
            answer.first_text_ms / 1e3,
            answer.total_ms / 1e3,
            answer.receipt.points.join(", ")
        ));
    }
    Ok(())
}

fn eval_retrieval(app: &App, questions: &std::path::Path, mode: ModeArg, limit: Option<usize>, json: bool) -> Result<()> {
    let qs = eval::retrieval_eval::read_questions(&questions.display().to_string(), limit)?;
    let searcher = app.searcher()?;
    let threshold = AssistantConfig::default().no_answer_threshold;
    let r = eval::retrieval_eval::evaluate(&searcher, &qs, mode.into(), threshold)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!("mode {}  n={}  recall@1={:.3}  recall@5={:.3}  recall@10={:.3}  MRR={:.3}", r.mode, r.n, r.recall_at_1, r.recall_at_5, r.recall_at_10, r.mrr);
        for (intent, m) in &r.per_intent {
            println!("  {intent:<24} n={:<4} r@1={:.3} r@5={:.3} r@10={:.3} MRR={:.3}", m.n, m.recall_at_1, m.recall_at_5, m.recall_at_10, m.mrr);
        }
        if let Some(rate) = r.out_of_corpus_refused {
            println!("out-of-corpus: {} questions, {:.0}% under the no-answer threshold {:.2}", r.out_of_corpus, rate * 100.0, r.threshold);
        }
        println!("in-corpus questions under the threshold: {:.1}%", r.in_corpus_refused * 100.0);
        if let Some(rate) = r.out_of_corpus_declined {
            println!(
                "out-of-corpus declined or answered with the \"not in the fiches\" note: {:.0}% (in-corpus: {:.1}%)",
                rate * 100.0,
                r.in_corpus_declined * 100.0
            );
        }
        for m in r.misses.iter().take(15) {
            println!("  miss {}: gold {:?} got {:?} — {}", m.id, m.gold, m.got, m.question);
        }
    }
    Ok(())
}

fn bench_generate(app: &App, model: Option<String>, prompt_tokens: usize, gen_tokens: usize, runs: usize, streams: usize) -> Result<()> {
    anyhow::ensure!(streams >= 1, "--streams must be at least 1");
    // With `[generator] url` and no model named: the remote engine alone (no local fallback).
    let (name, generator): (String, std::sync::Arc<dyn inference::Generator>) = match (model, &app.remote_generator) {
        (None, Some(remote)) => (format!("{} at {}", remote.model, remote.url), std::sync::Arc::new(inference::RemoteGenerator::new(remote.clone()))),
        (model, _) => {
            let name = model.unwrap_or_else(|| app.registry.roles.generator.clone());
            let generator = app.generator_named(&name)?;
            (name, generator)
        }
    };
    // A French prompt of about the requested length, different per run and stream so no cache
    // is reused.
    let base = "Le métier d'infirmier consiste à soigner les patients, à surveiller leur état de santé et à travailler avec les médecins à l'hôpital. ";
    let per = generator.count_tokens(base)?.max(1);
    println!("model {name}, threads {}, streams {streams}", inference::default_threads());
    let one = |run: usize, stream: usize| -> Result<inference::GenerationStats> {
        // About `prompt_tokens` in all, counting the chat template's few tokens.
        let text = format!("Essai {run}.{stream}. {}", base.repeat((prompt_tokens / per).max(1)));
        let mut req = GenerationRequest::new(vec![ChatMessage::new(Role::User, text)]);
        req.max_tokens = gen_tokens;
        req.repeat_penalty = 1.0;
        req.ignore_stop = true;
        let mut s = generator.generate(&req, &mut |_| true)?;
        if s.prompt_tokens == 0 {
            // A streamed OpenAI answer does not say how long the prompt was: counted here.
            s.prompt_tokens = req.messages.iter().map(|m| generator.count_tokens(&m.content)).sum::<Result<usize, _>>()?;
        }
        Ok(s)
    };
    let (mut pre, mut dec, mut agg, mut wall_rate) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 0..runs {
        let t = std::time::Instant::now();
        let all: Vec<inference::GenerationStats> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..streams).map(|stream| scope.spawn(move || one(run, stream))).collect();
            handles.into_iter().map(|h| h.join().map_err(|_| anyhow::anyhow!("a bench stream panicked"))?).collect::<Result<_>>()
        })?;
        let wall = t.elapsed().as_secs_f64();
        let rate = |s: &inference::GenerationStats| s.generated_tokens.saturating_sub(1) as f64 / (s.decode_ms / 1e3);
        let prefill = |s: &inference::GenerationStats| (s.prompt_tokens - s.cached_prompt_tokens) as f64 / (s.prefill_ms / 1e3);
        let rates: Vec<f64> = all.iter().map(rate).collect();
        let generated: usize = all.iter().map(|s| s.generated_tokens).sum();
        let peak = all.iter().map(|s| s.peak_batch).max().unwrap_or(0);
        for (i, s) in all.iter().enumerate() {
            println!(
                "run {run} stream {i}: first text after {:.0} ms (prompt {} tok, {} from cache, {:.1} tok/s), generated {} tok at {:.1} tok/s, whole {:.0} ms",
                s.prefill_ms,
                s.prompt_tokens,
                s.cached_prompt_tokens,
                prefill(s),
                s.generated_tokens,
                rates[i],
                s.prefill_ms + s.decode_ms
            );
        }
        let sum: f64 = rates.iter().sum();
        println!(
            "run {run}: {streams} streams, peak batch {peak}, decode {sum:.1} tok/s in all ({generated} tokens in {wall:.1} s with prefill: {:.1} tok/s)",
            generated as f64 / wall
        );
        pre.extend(all.iter().map(prefill));
        dec.extend(rates);
        agg.push(sum);
        wall_rate.push(generated as f64 / wall);
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    println!(
        "median: prefill {:.1} tok/s, decode {:.1} tok/s per stream, {:.1} tok/s aggregate over {streams} streams ({:.1} tok/s counting prefill)",
        med(&mut pre),
        med(&mut dec),
        med(&mut agg),
        med(&mut wall_rate)
    );
    Ok(())
}

fn bench_embed(app: &App, n: usize, max_tokens: usize, dump: Option<PathBuf>) -> Result<()> {
    let mut embedder = app.e5_embedder()?;
    embedder.max_tokens = max_tokens.clamp(8, 512);
    let docs = retrieval::index::load_documents(&app.data_dir, &app.home.join("data"))?;
    // The passages ingest embeds (dense ones), in corpus order.
    let texts: Vec<String> =
        docs.iter().flat_map(retrieval::chunk::chunk_document).filter(|c| c.dense).map(|c| c.indexed_text().replace('\n', " ")).take(n).collect();
    if let Some(path) = &dump {
        std::fs::write(path, texts.join("\n") + "\n")?;
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let t = Instant::now();
    let vectors = embedder.embed(&refs, TextKind::Passage)?;
    let s = t.elapsed().as_secs_f64();
    println!("orient (candle), max {} tokens: {} passages in {s:.2} s: {:.1} passages/s", embedder.max_tokens, refs.len(), refs.len() as f64 / s);
    // With --dump, the first vector too, for a cosine check against the reference engine.
    if let (Some(path), Some(v)) = (&dump, vectors.first()) {
        let first: Vec<String> = v.iter().map(|x| format!("{x:.7}")).collect();
        std::fs::write(path.with_extension("first.txt"), first.join("\n") + "\n")?;
    }
    Ok(())
}

fn bench_search(app: &App, questions: &std::path::Path, limit: usize) -> Result<()> {
    let qs = eval::retrieval_eval::read_questions(&questions.display().to_string(), Some(limit))?;
    let searcher = app.searcher()?;
    let opts = SearchOptions { k: 10, ..Default::default() };
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    };
    // Warm-up: page the index in.
    for q in qs.iter().take(10) {
        searcher.search(&q.question, &opts)?;
    }
    searcher.clear_cache();
    let vectors: Vec<Vec<f32>> = qs.iter().map(|q| searcher.query_vector(&q.question)).collect::<Result<_, _>>()?;
    let (mut full, mut search_only, mut cached) = (Vec::new(), Vec::new(), Vec::new());
    for (q, v) in qs.iter().zip(&vectors) {
        searcher.clear_cache();
        let t = Instant::now();
        searcher.search(&q.question, &opts)?;
        full.push(t.elapsed().as_secs_f64() * 1e3);
        searcher.clear_cache();
        let t = Instant::now();
        searcher.search_with_vector(&q.question, Some(v.clone()), &opts)?;
        search_only.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        searcher.search(&q.question, &opts)?;
        cached.push(t.elapsed().as_secs_f64() * 1e3);
    }
    println!("{} questions, top 10 fiches, hybrid, qdrant-edge, {} fiches indexed", qs.len(), searcher.documents().count());
    println!("with embedding:    p50 {:.2} ms  p99 {:.2} ms", pct(&mut full, 0.5), pct(&mut full, 0.99));
    println!("search only:       p50 {:.2} ms  p99 {:.2} ms", pct(&mut search_only, 0.5), pct(&mut search_only, 0.99));
    println!("repeated (cached): p50 {:.3} ms  p99 {:.3} ms", pct(&mut cached, 0.5), pct(&mut cached, 0.99));
    Ok(())
}

fn bench_state(url: Option<String>, conversations: usize, threads: usize) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let location = state::Location::parse(url.as_deref().unwrap_or_default(), tmp.path().join("bench.sqlite"))?;
    let limits = state::Limits { history: 20, capacity: 1_000_000, ttl: std::time::Duration::from_secs(3600), max_waiting: 2000, max_waiting_per_client: 3 };
    let store = std::sync::Arc::new(state::Conversations::open(state::open(&location)?, limits)?);
    let threads = threads.max(1);
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || -> Result<Vec<f64>> {
                let mut times = Vec::new();
                for i in (t..conversations).step_by(threads) {
                    let t0 = Instant::now();
                    let (id, _) = store.begin(None)?;
                    store.record_turn(&id, Some("bench"), &format!("question {i}"), "réponse", None, &[], &[])?;
                    let (_, known) = store.begin(Some(&id))?;
                    anyhow::ensure!(known.is_some(), "a conversation recorded was not found again");
                    store.record_turn(&id, Some("bench"), "et ça gagne combien ?", "réponse", None, &[], &[])?;
                    store.messages_after(&id, 0)?;
                    times.push(t0.elapsed().as_secs_f64() * 1e3);
                }
                Ok(times)
            })
        })
        .collect();
    let mut times = Vec::new();
    for h in handles {
        times.extend(h.join().map_err(|_| anyhow::anyhow!("a bench thread panicked"))??);
    }
    let wall = started.elapsed().as_secs_f64();
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    println!("{}: {conversations} conversations × (2 turns recorded, 2 reads, 1 poll), {threads} threads", location.describe());
    println!(
        "{:.0} conversations/s ({:.0} turns recorded/s); per conversation p50 {:.2} ms, p99 {:.2} ms",
        conversations as f64 / wall,
        2.0 * conversations as f64 / wall,
        pct(0.5),
        pct(0.99)
    );
    Ok(())
}

/// Verify one or several replicas' log files: each against its trusted key and the head its
/// replica published in the state store (a file cut back behind it fails); replicas that
/// published a head but whose file was not given are named.
fn log_verify(app: &App, config: &crate::config::Config, files: Vec<PathBuf>, public_keys: Vec<String>, json: bool) -> Result<()> {
    let parse_key = |h: &str| -> Result<ed25519_dalek::VerifyingKey> {
        let b: [u8; 32] =
            hex::decode(h.trim()).ok().and_then(|b| b.try_into().ok()).ok_or_else(|| anyhow::anyhow!("--public-key must be 64 hex characters"))?;
        ed25519_dalek::VerifyingKey::from_bytes(&b).map_err(|e| anyhow::anyhow!("invalid public key: {e}"))
    };
    // `HEX` for every file, or `REPLICA=HEX` for one replica's chain.
    let (mut any_key, mut per_replica) = (None, std::collections::HashMap::new());
    for k in &public_keys {
        match k.split_once('=') {
            Some((replica, hex_key)) => {
                per_replica.insert(replica.trim().to_string(), parse_key(hex_key)?);
            }
            None => any_key = Some(parse_key(k)?),
        }
    }
    if public_keys.is_empty() {
        any_key = config.log_public_key(app.transparency_log_config(&config.log)?.signing_key.as_ref());
    }
    let files = if files.is_empty() { vec![app.home.join("log").join("transparency.jsonl")] } else { files };
    // The published heads; without a reachable store, the chains are checked on their own.
    let heads = match config.state_location(&app.home) {
        // Never make a store to read from: a home without one has published nothing.
        Ok(state::Location::Sqlite(p)) if !p.exists() => Ok(Vec::new()),
        Ok(l) => state::open(&l).and_then(|s| s.log_heads()).map_err(anyhow::Error::from),
        Err(e) => Err(e),
    };
    let heads = match heads {
        Ok(h) => h,
        Err(e) => {
            eprintln!("note: no published log heads ({e}); each chain is checked on its own");
            Vec::new()
        }
    };
    let mut reports = Vec::new();
    for file in &files {
        let first = guardrails::log::verify(file, &guardrails::log::VerifyOptions::default())?;
        let replica = first.replica.clone();
        let key = replica.as_ref().and_then(|r| per_replica.get(r)).or(any_key.as_ref());
        let published = heads.iter().find(|h| Some(&h.replica) == replica.as_ref()).map(|h| (h.seq, h.hash.as_str()));
        let opts = guardrails::log::VerifyOptions { trusted_key: key, checkpoint_every: config.log.checkpoint_every, published_head: published };
        reports.push(guardrails::log::verify(file, &opts)?);
    }
    let missing: Vec<&state::LogHead> = heads.iter().filter(|h| !reports.iter().any(|r| r.replica.as_ref() == Some(&h.replica))).collect();
    if json {
        let out = if reports.len() == 1 && missing.is_empty() {
            serde_json::to_value(&reports[0])?
        } else {
            serde_json::json!({ "chains": reports, "not_given": missing })
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for r in &reports {
            println!(
                "{}{}: {} records (seq {:?}..{:?}), {} checkpoints, {} records after the last one: {}",
                r.file,
                r.replica.as_ref().map(|n| format!(" (replica {n})")).unwrap_or_default(),
                r.records,
                r.first_seq,
                r.last_seq,
                r.checkpoints,
                r.unsigned_tail,
                r.summary()
            );
            for p in &r.problems {
                println!("  line {}: {} — {}", p.line, p.kind, p.detail);
            }
        }
        for h in &missing {
            println!("replica {}: published head seq {}, its file was not given: not verified", h.replica, h.seq);
        }
        let damaged: Vec<String> = reports.iter().filter(|r| !r.ok).map(|r| r.replica.clone().unwrap_or_else(|| r.file.clone())).collect();
        if reports.len() > 1 || !missing.is_empty() {
            match damaged.is_empty() {
                true => println!("deployment: {} chain(s) intact", reports.len()),
                false => println!("deployment: DAMAGED chain(s): {}", damaged.join(", ")),
            }
        }
    }
    if reports.iter().any(|r| !r.ok) {
        std::process::exit(2);
    }
    Ok(())
}
