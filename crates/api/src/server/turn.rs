//! One chat turn as the service runs it: validation, the answer cache, admission to the
//! bounded generation queue, the assistant on a blocking thread with its text streamed, then
//! the conversation, the metrics and the transparency log updated before the turn is done.

use super::{ApiError, AppState};
use assistant::{Answer, AssistantError, Event};
use guardrails::{Action, InputReport};
use state::Queued;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

pub enum TurnEvent {
    /// Checked text, in order.
    Text(String),
    /// The finished answer (already logged).
    Done(Box<Answer>),
    /// The turn failed after it started; the message is for the user.
    Failed(String),
}

pub struct StartedTurn {
    pub conversation_id: String,
    pub events: mpsc::UnboundedReceiver<TurnEvent>,
}

pub use assistant::Channel;

/// Check a message before anything runs: 400 when empty, 413 when too long.
pub fn validate(state: &AppState, message: &str) -> Result<String, ApiError> {
    let m = message.trim();
    if m.is_empty() {
        return Err(ApiError::bad_request("Le message est vide. Écris ta question."));
    }
    let max = state.config.server.max_message_chars;
    if m.chars().count() > max {
        return Err(ApiError::too_large(format!("Ton message est trop long (plus de {max} caractères). Écris une question plus courte.")));
    }
    Ok(m.to_string())
}

/// Identical questions share an answer only when they hold no personal data and the rails
/// let the assistant answer (hand-offs and refusals are instant and must reach the queue).
fn cache_key(input: &InputReport, first_turn: bool) -> Option<String> {
    let answerable = matches!(input.action, Action::Answer | Action::AnswerWithCare);
    if !answerable || input.fired("pii") {
        return None;
    }
    let normalised: String = input
        .redacted
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
        .to_string();
    Some(format!("{}|{normalised}", if first_turn { 1 } else { 0 }))
}

/// What a client sends along with its message.
#[derive(Default)]
pub struct ClientContext {
    /// Earlier user messages the client sent with this one (OpenAI clients resend the whole
    /// conversation); they are redacted and read with the message like a conversation's.
    pub prior: Vec<String>,
    /// The profile the widget shows (and the person may have corrected); kept by the client,
    /// never by the service.
    pub profile: Option<assistant::Profile>,
}

