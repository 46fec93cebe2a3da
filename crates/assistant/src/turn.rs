//! One turn: input rails → (retrieve → facts streamed at once → generate, each sentence
//! checked) → sources and a receipt naming every charter point applied.

use crate::explore::Exploration;
use crate::facts::{facts_block, Picks};
use crate::grounding::{Evidence, SentenceFilter};
use crate::profile::Profile;
use crate::prompt::build_messages;
use crate::question::{Asked, Question};
use crate::receipt::{cpu_time_ms, Receipt};
use crate::replies;
use guardrails::output::{check_sentence, disclosure_verdict, Fix, AI_DISCLOSURE};
use guardrails::semantic::{EncodeError, SemanticError};
use guardrails::{Action, Guard, History, InputReport, Verdict};
use inference::{GenerationRequest, GenerationStats, Generator, InferenceError, TextKind};
use retrieval::search::{SearchError, Searcher};
use retrieval::{Document, Hit, Kind, Level, SearchOptions};
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum AssistantError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Inference(#[from] InferenceError),
    #[error("la question est vide")]
    EmptyQuestion,
    #[error(transparent)]
    Rails(#[from] EncodeError),
    #[error(transparent)]
    Semantic(#[from] SemanticError),
    #[error(transparent)]
    OpenHead(#[from] crate::open_head::OpenHeadError),
}

#[derive(Debug, Clone)]
pub struct AssistantConfig {
    /// Fiches retrieved.
    pub top_k: usize,
    /// Fiches whose facts are stated.
    pub fact_fiches: usize,
    pub max_tokens: usize,
    /// Below this cosine similarity between the question and the closest passage, the
    /// corpus does not cover the question: say so instead of answering.
    pub no_answer_threshold: f32,
    /// Whether the model adds a bridge sentence under the card.
    pub generation: GenerationMode,
}

/// What the model adds to the card of facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GenerationMode {
    /// Nothing: the card, the sources and the receipt (measured the better answers; see
    /// `docs/benchmarks.md`, "Answers").
    #[default]
    Off,
    /// One sentence linking the person's situation to the card, checked against the cited
    /// fiches and dropped when not supported.
    Bridge,
}

impl std::str::FromStr for GenerationMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "off" => Ok(GenerationMode::Off),
            "bridge" => Ok(GenerationMode::Bridge),
            _ => Err(format!("unknown generation mode {s:?} (off or bridge)")),
        }
    }
}

impl Default for AssistantConfig {
    fn default() -> Self {
        AssistantConfig { top_k: 5, fact_fiches: 2, max_tokens: 60, no_answer_threshold: 0.83, generation: GenerationMode::Off }
    }
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Source {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub url: String,
    /// Who publishes the fiche: "Onisep" or "France Travail (ROME 4.0)".
    pub publisher: String,
}

#[derive(Debug, Clone, Default)]
pub struct TurnOptions {
    /// Add the AI disclosure (P1).
    pub first_turn: bool,
    /// Suggest a reply to a counsellor instead of answering the user.
    pub for_counsellor: bool,
    /// The conversation's previous question (already redacted), for a short follow-up question
    /// ("et le salaire ?") that names no métier itself.
    pub previous_question: Option<String>,
    /// What the rails read of the conversation (previous messages, pending distress).
    pub history: History,
    /// The input rails' report when the caller already ran them (the service decides queue and
    /// cache from it): the turn does not run them twice.
    pub checked: Option<InputReport>,
    /// Set when nobody waits for the answer any more (the client went away): generation stops
    /// at the next token and frees its slot.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// What the conversation learnt of the person so far (interests, level, exclusions), as
    /// the widget shows it and sends it back; an open question refines it.
    pub profile: Option<Profile>,
    /// Where the model's turns queue (the service's workers): waited for only once the facts
    /// card is shown, so that a card never waits behind other people's generated sentences.
    pub model_slot: Option<std::sync::Arc<dyn ModelSlot>>,
}

/// A place in the queue for the model, held while it writes.
pub trait ModelSlot: Send + Sync + std::fmt::Debug {
    /// Blocks until the model is free for this turn; the guard frees it when dropped. `None`:
    /// nobody waits for the answer any more (the card shown is then the answer).
    fn wait(&self) -> Option<Box<dyn Send>>;
}

/// Follow-ups this short are searched together with the previous question.
pub const FOLLOW_UP_MAX_WORDS: usize = 8;

/// Whether a message is short enough to be read as a follow-up of the previous one.
pub fn is_follow_up(message: &str) -> bool {
    message.split_whitespace().count() <= FOLLOW_UP_MAX_WORDS
}

/// Whether a message asks anything: a question mark or a question word.
fn asks_something(message: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    message.contains('?')
        || R.get_or_init(|| {
            regex::Regex::new(r"\b(?:comment|combien|quel|quels|quelle|quelles|quand|pourquoi|est-ce|c'est quoi|c quoi|koi|kel|kelle)\b")
                .expect("valid pattern")
        })
        .is_match(&guardrails::normalise::normalise(message))
}

/// Whether a message asks for other jobs, things or ideas, rather than other ways to one.
fn asks_for_other_jobs(message: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| regex::Regex::new(r"\b(?:autres? (?:metiers?|jobs?|boulots?|trucs?|pistes?|idees?|choses?|domaines?)|quoi d'? ?autres?|autre chose|ce genre de (?:choses?|metiers?|trucs?)|(?:metiers?|jobs?) (?:proches?|similaires?|voisins?))\b").expect("valid pattern"))
        .is_match(&guardrails::normalise::normalise(message))
}

/// Whether the words before a course's name say the person means to take it ("je vais faire
/// un", "je voudrais passer un"), not that it is someone else's ("section", "mes élèves de").
fn is_meant(before: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        regex::Regex::new(
            r"\b(?:faire|fais|fait|passer|passe|preparer|prepare|commencer|commence|integrer|entrer en|rentrer en|m'inscrire en)(?: un| une| le| la| l'| en)?$",
        )
        .expect("valid pattern")
    })
    .is_match(before.trim())
}

/// Whether the words before a job's name give it as an example ("genre", "un métier comme").
fn is_an_example(before: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    // "comme" after a kind of thing only: "je veux bosser comme infirmière" names the goal.
    R.get_or_init(|| {
        regex::Regex::new(
            // The second of a list of examples too ("genre journaliste ou youtubeur").
            r"(?:^|\s)(?:genre|style|du genre|un peu comme|tel que|telle que|par exemple|(?:metiers?|trucs?|jobs?|boulots?|chose|choses|domaines?) comme)(?: [\w'-]+(?: [\w'-]+){0,3},? (?:ou|et))?$",
        )
        .expect("valid pattern")
    })
    .is_match(before.trim())
}

/// What streams to the user, in order.
#[derive(Debug, Clone)]
pub enum Event {
    /// Checked answer text.
    Text(String),
}

/// An open question's way: the fiches never proposed (the person's situation, and the jobs
/// they want an alternative to), and whether it refines paths proposed before.
struct OpenRoute {
    not_proposed: Vec<String>,
    /// The jobs the person wants an alternative to ("d'autres métiers proches de
    /// psychologue").
    alternative_to: Vec<String>,
    refining: bool,
    /// Read as open by the open-question head where the rules read a named question.
    by_head: bool,
    /// The course whose jobs the person asks for while ruling something out, and the jobs
    /// its fiche (and its options') lists, none ruled out (see `Assistant::course_asked_with_a_rule_out`).
    course: Option<CourseJobs>,
}

/// A course and the métiers its fiche and its options' fiches lead to.
struct CourseJobs {
    /// The course's fiche: its card comes first.
    id: String,
    title: String,
    /// Every métier the course leads to: their centres d'intérêt stand for the person's tastes.
    all: Vec<String>,
    /// Those the person does not rule out: proposed first.
    kept: Vec<String>,
}

/// Why a conversation goes to a counsellor.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Handoff {
    /// `urgent` (distress) or `normal` (asked for a human).
    pub priority: String,
    pub reason: String,
}

/// A card's item naming its diploma's options: the card's fiche, the item, and the other
/// options it names (cited as sources).
type OptionsItem<'s> = (&'s Document, String, Vec<&'s Document>);

#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub answer: String,
    pub sources: Vec<Source>,
    /// Data sets the answer rests on, for attribution (ONISEP first; ROME when its titles
    /// helped find a fiche).
    pub attributions: Vec<String>,
    /// The combined decision of the input rails.
    pub action: Action,
    pub handoff: Option<Handoff>,
    /// The user's message as it was passed on (personal data replaced).
    pub redacted_question: String,
    /// The corpus does not cover the question.
    pub no_answer: bool,
    /// The question asks for dates, this year's amounts or a named school's results, which the
    /// fiches do not hold: the answer says so before giving what the fiches say.
    pub needs_live_data: bool,
    /// Which data outside the fiches it asks for.
    pub live_data: Vec<crate::live_data::LiveData>,
    /// The live-data head alone read data outside the fiches in a question a card answers
    /// (a fiche named or covered, something it answers asked): the card comes first, and where
    /// such data is found follows it.
    pub live_data_after: bool,
    /// What the question asks, as read.
    pub asked: Question,
    /// Fiches the question names (title, synonym or acronym), in the order named.
    pub named: Vec<String>,
    /// Cosine similarity of the closest passage.
    pub coverage: f32,
    /// Generated sentences dropped by the output rails (unsupported figures, prescriptive or
    /// stereotyped wording).
    pub dropped_sentences: Vec<String>,
    /// What the model added and the checks kept (empty when generation is off).
    pub generated: String,
    /// Every generated sentence as checked against the cited fiches.
    pub sentence_checks: Vec<crate::grounding::SentenceCheck>,
    /// For an open question: the person's profile, the métiers proposed, the question asked back.
    pub exploration: Option<Exploration>,
    pub generation: Option<GenerationStats>,
    pub retrieval_ms: f64,
    pub first_text_ms: f64,
    pub total_ms: f64,
    pub receipt: Receipt,
}

/// Where a turn came from, as the transparency log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// `orient ask`.
    Cli,
    /// The widget (`POST /v1/chat`).
    Chat,
    /// The OpenAI-compatible route.
    OpenAi,
}

/// The log record of a turn (kind [`TURN_RECORD`]), the same for every front end: what the
/// person wrote (redacted), what they were told, the receipt and the handoff (P9, P11).
#[derive(Debug, Serialize)]
pub struct TurnRecord<'a> {
    pub channel: Channel,
    /// The conversation's keyed pseudonym (never its id); none for a single question.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation: Option<String>,
    pub message: &'a str,
    pub answer: &'a str,
    pub receipt: &'a Receipt,
    pub handoff: Option<&'a Handoff>,
}

pub const TURN_RECORD: &str = "turn";

impl Answer {
    /// What the transparency log keeps of this turn.
    pub fn record(&self, channel: Channel, conversation: Option<String>) -> TurnRecord<'_> {
        TurnRecord { channel, conversation, message: &self.redacted_question, answer: &self.answer, receipt: &self.receipt, handoff: self.handoff.as_ref() }
    }
}

/// A further fiche's facts are stated when it scores at least this share of the best fiche.
const SECOND_FICHE_RATIO: f32 = 0.6;
/// The same for a question that asks something precise.
const PRECISE_SECOND_FICHE_RATIO: f32 = 0.95;

pub const ONISEP_SOURCE: &str = "Onisep, Idéo-Fiches métiers / Idéo-Fiches formations, 25/06/2024 (Licence Ouverte)";

