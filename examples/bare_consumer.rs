//! The reference of the end-to-end benchmark (`scripts/bench-e2e.sh`): an rdkafka
//! `BaseConsumer` with the service's client settings that only counts a topic's
//! messages, so the service's rate can be quoted as a ratio against it.
//!
//! ```text
//! cargo run --release --example bare_consumer -- --brokers 127.0.0.1:9092 \
//!     --topic hotline.events --messages 570000 --kafka-option fetch.wait.max.ms=5
//! ```
//!
//! Prints one JSON line: the time from start (group join included) and from the first
//! message until the `--messages`-th, and the rates over both.
//!
//! `--sink` says what is done with each message, to split the service's cost into
//! parts: `count` (default: the reference), `decode` (contract-v1 decoding), `apply`
//! (decode, then apply to one engine `Partition` per Kafka partition at the
//! event-time watermark: the engine's work without the service's bookkeeping).
//!
//! `--watermarks P` prints partition P's low and high watermarks (a ListOffsets
//! round trip, as the service's restore and out-of-range check do) and exits.
//!
//! `--idle-ms N` instead stops once no message came for N ms (after at least one):
//! to read a topic whose size is not known, e.g. the views topic, whose key and value
//! bytes the output's `key_bytes` and `bytes` give.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hotline_pulse::config::EngineConfig;
use hotline_pulse::engine::{Partition, Shared};
use hotline_pulse::event::{decode, DecodeCtx};
use hotline_pulse::source::wall_clock;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::Message;

const USAGE: &str = "usage: bare_consumer --brokers HOST:PORT --topic T --messages N \
[--sink count|decode|apply] [--group G] [--timeout-secs S] [--idle-ms N] [--watermarks P] \
[--kafka-option KEY=VALUE]...";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sink {
    Count,
    Decode,
    Apply,
}

impl Sink {
    fn as_str(self) -> &'static str {
        match self {
            Sink::Count => "count",
            Sink::Decode => "decode",
            Sink::Apply => "apply",
        }
    }
}

struct Args {
    brokers: String,
    topic: String,
    messages: u64,
    sink: Sink,
    group: String,
    timeout: Duration,
    idle: Option<Duration>,
    watermarks: Option<i32>,
    options: Vec<(String, String)>,
}

