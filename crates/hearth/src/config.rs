//! The configuration: one declarative table of keys with defaults. Sources, later ones win:
//! defaults, `hearth.toml` (`--config FILE`, else `./hearth.toml` when present), `HEARTH_*`
//! environment variables (an unknown one is a warning, not a refusal), command-line flags.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use hearth_core::{Argon2Profile, Settings};

/// key, default, meaning. Every key is also `HEARTH_<KEY>` and a `hearth.toml` entry.
pub const KEYS: &[(&str, &str, &str)] = &[
    (
        "listen",
        "127.0.0.1:8080",
        "address and port to listen on (port 0 picks a free one)",
    ),
    (
        "data_dir",
        "./hearth-data",
        "directory for the SQLite database, blobs and generated certificates",
    ),
    (
        "database_url",
        "",
        "postgres://… for PostgreSQL metadata; empty = SQLite in data_dir",
    ),
    (
        "tls_cert",
        "",
        "PEM certificate chain; with tls_key turns on TLS (TLS and HTTP on the same port)",
    ),
    ("tls_key", "", "PEM private key for tls_cert"),
    (
        "tls_self_signed",
        "false",
        "serve TLS with a generated certificate for 127.0.0.1/localhost",
    ),
    (
        "cors_origins",
        "",
        "comma-separated origins allowed for browser clients; '*' allows any",
    ),
    (
        "allow_registration",
        "false",
        "let user/register create accounts",
    ),
    (
        "argon2_profile",
        "default",
        "password hashing cost: default, or fast (tests only)",
    ),
    (
        "session_v1_lifetime_secs",
        "600",
        "lifetime of a version-1 session token",
    ),
    (
        "session_v2_idle_secs",
        "3600",
        "a version-2 token expires after this long unused",
    ),
    (
        "session_claim_lease_secs",
        "60",
        "how long a crashed call can hold a v2 token",
    ),
    (
        "lockout_failures",
        "10",
        "failed logins in a row that lock an account",
    ),
    (
        "lockout_secs",
        "900",
        "how long a locked account stays locked",
    ),
    (
        "rate_limit_per_address",
        "0",
        "API calls per second per client address (0 = unlimited)",
    ),
    (
        "rate_limit_per_app",
        "0",
        "API calls per second per application (0 = unlimited)",
    ),
    (
        "default_quota_bytes",
        "53687091200",
        "storage quota of new accounts",
    ),
    (
        "action_token_max_minutes",
        "1440",
        "longest lifespan of an action token",
    ),
    ("tos_revision", "1.0", "revision of the terms of service"),
    (
        "async_threshold",
        "500",
        "a folder copy/move/delete/purge/update or empty_trash touching more items runs as a background job",
    ),
    (
        "job_batch_delay_ms",
        "0",
        "pause before each batch of a background job (tests only)",
    ),
    (
        "resumable_lifetime_secs",
        "86400",
        "an unfinished resumable upload (and its received units) is removed after this long idle",
    ),
    (
        "patch_max_target",
        "268435456",
        "upload/patch: largest file a delta may build, largest delta, largest source segment of one delta window",
    ),
    (
        "web_upload_allow_cidrs",
        "",
        "addresses web uploads and avatar URLs may fetch from although not public (e.g. 127.0.0.1/32); empty = public addresses only",
    ),
    (
        "web_upload_max_bytes",
        "10737418240",
        "largest file a web upload fetches",
    ),
    (
        "web_upload_timeout_secs",
        "3600",
        "time limit of one web upload (look-ups, redirects and body)",
    ),
    (
        "web_upload_max_active",
        "5",
        "web uploads one user may have running at once",
    ),
    (
        "zip_max_filesize",
        "314572800",
        "file/zip: largest file a zip may hold (bigger: error 150)",
    ),
    (
        "zip_max_total_filesize",
        "2147483647",
        "file/zip: largest total of a zip unless a signed-in caller confirms (error 153)",
    ),
    (
        "gc_grace_secs",
        "3600",
        "stored content nothing references any more is removed after this long",
    ),
    (
        "dedup_global",
        "false",
        "instant uploads see every user's content, not only the uploader's (single-tenant installs only)",
    ),
    ("log", "info", "log filter (tracing EnvFilter syntax)"),
];

#[derive(Debug, Clone)]
pub struct Config {
    values: BTreeMap<String, String>,
}

