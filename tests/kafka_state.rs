//! The state lives in Kafka: a partition is restored from its changelog on whichever
//! instance it lands on, with no local file and without reading the input again; the
//! local cache only shortens restores, and a foreign or corrupt one is ignored.

mod common;

use std::path::Path;
use std::time::Duration;

use common::kafka::{
    commit_ends, committed, consumed, diff, eventually, figures, produce, produce_raw,
    replay_metrics, replay_metrics_with, samples, sim_file, simulate, spawn_producer, sum, walk,
    Service, Tansu,
};

fn same_as(service: &Service, want: &std::collections::BTreeMap<String, f64>) -> Vec<String> {
    diff(&figures(&samples(&service.metrics()), false), want, 10)
}

#[test]
fn a_restart_on_an_empty_state_dir_restores_from_the_changelog_without_rereading() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (file, n) = sim_file(dir.path(), 2000, 21);
    produce(&broker.brokers(), "empty", 3, &[&file], &[]);
    let state = dir.path().join("state");
    // Ready only with no lag at all: an instance that takes over a partition at its end
    // while it is idle must see it is caught up (it is handed no message to say so).
    let strict = ["--ready-max-lag", "0"];
    let mut service = Service::start(&broker.brokers(), "empty", "g-empty", &state, &strict);
    let want = figures(&replay_metrics(&[&file]), false);
    eventually("consumed", Duration::from_secs(60), || {
        same_as(&service, &want)
    });
    assert_eq!(consumed(&service) as usize, n);
    let status = service.stop();
    assert!(status.success(), "clean exit: {status:?}");
    // A pod on a new node: nothing local.
    std::fs::remove_dir_all(&state).unwrap();
    service.restart();
    eventually(
        "restored from the changelog",
        Duration::from_secs(60),
        || same_as(&service, &want),
    );
    eventually("ready", Duration::from_secs(30), || {
        if service.ready() {
            vec![]
        } else {
            vec![service.readiness()]
        }
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        consumed(&service),
        0.0,
        "the input below the committed offsets is not read again"
    );
    assert!(service.metric("hotline_restored_orders_total") > 0.0);
    assert!(
        service.metric("hotline_state_cache_total[(\"result\", \"missing\")]") >= 3.0,
        "no cache was there"
    );
}

#[test]
fn the_local_cache_shortens_restores_and_a_foreign_or_corrupt_one_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (file, _) = sim_file(dir.path(), 1500, 22);
    produce(&broker.brokers(), "cache", 3, &[&file], &[]);
    let state = dir.path().join("state");
    let mut service = Service::start(&broker.brokers(), "cache", "g-cache", &state, &[]);
    let want = figures(&replay_metrics(&[&file]), false);
    eventually("consumed", Duration::from_secs(60), || {
        same_as(&service, &want)
    });
    assert!(service.stop().success());
    let caches: Vec<_> = walk(&state)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "cache"))
        .collect();
    assert_eq!(
        caches.len(),
        3,
        "one cache per partition, written on shutdown"
    );
    service.restart();
    eventually("restored from the cache", Duration::from_secs(60), || {
        same_as(&service, &want)
    });
    assert_eq!(
        service.metric("hotline_state_cache_total[(\"result\", \"used\")]"),
        3.0
    );
    assert!(service.stop().success());
    // One cache corrupt (a byte of its body flipped), one foreign (another partition's
    // file in its place): both ignored, with a log line and a metric; the changelog
    // still holds everything.
    let by_partition = |n: i32| {
        caches
            .iter()
            .find(|p| p.ends_with(format!("partition-{n}.cache")))
            .expect("cache file")
            .clone()
    };
    let mut bytes = std::fs::read(by_partition(0)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x5a;
    std::fs::write(by_partition(0), &bytes).unwrap();
    std::fs::copy(by_partition(2), by_partition(1)).unwrap();
    service.restart();
    eventually(
        "restored despite the bad caches",
        Duration::from_secs(60),
        || same_as(&service, &want),
    );
    assert_eq!(
        service.metric("hotline_state_cache_total[(\"result\", \"corrupt\")]"),
        1.0
    );
    assert_eq!(
        service.metric("hotline_state_cache_total[(\"result\", \"foreign\")]"),
        1.0
    );
    let log = service.log_text();
    assert!(
        log.matches("local cache ignored").count() >= 2,
        "the ignored caches are logged"
    );
}

