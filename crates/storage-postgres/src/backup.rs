//! Backups of the PostgreSQL database with PostgreSQL's own tools: `pg_dump`
//! in its custom format (a consistent snapshot while the servers serve,
//! compressed, restorable table by table), checked with `pg_restore --list`;
//! restoring runs `pg_restore` in one transaction after reading the dump's
//! schema version, refusing one newer than this binary.

use std::path::{Path, PathBuf};

use tiyan_storage::{BackupInfo, Error, Result};

/// The newest of PostgreSQL's tools named `tool`: on the PATH, or in Debian's
/// versioned folders (`postgresql` installs them there only).
pub fn tool(tool: &str) -> Result<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join(tool)).filter(|p| p.is_file()).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| dirs.flatten().map(|d| d.path().join("bin").join(tool)).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    debian
        .sort_by_key(|p| p.components().nth(4).and_then(|c| c.as_os_str().to_str()?.parse::<u32>().ok()).unwrap_or(0));
    debian.pop().or_else(|| on_path.into_iter().next()).ok_or_else(|| {
        Error::Config(format!(
            "{tool} is not installed: install PostgreSQL's client tools (Debian: apt install postgresql-client), \
             or run `{tool}` yourself with --format=custom"
        ))
    })
}

/// The URL without its password, and the password: a password on a command
/// line is in every `ps` on the machine; libpq reads it from `PGPASSWORD`.
fn without_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else { return (url.to_string(), None) };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else { return (url.to_string(), None) };
    match rest[..at].split_once(':') {
        Some((user, password)) => (format!("{scheme}://{user}@{}", &rest[at + 1..]), Some(percent_decoded(password))),
        None => (url.to_string(), None),
    }
}

/// A URL's `%XX` escapes read back (a password with an `@` in it is written `%40`).
fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16).ok())
            .flatten();
        match hex {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn run(tool_name: &str, args: &[&std::ffi::OsStr]) -> Result<String> {
    run_with(tool_name, args, None).await
}

async fn run_with(tool_name: &str, args: &[&std::ffi::OsStr], password: Option<&str>) -> Result<String> {
    let mut command = tokio::process::Command::new(tool(tool_name)?);
    if let Some(p) = password {
        command.env("PGPASSWORD", p);
    }
    let out = command.args(args).output().await.map_err(|e| Error::Backend(format!("running {tool_name}: {e}")))?;
    if !out.status.success() {
        let words = String::from_utf8_lossy(&out.stderr);
        return Err(Error::Backend(format!("{tool_name} failed: {}", words.trim())));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The schema version a dump was written at, from its `schema_migrations` rows.
async fn dump_schema(dump: &Path) -> Result<u32> {
    let os = |s: &'static str| std::ffi::OsStr::new(s);
    let text =
        run("pg_restore", &[os("--data-only"), os("--table=schema_migrations"), os("--file=-"), dump.as_os_str()])
            .await?;
    let mut rows = false;
    let mut version = 0;
    for line in text.lines() {
        if line.starts_with("COPY ") {
            rows = true;
        } else if line == "\\." {
            rows = false;
        } else if rows {
            version = version.max(line.split('\t').next().and_then(|v| v.parse().ok()).unwrap_or(0));
        }
    }
    if version == 0 {
        return Err(Error::Backend(format!("{} holds no Tiyan schema", dump.display())));
    }
    Ok(version)
}

/// Checks a dump and says what it holds.
pub async fn check(dump: &Path) -> Result<BackupInfo> {
    run("pg_restore", &[std::ffi::OsStr::new("--list"), dump.as_os_str()]).await?;
    let schema = dump_schema(dump).await?;
    if schema as usize > super::STEPS.len() {
        return Err(Error::SchemaTooNew { found: i64::from(schema), known: super::STEPS.len() });
    }
    let bytes = std::fs::metadata(dump).map_err(|e| Error::Backend(format!("{}: {e}", dump.display())))?.len();
    Ok(BackupInfo { schema, ratings: None, bytes })
}

/// `pg_dump --format=custom` of the database at `url` into `out` (which must not exist), checked.
pub async fn backup(url: &str, out: &Path) -> Result<BackupInfo> {
    if out.exists() {
        return Err(Error::Config(format!("{} exists: give a new file", out.display())));
    }
    let file = format!("--file={}", out.display());
    let (url, password) = without_password(url);
    let db = format!("--dbname={url}");
    let args = ["--format=custom", "--no-owner", file.as_str(), db.as_str()];
    let os: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    run_with("pg_dump", &os, password.as_deref()).await?;
    check(out).await
}

/// Restores the dump at `from` into the database at `url` in one transaction:
/// an empty database, or with `replace` one whose objects are dropped first.
pub async fn restore(from: &Path, url: &str, replace: bool) -> Result<BackupInfo> {
    let info = check(from).await?;
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let used: bool = client.query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[]).await?.get(0);
    if used && !replace {
        return Err(Error::Config(
            "the database already holds Tiyan's tables: restore into an empty database, or give --replace".into(),
        ));
    }
    let (url, password) = without_password(url);
    let db = format!("--dbname={url}");
    let mut args: Vec<&str> = vec!["--no-owner", "--single-transaction", "--exit-on-error", db.as_str()];
    if used {
        args.extend(["--clean", "--if-exists"]);
    }
    let mut os: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    os.push(from.as_os_str());
    run_with("pg_restore", &os, password.as_deref()).await?;
    Ok(info)
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn a_password_never_reaches_a_command_line() {
        let (url, p) = without_password("postgres://tiyan:s3cr%40t@db1:5432,db2:5432/tiyan?sslmode=disable");
        assert_eq!(
            (url.as_str(), p.as_deref()),
            ("postgres://tiyan@db1:5432,db2:5432/tiyan?sslmode=disable", Some("s3cr@t"))
        );
        assert_eq!(without_password("postgres://tiyan@127.0.0.1:5/x"), ("postgres://tiyan@127.0.0.1:5/x".into(), None));
    }
}
