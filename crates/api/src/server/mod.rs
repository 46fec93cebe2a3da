//! `orient serve`: the HTTP service (axum). Routes for the public widget, the counsellor
//! copilot and the audit team; protection (tokens, limits, rate limits, CORS, bounded queue);
//! health and metrics. The models load after the port is bound, so `/readyz` can say so.

mod audit;
mod chat;
pub mod client;
mod counsellor;
mod error;
mod listen;
mod log_writer;
mod metrics;
mod openai;
mod pages;
mod turn;

use crate::app::App;
use crate::config::{Config, Role};
use assistant::{Answer, Assistant, AssistantConfig};
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
pub use error::ApiError;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use log_writer::LogWriter;
use metrics::Metrics;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};

pub struct AppState {
    pub config: Config,
    /// Set once the models and the index are loaded.
    pub assistant: OnceLock<Arc<Assistant>>,
    /// Conversations and the counsellor queue, in the shared state store.
    pub conversations: state::Conversations,
    pub log: LogWriter,
    /// Answers admitted (running or waiting): `workers + queue_capacity` permits.
    pub admit: Arc<Semaphore>,
    /// Answers running at once: `workers` permits.
    pub run: Arc<Semaphore>,
    pub cache: Option<moka::sync::Cache<String, Arc<Answer>>>,
    pub metrics: Metrics,
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Who a request's client is (trusted proxies, IPv6 /64).
    pub clients: client::ClientResolver,
    pub reports_dir: PathBuf,
    /// Moving average of a generated answer's duration (ms), for `Retry-After`.
    pub answer_ms: AtomicU64,
    pub started: Instant,
    /// The log's chain was found to reach the head published before this start.
    log_head_checked: AtomicBool,
    /// It was not: nothing is published over the evidence.
    log_head_refused: AtomicBool,
}

impl AppState {
    pub fn new(config: Config, log: LogWriter, reports_dir: PathBuf, store: Arc<dyn state::StateStore>) -> Result<Arc<AppState>, state::StateError> {
        let s = &config.server;
        let cache = (s.answer_cache_ttl_s > 0)
            .then(|| moka::sync::Cache::builder().max_capacity(s.answer_cache_capacity).time_to_live(Duration::from_secs(s.answer_cache_ttl_s)).build());
        let limiter = NonZeroU32::new(s.rate_limit_per_minute).map(|per_min| {
            let burst = NonZeroU32::new(s.rate_limit_burst.max(1)).expect("max(1)");
            RateLimiter::keyed(Quota::per_minute(per_min).allow_burst(burst))
        });
        let limits = state::Limits {
            history: s.history_messages,
            capacity: s.max_conversations,
            ttl: Duration::from_secs(s.conversation_ttl_s),
            max_waiting: s.max_waiting_handoffs,
            max_waiting_per_client: s.max_waiting_handoffs_per_client,
        };
        Ok(Arc::new(AppState {
            clients: client::ClientResolver::new(&s.trusted_proxies, &s.client_ip_header),
            assistant: OnceLock::new(),
            conversations: state::Conversations::open(store, limits)?,
            admit: Arc::new(Semaphore::new(s.workers + s.queue_capacity)),
            run: Arc::new(Semaphore::new(s.workers)),
            cache,
            limiter,
            metrics: Metrics::new(),
            reports_dir,
            log,
            answer_ms: AtomicU64::new(10_000),
            started: Instant::now(),
            log_head_checked: AtomicBool::new(false),
            log_head_refused: AtomicBool::new(false),
            config,
        }))
    }

    pub fn assistant(&self) -> Result<Arc<Assistant>, ApiError> {
        match self.assistant.get() {
            Some(a) => Ok(a.clone()),
            None => {
                self.metrics.rejected.with_label_values(&["starting"]).inc();
                Err(ApiError::starting())
            }
        }
    }

    /// The key a request's client is counted under (rate limits, handoff caps).
    pub fn client_key(&self, info: &ConnectInfo<SocketAddr>, headers: &HeaderMap) -> IpAddr {
        self.clients.client_key(info.0.ip(), headers)
    }

    /// Per-client rate limit for the chat endpoints (429 with Retry-After beyond it).
    pub fn check_rate(&self, client: IpAddr) -> Result<(), ApiError> {
        let Some(l) = &self.limiter else {
            return Ok(());
        };
        l.check_key(&client).map_err(|not_until| {
            self.metrics.rejected.with_label_values(&["rate_limited"]).inc();
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            ApiError::rate_limited(wait.as_secs().max(1))
        })
    }

