//! The clinic app in a real browser (Debian's chromium, driven through chromedriver by
//! fantoccini): a whole before/after assessment of a patient after one `gonio serve`. Add the
//! patient, measure trials live from a video standing in for the camera, upload recordings for
//! a second session, see the verdicts and the trend chart, export, report, discard a trial.
//! Screenshots of every page are saved into `target/web-screenshots/`.
//!
//! Needs `chromium` and `chromium-driver` (installed by `scripts/setup-debian.sh`).

mod common;
mod synthetic;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

use common::*;
use synthetic::*;

/// A child process killed when the test ends, whatever happens.
struct Running(Child);

impl Running {
    /// Asks the server to end (SIGTERM) and waits for it.
    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.0.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        self.0.wait().expect("the server ends")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver in a process group of its own, killed with every browser it started when the
/// test ends, also when it fails: a browser left behind would take the cores of later tests.
struct Driver(Child);

impl Driver {
    fn start(port: u16) -> Driver {
        use std::os::unix::process::CommandExt;
        Driver(
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .process_group(0)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver runs (install chromium-driver with scripts/setup-debian.sh)"),
        )
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.0.wait();
    }
}

/// Starts `gonio serve` with `args`; returns it and the address it printed.
fn serve(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gonio"))
        .arg("serve")
        .args(["--port", "0", "--no-open"])
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
    // The rest of its output is read away, so that it never waits on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    (Running(child), url)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Polls `condition` (a JavaScript expression) until it is true; its value when it is.
async fn until(client: &Client, what: &str, condition: &str) -> Value {
    let started = Instant::now();
    loop {
        let value = client
            .execute(&format!("return ({condition}) || null;"), vec![])
            .await
            .unwrap_or(Value::Null);
        if !value.is_null() && value != json!(false) {
            return value;
        }
        if started.elapsed() > Duration::from_secs(120) {
            // What the page showed, for the failure to be read later.
            let page = client
                .execute("return document.body.innerText;", vec![])
                .await
                .unwrap_or(Value::Null);
            panic!("waited two minutes for {what}; the page read:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn screenshot(client: &Client, name: &str) {
    let dir = root().join("target").join("web-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.expect("a screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}

async fn click(client: &Client, css: &str) {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
}

async fn type_into(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn choose(client: &Client, css: &str, value: &str) {
    client
        .execute(
            &format!(
                "const s = document.querySelector('{css}'); s.value = '{value}'; \
                 s.dispatchEvent(new Event('change'));"
            ),
            vec![],
        )
        .await
        .unwrap();
}

/// One live trial: start the camera (the video, looping), start a trial, end it after four
/// seconds of recording; its result appears. With `click_subject`, the person in the middle of
/// the picture is clicked during the trial (saying who the patient is). Returns the page's frame
/// rate and latency.
async fn live_trial(
    client: &Client,
    session: &str,
    rows_before: u64,
    click_subject: bool,
) -> (f64, f64) {
    choose(client, "#protocol", "hip-extension").await;
    type_into(client, "#session", session).await;
    click(client, "#start-measuring").await;
    until(
        client,
        "the first frame",
        // Not the last session's frames: the page marks a session started by forgetting that
        // the last one ended.
        "document.querySelector('#live').dataset.ended === undefined \
         && Number(document.querySelector('#frame').dataset.shown) > 0",
    )
    .await;
    click(client, "#toggle-trial").await;
    if click_subject {
        until(
            client,
            "the trial to start",
            r"/trial \d+ s/.test(document.querySelector('#trialline').textContent)",
        )
        .await;
        click(client, "#frame").await;
        // Frames after the click are followed on the person clicked.
        until(
            client,
            "the click to be taken",
            "Number(document.querySelector('#frame').dataset.picks) >= 1",
        )
        .await;
    }
    until(
        client,
        "four seconds of trial",
        r"/trial ([2-9]|\d\d+) s/.test(document.querySelector('#trialline').textContent)",
    )
    .await;
    let rate = client
        .execute(
            "const d = document.querySelector('#rate').dataset; return [Number(d.fps), Number(d.latency), Number(d.loop)];",
            vec![],
        )
        .await
        .unwrap();
    eprintln!("measured by the loop: {} frames/s", rate[2]);
    click(client, "#toggle-trial").await;
    until(
        client,
        "the trial's result",
        &format!(
            "document.querySelectorAll('#trials tr[data-measurement]').length > {rows_before}"
        ),
    )
    .await;
    click(client, "#stop-measuring").await;
    until(
        client,
        "the camera to stop",
        "document.querySelector('#live').dataset.ended === 'yes'",
    )
    .await;
    // With the camera stopped, a trial cannot be started: the button says so by being off.
    let toggle = client
        .execute(
            "const b = document.querySelector('#toggle-trial'); return [b.disabled, b.textContent];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(toggle, json!([true, "Start trial"]));
    (
        rate[0].as_f64().unwrap_or(0.0),
        rate[1].as_f64().unwrap_or(0.0),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_before_and_after_assessment_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    let server = serve(&[
        "--db",
        path_str(&db),
        "--camera-source",
        path_str(&sample("pose2sim-cam01.mp4")),
    ]);
    let url = server.1.clone();
    // A certificate for the last part, over TLS: the browser trusts its key only.
    let certificate =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).expect("a test certificate");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certificate.cert.pem()).unwrap();
    std::fs::write(&key, certificate.signing_key.serialize_pem()).unwrap();
    let trusted_key = {
        use base64::Engine;
        use rcgen::PublicKeyData;
        use sha2::Digest;
        let spki = sha2::Sha256::digest(certificate.signing_key.subject_public_key_info());
        base64::engine::general_purpose::STANDARD.encode(spki)
    };
    let port = free_port();
    let _driver = Driver::start(port);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "chromedriver never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({"args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", "--window-size=1280,1100",
                        format!("--ignore-certificate-errors-spki-list={trusted_key}")]}),
    );
    // Two TLS providers are compiled into the tests (the app's ring, the WebDriver client's
    // aws-lc-rs): the client's default is named.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = ClientBuilder::rustls()
        .unwrap()
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a browser session");

    // Patients: add one.
    client.goto(&url).await.unwrap();
    until(
        &client,
        "the patients page",
        "document.body.dataset.page === 'patients'",
    )
    .await;
    type_into(&client, "#alias", "P-017").await;
    type_into(&client, "#notes", "marathon runner, tight hamstrings").await;
    screenshot(&client, "patients").await;
    click(&client, "#add").await;
    let alias = until(
        &client,
        "the patient page",
        "document.querySelector('#patient-alias')?.textContent",
    )
    .await;
    assert_eq!(alias, "P-017");

    // Session "before": two live trials from the video standing in for the camera.
    click(&client, "#measure").await;
    until(
        &client,
        "the measure page",
        "document.querySelector('#instructions')?.textContent",
    )
    .await;
    let (fps, latency) = live_trial(&client, "before", 0, false).await;
    screenshot(&client, "measure").await;
    let (fps2, latency2) = live_trial(&client, "before", 1, true).await;
    eprintln!("live view in the page: {fps} and {fps2} frames/s shown, capture to screen {latency:.0} and {latency2:.0} ms (median)");
    let evidence_loaded = until(
        &client,
        "the trial's evidence picture",
        "[...document.querySelectorAll('#trials img.evidence')].every(i => i.complete && i.naturalWidth > 0) && document.querySelectorAll('#trials img.evidence').length",
    )
    .await;
    assert_eq!(evidence_loaded, 2, "each trial shows its evidence picture");
    let refused = client
        .execute(
            "return document.querySelector('#trials .refused')?.textContent;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        refused, "no result",
        "the sample is not a hip-extension stretch: refused, with its picture"
    );
    // The click during the second trial chose the subject afresh, and its result says so; the
    // first trial's does not.
    let chosen_again = client
        .execute(
            "return [...document.querySelectorAll('#trials .warnings')].map(u => u.textContent.includes('chosen again'));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(chosen_again, json!([false, true]), "a click on the picture");

    // Session "after": recordings uploaded (keypoint files of a straight-leg raise standing
    // in for videos: no model, known angles), two trials per session.
    let uploads: Vec<PathBuf> = [
        ("before", 55.0),
        ("before", 57.0),
        ("after", 82.0),
        ("after", 84.0),
        ("baseline", 50.0),
    ]
    .iter()
    .enumerate()
    .map(|(i, (_, v))| {
        write_csv(
            &noisy_slr(*v, 8.0, false, false, 70 + i as u64),
            dir.path().join(format!("slr-{i}.csv")),
        )
    })
    .collect();
    let id = client
        .execute("return location.hash.split('/')[2];", vec![])
        .await
        .unwrap();
    client
        .goto(&format!("{url}#/upload/{}", id.as_str().unwrap()))
        .await
        .unwrap();
    // The page is ready once it says so: its drop area is drawn before the test picker, which
    // waits for the protocols (a busy machine left the picker missing when the test chose).
    until(
        &client,
        "the upload page",
        "document.body.dataset.page === 'upload' && document.querySelector('#protocol')",
    )
    .await;
    choose(&client, "#protocol", "slr").await;
    for (session, files) in [("before", &uploads[..2]), ("after", &uploads[2..4])] {
        type_into(&client, "#session", session).await;
        for file in files {
            let input = client.find(Locator::Css("#files")).await.unwrap();
            input.send_keys(path_str(file)).await.unwrap();
        }
        until(
            &client,
            "the uploads' results",
            "[...document.querySelectorAll('.upload')].length > 0 && [...document.querySelectorAll('.upload')].every(u => u.dataset.state === 'done')",
        )
        .await;
    }
    // An old recording uploaded last, dated by the day it was made: its session comes first.
    type_into(&client, "#session", "baseline").await;
    client
        .execute(
            "document.querySelector('#recorded').value = '2026-01-15';",
            vec![],
        )
        .await
        .unwrap();
    let input = client.find(Locator::Css("#files")).await.unwrap();
    input.send_keys(path_str(&uploads[4])).await.unwrap();
    until(
        &client,
        "the old recording's result",
        "[...document.querySelectorAll('.upload')].length > 0 && [...document.querySelectorAll('.upload')].every(u => u.dataset.state === 'done')",
    )
    .await;
    screenshot(&client, "upload").await;
    let analysed = client
        .execute(
            "return document.querySelectorAll('.upload td.result').length;",
            vec![],
        )
        .await
        .unwrap();
    assert!(analysed.as_u64().unwrap() >= 4, "{analysed}");

    // The patient: verdicts against the MDC and the trend chart.
    client
        .goto(&format!("{url}#/patient/{}", id.as_str().unwrap()))
        .await
        .unwrap();
    let verdicts = until(
        &client,
        "the verdicts",
        "document.querySelector('#verdicts')?.textContent",
    )
    .await;
    assert!(
        verdicts.as_str().unwrap().contains("improved")
            && verdicts.as_str().unwrap().contains("baseline → after"),
        "{verdicts}"
    );
    until(
        &client,
        "the trend chart",
        "[...document.querySelectorAll('img.trend')].some(i => i.complete && i.naturalWidth > 0)",
    )
    .await;
    let spread = until(
        &client,
        "the repeated trials' spread",
        "document.querySelector('.spread')?.textContent",
    )
    .await;
    assert!(spread.as_str().unwrap().contains("2 trials"), "{spread}");
    screenshot(&client, "patient").await;

    // Export and report, as the links fetch them.
    for (link, needle) in [
        ("#export-csv", "subject,session"),
        ("#export-json", "\"P-017\""),
        ("#report", "gonio report"),
    ] {
        let body = client
            .execute_async(
                &format!(
                    "const done = arguments[0]; fetch(document.querySelector('{link}').href)\
                     .then(r => r.text()).then(done);"
                ),
                vec![],
            )
            .await
            .unwrap();
        assert!(body.as_str().unwrap().contains(needle), "{link}");
    }

    // A bad trial discarded: the first, a straight-leg raise, goes with both its measures.
    let before = client
        .execute(
            "return document.querySelectorAll('button.discard').length;",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    click(&client, "button.discard").await;
    client.accept_alert().await.unwrap();
    until(
        &client,
        "the trial to go",
        &format!(
            "document.querySelectorAll('button.discard').length === {}",
            before - 2
        ),
    )
    .await;

    // A session dated by a time that is midnight UTC (11:00 in Sydney in summer, 00:00 here
    // when the clock is UTC): kept as a time, shown as given, not taken for a day alone.
    let given = client
        .execute(
            r"const at = new Date(Date.UTC(2026, 0, 20, 0, 0));
              const pad = n => String(n).padStart(2, '0');
              const day = `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
              const time = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
              const row = [...document.querySelectorAll('.redate')]
                .find(r => r.querySelector('.session-date').dataset.session === 'after');
              row.querySelector('.session-date').value = day;
              row.querySelector('.session-time').value = time;
              row.querySelector('.change-date').click();
              return [day, time];",
            vec![],
        )
        .await
        .unwrap();
    let (day, time) = (given[0].as_str().unwrap(), given[1].as_str().unwrap());
    until(
        &client,
        "the session dated at midnight UTC",
        &format!(
            "[...document.querySelectorAll('.session')].some(s => \
             s.querySelector('.session-date').dataset.session === 'after' && \
             s.querySelector('.session-date').value === '{day}' && \
             s.querySelector('.session-time').value === '{time}' && \
             s.querySelector('h2').textContent.includes('{day} {time}'))"
        ),
    )
    .await;
    let history = gonio::store::Store::open(&db)
        .unwrap()
        .history("P-017")
        .unwrap();
    let after = history
        .sessions
        .iter()
        .find(|s| s.label == "after")
        .unwrap();
    assert_eq!(after.started_at, "2026-01-20T00:00:01Z");

    let rate = format!(
        "live view in the page (Lightning, {}): {fps:.0} and {fps2:.0} frames/s shown, capture to screen {latency:.0} and {latency2:.0} ms\n",
        "pose2sim-cam01.mp4 standing in for the camera"
    );
    std::fs::write(root().join("target/web-screenshots/live-rate.txt"), rate).unwrap();

    // The same app over TLS: the patient is there, and the live view comes over its socket.
    drop(server);
    let (tls_server, tls_url) = serve(&[
        "--db",
        path_str(&db),
        "--camera-source",
        path_str(&sample("pose2sim-cam01.mp4")),
        "--tls-cert",
        path_str(&cert),
        "--tls-key",
        path_str(&key),
    ]);
    assert!(tls_url.starts_with("https://"), "{tls_url}");
    client
        .goto(&format!("{tls_url}#/patient/{}", id.as_str().unwrap()))
        .await
        .unwrap();
    let alias = until(
        &client,
        "the patient page over TLS",
        "document.querySelector('#patient-alias')?.textContent",
    )
    .await;
    assert_eq!(alias, "P-017");
    click(&client, "#measure").await;
    until(
        &client,
        "the measure page over TLS",
        "document.querySelector('#instructions')?.textContent",
    )
    .await;
    choose(&client, "#protocol", "hip-extension").await;
    click(&client, "#start-measuring").await;
    until(
        &client,
        "the first frame over TLS",
        "Number(document.querySelector('#frame').dataset.shown) > 0",
    )
    .await;
    // Reloading the page stops measuring: a trial left running without its page went on
    // recording whoever stepped in front of the camera, for this patient. The camera is free
    // again once the server sees the old page's socket closed (asked until then).
    client.refresh().await.unwrap();
    until(
        &client,
        "the measure page reloaded",
        "document.querySelector('#instructions')?.textContent",
    )
    .await;
    let post = |path: &str, body: &str| {
        format!(
            "(() => {{ const r = new XMLHttpRequest(); r.open('POST', '{path}', false); \
             r.setRequestHeader('Content-Type', 'application/json'); \
             r.setRequestHeader('X-Gonio-Csrf', CSRF); r.send({body}); \
             return r.status === 409 ? null : r.status; }})()"
        )
    };
    let start = post(
        "/api/measure/start",
        "JSON.stringify({patient: Number(location.hash.split('/').pop()), protocol: 'hip-extension'})",
    );
    let status = until(&client, "the camera freed by the reload", &start).await;
    assert_eq!(status, 200, "started again after the reload");
    let status = until(
        &client,
        "the camera stopped",
        &post("/api/measure/stop", "null"),
    )
    .await;
    assert_eq!(status, 200);
    // Start from the page right after Stop: the stopping session is waited for, not refused.
    client.refresh().await.unwrap();
    until(
        &client,
        "the measure page again",
        "document.querySelector('#instructions')?.textContent",
    )
    .await;
    choose(&client, "#protocol", "hip-extension").await;
    click(&client, "#start-measuring").await;
    until(
        &client,
        "the first frame after Stop",
        "Number(document.querySelector('#frame').dataset.shown) > 0",
    )
    .await;
    click(&client, "#toggle-trial").await;
    until(
        &client,
        "two seconds of trial",
        r"/trial ([2-9]|\d\d+) s/.test(document.querySelector('#trialline').textContent)",
    )
    .await;
    // The server stopped mid-trial (SIGTERM, as `systemctl stop` sends; Ctrl-C alike): the
    // trial is measured and saved, and the server ends cleanly.
    let patient = id.as_str().unwrap().parse::<i64>().unwrap();
    let results = || {
        gonio::store::Store::open(&db)
            .unwrap()
            .patient(patient)
            .unwrap()
            .measurements
    };
    let before = results();
    let status = tls_server.stop();
    assert!(status.success(), "{status:?}");
    assert_eq!(results(), before + 1, "the trial in progress is saved");
    client.close().await.unwrap();
}

/// Served on every address, the app admits nobody without the token it printed.
#[test]
fn away_from_loopback_nothing_without_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clinic.sqlite");
    let (_server, url) = serve(&["--db", path_str(&db), "--bind", "0.0.0.0"]);
    let token = url
        .split("token=")
        .nth(1)
        .expect("the address carries the token");
    let port: u16 = url
        .trim_start_matches("http://")
        .split(['/', ':'])
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let get = |path: &str| -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    for path in [
        "/",
        "/api/patients",
        "/api/patients/1/export.json",
        "/?token=wrong-token-0000000",
    ] {
        let answer = get(path);
        assert!(answer.starts_with("HTTP/1.1 401"), "{path}: {answer}");
        assert!(!answer.contains(token));
    }
    let admitted = get(&format!("/?token={token}"));
    assert!(admitted.starts_with("HTTP/1.1 303"), "{admitted}");
    assert!(admitted.contains(&format!("gonio_token_{port}=")));
    let _ = Path::new(&db);
}
