//! The Helm chart (deploy/helm/hotline-pulse), linted and rendered offline by Helm itself:
//! `helm lint --strict` and `helm template` through Helm's Go SDK, which PyPI's
//! `helm-python-sdk` ships as a library (no `helm` binary is in the registries reachable
//! here; scripts/test.sh installs the package into target/tools/helm-python). The rendered
//! manifests are then parsed and checked: what the Deployment wires, that secrets stay in
//! Secrets, that the PrometheusRule and the dashboard ConfigMaps carry deploy/'s files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value as Json};
use serde_yaml::Value as Yaml;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn chart() -> PathBuf {
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
fn helm_pythonpath() -> PathBuf {
    std::env::var_os("HOTLINE_HELM_PYTHONPATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/tools/helm-python"))
}

/// One rendering: the lint report, and the manifests (template path → documents) or the
/// rendering error.
struct Rendered {
    lint: Json,
    docs: Vec<(String, Yaml)>,
    error: Option<String>,
}

impl Rendered {
    fn of_kind(&self, kind: &str) -> Vec<&Yaml> {
        self.docs
            .iter()
            .filter(|(_, d)| d["kind"].as_str() == Some(kind))
            .map(|(_, d)| d)
            .collect()
    }

    fn one(&self, kind: &str) -> &Yaml {
        let found = self.of_kind(kind);
        assert_eq!(found.len(), 1, "expected one {kind}, found {}", found.len());
        found[0]
    }

    fn deployment(&self) -> &Yaml {
        self.one("Deployment")
    }

    fn container(&self) -> &Yaml {
        &self.deployment()["spec"]["template"]["spec"]["containers"][0]
    }

