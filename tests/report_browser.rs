//! The Golmud bulletin's HTML page in a real headless Chromium: the browser's own DOM
//! must hold the three tables with every row and the four charts, the page must load
//! without a console message (it has no scripts: any message means something is wrong,
//! e.g. an injected script), and a full-page screenshot is written to
//! `test-artifacts/report-golmud.png`. Each chart is screenshot alone and must show one
//! bar per figure. (The PDF: report_pdf.rs.)
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
    for id in CHARTS {
        assert!(
            dom.contains(&format!("<figure class=\"chart\" id=\"chart-{id}\">")),
            "chart {id} is not in the DOM"
        );
    }
    assert_eq!(dom.matches("<svg ").count(), CHARTS.len());
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

/// The charts of the monthly bulletin, in page order.
const CHARTS: [&str; 4] = ["daily", "completion", "satisfaction", "overdue-units"];
/// The bars' fills (report/svg.rs): drawn as solid rectangles, so their inside pixels
/// have exactly these colours.
const BAR_COLOURS: [[u8; 3]; 2] = [[0x4a, 0x6f, 0xa5], [0xc0, 0x39, 0x2b]];

/// The `<figure>` of each chart in a page, by id.
fn figures(html: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    let mut rest = html;
    while let Some(at) = rest.find("<figure class=\"chart\" id=\"chart-") {
        let tail = &rest[at..];
        let end = tail.find("</figure>").expect("figure end") + "</figure>".len();
        let id_start = "<figure class=\"chart\" id=\"chart-".len();
        let id = &tail[id_start..id_start + tail[id_start..].find('"').expect("id end")];
        out.push((id.to_owned(), tail[..end].to_owned()));
        rest = &tail[end..];
    }
    out
}

/// A decoded PNG: width, height, RGB pixels.
fn pixels(path: &Path) -> (usize, usize, Vec<[u8; 3]>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let px = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (info.width as usize, info.height as usize, px)
}

fn is_bar(p: [u8; 3]) -> bool {
    BAR_COLOURS
        .iter()
        .any(|c| c.iter().zip(p).all(|(a, b)| a.abs_diff(b) <= 3))
}

/// How many separate bars a screenshot shows: runs of rows (horizontal bars) or of
/// columns (vertical bars) holding bar-coloured pixels.
fn bar_runs(w: usize, h: usize, px: &[[u8; 3]], vertical: bool) -> usize {
    let (outer, inner) = if vertical { (w, h) } else { (h, w) };
    let mut runs = 0;
    let mut inside = false;
    for o in 0..outer {
        let hits = (0..inner)
            .filter(|&i| {
                let (x, y) = if vertical { (o, i) } else { (i, o) };
                is_bar(px[y * w + x])
            })
            .count();
        let bar = hits >= 2;
        if bar && !inside {
            runs += 1;
        }
        inside = bar;
    }
    runs
}

#[test]
fn every_chart_draws_one_bar_per_figure() {
    let (h, _) = golmud_harness();
    let html = render(&h, GOLMUD_MONTH, Format::Html);
    let head = &html[..html.find("<main>").expect("main") + "<main>".len()];
    let charts = figures(&html);
    let ids: Vec<&str> = charts.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, CHARTS);
    let dir = artifacts();
    let mut all = String::from(head);
    let mut total_height = 60;
    for (id, figure) in &charts {
        let bars = figure.matches("<g class=\"bar\">").count();
        let zero =
            figure.matches(" height=\"0.0\"").count() + figure.matches(" width=\"0.0\"").count();
        assert!(bars > 0, "{id} has no bars");
        let height: usize = figure
            .split("height=\"")
            .nth(1)
            .and_then(|h| h.split('"').next())
            .and_then(|h| h.parse().ok())
            .expect("the svg's height");
        let page = dir.join(format!("chart-{id}.html"));
        std::fs::write(&page, format!("{head}{figure}</main></body></html>")).unwrap();
        let shot = dir.join(format!("chart-{id}.png"));
        let _ = std::fs::remove_file(&shot);
        let run = chromium(
            &file_url(&page),
            &[
                format!("--screenshot={}", shot.display()),
                format!("--window-size=1000,{}", height + 160),
                "--hide-scrollbars".to_owned(),
            ],
        );
        assert!(console_lines(&run.stderr).is_empty(), "{}", run.stderr);
        let (w, hgt, px) = pixels(&shot);
        let painted = px.iter().filter(|p| is_bar(**p)).count();
        assert!(
            painted > bars * 20,
            "{id}: {painted} bar pixels for {bars} bars"
        );
        let seen = bar_runs(w, hgt, &px, *id == "daily");
        assert_eq!(seen, bars - zero, "{id}: bars seen in {}", shot.display());
        all.push_str(figure);
        total_height += height + 110;
    }
    // All four on one page, for docs/report.md.
    let page = dir.join("report-charts.html");
    std::fs::write(&page, format!("{all}</main></body></html>")).unwrap();
    let shot = dir.join("report-charts.png");
    let run = chromium(
        &file_url(&page),
        &[
            format!("--screenshot={}", shot.display()),
            format!("--window-size=1000,{total_height}"),
            "--hide-scrollbars".to_owned(),
        ],
    );
    assert!(shot.exists(), "{}", run.stderr);
}