    /// Periodic clean-up: idle handed-off conversations, rate-limit state of quiet clients.
    pub fn housekeeping(&self) {
        if let Err(e) = self.conversations.sweep() {
            tracing::error!("{e}");
        }
        if let Some(l) = &self.limiter {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// Publish this replica's log head in the shared state store (a failure is logged: the
    /// next attempt comes a minute later). The first time, the chain must reach the head
    /// published before: a log cut back or started anew never overwrites the evidence.
    pub async fn publish_log_head(&self) {
        let (Some(replica), Ok((seq, hash))) = (self.log.replica.clone(), self.log.head().await) else { return };
        if seq == 0 || self.log_head_refused.load(Ordering::Relaxed) {
            return;
        }
        let store = self.conversations.store().clone();
        if !self.log_head_checked.load(Ordering::Relaxed) {
            let s = store.clone();
            let Ok(Ok(heads)) = tokio::task::spawn_blocking(move || s.log_heads()).await else { return };
            if let Some(old) = heads.into_iter().find(|h| h.replica == replica) {
                match self.log.verify(Some((old.seq, old.hash))).await {
                    Ok(r) if r.problems.iter().any(|p| p.kind == "cut_back" || p.kind == "published_head") => {
                        self.log_head_refused.store(true, Ordering::Relaxed);
                        tracing::error!(
                            "transparency log: this chain does not reach the head replica {replica} published (seq {}); it is not published over it (audit it, then delete that row of log_heads)",
                            old.seq
                        );
                        return;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::error!("transparency log: {e}");
                        return;
                    }
                }
            }
            self.log_head_checked.store(true, Ordering::Relaxed);
        }
        let head = state::LogHead { replica, seq, hash, updated: state::now() };
        match tokio::task::spawn_blocking(move || store.publish_log_head(&head)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("publishing the log head: {e}"),
            Err(e) => tracing::error!("publishing the log head: {e}"),
        }
    }

    /// Seconds a refused client should wait: the queue ahead of it at the recent answer speed.
    pub fn retry_after_s(&self) -> u64 {
        let per_answer = self.answer_ms.load(Ordering::Relaxed) as f64 / 1e3;
        let ahead = (self.config.server.queue_capacity + self.config.server.workers) as f64 / self.config.server.workers as f64;
        (per_answer * ahead).ceil().clamp(1.0, 120.0) as u64
    }

    pub fn note_answer_ms(&self, ms: f64) {
        let old = self.answer_ms.load(Ordering::Relaxed) as f64;
        self.answer_ms.store((0.8 * old + 0.2 * ms) as u64, Ordering::Relaxed);
    }

    /// The counsellor a request comes from (their token must be a counsellor's): a pseudonym
    /// of the token, the same on every replica, that claims and replies are made under.
    pub fn counsellor(&self, headers: &HeaderMap) -> Result<String, ApiError> {
        self.authorize(headers, Role::Counsellor)?;
        let token = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or_default();
        Ok(format!("conseiller-{}", &crate::config::token_digest(token.trim())[..10]))
    }

    /// The role of the request's bearer token, which must be `need`.
    pub fn authorize(&self, headers: &HeaderMap, need: Role) -> Result<(), ApiError> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        match self.config.role_of(token) {
            Some(r) if r == need => Ok(()),
            Some(_) => Err(ApiError::forbidden()),
            None => Err(ApiError::unauthorized()),
        }
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    let public_api = Router::new()
        .route("/v1/chat", post(chat::chat))
        .route("/v1/chat/{id}/messages", get(chat::messages))
        .route("/v1/chat/completions", post(openai::completions))
        .route("/v1/models", get(openai::models));
    let public_api = match cors(&state.config.server.cors_origins) {
        Some(layer) => public_api.layer(layer),
        None => public_api,
    };
    Router::new()
        .merge(public_api)
        .route("/v1/counsellor/queue", get(counsellor::queue))
        .route("/v1/counsellor/conversations/{id}", get(counsellor::conversation))
        .route("/v1/counsellor/conversations/{id}/suggest", post(counsellor::suggest))
        .route("/v1/counsellor/conversations/{id}/reply", post(counsellor::reply))
        .route("/v1/counsellor/conversations/{id}/claim", post(counsellor::claim))
        .route("/v1/counsellor/next", post(counsellor::next))
        .route("/v1/counsellor/assist", post(counsellor::assist))
        .route("/v1/audit/log", get(audit::log_records))
        .route("/v1/audit/log/verify", get(audit::log_verify))
        .route("/v1/audit/reports", get(audit::reports))
        .route("/v1/audit/reports/{name}/{file}", get(audit::report_file))
        .route("/v1/admin/log/purge", post(audit::log_purge))
        .route("/", get(pages::demo))
        .route("/widget.js", get(pages::widget))
        .route("/charte", get(pages::charte))
        .route("/conseiller", get(pages::counsellor))
        .route("/audit", get(pages::audit))
        .route("/staff.css", get(pages::staff_css))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .fallback(|| async { ApiError::not_found("Cette adresse n'existe pas.") })
        .layer(axum::middleware::from_fn_with_state(state.clone(), json_posts_only))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(state.config.server.max_body_bytes))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panic_response))
        .with_state(state)
}