/// `file` cut into `n` consecutive parts.
fn split(dir: &Path, file: &Path, n: usize) -> Vec<std::path::PathBuf> {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let size = lines.len().div_ceil(n);
    lines
        .chunks(size)
        .enumerate()
        .map(|(i, part)| {
            let p = dir.join(format!("part-{i}.jsonl"));
            std::fs::write(&p, part.join("\n") + "\n").unwrap();
            p
        })
        .collect()
}

/// An owner that was replaced without knowing (here: other claims appended to its
/// changelog partitions while it runs) keeps writing; restores skip what it wrote after
/// the other claim, its local cache is not written, and the next owner reads the input
/// again from the last frontier it can trust — from the start when there is none.
#[test]
fn an_owner_replaced_without_knowing_writes_no_cache_and_its_successor_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let parts = split(dir.path(), &sim_file(dir.path(), 1500, 24).0, 2);
    let (topic, group) = ("zombie", "g-zombie");
    let brokers = broker.brokers();
    let changelog = format!("{topic}.changelog");
    let claim = |p: i32| produce_raw(&brokers, &changelog, p, &[(Some(b"\0claim"), b"")]);
    broker.topic(&["create", topic, "--partitions", "3"]);
    let state = dir.path().join("state");
    let mut service = Service::start(&brokers, topic, group, &state, &[]);
    eventually("restored, nothing to read", Duration::from_secs(60), || {
        if service.ready() {
            vec![]
        } else {
            vec![service.readiness()]
        }
    });
    // Partition 1: claimed by another before this owner wrote any frontier.
    claim(1);
    produce(&brokers, topic, 3, &[&parts[0]], &[]);
    let first = figures(&replay_metrics(&[&parts[0]]), false);
    eventually("consumed and committed", Duration::from_secs(60), || {
        let mut d = same_as(&service, &first);
        if committed(&brokers, group, topic, 3).values().sum::<i64>() < consumed(&service) as i64 {
            d.push("not committed yet".into());
        }
        d
    });
    // Partition 0: claimed by another after this owner's frontier for the first part.
    claim(0);
    produce(&brokers, topic, 3, &[&parts[1]], &[]);
    let both = figures(&replay_metrics(&[&parts[0], &parts[1]]), false);
    eventually("consumed", Duration::from_secs(60), || {
        same_as(&service, &both)
    });
    assert!(service.stop().success());
    assert_eq!(
        service
            .log_text()
            .matches("not writing the local cache")
            .count(),
        2,
        "the zombie's caches of partitions 0 and 1 are refused"
    );
    service.restart();
    eventually(
        "restored and read again from what can be trusted",
        Duration::from_secs(60),
        || same_as(&service, &both),
    );
    let log = service.log_text();
    assert!(log.contains("the group's committed offset is ahead of the restored state"));
    assert!(log.contains("reading the partition from its start"));
    for (result, n) in [("used", 1.0), ("missing", 2.0)] {
        let key = format!("hotline_state_cache_total[(\"result\", \"{result}\")]");
        assert_eq!(service.metric(&key), n, "{result}");
    }
}

/// A replaced owner's commit can land after its successor's (brokers that do not
/// check generations accept it; tansu's coordinator can hand a partition to a new
/// member before the old one is told): the group's committed offset then runs ahead
/// of the state the changelog holds. Restores, from the local cache and from the
/// changelog, start where the state ends and lose nothing.
#[test]
fn a_committed_offset_ahead_of_the_restored_state_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let parts = split(dir.path(), &sim_file(dir.path(), 1500, 23).0, 3);
    let (topic, group) = ("ahead", "g-ahead");
    let state = dir.path().join("state");
    produce(&broker.brokers(), topic, 3, &[&parts[0]], &[]);
    let mut service = Service::start(&broker.brokers(), topic, group, &state, &[]);
    let mut fed: Vec<&Path> = vec![&parts[0]];
    for (round, part) in parts[1..].iter().enumerate() {
        let want = figures(&replay_metrics(&fed), false);
        eventually("consumed", Duration::from_secs(60), || {
            same_as(&service, &want)
        });
        assert!(service.stop().success());
        produce(&broker.brokers(), topic, 3, &[part], &[]);
        fed.push(part);
        std::thread::sleep(Duration::from_secs(1));
        commit_ends(&broker.brokers(), group, topic, 3);
        let ahead = committed(&broker.brokers(), group, topic, 3);
        assert_eq!(ahead.len(), 3, "the late commit is there: {ahead:?}");
        if round == 1 {
            // A pod on a new node: the changelog alone.
            std::fs::remove_dir_all(&state).unwrap();
        }
        service.restart();
        let want = figures(&replay_metrics(&fed), false);
        eventually(
            "every message after the state's end applied",
            Duration::from_secs(60),
            || same_as(&service, &want),
        );
        let rewinds = service
            .log_text()
            .matches("the group's committed offset is ahead of the restored state")
            .count();
        assert!(
            rewinds >= 3 * (round + 1),
            "each rewind is logged: {rewinds}"
        );
    }
    assert_eq!(
        service.metric("hotline_state_cache_total[(\"result\", \"used\")]"),
        0.0,
        "the last restore had no cache"
    );
}

