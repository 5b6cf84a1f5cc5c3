//! Text as Python sees it, for DRF's rules: what `str.strip()`, `str.split()`
//! and a regular expression's `\s` take for whitespace.

/// What DRF's trimming (Python's `str.strip()`) takes for whitespace:
/// Unicode's White_Space and the information separators U+001C..U+001F.
const PYTHON_SPACE: [(char, char); 10] = [
    ('\u{9}', '\u{d}'),
    ('\u{1c}', '\u{20}'),
    ('\u{85}', '\u{85}'),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
];

pub fn is_python_space(c: char) -> bool {
    PYTHON_SPACE
        .iter()
        .any(|(low, high)| (*low..=*high).contains(&c))
}

/// The same set as a regular expression's class body (the schema's).
pub fn python_space_class() -> String {
    PYTHON_SPACE
        .iter()
        .map(|(low, high)| match low == high {
            true => format!("\\u{:04x}", *low as u32),
            false => format!("\\u{:04x}-\\u{:04x}", *low as u32, *high as u32),
        })
        .collect()
}

/// Python's `str.strip()`.
pub fn python_strip(text: &str) -> &str {
    text.trim_matches(is_python_space)
}

/// Python's `str()` of a JSON number, so that `{"name": 1.5e300}` stores what DRF stores.
pub fn number_as_python_str(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let Some(x) = n.as_f64() else {
        return n.to_string();
    };
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let fixed = format!("{x}");
        if fixed.contains('.') {
            fixed
        } else {
            format!("{fixed}.0")
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}