/// Browsers may call the chat API from the listed sites only (the widget's hosts).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let list: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()).collect();
    (!list.is_empty()).then(|| {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(list))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::CONTENT_TYPE])
            .max_age(Duration::from_secs(3600))
    })
}

/// Request count and latency by route (the matched pattern, never the raw path: ids stay out).
async fn observe(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let t = Instant::now();
    let resp = next.run(req).await;
    state.metrics.latency.with_label_values(&[&route]).observe(t.elapsed().as_secs_f64());
    state.metrics.requests.with_label_values(&[&route, resp.status().as_str()]).inc();
    resp
}

/// Every POST carries JSON: a form or text/plain post from any web page would reach the API
/// without a CORS preflight (a visitor's browser made to post on someone's behalf). Its body
/// (small: `max_body_bytes`) must arrive whole within three header timeouts, so that a body
/// sent a byte at a time cannot hold a connection.
async fn json_posts_only(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if req.method() == Method::POST {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if mime != "application/json" && !(mime.starts_with("application/") && mime.ends_with("+json")) {
            return ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "La demande doit être envoyée en JSON (en-tête Content-Type: application/json).",
            )
            .into_response();
        }
        let (parts, body) = req.into_parts();
        let deadline = Duration::from_secs(3 * state.config.server.header_read_timeout_s.max(1));
        let bytes = match tokio::time::timeout(deadline, axum::body::to_bytes(body, state.config.server.max_body_bytes)).await {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => return ApiError::too_large("Ta demande est trop longue. Écris un message plus court.").into_response(),
            Err(_) => {
                return ApiError::new(StatusCode::REQUEST_TIMEOUT, "timeout", "La demande est arrivée trop lentement. Réessaie.").into_response();
            }
        };
        return next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await;
    }
    next.run(req).await
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let ready = state.assistant.get().is_some();
    let body = serde_json::json!({
        "ready": ready,
        "uptime_s": state.started.elapsed().as_secs(),
        "queue_free": state.admit.available_permits(),
    });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, axum::Json(body)).into_response()
}

/// Prometheus text, for operators only (it shows the service's load and the rails' verdicts).
async fn metrics_text(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response, ApiError> {
    state.authorize(&headers, Role::Operator)?;
    state.metrics.conversations.set(state.conversations.len()? as i64);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response())
}

