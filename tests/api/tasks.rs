//! `/api/task/` and `/api/task/<id>/`: the original's views, their bodies,
//! statuses and headers. Expected answers are the original's (DRF 3.9, as
//! measured on the tutorial's v1.11 stack), unless a comment says otherwise.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const LIST_ALLOW: &str = "GET, POST, HEAD, OPTIONS";
const DETAIL_ALLOW: &str = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";
const WRONG_DATE: &str = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.";

/// The original's migration 0002_dummy_tasks.
const SEEDS: [(i64, &str, &str); 3] = [
    (1, "Workout", "Squat, bench press, deadlift."),
    (2, "Shopping", "Whey protein, creatine, BCAAs."),
    (3, "Counting", "1, 2, 3 and so on."),
];

#[tokio::test]
async fn list_returns_the_originals_seeded_tasks_in_id_order() {
    let app = spawn_app().await;
    let (status, headers, body) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert_eq!(header(&headers, "allow"), LIST_ALLOW);
    assert_eq!(header(&headers, "vary"), "Accept");
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(&headers, "x-frame-options"), "DENY");
    let tasks = body.as_array().expect("a JSON array");
    assert_eq!(tasks.len(), 3, "{body}");
    let today = today_in("UTC");
    for (task, (id, title, content)) in tasks.iter().zip(SEEDS) {
        // Exactly the original's fields, in its order.
        let keys: Vec<&String> = task
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            ["content", "created_on", "due_date", "id", "title"],
            "{task}"
        );
        assert_eq!(
            (
                task["id"].as_i64(),
                task["title"].as_str(),
                task["content"].as_str()
            ),
            (Some(id), Some(title), Some(content))
        );
        assert_eq!(task["created_on"], json!(today), "seeded today (UTC)");
        assert_eq!(task["due_date"], json!(today));
    }
    // The original's field order on the wire too (id, title, content, created_on, due_date).
    let text = app
        .authed(Method::GET, "/api/task/1/")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        text,
        format!(
            r#"{{"id":1,"title":"Workout","content":"Squat, bench press, deadlift.","created_on":"{today}","due_date":"{today}"}}"#
        )
    );
}

/// Every request the tutorial's Angular app makes (`api.service.ts` at v1.12),
/// with the headers Angular's HttpClient sends and the bodies the app builds.
#[tokio::test]
async fn the_angular_apps_requests_work_unchanged() {
    let app = spawn_app().await;
    let angular = |method: Method, path: &str| {
        app.authed(method, path)
            .header("Accept", "application/json, text/plain, */*")
    };
    // getTasks()
    let (status, _, list) = send(angular(Method::GET, "/api/task/")).await;
    assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(3)));

    // postTask(this.task_form.value): the create form's two fields.
    let created = assert_dated_today(
        angular(Method::POST, "/api/task/")
            .json(&json!({"title": "Read part 6", "content": "Auth0"})),
        "UTC",
        &["created_on", "due_date"],
    )
    .await;
    assert_eq!(
        (
            created["id"].clone(),
            created["title"].clone(),
            created["content"].clone()
        ),
        (json!(4), json!("Read part 6"), json!("Auth0"))
    );
    // The form with an empty field: the app's own validator stops it, DRF too.
    let (status, _, body) =
        send(angular(Method::POST, "/api/task/").json(&json!({"title": "", "content": ""}))).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"title": ["This field may not be blank."], "content": ["This field may not be blank."]})
        )
    );

    // putTask(task): the object the list showed, with the template's
    // `isEditable` flag, its inputs edited, the due date typed by hand.
    let mut edited = created.clone();
    edited["isEditable"] = json!(true);
    edited["title"] = json!("Read part 7");
    edited["due_date"] = json!("2019-1-5");
    let (status, _, updated) = send(angular(Method::PUT, "/api/task/4/").json(&edited)).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated,
        json!({
            "id": 4, "title": "Read part 7", "content": "Auth0",
            "created_on": created["created_on"], "due_date": "2019-01-05"
        })
    );
    // A due date typed wrong is refused, and nothing changes.
    edited["due_date"] = json!("next friday");
    let (status, _, body) = send(angular(Method::PUT, "/api/task/4/").json(&edited)).await;
    assert_eq!((status, body), (400, json!({ "due_date": [WRONG_DATE] })));
    let (_, _, stored) = send(angular(Method::GET, "/api/task/4/")).await;
    assert_eq!(stored, updated);
    // An id in the body never moves the task.
    edited["due_date"] = json!("2019-01-06");
    edited["id"] = json!(1);
    let (status, _, body) = send(angular(Method::PUT, "/api/task/4/").json(&edited)).await;
    assert_eq!((status, body["id"].clone()), (200, json!(4)));

    // deleteTask(task_id): 204 with no body (HttpClient reads it as null).
    let response = angular(Method::DELETE, "/api/task/4/")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert!(response.bytes().await.unwrap().is_empty());
    let (status, _, list) = send(angular(Method::GET, "/api/task/")).await;
    assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(3)));
}

