//! `POST /v1/chat/completions` for OpenAI clients (streamed chunks or one completion), on the
//! same pipeline as `/v1/chat`: rails, queue, cache, log. Sources are appended to the text so
//! that any client shows them; the receipt rides in an `orient` field.

use super::chat::collect;
use super::error::JsonBody;
use super::turn::{self, Channel, TurnEvent};
use super::{ApiError, AppState};
use assistant::Answer;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_stream::wrappers::UnboundedReceiverStream;

pub const MODEL_ID: &str = "orient";

#[derive(Deserialize)]
pub struct CompletionRequest {
    #[serde(default)]
    pub model: Option<String>,
    pub messages: Vec<InMessage>,
    #[serde(default)]
    pub stream: bool,
}

#[derive(Deserialize)]
pub struct InMessage {
    pub role: String,
    /// A string, or a list of `{"type": "text", "text": …}` parts.
    pub content: Value,
}

fn text_of(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join("\n"),
        _ => String::new(),
    }
}

/// Sources as plain lines after the answer.
fn sources_text(a: &Answer) -> String {
    if a.sources.is_empty() {
        return String::new();
    }
    let mut s = String::from("\n\nSources :");
    for src in &a.sources {
        s.push_str(&format!("\n- {} : {}", src.title, src.url));
    }
    s
}

fn orient_extra(a: &Answer) -> Value {
    json!({ "sources": a.sources, "attributions": a.attributions, "handoff": a.handoff, "receipt": a.receipt })
}

pub async fn completions(
    State(state): State<Arc<AppState>>,
    info: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<CompletionRequest>,
) -> Result<Response, ApiError> {
    let client = state.client_key(&info, &headers);
    state.check_rate(client)?;
    let user_turns = req.messages.iter().filter(|m| m.role == "user").count();
    let question = req.messages.iter().rev().find(|m| m.role == "user").map(|m| text_of(&m.content)).unwrap_or_default();
    if question.trim().is_empty() {
        return Err(ApiError::bad_request("Il faut au moins un message « user » avec du texte."));
    }
    // OpenAI clients resend the whole history: the AI disclosure goes with the first turn only.
    let _ = req.model;
    // Earlier user messages are read with this one by the rails (distress over several turns).
    let mut prior: Vec<String> = req.messages.iter().filter(|m| m.role == "user").map(|m| text_of(&m.content)).collect();
    prior.pop();
    let context = turn::ClientContext { prior, profile: None };
    let started = turn::start(&state, &question, None, Channel::OpenAi, Some(user_turns <= 1), context, client).await?;
    let id = format!("chatcmpl-{}", started.conversation_id);
    let created = state::now();
    if !req.stream {
        let a = collect(started).await?;
        return Ok(Json(json!({
            "id": id, "object": "chat.completion", "created": created, "model": MODEL_ID,
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": format!("{}{}", a.answer, sources_text(&a)) }, "finish_reason": "stop" }],
            "usage": { "prompt_tokens": a.receipt.prompt_tokens, "completion_tokens": a.receipt.generated_tokens, "total_tokens": a.receipt.prompt_tokens + a.receipt.generated_tokens },
            "orient": orient_extra(&a),
        }))
        .into_response());
    }
    let chunk = move |delta: Value, finish: Option<&str>, extra: Option<Value>| -> Result<Event, Infallible> {
        let mut v = json!({ "id": id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID, "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }] });
        if let Some(x) = extra {
            v["orient"] = x;
        }
        Ok(Event::default().data(v.to_string()))
    };
    let first = chunk(json!({ "role": "assistant", "content": "" }), None, None);
    let body = UnboundedReceiverStream::new(started.events).flat_map(move |e| {
        let events = match e {
            TurnEvent::Text(t) => vec![chunk(json!({ "content": t }), None, None)],
            TurnEvent::Done(a) => vec![
                chunk(json!({ "content": sources_text(&a) }), None, None),
                chunk(json!({}), Some("stop"), Some(orient_extra(&a))),
                Ok(Event::default().data("[DONE]")),
            ],
            TurnEvent::Failed(m) => vec![Ok(Event::default().data(json!({ "error": { "message": m } }).to_string())), Ok(Event::default().data("[DONE]"))],
        };
        stream::iter(events)
    });
    Ok(Sse::new(stream::iter(vec![first]).chain(body)).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(5))).into_response())
}

pub async fn models() -> Json<Value> {
    Json(json!({ "object": "list", "data": [{ "id": MODEL_ID, "object": "model", "owned_by": "orient" }] }))
}
