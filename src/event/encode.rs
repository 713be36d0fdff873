//! Writing an [`Event`] back as a contract-v1 JSON object (checkpoints store events
//! this way, so a checkpoint file is itself a replayable JSON Lines file).

use serde::Serialize;

use super::{Event, EventKind, Millis, TimeZone};

/// RFC 3339 with the zone's offset; milliseconds only when there are some.
pub fn format_timestamp(at: Millis, tz: TimeZone) -> String {
    // The offset in force at `at` (an IANA zone's changes with summer time).
    let tz = tz.fixed_at(at);
    let local = tz.local(at);
    let base = local.format("%Y-%m-%dT%H:%M:%S");
    if at.rem_euclid(1000) == 0 {
        format!("{base}{tz}")
    } else {
        format!("{base}.{:03}{tz}", at.rem_euclid(1000))
    }
}

/// The wire object, fields in the contract's order; absent optionals are left out.
#[derive(Serialize, Default)]
struct Wire<'a> {
    event_id: &'a str,
    order_id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    center: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disposition: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    topic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    unit: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a str>,
    /// Written only when false (the contract's default is true).
    #[serde(skip_serializing_if = "Option::is_none")]
    contacted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    satisfaction: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved: Option<bool>,
}

/// Encodes one event as a JSON object (no trailing newline).
pub fn encode(ev: &Event, tz: TimeZone) -> String {
    let mut w = Wire {
        event_id: &ev.event_id,
        order_id: &ev.order_id,
        kind: ev.kind.event_type().as_str(),
        at: format_timestamp(ev.at, tz),
        center: ev.center.as_deref(),
        ..Wire::default()
    };
    match &ev.kind {
        EventKind::Received {
            channel,
            purpose,
            disposition,
            category,
            topic,
            unit,
        } => {
            w.channel = Some(channel.as_str());
            w.purpose = Some(purpose.as_str());
            w.disposition = Some(disposition.as_str());
            w.category = category.as_deref();
            w.topic = topic.as_deref();
            w.unit = unit.as_deref();
        }
        EventKind::Dispatched { unit, due_at }
        | EventKind::Extended { unit, due_at }
        | EventKind::Reopened { unit, due_at } => {
            w.unit = Some(unit);
            w.due_at = Some(format_timestamp(*due_at, tz));
        }
        EventKind::Returned { unit, reason } => {
            w.unit = Some(unit);
            w.reason = reason.as_deref();
        }
        EventKind::Completed { unit, result } => {
            w.unit = Some(unit);
            w.result = result.map(|r| r.as_str());
        }
        EventKind::Callback {
            contacted,
            satisfaction,
            resolved,
            unit,
        } => {
            w.contacted = (!contacted).then_some(false);
            w.satisfaction = satisfaction.map(|s| s.as_str());
            w.resolved = *resolved;
            w.unit = unit.as_deref();
        }
    }
    // Serialising strings, options and booleans cannot fail.
    serde_json::to_string(&w).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::decode;
    use super::*;

    #[test]
    fn encode_then_decode_is_identity() {
        let tz = TimeZone::CHINA;
        for line in [
            r#"{"event_id":"e1","order_id":"O","type":"received","at":"2024-11-01T09:12:00+08:00","channel":"phone","purpose":"help","disposition":"dispatch","category":"社会事业","topic":"供暖","unit":"市公安局","center":"格尔木"}"#,
            r#"{"event_id":"e2","order_id":"O","type":"dispatched","at":"2024-11-01T09:40:00.250Z","unit":"u","due_at":"2024-11-12 18:00:00"}"#,
            r#"{"event_id":"e3","order_id":"O","type":"returned","at":"2024-11-01T09:40:00Z","unit":"u","reason":"非本单位职责 \"quoted\""}"#,
            r#"{"event_id":"e4","order_id":"O","type":"callback","at":"2024-11-01T09:40:00Z","contacted":false}"#,
            r#"{"event_id":"e5","order_id":"O","type":"callback","at":"2024-11-01T09:40:00Z","satisfaction":"basically_satisfied","resolved":false,"unit":"u"}"#,
            r#"{"event_id":"e6","order_id":"O","type":"completed","at":"2024-11-01T09:40:00Z","unit":"u","result":"explained"}"#,
            r#"{"event_id":"e7","order_id":"O","type":"reopened","at":"2024-11-01T09:40:00Z","unit":"u","due_at":"2024-11-12T18:00:00Z"}"#,
            r#"{"event_id":"e8","order_id":"O","type":"extended","at":"2024-11-01T09:40:00Z","unit":"u","due_at":"2024-11-12T18:00:00Z"}"#,
        ] {
            let ev = decode(line.as_bytes(), tz).unwrap();
            let again = decode(encode(&ev, tz).as_bytes(), tz).unwrap();
            assert_eq!(ev, again, "{line}");
        }
        assert_eq!(
            format_timestamp(1_731_405_600_000, tz),
            "2024-11-12T18:00:00+08:00"
        );
    }
}
