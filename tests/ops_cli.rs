//! The command line as users type it: IANA zone names, `replay --strict`, flags that
//! do not apply refused, `simulate | head` ending quietly, and no secret ever printed,
//! whichever way it was given and whatever bad input sits next to it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_hotline-pulse");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("HOTLINE_LOG")
        .output()
        .expect("run hotline-pulse")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn iana_zone_names_are_accepted() {
    let sim = |tz: &str| {
        run(&[
            "simulate",
            "--timezone",
            tz,
            "--orders",
            "50",
            "--month",
            "2024-11",
        ])
    };
    let named = sim("Asia/Shanghai");
    assert!(named.status.success(), "{}", text(&named));
    assert_eq!(
        named.stdout,
        sim("+08:00").stdout,
        "Asia/Shanghai is +08:00"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let events = dir.path().join("e.jsonl");
    std::fs::write(&events, &named.stdout).expect("write");
    let replay = run(&[
        "replay",
        events.to_str().expect("path"),
        "--timezone",
        "Europe/Berlin",
        "--format",
        "json",
    ]);
    assert!(replay.status.success(), "{}", text(&replay));
    let bad = run(&["simulate", "--timezone", "Asia/Shangai"]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("IANA"), "{}", text(&bad));
}

#[test]
fn replay_strict_fails_on_rejects_and_says_how_many() {
    let dir = tempfile::tempdir().expect("temp dir");
    let events = dir.path().join("e.jsonl");
    let good = run(&["simulate", "--orders", "5", "--month", "2024-11"]).stdout;
    let mut lines = good.clone();
    lines.extend_from_slice(b"{not json\n[1]\n");
    std::fs::write(&events, &lines).expect("write");
    let path = events.to_str().expect("path");
    let total = String::from_utf8_lossy(&good).lines().count() + 2;

    let lenient = run(&["replay", path]);
    assert!(lenient.status.success(), "{}", text(&lenient));
    let strict = run(&["replay", path, "--strict"]);
    assert_eq!(strict.status.code(), Some(2), "{}", text(&strict));
    assert!(
        text(&strict).contains(&format!("2 of {total} lines rejected")),
        "{}",
        text(&strict)
    );
    assert!(!strict.stdout.is_empty(), "the figures are still printed");

    std::fs::write(&events, &good).expect("write");
    assert!(run(&["replay", path, "--strict"]).status.success());
}

#[test]
fn flags_that_do_not_apply_are_refused() {
    for (args, flag) in [
        (
            &["replay", "x.jsonl", "--report", "md", "--format", "json"][..],
            "--format",
        ),
        (&["simulate", "--config", "x.toml"][..], "--config"),
        (
            &["simulate", "--unit-registry", "u.toml"][..],
            "--unit-registry",
        ),
        (
            &["serve", "--brokers", "127.0.0.1:1", "--orders", "5"][..],
            "--orders",
        ),
        (&["serve", "--state-dir", "/tmp/x"][..], "--state-dir"),
        (
            &[
                "produce",
                "--brokers",
                "127.0.0.1:1",
                "f.jsonl",
                "--month",
                "2024-11",
            ][..],
            "--month",
        ),
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(flag), "{args:?}: {}", text(&o));
    }
}

#[test]
fn a_closed_pipe_ends_quietly_with_status_zero() {
    let mut child = Command::new(BIN)
        .args(["simulate", "--orders", "200000"])
        .env_remove("HOTLINE_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run simulate");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("a line");
    assert!(first.starts_with('{'));
    drop(out); // `| head -1`
    let o = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "status {:?}: {err}", o.status);
    assert!(!err.to_lowercase().contains("broken pipe"), "{err}");
}

