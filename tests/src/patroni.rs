//! PostgreSQL as Patroni runs it in production, on loopback ports: one etcd
//! (Debian's `etcd-server`) as the consensus store, and two PostgreSQL nodes
//! each managed by its own Patroni (Debian's `patroni`), with synchronous
//! replication (`synchronous_mode`), so that a commit is acknowledged only once
//! the standby has it. Started by the tests that need it and stopped after;
//! `scripts/setup.sh` installs the packages.
//!
//! A node is "lost" as a machine is: its Patroni and its whole PostgreSQL
//! (postmaster and backends, in the session Patroni started it in) are killed
//! with SIGKILL; the other node's Patroni promotes its standby once the
//! leader's key in etcd expires (`ttl`, Patroni's minimum of 20 s).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

/// The leader's key lives this long without its Patroni (Patroni's minimum).
const TTL_SECONDS: u32 = 20;

/// `name` on the PATH or in Debian's places, or why not.
fn binary(name: &str, package: &str) -> Result<PathBuf> {
    ["/usr/bin", "/usr/sbin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
        .with_context(|| format!("{name} is not installed: scripts/setup.sh installs Debian's {package} package"))
}

/// The newest PostgreSQL server binaries Debian installed.
fn postgres_bin_dir() -> Result<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is not installed (/usr/lib/postgresql)")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| d.join("postgres").exists())
        .collect();
    dirs.sort_by_key(|d| {
        d.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok())
    });
    dirs.pop().context("no PostgreSQL server binaries under /usr/lib/postgresql")
}

/// PostgreSQL refuses to run as root: when the tests are root, Patroni (and
/// the PostgreSQL it starts) run as `nobody`, and own their folders.
fn unprivileged() -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    // /proc/self belongs to the process's effective user.
    if std::fs::metadata("/proc/self").ok()?.uid() != 0 {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    let line = passwd.lines().find(|l| l.starts_with("nobody:"))?;
    let mut fields = line.split(':').skip(2);
    Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
}

/// One PostgreSQL node and its Patroni.
struct Node {
    name: String,
    dir: PathBuf,
    pg_port: u16,
    rest_port: u16,
    patroni: Option<Child>,
}

