//! The Kafka checks: the client settings librdkafka accepts, and with --check-topics the
//! brokers and the topics `serve` uses. Every client is built by the service's own
//! functions, so what passes here is what `serve` creates.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaResult;
use rdkafka::producer::BaseProducer;

use super::{Findings, Level};
use crate::source::kafka::{
    admin_config, consumer_config, producer_config, restore_config, views_config, KafkaConfig,
};

/// Creates every client `serve` creates, from the very settings it builds them from
/// (the service's producer, its group consumer, the changelog reader and, with a views
/// topic, the views reader): librdkafka refuses unknown properties, bad values and bad
/// combinations (a setting idempotence forbids) here, before any connection. The first
/// refusal is reported, naming the client.
pub(super) fn client(kafka: &KafkaConfig, out: &mut Findings) -> bool {
    type Make = fn(&KafkaConfig) -> KafkaResult<()>;
    let mut clients: Vec<(&str, Make)> = vec![
        ("producer", |k| {
            producer_config(k).create::<BaseProducer>().map(drop)
        }),
        ("consumer", |k| {
            consumer_config(k).create::<BaseConsumer>().map(drop)
        }),
        ("changelog reader", |k| {
            restore_config(k).create::<BaseConsumer>().map(drop)
        }),
    ];
    if kafka.views_topic.is_some() {
        clients.push(("views reader", |k| {
            views_config(k).create::<BaseConsumer>().map(drop)
        }));
    }
    for (role, make) in clients {
        if let Err(e) = make(kafka) {
            out.push(
                Level::Problem,
                format!("Kafka client settings ({role}): {e}"),
            );
            return false;
        }
    }
    out.push(
        Level::Ok,
        format!(
            "Kafka client settings: brokers {}, group {}, {} option(s)",
            kafka.brokers,
            kafka.group,
            kafka.options.len()
        ),
    );
    true
}

/// The topics `serve` uses: (role, name, must exist, must be compacted).
fn topic_roles(kafka: &KafkaConfig) -> Vec<(&'static str, String, bool, bool)> {
    let mut roles = vec![
        ("input", kafka.topic.clone(), true, false),
        ("changelog", kafka.changelog_topic.clone(), false, true),
    ];
    if let Some(v) = &kafka.views_topic {
        roles.push(("views", v.clone(), false, true));
    }
    roles.push(("dead letters", kafka.dlq_topic.clone(), false, false));
    roles
}

/// Connects and reports each topic: present with its partitions, or missing; the
/// changelog must have the input's partition count, changelog and views must be
/// compacted.
pub(super) fn topics(kafka: &KafkaConfig, timeout: Duration, out: &mut Findings) {
    let consumer = match consumer_config(kafka).create::<BaseConsumer>() {
        Ok(c) => c,
        Err(e) => {
            out.push(Level::Problem, format!("Kafka client: {e}"));
            return;
        }
    };
    // All topics: asking for one by name may auto-create it on some brokers.
    let metadata = match consumer.fetch_metadata(None, timeout) {
        Ok(m) => m,
        Err(e) => {
            out.push(
                Level::Problem,
                format!(
                    "brokers {}: no answer within {timeout:?}: {e}",
                    kafka.brokers
                ),
            );
            return;
        }
    };
    out.push(Level::Ok, format!("brokers {} answer", kafka.brokers));
    let partitions = |name: &str| {
        metadata
            .topics()
            .iter()
            .find(|t| t.name() == name && t.error().is_none())
            .map(|t| t.partitions().len())
    };
    let input_partitions = partitions(&kafka.topic);
    for (role, name, required, compacted) in topic_roles(kafka) {
        let Some(n) = partitions(&name) else {
            if required {
                out.push(
                    Level::Problem,
                    format!("topic {name} ({role}) does not exist"),
                );
            } else {
                out.push(
                    Level::Note,
                    format!(
                        "topic {name} ({role}) is missing: the service creates it when the \
                         brokers allow it, else create it (docs/deploy.md, \"Topics\")"
                    ),
                );
            }
            continue;
        };
        if role == "changelog" && input_partitions.is_some_and(|i| i != n) {
            out.push(
                Level::Problem,
                format!(
                    "topic {name} ({role}) has {n} partitions, the input {}: they must be \
                     equal (one changelog partition per input partition)",
                    input_partitions.unwrap_or(0)
                ),
            );
            continue;
        }
        if compacted {
            match cleanup_policy(kafka, &name, timeout) {
                Ok(Some(policy)) if !policy.split(',').any(|p| p.trim() == "compact") => {
                    out.push(
                        Level::Problem,
                        format!(
                            "topic {name} ({role}) has cleanup.policy={policy}: it must be \
                             compact, or its records are deleted with age"
                        ),
                    );
                    continue;
                }
                Ok(Some(_)) => {}
                Ok(None) => out.push(
                    Level::Note,
                    format!(
                        "topic {name} ({role}): the brokers report no cleanup.policy; it must be compact"
                    ),
                ),
                Err(e) => out.push(
                    Level::Note,
                    format!("topic {name} ({role}): cannot read its cleanup.policy: {e}"),
                ),
            }
        }
        out.push(
            Level::Ok,
            format!("topic {name} ({role}): {n} partition(s)"),
        );
    }
}

/// The topic's `cleanup.policy`, as the brokers report it.
fn cleanup_policy(
    kafka: &KafkaConfig,
    topic: &str,
    timeout: Duration,
) -> Result<Option<String>, String> {
    let admin: AdminClient<DefaultClientContext> = admin_config(&kafka.brokers, &kafka.options)
        .create()
        .map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let opts = AdminOptions::new().request_timeout(Some(timeout));
    let results = rt
        .block_on(admin.describe_configs([&ResourceSpecifier::Topic(topic)], &opts))
        .map_err(|e| e.to_string())?;
    let resource = results
        .into_iter()
        .next()
        .ok_or("no answer")?
        .map_err(|code| code.to_string())?;
    Ok(resource.get("cleanup.policy").and_then(|e| e.value.clone()))
}