fn parse() -> Result<Args, String> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut a = Args {
        brokers: String::new(),
        topic: String::new(),
        messages: 0,
        sink: Sink::Count,
        group: format!("bare-consumer-{}-{nanos}", std::process::id()),
        timeout: Duration::from_secs(600),
        idle: None,
        watermarks: None,
        options: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--brokers" => a.brokers = value()?,
            "--topic" => a.topic = value()?,
            "--group" => a.group = value()?,
            "--sink" => {
                a.sink = match value()?.as_str() {
                    "count" => Sink::Count,
                    "decode" => Sink::Decode,
                    "apply" => Sink::Apply,
                    other => {
                        return Err(format!("--sink {other:?}: expected count, decode or apply"))
                    }
                }
            }
            "--messages" => {
                a.messages = value()?.parse().map_err(|e| format!("--messages: {e}"))?
            }
            "--timeout-secs" => {
                a.timeout = Duration::from_secs(
                    value()?
                        .parse()
                        .map_err(|e| format!("--timeout-secs: {e}"))?,
                )
            }
            "--watermarks" => {
                a.watermarks = Some(value()?.parse().map_err(|e| format!("--watermarks: {e}"))?)
            }
            "--idle-ms" => {
                a.idle = Some(Duration::from_millis(
                    value()?.parse().map_err(|e| format!("--idle-ms: {e}"))?,
                ))
            }
            "--kafka-option" => {
                let kv = value()?;
                let (k, v) = kv
                    .split_once('=')
                    .ok_or(format!("--kafka-option {kv:?}: expected key=value"))?;
                a.options.push((k.to_owned(), v.to_owned()));
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    if a.brokers.is_empty()
        || a.topic.is_empty()
        || (a.messages == 0 && a.idle.is_none() && a.watermarks.is_none())
    {
        return Err("--brokers, --topic and --messages (> 0) or --idle-ms are required".into());
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("bare_consumer: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    // The service's consumer settings (the same `client_config`), options applied last.
    let mut config = hotline_pulse::source::kafka::client_config(&args.brokers, true, &[]);
    config
        .set("client.id", "bare-consumer")
        .set("group.id", &args.group)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("enable.partition.eof", "false")
        .set("fetch.wait.max.ms", "5");
    for (k, v) in &args.options {
        config.set(k, v);
    }
    let consumer: BaseConsumer = match config.create() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("bare_consumer: invalid Kafka settings: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(p) = args.watermarks {
        return match consumer.fetch_watermarks(&args.topic, p, Duration::from_secs(10)) {
            Ok((low, high)) => {
                println!("{{\"partition\":{p},\"low\":{low},\"high\":{high}}}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("bare_consumer: fetch_watermarks: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Err(e) = consumer.subscribe(&[&args.topic]) {
        eprintln!("bare_consumer: cannot subscribe: {e}");
        return ExitCode::FAILURE;
    }

    let engine = EngineConfig::default();
    let ctx = DecodeCtx::new(engine.tz, wall_clock(), engine.future_horizon_ms);
    let shared = Shared::new(engine, None);
    let mut partitions: BTreeMap<i32, Partition> = BTreeMap::new();
    let mut rejected = 0u64;

    let mut count = 0u64;
    let mut bytes = 0u64;
    let mut key_bytes = 0u64;
    let mut first: Option<Instant> = None;
    let mut last = Instant::now();
    while args.messages == 0 || count < args.messages {
        if let (Some(idle), Some(_)) = (args.idle, first) {
            if last.elapsed() >= idle {
                break;
            }
        }
        if started.elapsed() > args.timeout {
            eprintln!(
                "bare_consumer: timed out after {} of {} messages",
                count, args.messages
            );
            return ExitCode::FAILURE;
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(msg)) => {
                last = Instant::now();
                first.get_or_insert(last);
                count += 1;
                key_bytes += msg.key().map_or(0, |k| k.len() as u64);
                // Touch the payload, as any consumer must.
                let payload = msg.payload().unwrap_or(&[]);
                bytes += payload.len() as u64;
                if args.sink == Sink::Count {
                    continue;
                }
                match decode(payload, &ctx) {
                    Ok(ev) if args.sink == Sink::Apply => {
                        shared.observe(ev.at);
                        let p = msg.partition();
                        partitions
                            .entry(p)
                            .or_insert_with(|| Partition::new(p, shared.clone()))
                            .apply(&ev, shared.watermark().unwrap_or(i64::MIN));
                    }
                    Ok(ev) => drop(std::hint::black_box(ev)),
                    Err(_) => rejected += 1,
                }
            }
            Some(Err(e)) => eprintln!("bare_consumer: consume error: {e}"),
            None => {}
        }
    }
    // Reading until idle: the run ended with the last message, not the idle wait.
    let done = if args.idle.is_some() && first.is_some() {
        last
    } else {
        Instant::now()
    };
    let total = done.duration_since(started).as_secs_f64();
    let from_first = first.map_or(0.0, |f| done.duration_since(f).as_secs_f64());
    println!(
        "{{\"sink\":\"{}\",\"messages\":{count},\"rejected\":{rejected},\"bytes\":{bytes},\"key_bytes\":{key_bytes},\"elapsed_s\":{total:.3},\"msgs_per_s\":{:.0},\
\"from_first_s\":{from_first:.3},\"from_first_msgs_per_s\":{:.0}}}",
        args.sink.as_str(),
        count as f64 / total,
        if from_first > 0.0 {
            count as f64 / from_first
        } else {
            0.0
        }
    );
    ExitCode::SUCCESS
}
