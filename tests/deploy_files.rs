//! The deployment files hold together: docker-compose (Kafka in KRaft mode, the service
//! built from deploy/Dockerfile, Prometheus, Grafana, the one-shot producer), the
//! Dockerfile, the Kubernetes manifests and the Grafana dashboards. No Docker engine,
//! cluster or Grafana runs here, so their structure is checked by parsing them.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::prom;
use serde_yaml::Value as Yaml;

fn deploy(rel: &str) -> PathBuf {
    prom::deploy_dir().join(rel)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// A YAML scalar as text (numbers and booleans too).
fn text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A compose duration (`60s`, `1m30s`, `2m`) in seconds.
fn seconds(d: &str) -> u64 {
    let mut total = 0;
    let mut num = String::new();
    for c in d.chars() {
        if c.is_ascii_digit() {
            num.push(c);
        } else {
            let n: u64 = num.parse().unwrap_or_else(|_| panic!("bad duration {d:?}"));
            total += n * match c {
                'h' => 3600,
                'm' => 60,
                's' => 1,
                _ => panic!("bad duration {d:?}"),
            };
            num.clear();
        }
    }
    assert!(num.is_empty(), "duration {d:?} lacks a unit");
    total
}

// ---------------------------------------------------------------------------------------
// docker-compose

fn compose() -> Yaml {
    prom::load_yaml(&deploy("docker-compose.yml"))
}

fn service<'a>(compose: &'a Yaml, name: &str) -> &'a Yaml {
    let s = &compose["services"][name];
    assert!(s.is_mapping(), "docker-compose.yml has no service {name:?}");
    s
}

/// A service's environment, from the mapping or the `KEY=VALUE` list form.
fn environment(service: &Yaml) -> BTreeMap<String, String> {
    let env = &service["environment"];
    if let Some(map) = env.as_mapping() {
        map.iter()
            .filter_map(|(k, v)| Some((text(k)?, text(v).unwrap_or_default())))
            .collect()
    } else {
        env.as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let (k, v) = e.as_str()?.split_once('=')?;
                Some((k.to_owned(), v.to_owned()))
            })
            .collect()
    }
}

/// A service's volumes as (source, target): short `src:dst[:mode]` or long syntax.
fn volumes(service: &Yaml) -> Vec<(String, String)> {
    service["volumes"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|v| {
            if let Some(s) = v.as_str() {
                let mut parts = s.splitn(3, ':');
                Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
            } else {
                Some((
                    v["source"].as_str()?.to_owned(),
                    v["target"].as_str()?.to_owned(),
                ))
            }
        })
        .collect()
}

fn is_host_path(source: &str) -> bool {
    source.starts_with('.') || source.starts_with('/') || source.starts_with('~')
}

/// The services a service depends on, with their conditions.
fn depends_on(service: &Yaml) -> BTreeMap<String, String> {
    let d = &service["depends_on"];
    if let Some(list) = d.as_sequence() {
        list.iter()
            .filter_map(|s| Some((s.as_str()?.to_owned(), "service_started".to_owned())))
            .collect()
    } else {
        d.as_mapping()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| {
                let cond = v["condition"].as_str().unwrap_or("service_started");
                Some((k.as_str()?.to_owned(), cond.to_owned()))
            })
            .collect()
    }
}

/// A command or entrypoint as one string.
fn command_line(v: &Yaml) -> String {
    match v {
        Yaml::Sequence(s) => s.iter().filter_map(text).collect::<Vec<_>>().join(" "),
        other => text(other).unwrap_or_default(),
    }
}

