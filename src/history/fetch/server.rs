//! Where to send range queries, and how to authenticate: bearer tokens,
//! basic auth, extra headers (Mimir/Cortex `X-Scope-OrgID`), TLS with a
//! custom CA and client certificate. The proxy comes from the environment
//! (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), as reqwest reads it.
//!
//! Credentials live in [`Secret`]s, which never print: the URL a user gives
//! loses its `user:password@` before it is shown or stored, and every
//! header firedrill adds is marked sensitive.

use std::fmt;
use std::path::PathBuf;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use reqwest::Url;

/// A credential. `Debug` and `Display` print `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub enum Auth {
    #[default]
    None,
    Bearer(Secret),
    Basic {
        user: String,
        password: Secret,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tls {
    /// PEM file of CA certificates to trust besides the system's.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate and its key, for mutual TLS.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub insecure_skip_verify: bool,
}

/// A server that speaks Prometheus's HTTP API (Prometheus, Thanos Query,
/// Mimir, Cortex, VictoriaMetrics), possibly under a path prefix.
#[derive(Debug, Clone)]
pub struct Server {
    /// Without credentials.
    url: Url,
    pub auth: Auth,
    /// Extra request headers; values may be secrets.
    pub headers: Vec<(String, Secret)>,
    pub tls: Tls,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ServerError {
    #[error("{0:?} is not a server URL (expected http://host:port or https://host/prefix)")]
    BadUrl(String),
    #[error("header {0:?}: {1}")]
    BadHeader(String, String),
    #[error("{path}: {reason}")]
    Tls { path: String, reason: String },
    #[error("setting up the HTTP client: {0}")]
    Client(String),
}

impl Server {
    /// From a URL; `user:password@` in it becomes basic auth.
    pub fn parse(text: &str) -> Result<Server, ServerError> {
        let bad = || ServerError::BadUrl(redact_url(text));
        let mut url = Url::parse(text.trim()).map_err(|_| bad())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad());
        }
        let mut auth = Auth::None;
        if !url.username().is_empty() {
            let decode =
                |s: &str| percent_decode(s).ok_or_else(|| ServerError::BadUrl(redact_url(text)));
            auth = Auth::Basic {
                user: decode(url.username())?,
                password: Secret::new(decode(url.password().unwrap_or(""))?),
            };
            url.set_username("").map_err(|()| bad())?;
            url.set_password(None).map_err(|()| bad())?;
        }
        url.set_query(None);
        url.set_fragment(None);
        Ok(Server {
            url,
            auth,
            headers: Vec::new(),
            tls: Tls::default(),
        })
    }

    /// The URL without credentials, as shown to users and stored in recordings.
    pub fn display_url(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_string()
    }

    /// `<base>/api/v1/query_range`, keeping a path prefix.
    pub fn query_range_url(&self) -> Url {
        let mut url = self.url.clone();
        let path = format!("{}/api/v1/query_range", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }

    /// A blocking client with this server's auth, headers and TLS.
    pub fn client(&self) -> Result<reqwest::blocking::Client, ServerError> {
        let mut headers = HeaderMap::new();
        for (name, value) in &self.headers {
            let header = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|e| ServerError::BadHeader(name.clone(), e.to_string()))?;
            let mut v = HeaderValue::from_str(value.expose().trim()).map_err(|_| {
                ServerError::BadHeader(name.clone(), "the value is not valid in a header".into())
            })?;
            v.set_sensitive(true);
            headers.insert(header, v);
        }
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(token) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", token.expose().trim()))
                    .map_err(|_| {
                        ServerError::BadHeader(
                            "Authorization".into(),
                            "the bearer token holds characters a header cannot carry".into(),
                        )
                    })?;
                v.set_sensitive(true);
                headers.insert(AUTHORIZATION, v);
            }
            Auth::Basic { user, password } => {
                let raw = format!("{user}:{}", password.expose());
                let mut v = HeaderValue::from_str(&format!("Basic {}", base64(raw.as_bytes())))
                    .map_err(|_| {
                        ServerError::BadHeader("Authorization".into(), "bad credentials".into())
                    })?;
                v.set_sensitive(true);
                headers.insert(AUTHORIZATION, v);
            }
        }
        let mut builder = reqwest::blocking::Client::builder()
            .user_agent(concat!("firedrill/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            // The per-request timeout is set on each request.
            .timeout(None)
            .connect_timeout(std::time::Duration::from_secs(10))
            .redirect(same_origin_redirects(&self.url))
            .danger_accept_invalid_certs(self.tls.insecure_skip_verify);
        if let Some(path) = &self.tls.ca_file {
            let pem = read(path)?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| tls(path, e))?;
            if certs.is_empty() {
                return Err(tls(path, "no PEM certificate in the file"));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        match (&self.tls.cert_file, &self.tls.key_file) {
            (Some(cert), Some(key)) => {
                let mut pem = read(cert)?;
                pem.push(b'\n');
                pem.extend(read(key)?);
                let identity = reqwest::Identity::from_pem(&pem).map_err(|e| tls(cert, e))?;
                builder = builder.identity(identity);
            }
            (None, None) => {}
            (Some(p), None) | (None, Some(p)) => {
                return Err(tls(
                    p,
                    "a client certificate needs both --cert-file and --key-file",
                ))
            }
        }
        builder
            .build()
            .map_err(|e| ServerError::Client(e.to_string()))
    }
}

/// Redirects are followed only within the server's own scheme, host and
/// port (a proxy adding a trailing slash, say): credentials and tenant
/// headers must never travel to another host, and an https→http hop would
/// send them in the clear. Anything else stops the request with the target's
/// origin in the message.
fn same_origin_redirects(base: &Url) -> reqwest::redirect::Policy {
    let origin = base.origin();
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        let target = attempt.url().origin();
        if target == origin {
            attempt.follow()
        } else {
            attempt.error(format!(
                "the server redirected to {}, another origin; firedrill does not follow it, so that credentials stay with {}",
                target.ascii_serialization(),
                origin.ascii_serialization()
            ))
        }
    })
}

const MAX_REDIRECTS: usize = 5;

fn read(path: &PathBuf) -> Result<Vec<u8>, ServerError> {
    std::fs::read(path).map_err(|e| tls(path, e))
}

fn tls(path: &std::path::Path, reason: impl fmt::Display) -> ServerError {
    ServerError::Tls {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

/// A URL as safe to print: `user:password@` removed.
pub fn redact_url(text: &str) -> String {
    match text.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            match authority.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://<redacted>@{host}{path}"),
                None => text.to_string(),
            }
        }
        None => text.to_string(),
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_url_become_basic_auth_and_never_print() {
        let s = Server::parse("https://alice:s%40cret@thanos.example:10902/prefix/").unwrap();
        assert_eq!(s.display_url(), "https://thanos.example:10902/prefix");
        assert_eq!(
            s.query_range_url().as_str(),
            "https://thanos.example:10902/prefix/api/v1/query_range"
        );
        assert_eq!(
            s.auth,
            Auth::Basic {
                user: "alice".into(),
                password: Secret::new("s@cret")
            }
        );
        assert!(!format!("{s:?}").contains("cret"));
        assert_eq!(
            redact_url("http://bob:pw@host:9090/x"),
            "http://<redacted>@host:9090/x"
        );
        assert!(Server::parse("ftp://x").is_err());
        let err = Server::parse("http://bob:pw@").unwrap_err().to_string();
        assert!(!err.contains("pw"), "{err}");
    }

    #[test]
    fn base64_matches_rfc4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("Aladdin:open sesame", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
