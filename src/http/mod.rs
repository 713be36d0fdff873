//! The HTTP server: `/metrics`, `/healthz`, `/readyz`, the JSON API and `/report`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use parking_lot::Mutex;
use prometheus::{Encoder, Registry, TextEncoder};
use serde::Deserialize;

use crate::config::Assessment;
use crate::engine::Shared;
use crate::event::{Millis, Month};
use crate::report;
use crate::source::{wall_clock, AsOf};
use crate::units::LabelId;
use crate::view::{month_figures, months, overdue_list, MonthFigures};

/// Liveness is the process answering; readiness is set by the source.
#[derive(Default)]
pub struct Health {
    ready: AtomicBool,
    reason: Mutex<&'static str>,
}

impl Health {
    pub fn set_ready(&self) {
        *self.reason.lock() = "";
        self.ready.store(true, Ordering::SeqCst);
    }

    /// Not ready, with a fixed reason code shown by `/readyz`.
    pub fn set_not_ready(&self, reason: &'static str) {
        *self.reason.lock() = reason;
        self.ready.store(false, Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    pub fn reason(&self) -> &'static str {
        *self.reason.lock()
    }
}

pub struct HttpState {
    pub shared: Arc<Shared>,
    pub assessment: Arc<Assessment>,
    pub registry: Registry,
    pub health: Arc<Health>,
    pub as_of: AsOf,
}

impl HttpState {
    fn as_of(&self) -> Millis {
        let wm = self.shared.watermark.load(Ordering::Relaxed);
        self.as_of.at(wm, wall_clock())
    }
}

pub fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/api/v1/months", get(api_months))
        .route("/api/v1/months/{month}/units", get(api_units))
        .route("/api/v1/months/{month}/overdue", get(api_overdue))
        .route("/api/v1/months/{month}/summary", get(api_summary))
        .route("/report", get(report_page))
        .with_state(state)
}

async fn metrics(State(st): State<Arc<HttpState>>) -> Response {
    let families = st.registry.gather();
    let mut buf = Vec::with_capacity(64 * 1024);
    match TextEncoder::new().encode(&families, &mut buf) {
        // Label values are Chinese unit names: say the charset.
        Ok(()) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            buf,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot encode metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn readyz(State(st): State<Arc<HttpState>>) -> Response {
    if st.health.is_ready() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", st.health.reason()),
        )
            .into_response()
    }
}

/// A JSON error body with a message.
fn error(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

#[derive(Deserialize)]
struct CenterQuery {
    center: Option<String>,
}

/// Resolves `{month}` and `?center=`: 400 for a malformed month, 404 for an unknown
/// centre.
#[allow(clippy::result_large_err)] // the error is the response itself, built once
fn month_and_center(
    st: &HttpState,
    month: &str,
    center: Option<&str>,
) -> Result<(Month, LabelId), Response> {
    let m: Month = month
        .parse()
        .map_err(|e: String| error(StatusCode::BAD_REQUEST, e))?;
    let name = center.unwrap_or(&st.shared.config.default_center);
    let c = st
        .shared
        .centers
        .get(name)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, format!("unknown centre {name:?}")))?;
    Ok((m, c))
}

fn no_data(month: Month) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("no data for month {month}: it is not retained or has no events"),
    )
}

async fn api_months(State(st): State<Arc<HttpState>>) -> Response {
    let list: Vec<_> = months(&st.shared)
        .into_iter()
        .map(|(center, month)| serde_json::json!({ "center": center, "month": month.to_string() }))
        .collect();
    Json(serde_json::json!({ "months": list })).into_response()
}

/// The figures of `{month}` (and `?center=`): 400 malformed, 404 no data.
#[allow(clippy::result_large_err)] // the error is the response itself, built once
fn figures_of(
    st: &HttpState,
    month: &str,
    center: Option<&str>,
) -> Result<(Month, LabelId, MonthFigures), Response> {
    let (m, c) = month_and_center(st, month, center)?;
    let f =
        month_figures(&st.shared, c, m, st.as_of(), &st.assessment).ok_or_else(|| no_data(m))?;
    Ok((m, c, f))
}

async fn api_units(
    State(st): State<Arc<HttpState>>,
    Path(month): Path<String>,
    Query(q): Query<CenterQuery>,
) -> Response {
    match figures_of(&st, &month, q.center.as_deref()) {
        Ok((m, _, f)) => Json(serde_json::json!({ "month": m.to_string(), "center": f.summary.center, "units": f.units })).into_response(),
        Err(r) => r,
    }
}

async fn api_summary(
    State(st): State<Arc<HttpState>>,
    Path(month): Path<String>,
    Query(q): Query<CenterQuery>,
) -> Response {
    match figures_of(&st, &month, q.center.as_deref()) {
        Ok((_, _, f)) => Json(f.summary).into_response(),
        Err(r) => r,
    }
}

async fn api_overdue(
    State(st): State<Arc<HttpState>>,
    Path(month): Path<String>,
    Query(q): Query<CenterQuery>,
) -> Response {
    match figures_of(&st, &month, q.center.as_deref()) {
        Ok((m, c, _)) => Json(
            serde_json::json!({ "month": m.to_string(), "orders": overdue_list(&st.shared, c, m) }),
        )
        .into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct ReportQuery {
    month: Option<String>,
    format: Option<String>,
    center: Option<String>,
}

async fn report_page(State(st): State<Arc<HttpState>>, Query(q): Query<ReportQuery>) -> Response {
    let format = match q.format.as_deref() {
        None | Some("html") => report::Format::Html,
        Some("md") => report::Format::Markdown,
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("unknown format {other:?}: use html or md"),
            )
        }
    };
    let Some(month) = q.month.as_deref() else {
        return error(
            StatusCode::BAD_REQUEST,
            "missing month: /report?month=YYYY-MM".to_owned(),
        );
    };
    let (m, c) = match month_and_center(&st, month, q.center.as_deref()) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(report) = report::build(&st.shared, c, m, st.as_of(), &st.assessment) else {
        return no_data(m);
    };
    let body = report::render(&report, format);
    let content_type = match format {
        report::Format::Html => "text/html; charset=utf-8",
        report::Format::Markdown => "text/markdown; charset=utf-8",
    };
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}
