//! The Helm chart (deploy/helm/hotline-pulse), linted and rendered offline by Helm itself:
//! `helm lint --strict` and `helm template` through Helm's Go SDK, which PyPI's
//! `helm-python-sdk` ships as a library (no `helm` binary is in the registries reachable
//! here; scripts/test.sh installs the package into target/tools/helm-python). The rendered
//! manifests are then parsed and checked: what the Deployment wires, that secrets stay in
//! Secrets, that the PrometheusRule and the dashboard ConfigMaps carry deploy/'s files.

mod render;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value as Json};
use serde_yaml::Value as Yaml;

use render::*;

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
    assert!(r.of_kind("NetworkPolicy").is_empty(), "off by default");
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
fn a_network_policy_admits_only_the_listed_peers_on_the_http_port() {
    let peer = json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}});
    let r = render_one(json!({"networkPolicy": {"enabled": true, "from": [peer]}}));
    let np = r.one("NetworkPolicy");
    assert!(selects(
        &np["spec"]["podSelector"]["matchLabels"],
        &r.deployment()["spec"]["template"]["metadata"]["labels"]
    ));
    let rule = &np["spec"]["ingress"][0];
    assert_eq!(rule["ports"][0]["port"].as_str(), Some("http"));
    assert_eq!(
        serde_json::to_value(&rule["from"]).expect("JSON"),
        json!([peer]),
        "the peers are not the ones given"
    );
    // Enabled without peers would shut everyone out, Prometheus included: refused.
    let none = render(&[json!({"networkPolicy": {"enabled": true}})]).remove(0);
    assert!(
        none.error.is_some(),
        "a NetworkPolicy without peers rendered"
    );
}

#[test]
fn contradictory_or_misspelled_values_are_refused() {
    let cases = [
        json!({"terminationGracePeriodSeconds": 30, "shutdownGraceSeconds": 30}),
        json!({"kafka": {"credentials": {"create": true, "existingSecret": "x"}}}),
        json!({"kafka": {"brokers": ""}}),
        // A misspelled key would otherwise fall back to the default silently.
        json!({"kafka": {"broker": "b1:9092"}}),
        json!({"logs": {"format": "xml"}}),
    ];
    for (case, r) in cases.iter().zip(render(&cases)) {
        assert!(r.error.is_some(), "rendered although contradictory: {case}");
    }
    // helm lint reports the schema's refusal as an error, naming the key.
    let typo = &render(&cases[3..4])[0];
    assert!(
        lint_problems(typo)
            .iter()
            .any(|p| p.contains("'broker' not allowed")),
        "{:?}",
        lint_problems(typo)
    );
}