#[test]
fn compose_runs_kafka_in_kraft_mode() {
    let c = compose();
    let kafka = service(&c, "kafka");
    let image = kafka["image"].as_str().unwrap_or("");
    assert!(
        image.starts_with("apache/kafka:"),
        "kafka image is {image:?}, not apache/kafka"
    );
    assert!(!image.ends_with(":latest"), "pin the Kafka image version");
    let env = environment(kafka);
    for key in [
        "KAFKA_NODE_ID",
        "KAFKA_PROCESS_ROLES",
        "KAFKA_LISTENERS",
        "KAFKA_ADVERTISED_LISTENERS",
        "KAFKA_CONTROLLER_LISTENER_NAMES",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP",
        "KAFKA_CONTROLLER_QUORUM_VOTERS",
        "CLUSTER_ID",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
    ] {
        assert!(
            env.contains_key(key),
            "kafka lacks {key}, which a single-node KRaft broker needs"
        );
    }
    let roles: BTreeSet<&str> = env["KAFKA_PROCESS_ROLES"]
        .split(',')
        .map(str::trim)
        .collect();
    assert_eq!(
        roles,
        BTreeSet::from(["broker", "controller"]),
        "one node is both broker and controller"
    );
    let controller = &env["KAFKA_CONTROLLER_LISTENER_NAMES"];
    assert!(
        env["KAFKA_LISTENERS"].contains(&format!("{controller}://")),
        "no {controller} listener"
    );
    assert!(env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].contains(&format!("{controller}:")));
    let voters = &env["KAFKA_CONTROLLER_QUORUM_VOTERS"];
    assert!(
        voters.starts_with(&format!("{}@", env["KAFKA_NODE_ID"])),
        "the quorum voter {voters:?} is not this node"
    );
    assert_eq!(
        env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"], "1",
        "a single broker cannot replicate"
    );
    // What the service and the producer are told to connect to must be advertised.
    let brokers = environment(service(&c, "hotline-pulse"))["HOTLINE_BROKERS"].clone();
    assert!(
        env["KAFKA_ADVERTISED_LISTENERS"].contains(&brokers),
        "HOTLINE_BROKERS={brokers} is not among the advertised listeners {}",
        env["KAFKA_ADVERTISED_LISTENERS"]
    );
    assert!(
        command_line(&service(&c, "producer")["command"]).contains(&format!("--brokers {brokers}")),
        "the producer does not feed {brokers}"
    );
    assert!(
        kafka["healthcheck"]["test"].is_sequence(),
        "kafka needs a healthcheck for depends_on"
    );
}

#[test]
fn compose_builds_and_runs_the_service() {
    let c = compose();
    let s = service(&c, "hotline-pulse");
    let context = deploy(
        s["build"]["context"]
            .as_str()
            .expect("hotline-pulse has build.context"),
    );
    assert!(
        context.join("Cargo.toml").is_file(),
        "build context {} is not the repository root",
        context.display()
    );
    let dockerfile = s["build"]["dockerfile"].as_str().expect("build.dockerfile");
    assert!(
        context.join(dockerfile).canonicalize().ok() == deploy("Dockerfile").canonicalize().ok(),
        "build.dockerfile {dockerfile} is not deploy/Dockerfile"
    );

    let health = command_line(&s["healthcheck"]["test"]);
    assert!(
        health.contains("/readyz"),
        "the healthcheck does not probe /readyz: {health}"
    );

    let deps = depends_on(s);
    assert_eq!(
        deps.get("kafka").map(String::as_str),
        Some("service_healthy"),
        "{deps:?}"
    );
    for dep in deps.keys() {
        service(&c, dep);
    }

    let env = environment(s);
    for key in [
        "HOTLINE_LISTEN",
        "HOTLINE_BROKERS",
        "HOTLINE_TOPIC",
        "HOTLINE_GROUP",
        "HOTLINE_STATE_DIR",
        "HOTLINE_CONFIG",
        "HOTLINE_UNIT_REGISTRY",
        "HOTLINE_SHUTDOWN_GRACE_SECS",
    ] {
        assert!(env.contains_key(key), "hotline-pulse lacks {key}");
    }
    let grace: u64 = env["HOTLINE_SHUTDOWN_GRACE_SECS"]
        .parse()
        .expect("a number");
    let stop = seconds(s["stop_grace_period"].as_str().expect("stop_grace_period"));
    assert!(
        stop > grace,
        "stop_grace_period {stop}s must exceed the shutdown grace {grace}s"
    );

    // The state dir is a named volume; the config files are the ones in deploy/config.
    let vols = volumes(s);
    let state = vols
        .iter()
        .find(|(_, t)| *t == env["HOTLINE_STATE_DIR"])
        .unwrap_or_else(|| panic!("nothing mounted at HOTLINE_STATE_DIR: {vols:?}"));
    assert!(
        !is_host_path(&state.0),
        "the state dir must be a named volume, not {}",
        state.0
    );
    for (key, file) in [
        ("HOTLINE_CONFIG", "assessment.toml"),
        ("HOTLINE_UNIT_REGISTRY", "units.toml"),
    ] {
        let (src, _) = vols
            .iter()
            .find(|(_, t)| *t == env[key])
            .unwrap_or_else(|| panic!("nothing mounted at {key}={}", env[key]));
        assert_eq!(
            deploy(src).canonicalize().ok(),
            deploy(&format!("config/{file}")).canonicalize().ok(),
            "{key} is not deploy/config/{file}"
        );
    }

    // Prometheus scrapes the service where it listens.
    let port = env["HOTLINE_LISTEN"].rsplit(':').next().unwrap_or("");
    let prom_cfg = read(&deploy("prometheus/prometheus.yml"));
    assert!(
        prom_cfg.contains(&format!("hotline-pulse:{port}")),
        "prometheus.yml does not scrape hotline-pulse:{port}"
    );
    assert!(prom_cfg.contains(&format!("job_name: {}", prom::JOB)));
}

