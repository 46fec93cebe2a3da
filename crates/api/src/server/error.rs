//! Errors a client can cause, as JSON `{"error": {"code", "message"}}` with a plain French
//! message, and the JSON body extractor that turns bad bodies into such errors.

use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), retry_after_s: None }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Il faut un jeton d'accès valide (en-tête Authorization: Bearer …).")
    }
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Ce jeton ne donne pas accès à cette partie du service.")
    }
    pub fn busy(retry_after_s: u64) -> Self {
        ApiError {
            retry_after_s: Some(retry_after_s),
            ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "Beaucoup de personnes posent des questions en ce moment. Réessaie dans quelques secondes.")
        }
    }
    pub fn starting() -> Self {
        ApiError { retry_after_s: Some(10), ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "starting", "Le service démarre. Réessaie dans quelques secondes.") }
    }
    pub fn rate_limited(retry_after_s: u64) -> Self {
        ApiError {
            retry_after_s: Some(retry_after_s),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "Tu as envoyé beaucoup de messages d'un coup. Attends un peu avant de réessayer.")
        }
    }
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {e}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Une erreur s'est produite de notre côté. Réessaie plus tard.")
    }
}

/// What a person is told when their conversation cannot be recorded.
pub const STATE_UNAVAILABLE: &str = "Le service ne peut pas enregistrer la conversation pour le moment. Réessaie dans quelques minutes. \
Si tu as besoin d'aide tout de suite, appelle le 3114 (24 h/24, gratuit) ou le 119 si tu es en danger.";

/// The shared state (conversations, the counsellor queue) cannot be read or written: said
/// plainly, with the help numbers, because the person may have come for help.
impl From<state::StateError> for ApiError {
    fn from(e: state::StateError) -> Self {
        tracing::error!("{e}");
        ApiError { retry_after_s: Some(10), ..Self::new(StatusCode::SERVICE_UNAVAILABLE, "state_unavailable", STATE_UNAVAILABLE) }
    }
}

/// What a request that panicked gets: the French 500, and a log line without the request's
/// content (a message may hold personal data).
pub fn panic_response(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request panicked (its content is not logged)");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Une erreur s'est produite de notre côté. Réessaie plus tard.").into_response()
}

/// The process's panic hook: where, never what (the payload may quote a user's message).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!("orient: panic at {at} (message withheld: it may contain personal data)");
    }));
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": { "code": self.code, "message": self.message } });
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after_s {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        r
    }
}

/// A JSON body whose every failure (too large, not JSON, wrong fields) is a clear [`ApiError`].
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        // A JSON body must say so: a form or text/plain post from any web page would reach the
        // API without a CORS preflight (a visitor's browser made to post on someone's behalf).
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if mime != "application/json" && !(mime.starts_with("application/") && mime.ends_with("+json")) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "La demande doit être envoyée en JSON (en-tête Content-Type: application/json).",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large("Ta demande est trop longue. Écris un message plus court.")
            } else {
                ApiError::bad_request(format!("Impossible de lire la demande : {}", r.body_text()))
            }
        })?;
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|e| ApiError::bad_request(format!("La demande n'est pas un JSON valide : {e}")))
    }
}
