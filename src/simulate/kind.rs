//! What the simulator plans for an order: the events of the contract, with the
//! vocabularies as the static words of the profile tables.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Received {
        channel: &'static str,
        purpose: &'static str,
        disposition: &'static str,
        category: Option<&'static str>,
        topic: Option<&'static str>,
        unit: Option<&'static str>,
    },
    Dispatched {
        unit: &'static str,
        due_ms: i64,
    },
    Returned {
        unit: &'static str,
        reason: Option<&'static str>,
    },
    Extended {
        unit: &'static str,
        due_ms: i64,
    },
    Completed {
        unit: &'static str,
        result: Option<&'static str>,
    },
    Callback {
        contacted: Option<bool>,
        satisfaction: Option<&'static str>,
        resolved: Option<bool>,
        unit: Option<&'static str>,
    },
    Reopened {
        unit: &'static str,
        due_ms: i64,
    },
}

pub(crate) fn received(
    channel: &'static str,
    purpose: &'static str,
    disposition: &'static str,
    category: Option<&'static str>,
    topic: Option<&'static str>,
    unit: Option<&'static str>,
) -> Kind {
    Kind::Received {
        channel,
        purpose,
        disposition,
        category,
        topic,
        unit,
    }
}
