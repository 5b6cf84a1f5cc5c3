//! Prometheus's text exposition, parsed (not grepped): each sample's name,
//! labels and value, and each family's TYPE.

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

#[derive(Debug, Default)]
pub struct Exposition {
    pub samples: Vec<Sample>,
    /// Family name → its `# TYPE`.
    pub types: BTreeMap<String, String>,
}

impl Exposition {
    /// Parses the text; panics on a line that is not a comment or a sample.
    pub fn parse(text: &str) -> Exposition {
        let mut parsed = Exposition::default();
        for line in text.lines().filter(|l| !l.is_empty()) {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
                parsed.types.insert(name.to_owned(), kind.to_owned());
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            parsed.samples.push(sample(line));
        }
        parsed
    }

    /// The samples named `name` whose labels include `labels`.
    pub fn find(&self, name: &str, labels: &[(&str, &str)]) -> Vec<&Sample> {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect()
    }

    /// The one sample's value (0 when there is none: a counter not yet seen).
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let found = self.find(name, labels);
        assert!(
            found.len() <= 1,
            "{name} {labels:?} is not one series: {found:?}"
        );
        found.first().map_or(0.0, |s| s.value)
    }

    /// The sum over every series of `name` matching `labels`.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.find(name, labels).iter().map(|s| s.value).sum()
    }

    /// How many series are named `name`.
    pub fn series(&self, name: &str) -> usize {
        self.find(name, &[]).len()
    }
}

fn sample(line: &str) -> Sample {
    let (series, value) = line.rsplit_once(' ').expect("sample value");
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().unwrap_or_else(|_| panic!("value of {line:?}")),
    };
    let Some((name, labels)) = series.split_once('{') else {
        return Sample {
            name: series.to_owned(),
            labels: BTreeMap::new(),
            value,
        };
    };
    let body = labels.strip_suffix('}').expect("labels end with }");
    let mut parsed = BTreeMap::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").expect("label=\"value\"");
        // A value ends at the first quote not escaped.
        let mut end = 0;
        let bytes = after.as_bytes();
        while bytes[end] != b'"' {
            end += if bytes[end] == b'\\' { 2 } else { 1 };
        }
        let value = after[..end].replace("\\\"", "\"").replace("\\\\", "\\");
        parsed.insert(key.to_owned(), value);
        rest = after[end + 1..].trim_start_matches(',');
    }
    Sample {
        name: name.to_owned(),
        labels: parsed,
        value,
    }
}

/// GET `url` (a metrics endpoint): the parsed body, after checking its type.
pub async fn scrape(client: &reqwest::Client, url: &str) -> Exposition {
    let response = client.get(url).send().await.expect("scrape");
    assert_eq!(response.status().as_u16(), 200, "{url}");
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    Exposition::parse(&response.text().await.expect("body"))
}
