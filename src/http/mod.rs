//! The HTTP server: `/metrics`, `/healthz`, `/readyz`, the JSON API, `/report` and an
//! index at `/`.
//!
//! Heavy handlers (`/metrics`, `/report`, `/api/*`) render on the blocking pool, at most
//! [`HEAVY_CONCURRENCY`] at a time, so the async workers stay free and `/healthz`
//! answers at once whatever the scrape load. Access (TLS, basic auth) follows the
//! exporter-toolkit web configuration file ([`WebConfig`]).
//!
//! # Layout
//!
//! - `api` — the JSON API and the bulletin page.
//! - `exposition` — `/metrics`: format negotiation, gzip, the render cache.
//! - `web` — the web configuration file: TLS and basic auth.
//! - `serve` — the connection loop (plain or TLS) with graceful shutdown.

mod api;
mod exposition;
mod serve;
mod web;

use std::future::Future;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use self::exposition::{negotiate, Cache};
pub use self::web::{
    basic_credentials, BasicAuth, ClientAuth, Tls, TlsSettings, WebConfig, WebConfigError,
};
use crate::config::Assessment;
use crate::engine::Shared;
use crate::event::{Millis, Month};
use crate::source::{wall_clock, AsOf};
pub use crate::view::Format;
use crate::view::{aggregate, Aggregate, Board, Completeness, Exposition, Filter, Scope};

pub use crate::health::Health;

/// The state revision: any change to what `/metrics` shows must change it.
pub type Revision = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The revision of what `/metrics` shows: every snapshot a partition publishes moves the
/// board's revision; the pipeline counters (rejects are counted before any snapshot)
/// move the rest.
pub fn state_revision(board: Arc<Board>, shared: Arc<Shared>) -> Revision {
    Arc::new(move || {
        let s = &shared.stats;
        let rejected: u64 = s.rejected.iter().map(|r| r.load(Ordering::Relaxed)).sum();
        board
            .revision()
            .wrapping_mul(1_000_003)
            .wrapping_add(rejected)
    })
}

/// Heavy renders running at once; more wait (asynchronously) for a turn.
pub const HEAVY_CONCURRENCY: usize = 2;

pub struct HttpState {
    pub shared: Arc<Shared>,
    pub board: Arc<Board>,
    pub assessment: Arc<Assessment>,
    pub exposition: Arc<Exposition>,
    pub health: Arc<Health>,
    pub as_of: AsOf,
    /// Keys the `/metrics` cache (with the wall-clock second).
    pub revision: Revision,
    /// Basic auth of everything but the probes; `None`: open.
    pub auth: Option<Arc<BasicAuth>>,
    /// With several instances (the views topic): how old another instance's view of a
    /// partition may be before the figures are said to be incomplete (ms).
    pub views_max_age_ms: Option<i64>,
    cache: Arc<Cache>,
    heavy: Arc<Semaphore>,
}

impl HttpState {
    /// Open access; the revision from the pipeline counters.
    pub fn new(
        shared: Arc<Shared>,
        board: Arc<Board>,
        assessment: Arc<Assessment>,
        exposition: Arc<Exposition>,
        health: Arc<Health>,
        as_of: AsOf,
    ) -> Self {
        HttpState {
            revision: state_revision(board.clone(), shared.clone()),
            shared,
            board,
            assessment,
            exposition,
            health,
            as_of,
            auth: None,
            views_max_age_ms: None,
            cache: Arc::new(Cache::default()),
            heavy: Arc::new(Semaphore::new(HEAVY_CONCURRENCY)),
        }
    }

    /// Says when the group's figures are incomplete: views missing, or older than
    /// `max_age_ms`.
    pub fn with_completeness(mut self, max_age_ms: Option<i64>) -> Self {
        self.views_max_age_ms = max_age_ms;
        self
    }

    /// How complete the group's figures are, when several instances share the work.
    pub fn completeness(&self) -> Option<Completeness> {
        let max_age = self.views_max_age_ms?;
        Some(self.board.completeness(wall_clock(), max_age))
    }