/// `first_turn`: whether to add the AI disclosure; `None` lets the conversation decide.
pub async fn start(
    state: &Arc<AppState>,
    message: &str,
    requested_id: Option<&str>,
    channel: Channel,
    first_turn: Option<bool>,
    context: ClientContext,
    client: IpAddr,
) -> Result<StartedTurn, ApiError> {
    let ClientContext { prior, profile } = context;
    let profile = profile.map(assistant::Profile::sanitised).filter(|p| !p.is_empty());
    let message = validate(state, message)?;
    let assistant = state.assistant()?;
    // Nothing is stored before the turn is recorded: a refused request leaves nothing behind.
    let (conversation_id, known) = state.conversations.begin(requested_id)?;
    let client = state.conversations.client_pseudonym(&client.to_string());
    let mut history = known.as_ref().map(state::Conversation::history).unwrap_or_default();
    history.previous.extend(prior.iter().map(|m| guardrails::pii::redact(m).0));
    let input = {
        let (assistant, message, history) = (assistant.clone(), message.clone(), history.clone());
        tokio::task::spawn_blocking(move || assistant.check(&message, &history)).await.map_err(|e| task_failed(&e))?
    };
    let needs_model = matches!(input.action, Action::Answer | Action::RedactAndAnswer | Action::AnswerWithCare);
    let known_turns = known.as_ref().map(|c| c.turns);
    let first_turn = first_turn.unwrap_or(known_turns.is_none_or(|t| t == 0));
    // A short follow-up is answered with the previous question; its answer depends on the
    // conversation, so it is never shared through the cache.
    let previous = match &known {
        Some(c) if c.turns > 0 && assistant::is_follow_up(&input.retrieval_text) => c.last_user_text().map(String::from),
        _ => None,
    };
    // An answer that depends on the conversation or on the person's profile is never shared.
    let key = if previous.is_some() || profile.is_some() { None } else { state.cache.as_ref().and_then(|_| cache_key(&input, first_turn)) };
    let (tx, events) = mpsc::unbounded_channel();
    let t0 = Instant::now();

    // Cached answers are served even when the generation queue is full.
    if let Some(hit) = key.as_ref().and_then(|k| state.cache.as_ref()?.get(k)) {
        let mut answer = (*hit).clone();
        answer.receipt.cached = true;
        answer.first_text_ms = t0.elapsed().as_secs_f64() * 1e3;
        state.metrics.cache_hits.inc();
        let _ = tx.send(TurnEvent::Text(answer.answer.clone()));
        let (state, id) = (state.clone(), conversation_id.clone());
        tokio::spawn(async move { finish(&state, &id, &client, answer, channel, &tx).await });
        return Ok(StartedTurn { conversation_id, events });
    }

    let permit = if needs_model {
        match state.admit.clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                state.metrics.rejected.with_label_values(&["queue_full"]).inc();
                return Err(ApiError::busy(state.retry_after_s()));
            }
        }
    } else {
        None
    };
    let (state, id) = (state.clone(), conversation_id.clone());
    tokio::spawn(async move {
        let _admitted = permit;
        // The model's place is waited for inside the turn, once the card is shown
        // (`RunSlot`); a client that goes away gives it back: while waiting, at once; while
        // generating, at the next token.
        let cancel = Arc::new(AtomicBool::new(false));
        let run_slot = needs_model.then(|| {
            Arc::new(RunSlot {
                state: state.clone(),
                gone: tx.clone(),
                handle: tokio::runtime::Handle::current(),
                cancel: cancel.clone(),
                acquired: std::sync::Mutex::new(None),
            })
        });
        let model_slot = run_slot.clone().map(|s| s as Arc<dyn assistant::ModelSlot>);
        // Holds a sender: stopped once the answer is done, so the stream can end.
        let watcher = needs_model.then(|| {
            let (watch, flag) = (tx.clone(), cancel.clone());
            tokio::spawn(async move {
                watch.closed().await;
                flag.store(true, Ordering::Relaxed);
            })
        });
        let stream = tx.clone();
        let cancelled = cancel.clone();
        let result = tokio::task::spawn_blocking(move || {
            let opts = assistant::TurnOptions {
                first_turn,
                previous_question: previous,
                history,
                checked: Some(input),
                cancel: Some(cancelled),
                profile,
                for_counsellor: false,
                model_slot,
            };
            assistant.turn(&message, opts, &mut |e| {
                let Event::Text(t) = e;
                let _ = stream.send(TurnEvent::Text(t));
            })
        })
        .await;
        if let Some(w) = watcher {
            w.abort();
        }
        match result {
            Ok(Ok(answer)) => {
                // The model's time for one answer, from its place in the queue on (`Retry-After`).
                let acquired = run_slot.as_ref().and_then(|r| *r.acquired.lock().unwrap_or_else(|e| e.into_inner()));
                if let (Some(at), true) = (acquired, answer.generation.is_some()) {
                    state.note_answer_ms(at.elapsed().as_secs_f64() * 1e3);
                }
                // An answer cut short for a client that left is not an answer to share.
                let complete = !cancel.load(Ordering::Relaxed);
                if let (Some(k), Some(cache), true) = (key, state.cache.as_ref(), complete) {
                    cache.insert(k, Arc::new(answer.clone()));
                }
                finish(&state, &id, &client, answer, channel, &tx).await;
            }
            Ok(Err(e)) => {
                tracing::error!("turn failed: {e}");
                let _ = tx.send(TurnEvent::Failed(user_message(&e)));
            }
            Err(e) => {
                let _ = task_failed(&e);
                let _ = tx.send(TurnEvent::Failed("Une erreur s'est produite de notre côté. Réessaie plus tard.".into()));
            }
        }
    });
    Ok(StartedTurn { conversation_id, events })
}

/// A turn's place in the queue for the model: one of `workers` permits, waited for on the
/// turn's blocking thread once its card is shown, given up if the client goes away.
struct RunSlot {
    state: Arc<AppState>,
    gone: mpsc::UnboundedSender<TurnEvent>,
    handle: tokio::runtime::Handle,
    /// Set when the client left while waiting: the card-only answer is not cached.
    cancel: Arc<AtomicBool>,
    /// When the place was obtained.
    acquired: std::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for RunSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunSlot")
    }
}

/// Holds a worker permit while the model writes; counted in the `generating` gauge.
struct Running {
    _permit: tokio::sync::OwnedSemaphorePermit,
    state: Arc<AppState>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.state.metrics.generating.dec();
    }
}

impl assistant::ModelSlot for RunSlot {
    fn wait(&self) -> Option<Box<dyn Send>> {
        let m = &self.state.metrics;
        m.queue_waiting.inc();
        let permit = self.handle.block_on(async {
            tokio::select! {
                r = self.state.run.clone().acquire_owned() => r.ok(),
                () = self.gone.closed() => None,
            }
        });
        m.queue_waiting.dec();
        match permit {
            Some(p) => {
                m.generating.inc();
                *self.acquired.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                Some(Box::new(Running { _permit: p, state: self.state.clone() }))
            }
            None => {
                self.cancel.store(true, Ordering::Relaxed);
                m.rejected.with_label_values(&["client_gone"]).inc();
                None
            }
        }
    }
}

/// A blocking task that panicked or was cancelled: logged without its panic message (it may
/// quote the user), answered with the French 500.
pub fn task_failed(e: &tokio::task::JoinError) -> ApiError {
    tracing::error!("a turn's task failed ({}; message withheld)", if e.is_panic() { "panic" } else { "cancelled" });
    ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal", "Une erreur s'est produite de notre côté. Réessaie plus tard.")
}

fn user_message(e: &AssistantError) -> String {
    match e {
        AssistantError::EmptyQuestion => "Le message est vide. Écris ta question.".into(),
        _ => "Je n'arrive pas à répondre pour le moment (problème technique). Réessaie plus tard ou parle à un conseiller.".into(),
    }
}

