//! PDF output: the HTML page printed by headless Chromium. The page's own CSS makes it
//! A4 with the title at the top and "第 N 页，共 M 页" at the bottom of every page
//! (Chromium renders `@page` margin boxes), so Chromium's own header and footer (the
//! file's URL and the date) are turned off.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The names Chromium is installed under, looked up on `PATH` in this order.
pub const BROWSERS: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];
const TIMEOUT: Duration = Duration::from_secs(120);

/// One browser at a time: each run starts a whole Chromium (hundreds of MB, seconds of
/// CPU); concurrent report requests on a small machine would only slow each other.
static PRINTING: Mutex<()> = Mutex::new(());
static RUNS: AtomicU64 = AtomicU64::new(0);

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "PDF output needs the Chromium browser, which is not installed: none of chromium, \
         chromium-browser, google-chrome, google-chrome-stable is on PATH \
         (Debian: apt-get install chromium)"
    )]
    NoBrowser,
    #[error("cannot print the PDF: {what}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("Chromium ({browser}) failed to print the PDF ({status}): {log}")]
    Failed {
        browser: String,
        status: String,
        log: String,
    },
    #[error("Chromium ({browser}) did not print the PDF within {} s", TIMEOUT.as_secs())]
    Timeout { browser: String },
}

impl PdfError {
    /// The browser is missing (not a fault of this run).
    pub fn is_missing_browser(&self) -> bool {
        matches!(self, PdfError::NoBrowser)
    }
}

/// The first of [`BROWSERS`] found in the directories of `path` (a `PATH` value).
pub fn find_browser(path: Option<&OsStr>) -> Option<PathBuf> {
    let dirs: Vec<PathBuf> = path.map(|p| std::env::split_paths(p).collect())?;
    BROWSERS
        .iter()
        .find_map(|name| dirs.iter().map(|d| d.join(name)).find(|p| p.is_file()))
}

/// Prints an HTML page to PDF with the Chromium found on `PATH`.
pub fn print(html: &str) -> Result<Vec<u8>, PdfError> {
    let browser = find_browser(std::env::var_os("PATH").as_deref()).ok_or(PdfError::NoBrowser)?;
    print_with(&browser, html)
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> PdfError {
    let what = what.into();
    move |source| PdfError::Io { what, source }
}

/// Prints an HTML page to PDF with the given Chromium binary.
pub fn print_with(browser: &Path, html: &str) -> Result<Vec<u8>, PdfError> {
    let _turn = PRINTING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!(
        "hotline-pulse-pdf-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir(&dir).map_err(io(format!("cannot create {}", dir.display())))?;
    let scratch = Scratch(dir);
    let page = scratch.0.join("report.html");
    let pdf = scratch.0.join("report.pdf");
    let log = scratch.0.join("chromium.log");
    std::fs::write(&page, html).map_err(io(format!("cannot write {}", page.display())))?;
    let url = format!("file://{}", page.display()).replace(' ', "%20");
    let name = browser.display().to_string();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-pdf-header-footer",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.0.join("profile").display()
        ))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).map_err(io("cannot create the browser log"))?)
        .spawn()
        .map_err(io(format!("cannot run {name}")))?;
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(io("cannot wait for Chromium"))? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PdfError::Timeout { browser: name });
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    match std::fs::read(&pdf) {
        Ok(bytes) if status.success() && bytes.starts_with(b"%PDF-") => Ok(bytes),
        _ => {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let tail: String = text
                .lines()
                .rev()
                .take(8)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join(" | ");
            Err(PdfError::Failed {
                browser: name,
                status: status.to_string(),
                log: tail,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_browser_is_named_in_the_error() {
        assert_eq!(
            find_browser(Some(OsStr::new("/nonexistent:/also-not"))),
            None
        );
        assert_eq!(find_browser(None), None);
        let e = PdfError::NoBrowser.to_string();
        assert!(
            e.contains("Chromium") && e.contains("apt-get install chromium"),
            "{e}"
        );
    }

    #[test]
    fn the_browser_is_found_on_the_path() {
        let dir = std::env::temp_dir().join(format!("hotline-pulse-find-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        std::fs::write(dir.join("google-chrome"), "").unwrap();
        let _clean = Scratch(dir.clone());
        let path = std::env::join_paths([Path::new("/nonexistent"), &dir]).unwrap();
        assert_eq!(find_browser(Some(&path)), Some(dir.join("google-chrome")));
    }

    #[test]
    fn a_browser_that_fails_is_reported_with_its_log() {
        // `false` exits 1 without printing anything: a failed run, not a hang.
        let Some(fail) = ["/bin/false", "/usr/bin/false"]
            .iter()
            .map(Path::new)
            .find(|p| p.is_file())
        else {
            return;
        };
        let e = print_with(fail, "<p>x</p>").unwrap_err();
        assert!(matches!(e, PdfError::Failed { .. }), "{e}");
        assert!(!e.is_missing_browser());
    }
}
