//! The counsellor copilot's API (counsellor token): the queue of handed-off conversations,
//! claims (one counsellor answers a person, whichever replica each is connected to), suggested
//! replies with sources, and the reply the counsellor decides to send (P7). The log records the
//! suggestion, the text sent and their difference.

use super::error::JsonBody;
use super::{ApiError, AppState};
use crate::config::Role;
use assistant::Event;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use state::{Claim, Reply, Suggestion};
use std::sync::Arc;

#[derive(Deserialize)]
pub struct QueueQuery {
    #[serde(default = "default_queue_limit")]
    limit: usize,
}

fn default_queue_limit() -> usize {
    100
}

/// Waiting conversations first, urgent first, by arrival; the latest urgent arrivals apart.
pub async fn queue(State(state): State<Arc<AppState>>, headers: HeaderMap, Query(q): Query<QueueQuery>) -> Result<Json<Value>, ApiError> {
    state.authorize(&headers, Role::Counsellor)?;
    Ok(Json(json!(state.conversations.queue(q.limit.clamp(1, 1000))?)))
}

pub async fn conversation(State(state): State<Arc<AppState>>, headers: HeaderMap, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    state.authorize(&headers, Role::Counsellor)?;
    let c = state.conversations.get(&id)?.ok_or_else(|| ApiError::not_found("Cette conversation n'existe plus."))?;
    Ok(Json(json!(c)))
}

/// Run the assistant for a counsellor (through the same bounded queue as the users) and log
/// the suggestion under `kind` with `context` (conversation id or question).
async fn suggestion_for(
    state: &Arc<AppState>,
    question: String,
    history: guardrails::History,
    kind: &str,
    mut context: Value,
) -> Result<(Suggestion, Json<Value>), ApiError> {
    let question = super::turn::validate(state, &question)?;
    let assistant = state.assistant()?;
    let _admitted = state.admit.clone().try_acquire_owned().map_err(|_| ApiError::busy(state.retry_after_s()))?;
    let _running = state.run.clone().acquire_owned().await.map_err(ApiError::internal)?;
    let a = tokio::task::spawn_blocking(move || assistant.suggest(&question, history, &mut |_: Event| {}))
        .await
        .map_err(|e| super::turn::task_failed(&e))?
        .map_err(ApiError::internal)?;
    let s = Suggestion { id: state::new_id(), text: a.answer.clone(), sources: a.sources.clone() };
    context["suggestion_id"] = json!(s.id);
    context["text"] = json!(s.text);
    context["receipt"] = json!(a.receipt);
    state.log.append(kind, context).await.map_err(ApiError::internal)?;
    let body = Json(json!({ "suggestion_id": s.id, "text": s.text, "sources": s.sources, "receipt": a.receipt }));
    Ok((s, body))
}