pub const NO_ANSWER: &str = "Je ne sais pas répondre à cette question avec les fiches de l'Onisep dont je dispose. \
Tu peux reformuler ta question, ou en parler avec un conseiller ou une conseillère : c'est gratuit.";

pub struct Assistant {
    pub searcher: Arc<Searcher>,
    /// Input rails: rules and the semantic layer on the searcher's embedder.
    pub guard: Guard,
    pub generator: Arc<dyn Generator>,
    pub config: AssistantConfig,
    /// Version of the index, for receipts.
    pub index_version: String,
    /// The formations' links to each other, for "comment on y arrive depuis la 3e ?".
    paths: crate::path::Paths,
    /// What the fiches of each diploma type say together.
    diplomas: crate::diplomas::Diplomas,
    /// Reads whether a message asks for paths; absent when the searcher's embedder is not the
    /// one it was trained on (the routing rules then decide alone).
    open_head: Option<crate::open_head::OpenQuestionHead>,
    /// Reads whether a question asks for data the fiches do not hold when its words do not say
    /// it; absent when the searcher's embedder is not the one it was trained on.
    live_data_head: Option<crate::open_head::LogisticHead>,
    /// Ranks the card's fiches' sentences by meaning against each part of the question.
    ranker: crate::meaning::SentenceRanker,
}

/// Collects the streamed text and the timing of its first piece.
struct Out<'a> {
    text: String,
    first_ms: f64,
    t0: Instant,
    sink: &'a mut dyn FnMut(Event),
    cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    model_slot: Option<std::sync::Arc<dyn ModelSlot>>,
}

impl Out<'_> {
    fn emit(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.text.is_empty() {
            self.first_ms = self.t0.elapsed().as_secs_f64() * 1e3;
        }
        self.text.push_str(s);
        (self.sink)(Event::Text(s.to_string()));
    }
}

impl Assistant {
    /// The assistant with its rails on the searcher's embedder (refused if the shipped semantic
    /// head was trained on another encoder).
    pub fn new(searcher: Arc<Searcher>, generator: Arc<dyn Generator>, config: AssistantConfig) -> Result<Self, AssistantError> {
        let guard = crate::rails::guard(searcher.embedder_handle())?;
        let paths = crate::path::Paths::new(searcher.documents());
        let diplomas = crate::diplomas::Diplomas::new(searcher.documents());
        let head = crate::open_head::OpenQuestionHead::builtin()?;
        let open_head = if head.reads(&searcher.embedder_handle().info().sha256) {
            Some(head)
        } else {
            tracing::warn!("the open-question head was trained on {}, not this embedder: open questions are read by the rules alone", head.encoder);
            None
        };
        let head = crate::live_data::head()?;
        let live_data_head = if head.reads(&searcher.embedder_handle().info().sha256) {
            Some(head)
        } else {
            tracing::warn!("the live-data head was trained on {}, not this embedder: data outside the fiches is read by its words alone", head.encoder);
            None
        };
        let ranker = crate::meaning::SentenceRanker::new(searcher.embedder_handle());
        Ok(Assistant { searcher, guard, generator, config, index_version: String::new(), paths, diplomas, open_head, live_data_head, ranker })
    }

    /// The input rails' report for a message in its conversation. If the rails' encoder fails,
    /// the rules decide alone and the failure is logged (without the message).
    pub fn check(&self, message: &str, history: &History) -> InputReport {
        let (mut report, failure) = self.guard.check_or_rules(message, history);
        if let Some(e) = failure {
            tracing::error!("rails encoder failed, the rules decided alone: {e}");
        }
        crate::rails::with_orientation_evidence(&mut report, |text| self.searcher.named_with_names(text));
        report
    }

    /// Compute the system prompt's cache and touch the index once, so the first user does not
    /// wait for it.
    pub fn warm_up(&self) -> Result<(), AssistantError> {
        let hits = self.searcher.search("métier", &SearchOptions { k: 1, ..Default::default() })?;
        let mut req = GenerationRequest::new(build_messages("métier", &hits[0].title));
        req.max_tokens = 1;
        // A remote engine may be down at start: the answers still come (the card alone, or the
        // local model behind it), so this is said, not fatal.
        if let Err(e) = self.generator.generate(&req, &mut |_| true) {
            tracing::warn!("the generator did not answer the warm-up: {e}");
        }
        Ok(())
    }

    /// Answer one message. `first_turn` adds the AI disclosure (P1).
    pub fn ask(&self, question: &str, first_turn: bool, on_event: &mut dyn FnMut(Event)) -> Result<Answer, AssistantError> {
        self.turn(question, TurnOptions { first_turn, ..Default::default() }, on_event)
    }

    /// A reply suggested to a counsellor (P7): the same pipeline, but a conversation already
    /// handed off still gets an answer from the fiches (after the help numbers when the user
    /// is in distress), since a person reads it before anything is sent.
    pub fn suggest(&self, question: &str, history: History, on_event: &mut dyn FnMut(Event)) -> Result<Answer, AssistantError> {
        self.turn(question, TurnOptions { for_counsellor: true, history, ..Default::default() }, on_event)
    }

    pub fn turn(&self, question: &str, mut opts: TurnOptions, on_event: &mut dyn FnMut(Event)) -> Result<Answer, AssistantError> {
        let first_turn = opts.first_turn;
        let question = question.trim();
        if question.is_empty() {
            return Err(AssistantError::EmptyQuestion);
        }
        let t0 = Instant::now();
        let cpu0 = cpu_time_ms();
        let input = match opts.checked.take() {
            Some(input) => input,
            None => self.check(question, &opts.history),
        };
        // The log and the receipt keep the whole message; the answer reads what follows a
        // clause that steers the conversation ("oublie ce que j'ai dit, …").
        let whole_redacted = input.redacted.clone();
        let input = crate::rails::without_the_steering_clause(input);
        let mut out = Out { text: String::new(), first_ms: 0.0, t0, sink: on_event, cancel: opts.cancel.clone(), model_slot: opts.model_slot.clone() };
        let mut verdicts = input.verdicts.clone();
        // "t'es un robot ?" and nothing more: the answer is what the assistant is (P1).
        let only_what_i_am = input.action == Action::Answer && input.fired("ai_question") && guardrails::input::asks_only_what_the_assistant_is(question);
        // "bonjour", "merci, à demain": a courtesy gets one back, not a fiche. A bare "ok" in a
        // conversation may answer the assistant's question, and goes on as before.
        let in_conversation = opts.previous_question.is_some() || opts.profile.is_some();
        let courtesies = matches!(input.action, Action::Answer | Action::RedactAndAnswer)
            .then(|| guardrails::courtesy::courtesies_only(&guardrails::semantic::encoder_text(question)))
            .flatten()
            .filter(|kinds| !(in_conversation && kinds.iter().all(|k| *k == guardrails::courtesy::Courtesy::Ack)));
        if first_turn {
            if !only_what_i_am {
                out.emit(AI_DISCLOSURE);
            }
            verdicts.push(disclosure_verdict());
        }
        let mut answer = Answer {
            answer: String::new(),
            sources: Vec::new(),
            attributions: Vec::new(),
            action: input.action,
            handoff: None,
            redacted_question: whole_redacted,
            no_answer: false,
            needs_live_data: false,
            live_data_after: false,
            live_data: Vec::new(),
            asked: Question::default(),
            named: Vec::new(),
            coverage: 0.0,
            dropped_sentences: Vec::new(),
            generated: String::new(),
            sentence_checks: Vec::new(),
            exploration: None,
            generation: None,
            retrieval_ms: 0.0,
            first_text_ms: 0.0,
            total_ms: 0.0,
            receipt: Receipt::default(),
        };
        match input.action {
            // A person in distress gets a human's words: the draft is fixed text, never the
            // model's (P8). A plain request for a human still gets an answer from the fiches.
            Action::Handoff if opts.for_counsellor && input.fired("distress") => out.emit(replies::COUNSELLOR_DISTRESS_DRAFT),
            Action::Handoff if opts.for_counsellor => self.answer(&input, None, opts.profile.take(), &mut out, &mut answer, &mut verdicts)?,
            Action::Handoff => {
                let distress = input.fired("distress");
                out.emit(if distress { replies::DISTRESS } else { replies::HUMAN });
                answer.handoff = Some(Handoff {
                    priority: if distress { "urgent" } else { "normal" }.into(),
                    reason: input.verdicts.iter().filter(|v| v.action == Action::Handoff).map(|v| v.reason.clone()).collect::<Vec<_>>().join("; "),
                });
                // The help first; then paths, when only the encoder read distress in a message
                // that asks for them or tells what the person likes.
                if let Some(after) = crate::rails::also_answered_after_help(&input) {
                    out.emit(match after {
                        crate::rails::AfterHelp::PathsAsked => replies::PATHS_AFTER_HELP,
                        crate::rails::AfterHelp::TastesTold => replies::PATHS_AFTER_HELP_FOR_TASTES,
                        crate::rails::AfterHelp::TastesAsked => replies::TASTES_ASKED_AFTER_HELP,
                    });
                    self.answer(&input, None, opts.profile.take(), &mut out, &mut answer, &mut verdicts)?;
                    verdicts.push(Verdict::new("distress", Action::Handoff, "P8", "handed off; the paths the message asked for follow the help", None));
                }
            }
            Action::Refuse => out.emit(replies::refusal(&input.verdicts)),
            Action::Answer if only_what_i_am => out.emit(replies::AI_QUESTION),
            Action::Answer | Action::RedactAndAnswer if courtesies.is_some() => out.emit(replies::courtesy(courtesies.as_deref().unwrap_or_default())),
            Action::Answer | Action::RedactAndAnswer | Action::AnswerWithCare => {
                if input.fired("ai_question") {
                    out.emit(&format!("{}\n\n", replies::AI_QUESTION));
                }
                out.emit(&replies::care_preamble(&input.verdicts));
                self.answer(&input, opts.previous_question.as_deref(), opts.profile.take(), &mut out, &mut answer, &mut verdicts)?;
                if answer.live_data_after {
                    out.emit(&format!("\n\n{}", crate::live_data::AFTER_THE_CARD));
                }
                out.emit(replies::care_closing(&input.verdicts));
                // A distress the encoder was unsure of, on a request for paths: answered, and a
                // counsellor reads the conversation too (P7, P8).
                if let Some(v) = input.verdicts.iter().find(|v| crate::rails::is_distress_doubt(v)) {
                    answer.handoff = Some(Handoff { priority: "normal".into(), reason: v.reason.clone() });
                }
            }
        }
        answer.answer = out.text.trim_end().to_string();
        answer.first_text_ms = out.first_ms;
        answer.total_ms = t0.elapsed().as_secs_f64() * 1e3;
        answer.receipt = Receipt::new(&verdicts, &answer, self, cpu_time_ms() - cpu0);
        Ok(answer)
    }

