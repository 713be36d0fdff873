//! Settings: the engine's (zone, default centre, retention, caps) and the office's
//! assessment rules (TOML, `deploy/config/assessment.toml`).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::event::TimeZone;

/// What the pure engine needs to know.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Zone of naive timestamps and of cohort months.
    pub tz: TimeZone,
    /// Centre of events without `center`.
    pub default_center: String,
    /// Months kept: the as-of month and the `retention_months - 1` before it.
    pub retention_months: u32,
    /// An open assignment is "due soon" when its deadline is within this window.
    pub due_soon_window_ms: i64,
    /// Evicted orders' tombstones are kept this many months after their month left
    /// retention.
    pub tombstone_grace_months: u32,
    /// Events dated further than this after the wall clock are `bad_timestamp`.
    pub future_horizon_ms: i64,
    /// Most distinct unit labels exposed per centre and month; the rest are summed
    /// under 其他单位 (state keeps every name).
    pub unit_label_cap: usize,
    /// Most distinct category / topic labels exposed.
    pub category_label_cap: usize,
    pub topic_label_cap: usize,
    /// Most distinct centres exposed.
    pub center_label_cap: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            tz: TimeZone::CHINA,
            default_center: "12345".to_owned(),
            retention_months: 3,
            due_soon_window_ms: 24 * 3600 * 1000,
            tombstone_grace_months: 6,
            future_horizon_ms: 24 * 3600 * 1000,
            unit_label_cap: 2000,
            category_label_cap: 200,
            topic_label_cap: 500,
            center_label_cap: 100,
        }
    }
}

/// The office's assessment rules (metrics.md, "Assessment"). Defaults are those of the
/// Haikou bulletin; the composite score's weights are this project's own choice, not an
/// official formula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Assessment {
    /// Units with fewer assigned orders in the month are not assessed (不纳入考核).
    pub min_assigned: u64,
    /// Threshold lists: satisfaction below, first-time resolution below, instant
    /// resolution above and below.
    pub satisfaction_below: f64,
    pub first_time_below: f64,
    pub instant_above: f64,
    pub instant_below: f64,
    /// Weight of 基本满意 in the satisfaction ratio.
    pub basically_satisfied_weight: f64,
    /// Warning window for due-soon orders.
    pub due_soon_window_hours: f64,
    pub score_weights: ScoreWeights,
}

/// Weights of the composite monthly score (0–100). Ratios a unit has no data for are
/// left out and the remaining weights renormalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScoreWeights {
    pub completion: f64,
    pub on_time: f64,
    pub satisfaction: f64,
    pub first_time_resolution: f64,
    pub instant_resolution: f64,
}

impl Default for Assessment {
    fn default() -> Self {
        Assessment {
            min_assigned: 10,
            satisfaction_below: 0.95,
            first_time_below: 0.70,
            instant_above: 0.90,
            instant_below: 0.40,
            basically_satisfied_weight: 1.0,
            due_soon_window_hours: 24.0,
            score_weights: ScoreWeights::default(),
        }
    }
}

impl Default for ScoreWeights {
    fn default() -> Self {
        ScoreWeights {
            completion: 0.2,
            on_time: 0.2,
            satisfaction: 0.3,
            first_time_resolution: 0.2,
            instant_resolution: 0.1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    assessment: Assessment,
}

impl Assessment {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses and validates; the message names the offending key.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| e.to_string())?;
        file.assessment.validate()?;
        Ok(file.assessment)
    }

    pub fn validate(&self) -> Result<(), String> {
        let ratio = |key: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("assessment.{key} = {v}: must be between 0 and 1"))
            }
        };
        ratio("satisfaction_below", self.satisfaction_below)?;
        ratio("first_time_below", self.first_time_below)?;
        ratio("instant_above", self.instant_above)?;
        ratio("instant_below", self.instant_below)?;
        ratio(
            "basically_satisfied_weight",
            self.basically_satisfied_weight,
        )?;
        if !(self.due_soon_window_hours > 0.0 && self.due_soon_window_hours <= 24.0 * 90.0) {
            return Err(format!(
                "assessment.due_soon_window_hours = {}: must be above 0 and at most 2160 (90 days)",
                self.due_soon_window_hours
            ));
        }
        let w = &self.score_weights;
        for (key, v) in [
            ("completion", w.completion),
            ("on_time", w.on_time),
            ("satisfaction", w.satisfaction),
            ("first_time_resolution", w.first_time_resolution),
            ("instant_resolution", w.instant_resolution),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return Err(format!(
                    "assessment.score_weights.{key} = {v}: must be 0 or more"
                ));
            }
        }
        if w.completion
            + w.on_time
            + w.satisfaction
            + w.first_time_resolution
            + w.instant_resolution
            <= 0.0
        {
            return Err("assessment.score_weights: at least one weight must be above 0".to_owned());
        }
        Ok(())
    }

    pub fn due_soon_window_ms(&self) -> i64 {
        (self.due_soon_window_hours * 3600.0 * 1000.0) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_the_haikou_defaults() {
        let a = Assessment::parse("").unwrap();
        assert_eq!(a, Assessment::default());
        assert_eq!(a.min_assigned, 10);
        assert_eq!(a.due_soon_window_ms(), 86_400_000);
    }

    #[test]
    fn partial_override_keeps_other_defaults() {
        let a = Assessment::parse(
            "[assessment]\nmin_assigned = 5\n[assessment.score_weights]\nsatisfaction = 1.0\n",
        )
        .unwrap();
        assert_eq!(a.min_assigned, 5);
        assert_eq!(a.score_weights.satisfaction, 1.0);
        assert_eq!(a.score_weights.completion, 0.2);
        assert_eq!(a.satisfaction_below, 0.95);
    }

    #[test]
    fn errors_name_the_key() {
        for (text, key) in [
            (
                "[assessment]\nsatisfaction_below = 95\n",
                "assessment.satisfaction_below",
            ),
            ("[assessment]\nmin_assigned = -1\n", "min_assigned"),
            ("[assessment]\nmin_asigned = 3\n", "min_asigned"),
            (
                "[assessment]\ndue_soon_window_hours = 0\n",
                "assessment.due_soon_window_hours",
            ),
            (
                "[assessment.score_weights]\non_time = -1\n",
                "assessment.score_weights.on_time",
            ),
            ("[assesment]\n", "assesment"),
            ("[assessment]\nmin_assigned = \"ten\"\n", "min_assigned"),
        ] {
            let err = Assessment::parse(text).unwrap_err();
            assert!(err.contains(key), "{text:?} -> {err}");
        }
    }

    #[test]
    fn the_example_config_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/config/assessment.toml");
        if let Ok(text) = std::fs::read_to_string(path) {
            Assessment::parse(&text).unwrap();
        } else {
            panic!("{path} is missing");
        }
    }
}
