//! The dashboard in a real headless Chromium (`tests/browser/dashboard.mjs`, playwright-core):
//! log in, see a request arrive live, open it, approve it and see the waiting `expacti run`
//! finish; deny with the keyboard; a viewer cannot approve; CSRF-less POSTs are refused;
//! screenshots of the main pages at 390 px and 1280 px in `target/tmp/screenshots/`.
//!
//! Needs Debian's `chromium` and `npm ci` in `tests/browser`; without them the test says
//! SKIPPED loudly, and `EXPACTI_REQUIRE_BROWSER=1` (set by `.ci/run`) makes that a failure.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use expacti_client::run::{DENIED, RunOptions, run};

use crate::harness::{Backend, Server, bin};

fn skip(why: &str) -> bool {
    if std::env::var("EXPACTI_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!("the browser test is required (EXPACTI_REQUIRE_BROWSER=1) but {why}");
    }
    let msg = format!("SKIPPED: dashboard browser test: {why}");
    eprintln!("{msg}");
    if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        let _ = writeln!(tty, "{msg}");
    }
    true
}

fn add_reviewer(s: &Server, name: &str, role: &str, password: &str) {
    let mut c = bin();
    c.args([
        "reviewer",
        "add",
        "--name",
        name,
        "--role",
        role,
        "--password-stdin",
        "--data",
    ])
    .arg(&s.data)
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{password}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn spawn_run(s: &Server, command: String) -> tokio::task::JoinHandle<i32> {
    let opts = RunOptions {
        url: s.url(),
        token: s.shell.clone(),
        timeout: Duration::from_secs(60),
        context: BTreeMap::from([
            ("source".to_string(), "ci".to_string()),
            ("repository".to_string(), "acme/app".to_string()),
            ("run_id".to_string(), "4242".to_string()),
            ("workflow".to_string(), "deploy".to_string()),
            ("actor".to_string(), "octocat".to_string()),
            ("environment".to_string(), "staging".to_string()),
        ]),
        command,
        request_id: None,
    };
    tokio::spawn(async move {
        let mut err: Vec<u8> = Vec::new();
        run(&opts, &mut err).await
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_in_chromium() {
    let browser_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("EXPACTI_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        skip(&format!("{chromium} is missing (apt-get install chromium)"));
        return;
    }
    if !browser_dir.join("node_modules/playwright-core").exists() {
        skip("playwright-core is not installed (npm ci --prefix expacti-server/tests/browser)");
        return;
    }
    let Some(s) = Server::start(Backend::Sqlite).await else {
        return;
    };
    add_reviewer(&s, "alice", "reviewer", "alice-password-1");
    add_reviewer(&s, "vera", "viewer", "vera-password-1");
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut node = Command::new("node")
        .arg(browser_dir.join("dashboard.mjs"))
        .current_dir(&browser_dir)
        .env("EXPACTI_BASE_URL", s.url())
        .env("EXPACTI_SCREENSHOTS", &shots)
        .env("EXPACTI_CHROMIUM", &chromium)
        .env("EXPACTI_ALICE_PASSWORD", "alice-password-1")
        .env("EXPACTI_VERA_PASSWORD", "vera-password-1")
        .env(
            "EXPACTI_ADMIN_PASSWORD",
            std::fs::read_to_string(s.data.join("initial-admin-password"))
                .unwrap()
                .trim(),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node");
    let mut to_node = node.stdin.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let out = node.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let expect = |want: &str| -> String {
        loop {
            let l = rx
                .recv_timeout(Duration::from_secs(90))
                .unwrap_or_else(|_| {
                    panic!("the browser script said nothing for 90 s (waiting for {want})")
                });
            eprintln!("browser: {l}");
            assert!(!l.starts_with("FAILED"), "{l}");
            if l.starts_with(want) {
                return l;
            }
        }
    };

    // A command that ran before, in the same run.
    let first = spawn_run(&s, "echo allowed first-step".into());
    assert_eq!(first.await.unwrap(), 0);

    expect("STEP approve");
    let dir = s.marker("approve-me");
    let waiting = spawn_run(&s, format!("mkdir {0} && chmod 777 {0}", dir.display()));
    s.one_pending().await;
    writeln!(to_node, "GO approve").unwrap();
    expect("APPROVED");
    assert_eq!(
        waiting.await.unwrap(),
        0,
        "the approved `expacti run` finished"
    );
    assert!(dir.exists());

    expect("STEP deny");
    let dir = s.marker("deny-me");
    let waiting = spawn_run(&s, format!("mkdir {}", dir.display()));
    s.one_pending().await;
    writeln!(to_node, "GO deny").unwrap();
    expect("DENIED");
    assert_eq!(waiting.await.unwrap(), DENIED);
    assert!(!dir.exists());

    expect("STEP viewer");
    let dir = s.marker("viewer-me");
    let waiting = spawn_run(&s, format!("mkdir {}", dir.display()));
    let id = s.one_pending().await;
    writeln!(to_node, "GO viewer").unwrap();
    let l = expect("STILL-PENDING");
    assert_eq!(l, format!("STILL-PENDING {id}"));
    let r = s.json(&format!("/api/requests/{id}"), &s.admin);
    assert_eq!(
        r["state"], "pending",
        "neither the viewer nor the CSRF-less POSTs decided it"
    );
    assert_eq!(
        s.post(&format!("/api/requests/{id}/deny"), &s.admin, "{}")
            .0,
        200
    );
    assert_eq!(waiting.await.unwrap(), DENIED);
    assert!(!dir.exists());

    // Three approvals of one shape: the miner suggests a rule for them.
    expect("STEP suggest");
    for n in 11..14 {
        let waiting = spawn_run(
            &s,
            format!("mkdir -p {}", s.marker(&format!("cache-{n}")).display()),
        );
        let id = s.one_pending().await;
        assert_eq!(
            s.post(&format!("/api/requests/{id}/approve"), &s.admin, "{}")
                .0,
            200
        );
        assert_eq!(waiting.await.unwrap(), 0);
    }
    writeln!(to_node, "GO suggest").unwrap();
    expect("ACCEPTED");
    let policy = std::fs::read_to_string(&s.policy).unwrap();
    assert!(
        policy.contains("# accepted from the dashboard by admin"),
        "{policy}"
    );
    let fresh = s.marker("cache-99");
    let t0 = std::time::Instant::now();
    let quick = spawn_run(&s, format!("mkdir -p {}", fresh.display()));
    assert_eq!(
        quick.await.unwrap(),
        0,
        "the accepted rule allows a new instance at once"
    );
    assert!(t0.elapsed() < Duration::from_secs(5) && fresh.exists());
    let l = expect("TOKEN ");
    let token = l.trim_start_matches("TOKEN ").to_string();
    let opts = RunOptions {
        url: s.url(),
        token,
        timeout: Duration::from_secs(5),
        context: BTreeMap::new(),
        command: "echo allowed with the new token".into(),
        request_id: None,
    };
    let mut err: Vec<u8> = Vec::new();
    assert_eq!(
        run(&opts, &mut err).await,
        0,
        "{}",
        String::from_utf8_lossy(&err)
    );

    expect("DONE");
    drop(to_node);
    assert!(node.wait().unwrap().success());
    for page in [
        "queue",
        "request",
        "history",
        "rules",
        "suggestions",
        "admin",
    ] {
        for w in [390, 1280] {
            let p = shots.join(format!("{page}-{w}.png"));
            assert!(
                p.metadata().map(|m| m.len() > 1000).unwrap_or(false),
                "{}",
                p.display()
            );
        }
    }
}