    /// Paths to explore for an open question (P6: several, varied, the choice left to the person).
    #[allow(clippy::too_many_arguments)]
    fn explore(
        &self,
        message: &str,
        query: &str,
        dense: &[f32],
        profile: Profile,
        route: &OpenRoute,
        out: &mut Out,
        answer: &mut Answer,
        verdicts: &mut Vec<Verdict>,
    ) -> Result<(), AssistantError> {
        // "d'autres métiers proches" of a job, with no taste said: the job's own centres
        // d'intérêt stand for the tastes, and the métiers its fiche lists as related come first.
        // The profile the person sees keeps only what they said.
        let near: Vec<&Document> =
            if profile.interests.is_empty() { route.alternative_to.iter().filter_map(|id| self.searcher.document(id)).collect() } else { Vec::new() };
        let proposals = if let Some(course) = &route.course {
            // The jobs the course leads to stand for the tastes when none is said.
            let mut from_course = profile.clone();
            let jobs: Vec<&Document> = course.all.iter().filter_map(|id| self.searcher.document(id)).collect();
            if from_course.interests.is_empty() {
                from_course.interests = shared_by_most(&jobs);
            }
            // No limit said: jobs within one diploma of the course ("à part diététicien" after
            // a BTS is not medicine).
            if from_course.max_level.is_none() {
                from_course.max_level = self.searcher.document(&course.id).and_then(|d| d.facts.level_order()).map(one_diploma_further);
            }
            // The course's own jobs first, then those their fiches (the ruled-out ones' too:
            // "pas prof d'EPS" keeps the sport) list as related.
            let mut first = course.kept.clone();
            first.extend(jobs.iter().flat_map(|d| d.facts.related.iter().map(|l| l.id.clone())));
            crate::explore::propose_starting_with(&self.searcher, query, dense, &from_course, &route.not_proposed, &first)?
        } else if !profile.interests.is_empty() {
            crate::explore::propose(&self.searcher, query, dense, &profile, &route.not_proposed, &[])?
        } else if !near.is_empty() {
            let mut as_near = profile.clone();
            as_near.interests = near.iter().flat_map(|d| d.facts.interests.iter().cloned()).collect();
            as_near.interests.dedup();
            let related: Vec<String> = near.iter().flat_map(|d| d.facts.related.iter().map(|l| l.id.clone())).collect();
            crate::explore::propose(&self.searcher, query, dense, &as_near, &route.not_proposed, &related)?
        } else if crate::profile::names_where_to_work(message) {
            // "j'aimerais travailler dans un aéroport, une idée ?": no taste of ONISEP's list is
            // read, but the place is said; the jobs closest to the message are the paths.
            crate::explore::propose(&self.searcher, query, dense, &profile, &route.not_proposed, &[])?
        } else {
            Vec::new()
        };
        // The course whose jobs are asked says where the person is: their class is not asked.
        let follow_up = crate::explore::follow_up(&profile, &proposals).filter(|f| !(route.course.is_some() && *f == crate::explore::FollowUp::Class));
        let near = if proposals.is_empty() { Vec::new() } else { near.iter().map(|d| d.display_title()).collect() };
        let course = route.course.as_ref().filter(|_| !proposals.is_empty()).map(|c| c.title.clone());
        let exploration = Exploration { profile, proposals, follow_up, address: crate::profile::address(message), near, course };
        // "C'est quoi ce métier et comment on y arrive ?" asked with the tastes: what a card
        // answers (the way in, what the job is, its length, its pay) is said of the first
        // proposal, the closest to what the person describes, from its fiche.
        let asked = Question::read(message);
        let card_asked = [Asked::Access, Asked::Description, Asked::Duration, Asked::Salary, Asked::Procedure].into_iter().any(|a| asked.asks(a));
        let detail = exploration
            .proposals
            .first()
            .filter(|_| card_asked)
            .and_then(|p| self.searcher.document(&p.id))
            .map(|d| facts_block(&asked, &[d], &Picks::default()))
            .filter(|f| !f.trim().is_empty());
        // A course's jobs asked: its card first (what it leads to, without what is ruled out,
        // and what comes after it), the paths after.
        let course_card = route
            .course
            .as_ref()
            .filter(|_| !exploration.proposals.is_empty())
            .and_then(|c| self.searcher.document(&c.id))
            .map(|d| (d, facts_block(&asked, &[d], &Picks::default())))
            .filter(|(_, f)| !f.trim().is_empty());
        if let Some((_, card)) = &course_card {
            out.emit(&format!("D'après les fiches de l'Onisep :\n{card}\n\n"));
        }
        out.emit(&crate::explore::render(&exploration, detail.as_deref()));
        let mut docs: Vec<&Document> = course_card.iter().map(|(d, _)| *d).collect();
        docs.extend(exploration.proposals.iter().filter_map(|p| self.searcher.document(&p.id)));
        answer.sources = sources(&[], &docs);
        if !docs.is_empty() {
            answer.attributions.push(ONISEP_SOURCE.into());
        }
        verdicts.push(Verdict::new(
            "exploration",
            Action::Answer,
            "P6",
            format!(
                "{} métiers proposed from the person's interests, the choice left to them{}",
                exploration.proposals.len(),
                if route.by_head { " (read as a request for paths by the open-question head)" } else { "" }
            ),
            None,
        ));
        verdicts.push(Verdict::new("exploration", Action::Answer, "P4", "proposals read from the question without its self-descriptions", None));
        verdicts.push(Verdict::new(
            "grounding",
            Action::Answer,
            "P2",
            format!(
                "{} sources cited, one per métier proposed{}",
                answer.sources.len(),
                if course_card.is_some() { " and the course whose jobs were asked" } else { "" }
            ),
            None,
        ));
        answer.exploration = Some(exploration);
        Ok(())
    }

