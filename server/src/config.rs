//! The server's configuration file (`/etc/tiyan/server.toml` when installed
//! from the package): the listen address, the database, the public address,
//! trusted proxies and retention. A flag or an environment variable overrides
//! the file; the file overrides the built-in defaults. Unknown keys are an
//! error, so a misspelt setting is never silently ignored.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// `127.0.0.1:8787`.
    pub listen: Option<SocketAddr>,
    /// A SQLite file path or a `postgres://` URL.
    pub database: Option<String>,
    /// The address people and devices reach the server at.
    pub public_url: Option<String>,
    /// Proxies (nginx) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Option<Vec<IpAddr>>,
    #[serde(default)]
    pub retention: Retention,
    #[serde(default)]
    pub backup: Backup,
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// The provinces' 好差评 platforms reported to (`[[upward]]`, see `tiyan_services::upward`).
    #[serde(default)]
    pub upward: Vec<tiyan_services::upward::TargetConfig>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Days a served upload's request id is remembered.
    pub request_days: Option<i64>,
    /// Days an unfinished photo upload is kept.
    pub upload_days: Option<i64>,
    /// Days a call-back number is kept in full after its item closed.
    pub phone_days: Option<i64>,
}

/// Where `tiyan-server backup` (the daily timer's) writes, and how many it keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backup {
    pub dir: Option<std::path::PathBuf>,
    pub keep: Option<usize>,
}

/// `/metrics`: the token Prometheus sends, in a file readable by the server only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    pub token_file: Option<std::path::PathBuf>,
}

impl FileConfig {
    pub fn parse(text: &str) -> Result<FileConfig, toml::de::Error> {
        toml::from_str(text)
    }

    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading the configuration {}: {e}", path.display()))?;
        FileConfig::parse(&text).map_err(|e| anyhow::anyhow!("the configuration {}: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_packaged_file_reads_and_a_typo_is_an_error() {
        let packaged = include_str!("../../packaging/server/server.toml");
        let c = FileConfig::parse(packaged).unwrap_or_default();
        assert_eq!(c.listen, "127.0.0.1:8787".parse().ok());
        assert_eq!(c.database.as_deref(), Some("/var/lib/tiyan-server/tiyan-server.db"));
        assert_eq!(c.retention.request_days, Some(30));
        assert_eq!(c.backup.keep, Some(14));
        assert!(FileConfig::parse("listn = \"127.0.0.1:1\"").is_err());
        assert!(FileConfig::parse("listen = \"not an address\"").is_err());
        assert!(FileConfig::parse("").is_ok_and(|c| c.listen.is_none() && c.upward.is_empty()));
    }
}
