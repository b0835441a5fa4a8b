//! TLS for the app (`gonio serve --tls-cert --tls-key`): a certificate chain and its private key
//! from PEM files, checked to belong together before anything is served.
//!
//! Served on the clinic's network without it, the access token and patients' data cross the
//! network in plain text: anyone on it can read them. The certificate is the clinic's (its IT's,
//! or one made with `mkcert` or `openssl`); gonio makes none, since a certificate no browser
//! trusts teaches people to click through warnings.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A TLS server configuration, ready to serve.
#[derive(Debug, Clone)]
pub struct Tls {
    config: Arc<rustls::ServerConfig>,
    /// The server's certificate (first of the chain): the names it is valid for are the app's.
    certificate: CertificateDer<'static>,
    /// The DNS names and IP addresses it names (its subject alternative names).
    names: Vec<String>,
    /// When it stops being valid, seconds since 1970 (UTC).
    not_after_s: i64,
}

/// A certificate's validity and names, as read from it.
struct CertificateFacts {
    names: Vec<String>,
    not_before_s: i64,
    not_after_s: i64,
    not_before: String,
    not_after: String,
}

impl CertificateFacts {
    fn read(certificate: &CertificateDer, path: &Path) -> Result<CertificateFacts, TlsError> {
        use x509_parser::extensions::GeneralName;
        use x509_parser::prelude::FromDer;
        let (_, parsed) = x509_parser::certificate::X509Certificate::from_der(certificate)
            .map_err(|e| TlsError::BadCertificate {
                path: path.to_path_buf(),
                why: format!("its first certificate cannot be read: {e}"),
            })?;
        let validity = parsed.validity();
        let names = match parsed.subject_alternative_name() {
            Ok(Some(names)) => names
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some(dns.to_string()),
                    GeneralName::IPAddress(&[a, b, c, d]) => {
                        Some(std::net::Ipv4Addr::new(a, b, c, d).to_string())
                    }
                    GeneralName::IPAddress(bytes) => <[u8; 16]>::try_from(*bytes)
                        .ok()
                        .map(|v6| std::net::Ipv6Addr::from(v6).to_string()),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(CertificateFacts {
            names,
            not_before_s: validity.not_before.timestamp(),
            not_after_s: validity.not_after.timestamp(),
            not_before: utc_words(&validity.not_before),
            not_after: utc_words(&validity.not_after),
        })
    }
}

/// A certificate's time as `YYYY-MM-DD HH:MM UTC`.
fn utc_words(time: &x509_parser::time::ASN1Time) -> String {
    let t = time.to_datetime();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// Seconds since 1970, UTC.
fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Why the certificate or key cannot be used; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{}: cannot read it: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {why}", path.display())]
    NotAFile { path: PathBuf, why: &'static str },
    #[error("{}: not a PEM certificate file: {why}", path.display())]
    BadCertificate { path: PathBuf, why: String },
    #[error("{}: no certificate in it (expected a PEM file with -----BEGIN CERTIFICATE-----)", path.display())]
    NoCertificate { path: PathBuf },
    #[error("{}: no private key in it (expected a PEM file with -----BEGIN PRIVATE KEY-----, unencrypted)", path.display())]
    NoKey { path: PathBuf },
    #[error("{}: not a PEM private key file: {why}", path.display())]
    BadKey { path: PathBuf, why: String },
    #[error("the key {} is not the certificate's ({}): the server's own certificate must come first in its file, before any intermediate ones", key.display(), certificate.display())]
    Mismatch { certificate: PathBuf, key: PathBuf },
    #[error("{}: the certificate expired on {on}: browsers refuse it (or teach people to click through their warning); renew it", path.display())]
    Expired { path: PathBuf, on: String },
    #[error("{}: the certificate is valid only from {from}: browsers refuse it until then (is this computer's clock right?)", path.display())]
    NotYetValid { path: PathBuf, from: String },
    #[error("the certificate {} with the key {} cannot be used: {why}", certificate.display(), key.display())]
    Unusable {
        certificate: PathBuf,
        key: PathBuf,
        why: String,
    },
}

/// Certificate and key files are a few kilobytes; a bigger file is not one (and `/dev/zero` must
/// not be read until memory runs out).
const MAX_PEM_BYTES: u64 = 1 << 20;

/// The contents of a PEM file named on the command line: a regular file of at most
/// [`MAX_PEM_BYTES`].
fn read_pem(path: &Path) -> Result<Vec<u8>, TlsError> {
    use std::io::Read;
    let read_error = |error| TlsError::Read {
        path: path.to_path_buf(),
        error,
    };
    let not_a_file = |why| TlsError::NotAFile {
        path: path.to_path_buf(),
        why,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let meta = file.metadata().map_err(read_error)?;
    if !meta.is_file() {
        return Err(not_a_file(
            "not a regular file (a folder, FIFO or device): give the PEM file itself",
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_PEM_BYTES {
        return Err(not_a_file(
            "larger than 1 MiB: not a certificate or key file",
        ));
    }
    Ok(bytes)
}

/// A PEM parsing error in words.
fn pem_words(error: &pem::Error) -> String {
    match error {
        pem::Error::MissingSectionEnd { .. } => {
            "a section has no -----END line (the file is cut short?)".to_string()
        }
        pem::Error::IllegalSectionStart { .. } => "a -----BEGIN line is malformed".to_string(),
        pem::Error::Base64Decode(_) => "a section's contents are not base64".to_string(),
        other => other.to_string(),
    }
}

impl Tls {
    /// Reads `certificate` (PEM: the server's certificate first, then any intermediate ones) and
    /// `key` (PEM: its unencrypted private key, PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(certificate: &Path, key: &Path) -> Result<Tls, TlsError> {
        let chain = CertificateDer::pem_slice_iter(&read_pem(certificate)?)
            .collect::<Result<Vec<_>, pem::Error>>()
            .map_err(|e| TlsError::BadCertificate {
                path: certificate.to_path_buf(),
                why: pem_words(&e),
            })?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate {
                path: certificate.to_path_buf(),
            });
        }
        let private_key = PrivateKeyDer::from_pem_slice(&read_pem(key)?).map_err(|e| match e {
            pem::Error::NoItemsFound => TlsError::NoKey {
                path: key.to_path_buf(),
            },
            e => TlsError::BadKey {
                path: key.to_path_buf(),
                why: pem_words(&e),
            },
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mismatch = |e: rustls::Error| match e {
            rustls::Error::InconsistentKeys(_) => TlsError::Mismatch {
                certificate: certificate.to_path_buf(),
                key: key.to_path_buf(),
            },
            e => TlsError::Unusable {
                certificate: certificate.to_path_buf(),
                key: key.to_path_buf(),
                why: e.to_string(),
            },
        };
        let facts = CertificateFacts::read(&chain[0], certificate)?;
        let now = now_s();
        if now > facts.not_after_s {
            return Err(TlsError::Expired {
                path: certificate.to_path_buf(),
                on: facts.not_after,
            });
        }
        if now < facts.not_before_s {
            return Err(TlsError::NotYetValid {
                path: certificate.to_path_buf(),
                from: facts.not_before,
            });
        }
        let certificate = chain[0].clone();
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(mismatch)?
            .with_no_client_auth()
            // Checks that the key is the certificate's.
            .with_single_cert(chain, private_key)
            .map_err(mismatch)?;
        // HTTP/1.1 only: the live view's WebSocket is an HTTP/1.1 upgrade.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls {
            config: Arc::new(config),
            certificate,
            names: facts.names,
            not_after_s: facts.not_after_s,
        })
    }

    /// The DNS names and IP addresses the certificate is valid for: the addresses browsers
    /// accept the app at without a warning.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whole days left before the certificate expires (0 on its last day).
    pub fn days_left(&self) -> i64 {
        (self.not_after_s - now_s()).max(0) / 86_400
    }

    pub(super) fn certificate(&self) -> CertificateDer<'static> {
        self.certificate.clone()
    }

    pub(super) fn server_config(&self) -> Arc<rustls::ServerConfig> {
        Arc::clone(&self.config)
    }
}