#[tokio::test]
async fn create_retrieve_update_patch_delete() {
    let app = spawn_app().await;
    let (status, headers, created) = send(app.authed(Method::POST, "/api/task/").json(&json!({
        "title": "Write tests", "content": "All of them", "id": 99,
        "created_on": "2019-01-01", "due_date": "2019-02-01", "extra": 1
    })))
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(header(&headers, "allow"), LIST_ALLOW);
    assert_eq!(
        created,
        json!({"id": 4, "title": "Write tests", "content": "All of them",
               "created_on": "2019-01-01", "due_date": "2019-02-01"}),
        "dates are writable, id is read-only"
    );

    let (status, headers, fetched) = send(app.authed(Method::GET, "/api/task/4/")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "allow"), DETAIL_ALLOW);
    assert_eq!(fetched, created);

    // PUT: title and content required; dates not given keep their values.
    let (status, _, updated) = send(
        app.authed(Method::PUT, "/api/task/4/")
            .json(&json!({"title": "Write more tests", "content": "Many"})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated,
        json!({"id": 4, "title": "Write more tests", "content": "Many",
               "created_on": "2019-01-01", "due_date": "2019-02-01"})
    );
    let (status, _, body) = send(
        app.authed(Method::PUT, "/api/task/4/")
            .json(&json!({"content": "Squat"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, json!({"title": ["This field is required."]}))
    );

    // PATCH: any subset.
    let (status, _, patched) = send(
        app.authed(Method::PATCH, "/api/task/4/")
            .json(&json!({"due_date": "2020-1-1"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(patched["due_date"], "2020-01-01");
    assert_eq!(patched["title"], "Write more tests");
    let (status, _, unchanged) =
        send(app.authed(Method::PATCH, "/api/task/4/").json(&json!({}))).await;
    assert_eq!((status, &unchanged), (200, &patched));

    let response = app
        .authed(Method::DELETE, "/api/task/4/")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(header(response.headers(), "allow"), DETAIL_ALLOW);
    assert!(response.bytes().await.unwrap().is_empty());
    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        let (status, headers, body) = send(
            app.authed(method.clone(), "/api/task/4/")
                .json(&json!({"title": "x"})),
        )
        .await;
        assert_eq!((status, body), (404, detail("Not found.")), "{method}");
        assert_eq!(header(&headers, "allow"), DETAIL_ALLOW);
    }
    assert_eq!(app.count("task"), 3);
}

async fn post_json(app: &TestApp, body: &str) -> (u16, Value) {
    let (status, headers, value) = send(
        app.authed(Method::POST, "/api/task/")
            .header("Content-Type", "application/json")
            .body(body.to_owned()),
    )
    .await;
    assert_eq!(header(&headers, "allow"), LIST_ALLOW);
    (status, value)
}

/// Refusals, each with the original's status and body, text for text.
#[tokio::test]
async fn validation_errors_are_the_originals() {
    let app = spawn_app().await;
    let a50 = "a".repeat(50);
    let a51 = "a".repeat(51);
    let cases: Vec<(String, Value)> = vec![
        (
            "{}".into(),
            json!({"title": ["This field is required."], "content": ["This field is required."]}),
        ),
        (
            r#"{"content": "x"}"#.into(),
            json!({"title": ["This field is required."]}),
        ),
        (
            format!(r#"{{"title": "{a51}", "content": "b"}}"#),
            json!({"title": ["Ensure this field has no more than 50 characters."]}),
        ),
        (
            format!(r#"{{"title": "x", "content": "{a50}a"}}"#),
            json!({"content": ["Ensure this field has no more than 50 characters."]}),
        ),
        (
            r#"{"title": "   ", "content": ""}"#.into(),
            json!({"title": ["This field may not be blank."], "content": ["This field may not be blank."]}),
        ),
        (
            r#"{"title": "x", "content": true}"#.into(),
            json!({"content": ["Not a valid string."]}),
        ),
        (
            r#"{"title": {"a": 1}, "content": ["x"]}"#.into(),
            json!({"title": ["Not a valid string."], "content": ["Not a valid string."]}),
        ),
        (
            r#"{"title": "a\u0000b", "content": "y"}"#.into(),
            json!({"title": ["Null characters are not allowed."]}),
        ),
        (
            r#"{"title": null, "content": null, "due_date": null, "created_on": null}"#.into(),
            json!({
                "title": ["This field may not be null."], "content": ["This field may not be null."],
                "created_on": ["This field may not be null."], "due_date": ["This field may not be null."]
            }),
        ),
        (
            r#"{"title": "", "content": "y", "due_date": "bad", "created_on": "bad"}"#.into(),
            json!({"title": ["This field may not be blank."], "created_on": [WRONG_DATE], "due_date": [WRONG_DATE]}),
        ),
        (
            "[1]".into(),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        ),
        (
            r#""text""#.into(),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
        ),
        (
            "null".into(),
            json!({"non_field_errors": ["No data provided"]}),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(post_json(&app, &body).await, (400, expected), "{body}");
    }
    assert_eq!(app.count("task"), 3, "nothing was stored");
}

/// Error bodies keep DRF's field order on the wire (serde_json sorts maps, so
/// the check reads the raw text).
#[tokio::test]
async fn field_errors_keep_the_serializers_order_on_the_wire() {
    let app = spawn_app().await;
    let text = app
        .authed(Method::POST, "/api/task/")
        .json(&json!({"due_date": "x", "created_on": "x", "title": ""}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        text,
        format!(
            r#"{{"title":["This field may not be blank."],"content":["This field is required."],"created_on":["{WRONG_DATE}"],"due_date":["{WRONG_DATE}"]}}"#
        )
    );
}

#[tokio::test]
async fn accepted_inputs_are_read_as_the_original_reads_them() {
    let app = spawn_app().await;
    let a50 = "a".repeat(50);
    let cases = [
        // Surrounding whitespace is trimmed before the length is counted.
        (
            format!(r#"{{"title": "  {a50}  ", "content": "b"}}"#),
            json!(a50),
            json!("b"),
        ),
        (
            r#"{"title": 12, "content": 1.5}"#.into(),
            json!("12"),
            json!("1.5"),
        ),
        (
            r#"{"title": 1e20, "content": 100.0}"#.into(),
            json!("1e+20"),
            json!("100.0"),
        ),
        (
            r#"{"title": "x", "content": "y", "isEditable": true}"#.into(),
            json!("x"),
            json!("y"),
        ),
    ];
    for (body, title, content) in cases {
        let (status, value) = post_json(&app, &body).await;
        assert_eq!(
            (status, value["title"].clone(), value["content"].clone()),
            (201, title, content),
            "{body}"
        );
    }
    // Length is counted in characters: 50 emoji fit.
    let emoji = "\u{1F600}".repeat(50);
    let (status, value) =
        post_json(&app, &json!({ "title": emoji, "content": "c" }).to_string()).await;
    assert_eq!(
        (status, value["title"].as_str()),
        (201, Some(emoji.as_str()))
    );
}

#[tokio::test]
async fn dates_are_read_as_djangos_parse_date_reads_them() {
    let app = spawn_app().await;
    for (input, stored) in [
        (json!("2019-1-5"), "2019-01-05"),
        (json!("2019-01-05\n"), "2019-01-05"),
        (json!("9999-12-31"), "9999-12-31"),
        (json!("0001-01-01"), "0001-01-01"),
        (json!("2000-02-29"), "2000-02-29"),
    ] {
        let (status, value) = post_json(
            &app,
            &json!({"title": "x", "content": "y", "due_date": input, "created_on": input})
                .to_string(),
        )
        .await;
        assert_eq!(
            (
                status,
                value["due_date"].as_str(),
                value["created_on"].as_str()
            ),
            (201, Some(stored), Some(stored)),
            "{input}"
        );
    }
    for input in [
        json!("2019-13-45"),
        json!("tomorrow"),
        json!("2019/01/05"),
        json!("2019-01-05T10:00:00Z"),
        json!("2019-02-30"),
        json!("0000-01-05"),
        json!(" 2019-01-05"),
        json!("2019-01-05 "),
        json!(""),
        json!(20190105),
        json!(true),
        json!(["2019-01-05"]),
        json!({}),
    ] {
        let (status, value) = post_json(
            &app,
            &json!({"title": "x", "content": "y", "due_date": input}).to_string(),
        )
        .await;
        assert_eq!(
            (status, value),
            (400, json!({ "due_date": [WRONG_DATE] })),
            "{input}"
        );
    }
    assert_eq!(app.count("task"), 8, "only the five good ones were stored");
}

#[tokio::test]
async fn today_is_the_server_time_zones_day() {
    // UTC+14 and UTC-12: their days always differ.
    let mut days = Vec::new();
    for zone in ["Pacific/Kiritimati", "Etc/GMT+12"] {
        let app = spawn_app_with(&[("APP__SERVER__TIME_ZONE", zone)]).await;
        let body = assert_dated_today(
            app.authed(Method::POST, "/api/task/")
                .json(&json!({"title": "x", "content": "y"})),
            zone,
            &["created_on", "due_date"],
        )
        .await;
        days.push(body["created_on"].as_str().unwrap_or_default().to_owned());
    }
    assert_ne!(days[0], days[1], "{days:?}");
}

#[tokio::test]
async fn form_bodies_work_as_html_forms() {
    let app = spawn_app().await;
    let form =
        |method: Method, path: &str, fields: &[(&str, &str)]| app.authed(method, path).form(fields);
    // An empty date input means "not given": today.
    assert_dated_today(
        form(
            Method::POST,
            "/api/task/",
            &[("title", "f"), ("content", "g"), ("due_date", "")],
        ),
        "UTC",
        &["due_date"],
    )
    .await;
    let (status, _, body) = send(form(
        Method::POST,
        "/api/task/",
        &[("title", "f"), ("content", "g"), ("due_date", "2019-1-5")],
    ))
    .await;
    assert_eq!(
        (status, body["due_date"].clone()),
        (201, json!("2019-01-05"))
    );
    for (fields, expected) in [
        (
            &[("title", "f"), ("content", "g"), ("due_date", "bad")][..],
            json!({ "due_date": [WRONG_DATE] }),
        ),
        (
            &[("title", ""), ("content", "g")][..],
            json!({"title": ["This field may not be blank."]}),
        ),
        (
            &[("content", "g")][..],
            json!({"title": ["This field is required."]}),
        ),
    ] {
        let (status, _, body) = send(form(Method::POST, "/api/task/", fields)).await;
        assert_eq!((status, body), (400, expected), "{fields:?}");
    }
    // PUT by form keeps the dates it does not name.
    let (_, _, before) = send(app.authed(Method::GET, "/api/task/5/")).await;
    let (status, _, body) = send(form(
        Method::PUT,
        "/api/task/5/",
        &[("title", "t"), ("content", "c")],
    ))
    .await;
    assert_eq!(
        (status, body["title"].clone(), body["due_date"].clone()),
        (200, json!("t"), before["due_date"].clone())
    );
}

/// Postman's default body, "form-data", is multipart: read as a form, as DRF's
/// MultiPartParser reads it.
#[tokio::test]
async fn multipart_bodies_work_as_forms() {
    use reqwest::multipart::{Form, Part};
    let app = spawn_app().await;
    let form = || Form::new().text("title", "Multi").text("content", "part");
    let (status, _, body) = send(
        app.authed(Method::POST, "/api/task/")
            .multipart(form().text("due_date", "2019-1-5")),
    )
    .await;
    assert_eq!(
        (status, body["title"].clone(), body["due_date"].clone()),
        (201, json!("Multi"), json!("2019-01-05"))
    );
    let (status, _, body) = send(
        app.authed(Method::PUT, "/api/task/4/").multipart(
            Form::new()
                .text("title", "")
                .text("content", "x")
                .text("due_date", ""),
        ),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, json!({"title": ["This field may not be blank."]}))
    );
    // A file part is no text, even beside a text field of the same name.
    let (status, _, body) = send(
        app.authed(Method::POST, "/api/task/")
            .multipart(form().part(
                "title",
                Part::bytes(b"file".to_vec()).file_name("title.txt"),
            )),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, json!({"title": ["Not a valid string."]}))
    );
    // A broken body is a clear parse error (the original read it as no data).
    let (status, _, body) = send(
        app.authed(Method::POST, "/api/task/")
            .header("Content-Type", "multipart/form-data; boundary=abc")
            .body("garbage"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Multipart form parse error - ")),
        "{body}"
    );
    assert_eq!(app.count("task"), 4);
}

/// Each path answers a JSON 404, with a token (`authed`) or without.
async fn assert_json_404(app: &TestApp, paths: &[&str], authed: bool) {
    for path in paths {
        let request = if authed {
            app.authed(Method::GET, path)
        } else {
            app.anonymous(Method::GET, path)
        };
        let (status, headers, body) = send(request).await;
        assert_eq!((status, body), (404, detail("Not found.")), "{path}");
        assert_eq!(header(&headers, "content-type"), "application/json");
    }
}

#[tokio::test]
async fn ids_that_name_no_task_are_404() {
    let app = spawn_app().await;
    let unknown = [
        "/api/task/999/",
        "/api/task/0/",
        "/api/task/2147483648/",
        "/api/task/99999999999999999999999/",
    ];
    assert_json_404(&app, &unknown, true).await;
    // As the original's `<int:task_id>`: a leading zero is the same task,
    // anything but digits matches no route, before authentication.
    let (status, _, body) = send(app.authed(Method::GET, "/api/task/001/")).await;
    assert_eq!((status, body["title"].clone()), (200, json!("Workout")));
    let no_route = [
        "/api/task/abc/",
        "/api/task/-1/",
        "/api/task/+1/",
        "/api/task/1.5/",
    ];
    assert_json_404(&app, &no_route, false).await;
}

#[tokio::test]
async fn unsupported_media_type_is_415() {
    let app = spawn_app().await;
    let (status, headers, body) = send(
        app.authed(Method::POST, "/api/task/")
            .header("Content-Type", "text/plain")
            .body("title=x"),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            415,
            detail("Unsupported media type \"text/plain\" in request.")
        )
    );
    assert_eq!(header(&headers, "allow"), LIST_ALLOW);
    let (status, _, body) = send(
        app.authed(Method::PUT, "/api/task/1/")
            .header("Content-Type", "text/plain; charset=utf-8")
            .body("x"),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            415,
            detail("Unsupported media type \"text/plain; charset=utf-8\" in request.")
        )
    );
    // An empty body is empty data whatever its type (DRF): the fields are required.
    let (status, _, body) = send(
        app.authed(Method::POST, "/api/task/")
            .header("Content-Type", "text/plain"),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"title": ["This field is required."], "content": ["This field is required."]})
        )
    );
}

#[tokio::test]
async fn malformed_json_is_a_parse_error() {
    let app = spawn_app().await;
    let (status, body) = post_json(&app, "{bad").await;
    assert_eq!(status, 400);
    let message = body["detail"].as_str().unwrap_or("");
    assert!(message.starts_with("JSON parse error - "), "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1));
}

#[tokio::test]
async fn method_not_allowed_is_405_with_allow() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        (Method::PUT, "/api/task/", LIST_ALLOW),
        (Method::DELETE, "/api/task/", LIST_ALLOW),
        (Method::POST, "/api/task/1/", DETAIL_ALLOW),
        (Method::POST, "/api/", "GET, HEAD, OPTIONS"),
    ] {
        let (status, headers, body) = send(app.authed(method.clone(), path)).await;
        assert_eq!(
            (status, body),
            (405, detail(&format!("Method \"{method}\" not allowed."))),
            "{method} {path}"
        );
        assert_eq!(header(&headers, "allow"), allow);
    }
}

#[tokio::test]
async fn accept_header_without_json_is_406() {
    let app = spawn_app().await;
    for accept in [
        "text/html",
        "application/xml, text/plain",
        "application/json;q=0",
    ] {
        let (status, headers, body) = send(
            app.authed(Method::GET, "/api/task/")
                .header("Accept", accept),
        )
        .await;
        assert_eq!(
            (status, body),
            (406, detail("Could not satisfy the request Accept header.")),
            "{accept}"
        );
        assert_eq!(header(&headers, "allow"), LIST_ALLOW);
    }
    for accept in [
        "application/json",
        "*/*",
        "application/json, text/plain, */*",
        "text/html,application/xhtml+xml,*/*;q=0.8",
        "application/*",
    ] {
        let response = app
            .authed(Method::GET, "/api/task/")
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{accept}");
    }
    // Negotiation comes before authentication, as in DRF.
    let (status, _, _) = send(
        app.anonymous(Method::GET, "/api/task/")
            .header("Accept", "text/html"),
    )
    .await;
    assert_eq!(status, 406);
    // ?format= naming a format we do not render is 404, as DRF.
    let (status, _, body) = send(app.authed(Method::GET, "/api/task/?format=xml")).await;
    assert_eq!((status, body), (404, detail("Not found.")));
    let response = app
        .authed(Method::GET, "/api/task/?format=json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn json_suffix_routes() {
    let app = spawn_app().await;
    for path in ["/api/task.json", "/api/task.json/"] {
        let (status, headers, body) = send(app.authed(Method::GET, path)).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(header(&headers, "allow"), LIST_ALLOW);
        assert_eq!(body.as_array().map(Vec::len), Some(3));
    }
    let (status, headers, body) = send(app.authed(Method::GET, "/api/task/2.json")).await;
    assert_eq!((status, body["title"].clone()), (200, json!("Shopping")));
    assert_eq!(header(&headers, "allow"), DETAIL_ALLOW);
}

#[tokio::test]
async fn head_is_get_without_a_body() {
    let app = spawn_app().await;
    let get = app.authed(Method::GET, "/api/task/").send().await.unwrap();
    let get_len = get.headers().get("content-length").cloned();
    let head = app.authed(Method::HEAD, "/api/task/").send().await.unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(header(head.headers(), "allow"), LIST_ALLOW);
    assert_eq!(header(head.headers(), "content-type"), "application/json");
    assert_eq!(head.headers().get("content-length").cloned(), get_len);
    assert!(head.bytes().await.unwrap().is_empty());
    let head = app
        .authed(Method::HEAD, "/api/task/1/")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 200);
    let head = app
        .anonymous(Method::HEAD, "/api/task/")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 401);
}

/// DRF 3.9's `SimpleMetadata` for the original's views, names and docstrings
/// included (this server renders JSON only: no browsable API).
#[tokio::test]
async fn options_describe_the_views_as_the_original() {
    let app = spawn_app().await;
    let field_meta = json!({
        "id": {"type": "integer", "required": false, "read_only": true, "label": "ID"},
        "title": {"type": "string", "required": true, "read_only": false, "label": "Title", "max_length": 50},
        "content": {"type": "string", "required": true, "read_only": false, "label": "Content", "max_length": 50},
        "created_on": {"type": "date", "required": false, "read_only": false, "label": "Created on"},
        "due_date": {"type": "date", "required": false, "read_only": false, "label": "Due date"}
    });
    let parses = json!([
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data"
    ]);
    let (status, headers, body) = send(app.authed(Method::OPTIONS, "/api/task/")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "allow"), LIST_ALLOW);
    assert_eq!(
        body,
        json!({"name": "Task List", "description": "Lists and creates tasks.",
               "renders": ["application/json"], "parses": parses, "actions": {"POST": field_meta}})
    );
    let (status, _, body) = send(app.authed(Method::OPTIONS, "/api/task/1/")).await;
    assert_eq!(status, 200);
    assert_eq!(
        (body["name"].clone(), body["description"].clone()),
        (
            json!("Task Detail"),
            json!("Returns a single Task and allows updates and deletion of a Task.")
        )
    );
    assert_eq!(body["actions"], json!({"PUT": field_meta}));
    // No actions for a task that does not exist, as DRF.
    let (status, _, body) = send(app.authed(Method::OPTIONS, "/api/task/99/")).await;
    assert_eq!(status, 200);
    assert!(body.get("actions").is_none(), "{body}");
    // OPTIONS is subject to the permission like any method.
    let (status, _, _) = send(app.anonymous(Method::OPTIONS, "/api/task/")).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn missing_trailing_slash_redirects_with_308() {
    let app = spawn_app().await;
    for (path, location) in [
        ("/api/task", "/api/task/"),
        ("/api/task/1", "/api/task/1/"),
        ("/api", "/api/"),
        ("/api/task?format=json", "/api/task/?format=json"),
    ] {
        for method in [Method::GET, Method::POST] {
            let response = app.anonymous(method.clone(), path).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 308, "{method} {path}");
            assert_eq!(header(response.headers(), "location"), location);
        }
    }
    // A client that follows the redirect keeps the POST and its body (the
    // original answered a POST without the slash with a 500 page).
    let following = reqwest::Client::builder().no_proxy().build().unwrap();
    let response = following
        .post(app.url("/api/task"))
        .bearer_auth(token())
        .json(&json!({"title": "Followed", "content": "the 308"}))
        .send()
        .await
        .unwrap();
    let (status, _, body) = read(response).await;
    assert_eq!((status, body["title"].clone()), (201, json!("Followed")));
}

#[tokio::test]
async fn unknown_paths_are_json_404() {
    let app = spawn_app().await;
    let paths = [
        "/nothing/",
        "/nothing",
        "/api/nothing/",
        "/api/task/1/extra/",
        "/",
    ];
    assert_json_404(&app, &paths, true).await;
}

#[tokio::test]
async fn api_root_links_to_the_task_list() {
    let app = spawn_app().await;
    let (status, headers, body) = send(app.authed(Method::GET, "/api/")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "allow"), "GET, HEAD, OPTIONS");
    assert_eq!(
        body,
        json!({"task": format!("http://127.0.0.1:{}/api/task/", app.port)})
    );
    let (_, _, body) = send(
        app.authed(Method::GET, "/api/")
            .header("Host", "todo.example.com"),
    )
    .await;
    assert_eq!(body, json!({"task": "http://todo.example.com/api/task/"}));
    let (_, _, body) = send(app.authed(Method::GET, "/api/.json")).await;
    assert_eq!(
        body,
        json!({"task": format!("http://127.0.0.1:{}/api/task.json", app.port)})
    );
    // Forwarded headers are ignored unless the proxy is trusted.
    let (_, _, body) = send(
        app.authed(Method::GET, "/api/")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "evil.example"),
    )
    .await;
    assert_eq!(
        body,
        json!({"task": format!("http://127.0.0.1:{}/api/task/", app.port)})
    );
}

