//! Partition checkpoints: a partition's state (its orders' events) and the input
//! offset it covers, saved together, atomically (temp file, fsync, rename, fsync dir).
//!
//! The file is JSON Lines: a header, the events in contract-v1 form, a trailer. It is
//! therefore replayable by `hotline-pulse replay` for inspection.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::engine::{Partition, Shared};
use crate::event::{decode, encode};
use crate::source::{wall_clock, AsOf, Watermark};

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Header {
    hotline_pulse_checkpoint: u32,
    topic: String,
    partition: i32,
    next_offset: i64,
    orders: u64,
}

#[derive(Serialize, Deserialize)]
struct Trailer {
    end: bool,
    events: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("checkpoint I/O on {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("checkpoint {path} is corrupt: {what}")]
    Corrupt { path: PathBuf, what: &'static str },
}

impl CheckpointError {
    pub fn code(&self) -> &'static str {
        match self {
            CheckpointError::Io { .. } => "io",
            CheckpointError::Corrupt { .. } => "corrupt",
        }
    }
}

/// `{dir}/{topic}/partition-{n}.jsonl`
pub fn path(dir: &Path, topic: &str, partition: i32) -> PathBuf {
    let safe: String = topic
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(safe).join(format!("partition-{partition}.jsonl"))
}

/// Writes the checkpoint of `partition` covering input up to `next_offset`
/// (exclusive). Returns the number of events written.
pub fn save(
    dir: &Path,
    topic: &str,
    shared: &Shared,
    partition: &Partition,
    next_offset: i64,
) -> Result<u64, CheckpointError> {
    let final_path = path(dir, topic, partition.id());
    let io_err = |source| CheckpointError::Io {
        path: final_path.clone(),
        source,
    };
    let parent = final_path.parent().unwrap_or(dir).to_path_buf();
    fs::create_dir_all(&parent).map_err(io_err)?;
    let tmp = final_path.with_extension("jsonl.tmp");
    let file = File::create(&tmp).map_err(io_err)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let header = Header {
        hotline_pulse_checkpoint: VERSION,
        topic: topic.to_owned(),
        partition: partition.id(),
        next_offset,
        orders: partition.len() as u64,
    };
    let tz = shared.config.tz;
    let mut events = 0u64;
    let write = || -> io::Result<()> {
        serde_json::to_writer(&mut w, &header)?;
        w.write_all(b"\n")?;
        for (key, evs) in partition.orders() {
            for ev in evs {
                w.write_all(encode(&shared.unstore(key, ev), tz).as_bytes())?;
                w.write_all(b"\n")?;
                events += 1;
            }
        }
        serde_json::to_writer(&mut w, &Trailer { end: true, events })?;
        w.write_all(b"\n")?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    };
    write().map_err(io_err)?;
    fs::rename(&tmp, &final_path).map_err(io_err)?;
    // The rename is durable only once the directory is synced.
    File::open(&parent)
        .and_then(|d| d.sync_all())
        .map_err(io_err)?;
    Ok(events)
}

/// Loads the checkpoint of `partition_id`, if any: a new [`Partition`] holding its
/// orders and the offset to resume from.
pub fn load(
    dir: &Path,
    topic: &str,
    partition_id: i32,
    shared: &Arc<Shared>,
    as_of: AsOf,
) -> Result<Option<(Partition, i64)>, CheckpointError> {
    let p = path(dir, topic, partition_id);
    let file = match File::open(&p) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(CheckpointError::Io { path: p, source }),
    };
    let corrupt = |what| CheckpointError::Corrupt {
        path: p.clone(),
        what,
    };
    let mut lines = BufReader::with_capacity(1 << 20, file).lines();
    let header: Header = lines
        .next()
        .transpose()
        .map_err(|source| CheckpointError::Io {
            path: p.clone(),
            source,
        })?
        .and_then(|l| serde_json::from_str(&l).ok())
        .ok_or_else(|| corrupt("no header"))?;
    if header.hotline_pulse_checkpoint != VERSION
        || header.partition != partition_id
        || header.topic != topic
    {
        return Err(corrupt("header does not match"));
    }
    let tz = shared.config.tz;
    let now = wall_clock();
    let mut watermark = Watermark::default();
    let mut events = Vec::new();
    let mut trailer: Option<Trailer> = None;
    for line in lines {
        let line = line.map_err(|source| CheckpointError::Io {
            path: p.clone(),
            source,
        })?;
        if trailer.is_some() {
            return Err(corrupt("data after the trailer"));
        }
        if line.starts_with("{\"end\"") {
            trailer = Some(serde_json::from_str(&line).map_err(|_| corrupt("bad trailer"))?);
            continue;
        }
        let ev = decode(line.as_bytes(), tz).map_err(|_| corrupt("an event does not decode"))?;
        watermark.observe(ev.at, now);
        events.push(ev);
    }
    match trailer {
        Some(t) if t.end && t.events == events.len() as u64 => {}
        _ => return Err(corrupt("truncated")),
    }
    let mut partition = Partition::new(partition_id, shared.clone());
    let t = as_of.at(watermark.get(), now);
    for ev in events {
        partition.restore(ev, t);
    }
    Ok(Some((partition, header.next_offset)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EngineConfig;
    use crate::units::Units;

    fn shared() -> Arc<Shared> {
        Shared::new(EngineConfig::default(), Units::new(None, 100))
    }

    fn lines() -> Vec<String> {
        let mut v = Vec::new();
        for i in 0..20 {
            v.push(format!(r#"{{"event_id":"r{i}","order_id":"O{i}","type":"received","at":"2024-11-0{}T09:00:00+08:00","channel":"phone","purpose":"help","disposition":"dispatch"}}"#, i % 9 + 1));
            v.push(format!(r#"{{"event_id":"d{i}","order_id":"O{i}","type":"dispatched","at":"2024-11-0{}T10:00:00+08:00","unit":"单位{}","due_at":"2024-11-12 18:00:00"}}"#, i % 9 + 1, i % 3));
        }
        v
    }

    #[test]
    fn save_then_load_restores_the_same_figures() {
        let dir = tempfile::tempdir().unwrap();
        let a = shared();
        let mut p = Partition::new(3, a.clone());
        crate::source::replay::apply_lines(
            lines().iter().map(|l| l.as_bytes()),
            &a,
            &mut p,
            AsOf::Watermark,
        );
        assert_eq!(save(dir.path(), "hotline.events", &a, &p, 40).unwrap(), 40);
        let b = shared();
        let (q, offset) = load(dir.path(), "hotline.events", 3, &b, AsOf::Watermark)
            .unwrap()
            .unwrap();
        assert_eq!(offset, 40);
        assert_eq!(q.len(), 20);
        let m = "2024-11".parse().unwrap();
        let fa = crate::view::month_figures(&a, 0, m, 0, &Default::default()).unwrap();
        let fb = crate::view::month_figures(&b, 0, m, 0, &Default::default()).unwrap();
        assert_eq!(fa, fb);
        assert!(load(dir.path(), "hotline.events", 4, &b, AsOf::Watermark)
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_truncated_checkpoint_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = shared();
        let mut p = Partition::new(0, a.clone());
        crate::source::replay::apply_lines(
            lines().iter().map(|l| l.as_bytes()),
            &a,
            &mut p,
            AsOf::Watermark,
        );
        save(dir.path(), "t", &a, &p, 40).unwrap();
        let f = path(dir.path(), "t", 0);
        let text = fs::read_to_string(&f).unwrap();
        let cut: Vec<&str> = text.lines().take(10).collect();
        fs::write(&f, cut.join("\n")).unwrap();
        let err = load(dir.path(), "t", 0, &shared(), AsOf::Watermark)
            .err()
            .expect("refused");
        assert_eq!(err.code(), "corrupt");
    }
}