impl Node {
    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The postmaster's pid, from its own file (Patroni starts it detached).
    fn postmaster(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    /// SIGKILL to Patroni and to every PostgreSQL process of the node: the
    /// machine is gone. PostgreSQL's children each start a session of their
    /// own, so they are found by their parent: the postmaster is stopped first
    /// (it would start new ones), its children killed, then the postmaster.
    fn kill(&mut self) {
        if let Some(mut p) = self.patroni.take() {
            let _ = p.kill();
            let _ = p.wait();
        }
        if let Some(pid) = self.postmaster() {
            let pid = pid.to_string();
            let quiet = |program: &str, args: &[&str]| {
                let _ = Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status();
            };
            quiet("kill", &["-STOP", &pid]);
            quiet("pkill", &["-9", "-P", &pid]);
            quiet("kill", &["-9", &pid]);
        }
    }
}

/// An etcd and two Patroni-managed PostgreSQL nodes in `dir`.
pub struct Patroni {
    etcd: Option<Child>,
    nodes: Vec<Node>,
    http: reqwest::Client,
}

impl Patroni {
    /// Starts the cluster and waits until it has a leader and a synchronous
    /// standby (a minute at most: the standby is a base backup of the leader).
    pub async fn start(dir: &Path) -> Result<Patroni> {
        let etcd_bin = binary("etcd", "etcd-server")?;
        let patroni_bin = binary("patroni", "patroni")?;
        let bin_dir = postgres_bin_dir()?;
        let owner = unprivileged();
        std::fs::create_dir_all(dir)?;
        // Reachable by `nobody` on the way down to its folders.
        let _ = Command::new("chmod").args(["a+rx"]).arg(dir).status();

        let (client_port, peer_port) = (crate::free_port(), crate::free_port());
        let etcd_dir = dir.join("etcd");
        std::fs::create_dir_all(&etcd_dir)?;
        let etcd = Command::new(etcd_bin)
            .arg("--name=tiyan-etcd")
            .arg(format!("--data-dir={}", etcd_dir.join("data").display()))
            .arg(format!("--listen-client-urls=http://127.0.0.1:{client_port}"))
            .arg(format!("--advertise-client-urls=http://127.0.0.1:{client_port}"))
            .arg(format!("--listen-peer-urls=http://127.0.0.1:{peer_port}"))
            .arg(format!("--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}"))
            .arg(format!("--initial-cluster=tiyan-etcd=http://127.0.0.1:{peer_port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(etcd_dir.join("etcd.log"))?)
            .spawn()
            .context("starting etcd")?;
        let mut cluster = Patroni { etcd: Some(etcd), nodes: Vec::new(), http: reqwest::Client::new() };
        wait_port(client_port, "etcd").await?;

        for i in 1..=2 {
            let node = Node {
                name: format!("node{i}"),
                dir: dir.join(format!("node{i}")),
                pg_port: crate::free_port(),
                rest_port: crate::free_port(),
                patroni: None,
            };
            std::fs::create_dir_all(&node.dir)?;
            let config = node.dir.join("patroni.yml");
            std::fs::write(&config, patroni_config(&node, client_port, &bin_dir))?;
            if let Some((uid, gid)) = owner {
                let _ = Command::new("chown").arg("-R").arg(format!("{uid}:{gid}")).arg(&node.dir).status();
            }
            cluster.nodes.push(node);
        }
        // The first node bootstraps (initdb); the second, started once the
        // first leads, clones it with a base backup and follows.
        cluster.spawn(0, &patroni_bin, owner)?;
        cluster.wait_for(Duration::from_secs(90), |c| c.iter().any(|m| role(m) == "leader")).await?;
        cluster.spawn(1, &patroni_bin, owner)?;
        cluster
            .wait_for(Duration::from_secs(120), |c| {
                c.iter().any(|m| role(m) == "leader") && c.iter().any(|m| role(m) == "sync_standby" && running(m))
            })
            .await
            .context("the second node did not become a synchronous standby")?;
        Ok(cluster)
    }

    fn spawn(&mut self, i: usize, patroni_bin: &Path, owner: Option<(u32, u32)>) -> Result<()> {
        use std::os::unix::process::CommandExt;
        let node = &mut self.nodes[i];
        let mut command = Command::new(patroni_bin);
        command
            .arg(node.dir.join("patroni.yml"))
            .current_dir(&node.dir)
            .env("HOME", &node.dir)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(node.dir.join("patroni.log"))?)
            .stderr(Stdio::from(std::fs::File::options().append(true).open(node.dir.join("patroni.log"))?));
        if let Some((uid, gid)) = owner {
            command.uid(uid).gid(gid);
        }
        node.patroni = Some(command.spawn().with_context(|| format!("starting Patroni for {}", node.name))?);
        Ok(())
    }

    /// The URL the servers connect with: both nodes, and only the writable one will do.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self.nodes.iter().map(|n| format!("127.0.0.1:{}", n.pg_port)).collect();
        format!("postgres://tiyan@{}/postgres?target_session_attrs=read-write&connect_timeout=3", hosts.join(","))
    }

    /// A URL of node `i` alone.
    pub fn node_url(&self, i: usize) -> String {
        format!("postgres://tiyan@127.0.0.1:{}/postgres", self.nodes[i].pg_port)
    }

    /// The members as a surviving node's Patroni sees them.
    async fn members(&self) -> Result<Vec<Value>> {
        let mut last = None;
        for node in self.nodes.iter().filter(|n| n.patroni.is_some()) {
            let url = format!("http://127.0.0.1:{}/cluster", node.rest_port);
            match self.http.get(&url).timeout(Duration::from_secs(2)).send().await {
                Ok(r) => {
                    let v: Value = serde_json::from_str(&r.text().await?)?;
                    return Ok(v["members"].as_array().cloned().unwrap_or_default());
                }
                Err(e) => last = Some(e),
            }
        }
        bail!("no Patroni answered: {last:?}")
    }

