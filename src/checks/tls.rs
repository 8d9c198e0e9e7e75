//! Kanidm TLS: the chain verified exactly as NetBox will verify it (system roots, or only the plan's
//! CA file), the host name, and the expiry. Verification is never switched off: on failure the chain
//! is only recorded, so the finding can name the CA that would fix it.

use super::Finding;
use super::http::{TlsProblem, handshake_problem};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpStream;

/// What a certificate says, for findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    /// Seconds since the Unix epoch.
    pub not_after: i64,
    pub dns_names: Vec<String>,
}

pub fn cert_info(der: &[u8]) -> Option<CertInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let dns_names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_string()),
                    x509_parser::extensions::GeneralName::IPAddress(ip) => match ip.len() {
                        4 => Some(std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Some(CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_after: cert.validity().not_after.timestamp(),
        dns_names,
    })
}

/// Which roots were used, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Roots {
    System,
    CaFile(PathBuf),
}

/// What one handshake showed.
#[derive(Debug, Clone)]
pub struct TlsObservation {
    pub host: String,
    pub roots: Roots,
    pub outcome: Result<(), TlsFailure>,
    /// The chain the server presented, leaf first (also when verification failed).
    pub chain: Vec<CertInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    Cert(TlsProblem),
    Connect(String),
    Setup(String),
}

/// Records the presented chain, then lets the real verifier decide.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut chain) = self.chain.lock() {
            chain.clear();
            chain.push(end_entity.clone().into_owned());
            chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        }
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn root_store(roots: &Roots) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = store.add(cert);
            }
        }
        Roots::CaFile(path) => {
            use rustls::pki_types::pem::PemObject;
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("cannot read the CA file {}: {e}", path.display()))?;
            for cert in certs {
                let cert =
                    cert.map_err(|e| format!("the CA file {} is not PEM: {e}", path.display()))?;
                store.add(cert).map_err(|e| {
                    format!(
                        "the CA file {} holds an unusable certificate: {e}",
                        path.display()
                    )
                })?;
            }
        }
    }
    if store.is_empty() {
        return Err(match roots {
            Roots::System => "this machine has no trusted root certificates".into(),
            Roots::CaFile(p) => format!("the CA file {} holds no certificate", p.display()),
        });
    }
    Ok(store)
}

/// Connects to `host:port` and performs a verified TLS handshake, recording the chain.
pub async fn observe(host: &str, port: u16, roots: Roots, deadline: Duration) -> TlsObservation {
    let mut observation = TlsObservation {
        host: host.to_string(),
        roots: roots.clone(),
        outcome: Ok(()),
        chain: Vec::new(),
    };
    // The roots are read from disk (the CA file, or the system's store): not on an async thread.
    let reading = roots.clone();
    let store = match tokio::task::spawn_blocking(move || root_store(&reading)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            observation.outcome = Err(TlsFailure::Setup(e));
            return observation;
        }
        Err(e) => {
            let e = format!("cannot read the trusted certificates: {e}");
            observation.outcome = Err(TlsFailure::Setup(e));
            return observation;
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner = match WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
        .build()
    {
        Ok(v) => v,
        Err(e) => {
            observation.outcome = Err(TlsFailure::Setup(e.to_string()));
            return observation;
        }
    };
    let verifier = Arc::new(Recording {
        inner,
        chain: Mutex::new(Vec::new()),
    });
    let config = match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => b
            .dangerous()
            .with_custom_certificate_verifier(verifier.clone())
            .with_no_client_auth(),
        Err(e) => {
            observation.outcome = Err(TlsFailure::Setup(e.to_string()));
            return observation;
        }
    };
    let server_name = match ServerName::try_from(host.to_string()) {
        Ok(n) => n,
        Err(e) => {
            observation.outcome = Err(TlsFailure::Setup(format!(
                "{host} is not a valid server name: {e}"
            )));
            return observation;
        }
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let attempt = async {
        let tcp = TcpStream::connect((host, port))
            .await
            .map_err(|e| TlsFailure::Connect(e.to_string()))?;
        connector
            .connect(server_name, tcp)
            .await
            .map_err(|e| match handshake_problem(&e) {
                Some(problem) => TlsFailure::Cert(problem),
                None => TlsFailure::Connect(e.to_string()),
            })?;
        Ok(())
    };
    observation.outcome = match tokio::time::timeout(deadline, attempt).await {
        Ok(result) => result,
        Err(_) => Err(TlsFailure::Connect(format!(
            "no TLS handshake within {deadline:?}"
        ))),
    };
    if let Ok(chain) = verifier.chain.lock() {
        observation.chain = chain.iter().filter_map(|c| cert_info(c)).collect();
    }
    observation
}

const WARN_DAYS: i64 = 14;

fn roots_text(roots: &Roots) -> String {
    match roots {
        Roots::System => "this machine's system roots".into(),
        Roots::CaFile(p) => format!("the CA file {}", p.display()),
    }
}

fn date(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| secs.to_string())
}

