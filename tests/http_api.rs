//! The service over real HTTP, started in-process on 127.0.0.1:0 with the simulated
//! hotline: `/metrics` carries every metric family of spec/metrics.md with its labels,
//! the JSON API agrees with it, and every response matches docs/openapi.yaml.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use common::http::{fetch, simulated_config, start_service, wait_for_data, ServiceHandle};
use prometheus_parse::{Sample, Scrape, Value};
use serde_json::Value as Json;

const MONTH: &str = "2024-11";

/// Per unit and month: `center`, `unit`, `month` (plus the extra label named here).
const UNIT_MONTH: &[(&str, Option<&str>)] = &[
    ("hotline_unit_orders_assigned", None),
    ("hotline_unit_orders_completed", None),
    ("hotline_unit_orders_completed_on_time", None),
    ("hotline_unit_orders_overdue", None),
    ("hotline_unit_orders_returned", None),
    ("hotline_unit_orders_reopened", None),
    ("hotline_unit_orders_first_time_resolved", None),
    ("hotline_unit_callbacks", Some("result")),
    ("hotline_unit_callbacks_resolved", None),
    ("hotline_unit_consultations", None),
    ("hotline_unit_consultations_answered_directly", None),
    ("hotline_unit_completion_ratio", None),
    ("hotline_unit_on_time_ratio", None),
    ("hotline_unit_satisfaction_ratio", None),
    ("hotline_unit_resolution_ratio", None),
    ("hotline_unit_first_time_resolution_ratio", None),
    ("hotline_unit_return_ratio", None),
    ("hotline_unit_instant_resolution_ratio", None),
    ("hotline_unit_assessed", None),
    ("hotline_unit_score", None),
    ("hotline_unit_handling_duration_seconds", None),
    // A summary: the parser folds its `quantile` label into the value (checked below).
    ("hotline_unit_handling_duration_quantile_seconds", None),
];
/// Per unit, live: `center`, `unit`.
const UNIT_LIVE: &[&str] = &[
    "hotline_unit_orders_open",
    "hotline_unit_orders_open_overdue",
    "hotline_unit_orders_due_soon",
];
/// Centre per month: `center`, `month` (plus these).
const CENTRE: &[(&str, &[&str])] = &[
    ("hotline_records", &["channel", "purpose", "disposition"]),
    ("hotline_records_by_category", &["category"]),
    ("hotline_orders_dispatched", &[]),
    ("hotline_orders_completed", &[]),
    ("hotline_orders_overdue", &["purpose"]),
    ("hotline_orders_first_time_resolved", &[]),
    ("hotline_callbacks", &["result"]),
    ("hotline_completion_ratio", &[]),
    ("hotline_satisfaction_ratio", &[]),
    ("hotline_first_time_resolution_ratio", &[]),
    ("hotline_instant_resolution_ratio", &[]),
    ("hotline_overdue_ratio", &["purpose"]),
    ("hotline_callbacks_unsatisfied_by_problem", &["problem"]),
];
/// The pipeline's own, with their labels. The Kafka consumer's lag and the checkpoint
/// time exist only with a broker, so they are not expected here.
const PIPELINE: &[(&str, &[&str])] = &[
    ("hotline_events_total", &["type"]),
    ("hotline_events_rejected_total", &["reason"]),
    ("hotline_events_duplicate_total", &[]),
    ("hotline_events_late_total", &[]),
    ("hotline_unknown_units_total", &[]),
    ("hotline_orders_tracked", &[]),
    ("hotline_watermark_timestamp_seconds", &[]),
    ("hotline_build_info", &["version", "revision"]),
];

fn service() -> ServiceHandle {
    let s = start_service(simulated_config(3000, (2024, 11)));
    wait_for_data(s.addr);
    s
}

fn scrape(addr: SocketAddr) -> Vec<Sample> {
    let (status, _, body) = fetch(addr, "/metrics");
    assert_eq!(status, 200);
    Scrape::parse(body.lines().map(|l| Ok(l.to_owned())))
        .expect("the exposition parses")
        .samples
}

fn value(s: &Sample) -> Option<f64> {
    match s.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => Some(v),
        _ => None,
    }
}

