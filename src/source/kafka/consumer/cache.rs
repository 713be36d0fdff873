//! The optional local cache of a partition's state (`--state-dir`): the changelog's
//! records up to an offset, so that a restore on the same node reads only what came
//! after. It only shortens restores: a missing, foreign, stale or corrupt file is
//! ignored (with a log line and a metric) and the changelog is read from its start.
//!
//! The file is a JSON header line — format version, the cluster id, group, topics and
//! partition it belongs to, the changelog offset it covers, the owner's epoch, where the
//! input resumes after the state (its frontier), a checksum of the body — then the records
//! (length-prefixed key and value). Only an owner whose records fill the changelog from
//! its claim to that offset writes one (no other owner wrote in between). It is
//! written atomically: temp file, fsync, rename, fsync of the directory.

use std::fs::{self, File};
use std::hash::Hasher;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use fnv::FnvHasher;
use serde::{Deserialize, Serialize};

use super::restore::Resume;
use super::Settings;
use crate::event::packed;

const VERSION: u32 = 2;

/// Who a cache belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub cluster: String,
    pub group: String,
    pub topic: String,
    pub changelog: String,
    pub partition: i32,
}

impl Stamp {
    pub fn of(settings: &Settings, partition: i32) -> Self {
        Stamp {
            cluster: settings.cluster_id.clone(),
            group: settings.kafka.group.clone(),
            topic: settings.kafka.topic.clone(),
            changelog: settings.kafka.changelog_topic.clone(),
            partition,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Header {
    hotline_pulse_cache: u32,
    #[serde(flatten)]
    stamp: Stamp,
    /// The changelog offset the records cover (the next offset to read).
    changelog_offset: i64,
    /// The writer's epoch (the offset of its claim).
    epoch: i64,
    /// Where the input is read from after this state.
    resume: Resume,
    records: u64,
    /// See [`checksum`], hex.
    checksum: String,
}

/// A partition's state as the cache holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cache {
    pub records: Vec<(Vec<u8>, Vec<u8>)>,
    /// The changelog offset the records cover (the next offset to read).
    pub offset: i64,
    /// The writer's epoch.
    pub epoch: i64,
    /// Where the input is read from after this state.
    pub resume: Resume,
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path} belongs to another cluster, group, topic or partition")]
    Foreign { path: PathBuf },
    #[error("{path} is corrupt: {what}")]
    Corrupt { path: PathBuf, what: &'static str },
    #[error("{path} covers changelog offsets the changelog does not hold (the topic was recreated or truncated)")]
    Stale { path: PathBuf },
}

impl CacheError {
    pub fn code(&self) -> &'static str {
        match self {
            CacheError::Io { .. } => "io",
            CacheError::Foreign { .. } => "foreign",
            CacheError::Corrupt { .. } => "corrupt",
            CacheError::Stale { .. } => "stale",
        }
    }
}

/// FNV-1a 64 over what the header says and the body: an edited header or body fails.
fn checksum(header: &Header, body: &[u8]) -> String {
    let head = format!(
        "{}|{}|{}|{:?}|{}|",
        serde_json::to_string(&header.stamp).unwrap_or_default(),
        header.changelog_offset,
        header.epoch,
        header.resume,
        header.records
    );
    let mut h = FnvHasher::default();
    h.write(head.as_bytes());
    h.write(body);
    format!("{:016x}", h.finish())
}

/// `{dir}/{topic}/partition-{n}.cache`
pub fn path(dir: &Path, topic: &str, partition: i32) -> PathBuf {
    let safe: String = topic
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(safe).join(format!("partition-{partition}.cache"))
}

/// The cache of `stamp.partition`, if one is there and usable with a changelog whose
/// offsets run from `low` to at least `high` (the restoring owner's claim).
pub fn load(dir: &Path, stamp: &Stamp, low: i64, high: i64) -> Result<Option<Cache>, CacheError> {
    let p = path(dir, &stamp.topic, stamp.partition);
    let mut bytes = Vec::new();
    match File::open(&p) {
        Ok(mut f) => f.read_to_end(&mut bytes).map_err(|source| CacheError::Io {
            path: p.clone(),
            source,
        })?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(CacheError::Io { path: p, source }),
    };
    let corrupt = |what| CacheError::Corrupt {
        path: p.clone(),
        what,
    };
    let nl = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| corrupt("no header"))?;
    let header: Header =
        serde_json::from_slice(&bytes[..nl]).map_err(|_| corrupt("unreadable header"))?;
    if header.hotline_pulse_cache != VERSION {
        return Err(corrupt("unknown version"));
    }
    let body = &bytes[nl + 1..];
    if checksum(&header, body) != header.checksum {
        return Err(corrupt("checksum mismatch"));
    }
    if header.stamp != *stamp {
        return Err(CacheError::Foreign { path: p });
    }
    if header.changelog_offset > high || header.changelog_offset < low {
        return Err(CacheError::Stale { path: p });
    }
    let mut input = body;
    let mut records = Vec::with_capacity(header.records as usize);
    while !input.is_empty() {
        let k = packed::get_bytes(&mut input).ok_or_else(|| corrupt("truncated record"))?;
        let v = packed::get_bytes(&mut input).ok_or_else(|| corrupt("truncated record"))?;
        records.push((k.to_vec(), v.to_vec()));
    }
    if records.len() as u64 != header.records {
        return Err(corrupt("record count"));
    }
    Ok(Some(Cache {
        records,
        offset: header.changelog_offset,
        epoch: header.epoch,
        resume: header.resume,
    }))
}

