//! A tiny blocking HTTPS/1.1 client for tests (rustls, one connection per request,
//! `Connection: close`). It trusts only the CA PEM it is given, never follows redirects,
//! and returns status, headers and body exactly as received.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};

#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// First header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }
}

#[derive(Clone)]
pub struct HttpsClient {
    config: Arc<rustls::ClientConfig>,
}

impl HttpsClient {
    /// A client that trusts exactly the certificates in `ca_pem`.
    pub fn new(ca_pem: &str) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots
                .add(cert.expect("CA PEM parses"))
                .expect("CA cert added");
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self {
            config: Arc::new(config),
        }
    }

    pub fn get(&self, url: &str) -> HttpResponse {
        self.request("GET", url, &[], b"")
    }

    /// POST `application/x-www-form-urlencoded`.
    pub fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> HttpResponse {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
        all.extend_from_slice(headers);
        self.request("POST", url, &all, body.as_bytes())
    }

    /// Send one request. `url` must be `https://host:port/path?query`.
    pub fn request(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpResponse {
        let parsed = url::Url::parse(url).unwrap_or_else(|e| panic!("bad URL {url}: {e}"));
        assert_eq!(parsed.scheme(), "https", "HttpsClient speaks https only");
        let host = parsed.host_str().expect("URL has a host").to_string();
        let port = parsed.port_or_known_default().unwrap_or(443);
        // The path and query exactly as written (a `//` must reach the server as is).
        let target = raw_target(url).unwrap_or_else(|| "/".to_string());

        let name_host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let server_name = ServerName::try_from(name_host.clone()).expect("server name");
        let conn = rustls::ClientConnection::new(self.config.clone(), server_name)
            .expect("TLS client connection");
        let tcp = TcpStream::connect((name_host.as_str(), port))
            .unwrap_or_else(|e| panic!("connect {host}:{port}: {e}"));
        tcp.set_read_timeout(Some(Duration::from_secs(60))).ok();
        let mut tls = rustls::StreamOwned::new(conn, tcp);

        let mut head = format!("{method} {target} HTTP/1.1\r\nhost: {host}:{port}\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        head.push_str("connection: close\r\n\r\n");
        tls.write_all(head.as_bytes()).expect("write request head");
        tls.write_all(body).expect("write request body");
        tls.flush().expect("flush");

        let mut raw = Vec::new();
        match tls.read_to_end(&mut raw) {
            Ok(_) => {}
            // Servers may close without close_notify; what we have is the response.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
            Err(e) => panic!("read response from {url}: {e}"),
        }
        parse_response(&raw).unwrap_or_else(|| {
            panic!(
                "malformed HTTP response from {url}: {:?}",
                String::from_utf8_lossy(&raw)
            )
        })
    }
}

/// The path and query exactly as written in `url` (after the authority).
fn raw_target(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let slash = rest.find('/')?;
    let target = &rest[slash..];
    Some(target.split('#').next().unwrap_or(target).to_string())
}

fn parse_response(raw: &[u8]) -> Option<HttpResponse> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body)?;
    }
    Some(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}
