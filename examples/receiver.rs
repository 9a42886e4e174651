//! A receiver for Wix backend events: app webhooks and Velo events forwarded by a site.
//!
//! ```text
//! cargo run --example receiver -- [--public-key KEY.pem] [--secret SECRET] [--port 8080]
//!     [--previous-secret OLD] [--tolerance-secs 300] [--redis-url redis://HOST:PORT/]
//! ```
//!
//! It needs the webhook key, the Velo secret, or both, and serves the routes it can check;
//! the other one answers 503 saying what is not configured.
//!
//! It serves on 127.0.0.1 (put a TLS-terminating proxy in front of it to face Wix):
//! `POST /webhook` takes the app webhook JWT, `POST /velo/{handler}` a Velo event object
//! signed by `backend/events.js` with the shared secret. The demo handler below logs the
//! events it subscribes to; every other event is answered 200 "not_subscribed".
//!
//! Duplicates are remembered in memory, or on Redis with `--redis-url`, so that several
//! replicas handle each event once between them.

// The router lives in its own file so that the end-to-end tests compile the same one.
#[path = "receiver/app.rs"]
mod app;

use std::io::IsTerminal as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use wix_backend_events::crm::contacts::{ContactCreated, ContactDeleted, ContactMerged};
use wix_backend_events::crm::labels::LabelCreated;
use wix_backend_events::dedupe::{DedupeStore, RedisDedupe};
use wix_backend_events::dispatch::Dispatcher;
use wix_backend_events::events::guests::GuestCreated;
use wix_backend_events::velo_auth::VeloSecret;
use wix_backend_events::webhook::WebhookKey;
use wix_backend_events::{EventPayload, Handler, HandlerResult};

/// Receives Wix backend events over HTTP and hands them to typed handlers.
#[derive(Debug, Parser)]
#[command(name = "receiver")]
struct Args {
    /// The app's webhook public key, a PEM file (app dashboard → Webhooks → Get Public Key).
    #[arg(long, value_name = "KEY.pem", env = "WIX_WEBHOOK_PUBLIC_KEY_FILE")]
    public_key: Option<PathBuf>,
    /// The secret shared with the site's backend/events.js (prefer the environment
    /// variable: command lines are visible to other local users).
    #[arg(long, env = "WIX_EVENTS_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// A second secret also accepted, while the site's secret is rotated (the old one
    /// until every site signs with the new one).
    #[arg(long, env = "WIX_EVENTS_PREVIOUS_SECRET", hide_env_values = true)]
    previous_secret: Option<String>,
    /// Seconds a forwarded event's signature timestamp may be off from this clock; older
    /// deliveries are refused as replays.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    tolerance_secs: u64,
    /// Port to listen on, on 127.0.0.1.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Milliseconds a request may take from its headers to its answer, reading the body
    /// included (408 for a body still arriving, 503 for a handler still running; Wix
    /// waits 1250).
    #[arg(long, value_name = "MS", default_value_t = 1000)]
    deadline_ms: u64,
    /// Deduplicate on this Redis server, shared by every replica, instead of in memory
    /// (`redis://[:password@]host[:port][/db]`).
    #[arg(long, value_name = "URL", env = "WIX_EVENTS_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
    /// Milliseconds a connection may take to send its headers, or stay idle, before it is
    /// closed.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    header_timeout_ms: u64,
    /// Connections open at once; keep it below the open-file limit (`ulimit -n`).
    #[arg(long, value_name = "N", default_value_t = 512)]
    max_connections: usize,
    /// Requests read or handled at once; more are answered 503.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_in_flight: usize,
}

/// The demo handler: logs a few kinds of events. A real service stores or forwards them.
struct Demo;

impl Handler for Demo {
    async fn wix_crm_on_contact_created(&self, event: ContactCreated) -> HandlerResult {
        let name = event.entity.info.as_ref().and_then(|info| info.name.as_ref());
        let first = name.and_then(|name| name.first.as_deref()).unwrap_or("");
        let last = name.and_then(|name| name.last.as_deref()).unwrap_or("");
        let email = event.entity.primary_info.as_ref().and_then(|info| info.email.as_deref()).unwrap_or("");
        tracing::info!(event_id = ?event.metadata.id, contact = ?event.entity.id, first, last, email, "contact created");
        Ok(())
    }

    async fn wix_crm_on_contact_deleted(&self, event: ContactDeleted) -> HandlerResult {
        let from_merge = event.metadata.originated_from.as_deref() == Some("merge");
        tracing::info!(event_id = ?event.metadata.id, contact = ?event.metadata.entity_id, from_merge, "contact deleted");
        Ok(())
    }

