//! The two text formats a scraper may ask for: Prometheus's (0.0.4, what
//! `curl` gets) and OpenMetrics (what Prometheus asks for first).

use prometheus_client::encoding::{prometheus_text, text};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Prometheus,
    OpenMetrics,
}

impl Format {
    /// The format `Accept` prefers: OpenMetrics when it is asked for with a
    /// weight no lower than the plain text's, else Prometheus's text.
    pub fn from_accept(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Prometheus;
        };
        let mut open = 0.0_f32;
        let mut plain = 0.0_f32;
        for range in accept.split(',') {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            match media.as_str() {
                "application/openmetrics-text" => open = open.max(q),
                "text/plain" | "text/*" | "*/*" => plain = plain.max(q),
                _ => {}
            }
        }
        match open > 0.0 && open >= plain {
            true => Format::OpenMetrics,
            false => Format::Prometheus,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => prometheus_text::CONTENT_TYPE,
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// The registries one after the other, in `format`.
pub(super) fn render(format: Format, registries: &[&Registry]) -> String {
    let mut out = String::with_capacity(16 * 1024);
    for registry in registries {
        // Writing to a String cannot fail; an encoder's own error leaves
        // that registry out rather than the whole exposition.
        let _ = match format {
            Format::Prometheus => prometheus_text::encode(&mut out, registry),
            Format::OpenMetrics => text::encode_registry(&mut out, registry),
        };
    }
    if format == Format::OpenMetrics {
        let _ = text::encode_eof(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_scraper_asks_for() {
        assert_eq!(Format::from_accept(None), Format::Prometheus);
        assert_eq!(Format::from_accept(Some("*/*")), Format::Prometheus);
        // Prometheus 2.x's own Accept.
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(Format::from_accept(Some(prometheus)), Format::OpenMetrics);
        assert_eq!(
            Format::from_accept(Some("text/plain;q=1, application/openmetrics-text;q=0.5")),
            Format::Prometheus
        );
        assert_eq!(
            Format::from_accept(Some("application/openmetrics-text; q=0")),
            Format::Prometheus
        );
    }
}
