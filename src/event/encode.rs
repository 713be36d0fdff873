//! Writing an [`Event`] back as a contract-v1 JSON object (checkpoints store events
//! this way, so a checkpoint file is itself a replayable JSON Lines file).

use serde_json::{Map, Value};

use super::{Event, EventKind, Millis, TimeZone};

/// RFC 3339 with the zone's offset; milliseconds only when there are some.
pub fn format_timestamp(at: Millis, tz: TimeZone) -> String {
    let local = tz.local(at);
    let base = local.format("%Y-%m-%dT%H:%M:%S");
    if at.rem_euclid(1000) == 0 {
        format!("{base}{tz}")
    } else {
        format!("{base}.{:03}{tz}", at.rem_euclid(1000))
    }
}

/// Encodes one event as a JSON object (no trailing newline).
pub fn encode(ev: &Event, tz: TimeZone) -> String {
    let mut m = Map::new();
    let s = |v: &str| Value::String(v.to_owned());
    m.insert("event_id".into(), s(&ev.event_id));
    m.insert("order_id".into(), s(&ev.order_id));
    m.insert("type".into(), s(ev.kind.event_type().as_str()));
    m.insert("at".into(), s(&format_timestamp(ev.at, tz)));
    if let Some(c) = &ev.center {
        m.insert("center".into(), s(c));
    }
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_owned(), v);
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
            put("channel", s(channel.as_str()));
            put("purpose", s(purpose.as_str()));
            put("disposition", s(disposition.as_str()));
            if let Some(c) = category {
                put("category", s(c));
            }
            if let Some(t) = topic {
                put("topic", s(t));
            }
            if let Some(u) = unit {
                put("unit", s(u));
            }
        }
        EventKind::Dispatched { unit, due_at }
        | EventKind::Extended { unit, due_at }
        | EventKind::Reopened { unit, due_at } => {
            put("unit", s(unit));
            put("due_at", s(&format_timestamp(*due_at, tz)));
        }
        EventKind::Returned { unit, reason } => {
            put("unit", s(unit));
            if let Some(r) = reason {
                put("reason", s(r));
            }
        }
        EventKind::Completed { unit, result } => {
            put("unit", s(unit));
            if let Some(r) = result {
                put("result", s(r.as_str()));
            }
        }
        EventKind::Callback {
            contacted,
            satisfaction,
            resolved,
            unit,
        } => {
            put("contacted", Value::Bool(*contacted));
            if let Some(sat) = satisfaction {
                put("satisfaction", s(sat.as_str()));
            }
            if let Some(r) = resolved {
                put("resolved", Value::Bool(*r));
            }
            if let Some(u) = unit {
                put("unit", s(u));
            }
        }
    }
    Value::Object(m).to_string()
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