    /// Retrieval, facts, generation with output rails.
    fn answer(
        &self,
        input: &InputReport,
        previous: Option<&str>,
        profile: Option<Profile>,
        out: &mut Out,
        answer: &mut Answer,
        verdicts: &mut Vec<Verdict>,
    ) -> Result<(), AssistantError> {
        // A short follow-up is understood with the question before it.
        let with_previous =
            previous.filter(|_| is_follow_up(&input.retrieval_text)).map(|p| format!("{} {}", guardrails::input::retrieval_text(p), input.retrieval_text));
        let query = with_previous.as_deref().unwrap_or(input.retrieval_text.as_str());
        // What this message asks (a follow-up "et le salaire ?" asks the salary of the fiche
        // its previous question named) and what the person rules out.
        let mut asked = Question::read(&input.redacted);
        let t = Instant::now();
        let dense = self.searcher.query_vector(query)?;
        let coverage = self.searcher.coverage(&dense)?;
        // Fiches the person ruled out are never proposed: search a little wider, then drop them.
        let widen = if asked.excluded.is_empty() { 0 } else { 5 };
        let opts = SearchOptions { k: self.config.top_k + widen, ..Default::default() };
        let mut hits = self.searcher.search_with_vector(query, Some(dense.clone()), &opts)?;
        let named_here = self.searcher.named(query);
        let other_names = self.ruled_out_by_another_name(&asked);
        hits.retain(|h| {
            !other_names.contains(&h.id)
                && !self
                    .searcher
                    .document(&h.id)
                    .is_some_and(|d| asked.rules_out(d) || (!named_here.contains(&d.id) && self.leads_only_to_ruled_out(&asked, d)))
        });
        hits.truncate(self.config.top_k);
        // Read without what only says who the person is: a disability, an origin, where one
        // lives or what one's parents do is not a taste ("je suis en situation de handicap"
        // must not read as "je veux être utile aux autres" and bring care jobs).
        let read = Profile::read(&guardrails::context::strip_self_descriptions(&input.redacted), &asked);
        let mut found = self.named_found(&asked, query);
        found.retain(|n| !other_names.contains(&n.id));
        // A trade named by its activity is one taste among others in a message that states
        // tastes ("j'aime la coiffure et la couture"), unless something only its fiche answers
        // is asked ("ouvrir une fromagerie, le secteur recrute ?").
        let only_a_fiche_answers =
            asked.yes_no || asked.asks(Asked::Salary) || asked.asks(Asked::Procedure) || (asked.asks(Asked::Outcomes) && asked.employment);
        if !read.interests.is_empty() && !only_a_fiche_answers {
            let by_activity = self.searcher.named_by_activity(query);
            found.retain(|n| !by_activity.contains(&n.id));
        }
        // Whether the message says "ou": two fiches either side of it are compared (below).
        let says_or = says_or(&input.redacted);
        let named = self.without_unrelated_formations(&asked, Self::named_targets(&asked, &found), says_or);
        answer.retrieval_ms = t.elapsed().as_secs_f64() * 1e3;
        answer.coverage = coverage;
        answer.named = named.clone();
        // Two fiches named either side of "ou" ("CAP AEPE ou diplôme d'EJE ?") are compared.
        asked.comparison |= named.len() >= 2 && says_or;
        answer.asked = asked.clone();
        // Dates, a school's figures, rankings, places: said at once, with where to find them;
        // a fiche is added only when the question names one (it answers the general part).
        answer.live_data = crate::live_data::live_data(&input.redacted);
        // An open question ("jsp quoi faire, j'aime cuisiner") gets paths to explore, not the
        // card of whichever fiche came first.
        let has_profile = profile.as_ref().is_some_and(|p| !p.is_empty());
        // The head reads the message alone, not a follow-up joined to its question.
        let read_open = match (&self.open_head, &with_previous) {
            (Some(head), None) => head.probability(&dense)? >= head.threshold,
            _ => false,
        };
        let route = self.open_question(input, &asked, &found, &hits, &read, has_profile, read_open);
        // Words that say no known kind: the head reads the whole question. When the question
        // asks what a card answers (the pay, the way in…) and names a fiche search agrees on or
        // the fiches cover it ("comment on entre à Sciences Po Grenoble ?"), the head's reading
        // alone does not take the card's place: the card comes first, and where data of this
        // year, of one school or one file is found follows it.
        // Not over an open question: its paths come first (its words name the places it asks
        // for, if any).
        if answer.live_data.is_empty() && route.is_none() {
            if let Some(head) = &self.live_data_head {
                let p = head.probability(&dense)?;
                if p >= head.threshold {
                    let card_answers = !asked.asked.is_empty()
                        && (named.first().is_some_and(|id| hits.iter().take(3).any(|h| &h.id == id)) || coverage >= self.config.no_answer_threshold);
                    tracing::debug!("live-data head: {p:.3} (threshold {:.2}); a named fiche answers first: {card_answers}", head.threshold);
                    let reason = if card_answers {
                        answer.live_data_after = true;
                        format!("may ask for data the fiches do not hold (live-data head {p:.2}): where it is found follows the card")
                    } else {
                        answer.live_data.push(crate::live_data::LiveData::Elsewhere);
                        format!("read by the live-data head ({p:.2}, threshold {:.2}) as asking for data the fiches do not hold", head.threshold)
                    };
                    verdicts.push(Verdict::new("grounding", Action::Answer, "P2", reason, None));
                }
            }
        }
        answer.needs_live_data = !answer.live_data.is_empty();
        // "elle veut rester près de chez nous, à Lyon, et aime le commerce": staying near home
        // is a constraint of an open question, not a question for a school's address; the
        // paths come first, then where to find the places.
        let places_of_open_question = route.is_some() && answer.live_data.iter().all(|k| matches!(k, crate::live_data::LiveData::Places));
        if answer.needs_live_data && !places_of_open_question {
            out.emit(&crate::live_data::note(&answer.live_data, crate::live_data::is_adult_changing_careers(&input.redacted)));
            verdicts.push(Verdict::new(
                "grounding",
                Action::AnswerWithCare,
                "P2",
                format!("asks for data the fiches do not hold ({:?})", answer.live_data),
                None,
            ));
            // A fiche is added only when the question names it, search agrees (it is among the
            // first hits) and something it can answer is asked: "CPE Lyon" is a school, not a
            // counsellor's fiche.
            let docs: Vec<&Document> = named
                .iter()
                .filter(|id| hits.iter().take(3).any(|h| &h.id == *id))
                .take(self.config.fact_fiches)
                .filter_map(|id| self.searcher.document(id))
                .collect();
            // An amount paid during studies ("France Travail me verserait combien ?") is not
            // the job's pay: the card would read as its answer.
            let amounts = answer.live_data.contains(&crate::live_data::LiveData::Amounts);
            let a_card_answers = |a: &Asked| match a {
                Asked::Procedure => false,
                Asked::Salary => !amounts,
                _ => true,
            };
            let general = Question { asked: asked.asked.iter().copied().filter(a_card_answers).collect(), ..asked.clone() };
            if !docs.is_empty() && !general.asked.is_empty() {
                out.emit(&format!("\n\nCe que disent les fiches de l'Onisep :\n{}", facts_block(&general, &docs, &Picks::default())));
                answer.sources = sources(&[], &docs);
                answer.attributions.push(ONISEP_SOURCE.into());
            }
            verdicts.push(Verdict::new("grounding", Action::Answer, "P2", format!("{} sources cited, all named by the question", answer.sources.len()), None));
            return Ok(());
        }
        // "quels métiers avec un bac pro ?": every fiche of the type names its own jobs, so
        // the first course found is no answer. What the type's fiches say together (and what
        // comes after it), then what the person likes, with the type's level kept in the
        // profile for the paths that follow. Not when tastes are known or told: those get paths.
        let tastes_known = profile.as_ref().is_some_and(|p| !p.interests.is_empty()) || !read.interests.is_empty();
        if let Some(facts) = self.diplomas.outcomes_asked(&input.redacted).filter(|_| {
            !tastes_known
                && self.names_no_fiche_but_types(&named, query)
                && !crate::profile::says_what_they_like(&input.redacted)
                && !crate::profile::says_a_wish(&input.redacted)
        }) {
            return self.answer_jobs_of_a_type(input, facts, profile.unwrap_or_default().updated_with(read), out, answer, verdicts);
        }
        // "c koi la diff entre un cap et un bac pro ?": diploma types asked about as such, no
        // course named. What the fiches of each type say together answers it, not the first
        // course search finds, nor paths ("BTS ou BUT en électronique, lequel je choisis ?"
        // states no taste). Read without what only says who the person is (P4: the same card
        // whoever asks); never when tastes or a wish are told ("je suis en BTS et j'aimerais
        // bosser avec des enfants"), nor for paths asked beside one type ("quels métiers avec un
        // bac pro ?"; "BTS ou BUT, je sais pas quoi choisir" compares two).
        let types_asked = self.diplomas.asked_about(&guardrails::context::strip_self_descriptions(&input.redacted)).len();
        let about_types = types_asked > 0
            && self.names_no_fiche_but_types(&named, query)
            && (types_asked >= 2 || !crate::profile::asks_for_paths(&input.redacted))
            && !crate::profile::says_what_they_like(&input.redacted)
            && !crate::profile::says_a_wish(&input.redacted)
            // Something is asked of the types ("Je vise un BTS ou un BUT." is a limit told with
            // tastes, not a question); over an open question's paths, only a comparison, what a
            // type is or how long it lasts.
            && crate::diplomas::asks_something(&input.redacted)
            && (route.is_none() || asked.comparison || asked.asks(Asked::Description) || asked.asks(Asked::Duration));
        if about_types {
            return self.answer_diploma_types(input, out, answer, verdicts);
        }
        if let Some(route) = route {
            let profile = profile.unwrap_or_default().updated_with(read);
            // A refinement ("plutôt des études courtes") is searched with what is known of the
            // person's tastes, not with its own few words.
            let query = if route.refining { format!("{} {}", profile.interests.join(", "), input.retrieval_text) } else { input.retrieval_text.clone() };
            let dense = if route.refining { self.searcher.query_vector(&query)? } else { dense };
            let places = answer.needs_live_data.then(|| answer.live_data.clone());
            self.explore(&input.redacted, &query, &dense, profile, &route, out, answer, verdicts)?;
            if let Some(kinds) = places {
                out.emit(&format!("\n\n{}", crate::live_data::note(&kinds, crate::live_data::is_adult_changing_careers(&input.redacted))));
                verdicts.push(Verdict::new("grounding", Action::AnswerWithCare, "P2", format!("asks for data the fiches do not hold ({kinds:?})"), None));
            }
            return Ok(());
        }
        // A fiche the question names is an answer, however far from the corpus its wording
        // reads ("soudeur ya du taf ou pas ? mon cousin dit ke c bouché").
        if hits.is_empty() || (coverage < self.config.no_answer_threshold && named.is_empty()) {
            out.emit(NO_ANSWER);
            answer.no_answer = true;
            verdicts.push(Verdict::new("grounding", Action::Answer, "P2", format!("no fiche covers the question (coverage {coverage:.3})"), None));
            return Ok(());
        }
        // "je suis caissière et je voudrais devenir esthéticienne": the job wished for is
        // written otherwise than its fiche's name, so only the person's situation is named;
        // search finds both, and the card is not about where the person already is.
        let situations: Vec<&str> = found.iter().filter(|n| n.situation).map(|n| n.id.as_str()).collect();
        let elsewhere: Vec<Hit> = if named.is_empty() && !situations.is_empty() && states_a_goal(&input.redacted) {
            // France Travail's twin of the situation ("Magasinier" beside ONISEP's "magasinier
            // cariste") is where the person is too.
            let heads: Vec<String> = situations.iter().filter_map(|id| self.searcher.document(id)).filter_map(crate::explore::head_word).collect();
            let rome_twin = |h: &Hit| {
                retrieval::rome::is_rome_document(&h.id)
                    && self.searcher.document(&h.id).and_then(crate::explore::head_word).is_some_and(|w| heads.contains(&w))
            };
            hits.iter().filter(|h| !situations.contains(&h.id.as_str()) && !rome_twin(h)).cloned().collect()
        } else {
            Vec::new()
        };
        // ROME fiches are cited, never quoted: when the best of the others is one, ONISEP
        // writes the goal in the situation's own fiche ("je suis magasinier, je veux passer
        // cariste": France Travail's "Cariste" comes next, ONISEP's "magasinier cariste" is
        // one fiche), which answers.
        let onisep_elsewhere = elsewhere.first().is_some_and(|h| !retrieval::rome::is_rome_document(&h.id));
        let card_hits = if onisep_elsewhere { &elsewhere } else { &hits };
        let fact_docs = self.fact_documents(&asked, &named, card_hits);
        let (fact_docs, options) = self.one_card_per_diploma(&asked, &input.redacted, fact_docs);
        // Never a reply with nothing in it: no fiche to quote is "I do not know".
        if fact_docs.is_empty() {
            out.emit(NO_ANSWER);
            answer.no_answer = true;
            verdicts.push(Verdict::new("grounding", Action::Answer, "P2", "no ONISEP fiche to quote among those found", None));
            return Ok(());
        }
        let mut facts = facts_block(&asked, &fact_docs, &Picks::default());
        // What the card's fields leave unanswered, from the sentences closest in meaning.
        let picks = self.ranker.picks(&input.redacted, &fact_docs, &facts);
        if !picks.is_empty() {
            facts = facts_block(&asked, &fact_docs, &picks);
        }
        for (doc, item, _) in &options {
            facts = crate::facts::add_to_card(&facts, doc, item);
        }
        // "Comment on y arrive depuis la 3e ?": the steps from where the person is, from the
        // fiches' links (never invented).
        // Read without what only says who the person is: "personne dans ma famille n'a fait
        // d'études après le bac" is no starting point (P4: the same path whoever asks).
        let start = crate::path::start_of(&guardrails::context::strip_self_descriptions(&input.redacted))
            .filter(|_| asked.asks(Asked::Access) || crate::path::asks_the_way(&input.redacted));
        // The métier the question names leads, even when a formation it names has the card
        // ("après un bac pro ASSP, comment devenir aide-soignante ?").
        let candidates: Vec<&Document> = fact_docs
            .iter()
            .copied()
            .chain(named.iter().filter_map(|id| self.searcher.document(id)))
            .chain(hits.iter().take(3).filter(|h| h.kind == Kind::Metier).filter_map(|h| self.searcher.document(&h.id)))
            .collect();
        let mut path_docs: Vec<&Document> = Vec::new();
        if let Some((start, target)) = start.and_then(|s| Some((s, crate::path::target(&candidates, s)?))) {
            let doc = |id: &str| self.searcher.document(id);
            let tu = crate::profile::address(&input.redacted) == crate::profile::Address::Tu;
            facts.push_str(&format!("\n\n{}", crate::path::path_block(&self.paths, target, start, &doc, tu)));
            path_docs = self.paths.path(target, start, &doc).unwrap_or_default();
            path_docs.push(target);
        }
        // The options a card names and the path's formations are sources too.
        let mut cited: Vec<&Document> = fact_docs.clone();
        for d in options.iter().flat_map(|(_, _, siblings)| siblings.iter().copied()).chain(path_docs) {
            if !cited.iter().any(|c| c.id == d.id) {
                cited.push(d);
            }
        }
        if !facts.is_empty() {
            out.emit(&format!("D'après les fiches de l'Onisep :\n{facts}"));
            // "Is it for me?": the person decides (P6), said once.
            if asked.asks(Asked::ForMe) && !input.verdicts.iter().any(|v| v.rail == "decision_delegation") {
                out.emit(&format!("\n\n{}", crate::facts::YOUR_CHOICE));
            }
        }
        if self.config.generation == GenerationMode::Off || fact_docs.is_empty() {
            self.card_only(answer, &hits, &cited, verdicts, "no generated text");
            return Ok(());
        }
        // The model's bridge: each sentence checked against the cited fiches only.
        let evidence_text = evidence_text(&fact_docs, &facts);
        let embedder = self.searcher.embedder();
        let card_sentences: Vec<&str> = facts.lines().flat_map(crate::facts::sentences).filter(|s| s.split_whitespace().count() >= 4).collect();
        // Without the card's vectors the meaning check cannot run: no bridge then (fail closed).
        let vectors = match embedder.embed(&card_sentences, TextKind::Query) {
            Ok(v) if !v.is_empty() => v,
            Ok(_) | Err(_) => {
                self.card_only(answer, &hits, &cited, verdicts, "no bridge (meaning check unavailable)");
                return Ok(());
            }
        };
        let embed = move |s: &str| embedder.embed(&[s], TextKind::Query).ok().and_then(|mut v| v.pop());
        let mut grounding = SentenceFilter::new(Evidence::new(&evidence_text, vectors), Some(Box::new(embed)));
        let mut req = GenerationRequest::new(build_messages(&input.redacted, &facts));
        req.max_tokens = self.config.max_tokens;
        let mut dropped = Vec::new();
        let mut kept: Vec<String> = Vec::new();
        // Returns whether the bridge wants more sentences.
        let mut pass = |sentences: String, out: &mut Out, verdicts: &mut Vec<Verdict>| -> bool {
            if sentences.trim().is_empty() || kept.len() >= BRIDGE_SENTENCES {
                return kept.len() < BRIDGE_SENTENCES;
            }
            let sentences = if kept.is_empty() { format!("\n\n{}", sentences.trim_start()) } else { sentences };
            let (fix, v) = check_sentence(&sentences);
            verdicts.extend(v);
            let shown = match fix {
                Fix::Keep => sentences,
                Fix::Replace(s) => s,
                Fix::Drop => {
                    dropped.push(sentences.trim().to_string());
                    return true;
                }
            };
            out.emit(&shown);
            kept.push(shown);
            kept.len() < BRIDGE_SENTENCES
        };
        // The card is shown: now wait for the model, if the caller queues its turns.
        let _slot = match out.model_slot.clone().map(|slot| slot.wait()) {
            Some(None) => {
                self.card_only(answer, &hits, &cited, verdicts, "no bridge (nobody waits for it)");
                return Ok(());
            }
            Some(Some(guard)) => Some(guard),
            None => None,
        };
        let cancel = out.cancel.clone();
        // Decoding stops once the bridge has its sentences: the rest would be thrown away, and
        // the place is someone else's sooner.
        let mut complete = false;
        let stats = match self.generator.generate(&req, &mut |piece| {
            let ready = grounding.push(piece);
            complete = !pass(ready, out, verdicts);
            !complete && !cancel.as_ref().is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
        }) {
            Ok(mut stats) => {
                if complete {
                    stats.finish_reason = "stop".into();
                }
                stats
            }
            // The engine failed (a remote one down, and nothing behind it): the card of facts
            // already shown is the answer; a sentence cut mid-stream is not shown.
            Err(e) => {
                tracing::warn!("generation failed, the card alone answers: {e}");
                // What was already shown (checked sentences) stays on the record.
                answer.generated = kept.concat().trim().to_string();
                answer.sentence_checks = std::mem::take(&mut grounding.checked);
                self.finish_sources(answer, &hits, &cited);
                let bridge = match kept.len() {
                    0 => "no bridge (the generator did not answer)".to_string(),
                    n => format!("bridge cut after {n} sentence(s): the generator failed"),
                };
                verdicts.push(Verdict::new(
                    "grounding",
                    Action::Answer,
                    "P2",
                    format!("{} sources cited, all retrieved; {bridge}", answer.sources.len()),
                    None,
                ));
                return Ok(());
            }
        };
        // Stopped with the bridge complete: the start of a next sentence is not checked or shown.
        let rest = if complete { String::new() } else { grounding.finish() };
        // A sentence cut by the token limit is dropped rather than shown half-finished.
        if stats.finish_reason != "length" {
            pass(rest, out, verdicts);
        }
        for (s, why) in &grounding.dropped {
            verdicts.push(Verdict::new("grounding", Action::Refuse, "P2", why.reason(), None));
            dropped.push(s.clone());
        }
        answer.dropped_sentences = dropped;
        answer.generated = kept.concat().trim().to_string();
        answer.sentence_checks = std::mem::take(&mut grounding.checked);
        self.finish_sources(answer, &hits, &cited);
        verdicts.push(Verdict::new("grounding", Action::Answer, "P2", format!("{} sources cited, all retrieved", answer.sources.len()), None));
        answer.generation = Some(stats);
        Ok(())
    }