/// Log, conversation and metrics, then `Done`. A reply whose record cannot be written is
/// reported as failed: nothing is answered off the record (P11); its handoff still joins the
/// queue, since a person waiting for a counsellor matters more than a missing record.
async fn finish(state: &Arc<AppState>, conversation_id: &str, client: &str, answer: Answer, channel: Channel, tx: &mpsc::UnboundedSender<TurnEvent>) {
    let m = &state.metrics;
    for v in &answer.receipt.verdicts {
        m.verdicts.with_label_values(&[&v.point, &v.rail, v.action.as_str()]).inc();
    }
    m.first_text.with_label_values(&[if answer.receipt.cached { "true" } else { "false" }]).observe(answer.first_text_ms / 1e3);
    if let (Some(g), false) = (&answer.generation, answer.receipt.cached) {
        m.generated_tokens.inc_by(g.generated_tokens as u64);
        if g.decode_ms > 0.0 && g.generated_tokens > 1 {
            let model = answer.receipt.models.last().map(|i| i.name.as_str()).unwrap_or("");
            m.decode_tokens_per_s.with_label_values(&[model]).observe((g.generated_tokens - 1) as f64 / (g.decode_ms / 1e3));
        }
    }
    if let Some(h) = &answer.handoff {
        m.handoffs.with_label_values(&[&h.priority]).inc();
    }
    let logged = match serde_json::to_value(answer.record(channel, Some(state.log.conversation(conversation_id)))) {
        Ok(record) => state.log.append(assistant::TURN_RECORD, record).await,
        Err(e) => Err(e.to_string()),
    };
    let record_turn = || {
        state.conversations.record_turn(
            conversation_id,
            Some(client),
            &answer.redacted_question,
            &answer.answer,
            answer.handoff.as_ref(),
            &answer.receipt.verdicts,
            &answer.sources,
        )
    };
    match logged {
        Ok(()) => {
            let queued = match record_turn() {
                Ok(q) => q,
                Err(e) => {
                    // Not recorded, so nobody would see a handoff: the person is told where
                    // to find help now.
                    tracing::error!("{e}");
                    let _ = tx.send(TurnEvent::Failed(super::error::STATE_UNAVAILABLE.into()));
                    return;
                }
            };
            let mut answer = answer;
            if let Some(note) = not_queued_note(queued) {
                // Said to the person, not only counted: they were just told a counsellor would
                // answer here. No handoff event either: the widget must not wait for one.
                m.rejected.with_label_values(&[queued_label(queued)]).inc();
                let _ = tx.send(TurnEvent::Text(format!("\n{note}")));
                answer.answer = format!("{}\n{note}", answer.answer);
                if let Err(e) = state.conversations.amend_last_answer(conversation_id, note) {
                    tracing::error!("{e}");
                }
                answer.handoff = None;
                let _ = state
                    .log
                    .append(
                        "handoff_not_queued",
                        serde_json::json!({ "conversation": state.log.conversation(conversation_id), "reason": queued_label(queued), "said": note }),
                    )
                    .await;
            }
            let _ = tx.send(TurnEvent::Done(Box::new(answer)));
        }
        Err(e) => {
            tracing::error!("transparency log: {e}");
            if answer.handoff.is_some() {
                if let Err(e) = record_turn() {
                    tracing::error!("{e}");
                }
            }
            let _ = tx.send(TurnEvent::Failed("Une erreur s'est produite de notre côté. Réessaie plus tard.".into()));
        }
    }
}

/// What a person whose request for a human did not join the queue is told.
fn not_queued_note(q: Queued) -> Option<&'static str> {
    match q {
        Queued::No | Queued::Yes => None,
        Queued::Repeat => Some("Tu as déjà envoyé cette demande : elle est dans la file des conseillers, la réponse arrivera dans ta première conversation."),
        Queued::ClientCap | Queued::Full => Some(
            "En fait, beaucoup de demandes arrivent en ce moment et ta demande n'a pas pu être ajoutée à la file des conseillers. \
Réessaie un peu plus tard. Si tu ne vas pas bien, appelle le 3114 (jour et nuit, gratuit) ou le 119 si tu es en danger.",
        ),
    }
}

fn queued_label(q: Queued) -> &'static str {
    match q {
        Queued::Repeat => "handoff_repeat",
        Queued::ClientCap => "handoff_client_cap",
        Queued::Full => "handoff_queue_full",
        Queued::No | Queued::Yes => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_key_normalises_and_skips_personal_data_and_handoffs() {
        let a = cache_key(&guardrails::check_input("C'est quoi le métier   de boulanger ?"), true).unwrap();
        let b = cache_key(&guardrails::check_input("c'est quoi le métier de boulanger"), true).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, cache_key(&guardrails::check_input("c'est quoi le métier de boulanger"), false).unwrap());
        assert!(cache_key(&guardrails::check_input("Je m'appelle Léa Martin, c'est quoi le métier de boulanger ?"), true).is_none());
        assert!(cache_key(&guardrails::check_input("je veux parler à un conseiller"), true).is_none());
    }
}
