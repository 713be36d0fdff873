//! Monitoring-as-code harness: a real Prometheus on loopback scraping one target, instant
//! queries against it, and the queries that deploy/ runs (every dashboard panel with its
//! template variables filled in, every recording rule), plus the metric contract they are
//! checked against.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::File;

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The job name the rules, alerts and dashboards expect.
pub const JOB: &str = "hotline-pulse";

/// Every metric family the service exposes (spec/metrics.md and the pipeline metrics),
/// plus Prometheus' own `up`. Histograms are listed in [`HISTOGRAMS`] too.
pub const METRICS: &[&str] = &[
    "up",
    // Per unit and month.
    "hotline_unit_orders_assigned",
    "hotline_unit_orders_completed",
    "hotline_unit_orders_completed_on_time",
    "hotline_unit_orders_overdue",
    "hotline_unit_orders_returned",
    "hotline_unit_orders_reopened",
    "hotline_unit_orders_first_time_resolved",
    "hotline_unit_late_extensions",
    "hotline_unit_callbacks",
    "hotline_unit_callbacks_resolved",
    "hotline_unit_consultations",
    "hotline_unit_consultations_answered_directly",
    "hotline_unit_completion_ratio",
    "hotline_unit_on_time_ratio",
    "hotline_unit_satisfaction_ratio",
    "hotline_unit_resolution_ratio",
    "hotline_unit_first_time_resolution_ratio",
    "hotline_unit_return_ratio",
    "hotline_unit_instant_resolution_ratio",
    "hotline_unit_assessed",
    "hotline_unit_score",
    "hotline_unit_handling_duration_seconds",
    "hotline_unit_handling_duration_quantile_seconds",
    // Per unit, live.
    "hotline_unit_orders_open",
    "hotline_unit_orders_open_overdue",
    "hotline_unit_orders_due_soon",
    // Centre per month.
    "hotline_records",
    "hotline_records_by_category",
    "hotline_orders_dispatched",
    "hotline_orders_completed",
    "hotline_orders_overdue",
    "hotline_orders_first_time_resolved",
    "hotline_callbacks",
    "hotline_completion_ratio",
    "hotline_satisfaction_ratio",
    "hotline_first_time_resolution_ratio",
    "hotline_instant_resolution_ratio",
    "hotline_overdue_ratio",
    // The pipeline.
    "hotline_events_total",
    "hotline_events_rejected_total",
    "hotline_events_duplicate_total",
    "hotline_events_late_total",
    "hotline_unknown_units_total",
    "hotline_orders_tracked",
    "hotline_watermark_timestamp_seconds",
    "hotline_kafka_consumer_lag_messages",
    "hotline_kafka_messages_consumed_total",
    "hotline_kafka_bytes_consumed_total",
    "hotline_kafka_rebalances_total",
    "hotline_kafka_connected",
    "hotline_dead_letter_messages_total",
    "hotline_checkpoint_last_success_timestamp_seconds",
    "hotline_commit_pause_seconds",
    "hotline_changelog_errors_total",
    "hotline_kafka_offset_out_of_range_total",
    "hotline_build_info",
];

/// Histogram families: their series are `_bucket`, `_sum` and `_count`.
pub const HISTOGRAMS: &[&str] = &[
    "hotline_unit_handling_duration_seconds",
    "hotline_commit_pause_seconds",
];

