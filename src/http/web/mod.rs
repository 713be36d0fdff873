//! Access to the HTTP server, configured like Prometheus exporters (exporter-toolkit's
//! web configuration file, `--web-config-file`): TLS from `tls_server_config` and
//! basic authentication from `basic_auth_users` (bcrypt hashes). `/healthz` and
//! `/readyz` stay open so that probes need no credentials; everything else asks.
//!
//! ```yaml
//! tls_server_config:
//!   cert_file: server.crt          # relative paths are read from the file's folder
//!   key_file: server.key
//!   client_auth_type: RequireAndVerifyClientCert   # optional, with client_ca_file
//!   client_ca_file: ca.crt
//!   min_version: TLS12             # TLS10..TLS13
//! basic_auth_users:
//!   prometheus: $2y$10$...         # htpasswd -nBC 10 "" | tr -d ':\n'
//! ```
//!
//! Certificates are re-read when their files change (cert-manager rotates them in
//! place), at most once a second.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use openssl::ssl::{SslAcceptor, SslFiletype, SslMethod, SslVerifyMode, SslVersion};
use parking_lot::Mutex;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum WebConfigError {
    #[error("cannot read web config file {path}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("web config file {path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    tls_server_config: Option<TlsFile>,
    #[serde(default)]
    basic_auth_users: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    client_auth_type: Option<String>,
    client_ca_file: Option<PathBuf>,
    min_version: Option<String>,
    max_version: Option<String>,
}

/// Which client certificates the server asks for (exporter-toolkit's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    NoClientCert,
    VerifyClientCertIfGiven,
    RequireAndVerifyClientCert,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub client_auth: ClientAuth,
    pub client_ca_file: Option<PathBuf>,
    pub min_version: Option<SslVersion>,
    pub max_version: Option<SslVersion>,
}

/// The validated web configuration; the default serves plain HTTP without auth.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    pub path: Option<PathBuf>,
    pub tls: Option<TlsSettings>,
    /// User name → bcrypt hash.
    pub users: BTreeMap<String, String>,
}

fn version(key: &str, v: &str) -> Result<SslVersion, String> {
    Ok(match v {
        "TLS10" => SslVersion::TLS1,
        "TLS11" => SslVersion::TLS1_1,
        "TLS12" => SslVersion::TLS1_2,
        "TLS13" => SslVersion::TLS1_3,
        other => {
            return Err(format!(
                "tls_server_config.{key}: unknown version {other:?} (TLS10, TLS11, TLS12 or TLS13)"
            ))
        }
    })
}

impl WebConfig {
    /// Reads and validates the file: the certificate and key load, every hash is a
    /// bcrypt hash. Errors name the key or user, never a hash or key material.
    pub fn load(path: &Path) -> Result<Self, WebConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| WebConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut cfg = Self::parse(&text, dir).map_err(|message| WebConfigError::Invalid {
            path: path.display().to_string(),
            message,
        })?;
        cfg.path = Some(path.to_owned());
        Ok(cfg)
    }

    /// Parses the YAML text; relative paths are taken from `dir`.
    pub fn parse(text: &str, dir: &Path) -> Result<Self, String> {
        let file: File = if text.trim().is_empty() {
            File::default()
        } else {
            serde_yaml::from_str(text).map_err(|e| e.to_string())?
        };
        let resolve = |p: PathBuf| if p.is_relative() { dir.join(p) } else { p };
        let tls = match file.tls_server_config {
            None => None,
            Some(t) => {
                let (Some(cert), Some(key)) = (t.cert_file, t.key_file) else {
                    return Err(
                        "tls_server_config: cert_file and key_file are both required".to_owned(),
                    );
                };
                let client_auth = match t.client_auth_type.as_deref() {
                    None | Some("NoClientCert") => ClientAuth::NoClientCert,
                    Some("VerifyClientCertIfGiven") => ClientAuth::VerifyClientCertIfGiven,
                    Some("RequireAndVerifyClientCert") => ClientAuth::RequireAndVerifyClientCert,
                    Some(other) => {
                        return Err(format!(
                            "tls_server_config.client_auth_type: {other:?} is not supported \
                             (NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert)"
                        ))
                    }
                };
                let client_ca_file = t.client_ca_file.map(resolve);
                if client_auth != ClientAuth::NoClientCert && client_ca_file.is_none() {
                    return Err(
                        "tls_server_config: client_auth_type needs client_ca_file".to_owned()
                    );
                }
                let settings = TlsSettings {
                    cert_file: resolve(cert),
                    key_file: resolve(key),
                    client_auth,
                    client_ca_file,
                    min_version: t
                        .min_version
                        .as_deref()
                        .map(|v| version("min_version", v))
                        .transpose()?,
                    max_version: t
                        .max_version
                        .as_deref()
                        .map(|v| version("max_version", v))
                        .transpose()?,
                };
                build_acceptor(&settings)?;
                Some(settings)
            }
        };
        for (user, hash) in &file.basic_auth_users {
            if hash.parse::<bcrypt::HashParts>().is_err() {
                return Err(format!(
                    "basic_auth_users.{user}: not a bcrypt hash (make one with `htpasswd -nBC 10 \"\" | tr -d ':\\n'`)"
                ));
            }
        }
        Ok(WebConfig {
            path: None,
            tls,
            users: file.basic_auth_users,
        })
    }

    /// For the start-up line: user names, never their hashes.
    pub fn describe(&self) -> Value {
        json!({
            "config_file": self.path.as_ref().map(|p| p.display().to_string()),
            "tls": self.tls.as_ref().map(|t| json!({
                "cert_file": t.cert_file.display().to_string(),
                "client_auth": format!("{:?}", t.client_auth),
            })),
            "basic_auth_users": self.users.keys().collect::<Vec<_>>(),
        })
    }
}