    /// Whether a message is an open question, and then the fiches of the person's own
    /// situation (never proposed). `found`: the fiches it names; `read`: its profile;
    /// `has_profile`: paths were proposed earlier in the conversation; `read_open`: the
    /// open-question head reads the message as a request for paths.
    #[allow(clippy::too_many_arguments)]
    fn open_question(
        &self,
        input: &InputReport,
        asked: &Question,
        found: &[NamedFiche],
        hits: &[Hit],
        read: &Profile,
        has_profile: bool,
        read_open: bool,
    ) -> Option<OpenRoute> {
        // A goal is named unless every fiche named is the person's own situation ("je suis en
        // bac pro commerce"), one they want an alternative to ("véto c'est trop dur, d'autres
        // pistes ?"), or the job of the teacher or parent who writes, named first ("Professeure
        // documentaliste, j'accompagne une élève…").
        let paths_asked = crate::profile::asks_for_paths(&input.redacted);
        let alternatives = crate::profile::asks_for_alternatives(&input.redacted);
        // An adult who opens with their job and age ("Comptable, 45 ans, je veux…") names it
        // as the teacher does.
        let own_job_first = crate::profile::opens_with_own_job(&input.redacted);
        // "Cadre commercial, 42 ans…": one word before the job is still the writer's opening.
        let writer_s_own = |before: &str| {
            (before.is_empty() && crate::profile::address(&input.redacted) == crate::profile::Address::Vous)
                || (own_job_first && before.split_whitespace().count() <= 1)
        };
        // The person's own job or school ("je suis professeure des écoles et je veux changer")
        // is where they are: never proposed back to them.
        let mut situations = self.searcher.named(&crate::profile::situation_text(&input.redacted));
        situations.extend(found.iter().filter(|n| n.situation && !situations.contains(&n.id)).map(|n| n.id.clone()).collect::<Vec<_>>());
        // "genre infirmière ça me plaît… des métiers du soin sans nuit ?", "un métier comme
        // vétérinaire… d'autres trucs avec les animaux ?": a job given as an example of what
        // is liked, in a request for paths, is not the goal.
        // "je kiffe les trucs genre journaliste ou youtubeur": examples of what is liked, told
        // with a verb of liking, are not a goal either.
        let likes = crate::profile::says_what_they_like(&input.redacted);
        let example = |n: &NamedFiche| (paths_asked || alternatives || likes) && is_an_example(&n.before);
        // Other jobs asked ("quels autres métiers dans l'aérien ?"), not other ways to the same
        // one ("quelles sont les autres voies ?"): a course named is then what the person wants
        // an alternative to as much as a job is ("section ASSP… d'autres idées ?"), unless its
        // outcomes are asked.
        let other_jobs = alternatives && asks_for_other_jobs(&input.redacted);
        // A formation named is the subject when its outcomes are asked ("je suis en BTS SIO, ça
        // débouche sur quoi ?"), even the person's own.
        let set_aside = |n: &NamedFiche| match n.kind {
            Kind::Metier => n.situation || alternatives || example(n) || writer_s_own(&n.before) || situations.contains(&n.id),
            Kind::Formation => !asked.asks(Asked::Outcomes) && (n.situation || other_jobs || situations.contains(&n.id)),
        };
        // A fiche search found by its title written in the question ("photographe c'est mal
        // payé ?") is a goal as well, unless it is the person's situation or what they want
        // an alternative to. ROME fiches are cited, never the subject, so their titles do not
        // count (the ROME twin of a job the writer names as their own, "Je suis CPE, un
        // élève…", would otherwise be a goal).
        let by_title = hits.iter().take(3).filter(|h| !retrieval::rome::is_rome_document(&h.id)).any(|h| {
            // With other jobs asked, a title found but not named as a goal is what the person
            // wants an alternative to ("pilote de ligne… quels autres métiers dans l'aérien ?"
            // finds the pilots' course by its title), unless a course's outcomes are asked.
            let named_as_goal = found.iter().any(|n| n.id == h.id && !set_aside(n));
            let outcomes_of_it = h.kind == Kind::Formation && asked.asks(Asked::Outcomes);
            let set_aside_here = situations.contains(&h.id)
                || found.iter().any(|n| n.id == h.id && set_aside(n))
                || (h.kind == Kind::Metier && alternatives)
                || (other_jobs && !named_as_goal && !outcomes_of_it);
            h.title_match && !set_aside_here
        });
        // A title search matched in a request for paths that states tastes is read as a domain
        // ("je veux me reconvertir dans l'informatique, quels métiers ?"), not a goal: only a
        // fiche named as such (`found`) is one there. Outcomes asked are a formation's
        // ("Licence STAPS : quels débouchés ?").
        // ("Professeure documentaliste, j'accompagne une élève qui adore lire. Quels métiers ?"
        // asks paths: the only fiche named is the writer's own.)
        let a_formation_named = found.iter().any(|n| n.kind == Kind::Formation && !set_aside(n))
            || hits.iter().take(3).any(|h| h.kind == Kind::Formation && h.title_match && !situations.contains(&h.id));
        let tastes_and_paths = paths_asked && !read.interests.is_empty() && !(asked.asks(Asked::Outcomes) && a_formation_named);
        let goal_named = (by_title && !tastes_and_paths) || found.iter().any(|n| !set_aside(n)) || self.wishes_a_job(&input.redacted);
        let fiche_only = asked.asks(Asked::Salary) || asked.asks(Asked::Procedure);
        // A short message after paths were proposed ("plutôt des études courtes", "je suis en
        // 3e") refines them, unless it asks what only a fiche answers.
        let refining = has_profile && is_follow_up(&input.retrieval_text) && !fiche_only;
        // "Ça débouche sur quoi ?" with no taste stated, when search finds a formation first,
        // asks that formation's outcomes.
        // Not "je sais pas quoi faire après la 3e / après le bac": a class is no course, and
        // not knowing what to do is the open question itself (search then finds courses by
        // "3e" or "bac" alone).
        let open_after_a_class = paths_asked && !found.iter().any(|n| n.kind == Kind::Formation) && crate::profile::after_a_class(&input.redacted);
        let outcomes_of_a_formation =
            asked.asks(Asked::Outcomes) && read.interests.is_empty() && hits.first().is_some_and(|h| h.kind == Kind::Formation) && !open_after_a_class;
        // Tastes stated and no goal named: paths, unless something only a fiche answers is
        // asked (a salary, a procedure) or a yes or a no ("je peux devenir concepteur de jeux
        // ?" is about one thing); "pas de longues études" is about studies in general, and
        // "en alternance" is a wish for the paths (the profile reads it), not a procedure.
        // Nothing asked at all ("je suis en retard pour Parcoursup et je panique. J'aime les
        // maths"): Parcoursup named as a worry is no procedure asked.
        let procedure_asked = fiche_only && asks_something(&input.redacted) && {
            let rest = Question::read(&crate::profile::without_wish_words(&input.redacted));
            rest.asks(Asked::Salary) || rest.asks(Asked::Procedure)
        };
        // "Policier municipal depuis 10 ans, je voudrais aller vers le social ou l'éducatif.
        // C'est possible ?": a yes or a no about moving from where the person is (a job, a
        // course, a class) to a field they wish for, no goal named (below), is answered by the
        // paths into it. Without a place to move from ("je voudrais travailler dans la sécurité
        // avec mon chien, c'est possible ?") it asks about one job, which search finds.
        let moving = !situations.is_empty() || read.class.is_some() || !crate::profile::situation_text(&input.redacted).trim().is_empty();
        let wish_for_a_field = asked.yes_no && moving && crate::profile::says_a_wish(&input.redacted);
        let tastes_only = !read.interests.is_empty() && !procedure_asked && (!asked.yes_no || wish_for_a_field);
        let by_rules = !goal_named && !outcomes_of_a_formation && (paths_asked || refining || tastes_only);
        // The open-question head reads the whole message as asking for paths (a teacher who
        // names their own job, a sector with no precise job in it, a wish told without "quels
        // métiers"): paths when tastes are read, unless a fiche named is asked about (its
        // outcomes, whether it suits, a yes or a no: its card answers that, even when the
        // rules read it as an alternative to another job) or a procedure is.
        let a_named_fiche_asked_about =
            found.iter().any(|n| !n.situation && !example(n)) && (asked.yes_no || asked.asks(Asked::ForMe) || asked.asks(Asked::Outcomes));
        let by_head = read_open && !by_rules && !outcomes_of_a_formation && !procedure_asked && !read.interests.is_empty() && !a_named_fiche_asked_about;
        // Why a message is or is not an open question (ORIENT_LOG=assistant=debug).
        tracing::debug!(
            ?read,
            ?found,
            ?situations,
            by_title,
            tastes_and_paths,
            goal_named,
            paths_asked,
            alternatives,
            procedure_asked,
            by_rules,
            read_open,
            by_head,
            "open question"
        );
        // "je voulais être infirmière… autre chose dans le soin ?": the jobs named are what the
        // person wants an alternative to, as much as their own situation is.
        let mut not_proposed = situations;
        let alternative_to: Vec<String> = if alternatives {
            found.iter().filter(|n| n.kind == Kind::Metier && !not_proposed.contains(&n.id)).map(|n| n.id.clone()).collect()
        } else {
            Vec::new()
        };
        not_proposed.extend(alternative_to.iter().cloned());
        // "chui en CAP cuisine mais c'est pas pour moi, quoi d'autre ?": something else than the
        // course the person turns down is something else than the jobs it leads to. (Not when
        // only a job is turned down: "en master de lettres, en dehors de l'enseignement" keeps
        // the master's writing jobs.)
        // "Je vais faire un CAP boulanger… quels autres métiers avec ce genre de formation ?":
        // other jobs than those of a course the person means to take.
        let courses_meant: Vec<String> = if other_jobs {
            found.iter().filter(|n| n.kind == Kind::Formation && !n.situation && is_meant(&n.before)).map(|n| n.id.clone()).collect()
        } else {
            Vec::new()
        };
        if (alternatives && crate::profile::turns_down_a_course(&input.redacted)) || !courses_meant.is_empty() {
            let course_jobs: Vec<String> = not_proposed
                .iter()
                .chain(&courses_meant)
                .filter_map(|id| self.searcher.document(id))
                .filter(|d| d.kind == Kind::Formation)
                .flat_map(|d| d.links.iter())
                .filter(|l| self.searcher.document(&l.id).is_some_and(|j| j.kind == Kind::Metier))
                .map(|l| l.id.clone())
                .collect();
            for id in course_jobs {
                if !not_proposed.contains(&id) {
                    not_proposed.push(id);
                }
            }
        }
        // Other jobs than a course's own, with no taste said, are asked from that course (one
        // named, not one search finds by a word) whichever rule routes the question ("en master de droit, pas avocat, autre chose ?");
        // tastes said lead the paths otherwise. Never from a course the person turns down
        // ("chui en cap cuisine mais c pas pour moi, ya koi dautre ?").
        let from_the_course =
            other_jobs && read.interests.is_empty() && found.iter().any(|n| n.kind == Kind::Formation) && !crate::profile::turns_down_a_course(&input.redacted);
        let course = if by_head || (by_rules && !from_the_course) {
            None
        } else {
            self.course_asked_with_a_rule_out(asked, found, hits, paths_asked || alternatives, other_jobs, procedure_asked || asked.asks(Asked::Salary))
        };
        if let Some(c) = &course {
            not_proposed.extend(self.ruled_out_by_another_name(asked));
            // "je voudrais passer un CAP pâtissier… d'autres métiers de bouche accessibles de la
            // même façon ?": other jobs than the course's own, starting from their neighbours.
            if other_jobs && asked.excluded.is_empty() {
                not_proposed.extend(c.all.iter().cloned());
            }
        }
        (by_rules || by_head || course.is_some()).then_some(OpenRoute { not_proposed, alternative_to, refining, by_head, course })
    }

