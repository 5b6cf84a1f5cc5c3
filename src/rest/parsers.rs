//! Request bodies, as DRF's parsers read them: JSON, an HTML form or a
//! multipart form (Postman's "form-data"), chosen by `Content-Type`, read up
//! to `server.max_body_bytes`.

use actix_web::HttpRequest;
use actix_web::http::header;
use actix_web::web;
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// A parsed body.
pub enum Data {
    /// A JSON object.
    Json(Map<String, Value>),
    /// Form fields in order; a repeated key's last value wins, as in Django's QueryDict.
    Form(Vec<(String, String)>),
    /// `multipart/form-data`: its text fields as a form's, and the names of
    /// its file parts, which win over text of the same name (as DRF merges
    /// `request.FILES` into `request.data`) and are no text.
    Multipart {
        fields: Vec<(String, String)>,
        files: Vec<String>,
    },
}

/// The media types the task endpoints parse (for OPTIONS), as the original's.
pub const PARSES: &[&str] = &[
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
];

/// Reads and parses the body. An empty body is empty data whatever its type,
/// as in DRF; a body of an unsupported type is 415.
pub async fn parse(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Data, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let media_type = content_type.as_deref().map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let bytes = read(req, payload, limit).await?;
    let is_form = media_type.as_deref() == Some("application/x-www-form-urlencoded");
    if bytes.is_empty() {
        return Ok(if is_form {
            Data::Form(Vec::new())
        } else {
            Data::Json(Map::new())
        });
    }
    match media_type.as_deref() {
        Some("application/json") => parse_json(&bytes),
        Some("application/x-www-form-urlencoded") => parse_form(&bytes).map(Data::Form),
        Some("multipart/form-data") => parse_multipart(content_type.as_deref(), bytes).await,
        _ => Err(ApiError::UnsupportedMediaType(
            content_type.unwrap_or_default(),
        )),
    }
}

fn multipart_error(detail: impl std::fmt::Display) -> ApiError {
    ApiError::ParseError(format!("Multipart form parse error - {detail}"))
}

/// `multipart/form-data`, strictly: a malformed body or a text part that is
/// not UTF-8 is an error (the original read both as best it could).
pub async fn parse_multipart(content_type: Option<&str>, body: Vec<u8>) -> Result<Data, ApiError> {
    let boundary = multer::parse_boundary(content_type.unwrap_or_default())
        .map_err(|_| multipart_error("Invalid boundary in multipart: None"))?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let (mut fields, mut files) = (Vec::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        if field.file_name().is_some() {
            files.push(name);
            continue;
        }
        let bytes = field.bytes().await.map_err(multipart_error)?;
        let text =
            String::from_utf8(bytes.to_vec()).map_err(|_| multipart_error("invalid UTF-8"))?;
        fields.push((name, text));
    }
    Ok(Data::Multipart { fields, files })
}

async fn read(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::ParseError(format!("Could not read the request body - {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub fn parse_json(bytes: &[u8]) -> Result<Data, ApiError> {
    // serde_json refuses nesting deeper than 128 levels, so depth cannot exhaust the stack.
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::ParseError(format!("JSON parse error - {e}")))?;
    match value {
        Value::Object(map) => Ok(Data::Json(map)),
        Value::Null => Err(non_field_error("No data provided")),
        other => Err(non_field_error(&format!(
            "Invalid data. Expected a dictionary, but got {}.",
            python_type_name(&other)
        ))),
    }
}

fn non_field_error(message: &str) -> ApiError {
    ApiError::field("non_field_errors", message)
}

/// The Python type name DRF puts in its message.
fn python_type_name(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "list",
        Value::String(_) => "str",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::Object(_) => "dict",
        Value::Null => "NoneType",
    }
}

/// `application/x-www-form-urlencoded`, strictly: invalid UTF-8 is an error, not U+FFFD.
pub fn parse_form(bytes: &[u8]) -> Result<Vec<(String, String)>, ApiError> {
    let decode = |part: &[u8]| -> Result<String, ApiError> {
        let plus_as_space: Vec<u8> = part
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_encoding::percent_decode(&plus_as_space)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| ApiError::ParseError("Form parse error - invalid UTF-8".into()))
    };
    bytes
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            Ok((decode(key)?, decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_is_strict_utf8_and_keeps_order() {
        let form = parse_form(b"title=a+b%21&content=on&title=c").unwrap_or_default();
        assert_eq!(
            form,
            vec![
                ("title".to_owned(), "a b!".to_owned()),
                ("content".to_owned(), "on".to_owned()),
                ("title".to_owned(), "c".to_owned())
            ]
        );
        assert!(parse_form(b"title=%ff").is_err());
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        match tokio::runtime::Builder::new_current_thread().build() {
            Ok(runtime) => runtime.block_on(future),
            Err(e) => panic!("runtime: {e}"),
        }
    }

    fn multipart(body: &str) -> Result<Data, ApiError> {
        let ct = "multipart/form-data; boundary=XyZ";
        block_on(parse_multipart(Some(ct), body.replace('\n', "\r\n").into()))
    }

    #[test]
    fn multipart_text_fields_and_files() {
        let body = "--XyZ\nContent-Disposition: form-data; name=\"title\"\n\nMulti\n\
                    --XyZ\nContent-Disposition: form-data; name=\"content\"; filename=\"a.txt\"\n\
                    Content-Type: text/plain\n\nfile body\n--XyZ--\n";
        match multipart(body) {
            Ok(Data::Multipart { fields, files }) => {
                assert_eq!(fields, vec![("title".to_owned(), "Multi".to_owned())]);
                assert_eq!(files, vec!["content".to_owned()]);
            }
            _ => panic!("a multipart body"),
        }
        for bad in [
            "garbage",
            "--XyZ\nContent-Disposition: form-data; name=\"t\"\n\nno end",
        ] {
            assert!(
                matches!(multipart(bad), Err(ApiError::ParseError(_))),
                "{bad}"
            );
        }
        let no_boundary = block_on(parse_multipart(Some("multipart/form-data"), b"x".to_vec()));
        assert!(
            matches!(no_boundary, Err(ApiError::ParseError(m)) if m.ends_with("Invalid boundary in multipart: None"))
        );
    }

    #[test]
    fn json_top_level_must_be_an_object() {
        assert!(matches!(parse_json(b"{}"), Ok(Data::Json(_))));
        for (body, expected) in [
            (
                &b"[1]"[..],
                "Invalid data. Expected a dictionary, but got list.",
            ),
            (
                b"\"x\"",
                "Invalid data. Expected a dictionary, but got str.",
            ),
            (b"1", "Invalid data. Expected a dictionary, but got int."),
            (
                b"1.5",
                "Invalid data. Expected a dictionary, but got float.",
            ),
            (
                b"true",
                "Invalid data. Expected a dictionary, but got bool.",
            ),
            (b"null", "No data provided"),
        ] {
            match parse_json(body) {
                Err(ApiError::Validation(errors)) => assert_eq!(
                    errors.get("non_field_errors"),
                    Some(&[expected.to_owned()][..])
                ),
                _ => panic!("{body:?} should be refused"),
            }
        }
    }
}