/// Whether `name` (a series name as written in PromQL) belongs to the metric contract.
pub fn is_known_metric(name: &str) -> bool {
    METRICS.contains(&name)
        || HISTOGRAMS.iter().any(|h| {
            name.strip_prefix(h)
                .is_some_and(|rest| matches!(rest, "_bucket" | "_sum" | "_count"))
        })
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `deploy/` in the repository.
pub fn deploy_dir() -> PathBuf {
    repo_root().join("deploy")
}

/// The Prometheus rule files (`deploy/prometheus/rules/*.yml`), sorted.
pub fn rule_files() -> Vec<PathBuf> {
    files_with_ext(&deploy_dir().join("prometheus/rules"), "yml")
}

/// The Grafana dashboards (`deploy/grafana/dashboards/*.json`), sorted.
pub fn dashboard_files() -> Vec<PathBuf> {
    files_with_ext(&deploy_dir().join("grafana/dashboards"), "json")
}

/// Files of a directory with the given extension, sorted; empty if it cannot be read.
pub fn files_with_ext(dir: &Path, ext: &str) -> Vec<PathBuf> {
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

/// A free TCP port on 127.0.0.1 (bound, then released for the caller to bind).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0 to find a free port: {e}"))
}

// ---------------------------------------------------------------------------------------
// A real Prometheus.

/// A Prometheus server on 127.0.0.1 scraping one target every second, with rule files
/// evaluated every second; killed when dropped.
pub struct Prometheus {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts `prometheus` (from PATH) scraping `targets` (`host:port`) as job
    /// `hotline-pulse`, with `rule_files` loaded, and waits until it is ready.
    pub fn start(targets: &[&str], rule_files: &[PathBuf]) -> Result<Prometheus, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let mut config = String::from(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n",
        );
        if !rule_files.is_empty() {
            config.push_str("rule_files:\n");
            for f in rule_files {
                let abs = std::fs::canonicalize(f)
                    .map_err(|e| format!("rule file {}: {e}", f.display()))?;
                let _ = writeln!(config, "  - {}", yaml_string(&abs.display().to_string()));
            }
        }
        let _ = write!(
            config,
            "scrape_configs:\n  - job_name: {JOB}\n    static_configs:\n      - targets: [{}]\n",
            targets
                .iter()
                .map(|t| yaml_string(t))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config)
            .map_err(|e| format!("cannot write {}: {e}", config_path.display()))?;

        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log_path = dir.path().join("prometheus.log");
        let log = File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let log2 = log
            .try_clone()
            .map_err(|e| format!("cannot clone the log handle: {e}"))?;
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot run `prometheus`: {e}. Run the project's test script (.ci/run), which \
                     installs Debian's `prometheus` package (apt-get install prometheus)."
                )
            })?;
        let mut prom = Prometheus { child, addr, dir };
        prom.wait_ready(Duration::from_secs(30))?;
        Ok(prom)
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "prometheus exited ({status}) before it was ready:\n{}",
                    self.log()
                ));
            }
            if matches!(http_get(self.addr, "/-/ready"), Ok((200, _))) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "prometheus was not ready within {timeout:?}:\n{}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// An instant query at the current time: the result's elements (a scalar or string
    /// result counts as one element), or Prometheus' error.
    pub fn query(&self, promql: &str) -> Result<Vec<Value>, String> {
        let path = format!("/api/v1/query?query={}", url_encode(promql));
        let (status, body) = http_get(self.addr, &path)?;
        let json: Value = serde_json::from_str(&body)
            .map_err(|e| format!("HTTP {status}, not JSON ({e}): {body}"))?;
        if json["status"] != "success" {
            return Err(format!(
                "{}: {}",
                json["errorType"].as_str().unwrap_or("error"),
                json["error"].as_str().unwrap_or(&body)
            ));
        }
        let data = &json["data"];
        match data["resultType"].as_str() {
            Some("vector") | Some("matrix") => {
                Ok(data["result"].as_array().cloned().unwrap_or_default())
            }
            Some("scalar") | Some("string") => Ok(vec![data["result"].clone()]),
            other => Err(format!("unexpected resultType {other:?}: {body}")),
        }
    }

    /// The number of series an instant query returns.
    pub fn series_count(&self, promql: &str) -> Result<usize, String> {
        self.query(promql).map(|r| r.len())
    }

    /// Polls `promql` until it returns at least one series; the count, or why not.
    pub fn wait_for_series(&self, promql: &str, timeout: Duration) -> Result<usize, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.series_count(promql) {
                Ok(n) if n > 0 => return Ok(n),
                Ok(_) => "no series".to_owned(),
                Err(e) => e,
            };
            if Instant::now() > deadline {
                return Err(format!("`{promql}` still returns {last} after {timeout:?}"));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The label `name` of the first element of a query result.
pub fn first_label(result: &[Value], name: &str) -> Option<String> {
    result
        .first()
        .and_then(|s| s["metric"][name].as_str())
        .map(str::to_owned)
}

/// A double-quoted YAML scalar.
fn yaml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A GET: the status code and the body (see [`super::http::get`]).
pub fn http_get(addr: SocketAddr, path: &str) -> Result<(u16, String), String> {
    super::http::get(addr, path).map(|(status, _, body)| (status, body))
}

// ---------------------------------------------------------------------------------------
// The queries deploy/ runs.

/// One query of a dashboard: a panel target, or a template variable's values query.
#[derive(Debug, Clone)]
pub struct DashboardQuery {
    /// The dashboard file's name.
    pub dashboard: String,
    /// The panel's title, or `$name` for a template variable.
    pub panel: String,
    /// The target's refId (empty for a variable).
    pub ref_id: String,
    /// The PromQL with the variables substituted.
    pub expr: String,
}

/// Reads and parses a JSON file.
pub fn load_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", path.display()))
}

