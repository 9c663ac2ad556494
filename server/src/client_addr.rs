//! The address a request came from. Behind a proxy the server names (nginx in
//! front of several processes), the proxy's `X-Forwarded-For` says who it was;
//! from anyone else that header is ignored, or a stranger could pick the
//! address their wrong passwords are counted against.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::AppState;
use crate::error::HttpError;

pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<Arc<AppState>> for ClientAddr {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        // No peer (a request handed to the router in a test): one shared bucket.
        let peer =
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        if !state.settings.trusted_proxies.contains(&peer) {
            return Ok(ClientAddr(peer));
        }
        // The proxy appends the address it saw last; anything before it the client wrote itself.
        let forwarded = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<IpAddr>().ok())
            .next_back();
        Ok(ClientAddr(forwarded.unwrap_or(peer)))
    }
}
