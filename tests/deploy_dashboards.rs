//! Every Grafana panel query and every recording rule returns data from a real
//! Prometheus scraping the real service.
//!
//! Two instances of the service share a consumer group on a fresh topic of a real
//! Kafka-protocol broker (tansu, started here; or `HOTLINE_TEST_BROKERS=host:port`),
//! filled with a simulated month and a few malformed messages (so the dead-letter
//! panels have data); every query must return data, and the recording rules' assessment
//! and score — recomputed from counts summed over the two instances — must equal what
//! the service decides on the whole group's counts.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::prom::{self, Prometheus};

/// A child process killed (and reaped) when dropped; its output goes to a log file.
struct Proc {
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn spawn(mut cmd: Command, log: PathBuf) -> Proc {
        let out = std::fs::File::create(&log).expect("create the service log");
        let err = out.try_clone().expect("clone the log handle");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Proc { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The service binary with no `HOTLINE_*` variable inherited from the caller's
/// environment (a CI job may set HOTLINE_BROKERS for another suite).
fn hotline_pulse() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline-pulse"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("HOTLINE_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// The current month (`YYYY-MM`) in UTC+8, the zone of every 12345 report.
fn current_month_utc8() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs() as i64
        + 8 * 3600;
    // Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil, inverted).
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}")
}

fn wait_healthy(service: &mut Proc, addr: SocketAddr, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = service.child.try_wait() {
            panic!("hotline-pulse serve exited ({status}):\n{}", service.log());
        }
        if matches!(prom::http_get(addr, "/healthz"), Ok((200, _))) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "hotline-pulse did not answer /healthz on {addr} within {timeout:?}:\n{}",
            service.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Feeds `topic` with a simulated month at a steady rate, in the background, so that
/// events flow while Prometheus scrapes (rate() panels need traffic in their window).
fn produce(brokers: &str, topic: &str, log: &Path) -> Proc {
    let mut cmd = hotline_pulse();
    cmd.args([
        "produce",
        "--brokers",
        brokers,
        "--topic",
        topic,
        "--simulate",
    ])
    .args(["--orders", "5000", "--rate", "400"]);
    Proc::spawn(cmd, log.to_owned())
}

#[test]
fn every_dashboard_query_and_recording_rule_returns_data() {
    let own_broker;
    let brokers = match std::env::var("HOTLINE_TEST_BROKERS")
        .ok()
        .filter(|b| !b.is_empty())
    {
        Some(b) => b,
        None => {
            own_broker = common::kafka::Tansu::start();
            own_broker.brokers()
        }
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let unique = format!(
        "{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let topic = format!("hotline.events.deploy-dashboards-{unique}");
    // A few malformed messages first, so the dead-letter panels have data.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{not json\n[1]\n").expect("write bad lines");
    common::kafka::produce(&brokers, &topic, 4, &[&bad], &[]);
    let mut producer = produce(&brokers, &topic, &dir.path().join("produce.log"));
    // Two instances in one group: each owns two of the four partitions, so every count
    // Prometheus sees is split between them.
    let mut services: Vec<(Proc, SocketAddr)> = ["a", "b"]
        .iter()
        .map(|name| {
            let addr = SocketAddr::from(([127, 0, 0, 1], prom::free_port()));
            let mut cmd = hotline_pulse();
            cmd.arg("serve")
                .arg("--listen")
                .arg(addr.to_string())
                .arg("--state-dir")
                .arg(dir.path().join(format!("state-{name}")))
                .arg("--config")
                .arg(prom::deploy_dir().join("config/assessment.toml"))
                .arg("--unit-registry")
                .arg(prom::deploy_dir().join("config/units.toml"))
                .args(["--brokers", &brokers, "--topic", &topic])
                .args(["--group", &format!("deploy-dashboards-{unique}")])
                .args(["--dlq-topic", &format!("{topic}.dlq")])
                .args(["--kafka-option", "fetch.wait.max.ms=5"])
                .args(["--kafka-option", "session.timeout.ms=6000"]);
            let log = dir.path().join(format!("serve-{name}.log"));
            (Proc::spawn(cmd, log), addr)
        })
        .collect();
    for (service, addr) in &mut services {
        wait_healthy(service, *addr, Duration::from_secs(60));
    }
    let logs = || {
        services
            .iter()
            .map(|(s, a)| format!("service {a} log:\n{}", s.log()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let targets: Vec<String> = services.iter().map(|(_, a)| a.to_string()).collect();
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    let prometheus =
        Prometheus::start(&targets, &prom::rule_files()).unwrap_or_else(|e| panic!("{e}"));
    let month = current_month_utc8();
    let wait = |q: &str| {
        prometheus
            .wait_for_series(q, Duration::from_secs(90))
            .unwrap_or_else(|e| {
                panic!(
                    "no data: {e}\n{}\nprometheus log:\n{}",
                    logs(),
                    prometheus.log()
                )
            })
    };
    // Scraped, with figures for this month, some unit assessed, and enough samples for
    // the rate() windows.
    wait(&format!("up{{job=\"{}\"}} == 1", prom::JOB));
    wait(&format!("hotline_orders_dispatched{{month=\"{month}\"}}"));
    wait(&format!("hotline:unit_assessed{{month=\"{month}\"}} == 1"));
    wait(&format!(
        "count_over_time(up{{job=\"{}\"}}[1m]) >= 5",
        prom::JOB
    ));
    // Both instances own partitions (else nothing here is split).
    wait("count(hotline_kafka_partitions_owned > 0) == 2");

    // Template variable values: a centre with data this month, and its largest assessed
    // unit that has callbacks and consultations (so the drill-down fills every panel).
    let center = prometheus
        .query(&format!("hotline_orders_dispatched{{month=\"{month}\"}}"))
        .ok()
        .and_then(|r| prom::first_label(&r, "center"))
        .expect("a centre label");
    let sel = format!("center=\"{center}\", month=\"{month}\"");
    let on = "on (center, unit, month)";
    let unit = [
        format!(
            "topk(1, hotline:unit_orders_assigned:sum{{{sel}}} and {on} (hotline:unit_assessed == 1) \
             and {on} (hotline:unit_callbacks_valid:sum > 0) and {on} (hotline:unit_consultations:sum > 0))"
        ),
        format!("topk(1, hotline:unit_orders_assigned:sum{{{sel}}})"),
    ]
    .iter()
    .find_map(|q| prometheus.query(q).ok().and_then(|r| prom::first_label(&r, "unit")))
    .expect("a unit label");
    let values = [
        ("center", center.as_str()),
        ("month", month.as_str()),
        ("unit", unit.as_str()),
        ("instance", ".*"),
        // Panels name their datasource `${datasource}`; the queries themselves do not
        // use it, but a query that did would read this one.
        ("datasource", "prometheus"),
    ];

    let mut queries: Vec<(String, String)> = prom::all_dashboard_queries(&values)
        .into_iter()
        .map(|q| {
            let at = if q.ref_id.is_empty() {
                format!("{} / {}", q.dashboard, q.panel)
            } else {
                format!("{} / {} [{}]", q.dashboard, q.panel, q.ref_id)
            };
            (at, q.expr)
        })
        .collect();
    queries.extend(
        prom::all_recording_rules()
            .into_iter()
            .map(|(name, expr)| (format!("recording rule {name}"), expr)),
    );

    // Two passes: a query empty in the first may only be waiting for its next evaluation.
    let mut errors = Vec::new();
    let mut empty: Vec<&(String, String)> = Vec::new();
    for q in &queries {
        match prometheus.series_count(&q.1) {
            Ok(0) => empty.push(q),
            Ok(_) => {}
            Err(e) => errors.push(format!("{}: {e}\n    {}", q.0, q.1)),
        }
    }
    if !empty.is_empty() {
        std::thread::sleep(Duration::from_secs(5));
        empty.retain(|q| !matches!(prometheus.series_count(&q.1), Ok(n) if n > 0));
    }
    println!(
        "{} queries (center={center}, month={month}, unit={unit}): {} errors, {} empty",
        queries.len(),
        errors.len(),
        empty.len(),
    );
    let mut report = errors;
    report.extend(
        empty
            .iter()
            .map(|q| format!("{}: no series\n    {}", q.0, q.1)),
    );
    assert!(
        report.is_empty(),
        "{} of {} queries failed:\n{}",
        report.len(),
        queries.len(),
        report.join("\n")
    );

    // What the recording rules recompute from the counts summed over both instances
    // (assessment, satisfaction, score with assessment.toml's weights) equals what each
    // instance decides on the whole group's counts (from the views topic), which
    // tests/scale_out.rs checks equals one instance reading every partition. Compared
    // once the stream has been consumed, so that scrape and rule evaluation see the
    // same counts.
    let deadline = Instant::now() + Duration::from_secs(180);
    while !matches!(producer.child.try_wait(), Ok(Some(_))) {
        assert!(
            Instant::now() < deadline,
            "the producer did not finish:\n{}",
            producer.log()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let settled = || {
        prometheus
            .query("sum(hotline_kafka_consumer_lag_messages) == 0")
            .is_ok_and(|r| !r.is_empty())
    };
    while !settled() {
        assert!(
            Instant::now() < deadline,
            "the service did not catch up:\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    // The views reach the other instance within seconds: compared until they agree.
    common::kafka::eventually(
        "the recording rules agree with the service",
        Duration::from_secs(30),
        || agreement(&prometheus, services[0].1, &center, &month),
    );
}

/// What differs between the recording rules and the service: each instance exports
/// assessment and score decided on the group's counts, which must equal the rules'
/// (recomputed from counts summed over the instances) for every unit; and every unit's
/// recorded score, assessment and satisfaction must equal the whole group's figures in
/// an instance's JSON API.
fn agreement(prometheus: &Prometheus, api: SocketAddr, center: &str, month: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let by = "on (center, unit, month) group_left max by (center, unit, month)";
    for (recorded, service) in [
        ("hotline:unit_score", "hotline_unit_score"),
        ("hotline:unit_assessed", "hotline_unit_assessed"),
    ] {
        let count = |q: &str| {
            prometheus
                .series_count(q)
                .unwrap_or_else(|e| panic!("{q}: {e}"))
        };
        let (n, m) = (
            count(recorded),
            count(&format!("max by (center, unit, month) ({service})")),
        );
        if n == 0 || n != m {
            problems.push(format!("{recorded}: {n} series, {service}: {m} units"));
        }
        let differ = format!("abs({recorded} - {by} ({service})) > 1e-9");
        let off = prometheus
            .query(&differ)
            .unwrap_or_else(|e| panic!("{differ}: {e}"));
        if !off.is_empty() {
            problems.push(format!(
                "{recorded} differs from {service} for {} units: {:?}",
                off.len(),
                off.iter().take(3).collect::<Vec<_>>()
            ));
        }
    }

    let path = format!(
        "/api/v1/months/{month}/units?center={}",
        prom::url_encode(center)
    );
    let (status, body) = prom::http_get(api, &path).expect("the units API");
    assert_eq!(status, 200, "{path}: {body}");
    let api: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    if api["completeness"]["complete"] != serde_json::Value::Bool(true) {
        problems.push(format!("incomplete: {}", api["completeness"]));
    }
    let units = api["units"].as_array().expect("units");
    let sel = format!("center=\"{center}\", month=\"{month}\"");
    type Of = fn(&serde_json::Value) -> Option<f64>;
    let fields: [(&str, Of); 3] = [
        ("hotline:unit_score", |u| u["score"].as_f64()),
        ("hotline:unit_assessed", |u| {
            u["assessed"].as_bool().map(|a| if a { 1.0 } else { 0.0 })
        }),
        ("hotline:unit_satisfaction_ratio:monthly", |u| {
            u["ratios"]["satisfaction"].as_f64()
        }),
    ];
    for (name, of) in fields {
        let q = format!("{name}{{{sel}}}");
        let got: BTreeMap<String, f64> = prometheus
            .query(&q)
            .unwrap_or_else(|e| panic!("{q}: {e}"))
            .iter()
            .map(|r| {
                let unit = r["metric"]["unit"].as_str().expect("unit label").to_owned();
                let v = r["value"][1].as_str().expect("value");
                (unit, v.parse().expect("a number"))
            })
            .collect();
        let want: BTreeMap<String, f64> = units
            .iter()
            .filter_map(|u| Some((u["unit"].as_str()?.to_owned(), of(u)?)))
            .collect();
        assert!(!want.is_empty(), "{name}: the API has no unit with one");
        if name == "hotline:unit_assessed" {
            assert!(want.values().any(|v| *v == 1.0), "some unit is assessed");
        }
        for (unit, w) in &want {
            match got.get(unit) {
                Some(g) if (g - w).abs() <= 1e-9 => {}
                g => problems.push(format!("{name}{{unit={unit}}}: recorded {g:?}, API {w}")),
            }
        }
        for unit in got.keys().filter(|u| !want.contains_key(*u)) {
            problems.push(format!("{name}{{unit={unit}}}: recorded, not in the API"));
        }
    }
    problems
}
