//! The clinic app's HTTP API through its router (axum's own test path: no socket): access
//! rules, patients, results, verdicts, exports, discarding, forgetting and uploads.

mod common;
mod synthetic;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use common::*;
use gonio::web::{router, Access, App, CameraSource, ServeConfig};
use synthetic::*;

const HOST: &str = "127.0.0.1:8732";

fn set(headers: &mut HeaderMap, name: impl header::IntoHeaderName, value: &str) {
    headers.insert(name, value.parse().unwrap());
}

struct Client {
    app: Arc<App>,
    cookie: String,
    csrf: String,
    _dir: tempfile::TempDir,
}

impl Drop for Client {
    /// A live session started by a test ends with it: the test process must not exit while
    /// the session's thread still runs the pose model (a crash in ONNX Runtime's exit handlers).
    fn drop(&mut self) {
        self.app.end_live();
    }
}

fn client_for(address: &str, token: Option<&str>) -> Client {
    client_with(address, token, gonio::store::MdcOverrides::default())
}

fn client_with(address: &str, token: Option<&str>, mdc: gonio::store::MdcOverrides) -> Client {
    let dir = tempfile::tempdir().unwrap();
    let access = Access::new(address.parse().unwrap(), token.map(str::to_string), None).unwrap();
    let cookie = access.cookie().split(';').next().unwrap().to_string();
    let csrf = access.csrf().to_string();
    let app = App::new(
        ServeConfig {
            db: dir.path().join("clinic.sqlite"),
            camera: CameraSource::Video(sample("pose2sim-cam01.mp4")),
            live_model: gonio::ModelKind::Lightning,
            upload_model: gonio::ModelKind::Lightning,
            threads: 1,
            device: gonio::pose::Device::Cpu,
            mdc,
        },
        access,
    );
    Client {
        app,
        cookie,
        csrf,
        _dir: dir,
    }
}

fn client() -> Client {
    client_for(HOST, None)
}

impl Client {
    /// Sends a request as the page would (host, cookie and CSRF header), with `tweak` applied.
    async fn send_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        tweak: impl FnOnce(&mut HeaderMap),
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .body(
                body.as_ref()
                    .map_or_else(Body::empty, |b| Body::from(b.to_string())),
            )
            .unwrap();
        let headers = request.headers_mut();
        headers.insert(header::HOST, HOST.parse().unwrap());
        headers.insert(header::COOKIE, self.cookie.parse().unwrap());
        headers.insert("x-gonio-csrf", self.csrf.parse().unwrap());
        if body.is_some() {
            headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        }
        // Each tweak replaces a header the page would send, or adds one.
        tweak(headers);
        let response = router(Arc::clone(&self.app))
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, bytes.to_vec())
    }

    async fn send(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, _, bytes) = self.send_with(method, path, body, |_| {}).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}