#[tokio::test]
async fn api_root_behind_a_trusted_proxy() {
    let forwarded = |app: &TestApp| {
        app.authed(Method::GET, "/api/")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "todo.example.com")
    };
    // The test's requests come from 127.0.0.1: a trusted proxy when listed.
    for trusted in ["127.0.0.1", "127.0.0.0/8, 10.0.0.0/8", "::1, 127.0.0.1/32"] {
        let app = spawn_app_with(&[("APP__SERVER__TRUSTED_PROXIES", trusted)]).await;
        let (_, _, body) = send(forwarded(&app)).await;
        assert_eq!(
            body,
            json!({"task": "https://todo.example.com/api/task/"}),
            "{trusted}"
        );
    }
    // Anyone else's headers are ignored.
    for trusted in ["", "10.0.0.0/8", "::1"] {
        let app = spawn_app_with(&[("APP__SERVER__TRUSTED_PROXIES", trusted)]).await;
        let (_, _, body) = send(forwarded(&app)).await;
        assert_eq!(
            body,
            json!({"task": format!("http://127.0.0.1:{}/api/task/", app.port)}),
            "{trusted:?}"
        );
    }
}

#[tokio::test]
async fn health_is_open_to_anyone() {
    let app = spawn_app().await;
    let (status, headers, body) = send(app.anonymous(Method::GET, "/api/health/")).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    assert_eq!(header(&headers, "allow"), "GET, HEAD, OPTIONS");
    for path in ["/api/health.json", "/api/health.json/"] {
        assert_eq!(
            send(app.anonymous(Method::GET, path)).await.0,
            200,
            "{path}"
        );
    }
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = spawn_app_with(&[("APP__SERVER__MAX_BODY_BYTES", "1024")]).await;
    let big = json!({ "title": "x".repeat(2000), "content": "y" }).to_string();
    let (status, _, body) = send(
        app.authed(Method::POST, "/api/task/")
            .header("Content-Type", "application/json")
            .body(big),
    )
    .await;
    assert_eq!((status, body), (413, detail("Request body is too large.")));
}
