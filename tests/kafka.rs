//! The Kafka source against a real Kafka-protocol broker (tansu) on loopback: what
//! the service shows must equal a replay of the same events, whatever crashed.

mod common;

use std::time::Duration;

use common::kafka::{
    committed, consumed, diff, eventually, figures, produce, produce_raw, read_full, read_topic,
    replay_metrics, samples, sim_file, Service, Tansu,
};

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
    // Idle with everything committed: the last-commit time keeps up with the clock,
    // so a quiet night does not look like a stuck commit.
    let last = "hotline_checkpoint_last_success_timestamp_seconds";
    let before = service.metric(last);
    std::thread::sleep(Duration::from_secs(2));
    let after = service.metric(last);
    assert!(after - before >= 1.0, "last commit {before} then {after}");
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
        &["--kafka-option", "session.timeout.ms=30000"],
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
fn a_message_keyed_other_than_its_order_is_dead_lettered_as_key_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (good, _) = sim_file(dir.path(), 300, 8);
    produce(&broker.brokers(), "keys", 2, &[&good], &[]);
    // One order's events split over both partitions under other keys: counted once per
    // partition, the order would be assigned twice.
    let order = |id: &str, kind: &str, rest: &str| {
        format!(
            r#"{{"event_id":"{id}","order_id":"MIS1","type":"{kind}","at":"2024-11-05 10:00:00"{rest}}}"#
        )
    };
    let received = order(
        "m1",
        "received",
        r#","channel":"phone","purpose":"help","disposition":"dispatch""#,
    );
    let dispatched = order(
        "m2",
        "dispatched",
        r#","unit":"市公安局","due_at":"2024-11-10 18:00:00""#,
    );
    produce_raw(
        &broker.brokers(),
        "keys",
        0,
        &[(Some(b"other"), received.as_bytes())],
    );
    produce_raw(
        &broker.brokers(),
        "keys",
        1,
        &[(None, dispatched.as_bytes())],
    );
    let service = Service::start(
        &broker.brokers(),
        "keys",
        "g-keys",
        &dir.path().join("s"),
        &[],
    );
    let want = figures(&replay_metrics(&[&good]), false);
    eventually(
        "the good events, and nothing of the mis-keyed order",
        Duration::from_secs(60),
        || diff(&figures(&samples(&service.metrics()), false), &want, 10),
    );
    assert_eq!(
        service.metric("hotline_events_rejected_total[(\"reason\", \"key_mismatch\")]"),
        2.0
    );
    let dlq = read_topic(&broker.brokers(), "keys.dlq", 2);
    assert_eq!(dlq.len(), 2);
    assert!(dlq
        .iter()
        .all(|(_, r)| r.as_deref() == Some("key_mismatch")));
}

#[test]
fn a_poison_message_too_large_to_dead_letter_whole_is_cut_and_the_partition_moves_on() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (before, _) = sim_file(dir.path(), 200, 9);
    let (after, _) = sim_file(dir.path(), 200, 10);
    // Everything in one partition, the 1.5 MB message between the good ones.
    produce(&broker.brokers(), "poison", 1, &[&before], &[]);
    let poison = format!(
        r#"{{"event_id":"p","order_id":"P1","pad":"{}"}}"#,
        "x".repeat(1_500_000)
    );
    produce_raw(
        &broker.brokers(),
        "poison",
        0,
        &[(Some(b"P1"), poison.as_bytes())],
    );
    produce(&broker.brokers(), "poison", 1, &[&after], &[]);
    let service = Service::start(
        &broker.brokers(),
        "poison",
        "g-poison",
        &dir.path().join("s"),
        &[],
    );
    let want = figures(&replay_metrics(&[&before, &after]), false);
    eventually(
        "good events around the poison applied",
        Duration::from_secs(60),
        || diff(&figures(&samples(&service.metrics()), false), &want, 10),
    );
    let dlq = read_full(&broker.brokers(), "poison.dlq", 1);
    assert_eq!(
        dlq.len(),
        1,
        "the poison message is in the dead-letter topic"
    );
    let (key, payload, headers) = &dlq[0];
    assert_eq!(key.as_deref(), Some(&b"P1"[..]));
    assert!(payload.len() <= 1_000_000 && poison.as_bytes().starts_with(payload));
    assert_eq!(
        headers.get("hotline-reject-reason").map(String::as_str),
        Some("too_large")
    );
    assert_eq!(
        headers.get("hotline-original-size").map(String::as_str),
        Some(poison.len().to_string().as_str())
    );
    eventually(
        "ready, offsets committed past it",
        Duration::from_secs(30),
        || {
            let c = committed(&broker.brokers(), "g-poison", "poison", 1);
            let n = (consumed(&service) as i64).max(1);
            if service.ready() && c.get(&0) == Some(&n) {
                vec![]
            } else {
                vec![format!(
                    "ready {}, committed {c:?} of {n}",
                    service.readiness()
                )]
            }
        },
    );
}