/// An OpenSSL server context from the settings (Mozilla's intermediate profile).
fn build_acceptor(t: &TlsSettings) -> Result<SslAcceptor, String> {
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())
        .map_err(|e| format!("tls_server_config: cannot set up TLS: {e}"))?;
    b.set_certificate_chain_file(&t.cert_file).map_err(|e| {
        format!(
            "tls_server_config.cert_file {}: not a readable PEM certificate ({e})",
            t.cert_file.display()
        )
    })?;
    // The key's own error text is left out: it could quote key material.
    b.set_private_key_file(&t.key_file, SslFiletype::PEM)
        .map_err(|_| {
            format!(
                "tls_server_config.key_file {}: not a readable PEM private key",
                t.key_file.display()
            )
        })?;
    b.check_private_key()
        .map_err(|_| "tls_server_config: key_file does not match cert_file".to_owned())?;
    if let Some(ca) = &t.client_ca_file {
        b.set_ca_file(ca).map_err(|e| {
            format!(
                "tls_server_config.client_ca_file {}: not a readable PEM file ({e})",
                ca.display()
            )
        })?;
    }
    match t.client_auth {
        ClientAuth::NoClientCert => {}
        ClientAuth::VerifyClientCertIfGiven => b.set_verify(SslVerifyMode::PEER),
        ClientAuth::RequireAndVerifyClientCert => {
            b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT)
        }
    }
    b.set_min_proto_version(t.min_version)
        .and_then(|()| b.set_max_proto_version(t.max_version))
        .map_err(|e| format!("tls_server_config: versions: {e}"))?;
    Ok(b.build())
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// The server's TLS context, rebuilt when the certificate or key file changes.
pub struct Tls {
    settings: TlsSettings,
    current: Mutex<TlsCurrent>,
}

struct TlsCurrent {
    acceptor: Arc<SslAcceptor>,
    stamps: (Option<SystemTime>, Option<SystemTime>),
    checked: Instant,
}

impl Tls {
    pub fn new(settings: TlsSettings) -> Result<Self, String> {
        let acceptor = Arc::new(build_acceptor(&settings)?);
        let stamps = (mtime(&settings.cert_file), mtime(&settings.key_file));
        Ok(Tls {
            settings,
            current: Mutex::new(TlsCurrent {
                acceptor,
                stamps,
                checked: Instant::now(),
            }),
        })
    }

    /// The context for a new connection.
    pub fn acceptor(&self) -> Arc<SslAcceptor> {
        let mut c = self.current.lock();
        if c.checked.elapsed() >= Duration::from_secs(1) {
            c.checked = Instant::now();
            let stamps = (
                mtime(&self.settings.cert_file),
                mtime(&self.settings.key_file),
            );
            if stamps != c.stamps {
                match build_acceptor(&self.settings) {
                    Ok(a) => {
                        tracing::info!("TLS certificate reloaded");
                        c.acceptor = Arc::new(a);
                        c.stamps = stamps;
                    }
                    // Half-written files during a rotation: keep serving the old pair
                    // and try again at the next connection.
                    Err(e) => {
                        crate::rate_limited!(warn, error = %e, "cannot reload the TLS certificate")
                    }
                }
            }
        }
        c.acceptor.clone()
    }
}

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

    #[test]
    fn errors_name_the_key_never_the_hash() {
        let dir = Path::new("/nonexistent");
        let err = WebConfig::parse("basic_auth_users:\n  alice: notahash-XYZ\n", dir).unwrap_err();
        assert!(
            err.contains("basic_auth_users.alice") && !err.contains("XYZ"),
            "{err}"
        );
        let err = WebConfig::parse("tls_server_config:\n  cert_file: a.crt\n", dir).unwrap_err();
        assert!(err.contains("key_file"), "{err}");
        let err = WebConfig::parse(
            "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  cipher_suites: [x]\n",
            dir,
        )
        .unwrap_err();
        assert!(err.contains("cipher_suites"), "{err}");
        let err = WebConfig::parse(
            "tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n",
            dir,
        )
        .unwrap_err();
        assert!(
            err.contains("/nonexistent/a.crt"),
            "relative to the file: {err}"
        );
        let empty = WebConfig::parse("", dir).unwrap();
        assert!(empty.tls.is_none() && empty.users.is_empty());
    }
}