impl Config {
    /// Merges the sources. `cli` holds only the flags actually given.
    pub fn load(
        config_file: Option<&Path>,
        cli: BTreeMap<String, String>,
    ) -> anyhow::Result<Config> {
        let mut values: BTreeMap<String, String> = KEYS
            .iter()
            .map(|(k, d, _)| (k.to_string(), d.to_string()))
            .collect();
        let file = match config_file {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from("hearth.toml")).filter(|p| p.exists()),
        };
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let table: toml::Table =
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
            for (k, v) in table {
                if !is_key(&k) {
                    bail!("{}: unknown setting '{k}'", path.display());
                }
                let v = match v {
                    toml::Value::String(s) => s,
                    toml::Value::Array(items) => items
                        .iter()
                        .map(|i| {
                            i.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| i.to_string())
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                    other => other.to_string(),
                };
                values.insert(k, v);
            }
        }
        for (name, value) in std::env::vars() {
            let Some(key) = name.strip_prefix("HEARTH_") else {
                continue;
            };
            let key = key.to_ascii_lowercase();
            if is_key(&key) {
                values.insert(key, value);
            } else {
                eprintln!("warning: ignoring unknown environment variable {name}");
            }
        }
        values.extend(cli);
        Ok(Config { values })
    }

    pub fn get(&self, key: &str) -> &str {
        debug_assert!(is_key(key), "{key} is not in the config table");
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    fn parse<T: std::str::FromStr>(&self, key: &str) -> anyhow::Result<T>
    where
        T::Err: std::fmt::Display,
    {
        self.get(key)
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("setting {key}={:?}: {e}", self.get(key)))
    }

    fn flag(&self, key: &str) -> anyhow::Result<bool> {
        match self.get(key).trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Ok(true),
            "false" | "no" | "0" | "off" | "" => Ok(false),
            other => bail!("setting {key}={other:?}: expected true or false"),
        }
    }

    fn secs(&self, key: &str) -> anyhow::Result<Duration> {
        Ok(Duration::from_secs_f64(self.parse::<f64>(key)?))
    }

    pub fn data_dir(&self) -> PathBuf {
        PathBuf::from(self.get("data_dir"))
    }

    pub fn database_url(&self) -> Option<&str> {
        Some(self.get("database_url")).filter(|u| !u.is_empty())
    }

    pub fn listen(&self) -> anyhow::Result<std::net::SocketAddr> {
        self.parse("listen")
    }

    pub fn tls(&self) -> anyhow::Result<hearth_server::TlsMode> {
        let (cert, key) = (self.get("tls_cert"), self.get("tls_key"));
        Ok(
            match (
                cert.is_empty(),
                key.is_empty(),
                self.flag("tls_self_signed")?,
            ) {
                (false, false, _) => hearth_server::TlsMode::Files {
                    cert: cert.into(),
                    key: key.into(),
                },
                (true, true, true) => hearth_server::TlsMode::SelfSigned {
                    cert_out: self.data_dir().join("tls").join("self-signed.pem"),
                },
                (true, true, false) => hearth_server::TlsMode::Off,
                _ => bail!("tls_cert and tls_key go together"),
            },
        )
    }

    pub fn cors_origins(&self) -> Vec<String> {
        self.get("cors_origins")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn settings(&self) -> anyhow::Result<Settings> {
        let argon2 = match self.get("argon2_profile") {
            "default" => Argon2Profile::Default,
            "fast" => Argon2Profile::Fast,
            other => bail!("argon2_profile={other:?}: expected default or fast"),
        };
        let max_minutes: u32 = self.parse("action_token_max_minutes")?;
        Ok(Settings {
            argon2,
            session_v1_lifetime: self.secs("session_v1_lifetime_secs")?,
            session_v2_idle: self.secs("session_v2_idle_secs")?,
            session_claim_lease: self.secs("session_claim_lease_secs")?,
            lockout_failures: self.parse("lockout_failures")?,
            lockout_duration: self.secs("lockout_secs")?,
            rate_limit_per_address: self.parse("rate_limit_per_address")?,
            rate_limit_per_app: self.parse("rate_limit_per_app")?,
            allow_registration: self.flag("allow_registration")?,
            default_quota_bytes: self.parse("default_quota_bytes")?,
            action_token_default_minutes: max_minutes.min(1440),
            action_token_max_minutes: max_minutes,
            tos_revision: self.get("tos_revision").to_string(),
            async_threshold: self.parse("async_threshold")?,
            job_batch_delay: Duration::from_millis(self.parse("job_batch_delay_ms")?),
            resumable_lifetime: self.secs("resumable_lifetime_secs")?,
            limits: hearth_core::Limits {
                zip_max_filesize: self.parse("zip_max_filesize")?,
                zip_max_total_filesize: self.parse("zip_max_total_filesize")?,
                ..hearth_core::Limits::default()
            },
            patch_max_target: self.parse("patch_max_target")?,
            web_upload_allow: hearth_core::safe_fetch::parse_cidrs(
                self.get("web_upload_allow_cidrs"),
            )
            .map_err(|e| anyhow::anyhow!("setting web_upload_allow_cidrs: {e}"))?,
            web_upload_max_bytes: self.parse("web_upload_max_bytes")?,
            web_upload_timeout: self.secs("web_upload_timeout_secs")?,
            web_upload_max_active: self.parse("web_upload_max_active")?,
            gc_grace: self.secs("gc_grace_secs")?,
            dedup_global: self.flag("dedup_global")?,
            ..Settings::default()
        })
    }
}

fn is_key(k: &str) -> bool {
    KEYS.iter().any(|(key, _, _)| *key == k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_layer_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\nlockout_failures = 3\n").unwrap();
        let mut cli = BTreeMap::new();
        cli.insert("lockout_failures".to_string(), "4".to_string());
        let c = Config::load(Some(&file), cli).unwrap();
        assert_eq!(
            c.get("listen"),
            "127.0.0.1:9000",
            "the file overrides the default"
        );
        assert_eq!(c.get("lockout_failures"), "4", "a flag overrides the file");
        assert_eq!(c.get("tos_revision"), "1.0", "defaults fill the rest");
        assert_eq!(c.settings().unwrap().lockout_failures, 4);
    }

    #[test]
    fn unknown_file_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hearth.toml");
        std::fs::write(&file, "lisen = \"x\"\n").unwrap();
        assert!(Config::load(Some(&file), BTreeMap::new()).is_err());
    }
}
