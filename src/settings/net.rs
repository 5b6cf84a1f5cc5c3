//! `server.trusted_proxies`: addresses and CIDR blocks (the `ipnet` crate,
//! already built for reqwest's proxy matching), with messages that say what
//! is wrong, and whether a peer is among them.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// An address block: `10.0.0.0/8`, `::1/128`; a bare address is its own block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet(ipnet::IpNet);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IpNetError {
    #[error("not an IP address or CIDR block (e.g. 127.0.0.1, 10.0.0.0/8, fd00::/8)")]
    Address,
    #[error("the prefix length must be 0 to {0}")]
    Prefix(u8),
    #[error("has bits set after its prefix; did you mean {0}?")]
    HostBits(IpNet),
}

impl IpNet {
    pub fn contains(&self, addr: IpAddr) -> bool {
        // An IPv4 peer may arrive as ::ffff:a.b.c.d on a dual-stack socket.
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        self.0.contains(&addr)
    }
}

impl FromStr for IpNet {
    type Err = IpNetError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (addr, prefix) = text.split_once('/').unwrap_or((text, ""));
        let addr: IpAddr = addr.parse().map_err(|_| IpNetError::Address)?;
        if prefix.is_empty() {
            return Ok(IpNet(ipnet::IpNet::from(addr)));
        }
        let longest = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        let net = prefix
            .parse::<u8>()
            .ok()
            .and_then(|p| ipnet::IpNet::new(addr, p).ok())
            .ok_or(IpNetError::Prefix(longest))?;
        match net.trunc() == net {
            true => Ok(IpNet(net)),
            false => Err(IpNetError::HostBits(IpNet(net.trunc()))),
        }
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The proxies whose forwarding headers count. Empty: nobody's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> Self {
        TrustedProxies(nets)
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(addr))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "[{}]", shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn blocks_contain_their_addresses_only() {
        let cases = [
            ("10.0.0.0/8", "10.255.1.2", true),
            ("10.0.0.0/8", "11.0.0.0", false),
            ("172.16.0.0/12", "172.31.255.255", true),
            ("172.16.0.0/12", "172.32.0.0", false),
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.2", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("0.0.0.0/0", "::1", false),
            ("::1", "::1", true),
            ("fd00::/8", "fd12:3456::1", true),
            ("fd00::/8", "fe80::1", false),
            ("::/0", "2001:db8::1", true),
            ("127.0.0.0/8", "::ffff:127.0.0.1", true),
            ("192.168.1.0/31", "192.168.1.1", true),
            ("192.168.1.0/31", "192.168.1.2", false),
        ];
        for (block, addr, inside) in cases {
            assert_eq!(net(block).contains(ip(addr)), inside, "{block} ∋ {addr}");
        }
    }

    #[test]
    fn bad_blocks_say_why() {
        assert_eq!("proxy".parse::<IpNet>(), Err(IpNetError::Address));
        assert_eq!("10.0.0.0/33".parse::<IpNet>(), Err(IpNetError::Prefix(32)));
        assert_eq!("::/129".parse::<IpNet>(), Err(IpNetError::Prefix(128)));
        assert_eq!("10.0.0.0/x".parse::<IpNet>(), Err(IpNetError::Prefix(32)));
        assert_eq!(
            "10.1.2.3/8".parse::<IpNet>().map_err(|e| e.to_string()),
            Err("has bits set after its prefix; did you mean 10.0.0.0/8?".into())
        );
        assert_eq!(net(" 10.0.0.0/8 ").to_string(), "10.0.0.0/8");
        assert_eq!(net("::1").to_string(), "::1/128");
    }
}
