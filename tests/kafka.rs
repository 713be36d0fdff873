//! The Kafka source against a real Kafka-protocol broker (tansu) on loopback: what
//! the service shows must equal a replay of the same events, whatever crashed.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::kafka::{
    diff, eventually, figures, produce, replay_metrics, samples, simulate, sum, Service, Tansu,
    BIN, KAFKA_OPTIONS,
};

fn sim_file(dir: &Path, orders: u32, seed: u32) -> (std::path::PathBuf, usize) {
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

fn consumed(s: &Service) -> f64 {
    samples(&s.metrics())
        .iter()
        .filter(|(k, _)| k.starts_with("hotline_kafka_messages_consumed_total"))
        .map(|(_, v)| v)
        .sum()
}

#[test]
fn consuming_a_topic_equals_replaying_its_events() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (file, n) = sim_file(dir.path(), 3000, 1);
    produce(&broker.brokers(), "equal", 4, &[&file], &[]);
    let service = Service::start(
        &broker.brokers(),
        "equal",
        "g-equal",
        &dir.path().join("state"),
        &[],
    );
    let want = figures(&replay_metrics(&[&file]), false);
    assert!(want.len() > 500, "the replay shows figures");
    eventually("service vs replay", Duration::from_secs(60), || {
        let got = samples(&service.metrics());
        diff(&figures(&got, false), &want, 10)
    });
    assert_eq!(consumed(&service) as usize, n);
    // Lag is refreshed every 2 s.
    eventually("lag 0", Duration::from_secs(10), || {
        let m = samples(&service.metrics());
        let lags: Vec<f64> = m
            .iter()
            .filter(|(k, _)| k.starts_with("hotline_kafka_consumer_lag_messages"))
            .map(|(_, v)| *v)
            .collect();
        if lags.len() == 4 && lags.iter().all(|l| *l == 0.0) {
            vec![]
        } else {
            vec![format!("lags {lags:?}")]
        }
    });
    eventually("ready", Duration::from_secs(10), || {
        if service.ready() {
            vec![]
        } else {
            vec!["not ready".into()]
        }
    });
}

#[test]
fn kill_9_at_any_point_loses_nothing_and_counts_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (file, n) = sim_file(dir.path(), 6000, 2);
    // The producer runs while the service is killed and restarted.
    let mut producer = spawn_producer(&broker.brokers(), "crash", 3, 1000, &file);
    let state = dir.path().join("state");
    let mut service = Service::start(
        &broker.brokers(),
        "crash",
        "g-crash",
        &state,
        &["--checkpoint-events", "300", "--checkpoint-secs", "1"],
    );
    // Each restart waits out the killed member's session (session.timeout.ms = 6 s): see
    // the two-instance test for why tansu needs that.
    let restart = |s: &mut Service| {
        std::thread::sleep(Duration::from_secs(7));
        s.restart();
    };
    // 1: a plain kill after some progress.
    std::thread::sleep(Duration::from_secs(3));
    service.kill9();
    restart(&mut service);
    // 2: kill while a checkpoint is being written (its temp file exists).
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut hit = false;
    while Instant::now() < deadline && !hit {
        hit = walk(&state)
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "tmp"));
        if !hit {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    service.kill9();
    assert!(hit, "saw a checkpoint in progress to kill");
    restart(&mut service);
    // 3: another kill shortly after a restart (during restore/catch-up).
    std::thread::sleep(Duration::from_millis(1500));
    service.kill9();
    restart(&mut service);
    assert!(producer.wait().unwrap().success());
    let want = figures(&replay_metrics(&[&file]), false);
    eventually(
        "service after crashes vs replay",
        Duration::from_secs(90),
        || diff(&figures(&samples(&service.metrics()), false), &want, 10),
    );
    assert!(n > 10_000);
    // Checkpoints are replayable JSON Lines with a header and a trailer.
    let ckpt = walk(&state)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .expect("a checkpoint");
    let text = std::fs::read_to_string(ckpt).unwrap();
    assert!(text.starts_with("{\"hotline_pulse_checkpoint\":1"));
    assert!(
        text.trim_end().ends_with('}') && text.lines().last().unwrap().starts_with("{\"end\":true")
    );
}

