//! The Golmud bulletin's HTML page in a real headless Chromium: the browser's own DOM
//! must hold the three tables with every row, the page must load without a console
//! message (it has no scripts: any message means something is wrong, e.g. an injected
//! script), and a full-page screenshot is written to `test-artifacts/report-golmud.png`.
//!
//! Console messages are read from Chromium's log (`--enable-logging=stderr --v=0`),
//! where the page's console output and uncaught exceptions appear as `INFO:CONSOLE`
//! lines; a page that does log an error is checked first, to prove the detector sees it.

#[path = "common/bulletin/mod.rs"]
mod bulletin;
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bulletin::{golmud_harness, render, GOLMUD_MONTH};
use hotline_pulse::report::Format;

const CHROMIUM: &str = "/usr/bin/chromium";

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// What one Chromium run printed.
struct Run {
    stdout: String,
    stderr: String,
}

/// Runs headless Chromium with a fresh profile on `url` plus `extra` flags; fails the
/// test if it is missing, fails or hangs.
fn chromium(url: &str, extra: &[String]) -> Run {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run the project's test script (.ci/run), which installs \
         Debian's `chromium` package (apt-get install chromium)"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let out_path = dir.path().join("stdout");
    let err_path = dir.path().join("stderr");
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {CHROMIUM}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium did not finish within 90 s:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let run = Run {
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    };
    assert!(
        status.success(),
        "chromium failed ({status}):\n{}",
        run.stderr
    );
    run
}

fn file_url(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).expect("absolute path");
    format!("file://{}", abs.display())
}

/// The page's console output and uncaught errors, as Chromium logged them.
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect()
}

/// The `<tbody>` rows of the table with `id` in a serialised DOM.
fn body_rows(dom: &str, id: &str) -> usize {
    let start = dom
        .find(&format!("<table id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table #{id} in the DOM"));
    let table = &dom[start..];
    let table = &table[..table.find("</table>").expect("table end")];
    let body = &table[table.find("<tbody>").expect("tbody")..];
    let body = &body[..body.find("</tbody>").expect("tbody end")];
    body.matches("<tr").count()
}

#[test]
fn the_console_check_sees_a_failing_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><body><script>console.error('probe');\
         throw new Error('boom')</script></body></html>",
    )
    .unwrap();
    let run = chromium(&file_url(&page), &["--dump-dom".to_owned()]);
    let lines = console_lines(&run.stderr);
    assert!(
        lines.iter().any(|l| l.contains("probe")) && lines.iter().any(|l| l.contains("boom")),
        "the console detector missed a page error:\n{}",
        run.stderr
    );
}

#[test]
fn golmud_report_renders_in_chromium() {
    let (h, g) = golmud_harness();
    let html = render(&h, GOLMUD_MONTH, Format::Html);
    let dir = artifacts();
    let page = dir.join("report-golmud.html");
    std::fs::write(&page, &html).expect("write the page");
    let url = file_url(&page);

    let run = chromium(&url, &["--dump-dom".to_owned()]);
    let dom = &run.stdout;
    assert!(dom.contains("<html lang=\"zh-CN\">"), "{dom}");
    assert_eq!(
        body_rows(dom, "completion"),
        g.completion.len() + g.carved.len(),
        "one row per unit with orders"
    );
    assert_eq!(body_rows(dom, "satisfaction"), g.satisfaction.len());
    assert_eq!(body_rows(dom, "overdue"), g.overdue.len());
    let (orders, done) = g.completion_total;
    assert!(dom.contains(&format!(
        "<td>合计</td><td class=\"n\">{orders}</td><td class=\"n\">{done}</td>"
    )));
    for o in &g.overdue {
        assert!(
            dom.contains(&o.order_id),
            "{} is not in the page",
            o.order_id
        );
    }
    let console = console_lines(&run.stderr);
    assert!(
        console.is_empty(),
        "the page logged to the console:\n{}",
        console.join("\n")
    );

    let shot = dir.join("report-golmud.png");
    let _ = std::fs::remove_file(&shot);
    let run = chromium(
        &url,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,4000".to_owned(),
            "--hide-scrollbars".to_owned(),
        ],
    );
    assert!(console_lines(&run.stderr).is_empty(), "{}", run.stderr);
    let png = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}\n{}", shot.display(), run.stderr));
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let size = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    assert_eq!((size(16), size(20)), (1280, 4000), "IHDR width and height");
    assert!(png.len() > 20_000, "a blank page? {} bytes", png.len());
}
