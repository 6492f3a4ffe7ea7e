//! The application: start-up, the HTTP server, background jobs.

mod announce;
pub mod health;
pub mod jobs;
pub mod limits;
mod startup;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};

use crate::config::Settings;
use crate::domain::Core;
use crate::oauth::ratelimit::RateLimiter;
use crate::telemetry::{self as metrics, Metrics};

pub use startup::{announce_bootstrap, master_key, prepare, Bootstrapped};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// A running server and what tests need of it.
pub struct Application {
    server: Server,
    management: Server,
    port: u16,
    management_port: u16,
    state: web::Data<Core>,
}

fn bind(what: &str, listen: &str) -> Result<(TcpListener, std::net::SocketAddr), StartError> {
    let listener = TcpListener::bind(listen)
        .map_err(|e| StartError(format!("{what} listening on {listen}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| StartError(e.to_string()))?;
    Ok((listener, local))
}

impl Application {
    /// Prepares everything and binds both listeners (port 0 picks a free port).
    pub async fn build(mut settings: Settings) -> Result<Self, StartError> {
        let listen = settings.listen.clone();
        let (listener, local) = bind("main", &listen)?;
        let (management_listener, management_local) =
            bind("management", &settings.management_listen)?;
        let port = local.port();
        if settings.issuer.is_none() && listen.ends_with(":0") {
            // CONTRACT: the default issuer is "http://" + the listen address; with port 0 the
            // real port is known only now.
            settings.issuer = Some(format!("http://{local}"));
        }
        let (state, bootstrapped) = actix_web::web::block(move || prepare(settings))
            .await
            .map_err(|e| StartError(e.to_string()))??;
        let state = web::Data::new(state);
        if let Some(b) = &bootstrapped {
            let s = &state.settings;
            announce::announce(b, s.log_format, &s.master_key_file);
        }
        let app_state = state.clone();
        crate::telemetry::set_log_format(state.settings.log_format);
        let per_client = crate::telemetry::PerClient {
            enabled: state.settings.metrics.per_client_series,
            limit: state.settings.metrics.per_client_limit,
        };
        let metrics =
            web::Data::new(Metrics::new(per_client).map_err(|e| StartError(e.to_string()))?);
        let proxies = crate::telemetry::TrustedProxies::parse(&state.settings.trusted_proxies)
            .map_err(|e| StartError(format!("trusted_proxies: {e}")))?;
        let proxies = web::Data::new(proxies);
        let limiter = web::Data::new(RateLimiter::new(&state.settings.rate_limit));
        let sign_in_limits = web::Data::new(crate::domain::people::SignInLimits::default());
        let (app_metrics, management_metrics) = (metrics.clone(), metrics.clone());
        let app_metrics_for_jobs = metrics;
        let admin_guard = web::Data::new(crate::admin::guard(
            &state.issuer,
            &state.settings.admin.audience,
            state.settings.token.leeway_seconds.max(0) as u64,
            state.settings.token.max_ttl_seconds.max(0) as u64,
            state.keys.clone(),
            state.db.clone(),
        ));
        let connections =
            limits::ConnectionCounts::new(state.settings.limits.connections_per_address);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(app_metrics.clone())
                .app_data(limiter.clone())
                .app_data(sign_in_limits.clone())
                .app_data(proxies.clone())
                // Innermost first: the caller limits, then one layer for the request id, the
                // duration histogram and the access log (the path only: a query string could
                // carry a secret, and secrets never reach logs).
                .wrap(middleware::from_fn(limits::callers))
                .wrap(middleware::from_fn(metrics::observe))
                .configure(crate::oauth::routes)
                .configure(health::routes)
                .app_data(admin_guard.clone())
                .configure(crate::admin::routes)
                .configure(crate::console::routes)
        })
        .on_connect(move |connection, data| connections.on_connect(connection, data))
        .listen(listener)
        .map_err(|e| StartError(e.to_string()))?
        .shutdown_timeout(10)
        .run();
        let management = management_server(state.clone(), management_metrics, management_listener)?;
        jobs::spawn(state.clone(), app_metrics_for_jobs);
        jobs::spawn_listener(&state);
        log::info!(
            "castellan listening on {local} (port {port}), management on {management_local}; \
             database: {}; issuer: {}",
            state.db.backend_name(),
            state.issuer
        );
        Ok(Application {
            server,
            management,
            port,
            management_port: management_local.port(),
            state,
        })
    }

    /// The port of the management listener (`/metrics`, `/healthz`, `/readyz`).
    pub fn management_port(&self) -> u16 {
        self.management_port
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server (gracefully with `stop(true)`).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Shared state (tests read it).
    pub fn state(&self) -> web::Data<Core> {
        self.state.clone()
    }

    /// Serves until stopped (SIGINT/SIGTERM finish in-flight requests first); the management
    /// listener stops with the main one.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let management = self.management.handle();
        let management_task = actix_web::rt::spawn(self.management);
        let result = self.server.await;
        management.stop(true).await;
        let _ = management_task.await;
        result
    }
}

/// The management listener: `/metrics`, and the health routes for probes that use it. Its own
/// worker, so that a busy main listener does not hold up a probe or a scrape.
fn management_server(
    state: web::Data<Core>,
    metrics: web::Data<Metrics>,
    listener: TcpListener,
) -> Result<Server, StartError> {
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(metrics.clone())
            .wrap(middleware::from_fn(metrics::observe_management))
            .route("/metrics", web::get().to(metrics::get_metrics))
            .configure(health::routes)
    })
    .workers(1)
    .listen(listener)
    .map_err(|e| StartError(e.to_string()))?
    .shutdown_timeout(10)
    .run())
}
