//! `/metrics` as node_exporter serves it: the format negotiated from `Accept`
//! (OpenMetrics 1.0.0 or text 0.0.4), gzip when `Accept-Encoding` allows, and the
//! rendered bytes cached until the state changes, so a scrape storm renders once.
//!
//! The cache key is the state revision (the [`super::Revision`] hook) and the
//! wall-clock second: live gauges (open, overdue now, due soon) and the process
//! metrics move with time even when no event arrives.

use std::io::Write;
use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use flate2::write::GzEncoder;
use flate2::Compression;
use parking_lot::Mutex;

use crate::view::{Exposition, Format};

fn slot(format: Format) -> usize {
    match format {
        Format::Text => 0,
        Format::OpenMetrics => 1,
    }
}

/// Splits a header list (`a;q=0.5, b`) into (value, parameters, q).
fn entries(header: &str) -> impl Iterator<Item = (&str, Vec<(&str, &str)>, f32)> {
    header.split(',').filter_map(|part| {
        let mut it = part.split(';').map(str::trim);
        let value = it.next().filter(|v| !v.is_empty())?;
        let mut q = 1.0;
        let mut params = Vec::new();
        for p in it {
            let Some((k, v)) = p.split_once('=') else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim().trim_matches('"'));
            if k.eq_ignore_ascii_case("q") {
                q = v.parse().unwrap_or(0.0);
            } else {
                params.push((k, v));
            }
        }
        Some((value, params, q))
    })
}

/// The format `Accept` prefers: OpenMetrics 1.0.0 when it is acceptable and weighs at
/// least as much as the text format (as Prometheus asks), else text 0.0.4.
pub fn negotiate(accept: Option<&str>) -> Format {
    let Some(accept) = accept else {
        return Format::Text;
    };
    let (mut om, mut text) = (0.0f32, 0.0f32);
    for (value, params, q) in entries(accept) {
        let version = params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("version"))
            .map(|(_, v)| *v);
        if value.eq_ignore_ascii_case("application/openmetrics-text") {
            if matches!(version, None | Some("1.0.0")) {
                om = om.max(q);
            }
        } else if value.eq_ignore_ascii_case("text/plain")
            || value == "*/*"
            || value.eq_ignore_ascii_case("text/*")
        {
            text = text.max(q);
        }
    }
    if om > 0.0 && om >= text {
        Format::OpenMetrics
    } else {
        Format::Text
    }
}

/// Whether `Accept-Encoding` allows gzip.
pub fn wants_gzip(accept_encoding: Option<&str>) -> bool {
    accept_encoding.is_some_and(|h| {
        entries(h).any(|(v, _, q)| (v.eq_ignore_ascii_case("gzip") || v == "*") && q > 0.0)
    })
}

#[derive(Default)]
struct Slot {
    plain: Option<Bytes>,
    gzip: Option<Bytes>,
}

#[derive(Default)]
struct Cached {
    key: Option<(u64, u64)>,
    slots: [Slot; 2],
}

/// The rendered exposition of one state key, per format, plain and gzipped.
#[derive(Default)]
pub struct Cache {
    inner: Mutex<Cached>,
}

impl Cache {
    /// The exposition for `key` in `format`, rendered when the key has changed.
    /// Blocking (it renders): call it off the async workers. Concurrent callers wait
    /// for one render instead of each rendering.
    pub fn get(
        &self,
        exposition: &Exposition,
        key: (u64, u64),
        format: Format,
        gzip: bool,
    ) -> std::io::Result<Bytes> {
        let mut c = self.inner.lock();
        if c.key != Some(key) {
            c.key = Some(key);
            c.slots = Default::default();
        }
        let slot = &mut c.slots[slot(format)];
        let plain = match &slot.plain {
            Some(b) => b.clone(),
            None => {
                let b = Bytes::from(exposition.render(format));
                slot.plain = Some(b.clone());
                b
            }
        };
        if !gzip {
            return Ok(plain);
        }
        if let Some(z) = &slot.gzip {
            return Ok(z.clone());
        }
        let z = Bytes::from(gzip_bytes(&plain)?);
        slot.gzip = Some(z.clone());
        Ok(z)
    }
}

/// Fast compression: a scrape is latency-bound, and level 1 already shrinks the
/// repetitive exposition about tenfold.
fn gzip_bytes(plain: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut z = GzEncoder::new(Vec::with_capacity(plain.len() / 8), Compression::fast());
    z.write_all(plain)?;
    z.finish()
}

/// The `/metrics` response for the request headers (blocking: renders on a miss).
pub fn respond(
    cache: &Arc<Cache>,
    exposition: &Exposition,
    key: (u64, u64),
    headers: &HeaderMap,
) -> Response {
    let text = |h| headers.get(h).and_then(|v: &HeaderValue| v.to_str().ok());
    let format = negotiate(text(header::ACCEPT));
    let gzip = wants_gzip(text(header::ACCEPT_ENCODING));
    match cache.get(exposition, key, format, gzip) {
        Ok(body) => {
            let mut r = (
                [
                    (header::CONTENT_TYPE, format.content_type()),
                    (header::VARY, "Accept, Accept-Encoding"),
                ],
                body,
            )
                .into_response();
            if gzip {
                r.headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot encode metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_gets_openmetrics_and_curl_gets_text() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert_eq!(negotiate(Some(prometheus)), Format::OpenMetrics);
        assert_eq!(negotiate(None), Format::Text);
        assert_eq!(negotiate(Some("*/*")), Format::Text);
        assert_eq!(negotiate(Some("text/plain;version=0.0.4")), Format::Text);
        assert_eq!(
            negotiate(Some("application/openmetrics-text; version=0.0.1")),
            Format::Text,
            "only 1.0.0 is served"
        );
        assert_eq!(
            negotiate(Some("text/plain;q=0.9, application/openmetrics-text;q=0.5")),
            Format::Text
        );
    }

    #[test]
    fn gzip_is_negotiated() {
        assert!(wants_gzip(Some("gzip")));
        assert!(wants_gzip(Some("deflate, gzip;q=0.8")));
        assert!(!wants_gzip(Some("gzip;q=0")));
        assert!(!wants_gzip(Some("identity")));
        assert!(!wants_gzip(None));
    }

    #[test]
    fn the_cache_renders_once_per_key() {
        let r = Exposition::new(
            crate::view::Board::new(),
            crate::engine::Shared::new(Default::default(), None),
            Default::default(),
        );
        let c = prometheus::IntCounter::new("demo_total", "d").unwrap();
        r.registry().register(Box::new(c.clone())).unwrap();
        let cache = Cache::default();
        let a = cache.get(&r, (1, 1), Format::Text, false).unwrap();
        c.inc();
        let b = cache.get(&r, (1, 1), Format::Text, false).unwrap();
        assert_eq!(a, b, "same key: the cached bytes");
        let fresh = cache.get(&r, (2, 1), Format::Text, false).unwrap();
        assert!(String::from_utf8_lossy(&fresh).contains("demo_total 1"));
        let z = cache.get(&r, (2, 1), Format::Text, true).unwrap();
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&z[..]), &mut plain).unwrap();
        assert_eq!(plain, fresh);
    }
}
