//! Every Grafana panel query and every recording rule returns data from a real
//! Prometheus scraping the real service.
//!
//! The service consumes a fresh topic of a real Kafka-protocol broker (tansu, started
//! here; or `HOTLINE_TEST_BROKERS=host:port`), filled with a simulated month and a few
//! malformed messages (so the dead-letter panels have data), and every query must
//! return data.

mod common;

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
    let port = prom::free_port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));

    let mut cmd = hotline_pulse();
    cmd.arg("serve")
        .arg("--listen")
        .arg(addr.to_string())
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .arg("--config")
        .arg(prom::deploy_dir().join("config/assessment.toml"))
        .arg("--unit-registry")
        .arg(prom::deploy_dir().join("config/units.toml"));
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
    cmd.args(["--brokers", &brokers, "--topic", &topic])
        .args(["--group", &format!("deploy-dashboards-{unique}")])
        .args(["--dlq-topic", &format!("{topic}.dlq")]);
    let mut service = Proc::spawn(cmd, dir.path().join("serve.log"));
    wait_healthy(&mut service, addr, Duration::from_secs(60));

    let prometheus =
        Prometheus::start(&addr.to_string(), &prom::rule_files()).unwrap_or_else(|e| panic!("{e}"));
    let month = current_month_utc8();
    let wait = |q: &str| {
        prometheus
            .wait_for_series(q, Duration::from_secs(90))
            .unwrap_or_else(|e| {
                panic!(
                    "no data: {e}\nservice log:\n{}\nprometheus log:\n{}",
                    service.log(),
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

    // With one instance reading every partition, what the recording rules recompute from
    // the summed counts (assessment, satisfaction, score with assessment.toml's weights)
    // equals what the service computes itself. Compared once the stream has been
    // consumed, so that scrape and rule evaluation see the same counts.
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
        assert!(Instant::now() < deadline, "the service did not catch up");
        std::thread::sleep(Duration::from_millis(500));
    }
    std::thread::sleep(Duration::from_secs(4));
    let by = "on (center, unit, month) group_left max by (center, unit, month)";
    for (recorded, service, what) in [
        ("hotline:unit_score", "hotline_unit_score", "score"),
        (
            "hotline:unit_assessed",
            "hotline_unit_assessed",
            "assessment",
        ),
        (
            "hotline:unit_satisfaction_ratio:monthly",
            "hotline_unit_satisfaction_ratio",
            "satisfaction",
        ),
    ] {
        let count = |q: &str| {
            prometheus
                .series_count(q)
                .unwrap_or_else(|e| panic!("{q}: {e}"))
        };
        let n = count(recorded);
        assert!(n > 0, "no {recorded}");
        assert_eq!(
            n,
            count(&format!("max by (center, unit, month) ({service})")),
            "{what}: the rules and the service disagree on which units have one"
        );
        let differ = format!("abs({recorded} - {by} ({service})) > 1e-9");
        let off = prometheus
            .query(&differ)
            .unwrap_or_else(|e| panic!("{differ}: {e}"));
        assert!(
            off.is_empty(),
            "{what}: the recording rule differs from the service for {} units: {:?}",
            off.len(),
            off.iter().take(3).collect::<Vec<_>>()
        );
    }
}
