//! Dates: today in a time zone, and a check that allows for midnight.

use serde_json::Value;

use super::send;

/// Today in an IANA time zone, as `YYYY-MM-DD`.
pub fn today_in(zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).expect("a time zone");
    tz.to_datetime(jiff::Timestamp::now())
        .date()
        .strftime("%Y-%m-%d")
        .to_string()
}

/// Runs the request and checks that `field` of the answer is today in
/// `zone`, allowing for midnight passing while it ran.
pub async fn assert_dated_today(
    request: reqwest::RequestBuilder,
    zone: &str,
    fields: &[&str],
) -> Value {
    let before = today_in(zone);
    let (status, _, body) = send(request).await;
    let after = today_in(zone);
    assert!((200..300).contains(&status), "{status} {body}");
    for field in fields {
        let value = body[*field].as_str().unwrap_or_default();
        assert!(
            value == before || value == after,
            "{field} = {value:?}, today is {before}"
        );
    }
    body
}
