//! DRF's `SearchFilter` and `OrderingFilter`, as current DRF reads their
//! query parameters: search terms split as `search_smart_split` splits them
//! (Django's `smart_split`, quoted phrases kept whole), and an ordering of
//! the fields a viewset allows, unknown ones ignored.

use super::text::{is_python_space, python_strip};

/// DRF's `CharField` message, for a search with a NUL in it.
pub const NULL_CHARACTERS: &str = "Null characters are not allowed.";

/// DRF's descriptions of the two parameters (the OpenAPI document's).
pub const SEARCH_DESCRIPTION: &str = "A search term.";
pub const ORDERING_DESCRIPTION: &str = "Which field to use when ordering the results.";

/// The terms of `?search=`, every one of which must match. `Err` when it
/// holds a NUL (current DRF validates it as a `CharField`).
pub fn search_terms(value: &str) -> Result<Vec<String>, &'static str> {
    if value.contains('\0') {
        return Err(NULL_CHARACTERS);
    }
    let mut terms = Vec::new();
    for token in smart_split(value) {
        // Commas around a quoted phrase are not part of it.
        let term = token.trim_matches(',');
        let mut chars = term.chars();
        let quoted = match (chars.next(), term.chars().last()) {
            (Some(first @ ('"' | '\'')), Some(last)) if first == last => Some(first),
            _ => None,
        };
        match quoted {
            Some(quote) => terms.push(unescape_string_literal(term, quote)),
            None => terms.extend(
                term.split(',')
                    .filter(|t| !t.is_empty())
                    .map(|t| python_strip(t).to_owned()),
            ),
        }
    }
    Ok(terms)
}

/// Django's `unescape_string_literal`: the quotes off, `\"` and `\\` undone.
fn unescape_string_literal(term: &str, quote: char) -> String {
    let inner = match term.len() {
        0 | 1 => "",
        n => &term[1..n - 1],
    };
    inner
        .replace(&format!("\\{quote}"), &quote.to_string())
        .replace("\\\\", "\\")
}

/// Django's `smart_split`: words at whitespace, except inside quotes; a
/// word may be made of quoted and unquoted parts (`a"b c"d`). A quote that
/// is not closed is an ordinary character.
fn smart_split(text: &str) -> Vec<&str> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |i: usize| chars.get(i).map_or(text.len(), |(at, _)| *at);
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if is_python_space(chars[i].1) {
            i += 1;
            continue;
        }
        let end = quoted_word(&chars, i).unwrap_or_else(|| {
            let mut j = i;
            while j < chars.len() && !is_python_space(chars[j].1) {
                j += 1;
            }
            j
        });
        out.push(&text[end_of(i)..end_of(end)]);
        i = end;
    }
    out
}

/// The end of `[^\s'"]*(?:QUOTED[^\s'"]*)+` from `start`, if it matches.
fn quoted_word(chars: &[(usize, char)], start: usize) -> Option<usize> {
    let plain = |c: char| !is_python_space(c) && c != '"' && c != '\'';
    let mut j = start;
    while j < chars.len() && plain(chars[j].1) {
        j += 1;
    }
    let mut matched = None;
    while let Some(after) = quoted(chars, j) {
        j = after;
        while j < chars.len() && plain(chars[j].1) {
            j += 1;
        }
        matched = Some(j);
    }
    matched
}

/// `"(?:[^"\\]|\\.)*"` (or with `'`) at `i`: the index after its closing quote.
fn quoted(chars: &[(usize, char)], i: usize) -> Option<usize> {
    let quote = chars
        .get(i)
        .map(|(_, c)| *c)
        .filter(|c| *c == '"' || *c == '\'')?;
    let mut j = i + 1;
    loop {
        match chars.get(j).map(|(_, c)| *c)? {
            c if c == quote => return Some(j + 1),
            // Python's `.` is anything but a newline.
            '\\' => match chars.get(j + 1).map(|(_, c)| *c)? {
                '\n' => return None,
                _ => j += 2,
            },
            _ => j += 1,
        }
    }
}

/// `?ordering=title,-due_date`: the terms naming an allowed field, each
/// `(field, descending)`; none of them allowed means the default.
pub fn ordering<'a>(value: Option<&'a str>, allowed: &[&str]) -> Vec<(&'a str, bool)> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Vec::new();
    };
    value
        .split(',')
        .map(python_strip)
        .map(|term| match term.strip_prefix('-') {
            Some(field) => (field, true),
            None => (term, false),
        })
        .filter(|(field, _)| allowed.contains(field))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        search_terms(text).unwrap_or_default()
    }

    #[test]
    fn split_as_drf() {
        // Expected values are what DRF 3.15's search_smart_split returns.
        assert_eq!(terms("squat  bench"), ["squat", "bench"]);
        assert_eq!(terms("a,b, c"), ["a", "b", "c"]);
        assert_eq!(terms("\"bench press\" squat"), ["bench press", "squat"]);
        assert_eq!(terms("'it\\'s' x"), ["it's", "x"]);
        assert_eq!(terms(",\"a b\","), ["a b"]);
        assert_eq!(terms("a\"b c\"d"), ["a\"b c\"d"]);
        assert_eq!(terms("\"open quote"), ["\"open", "quote"]);
        assert_eq!(terms("\""), [""]);
        assert_eq!(terms("50% a_b"), ["50%", "a_b"]);
        assert_eq!(terms(" \u{3000} "), Vec::<String>::new());
        assert_eq!(terms(",,"), Vec::<String>::new());
        assert_eq!(search_terms("a\0b"), Err(NULL_CHARACTERS));
    }

    #[test]
    fn orderings_keep_allowed_fields() {
        let allowed = ["id", "title", "due_date"];
        assert_eq!(
            ordering(Some("title, -due_date,nope,--id"), &allowed),
            [("title", false), ("due_date", true)]
        );
        assert!(ordering(Some("nope"), &allowed).is_empty());
        assert!(ordering(Some(""), &allowed).is_empty());
        assert!(ordering(None, &allowed).is_empty());
    }
}
