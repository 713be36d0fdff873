//! The wire form of an event: the flat JSON object of the contract, every field
//! optional, label and time values still text. [`super::decode`] checks it into an
//! [`super::Event`]; [`super::encode`] writes one back through it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use self::scan::{Quoted, Scalar, Store};

mod scan;

/// The contract's fields, in its order. Unknown fields are skipped unread (they may
/// hold callers' names and phone numbers).
#[derive(Debug, Default, PartialEq, Serialize)]
pub(crate) struct Wire<S> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<S>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub center: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposition: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_at: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contacted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<S>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved: Option<bool>,
}

/// Declares the field names once for the map visitor: (variant, JSON name, slot).
macro_rules! fields {
    ($($variant:ident = $name:literal => $slot:ident),+ $(,)?) => {
        #[derive(Clone, Copy)]
        enum Key { $($variant,)+ Other }

        impl Key {
            /// The contract's keys, in its order.
            const ALL: &'static [Key] = &[$(Key::$variant,)+];
            /// Each of [`Key::ALL`] as it appears in JSON text, quotes included.
            const QUOTED: &'static [Quoted] = &[$(Quoted::of($name),)+];

            fn of(s: &str) -> Key {
                match s { $($name => Key::$variant,)+ _ => Key::Other }
            }
        }

        impl<'de> Wire<Cow<'de, str>> {
            /// Stores a scanned value in the field `key` names; false if the field
            /// does not take a value of that type. Inlined into the scanners, where
            /// a call cost more than the store.
            #[inline(always)]
            fn put(&mut self, key: Key, value: Scalar<'de>) -> bool {
                match key {
                    $(Key::$variant => Store::store(&mut self.$slot, value),)+
                    Key::Other => true,
                }
            }
        }

        impl<'de> Visitor<'de> for WireVisitor<'_, 'de> {
            type Value = ();

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                let w = self.0;
                let mut seen = Seen::default();
                while let Some(KeyName(key)) = map.next_key()? {
                    if !seen.first(key) {
                        return Err(de::Error::custom("duplicate field"));
                    }
                    match key {
                        $(Key::$variant => w.$slot = map.next_value::<Slot<_>>()?.0,)+
                        Key::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(())
            }
        }
    };
}

fields! {
    EventId = "event_id" => event_id,
    OrderId = "order_id" => order_id,
    Type = "type" => kind,
    At = "at" => at,
    Center = "center" => center,
    Channel = "channel" => channel,
    Purpose = "purpose" => purpose,
    Disposition = "disposition" => disposition,
    Category = "category" => category,
    Topic = "topic" => topic,
    Unit = "unit" => unit,
    DueAt = "due_at" => due_at,
    Reason = "reason" => reason,
    Result = "result" => result,
    Contacted = "contacted" => contacted,
    Satisfaction = "satisfaction" => satisfaction,
    Resolved = "resolved" => resolved,
}

/// Fills a [`Wire`] where it lies: the struct (17 fields) is not moved through
/// serde's return values, which was most of the decoder's copying.
struct WireVisitor<'w, 'de>(&'w mut Wire<Cow<'de, str>>);

impl<'de> Wire<Cow<'de, str>> {
    /// Reads one JSON text into `self` (which starts empty). Only an object is an event:
    /// a JSON array (which serde would map onto a struct field by field) is refused.
    pub(crate) fn read(&mut self, text: &'de str) -> serde_json::Result<()> {
        if self.scan(text).is_some() {
            return Ok(());
        }
        *self = Wire::default();
        self.parse(text)
    }

    /// serde's reading, of any JSON text.
    fn parse(&mut self, text: &'de str) -> serde_json::Result<()> {
        let mut d = serde_json::Deserializer::from_str(text);
        d.deserialize_map(WireVisitor(self))?;
        d.end()
    }
}

/// The contract's fields met so far in an object: one given twice is an error, as
/// with serde's derived visitors.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    /// False if `key`, a field of the contract, was met before.
    fn first(&mut self, key: Key) -> bool {
        if matches!(key, Key::Other) {
            return true;
        }
        let bit = 1 << key as u32;
        let first = self.0 & bit == 0;
        self.0 |= bit;
        first
    }
}

struct KeyName(Key);

impl<'de> Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<KeyName, E> {
                Ok(KeyName(Key::of(s)))
            }
        }
        d.deserialize_identifier(V)
    }
}

/// A field's value: `null` is absent; text is borrowed from the input unless it had
/// escapes.
struct Slot<T>(Option<T>);

impl<'de> Deserialize<'de> for Slot<Cow<'de, str>> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> Visitor<'de> for Text {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(s))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(s.to_owned()))
            }
            fn visit_string<E: de::Error>(self, s: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(s))
            }
        }
        struct Opt;
        impl<'de> Visitor<'de> for Opt {
            type Value = Option<Cow<'de, str>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_str(Text).map(Some)
            }
        }
        d.deserialize_option(Opt).map(Slot)
    }
}

impl<'de> Deserialize<'de> for Slot<bool> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<bool>::deserialize(d).map(Slot)
    }
}
