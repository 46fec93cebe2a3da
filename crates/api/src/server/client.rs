//! Who the client is, for rate limits and handoff caps: the peer address, or, behind a
//! configured reverse proxy, the address that proxy saw; IPv6 clients grouped by /64 (one
//! subscriber's network), so rotating addresses inside it buys nothing.

use axum::http::HeaderMap;
use std::net::{IpAddr, Ipv6Addr};

/// An address or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`).
pub fn parse_net(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match s.trim().split_once('/') {
        Some((a, b)) => (a.parse::<IpAddr>().ok()?, b.parse::<u8>().ok()?),
        None => {
            let a = s.trim().parse::<IpAddr>().ok()?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

fn bits_of(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u32::from(a) as u128,
        IpAddr::V6(a) => u128::from(a),
    }
}

fn contains((net, bits): (IpAddr, u8), ip: IpAddr) -> bool {
    if net.is_ipv4() != ip.is_ipv4() {
        return false;
    }
    let width = if ip.is_ipv4() { 32 } else { 128 };
    let shift = width - bits as u32;
    shift >= width || (bits_of(net) >> shift) == (bits_of(ip) >> shift)
}

/// An IPv4-mapped IPv6 address is its IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(a) => a.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// One hop of a forwarding header: `203.0.113.7`, `203.0.113.7:4444`, `[2001:db8::1]:443`,
/// `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Ok(sock) = hop.parse::<std::net::SocketAddr>() {
        return Some(canonical(sock.ip()));
    }
    hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')).and_then(|h| h.parse::<IpAddr>().ok()).map(canonical)
}

#[derive(Debug, Clone, Default)]
pub struct ClientResolver {
    proxies: Vec<(IpAddr, u8)>,
    header: String,
}

impl ClientResolver {
    /// `proxies` were checked when the configuration was loaded; bad entries are skipped.
    pub fn new(proxies: &[String], header: &str) -> Self {
        ClientResolver { proxies: proxies.iter().filter_map(|p| parse_net(p)).collect(), header: header.to_ascii_lowercase() }
    }

    fn trusted(&self, ip: IpAddr) -> bool {
        self.proxies.iter().any(|n| contains(*n, ip))
    }

    /// The client's address: the peer, unless the peer is a trusted proxy; then the
    /// right-most address of the header that is not itself a trusted proxy (the left part of
    /// the header is whatever the client wrote, and proves nothing).
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusted(peer) {
            return peer;
        }
        let hops: Vec<&str> = headers.get_all(self.header.as_str()).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).collect();
        // From the right: trusted proxies are passed; the first other hop is the client. A hop
        // that cannot be read ends the walk at the last trusted address: skipping it would let
        // the client's own entries on the left decide.
        let mut client = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) if self.trusted(ip) => client = ip,
                Some(ip) => return ip,
                None => return client,
            }
        }
        client
    }

    /// The key a client's requests are counted under: its IPv4 address, or its IPv6 /64.
    pub fn client_key(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        match self.client_ip(peer, headers) {
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & !((1u128 << 64) - 1))),
            v4 => v4,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let r = ClientResolver::new(&[], "x-forwarded-for");
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(r.client_ip(peer, &headers("198.51.100.1")), peer);
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
        let r = ClientResolver::new(&["10.0.0.0/8".into(), "192.0.2.7".into()], "X-Forwarded-For");
        let proxy: IpAddr = "10.1.2.3".parse().unwrap();
        // The client forged a first entry; the proxies appended the real one.
        assert_eq!(r.client_ip(proxy, &headers("1.2.3.4, 198.51.100.20, 192.0.2.7")), "198.51.100.20".parse::<IpAddr>().unwrap());
        assert_eq!(r.client_ip(proxy, &HeaderMap::new()), proxy, "no header: the proxy itself");
        assert_eq!(r.client_ip(proxy, &headers("garbage")), proxy);
        // A port is read; an unreadable hop stops the walk instead of letting the left decide.
        assert_eq!(r.client_ip(proxy, &headers("6.6.6.6, 203.0.113.7:4444")), "203.0.113.7".parse::<IpAddr>().unwrap());
        assert_eq!(r.client_ip(proxy, &headers("6.6.6.6, unknown")), proxy);
        assert_eq!(r.client_ip(proxy, &headers("6.6.6.6, [2001:db8::1]:443")), "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(r.client_ip(proxy, &headers("6.6.6.6, [2001:db8::3]")), "2001:db8::3".parse::<IpAddr>().unwrap());
        let outsider: IpAddr = "198.51.100.99".parse().unwrap();
        assert_eq!(r.client_ip(outsider, &headers("1.2.3.4")), outsider, "only a trusted peer's header counts");
    }

    #[test]
    fn ipv6_clients_are_grouped_by_64() {
        let r = ClientResolver::new(&[], "x-forwarded-for");
        let a = r.client_key("2001:db8:1:2:aaaa::1".parse().unwrap(), &HeaderMap::new());
        let b = r.client_key("2001:db8:1:2:ffff:1:2:3".parse().unwrap(), &HeaderMap::new());
        let c = r.client_key("2001:db8:1:3::1".parse().unwrap(), &HeaderMap::new());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(r.client_key("::ffff:192.0.2.1".parse().unwrap(), &HeaderMap::new()), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn networks_parse_and_match() {
        assert!(parse_net("10.0.0.0/33").is_none());
        assert!(parse_net("nonsense").is_none());
        assert!(contains(parse_net("0.0.0.0/0").unwrap(), "8.8.8.8".parse().unwrap()));
        assert!(!contains(parse_net("10.0.0.0/8").unwrap(), "11.0.0.1".parse().unwrap()));
        assert!(contains(parse_net("2001:db8::/32").unwrap(), "2001:db8:ffff::1".parse().unwrap()));
    }
}