/// Judges a handshake at the wall-clock instant `now` (seconds since the epoch).
pub fn evaluate(obs: &TlsObservation, now: i64) -> Finding {
    let leaf = obs.chain.first();
    let mut details: Vec<String> = obs
        .chain
        .iter()
        .enumerate()
        .map(|(i, c)| {
            format!(
                "{}: {} (issued by {}), valid until {}{}",
                if i == 0 {
                    "certificate"
                } else {
                    "intermediate"
                },
                c.subject,
                c.issuer,
                date(c.not_after),
                if c.dns_names.is_empty() {
                    String::new()
                } else {
                    format!(", names {}", c.dns_names.join(" "))
                }
            )
        })
        .collect();
    details.push(format!("verified against {}", roots_text(&obs.roots)));
    let issuer = leaf
        .map(|c| c.issuer.clone())
        .unwrap_or_else(|| "an unknown CA".into());
    let finding = match &obs.outcome {
        Ok(()) => match leaf {
            Some(cert) => {
                let days = (cert.not_after - now).div_euclid(86_400);
                if days < WARN_DAYS {
                    Finding::warn(format!(
                        "the certificate for {} expires in {days} day(s), on {}",
                        obs.host,
                        date(cert.not_after)
                    ))
                    .with_fix("renew Kanidm's certificate (tls_chain / tls_key in server.toml) before it expires")
                } else {
                    Finding::pass(format!(
                        "trusted by {}, valid for {days} more days",
                        roots_text(&obs.roots)
                    ))
                }
            }
            None => Finding::pass(format!("trusted by {}", roots_text(&obs.roots))),
        },
        Err(TlsFailure::Cert(TlsProblem::UnknownIssuer)) => {
            let fix = match &obs.roots {
                Roots::System => format!(
                    "set tls.ca_file to the PEM of the CA \"{issuer}\" (Kanidm's CA: the file named by tls_chain's issuer in server.toml, e.g. ca.pem from `kanidmd cert-generate`)"
                ),
                Roots::CaFile(p) => format!(
                    "{} is not the CA that signed this certificate: point tls.ca_file at the PEM of \"{issuer}\"",
                    p.display()
                ),
            };
            Finding::fail(format!(
                "{}'s certificate is signed by \"{issuer}\", which {} does not trust",
                obs.host,
                roots_text(&obs.roots)
            ))
            .with_fix(fix)
        }
        Err(TlsFailure::Cert(TlsProblem::WrongHost)) => {
            let names = leaf.map(|c| c.dns_names.join(", ")).unwrap_or_default();
            Finding::fail(format!(
                "the certificate is not valid for {} (it names {})",
                obs.host,
                if names.is_empty() { "no host" } else { &names }
            ))
            .with_fix("use a host name from the certificate in kanidm.origin, or reissue the certificate for this name")
        }
        Err(TlsFailure::Cert(TlsProblem::Expired)) => Finding::fail(format!(
            "the certificate for {} expired on {}",
            obs.host,
            leaf.map(|c| date(c.not_after))
                .unwrap_or_else(|| "an earlier date".into())
        ))
        .with_fix(
            "renew Kanidm's certificate (tls_chain / tls_key in server.toml) and restart kanidmd",
        ),
        Err(TlsFailure::Cert(TlsProblem::NotYetValid)) => Finding::fail(format!(
            "the certificate for {} is not valid yet: is this machine's clock right?",
            obs.host
        )),
        Err(TlsFailure::Cert(TlsProblem::Other(e))) => {
            Finding::fail(format!("TLS with {} failed: {e}", obs.host))
        }
        Err(TlsFailure::Connect(e)) => {
            Finding::unreachable(format!("cannot reach {}: {e}", obs.host))
                .with_fix("check kanidm.origin and that Kanidm is running and reachable from here")
        }
        Err(TlsFailure::Setup(e)) => Finding::fail(e.clone()).with_fix("check tls.ca_file"),
    };
    let mut finding = finding;
    finding.details.append(&mut details);
    finding
}

