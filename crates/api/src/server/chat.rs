//! `POST /v1/chat` (Server-Sent Events, or one JSON object) and the widget's polling of a
//! conversation for a counsellor's reply.

use super::error::JsonBody;
use super::turn::{self, Channel, StartedTurn, TurnEvent};
use super::{ApiError, AppState};
use assistant::Answer;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_stream::wrappers::UnboundedReceiverStream;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatRequest {
    pub message: String,
    #[serde(default)]
    pub conversation_id: Option<String>,
    /// `false`: one JSON object instead of a stream.
    #[serde(default)]
    pub stream: Option<bool>,
    /// The profile the widget keeps for an open question (interests, level, exclusions), as
    /// the person corrected it; bounded and checked before use.
    #[serde(default)]
    pub profile: Option<assistant::Profile>,
}

/// JSON unless the client asked for a stream: `"stream": false`, or an Accept header naming
/// JSON and not event streams.
fn wants_json(req: &ChatRequest, headers: &HeaderMap) -> bool {
    if let Some(s) = req.stream {
        return !s;
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    accept.contains("application/json") && !accept.contains("text/event-stream")
}

pub async fn chat(
    State(state): State<Arc<AppState>>,
    info: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<ChatRequest>,
) -> Result<Response, ApiError> {
    let client = state.client_key(&info, &headers);
    state.check_rate(client)?;
    let json_reply = wants_json(&req, &headers);
    let context = turn::ClientContext { prior: Vec::new(), profile: req.profile };
    let started = turn::start(&state, &req.message, req.conversation_id.as_deref(), Channel::Chat, None, context, client).await?;
    if json_reply {
        let id = started.conversation_id.clone();
        let answer = collect(started).await?;
        return Ok(Json(answer_json(&id, &answer)).into_response());
    }
    Ok(sse(started).into_response())
}

/// Wait for the whole answer.
pub async fn collect(mut started: StartedTurn) -> Result<Answer, ApiError> {
    while let Some(e) = started.events.recv().await {
        match e {
            TurnEvent::Text(_) => {}
            TurnEvent::Done(a) => return Ok(*a),
            TurnEvent::Failed(m) => return Err(ApiError::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "turn_failed", m)),
        }
    }
    Err(ApiError::internal("the turn ended without an answer"))
}

pub fn answer_json(conversation_id: &str, a: &Answer) -> serde_json::Value {
    json!({
        "conversation_id": conversation_id,
        "answer": a.answer,
        "sources": a.sources,
        "attributions": a.attributions,
        "handoff": a.handoff,
        "exploration": a.exploration,
        "receipt": a.receipt,
    })
}

fn event(name: &str, data: serde_json::Value) -> Result<Event, Infallible> {
    Ok(Event::default().event(name).data(data.to_string()))
}

/// Events: `conversation`, then `text` pieces, then `sources`, `exploration` (an open
/// question's profile and proposals), `handoff` (when it happens), `receipt` and `done`; or
/// `error`.
fn sse(started: StartedTurn) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let head = stream::iter(vec![event("conversation", json!({ "conversation_id": started.conversation_id }))]);
    let body = UnboundedReceiverStream::new(started.events).flat_map(|e| {
        let events = match e {
            TurnEvent::Text(t) => vec![event("text", json!({ "text": t }))],
            TurnEvent::Done(a) => {
                let mut v = vec![event("sources", json!({ "sources": a.sources, "attributions": a.attributions }))];
                if let Some(e) = &a.exploration {
                    v.push(event("exploration", json!(e)));
                }
                if let Some(h) = &a.handoff {
                    v.push(event("handoff", json!(h)));
                }
                v.push(event("receipt", json!(a.receipt)));
                v.push(event("done", json!({})));
                v
            }
            TurnEvent::Failed(m) => vec![event("error", json!({ "message": m }))],
        };
        stream::iter(events)
    });
    Sse::new(head.chain(body)).keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(5)))
}

#[derive(Deserialize)]
pub struct After {
    #[serde(default)]
    after: u64,
}

/// Messages after `after` (a counsellor's reply reaches the widget this way).
pub async fn messages(State(state): State<Arc<AppState>>, Path(id): Path<String>, Query(q): Query<After>) -> Result<Json<serde_json::Value>, ApiError> {
    let new = state.conversations.messages_after(&id, q.after)?.ok_or_else(|| ApiError::not_found("Cette conversation n'existe plus."))?;
    Ok(Json(json!({ "conversation_id": id, "messages": new.messages, "handoff": new.handoff })))
}
