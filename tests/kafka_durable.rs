//! A broker restart that really stops the broker: tansu keeps its data in PostgreSQL, is
//! stopped (SIGTERM, process gone) for a minute while a producer feeds a month at a
//! steady rate and the service consumes it, then started again on the same port and
//! storage. Nothing may be lost or counted twice, and the outage must show.

mod common;

use std::time::{Duration, Instant};

use common::durable::{DurableBroker, CLIENT_OPTIONS};
use common::kafka::{
    committed, diff, eventually, figures, replay_metrics, samples, sim_file, spawn_producer,
    Service,
};

const TOPIC: &str = "durable";
const GROUP: &str = "g-durable";
const PARTITIONS: u32 = 3;
/// About 14,000 events at 150 a second: some 90 s of traffic around the minute's outage.
const ORDERS: u32 = 8000;
const RATE: u32 = 150;
const OUTAGE: Duration = Duration::from_secs(60);

/// `--kafka-option` pairs for the service.
fn client_args() -> Vec<&'static str> {
    CLIENT_OPTIONS
        .iter()
        .flat_map(|o| ["--kafka-option", *o])
        .collect()
}

fn consumed(s: &Service) -> f64 {
    s.metric("hotline_kafka_messages_consumed_total")
}

#[test]
fn a_broker_stopped_for_a_minute_mid_stream_loses_nothing_and_the_outage_shows() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = DurableBroker::start();
    let (file, n) = sim_file(dir.path(), ORDERS, 21);

    // The service starts before its input topic exists, as it may when deployed ahead
    // of its producers: the changelog is then made at the first assignment.
    let service = Service::start(
        &broker.brokers(),
        TOPIC,
        GROUP,
        &dir.path().join("state"),
        &client_args(),
    );
    eventually("subscribed", Duration::from_secs(30), || {
        match service.readiness().as_str() {
            "not ready: waiting_for_assignment" => vec![],
            other => vec![other.to_owned()],
        }
    });
    // The producer runs through the outage: librdkafka's idempotent producer keeps
    // what it could not deliver and retries it (message.timeout.ms is 5 minutes),
    // with the sequence numbers tansu kept in PostgreSQL telling retries from new
    // messages.
    let mut producer = Reaped(spawn_producer(
        &broker.brokers(),
        TOPIC,
        PARTITIONS,
        RATE,
        &file,
    ));

    // Mid-stream: a fifth of the month consumed.
    eventually("a fifth consumed", Duration::from_secs(90), || {
        let c = consumed(&service);
        if c >= n as f64 / 5.0 && service.ready() {
            vec![]
        } else {
            vec![format!("{c} of {n} consumed, {}", service.readiness())]
        }
    });
    let stored_before = broker.stored_records(TOPIC);
    let committed_before: i64 = committed(&broker.brokers(), GROUP, TOPIC, PARTITIONS as i32)
        .values()
        .sum();
    assert!(committed_before > 0, "offsets committed before the stop");
    broker.stop_broker();
    let stopped = Instant::now();
    let consumed_at_stop = consumed(&service);

    // The outage shows within seconds and keeps showing until the broker is back.
    let mut shown_at = None;
    let mut lapses = Vec::new();
    while stopped.elapsed() < OUTAGE {
        let m = samples(&service.metrics());
        let connected = m.get("hotline_kafka_connected[]").copied();
        let readiness = service.readiness();
        let down = connected == Some(0.0) && readiness.starts_with("not ready");
        match (shown_at, down) {
            (None, true) => shown_at = Some(stopped.elapsed()),
            (Some(_), false) => lapses.push(format!(
                "at {:?}: connected {connected:?}, {readiness}",
                stopped.elapsed()
            )),
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let shown_at = shown_at.expect("the outage never showed: connected 0 and not ready");
    assert!(
        shown_at < Duration::from_secs(15),
        "the outage took {shown_at:?} to show"
    );
    assert!(
        lapses.is_empty(),
        "the outage stopped showing while the broker was down:\n{}",
        lapses.join("\n")
    );

    // The changelog as the stop left it: orders rewritten since they were first written.
    let changelog = format!("{TOPIC}.changelog");
    let stopped_at = broker.now();
    let (records, keys) = broker.records_and_keys(&changelog, &stopped_at);
    assert!(
        records > keys,
        "the changelog holds rewritten orders before the restart ({records} records, {keys} keys)"
    );

    broker.start_broker();
    // What was stored before the stop is still there: the records and the group's
    // committed offsets.
    assert!(
        broker.stored_records(TOPIC) >= stored_before,
        "records lost across the restart"
    );
    let committed_after: i64 = committed(&broker.brokers(), GROUP, TOPIC, PARTITIONS as i32)
        .values()
        .sum();
    assert!(
        committed_after >= committed_before,
        "committed offsets went back across the restart: {committed_before} -> {committed_after}"
    );
    // tansu compacts at start-up (then every 10 minutes): the restores that follow read
    // a changelog with gaps, the latest record of each key kept.
    eventually("the changelog compacted", Duration::from_secs(30), || {
        let (records, keys) = broker.records_and_keys(&changelog, &stopped_at);
        if records == keys {
            vec![]
        } else {
            vec![format!("{records} records, {keys} keys")]
        }
    });

    let status = wait_exit(&mut producer.0, Duration::from_secs(120));
    assert!(
        status.success(),
        "the producer failed across the outage: {status}"
    );
    assert_eq!(
        broker.stored_records(TOPIC),
        n as u64,
        "the topic holds each event once (no retry stored twice, none lost)"
    );

    let want = figures(&replay_metrics(&[&file]), false);
    eventually(
        "service vs replay after the restart",
        Duration::from_secs(90),
        || diff(&figures(&samples(&service.metrics()), false), &want, 10),
    );
    // The service resumed from its committed offsets, not from the start: it read again
    // at most what it had consumed but not committed when the broker stopped.
    let reread = consumed(&service) - n as f64;
    assert!(
        reread <= consumed_at_stop - committed_before as f64,
        "{reread} messages read twice; at the stop {consumed_at_stop} were consumed, \
         {committed_before} committed"
    );
    eprintln!(
        "{n} events; outage shown after {shown_at:?}; changelog {records} records of {keys} \
         keys compacted at the restart; {committed_before} committed before the stop, \
         {reread} read twice"
    );
    eventually("ready again", Duration::from_secs(30), || {
        if service.ready() && service.metric("hotline_kafka_connected") == 1.0 {
            vec![]
        } else {
            vec![service.readiness()]
        }
    });
}

/// A child process killed if the test ends first.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_exit(child: &mut std::process::Child, timeout: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(s) = child.try_wait().expect("producer status") {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the producer did not finish within {timeout:?} of the restart");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