/// Writes the cache of `stamp.partition`.
pub fn save(dir: &Path, stamp: &Stamp, cache: &Cache) -> io::Result<()> {
    let final_path = path(dir, &stamp.topic, stamp.partition);
    let parent = final_path.parent().unwrap_or(dir).to_path_buf();
    fs::create_dir_all(&parent)?;
    let mut body = Vec::new();
    for (k, v) in &cache.records {
        packed::put_bytes(&mut body, k);
        packed::put_bytes(&mut body, v);
    }
    let mut header = Header {
        hotline_pulse_cache: VERSION,
        stamp: stamp.clone(),
        changelog_offset: cache.offset,
        epoch: cache.epoch,
        resume: cache.resume,
        records: cache.records.len() as u64,
        checksum: String::new(),
    };
    header.checksum = checksum(&header, &body);
    let tmp = final_path.with_extension("cache.tmp");
    let mut f = File::create(&tmp)?;
    serde_json::to_writer(&mut f, &header)?;
    f.write_all(b"\n")?;
    f.write_all(&body)?;
    f.sync_all()?;
    fs::rename(&tmp, &final_path)?;
    File::open(&parent)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp() -> Stamp {
        Stamp {
            cluster: "c1".into(),
            group: "g".into(),
            topic: "t".into(),
            changelog: "t.changelog".into(),
            partition: 2,
        }
    }

    #[test]
    fn a_cache_reads_back_and_a_foreign_corrupt_or_stale_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache {
            records: vec![
                (b"k1".to_vec(), b"v1".to_vec()),
                (b"k2".to_vec(), vec![0; 300]),
            ],
            offset: 40,
            epoch: 3,
            resume: Resume::At(1234),
        };
        save(dir.path(), &stamp(), &cache).unwrap();
        assert_eq!(
            load(dir.path(), &stamp(), 0, 50).unwrap(),
            Some(cache.clone())
        );
        assert!(load(dir.path(), &stamp(), 0, 39).unwrap_err().code() == "stale");
        // Another owner's file, intact: foreign.
        assert_eq!(
            load(
                dir.path(),
                &Stamp {
                    cluster: "c2".into(),
                    ..stamp()
                },
                0,
                50
            )
            .unwrap_err()
            .code(),
            "foreign"
        );
        // An edited header (the cluster id) or body: corrupt.
        let p = path(dir.path(), "t", 2);
        let text = fs::read(&p).unwrap();
        let edited = String::from_utf8_lossy(&text).replacen("\"c1\"", "\"c2\"", 1);
        fs::write(&p, edited.as_bytes()).unwrap();
        let c2 = Stamp {
            cluster: "c2".into(),
            ..stamp()
        };
        assert_eq!(load(dir.path(), &c2, 0, 50).unwrap_err().code(), "corrupt");
        // An edited frontier: corrupt (a wrong one would skip or repeat input).
        save(dir.path(), &stamp(), &cache).unwrap();
        let mut bytes = fs::read(&p).unwrap();
        let at = bytes
            .windows(9)
            .position(|w| w == b"\"At\":1234")
            .expect("the frontier is in the header");
        bytes[at + 8] = b'5';
        fs::write(&p, &bytes).unwrap();
        assert_eq!(
            load(dir.path(), &stamp(), 0, 50).unwrap_err().code(),
            "corrupt"
        );
        save(dir.path(), &stamp(), &cache).unwrap();
        let mut bytes = fs::read(&p).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        fs::write(&p, &bytes).unwrap();
        assert_eq!(
            load(dir.path(), &stamp(), 0, 50).unwrap_err().code(),
            "corrupt"
        );
        assert!(load(
            dir.path(),
            &Stamp {
                partition: 9,
                ..stamp()
            },
            0,
            50
        )
        .unwrap()
        .is_none());
    }
}
