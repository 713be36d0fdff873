//! The event contract v1 (`shared/spec/events.md`): event types, timestamps, decoding.

mod decode;
mod encode;
mod time;

pub(crate) use decode::normalize_unit;
pub use decode::{decode, Reject, RejectReason, MAX_MESSAGE_BYTES};
pub use encode::{encode, format_timestamp};
pub use time::{month_of, parse_timestamp, Month, TimeZone};

/// Event time: milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// One decoded, validated event. Strings are owned; unit names are already trimmed and
/// NFC-normalised but not yet resolved against the unit registry (the engine does that).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_id: String,
    pub order_id: String,
    pub at: Millis,
    pub center: Option<String>,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    Received {
        channel: Channel,
        purpose: Purpose,
        disposition: Disposition,
        category: Option<String>,
        topic: Option<String>,
        unit: Option<String>,
    },
    Dispatched {
        unit: String,
        due_at: Millis,
    },
    Returned {
        unit: String,
        reason: Option<String>,
    },
    Extended {
        unit: String,
        due_at: Millis,
    },
    Completed {
        unit: String,
        result: Option<CompletionResult>,
    },
    Callback {
        contacted: bool,
        satisfaction: Option<Satisfaction>,
        resolved: Option<bool>,
        unit: Option<String>,
    },
    Reopened {
        unit: String,
        due_at: Millis,
    },
}

/// Event types in the contract's tie-break order (events.md, "Ordering").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum EventType {
    Received = 0,
    Dispatched = 1,
    Returned = 2,
    Extended = 3,
    Completed = 4,
    Callback = 5,
    Reopened = 6,
}

impl EventType {
    pub const ALL: [EventType; 7] = [
        EventType::Received,
        EventType::Dispatched,
        EventType::Returned,
        EventType::Extended,
        EventType::Completed,
        EventType::Callback,
        EventType::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Received => "received",
            EventType::Dispatched => "dispatched",
            EventType::Returned => "returned",
            EventType::Extended => "extended",
            EventType::Completed => "completed",
            EventType::Callback => "callback",
            EventType::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl EventKind {
    pub fn event_type(&self) -> EventType {
        match self {
            EventKind::Received { .. } => EventType::Received,
            EventKind::Dispatched { .. } => EventType::Dispatched,
            EventKind::Returned { .. } => EventType::Returned,
            EventKind::Extended { .. } => EventType::Extended,
            EventKind::Completed { .. } => EventType::Completed,
            EventKind::Callback { .. } => EventType::Callback,
            EventKind::Reopened { .. } => EventType::Reopened,
        }
    }
}

/// Declares a closed string enum of the contract: wire names, Chinese labels, index.
macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $wire:literal / $zh:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The label the bulletins use.
            pub fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($wire => Some($name::$variant),)+ _ => None }
            }

            pub fn index(self) -> usize {
                self as usize
            }
        }
    };
}

wire_enum!(
    /// How a record reached the hotline.
    Channel {
        Phone = "phone" / "电话",
        GovWebsite = "gov_website" / "中国政府网转办",
        Provincial = "provincial" / "省州系统转办",
        Wechat = "wechat" / "微信",
        App = "app" / "移动端",
        Web = "web" / "网站/信箱",
        Sms = "sms" / "短信",
        Other = "other" / "其他渠道",
    }
);

wire_enum!(
    /// 目的分类.
    Purpose {
        Consultation = "consultation" / "咨询",
        Help = "help" / "求助",
        Complaint = "complaint" / "投诉",
        Suggestion = "suggestion" / "建议",
        Praise = "praise" / "表扬",
        Other = "other" / "其他",
    }
);

wire_enum!(
    /// What the desk did with the record.
    Disposition {
        DirectAnswer = "direct_answer" / "直接答复",
        Dispatch = "dispatch" / "工单转办",
        Invalid = "invalid" / "无效/骚扰/系统测试",
    }
);

wire_enum!(
    /// A callback's rating.
    Satisfaction {
        Satisfied = "satisfied" / "满意",
        BasicallySatisfied = "basically_satisfied" / "基本满意",
        Unsatisfied = "unsatisfied" / "不满意",
    }
);

wire_enum!(
    /// How a unit finished an order.
    CompletionResult {
        Resolved = "resolved" / "实际解决",
        Explained = "explained" / "解释说明",
    }
);
