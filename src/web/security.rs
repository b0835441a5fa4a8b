//! Who may use the app. Patients' data, so:
//! - every request must carry the access token in a cookie (`HttpOnly`, `SameSite=Strict`):
//!   bound to the loopback address, opening the page sets it; bound to any other address, the
//!   token must come once in the address printed at start (`?token=`), which sets the cookie and
//!   leaves the address bar without it;
//! - the `Host` must be the address served (a page on another site resolving its name to this
//!   machine, DNS rebinding, is refused);
//! - requests that change something need the page's own header (`X-Gonio-Csrf`, a value only
//!   the page knows) and no foreign `Origin`; the live socket needs this app's `Origin`;
//! - nothing about requests is logged, and patient data never goes in an address: patients are
//!   addressed by number.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rustls::pki_types::{CertificateDer, ServerName};

use super::Tls;

use super::App;

/// The name of the cookie holding the access token, per port: cookies ignore ports, and a
/// second app on this computer must neither replace this one's nor receive it.
fn cookie_name(port: u16) -> String {
    format!("gonio_token_{port}")
}
/// The header a state-changing request must carry, with [`Access::csrf`].
pub const CSRF_HEADER: &str = "x-gonio-csrf";

/// The access rules of one running app.
#[derive(Debug, Clone)]
pub struct Access {
    token: String,
    csrf: String,
    /// `Host` header values that name this app.
    hosts: Vec<String>,
    loopback: bool,
    /// Served on every address (0.0.0.0): any name may reach it, so the `Host` is not checked
    /// (the token still is, and a rebinding site never has the cookie).
    any_host: bool,
    address: SocketAddr,
    /// Served over TLS with this certificate (the server's own, first of its chain).
    certificate: Option<CertificateDer<'static>>,
}

/// Why the app cannot be served as asked.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("no random numbers from the system for the access token: {0}")]
    NoRandom(String),
    #[error("the access token must be 16 to 128 letters, digits, `-` or `_`")]
    BadToken,
}

impl Access {
    /// The rules for an app served at `address`, over TLS with `tls`; `token` as given, else a
    /// new random one.
    pub fn new(
        address: SocketAddr,
        token: Option<String>,
        tls: Option<&Tls>,
    ) -> Result<Access, AccessError> {
        let token = match token {
            Some(token) => {
                let fits = (16..=128).contains(&token.len())
                    && token
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !fits {
                    return Err(AccessError::BadToken);
                }
                token
            }
            None => random_hex()?,
        };
        let port = address.port();
        let mut hosts = vec![format!("{}:{port}", host_text(address))];
        let loopback = address.ip().is_loopback();
        if loopback {
            hosts.extend([
                format!("localhost:{port}"),
                format!("127.0.0.1:{port}"),
                format!("[::1]:{port}"),
            ]);
        }
        Ok(Access {
            token,
            csrf: random_hex()?,
            hosts,
            loopback,
            any_host: address.ip().is_unspecified(),
            address,
            certificate: tls.map(Tls::certificate),
        })
    }

    /// The address to open. Away from the loopback address it carries the token, once.
    pub fn url(&self) -> String {
        let base = format!("{}://{}/", self.scheme(), self.hosts[0]);
        if self.loopback {
            base
        } else {
            format!("{base}?token={}", self.token)
        }
    }

    /// Whether the app is served on the loopback address only.
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// The address served.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Whether the app is served over TLS.
    pub fn is_tls(&self) -> bool {
        self.certificate.is_some()
    }

