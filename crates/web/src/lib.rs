//! Vendepunkt's HTTP edge: HTML pages rendered on the server, sessions and CSRF, Fluent
//! translations (bokmål, nynorsk, English), embedded assets, security headers and metrics.
//!
//! Handlers parse input, call a domain use case and render. They never decide access: every
//! route is declared in one table ([`routes::route_table`]) with its policy, and object
//! decisions are made by `domain::policy` inside the use cases.

pub mod accounts;
pub mod assets;
pub mod audit;
pub mod cases;
pub mod clock;
pub mod contact;
pub mod conversation;
pub mod edge;
pub mod feedback;
pub mod i18n;
pub mod insights;
pub mod live;
pub mod meetings;
pub mod metrics_web;
pub mod organisation;
pub mod plan;
pub mod routes;
pub mod telemetry;

pub use accounts::hasher::Argon2Hasher;
pub use clock::SystemClock;
pub use conversation::files::FileRewriter;

use domain::accounts::{SessionPolicy, ThrottlePolicy};
use domain::conversation::attachments::FileCleaner;
use domain::ports::{Clock, PasswordHasher, Store};
use std::sync::Arc;

/// Settings the web layer needs; the binary fills them from configuration.
/// `Default`: plain HTTP, no proxy, not demo; 30-minute idle and 12-hour absolute sessions.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    pub session: SessionPolicy,
    pub throttle: ThrottlePolicy,
    /// Served over TLS or behind a TLS-terminating proxy: cookies get the `__Host-` prefix and
    /// `Secure`, and HSTS is sent.
    pub secure_cookies: bool,
    /// Take the client address from the last `X-Forwarded-For` entry, the one added by the
    /// proxy (only behind exactly one proxy you control).
    pub trust_forwarded_for: bool,
    /// Demo mode: every page shows a banner saying the data is invented.
    pub demo: bool,
    /// The address people use (`https://host[:port][/path]`), if configured: a form's
    /// `Origin` must be its origin. Without it, the origin is the `Host` header with `https`
    /// when `secure_cookies` is on, else `http`.
    pub public_url: Option<String>,
}

/// Everything a handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub hasher: Arc<dyn PasswordHasher>,
    /// Rebuilds uploaded files from their content (`files::FileRewriter`).
    pub cleaner: Arc<dyn FileCleaner>,
    pub settings: WebSettings,
    pub i18n: Arc<i18n::I18n>,
    pub assets: Arc<assets::Assets>,
    /// Wakes the live-update streams of open pages.
    pub live: Arc<live::LiveHub>,
    /// Notices a proxy in front of the server whose `X-Forwarded-For` is not trusted.
    pub forwarded_for_watch: Arc<edge::proxy::ForwardedForWatch>,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        hasher: Arc<dyn PasswordHasher>,
        settings: WebSettings,
    ) -> Self {
        // Install the metrics recorder now, so requests before the first scrape are counted.
        telemetry::handle();
        Self {
            store,
            clock,
            hasher,
            cleaner: Arc::new(FileRewriter::new()),
            settings,
            i18n: Arc::new(i18n::I18n::load()),
            assets: Arc::new(assets::Assets::load()),
            live: Arc::new(live::LiveHub::default()),
            forwarded_for_watch: Arc::default(),
        }
    }
}

/// The whole application: every route and every layer.
pub fn app(state: AppState) -> axum::Router {
    routes::router(state)
}