    /// The line a report carries while the group's figures are incomplete.
    pub fn incomplete_note(&self) -> Option<String> {
        let c = self.completeness().filter(|c| !c.is_complete())?;
        let list = |ps: &mut dyn Iterator<Item = String>| ps.collect::<Vec<_>>().join("、");
        let mut parts = Vec::new();
        if !c.missing.is_empty() {
            parts.push(format!(
                "分区 {} 的数据缺失",
                list(&mut c.missing.iter().map(i32::to_string))
            ));
        }
        if !c.stale.is_empty() {
            parts.push(format!(
                "分区 {} 的数据已 {} 秒未更新",
                list(&mut c.stale.iter().map(|(p, _)| p.to_string())),
                c.stale
                    .iter()
                    .map(|(_, age)| *age as i64)
                    .max()
                    .unwrap_or(0)
            ));
        }
        Some(format!("数据尚不完整：{}", parts.join("；")))
    }

    /// Requires these users' credentials on everything but `/healthz` and `/readyz`.
    pub fn with_auth(mut self, auth: Option<BasicAuth>) -> Self {
        self.auth = auth.map(Arc::new);
        self
    }

    fn as_of(&self) -> Millis {
        // The group's watermark: a member that owns no partition (more instances than
        // partitions) has none of its own, and would show the bulletin as of 1970.
        let group = self
            .board
            .entries(Scope::Group)
            .into_values()
            .map(|e| e.snapshot.as_of)
            .max();
        let wm = self
            .shared
            .watermark()
            .into_iter()
            .chain(group)
            .max()
            .unwrap_or(Millis::MIN);
        self.as_of.at(wm, wall_clock())
    }

    /// The whole group's figures, optionally for one centre and month.
    fn group(&self, center: Option<&str>, month: Option<Month>) -> Aggregate {
        aggregate(
            &self.board.snapshots(Scope::Group),
            &Filter {
                center: center.map(str::to_owned),
                month,
            },
        )
    }
}

pub fn router(state: Arc<HttpState>) -> Router {
    let guarded = Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics))
        .route("/api/v1/months", get(api_months))
        .route("/api/v1/months/{month}/units", get(api_units))
        .route("/api/v1/months/{month}/overdue", get(api_overdue))
        .route("/api/v1/months/{month}/summary", get(api_summary))
        .route("/api/v1/months/{month}/analysis", get(api_analysis))
        .route("/report", get(report_page))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_auth));
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .merge(guarded)
        .with_state(state)
}

/// Serves `state` on `listener` (TLS when `tls` is given) until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<HttpState>,
    tls: Option<Arc<Tls>>,
    shutdown: impl Future<Output = ()>,
) {
    serve::serve(listener, router(state), tls, shutdown).await;
}

/// Runs a heavy handler on the blocking pool, at most [`HEAVY_CONCURRENCY`] at once.
async fn offload<F>(st: Arc<HttpState>, f: F) -> Response
where
    F: FnOnce(&HttpState) -> Response + Send + 'static,
{
    let Ok(permit) = st.heavy.clone().acquire_owned().await else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let job = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f(&st)
    });
    match job.await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "a request handler failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

type St = State<Arc<HttpState>>;

async fn api_months(State(st): St) -> Response {
    offload(st, api::api_months).await
}

async fn api_units(
    State(st): St,
    Path(m): Path<String>,
    Query(q): Query<api::CenterQuery>,
) -> Response {
    offload(st, move |st: &HttpState| api::api_units(st, &m, &q)).await
}

async fn api_overdue(
    State(st): St,
    Path(m): Path<String>,
    Query(q): Query<api::CenterQuery>,
) -> Response {
    offload(st, move |st: &HttpState| api::api_overdue(st, &m, &q)).await
}

async fn api_summary(
    State(st): St,
    Path(m): Path<String>,
    Query(q): Query<api::CenterQuery>,
) -> Response {
    offload(st, move |st: &HttpState| api::api_summary(st, &m, &q)).await
}

