//! Build script: stamps the binary with its git revision (`HOTLINE_REVISION`), shown in
//! the start-up log line and in `hotline_build_info{revision}`.
//!
//! An explicit `HOTLINE_REVISION` in the build environment wins (container builds copy
//! no `.git`: `docker build --build-arg HOTLINE_REVISION=$(git rev-parse --short HEAD)`);
//! otherwise `git rev-parse` is asked, and without git the revision is "unknown".

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-env-changed=HOTLINE_REVISION");
    let revision = std::env::var("HOTLINE_REVISION")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .or_else(|| {
            // Rebuild when HEAD moves: logs/HEAD changes on every commit and checkout
            // (inside a worktree too, where .git is a file).
            for path in ["HEAD", "logs/HEAD"] {
                if let Some(p) = git(&["rev-parse", "--git-path", path]) {
                    println!("cargo:rerun-if-changed={p}");
                }
            }
            git(&["rev-parse", "--short=12", "HEAD"])
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=HOTLINE_REVISION={revision}");
}
