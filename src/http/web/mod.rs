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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use openssl::ssl::SslVersion;
use serde::Deserialize;
use serde_json::{json, Value};

mod auth;
mod tls;

pub use self::auth::{basic_credentials, BasicAuth};
use self::tls::build_acceptor;
pub use self::tls::Tls;

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

#[cfg(test)]
mod tests {
    use super::*;

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
