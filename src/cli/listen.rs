//! `--listen`: `IP:PORT`, `[IPv6]:PORT`, `HOST:PORT`, or `:PORT` for every interface,
//! as node_exporter and Prometheus take it (`:9100`).

use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};

/// `:PORT` means 0.0.0.0:PORT: every IPv4 interface. (Go's `:PORT` also takes IPv6;
/// give `[::]:PORT` for that — a dual-stack socket fails on hosts without IPv6.)
pub fn parse(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Some(port) = s.strip_prefix(':') {
        let port: u16 = port
            .parse()
            .map_err(|_| format!("invalid port in {s:?}: expected :PORT, IP:PORT or HOST:PORT"))?;
        return Ok(SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)));
    }
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    if !s.contains(':') {
        return Err(format!(
            "{s:?} has no port: expected :PORT, IP:PORT or HOST:PORT (e.g. :9898)"
        ));
    }
    s.to_socket_addrs()
        .map_err(|e| format!("cannot resolve {s:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("{s:?} resolves to no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_exporter_spellings() {
        assert_eq!(parse(":9898").unwrap().to_string(), "0.0.0.0:9898");
        assert_eq!(
            parse("127.0.0.1:9898").unwrap().to_string(),
            "127.0.0.1:9898"
        );
        assert_eq!(parse("[::1]:9898").unwrap().to_string(), "[::1]:9898");
        assert!(parse("localhost:9898").unwrap().ip().is_loopback());
        assert!(parse(":http").unwrap_err().contains("invalid port"));
        assert!(parse("9898").unwrap_err().contains("no port"));
        assert!(parse(":70000").is_err());
    }
}