#[test]
fn compose_producer_is_one_shot() {
    let c = compose();
    let p = service(&c, "producer");
    assert_eq!(
        p["restart"].as_str(),
        Some("no"),
        "the producer must not restart (restart: \"no\")"
    );
    assert_eq!(
        p["image"],
        service(&c, "hotline-pulse")["image"],
        "the producer runs the service's image"
    );
    let cmd = format!(
        "{} {}",
        command_line(&p["entrypoint"]),
        command_line(&p["command"])
    );
    for word in ["produce", "--simulate", "--topic hotline.events"] {
        assert!(cmd.contains(word), "producer command lacks {word:?}: {cmd}");
    }
    assert!(
        !depends_on(p).is_empty(),
        "the producer must wait for Kafka"
    );
}

#[test]
fn compose_prometheus_and_grafana_are_provisioned() {
    let c = compose();
    let prometheus = service(&c, "prometheus");
    assert!(prometheus["image"]
        .as_str()
        .unwrap_or("")
        .starts_with("prom/prometheus:"));
    let pv = volumes(prometheus);
    let (src, dst) = pv
        .iter()
        .find(|(s, _)| is_host_path(s) && deploy(s).join("prometheus.yml").is_file())
        .unwrap_or_else(|| panic!("prometheus does not mount deploy/prometheus: {pv:?}"));
    assert!(
        command_line(&prometheus["command"])
            .contains(&format!("--config.file={dst}/prometheus.yml")),
        "prometheus is not started with {src}/prometheus.yml"
    );

    let grafana = service(&c, "grafana");
    assert!(grafana["image"]
        .as_str()
        .unwrap_or("")
        .starts_with("grafana/grafana:"));
    let gv = volumes(grafana);
    let target_of = |rel: &str| -> String {
        gv.iter()
            .find(|(s, _)| {
                is_host_path(s) && deploy(s).canonicalize().ok() == deploy(rel).canonicalize().ok()
            })
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| panic!("grafana does not mount deploy/{rel}: {gv:?}"))
    };
    assert_eq!(
        target_of("grafana/provisioning"),
        "/etc/grafana/provisioning"
    );
    // The dashboards provider reads the folder the dashboards are mounted at.
    let dashboards_at = target_of("grafana/dashboards");
    let providers = prom::load_yaml(&deploy("grafana/provisioning/dashboards/dashboards.yml"));
    let paths: Vec<&str> = providers["providers"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|p| p["options"]["path"].as_str())
        .collect();
    assert!(
        paths.contains(&dashboards_at.as_str()),
        "dashboards mounted at {dashboards_at}, providers read {paths:?}"
    );
    let home = environment(grafana)
        .get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
        .cloned()
        .unwrap_or_default();
    if let Some(file) = home.strip_prefix(&format!("{dashboards_at}/")) {
        assert!(
            deploy("grafana/dashboards").join(file).is_file(),
            "home dashboard {file} missing"
        );
    }
}