/// Runs `args` with `env` for at most `secs` seconds (then SIGTERM); all it printed.
fn run_for(args: &[&str], env: &[(&str, &str)], secs: u64) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (out_path, err_path) = (dir.path().join("out"), dir.path().join("err"));
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_remove("HOTLINE_LOG")
        .stdout(std::fs::File::create(&out_path).expect("out"))
        .stderr(std::fs::File::create(&err_path).expect("err"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn");
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            // A producer flushing to a dead broker may take its time: then SIGKILL.
            for _ in 0..50 {
                if child.try_wait().expect("try_wait").is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let all = format!(
        "{}{}",
        std::fs::read_to_string(&out_path).unwrap_or_default(),
        std::fs::read_to_string(&err_path).unwrap_or_default()
    );
    (status.code(), all)
}

/// (secret, arguments, environment, seconds to let it run)
type Case = (String, Vec<String>, Vec<(String, String)>, u64);

#[test]
fn no_secret_is_ever_printed_whichever_way_it_came_in() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name).to_str().expect("path").to_owned();
    // Long, unique, with a comma: the old comma split printed a fragment of it.
    let secret = |n: u32| format!("S3cr3t-{n}-pa,ss-{}", std::process::id());
    // Bad neighbouring input everywhere, an unreachable broker, debug logs.
    let serve = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--log",
        "debug",
        "--brokers",
        "127.0.0.1:1",
        "--shutdown-grace-secs",
        "2",
    ];
    let sasl = [
        "--kafka-option",
        "security.protocol=SASL_PLAINTEXT",
        "--kafka-option",
        "sasl.mechanism=PLAIN",
        "--kafka-option",
        "sasl.username=u",
    ];
    let state = path("state");
    let with = |extra: &[&str]| -> Vec<String> {
        serve
            .iter()
            .chain(sasl.iter())
            .chain(["--state-dir", &state].iter())
            .chain(extra.iter())
            .map(|s| (*s).to_owned())
            .collect()
    };
    let mut cases: Vec<Case> = Vec::new();

    // 1. HOTLINE_KAFKA_OPTIONS: a good secret (runs against the dead broker)...
    let s1 = secret(1);
    cases.push((
        s1.clone(),
        with(&[]),
        vec![(
            "HOTLINE_KAFKA_OPTIONS".into(),
            format!("sasl.password={s1},client.id=x"),
        )],
        4,
    ));
    // ...and beside a malformed entry.
    let s2 = secret(2);
    cases.push((
        s2.clone(),
        with(&[]),
        vec![(
            "HOTLINE_KAFKA_OPTIONS".into(),
            format!("sasl.password={s2}\n{s2}-no-equals"),
        )],
        10,
    ));
    // 2. --kafka-config with a bad line after the secret.
    let s3 = secret(3);
    std::fs::write(
        path("client.properties"),
        format!("sasl.password={s3}\nbroken=\\u12zz\n"),
    )
    .unwrap();
    cases.push((
        s3.clone(),
        with(&["--kafka-config", &path("client.properties")]),
        vec![],
        10,
    ));
    // 3. HOTLINE_KAFKA_SASL_PASSWORD_FILE, with a mistyped option next to it.
    let s4 = secret(4);
    std::fs::write(path("pw"), format!("{s4}\n")).unwrap();
    cases.push((
        s4.clone(),
        with(&["--kafka-option", "fetch.wait.max.ms=banana"]),
        vec![("HOTLINE_KAFKA_SASL_PASSWORD_FILE".into(), path("pw"))],
        10,
    ));
    // 4. A mistyped secret key: librdkafka's error quotes the value.
    let s5 = secret(5);
    let typo = format!("sasl.pasword={s5}");
    cases.push((s5.clone(), with(&["--kafka-option", &typo]), vec![], 10));
    // 5. HOTLINE_KAFKA_OPTIONS_FILE.
    let s6 = secret(6);
    std::fs::write(
        path("opts"),
        format!("ssl.key.password={s6}\nsasl.password={s6}x\n"),
    )
    .unwrap();
    cases.push((
        s6.clone(),
        with(&[]),
        vec![("HOTLINE_KAFKA_OPTIONS_FILE".into(), path("opts"))],
        4,
    ));
    // 6. produce, secret in the environment, unreachable broker.
    let s7 = secret(7);
    std::fs::write(path("e.jsonl"), "{\"bad\n").unwrap();
    cases.push((
        s7.clone(),
        [
            "produce",
            "--log",
            "debug",
            "--brokers",
            "127.0.0.1:1",
            "--topic",
            "t",
            &path("e.jsonl"),
        ]
        .iter()
        .chain(sasl.iter())
        .map(|s| (*s).to_owned())
        .collect(),
        vec![(
            "HOTLINE_KAFKA_OPTIONS".into(),
            format!("sasl.password={s7}"),
        )],
        6,
    ));

    for (secret, args, env, secs) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (code, printed) = run_for(&args, &env, *secs);
        assert!(!printed.is_empty(), "{args:?}: printed nothing");
        for fragment in [
            secret.as_str(),
            &secret[..secret.find(',').unwrap_or(0)],
            &secret[secret.find(',').unwrap_or(0) + 1..],
        ] {
            assert!(
                !printed.contains(fragment),
                "{args:?} {env:?} (exit {code:?}) printed {fragment:?}:\n{printed}"
            );
        }
    }
}
