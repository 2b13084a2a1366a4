//! Outbound connections through a SOCKS5 proxy (RFC 1928), as `-proxy`
//! asks: every connection goes through it, and names are resolved by the
//! proxy, never here, so nothing leaks around it. With `-proxyrandomize`
//! each connection offers fresh random credentials (RFC 1929), which Tor
//! takes as a separate circuit (stream isolation).

use std::io;
use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A SOCKS5 proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Socks5 {
    pub addr: SocketAddr,
    /// `-proxyrandomize`: fresh credentials per connection.
    pub randomize_credentials: bool,
}

/// Where the proxy is asked to connect.
pub enum Destination<'a> {
    Ip(SocketAddr),
    /// A host name, resolved by the proxy.
    Name(&'a str, u16),
}

const VERSION: u8 = 5;
const NO_AUTH: u8 = 0;
const USER_PASS: u8 = 2;
const CONNECT: u8 = 1;

fn failure(what: impl Into<String>) -> io::Error {
    io::Error::other(what.into())
}

/// The reference's words for a proxy's refusal.
fn reply_text(code: u8) -> String {
    match code {
        1 => "general failure".into(),
        2 => "connection not allowed".into(),
        3 => "network unreachable".into(),
        4 => "host unreachable".into(),
        5 => "connection refused".into(),
        6 => "TTL expired".into(),
        7 => "protocol error".into(),
        8 => "address type not supported".into(),
        other => format!("unknown ({other})"),
    }
}

impl Socks5 {
    /// Connects to `destination` through the proxy.
    pub async fn connect(&self, destination: Destination<'_>) -> io::Result<TcpStream> {
        let mut stream = TcpStream::connect(self.addr).await?;
        let methods: &[u8] = if self.randomize_credentials { &[NO_AUTH, USER_PASS] } else { &[NO_AUTH] };
        let mut greeting = vec![VERSION, methods.len() as u8];
        greeting.extend_from_slice(methods);
        stream.write_all(&greeting).await?;
        let mut chosen = [0u8; 2];
        stream.read_exact(&mut chosen).await?;
        if chosen[0] != VERSION {
            return Err(failure("Proxy failed to initialize"));
        }
        match chosen[1] {
            NO_AUTH => {}
            USER_PASS if self.randomize_credentials => {
                // Any credentials will do: they only need to differ.
                let token = {
                    let mut bytes = [0u8; 8];
                    let _ = getrandom::getrandom(&mut bytes);
                    u64::from_le_bytes(bytes).to_string()
                };
                let mut auth = vec![1, token.len() as u8];
                auth.extend_from_slice(token.as_bytes());
                auth.push(token.len() as u8);
                auth.extend_from_slice(token.as_bytes());
                stream.write_all(&auth).await?;
                let mut status = [0u8; 2];
                stream.read_exact(&mut status).await?;
                if status != [1, 0] {
                    return Err(failure("Proxy authentication unsuccessful"));
                }
            }
            _ => return Err(failure("Proxy requested wrong authentication method")),
        }
        let mut request = vec![VERSION, CONNECT, 0];
        let port = match destination {
            Destination::Ip(addr) => {
                match addr.ip() {
                    IpAddr::V4(v4) => {
                        request.push(1);
                        request.extend_from_slice(&v4.octets());
                    }
                    IpAddr::V6(v6) => {
                        request.push(4);
                        request.extend_from_slice(&v6.octets());
                    }
                }
                addr.port()
            }
            Destination::Name(name, port) => {
                let name = name.as_bytes();
                if name.len() > 255 {
                    return Err(failure("Hostname too long"));
                }
                request.push(3);
                request.push(name.len() as u8);
                request.extend_from_slice(name);
                port
            }
        };
        request.extend_from_slice(&port.to_be_bytes());
        stream.write_all(&request).await?;
        let mut reply = [0u8; 4];
        stream.read_exact(&mut reply).await?;
        if reply[0] != VERSION {
            return Err(failure("Proxy failed to accept request"));
        }
        if reply[1] != 0 {
            return Err(failure(format!("Proxy error: {}", reply_text(reply[1]))));
        }
        // The address the proxy bound; not needed, but it must be read.
        let bound = match reply[3] {
            1 => 4,
            4 => 16,
            3 => usize::from(stream.read_u8().await?),
            _ => return Err(failure("Error: malformed proxy response")),
        };
        let mut rest = vec![0u8; bound + 2];
        stream.read_exact(&mut rest).await?;
        Ok(stream)
    }
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;

    use super::*;

    /// A proxy that checks the greeting and request it gets, then answers
    /// with `reply`.
    async fn proxy_answering(reply: u8, expect_auth: bool) -> (SocketAddr, tokio::task::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 2];
            s.read_exact(&mut head).await.unwrap();
            let mut methods = vec![0u8; usize::from(head[1])];
            s.read_exact(&mut methods).await.unwrap();
            if expect_auth {
                assert!(methods.contains(&USER_PASS));
                s.write_all(&[5, USER_PASS]).await.unwrap();
                let mut v = [0u8; 2];
                s.read_exact(&mut v).await.unwrap();
                let mut user = vec![0u8; usize::from(v[1])];
                s.read_exact(&mut user).await.unwrap();
                let len = s.read_u8().await.unwrap();
                let mut pass = vec![0u8; usize::from(len)];
                s.read_exact(&mut pass).await.unwrap();
                assert!(!user.is_empty());
                s.write_all(&[1, 0]).await.unwrap();
            } else {
                s.write_all(&[5, NO_AUTH]).await.unwrap();
            }
            let mut request = [0u8; 5];
            s.read_exact(&mut request).await.unwrap();
            let len = match request[3] {
                1 => 3 + 2,
                3 => usize::from(request[4]) + 2,
                _ => 15 + 2,
            };
            let mut rest = vec![0u8; len];
            s.read_exact(&mut rest).await.unwrap();
            s.write_all(&[5, reply, 0, 1, 127, 0, 0, 1, 0, 1]).await.unwrap();
            let mut all = request.to_vec();
            all.extend(rest);
            all
        });
        (addr, task)
    }

    #[tokio::test]
    async fn names_go_to_the_proxy_with_fresh_credentials() {
        let (addr, task) = proxy_answering(0, true).await;
        let proxy = Socks5 { addr, randomize_credentials: true };
        proxy.connect(Destination::Name("seed.example", 8333)).await.unwrap();
        let request = task.await.unwrap();
        assert_eq!(request[3], 3, "a domain name");
        assert_eq!(&request[5..5 + 12], b"seed.example");
        assert_eq!(&request[request.len() - 2..], &8333u16.to_be_bytes());
    }

    #[tokio::test]
    async fn a_refusal_is_an_error_with_the_reason() {
        let (addr, _task) = proxy_answering(5, false).await;
        let proxy = Socks5 { addr, randomize_credentials: false };
        let e = proxy.connect(Destination::Ip("10.0.0.1:8333".parse().unwrap())).await.unwrap_err();
        assert_eq!(e.to_string(), "Proxy error: connection refused");
    }
}