#[test]
fn compose_host_paths_and_named_volumes_exist() {
    let c = compose();
    let declared: BTreeSet<String> = c["volumes"]
        .as_mapping()
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| k.as_str().map(str::to_owned))
        .collect();
    let mut problems = Vec::new();
    for (name, s) in c["services"].as_mapping().expect("services").iter() {
        let name = name.as_str().unwrap_or("?");
        for (src, dst) in volumes(s) {
            if is_host_path(&src) {
                if !deploy(&src).exists() {
                    problems.push(format!(
                        "{name}: host path {src} (for {dst}) does not exist"
                    ));
                }
            } else if !declared.contains(&src) {
                problems.push(format!(
                    "{name}: named volume {src} is not declared under volumes:"
                ));
            }
        }
        for dep in depends_on(s).keys() {
            if !c["services"][dep.as_str()].is_mapping() {
                problems.push(format!("{name}: depends on unknown service {dep}"));
            }
        }
        if let Some(ctx) = s["build"]["context"].as_str() {
            if !deploy(ctx).is_dir() {
                problems.push(format!("{name}: build context {ctx} does not exist"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Dockerfile

/// The Dockerfile's instructions (continuation lines joined, comments dropped), split
/// into stages at each FROM.
fn dockerfile_stages() -> Vec<Vec<String>> {
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in read(&deploy("Dockerfile")).lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
        } else {
            current.push_str(trimmed);
            if !current.trim().is_empty() {
                instructions.push(current.trim().to_owned());
            }
            current.clear();
        }
    }
    let mut stages: Vec<Vec<String>> = Vec::new();
    for i in instructions {
        if i.to_uppercase().starts_with("FROM ") {
            stages.push(Vec::new());
        }
        if let Some(stage) = stages.last_mut() {
            stage.push(i);
        }
    }
    stages
}

#[test]
fn dockerfile_is_multi_stage_non_root_with_an_honest_healthcheck() {
    let stages = dockerfile_stages();
    assert!(stages.len() >= 2, "deploy/Dockerfile is not multi-stage");
    assert!(
        stages[0][0].contains("rust:"),
        "the build stage is not a Rust image: {}",
        stages[0][0]
    );
    let runtime = stages.last().expect("a runtime stage");
    assert!(
        runtime[0].contains("debian:") && runtime[0].contains("-slim"),
        "runtime: {}",
        runtime[0]
    );
    assert!(
        runtime.iter().any(|i| i.starts_with("COPY --from=")),
        "the runtime stage does not copy the built binary"
    );

    let user = runtime
        .iter()
        .rev()
        .find_map(|i| i.strip_prefix("USER "))
        .expect("the runtime stage sets USER");
    let user_name = user.split(':').next().unwrap_or("").trim();
    assert!(
        !matches!(user_name, "root" | "0" | ""),
        "USER {user} is root"
    );

    let health = runtime
        .iter()
        .find(|i| i.starts_with("HEALTHCHECK "))
        .expect("the runtime stage has a HEALTHCHECK");
    assert!(
        health.contains("/readyz"),
        "HEALTHCHECK does not probe /readyz: {health}"
    );
    // The probing tool must be in the image: installed in the runtime stage, or the binary.
    let cmd = health
        .split(" CMD ")
        .nth(1)
        .expect("HEALTHCHECK ... CMD ...");
    let tool = cmd
        .trim_start_matches('[')
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_matches(|c| c == '"' || c == ',');
    if tool != "hotline-pulse" {
        assert!(
            runtime
                .iter()
                .any(|i| i.contains("apt-get install") && i.split_whitespace().any(|w| w == tool)),
            "HEALTHCHECK runs {tool}, which the runtime stage does not install"
        );
    }
    assert!(
        runtime
            .iter()
            .any(|i| i.starts_with("ENTRYPOINT") && i.contains("hotline-pulse")),
        "the image's entrypoint is not hotline-pulse"
    );
}

// ---------------------------------------------------------------------------------------
// Kubernetes

/// Every document of every manifest in deploy/k8s but the kustomization.
fn k8s_documents() -> Vec<(String, Yaml)> {
    let mut docs = Vec::new();
    for path in prom::files_with_ext(&deploy("k8s"), "yaml") {
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if file == "kustomization.yaml" {
            continue;
        }
        let mut chunk = String::new();
        let text = read(&path);
        for line in text.lines().chain(std::iter::once("---")) {
            if line.trim_end() == "---" {
                let doc: Yaml = serde_yaml::from_str(&chunk)
                    .unwrap_or_else(|e| panic!("{file}: invalid YAML document: {e}"));
                if !doc.is_null() {
                    docs.push((file.clone(), doc));
                }
                chunk.clear();
            } else {
                chunk.push_str(line);
                chunk.push('\n');
            }
        }
    }
    docs
}

fn of_kind<'a>(docs: &'a [(String, Yaml)], kind: &str) -> Vec<&'a Yaml> {
    docs.iter()
        .filter(|(_, d)| d["kind"] == kind)
        .map(|(_, d)| d)
        .collect()
}

/// Whether every label of `selector` is in `labels` with the same value.
fn selects(selector: &Yaml, labels: &Yaml) -> bool {
    let Some(sel) = selector.as_mapping() else {
        return false;
    };
    !sel.is_empty() && sel.iter().all(|(k, v)| labels.get(k) == Some(v))
}

#[test]
fn k8s_manifests_have_the_expected_kinds() {
    let docs = k8s_documents();
    let expected = [
        ("Deployment", "apps/v1"),
        ("Service", "v1"),
        ("ServiceMonitor", "monitoring.coreos.com/v1"),
        ("PodDisruptionBudget", "policy/v1"),
        ("ConfigMap", "v1"),
    ];
    for (kind, api) in expected {
        let found = of_kind(&docs, kind);
        assert!(!found.is_empty(), "no {kind} in deploy/k8s");
        for d in found {
            assert_eq!(d["apiVersion"].as_str(), Some(api), "{kind} apiVersion");
            assert!(d["metadata"]["name"].is_string(), "a {kind} without a name");
        }
    }
    // State lives in Kafka (changelog and views topics): no pod needs an identity or a
    // volume of its own.
    for kind in ["StatefulSet", "PersistentVolumeClaim"] {
        assert!(
            of_kind(&docs, kind).is_empty(),
            "deploy/k8s still has a {kind}"
        );
    }
    let services = of_kind(&docs, "Service");
    assert_eq!(services.len(), 2, "a headless and a regular Service");
    assert!(
        services.iter().any(|s| s["spec"]["clusterIP"] == "None"),
        "no headless Service"
    );

    // The kustomization lists every manifest, and only existing ones.
    let k = prom::load_yaml(&deploy("k8s/kustomization.yaml"));
    assert_eq!(k["kind"].as_str(), Some("Kustomization"));
    let listed: BTreeSet<String> = k["resources"]
        .as_sequence()
        .expect("kustomization resources")
        .iter()
        .filter_map(|r| r.as_str().map(str::to_owned))
        .collect();
    let present: BTreeSet<String> = prom::files_with_ext(&deploy("k8s"), "yaml")
        .iter()
        .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .filter(|f| f != "kustomization.yaml")
        .collect();
    assert_eq!(
        listed, present,
        "kustomization.yaml resources vs files in deploy/k8s"
    );
}

#[test]
fn k8s_deployment_services_pdb_and_monitor_agree() {
    let docs = k8s_documents();
    let deployment = of_kind(&docs, "Deployment")[0];
    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
    assert!(
        selects(&deployment["spec"]["selector"]["matchLabels"], pod_labels),
        "the Deployment selector does not match its pod template"
    );
    let services = of_kind(&docs, "Service");
    for s in &services {
        assert!(
            selects(&s["spec"]["selector"], pod_labels),
            "Service {:?} does not select the pods",
            s["metadata"]["name"]
        );
    }
    let headless = services
        .iter()
        .find(|s| s["spec"]["clusterIP"] == "None")
        .expect("headless Service");
    assert_eq!(
        headless["spec"]["publishNotReadyAddresses"].as_bool(),
        Some(true),
        "pods still catching up must be scraped too"
    );

    let pdb = of_kind(&docs, "PodDisruptionBudget")[0];
    assert!(
        selects(&pdb["spec"]["selector"]["matchLabels"], pod_labels),
        "the PodDisruptionBudget does not select the pods"
    );

    // The ServiceMonitor picks exactly one Service (no double scrape), on a port it has,
    // and names the job the rules expect.
    let sm = of_kind(&docs, "ServiceMonitor")[0];
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
    let endpoint_port = &sm["spec"]["endpoints"][0]["port"];
    assert!(
        picked[0]["spec"]["ports"]
            .as_sequence()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == *endpoint_port),
        "the monitored Service has no port {endpoint_port:?}"
    );
    assert_eq!(
        sm["spec"]["endpoints"][0]["path"].as_str(),
        Some("/metrics")
    );
    let job_label = sm["spec"]["jobLabel"]
        .as_str()
        .expect("ServiceMonitor jobLabel");
    assert_eq!(
        picked[0]["metadata"]["labels"][job_label].as_str(),
        Some(prom::JOB),
        "the scrape job must be called {}",
        prom::JOB
    );

    // Every Service's targetPort is a named container port.
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let port_names: BTreeSet<String> = container["ports"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    for s in &services {
        for p in s["spec"]["ports"].as_sequence().into_iter().flatten() {
            let tp = text(&p["targetPort"]).unwrap_or_default();
            assert!(
                port_names.contains(&tp),
                "targetPort {tp} is not a container port {port_names:?}"
            );
        }
    }
}

/// A container's environment: `envFrom` ConfigMaps first, then `env` (a value, or
/// `fieldRef:PATH` for the downward API).
fn container_env(docs: &[(String, Yaml)], container: &Yaml) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for from in container["envFrom"].as_sequence().into_iter().flatten() {
        let name = &from["configMapRef"]["name"];
        let cm = of_kind(docs, "ConfigMap")
            .into_iter()
            .find(|c| c["metadata"]["name"] == *name)
            .unwrap_or_else(|| panic!("envFrom ConfigMap {name:?} is not defined"));
        for (k, v) in cm["data"].as_mapping().into_iter().flatten() {
            if let (Some(k), Some(v)) = (text(k), text(v)) {
                env.insert(k, v);
            }
        }
    }
    for e in container["env"].as_sequence().into_iter().flatten() {
        let Some(name) = e["name"].as_str() else {
            continue;
        };
        let value = text(&e["value"]).or_else(|| {
            e["valueFrom"]["fieldRef"]["fieldPath"]
                .as_str()
                .map(|p| format!("fieldRef:{p}"))
        });
        if let Some(value) = value {
            env.insert(name.to_owned(), value);
        }
    }
    env
}