/// Start the service: bind, then load models and index (fetching and building them on first
/// start), then answer. Returns when a shutdown signal has drained open requests.
pub fn serve(app: App, config: Config, addr_override: Option<String>) -> anyhow::Result<()> {
    error::install_panic_hook();
    let addr = addr_override.unwrap_or_else(|| config.server.addr.clone());
    // The log first: a second server on the same home stops here, before taking a port.
    let log_config = app.transparency_log_config(&config.log)?;
    let trusted_key = config.log_public_key(log_config.signing_key.as_ref());
    let log = LogWriter::start(log_config, trusted_key, app.pseudonym_key()?)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        let local = listener.local_addr()?;
        let reports_dir = config.server.reports_dir.clone().unwrap_or_else(|| app.home.join("reports"));
        let max_tokens = config.assistant.max_tokens;
        let generation = config.assistant.generation;
        let location = config.state_location(&app.home)?;
        // Opened off the runtime's threads: a PostgreSQL store drives its own connections.
        let store = tokio::task::spawn_blocking(move || state::open(&location).map_err(|e| anyhow::anyhow!("{e} ({})", location.describe()))).await??;
        let state = AppState::new(config, log, reports_dir, store)?;
        let waiting = state.conversations.queue(1)?.waiting;
        if waiting > 0 {
            app.say(&format!("{waiting} conversation(s) waiting for a counsellor in the state store."));
        }
        // Printed on stdout, flushed: scripts and tests read the port from it.
        println!("orient listening on http://{local}");
        use std::io::Write;
        let _ = std::io::stdout().flush();

        let housekeeping = state.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(60));
            loop {
                every.tick().await;
                housekeeping.housekeeping();
                housekeeping.publish_log_head().await;
            }
        });
        let loading = state.clone();
        let load = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let searcher = app.searcher()?;
            let generator = app.generator()?;
            let mut assistant = Assistant::new(searcher, generator, AssistantConfig { max_tokens, generation, ..Default::default() })?;
            assistant.index_version = app.index_version();
            assistant.warm_up()?;
            let _ = loading.assistant.set(Arc::new(assistant));
            app.say("orient ready: models loaded, index open.");
            Ok(())
        });
        let failed_load = async move {
            match load.await {
                Ok(Ok(())) => std::future::pending::<anyhow::Error>().await,
                Ok(Err(e)) => e,
                Err(e) => anyhow::anyhow!("loading stopped: {e}"),
            }
        };
        let limits = listen::Limits {
            max_connections: state.config.server.max_connections,
            header_read_timeout: Duration::from_secs(state.config.server.header_read_timeout_s.max(1)),
            drain: Duration::from_secs(60),
        };
        let result = tokio::select! {
            () = listen::serve(listener, router(state.clone()), limits, shutdown_signal()) => Ok(()),
            e = failed_load => Err(e.context("the service could not load its models or index")),
        };
        // The log's clean end: a last signed checkpoint over everything written.
        if let Err(e) = state.log.close().await {
            tracing::error!("transparency log: {e}");
        }
        result
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    eprintln!("orient: shutting down, finishing open requests…");
}

#[cfg(test)]
mod panic_tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    async fn boom() -> &'static str {
        panic!("je m'appelle Léa Martin")
    }

    #[tokio::test]
    async fn a_panicking_request_gets_a_french_500_and_the_service_goes_on() {
        let app = axum::Router::new()
            .route("/boom", axum::routing::get(boom))
            .route("/ok", axum::routing::get(|| async { "ok" }))
            .layer(tower_http::catch_panic::CatchPanicLayer::custom(super::error::panic_response));
        let r = app.clone().oneshot(Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("Une erreur s'est produite"), "{text}");
        assert!(!text.contains("Léa"), "the panic's message never reaches the client: {text}");
        let r = app.oneshot(Request::get("/ok").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

#[cfg(test)]
mod body_tests {
    use super::*;
    use axum::body::Body;
    use futures_util::StreamExt;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_body_sent_a_byte_at_a_time_is_cut_off_and_a_form_post_refused() {
        let d = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.server.header_read_timeout_s = 1;
        let log = LogWriter::start(guardrails::log::LogConfig::new(d.path().join("t.jsonl")), None, [0u8; 32]).unwrap();
        let store = state::open(&state::Location::Sqlite(d.path().join("state.sqlite"))).unwrap();
        let state = AppState::new(config, log, d.path().join("reports"), store).unwrap();
        let app = router(state);
        // One byte, then nothing: the whole body must arrive within three header timeouts.
        let slow =
            futures_util::stream::once(async { Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"{")) }).chain(futures_util::stream::once(async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok(axum::body::Bytes::from_static(b"}"))
            }));
        let req = axum::http::Request::post("/v1/chat").header("content-type", "application/json").body(Body::from_stream(slow)).unwrap();
        let t = Instant::now();
        let r = app.clone().oneshot(req).await.unwrap();
        assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);
        assert!(t.elapsed() < Duration::from_secs(10));
        let form = axum::http::Request::post("/v1/chat").header("content-type", "application/x-www-form-urlencoded").body(Body::from("message=x")).unwrap();
        assert_eq!(app.oneshot(form).await.unwrap().status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}
