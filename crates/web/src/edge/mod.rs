//! The HTTP edge every page shares: the request context ([`context`]), extractors
//! ([`extract`]), handler helpers ([`handler`]), rendering and error pages ([`render`]), the
//! layers (session, CSRF, security headers, the route gate: [`middleware`]), the proxy
//! address rules ([`proxy`]), and the few routes that belong to no feature ([`site`]).

pub mod context;
pub mod extract;
pub mod forms;
pub mod gate;
pub mod handler;
pub mod middleware;
pub mod proxy;
pub mod render;
pub mod site;
