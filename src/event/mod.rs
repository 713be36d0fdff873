//! The event contract v1 (`shared/spec/events.md`): the one definition of an event's
//! shape ([`Event`], [`EventKind`], generic over how its label values are held),
//! timestamps, decoding, the JSON and packed encodings.
//!
//! An event's label values (units, categories, topics, return reasons, centre) are
//! `S`: borrowed text from the decoder (`Cow<str>`), owned text (`String`, the
//! default), or interned ids inside the engine. Everything else is typed.

mod decode;
mod encode;
pub mod packed;
mod time;
mod wire;

pub(crate) use decode::normalize_unit;
pub use decode::{
    decode, decode_text, DecodeCtx, Decoded, Reject, RejectReason, MAX_MESSAGE_BYTES,
};
pub use encode::{encode, format_timestamp};
pub(crate) use time::{civil_from_days, days_from_civil, days_in_month};
pub use time::{month_of, parse_timestamp, Month, TimeZone};

/// Event time: milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// One validated event. Unit names are trimmed and NFC-normalised but not yet resolved
/// against the unit registry (the engine does that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<S = String> {
    pub event_id: S,
    pub order_id: S,
    pub at: Millis,
    pub center: Option<S>,
    pub kind: EventKind<S>,
}

/// Which field of an event a label value is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Unit,
    Category,
    Topic,
    Reason,
}

/// What happened, by type, with its own fields (events.md, "Event types").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind<S = String> {
    Received {
        channel: Channel,
        purpose: Purpose,
        disposition: Disposition,
        category: Option<S>,
        topic: Option<S>,
        unit: Option<S>,
    },
    Dispatched {
        unit: S,
        due_at: Millis,
    },
    Returned {
        unit: S,
        reason: Option<S>,
    },
    Extended {
        unit: S,
        due_at: Millis,
    },
    Completed {
        unit: S,
        result: Option<CompletionResult>,
    },
    Callback {
        contacted: bool,
        satisfaction: Option<Satisfaction>,
        resolved: Option<bool>,
        unit: Option<S>,
    },
    Reopened {
        unit: S,
        due_at: Millis,
    },
}

impl<S> EventKind<S> {
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

    /// The same event with every label value mapped by `f`, told which field it is
    /// (or the first error of `f`).
    pub fn try_map_labels<T, E>(
        self,
        mut f: impl FnMut(Field, S) -> Result<T, E>,
    ) -> Result<EventKind<T>, E> {
        use Field::*;
        let mut opt = |field, v: Option<S>| v.map(|v| f(field, v)).transpose();
        Ok(match self {
            EventKind::Received {
                channel,
                purpose,
                disposition,
                category,
                topic,
                unit,
            } => EventKind::Received {
                channel,
                purpose,
                disposition,
                category: opt(Category, category)?,
                topic: opt(Topic, topic)?,
                unit: opt(Unit, unit)?,
            },
            EventKind::Dispatched { unit, due_at } => EventKind::Dispatched {
                unit: f(Unit, unit)?,
                due_at,
            },
            EventKind::Returned { unit, reason } => {
                let unit = f(Unit, unit)?;
                EventKind::Returned {
                    unit,
                    reason: reason.map(|r| f(Reason, r)).transpose()?,
                }
            }
            EventKind::Extended { unit, due_at } => EventKind::Extended {
                unit: f(Unit, unit)?,
                due_at,
            },
            EventKind::Completed { unit, result } => EventKind::Completed {
                unit: f(Unit, unit)?,
                result,
            },
            EventKind::Callback {
                contacted,
                satisfaction,
                resolved,
                unit,
            } => EventKind::Callback {
                contacted,
                satisfaction,
                resolved,
                unit: opt(Unit, unit)?,
            },
            EventKind::Reopened { unit, due_at } => EventKind::Reopened {
                unit: f(Unit, unit)?,
                due_at,
            },
        })
    }

    /// The same event with every label value mapped by `f`, told which field it is.
    pub fn map_labels<T>(self, mut f: impl FnMut(Field, S) -> T) -> EventKind<T> {
        match self.try_map_labels(|field, s| Ok::<T, std::convert::Infallible>(f(field, s))) {
            Ok(k) => k,
            Err(never) => match never {},
        }
    }

    /// The same event with every label value mapped by `f`.
    pub fn map<T>(self, mut f: impl FnMut(S) -> T) -> EventKind<T> {
        self.map_labels(|_, s| f(s))
    }

    /// Visits every label value.
    pub fn for_each_label(&self, mut f: impl FnMut(&S)) {
        let _ = self.as_ref().map(&mut f);
    }

    /// Borrows the label values.
    pub fn as_ref(&self) -> EventKind<&S> {
        match self {
            EventKind::Received {
                channel,
                purpose,
                disposition,
                category,
                topic,
                unit,
            } => EventKind::Received {
                channel: *channel,
                purpose: *purpose,
                disposition: *disposition,
                category: category.as_ref(),
                topic: topic.as_ref(),
                unit: unit.as_ref(),
            },
            EventKind::Dispatched { unit, due_at } => EventKind::Dispatched {
                unit,
                due_at: *due_at,
            },
            EventKind::Returned { unit, reason } => EventKind::Returned {
                unit,
                reason: reason.as_ref(),
            },
            EventKind::Extended { unit, due_at } => EventKind::Extended {
                unit,
                due_at: *due_at,
            },
            EventKind::Completed { unit, result } => EventKind::Completed {
                unit,
                result: *result,
            },
            EventKind::Callback {
                contacted,
                satisfaction,
                resolved,
                unit,
            } => EventKind::Callback {
                contacted: *contacted,
                satisfaction: *satisfaction,
                resolved: *resolved,
                unit: unit.as_ref(),
            },
            EventKind::Reopened { unit, due_at } => EventKind::Reopened {
                unit,
                due_at: *due_at,
            },
        }
    }
}

impl<S> Event<S> {
    /// The same event with every label value (centre included) mapped by `f`; the two
    /// ids are mapped by `id`.
    pub fn map<T>(self, mut id: impl FnMut(S) -> T, f: impl FnMut(S) -> T) -> Event<T> {
        Event {
            event_id: id(self.event_id),
            order_id: id(self.order_id),
            at: self.at,
            center: self.center.map(&mut id),
            kind: self.kind.map(f),
        }
    }
}

impl<S: AsRef<str>> Event<S> {
    /// What finds the event's order: its centre (`None`: the default one) and order id.
    pub fn order_key(&self) -> OrderKey<'_> {
        (
            self.center.as_ref().map(AsRef::as_ref),
            self.order_id.as_ref(),
        )
    }

    /// The same event with owned text.
    pub fn into_owned(self) -> Event<String> {
        self.map(|s| s.as_ref().to_owned(), |s| s.as_ref().to_owned())
    }
}

/// An event's centre (`None`: the default one) and order id: what finds its order.
pub type OrderKey<'a> = (Option<&'a str>, &'a str);

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

        impl serde::Serialize for $name {
            fn serialize<Ser: serde::Serializer>(&self, s: Ser) -> Result<Ser::Ok, Ser::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| serde::de::Error::custom("unknown value"))
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
