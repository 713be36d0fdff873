//! The service in-process on 127.0.0.1:0 (stopped on drop) and a tiny HTTP/1.0 client.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hotline_pulse::app::{self, Config, SourceConfig};
use hotline_pulse::config::{Assessment, EngineConfig};
use hotline_pulse::simulate::SimConfig;
use hotline_pulse::source::AsOf;

/// A running service; dropping it requests shutdown and waits for `app::run` to return.
pub struct ServiceHandle {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<anyhow::Result<()>>>,
}

impl ServiceHandle {
    /// Stops the service and returns what `app::run` returned.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the service thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for ServiceHandle {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// The simulated hotline as fast as it goes, figures as of the event-time watermark.
pub fn simulated_config(orders: u64, month: (i32, u32)) -> Config {
    Config {
        engine: EngineConfig::default(),
        assessment: Assessment::default(),
        registry: None,
        source: SourceConfig::Simulated {
            sim: SimConfig {
                orders,
                month,
                ..Default::default()
            },
            rate: 0.0,
            speed: 0.0,
        },
        as_of: AsOf::Watermark,
        shutdown_grace: Duration::from_secs(10),
        web: Default::default(),
    }
}

/// Starts `app::run` on its own runtime thread, bound to 127.0.0.1:0, and waits until
/// `/readyz` answers 200.
pub fn start_service(config: Config) -> ServiceHandle {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0: {e}"));
    let addr = listener.local_addr().expect("local address");
    listener.set_nonblocking(true).expect("non-blocking");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("service-under-test".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                app::run(config, listener, async {
                    let _ = rx.await;
                })
                .await
            })
        })
        .expect("spawn the service thread");
    let service = ServiceHandle {
        addr,
        stop: Some(tx),
        thread: Some(thread),
    };
    wait_until(Duration::from_secs(30), "/readyz to answer 200", || {
        matches!(get(addr, "/readyz"), Ok((200, _, _)))
    });
    service
}

/// Polls `ok` every 50 ms until it holds; panics after `timeout`.
pub fn wait_until(timeout: Duration, what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the simulated stream is consumed: `/metrics` shows events and the same
/// applied-event total twice 300 ms apart.
pub fn wait_for_data(addr: SocketAddr) {
    let applied = || -> Option<f64> {
        let (status, _, body) = get(addr, "/metrics").ok()?;
        if status != 200 {
            return None;
        }
        let total = body
            .lines()
            .filter(|l| l.starts_with("hotline_events_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>();
        (total > 0.0).then_some(total)
    };
    let mut last = None;
    wait_until(Duration::from_secs(60), "the simulated stream", || {
        let now = applied();
        let settled = now.is_some() && now == last;
        last = now;
        if !settled {
            std::thread::sleep(Duration::from_millis(250));
        }
        settled
    });
}

/// A GET over HTTP/1.0 (the server closes the connection after the response, so the
/// body is the rest of the stream): status, Content-Type, body.
pub fn get(addr: SocketAddr, path: &str) -> Result<(u16, String, String), String> {
    let (status, content_type, body) = get_bytes(addr, path)?;
    let body =
        String::from_utf8(body).map_err(|e| format!("the body of {path} is not UTF-8: {e}"))?;
    Ok((status, content_type, body))
}

/// [`get`] of a binary body (a PDF).
pub fn get_bytes(addr: SocketAddr, path: &str) -> Result<(u16, String, Vec<u8>), String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| format!("set_read_timeout: {e}"))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: */*\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("send to {addr}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read from {addr}: {e}"))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("malformed HTTP response from {addr}"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let body = raw[split + 4..].to_vec();
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no status line: {head}"))?;
    let content_type = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    Ok((status, content_type, body))
}

/// [`get`], panicking on a transport error.
pub fn fetch(addr: SocketAddr, path: &str) -> (u16, String, String) {
    get(addr, path).unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