fn label_names(s: &Sample) -> BTreeSet<String> {
    s.labels.keys().cloned().collect()
}

fn json(addr: SocketAddr, path: &str) -> (u16, Json) {
    let (status, content_type, body) = fetch(addr, path);
    assert!(
        content_type.starts_with("application/json"),
        "{path}: {content_type}"
    );
    let v = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
    (status, v)
}

#[test]
fn metrics_are_the_text_exposition_format_in_utf8() {
    let s = start_service(simulated_config(100, (2024, 11)));
    let (status, content_type, _) = fetch(s.addr, "/metrics");
    assert_eq!(status, 200);
    // Label values are Chinese unit names: the charset must be said.
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    s.stop().expect("clean shutdown");
}

#[test]
fn metrics_carry_every_family_with_its_labels() {
    let s = service();
    let samples = scrape(s.addr);
    let mut by_family: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for x in &samples {
        let name = x.metric.as_str();
        // A histogram's _sum and _count belong to its family.
        let family = ["_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|base| base.ends_with("_seconds") && base.contains("duration"))
            })
            .unwrap_or(name);
        by_family.entry(family).or_default().push(x);
    }
    let set =
        |names: &[&str]| -> BTreeSet<String> { names.iter().map(|n| n.to_string()).collect() };
    let family = |name: &str| -> &Vec<&Sample> {
        by_family
            .get(name)
            .unwrap_or_else(|| panic!("{name} is missing from /metrics"))
    };

    for (name, extra) in UNIT_MONTH {
        let mut want = set(&["center", "unit", "month"]);
        want.extend(extra.map(str::to_owned));
        for x in family(name) {
            if x.metric.ends_with("_sum") || x.metric.ends_with("_count") {
                assert_eq!(label_names(x), set(&["center", "unit", "month"]), "{name}");
            } else {
                assert_eq!(label_names(x), want, "{name}");
            }
            assert_eq!(x.labels.get("center"), Some("12345"));
            assert_eq!(x.labels.get("month"), Some(MONTH), "{name}: {:?}", x.labels);
        }
    }
    for name in UNIT_LIVE {
        for x in family(name) {
            assert_eq!(label_names(x), set(&["center", "unit"]), "{name}");
        }
    }
    for (name, extra) in CENTRE {
        let mut want = set(&["center", "month"]);
        want.extend(extra.iter().map(|e| e.to_string()));
        for x in family(name) {
            assert_eq!(label_names(x), want, "{name}");
        }
    }
    for (name, labels) in PIPELINE {
        for x in family(name) {
            assert_eq!(label_names(x), set(labels), "{name}");
        }
    }
    let quantiles: BTreeSet<String> = family("hotline_unit_handling_duration_quantile_seconds")
        .iter()
        .filter_map(|x| match &x.value {
            Value::Summary(qs) => Some(qs.iter().map(|q| q.quantile.to_string())),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        quantiles,
        set(&["0.5", "0.9", "0.99"]),
        "a summary of three quantiles"
    );
    let applied: f64 = family("hotline_events_total")
        .iter()
        .filter_map(|x| value(x))
        .sum();
    assert!(applied > 3000.0, "{applied} events applied");

    // Ratios are 0..=1; completed never exceeds assigned.
    for (name, list) in &by_family {
        if name.ends_with("_ratio") {
            for x in list {
                let v = value(x).expect("a gauge");
                assert!((0.0..=1.0).contains(&v), "{name}{:?} = {v}", x.labels);
            }
        }
    }
    let per_unit = |name: &str| -> BTreeMap<String, f64> {
        family(name)
            .iter()
            .map(|x| {
                let unit = x.labels.get("unit").expect("unit").to_owned();
                (unit, value(x).expect("a gauge"))
            })
            .collect()
    };
    let assigned = per_unit("hotline_unit_orders_assigned");
    let completed = per_unit("hotline_unit_orders_completed");
    assert!(assigned.len() >= 10, "{} units", assigned.len());
    for (unit, done) in &completed {
        assert!(
            *done <= assigned[unit],
            "{unit}: {done} completed > {} assigned",
            assigned[unit]
        );
    }
    s.stop().expect("clean shutdown");
}