/// Host and port of an `https://` origin.
pub fn host_port(origin: &str) -> Option<(String, u16)> {
    let url = reqwest::Url::parse(origin).ok()?;
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    Some((host, url.port_or_known_default()?))
}

pub fn roots_for(ca_file: Option<&Path>) -> Roots {
    match ca_file {
        Some(p) => Roots::CaFile(p.to_path_buf()),
        None => Roots::System,
    }
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::*;
    use rustls::pki_types::pem::PemObject;

    const CHAIN: &[u8] = include_bytes!("../../tests/fixtures/kanidm/server/chain.pem");
    /// 2026-11-22 13:00 UTC, the day the fixture certificate (valid 5 days) was made.
    const CAPTURE_DAY: i64 = 1_795_352_400;

    fn chain() -> Vec<CertInfo> {
        CertificateDer::pem_slice_iter(CHAIN)
            .map(|c| cert_info(&c.unwrap()).unwrap())
            .collect()
    }

    fn obs(outcome: Result<(), TlsFailure>, roots: Roots) -> TlsObservation {
        TlsObservation {
            host: "localhost".into(),
            roots,
            outcome,
            chain: chain(),
        }
    }

    #[test]
    fn reads_kanidm_generated_certificates() {
        let leaf = &chain()[0];
        assert!(
            leaf.subject.contains("Kanidm Generated Server Certificate"),
            "{}",
            leaf.subject
        );
        assert!(leaf.issuer.contains("Kanidm Generated CA"));
        assert_eq!(leaf.dns_names, ["localhost"]);
    }

    #[test]
    fn a_five_day_certificate_warns() {
        let f = evaluate(
            &obs(Ok(()), Roots::CaFile("/etc/ca.pem".into())),
            CAPTURE_DAY,
        );
        assert_eq!(f.status, Status::Warn, "{f:#?}");
        assert!(
            f.summary
                .contains("expires in 4 day(s), on 2026-11-27 12:56 UTC"),
            "{}",
            f.summary
        );
        let later = evaluate(&obs(Ok(()), Roots::System), CAPTURE_DAY - 30 * 86_400);
        assert_eq!(later.status, Status::Pass);
    }

    #[test]
    fn an_untrusted_chain_names_the_ca_that_fixes_it() {
        let f = evaluate(
            &obs(
                Err(TlsFailure::Cert(TlsProblem::UnknownIssuer)),
                Roots::System,
            ),
            CAPTURE_DAY,
        );
        assert_eq!(f.status, Status::Fail);
        assert!(f.summary.contains("Kanidm Generated CA"), "{}", f.summary);
        assert!(
            f.fix
                .unwrap()
                .starts_with("set tls.ca_file to the PEM of the CA")
        );
    }

    #[test]
    fn wrong_host_and_expiry_are_explained() {
        let f = evaluate(
            &obs(Err(TlsFailure::Cert(TlsProblem::WrongHost)), Roots::System),
            CAPTURE_DAY,
        );
        assert!(f.summary.contains("it names localhost"), "{}", f.summary);
        let f = evaluate(
            &obs(Err(TlsFailure::Cert(TlsProblem::Expired)), Roots::System),
            CAPTURE_DAY,
        );
        assert!(f.summary.contains("expired on 2026-11-27"), "{}", f.summary);
        let f = evaluate(
            &obs(Err(TlsFailure::Connect("refused".into())), Roots::System),
            CAPTURE_DAY,
        );
        assert!(f.unreachable);
    }
}
