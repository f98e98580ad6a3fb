//! The server's error type and its HTTP form: a status and `{"error": "…"}`; internal errors
//! get a generic body (the details go to the log, never to the client).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The server's result type.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A setting or file is wrong.
    #[error("{0}")]
    Config(String),
    /// No or a bad credential.
    #[error("a valid token is required")]
    Unauthorized,
    /// The credential may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing.
    #[error("not found")]
    NotFound,
    /// The request is malformed or too large.
    #[error("{0}")]
    BadRequest(String),
    /// The request conflicts with the current state (already decided, …).
    #[error("{0}")]
    Conflict(String),
    /// Something that should not happen.
    #[error("internal: {0}")]
    Internal(String),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match &self {
            AppError::Db(_) | AppError::Internal(_) | AppError::Config(_) => {
                tracing::error!(error = %self, "request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
        };
        let msg = match &self {
            AppError::Db(_) | AppError::Internal(_) | AppError::Config(_) => {
                "internal error".to_string()
            }
            e => e.to_string(),
        };
        (status, Json(serde_json::json!({ "error": msg }))).into_response()
    }
}
