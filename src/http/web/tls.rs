//! The server's TLS context from the web configuration, rebuilt when the certificate or
//! key file changes (cert-manager rotates them in place), at most once a second.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use openssl::ssl::{SslAcceptor, SslFiletype, SslMethod, SslVerifyMode};
use parking_lot::Mutex;

use super::{ClientAuth, TlsSettings};

/// An OpenSSL server context from the settings (Mozilla's intermediate profile).
pub(super) fn build_acceptor(t: &TlsSettings) -> Result<SslAcceptor, String> {
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
