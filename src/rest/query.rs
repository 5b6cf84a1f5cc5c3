//! The query string as DRF reads it (`request.query_params`: a repeated
//! parameter's last value wins) and the links it writes
//! (`replace_query_param`, `remove_query_param`: the other parameters kept,
//! sorted by name, encoded as Python's `urlencode`).

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Python's `quote_plus`: all but letters, digits and `_.-~` escaped.
const PYTHON_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// The parameters of a query string, decoded (`+` is a space; bytes that
/// are not UTF-8 become U+FFFD, as Python's `parse_qs` reads them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(query: &str) -> QueryParams {
        QueryParams(
            form_pairs(query)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The last value of `name`, as Django's `QueryDict.get`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// This query with `name` set to `value` (or removed), as DRF writes
    /// its links: every parameter once, by name, its values in order.
    pub fn with(&self, name: &str, value: Option<&str>) -> String {
        let mut names: Vec<&str> = self
            .0
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| *k != name)
            .collect();
        if value.is_some() {
            names.push(name);
        }
        names.sort_unstable();
        names.dedup();
        let mut out = String::new();
        for key in names {
            let values: Vec<&str> = if key == name {
                value.into_iter().collect()
            } else {
                self.0
                    .iter()
                    .filter(|(k, _)| k == key)
                    .map(|(_, v)| v.as_str())
                    .collect()
            };
            for v in values {
                if !out.is_empty() {
                    out.push('&');
                }
                out.push_str(&quote_plus(key));
                out.push('=');
                out.push_str(&quote_plus(v));
            }
        }
        out
    }
}

/// `application/x-www-form-urlencoded` pairs; a name with no `=` has an
/// empty value (`parse_qs(keep_blank_values=True)`), empty pieces are skipped.
fn form_pairs(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    query.split('&').filter(|p| !p.is_empty()).map(|piece| {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        (decode(k), decode(v))
    })
}

fn decode(text: &str) -> Cow<'_, str> {
    if !text.contains(['+', '%']) {
        return Cow::Borrowed(text);
    }
    let spaced = text.replace('+', " ");
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(&spaced).collect();
    Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
}

fn quote_plus(text: &str) -> String {
    utf8_percent_encode(text, PYTHON_UNRESERVED)
        .to_string()
        .replace("%20", "+")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_value_wins() {
        let q = QueryParams::parse("page=1&page=2&search=a+b&flag&x=%E2%82%AC");
        assert_eq!(q.get("page"), Some("2"));
        assert_eq!(q.get("search"), Some("a b"));
        assert_eq!(q.get("flag"), Some(""));
        assert_eq!(q.get("x"), Some("€"));
        assert_eq!(q.get("none"), None);
        assert_eq!(QueryParams::parse("a=%FF").get("a"), Some("\u{fffd}"));
    }

    #[test]
    fn links_as_drf_writes_them() {
        // Python: urlencode(sorted(parse_qs(q, keep_blank_values=True).items()), doseq=True)
        let q = QueryParams::parse("search=a+b&page=2&ordering=-title&tag=1&tag=2&flag");
        assert_eq!(
            q.with("page", Some("3")),
            "flag=&ordering=-title&page=3&search=a+b&tag=1&tag=2"
        );
        assert_eq!(
            q.with("page", None),
            "flag=&ordering=-title&search=a+b&tag=1&tag=2"
        );
        assert_eq!(QueryParams::parse("").with("page", Some("2")), "page=2");
        assert_eq!(QueryParams::parse("page=2").with("page", None), "");
        assert_eq!(
            QueryParams::parse("q=%7E*%2F%3F%26%3D").with("cursor", Some("YQ")),
            "cursor=YQ&q=~%2A%2F%3F%26%3D"
        );
    }
}
