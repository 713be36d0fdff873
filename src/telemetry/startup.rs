//! What the service says about itself: the build (`hotline_build_info{version,revision}`)
//! and the effective configuration of the start-up line, secrets redacted.

use prometheus::{IntGaugeVec, Opts, Registry};
use serde_json::{json, Map, Value};

use super::redact::{is_secret_key, REDACTED};
use crate::app::{Config, SourceConfig};
use crate::source::AsOf;

/// Version and git revision of this binary (`build.rs`; "unknown" without git).
#[derive(Debug, Clone, Copy)]
pub struct BuildInfo {
    pub version: &'static str,
    pub revision: &'static str,
}

pub const BUILD: BuildInfo = BuildInfo {
    version: env!("CARGO_PKG_VERSION"),
    revision: match option_env!("HOTLINE_REVISION") {
        Some(r) => r,
        None => "unknown",
    },
};

/// Registers `hotline_build_info{version,revision} 1`, a plain gauge: it never changes,
/// so it has no business in the engine's collector.
pub fn register_build_info(registry: &Registry) -> prometheus::Result<()> {
    let g = IntGaugeVec::new(
        Opts::new(
            "hotline_build_info",
            "Build information of the running binary; always 1.",
        ),
        &["version", "revision"],
    )?;
    g.with_label_values(&[BUILD.version, BUILD.revision]).set(1);
    registry.register(Box::new(g))
}

fn as_of(a: AsOf, tz: crate::event::TimeZone) -> Value {
    match a {
        AsOf::Now => json!("now"),
        AsOf::Watermark => json!("watermark"),
        AsOf::Fixed(t) => json!(crate::event::format_timestamp(t, tz)),
    }
}

/// The effective configuration as one JSON object, for the start-up line. Settings whose
/// key names a secret show `***`; basic-auth users are listed without their hashes.
pub fn effective_config(config: &Config) -> Value {
    let e = &config.engine;
    let source = match &config.source {
        SourceConfig::Simulated { sim, rate, speed } => json!({
            "kind": "simulated",
            "profile": sim.profile.as_str(),
            "orders": sim.orders,
            "month": format!("{:04}-{:02}", sim.month.0, sim.month.1),
            "seed": sim.seed,
            "rate": rate,
            "speed": speed,
        }),
        SourceConfig::Kafka(k) => {
            let options: Map<String, Value> = k
                .options
                .iter()
                .map(|(key, v)| {
                    let shown = if is_secret_key(key) { REDACTED } else { v };
                    (key.clone(), json!(shown))
                })
                .collect();
            json!({
                "kind": "kafka",
                "brokers": k.brokers,
                "topic": k.topic,
                "group": k.group,
                "dlq_topic": k.dlq_topic,
                "changelog_topic": k.changelog_topic,
                "views_topic": k.views_topic,
                "group_instance_id": k.group_instance_id,
                "state_dir": k.state_dir.as_ref().map(|d| d.display().to_string()),
                "commit_interval_secs": k.commit_interval.as_secs_f64(),
                "commit_events": k.commit_events,
                "dlq_max_bytes": k.dlq_max_bytes,
                "ready_max_lag": k.ready_max_lag,
                "options": options,
            })
        }
    };
    json!({
        "timezone": e.tz.to_string(),
        "center": e.default_center,
        "retention_months": e.retention_months,
        "unit_label_cap": e.unit_label_cap,
        "unit_registry_units": config.registry.as_ref().map(|r| r.names().len()),
        "assessment": config.assessment,
        "source": source,
        "as_of": as_of(config.as_of, e.tz),
        "shutdown_grace_secs": config.shutdown_grace.as_secs(),
        "web": config.web.describe(),
    })
}
