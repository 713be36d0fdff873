//! A broker whose data outlives its process: tansu on PostgreSQL, for the broker-restart
//! test. A throwaway PostgreSQL cluster (initdb, pg_ctl) on a free loopback port holds
//! tansu's topics, offsets and groups; the broker can be stopped (SIGTERM, really gone)
//! and started again on the same port and storage. Both are killed on drop.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::kafka::{signal, wait_port};
use super::prom::free_port;

/// The tables tansu 0.6's PostgreSQL engine needs (it creates none itself).
const SCHEMA: &str = include_str!("tansu_pg.sql");

/// Client settings every client of this broker needs on top of the usual ones.
/// tansu 0.6 answers a read_committed ListOffsets(latest) with a query PostgreSQL 15
/// (Debian 12's) rejects (`subquery in FROM must have an alias`; 16 accepts it) and then
/// drops the connection. Nothing here produces transactionally, so read_uncommitted
/// reads the same records through the query that works.
pub const CLIENT_OPTIONS: &[&str] = &["isolation.level=read_uncommitted"];

/// PostgreSQL's server binaries (Debian's layout), the newest version installed.
fn pg_bin() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): the \
             broker-restart test keeps tansu's data in it. Run scripts/test.sh, which \
             installs Debian's `postgresql` package, or `apt-get install postgresql`."
        ),
    }
}

/// Checks the installed tansu was built with the PostgreSQL engine.
fn check_tansu() {
    let out = Command::new("tansu")
        .arg("--help")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run tansu ({e}): run scripts/test.sh, which installs it")
        });
    let help = String::from_utf8_lossy(&out.stdout);
    let engines = help
        .lines()
        .find(|l| l.starts_with("Storage engines:"))
        .unwrap_or("");
    assert!(
        engines.contains("postgres"),
        "tansu was built without PostgreSQL storage ({engines:?}): run scripts/test.sh, \
         which installs it with `cargo install tansu --version 0.6.0 --features \
         dynostore,postgres --locked --force`"
    );
}

