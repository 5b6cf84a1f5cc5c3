//! The one error type of the API and the one place that renders every error
//! body, as DRF's exception handler does: `{"detail": "…"}` or a field-error map.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use actix_web_httpauth::headers::www_authenticate::bearer::Error as BearerError;

use crate::db::DbError;

/// DRF's realm for the `WWW-Authenticate` challenge.
pub const REALM: &str = "api";
/// Seconds a client should wait after a 503 (every `Retry-After` of ours).
pub const RETRY_AFTER_SECS: u32 = 5;

/// Field name → messages, as DRF's `ValidationError` detail: in the order
/// the fields were checked (the serializer's field order), as DRF renders them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, Vec<String>)>);

impl FieldErrors {
    pub fn new() -> Self {
        FieldErrors::default()
    }

    /// Adds messages to a field (after any it has).
    pub fn insert(&mut self, field: &str, messages: Vec<String>) {
        match self.0.iter_mut().find(|(name, _)| name == field) {
            Some((_, existing)) => existing.extend(messages),
            None => self.0.push((field.to_owned(), messages)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&[String]> {
        self.0
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, messages)| messages.as_slice())
    }
}

impl serde::Serialize for FieldErrors {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (field, messages) in &self.0 {
            map.serialize_entry(field, messages)?;
        }
        map.end()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Authentication credentials were not provided.")]
    NotAuthenticated,
    #[error("{0}")]
    AuthenticationFailed(AuthFailure),
    /// The refusing permission class's message.
    #[error("{0}")]
    PermissionDenied(&'static str),
    /// A scope class refused: the token lacks this scope.
    #[error("You do not have permission to perform this action.")]
    InsufficientScope(String),
    #[error("Not found.")]
    NotFound,
    /// A 404 with its own text: a page or cursor a paginator cannot serve.
    #[error("{0}")]
    NotFoundBecause(&'static str),
    #[error("Method \"{0}\" not allowed.")]
    MethodNotAllowed(Method),
    #[error("Unsupported media type \"{0}\" in request.")]
    UnsupportedMediaType(String),
    #[error("Could not satisfy the request Accept header.")]
    NotAcceptable,
    /// A body that could not be parsed (`JSON parse error - …`).
    #[error("{0}")]
    ParseError(String),
    #[error("Invalid input.")]
    Validation(FieldErrors),
    #[error("Request body is too large.")]
    PayloadTooLarge,
    #[error("Request header fields too large.")]
    HeadersTooLarge,
    #[error("Authentication service temporarily unavailable.")]
    AuthUnavailable,
    #[error("Service temporarily unavailable.")]
    ServiceUnavailable,
    /// A throttle refused; DRF's `Throttled` with its wait in whole seconds.
    #[error("Request was throttled.{}", throttled_wait(*.0))]
    Throttled(Option<u64>),
    /// A concurrent change got there first; the request may be sent again.
    #[error("The request conflicts with a concurrent change; try again.")]
    Conflict,
    /// Logged with its cause; the client sees a generic message.
    #[error("A server error occurred.")]
    Internal(String),
}

/// Why presented credentials were refused: each renders DRF's exact text
/// (several share one, as PyJWT's errors do), and names its own reason for
/// the logs and metrics ([`AuthFailure::reason`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("Invalid Authorization header. No credentials provided.")]
    NoCredentials,
    #[error("Invalid Authorization header. Credentials string should not contain spaces.")]
    CredentialsWithSpaces,
    #[error("Signature has expired.")]
    Expired,
    /// Not a JWT: its parts, base64, JSON or a claim's type.
    #[error("Error decoding signature.")]
    Malformed,
    #[error("Error decoding signature.")]
    BadSignature,
    /// A `kid` the key set does not hold (after a refetch).
    #[error("Error decoding signature.")]
    UnknownKey,
    /// An `iss` no provider of settings has.
    #[error("Incorrect authentication credentials.")]
    UntrustedIssuer,
    #[error("Incorrect authentication credentials.")]
    WrongAudience,
    /// `nbf` still in the future.
    #[error("Incorrect authentication credentials.")]
    NotYetValid,
    /// An `alg` settings do not allow, or that the key is not for.
    #[error("Incorrect authentication credentials.")]
    Algorithm,
    #[error("Incorrect authentication credentials.")]
    MissingExp,
    /// Another claim or header field refused (`iat` not a number, `crit`).
    #[error("Incorrect authentication credentials.")]
    InvalidClaim,
    /// The username handler found no usable username in the payload.
    #[error("Invalid payload.")]
    InvalidPayload,
    /// The payload names a user that does not exist (DRF's wording).
    #[error("Invalid signature.")]
    UnknownUser,
    #[error("User account is disabled.")]
    UserDisabled,
}

impl AuthFailure {
    /// The reason's name in logs and the `reason` label of metrics.
    pub fn reason(self) -> &'static str {
        match self {
            AuthFailure::NoCredentials => "no_credentials",
            AuthFailure::CredentialsWithSpaces => "credentials_with_spaces",
            AuthFailure::Expired => "expired",
            AuthFailure::Malformed => "malformed",
            AuthFailure::BadSignature => "bad_signature",
            AuthFailure::UnknownKey => "unknown_key",
            AuthFailure::UntrustedIssuer => "untrusted_issuer",
            AuthFailure::WrongAudience => "wrong_audience",
            AuthFailure::NotYetValid => "not_yet_valid",
            AuthFailure::Algorithm => "algorithm",
            AuthFailure::MissingExp => "missing_exp",
            AuthFailure::InvalidClaim => "invalid_claim",
            AuthFailure::InvalidPayload => "invalid_payload",
            AuthFailure::UnknownUser => "unknown_user",
            AuthFailure::UserDisabled => "user_disabled",
        }
    }