    /// The container's env: name → the value, or `fieldRef:PATH` for the downward API.
    fn env(&self) -> BTreeMap<String, String> {
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

    fn args(&self) -> Vec<String> {
        self.container()["args"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect()
    }

    /// mountPath → the pod volume mounted there.
    fn mounts(&self) -> BTreeMap<String, Yaml> {
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
    fn text_outside_secrets(&self) -> String {
        self.docs
            .iter()
            .filter(|(_, d)| d["kind"].as_str() != Some("Secret"))
            .map(|(_, d)| serde_yaml::to_string(d).unwrap_or_default())
            .collect()
    }
}

/// Lints and renders the chart with each value set.
fn render(cases: &[Json]) -> Vec<Rendered> {
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

fn render_one(values: Json) -> Rendered {
    let r = render(&[values]).remove(0);
    if let Some(e) = &r.error {
        panic!("the chart does not render: {e}");
    }
    r
}

/// Lint findings above INFO (helm lint --strict fails on warnings too).
fn lint_problems(r: &Rendered) -> Vec<String> {
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

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn sorted_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
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
fn selects(selector: &Yaml, labels: &Yaml) -> bool {
    selector
        .as_mapping()
        .is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

#[test]
fn the_chart_lints_clean_and_renders_a_deployment_without_volumes_of_its_own() {
    let r = render_one(json!({}));
    let problems = lint_problems(&r);
    assert!(
        problems.is_empty(),
        "helm lint --strict:\n{}",
        problems.join("\n")
    );

    let kinds: BTreeSet<&str> = r
        .docs
        .iter()
        .filter_map(|(_, d)| d["kind"].as_str())
        .collect();
    for kind in [
        "Deployment",
        "Service",
        "ConfigMap",
        "ServiceMonitor",
        "PrometheusRule",
        "PodDisruptionBudget",
    ] {
        assert!(kinds.contains(kind), "no {kind} rendered: {kinds:?}");
    }
    for kind in ["StatefulSet", "PersistentVolumeClaim", "Secret"] {
        assert!(!kinds.contains(kind), "{kind} rendered by default");
    }
    let d = r.deployment();
    assert!(
        selects(
            &d["spec"]["selector"]["matchLabels"],
            &d["spec"]["template"]["metadata"]["labels"]
        ),
        "the Deployment's selector does not match its pods"
    );
    assert_eq!(d["spec"]["replicas"].as_u64(), Some(2));
    // Nothing but the config, the optional cache and /tmp is mounted; no volume survives
    // the pod, and none is needed.
    for (path, volume) in r.mounts() {
        assert!(
            volume["persistentVolumeClaim"].is_null(),
            "{path} is a persistent volume"
        );
    }
    let pdb = r.one("PodDisruptionBudget");
    assert!(selects(
        &pdb["spec"]["selector"]["matchLabels"],
        &d["spec"]["template"]["metadata"]["labels"]
    ));
}

#[test]
fn the_pod_reads_kafka_and_config_with_static_membership_from_its_name() {
    let r = render_one(json!({}));
    let env = r.env();
    assert_eq!(env["HOTLINE_BROKERS"], "kafka-bootstrap.kafka.svc:9092");
    assert_eq!(env["HOTLINE_TOPIC"], "hotline.events");
    assert_eq!(env["HOTLINE_GROUP"], "hotline-pulse");
    assert_eq!(
        env["HOTLINE_GROUP_INSTANCE_ID"], "fieldRef:metadata.name",
        "static membership comes from the pod's name"
    );
    // The port is bound on the pod's own address, which Prometheus and the probes reach.
    assert_eq!(env["POD_IP"], "fieldRef:status.podIP");
    assert_eq!(env["HOTLINE_LISTEN"], "$(POD_IP):9898");
    let c = r.container();
    assert_eq!(c["ports"][0]["name"].as_str(), Some("http"));
    assert_eq!(c["ports"][0]["containerPort"].as_u64(), Some(9898));
    for (probe, path) in [
        ("startupProbe", "/healthz"),
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ] {
        assert_eq!(c[probe]["httpGet"]["path"].as_str(), Some(path), "{probe}");
        assert_eq!(
            c[probe]["httpGet"]["port"].as_str(),
            Some("http"),
            "{probe}"
        );
        assert_eq!(
            c[probe]["httpGet"]["scheme"].as_str(),
            Some("HTTP"),
            "{probe}"
        );
    }
    // The cache is an emptyDir at HOTLINE_STATE_DIR.
    let mounts = r.mounts();
    let cache = &mounts[&env["HOTLINE_STATE_DIR"]];
    assert!(
        cache["emptyDir"].is_mapping(),
        "the cache is not an emptyDir"
    );
    // The config files are the repository's.
    let config_dir = Path::new(&env["HOTLINE_CONFIG"])
        .parent()
        .expect("a directory")
        .display()
        .to_string();
    let cm_name = mounts[&config_dir]["configMap"]["name"].clone();
    let cm = r
        .of_kind("ConfigMap")
        .into_iter()
        .find(|c| c["metadata"]["name"] == cm_name)
        .expect("the config ConfigMap is rendered");
    for (key, file) in [
        ("HOTLINE_CONFIG", "assessment.toml"),
        ("HOTLINE_UNIT_REGISTRY", "units.toml"),
    ] {
        assert_eq!(env[key], format!("{config_dir}/{file}"));
        assert_eq!(
            cm["data"][file].as_str(),
            Some(read(&repo().join("deploy/config").join(file)).as_str()),
            "the chart's {file} differs from deploy/config/{file}"
        );
    }
    // Graceful shutdown fits in the kubelet's grace period; non-root, read-only root.
    let pod = &r.deployment()["spec"]["template"]["spec"];
    let grace: u64 = env["HOTLINE_SHUTDOWN_GRACE_SECS"]
        .parse()
        .expect("a number");
    assert!(pod["terminationGracePeriodSeconds"].as_u64().unwrap_or(0) > grace);
    assert_eq!(pod["securityContext"]["runAsNonRoot"].as_bool(), Some(true));
    assert_eq!(
        c["securityContext"]["readOnlyRootFilesystem"].as_bool(),
        Some(true)
    );
}

#[test]
fn topics_options_and_credentials_come_from_values_and_secrets_stay_in_secrets() {
    let secret = "pa,ss=w0rd-s3cret";
    let cases = [
        json!({
            "kafka": {
                "brokers": "b1:9093,b2:9093",
                "topics": {"input": "city.events", "dlq": "city.dlq", "changelog": "city.state", "views": "city.views"},
                "options": {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "message.max.bytes": 10000000},
                "credentials": {"existingSecret": "city-kafka", "key": "client.properties"},
                "caSecret": "city-kafka-ca"
            }
        }),
        json!({
            "kafka": {"credentials": {"create": true, "properties": {"sasl.username": "hotline", "sasl.password": secret}}}
        }),
    ];
    let rendered = render(&cases);
    let existing = &rendered[0];
    assert!(
        lint_problems(existing).is_empty(),
        "{:?}",
        lint_problems(existing)
    );
    let env = existing.env();
    assert_eq!(env["HOTLINE_BROKERS"], "b1:9093,b2:9093");
    assert_eq!(env["HOTLINE_TOPIC"], "city.events");
    assert_eq!(env["HOTLINE_DLQ_TOPIC"], "city.dlq");
    assert_eq!(env["HOTLINE_CHANGELOG_TOPIC"], "city.state");
    assert_eq!(env["HOTLINE_VIEWS_TOPIC"], "city.views");
    let args = existing.args();
    for option in [
        "security.protocol=SASL_SSL",
        "sasl.mechanism=SCRAM-SHA-512",
        "message.max.bytes=10000000",
    ] {
        assert!(
            args.windows(2)
                .any(|w| w[0] == "--kafka-option" && w[1] == option),
            "--kafka-option {option} missing from {args:?}"
        );
    }
    let properties = Path::new(&env["HOTLINE_KAFKA_CONFIG"]);
    assert_eq!(
        properties.file_name().and_then(|f| f.to_str()),
        Some("client.properties")
    );
    let mounts = existing.mounts();
    let dir = properties
        .parent()
        .expect("a directory")
        .display()
        .to_string();
    assert_eq!(
        mounts[&dir]["secret"]["secretName"].as_str(),
        Some("city-kafka")
    );
    assert!(mounts
        .values()
        .any(|v| v["secret"]["secretName"].as_str() == Some("city-kafka-ca")));
    assert!(
        existing.of_kind("Secret").is_empty(),
        "an existing Secret is not recreated"
    );

    // Created by the chart: the password is in the Secret's properties file and nowhere else.
    let created = &rendered[1];
    let s = created.one("Secret");
    let file = s["stringData"]["kafka.properties"].as_str().unwrap_or("");
    assert!(
        file.lines().any(|l| l == format!("sasl.password={secret}")),
        "{file}"
    );
    assert!(file.lines().any(|l| l == "sasl.username=hotline"), "{file}");
    let env = created.env();
    let dir = Path::new(&env["HOTLINE_KAFKA_CONFIG"])
        .parent()
        .expect("a directory")
        .display()
        .to_string();
    assert_eq!(
        created.mounts()[&dir]["secret"]["secretName"],
        s["metadata"]["name"]
    );
    assert!(
        !created.text_outside_secrets().contains(secret),
        "the SASL password leaks outside the Secret"
    );
}

#[test]
fn the_prometheus_rule_carries_every_group_of_deploy_prometheus_rules() {
    let r = render_one(json!({}));
    let rule = r.one("PrometheusRule");
    let rendered: Vec<Yaml> = rule["spec"]["groups"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    let mut expected: Vec<Yaml> = Vec::new();
    for path in sorted_files(&repo().join("deploy/prometheus/rules"), "yml") {
        let doc: Yaml = serde_yaml::from_str(&read(&path)).expect("rule file YAML");
        expected.extend(doc["groups"].as_sequence().cloned().unwrap_or_default());
    }
    assert!(!expected.is_empty());
    let names = |groups: &[Yaml]| -> Vec<String> {
        groups
            .iter()
            .filter_map(|g| g["name"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(names(&rendered), names(&expected));
    assert_eq!(
        rendered, expected,
        "the PrometheusRule differs from deploy/prometheus/rules"
    );
}

#[test]
fn the_dashboards_are_config_maps_for_grafanas_sidecar() {
    let cases = [
        json!({"dashboards": {"annotations": {"grafana_folder": "12345 热线"}, "namespace": "monitoring"}}),
        json!({"dashboards": {"enabled": false}, "serviceMonitor": {"enabled": false}, "prometheusRule": {"enabled": false}}),
    ];
    let rendered = render(&cases);
    let r = &rendered[0];
    let dashboards: Vec<&Yaml> = r
        .of_kind("ConfigMap")
        .into_iter()
        .filter(|c| c["metadata"]["labels"]["grafana_dashboard"].as_str() == Some("1"))
        .collect();
    let files = sorted_files(&repo().join("deploy/grafana/dashboards"), "json");
    assert_eq!(dashboards.len(), files.len(), "one ConfigMap per dashboard");
    for path in files {
        let name = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
        let cm = dashboards
            .iter()
            .find(|c| c["data"][name].is_string())
            .unwrap_or_else(|| panic!("no ConfigMap carries {name}"));
        let carried: Json = serde_json::from_str(cm["data"][name].as_str().unwrap_or(""))
            .unwrap_or_else(|e| panic!("{name} in its ConfigMap is not JSON: {e}"));
        let file: Json = serde_json::from_str(&read(&path)).expect("dashboard JSON");
        assert_eq!(
            carried, file,
            "{name} differs from deploy/grafana/dashboards"
        );
        assert_eq!(cm["metadata"]["namespace"].as_str(), Some("monitoring"));
        assert_eq!(
            cm["metadata"]["annotations"]["grafana_folder"].as_str(),
            Some("12345 热线")
        );
    }
    // Off when asked.
    let off = &rendered[1];
    for kind in ["ServiceMonitor", "PrometheusRule"] {
        assert!(
            off.of_kind(kind).is_empty(),
            "{kind} rendered while disabled"
        );
    }
    assert!(off
        .of_kind("ConfigMap")
        .iter()
        .all(|c| c["metadata"]["labels"]["grafana_dashboard"].is_null()));
}

#[test]
fn the_service_monitor_scrapes_every_pod_as_job_hotline_pulse() {
    let cases = [
        json!({"serviceMonitor": {"labels": {"release": "kube-prometheus-stack"}}}),
        json!({
            "webConfig": {"existingSecret": "hotline-web", "tls": true},
            "serviceMonitor": {"basicAuth": {"secretName": "hotline-scrape"}, "tlsConfig": {"insecureSkipVerify": false, "serverName": "hotline-pulse"}}
        }),
    ];
    let rendered = render(&cases);
    let r = &rendered[0];
    let sm = r.one("ServiceMonitor");
    assert_eq!(
        sm["metadata"]["labels"]["release"].as_str(),
        Some("kube-prometheus-stack")
    );
    let services = r.of_kind("Service");
    assert_eq!(
        services.len(),
        2,
        "an API Service and a headless metrics Service"
    );
    let picked: Vec<&&Yaml> = services
        .iter()
        .filter(|s| {
            selects(
                &sm["spec"]["selector"]["matchLabels"],
                &s["metadata"]["labels"],
            )
        })
        .collect();
    assert_eq!(
        picked.len(),
        1,
        "the ServiceMonitor must select exactly one Service"
    );
    let metrics = picked[0];
    assert_eq!(metrics["spec"]["clusterIP"].as_str(), Some("None"));
    assert_eq!(
        metrics["spec"]["publishNotReadyAddresses"].as_bool(),
        Some(true)
    );
    let pod_labels = &r.deployment()["spec"]["template"]["metadata"]["labels"];
    for s in &services {
        assert!(
            selects(&s["spec"]["selector"], pod_labels),
            "a Service selects no pod"
        );
        assert_eq!(s["spec"]["ports"][0]["targetPort"].as_str(), Some("http"));
    }
    let endpoint = &sm["spec"]["endpoints"][0];
    assert_eq!(endpoint["port"], metrics["spec"]["ports"][0]["name"]);
    assert_eq!(endpoint["path"].as_str(), Some("/metrics"));
    assert!(
        endpoint["relabelings"]
            .as_sequence()
            .into_iter()
            .flatten()
            .any(|rl| {
                rl["targetLabel"].as_str() == Some("job")
                    && rl["replacement"].as_str() == Some("hotline-pulse")
            }),
        "the scrape job is not named hotline-pulse, which the rules and dashboards expect"
    );

    // With TLS and basic auth: HTTPS probes and scrapes, credentials by reference.
    let tls = &rendered[1];
    let env = tls.env();
    let web = Path::new(&env["HOTLINE_WEB_CONFIG_FILE"]);
    let dir = web.parent().expect("a directory").display().to_string();
    assert_eq!(
        tls.mounts()[&dir]["secret"]["secretName"].as_str(),
        Some("hotline-web")
    );
    let c = tls.container();
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        assert_eq!(
            c[probe]["httpGet"]["scheme"].as_str(),
            Some("HTTPS"),
            "{probe}"
        );
    }
    let endpoint = &tls.one("ServiceMonitor")["spec"]["endpoints"][0];
    assert_eq!(endpoint["scheme"].as_str(), Some("https"));
    assert_eq!(
        endpoint["basicAuth"]["password"]["name"].as_str(),
        Some("hotline-scrape")
    );
    assert_eq!(
        endpoint["tlsConfig"]["serverName"].as_str(),
        Some("hotline-pulse")
    );
}

#[test]
fn optional_parts_follow_their_switches() {
    let cases = [json!({
        "kafka": {"staticMembership": false},
        "cache": {"enabled": false},
        "listen": {"address": "0.0.0.0", "port": 9100},
        "podDisruptionBudget": {"enabled": false},
        "config": {"assessment": "[assessment]\nmin_assigned = 5\n"}
    })];
    let r = &render(&cases)[0];
    let env = r.env();
    assert!(!env.contains_key("HOTLINE_GROUP_INSTANCE_ID"));
    assert!(!env.contains_key("HOTLINE_STATE_DIR"));
    assert!(!env.contains_key("POD_IP"));
    assert_eq!(env["HOTLINE_LISTEN"], "0.0.0.0:9100");
    assert_eq!(
        r.container()["ports"][0]["containerPort"].as_u64(),
        Some(9100)
    );
    assert!(r.of_kind("PodDisruptionBudget").is_empty());
    let cm = r
        .of_kind("ConfigMap")
        .into_iter()
        .find(|c| c["data"]["assessment.toml"].is_string())
        .expect("the config ConfigMap");
    assert_eq!(
        cm["data"]["assessment.toml"].as_str(),
        Some("[assessment]\nmin_assigned = 5\n")
    );
}

#[test]
fn contradictory_values_are_refused() {
    let cases = [
        json!({"terminationGracePeriodSeconds": 30, "shutdownGraceSeconds": 30}),
        json!({"kafka": {"credentials": {"create": true, "existingSecret": "x"}}}),
        json!({"kafka": {"brokers": ""}}),
    ];
    for (case, r) in cases.iter().zip(render(&cases)) {
        assert!(r.error.is_some(), "rendered although contradictory: {case}");
    }
}
