//! The HTTP server as an operator next to node_exporter expects it: OpenMetrics and
//! gzip negotiated, process_* and build_info{version,revision}, `promtool check
//! metrics` clean, `/healthz` fast under a storm of slow scrapes, `/` and `/report`
//! without a month, TLS and basic auth from an exporter-toolkit web config file.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::http::{simulated_config, start_service, wait_for_data};
use hotline_pulse::app::build_state;
use hotline_pulse::http::{Health, HttpState, WebConfig};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;

/// A response: status, headers (lower-case names), body bytes.
struct Resp {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn parse(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Resp {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn request_on(
    stream: &mut dyn ReadWrite,
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> Resp {
    let mut req = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("send");
    let mut raw = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            // A TLS peer may close without close_notify: what came is the response.
            Err(_) if !raw.is_empty() => break,
            Err(e) => panic!("read {path}: {e}"),
        }
    }
    parse(&raw)
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

fn tcp(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    s
}

fn request(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Resp {
    request_on(&mut tcp(addr), addr, path, headers)
}

const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

#[test]
fn exposition_negotiates_openmetrics_and_gzip_and_carries_process_and_build_info() {
    let s = start_service(simulated_config(2000, (2024, 11)));
    wait_for_data(s.addr);

    let text = request(s.addr, "/metrics", &[("Accept", "*/*")]);
    assert_eq!(text.status, 200);
    assert_eq!(
        text.header("content-type"),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let body = text.text();
    for family in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_start_time_seconds",
        "process_open_fds",
    ] {
        assert!(
            body.contains(&format!("\n{family} ")),
            "{family} is missing"
        );
    }
    let build = body
        .lines()
        .find(|l| l.starts_with("hotline_build_info{"))
        .expect("hotline_build_info");
    assert!(
        build.contains("revision=\"")
            && build.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))),
        "{build}"
    );
    assert!(build.ends_with(" 1"), "{build}");
    assert!(
        body.contains("# TYPE hotline_unit_handling_duration_quantile_seconds summary"),
        "the handling-time quantiles are a summary"
    );

    let om = request(s.addr, "/metrics", &[("Accept", PROMETHEUS_ACCEPT)]);
    assert_eq!(
        om.header("content-type"),
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let om_body = om.text();
    assert!(om_body.ends_with("# EOF\n"));
    assert!(
        om_body.contains("# TYPE hotline_events counter\n"),
        "counters lose _total in metadata"
    );
    assert!(om_body.contains("\nhotline_events_total{type=\"received\"} "));

    let gz = request(
        s.addr,
        "/metrics",
        &[("Accept", "*/*"), ("Accept-Encoding", "gzip")],
    );
    assert_eq!(gz.header("content-encoding"), "gzip");
    assert!(gz.header("vary").contains("Accept-Encoding"));
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_string(&mut plain)
        .expect("gzip body");
    assert!(plain.contains("hotline_events_total{type=\"received\"}"));
    assert!(
        gz.body.len() * 4 < plain.len(),
        "gzip shrinks {} to {}",
        plain.len(),
        gz.body.len()
    );
    s.stop().expect("clean shutdown");
}

#[test]
fn promtool_check_metrics_finds_no_problem() {
    let s = start_service(simulated_config(2000, (2024, 11)));
    wait_for_data(s.addr);
    let body = request(s.addr, "/metrics", &[]).body;
    s.stop().expect("clean shutdown");
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (the test script installs Debian's prometheus package)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&body)
        .expect("feed promtool");
    let out = child.wait_with_output().expect("promtool");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.trim().is_empty(),
        "promtool:\n{report}"
    );
}

#[test]
fn the_index_lists_the_endpoints_and_report_defaults_to_the_latest_month() {
    let s = start_service(simulated_config(1500, (2024, 11)));
    wait_for_data(s.addr);
    let index = request(s.addr, "/", &[]);
    assert_eq!(index.status, 200);
    assert!(index.header("content-type").starts_with("text/html"));
    for path in [
        "/metrics",
        "/report",
        "/api/v1/months",
        "/healthz",
        "/readyz",
    ] {
        assert!(index.text().contains(&format!("href=\"{path}\"")), "{path}");
    }
    let latest = request(s.addr, "/report?format=md", &[]);
    let explicit = request(s.addr, "/report?month=2024-11&format=md", &[]);
    assert_eq!(latest.status, 200, "{}", latest.text());
    assert_eq!(latest.text(), explicit.text());
    s.stop().expect("clean shutdown");
}

/// A collector that takes a while to render: a stand-in for a huge exposition.
struct Slow(Duration, Vec<Desc>);

impl Collector for Slow {
    fn desc(&self) -> Vec<&Desc> {
        self.1.iter().collect()
    }
    fn collect(&self) -> Vec<MetricFamily> {
        std::thread::sleep(self.0);
        Vec::new()
    }
}

#[test]
fn healthz_answers_at_once_while_slow_scrapes_queue() {
    let config = simulated_config(10, (2024, 11));
    let state = build_state(&config).expect("state");
    let (shared, board, exposition) = (state.shared, state.board, state.exposition);
    let render = Duration::from_millis(1500);
    exposition
        .registry()
        .register(Box::new(Slow(render, Vec::new())))
        .expect("register");
    let state = Arc::new(HttpState::new(
        shared,
        board,
        Arc::new(config.assessment.clone()),
        exposition,
        Arc::new(Health::default()),
        config.as_of,
    ));
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    std_listener.set_nonblocking(true).expect("non-blocking");
    let addr = std_listener.local_addr().expect("addr");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // Two async workers, as in the service.
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            hotline_pulse::http::serve(listener, state, None, async {
                let _ = stop_rx.await;
            })
            .await;
        });
    });
    let scrapes: Vec<_> = (0..6)
        .map(|_| {
            std::thread::spawn(move || {
                let r = request(addr, "/metrics", &[]);
                (r.status, Instant::now())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let asked = Instant::now();
    let health = request(addr, "/healthz", &[]);
    let answered = Instant::now();
    assert_eq!(health.status, 200);
    let mut last_scrape = asked;
    for s in scrapes {
        let (status, at) = s.join().expect("scrape thread");
        assert_eq!(status, 200);
        last_scrape = last_scrape.max(at);
    }
    // Generous bounds: the scrapes take at least 1.5 s each, two at a time.
    assert!(
        answered - asked < Duration::from_millis(1000),
        "/healthz took {:?} behind the scrapes",
        answered - asked
    );
    assert!(
        answered < last_scrape,
        "/healthz answered before the scrapes were done"
    );
    let _ = stop_tx.send(());
    server.join().expect("server thread");
}

/// A self-signed certificate for 127.0.0.1 (and its key), as PEM.
fn self_signed() -> (Vec<u8>, Vec<u8>) {
    use openssl::asn1::Asn1Time;
    use openssl::ec::{EcGroup, EcKey};
    use openssl::hash::MessageDigest;
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    use openssl::x509::extension::SubjectAlternativeName;
    use openssl::x509::{X509NameBuilder, X509};
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("curve");
    let key = PKey::from_ec_key(EcKey::generate(&group).expect("key")).expect("pkey");
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_text("CN", "127.0.0.1").expect("cn");
    let name = name.build();
    let mut b = X509::builder().expect("builder");
    b.set_version(2).expect("version");
    b.set_subject_name(&name).expect("subject");
    b.set_issuer_name(&name).expect("issuer");
    b.set_pubkey(&key).expect("pubkey");
    b.set_not_before(&Asn1Time::days_from_now(0).expect("now"))
        .expect("nb");
    b.set_not_after(&Asn1Time::days_from_now(2).expect("later"))
        .expect("na");
    let san = SubjectAlternativeName::new()
        .ip("127.0.0.1")
        .build(&b.x509v3_context(None, None))
        .expect("san");
    b.append_extension(san).expect("ext");
    b.sign(&key, MessageDigest::sha256()).expect("sign");
    (
        b.build().to_pem().expect("cert pem"),
        key.private_key_to_pem_pkcs8().expect("key pem"),
    )
}

#[test]
fn tls_and_basic_auth_from_the_web_config_file_with_probes_left_open() {
    use base64::Engine;
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = self_signed();
    std::fs::write(dir.path().join("server.crt"), &cert).expect("cert");
    std::fs::write(dir.path().join("server.key"), &key).expect("key");
    let hash = bcrypt::hash("scrape-pass", 4).expect("hash");
    let web = dir.path().join("web.yml");
    std::fs::write(
        &web,
        format!(
            "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS12\nbasic_auth_users:\n  prometheus: {hash}\n"
        ),
    )
    .expect("web config");
    let mut config = simulated_config(500, (2024, 11));
    config.web = WebConfig::load(&web).expect("the web config loads");
    let s = start_tls_service(config);

    let mut connector =
        openssl::ssl::SslConnector::builder(openssl::ssl::SslMethod::tls()).expect("connector");
    connector
        .cert_store_mut()
        .add_cert(openssl::x509::X509::from_pem(&cert).expect("cert"))
        .expect("trust the test certificate");
    let connector = connector.build();
    let get = |path: &str, headers: &[(&str, &str)]| -> Resp {
        let mut tls = connector
            .connect("127.0.0.1", tcp(s.addr))
            .expect("TLS handshake with a verified certificate");
        request_on(&mut tls, s.addr, path, headers)
    };
    let basic = |user: &str, pass: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        )
    };

    assert_eq!(
        get("/healthz", &[]).status,
        200,
        "probes need no credentials"
    );
    assert_eq!(get("/readyz", &[]).status, 200);
    for path in ["/metrics", "/report", "/api/v1/months", "/"] {
        let r = get(path, &[]);
        assert_eq!(r.status, 401, "{path}");
        assert!(r.header("www-authenticate").starts_with("Basic"), "{path}");
    }
    let wrong = basic("prometheus", "nope");
    assert_eq!(get("/metrics", &[("Authorization", &wrong)]).status, 401);
    let stranger = basic("mallory", "scrape-pass");
    assert_eq!(get("/metrics", &[("Authorization", &stranger)]).status, 401);
    let right = basic("prometheus", "scrape-pass");
    let ok = get("/metrics", &[("Authorization", &right)]);
    assert_eq!(ok.status, 200);
    assert!(ok.text().contains("hotline_build_info"));
    assert_eq!(
        get("/api/v1/months", &[("Authorization", &right)]).status,
        200
    );

    // Plain HTTP on the TLS port gets no page.
    let mut plain = tcp(s.addr);
    let _ = plain.write_all(b"GET /healthz HTTP/1.0\r\n\r\n");
    let mut raw = Vec::new();
    let _ = plain.read_to_end(&mut raw);
    assert!(
        !String::from_utf8_lossy(&raw).contains("ok"),
        "plain HTTP answered"
    );
    drop(s);
}

/// [`start_service`] waits on plain HTTP; with TLS the service is started by hand.
fn start_tls_service(config: hotline_pulse::app::Config) -> TlsService {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            hotline_pulse::app::run(config, listener, async {
                let _ = rx.await;
            })
            .await
        })
    });
    std::thread::sleep(Duration::from_millis(500));
    TlsService {
        addr,
        stop: Some(tx),
        thread: Some(thread),
    }
}

struct TlsService {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TlsService {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
