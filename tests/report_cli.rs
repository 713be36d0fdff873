//! The report from the outside: `replay --report md|html|pdf [--week]` writes what the
//! library renders and refuses what it cannot do (no browser: a clear error, no file);
//! `/report` answers every bad request with a JSON 400/404, serves the weekly report,
//! and answers 501 for a PDF when no browser is installed.

#[path = "common/bulletin/mod.rs"]
mod bulletin;
mod common;

use std::process::Command;

use bulletin::*;
use common::http::{fetch, simulated_config, start_service, wait_for_data, wait_until};
use hotline_pulse::report::{self, Format};

#[test]
fn the_cli_writes_what_the_library_renders() {
    let (h, g) = golmud_harness();
    let dir = tempfile::tempdir().expect("temp dir");
    let (events, registry) = golmud_files(&g, dir.path());
    let replay = |format: &str, out: Option<&std::path::Path>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline-pulse"));
        cmd.arg("replay")
            .arg(&events)
            .args(["--report", format, "--month", GOLMUD_MONTH])
            .args(["--as-of", GOLMUD_AS_OF, "--log", "warn"])
            .arg("--unit-registry")
            .arg(&registry);
        if let Some(p) = out {
            cmd.arg("--out").arg(p);
        }
        let output = cmd.output().expect("run hotline-pulse");
        assert!(
            output.status.success(),
            "replay --report {format} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8 output")
    };
    let md = replay("md", None);
    assert_eq!(md, render(&h, GOLMUD_MONTH, Format::Markdown));

    let page = dir.path().join("通报.html");
    let stdout = replay("html", Some(&page));
    assert!(stdout.is_empty(), "--out writes the file, not stdout");
    let html = std::fs::read_to_string(&page).expect("the report file");
    assert_eq!(html, render(&h, GOLMUD_MONTH, Format::Html));
    assert!(html.contains("<html lang=\"zh-CN\">"));
}

#[test]
fn report_errors_are_json_messages() {
    let service = start_service(simulated_config(300, (2024, 11)));
    wait_for_data(service.addr);
    // Without a month, the most recent retained month is shown.
    for path in ["/report", "/report?format=md"] {
        let (got, _, body) = fetch(service.addr, path);
        assert_eq!(got, 200, "{path}: {body}");
    }
    for (path, status) in [
        ("/report?month=2024-13", 400),
        ("/report?month=abc", 400),
        ("/report?month=2024-11&format=docx", 400),
        ("/report?week=2024-W99", 400),
        ("/report?week=2024-47", 400),
        ("/report?month=2024-11&week=2024-W47", 400),
        ("/report?week=2099-W01", 404),
        ("/report?month=2019-01", 404),
        ("/report?month=2024-11&center=nowhere", 404),
    ] {
        let (got, content_type, body) = fetch(service.addr, path);
        assert_eq!(got, status, "{path}: {body}");
        assert!(
            content_type.starts_with("application/json"),
            "{path}: {content_type}"
        );
        let json: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"));
        let message = json["error"].as_str().unwrap_or("");
        assert!(!message.is_empty(), "{path}: {body}");
    }
    let (status, content_type, body) = fetch(service.addr, "/report?month=2024-11");
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert!(body.contains("各单位工单办结率排序表") && body.ends_with("</html>\n"));
    let (status, content_type, body) = fetch(service.addr, "/report?month=2024-11&format=md");
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/markdown; charset=utf-8");
    assert!(body.starts_with("# ") && body.contains("| 序号 | 单位名称 | 工单量 |"));
    let (status, content_type, body) = fetch(service.addr, "/report?week=2024-W48&format=md");
    assert_eq!(status, 200, "{body}");
    assert_eq!(content_type, "text/markdown; charset=utf-8");
    assert!(
        body.contains("逾期未办结工单周通报（2024 年第 48 周）"),
        "{body}"
    );
    service.stop().expect("clean shutdown");
}

#[test]
fn the_cli_writes_the_weekly_report_and_refuses_what_it_cannot_do() {
    let (h, g) = golmud_harness();
    let dir = tempfile::tempdir().expect("temp dir");
    let (events, registry) = golmud_files(&g, dir.path());
    let replay = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotline-pulse"));
        cmd.arg("replay")
            .arg(&events)
            .args(["--as-of", GOLMUD_AS_OF, "--log", "warn"])
            .arg("--unit-registry")
            .arg(&registry)
            .args(args);
        cmd
    };
    let out = replay(&["--report", "md", "--week", "2024-W47"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = build_week(&h, "2024-W47").expect("week");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        report::render_week(&r, Format::Markdown)
    );

    let out = replay(&["--report", "md", "--week", "2024-W47", "--month", "2024-11"])
        .output()
        .expect("run");
    assert!(!out.status.success(), "--week and --month together");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--week") && err.contains("--month"), "{err}");

    let out = replay(&["--report", "md", "--week", "2024-W60"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--week: invalid week \"2024-W60\""), "{err}");

    // Without a browser, a PDF is a clear error naming it, and no file is left behind.
    let pdf = dir.path().join("通报.pdf");
    let out = replay(&["--report", "pdf", "--month", GOLMUD_MONTH])
        .arg("--out")
        .arg(&pdf)
        .env("PATH", dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs the Chromium browser, which is not installed"),
        "{err}"
    );
    assert!(!pdf.exists(), "no empty PDF file");
}

#[test]
fn the_service_without_a_browser_answers_501_for_a_pdf() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = common::prom::free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline-pulse"))
        .args(["serve", "--listen", &addr.to_string(), "--sim-rate", "0"])
        .args(["--orders", "300", "--month", "2024-11", "--log", "warn"])
        .env("PATH", dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run hotline-pulse serve");
    wait_until(std::time::Duration::from_secs(60), "the service", || {
        matches!(common::http::get(addr, "/readyz"), Ok((200, _, _)))
    });
    wait_for_data(addr);
    let (status, content_type, body) = fetch(addr, "/report?month=2024-11&format=pdf");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 501, "{body}");
    assert!(content_type.starts_with("application/json"));
    assert!(body.contains("Chromium"), "{body}");
}
