//! Minimal JOSE for the test IdP: ES256 / RS256 signing keys, their JWKs, compact JWS
//! signing and verification, base64url, and key-order-preserving JSON objects.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use rand::RngCore as _;
use rand::rngs::OsRng;
use rsa::signature::SignatureEncoding as _;
use rsa::traits::PublicKeyParts as _;
use serde_json::Value;
use sha2::Sha256;

pub fn b64url(data: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

pub fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` random bytes, base64url.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    OsRng.fill_bytes(&mut bytes);
    b64url(bytes)
}

/// A random UUID v4 in the usual text form (Kanidm's op ids and jti look like this).
pub fn random_uuid() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A JSON object that keeps its keys in insertion order (as Kanidm's serde structs do).
#[derive(Clone, Debug, Default)]
pub struct OrderedJson(pub Vec<(String, Value)>);

impl OrderedJson {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Set `key` (replacing an existing value in place, or appending).
    pub fn set(&mut self, key: &str, value: impl Into<Value>) -> &mut Self {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_string(), value)),
        }
        self
    }

    pub fn remove(&mut self, key: &str) -> &mut Self {
        self.0.retain(|(k, _)| k != key);
        self
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn to_value(&self) -> Value {
        Value::Object(self.0.iter().cloned().collect())
    }

    pub fn to_json_string(&self) -> String {
        let fields: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), v))
            .collect();
        format!("{{{}}}", fields.join(","))
    }
}

/// The IdP's signing key for one client.
pub enum SigningKey {
    Es256 {
        kid: String,
        key: p256::ecdsa::SigningKey,
    },
    Rs256 {
        kid: String,
        key: Box<rsa::pkcs1v15::SigningKey<Sha256>>,
        public: rsa::RsaPublicKey,
    },
}

impl SigningKey {
    /// A fresh P-256 key with a 12-hex-digit `kid`, as Kanidm's `jws_es256` keys.
    pub fn generate_es256() -> Self {
        SigningKey::Es256 {
            kid: random_hex(6),
            key: p256::ecdsa::SigningKey::random(&mut OsRng),
        }
    }

    /// A fresh RSA-2048 key ("legacy crypto" in Kanidm).
    pub fn generate_rs256() -> Self {
        let private = rsa::RsaPrivateKey::new(&mut OsRng, 2048).expect("RSA key generation");
        let public = private.to_public_key();
        SigningKey::Rs256 {
            kid: random_hex(6),
            key: Box::new(rsa::pkcs1v15::SigningKey::<Sha256>::new(private)),
            public,
        }
    }

    pub fn alg(&self) -> &'static str {
        match self {
            SigningKey::Es256 { .. } => "ES256",
            SigningKey::Rs256 { .. } => "RS256",
        }
    }

    pub fn kid(&self) -> &str {
        match self {
            SigningKey::Es256 { kid, .. } | SigningKey::Rs256 { kid, .. } => kid,
        }
    }

    /// The public JWK, member order as Kanidm's (`jwks-netbox.json`). `with_alg = false`
    /// drops the `alg` member (social-core then fills in `JWT_ALGORITHMS[0]`).
    pub fn public_jwk(&self, with_alg: bool) -> OrderedJson {
        let mut jwk = OrderedJson::new();
        match self {
            SigningKey::Es256 { key, .. } => {
                let point = key.verifying_key().to_encoded_point(false);
                let x = point.x().expect("uncompressed point has x");
                let y = point.y().expect("uncompressed point has y");
                jwk.set("kty", "EC")
                    .set("crv", "P-256")
                    .set("x", b64url(x))
                    .set("y", b64url(y));
            }
            SigningKey::Rs256 { public, .. } => {
                jwk.set("kty", "RSA")
                    .set("e", b64url(public.e().to_bytes_be()))
                    .set("n", b64url(public.n().to_bytes_be()));
            }
        }
        if with_alg {
            jwk.set("alg", self.alg());
        }
        jwk.set("use", "sig").set("kid", self.kid());
        jwk
    }

    /// Compact JWS over `claims` with header `{"alg":…,"kid":…}` plus `extra_header`.
    pub fn sign(&self, extra_header: &[(&str, &str)], claims: &OrderedJson) -> String {
        let mut header = OrderedJson::new();
        header.set("alg", self.alg()).set("kid", self.kid());
        for (k, v) in extra_header {
            header.set(k, *v);
        }
        let input = format!(
            "{}.{}",
            b64url(header.to_json_string()),
            b64url(claims.to_json_string())
        );
        let signature = match self {
            SigningKey::Es256 { key, .. } => {
                let sig: p256::ecdsa::Signature = key.sign(input.as_bytes());
                sig.to_bytes().to_vec()
            }
            SigningKey::Rs256 { key, .. } => key.sign(input.as_bytes()).to_vec(),
        };
        format!("{input}.{}", b64url(signature))
    }
}

/// Split a compact JWS and decode its header and payload.
pub fn decode_jws(token: &str) -> Option<(Value, Value)> {
    let mut parts = token.split('.');
    let header = serde_json::from_slice(&b64url_decode(parts.next()?)?).ok()?;
    let payload = serde_json::from_slice(&b64url_decode(parts.next()?)?).ok()?;
    Some((header, payload))
}

/// Verify a compact JWS against one public JWK (EC P-256 or RSA), as a relying party would.
/// The algorithm comes from the JWK's `alg`, or from the token header when the JWK has none.
pub fn verify_jws(token: &str, jwk: &Value) -> Result<(), String> {
    let (input, sig_b64) = token.rsplit_once('.').ok_or("not a compact JWS")?;
    let sig = b64url_decode(sig_b64).ok_or("signature is not base64url")?;
    let (header, _) = decode_jws(token).ok_or("undecodable JWS")?;
    let field = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let alg = field(jwk, "alg")
        .or_else(|| field(&header, "alg"))
        .ok_or("no alg")?;
    let bytes = |k: &str| {
        field(jwk, k)
            .and_then(|s| b64url_decode(&s))
            .ok_or(format!("JWK member {k} missing"))
    };
    match alg.as_str() {
        "ES256" => {
            let mut sec1 = vec![0x04];
            sec1.extend(bytes("x")?);
            sec1.extend(bytes("y")?);
            let key =
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|e| e.to_string())?;
            let sig = p256::ecdsa::Signature::from_slice(&sig).map_err(|e| e.to_string())?;
            key.verify(input.as_bytes(), &sig)
                .map_err(|e| e.to_string())
        }
        "RS256" => {
            let n = rsa::BigUint::from_bytes_be(&bytes("n")?);
            let e = rsa::BigUint::from_bytes_be(&bytes("e")?);
            let public = rsa::RsaPublicKey::new(n, e).map_err(|e| e.to_string())?;
            let key = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public);
            let sig =
                rsa::pkcs1v15::Signature::try_from(sig.as_slice()).map_err(|e| e.to_string())?;
            key.verify(input.as_bytes(), &sig)
                .map_err(|e| e.to_string())
        }
        other => Err(format!("unsupported alg {other}")),
    }
}

/// PKCE S256: base64url(sha256(verifier)).
pub fn pkce_s256(verifier: &str) -> String {
    use sha2::Digest as _;
    b64url(Sha256::digest(verifier.as_bytes()))
}
