//! Content negotiation: JSON is the only rendering, so a request whose
//! `Accept` rules JSON out gets 406, and `?format=` naming anything but json
//! gets 404, as DRF answers for a format it has no renderer for.

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::error::ApiError;

pub fn check(req: &HttpRequest) -> Result<(), ApiError> {
    if let Some(format) = format_param(req.query_string())
        && format != "json"
    {
        return Err(ApiError::NotFound);
    }
    let mut any_header = false;
    for value in req.headers().get_all(header::ACCEPT) {
        any_header = true;
        let Ok(value) = value.to_str() else {
            continue;
        };
        if accepts_json(value) {
            return Ok(());
        }
    }
    if any_header {
        Err(ApiError::NotAcceptable)
    } else {
        Ok(())
    }
}

fn format_param(query: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "format")
        .map(|(_, v)| v.into_owned())
        .last()
}

/// Whether any media range in an `Accept` value matches `application/json` with q > 0.
pub fn accepts_json(accept: &str) -> bool {
    if accept.trim().is_empty() {
        return true;
    }
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q_zero = parts.any(|p| {
            p.trim()
                .strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        !q_zero && matches!(media.as_str(), "*/*" | "application/*" | "application/json")
    })
}

#[cfg(test)]
mod tests {
    use super::accepts_json;

    #[test]
    fn accept_ranges() {
        assert!(accepts_json("application/json"));
        assert!(accepts_json("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert!(accepts_json("application/*"));
        assert!(accepts_json("Application/JSON; charset=utf-8"));
        assert!(accepts_json(""));
        assert!(!accepts_json("text/html"));
        assert!(!accepts_json("text/xml, application/xml"));
        assert!(!accepts_json("application/json;q=0"));
    }
}
