//! The harness: Helm's Go SDK (PyPI's helm-python-sdk) lints and renders the chart in a
//! Python process; the manifests come back parsed, with accessors for what the tests read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn chart() -> PathBuf {
    repo().join("deploy/helm/hotline-pulse")
}

/// Lints and renders the chart once per value set, in one Python process.
const HELM: &str = r#"
import json, sys
import helm_python as helm
chart, cases = sys.argv[1], json.loads(sys.stdin.read())
out = []
for values in cases:
    lint = helm.lint(chart, values, strict=True, namespace="hotline")
    try:
        with helm.Chart.load(chart) as c:
            manifests = c.render(values, name="hp", namespace="hotline", is_install=True)
        out.append({"lint": lint, "manifests": manifests})
    except Exception as e:
        out.append({"lint": lint, "error": str(e)})
print(json.dumps(out))
"#;

/// Where the Helm SDK is installed: `HOTLINE_HELM_PYTHONPATH` (scripts/test.sh sets it),
/// else target/tools/helm-python.
pub fn helm_pythonpath() -> PathBuf {
    std::env::var_os("HOTLINE_HELM_PYTHONPATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/tools/helm-python"))
}

/// One rendering: the lint report, and the manifests (template path → documents) or the
/// rendering error.
pub struct Rendered {
    pub lint: Json,
    pub docs: Vec<(String, Yaml)>,
    pub error: Option<String>,
}

impl Rendered {
    pub fn of_kind(&self, kind: &str) -> Vec<&Yaml> {
        self.docs
            .iter()
            .filter(|(_, d)| d["kind"].as_str() == Some(kind))
            .map(|(_, d)| d)
            .collect()
    }

    pub fn one(&self, kind: &str) -> &Yaml {
        let found = self.of_kind(kind);
        assert_eq!(found.len(), 1, "expected one {kind}, found {}", found.len());
        found[0]
    }

    pub fn deployment(&self) -> &Yaml {
        self.one("Deployment")
    }

    pub fn container(&self) -> &Yaml {
        &self.deployment()["spec"]["template"]["spec"]["containers"][0]
    }

    /// The container's env: name → the value, or `fieldRef:PATH` for the downward API.
    pub fn env(&self) -> BTreeMap<String, String> {
        self.container()["env"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let name = e["name"].as_str()?.to_owned();
                let value = match e["value"].as_str() {
                    Some(v) => v.to_owned(),
                    None => format!(
                        "fieldRef:{}",
                        e["valueFrom"]["fieldRef"]["fieldPath"].as_str()?
                    ),
                };
                Some((name, value))
            })
            .collect()
    }

    pub fn args(&self) -> Vec<String> {
        self.container()["args"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect()
    }

    /// mountPath → the pod volume mounted there.
    pub fn mounts(&self) -> BTreeMap<String, Yaml> {
        let volumes = self.deployment()["spec"]["template"]["spec"]["volumes"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        self.container()["volumeMounts"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|m| {
                let name = m["name"].as_str()?;
                let volume = volumes
                    .iter()
                    .find(|v| v["name"].as_str() == Some(name))?
                    .clone();
                Some((m["mountPath"].as_str()?.to_owned(), volume))
            })
            .collect()
    }

    /// Everything rendered but Secrets, as text.
    pub fn text_outside_secrets(&self) -> String {
        self.docs
            .iter()
            .filter(|(_, d)| d["kind"].as_str() != Some("Secret"))
            .map(|(_, d)| serde_yaml::to_string(d).unwrap_or_default())
            .collect()
    }
}

/// Lints and renders the chart with each value set.
pub fn render(cases: &[Json]) -> Vec<Rendered> {
    let path = helm_pythonpath();
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(HELM)
        .arg(chart())
        .env("PYTHONPATH", &path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run python3: {e}"));
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("python3's stdin");
        stdin
            .write_all(Json::Array(cases.to_vec()).to_string().as_bytes())
            .expect("write the value sets");
    }
    let out = child.wait_with_output().expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named 'helm_python'"),
        "Helm's SDK is not installed in {}. Run the project's test script (scripts/test.sh), \
         which installs PyPI's helm-python-sdk there (or set HOTLINE_HELM_PYTHONPATH).",
        path.display()
    );
    assert!(out.status.success(), "rendering failed:\n{stderr}");
    let results: Vec<Json> =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
    results
        .into_iter()
        .map(|r| {
            let mut docs = Vec::new();
            let manifests = r["manifests"].as_object().cloned().unwrap_or_default();
            for (template, text) in manifests {
                if template.ends_with("NOTES.txt") {
                    continue;
                }
                for chunk in text.as_str().unwrap_or("").split("\n---") {
                    let doc: Yaml = serde_yaml::from_str(chunk)
                        .unwrap_or_else(|e| panic!("{template}: not YAML ({e}):\n{chunk}"));
                    if !doc.is_null() {
                        docs.push((template.clone(), doc));
                    }
                }
            }
            Rendered {
                lint: r["lint"].clone(),
                docs,
                error: r["error"].as_str().map(str::to_owned),
            }
        })
        .collect()
}

pub fn render_one(values: Json) -> Rendered {
    let r = render(&[values]).remove(0);
    if let Some(e) = &r.error {
        panic!("the chart does not render: {e}");
    }
    r
}

/// Lint findings above INFO (helm lint --strict fails on warnings too).
pub fn lint_problems(r: &Rendered) -> Vec<String> {
    let mut problems: Vec<String> = r.lint["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["severity"].as_u64().unwrap_or(3) >= 2)
        .map(|m| format!("{}: {}", m["path"], m["error"]))
        .collect();
    problems.extend(
        r.lint["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e.to_string()),
    );
    problems
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

pub fn sorted_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Whether every label of `selector` is in `labels` with the same value.
pub fn selects(selector: &Yaml, labels: &Yaml) -> bool {
    selector
        .as_mapping()
        .is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| labels.get(k) == Some(v)))
}
