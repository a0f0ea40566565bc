//! The client's IP address. `X-Forwarded-For` is believed only when the connection comes from
//! a trusted proxy (lesson 12: IP checks broke behind the ingress); otherwise anyone could
//! claim any address and walk around per-IP rate limits.

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

use crate::AppState;

/// The client IP of a request, as decided by [`resolve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Walks from the connection's peer back through `X-Forwarded-For`, skipping hops that are
/// trusted proxies; the first untrusted hop is the client.
pub fn resolve(peer: IpAddr, forwarded_for: &[&str], trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    // On a dual-stack listener ([::]) IPv4 clients arrive as ::ffff:a.b.c.d; treat them as
    // the IPv4 addresses they are, for trusted-proxy ranges and for rate-limit buckets alike.
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let hops = forwarded_for.iter().flat_map(|header| header.split(',')).map(str::trim).collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) => {
                client = ip;
                if !is_trusted(&client) {
                    return client;
                }
            }
            // A hop we cannot read ends the chain: what lies before it is unverifiable.
            None => return client,
        }
    }
    client
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip())).map(|ip| ip.to_canonical())
}

/// Middleware that stores the [`ClientIp`] in the request's extensions.
pub async fn middleware(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let forwarded: Vec<&str> =
            request.headers().get_all("x-forwarded-for").iter().filter_map(|value| value.to_str().ok()).collect();
        let ip = resolve(peer.ip(), &forwarded, &state.app.settings.trusted_proxies);
        request.extensions_mut().insert(ClientIp(ip));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_cannot_claim_another_address() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(resolve(ip("203.0.113.7"), &["1.2.3.4"], &trusted), ip("203.0.113.7"));
        assert_eq!(resolve(ip("127.0.0.1"), &["1.2.3.4"], &[]), ip("127.0.0.1"));
    }

    #[test]
    fn trusted_proxies_are_skipped_from_the_right() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        // client, then an untrusted hop the client forged, then our two proxies
        let chain = ["6.6.6.6, 198.51.100.9", "10.0.0.2"];
        assert_eq!(resolve(ip("10.0.0.1"), &chain, &trusted), ip("198.51.100.9"));
    }

    #[test]
    fn ipv4_clients_of_a_dual_stack_listener_are_ipv4_addresses() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(resolve(ip("::ffff:203.0.113.7"), &[], &[]), ip("203.0.113.7"));
        assert_eq!(resolve(ip("::ffff:10.0.0.1"), &["198.51.100.9"], &trusted), ip("198.51.100.9"));
    }

    #[test]
    fn unreadable_hops_end_the_chain() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(resolve(ip("10.0.0.1"), &["garbage"], &trusted), ip("10.0.0.1"));
        assert_eq!(resolve(ip("10.0.0.1"), &["198.51.100.9:4711"], &trusted), ip("198.51.100.9"));
    }
}