#[test]
fn k8s_pod_shuts_down_gracefully_probes_and_runs_as_non_root() {
    let docs = k8s_documents();
    let deployment = of_kind(&docs, "Deployment")[0];
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let env = container_env(&docs, container);

    let grace: u64 = env.get("HOTLINE_SHUTDOWN_GRACE_SECS").map_or(30, |v| {
        v.parse().expect("HOTLINE_SHUTDOWN_GRACE_SECS is a number")
    });
    let termination = pod["terminationGracePeriodSeconds"]
        .as_u64()
        .expect("terminationGracePeriodSeconds");
    assert!(
        termination > grace,
        "terminationGracePeriodSeconds {termination} <= shutdown grace {grace}"
    );

    assert_eq!(
        container["readinessProbe"]["httpGet"]["path"].as_str(),
        Some("/readyz")
    );
    assert_eq!(
        container["livenessProbe"]["httpGet"]["path"].as_str(),
        Some("/healthz")
    );

    let non_root = pod["securityContext"]["runAsNonRoot"].as_bool() == Some(true)
        || container["securityContext"]["runAsNonRoot"].as_bool() == Some(true);
    assert!(non_root, "runAsNonRoot is not set");
    for ctx in [&pod["securityContext"], &container["securityContext"]] {
        assert_ne!(ctx["runAsUser"].as_u64(), Some(0), "runAsUser 0");
    }
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"].as_bool(),
        Some(false)
    );
    for kind in ["requests", "limits"] {
        assert!(
            container["resources"][kind]["memory"].is_string(),
            "resources.{kind}.memory is not set"
        );
    }

    // The state dir is an optional cache (an emptyDir); the config is the ConfigMap.
    let mounts: BTreeMap<String, String> = container["volumeMounts"]
        .as_sequence()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            Some((
                m["mountPath"].as_str()?.to_owned(),
                m["name"].as_str()?.to_owned(),
            ))
        })
        .collect();
    let volume = |name: &str| {
        pod["volumes"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find(|v| v["name"].as_str() == Some(name))
            .cloned()
            .unwrap_or_else(|| panic!("no volume {name}"))
    };
    let state_dir = env.get("HOTLINE_STATE_DIR").expect("HOTLINE_STATE_DIR");
    let cache = mounts.get(state_dir).expect("a volume at the state dir");
    assert!(
        volume(cache)["emptyDir"].is_mapping(),
        "the cache at {state_dir} is not an emptyDir"
    );

    let config_dir = Path::new(env.get("HOTLINE_CONFIG").expect("HOTLINE_CONFIG"))
        .parent()
        .expect("a config dir")
        .display()
        .to_string();
    let config_volume = mounts.get(&config_dir).expect("a volume at the config dir");
    let cm_name = pod["volumes"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|v| v["name"].as_str() == Some(config_volume))
        .and_then(|v| v["configMap"]["name"].as_str())
        .expect("the config volume is a ConfigMap");
    assert!(
        of_kind(&docs, "ConfigMap")
            .iter()
            .any(|c| c["metadata"]["name"] == cm_name),
        "ConfigMap {cm_name} is not defined"
    );
    for (key, file) in [
        ("HOTLINE_CONFIG", "assessment.toml"),
        ("HOTLINE_UNIT_REGISTRY", "units.toml"),
    ] {
        assert_eq!(env.get(key), Some(&format!("{config_dir}/{file}")), "{key}");
    }
}

