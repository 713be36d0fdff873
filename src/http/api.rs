//! The JSON API (`/api/v1/...`) and the live bulletin (`/report`). Each handler is
//! synchronous and runs off the async workers (see [`super::offload`]).

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::HttpState;
use crate::event::{month_of, Month};
use crate::report;
use crate::view::{month_figures, months, overdue_list, Aggregate, MonthFigures, Scope};

/// A JSON error body with a message.
fn error(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

#[derive(Deserialize)]
pub(super) struct CenterQuery {
    center: Option<String>,
}

/// Resolves `{month}` and `?center=`: 400 for a malformed month, 404 for an unknown
/// centre.
#[allow(clippy::result_large_err)] // the error is the response itself, built once
pub(super) fn month_and_center<'a>(
    st: &'a HttpState,
    month: &str,
    center: Option<&'a str>,
) -> Result<(Month, &'a str), Response> {
    let m: Month = month
        .parse()
        .map_err(|e: String| error(StatusCode::BAD_REQUEST, e))?;
    Ok((m, center_of(st, center)?))
}

/// Resolves `?center=`: 404 for a centre no partition has data of.
#[allow(clippy::result_large_err)] // the error is the response itself, built once
fn center_of<'a>(st: &'a HttpState, center: Option<&'a str>) -> Result<&'a str, Response> {
    let name = center.unwrap_or(&st.shared.config.default_center);
    let known = name == st.shared.config.default_center
        || st
            .board
            .snapshots(Scope::Group)
            .iter()
            .any(|s| s.months.keys().any(|(c, _)| c == name));
    if !known {
        return Err(error(
            StatusCode::NOT_FOUND,
            format!("unknown centre {name:?}"),
        ));
    }
    Ok(name)
}

fn no_data(month: Month) -> Response {
    error(
        StatusCode::NOT_FOUND,
        format!("no data for month {month}: it is not retained or has no events"),
    )
}

/// A JSON answer with its `completeness`: which partitions' figures are missing or
/// stale (with their age) when several instances share the work; null when one process
/// sees everything by construction.
fn answer(st: &HttpState, body: impl serde::Serialize) -> Response {
    let mut v = serde_json::to_value(body).unwrap_or_default();
    let completeness = st.completeness().map_or(serde_json::Value::Null, |c| {
        serde_json::json!({
            "complete": c.is_complete(),
            "partitions": c.partitions,
            "missing": c.missing,
            "stale": c.stale.iter().map(|(p, age)| serde_json::json!({ "partition": p, "age_seconds": age })).collect::<Vec<_>>(),
        })
    });
    if let Some(obj) = v.as_object_mut() {
        obj.insert("completeness".to_owned(), completeness);
    }
    Json(v).into_response()
}

pub(super) fn api_months(st: &HttpState) -> Response {
    let list: Vec<_> = months(&st.group(None, None))
        .into_iter()
        .map(|(center, month)| serde_json::json!({ "center": center, "month": month.to_string() }))
        .collect();
    answer(st, serde_json::json!({ "months": list }))
}

/// The figures of `{month}` (and `?center=`): 400 malformed, 404 no data.
#[allow(clippy::result_large_err)] // the error is the response itself, built once
fn figures_of(
    st: &HttpState,
    month: &str,
    center: Option<&str>,
) -> Result<(Month, Aggregate, MonthFigures), Response> {
    let (m, c) = month_and_center(st, month, center)?;
    let agg = st.group(Some(c), Some(m));
    let f = month_figures(&agg, &st.shared.config, c, m, st.as_of(), &st.assessment)
        .ok_or_else(|| no_data(m))?;
    Ok((m, agg, f))
}

pub(super) fn api_units(st: &HttpState, month: &str, q: &CenterQuery) -> Response {
    match figures_of(st, month, q.center.as_deref()) {
        Ok((m, _, f)) => answer(
            st,
            serde_json::json!({ "month": m.to_string(), "center": f.summary.center, "units": f.units }),
        ),
        Err(r) => r,
    }
}

pub(super) fn api_summary(st: &HttpState, month: &str, q: &CenterQuery) -> Response {
    match figures_of(st, month, q.center.as_deref()) {
        Ok((_, _, f)) => answer(st, f.summary),
        Err(r) => r,
    }
}

pub(super) fn api_overdue(st: &HttpState, month: &str, q: &CenterQuery) -> Response {
    match figures_of(st, month, q.center.as_deref()) {
        Ok((m, agg, f)) => {
            let orders = agg
                .month(&f.summary.center, m)
                .map(|s| overdue_list(s, st.shared.config.tz))
                .unwrap_or_default();
            answer(
                st,
                serde_json::json!({ "month": m.to_string(), "orders": orders }),
            )
        }
        Err(r) => r,
    }
}

/// The bulletin's analysis, trends and overdue units of `{month}`.
pub(super) fn api_analysis(st: &HttpState, month: &str, q: &CenterQuery) -> Response {
    let (m, c) = match month_and_center(st, month, q.center.as_deref()) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let agg = st.group(Some(c), None);
    match report::build(&agg, &st.shared.config, c, m, st.as_of(), &st.assessment) {
        Some(r) => answer(st, report::analysis(&r)),
        None => no_data(m),
    }
}

#[derive(Deserialize)]
pub(super) struct ReportQuery {
    month: Option<String>,
    week: Option<String>,
    format: Option<String>,
    center: Option<String>,
}

/// The bulletin of `?month=` (without it: the most recent retained month), or the
/// weekly report of `?week=`, as HTML, Markdown or PDF.
pub(super) fn report_page(st: &HttpState, q: &ReportQuery) -> Response {
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
    let latest;
    let resolved = match (q.month.as_deref(), q.week.as_deref()) {
        (Some(_), Some(_)) => Err(error(
            StatusCode::BAD_REQUEST,
            "give month or week, not both".to_owned(),
        )),
        (None, Some(w)) => match w.parse::<report::Week>() {
            Ok(w) => center_of(st, q.center.as_deref()).map(|c| (report::Period::Week(w), c)),
            Err(e) => Err(error(StatusCode::BAD_REQUEST, e)),
        },
        (m, None) => {
            let month = match m {
                Some(m) => m,
                None => {
                    latest = latest_month(st, q.center.as_deref());
                    &latest
                }
            };
            month_and_center(st, month, q.center.as_deref())
                .map(|(m, c)| (report::Period::Month(m), c))
        }
    };
    let (period, c) = match resolved {
        Ok(x) => x,
        Err(r) => return r,
    };
    let agg = st.group(Some(c), None);
    let note = st.incomplete_note();
    let req = report::Request {
        center: c,
        period,
        as_of: st.as_of(),
        output,
        incomplete: note.as_deref(),
    };
    match report::produce(&agg, &st.shared.config, &st.assessment, req) {
        Ok(body) => ([(header::CONTENT_TYPE, output.content_type())], body).into_response(),
        Err(e) => {
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
    }
}

/// The most recent retained month with data for the centre; without any, the month of
/// the as-of time (which then answers 404 "no data").
fn latest_month(st: &HttpState, center: Option<&str>) -> String {
    let name = center.unwrap_or(&st.shared.config.default_center);
    months(&st.group(Some(name), None))
        .into_iter()
        .filter(|(c, _)| c == name)
        .map(|(_, m)| m)
        .max()
        .unwrap_or_else(|| month_of(st.as_of(), st.shared.config.tz))
        .to_string()
}
