//! The bulletin as a PDF, printed by headless Chromium three ways (the library,
//! `replay --report pdf`, `/report?format=pdf`) and read back with poppler's pdfinfo and
//! pdftotext (Debian's poppler-utils, installed by scripts/test.sh): A4, a sensible
//! number of pages, the title on every page, the page numbers, the 合计 and 总计 rows.

#[path = "common/bulletin/mod.rs"]
mod bulletin;
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use bulletin::{golmud_harness, render, GOLMUD_AS_OF, GOLMUD_MONTH};
use hotline_pulse::report::Format;

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// poppler's `tool` on `pdf`, failing the test clearly when it is missing.
fn poppler(tool: &str, args: &[&str], pdf: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(pdf)
        .arg("-")
        .output()
        .or_else(|_| Command::new(tool).args(args).arg(pdf).output())
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {tool} ({e}): run the project's test script, which installs \
                 Debian's poppler-utils"
            )
        });
    assert!(
        out.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Checks a PDF of the Golmud bulletin: A4, pages in range, the title on every page, the
/// page numbers, and the 合计 / 总计 rows with the seed's totals.
fn check_pdf(pdf: &Path, title: &str) {
    let bytes = std::fs::read(pdf).unwrap_or_else(|e| panic!("{}: {e}", pdf.display()));
    assert!(
        bytes.starts_with(b"%PDF-"),
        "{} is not a PDF",
        pdf.display()
    );
    let info = Command::new("pdfinfo")
        .arg(pdf)
        .output()
        .expect("pdfinfo (poppler-utils)");
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in:\n{info}"))
            .to_owned()
    };
    let pages: usize = field("Pages:").parse().expect("page count");
    assert!((5..=40).contains(&pages), "{pages} pages");
    assert!(field("Page size:").contains("(A4)"), "{info}");
    let text = poppler("pdftotext", &["-layout"], pdf);
    assert_eq!(
        text.matches(title).count(),
        pages + 1,
        "the title on every page, and as the heading"
    );
    for n in [1, pages] {
        let footer = format!("第 {n} 页，共 {pages} 页");
        assert!(text.contains(&footer), "{footer}");
    }
    let row = |label: &str, cells: &[&str]| {
        text.lines().any(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            words.first() == Some(&label) && words[1..].starts_with(cells)
        })
    };
    assert!(
        row("合计", &["1094", "1088", "99.45%"]),
        "the completion total in:\n{text}"
    );
    assert!(
        row("总计", &["805", "767", "95.28%"]),
        "the satisfaction total"
    );
    assert!(
        text.contains("逾期件专项清理") && text.contains("附件 2"),
        "every section"
    );
}

#[test]
fn the_pdf_is_a4_with_the_title_page_numbers_and_totals() {
    let (h, g) = golmud_harness();
    let html = render(&h, GOLMUD_MONTH, Format::Html);
    let title = "12345 政务服务便民热线月通报（2024 年 11 月）";
    assert!(html.contains(title));
    let dir = artifacts();

    // The library.
    let pdf = dir.join("report-golmud.pdf");
    let bytes = hotline_pulse::report::pdf::print(&html).expect("Chromium prints the page");
    std::fs::write(&pdf, &bytes).unwrap();
    check_pdf(&pdf, title);

    // The CLI.
    let tmp = tempfile::tempdir().expect("temp dir");
    let (events, registry) = bulletin::golmud_files(&g, tmp.path());
    let cli_pdf = tmp.path().join("通报.pdf");
    let out = Command::new(env!("CARGO_BIN_EXE_hotline-pulse"))
        .arg("replay")
        .arg(&events)
        .args([
            "--report",
            "pdf",
            "--month",
            GOLMUD_MONTH,
            "--as-of",
            GOLMUD_AS_OF,
        ])
        .args(["--log", "warn", "--unit-registry"])
        .arg(&registry)
        .arg("--out")
        .arg(&cli_pdf)
        .output()
        .expect("run hotline-pulse");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    check_pdf(&cli_pdf, title);
}

#[test]
fn the_service_serves_the_pdf() {
    use common::http::{get_bytes, simulated_config, start_service, wait_for_data};
    let service = start_service(simulated_config(300, (2024, 11)));
    wait_for_data(service.addr);
    let (status, content_type, body) =
        get_bytes(service.addr, "/report?month=2024-11&format=pdf").expect("GET");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(content_type, "application/pdf");
    assert!(
        body.starts_with(b"%PDF-") && body.len() > 10_000,
        "{} bytes",
        body.len()
    );
    let (status, content_type, body) =
        get_bytes(service.addr, "/report?week=2024-W47&format=pdf").expect("GET");
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    assert!(body.starts_with(b"%PDF-"));
    service.stop().expect("clean shutdown");
}