    /// The métiers ruled out by a name people use for them that their fiche does not hold
    /// ("à part vigile": the agent de sécurité, by `data/acronyms.tsv` of retrieval).
    fn ruled_out_by_another_name(&self, asked: &Question) -> Vec<String> {
        let full_names: Vec<String> = asked
            .excluded
            .iter()
            .flat_map(|e| e.split(|c: char| !c.is_alphanumeric()))
            .filter_map(|w| self.searcher.acronyms().full_name(w))
            .map(retrieval::french::fold)
            .collect();
        if full_names.is_empty() {
            return Vec::new();
        }
        self.searcher
            .documents()
            .filter(|d| d.kind == Kind::Metier && full_names.contains(&retrieval::french::fold(d.title_masculine.as_deref().unwrap_or(&d.title))))
            .map(|d| d.id.clone())
            .collect()
    }

    /// "Master de biologie en poche, je ne veux pas faire de thèse. Quels métiers je peux
    /// viser ?", "en STAPS, je veux pas être prof d'EPS, autres débouchés ?": the jobs a course
    /// leads to, asked by someone who rules something out (a job, further studies). The course's
    /// card lists its jobs whatever is ruled out, and only those its fiche names; paths start
    /// from them (and from its options'), leave out what is ruled out, and go on to métiers of
    /// the same centres d'intérêt. Not when a job is named as the goal, nor for what only a
    /// fiche answers (a salary, a procedure).
    fn course_asked_with_a_rule_out(
        &self,
        asked: &Question,
        found: &[NamedFiche],
        hits: &[Hit],
        paths_asked: bool,
        other_jobs: bool,
        fiche_only: bool,
    ) -> Option<CourseJobs> {
        let jobs_asked = asked.asks(Asked::Outcomes) || paths_asked;
        // Other jobs than the course's own rule those out.
        if !jobs_asked
            || (asked.excluded.is_empty() && !other_jobs)
            || fiche_only
            || asked.comparison
            || found.iter().any(|n| n.kind == Kind::Metier && !n.situation)
        {
            return None;
        }
        // The course named (of several options named, the one search puts first: "licence
        // STAPS APAS"), else one search finds by its title ("en STAPS").
        let rank = |id: &str| hits.iter().position(|h| h.id == id).unwrap_or(usize::MAX);
        let named = found.iter().filter(|n| n.kind == Kind::Formation).map(|n| n.id.as_str()).min_by_key(|id| rank(id));
        let course = named
            .into_iter()
            .chain(hits.iter().take(3).filter(|h| h.kind == Kind::Formation && h.title_match).map(|h| h.id.as_str()))
            .find_map(|id| self.searcher.document(id))?;
        let mut all: Vec<String> = Vec::new();
        for d in std::iter::once(course).chain(crate::options::siblings(course, self.searcher.documents())) {
            for l in &d.links {
                if self.searcher.document(&l.id).is_some_and(|m| m.kind == Kind::Metier) && !all.contains(&l.id) {
                    all.push(l.id.clone());
                }
            }
        }
        let other_names = self.ruled_out_by_another_name(asked);
        let kept: Vec<String> =
            all.iter().filter(|id| !other_names.contains(id) && self.searcher.document(id).is_some_and(|m| !asked.rules_out(m))).cloned().collect();
        let siblings = crate::options::siblings(course, self.searcher.documents());
        let title = if siblings.is_empty() {
            course.display_title()
        } else {
            crate::options::split(&course.title).map_or_else(|| course.display_title(), |of| of.diploma.to_string())
        };
        (!all.is_empty()).then_some(CourseJobs { id: course.id.clone(), title, all, kept })
    }

    /// "je veux être militaire, à quel âge on peut s'engager ?": a job wished for by a word
    /// that begins job names (`Searcher::is_job_head`), not a broad family
    /// (`data/generic-job-heads.txt`), though no fiche has that name alone. A goal, that its
    /// fiches answer, not tastes to explore ("je veux être utile", "être dans le social").
    /// Alternatives asked ("autre chose que…") are never such a goal.
    fn wishes_a_job(&self, message: &str) -> bool {
        if crate::profile::asks_for_alternatives(message) {
            return false;
        }
        static AFTER: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
        // A wish said right before, never negated ("je veux pas être prof", "à part être
        // joueur pro", "devenir psychologue, c'est long": no goal there).
        let after = AFTER.get_or_init(|| {
            regex::Regex::new(r"\b(?:veux|veut|voudrais|voudrait|aimerais|aimerait|souhaite|souhaiterais|reve|reves|revent|envie|compte)(?: bien| vraiment| absolument)? (?:d'|de )?(?:devenir|etre)(?: un| une)? (\w+)")
                .expect("valid pattern")
        });
        let plain = guardrails::normalise::normalise(message);
        after.captures_iter(&plain).any(|c| {
            // "pas envie d'être prof": a wish negated names no goal.
            let start = c.get(0).map_or(0, |m| m.start());
            let before = plain[..start].trim_end();
            if before.ends_with(" pas") || before.ends_with(" plus") || before.ends_with(" jamais") || before == "pas" {
                return false;
            }
            let word = retrieval::french::fold(&self.searcher.normalise(&c[1]));
            self.searcher.is_job_head(&word) && !crate::explore::is_generic_head(&word)
        })
    }

    /// The card of the diploma types a question names, with courses of each from the field it
    /// names (see `crate::diplomas`).
    fn answer_diploma_types(&self, input: &InputReport, out: &mut Out, answer: &mut Answer, verdicts: &mut Vec<Verdict>) -> Result<(), AssistantError> {
        let question = guardrails::context::strip_self_descriptions(&input.redacted);
        let types = self.diplomas.asked_about(&question);
        let examples = crate::diplomas::examples(&self.searcher, &question, &types)?;
        let tu = crate::profile::address(&input.redacted) == crate::profile::Address::Tu;
        out.emit(&crate::diplomas::card(&types, &examples, tu));
        let cited = crate::diplomas::cited(&self.searcher, &types, &examples);
        answer.sources = sources(&[], &cited);
        answer.attributions.push(ONISEP_SOURCE.into());
        let names: Vec<&str> = types.iter().map(|t| t.short).collect();
        verdicts.push(Verdict::new(
            "grounding",
            Action::Answer,
            "P2",
            format!("diploma types ({}) answered from what their fiches say together; {} sources cited", names.join(", "), answer.sources.len()),
            None,
        ));
        Ok(())
    }

    /// The jobs one diploma type leads to, asked with nothing else named: the type's card, then
    /// the question of what the person likes (P6: the paths follow from their tastes, within
    /// the type's level, which the profile keeps).
    fn answer_jobs_of_a_type(
        &self,
        input: &InputReport,
        facts: &crate::diplomas::TypeFacts,
        profile: Profile,
        out: &mut Out,
        answer: &mut Answer,
        verdicts: &mut Vec<Verdict>,
    ) -> Result<(), AssistantError> {
        let address = crate::profile::address(&input.redacted);
        let tu = address == crate::profile::Address::Tu;
        out.emit(&crate::diplomas::card(&[facts], &[], tu));
        out.emit(&format!("\n\n{}", crate::explore::jobs_of_a_type_follow_up(tu)));
        answer.sources = sources(&[], &crate::diplomas::cited(&self.searcher, &[facts], &[]));
        answer.attributions.push(ONISEP_SOURCE.into());
        verdicts.push(Verdict::new(
            "grounding",
            Action::Answer,
            "P2",
            format!("the jobs of a diploma type ({}): what its fiches say together; {} sources cited", facts.short, answer.sources.len()),
            None,
        ));
        verdicts.push(Verdict::new("exploration", Action::Answer, "P6", "what the person likes asked before any path is proposed", None));
        answer.exploration =
            Some(Exploration { profile, proposals: Vec::new(), follow_up: Some(crate::explore::FollowUp::Interests), address, near: Vec::new(), course: None });
        Ok(())
    }