fn id(args: &[&str]) -> Option<u32> {
    let out = Command::new("id").args(args).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// Runs PostgreSQL's tools as `postgres` when the tests run as root (initdb and the
/// server refuse root), else as the current user.
struct PgUser {
    root: bool,
}

impl PgUser {
    fn detect() -> PgUser {
        let root = id(&["-u"]) == Some(0);
        if root {
            assert!(
                id(&["-u", "postgres"]).is_some(),
                "running as root, and there is no `postgres` user to run PostgreSQL as \
                 (Debian's `postgresql` package creates it: run scripts/test.sh)"
            );
        }
        PgUser { root }
    }

    fn command(&self, program: &Path) -> Command {
        if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    /// Hands a directory to the user the server runs as.
    fn own(&self, dir: &Path) {
        if self.root {
            let uid = id(&["-u", "postgres"]);
            let gid = id(&["-g", "postgres"]);
            std::os::unix::fs::chown(dir, uid, gid)
                .unwrap_or_else(|e| panic!("chown {} to postgres: {e}", dir.display()));
        }
    }
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A PostgreSQL cluster and a tansu broker storing into it.
pub struct DurableBroker {
    _dir: tempfile::TempDir,
    user: PgUser,
    bin: PathBuf,
    data: PathBuf,
    pub pg_port: u16,
    pub port: u16,
    tansu: Option<Child>,
    pub log: PathBuf,
}

impl DurableBroker {
    /// initdb, the server, tansu's database and tables, then the broker.
    pub fn start() -> DurableBroker {
        check_tansu();
        let bin = pg_bin();
        let user = PgUser::detect();
        let dir = tempfile::tempdir().expect("temp dir");
        // `postgres` must reach its data and socket directories inside ours.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("chmod the temp dir");
        let pg = dir.path().join("pg");
        std::fs::create_dir(&pg).expect("mkdir pg");
        user.own(&pg);
        let data = pg.join("data");
        run(
            user.command(&bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["--auth=trust", "--username=postgres", "--encoding=UTF8"])
                .arg("--no-sync"),
            "initdb",
        );
        // From here on the cluster is the struct's: dropped, it is stopped.
        let pg_port = free_port();
        let mut b = DurableBroker {
            _dir: dir,
            user,
            bin,
            data,
            pg_port,
            port: free_port(),
            tansu: None,
            log: pg.with_file_name("tansu.log"),
        };
        // fsync off: what is tested is the broker's process going away, not the
        // machine; PostgreSQL itself keeps running throughout.
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {pg_port} -k {} -c fsync=off -c synchronous_commit=off",
            pg.display()
        );
        run(
            b.user
                .command(&b.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&b.data)
                .arg("-l")
                .arg(pg.join("server.log"))
                .args(["-w", "-t", "60", "-o", &options, "start"]),
            "pg_ctl start",
        );
        b.psql("postgres", "create database tansu");
        b.psql("tansu", SCHEMA);
        b.start_broker();
        b
    }

    /// Runs SQL (given on stdin, so `postgres` need not read our files).
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let mut child = self
            .user
            .command(&self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.pg_port.to_string()])
            .args(["-U", "postgres", "-d", db])
            .args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-f", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run psql");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("psql stdin");
            stdin.write_all(sql.as_bytes()).expect("write to psql");
        }
        let out = child.wait_with_output().expect("psql");
        assert!(
            out.status.success(),
            "psql -d {db}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn brokers(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn storage_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/tansu", self.pg_port)
    }

    /// Starts tansu on the broker's port and storage (again, after `stop_broker`).
    pub fn start_broker(&mut self) {
        assert!(self.tansu.is_none(), "tansu is already running");
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("tansu log");
        let child = Command::new("tansu")
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args(["--storage-engine", &self.storage_url()])
            .stdout(log.try_clone().expect("tansu log"))
            .stderr(log)
            .spawn()
            .expect("start tansu");
        self.tansu = Some(child);
        assert!(
            wait_port(self.port, Duration::from_secs(20)),
            "tansu did not listen on {}:\n{}",
            self.port,
            self.log_tail(40)
        );
    }

    /// SIGTERM, then waits until the process is gone and the port refuses connections.
    pub fn stop_broker(&mut self) {
        let mut child = self.tansu.take().expect("tansu is running");
        signal(child.id(), "TERM");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("tansu did not exit within 20 s of SIGTERM");
                }
            }
        }
        assert!(
            TcpStream::connect(("127.0.0.1", self.port)).is_err(),
            "port {} still accepts connections after tansu exited",
            self.port
        );
    }

    pub fn broker_running(&self) -> bool {
        self.tansu.is_some()
    }

    /// Records stored for a topic's partitions, read from PostgreSQL itself.
    pub fn stored_records(&self, topic: &str) -> u64 {
        let sql = format!(
            "select count(*) from record r join topition tp on tp.id = r.topition \
             join topic t on t.id = tp.topic where t.name = '{}'",
            topic.replace('\'', "''")
        );
        self.psql("tansu", &sql).trim().parse().unwrap_or(0)
    }

    /// PostgreSQL's clock, for [`DurableBroker::records_and_keys`].
    pub fn now(&self) -> String {
        self.psql("tansu", "select now()").trim().to_owned()
    }

    /// Records of `topic` stored before `before` (a [`DurableBroker::now`]), and how many
    /// distinct (partition, key) they hold: equal once the topic is compacted.
    pub fn records_and_keys(&self, topic: &str, before: &str) -> (u64, u64) {
        let sql = format!(
            "select count(*), count(distinct (r.topition, r.k)) from record r \
             join topition tp on tp.id = r.topition join topic t on t.id = tp.topic \
             where t.name = '{}' and r.created_at < '{}'",
            topic.replace('\'', "''"),
            before.replace('\'', "''")
        );
        let out = self.psql("tansu", &sql);
        let mut n = out.trim().split('|').map(|x| x.parse().unwrap_or(0));
        (n.next().unwrap_or(0), n.next().unwrap_or(0))
    }

    pub fn log_tail(&self, n: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for DurableBroker {
    fn drop(&mut self) {
        if let Some(mut c) = self.tansu.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = self
            .user
            .command(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // Should pg_ctl fail, the server must not outlive the test all the same.
        if let Ok(pid) = std::fs::read_to_string(self.data.join("postmaster.pid")) {
            if let Some(pid) = pid.lines().next() {
                let _ = Command::new("kill").args(["-KILL", pid]).status();
            }
        }
        if std::thread::panicking() {
            eprintln!("--- tansu log (last lines) ---\n{}", self.log_tail(40));
        }
    }
}
