//! A replay whose input fails fails loudly: a file that cannot be opened in the middle
//! of the list, a directory given as a file → a non-zero exit, a message naming the
//! file, and no figures. (A failing reader used to leave the workers waiting: the
//! replay hung for good; a guard here kills it after a minute.)

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn replay(args: &[&std::path::Path]) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hotline-pulse"))
        .arg("replay")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("replay {args:?} hung");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_replay_whose_input_fails_exits_non_zero_naming_the_file_and_prints_no_figures() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.jsonl");
    let line = crate::common::engine::ev(
        "A-1",
        "A",
        "received",
        "2024-11-04 09:00:00",
        r#""channel":"phone","purpose":"help","disposition":"direct_answer""#,
    );
    std::fs::write(&good, format!("{line}\n")).unwrap();
    // The good file alone gives figures.
    let (code, stdout, _) = replay(&[&good]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("2024-11"), "{stdout}");

    let missing = dir.path().join("missing.jsonl");
    let subdir = dir.path().join("a-directory");
    std::fs::create_dir(&subdir).unwrap();
    for bad in [&missing, &subdir] {
        let (code, stdout, stderr) = replay(&[&good, bad, &good]);
        assert!(code.is_some_and(|c| c != 0), "{bad:?}: exit {code:?}");
        assert!(
            stderr.contains(&*bad.to_string_lossy()),
            "{bad:?}: {stderr}"
        );
        assert!(stdout.is_empty(), "{bad:?}: figures printed: {stdout}");
    }
}