    fn scheme(&self) -> &'static str {
        if self.is_tls() {
            "https"
        } else {
            "http"
        }
    }

    /// The value state-changing requests must send in [`CSRF_HEADER`].
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// The `Set-Cookie` value that admits this browser; over TLS the browser sends it over TLS
    /// only (`Secure`).
    pub fn cookie(&self) -> String {
        let secure = if self.is_tls() { "; Secure" } else { "" };
        format!(
            "{}={}; HttpOnly; SameSite=Strict; Path=/{secure}",
            cookie_name(self.address.port()),
            self.token
        )
    }

    /// `host` (a `Host` header, or an origin without its scheme) with its port, which browsers
    /// leave out when it is the scheme's own (443, 80).
    fn with_port(&self, host: &str) -> String {
        let has_port = host
            .rsplit_once(':')
            .is_some_and(|(name, port)| !name.is_empty() && port.parse::<u16>().is_ok())
            && !host.ends_with(']');
        if has_port {
            host.to_string()
        } else {
            let default = if self.is_tls() { 443 } else { 80 };
            format!("{host}:{default}")
        }
    }

    /// The `Host` header, with its port.
    fn host(&self, headers: &HeaderMap) -> Option<String> {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| self.with_port(h))
    }

    fn host_allowed(&self, headers: &HeaderMap) -> bool {
        self.any_host
            || self.host(headers).is_some_and(|host| {
                self.hosts.iter().any(|h| h.eq_ignore_ascii_case(&host))
                    || self.named_by_certificate(&host)
            })
    }

    /// Whether `host` (`name:port`) is this app's port under a name its TLS certificate is
    /// valid for: the name people open, served on one address. A rebinding site cannot use
    /// such a name, since the browser checks the certificate against the site's own.
    fn named_by_certificate(&self, host: &str) -> bool {
        let Some(certificate) = &self.certificate else {
            return false;
        };
        let Some((name, port)) = host.rsplit_once(':') else {
            return false;
        };
        if port.parse() != Ok(self.address.port()) {
            return false;
        }
        let name = name.trim_start_matches('[').trim_end_matches(']');
        let Ok(name) = ServerName::try_from(name) else {
            return false;
        };
        webpki::EndEntityCert::try_from(certificate)
            .is_ok_and(|cert| cert.verify_is_valid_for_subject_name(&name).is_ok())
    }

    fn has_cookie(&self, headers: &HeaderMap) -> bool {
        let name = cookie_name(self.address.port());
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(key, value)| key == name && same(value, &self.token))
    }

    /// Whether `Origin`, when sent, is this app.
    fn origin_is_ours(&self, headers: &HeaderMap) -> Option<bool> {
        let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
        let prefix = format!("{}://", self.scheme());
        let Some(origin_host) = origin
            .get(..prefix.len())
            .filter(|p| p.eq_ignore_ascii_case(&prefix))
            .and_then(|_| origin.get(prefix.len()..))
        else {
            return Some(false);
        };
        let origin_host = self.with_port(origin_host);
        // On every address, the page's own origin is whatever name it was opened by.
        let opened_as = self.host(headers).filter(|_| self.any_host);
        Some(
            self.hosts
                .iter()
                .chain(opened_as.as_ref())
                .any(|h| h.eq_ignore_ascii_case(&origin_host))
                || self.named_by_certificate(&origin_host),
        )
    }
}

/// `admit`'s answer, with the headers every answer carries: patients' pages are never framed
/// by another site, sniffed into another type, cached, or named in a referrer.
pub async fn guard(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let mut response = admit(State(app), request, next).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"),
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// Admits a request or answers it with why not.
async fn admit(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let access = &app.access;
    let headers = request.headers();
    if !access.host_allowed(headers) {
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            "this address is not the app's",
        );
    }
    let path = request.uri().path();
    let public = matches!(path, "/app.js" | "/app.css");
    if path == "/" && !access.has_cookie(headers) {
        if access.loopback {
            return next.run(request).await;
        }
        let given = request
            .uri()
            .query()
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter_map(|pair| pair.split_once('='))
            .any(|(name, value)| name == "token" && same(value, &access.token));
        if !given {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "open the address gonio serve printed (it carries the access token)",
            );
        }
        // Admitted: the cookie is set and the token leaves the address bar.
        let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
        if let Ok(cookie) = HeaderValue::from_str(&access.cookie()) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        return response;
    }
    if !public && path != "/" && !access.has_cookie(headers) {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "no access token: open the address gonio serve printed",
        );
    }
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD);
    if changes {
        let csrf_ok = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| same(v, &access.csrf));
        let cross_site = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "cross-site" || v == "same-site");
        if !csrf_ok || cross_site || access.origin_is_ours(headers) == Some(false) {
            return refuse(StatusCode::FORBIDDEN, "a request from outside the app");
        }
    }
    let websocket = headers
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    if websocket && access.origin_is_ours(headers) != Some(true) {
        return refuse(
            StatusCode::FORBIDDEN,
            "a live view opened from outside the app",
        );
    }
    next.run(request).await
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": why }))).into_response()
}