/// A suggested reply to the conversation's latest user message.
pub async fn suggest(State(state): State<Arc<AppState>>, headers: HeaderMap, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    state.authorize(&headers, Role::Counsellor)?;
    let c = state.conversations.get(&id)?.ok_or_else(|| ApiError::not_found("Cette conversation n'existe plus."))?;
    let last = c.last_user_text().map(String::from).ok_or_else(|| ApiError::bad_request("Aucun message de l'usager dans cette conversation."))?;
    // The conversation decides with the message: distress earlier keeps the fixed draft.
    let mut history = c.history();
    history.previous.pop();
    let (s, body) = suggestion_for(&state, last, history, "suggestion", json!({ "conversation": state.log.conversation(&id) })).await?;
    state.conversations.set_suggestion(&id, s)?;
    Ok(body)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssistRequest {
    pub question: String,
}

fn claimed_by_other(who: &str) -> ApiError {
    ApiError::new(axum::http::StatusCode::CONFLICT, "claimed", format!("Un autre conseiller ({who}) répond déjà à cette personne : rien n'a été envoyé."))
}

/// The counsellor takes the conversation: only they reply to this person from now on
/// (409 when another counsellor already has).
pub async fn claim(State(state): State<Arc<AppState>>, headers: HeaderMap, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let me = state.counsellor(&headers)?;
    match state.conversations.claim(&id, &me)? {
        Claim::Yours => Ok(Json(json!({ "conversation_id": id, "claimed_by": me }))),
        Claim::Other(who) => Err(claimed_by_other(&who)),
        Claim::NotHandedOff => Err(ApiError::bad_request("Personne n'a demandé de conseiller dans cette conversation.")),
        Claim::Unknown => Err(ApiError::not_found("Cette conversation n'existe plus.")),
    }
}

/// The next person waiting that no counsellor has taken (urgent first), now this counsellor's;
/// counsellors asking at once, on any replicas, each get a different one.
pub async fn next(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let me = state.counsellor(&headers)?;
    let c = state.conversations.claim_next(&me)?;
    Ok(Json(json!({ "conversation": c, "claimed_by": c.as_ref().map(|_| me) })))
}

/// Agent assist: a suggestion for any question the counsellor types in (logged redacted).
pub async fn assist(State(state): State<Arc<AppState>>, headers: HeaderMap, JsonBody(req): JsonBody<AssistRequest>) -> Result<Json<Value>, ApiError> {
    state.authorize(&headers, Role::Counsellor)?;
    let redacted = guardrails::pii::redact(&req.question).0;
    let (_, body) = suggestion_for(&state, req.question, guardrails::History::default(), "assist", json!({ "question": redacted })).await?;
    Ok(body)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    pub text: String,
    /// The copilot's id for this sending: sent again (a retry, a double click), the reply is
    /// delivered and logged once.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// Word-level difference between the suggestion and what was sent: runs of removed words as
/// `[-…-]`, added words as `{+…+}`.
pub fn word_diff(suggested: &str, sent: &str) -> String {
    let diff = similar::TextDiff::from_words(suggested, sent);
    let (mut out, mut del, mut ins) = (String::new(), String::new(), String::new());
    let flush = |out: &mut String, del: &mut String, ins: &mut String| {
        if !del.trim().is_empty() {
            out.push_str(&format!("[-{}-] ", del.trim()));
        }
        if !ins.trim().is_empty() {
            out.push_str(&format!("{{+{}+}} ", ins.trim()));
        }
        del.clear();
        ins.clear();
    };
    for change in diff.iter_all_changes() {
        let v = change.value();
        match change.tag() {
            similar::ChangeTag::Delete => del.push_str(v),
            similar::ChangeTag::Insert => ins.push_str(v),
            // Spaces inside a run of changes belong to the run.
            similar::ChangeTag::Equal if v.trim().is_empty() && !(del.is_empty() && ins.is_empty()) => {
                del.push_str(v);
                ins.push_str(v);
            }
            similar::ChangeTag::Equal => {
                flush(&mut out, &mut del, &mut ins);
                out.push_str(v);
            }
        }
    }
    flush(&mut out, &mut del, &mut ins);
    out.trim_end().to_string()
}

/// The counsellor sends a reply: it reaches the user's widget; the log keeps the suggestion,
/// the text sent (personal data masked) and their difference. The counsellor is responsible
/// for what is sent (P7).
pub async fn reply(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ReplyRequest>,
) -> Result<Json<Value>, ApiError> {
    let me = state.counsellor(&headers)?;
    let text = super::turn::validate(&state, &req.text)?;
    // Redacted for the log before anything is delivered: nothing reaches the user off the record.
    let sent = guardrails::pii::redact(&text).0;
    let gone = || ApiError::not_found("Cette conversation n'existe plus.");
    // Claimed first, so that a reply logged is a reply sent: another counsellor's claim stops
    // it before the record.
    if let Claim::Other(who) = state.conversations.claim(&id, &me)? {
        return Err(claimed_by_other(&who));
    }
    let request_id = req.request_id.filter(|r| !r.is_empty());
    if request_id.as_ref().is_some_and(|r| r.len() > 64 || !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')) {
        return Err(ApiError::bad_request("request_id : 64 lettres, chiffres, - ou _ au plus."));
    }
    let conversation = state.conversations.get(&id)?.ok_or_else(gone)?;
    // Sent again (a retry, a double click): already delivered and logged once.
    if let Some(seq) = request_id.as_deref().and_then(|r| conversation.delivered(r)) {
        return Ok(Json(json!({ "conversation_id": id, "seq": seq, "already_sent": true, "counsellor": me })));
    }
    let suggestion = conversation.suggestion;
    let suggested = suggestion.as_ref().map(|s| guardrails::pii::redact(&s.text).0);
    let diff = suggested.as_deref().map(|s| word_diff(s, &sent));
    state
        .log
        .append(
            "counsellor_reply",
            json!({
                "conversation": state.log.conversation(&id),
                "suggestion_id": suggestion.as_ref().map(|s| s.id.clone()),
                "suggested": suggested,
                "sent": sent,
                "diff": diff,
                "edited": suggested.as_deref().map(|s| s != sent),
                "responsible": "counsellor",
                "counsellor": me,
                "request_id": request_id,
                "point": "P7",
            }),
        )
        .await
        .map_err(ApiError::internal)?;
    // Delivered only once on the record (P11).
    let seq = match state.conversations.counsellor_reply(&id, &me, &text, request_id.as_deref())? {
        Reply::Sent(seq) => seq,
        Reply::Other(who) => return Err(claimed_by_other(&who)),
        Reply::Unknown => return Err(gone()),
    };
    Ok(Json(json!({ "conversation_id": id, "seq": seq, "diff": diff, "counsellor": me })))
}

#[cfg(test)]
mod tests {
    #[test]
    fn word_diff_marks_changes_only() {
        assert_eq!(super::word_diff("Bonjour, voici la fiche.", "Bonjour, voici la fiche."), "Bonjour, voici la fiche.");
        let d = super::word_diff("Le CAP dure deux ans.", "Le CAP dure en général deux ans.");
        assert_eq!(d, "Le CAP dure {+en général+} deux ans.");
        let d = super::word_diff("Tu peux lire la fiche du CAP.", "Bonjour, je suis là.");
        assert_eq!(d, "[-Tu peux lire la fiche du CAP.-] {+Bonjour, je suis là.+}");
    }
}
