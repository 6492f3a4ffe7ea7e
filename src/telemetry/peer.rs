//! The caller's address. Behind a reverse proxy every connection comes from the proxy; only
//! when the peer is a configured trusted proxy are `Forwarded` (RFC 7239) and `X-Forwarded-For`
//! believed, read from the right: the first address that is not itself a trusted proxy is the
//! caller. Without trusted proxies, the TCP peer, whatever the headers say.

use std::net::IpAddr;

use actix_web::{web, HttpRequest};
use ipnet::IpNet;

/// The proxies whose forwarding headers are believed (put in the app as
/// `web::Data<TrustedProxies>`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// From CIDRs or single addresses; the `Err` names the one that isn't.
    pub fn parse<S: AsRef<str>>(list: &[S]) -> Result<Self, String> {
        let mut nets = Vec::with_capacity(list.len());
        for item in list {
            let item = item.as_ref().trim();
            let net = item
                .parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{item:?} is not an IP address or a CIDR"))?;
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    /// Whether none is configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The caller's address given the TCP peer and the request's headers.
    pub fn caller(&self, peer: Option<IpAddr>, req: &HttpRequest) -> Option<IpAddr> {
        let peer = peer.map(canonical)?;
        if !self.trusts(peer) {
            return Some(peer);
        }
        // Each hop appends: walk from the right while the hop is one of ours.
        let mut hops = forwarded_for(req);
        while let Some(hop) = hops.pop() {
            match hop {
                Some(ip) if self.trusts(ip) => continue,
                Some(ip) => return Some(ip),
                // An obfuscated or malformed hop: stop at the last address we can vouch for.
                None => return Some(peer),
            }
        }
        Some(peer)
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The hops of `Forwarded` (its `for=` parameters) when present, else of `X-Forwarded-For`, in
/// order; `None` for a hop that is not an address (`unknown`, `_hidden`, garbage).
fn forwarded_for(req: &HttpRequest) -> Vec<Option<IpAddr>> {
    let headers = req.headers();
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| node_address(value.trim().trim_matches('"')))
                })
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| node_address(hop.trim()))
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn node_address(node: &str) -> Option<IpAddr> {
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok().map(canonical);
    }
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse().ok().map(canonical)
}

/// The caller's address of a request: its TCP peer, or, from a trusted proxy, the address the
/// proxy forwarded (see the module).
pub fn caller_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip());
    match req.app_data::<web::Data<TrustedProxies>>() {
        Some(trusted) if !trusted.is_empty() => trusted.caller(peer, req),
        _ => peer,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use actix_web::test::TestRequest;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy_read_from_the_right() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8", "192.168.1.1"]).unwrap();
        let req = TestRequest::default()
            .insert_header(("x-forwarded-for", "1.1.1.1, 203.0.113.7, 10.1.2.3"))
            .to_http_request();
        // From a trusted proxy: the rightmost hop that is not a proxy of ours.
        assert_eq!(
            trusted.caller(Some(ip("10.9.9.9")), &req),
            Some(ip("203.0.113.7"))
        );
        // From anyone else: the peer, whatever the header says.
        assert_eq!(
            trusted.caller(Some(ip("198.51.100.1")), &req),
            Some(ip("198.51.100.1"))
        );
        let forwarded = TestRequest::default()
            .insert_header((
                "forwarded",
                "for=1.1.1.1, for=\"[2001:db8::1]:4711\";proto=https",
            ))
            .insert_header(("x-forwarded-for", "9.9.9.9"))
            .to_http_request();
        assert_eq!(
            trusted.caller(Some(ip("192.168.1.1")), &forwarded),
            Some(ip("2001:db8::1"))
        );
        let hidden = TestRequest::default()
            .insert_header(("forwarded", "for=_hidden"))
            .to_http_request();
        assert_eq!(
            trusted.caller(Some(ip("10.0.0.1")), &hidden),
            Some(ip("10.0.0.1"))
        );
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["proxy.example"]).is_err());
    }
}