/// Every panel of a dashboard, rows and the panels nested in (collapsed) rows included,
/// in document order.
pub fn panels(dashboard: &Value) -> Vec<&Value> {
    fn walk<'a>(list: &'a Value, out: &mut Vec<&'a Value>) {
        for p in list.as_array().into_iter().flatten() {
            out.push(p);
            walk(&p["panels"], out);
        }
    }
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    out
}

/// The names of the dashboard's template variables.
pub fn template_variables(dashboard: &Value) -> Vec<String> {
    dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str().map(str::to_owned))
        .collect()
}

/// A template variable's query text (`definition`, or `query` as a string or object).
pub fn variable_query(var: &Value) -> Option<String> {
    [&var["definition"], &var["query"], &var["query"]["query"]]
        .into_iter()
        .find_map(|v| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
}

/// Grafana's built-in interval variables, as the test substitutes them.
const BUILTINS: &[(&str, &str)] = &[
    ("__rate_interval", "1m"),
    ("__interval", "15s"),
    ("__range", "1h"),
    ("__range_s", "3600"),
];

/// Calls `f` on every `$name`, `${name}`, `${name:format}` and `[[name]]` in `s`, with
/// the byte range of the reference and the name. `$1` (a regex group) is not a variable.
fn for_each_variable(s: &str, mut f: impl FnMut(std::ops::Range<usize>, &str)) {
    let b = s.as_bytes();
    let is_name = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && i + 1 < b.len() && b[i + 1] == b'{' {
            if let Some(end) = s[i + 2..].find('}') {
                let inner = &s[i + 2..i + 2 + end];
                let name = inner.split(':').next().unwrap_or("");
                f(i..i + 3 + end, name);
                i += 3 + end;
                continue;
            }
        } else if b[i] == b'$'
            && i + 1 < b.len()
            && (b[i + 1].is_ascii_alphabetic() || b[i + 1] == b'_')
        {
            let mut j = i + 1;
            while j < b.len() && is_name(b[j]) {
                j += 1;
            }
            f(i..j, &s[i + 1..j]);
            i = j;
            continue;
        } else if b[i] == b'[' && s[i..].starts_with("[[") {
            if let Some(end) = s[i + 2..].find("]]") {
                let name = s[i + 2..i + 2 + end].split(':').next().unwrap_or("");
                if !name.is_empty() && name.bytes().all(is_name) {
                    f(i..i + 4 + end, name);
                    i += 4 + end;
                    continue;
                }
            }
        }
        i += 1;
    }
}

/// The template variables an expression uses (Grafana's `__` built-ins left out).
pub fn variables_in(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for_each_variable(expr, |_, name| {
        if !name.starts_with("__") {
            names.insert(name.to_owned());
        }
    });
    names
}

/// Replaces the variables of `expr` with `values` (and Grafana's interval built-ins);
/// variables without a value are left as they are.
pub fn substitute(expr: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(expr.len());
    let mut last = 0;
    for_each_variable(expr, |range, name| {
        let value = values
            .iter()
            .chain(BUILTINS)
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v);
        if let Some(v) = value {
            out.push_str(&expr[last..range.start]);
            out.push_str(v);
            last = range.end;
        }
    });
    out.push_str(&expr[last..]);
    out
}

