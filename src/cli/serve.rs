//! `serve`'s arguments turned into the service's validated [`Config`].

use std::time::Duration;

use anyhow::bail;

use super::args::{Common, ServeArgs};
use super::kafka::kafka_options;
use crate::app::{Config, SourceConfig};
use crate::http::WebConfig;
use crate::source::kafka::KafkaConfig;
use crate::source::AsOf;

/// The service's configuration from `serve`'s arguments. With the simulator and no
/// `--unit-registry`, the simulator's own registry resolves its alias spellings.
pub fn app_config(common: &Common, args: &ServeArgs) -> anyhow::Result<Config> {
    let assessment = args.engine.assessment()?;
    let engine = args.engine.engine_config(common, &assessment)?;
    let mut registry = args.engine.registry()?;
    let tz = engine.tz;
    let (source, default_as_of) = match &args.kafka.brokers {
        Some(brokers) => {
            if !(args.commit_interval_secs > 0.0 && args.commit_interval_secs.is_finite()) {
                bail!("--commit-interval-secs: must be above 0");
            }
            let topic = args.kafka.topic.clone();
            let views = args
                .views_topic
                .clone()
                .unwrap_or_else(|| KafkaConfig::views_of(&topic));
            (
                SourceConfig::Kafka(KafkaConfig {
                    brokers: brokers.clone(),
                    changelog_topic: args
                        .changelog_topic
                        .clone()
                        .unwrap_or_else(|| KafkaConfig::changelog_of(&topic)),
                    views_topic: (!views.is_empty()).then_some(views),
                    topic,
                    group: args.group.clone(),
                    group_instance_id: args.group_instance_id.clone().filter(|s| !s.is_empty()),
                    dlq_topic: args.dlq_topic.clone(),
                    options: kafka_options(&args.kafka, &|k| std::env::var(k).ok())?,
                    state_dir: args.state_dir.clone(),
                    commit_interval: Duration::from_secs_f64(args.commit_interval_secs),
                    commit_events: args.commit_events.max(1),
                    ready_max_lag: args.ready_max_lag,
                    dlq_max_bytes: args.dlq_max_bytes as usize,
                    shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
                }),
                "now",
            )
        }
        None => {
            if !(args.sim_rate >= 0.0 && args.sim_rate.is_finite()) {
                bail!("--sim-rate: must be 0 or more");
            }
            if !(args.sim_speed >= 0.0 && args.sim_speed.is_finite()) {
                bail!("--sim-speed: must be 0 or more");
            }
            if registry.is_none() {
                registry = Some(crate::simulate::unit_registry(args.sim.profile));
            }
            (
                SourceConfig::Simulated {
                    sim: args.sim.sim_config(tz)?,
                    rate: args.sim_rate,
                    speed: args.sim_speed,
                },
                "watermark",
            )
        }
    };
    let as_of = AsOf::parse(args.as_of.as_deref().unwrap_or(default_as_of), tz)
        .map_err(|e| anyhow::anyhow!("--as-of: {e}"))?;
    let web = match &args.web_config_file {
        Some(p) => WebConfig::load(p)?,
        None => WebConfig::default(),
    };
    Ok(Config {
        engine,
        assessment,
        registry,
        source,
        as_of,
        shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
        web,
    })
}