    /// Whether the question names no fiche, or only by the name of a diploma type ("BTS" is a
    /// synonym of some BTS fiches): then it asks about the types themselves.
    fn names_no_fiche_but_types(&self, named: &[String], query: &str) -> bool {
        let names = self.searcher.named_with_names(query);
        named.iter().all(|id| {
            let is_formation = self.searcher.document(id).is_some_and(|d| d.kind == Kind::Formation);
            is_formation && names.iter().filter(|(i, _)| i == id).all(|(_, name)| crate::diplomas::only_type_names(name))
        })
    }

    /// Every fiche a question names (ruled-out ones left out), with how it names it.
    fn named_found(&self, asked: &Question, query: &str) -> Vec<NamedFiche> {
        // A fiche named only in a clause that says what the person does or did ("Clerc de
        // notaire depuis 10 ans, …", "Ancien militaire, …", "je suis en bac pro MELEC et je
        // vise…") is where they are, whatever words come right before its name.
        let in_situations = self.searcher.named(&crate::profile::situation_text(query));
        let beside = self.searcher.named(&crate::profile::beside_situations(query));
        self.searcher
            .named_in_context(query)
            .into_iter()
            .filter_map(|(id, befores)| {
                let d = self.searcher.document(&id)?;
                let goal = befores.iter().any(|b| is_goal(b));
                let only_in_situations = in_situations.contains(&id) && !beside.contains(&id);
                let before = befores.into_iter().next().unwrap_or_default();
                // "vendeuse en boulangerie, je veux devenir boulangère": named as a goal once,
                // it is a goal, wherever else it is named.
                let situation = (is_situation(&before) || only_in_situations) && !goal;
                (!asked.rules_out(d) || kept_despite_a_job_ruled_out(asked, d)).then_some(NamedFiche { id, situation, goal, kind: d.kind, before })
            })
            .collect()
    }

    /// A formation every job of which the person ruled out ("je ne veux pas être enseignant":
    /// the master MEEF, whose jobs are all teachers; a licence that also leads elsewhere
    /// stays). The caller keeps the formations the message names: "Licence STAPS APAS, mais pas
    /// prof d'EPS" asks about that licence, whatever its jobs' names share with "prof".
    fn leads_only_to_ruled_out(&self, asked: &Question, d: &Document) -> bool {
        let jobs: Vec<&Document> = d.links.iter().filter_map(|l| self.searcher.document(&l.id)).filter(|m| m.kind == Kind::Metier).collect();
        d.kind == Kind::Formation && !jobs.is_empty() && jobs.iter().all(|m| asked.rules_out_wholly(m))
    }

    /// A job named with a formation that neither leads to it nor is listed by its fiche ("le
    /// concours de l'ENAC pour être contrôleur aérien" names the ENAC's engineering diploma by
    /// its school): the job's fiche answers, and its own formations follow it where the
    /// question asks for them, never a neighbouring diploma. Comparisons keep both.
    fn without_unrelated_formations(&self, asked: &Question, named: Vec<String>, says_or: bool) -> Vec<String> {
        if asked.comparison || says_or {
            return named;
        }
        let docs: Vec<&Document> = named.iter().filter_map(|id| self.searcher.document(id)).collect();
        let [job] = docs.iter().copied().filter(|d| d.kind == Kind::Metier).collect::<Vec<_>>()[..] else {
            return named;
        };
        // A job whose fiche lists no formation has nothing better to offer: the named one stays.
        if !job.links.iter().any(|l| self.searcher.document(&l.id).is_some_and(|d| d.kind == Kind::Formation)) {
            return named;
        }
        let related = |d: &Document| d.kind != Kind::Formation || job.links.iter().any(|l| l.id == d.id) || d.links.iter().any(|l| l.id == job.id);
        named.into_iter().filter(|id| self.searcher.document(id).is_none_or(related)).collect()
    }

    /// The fiches a question is about, of those it names: situations are set aside when a
    /// goal is named too, and the kind of fiche that answers what is asked comes first.
    fn named_targets(asked: &Question, found: &[NamedFiche]) -> Vec<String> {
        let mut kept: Vec<&NamedFiche> = found.iter().collect();
        // "Comptable depuis 10 ans, je veux devenir professeur des écoles": what is named before
        // the first goal, and not as a goal itself, is where the person comes from. What is
        // named after it stays ("je veux devenir infirmière, l'IFSI dure combien ?").
        if let Some(first_goal) = kept.iter().position(|n| n.goal).filter(|_| !asked.comparison) {
            kept = kept.into_iter().enumerate().filter(|(at, n)| n.goal || *at > first_goal).map(|(_, n)| n).collect();
        }
        if !asked.comparison && kept.iter().any(|n| !n.situation) {
            kept.retain(|n| !n.situation);
        }
        // Only the person's own situation named ("Je suis comptable et j'ai envie d'ouvrir une
        // fromagerie, le secteur recrute ?"): it is not what is asked about, unless the
        // question asks what comes after it or compares.
        if !asked.comparison && !asked.asks(Asked::Outcomes) && kept.iter().all(|n| n.situation && n.kind == Kind::Metier) {
            kept.clear();
        }
        let wanted = if asked.asks(Asked::Salary) || asked.asks(Asked::ForMe) || (asked.asks(Asked::Outcomes) && asked.employment) {
            Some(Kind::Metier)
        } else if asked.asks(Asked::Duration) || asked.asks(Asked::Outcomes) {
            Some(Kind::Formation)
        } else {
            None
        };
        if let Some(kind) = wanted.filter(|k| !asked.comparison && kept.iter().any(|n| n.kind == *k)) {
            kept.retain(|n| n.kind == kind);
        }
        kept.into_iter().map(|n| n.id.clone()).collect()
    }

    /// The fiches whose facts the card states: those the question names (both sides of a
    /// comparison), else the best hit and a further one scoring close to it. ROME fiches are
    /// cited, not quoted as facts.
    /// One card per diploma: of options of one diploma found for a question that names none
    /// of them and compares nothing, the first keeps the card and names the options there
    /// (`crate::options`). Returns the fiches kept and, for each card that names its
    /// diploma's options, the item to add.
    fn one_card_per_diploma<'s>(&'s self, asked: &Question, question: &str, docs: Vec<&'s Document>) -> (Vec<&'s Document>, Vec<OptionsItem<'s>>) {
        // Every fiche the question names, the person's own course too ("je suis en BTS SIO
        // option SLAM").
        let named = self.searcher.named(question);
        let named = named.as_slice();
        let mut kept: Vec<&Document> = Vec::new();
        let mut items = Vec::new();
        for d in docs {
            let siblings = crate::options::siblings(d, self.searcher.documents());
            if siblings.is_empty() || crate::options::names_the_option(question, d, &siblings, named) {
                kept.push(d);
                continue;
            }
            // Another option of the same diploma has the card already: this one is named there.
            if !asked.comparison && kept.iter().any(|k| siblings.iter().any(|s| s.id == k.id)) {
                continue;
            }
            items.extend(crate::options::line(d, &siblings).map(|line| (d, line, siblings.into_iter().take(crate::options::LISTED).collect())));
            kept.push(d);
        }
        // Two options compared side by side need no list of the options.
        let beside_a_sibling = |d: &Document| kept.iter().any(|k| k.id != d.id && crate::options::siblings(d, std::iter::once(*k)).len() == 1);
        items.retain(|(d, _, _)| !beside_a_sibling(d));
        (kept, items)
    }

    fn fact_documents<'s>(&'s self, asked: &Question, named: &[String], hits: &[Hit]) -> Vec<&'s Document> {
        let onisep = |id: &&String| !retrieval::rome::is_rome_document(id);
        let mut ids: Vec<&String> = named.iter().filter(onisep).take(self.config.fact_fiches).collect();
        let want = if asked.comparison || ids.is_empty() { self.config.fact_fiches } else { ids.len() };
        let top = hits.first().map(|h| h.score).unwrap_or(0.0);
        // A precise question ("combien gagne…") is about one fiche unless a second is as close.
        let ratio = if asked.asked.is_empty() { SECOND_FICHE_RATIO } else { PRECISE_SECOND_FICHE_RATIO };
        for h in hits.iter().filter(|h| h.score >= top * ratio || asked.comparison) {
            if ids.len() >= want {
                break;
            }
            if onisep(&&h.id) && !ids.contains(&&h.id) {
                ids.push(&h.id);
            }
        }
        let mut docs: Vec<&Document> = ids.into_iter().filter_map(|id| self.searcher.document(id)).collect();
        // Pay and the job market are in a job's fiche, never a formation's: a salary or "y a du
        // travail ?" question about one formation ("un CAP charpentier bois, il y a de l'avenir
        // ?") gets the first job among the hits that the formation leads to.
        let job_asked = asked.asks(Asked::Salary) || (asked.asks(Asked::Outcomes) && asked.employment);
        if job_asked && !asked.comparison && docs.len() == 1 && docs[0].kind == Kind::Formation {
            // A job the formation leads to, that search also found.
            let linked: Vec<&str> = docs[0].links.iter().map(|l| l.id.as_str()).collect();
            let job = hits.iter().take(5).filter(|h| h.kind == Kind::Metier && linked.contains(&h.id.as_str())).find_map(|h| self.searcher.document(&h.id));
            if let Some(job) = job {
                docs[0] = job;
            }
        }
        // Whether a diploma allows something ("ça donne un grade de master ?", "avec un CAP je
        // peux ouvrir mon salon ?") is often said in the fiche of the job it leads to: a yes or
        // a no about one formation also reads that job's fiche, when search found it too.
        if asked.yes_no && !asked.comparison && docs.len() == 1 && docs[0].kind == Kind::Formation {
            let formation = docs[0];
            let linked = |d: &Document| formation.links.iter().any(|l| l.id == d.id) || d.links.iter().any(|l| l.id == formation.id);
            let job = hits.iter().take(3).filter(|h| h.kind == Kind::Metier).filter_map(|h| self.searcher.document(&h.id)).find(|d| linked(d));
            docs.extend(job);
        }
        // How one applies and how long it takes are in the formation's fiche, not the job's
        // ("comment on postule en IFSI ?", "EJE, ça prend combien de temps ?"): a question
        // about one job gets the card of its formation that search ranks first too.
        if (asked.asks(Asked::Procedure) || asked.asks(Asked::Duration)) && !asked.comparison && docs.len() == 1 && docs[0].kind == Kind::Metier {
            let job = docs[0];
            let found: Vec<&Document> = hits.iter().take(5).filter(|h| h.kind == Kind::Formation).filter_map(|h| self.searcher.document(&h.id)).collect();
            // A formation the job's fiche requires ("contrôleur aérien": the ICNA training),
            // the one search ranks first or else the fiche's first; only then one whose fiche
            // names the job among many it leads to (the ENAC engineer's diploma also lists it).
            let required = job.links.iter().filter_map(|l| self.searcher.document(&l.id)).find(|d| d.kind == Kind::Formation);
            let formation = found
                .iter()
                .find(|d| job.links.iter().any(|l| l.id == d.id))
                .copied()
                .or(required)
                .or_else(|| found.iter().find(|d| d.links.iter().any(|l| l.id == job.id)).copied());
            docs.extend(formation);
        }
        docs
    }

    /// The card is the whole answer: its sources, and the grounding verdict saying why no
    /// sentence was generated.
    fn card_only(&self, answer: &mut Answer, hits: &[Hit], cited: &[&Document], verdicts: &mut Vec<Verdict>, why: &str) {
        self.finish_sources(answer, hits, cited);
        verdicts.push(Verdict::new("grounding", Action::Answer, "P2", format!("{} sources cited, all retrieved; {why}", answer.sources.len()), None));
    }

    /// Sources and attributions of an answer from the fiches.
    fn finish_sources(&self, answer: &mut Answer, hits: &[Hit], fact_docs: &[&Document]) {
        answer.sources = sources(hits, fact_docs);
        answer.attributions.push(ONISEP_SOURCE.into());
        let rome_cited = answer.sources.iter().any(|s| retrieval::rome::is_rome_document(&s.id));
        if rome_cited || hits.iter().take(3).any(|h| h.passages.iter().any(|p| retrieval::rome::is_rome_section(&p.section))) {
            answer.attributions.push(retrieval::rome::ROME_SOURCE.into());
        }
    }
}

