//! `gonio serve`: the clinic app, a local web app (see `gonio::web`).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use gonio::capture::list_cameras;
use gonio::pose::{Device, ModelKind};
use gonio::store::Store;
use gonio::web::{self, Access, App, CameraSource, ServeConfig, Tls};

use super::store::DbArgs;

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Port to serve on (0 = any free port; the address is printed)
    #[arg(long, default_value_t = 8732)]
    port: u16,
    /// Address to serve on. The default, 127.0.0.1, is this computer only; any other address
    /// (0.0.0.0 for the clinic's network) requires the access token printed in the address
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// The access token (16 to 128 letters, digits, - or _), else from the environment variable
    /// GONIO_TOKEN (not shown in the process list); default: a new random one
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Camera to measure with (see `gonio cameras`)
    #[arg(long, default_value_t = 0, conflicts_with = "camera_source")]
    camera: u32,
    /// A video file standing in for the camera, played in real time
    #[arg(long, value_name = "VIDEO")]
    camera_source: Option<PathBuf>,
    /// Model for live measuring: lightning (default: keeps up with a camera) or thunder
    #[arg(long, default_value = "lightning", value_parser = super::parse_model)]
    model: ModelKind,
    /// Model for uploaded recordings: thunder (default: more accurate) or lightning
    #[arg(long, default_value = "thunder", value_parser = super::parse_model)]
    upload_model: ModelKind,
    /// Inference threads (0 = all cores; they sleep while they wait, leaving time to the camera
    /// and the page)
    #[arg(long, default_value_t = 0, value_parser = super::parse_threads)]
    threads: usize,
    /// Where inference runs: cpu (default), cuda or auto
    #[arg(long, default_value = "cpu", value_parser = super::parse_device)]
    device: Device,
    /// Serve over TLS (https) with this certificate: a PEM file, the server's certificate first,
    /// then any intermediate ones. Needs --tls-key
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key: an unencrypted PEM file. Needs --tls-cert
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// JSON file of MDC95 values overriding the published ones in every comparison the app
    /// shows, as for `gonio compare`: {"slr/hip_flexion": 5.0}
    #[arg(long, value_name = "FILE")]
    mdc_config: Option<PathBuf>,
    /// Do not open the page in the browser
    #[arg(long)]
    no_open: bool,
}

/// A certificate with fewer days left than this is announced at start.
const CERTIFICATE_RENEWAL_DAYS: i64 = 14;

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let db = args.db.path();
    // Say now, not at the first page, when the certificate or the database cannot be used
    // (the certificate first: a refused start makes no database).
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(certificate), Some(key)) => Some(Tls::from_pem_files(certificate, key)?),
        _ => None,
    };
    if let (Some(tls), Some(certificate)) = (&tls, &args.tls_cert) {
        let days = tls.days_left();
        if days < CERTIFICATE_RENEWAL_DAYS {
            eprintln!(
                "gonio: {}: the certificate expires in {days} day(s): renew it, or browsers will refuse the app",
                certificate.display()
            );
        }
    }
    // (Read before the database is made: a mistyped file must not leave an empty one.)
    let mdc = match &args.mdc_config {
        Some(path) => gonio::store::MdcOverrides::load(path)?,
        None => gonio::store::MdcOverrides::default(),
    };
    drop(Store::open(&db)?);
    let camera = match &args.camera_source {
        Some(video) => {
            if !video.is_file() {
                anyhow::bail!("{}: no such video file (--camera-source)", video.display());
            }
            CameraSource::Video(video.clone())
        }
        None => {
            if list_cameras().map(|c| c.is_empty()).unwrap_or(true) {
                eprintln!(
                    "gonio: no camera found: patients, results and uploads work; measuring live \
                     needs a camera (or --camera-source VIDEO)"
                );
            }
            CameraSource::Camera(args.camera)
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the web server's threads")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.bind, args.port))
            .await
            .with_context(|| format!("cannot serve on {}:{}", args.bind, args.port))?;
        let address = listener.local_addr()?;
        let token = args
            .token
            .clone()
            .or_else(|| std::env::var("GONIO_TOKEN").ok().filter(|t| !t.is_empty()));
        let access = Access::new(address, token, tls.as_ref())?;
        let app = App::new(
            ServeConfig {
                db: db.clone(),
                camera,
                live_model: args.model,
                upload_model: args.upload_model,
                threads: args.threads,
                device: args.device,
                mdc,
            },
            access,
        );
        let url = app.access().url();
        // The address goes to stdout (for a script to read); a closed stdout must not stop the
        // server, so these lines are written without failing.
        let mut out = std::io::stdout();
        let _ = writeln!(out, "gonio: serving the clinic app at {url}");
        let _ = writeln!(out, "gonio: database {}; Ctrl-C stops", db.display());
        if !app.access().is_loopback() {
            let name = match &tls {
                Some(tls) if !tls.names().is_empty() => {
                    format!("a name the certificate is for: {}", tls.names().join(", "))
                }
                Some(_) => "the name the certificate is for".to_string(),
                None => "this computer's address".to_string(),
            };
            let _ = writeln!(
                out,
                "gonio: reachable from the network, only with the token in this address (put \
                 {name} in place of {}): share it only with the people who may see these patients",
                app.access().address().ip()
            );
            if tls.is_none() {
                eprintln!(
                    "gonio: plain HTTP: the token and patients' data cross the network readable by \
                     anyone on it; serve with --tls-cert and --tls-key"
                );
            }
        }
        let _ = out.flush();
        if !args.no_open && open::that_detached(&url).is_err() {
            eprintln!("gonio: open {url} in a browser");
        }
        tokio::select! {
            served = web::serve(listener, std::sync::Arc::clone(&app), tls) => served?,
            () = stop_signal() => {
                eprintln!(
                    "gonio: stopping (a live trial in progress is measured and saved first, \
                     uploads not analysed yet are cancelled)"
                );
                // A second Ctrl-C ends it at once (a camera that does not let go).
                tokio::spawn(async {
                    stop_signal().await;
                    eprintln!("gonio: stopped at once");
                    super::exit_now(130);
                });
                let stopped = tokio::task::spawn_blocking(move || app.shut_down())
                    .await
                    .unwrap_or_default();
                for trial in &stopped.trials_not_saved {
                    eprintln!("gonio: {trial}");
                }
                if !stopped.uploads_not_analysed.is_empty() {
                    eprintln!(
                        "gonio: not analysed, upload again: {} (their files are deleted)",
                        stopped.uploads_not_analysed.join(", ")
                    );
                }
                eprintln!("gonio: stopped");
                super::exit_now(0);
            }
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C, or the system asking the server to end (SIGTERM: `systemctl stop`, a container's
/// stop).
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