#[test]
fn k8s_pod_reads_kafka_topics_and_static_membership() {
    let docs = k8s_documents();
    let deployment = of_kind(&docs, "Deployment")[0];
    let env = container_env(
        &docs,
        &deployment["spec"]["template"]["spec"]["containers"][0],
    );
    for key in [
        "HOTLINE_BROKERS",
        "HOTLINE_GROUP",
        "HOTLINE_TOPIC",
        "HOTLINE_DLQ_TOPIC",
        "HOTLINE_CHANGELOG_TOPIC",
        "HOTLINE_VIEWS_TOPIC",
    ] {
        assert!(
            env.get(key).is_some_and(|v| !v.is_empty()),
            "the pod lacks {key}"
        );
    }
    let topics: BTreeSet<&str> = [
        "HOTLINE_TOPIC",
        "HOTLINE_DLQ_TOPIC",
        "HOTLINE_CHANGELOG_TOPIC",
        "HOTLINE_VIEWS_TOPIC",
    ]
    .iter()
    .map(|k| env[*k].as_str())
    .collect();
    assert_eq!(topics.len(), 4, "the four topics must differ: {topics:?}");
    assert_eq!(
        env.get("HOTLINE_GROUP_INSTANCE_ID").map(String::as_str),
        Some("fieldRef:metadata.name"),
        "static membership comes from the pod's name"
    );
    // Bound on the pod's address (reachable by Prometheus and the probes), not 0.0.0.0.
    assert_eq!(
        env.get("POD_IP").map(String::as_str),
        Some("fieldRef:status.podIP")
    );
    assert_eq!(
        env.get("HOTLINE_LISTEN").map(String::as_str),
        Some("$(POD_IP):9898")
    );
}