/// Turns a Grafana `label_values(selector, label)` variable query into PromQL returning one
/// series per value; other PromQL is returned as is.
pub fn variable_promql(query: &str) -> String {
    let q = query.trim();
    if let Some(inner) = q
        .strip_prefix("label_values(")
        .and_then(|r| r.strip_suffix(')'))
    {
        match inner.rsplit_once(',') {
            Some((selector, label)) => format!("count by ({}) ({})", label.trim(), selector.trim()),
            None => format!("count by ({}) ({{__name__=~\".+\"}})", inner.trim()),
        }
    } else {
        q.to_owned()
    }
}

/// Every query of one dashboard file, variables substituted by `values`: each target
/// `expr` of each panel (nested rows included), then each template variable's query.
pub fn dashboard_queries(path: &Path, values: &[(&str, &str)]) -> Vec<DashboardQuery> {
    let dash = load_json(path);
    let dashboard = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Vec::new();
    for panel in panels(&dash) {
        let title = panel["title"].as_str().unwrap_or("").to_owned();
        for t in panel["targets"].as_array().into_iter().flatten() {
            let Some(expr) = t["expr"].as_str().filter(|e| !e.trim().is_empty()) else {
                continue;
            };
            out.push(DashboardQuery {
                dashboard: dashboard.clone(),
                panel: title.clone(),
                ref_id: t["refId"].as_str().unwrap_or("").to_owned(),
                expr: substitute(expr, values),
            });
        }
    }
    for var in dash["templating"]["list"].as_array().into_iter().flatten() {
        if var["type"] != "query" {
            continue;
        }
        if let Some(q) = variable_query(var) {
            out.push(DashboardQuery {
                dashboard: dashboard.clone(),
                panel: format!("${}", var["name"].as_str().unwrap_or("")),
                ref_id: String::new(),
                expr: substitute(&variable_promql(&q), values),
            });
        }
    }
    out
}

/// Every query of every dashboard under deploy/grafana/dashboards.
pub fn all_dashboard_queries(values: &[(&str, &str)]) -> Vec<DashboardQuery> {
    dashboard_files()
        .iter()
        .flat_map(|p| dashboard_queries(p, values))
        .collect()
}

/// Reads and parses a YAML file.
pub fn load_yaml(path: &Path) -> serde_yaml::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
}

/// The rules of a Prometheus rule file, as (group, rule) pairs.
pub fn rules(path: &Path) -> Vec<(String, serde_yaml::Value)> {
    let doc = load_yaml(path);
    let mut out = Vec::new();
    for g in doc["groups"].as_sequence().into_iter().flatten() {
        let group = g["name"].as_str().unwrap_or("").to_owned();
        for r in g["rules"].as_sequence().into_iter().flatten() {
            out.push((group.clone(), r.clone()));
        }
    }
    out
}

/// Every recording rule of a rule file: (recorded name, expression).
pub fn recording_rules(path: &Path) -> Vec<(String, String)> {
    rules(path)
        .into_iter()
        .filter_map(|(_, r)| {
            Some((
                r["record"].as_str()?.to_owned(),
                r["expr"].as_str()?.trim().to_owned(),
            ))
        })
        .collect()
}

/// Every recording rule of every rule file under deploy/prometheus/rules.
pub fn all_recording_rules() -> Vec<(String, String)> {
    rule_files()
        .iter()
        .flat_map(|p| recording_rules(p))
        .collect()
}

/// The identifiers of a PromQL expression (metric names, recorded series, functions,
/// label names, keywords), outside string literals and comments.
pub fn identifiers(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = expr.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                let mut escaped = false;
                for (_, d) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if d == '\\' && c != '`' {
                        escaped = true;
                    } else if d == c {
                        break;
                    }
                }
            }
            '#' => {
                for (_, d) in chars.by_ref() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_ascii_alphanumeric() || d == '_' || d == ':' {
                        end = j + d.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(expr[i..end].to_owned());
            }
            c if c.is_ascii_digit() => {
                // A number or a duration (5m, 1e3): not an identifier.
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_ascii_alphanumeric() || d == '.' {
                        chars.next();
                    } else {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The series an expression reads by name: raw metrics (`hotline_*`, `up`) and recorded
/// series (`hotline:*`).
pub fn series_names(expr: &str) -> BTreeSet<String> {
    identifiers(expr)
        .into_iter()
        .filter(|id| id.starts_with("hotline_") || id.starts_with("hotline:") || id == "up")
        .collect()
}