/// Four simulated months into one topic, in time order per file.
fn four_months(dir: &Path) -> Vec<std::path::PathBuf> {
    [8, 9, 10, 11]
        .into_iter()
        .map(|m| {
            let path = dir.join(format!("2024-{m:02}.jsonl"));
            simulate(
                &path,
                &[
                    "--orders",
                    "800",
                    "--month",
                    &format!("2024-{m:02}"),
                    "--seed",
                    &(30 + m).to_string(),
                ],
            );
            path
        })
        .collect()
}

#[test]
fn a_rebuild_and_a_restore_after_a_month_left_retention_count_its_orders_late() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let files = four_months(dir.path());
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    produce(&broker.brokers(), "months", 2, &refs, &[]);
    // The service starts after the fact (the input holds four months, retention keeps
    // three): August is late from the start, and so are its orders' later events.
    let as_of = "2024-11-30T12:00:00+08:00";
    let state = dir.path().join("state");
    let mut service = Service::start(
        &broker.brokers(),
        "months",
        "g-months",
        &state,
        &["--as-of", as_of],
    );
    let want = figures(&replay_metrics_with(&refs, &["--as-of", as_of]), false);
    assert!(
        !want.keys().any(|k| k.contains("2024-08")),
        "the replay shows no August either"
    );
    eventually("rebuilt", Duration::from_secs(90), || {
        same_as(&service, &want)
    });
    assert!(service.metric("hotline_events_late_total") > 0.0);
    // kill -9 and a wiped state dir: the state, tombstones included, comes back from the
    // changelog; re-read messages of evicted orders are late again.
    service.kill9();
    std::fs::remove_dir_all(&state).unwrap();
    std::thread::sleep(Duration::from_secs(7));
    service.restart();
    eventually("restored", Duration::from_secs(90), || {
        same_as(&service, &want)
    });
}

// A committed offset before the partition's first offset (retention dropped messages the
// group never read) is said — metric, /readyz reason, an error line — and read from the
// earliest offset: src/source/kafka/consumer/mod.rs. It cannot be staged here: tansu 0.6
// neither implements DeleteRecords nor deletes by retention in memory; the rule itself
// has a unit test there.

#[test]
fn two_instances_share_the_partitions_and_survive_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Tansu::start();
    let (file, _) = sim_file(dir.path(), 5000, 3);
    let mut producer = spawn_producer(&broker.brokers(), "pair", 4, 2500, &file);
    let mut a = Service::start(
        &broker.brokers(),
        "pair",
        "g-pair",
        &dir.path().join("a"),
        &[],
    );
    let b = Service::start(
        &broker.brokers(),
        "pair",
        "g-pair",
        &dir.path().join("b"),
        &[],
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
    let owned = |s: &Service| s.metric("hotline_kafka_partitions_owned");
    eventually(
        "every partition owned by one of the two",
        Duration::from_secs(60),
        || {
            let (x, y) = (owned(&a), owned(&b));
            if x + y == 4.0 && x > 0.0 && y > 0.0 {
                vec![]
            } else {
                vec![format!("A owns {x}, B owns {y}")]
            }
        },
    );
    eventually("A + B vs replay", Duration::from_secs(120), || {
        let got = sum(&[
            figures(&samples(&a.metrics()), true),
            figures(&samples(&b.metrics()), true),
        ]);
        diff(&got, &want, 10)
    });
}