#[test]
fn the_json_api_agrees_with_the_metrics() {
    let s = service();
    let samples = scrape(s.addr);
    let metric = |name: &str, unit: Option<&str>| -> f64 {
        samples
            .iter()
            .filter(|x| x.metric == name && x.labels.get("month") == Some(MONTH))
            .filter(|x| unit.is_none_or(|u| x.labels.get("unit") == Some(u)))
            .filter_map(value)
            .sum()
    };

    let (status, months) = json(s.addr, "/api/v1/months");
    assert_eq!(status, 200);
    assert!(
        months["months"]
            .as_array()
            .expect("months")
            .contains(&serde_json::json!({"center": "12345", "month": MONTH})),
        "{months}"
    );

    let (status, units) = json(s.addr, &format!("/api/v1/months/{MONTH}/units"));
    assert_eq!(status, 200);
    assert_eq!(units["month"], MONTH);
    let list = units["units"].as_array().expect("units");
    assert!(!list.is_empty());
    for u in list {
        let name = u["unit"].as_str().expect("unit name");
        let n = |k: &str| u[k].as_i64().unwrap_or_else(|| panic!("{name}.{k}")) as f64;
        assert_eq!(
            n("assigned"),
            metric("hotline_unit_orders_assigned", Some(name)),
            "{name}"
        );
        assert_eq!(
            n("completed"),
            metric("hotline_unit_orders_completed", Some(name)),
            "{name}"
        );
        assert_eq!(
            n("overdue"),
            metric("hotline_unit_orders_overdue", Some(name)),
            "{name}"
        );
        assert_eq!(
            u["callbacks"]["total"].as_i64().unwrap() as f64,
            metric("hotline_unit_callbacks", Some(name)),
            "{name}"
        );
        if let Some(r) = u["ratios"]["satisfaction"].as_f64() {
            let m = metric("hotline_unit_satisfaction_ratio", Some(name));
            assert!((r - m).abs() < 1e-9, "{name}: {r} vs {m}");
        }
        assert_eq!(
            u["assessed"].as_bool().unwrap(),
            metric("hotline_unit_assessed", Some(name)) == 1.0
        );
    }

    let (status, summary) = json(s.addr, &format!("/api/v1/months/{MONTH}/summary"));
    assert_eq!(status, 200);
    assert_eq!(
        summary["records"].as_i64().unwrap() as f64,
        metric("hotline_records", None)
    );
    assert_eq!(
        summary["dispatched"].as_i64().unwrap() as f64,
        metric("hotline_orders_dispatched", None)
    );
    assert_eq!(
        summary["units_total"].as_u64().unwrap() as usize,
        list.len()
    );

    // The analysis: its unsatisfied callbacks are the centre's, and its problems are
    // the metric family's.
    let (status, analysis) = json(s.addr, &format!("/api/v1/months/{MONTH}/analysis"));
    assert_eq!(status, 200);
    let unsatisfied = &analysis["unsatisfied"];
    assert_eq!(
        unsatisfied["total"].as_i64().unwrap(),
        summary["callbacks"]["unsatisfied"].as_i64().unwrap()
    );
    let unsatisfied_metric: f64 = samples
        .iter()
        .filter(|x| {
            x.metric == "hotline_callbacks" && x.labels.get("result") == Some("unsatisfied")
        })
        .filter(|x| x.labels.get("month") == Some(MONTH))
        .filter_map(value)
        .sum();
    assert_eq!(
        unsatisfied["total"].as_i64().unwrap() as f64,
        unsatisfied_metric
    );
    let problems = unsatisfied["problems"].as_array().expect("problems");
    assert!(
        !problems.is_empty(),
        "the simulator has unsatisfied callbacks"
    );
    for p in problems {
        let name = p["problem"].as_str().expect("problem");
        let metric = samples
            .iter()
            .filter(|x| x.metric == "hotline_callbacks_unsatisfied_by_problem")
            .filter(|x| x.labels.get("month") == Some(MONTH))
            .filter(|x| x.labels.get("problem") == Some(name))
            .filter_map(value)
            .sum::<f64>();
        assert_eq!(p["count"].as_i64().unwrap() as f64, metric, "{name}");
    }
    let days = analysis["records_by_day"].as_array().expect("days");
    assert_eq!(days.len(), 30, "November");
    let records: i64 = days.iter().filter_map(|d| d.as_i64()).sum();
    assert_eq!(records, summary["records"].as_i64().unwrap());

    let (status, overdue) = json(s.addr, &format!("/api/v1/months/{MONTH}/overdue"));
    assert_eq!(status, 200);
    let orders = overdue["orders"].as_array().expect("orders");
    assert_eq!(orders.len() as i64, summary["overdue"].as_i64().unwrap());
    assert_eq!(
        orders.len() as f64,
        metric("hotline_orders_overdue", None),
        "the list holds every overdue order"
    );
    s.stop().expect("clean shutdown");
}