/// A request the app cannot read (a field of the wrong kind, another content type, an id that
/// is not a number) is refused as every other is, with `{"error": ...}` the page shows: the
/// page showed only "400 Bad Request".
#[tokio::test]
async fn requests_the_app_cannot_read_are_refused_in_words() {
    let c = client();
    let (status, body) = c
        .send("POST", "/api/patients", Some(json!({"alias": 5})))
        .await;
    assert!(status.is_client_error(), "{status}");
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("alias")),
        "{body}"
    );
    let (status, _, bytes) = c
        .send_with(
            "POST",
            "/api/patients",
            Some(json!({"alias": "P-9"})),
            |h| set(h, header::CONTENT_TYPE, "text/plain"),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("application/json")),
        "{body}"
    );
    let (status, body) = c.send("GET", "/api/patients/abc", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn requests_without_the_token_or_from_elsewhere_are_refused() {
    let c = client();
    // No cookie: no data.
    let (status, _, _) = c
        .send_with("GET", "/api/patients", None, |h| {
            set(h, header::COOKIE, "gonio_token_8732=wrong")
        })
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The page itself sets the cookie on the loopback address.
    let (status, headers, page) = c.send_with("GET", "/", None, |_| {}).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("HttpOnly"));
    assert!(String::from_utf8_lossy(&page).contains(&c.csrf));
    // Never framed, sniffed, cached or named in a referrer.
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(headers[name], value, "{name}");
    }
    // Another host name (DNS rebinding): refused, even the page.
    let (status, _, _) = c
        .send_with("GET", "/", None, |h| {
            set(h, header::HOST, "evil.example:8732")
        })
        .await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
    // A change without the page's header, or from another site: refused, nothing made.
    let add = Some(json!({"alias": "P-1"}));
    for tweak in [
        (|h: &mut HeaderMap| set(h, "x-gonio-csrf", "guess")) as fn(&mut HeaderMap),
        |h| set(h, "origin", "http://evil.example"),
        |h| set(h, "sec-fetch-site", "cross-site"),
    ] {
        let (status, _, _) = c
            .send_with("POST", "/api/patients", add.clone(), tweak)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (_, list) = c.send("GET", "/api/patients", None).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn away_from_loopback_only_the_token_admits() {
    let token = "clinic-token-0123456789";
    let c = client_for("192.168.1.5:8732", Some(token));
    let lan = |h: &mut HeaderMap| set(h, header::HOST, "192.168.1.5:8732");
    let stranger = |h: &mut HeaderMap| {
        lan(h);
        h.remove(header::COOKIE);
    };
    let (status, _, _) = c.send_with("GET", "/", None, stranger).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token, no page");
    let (status, _, _) = c.send_with("GET", "/api/patients", None, stranger).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token, no data");
    let (status, _, _) = c
        .send_with("GET", "/?token=clinic-token-0123456780", None, stranger)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a wrong token");
    let (status, headers, _) = c
        .send_with("GET", &format!("/?token={token}"), None, stranger)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        "/",
        "the token leaves the address bar"
    );
    assert!(headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains(token));
    let (status, _, _) = c.send_with("GET", "/api/patients", None, lan).await;
    assert_eq!(status, StatusCode::OK, "the cookie admits");
}

/// One trial of a straight-leg raise held at `target_deg`, saved into `label` as a live trial
/// is (no source file; dated now unless `recorded_at` says when).
fn live_trial(
    c: &Client,
    patient: i64,
    label: &str,
    recorded_at: Option<&str>,
    target_deg: f32,
    seed: u64,
) {
    let track = noisy_slr(target_deg, 6.0, false, false, seed);
    let mut poses = track.poses.clone();
    let results = measure(
        "slr",
        &track.time_s,
        &mut poses,
        gonio::protocols::SideChoice::Auto,
    );
    let stored: Vec<_> = results
        .iter()
        .map(|r| {
            (
                gonio::store::StoredMeasurement::from_measurement(r, None),
                None,
            )
        })
        .collect();
    let mut store = gonio::store::Store::open(&c.app_db()).unwrap();
    store
        .save_trial(patient, label, recorded_at, &stored)
        .unwrap();
}

/// Two sessions with repeated trials, as saved by measuring: a straight-leg raise improving
/// well beyond its MDC. "before" was yesterday at noon: two sessions saved in the same second
/// could not be ordered.
fn seed(c: &Client, patient: i64) {
    let yesterday = format!("{}T12:00", gonio::store::day_utc(-1));
    for (label, when, values) in [
        ("before", Some(yesterday.as_str()), [60.0, 62.0]),
        ("after", None, [75.0, 77.0]),
    ] {
        for v in values {
            live_trial(c, patient, label, when, v, v as u64);
        }
    }
}

impl Client {
    fn app_db(&self) -> std::path::PathBuf {
        self._dir.path().join("clinic.sqlite")
    }

