//! A real Kafka-protocol broker (tansu) and the real service binary, on loopback.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::prom::{free_port, http_get};

pub const BIN: &str = env!("CARGO_BIN_EXE_hotline-pulse");

/// Client settings every test passes: tansu holds each fetch for fetch.wait.max.ms,
/// and a killed member must leave the group quickly.
pub const KAFKA_OPTIONS: &[&str] = &[
    "fetch.wait.max.ms=5",
    "session.timeout.ms=6000",
    "heartbeat.interval.ms=500",
    "socket.timeout.ms=5000",
    "reconnect.backoff.max.ms=1000",
];

/// Whether something listens on the loopback `port` within `timeout`.
pub fn wait_port(port: u16, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A tansu broker with in-memory storage, killed on drop.
pub struct Tansu {
    child: Child,
    pub port: u16,
}

impl Tansu {
    pub fn start() -> Tansu {
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new("tansu")
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url, "--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tansu ({e}): run the project's test command, which installs it (cargo install tansu --version 0.6.0 --features dynostore --locked)"));
        let t = Tansu { child, port };
        assert!(
            wait_port(port, Duration::from_secs(20)),
            "tansu did not listen on {port}"
        );
        t
    }

    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `tansu topic ARGS... --broker tcp://...` (create, delete, list).
    pub fn topic(&self, args: &[&str]) {
        let out = Command::new("tansu")
            .arg("topic")
            .args(args)
            .args(["--broker", &format!("tcp://127.0.0.1:{}", self.port)])
            .output()
            .expect("run tansu topic");
        assert!(
            out.status.success(),
            "tansu topic {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Freezes the broker (SIGSTOP): it stops answering but keeps its data.
    pub fn pause(&self) {
        signal(self.child.id(), "STOP");
    }

    pub fn resume(&self) {
        signal(self.child.id(), "CONT");
    }
}

impl Drop for Tansu {
    fn drop(&mut self) {
        signal(self.child.id(), "CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kill -SIG pid`.
pub fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status();
}

/// `hotline-pulse produce` of files into `topic`.
pub fn produce(brokers: &str, topic: &str, partitions: u32, files: &[&Path], extra: &[&str]) {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "produce",
        "--brokers",
        brokers,
        "--topic",
        topic,
        "--partitions",
        &partitions.to_string(),
    ]);
    for o in KAFKA_OPTIONS {
        cmd.args(["--kafka-option", o]);
    }
    cmd.args(extra).args(files).env("HOTLINE_LOG", "warn");
    let out = cmd.output().expect("run produce");
    assert!(
        out.status.success(),
        "produce failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes a simulated stream to `path`; returns its lines.
pub fn simulate(path: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new(BIN)
        .arg("simulate")
        .args(args)
        .arg("--out")
        .arg(path)
        .env("HOTLINE_LOG", "warn")
        .output()
        .expect("run simulate");
    assert!(
        out.status.success(),
        "simulate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The service consuming a topic, killed on drop.
pub struct Service {
    child: Option<Child>,
    pub port: u16,
    pub state_dir: PathBuf,
    args: Vec<String>,
    pub log: PathBuf,
}

impl Service {
    pub fn start(
        brokers: &str,
        topic: &str,
        group: &str,
        state_dir: &Path,
        extra: &[&str],
    ) -> Service {
        let mut args: Vec<String> = vec![
            "serve".into(),
            "--brokers".into(),
            brokers.into(),
            "--topic".into(),
            topic.into(),
            "--group".into(),
            group.into(),
            "--dlq-topic".into(),
            format!("{topic}.dlq"),
            "--state-dir".into(),
            state_dir.display().to_string(),
            "--shutdown-grace-secs".into(),
            "20".into(),
        ];
        for o in KAFKA_OPTIONS {
            args.push("--kafka-option".into());
            args.push((*o).into());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        // Historical months: the as-of follows the events unless the test says otherwise.
        if !extra.contains(&"--as-of") {
            args.extend(["--as-of".into(), "watermark".into()]);
        }
        let mut s = Service {
            child: None,
            port: 0,
            state_dir: state_dir.to_owned(),
            args,
            log: state_dir.with_extension(format!("{group}.log")),
        };
        s.restart();
        s
    }

    /// Starts (again) with the same arguments and state directory.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "already running");
        self.port = free_port();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(BIN)
            .args(&self.args)
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .env("HOTLINE_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start the service");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if matches!(http_get(self.addr(), "/healthz"), Ok((200, _))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "the service did not answer /healthz; log:\n{}",
            self.log_text()
        );
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn metrics(&self) -> String {
        match http_get(self.addr(), "/metrics") {
            Ok((200, body)) => body,
            other => panic!("/metrics: {other:?}"),
        }
    }

    pub fn ready(&self) -> bool {
        matches!(http_get(self.addr(), "/readyz"), Ok((200, _)))
    }

    /// What `/readyz` says ("ready", or "not ready: REASON").
    pub fn readiness(&self) -> String {
        http_get(self.addr(), "/readyz")
            .map(|(_, body)| body.trim().to_owned())
            .unwrap_or_default()
    }

    /// The sum of a metric's samples whose key starts with `prefix`.
    pub fn metric(&self, prefix: &str) -> f64 {
        samples(&self.metrics())
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v)
            .sum()
    }

    /// kill -9: no chance to checkpoint.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then waits for a clean exit.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        signal(c.id(), "TERM");
        c.wait().unwrap()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            let log = self.log_text();
            let tail: Vec<&str> = log.lines().rev().take(60).collect();
            eprintln!("--- service log (last lines) {} ---", self.log.display());
            for l in tail.iter().rev() {
                eprintln!("{l}");
            }
        }
    }
}

/// Samples of a Prometheus text exposition: (name{sorted labels}) → value.
pub fn samples(text: &str) -> BTreeMap<String, f64> {
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid exposition text");
    let mut out = BTreeMap::new();
    for s in scrape.samples {
        let mut labels: Vec<(String, String)> = s
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        labels.sort();
        let key = format!("{}{:?}", s.metric, labels);
        let v = match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Histogram(buckets) => {
                for b in buckets {
                    out.insert(format!("{key}.le{}", b.less_than), b.count);
                }
                continue;
            }
            prometheus_parse::Value::Summary(_) => continue,
        };
        out.insert(key, v);
    }
    out
}

/// The families that are figures (not pipeline counters), optionally only those
/// that add up across instances (counts, not ratios or scores).
pub fn figures(all: &BTreeMap<String, f64>, additive_only: bool) -> BTreeMap<String, f64> {
    all.iter()
        .filter(|(k, _)| {
            let name = k.split('[').next().unwrap_or("");
            let figure = name.starts_with("hotline_unit_")
                || name.starts_with("hotline_records")
                || name.starts_with("hotline_orders_dispatched")
                || name.starts_with("hotline_orders_completed")
                || name.starts_with("hotline_orders_overdue")
                || name.starts_with("hotline_orders_first_time")
                || name.starts_with("hotline_callbacks")
                || name.ends_with("_ratio");
            let not_additive = name.ends_with("_ratio")
                || name.ends_with("_score")
                || name.ends_with("_assessed")
                || name.contains("quantile");
            figure && !(additive_only && not_additive)
        })
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

/// Adds sample maps (instances owning different partitions).
pub fn sum(maps: &[BTreeMap<String, f64>]) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for m in maps {
        for (k, v) in m {
            *out.entry(k.clone()).or_insert(0.0) += v;
        }
    }
    out.retain(|_, v| *v != 0.0);
    out
}

/// The figures `replay` computes from the same events.
pub fn replay_metrics(files: &[&Path]) -> BTreeMap<String, f64> {
    replay_metrics_with(files, &[])
}

/// The same with extra `replay` arguments (`--as-of`, `--retention-months`, ...).
pub fn replay_metrics_with(files: &[&Path], extra: &[&str]) -> BTreeMap<String, f64> {
    let out = Command::new(BIN)
        .arg("replay")
        .args(files)
        .args(["--format", "prometheus"])
        .args(extra)
        .env("HOTLINE_LOG", "warn")
        .output()
        .expect("run replay");
    assert!(
        out.status.success(),
        "replay failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    samples(&String::from_utf8_lossy(&out.stdout))
}

/// Lists the differences between two sample maps (at most `n`).
pub fn diff(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for k in a
        .keys()
        .chain(b.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (x, y) = (a.get(k), b.get(k));
        let same = match (x, y) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
            (None, Some(v)) | (Some(v), None) => *v == 0.0,
            (None, None) => true,
        };
        if !same {
            out.push(format!("{k}: {x:?} vs {y:?}"));
            if out.len() >= n {
                break;
            }
        }
    }
    out
}

/// Polls `f` until it returns an empty difference list, or panics with the last one.
pub fn eventually(what: &str, timeout: Duration, mut f: impl FnMut() -> Vec<String>) {
    let deadline = Instant::now() + timeout;
    let mut last = Vec::new();
    while Instant::now() < deadline {
        last = f();
        if last.is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!(
        "{what}: still different after {timeout:?}:\n{}",
        last.join("\n")
    );
}

/// A simulated November 2024 with disorder and duplicates; returns (file, lines).
pub fn sim_file(dir: &Path, orders: u32, seed: u32) -> (std::path::PathBuf, usize) {
    let path = dir.join(format!("sim-{seed}.jsonl"));
    let lines = simulate(
        &path,
        &[
            "--orders",
            &orders.to_string(),
            "--month",
            "2024-11",
            "--seed",
            &seed.to_string(),
            "--disorder",
            "0.2",
            "--duplicates",
            "0.05",
        ],
    );
    (path, lines.len())
}
/// Messages this instance consumed (all partitions).
pub fn consumed(s: &Service) -> f64 {
    samples(&s.metrics())
        .iter()
        .filter(|(k, _)| k.starts_with("hotline_kafka_messages_consumed_total"))
        .map(|(_, v)| v)
        .sum()
}
/// `produce` at `rate` events/s in the background, while the test kills and restarts.
pub fn spawn_producer(
    brokers: &str,
    topic: &str,
    partitions: u32,
    rate: u32,
    file: &Path,
) -> std::process::Child {
    let mut cmd = Command::new(BIN);
    cmd.args(["produce", "--brokers", brokers, "--topic", topic])
        .args([
            "--partitions",
            &partitions.to_string(),
            "--rate",
            &rate.to_string(),
        ]);
    for o in KAFKA_OPTIONS {
        cmd.args(["--kafka-option", o]);
    }
    cmd.arg(file)
        .env("HOTLINE_LOG", "warn")
        .stderr(Stdio::null())
        .spawn()
        .expect("start produce")
}

pub fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
/// Reads `n` messages of a topic: (payload, reject-reason header).
pub fn read_topic(brokers: &str, topic: &str, n: usize) -> Vec<(Vec<u8>, Option<String>)> {
    read_full(brokers, topic, n)
        .into_iter()
        .map(|(_, payload, headers)| {
            let reason = headers
                .get(hotline_pulse::source::kafka::REASON_HEADER)
                .cloned();
            (payload, reason)
        })
        .collect()
}

/// Sends raw messages (key, payload) to one partition of `topic`, waiting for each.
pub fn produce_raw(brokers: &str, topic: &str, partition: i32, records: &[(Option<&[u8]>, &[u8])]) {
    use rdkafka::config::ClientConfig;
    use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
    let p: ThreadedProducer<DefaultProducerContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("message.max.bytes", "4000000")
        .set("linger.ms", "0")
        .create()
        .expect("raw producer");
    for (key, payload) in records {
        let mut r = BaseRecord::<[u8], [u8]>::to(topic)
            .partition(partition)
            .payload(*payload);
        if let Some(k) = key {
            r = r.key(*k);
        }
        p.send(r).map_err(|(e, _)| e).expect("send");
        p.flush(Duration::from_secs(30)).expect("delivered");
    }
}

/// A client of `group` that joins nothing: it reads and commits the group's offsets.
fn group_client(brokers: &str, group: &str) -> rdkafka::consumer::BaseConsumer {
    rdkafka::config::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("consumer")
}

/// The offsets `group` committed on `topic`'s partitions (missing: none committed).
pub fn committed(brokers: &str, group: &str, topic: &str, partitions: i32) -> BTreeMap<i32, i64> {
    use rdkafka::consumer::Consumer;
    use rdkafka::{Offset, TopicPartitionList};
    let c = group_client(brokers, group);
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let got = c
        .committed_offsets(tpl, Duration::from_secs(10))
        .expect("committed offsets");
    got.elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((e.partition(), o)),
            _ => None,
        })
        .collect()
}

/// Commits each partition's end offset for `group`, as a replaced owner's late commit
/// would (its partitions' messages never reached the state the changelog holds).
pub fn commit_ends(brokers: &str, group: &str, topic: &str, partitions: i32) {
    use rdkafka::consumer::{CommitMode, Consumer};
    use rdkafka::{Offset, TopicPartitionList};
    let c = group_client(brokers, group);
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        let (_, high) = c
            .fetch_watermarks(topic, p, Duration::from_secs(10))
            .expect("watermarks");
        tpl.add_partition_offset(topic, p, Offset::Offset(high))
            .expect("offset");
    }
    c.commit(&tpl, CommitMode::Sync).expect("commit");
}

/// Every message of a topic with all its headers: (key, payload, headers).
pub type Full = (Option<Vec<u8>>, Vec<u8>, BTreeMap<String, String>);

/// Reads `n` messages of a topic with their keys and headers.
pub fn read_full(brokers: &str, topic: &str, n: usize) -> Vec<Full> {
    use rdkafka::config::ClientConfig;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::{Headers, Message};
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("full-reader-{topic}-{n}"))
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "5")
        .create()
        .unwrap();
    c.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while out.len() < n && Instant::now() < deadline {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
            let headers = m
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|x| {
                            (
                                x.key.to_owned(),
                                String::from_utf8_lossy(x.value.unwrap_or_default()).into_owned(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push((
                m.key().map(<[u8]>::to_vec),
                m.payload().unwrap_or(&[]).to_vec(),
                headers,
            ));
        }
    }
    out
}
