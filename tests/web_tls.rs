//! The clinic app over TLS (`gonio serve --tls-cert --tls-key`): a real `gonio serve` with a
//! certificate made for the test, reached by a TLS client that trusts only that certificate;
//! and the clear errors for certificates and keys that cannot be used.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::*;

/// A child process killed when the test ends, whatever happens.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A certificate for `127.0.0.1` and its key, written as PEM files into `dir`; the
/// certificate's DER for the client to trust.
fn certificate_in(dir: &Path, name: &str) -> (PathBuf, PathBuf, CertificateDer<'static>) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
        .expect("a test certificate");
    let cert = dir.join(format!("{name}.crt.pem"));
    let key = dir.join(format!("{name}.key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (cert, key, made.cert.der().clone())
}

/// A certificate for `127.0.0.1` valid from `from` to `until` (year, month, day) and its key,
/// written as PEM files into `dir`.
fn dated_certificate_in(
    dir: &Path,
    name: &str,
    from: (i32, u8, u8),
    until: (i32, u8, u8),
) -> (PathBuf, PathBuf) {
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".into()]).unwrap();
    params.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
    params.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
    let key_pair = rcgen::KeyPair::generate().unwrap();
    let made = params.self_signed(&key_pair).unwrap();
    let cert = dir.join(format!("{name}.crt.pem"));
    let key = dir.join(format!("{name}.key.pem"));
    std::fs::write(&cert, made.pem()).unwrap();
    std::fs::write(&key, key_pair.serialize_pem()).unwrap();
    (cert, key)
}

fn serve(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gonio"))
        .arg("serve")
        .args(["--port", "0", "--no-open"])
        .args(["--camera-source", path_str(&sample("pose2sim-cam01.mp4"))])
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("gonio serve starts");
    let stdout = child.stdout.take().expect("its output");
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .expect("gonio serve says where it serves");
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line
        .split_whitespace()
        .find(|w| w.contains("://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (Running(child), url)
}

/// Sends one HTTP/1.1 request over TLS to `host` (trusting only `trusted`); the whole answer.
async fn get_over_tls(
    host: &str,
    trusted: &CertificateDer<'static>,
    path: &str,
    cookie: Option<&str>,
) -> String {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trusted.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(host).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector
        .connect(name, tcp)
        .await
        .expect("a TLS handshake with the served certificate");
    let cookie = cookie.map_or(String::new(), |c| format!("Cookie: {c}\r\n"));
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{cookie}Connection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // The server may close without TLS's close_notify once it has answered; what came counts.
    let _ = tls.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn the_app_is_served_over_tls_with_a_secure_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, trusted) = certificate_in(dir.path(), "clinic");
    let db = dir.path().join("clinic.sqlite");
    let (_server, url) = serve(&[
        "--db",
        path_str(&db),
        "--tls-cert",
        path_str(&cert),
        "--tls-key",
        path_str(&key),
    ]);
    let host = url
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("over TLS the address is https: {url}"))
        .trim_end_matches('/')
        .to_string();

    // The page, over TLS: it admits the browser with a cookie sent back over TLS only.
    let page = get_over_tls(&host, &trusted, "/", None).await;
    assert!(page.starts_with("HTTP/1.1 200"), "{page:.300}");
    let set_cookie = page
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("no cookie in {page:.600}"));
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    // The live view's socket follows the page's scheme.
    let script = get_over_tls(&host, &trusted, "/app.js", None).await;
    assert!(
        script.contains("'wss'"),
        "the page opens its socket over TLS"
    );

    // With the cookie, the data; without it, none.
    let cookie = set_cookie
        .split_once(':')
        .map(|(_, v)| v.trim())
        .and_then(|v| v.split(';').next())
        .unwrap();
    let patients = get_over_tls(&host, &trusted, "/api/patients", Some(cookie)).await;
    assert!(patients.starts_with("HTTP/1.1 200"), "{patients:.300}");
    let refused = get_over_tls(&host, &trusted, "/api/patients", None).await;
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused:.300}");

    // A client that never finishes its headers is let go (after gonio::web::HEADER_TIMEOUT_S),
    // so that such connections cannot pile up until no descriptor is left.
    {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(trusted.clone()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let tcp = tokio::net::TcpStream::connect(&host).await.unwrap();
        let mut slow = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
            .await
            .unwrap();
        slow.write_all(format!("GET / HTTP/1.1\r\nHost: {host}\r\n").as_bytes())
            .await
            .unwrap();
        let mut answer = Vec::new();
        let ended = tokio::time::timeout(
            std::time::Duration::from_secs(6 * gonio::web::HEADER_TIMEOUT_S),
            slow.read_to_end(&mut answer),
        )
        .await;
        assert!(
            ended.is_ok(),
            "a connection without its headers was held open"
        );
        assert!(!String::from_utf8_lossy(&answer).contains("200 OK"));
    }

    // Plain HTTP to the TLS port gets no page.
    let mut plain = tokio::net::TcpStream::connect(&host).await.unwrap();
    plain
        .write_all(
            format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer).await;
    assert!(
        !String::from_utf8_lossy(&answer).contains("HTTP/1.1 200"),
        "a plain request was answered"
    );
}

#[test]
fn certificates_and_keys_that_cannot_be_used_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = certificate_in(dir.path(), "one");
    let (_, other_key, _) = certificate_in(dir.path(), "two");
    let missing = dir.path().join("missing.pem");
    let folder = dir.path().to_path_buf();
    let big = dir.path().join("big.pem");
    std::fs::write(&big, vec![b'A'; 2 << 20]).unwrap();
    let cut = dir.path().join("cut.pem");
    let whole = std::fs::read_to_string(&cert).unwrap();
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let (expired, expired_key) =
        dated_certificate_in(dir.path(), "old", (2019, 1, 1), (2020, 1, 1));
    let (early, early_key) = dated_certificate_in(dir.path(), "new", (2100, 1, 1), (2101, 1, 1));
    let db = dir.path().join("clinic.sqlite");
    let serve_with = |cert: &Path, key: &Path| {
        gonio(&[
            "serve",
            "--no-open",
            "--port",
            "0",
            "--db",
            path_str(&db),
            "--tls-cert",
            path_str(cert),
            "--tls-key",
            path_str(key),
        ])
    };
    for (cert, key, named, says) in [
        (&missing, &key, &missing, "cannot read it"),
        (&key, &key, &key, "no certificate in it"),
        (&cert, &cert, &cert, "no private key in it"),
        (&cert, &other_key, &other_key, "is not the certificate's"),
        (&cert, &folder, &folder, "not a regular file"),
        (&cert, &big, &big, "larger than 1 MiB"),
        (&cut, &key, &cut, "has no -----END line"),
        (
            &expired,
            &expired_key,
            &expired,
            "the certificate expired on 2020-01-01 00:00 UTC",
        ),
        (
            &early,
            &early_key,
            &early,
            "valid only from 2100-01-01 00:00 UTC",
        ),
    ] {
        let output = serve_with(cert, key);
        let message = stderr(&output);
        assert!(!output.status.success(), "{cert:?} {key:?} served");
        assert!(
            message.contains(path_str(named)) && message.contains(says),
            "{cert:?} {key:?}: {message}"
        );
        assert!(message.matches("os error").count() <= 1, "{message}");
        // Refused before anything is made.
        assert!(!db.exists(), "a database was made for {cert:?} {key:?}");
    }
    // One without the other is a usage error.
    let output = gonio(&["serve", "--no-open", "--tls-cert", path_str(&cert)]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--tls-key"));
}
