//! Basic authentication against the web configuration's bcrypt hashes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use parking_lot::Mutex;

/// Basic authentication against bcrypt hashes. bcrypt is slow on purpose, so a
/// successful (user, password) pair is remembered, as exporter-toolkit does.
pub struct BasicAuth {
    users: HashMap<String, String>,
    ok: Mutex<HashSet<(String, String)>>,
    dummy: OnceLock<String>,
}

/// Most remembered successful logins; past it the memory starts afresh.
const AUTH_CACHE: usize = 256;

impl BasicAuth {
    pub fn new(users: &BTreeMap<String, String>) -> Option<Self> {
        (!users.is_empty()).then(|| BasicAuth {
            users: users.clone().into_iter().collect(),
            ok: Mutex::new(HashSet::new()),
            dummy: OnceLock::new(),
        })
    }

    /// A remembered success (no bcrypt).
    pub fn known(&self, user: &str, password: &str) -> bool {
        self.ok
            .lock()
            .contains(&(user.to_owned(), password.to_owned()))
    }

    /// Checks a password (blocking: bcrypt). An unknown user costs as much as a
    /// known one, so response times do not tell which users exist.
    pub fn verify(&self, user: &str, password: &str) -> bool {
        let (hash, exists) = match self.users.get(user) {
            Some(h) => (h.as_str(), true),
            None => {
                let cost = self
                    .users
                    .values()
                    .next()
                    .and_then(|h| h.parse::<bcrypt::HashParts>().ok())
                    .map_or(bcrypt::DEFAULT_COST, |p| p.get_cost());
                let dummy = self
                    .dummy
                    .get_or_init(|| bcrypt::hash("hotline-pulse", cost).unwrap_or_default());
                (dummy.as_str(), false)
            }
        };
        let ok = bcrypt::verify(password, hash).unwrap_or(false) && exists;
        if ok {
            let mut cache = self.ok.lock();
            if cache.len() >= AUTH_CACHE {
                cache.clear();
            }
            cache.insert((user.to_owned(), password.to_owned()));
        }
        ok
    }
}

/// `user:password` from an `Authorization: Basic ...` header value.
pub fn basic_credentials(header: &str) -> Option<(String, String)> {
    use base64::Engine;
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_parse() {
        // "alice:pa:ss" — a colon in the password stays in it.
        assert_eq!(
            basic_credentials("Basic YWxpY2U6cGE6c3M="),
            Some(("alice".into(), "pa:ss".into()))
        );
        assert_eq!(basic_credentials("Bearer abc"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
    }

    #[test]
    fn bcrypt_users_verify_and_unknown_users_fail() {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let users = BTreeMap::from([("alice".to_owned(), hash)]);
        let auth = BasicAuth::new(&users).unwrap();
        assert!(!auth.known("alice", "s3cret"));
        assert!(auth.verify("alice", "s3cret"));
        assert!(auth.known("alice", "s3cret"));
        assert!(!auth.verify("alice", "wrong"));
        assert!(!auth.verify("bob", "s3cret"));
        assert!(BasicAuth::new(&BTreeMap::new()).is_none());
    }
}