// ---------------------------------------------------------------------------------------
// docs/openapi.yaml against real responses.

fn openapi() -> Json {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

fn resolve<'a>(doc: &'a Json, schema: &'a Json) -> &'a Json {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unsupported $ref {r}"));
            let target = &doc["components"]["schemas"][name];
            assert!(!target.is_null(), "dangling $ref {r}");
            resolve(doc, target)
        }
        None => schema,
    }
}

/// Checks `v` against the subset of OpenAPI 3.0 schemas the document uses: `$ref`,
/// `type` (object, array, string, integer, number, boolean), `nullable`, `enum`,
/// `properties`, `items` (`required` is checked against `properties` once, for the
/// whole document). An object must have exactly the documented
/// properties: one the schema lacks, or one the response lacks, is an error.
fn validate(doc: &Json, schema: &Json, v: &Json, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if v.is_null() {
        if schema["nullable"] != Json::Bool(true) {
            errors.push(format!("{at}: null but not nullable"));
        }
        return;
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(v) {
            errors.push(format!("{at}: {v} is not one of {allowed:?}"));
        }
    }
    let ty = schema["type"]
        .as_str()
        .unwrap_or_else(|| panic!("{at}: schema without type"));
    let ok = match ty {
        "object" => {
            let Some(obj) = v.as_object() else {
                errors.push(format!("{at}: expected an object, got {v}"));
                return;
            };
            let props = schema["properties"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for key in obj.keys() {
                if !props.contains_key(key) {
                    errors.push(format!("{at}.{key}: in the response, not in the schema"));
                }
            }
            for (key, sub) in &props {
                match obj.get(key) {
                    Some(x) => validate(doc, sub, x, &format!("{at}.{key}"), errors),
                    None => errors.push(format!("{at}.{key}: in the schema, not in the response")),
                }
            }
            true
        }
        "array" => match v.as_array() {
            Some(items) => {
                for (i, x) in items.iter().enumerate() {
                    validate(doc, &schema["items"], x, &format!("{at}[{i}]"), errors);
                }
                true
            }
            None => false,
        },
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        other => panic!("{at}: unsupported type {other}"),
    };
    if !ok {
        errors.push(format!("{at}: expected {ty}, got {v}"));
    }
}

/// Checks one real response against the document's `paths.<path>.get.responses`.
fn check_response(doc: &Json, path: &str, url: &str, addr: SocketAddr) -> (u16, String) {
    let (status, content_type, body) = fetch(addr, url);
    let response = &doc["paths"][path]["get"]["responses"][status.to_string()];
    assert!(
        !response.is_null(),
        "{url}: status {status} is not documented for {path}"
    );
    let response = match response["$ref"].as_str() {
        Some(r) => {
            let name = r
                .strip_prefix("#/components/responses/")
                .expect("response $ref");
            &doc["components"]["responses"][name]
        }
        None => response,
    };
    let content = response["content"].as_object().expect("content");
    let media = |t: &str| t.split(';').next().unwrap_or("").trim().to_owned();
    let (key, documented) = content
        .iter()
        .find(|(k, _)| media(k) == media(&content_type))
        .unwrap_or_else(|| panic!("{url}: {content_type} is not documented for {path}"));
    if key.contains(';') {
        // Parameters documented (the exposition format's version, the charset): exact.
        assert_eq!(&content_type, key, "{url}");
    }
    if media(key) == "application/json" {
        let v: Json = serde_json::from_str(&body).expect("JSON body");
        let mut errors = vec![];
        validate(doc, &documented["schema"], &v, url, &mut errors);
        assert!(errors.is_empty(), "{url}:\n{}", errors.join("\n"));
    } else {
        assert!(!body.is_empty(), "{url}: empty body");
    }
    (status, content_type)
}

#[test]
fn openapi_document_matches_real_responses() {
    let doc = openapi();
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..4]), Some("3.0."));
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    let want: BTreeSet<&str> = [
        "/api/v1/months",
        "/api/v1/months/{month}/units",
        "/api/v1/months/{month}/overdue",
        "/api/v1/months/{month}/summary",
        "/api/v1/months/{month}/analysis",
        "/report",
        "/healthz",
        "/readyz",
        "/metrics",
    ]
    .into();
    assert_eq!(paths, want);
    // The server writes every field, so every documented property is required.
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        if let Some(props) = schema["properties"].as_object() {
            let required: BTreeSet<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            let listed: BTreeSet<&str> = props.keys().map(String::as_str).collect();
            assert_eq!(required, listed, "schema {name}");
        }
    }

    // The validator itself rejects what it should.
    let mut errors = vec![];
    let callbacks = serde_json::json!({"$ref": "#/components/schemas/Callbacks"});
    validate(
        &doc,
        &callbacks,
        &serde_json::json!({"satisfied": 1, "basically_satisfied": null, "unsatisfied": 0, "total": "1", "extra": 1}),
        "probe",
        &mut errors,
    );
    assert_eq!(errors.len(), 4, "{errors:?}");

    let s = service();
    let a = s.addr;
    let months = "/api/v1/months/{month}";
    for (path, url, status) in [
        ("/api/v1/months", "/api/v1/months".to_owned(), 200),
        (
            &*format!("{months}/units"),
            format!("/api/v1/months/{MONTH}/units"),
            200,
        ),
        (
            &*format!("{months}/overdue"),
            format!("/api/v1/months/{MONTH}/overdue"),
            200,
        ),
        (
            &*format!("{months}/summary"),
            format!("/api/v1/months/{MONTH}/summary"),
            200,
        ),
        (
            &*format!("{months}/analysis"),
            format!("/api/v1/months/{MONTH}/analysis"),
            200,
        ),
        (
            &*format!("{months}/analysis"),
            "/api/v1/months/2019-01/analysis".to_owned(),
            404,
        ),
        (
            &*format!("{months}/units"),
            "/api/v1/months/2024-13/units".to_owned(),
            400,
        ),
        (
            &*format!("{months}/summary"),
            "/api/v1/months/2019-01/summary".to_owned(),
            404,
        ),
        (
            &*format!("{months}/overdue"),
            "/api/v1/months/abc/overdue".to_owned(),
            400,
        ),
        (
            &*format!("{months}/units"),
            format!("/api/v1/months/{MONTH}/units?center=x"),
            404,
        ),
        ("/report", format!("/report?month={MONTH}"), 200),
        ("/report", format!("/report?month={MONTH}&format=md"), 200),
        ("/report", "/report".to_owned(), 200),
        ("/report", "/report?month=2024-13".to_owned(), 400),
        ("/report", "/report?week=2024-W45&format=md".to_owned(), 200),
        (
            "/report",
            "/report?week=2024-W45&month=2024-11".to_owned(),
            400,
        ),
        ("/report", "/report?month=2019-01".to_owned(), 404),
        ("/healthz", "/healthz".to_owned(), 200),
        ("/readyz", "/readyz".to_owned(), 200),
        // Last: its content type is checked exactly, and is what fails while the
        // charset is missing.
        ("/metrics", "/metrics".to_owned(), 200),
    ] {
        let (got, _) = check_response(&doc, path, &url, a);
        assert_eq!(got, status, "{url}");
    }

    s.stop().expect("clean shutdown");
}
