//! The unit registry that ships with the simulator: every unit of a profile under its
//! canonical name, with the other spellings the simulator emits as aliases. Built from
//! the profile's own table, so the two cannot drift; `serve` uses it with the simulated
//! hotline when no `--unit-registry` is given, so the demo never shows one unit twice
//! under two spellings nor counts its units as unknown.

use super::profile::spec;
use super::Profile;
use crate::units::UnitRegistry;

/// The registry as TOML, in the format of `deploy/config/units.toml`.
pub fn unit_registry_toml(profile: Profile) -> String {
    // JSON string syntax is valid TOML basic-string syntax (same escapes).
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| format!("{s:?}"));
    let mut out = format!(
        "# Unit registry of the simulated {profile} hotline (generated from its profile).\n"
    );
    for u in spec(profile).units {
        out.push_str("\n[[unit]]\nname = ");
        out.push_str(&quote(u.name));
        out.push('\n');
        if let Some(alias) = u.alias {
            out.push_str("aliases = [");
            out.push_str(&quote(alias));
            out.push_str("]\n");
        }
    }
    out
}

/// The parsed registry of a profile.
pub fn unit_registry(profile: Profile) -> UnitRegistry {
    UnitRegistry::parse(&unit_registry_toml(profile)).unwrap_or_else(|e| {
        panic!("the {profile} profile's unit table is not a valid registry: {e}")
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::simulate::{SimConfig, Simulator};

    /// Every unit spelling the simulator emits resolves, through its registry, to a
    /// canonical name; the aliases never reach a label.
    #[test]
    fn every_emitted_spelling_resolves_to_one_canonical_unit() {
        for profile in [Profile::Golmud, Profile::Haikou] {
            let reg = unit_registry(profile);
            let canonical: HashSet<&str> = spec(profile).units.iter().map(|u| u.name).collect();
            let aliases: HashSet<&str> =
                spec(profile).units.iter().filter_map(|u| u.alias).collect();
            let mut seen_alias = false;
            let sim = Simulator::new(SimConfig {
                orders: 3_000,
                profile,
                ..SimConfig::default()
            });
            for ev in sim {
                let v: serde_json::Value = serde_json::from_str(&ev.line).expect("JSON");
                let Some(name) = v.get("unit").and_then(|u| u.as_str()) else {
                    continue;
                };
                seen_alias |= aliases.contains(name);
                let label = reg
                    .canonical(name)
                    .unwrap_or_else(|| panic!("{profile}: {name} is not in the registry"));
                assert!(canonical.contains(&**label), "{profile}: {name} -> {label}");
            }
            assert_eq!(
                seen_alias,
                !aliases.is_empty(),
                "{profile}: aliases are exercised"
            );
        }
    }
}
