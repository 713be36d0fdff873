//! The librdkafka settings of every client the service makes, one definition per role,
//! used by `serve`, the restore and views readers, `produce` and `check-config` alike.

use rdkafka::config::ClientConfig;

use super::KafkaConfig;

/// What every client starts from: the brokers, then (for consumers) fetch tuning, then
/// the user's `--kafka-option`s, which win. Each role below adds its own settings to
/// this; the end-to-end benchmark's reference consumer (`examples/bare_consumer.rs`)
/// starts from it too.
pub fn client_config(brokers: &str, consumer: bool, options: &[(String, String)]) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    c.set("client.id", "hotline-pulse");
    // Forward everything librdkafka logs (debug lines only exist with `debug=...`);
    // the service's own log filter decides what is shown.
    c.set_log_level(rdkafka::config::RDKafkaLogLevel::Debug);
    if consumer {
        // A fetch waits at most this long for data. Apache Kafka answers as soon as
        // data is there; some brokers (tansu) hold every fetch for the full wait, so
        // keep it short by default. Tests and benchmarks set 5 ms.
        c.set("fetch.wait.max.ms", "100");
        // When the local queue is full librdkafka pauses fetching for this long
        // (default 1 s): a consumer that applies slower than it fetches would sit
        // idle.
        c.set("fetch.queue.backoff.ms", "10");
    }
    set_options(&mut c, options);
    c
}

/// Sets the user's `--kafka-option`s over `c`.
fn set_options(c: &mut ClientConfig, options: &[(String, String)]) {
    for (k, v) in options {
        c.set(k, v);
    }
}

/// The service's producer (changelog, dead letters, views, claims): idempotent and
/// acknowledged by every in-sync replica; the user's options are set last (the CLI
/// refuses those the service owns, `enable.idempotence` and `acks`).
pub fn producer_config(config: &KafkaConfig) -> ClientConfig {
    let mut c = client_config(&config.brokers, false, &[]);
    c.set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5");
    set_options(&mut c, &config.options);
    c
}

/// The service's group consumer of the input topic; the user's options are set last
/// (the CLI refuses those the service owns: `group.id`, `group.instance.id`,
/// `enable.auto.commit`, `enable.auto.offset.store`).
pub fn consumer_config(config: &KafkaConfig) -> ClientConfig {
    let mut c = client_config(&config.brokers, true, &[]);
    c.set("group.id", &config.group)
        // Offsets are stored by the loop once durable (changelog and dead letters
        // confirmed), never on consumption; librdkafka commits what is stored, and
        // its answers (commit callback) tell the loop what is committed.
        .set("enable.auto.commit", "true")
        .set("auto.commit.interval.ms", "1000")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("enable.partition.eof", "false")
        .set("statistics.interval.ms", "1000");
    if let Some(id) = &config.group_instance_id {
        c.set("group.instance.id", id);
    }
    set_options(&mut c, &config.options);
    c
}

/// A reader that assigns partitions itself and never commits, in its own group
/// (`<group>.<suffix>`) so it never joins the service's: its settings are set over
/// the user's options.
fn reader_config(config: &KafkaConfig, suffix: &str) -> ClientConfig {
    let mut c = client_config(&config.brokers, true, &config.options);
    c.set("group.id", format!("{}.{suffix}", config.group))
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest");
    c
}

/// The reader that restores a partition's state from the changelog.
pub fn restore_config(config: &KafkaConfig) -> ClientConfig {
    let mut c = reader_config(config, "restore");
    // The restore stops at the claim it wrote, not at the partition's end: no
    // end-of-partition events, whatever the options say.
    c.set("enable.partition.eof", "false");
    c
}

/// The reader of the views topic (read whole, for ever, by every instance).
pub fn views_config(config: &KafkaConfig) -> ClientConfig {
    reader_config(config, "views")
}

/// The admin client that creates missing topics and reads their settings.
pub fn admin_config(brokers: &str, options: &[(String, String)]) -> ClientConfig {
    client_config(brokers, false, options)
}

