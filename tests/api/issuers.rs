//! Identity providers keyed by `iss` (`auth.issuers.<name>`): each one's
//! tokens verify with its own keys only, a token naming an `iss` nobody
//! trusts is refused before any key is fetched, and a custom domain beside
//! its tenant shares the tenant's key set.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const PARTNER: &str = "https://partner.test.example/";
const CUSTOM: &str = "https://login.test.example/";

fn as_issuer(iss: &str, kid: &'static str) -> String {
    TokenSpec::default()
        .claim("iss", json!(iss))
        .kid(kid)
        .signed_by(kid)
        .sign()
}

#[tokio::test]
async fn two_providers_each_verify_their_own_tokens_only() {
    // The tenant publishes k1; the partner, at its own JWKS, k2.
    let partner_keys = JwksServer::start(&["k2"]).await;
    let app = spawn_app_on(
        JwksServer::start(&["k1"]).await,
        TestDb::new(),
        &[
            ("APP__AUTH__ISSUERS__PARTNER__ISSUER", PARTNER),
            ("APP__AUTH__ISSUERS__PARTNER__JWKS_URI", &partner_keys.uri),
            ("APP__AUTH__ISSUERS__PARTNER__USERNAME_HANDLER", "sub"),
        ],
    )
    .await;
    let status = |token: String| {
        let request = app.with_token(Method::GET, "/api/task/", &token);
        async move { send(request).await.0 }
    };
    assert_eq!(
        status(as_issuer(ISSUER, "k1")).await,
        200,
        "the tenant's own"
    );
    assert_eq!(
        status(as_issuer(PARTNER, "k2")).await,
        200,
        "the partner's own"
    );
    // A key of one never verifies a token naming the other, though both
    // keys are trusted and the signatures are good.
    assert_eq!(status(as_issuer(ISSUER, "k2")).await, 401);
    assert_eq!(status(as_issuer(PARTNER, "k1")).await, 401);
    // The partner's username handler is its own (sub), the tenant's the default.
    let (_, _, body) = send(
        app.with_token(Method::POST, "/api/task/", &as_issuer(PARTNER, "k2"))
            .json(&json!({"title": "From the partner", "content": "c"})),
    )
    .await;
    assert_eq!(body["title"], "From the partner");
    let (_, _, schema) = send(app.anonymous(Method::GET, "/api/schema/")).await;
    let description = schema["components"]["securitySchemes"]["bearer"]["description"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        description.contains(ISSUER) && description.contains(PARTNER),
        "{description}"
    );
}

#[tokio::test]
async fn an_unknown_issuer_is_refused_before_any_key_is_fetched() {
    let tenant_keys = JwksServer::start(&["k1"]).await;
    let app = spawn_app_on(tenant_keys, TestDb::new(), &[]).await;
    // The tenant's keys are fetched once at start-up.
    let mut waited = 0;
    while app.jwks.fetches() == 0 && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        waited += 1;
    }
    let before = app.jwks.fetches();
    for token in [
        // Signed by a key the tenant does not publish: a kid it would refetch for.
        as_issuer("https://elsewhere.example/", "k3"),
        as_issuer("https://elsewhere.example/", "k1"),
        TokenSpec::default()
            .without_claim("iss")
            .kid("k3")
            .signed_by("k3")
            .sign(),
        TokenSpec::default().claim("iss", json!([ISSUER])).sign(),
    ] {
        let (status, _, body) = send(app.with_token(Method::GET, "/api/task/", &token)).await;
        assert_eq!(
            (status, body),
            (
                401,
                json!({"detail": "Incorrect authentication credentials."})
            )
        );
    }
    assert_eq!(
        app.jwks.fetches(),
        before,
        "no fetch for an iss nobody trusts"
    );
}

#[tokio::test]
async fn a_custom_domain_beside_the_canonical_one_shares_its_keys() {
    let tenant_keys = JwksServer::start(&["k1"]).await;
    let uri = tenant_keys.uri.clone();
    let app = spawn_app_on(
        tenant_keys,
        TestDb::new(),
        &[
            ("APP__AUTH__ISSUERS__CUSTOM__ISSUER", CUSTOM),
            ("APP__AUTH__ISSUERS__CUSTOM__JWKS_URI", &uri),
        ],
    )
    .await;
    for iss in [ISSUER, CUSTOM] {
        let (status, _, _) =
            send(app.with_token(Method::GET, "/api/task/", &as_issuer(iss, "k1"))).await;
        assert_eq!(status, 200, "{iss}");
    }
    // One key set, one store: fetched once for both.
    let (_, _, ready) = send(app.anonymous(Method::GET, "/api/ready/")).await;
    assert_eq!(ready["jwks"], "ok");
    assert_eq!(app.jwks.fetches(), 1);
    assert_eq!(
        ready["keys"],
        json!(1 + 1),
        "the tenant's key, and the dev issuer's"
    );
}

#[tokio::test]
async fn a_provider_entry_is_checked_at_start_up() {
    for (vars, expected) in [
        (
            vec![(
                "APP__AUTH__ISSUERS__X__JWKS_URI",
                "https://x.example/jwks.json",
            )],
            "auth.issuers.x.issuer",
        ),
        (
            vec![("APP__AUTH__ISSUERS__X__ISSUER", ISSUER)],
            "is trusted already",
        ),
        (
            vec![
                ("APP__AUTH__ISSUERS__X__ISSUER", PARTNER),
                ("APP__AUTH__ISSUERS__X__ALGORITHMS", "HS256"),
            ],
            "the shared secret is the tenant's",
        ),
        (
            vec![
                ("APP__AUTH__ISSUERS__X__ISSUER", PARTNER),
                (
                    "APP__AUTH__ISSUERS__X__JWKS_URI",
                    "http://partner.example/jwks.json",
                ),
            ],
            "auth.issuers.x.jwks_uri",
        ),
    ] {
        let mut env: Vec<(&str, &str)> = vec![("APP_ENV", "test")];
        env.extend(vars.iter().copied());
        let out = todoapi(&["check"], &env).output().expect("todoapi check");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(expected),
            "{vars:?}: {stderr}"
        );
    }
    let out = todoapi(
        &["check"],
        &[
            ("APP_ENV", "test"),
            ("APP__AUTH__ISSUERS__PARTNER__ISSUER", PARTNER),
        ],
    )
    .output()
    .expect("todoapi check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "auth.issuers.partner.jwks_uri = \"{}.well-known/jwks.json\"  # from its issuer",
            PARTNER
        )),
        "{stdout}"
    );
}
