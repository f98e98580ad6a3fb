//! Starts the real `expacti-server` binary on a loopback port, on SQLite in a temporary data
//! directory or on a fresh PostgreSQL database, and talks to it over HTTP and WebSocket.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value;

pub const POLICY: &str = r#"
version = 1
[settings]
default = "review"
timeout = "10m"
deny_at = "critical"

[[rule]]
id = "markers"
action = "allow"
match = ["touch *", "echo allowed **"]

[[rule]]
id = "two-person"
action = "review"
match = "mkdir */two-*"
approvals = 2

[[rule]]
id = "lenient"
action = "review"
match = "mkdir */lenient-*"
on_timeout = "approve"

[[rule]]
id = "forbidden"
action = "deny"
match = "echo forbidden **"
"#;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    )
}

/// The PostgreSQL server tests use: `EXPACTI_TEST_POSTGRES` or the machine's local one.
fn pg_base() -> String {
    std::env::var("EXPACTI_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_string())
}

/// A fresh PostgreSQL database URL, or `None` (with a loud message) when there is no
/// PostgreSQL; `EXPACTI_REQUIRE_POSTGRES=1` (set by `.ci/run`) makes that a failure.
pub async fn pg_database() -> Option<String> {
    let admin = format!("{}/test", pg_base());
    let name = unique("expacti_it_");
    sqlx::any::install_default_drivers();
    let res = async {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        Ok::<_, sqlx::Error>(())
    }
    .await;
    match res {
        Ok(()) => Some(format!("{}/{name}", pg_base())),
        Err(e) => {
            if std::env::var("EXPACTI_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!(
                    "PostgreSQL is required (EXPACTI_REQUIRE_POSTGRES=1) but {admin} failed: {e}"
                );
            }
            let msg = format!(
                "SKIPPED: PostgreSQL tests: cannot reach {admin} ({e}); set EXPACTI_TEST_POSTGRES"
            );
            eprintln!("{msg}");
            // Past the test harness's output capture, so it is seen.
            if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
                let _ = writeln!(tty, "{msg}");
            }
            None
        }
    }
}

pub struct Server {
    pub child: Child,
    pub addr: String,
    pub data: PathBuf,
    pub database: Option<String>,
    pub policy: PathBuf,
    pub admin: String,
    pub shell: String,
    pub notify: Option<PathBuf>,
    /// Extra `serve` arguments.
    pub args: Vec<String>,
    /// A replica shares another server's storage: dropping it removes nothing.
    pub replica: bool,
}

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_expacti-server"))
}

impl Server {
    /// Starts a server on a fresh database; `None` when the backend is not available here.
    pub async fn start(backend: Backend) -> Option<Server> {
        Server::start_with(backend, None).await
    }

    /// Starts a server with a notification settings file.
    pub async fn start_with(backend: Backend, notify: Option<&str>) -> Option<Server> {
        Server::start_full(backend, notify, POLICY).await
    }

    /// Starts a server with notification settings and a policy of its own.
    pub async fn start_full(
        backend: Backend,
        notify: Option<&str>,
        policy_text: &str,
    ) -> Option<Server> {
        Server::start_args(backend, notify, policy_text, &[]).await
    }

    /// Starts a server on a given PostgreSQL database URL (one the test made, perhaps through
    /// a proxy).
    pub async fn start_on(database: &str, policy_text: &str, args: &[&str]) -> Server {
        Server::launch(Some(database.to_string()), None, policy_text, args)
    }