async fn api_analysis(
    State(st): St,
    Path(m): Path<String>,
    Query(q): Query<api::CenterQuery>,
) -> Response {
    offload(st, move |st: &HttpState| api::api_analysis(st, &m, &q)).await
}

async fn report_page(State(st): St, Query(q): Query<api::ReportQuery>) -> Response {
    offload(st, move |st: &HttpState| api::report_page(st, &q)).await
}

async fn metrics(State(st): State<Arc<HttpState>>, headers: HeaderMap) -> Response {
    offload(st, move |st: &HttpState| {
        let key = ((st.revision)(), (wall_clock() / 1000) as u64);
        exposition::respond(&st.cache, &st.exposition, key, &headers)
    })
    .await
}

/// Basic auth (when configured): remembered logins pass at once, others are checked
/// with bcrypt on the blocking pool.
async fn require_auth(State(st): State<Arc<HttpState>>, req: Request, next: Next) -> Response {
    let Some(auth) = st.auth.clone() else {
        return next.run(req).await;
    };
    let creds = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(basic_credentials);
    let ok = match creds {
        None => false,
        Some((user, password)) => {
            auth.known(&user, &password)
                || tokio::task::spawn_blocking(move || auth.verify(&user, &password))
                    .await
                    .unwrap_or(false)
        }
    };
    if ok {
        next.run(req).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"hotline-pulse\", charset=\"UTF-8\""),
            )],
            "Unauthorized\n",
        )
            .into_response()
    }
}

/// `/`: what this server offers, with links.
async fn index() -> Html<&'static str> {
    Html(INDEX)
}

const INDEX: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>hotline-pulse</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}
code{background:#f4f4f4;padding:0 .2em}td{padding:.2em .8em .2em 0;vertical-align:top}</style></head>
<body><h1>hotline-pulse</h1>
<p>Live figures and the monthly bulletin (通报) of a 12345 hotline.</p>
<table>
<tr><td><a href="/metrics">/metrics</a></td><td>Prometheus metrics (OpenMetrics when asked; gzip)</td></tr>
<tr><td><a href="/report">/report</a></td><td>the bulletin of the most recent month; <code>?month=YYYY-MM</code>, <code>&amp;format=md</code>, <code>&amp;center=NAME</code></td></tr>
<tr><td><a href="/api/v1/months">/api/v1/months</a></td><td>retained months with data</td></tr>
<tr><td><code>/api/v1/months/{month}/units</code></td><td>every unit's figures</td></tr>
<tr><td><code>/api/v1/months/{month}/summary</code></td><td>the centre's figures</td></tr>
<tr><td><code>/api/v1/months/{month}/overdue</code></td><td>the overdue-order list</td></tr>
<tr><td><a href="/healthz">/healthz</a></td><td>liveness</td></tr>
<tr><td><a href="/readyz">/readyz</a></td><td>readiness (with the reason when not ready)</td></tr>
</table></body></html>
"#;

async fn readyz(State(st): State<Arc<HttpState>>) -> Response {
    match st.health.not_ready() {
        None => (StatusCode::OK, "ready\n").into_response(),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {reason}\n"),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::EngineConfig;
    use crate::engine::PartitionSnapshot;
    use crate::view::Entry;

    #[test]
    fn a_member_owning_no_partition_takes_the_groups_watermark() {
        let shared = Shared::new(EngineConfig::default(), None);
        let board = Board::new();
        let at = 1_676_865_191_000;
        board.publish_remote(
            0,
            Some(Entry {
                snapshot: Arc::new(PartitionSnapshot {
                    as_of: at,
                    ..PartitionSnapshot::default()
                }),
                published_at: at,
            }),
        );
        let assessment = Arc::new(Assessment::default());
        let exposition = Arc::new(Exposition::new(
            board.clone(),
            shared.clone(),
            assessment.clone(),
        ));
        let st = HttpState::new(
            shared,
            board,
            assessment,
            exposition,
            Arc::new(Health::default()),
            AsOf::Watermark,
        );
        assert_eq!(st.as_of(), at);
    }
}
