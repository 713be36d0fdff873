//! Unit names: the optional registry of canonical names and aliases (events.md,
//! "Units"). Resolution happens when an event is stored; the cap on distinct unit labels
//! applies only where units are exposed (see `view`).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::event::normalize_unit;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("cannot read unit registry {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("unit registry {path}: {message}")]
    Invalid { path: String, message: String },
}

/// Canonical unit names and their aliases (events.md, "Units").
#[derive(Debug, Default, Clone)]
pub struct UnitRegistry {
    canonical: HashMap<String, Arc<str>>,
    names: Vec<Arc<str>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    #[serde(default)]
    unit: Vec<RegistryEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistryEntry {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
}

impl UnitRegistry {
    pub fn load(path: &Path) -> Result<Self, RegistryError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|message| RegistryError::Invalid {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses the TOML text; the error names the offending entry.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: RegistryFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut reg = UnitRegistry::default();
        for (i, entry) in file.unit.into_iter().enumerate() {
            let name = normalize_unit(&entry.name)
                .ok_or_else(|| format!("unit[{i}].name is empty or longer than 128 characters"))?;
            let canonical: Arc<str> = Arc::from(name.as_str());
            reg.names.push(canonical.clone());
            for (j, spelling) in std::iter::once(name).chain(entry.aliases).enumerate() {
                let key = normalize_unit(&spelling).ok_or_else(|| {
                    format!(
                        "unit[{i}].aliases[{}] is empty or longer than 128 characters",
                        j.saturating_sub(1)
                    )
                })?;
                if let Some(prev) = reg.canonical.insert(key.clone(), canonical.clone()) {
                    if prev != canonical {
                        return Err(format!(
                            "unit[{i}]: the spelling {key:?} is already a name or alias of {prev:?}"
                        ));
                    }
                }
            }
        }
        Ok(reg)
    }

    /// The canonical name of a (normalised) spelling, if the registry knows it.
    pub fn canonical(&self, name: &str) -> Option<&Arc<str>> {
        self.canonical.get(name)
    }

    pub fn names(&self) -> &[Arc<str>] {
        &self.names
    }
}

/// The overflow label for units past the exposure cap; the bulletins' own name for
/// the rest.
pub const OTHER_UNITS: &str = "其他单位";

#[cfg(test)]
mod tests {
    use super::*;

    const GOLMUD: &str = r#"
[[unit]]
name = "市卫生健康委员会"
aliases = ["卫生健康委员会", "市卫健委"]

[[unit]]
name = "市人力资源和社会保障局"
aliases = ["人力资源和社会保障"]
"#;

    #[test]
    fn aliases_resolve_to_the_canonical_unit() {
        let reg = UnitRegistry::parse(GOLMUD).unwrap();
        for spelling in ["市卫生健康委员会", "卫生健康委员会", "市卫健委"] {
            assert_eq!(
                reg.canonical(spelling).map(|c| &**c),
                Some("市卫生健康委员会")
            );
        }
        assert!(
            reg.canonical("市公安局").is_none(),
            "a name outside the registry"
        );
        assert_eq!(reg.names().len(), 2);
    }

    #[test]
    fn registry_errors_name_the_entry() {
        let err = UnitRegistry::parse(
            "[[unit]]\nname = \"a\"\n[[unit]]\nname = \"b\"\naliases = [\"a\"]\n",
        )
        .unwrap_err();
        assert!(err.contains("unit[1]") && err.contains("\"a\""), "{err}");
        let err = UnitRegistry::parse("[[unit]]\nnom = \"a\"\n").unwrap_err();
        assert!(err.contains("nom"), "{err}");
        let err = UnitRegistry::parse("[[unit]]\nname = \"  \"\n").unwrap_err();
        assert!(err.contains("unit[0].name"), "{err}");
    }
}
