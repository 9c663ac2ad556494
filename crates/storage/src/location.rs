//! Where the server keeps its data: a SQLite file (the embedded default) or a
//! PostgreSQL database, told apart by the `--db` value's scheme.

use std::path::PathBuf;

#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    /// A `postgres://` or `postgresql://` URL (libpq's connection URI).
    Postgres(String),
}

impl Location {
    pub fn parse(value: &str) -> Location {
        let v = value.trim();
        if v.starts_with("postgres://") || v.starts_with("postgresql://") {
            Location::Postgres(v.to_string())
        } else {
            Location::Sqlite(PathBuf::from(v))
        }
    }
}

impl std::str::FromStr for Location {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Location::parse(s))
    }
}

/// Printed in logs: a URL without its password.
impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "SQLite file {}", path.display()),
            Location::Postgres(url) => write!(f, "PostgreSQL {}", redact_password(url)),
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, tail) = rest.split_once('/').map_or((rest, None), |(a, t)| (a, Some(t)));
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => format!("{user}@{host}"),
        },
        None => authority.to_string(),
    };
    let mut out = format!("{scheme}://{authority}");
    if let Some(t) = tail {
        out.push('/');
        out.push_str(t.split_once('?').map_or(t, |(db, _)| db));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_postgres_anything_else_a_file_and_passwords_stay_out_of_logs() {
        assert_eq!(Location::parse("tiyan-server.db"), Location::Sqlite("tiyan-server.db".into()));
        assert!(matches!(Location::parse("postgresql://h/db"), Location::Postgres(_)));
        let l = Location::parse("postgres://tiyan:s3cret@db.example:5432/tiyan?sslmode=require");
        assert_eq!(l.to_string(), "PostgreSQL postgres://tiyan:***@db.example:5432/tiyan");
        assert!(!format!("{l:?}").contains("s3cret"));
    }
}
