//! Secrets never reach a log line or an error message: settings whose key names a
//! secret are shown as [`REDACTED`], and every secret value read at start-up is
//! registered here so that the log writer and `main`'s error printer replace it
//! wherever it would appear (a librdkafka message quoting a setting, say).

use std::borrow::Cow;

use parking_lot::RwLock;

/// What a secret is shown as.
pub const REDACTED: &str = "***";

static SECRETS: RwLock<Vec<String>> = parking_lot::const_rwlock(Vec::new());

/// Whether a setting's key names secret material: librdkafka's `ssl.key.password`,
/// `ssl.keystore.password`, `ssl.key.pem`, every `sasl.*` setting but the mechanism
/// and the user name (so a mistyped `sasl.pasword` is still treated as a secret), and
/// anything else named like a password, secret, token or credential.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.trim().to_ascii_lowercase();
    if matches!(
        k.as_str(),
        "sasl.mechanism" | "sasl.mechanisms" | "sasl.username"
    ) {
        return false;
    }
    k.starts_with("sasl.")
        || [
            "pass",
            "pwd",
            "secret",
            "token",
            "credential",
            "jaas",
            "key.pem",
            "ssl_key",
            "private",
        ]
        .iter()
        .any(|w| k.contains(w))
}

/// Registers a secret value: from now on it is replaced by [`REDACTED`] in logs and
/// errors. Empty values are ignored.
pub fn register_secret(value: &str) {
    let v = value.trim();
    if v.is_empty() {
        return;
    }
    let mut s = SECRETS.write();
    if !s.iter().any(|x| x == v) {
        s.push(v.to_owned());
        // Longest first, so a secret containing another is replaced whole.
        s.sort_by_key(|x| std::cmp::Reverse(x.len()));
    }
}

/// `text` with every registered secret replaced.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read();
    if !secrets.iter().any(|s| text.contains(s.as_str())) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for s in secrets.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), REDACTED);
        }
    }
    Cow::Owned(out)
}

/// Bytes variant for the log writer: lines are UTF-8, but a writer must not assume it.
pub(super) fn scrub_bytes(bytes: &[u8]) -> Cow<'_, [u8]> {
    if SECRETS.read().is_empty() {
        return Cow::Borrowed(bytes);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => match scrub(text) {
            Cow::Borrowed(_) => Cow::Borrowed(bytes),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        },
        Err(_) => Cow::Owned(
            scrub(&String::from_utf8_lossy(bytes))
                .into_owned()
                .into_bytes(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_are_recognised() {
        for k in [
            "sasl.password",
            "ssl.key.password",
            "ssl.keystore.password",
            "ssl.key.pem",
            "sasl.jaas.config",
            "sasl.oauthbearer.client.secret",
            "sasl.oauthbearer.config",
            "SASL.PASSWORD",
            "sasl.pasword",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in [
            "sasl.username",
            "sasl.mechanism",
            "security.protocol",
            "ssl.ca.location",
            "bootstrap.servers",
        ] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn registered_secrets_are_scrubbed() {
        register_secret("hunter2-unit-test");
        register_secret("  ");
        let line = "error: invalid value \"hunter2-unit-test\" for sasl.password";
        assert_eq!(
            scrub(line),
            "error: invalid value \"***\" for sasl.password"
        );
        assert!(matches!(scrub("nothing here"), Cow::Borrowed(_)));
        assert_eq!(
            &*scrub_bytes(b"x hunter2-unit-test y"),
            b"x *** y".as_slice()
        );
    }
}
