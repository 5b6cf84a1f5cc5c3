//! The pages of `/authorize`: the sign-in form, a refusal, and the
//! `web_message` answer an iframe posts to its parent. Each is a template
//! (`src/dev_issuer/templates/`): every value is HTML-escaped unless the
//! template says otherwise.

use actix_web::HttpResponse;
use actix_web::http::header;
use askama::Template;

use crate::error::ApiError;

/// `response_mode=web_message`: a page for an iframe that posts the answer
/// to its parent, the client's origin, as Auth0's does.
/// `redirect_uri`: the client's, whose origin alone may receive it.
pub(super) fn web_message(redirect_uri: &str, answer: &[(String, String)]) -> HttpResponse {
    let origin = url::Url::parse(redirect_uri)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let response: serde_json::Map<String, serde_json::Value> = answer
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let page = WebMessage {
        message: serde_json::json!({ "type": "authorization_response", "response": response }),
        origin: &origin,
    };
    let mut response = html(HttpResponse::Ok(), &page);
    // Framed by the client's page only (CSP wins over X-Frame-Options).
    if let Ok(value) = header::HeaderValue::from_str(&format!("frame-ancestors {origin}")) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The pages, as templates (`src/dev_issuer/templates/`): every value is
/// HTML-escaped unless the template says otherwise.
#[derive(Template)]
#[template(path = "web_message.html")]
struct WebMessage<'a> {
    message: serde_json::Value,
    origin: &'a str,
}

#[derive(Template)]
#[template(path = "refused.html")]
struct Refused<'a> {
    message: &'a str,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage<'a> {
    params: &'a [(String, String)],
    sub: &'a str,
    problem: Option<&'a str>,
}

/// A page, not cached; a template that fails to render is a 500.
fn html(mut builder: actix_web::HttpResponseBuilder, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => builder
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => actix_web::ResponseError::error_response(&ApiError::internal(format!(
            "a sign-in page: {e}"
        ))),
    }
}

pub(super) fn error_page(message: &str) -> HttpResponse {
    html(HttpResponse::BadRequest(), &Refused { message })
}

/// `params`: the request's, carried through the form; `sub`: suggested.
pub(super) fn sign_in_page(
    params: &[(String, String)],
    sub: &str,
    problem: Option<&str>,
) -> HttpResponse {
    let page = SignInPage {
        params,
        sub,
        problem,
    };
    html(HttpResponse::Ok(), &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_is_escaped() {
        let hostile = r#"<script>"a" & 'b'</script>"#;
        let params = vec![(hostile.to_owned(), hostile.to_owned())];
        let page = SignInPage {
            params: &params,
            sub: hostile,
            problem: Some(hostile),
        }
        .render()
        .unwrap_or_default();
        assert!(!page.contains("<script>"), "{page}");
        assert!(
            page.contains("&#60;script&#62;&#34;a&#34; &#38; &#39;b&#39;"),
            "{page}"
        );
        let message = WebMessage {
            message: serde_json::json!({"state": "</script><script>alert(1)</script>"}),
            origin: "http://x\"</script>",
        }
        .render()
        .unwrap_or_default();
        assert_eq!(message.matches("</script>").count(), 1, "{message}");
    }
}