/// A fiche the question names, and how it names it.
#[derive(Debug, Clone)]
struct NamedFiche {
    id: String,
    /// Named as the person's own situation ("je suis en bac pro commerce"), never as a goal.
    situation: bool,
    /// Named right after words of wanting to become it ("je veux devenir", "elle rêve d'être").
    goal: bool,
    kind: Kind,
    /// The words before its first mention (folded, little words left out).
    before: String,
}

/// Whether the words right before a name make it what the person wants to become (a `goal`
/// of `data/naming-cues.tsv`, at the end of those words, an article allowed after).
fn is_goal(before: &str) -> bool {
    static CUES: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let cues = CUES.get_or_init(|| regex::Regex::new(&format!(r"\b(?:{})(?: un| une)?$", naming_cues().goal)).expect("naming-cues.tsv: valid goals"));
    cues.is_match(before)
}

/// Whether a message says "ou" (or). Read before accents are folded: "où" (where) is no
/// alternative, nor is "par ou"/"d'ou" written without its accent ("par où passer ?").
fn says_or(message: &str) -> bool {
    let lower = message.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    words.iter().enumerate().any(|(at, w)| *w == "ou" && !(at > 0 && matches!(words[at - 1], "par" | "d")))
}

/// Whether a message says what the person wants to become, in the words of the `goal`s of
/// `data/naming-cues.tsv` ("je voudrais devenir…", "elle rêve d'être…").
fn states_a_goal(message: &str) -> bool {
    static CUES: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let cues = CUES.get_or_init(|| regex::Regex::new(&format!(r"\b(?:{}) \w", naming_cues().goal)).expect("naming-cues.tsv: valid goals"));
    // In the form names are read in: "rêve d'être" as "reve etre".
    let plain = guardrails::normalise::normalise(message).replace(" d'", " ").replace(" de ", " ");
    cues.is_match(&plain)
}

/// The cues of `data/naming-cues.tsv`: how a question names a fiche.
struct NamingCues {
    situation: Vec<Vec<&'static str>>,
    states: Vec<&'static str>,
    right_before: Vec<Vec<&'static str>>,
    /// Every goal pattern, as alternatives.
    goal: String,
}

fn naming_cues() -> &'static NamingCues {
    static CUES: std::sync::OnceLock<NamingCues> = std::sync::OnceLock::new();
    CUES.get_or_init(|| {
        let mut cues = NamingCues { situation: Vec::new(), states: Vec::new(), right_before: Vec::new(), goal: String::new() };
        let mut goals: Vec<&str> = Vec::new();
        for row in guardrails::data::rows(include_str!("../data/naming-cues.tsv")) {
            let [kind, words] = row[..] else { panic!("naming-cues.tsv: a row needs two columns: {row:?}") };
            match kind {
                "situation" => cues.situation.push(words.split_whitespace().collect()),
                "state" => cues.states.push(words),
                "right_before" => cues.right_before.push(words.split_whitespace().collect()),
                "goal" => goals.push(words),
                other => panic!("naming-cues.tsv: unknown kind {other}"),
            }
        }
        cues.goal = goals.join("|");
        cues
    })
}

/// "j'ai un CAP maçon, maçon ça ne lui plaît plus", "après un bac pro cuisine, quoi à part
/// cuisinier ?": the job turned down shares its name with the course the question names, which
/// is where the person is, not what they rule out. A course whose title names its diploma type
/// stays named (its card lists its other jobs, the one ruled out left out) unless what is ruled
/// out names a diploma type ("surtout pas un CAP"). A course titled by the job alone (a school's
/// "traducteur") is the job turned down.
fn kept_despite_a_job_ruled_out(asked: &Question, d: &Document) -> bool {
    d.kind == Kind::Formation && !crate::diplomas::types_named(&d.title).is_empty() && asked.excluded.iter().all(|e| crate::diplomas::types_named(e).is_empty())
}

/// The level of the diploma usually taken after one of level `l` (a BTS, then a licence pro).
fn one_diploma_further(l: Level) -> Level {
    match l {
        Level::NoDiploma | Level::Cap => Level::Bac,
        Level::Bac | Level::Bac1 => Level::Bac2,
        Level::Bac2 => Level::Bac3,
        Level::Bac3 | Level::Bac4 | Level::Bac5 => Level::Bac5,
        Level::Beyond => Level::Beyond,
    }
}

/// The centres d'intérêt at least half of `jobs` carry (the commonest one at least): what a
/// course's jobs have in common, not every taste one of them touches ("BTS SIO": the digital,
/// not the creativity of one web job).
fn shared_by_most(jobs: &[&Document]) -> Vec<String> {
    let mut counts: Vec<(&String, usize)> = Vec::new();
    for i in jobs.iter().flat_map(|d| d.facts.interests.iter()) {
        match counts.iter_mut().find(|(c, _)| *c == i) {
            Some((_, n)) => *n += 1,
            None => counts.push((i, 1)),
        }
    }
    let most = counts.iter().map(|(_, n)| *n).max().unwrap_or(0);
    counts.into_iter().filter(|(_, n)| *n == most || 2 * n >= jobs.len()).map(|(i, _)| i.clone()).collect()
}

fn is_situation(before: &str) -> bool {
    let cues = naming_cues();
    let words: Vec<&str> = before.split_whitespace().collect();
    let right_before = cues.right_before.iter().any(|cue| words.ends_with(cue));
    right_before
        || cues.situation.iter().any(|cue| {
            words.windows(cue.len()).enumerate().any(|(at, w)| w == cue.as_slice() && !words.get(at + cue.len()).is_some_and(|next| cues.states.contains(next)))
        })
}

/// Sentences a bridge has at most.
const BRIDGE_SENTENCES: usize = 1;

/// Everything the cited fiches say, and the card shown: what a generated sentence may rest on.
fn evidence_text(docs: &[&Document], card: &str) -> String {
    let mut e = card.to_string();
    for d in docs {
        for part in [d.title.as_str(), d.summary.as_str()].into_iter().chain(d.synonyms.iter().map(String::as_str)) {
            e.push('\n');
            e.push_str(part);
        }
        for s in d.sections.iter().filter(|s| !retrieval::rome::is_rome_section(&s.key)) {
            e.push('\n');
            e.push_str(&s.text);
        }
        for l in &d.links {
            e.push('\n');
            e.push_str(&l.label);
        }
        let f = &d.facts;
        for x in [&f.level, &f.salary, &f.duration, &f.formation_type].into_iter().flatten() {
            e.push('\n');
            e.push_str(x);
        }
    }
    e
}

fn publisher(id: &str) -> &'static str {
    if retrieval::rome::is_rome_document(id) {
        "France Travail (ROME 4.0)"
    } else {
        "Onisep"
    }
}

/// Cited sources: the fiches whose facts were stated, then the fiches given to the model;
/// ONISEP's before ROME's.
fn sources(hits: &[Hit], fact_docs: &[&Document]) -> Vec<Source> {
    let mut out: Vec<Source> = fact_docs
        .iter()
        .map(|d| Source { id: d.id.clone(), kind: d.kind, title: d.display_title(), url: d.url.clone(), publisher: publisher(&d.id).into() })
        .collect();
    for h in hits.iter().take(3) {
        if !out.iter().any(|s| s.id == h.id) {
            out.push(Source { id: h.id.clone(), kind: h.kind, title: h.title.clone(), url: h.url.clone(), publisher: publisher(&h.id).into() });
        }
    }
    out.sort_by_key(|s| retrieval::rome::is_rome_document(&s.id));
    out
}

#[cfg(test)]
mod tests {
    use super::{is_an_example, is_meant, is_situation};

    #[test]
    fn a_course_the_person_means_to_take_is_read_from_the_words_before_it() {
        assert!(is_meant("je vais faire un") && is_meant("je voudrais passer un") && is_meant("je compte m'inscrire en"));
        assert!(!is_meant("enseignante en lycee pro, section") && !is_meant("je suis en"));
    }

    #[test]
    fn jobs_given_as_examples_of_a_taste_are_read_as_such() {
        assert!(is_an_example("je kiffe les trucs genre"));
        assert!(is_an_example("je kiffe les trucs genre journaliste ou"));
        assert!(is_an_example("des metiers comme"));
        assert!(!is_an_example("je veux bosser comme"));
        assert!(!is_an_example("je veux devenir journaliste ou"));
    }

    #[test]
    fn a_situation_is_what_the_cue_says_the_person_is() {
        // Words before a name, folded, little words left out (`Searcher::named_in_context`).
        assert!(is_situation("je suis") && is_situation("j ai un") && is_situation("je suis professeur"));
        // "Je suis en reconversion. Le CAPa…": the cue says the person's state, not the CAPa.
        assert!(!is_situation("je suis reconversion") && !is_situation("je suis terminale"));
        assert!(!is_situation("je veux devenir"));
        assert!(is_situation("un eleve") && is_situation("mon fils est") && !is_situation("eleve terminale veut devenir"));
        // Search writes "fils" and "fille" as "enfant".
        assert!(is_situation("mon enfant est") && is_situation("nos enfants sont"));
    }

    #[test]
    fn where_is_not_or() {
        assert!(super::says_or("CAP AEPE ou diplôme d'EJE ?") && super::says_or("infirmier OU aide-soignant"));
        assert!(!super::says_or("elle rêve d'être éducatrice. Par où passer ?") && !super::says_or("par ou commencer") && !super::says_or("d'où ça vient"));
    }

    #[test]
    fn a_goal_is_stated_in_words_of_wanting() {
        assert!(super::states_a_goal("je suis caissière et je voudrais devenir esthéticienne"));
        assert!(super::states_a_goal("elle rêve d'être vétérinaire") && super::states_a_goal("jveu etre boulanger"));
        assert!(!super::states_a_goal("je suis aide-soignante, je veux savoir combien je peux gagner"));
        // An interest in another job is a goal beside the person's own ("Vendeur depuis 6 ans,
        // je m'intéresse au métier de fleuriste").
        assert!(super::states_a_goal("Vendeur depuis 6 ans, je m'intéresse au métier de fleuriste"));
        assert!(super::states_a_goal("je suis cariste et je suis attirée par la logistique"));
    }

    #[test]
    fn a_goal_is_what_words_of_wanting_name_right_before() {
        use super::is_goal;
        assert!(is_goal("je veux devenir") && is_goal("elle reve etre") && is_goal("ans je voudrais etre un"));
        assert!(is_goal("je veux faire") && is_goal("me reconvertir comme"));
        assert!(is_goal("je peux passer") && is_goal("evoluer vers") && is_goal("me tourner vers un"));
        assert!(!is_goal("je suis") && !is_goal("devenir quoi apres") && !is_goal("je veux quitter mon poste"));
    }
}
