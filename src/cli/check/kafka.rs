//! The Kafka checks: the client settings librdkafka accepts, and with --check-topics the
//! brokers and the topics `serve` uses.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::BaseProducer;

use super::{Findings, Level};
use crate::source::kafka::{client_config, KafkaConfig};

/// `text` with the value of every option that looks secret replaced, in case a client
/// error quotes it.
pub(super) fn redact(text: &str, options: &[(String, String)]) -> String {
    let mut text = text.to_owned();
    for (k, v) in options {
        let key = k.to_ascii_lowercase();
        let secret = ["password", "secret", "token", "key"]
            .iter()
            .any(|w| key.contains(w));
        if secret && !v.is_empty() {
            text = text.replace(v.as_str(), "***");
        }
    }
    text
}

/// Creates a consumer and a producer from the settings, as the service does: librdkafka
/// refuses unknown properties and bad values here, before any connection.
pub(super) fn client(kafka: &KafkaConfig, out: &mut Findings) -> bool {
    let mut consumer = client_config(&kafka.brokers, true, &kafka.options);
    consumer.set("group.id", &kafka.group);
    let made = consumer.create::<BaseConsumer>().map(drop).and_then(|()| {
        client_config(&kafka.brokers, false, &kafka.options)
            .create::<BaseProducer>()
            .map(drop)
    });
    match made {
        Ok(()) => {
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
        Err(e) => {
            out.push(
                Level::Problem,
                redact(&format!("Kafka client settings: {e}"), &kafka.options),
            );
            false
        }
    }
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
    let consumer = match client_config(&kafka.brokers, true, &kafka.options)
        .set("group.id", &kafka.group)
        .create::<BaseConsumer>()
    {
        Ok(c) => c,
        Err(e) => {
            out.push(
                Level::Problem,
                redact(&format!("Kafka client: {e}"), &kafka.options),
            );
            return;
        }
    };
    // All topics: asking for one by name may auto-create it on some brokers.
    let metadata = match consumer.fetch_metadata(None, timeout) {
        Ok(m) => m,
        Err(e) => {
            out.push(
                Level::Problem,
                redact(
                    &format!(
                        "brokers {}: no answer within {timeout:?}: {e}",
                        kafka.brokers
                    ),
                    &kafka.options,
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
    let admin: AdminClient<DefaultClientContext> =
        client_config(&kafka.brokers, false, &kafka.options)
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
