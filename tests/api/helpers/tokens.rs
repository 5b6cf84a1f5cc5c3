//! Keys and tokens: three RSA keys made once per test process, and a
//! signer for Auth0-shaped tokens whose every part a test may change.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

pub const ISSUER: &str = "https://tenant.test.example/";
pub const AUDIENCE: &str = "https://todo-api.test.example";

/// An RSA signing key with its JWK.
pub struct TestKey {
    pub kid: &'static str,
    pair: KeyPair,
    /// Stands for the self-signed certificate Auth0 publishes in `x5c`: the
    /// size of one (about 1 KiB of DER), random bytes, since this server
    /// never reads it.
    certificate: Vec<u8>,
}

static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();

/// Three RSA-2048 keys, generated once per test process: k1, k2, k3.
pub fn key(kid: &str) -> &'static TestKey {
    let keys = KEYS.get_or_init(|| {
        ["k1", "k2", "k3"]
            .into_iter()
            .map(|kid| {
                let mut certificate = vec![0u8; 1_050];
                aws_lc_rs::rand::fill(&mut certificate).expect("random bytes");
                TestKey {
                    kid,
                    pair: KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation"),
                    certificate,
                }
            })
            .collect()
    });
    keys.iter()
        .find(|k| k.kid == kid)
        .expect("unknown test kid")
}

impl TestKey {
    /// The key as an Auth0 tenant publishes it: `alg, kty, use, n, e, kid,
    /// x5t, x5c`.
    pub fn jwk(&self) -> Value {
        let public = self.pair.public_key();
        let thumbprint = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            &self.certificate,
        );
        json!({
            "alg": "RS256",
            "kty": "RSA",
            "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
            "kid": self.kid,
            "x5t": URL_SAFE_NO_PAD.encode(thumbprint.as_ref()),
            "x5c": [STANDARD.encode(&self.certificate)],
        })
    }

    /// The public key as PEM (SubjectPublicKeyInfo), as an attacker would find it.
    pub fn public_pem(&self) -> String {
        let der = self.pair.public_key().as_der().expect("public key DER");
        let b64 = STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }

    fn sign(&self, alg: &str, message: &[u8]) -> Vec<u8> {
        let padding: &'static dyn signature::RsaEncoding = match alg {
            "RS256" => &signature::RSA_PKCS1_SHA256,
            "RS384" => &signature::RSA_PKCS1_SHA384,
            "RS512" => &signature::RSA_PKCS1_SHA512,
            "PS256" => &signature::RSA_PSS_SHA256,
            other => panic!("test signer has no {other}"),
        };
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                padding,
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut sig,
            )
            .expect("signing");
        sig
    }
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A token to sign: Auth0-shaped claims by default, every part changeable.
#[derive(Clone)]
pub struct TokenSpec {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signer: &'static str,
    hmac_secret: Option<Vec<u8>>,
}

impl Default for TokenSpec {
    fn default() -> Self {
        let now = now();
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": "k1"});
        let claims = json!({
            "iss": ISSUER,
            "sub": "auth0|abc123",
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 3600,
            "scope": "read:tasks write:tasks",
        });
        TokenSpec {
            header: header.as_object().cloned().unwrap_or_default(),
            claims: claims.as_object().cloned().unwrap_or_default(),
            signer: "k1",
            hmac_secret: None,
        }
    }
}

impl TokenSpec {
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.into(), value);
        self
    }

    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.header.insert(name.into(), value);
        self
    }

    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Header `kid` and signing key both.
    pub fn kid(self, kid: &'static str) -> Self {
        self.header("kid", json!(kid)).signed_by(kid)
    }

    /// Signs with this key whatever the header says.
    pub fn signed_by(mut self, kid: &'static str) -> Self {
        self.signer = kid;
        self
    }

    /// HS256 keyed with these bytes (key-confusion tests).
    pub fn hmac(mut self, secret: &[u8]) -> Self {
        self.header.insert("alg".into(), json!("HS256"));
        self.hmac_secret = Some(secret.to_vec());
        self
    }

    pub fn sign(&self) -> String {
        let encode = |v: &Map<String, Value>| {
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap_or_default())
        };
        let input = format!("{}.{}", encode(&self.header), encode(&self.claims));
        let alg = self
            .header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("RS256");
        let sig = match alg {
            "none" => Vec::new(),
            "HS256" => {
                let secret = self.hmac_secret.clone().unwrap_or_default();
                let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret);
                aws_lc_rs::hmac::sign(&key, input.as_bytes())
                    .as_ref()
                    .to_vec()
            }
            "RS256" | "RS384" | "RS512" | "PS256" => key(self.signer).sign(alg, input.as_bytes()),
            // A header naming an algorithm we cannot sign with lies: sign RS256.
            _ => key(self.signer).sign("RS256", input.as_bytes()),
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

/// A token from raw header and payload JSON (for malformed inputs), signed RS256 by `kid`.
pub fn sign_raw(header_json: &str, payload_json: &str, kid: &str) -> String {
    sign_segments(
        &URL_SAFE_NO_PAD.encode(header_json),
        &URL_SAFE_NO_PAD.encode(payload_json),
        kid,
    )
}

/// A token whose first two segments are exactly these (any encoding), with a
/// valid RS256 signature over them: only the encoding can make it wrong.
pub fn sign_segments(header: &str, payload: &str, kid: &str) -> String {
    let input = format!("{header}.{payload}");
    let sig = key(kid).sign("RS256", input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// Default claims as a JSON text, with `extra` spliced in before the closing brace.
pub fn payload_json(extra: &str) -> String {
    let now = now();
    format!(
        r#"{{"iss":"{ISSUER}","sub":"auth0|abc123","aud":"{AUDIENCE}","iat":{now},"exp":{}{extra}}}"#,
        now + 3600
    )
}

/// A valid token for the default test tenant.
pub fn token() -> String {
    TokenSpec::default().sign()
}

/// A token's claims, read without checking its signature (Null if unreadable).
pub fn claims_of(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD.decode(part).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}
