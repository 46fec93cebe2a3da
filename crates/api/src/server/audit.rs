//! The audit team's API (auditor token): read and verify the transparency log (P11), list the
//! fairness and answer reports and serve them.

use super::{ApiError, AppState};
use crate::config::Role;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::sync::Arc;

#[derive(Deserialize)]
pub struct Page {
    /// Records with `seq` greater than this (default: the latest `limit` records).
    after: Option<u64>,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    100
}

pub async fn log_records(State(state): State<Arc<AppState>>, headers: HeaderMap, Query(page): Query<Page>) -> Result<Json<Value>, ApiError> {
    state.authorize(&headers, Role::Auditor)?;
    let path = state.log.path.clone();
    let limit = page.limit.clamp(1, 1000);
    let records = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<Value>> {
        let file = std::fs::File::open(&path)?;
        let mut out = std::collections::VecDeque::new();
        for line in BufReader::new(file).lines() {
            let Ok(v) = serde_json::from_str::<Value>(&line?) else { continue };
            let seq = v["seq"].as_u64().unwrap_or(0);
            match page.after {
                Some(a) if seq <= a => continue,
                Some(_) if out.len() >= limit => break,
                _ => {}
            }
            out.push_back(v);
            if page.after.is_none() && out.len() > limit {
                out.pop_front();
            }
        }
        Ok(out.into())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    Ok(Json(json!({ "file": state.log.path.display().to_string(), "records": records })))
}

/// This replica's log verified against the configured public key (never one written in the
/// log) and the head it published, with one sentence on what that proves; and every replica's
/// published head, so that the auditors know which chains the deployment has.
pub async fn log_verify(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    state.authorize(&headers, Role::Auditor)?;
    state.publish_log_head().await;
    let store = state.conversations.store().clone();
    let heads = tokio::task::spawn_blocking(move || store.log_heads()).await.map_err(ApiError::internal)??;
    let me = state.log.replica.clone();
    let published = heads.iter().find(|h| Some(&h.replica) == me.as_ref()).map(|h| (h.seq, h.hash.clone()));
    let report = state.log.verify(published).await.map_err(ApiError::internal)?;
    let mut body = json!(report);
    body["summary"] = json!(report.summary());
    body["deployment"] = json!(heads
        .iter()
        .map(|h| json!({ "replica": h.replica, "seq": h.seq, "hash": h.hash, "published": h.updated, "verified_here": Some(&h.replica) == me.as_ref() }))
        .collect::<Vec<_>>());
    body["deployment_note"] = json!(
        "Each replica verifies its own chain here; the others' files are checked together, each against its published head, with `orient log verify FILE…`."
    );
    Ok(Json(body))
}

/// An operator applies the retention period now (the server also does it daily); the purge
/// is itself recorded in the log.
pub async fn log_purge(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    state.authorize(&headers, Role::Operator)?;
    let removed = state.log.purge("operator").await.map_err(ApiError::internal)?;
    let names: Vec<String> = removed.iter().filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
    Ok(Json(json!({ "removed": names })))
}

/// Reports are folders under the reports directory holding a `report.json`.
pub async fn reports(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    state.authorize(&headers, Role::Auditor)?;
    let mut list = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&state.reports_dir) {
        for e in entries.flatten() {
            let dir = e.path();
            let Ok(text) = std::fs::read_to_string(dir.join("report.json")) else { continue };
            let Ok(r) = serde_json::from_str::<Value>(&text) else { continue };
            list.push(json!({
                "name": e.file_name().to_string_lossy(),
                "kind": r["kind"],
                "created": r["created"],
                "pass": r["pass"],
                "summary": r["summary"],
                "has_html": dir.join("report.html").exists(),
            }));
        }
    }
    list.sort_by(|a, b| b["created"].as_str().cmp(&a["created"].as_str()));
    Ok(Json(json!({ "reports_dir": state.reports_dir.display().to_string(), "reports": list })))
}

pub async fn report_file(State(state): State<Arc<AppState>>, headers: HeaderMap, Path((name, file)): Path<(String, String)>) -> Result<Response, ApiError> {
    state.authorize(&headers, Role::Auditor)?;
    let safe = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) && !s.starts_with('.');
    let content_type = match file.as_str() {
        "report.json" => "application/json",
        "report.html" => "text/html; charset=utf-8",
        _ => return Err(ApiError::not_found("Seuls report.json et report.html sont servis.")),
    };
    if !safe(&name) {
        return Err(ApiError::not_found("Rapport inconnu."));
    }
    let body = std::fs::read(state.reports_dir.join(&name).join(&file)).map_err(|_| ApiError::not_found("Rapport inconnu."))?;
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