#[test]
fn k8s_configmap_carries_the_deploy_config() {
    let docs = k8s_documents();
    let cm = of_kind(&docs, "ConfigMap")
        .into_iter()
        .find(|c| c["data"]["assessment.toml"].is_string())
        .expect("a ConfigMap with assessment.toml");
    for file in ["assessment.toml", "units.toml"] {
        assert_eq!(
            cm["data"][file].as_str(),
            Some(read(&deploy(&format!("config/{file}"))).as_str()),
            "the ConfigMap's {file} differs from deploy/config/{file}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Grafana

/// Every panel and query variable reads the `$datasource` template variable, so the
/// dashboards work in a Grafana whose Prometheus has any uid.
const DATASOURCE: &str = "${datasource}";

#[test]
fn dashboards_exist_with_their_variables() {
    let names: Vec<String> = prom::dashboard_files()
        .iter()
        .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .collect();
    let expected: [(&str, &[&str]); 4] = [
        ("office-overview.json", &["month", "center"]),
        ("unit-scoreboard.json", &["month", "center"]),
        ("unit-drilldown.json", &["month", "center", "unit"]),
        ("pipeline-health.json", &[]),
    ];
    for (file, vars) in expected {
        assert!(
            names.iter().any(|n| n == file),
            "deploy/grafana/dashboards/{file} is missing"
        );
        let dash = prom::load_json(&deploy("grafana/dashboards").join(file));
        let defined = prom::template_variables(&dash);
        for v in vars {
            assert!(
                defined.iter().any(|d| d == v),
                "{file} lacks the ${v} variable"
            );
        }
    }
    let office = prom::load_json(&deploy("grafana/dashboards/office-overview.json"));
    let month = office["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["name"] == "month")
        .and_then(prom::variable_query)
        .unwrap_or_default();
    assert_eq!(month, "label_values(hotline_orders_dispatched, month)");
}

#[test]
fn every_dashboard_panel_is_complete() {
    let mut problems = Vec::new();
    let mut uids = BTreeSet::new();
    for path in prom::dashboard_files() {
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let dash = prom::load_json(&path);
        if !uids.insert(dash["uid"].as_str().unwrap_or("").to_owned()) {
            problems.push(format!("{file}: duplicate or missing uid"));
        }
        if dash["schemaVersion"].as_u64().unwrap_or(0) < 36 {
            problems.push(format!("{file}: schemaVersion below 36"));
        }
        let defined: BTreeSet<String> = prom::template_variables(&dash).into_iter().collect();
        for var in dash["templating"]["list"].as_array().into_iter().flatten() {
            let name = var["name"].as_str().unwrap_or("?");
            if var["type"] == "query" && var["datasource"]["uid"] != DATASOURCE {
                problems.push(format!(
                    "{file}: variable ${name} does not use the datasource {DATASOURCE}"
                ));
            }
            for used in prom::variables_in(&prom::variable_query(var).unwrap_or_default()) {
                if !defined.contains(&used) {
                    problems.push(format!("{file}: variable ${name} uses undefined ${used}"));
                }
            }
        }
        for panel in prom::panels(&dash) {
            if panel["type"] == "row" {
                continue;
            }
            let title = panel["title"].as_str().unwrap_or("");
            let at = format!("{file}: panel {title:?}");
            if title.trim().is_empty() {
                problems.push(format!("{file}: panel id {} has no title", panel["id"]));
            } else if !has_chinese(title) {
                problems.push(format!("{at}: the title is not Chinese"));
            }
            if panel["description"]
                .as_str()
                .is_none_or(|d| d.trim().is_empty())
            {
                problems.push(format!("{at}: no description"));
            }
            if panel["datasource"]["uid"] != DATASOURCE {
                problems.push(format!("{at}: datasource uid is not `{DATASOURCE}`"));
            }
            let targets = panel["targets"].as_array().cloned().unwrap_or_default();
            if !targets
                .iter()
                .any(|t| t["expr"].as_str().is_some_and(|e| !e.trim().is_empty()))
            {
                problems.push(format!("{at}: no target with an expr"));
            }
            for t in &targets {
                if !t["datasource"].is_null() && t["datasource"]["uid"] != DATASOURCE {
                    problems.push(format!(
                        "{at}: target {} uses another datasource",
                        t["refId"]
                    ));
                }
                for used in prom::variables_in(t["expr"].as_str().unwrap_or("")) {
                    if !defined.contains(&used) {
                        problems.push(format!("{at}: ${used} is not a template variable"));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn dashboards_use_only_the_metric_contract_and_recorded_series() {
    let recorded: BTreeSet<String> = prom::all_recording_rules()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let values = [
        ("center", "c"),
        ("month", "2026-11"),
        ("unit", "u"),
        ("instance", ".*"),
    ];
    let mut problems = Vec::new();
    for q in prom::all_dashboard_queries(&values) {
        for name in prom::series_names(&q.expr) {
            let known = if name.contains(':') {
                recorded.contains(&name)
            } else {
                prom::is_known_metric(&name)
            };
            if !known {
                problems.push(format!(
                    "{} / {}: unknown series {name}",
                    q.dashboard, q.panel
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn grafana_provisions_the_default_datasource_the_variable_picks() {
    // The dashboards' $datasource variable lists datasources of type prometheus and starts
    // on the default one: compose's Grafana provisions exactly that.
    let ds = prom::load_yaml(&deploy("grafana/provisioning/datasources/prometheus.yml"));
    let list = ds["datasources"].as_sequence().expect("datasources");
    let prometheus = list
        .iter()
        .find(|d| d["isDefault"].as_bool() == Some(true))
        .expect("a default datasource");
    assert_eq!(prometheus["type"].as_str(), Some("prometheus"));
    assert_eq!(
        prometheus["url"].as_str(),
        Some("http://prometheus:9090"),
        "the compose service"
    );
}

#[test]
fn the_harness_substitutes_and_finds_variables() {
    let expr = r#"sum by (x) (m{center=~"$center", month="${month}", unit="[[unit]]"}[$__rate_interval]) and label_replace(v, "a", "$1", "b", "(.*)")"#;
    let vars = prom::variables_in(expr);
    assert_eq!(
        vars,
        ["center", "month", "unit"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    assert_eq!(
        prom::substitute(
            expr,
            &[
                ("center", ".*"),
                ("month", "2026-11"),
                ("unit", "市卫生健康委员会")
            ]
        ),
        r#"sum by (x) (m{center=~".*", month="2026-11", unit="市卫生健康委员会"}[1m]) and label_replace(v, "a", "$1", "b", "(.*)")"#
    );
    assert_eq!(
        prom::variable_promql("label_values(hotline_orders_dispatched{month=\"$month\"}, center)"),
        "count by (center) (hotline_orders_dispatched{month=\"$month\"})"
    );
    assert_eq!(
        prom::series_names(r#"sum(hotline:unit_orders_assigned:sum{unit="hotline_x"}) / up"#),
        ["hotline:unit_orders_assigned:sum", "up"]
            .map(String::from)
            .into_iter()
            .collect()
    );
    assert_eq!(
        prom::url_encode("a b{c=\"市\"}"),
        "a%20b%7Bc%3D%22%E5%B8%82%22%7D"
    );
}
