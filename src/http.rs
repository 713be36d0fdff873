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
        .route("/api/v1/months/{month}/analysis", get(api_analysis))
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
    Ok((m, center_of(st, center)?))
}

/// Resolves `?center=`: 404 for an unknown centre.
#[allow(clippy::result_large_err)] // the error is the response itself, built once
fn center_of(st: &HttpState, center: Option<&str>) -> Result<LabelId, Response> {
    let name = center.unwrap_or(&st.shared.config.default_center);
    st.shared
        .centers
        .get(name)
        .ok_or_else(|| error(StatusCode::NOT_FOUND, format!("unknown centre {name:?}")))
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

/// The bulletin's analysis, trends and overdue units of `{month}`.
async fn api_analysis(
    State(st): State<Arc<HttpState>>,
    Path(month): Path<String>,
    Query(q): Query<CenterQuery>,
) -> Response {
    let (m, c) = match month_and_center(&st, &month, q.center.as_deref()) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match report::build(&st.shared, c, m, st.as_of(), &st.assessment) {
        Some(r) => Json(report::analysis(&r)).into_response(),
        None => no_data(m),
    }
}

#[derive(Deserialize)]
struct ReportQuery {
    month: Option<String>,
    week: Option<String>,
    format: Option<String>,
    center: Option<String>,
}

async fn report_page(State(st): State<Arc<HttpState>>, Query(q): Query<ReportQuery>) -> Response {
    let output = match q.format.as_deref() {
        None | Some("html") => report::Output::Html,
        Some("md") => report::Output::Markdown,
        Some("pdf") => report::Output::Pdf,
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("unknown format {other:?}: use html, md or pdf"),
            )
        }
    };
    let resolved = match (q.month.as_deref(), q.week.as_deref()) {
        (Some(m), None) => month_and_center(&st, m, q.center.as_deref())
            .map(|(m, c)| (report::Period::Month(m), c)),
        (None, Some(w)) => match w.parse::<report::Week>() {
            Ok(w) => center_of(&st, q.center.as_deref()).map(|c| (report::Period::Week(w), c)),
            Err(e) => Err(error(StatusCode::BAD_REQUEST, e)),
        },
        (Some(_), Some(_)) => Err(error(
            StatusCode::BAD_REQUEST,
            "give month or week, not both".to_owned(),
        )),
        (None, None) => Err(error(
            StatusCode::BAD_REQUEST,
            "missing month: /report?month=YYYY-MM (or week=YYYY-Www)".to_owned(),
        )),
    };
    let (period, c) = match resolved {
        Ok(x) => x,
        Err(r) => return r,
    };
    let (shared, assessment, as_of) = (st.shared.clone(), st.assessment.clone(), st.as_of());
    // A PDF runs a browser for seconds: never on the runtime's threads.
    let made = tokio::task::spawn_blocking(move || {
        report::produce(&shared, c, period, as_of, &assessment, output)
    })
    .await;
    match made {
        Ok(Ok(body)) => ([(header::CONTENT_TYPE, output.content_type())], body).into_response(),
        Ok(Err(e)) => {
            let status = match &e {
                report::ReportError::NoMonth(_) | report::ReportError::FutureWeek(_) => {
                    StatusCode::NOT_FOUND
                }
                report::ReportError::Pdf(p) if p.is_missing_browser() => {
                    StatusCode::NOT_IMPLEMENTED
                }
                report::ReportError::Pdf(_) => {
                    tracing::error!(error = %e, "cannot print the report");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            };
            error(status, e.to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "the report task failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the report could not be made".to_owned(),
            )
        }
    }
}