/// `produce` at `rate` events/s in the background, while the test kills and restarts.
fn spawn_producer(
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

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
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

#[test]
fn two_instances_share_the_partitions_and_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (file, _) = sim_file(dir.path(), 5000, 3);
    let mut producer = spawn_producer(&broker.brokers(), "pair", 4, 2500, &file);
    let extra = ["--checkpoint-events", "500", "--checkpoint-secs", "1"];
    let mut a = Service::start(
        &broker.brokers(),
        "pair",
        "g-pair",
        &dir.path().join("a"),
        &extra,
    );
    let b = Service::start(
        &broker.brokers(),
        "pair",
        "g-pair",
        &dir.path().join("b"),
        &extra,
    );
    std::thread::sleep(Duration::from_secs(4));
    a.kill9();
    // Restart A after its old session (session.timeout.ms = 6 s) has expired. tansu 0.6
    // expels an expired member only when someone joins, and keeps the partitions of a
    // member that is still within its session when a new one joins (seen here, and it
    // then never hands them over); Apache Kafka rebalances as soon as a session expires.
    std::thread::sleep(Duration::from_secs(8));
    a.restart();
    assert!(producer.wait().unwrap().success());
    let want = figures(&replay_metrics(&[&file]), true);
    eventually("A + B vs replay", Duration::from_secs(120), || {
        let got = sum(&[
            figures(&samples(&a.metrics()), true),
            figures(&samples(&b.metrics()), true),
        ]);
        diff(&got, &want, 10)
    });
    // Both share the work once the group settles, and the figures are still those of
    // the replay after the last rebalance.
    let owned = |s: &Service| {
        samples(&s.metrics())
            .get("hotline_kafka_partitions_owned[]")
            .copied()
            .unwrap_or(0.0)
    };
    eventually(
        "every partition owned by one of the two",
        Duration::from_secs(30),
        || {
            let (x, y) = (owned(&a), owned(&b));
            if x + y == 4.0 && x > 0.0 && y > 0.0 {
                vec![]
            } else {
                vec![format!("A owns {x}, B owns {y}")]
            }
        },
    );
    eventually(
        "A + B vs replay after settling",
        Duration::from_secs(60),
        || {
            let got = sum(&[
                figures(&samples(&a.metrics()), true),
                figures(&samples(&b.metrics()), true),
            ]);
            diff(&got, &want, 10)
        },
    );
}