#[test]
fn a_failed_dead_letter_delivery_holds_the_partition_until_it_is_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (good, n_good) = sim_file(dir.path(), 300, 11);
    produce(&broker.brokers(), "hold", 1, &[&good], &[]);
    let service = Service::start(
        &broker.brokers(),
        "hold",
        "g-hold",
        &dir.path().join("s"),
        &[
            "--kafka-option",
            "message.timeout.ms=2000",
            // The producers learn of the deleted topic from their next metadata
            // refresh; until then tansu accepts writes to a topic it no longer lists.
            "--kafka-option",
            "topic.metadata.refresh.interval.ms=200",
        ],
    );
    eventually("caught up", Duration::from_secs(60), || {
        let c = committed(&broker.brokers(), "g-hold", "hold", 1);
        if service.ready() && c.get(&0) == Some(&(n_good as i64)) {
            vec![]
        } else {
            vec![format!("{} committed {c:?}", service.readiness())]
        }
    });
    // The dead-letter topic goes away: copies cannot be delivered.
    broker.topic(&["delete", "hold.dlq"]);
    std::thread::sleep(Duration::from_secs(1));
    let bad = br#"{not json"#;
    let (later, _) = sim_file(dir.path(), 50, 12);
    produce_raw(&broker.brokers(), "hold", 0, &[(None, bad)]);
    produce(&broker.brokers(), "hold", 1, &[&later], &[]);
    eventually(
        "held, not ready, not committed past the bad message",
        Duration::from_secs(60),
        || {
            let c = committed(&broker.brokers(), "g-hold", "hold", 1);
            let errors = service.metric("hotline_dead_letter_errors_total");
            if service.readiness().contains("dead_letter_failing")
                && errors >= 1.0
                && c.get(&0).is_some_and(|&o| o <= n_good as i64)
            {
                vec![]
            } else {
                vec![format!(
                    "{} errors {errors} committed {c:?}",
                    service.readiness()
                )]
            }
        },
    );
    // Once the topic is back, the retried copy lands and the partition moves on.
    broker.topic(&["create", "hold.dlq", "--partitions", "1"]);
    eventually(
        "delivered, ready, committed past it",
        Duration::from_secs(90),
        || {
            let c = committed(&broker.brokers(), "g-hold", "hold", 1);
            let n = consumed(&service) as i64;
            if service.ready() && c.get(&0) == Some(&n) && n > n_good as i64 {
                vec![]
            } else {
                vec![format!("{} committed {c:?} of {n}", service.readiness())]
            }
        },
    );
    let dlq = read_full(&broker.brokers(), "hold.dlq", 1);
    assert_eq!(dlq.len(), 1);
    assert_eq!(dlq[0].1, bad.to_vec(), "the copy, unchanged");
    let want = figures(&replay_metrics(&[&good, &later]), false);
    eventually("every good event applied", Duration::from_secs(30), || {
        diff(&figures(&samples(&service.metrics()), false), &want, 10)
    });
}

#[test]
fn sigterm_stops_the_service_and_its_partitions_move_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (file, n) = sim_file(dir.path(), 400, 7);
    produce(&broker.brokers(), "term", 2, &[&file], &[]);
    let mut first = Service::start(
        &broker.brokers(),
        "term",
        "g-term",
        &dir.path().join("a"),
        &[],
    );
    eventually("all consumed", Duration::from_secs(60), || {
        let c = consumed(&first) as usize;
        if c == n {
            vec![]
        } else {
            vec![format!("{c} of {n}")]
        }
    });
    // Closing the consumer once waited forever for an unassign that nobody made (the
    // rebalance callback only records, and the loop had already returned).
    let pid = first.pid().expect("running");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(first.stop());
    });
    let status = rx.recv_timeout(Duration::from_secs(60));
    if status.is_err() {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    let status = status.expect("the service did not exit within 60 s of SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    // It left the group: a new member gets every partition now, not after the
    // session timeout, and restores the state from the changelog.
    let second = Service::start(
        &broker.brokers(),
        "term",
        "g-term",
        &dir.path().join("b"),
        &[],
    );
    eventually("restored", Duration::from_secs(20), || {
        let owned = second.metric("hotline_kafka_partitions_owned");
        if owned == 2.0 && second.metric("hotline_restored_orders_total") > 0.0 {
            vec![]
        } else {
            vec![format!("owns {owned} partitions")]
        }
    });
    assert_eq!(consumed(&second), 0.0, "nothing read again from the input");
}

/// The producer's queue full while the brokers are away (a tiny queue here; 100,000
/// records or 1 GB by default): workers waiting for room once ignored SIGTERM until
/// librdkafka expired the queued records (`message.timeout.ms`, 5 minutes by default).
/// Now the service exits within its grace, and the next owner loses nothing.
#[test]
fn sigterm_while_the_producer_queue_is_full_in_an_outage_exits_within_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (file, _) = sim_file(dir.path(), 20_000, 9);
    produce(&broker.brokers(), "full", 1, &[&file], &[]);
    let mut service = Service::start(
        &broker.brokers(),
        "full",
        "g-full",
        &dir.path().join("a"),
        &[
            "--kafka-option",
            "queue.buffering.max.messages=20",
            "--kafka-option",
            "session.timeout.ms=30000",
        ],
    );
    eventually("consuming", Duration::from_secs(60), || {
        if consumed(&service) > 0.0 {
            vec![]
        } else {
            vec!["nothing consumed yet".into()]
        }
    });
    broker.pause();
    std::thread::sleep(Duration::from_secs(2));
    let pid = service.pid().expect("running");
    let (tx, rx) = std::sync::mpsc::channel();
    let stopping = std::thread::spawn(move || {
        let status = service.stop();
        let _ = tx.send(status);
        service
    });
    let status = rx.recv_timeout(Duration::from_secs(60));
    if status.is_err() {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    broker.resume();
    let status = status.expect("the service did not exit within 60 s of SIGTERM");
    let service = stopping.join().expect("stopped");
    assert!(
        status.success(),
        "exit status {status:?}; log:\n{}",
        service.log_text()
    );
    let next = Service::start(
        &broker.brokers(),
        "full",
        "g-full",
        &dir.path().join("b"),
        &[],
    );
    let want = figures(&replay_metrics(&[&file]), false);
    eventually(
        "the next owner has every event",
        Duration::from_secs(120),
        || diff(&figures(&samples(&next.metrics()), false), &want, 10),
    );
}
