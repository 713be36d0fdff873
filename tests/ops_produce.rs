//! `produce` stops on SIGTERM while its standard input is still open and flowing: it
//! finishes the message in hand, flushes what it sent, says how many, exits 0.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::kafka::{Tansu, BIN, KAFKA_OPTIONS};

#[test]
fn produce_stops_on_sigterm_with_stdin_still_flowing() {
    let broker = Tansu::start();
    let lines = Command::new(BIN)
        .args(["simulate", "--orders", "2000", "--month", "2024-11"])
        .output()
        .expect("simulate")
        .stdout;
    let topic = format!("hotline.events.ops-produce-{}", std::process::id());
    let mut cmd = Command::new(BIN);
    cmd.args([
        "produce",
        "--brokers",
        &broker.brokers(),
        "--topic",
        &topic,
        "-",
    ])
    .env("HOTLINE_LOG", "info")
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    for o in KAFKA_OPTIONS {
        cmd.args(["--kafka-option", o]);
    }
    let mut child = cmd.spawn().expect("start produce");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeding = Arc::new(AtomicBool::new(true));
    let feeder = {
        let feeding = feeding.clone();
        std::thread::spawn(move || {
            // One line every 10 ms, for as long as the test wants: a live feed.
            for line in String::from_utf8_lossy(&lines).lines().cycle() {
                if !feeding.load(Ordering::Relaxed) || writeln!(stdin, "{line}").is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            stdin
        })
    };
    std::thread::sleep(Duration::from_secs(4));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break Some(s);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    feeding.store(false, Ordering::Relaxed);
    let stdin = feeder.join().expect("feeder");
    if status.is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("wait");
    drop(stdin);
    let err = String::from_utf8_lossy(&out.stderr);
    let status =
        status.unwrap_or_else(|| panic!("produce ignored SIGTERM while stdin flowed:\n{err}"));
    assert!(status.success(), "status {status:?}:\n{err}");
    let sent: u64 = err
        .split("produced ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no summary:\n{err}"));
    assert!(sent > 0, "{err}");
}