    /// Starts a server with extra `serve` arguments.
    pub async fn start_args(
        backend: Backend,
        notify: Option<&str>,
        policy_text: &str,
        args: &[&str],
    ) -> Option<Server> {
        let database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(pg_database().await?),
        };
        Some(Server::launch(database, notify, policy_text, args))
    }

    /// A fresh data directory with the policy (and notification settings), the server started
    /// on it, an admin API token and a shell token.
    fn launch(
        database: Option<String>,
        notify: Option<&str>,
        policy_text: &str,
        args: &[&str],
    ) -> Server {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let data = std::env::temp_dir().join(unique("expacti-it-"));
        std::fs::create_dir_all(&data).unwrap();
        let policy = data.join("policy.toml");
        std::fs::write(&policy, policy_text).unwrap();
        let notify_file = notify.map(|text| {
            let p = data.join("notify.toml");
            std::fs::write(&p, text).unwrap();
            p
        });
        let (child, addr) = spawn(
            &data,
            database.as_deref(),
            &policy,
            "127.0.0.1:0",
            notify_file.as_deref(),
            &args,
        );
        let mut s = Server {
            child,
            addr,
            data,
            database,
            policy,
            admin: String::new(),
            shell: String::new(),
            notify: notify_file,
            args,
            replica: false,
        };
        s.admin = s.admin_cmd(&["reviewer", "token", "create", "--name", "admin"]);
        s.shell = s.admin_cmd(&["token", "create", "--name", "ci"]);
        s
    }

    /// Runs an admin command against the same storage; returns its standard output.
    pub fn admin_cmd(&self, args: &[&str]) -> String {
        let mut c = bin();
        c.args(args).arg("--data").arg(&self.data);
        if let Some(db) = &self.database {
            c.arg("--database").arg(db);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// Adds a reviewer with an API token.
    pub fn reviewer(&self, name: &str, role: &str) -> String {
        self.admin_cmd(&["reviewer", "add", "--name", name, "--role", role]);
        self.admin_cmd(&["reviewer", "token", "create", "--name", name])
    }

    /// `kill -9` and start again on the same storage (a new port).
    pub fn crash_and_restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let (child, addr) = spawn(
            &self.data,
            self.database.as_deref(),
            &self.policy,
            "127.0.0.1:0",
            self.notify.as_deref(),
            &self.args,
        );
        self.child = child;
        self.addr = addr;
    }

    /// `kill -9` only; [`Server::restart`] starts it again.
    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Starts the killed server again on the same storage and the same port, so waiting
    /// shells reconnect to the address they know.
    pub fn restart(&mut self) {
        let (child, addr) = spawn(
            &self.data,
            self.database.as_deref(),
            &self.policy,
            &self.addr,
            self.notify.as_deref(),
            &self.args,
        );
        self.child = child;
        self.addr = addr;
    }

    /// Another replica on the same database and data directory (keys), on its own port.
    pub fn replica(&self) -> Server {
        let (child, addr) = spawn(
            &self.data,
            self.database.as_deref(),
            &self.policy,
            "127.0.0.1:0",
            self.notify.as_deref(),
            &self.args,
        );
        Server {
            child,
            addr,
            data: self.data.clone(),
            database: self.database.clone(),
            policy: self.policy.clone(),
            admin: self.admin.clone(),
            shell: self.shell.clone(),
            notify: self.notify.clone(),
            args: self.args.clone(),
            replica: true,
        }
    }

    /// A Prometheus counter or gauge from `/metrics`.
    pub fn metric(&self, name: &str) -> f64 {
        let (_, body) = self.get("/metrics", "");
        body.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or(0.0)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws/shell", self.addr)
    }

    pub fn get(&self, path: &str, token: &str) -> (u16, String) {
        http(&self.addr, "GET", path, Some(token), None)
    }

    pub fn post(&self, path: &str, token: &str, body: &str) -> (u16, String) {
        http(&self.addr, "POST", path, Some(token), Some(body))
    }

    pub fn json(&self, path: &str, token: &str) -> Value {
        let (s, b) = self.get(path, token);
        assert_eq!(s, 200, "{path}: {b}");
        serde_json::from_str(&b).unwrap()
    }

    /// The ids of pending requests.
    pub fn pending(&self) -> Vec<String> {
        self.json("/api/requests?state=pending", &self.admin)["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    }

    /// Waits until exactly one request is pending and returns its id.
    pub async fn one_pending(&self) -> String {
        for _ in 0..200 {
            let p = self.pending();
            if p.len() == 1 {
                return p[0].clone();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("no single pending request: {:?}", self.pending());
    }

    pub fn marker(&self, name: &str) -> PathBuf {
        self.data.join(name)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.replica {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.data);
        if let Some(url) = self.database.take() {
            // Drop the test's database, on a thread with its own runtime (Drop may run inside
            // the test's runtime).
            let name = url.rsplit('/').next().unwrap_or_default().to_string();
            let admin = format!("{}/test", pg_base());
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .ok()?;
                rt.block_on(async {
                    let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                        .await
                        .ok()?;
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .execute(&mut c)
                    .await
                    .ok()
                })
            })
            .join();
        }
    }
}

fn spawn(
    data: &Path,
    database: Option<&str>,
    policy: &Path,
    listen: &str,
    notify: Option<&Path>,
    args: &[String],
) -> (Child, String) {
    // A port just freed by a killed server may take a moment to bind again.
    for _ in 0..50 {
        if let Some(r) = try_spawn(data, database, policy, listen, notify, args) {
            return r;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server did not start on {listen}");
}

fn try_spawn(
    data: &Path,
    database: Option<&str>,
    policy: &Path,
    listen: &str,
    notify: Option<&Path>,
    args: &[String],
) -> Option<(Child, String)> {
    let mut c = bin();
    c.args(["serve", "--listen", listen, "--policy"])
        .arg(policy)
        .arg("--data")
        .arg(data)
        .env("EXPACTI_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(db) = database {
        c.arg("--database").arg(db);
    }
    if let Some(n) = notify {
        c.arg("--notify").arg(n);
    }
    c.args(args);
    let mut child = c.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let Some(addr) = line.trim().strip_prefix("listening on http://") else {
        let _ = child.kill();
        let _ = child.wait();
        if listen.ends_with(":0") {
            panic!("unexpected first line: {line:?}");
        }
        return None;
    };
    let addr = addr.to_string();
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = out.read_to_end(&mut sink);
    });
    Some((child, addr))
}

/// A raw HTTP/1.1 exchange: the request's extra header lines and body; the whole response
/// (status line, headers, body) as text.
pub fn raw(addr: &str, method: &str, path: &str, headers: &str, body: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n{headers}\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    String::from_utf8_lossy(&resp).to_string()
}

/// A minimal HTTP/1.1 client (one request per connection).
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let body = body.unwrap_or("");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if method == "POST" {
        req.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8_lossy(&resp).to_string();
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].strip_prefix("\r\n").unwrap_or(&rest[n..]);
    }
    out
}
