//! Property tests over hostile input: no panic is reachable from a request's
//! Authorization header, token or body. `make test` runs a few hundred cases
//! per property; `make fuzz` runs many more (`PROPTEST_CASES`).

use std::sync::{Arc, OnceLock};

use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use proptest::prelude::*;
use serde_json::{Map, Value};

use todoapi::auth::header::bearer_token;
use todoapi::auth::keys::{KeySet, StaticKeyStore, VerifyingKey};
use todoapi::auth::token::{TokenPolicy, TokenValidator, Unverified};
use todoapi::db::models::Task;
use todoapi::error::ApiError;
use todoapi::resources::tasks::task_id;
use todoapi::rest::parsers::{Data, parse_form, parse_json, parse_multipart};
use todoapi::rest::serializer::Mode;
use todoapi::rest::viewset::Model;

/// A validator as the test profile configures it, trusting one fresh key.
fn validator() -> &'static TokenValidator {
    static VALIDATOR: OnceLock<TokenValidator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let env = [("APP_ENV".to_owned(), "test".to_owned())]
            .into_iter()
            .collect();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let settings = todoapi::settings::load(&dir, &env).expect("test settings");
        let pair = KeyPair::generate(KeySize::Rsa2048).expect("key");
        let public = pair.public_key();
        let key = DecodingKey::from_rsa_raw_components(
            public.modulus().big_endian_without_leading_zero(),
            public.exponent().big_endian_without_leading_zero(),
        );
        let keys = KeySet::new(vec![VerifyingKey {
            kid: Some("k1".into()),
            alg: Some(Algorithm::RS256),
            key,
        }]);
        TokenValidator::new(
            "https://tenant.test.example/".into(),
            &settings.auth.audience,
            TokenPolicy::tenant(&settings.auth),
            Arc::new(StaticKeyStore::new(keys)),
        )
    })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        "[0-9]{1,5}-[0-9]{1,3}-[0-9]{1,3}\n?".prop_map(Value::String),
        Just(Value::String("RS256".into())),
        Just(Value::String("none".into())),
        Just(Value::String("k1".into())),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((".{0,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A JSON object over the given member names, sometimes with a member repeated.
fn json_object(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    (
        proptest::collection::vec((proptest::sample::select(names), json_value()), 0..6),
        any::<bool>(),
    )
        .prop_map(|(members, repeat)| {
            let mut parts: Vec<String> = members
                .iter()
                .map(|(k, v)| format!("{}:{}", Value::from(*k), v))
                .collect();
            if repeat && let Some(first) = parts.first().cloned() {
                parts.push(first);
            }
            format!("{{{}}}", parts.join(","))
        })
}

fn token() -> impl Strategy<Value = String> {
    let structured = (
        json_object(&[
            "alg", "kid", "typ", "crit", "jku", "jwk", "x5c", "x5u", "b64",
        ]),
        json_object(&["iss", "aud", "exp", "nbf", "iat", "sub", "scope"]),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(header, payload, signature)| {
            format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(header),
                URL_SAFE_NO_PAD.encode(payload),
                URL_SAFE_NO_PAD.encode(signature)
            )
        });
    prop_oneof![structured, "[A-Za-z0-9_=+/. -]{0,300}", ".{0,100}"]
}

fn check_task(data: &Data) {
    for mode in [Mode::Create, Mode::Update, Mode::Partial] {
        match Task::serializer().validate(data, mode) {
            Ok(changes) => {
                for text in [changes.title, changes.content].into_iter().flatten() {
                    assert!(
                        !text.trim().is_empty()
                            && text.chars().count() <= 50
                            && !text.contains('\0')
                    );
                }
                for date in [changes.created_on, changes.due_date].into_iter().flatten() {
                    assert!((1..=9999).contains(&chrono::Datelike::year(&date)));
                }
            }
            Err(ApiError::Validation(errors)) => assert!(!errors.is_empty()),
            Err(other) => panic!("validation answered {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn authorization_headers(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = bearer_token(Some(&bytes), "Bearer");
    }

    #[test]
    fn tokens_never_pass_nor_panic(token in token()) {
        // None of these carries a valid signature by the trusted key.
        if let Ok(unverified) = Unverified::parse(&token) {
            prop_assert!(runtime().block_on(validator().verify(unverified)).is_err());
        }
    }

    #[test]
    fn json_bodies(bytes in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        json_object(&["title", "content", "created_on", "due_date", "id", "isEditable"]).prop_map(String::into_bytes),
    ]) {
        match parse_json(&bytes) {
            Ok(data) => check_task(&data),
            Err(ApiError::ParseError(_) | ApiError::Validation(_)) => {}
            Err(other) => panic!("JSON body answered {other:?}"),
        }
    }

    #[test]
    fn multipart_bodies(bytes in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        "(--b\r\n(Content-Disposition: form-data; name=\"(title|content|due_date)\"(; filename=\"f\")?\r\n)?\r\n.{0,20}\r\n){0,3}(--b--\r\n)?"
            .prop_map(String::into_bytes),
    ]) {
        match runtime().block_on(parse_multipart(Some("multipart/form-data; boundary=b"), bytes)) {
            Ok(data) => check_task(&data),
            Err(ApiError::ParseError(_)) => {}
            Err(other) => panic!("multipart body answered {other:?}"),
        }
    }

    #[test]
    fn form_bodies(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(pairs) = parse_form(&bytes) {
            check_task(&Data::Form(pairs));
        }
    }

    #[test]
    fn detail_ids(raw in "[0-9]{0,12}") {
        // The route admits digits only; an id is one the column can hold.
        if let Ok(id) = task_id(&raw) {
            prop_assert!(id >= 0);
        }
    }
}