    async fn wait_for(&self, within: Duration, done: impl Fn(&[Value]) -> bool) -> Result<Vec<Value>> {
        let deadline = Instant::now() + within;
        loop {
            let members = self.members().await.unwrap_or_default();
            if done(&members) {
                return Ok(members);
            }
            if Instant::now() > deadline {
                bail!("the Patroni cluster did not settle: {members:?}\n{}", self.logs());
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The index of the node that leads now.
    pub async fn leader(&self) -> Result<usize> {
        let members = self.members().await?;
        let name =
            members.iter().find(|m| role(m) == "leader").and_then(|m| m["name"].as_str()).context("no leader")?;
        self.nodes.iter().position(|n| n.name == name).context("an unknown leader")
    }

    /// Loses node `i` as a machine is lost.
    pub fn kill(&mut self, i: usize) {
        self.nodes[i].kill();
    }

    /// Waits until node `i` leads and takes writes (the survivor after a kill).
    pub async fn wait_until_leader(&self, i: usize, within: Duration) -> Result<()> {
        let name = self.nodes[i].name.clone();
        self.wait_for(within, |c| c.iter().any(|m| m["name"] == name.as_str() && role(m) == "leader" && running(m)))
            .await
            .map(|_| ())
    }

    /// The end of each log, for a failure's message.
    fn logs(&self) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            let log = std::fs::read_to_string(node.dir.join("patroni.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect();
            out += &format!("--- {} ---\n{}\n", node.name, tail.into_iter().rev().collect::<Vec<_>>().join("\n"));
        }
        out
    }
}

impl Drop for Patroni {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
        if let Some(mut etcd) = self.etcd.take() {
            let _ = etcd.kill();
            let _ = etcd.wait();
        }
    }
}

fn role(member: &Value) -> &str {
    member["role"].as_str().unwrap_or("")
}

fn running(member: &Value) -> bool {
    matches!(member["state"].as_str(), Some("running" | "streaming"))
}

async fn wait_port(port: u16, what: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        ensure!(Instant::now() < deadline, "{what} did not listen on {port}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// A node's Patroni configuration, as a province would write it but on
/// loopback: synchronous replication, trust on loopback only (a throwaway
/// cluster; in service, passwords or certificates), fsync off as in the other
/// throwaway clusters (a killed process loses nothing that fsync would keep;
/// only a lost machine's page cache would, and the standby holds every commit).
fn patroni_config(node: &Node, etcd_port: u16, bin_dir: &Path) -> String {
    let dir = node.dir.display();
    let data = node.data_dir();
    let data = data.display();
    let bin = bin_dir.display();
    let (name, pg, rest) = (&node.name, node.pg_port, node.rest_port);
    format!(
        r#"scope: tiyan
name: {name}
restapi:
  listen: 127.0.0.1:{rest}
  connect_address: 127.0.0.1:{rest}
etcd3:
  hosts: 127.0.0.1:{etcd_port}
bootstrap:
  dcs:
    ttl: {TTL_SECONDS}
    loop_wait: 1
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: false
      parameters:
        max_connections: 200
        max_wal_senders: 5
        max_replication_slots: 5
        wal_level: replica
        hot_standby: "on"
        fsync: "off"
        full_page_writes: "off"
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
postgresql:
  listen: 127.0.0.1:{pg}
  connect_address: 127.0.0.1:{pg}
  data_dir: {data}
  bin_dir: {bin}
  pgpass: {dir}/pgpass
  authentication:
    superuser:
      username: tiyan
      password: tiyan-test
    replication:
      username: replicator
      password: tiyan-replication
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication replicator 127.0.0.1/32 trust
  parameters:
    unix_socket_directories: {dir}
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
"#
    )
}