/// The `produce` command's producer: idempotent, partitioning keys as the Java client
/// does (murmur2), so a key lands where a Java producer would put it; its settings are
/// set over the user's options.
pub fn feeder_config(brokers: &str, options: &[(String, String)]) -> ClientConfig {
    let mut c = client_config(brokers, false, options);
    c.set("linger.ms", "5")
        .set("enable.idempotence", "true")
        .set("partitioner", "murmur2_random");
    c
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rdkafka::consumer::BaseConsumer;
    use rdkafka::producer::BaseProducer;

    use super::*;

    fn opts(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn tls_and_sasl_settings_are_supported_by_the_bundled_librdkafka() {
        // Creating a client validates the settings; nothing connects here.
        for o in [
            opts(&[("security.protocol", "ssl")]),
            opts(&[
                ("security.protocol", "sasl_ssl"),
                ("sasl.mechanisms", "SCRAM-SHA-512"),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
            ]),
            opts(&[
                ("security.protocol", "sasl_plaintext"),
                ("sasl.mechanisms", "PLAIN"),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
            ]),
        ] {
            let mut c = client_config("127.0.0.1:1", true, &o);
            c.set("group.id", "g");
            if let Err(e) = c.create::<BaseConsumer>() {
                panic!("{o:?}: {e}");
            }
        }
    }

    #[test]
    fn user_options_win_and_bad_ones_are_refused() {
        let c = client_config("b:9092", true, &opts(&[("fetch.wait.max.ms", "5")]));
        assert_eq!(c.get("fetch.wait.max.ms"), Some("5"));
        let mut c = client_config("b:9092", true, &opts(&[("no.such.setting", "1")]));
        c.set("group.id", "g");
        assert!(c.create::<BaseConsumer>().is_err());
    }

    fn kafka(options: &[(&str, &str)]) -> KafkaConfig {
        KafkaConfig {
            brokers: "127.0.0.1:1".into(),
            topic: "t".into(),
            group: "g".into(),
            dlq_topic: "t.dlq".into(),
            changelog_topic: "t.changelog".into(),
            views_topic: Some("t.views".into()),
            group_instance_id: Some("pod-0".into()),
            options: opts(options),
            state_dir: None,
            commit_interval: Duration::from_secs(1),
            commit_events: 1,
            ready_max_lag: 0,
            dlq_max_bytes: 1024,
            shutdown_grace: Duration::from_secs(1),
        }
    }

    #[test]
    fn each_role_has_its_settings_and_the_user_wins_only_where_meant() {
        let k = kafka(&[
            ("linger.ms", "20"),
            ("enable.partition.eof", "true"),
            ("auto.offset.reset", "latest"),
        ]);
        let p = producer_config(&k);
        assert_eq!(p.get("enable.idempotence"), Some("true"));
        assert_eq!(p.get("acks"), Some("all"));
        assert_eq!(p.get("linger.ms"), Some("20"), "the user's option wins");
        assert_eq!(p.get("fetch.wait.max.ms"), None);

        let c = consumer_config(&k);
        for (key, value) in [
            ("bootstrap.servers", "127.0.0.1:1"),
            ("group.id", "g"),
            ("group.instance.id", "pod-0"),
            ("enable.auto.commit", "true"),
            ("auto.commit.interval.ms", "1000"),
            ("enable.auto.offset.store", "false"),
            ("statistics.interval.ms", "1000"),
            ("fetch.wait.max.ms", "100"),
            ("enable.partition.eof", "true"),
            ("auto.offset.reset", "latest"),
        ] {
            assert_eq!(c.get(key), Some(value), "{key}");
        }
        let mut no_id = k.clone();
        no_id.group_instance_id = None;
        assert_eq!(consumer_config(&no_id).get("group.instance.id"), None);

        // The readers' own settings are set over the user's.
        let r = restore_config(&k);
        assert_eq!(r.get("group.id"), Some("g.restore"));
        assert_eq!(r.get("enable.auto.commit"), Some("false"));
        assert_eq!(r.get("auto.offset.reset"), Some("earliest"));
        assert_eq!(r.get("enable.partition.eof"), Some("false"));
        let v = views_config(&k);
        assert_eq!(v.get("group.id"), Some("g.views"));
        assert_eq!(v.get("auto.offset.reset"), Some("earliest"));
        assert_eq!(v.get("enable.partition.eof"), Some("true"));

        let f = feeder_config(&k.brokers, &k.options);
        assert_eq!(f.get("linger.ms"), Some("5"));
        assert_eq!(f.get("partitioner"), Some("murmur2_random"));
        assert_eq!(
            admin_config(&k.brokers, &k.options).get("linger.ms"),
            Some("20")
        );
    }

    #[test]
    fn the_service_producer_refuses_what_idempotence_forbids() {
        for option in [
            ("max.in.flight.requests.per.connection", "10"),
            ("retries", "0"),
        ] {
            let k = kafka(&[option]);
            // A plain client takes it; the service's producer does not.
            assert!(admin_config(&k.brokers, &k.options)
                .create::<BaseProducer>()
                .is_ok());
            assert!(
                producer_config(&k).create::<BaseProducer>().is_err(),
                "{option:?}"
            );
        }
        assert!(producer_config(&kafka(&[]))
            .create::<BaseProducer>()
            .is_ok());
        assert!(consumer_config(&kafka(&[]))
            .create::<BaseConsumer>()
            .is_ok());
    }
}