/// Compares secrets in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn random_hex() -> Result<String, AccessError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| AccessError::NoRandom(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn host_text(address: SocketAddr) -> String {
    match address {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_checked() {
        let address: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let a = Access::new(address, None, None).unwrap();
        let b = Access::new(address, None, None).unwrap();
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 48);
        assert!(Access::new(address, Some("short".into()), None).is_err());
        assert!(Access::new(address, Some("x".repeat(20) + " "), None).is_err());
        assert_eq!(a.url(), "http://127.0.0.1:8080/");
        assert!(!a.cookie().contains("Secure"));
        let lan = Access::new(
            "192.168.1.5:8080".parse().unwrap(),
            Some("t".repeat(20)),
            None,
        )
        .unwrap();
        assert_eq!(
            lan.url(),
            format!("http://192.168.1.5:8080/?token={}", "t".repeat(20))
        );
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }

    /// A certificate for `clinic-pc` in `dir`, as [`Tls`].
    fn clinic_tls(dir: &std::path::Path) -> Tls {
        let made = rcgen::generate_simple_self_signed(vec!["clinic-pc".into()]).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert, made.cert.pem()).unwrap();
        std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
        Tls::from_pem_files(&cert, &key).unwrap()
    }

    fn headers(host: &'static str, origin: Option<&'static str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static(host));
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_static(origin));
        }
        headers
    }

    #[test]
    fn over_tls_addresses_origins_and_the_cookie_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let tls = clinic_tls(dir.path());
        let everywhere = Access::new(
            "0.0.0.0:8443".parse().unwrap(),
            Some("t".repeat(20)),
            Some(&tls),
        )
        .unwrap();
        assert_eq!(
            everywhere.url(),
            format!("https://0.0.0.0:8443/?token={}", "t".repeat(20))
        );
        assert!(everywhere.cookie().ends_with("; Secure"));
        let page = |origin| headers("clinic-pc:8443", Some(origin));
        assert_eq!(
            everywhere.origin_is_ours(&page("https://clinic-pc:8443")),
            Some(true)
        );
        // The same name over plain HTTP is another origin.
        assert_eq!(
            everywhere.origin_is_ours(&page("http://clinic-pc:8443")),
            Some(false)
        );
    }

    #[test]
    fn on_one_address_over_tls_the_certificates_names_are_the_apps() {
        let dir = tempfile::tempdir().unwrap();
        let tls = clinic_tls(dir.path());
        let lan = Access::new(
            "192.168.1.5:8443".parse().unwrap(),
            Some("t".repeat(20)),
            Some(&tls),
        )
        .unwrap();
        for (host, allowed) in [
            ("192.168.1.5:8443", true),
            ("clinic-pc:8443", true),
            ("CLINIC-PC:8443", true),
            ("clinic-pc:8444", false),
            ("clinic-pc", false),
            ("evil.example:8443", false),
            ("other-pc:8443", false),
        ] {
            assert_eq!(lan.host_allowed(&headers(host, None)), allowed, "{host}");
        }
        let page = headers("clinic-pc:8443", Some("https://clinic-pc:8443"));
        assert_eq!(lan.origin_is_ours(&page), Some(true));
        // Without TLS a name is not the app's: a rebinding site could use any.
        let plain = Access::new(
            "192.168.1.5:8443".parse().unwrap(),
            Some("t".repeat(20)),
            None,
        )
        .unwrap();
        assert!(!plain.host_allowed(&headers("clinic-pc:8443", None)));
    }

    #[test]
    fn on_the_schemes_own_port_the_browsers_host_without_a_port_is_the_apps() {
        let dir = tempfile::tempdir().unwrap();
        let tls = clinic_tls(dir.path());
        let https = Access::new("192.168.1.5:443".parse().unwrap(), None, Some(&tls)).unwrap();
        for host in [
            "192.168.1.5",
            "192.168.1.5:443",
            "clinic-pc",
            "clinic-pc:443",
        ] {
            assert!(https.host_allowed(&headers(host, None)), "{host}");
        }
        assert!(!https.host_allowed(&headers("192.168.1.5:80", None)));
        let page = headers("clinic-pc", Some("https://clinic-pc"));
        assert_eq!(https.origin_is_ours(&page), Some(true));
        let page = headers("192.168.1.5", Some("https://192.168.1.5"));
        assert_eq!(https.origin_is_ours(&page), Some(true));
        let page = headers("192.168.1.5", Some("https://192.168.1.5:8443"));
        assert_eq!(https.origin_is_ours(&page), Some(false));
        let http = Access::new("127.0.0.1:80".parse().unwrap(), None, None).unwrap();
        for (host, allowed) in [("localhost", true), ("127.0.0.1", true), ("[::1]", true)] {
            assert_eq!(http.host_allowed(&headers(host, None)), allowed, "{host}");
        }
        let page = headers("localhost", Some("http://localhost"));
        assert_eq!(http.origin_is_ours(&page), Some(true));
    }
}
