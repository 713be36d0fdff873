//! Unit names: the optional registry of canonical names and aliases, and the capped
//! interners that turn label values (units, categories, topics, centres) into ids.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use parking_lot::RwLock;
use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::event::normalize_unit;

/// Id of an interned label value.
pub type LabelId = u32;

/// A bounded string interner. Past `cap` distinct values every new value maps to the
/// overflow label, so bad data cannot create unbounded Prometheus series.
pub struct Interner {
    inner: RwLock<InternerInner>,
    cap: usize,
    overflow: Arc<str>,
}

#[derive(Default)]
struct InternerInner {
    ids: FxHashMap<Arc<str>, LabelId>,
    names: Vec<Arc<str>>,
}

impl Interner {
    /// `cap` counts distinct values, the overflow label included.
    pub fn new(cap: usize, overflow: &str) -> Self {
        Interner {
            inner: RwLock::new(InternerInner::default()),
            cap: cap.max(1),
            overflow: Arc::from(overflow),
        }
    }

    /// Returns the id of `name` and whether it overflowed the cap.
    pub fn intern(&self, name: &str) -> (LabelId, bool) {
        if let Some(&id) = self.inner.read().ids.get(name) {
            return (id, false);
        }
        let mut inner = self.inner.write();
        if let Some(&id) = inner.ids.get(name) {
            return (id, false);
        }
        if inner.names.len() + 1 >= self.cap && name != &*self.overflow {
            let overflow = self.overflow.clone();
            return (Self::insert(&mut inner, overflow), true);
        }
        (Self::insert(&mut inner, Arc::from(name)), false)
    }

    fn insert(inner: &mut InternerInner, name: Arc<str>) -> LabelId {
        if let Some(&id) = inner.ids.get(&name) {
            return id;
        }
        let id = inner.names.len() as LabelId;
        inner.names.push(name.clone());
        inner.ids.insert(name, id);
        id
    }

    /// The id of `name` if it was interned.
    pub fn get(&self, name: &str) -> Option<LabelId> {
        self.inner.read().ids.get(name).copied()
    }

    pub fn name(&self, id: LabelId) -> Arc<str> {
        self.inner
            .read()
            .names
            .get(id as usize)
            .cloned()
            .unwrap_or_else(|| self.overflow.clone())
    }

    pub fn len(&self) -> usize {
        self.inner.read().names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

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

/// The overflow label for units past the cap; the bulletins' own name for the rest.
pub const OTHER_UNITS: &str = "其他单位";

/// Units as the engine sees them: registry resolution then the capped interner.
pub struct Units {
    registry: Option<UnitRegistry>,
    interner: Interner,
}

/// The outcome of resolving a unit name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub id: LabelId,
    /// A registry is loaded and the name is neither a name nor an alias in it.
    pub unknown: bool,
    /// The distinct-unit cap was reached; the unit was folded into [`OTHER_UNITS`].
    pub overflow: bool,
}

impl Units {
    pub fn new(registry: Option<UnitRegistry>, cap: usize) -> Self {
        let interner = Interner::new(cap, OTHER_UNITS);
        // Registry names get ids first, so the cap never pushes a known unit out.
        if let Some(reg) = &registry {
            for name in reg.names() {
                interner.intern(name);
            }
        }
        Units { registry, interner }
    }

    /// Resolves an already normalised name (the decoder trims and NFC-normalises).
    pub fn resolve(&self, name: &str) -> Resolved {
        let (name, unknown) = match &self.registry {
            None => (name, false),
            Some(reg) => match reg.canonical(name) {
                Some(c) => (&**c, false),
                None => (name, true),
            },
        };
        let (id, overflow) = self.interner.intern(name);
        Resolved {
            id,
            unknown,
            overflow,
        }
    }

    pub fn name(&self, id: LabelId) -> Arc<str> {
        self.interner.name(id)
    }

    pub fn id(&self, name: &str) -> Option<LabelId> {
        self.interner.get(name)
    }
}

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
        let units = Units::new(Some(UnitRegistry::parse(GOLMUD).unwrap()), 2000);
        let a = units.resolve("市卫生健康委员会");
        let b = units.resolve("卫生健康委员会");
        let c = units.resolve("市卫健委");
        assert_eq!((a.id, a.id), (b.id, c.id));
        assert!(!a.unknown && !b.unknown);
        assert_eq!(&*units.name(b.id), "市卫生健康委员会");
        let x = units.resolve("市公安局");
        assert!(x.unknown, "a name outside the registry is kept but flagged");
        assert_eq!(&*units.name(x.id), "市公安局");
    }

    #[test]
    fn without_registry_nothing_is_unknown() {
        let units = Units::new(None, 10);
        assert!(!units.resolve("市公安局").unknown);
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

    #[test]
    fn the_cap_folds_new_units_into_other() {
        let units = Units::new(None, 3);
        let a = units.resolve("a");
        let b = units.resolve("b");
        let c = units.resolve("c");
        let d = units.resolve("d");
        assert!(!a.overflow && !b.overflow);
        assert!(c.overflow && d.overflow);
        assert_eq!(c.id, d.id);
        assert_eq!(&*units.name(c.id), OTHER_UNITS);
        assert_eq!(units.resolve("a").id, a.id, "known units keep their id");
    }
}
