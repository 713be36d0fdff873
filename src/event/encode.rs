//! Writing an [`Event`] back as a contract-v1 JSON object (the simulator's lines, the
//! dead-letter and export paths).

use std::borrow::Cow;

use super::wire::Wire;
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

/// Encodes one event as a contract-v1 JSON object (no trailing newline); absent
/// optionals are left out.
pub fn encode<S: AsRef<str>>(ev: &Event<S>, tz: TimeZone) -> String {
    fn text<S: AsRef<str>>(s: &S) -> &str {
        s.as_ref()
    }
    let mut w: Wire<Cow<'_, str>> = Wire {
        event_id: Some(ev.event_id.as_ref().into()),
        order_id: Some(ev.order_id.as_ref().into()),
        kind: Some(ev.kind.event_type().as_str().into()),
        at: Some(format_timestamp(ev.at, tz).into()),
        center: ev.center.as_ref().map(|c| c.as_ref().into()),
        ..Wire::default()
    };
    // Owned strings (formatted times) and borrowed ones share the wire struct through
    // Cow; serialising strings, options and booleans cannot fail.
    let mut owned_due = None;
    match ev.kind.as_ref() {
        EventKind::Received {
            channel,
            purpose,
            disposition,
            category,
            topic,
            unit,
        } => {
            w.channel = Some(channel.as_str().into());
            w.purpose = Some(purpose.as_str().into());
            w.disposition = Some(disposition.as_str().into());
            w.category = category.map(text).map(Into::into);
            w.topic = topic.map(text).map(Into::into);
            w.unit = unit.map(text).map(Into::into);
        }
        EventKind::Dispatched { unit, due_at }
        | EventKind::Extended { unit, due_at }
        | EventKind::Reopened { unit, due_at } => {
            w.unit = Some(text(unit).into());
            owned_due = Some(format_timestamp(due_at, tz));
        }
        EventKind::Returned { unit, reason } => {
            w.unit = Some(text(unit).into());
            w.reason = reason.map(text).map(Into::into);
        }
        EventKind::Completed { unit, result } => {
            w.unit = Some(text(unit).into());
            w.result = result.map(|r| r.as_str().into());
        }
        EventKind::Callback {
            contacted,
            satisfaction,
            resolved,
            unit,
        } => {
            // Written only when false (the contract's default is true).
            w.contacted = (!contacted).then_some(false);
            w.satisfaction = satisfaction.map(|s| s.as_str().into());
            w.resolved = resolved;
            w.unit = unit.map(text).map(Into::into);
        }
    }
    w.due_at = owned_due.map(Into::into);
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
            let ctx = crate::event::DecodeCtx::unguarded(tz);
            let ev = decode(line.as_bytes(), &ctx).unwrap().into_owned();
            let again = decode(encode(&ev, tz).as_bytes(), &ctx)
                .unwrap()
                .into_owned();
            assert_eq!(ev, again, "{line}");
        }
        assert_eq!(
            format_timestamp(1_731_405_600_000, tz),
            "2024-11-12T18:00:00+08:00"
        );
    }
}