#[test]
fn malformed_messages_are_counted_and_dead_lettered_and_the_rest_applied() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (good, n_good) = sim_file(dir.path(), 500, 4);
    let bad: Vec<(String, &str)> = vec![
        ("{not json".into(), "invalid_json"),
        ("[1,2,3]".into(), "not_object"),
        (format!(r#"{{"event_id":"big","pad":"{}"}}"#, "x".repeat(70_000)), "too_large"),
        (r#"{"event_id":"m","order_id":"X1","type":"completed","at":"2024-11-02 10:00:00"}"#.into(), "missing_field"),
        (r#"{"event_id":"u","order_id":"X1","type":"closed","at":"2024-11-02 10:00:00"}"#.into(), "unknown_type"),
        (r#"{"event_id":"v","order_id":"X1","type":"received","at":"2024-11-02 10:00:00","channel":"fax","purpose":"help","disposition":"dispatch"}"#.into(), "invalid_value"),
        (r#"{"event_id":"t","order_id":"X1","type":"completed","at":"2024-11-31 10:00:00","unit":"u"}"#.into(), "bad_timestamp"),
    ];
    let salted = dir.path().join("salted.jsonl");
    let mut text = String::new();
    for (i, line) in std::fs::read_to_string(&good).unwrap().lines().enumerate() {
        text.push_str(line);
        text.push('\n');
        if i % 100 == 0 {
            let (b, _) = &bad[(i / 100) % bad.len()];
            text.push_str(b);
            text.push('\n');
        }
    }
    for (b, _) in &bad {
        text.push_str(b);
        text.push('\n');
    }
    std::fs::write(&salted, &text).unwrap();
    let n_bad = text.lines().count() - n_good;
    produce(&broker.brokers(), "salted", 2, &[&salted], &[]);
    let service = Service::start(
        &broker.brokers(),
        "salted",
        "g-salted",
        &dir.path().join("state"),
        &[],
    );
    let want = figures(&replay_metrics(&[&good]), false);
    eventually("good events applied", Duration::from_secs(60), || {
        diff(&figures(&samples(&service.metrics()), false), &want, 10)
    });
    let m = samples(&service.metrics());
    let count = |prefix: &str, reason: &str| {
        m.get(&format!("{prefix}[(\"reason\", \"{reason}\")]"))
            .copied()
            .unwrap_or(0.0)
    };
    let mut expected = std::collections::BTreeMap::<&str, f64>::new();
    for line in text.lines() {
        if let Some((_, r)) = bad.iter().find(|(b, _)| b == line) {
            *expected.entry(r).or_default() += 1.0;
        }
    }
    for (reason, n) in &expected {
        assert_eq!(
            count("hotline_events_rejected_total", reason),
            *n,
            "rejected {reason}"
        );
    }
    eventually("dead letters acknowledged", Duration::from_secs(20), || {
        let m = samples(&service.metrics());
        let dl: f64 = m
            .iter()
            .filter(|(k, _)| k.starts_with("hotline_dead_letter_messages_total"))
            .map(|(_, v)| v)
            .sum();
        if dl as usize == n_bad {
            vec![]
        } else {
            vec![format!("{dl} of {n_bad} dead-lettered")]
        }
    });
    // The dead-letter topic holds every bad message unchanged, with its reason.
    let dlq = read_topic(&broker.brokers(), "salted.dlq", n_bad);
    assert_eq!(dlq.len(), n_bad);
    for (payload, reason) in &dlq {
        let (orig, want_reason) = bad
            .iter()
            .find(|(b, _)| b.as_bytes() == payload.as_slice())
            .expect("a DLQ payload equals a bad line byte for byte");
        assert_eq!(
            reason.as_deref(),
            Some(*want_reason),
            "reason header of {}",
            &orig[..orig.len().min(40)]
        );
    }
}

/// Reads `n` messages of a topic: (payload, reject-reason header).
fn read_topic(brokers: &str, topic: &str, n: usize) -> Vec<(Vec<u8>, Option<String>)> {
    use rdkafka::config::ClientConfig;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::{Headers, Message};
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("reader-{topic}"))
        .set("auto.offset.reset", "earliest")
        .set("fetch.wait.max.ms", "5")
        .create()
        .unwrap();
    c.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while out.len() < n && Instant::now() < deadline {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
            let reason = m.headers().and_then(|h| {
                h.iter()
                    .find(|x| x.key == hotline_pulse::source::kafka::REASON_HEADER)
                    .and_then(|x| x.value.map(|v| String::from_utf8_lossy(v).into_owned()))
            });
            out.push((m.payload().unwrap_or(&[]).to_vec(), reason));
        }
    }
    out
}

#[test]
fn a_broker_outage_mid_stream_is_survived_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (first, _) = sim_file(dir.path(), 1500, 5);
    let (second, _) = sim_file(dir.path(), 1500, 6);
    produce(&broker.brokers(), "outage", 2, &[&first], &[]);
    // The outage stays within the group session: tansu 0.6's coordinator does not expire
    // a member that went silent during a broker freeze (seen here: the group then waits
    // for that phantom leader forever), which Apache Kafka does.
    let service = Service::start(
        &broker.brokers(),
        "outage",
        "g-outage",
        &dir.path().join("state"),
        &[
            "--checkpoint-secs",
            "1",
            "--kafka-option",
            "session.timeout.ms=30000",
        ],
    );
    eventually("first half", Duration::from_secs(60), || {
        diff(
            &figures(&samples(&service.metrics()), false),
            &figures(&replay_metrics(&[&first]), false),
            5,
        )
    });
    eventually("ready", Duration::from_secs(20), || {
        if service.ready() {
            vec![]
        } else {
            vec!["not ready".into()]
        }
    });
    broker.pause();
    eventually("outage shown", Duration::from_secs(30), || {
        let m = samples(&service.metrics());
        let connected = m.get("hotline_kafka_connected[]").copied();
        if connected == Some(0.0) && !service.ready() {
            vec![]
        } else {
            vec![format!(
                "connected {connected:?}, ready {}",
                service.ready()
            )]
        }
    });
    std::thread::sleep(Duration::from_secs(2));
    broker.resume();
    produce(&broker.brokers(), "outage", 2, &[&second], &[]);
    let want = figures(&replay_metrics(&[&first, &second]), false);
    eventually("after the outage", Duration::from_secs(90), || {
        diff(&figures(&samples(&service.metrics()), false), &want, 10)
    });
    eventually("ready again", Duration::from_secs(30), || {
        if service.ready() {
            vec![]
        } else {
            vec!["not ready".into()]
        }
    });
}

#[test]
fn sigterm_checkpoints_and_a_restart_resumes_without_rereading() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (file, n) = sim_file(dir.path(), 1000, 7);
    produce(&broker.brokers(), "term", 2, &[&file], &[]);
    let state = dir.path().join("state");
    let mut service = Service::start(
        &broker.brokers(),
        "term",
        "g-term",
        &state,
        &["--checkpoint-secs", "3600"],
    );
    let want = figures(&replay_metrics(&[&file]), false);
    eventually("consumed", Duration::from_secs(60), || {
        diff(&figures(&samples(&service.metrics()), false), &want, 5)
    });
    let status = service.stop();
    assert!(
        status.success(),
        "clean exit on SIGTERM: {status:?}\n{}",
        service.log_text()
    );
    assert!(
        walk(&state)
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "jsonl")),
        "checkpoint written on shutdown despite the 1 h interval"
    );
    service.restart();
    eventually("restored", Duration::from_secs(30), || {
        diff(&figures(&samples(&service.metrics()), false), &want, 5)
    });
    // Restored from the checkpoint, not re-read: nothing consumed after the restart.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        consumed(&service),
        0.0,
        "{n} messages were covered by the checkpoint"
    );
}
