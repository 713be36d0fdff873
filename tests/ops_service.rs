//! The `serve` binary as a newcomer and an operator meet it: the simulated demo never
//! runs past the wall clock, says when it has caught up and shows each unit once; one
//! start-up line with version, revision and the configuration; text logs without
//! colour codes when redirected, JSON logs on request; a warning with the count and
//! the way to backfill when events are dropped as late; `--listen :PORT`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const BIN: &str = env!("CARGO_BIN_EXE_hotline-pulse");

/// A running binary whose stderr lines are collected as they come.
struct Proc {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Proc {
    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Proc {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_remove("HOTLINE_LOG")
            .env_remove("NO_COLOR")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start hotline-pulse");
        let stderr = child.stderr.take().expect("stderr");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Proc { child, lines }
    }

    /// The first stderr line matching `pred`, waiting up to `timeout`.
    fn wait_line(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.lines.lock().unwrap().iter().find(|l| pred(l)) {
                return l.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no such line within {timeout:?}; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stderr(&self) -> String {
        self.lines.lock().unwrap().join("\n")
    }

    /// SIGTERM, then the exit status.
    fn stop(mut self) -> (ExitStatus, String) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("wait");
        std::thread::sleep(Duration::from_millis(100));
        (status, self.stderr())
    }
}

/// The address in the start-up line (`listen=...`).
fn listen_addr(line: &str) -> SocketAddr {
    let at = line.find("listen=").expect("listen= in the start-up line") + 7;
    line[at..]
        .split_whitespace()
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line}"))
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("response");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    (status, body.to_owned())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn metric(body: &str, name: &str) -> f64 {
    body.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing"))
}

#[test]
fn the_demo_catches_up_with_the_wall_clock_and_shows_each_unit_once() {
    let p = Proc::spawn(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--orders",
            "3000",
            "--sim-speed",
            "0",
        ],
        &[],
    );
    let started = p.wait_line(Duration::from_secs(30), |l| {
        l.contains("hotline-pulse started")
    });
    assert!(
        started.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))),
        "{started}"
    );
    assert!(started.contains("revision="), "{started}");
    assert!(
        started.contains("\"kind\":\"simulated\""),
        "the configuration: {started}"
    );
    let addr = listen_addr(&started);
    p.wait_line(Duration::from_secs(60), |l| {
        l.contains("caught up with the wall clock")
    });

    let (status, metrics) = get(addr, "/metrics");
    assert_eq!(status, 200);
    let watermark_ms = metric(&metrics, "hotline_watermark_timestamp_seconds") * 1000.0;
    assert!(
        watermark_ms <= now_ms() as f64 + 1000.0,
        "the simulated clock ran ahead of the wall clock: watermark {watermark_ms}"
    );
    assert!(metric(&metrics, "hotline_events_total{type=\"received\"}") > 0.0);
    assert_eq!(
        metric(&metrics, "hotline_unknown_units_total"),
        0.0,
        "the simulator's units are in its registry"
    );

    let (_, months) = get(addr, "/api/v1/months");
    let months: serde_json::Value = serde_json::from_str(&months).expect("JSON");
    let month = months["months"][0]["month"]
        .as_str()
        .expect("a month")
        .to_owned();
    let (status, units) = get(addr, &format!("/api/v1/months/{month}/units"));
    assert_eq!(status, 200);
    let units: serde_json::Value = serde_json::from_str(&units).expect("JSON");
    let names: Vec<&str> = units["units"]
        .as_array()
        .expect("units")
        .iter()
        .filter_map(|u| u["unit"].as_str())
        .collect();
    assert!(names.len() > 10, "{names:?}");
    for alias in ["人力资源和社会保障", "卫生健康委员会"] {
        assert!(
            !names.contains(&alias),
            "{alias} shown beside its canonical unit"
        );
    }
    let (_, summary) = get(addr, &format!("/api/v1/months/{month}/summary"));
    let summary: serde_json::Value = serde_json::from_str(&summary).expect("JSON");
    assert!(
        summary["as_of"]
            .as_i64()
            .is_some_and(|t| t <= now_ms() + 1000),
        "{summary}"
    );

    let (status, stderr) = p.stop();
    assert!(status.success(), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "ANSI codes in redirected logs:\n{stderr}"
    );
    assert_eq!(
        stderr.matches("caught up with the wall clock").count(),
        1,
        "logged once"
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    let p = Proc::spawn(
        &[
            "--log-format",
            "json",
            "serve",
            "--listen",
            ":0",
            "--orders",
            "200",
        ],
        &[("NO_COLOR", "1")],
    );
    p.wait_line(Duration::from_secs(30), |l| {
        l.contains("hotline-pulse started")
    });
    let (status, stderr) = p.stop();
    assert!(status.success(), "{stderr}");
    let mut started = None;
    for line in stderr.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            v["level"].is_string() && v["timestamp"].is_string(),
            "{line}"
        );
        if v["message"] == "hotline-pulse started" {
            started = Some(v);
        }
    }
    let started = started.expect("the start-up line");
    assert_eq!(started["version"], env!("CARGO_PKG_VERSION"));
    assert!(started["revision"].is_string());
    // `--listen :0` is every interface.
    assert!(
        started["listen"]
            .as_str()
            .is_some_and(|l| l.starts_with("0.0.0.0:")),
        "{started}"
    );
    let config: serde_json::Value =
        serde_json::from_str(started["config"].as_str().expect("config")).expect("config JSON");
    assert_eq!(config["source"]["kind"], "simulated");
    assert_eq!(config["timezone"], "+08:00");
}

#[test]
fn events_dropped_as_late_are_warned_about_with_the_way_to_backfill() {
    // A 2023 month consumed as of the wall clock: every event is past retention.
    let p = Proc::spawn(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--month",
            "2023-01",
            "--orders",
            "300",
            "--as-of",
            "now",
            "--sim-speed",
            "0",
        ],
        &[],
    );
    let warning = p.wait_line(Duration::from_secs(30), |l| {
        l.contains("events dropped as late")
    });
    assert!(warning.contains("WARN"), "{warning}");
    assert!(
        warning.contains("--as-of watermark") && warning.contains("--retention-months"),
        "{warning}"
    );
    let dropped: u64 = warning
        .split("dropped=")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {warning}"));
    assert!(dropped > 0, "{warning}");
    let (status, stderr) = p.stop();
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stderr.matches("events dropped as late").count(),
        1,
        "rate-limited:\n{stderr}"
    );
}