    /// An upload as the page sends it: `fields` first, then the file `name` with `bytes`.
    fn upload(
        &self,
        patient: i64,
        fields: &[(&str, &str)],
        name: &str,
        bytes: &[u8],
    ) -> Request<Body> {
        let boundary = "gonio-test-boundary";
        let mut body = Vec::new();
        for (field, value) in fields {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(bytes);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        Request::builder()
            .method("POST")
            .uri(format!("/api/patients/{patient}/uploads"))
            .header(header::HOST, HOST)
            .header(header::COOKIE, &self.cookie)
            .header("x-gonio-csrf", &self.csrf)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap()
    }
}

/// A side measured in the first session only used to vanish from the before/after card.
#[tokio::test]
async fn a_measure_missing_from_the_latest_session_is_named() {
    let c = client();
    let (_, made) = c
        .send("POST", "/api/patients", Some(json!({"alias": "P-020"})))
        .await;
    let id = made["id"].as_i64().unwrap();
    seed(&c, id);
    let (_, page) = c.send("GET", &format!("/api/patients/{id}"), None).await;
    assert_eq!(page["not_compared"], json!([]), "{page}");
    // The other side, once, in the first session only.
    let mut store = gonio::store::Store::open(&c.app_db()).unwrap();
    let history = store.history("P-020").unwrap();
    let mut other = history.sessions[0].measurements[0].clone();
    other.side = match other.side {
        gonio::angles::Side::Left => gonio::angles::Side::Right,
        gonio::angles::Side::Right => gonio::angles::Side::Left,
    };
    other.source_sha256 = None;
    store
        .save_trial(id, "before", None, &[(other.clone(), None)])
        .unwrap();
    let (_, page) = c.send("GET", &format!("/api/patients/{id}"), None).await;
    let missing = page["not_compared"].as_array().unwrap();
    assert_eq!(missing.len(), 1, "{page}");
    assert_eq!(missing[0]["side"], other.side.name());
    assert_eq!(missing[0]["measured_in"], "before");
    assert_eq!(missing[0]["missing_from"], "after");
    assert_eq!(missing[0]["refused_there"], false);
    assert!(
        missing[0]["text"]
            .as_str()
            .unwrap()
            .ends_with("after did not measure it"),
        "{missing:?}"
    );
    // The report says it too.
    let (status, _, html) = c
        .send_with(
            "GET",
            &format!("/api/patients/{id}/report.html"),
            None,
            |_| {},
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).unwrap();
    assert!(html.contains("Not compared:"), "the report names it");
    // Measuring live into "Before" beside "before" is refused before anything starts.
    let start = json!({"patient": id, "protocol": "slr", "session": "Before"});
    let (status, refused) = c.send("POST", "/api/measure/start", Some(start)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("but this patient has `before`"),
        "{refused}"
    );
}

/// The clinic's own MDC (`gonio serve --mdc-config`) judges the app's comparisons as it does
/// `gonio compare`'s: without it the page said "improved" where the command line said "no
/// detectable change".
#[tokio::test]
async fn the_app_judges_with_the_clinics_own_mdc() {
    let hip = |page: &Value| {
        page["overall"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["measure"] == "hip_flexion")
            .expect("hip flexion compared")
            .clone()
    };
    let page_of = |c: Client| async move {
        let (_, made) = c
            .send("POST", "/api/patients", Some(json!({"alias": "P-1"})))
            .await;
        let id = made["id"].as_i64().unwrap();
        seed(&c, id);
        c.send("GET", &format!("/api/patients/{id}"), None).await.1
    };
    let published = hip(&page_of(client()).await);
    assert_eq!(published["verdict"], "improved", "{published}");
    let change = published["change_deg"].as_f64().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mdc.json");
    let own = change.abs().ceil() + 5.0;
    std::fs::write(&config, format!("{{\"slr/hip_flexion\": {own}}}")).unwrap();
    let mdc = gonio::store::MdcOverrides::load(&config).unwrap();
    let clinic = hip(&page_of(client_with(HOST, None, mdc)).await);
    assert_eq!(clinic["verdict"], "no_detectable_change", "{clinic}");
    assert_eq!(clinic["mdc95_deg"].as_f64(), Some(own), "{clinic}");
    assert_eq!(clinic["mdc_source"], "configuration file", "{clinic}");
}

#[tokio::test]
async fn a_patient_from_first_visit_to_forgetting() {
    let c = client();
    let (status, made) = c
        .send(
            "POST",
            "/api/patients",
            Some(json!({"alias": "P-017", "date_of_birth": "1980-02-29", "notes": "runner"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let id = made["id"].as_i64().unwrap();
    let (status, _) = c
        .send("POST", "/api/patients", Some(json!({"alias": "P-017"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "one alias, one patient");
    let (status, error) = c
        .send("POST", "/api/patients", Some(json!({"alias": "p-017"})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    let error = error["error"].as_str().unwrap();
    assert!(
        error.contains("there is already a patient `P-017`") && !error.contains("gonio"),
        "in the app's words, not the command line's: {error}"
    );
    let (status, error) = c
        .send(
            "POST",
            "/api/patients",
            Some(json!({"alias": "P-018", "date_of_birth": "tomorrow"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["error"].as_str().unwrap().contains("date of birth"));

    seed(&c, id);
    let (status, page) = c.send("GET", &format!("/api/patients/{id}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["patient"]["measurements"], 8, "{page}");
    let sessions = page["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(
        sessions[0]["spread"][0]["trials"], 2,
        "repeated trials and their spread"
    );
    let verdict = page["overall"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["measure"] == "hip_flexion")
        .expect("hip flexion compared");
    assert_eq!(verdict["verdict"], "improved", "{verdict}");
    assert!(verdict["mdc95_deg"].as_f64().unwrap() > 0.0);
    assert!(!page["trends"].as_array().unwrap().is_empty());

    // Sessions go by their dates: "before" dated after "after" turns the verdict round.
    let hip_verdict = |page: &Value| {
        page["overall"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["measure"] == "hip_flexion")
            .map(|c| c["verdict"].clone())
    };
    let redate = |session: &str, date: &str| json!({"session": session, "date": date});
    let path = format!("/api/patients/{id}/session-date");
    let (status, refused) = c
        .send("POST", &path, Some(redate("before", "2999-01-01")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("after today"),
        "a year typed wrong is not taken as the latest session: {refused}"
    );
    let tomorrow = gonio::store::day_utc(1);
    let (status, dated) = c
        .send("POST", &path, Some(redate("before", &tomorrow)))
        .await;
    assert_eq!(status, StatusCode::OK, "{dated}");
    assert!(
        dated["started_at"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{tomorrow}T")),
        "a day alone keeps the session's time of day: {dated}"
    );
    let (_, page) = c.send("GET", &format!("/api/patients/{id}"), None).await;
    assert_eq!(page["sessions"][0]["label"], "after");
    // "after" dated before "before": the labels say the opposite of the dates, so no verdict
    // (a wrong date would turn it round), and the page says why.
    assert_eq!(hip_verdict(&page), Some(json!("order_unknown")), "{page}");
    assert!(
        page["order_doubt"]
            .as_str()
            .is_some_and(|d| d.contains("the labels say the opposite")),
        "{page}"
    );
    let (status, _) = c
        .send("POST", &path, Some(redate("before", "2020-01-01")))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = c.send("GET", &format!("/api/patients/{id}"), None).await;
    assert_eq!(hip_verdict(&page), Some(json!("improved")));
    let (status, _) = c
        .send("POST", &path, Some(redate("before", "2020-02-30")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = c
        .send("POST", &path, Some(redate("during", "2020-01-01")))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, headers, png) = c
        .send_with("GET", &format!("/api/patients/{id}/trend/0"), None, |_| {})
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert!(png.starts_with(b"\x89PNG"));
    for (path, kind, needle) in [
        ("export.json", "application/json", "\"P-017\""),
        ("export.csv", "text/csv", "subject,session"),
        ("report.html", "text/html; charset=utf-8", "P-017"),
    ] {
        let (status, headers, body) = c
            .send_with("GET", &format!("/api/patients/{id}/{path}"), None, |_| {})
            .await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], kind);
        let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(
            disposition.contains("attachment") && !disposition.contains("P-017"),
            "{disposition}: a download named by number, never by the patient's alias"
        );
        assert!(String::from_utf8_lossy(&body).contains(needle), "{path}");
    }

    // Discarding a bad trial.
    let first = sessions[0]["measurements"][0]["id"].as_i64().unwrap();
    let (status, _) = c
        .send("DELETE", &format!("/api/measurements/{first}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = c
        .send("DELETE", &format!("/api/measurements/{first}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Forgetting needs the alias typed again.
    let (status, _) = c
        .send(
            "DELETE",
            &format!("/api/patients/{id}"),
            Some(json!({"confirm": "P-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, gone) = c
        .send(
            "DELETE",
            &format!("/api/patients/{id}"),
            Some(json!({"confirm": "P-017"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{gone}");
    assert_eq!(gone["deleted_measurements"], 7);
    let (status, _) = c.send("GET", &format!("/api/patients/{id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_uploaded_recording_is_analysed_and_saved_with_its_picture() {
    let c = client();
    let (_, made) = c
        .send("POST", "/api/patients", Some(json!({"alias": "P-2"})))
        .await;
    let id = made["id"].as_i64().unwrap();
    // A keypoint recording (no model needed), sent as the page sends a file.
    let dir = tempfile::tempdir().unwrap();
    let csv = write_csv(
        &noisy_slr(70.0, 8.0, false, false, 5),
        dir.path().join("raise.csv"),
    );
    let fields = [
        ("protocol", "slr"),
        ("side", "auto"),
        ("session", "visit 1"),
        ("date", "2026-01-15"),
    ];
    let request = c.upload(
        id,
        &fields,
        "../../raise.csv",
        &std::fs::read(&csv).unwrap(),
    );
    let response = router(Arc::clone(&c.app)).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let job: Value = serde_json::from_slice(&bytes).unwrap();
    let job_id = job["job"].as_u64().unwrap();
    // The job runs on its own thread: wait for it by polling its state, as the page does.
    let mut polls = 0;
    let done = loop {
        let (_, state) = c.send("GET", &format!("/api/jobs/{job_id}"), None).await;
        if state["state"] != "running" && state["state"] != "queued" {
            break state;
        }
        polls += 1;
        assert!(polls < 6000, "the job never ended: {state}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(done["state"], "done", "{done}");
    let result = &done["results"][0];
    assert_eq!(
        result["source"], "raise.csv",
        "named by the upload, without its folders"
    );
    let value = result["value_deg"].as_f64().unwrap();
    assert!((value - 70.0).abs() < 2.0, "{value}");
    let (status, headers, _) = c
        .send_with(
            "GET",
            &format!("/api/pictures/{}", result["id"]),
            None,
            |_| {},
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    let (_, page) = c.send("GET", &format!("/api/patients/{id}"), None).await;
    assert_eq!(page["sessions"][0]["label"], "visit 1");
    assert_eq!(
        page["sessions"][0]["started_at"], "2026-01-15T00:00:00Z",
        "dated by the day the recording was made"
    );
    // A recording of another day into that session, a date that is none, or the session's
    // label in other letter case: refused before any analysis.
    for (session, date, status) in [
        ("visit 1", "2026-01-16", StatusCode::CONFLICT),
        ("visit 1", "2026-13-01", StatusCode::BAD_REQUEST),
        ("Visit 1", "2026-01-15", StatusCode::CONFLICT),
    ] {
        let fields = [("protocol", "slr"), ("session", session), ("date", date)];
        let request = c.upload(id, &fields, "raise.csv", &std::fs::read(&csv).unwrap());
        let response = router(Arc::clone(&c.app)).oneshot(request).await.unwrap();
        assert_eq!(response.status(), status, "{session} {date}");
    }
    // The same recording into another session: one recording is one visit, refused before
    // the analysis (no frame read), and no session made.
    let fields = [
        ("protocol", "slr"),
        ("session", "visit 2"),
        ("date", "2026-02-01"),
    ];
    let request = c.upload(id, &fields, "raise.csv", &std::fs::read(&csv).unwrap());
    let response = router(Arc::clone(&c.app)).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let job: Value = serde_json::from_slice(&bytes).unwrap();
    let mut polls = 0;
    let refused = loop {
        let (_, state) = c
            .send("GET", &format!("/api/jobs/{}", job["job"]), None)
            .await;
        if state["state"] != "running" && state["state"] != "queued" {
            break state;
        }
        polls += 1;
        assert!(polls < 6000, "the job never ended: {state}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(refused["state"], "failed", "{refused}");
    assert!(
        refused["error"].as_str().is_some_and(|e| e
            .contains("already saved in the subject's session `visit 1`")
            && e.contains("one recording is one visit")),
        "{refused}"
    );
    assert_eq!(
        refused["frames"], 0,
        "refused before the analysis: {refused}"
    );
    let (_, page) = c.send("GET", &format!("/api/patients/{id}"), None).await;
    assert_eq!(page["sessions"].as_array().map(Vec::len), Some(1), "{page}");
    // Today's day into a session made earlier today: the session keeps its time (a midnight
    // would put it before the day's other sessions).
    live_trial(&c, id, "this morning", None, 60.0, 9);
    let made_at = {
        let store = gonio::store::Store::open(&c.app_db()).unwrap();
        store.session_date(id, "this morning").unwrap().unwrap()
    };
    let today = gonio::store::today_utc();
    let fields = [
        ("protocol", "slr"),
        ("session", "this morning"),
        ("date", today.as_str()),
    ];
    // (Named as a hidden file: still a CSV, it was taken for a video. Another recording: one
    // recording is one visit.)
    let second = write_csv(
        &noisy_slr(70.0, 8.0, false, false, 6),
        dir.path().join("second.csv"),
    );
    let request = c.upload(id, &fields, ".raise.csv", &std::fs::read(&second).unwrap());
    let response = router(Arc::clone(&c.app)).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let job: Value = serde_json::from_slice(&bytes).unwrap();
    let mut polls = 0;
    loop {
        let (_, state) = c
            .send("GET", &format!("/api/jobs/{}", job["job"]), None)
            .await;
        if state["state"] == "done" {
            break;
        }
        assert!(state["state"] != "failed", "{state}");
        polls += 1;
        assert!(polls < 6000, "the job never ended: {state}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let store = gonio::store::Store::open(&c.app_db()).unwrap();
    assert_eq!(
        store.session_date(id, "this morning").unwrap().unwrap(),
        made_at
    );
    // The report embeds the pictures kept in the database.
    let (status, _, report) = c
        .send_with(
            "GET",
            &format!("/api/patients/{id}/report.html"),
            None,
            |_| {},
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let report = String::from_utf8_lossy(&report);
    assert!(
        report.contains("<h2>Evidence</h2>") && report.contains("alt=\"evidence\""),
        "no evidence in the report"
    );
    // The export carries the picture: imported elsewhere, the evidence comes along.
    let (status, _, export) = c
        .send_with(
            "GET",
            &format!("/api/patients/{id}/export.json"),
            None,
            |_| {},
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let export: gonio::store::SubjectExport = serde_json::from_slice(&export).unwrap();
    let picture = export.sessions[0].measurements[0].picture.as_ref();
    assert_eq!(picture.map(|p| p.mime.as_str()), Some("image/png"));
    // Nothing of the upload is left on disk.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("gonio-upload-"))
        .filter(|e| e.path().join("raise.csv").exists())
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Forgetting another patient keeps this one's finished job (an upload page still polling
    // for it got "no job").
    let (_, other) = c
        .send("POST", "/api/patients", Some(json!({"alias": "Temp"})))
        .await;
    let (status, _) = c
        .send(
            "DELETE",
            &format!("/api/patients/{}", other["id"]),
            Some(json!({"confirm": "Temp"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, state) = c.send("GET", &format!("/api/jobs/{job_id}"), None).await;
    assert_eq!((status, &state["state"]), (StatusCode::OK, &json!("done")));
    // Discarding the trial takes both of its results (hip flexion and the leg against the
    // table): one left behind was still judged against the next session.
    let ids: Vec<&Value> = done["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids.len(), 2, "{done}");
    let (status, discarded) = c
        .send("DELETE", &format!("/api/measurements/{}", ids[1]), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut gone: Vec<&Value> = discarded["discarded"].as_array().unwrap().iter().collect();
    gone.sort_by_key(|v| v.as_i64());
    assert_eq!(gone, ids, "{discarded}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_live_session_at_a_time_and_no_leftovers_from_bad_uploads() {
    let c = client();
    let (_, made) = c
        .send("POST", "/api/patients", Some(json!({"alias": "P-3"})))
        .await;
    let id = made["id"].as_i64().unwrap();
    let start = json!({"patient": id, "protocol": "slr", "session": "s"});
    // Two clicks on Start: one session, the other refused.
    let (a, b) = tokio::join!(
        c.send("POST", "/api/measure/start", Some(start.clone())),
        c.send("POST", "/api/measure/start", Some(start.clone())),
    );
    let mut codes = [a.0, b.0];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    let (status, stopping) = c.send("POST", "/api/measure/stop", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stopping["stopping"], true);

    // An upload refused half-way leaves nothing on disk.
    // (This app's own uploads: other tests upload in parallel into the same temporary folder.)
    let before = c.app.uploads_on_disk();
    let request = c.upload(id, &[("protocol", "nope")], "P-3 smith.mp4", b"not a video");
    let response = router(Arc::clone(&c.app)).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        c.app.uploads_on_disk(),
        before,
        "an upload folder left behind"
    );
    // An empty file says so (it said "Invalid data found when processing input").
    let request = c.upload(id, &[("protocol", "slr")], "trial.mp4", b"");
    let response = router(Arc::clone(&c.app)).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&body).contains("trial.mp4: the file is empty"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(
        c.app.uploads_on_disk(),
        before,
        "an upload folder left behind"
    );
    // A side mistyped was measured as `auto`; a second file was dropped without a word.
    let request = c.upload(
        id,
        &[("protocol", "slr"), ("side", "lft")],
        "trial.csv",
        b"x",
    );
    let response = router(Arc::clone(&c.app)).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let twice = {
        let boundary = "gonio-test-boundary";
        let part = |name: &str, filename: Option<&str>, body: &str| {
            match filename {
            Some(f) => format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n\r\n{body}\r\n"),
            None => format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{body}\r\n"),
        }
        };
        let body = format!(
            "{}{}{}--{boundary}--\r\n",
            part("protocol", None, "slr"),
            part("file", Some("a.csv"), "x"),
            part("file", Some("b.csv"), "y"),
        );
        Request::builder()
            .method("POST")
            .uri(format!("/api/patients/{id}/uploads"))
            .header(header::HOST, HOST)
            .header(header::COOKIE, &c.cookie)
            .header("x-gonio-csrf", &c.csrf)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap()
    };
    let response = router(Arc::clone(&c.app)).oneshot(twice).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&body).contains("one recording per upload"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(
        c.app.uploads_on_disk(),
        before,
        "an upload folder left behind"
    );

    // A picture path from an imported export is served only when it is a picture.
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.png");
    std::fs::write(&secret, "not a picture, a secret").unwrap();
    let export = json!({"subject": "P-4", "sessions": [{"label": "x",
        "started_at": "2026-01-01T00:00:00Z", "notes": null, "measurements": [{
        "protocol": "slr", "measure": "hip_flexion", "side": "left", "value_deg": 60.0,
        "peak_deg": 61.0, "hold_s": 2.0, "valid_frames": 10, "total_frames": 10,
        "quality": "good", "warnings": [], "model": null, "source": "x.mp4",
        "source_sha256": null, "gonio_version": "0", "evidence_path": path_str(&secret)}]}]});
    let mut store = gonio::store::Store::open(&c.app_db()).unwrap();
    store
        .import(&[serde_json::from_value(export).unwrap()])
        .unwrap();
    let p4 = store
        .patients()
        .unwrap()
        .into_iter()
        .find(|p| p.alias == "P-4")
        .unwrap();
    let (history, ids) = store.history_with_ids(&p4.alias).unwrap();
    assert_eq!(history.sessions.len(), 1);
    let (status, _, body) = c
        .send_with("GET", &format!("/api/pictures/{}", ids[0][0]), None, |_| {})
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(!String::from_utf8_lossy(&body).contains("secret"));
}

/// An upload whose client goes silent without closing (a laptop shut mid-upload) is answered
/// after a minute without data, and its partial recording deleted: it stayed open, the file on
/// disk, until the server stopped. A text field far over any label's length is refused as it
/// arrives, not read whole into memory first. (Time is the test's own: the minute passes at
/// once.)
#[tokio::test(start_paused = true)]
async fn a_stalled_or_oversized_upload_is_answered_and_deleted() {
    use futures_util::StreamExt;
    let c = client();
    let (_, made) = c
        .send("POST", "/api/patients", Some(json!({"alias": "P-31"})))
        .await;
    let id = made["id"].as_i64().unwrap();
    let boundary = "gonio-test-boundary";
    let request = |parts: Vec<Vec<u8>>, then_silent: bool| {
        let chunks = futures_util::stream::iter(
            parts
                .into_iter()
                .map(|p| Ok::<_, std::io::Error>(axum::body::Bytes::from(p))),
        );
        let body = if then_silent {
            Body::from_stream(chunks.chain(futures_util::stream::pending()))
        } else {
            Body::from_stream(chunks)
        };
        Request::builder()
            .method("POST")
            .uri(format!("/api/patients/{id}/uploads"))
            .header(header::HOST, HOST)
            .header(header::COOKIE, &c.cookie)
            .header("x-gonio-csrf", &c.csrf)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .unwrap()
    };
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"protocol\"\r\n\r\nslr\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"knee.mp4\"\r\n\r\n"
    );
    let stalled = request(vec![head.into_bytes(), vec![0u8; 64 * 1024]], true);
    let response = router(Arc::clone(&c.app)).oneshot(stalled).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&body).contains("the upload stalled"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    // (This app's own uploads: other tests upload in parallel into the same temporary folder.)
    assert_eq!(c.app.uploads_on_disk(), 0, "the partial recording deleted");

    let huge = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"session\"\r\n\r\n{}",
        "x".repeat(64 * 1024)
    );
    let oversized = request(vec![huge.into_bytes()], true);
    let response = router(Arc::clone(&c.app)).oneshot(oversized).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&body).contains("the field `session` is over"),
        "{}",
        String::from_utf8_lossy(&body)
    );
}

/// A Start whose page never connects ends by itself: the camera ran until Stop, and nobody
/// could start or end a trial.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_session_no_page_connects_to_ends() {
    let c = client();
    let (_, made) = c
        .send("POST", "/api/patients", Some(json!({"alias": "P-9"})))
        .await;
    let id = made["id"].as_i64().unwrap();
    let start = json!({"patient": id, "protocol": "slr", "session": "s"});
    let started = std::time::Instant::now();
    let (status, _) = c
        .send("POST", "/api/measure/start", Some(start.clone()))
        .await;
    assert_eq!(status, StatusCode::OK);
    // Refused while it runs; taken once it has ended (asked again until then: at most two
    // minutes on a busy machine).
    loop {
        let (status, answer) = c
            .send("POST", "/api/measure/start", Some(start.clone()))
            .await;
        if status == StatusCode::OK {
            break;
        }
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "still measuring after two minutes with no page"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(20),
        "ended before its page had 20 s to connect"
    );
    let (status, _) = c.send("POST", "/api/measure/stop", None).await;
    assert_eq!(status, StatusCode::OK);
}