    /// Every reason, for metrics to show each from the start.
    pub const ALL: [AuthFailure; 15] = [
        AuthFailure::NoCredentials,
        AuthFailure::CredentialsWithSpaces,
        AuthFailure::Expired,
        AuthFailure::Malformed,
        AuthFailure::BadSignature,
        AuthFailure::UnknownKey,
        AuthFailure::UntrustedIssuer,
        AuthFailure::WrongAudience,
        AuthFailure::NotYetValid,
        AuthFailure::Algorithm,
        AuthFailure::MissingExp,
        AuthFailure::InvalidClaim,
        AuthFailure::InvalidPayload,
        AuthFailure::UnknownUser,
        AuthFailure::UserDisabled,
    ];

    /// PyJWT's "Error decoding signature." family: checked before the times.
    pub fn is_decoding(self) -> bool {
        matches!(
            self,
            AuthFailure::Malformed | AuthFailure::BadSignature | AuthFailure::UnknownKey
        )
    }
}

impl ApiError {
    pub fn internal(cause: impl Into<String>) -> Self {
        ApiError::Internal(cause.into())
    }

    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field, vec![message.into()]);
        ApiError::Validation(errors)
    }

    /// The `WWW-Authenticate` value for a 401: `Bearer realm="api"`, plus the
    /// RFC 6750 error code when credentials were presented; for a 403 of a
    /// missing scope, `insufficient_scope` and the scope needed.
    fn challenge(&self) -> Option<String> {
        let error = match self {
            ApiError::NotAuthenticated
            | ApiError::AuthenticationFailed(AuthFailure::NoCredentials) => None,
            // RFC 6750 §3.1: a malformed header is a bad request, not a bad token.
            ApiError::AuthenticationFailed(AuthFailure::CredentialsWithSpaces) => {
                Some(BearerError::InvalidRequest)
            }
            ApiError::AuthenticationFailed(_) => Some(BearerError::InvalidToken),
            ApiError::InsufficientScope(scope) => {
                return Some(format!(
                    "Bearer realm=\"{REALM}\", error=\"{}\", scope=\"{scope}\"",
                    BearerError::InsufficientScope.as_str()
                ));
            }
            _ => return None,
        };
        // Written here rather than by actix-web-httpauth's `Bearer`, whose 0.8
        // rendering leaves out the commas RFC 7235 puts between auth-params.
        Some(match error {
            None => format!("Bearer realm=\"{REALM}\""),
            Some(e) => format!("Bearer realm=\"{REALM}\", error=\"{}\"", e.as_str()),
        })
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotAuthenticated | ApiError::AuthenticationFailed(_) => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::PermissionDenied(_) | ApiError::InsufficientScope(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::NotFoundBecause(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ApiError::ParseError(_) | ApiError::Validation(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::AuthUnavailable | ApiError::ServiceUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Conflict => StatusCode::CONFLICT,
            ApiError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            log::error!("internal error: {cause}");
        }
        let mut response = HttpResponse::build(self.status_code());
        if let Some(value) = self
            .challenge()
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            response.insert_header((header::WWW_AUTHENTICATE, value));
        }
        if matches!(
            self,
            ApiError::AuthUnavailable | ApiError::ServiceUnavailable
        ) {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
        }
        // DRF's exception handler: `Retry-After` when the wait is known (and not 0).
        if let ApiError::Throttled(Some(wait @ 1..)) = self {
            response.insert_header((header::RETRY_AFTER, *wait));
        }
        match self {
            ApiError::Validation(errors) => response.json(errors),
            other => response.json(serde_json::json!({ "detail": other.to_string() })),
        }
    }
}

/// DRF's `Throttled.extra_detail_singular` / `_plural`.
fn throttled_wait(wait: Option<u64>) -> String {
    match wait {
        None => String::new(),
        Some(1) => " Expected available in 1 second.".into(),
        Some(n) => format!(" Expected available in {n} seconds."),
    }
}

impl From<AuthFailure> for ApiError {
    fn from(failure: AuthFailure) -> Self {
        ApiError::AuthenticationFailed(failure)
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(_) | DbError::Timeout(_) => {
                log::warn!("{e}");
                ApiError::ServiceUnavailable
            }
            DbError::NotFound => ApiError::NotFound,
            DbError::Conflict(_) => {
                log::info!("{e}");
                ApiError::Conflict
            }
            DbError::Other(cause) => ApiError::Internal(cause),
        }
    }
}