    async fn wix_crm_on_contact_merged(&self, event: ContactMerged) -> HandlerResult {
        tracing::info!(
            event_id = ?event.metadata.id,
            target = ?event.data.target_contact_id,
            sources = ?event.data.source_contact_ids,
            "contacts merged"
        );
        Ok(())
    }

    async fn wix_contacts_on_label_created(&self, event: LabelCreated) -> HandlerResult {
        tracing::info!(
            event_id = ?event.metadata.id,
            key = ?event.entity.key,
            name = ?event.entity.display_name,
            "label created"
        );
        Ok(())
    }

    async fn wix_events_guests_on_guest_created(&self, event: GuestCreated) -> HandlerResult {
        tracing::info!(
            event_id = ?event.metadata().id,
            guest = ?event.entity.id,
            event = ?event.entity.event_id,
            status = ?event.entity.attendance_status,
            "guest created"
        );
        Ok(())
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Colour only on a terminal: logs redirected to a file stay plain text.
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(ansi).with_max_level(tracing::Level::INFO).init();
    let served = tokio::runtime::Runtime::new()
        .map_err(|error| format!("cannot start the async runtime: {error}"))
        .and_then(|runtime| runtime.block_on(serve(args)));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // A message for a person, not a Debug string.
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: Args) -> Result<(), String> {
    let mut dispatcher = Dispatcher::new(Demo);
    let routes = app::Routes { webhook: args.public_key.is_some(), velo: args.secret.is_some() };
    if let Some(path) = &args.public_key {
        let pem = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read the webhook public key {}: {error}", path.display()))?;
        let key = WebhookKey::from_pem(&pem).map_err(|error| format!("{}: {error}", path.display()))?;
        dispatcher = dispatcher.with_webhook_key(key);
    }
    if let Some(secret) = &args.secret {
        dispatcher = dispatcher.with_velo_secret(velo_secret(secret, &args)?);
    }
    if !routes.webhook && !routes.velo {
        return Err("nothing to check deliveries with: give the app's webhook public key (--public-key or \
             WIX_WEBHOOK_PUBLIC_KEY_FILE), the Velo secret (--secret or WIX_EVENTS_SECRET), or both"
            .to_owned());
    }
    match &args.redis_url {
        Some(url) => {
            let store = RedisDedupe::connect(url).await.map_err(|error| error.to_string())?;
            tracing::info!("deduplicating on Redis, shared with other replicas");
            serve_with(dispatcher.with_dedupe(store), routes, &args).await
        }
        None => serve_with(dispatcher, routes, &args).await,
    }
}

/// Serves `dispatcher` until Ctrl-C or SIGTERM, whichever store it deduplicates with.
async fn serve_with<S: DedupeStore + 'static>(
    dispatcher: Dispatcher<Demo, S>,
    routes: app::Routes,
    args: &Args,
) -> Result<(), String> {
    let limits = app::Limits {
        deadline: Duration::from_millis(args.deadline_ms),
        header_read: Duration::from_millis(args.header_timeout_ms),
        connections: args.max_connections,
        in_flight: args.max_in_flight,
        ..app::Limits::default()
    };

    // Loopback only: the service sits behind a proxy that terminates TLS for Wix.
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = app::listen(address).map_err(|error| format!("cannot listen on {address}: {error}"))?;
    let webhook = if routes.webhook { "POST /webhook" } else { "not /webhook (no public key)" };
    let velo = if routes.velo { "POST /velo/{handler}" } else { "not /velo (no Velo secret)" };
    tracing::info!("listening on http://{address} ({webhook}, {velo})");
    // The route it cannot check answers 503 rather than accept unchecked deliveries.
    app::serve(listener, Arc::new(dispatcher), limits, routes, shutdown_signal()).await;
    tracing::info!("every request in progress answered and handled; exiting");
    Ok(())
}

/// The Velo secret with its tolerance and, while rotating, the previous one.
fn velo_secret(secret: &str, args: &Args) -> Result<VeloSecret, String> {
    if secret.is_empty() {
        return Err("the Velo secret is empty; set --secret or WIX_EVENTS_SECRET".to_owned());
    }
    if secret.len() < 32 {
        // Not fatal, so that a quick local try works; in production this is a weak secret.
        tracing::warn!("the Velo secret is shorter than 32 characters; use a long random one");
    }
    let mut velo_secret = VeloSecret::new(secret).with_tolerance(Duration::from_secs(args.tolerance_secs));
    if let Some(previous) = args.previous_secret.as_deref().filter(|previous| !previous.is_empty()) {
        velo_secret = velo_secret.also_accept(previous);
    }
    Ok(velo_secret)
}

/// Resolves on Ctrl-C or, on Unix, SIGTERM (what container runtimes send); the server
/// then lets requests and handlers in progress finish.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            // Without this handler the server still stops when killed, only less gently.
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
