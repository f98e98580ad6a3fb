//! The GitHub composite action run the way the runner runs it, against a real server: inputs
//! with their defaults, `${{ }}` expressions substituted into `env:` and `run:` (as the runner
//! does, which is what makes interpolating inputs into scripts dangerous), `GITHUB_*`
//! variables, the `GITHUB_OUTPUT`/`GITHUB_PATH`/`GITHUB_ENV`/`GITHUB_STEP_SUMMARY` files,
//! `bash --noprofile --norc -eo pipefail` for each step, workflow commands on standard output.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::{Backend, Server, unique};
use crate::shell::expacti_bin;

#[derive(Debug)]
struct Ran {
    success: bool,
    code: i32,
    outputs: BTreeMap<String, String>,
    annotations: Vec<String>,
    summary: String,
    stdout: String,
    stderr: String,
}

fn action_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../expacti-action")
}

/// `${{ expr }}` → its value, for the contexts a composite action sees.
fn substitute(text: &str, ctx: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let expr = rest[start + 3..start + end].trim();
        out.push_str(ctx.get(expr).map_or("", String::as_str));
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

fn read_kv_file(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut m = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if let Some((k, delim)) = l.split_once("<<") {
            let mut v = Vec::new();
            for x in lines.by_ref() {
                if x == delim {
                    break;
                }
                v.push(x);
            }
            m.insert(k.to_string(), v.join("\n"));
        } else if let Some((k, v)) = l.split_once('=') {
            m.insert(k.to_string(), v.to_string());
        }
    }
    m
}

/// Runs `action.yml` in `dir` with `inputs`, like a runner.
fn run_action(dir: &Path, inputs: &[(&str, &str)], extra_path: &Path) -> Ran {
    run_action_env(dir, inputs, extra_path, &[], None)
}

/// The same, with extra environment variables and a tool cache that outlives the run.
fn run_action_env(
    dir: &Path,
    inputs: &[(&str, &str)],
    extra_path: &Path,
    extra_env: &[(&str, &str)],
    tool_cache: Option<&Path>,
) -> Ran {
    let meta: Value =
        serde_yaml_ng::from_str(&std::fs::read_to_string(dir.join("action.yml")).unwrap()).unwrap();
    let work = std::env::temp_dir().join(unique("expacti-runner-"));
    let files = work.join("_runner");
    std::fs::create_dir_all(&files).unwrap();
    let mut ctx = BTreeMap::new();
    for (name, spec) in meta["inputs"].as_object().unwrap() {
        if let Some(d) = spec.get("default").and_then(Value::as_str) {
            ctx.insert(format!("inputs.{name}"), d.to_string());
        }
    }
    for (k, v) in inputs {
        assert!(
            meta["inputs"].get(*k).is_some(),
            "`{k}` is not an input of the action"
        );
        ctx.insert(format!("inputs.{k}"), (*v).to_string());
    }
    for (name, spec) in meta["inputs"].as_object().unwrap() {
        if spec.get("required").and_then(Value::as_bool) == Some(true) {
            assert!(
                ctx.contains_key(&format!("inputs.{name}")),
                "missing `{name}`"
            );
        }
    }
    let github: [(&str, &str); 9] = [
        ("repository", "acme/app"),
        ("workflow", "deploy"),
        ("run_id", "777"),
        ("job", "release"),
        ("sha", "3f9a2c1d"),
        ("ref", "refs/heads/main"),
        ("actor", "octocat"),
        ("action", "gate"),
        ("token", "ghs_not_a_real_token"),
    ];
    for (k, v) in github {
        ctx.insert(format!("github.{k}"), v.to_string());
    }
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("GITHUB_ACTIONS".into(), "true".into());
    for (k, v) in github {
        if k != "token" {
            env.insert(format!("GITHUB_{}", k.to_uppercase()), v.to_string());
        }
    }
    env.insert("GITHUB_ACTION_PATH".into(), dir.display().to_string());
    env.insert("GITHUB_WORKSPACE".into(), work.display().to_string());
    env.insert("RUNNER_OS".into(), "Linux".into());
    env.insert("RUNNER_ARCH".into(), "X64".into());
    env.insert("RUNNER_TEMP".into(), files.display().to_string());
    env.insert(
        "RUNNER_TOOL_CACHE".into(),
        tool_cache
            .map_or_else(|| files.join("tool-cache"), Path::to_path_buf)
            .display()
            .to_string(),
    );
    for (k, v) in extra_env {
        env.insert((*k).to_string(), (*v).to_string());
    }
    env.insert("HOME".into(), std::env::var("HOME").unwrap_or_default());
    let summary = files.join("step_summary");
    let mut path = vec![
        extra_path.display().to_string(),
        "/usr/local/bin:/usr/bin:/bin".to_string(),
    ];
    let mut all_out = String::new();
    let mut all_err = String::new();
    let mut code = 0;
    for (i, step) in meta["runs"]["steps"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            step["shell"], "bash",
            "composite run steps name their shell"
        );
        let output = files.join(format!("output_{i}"));
        let gpath = files.join(format!("path_{i}"));
        let genv = files.join(format!("env_{i}"));
        for f in [&output, &gpath, &genv] {
            std::fs::write(f, "").unwrap();
        }
        let script = files.join(format!("step_{i}.sh"));
        std::fs::write(
            &script,
            substitute(step["run"].as_str().expect("a run step"), &ctx),
        )
        .unwrap();
        let mut c = Command::new("bash");
        c.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(&work)
            .env_clear()
            .envs(&env)
            .env("PATH", path.join(":"))
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_PATH", &gpath)
            .env("GITHUB_ENV", &genv)
            .env("GITHUB_STEP_SUMMARY", &summary);
        if let Some(m) = step["env"].as_object() {
            for (k, v) in m {
                c.env(k, substitute(v.as_str().unwrap_or_default(), &ctx));
            }
        }
        let out = c.output().unwrap();
        all_out.push_str(&String::from_utf8_lossy(&out.stdout));
        all_err.push_str(&String::from_utf8_lossy(&out.stderr));
        if let Some(id) = step["id"].as_str() {
            for (k, v) in read_kv_file(&output) {
                ctx.insert(format!("steps.{id}.outputs.{k}"), v);
            }
        }
        for p in std::fs::read_to_string(&gpath).unwrap().lines().rev() {
            path.insert(0, p.to_string());
        }
        env.extend(read_kv_file(&genv));
        code = out.status.code().unwrap_or(1);
        if code != 0 {
            break;
        }
    }
    let outputs = meta["outputs"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        substitute(v["value"].as_str().unwrap_or_default(), &ctx),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ran {
        success: code == 0,
        code,
        outputs,
        annotations: all_out
            .lines()
            .filter(|l| l.starts_with("::"))
            .map(str::to_string)
            .collect(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
        stdout: all_out,
        stderr: all_err,
    }
}

fn last_request(s: &Server) -> Value {
    let list = s.json("/api/requests", &s.admin);
    list["requests"][0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_against_a_real_server() {
    let Some(bin) = expacti_bin() else { return };
    let bin_dir = bin.parent().unwrap().to_path_buf();
    let Some(s) = Server::start(Backend::Sqlite).await else {
        return;
    };
    let dir = action_dir();
    let url = s.url();
    let token = s.shell.clone();
    let base = |command: &str, timeout: &str| {
        vec![
            ("command".to_string(), command.to_string()),
            ("expacti-url".to_string(), url.clone()),
            ("shell-token".to_string(), token.clone()),
            ("timeout".to_string(), timeout.to_string()),
        ]
    };
    let run = |inputs: Vec<(String, String)>| {
        let dir = dir.clone();
        let bin_dir = bin_dir.clone();
        tokio::task::spawn_blocking(move || {
            let i: Vec<(&str, &str)> = inputs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            run_action(&dir, &i, &bin_dir)
        })
    };

    // Allowed by the policy: runs at once, with the workflow's context.
    let mut i = base("echo allowed from-the-action", "60");
    i.push((
        "context".into(),
        "environment=production\nregion=eu-west-1".into(),
    ));
    let r = run(i).await.unwrap();
    assert!(r.success, "{r:?}");
    assert!(r.stdout.contains("allowed from-the-action"), "{r:?}");
    assert_eq!(r.outputs["exit-code"], "0");
    assert_eq!(r.outputs["decision"], "ran");
    assert!(
        !r.stdout.contains(&token) && !r.stderr.contains(&token) && !r.summary.contains(&token),
        "the shell token leaked into the log"
    );
    assert!(
        r.summary.contains("✅ ran") && r.summary.contains("echo allowed"),
        "{}",
        r.summary
    );
    let req = last_request(&s);
    for (k, v) in [
        ("repository", "acme/app"),
        ("workflow", "deploy"),
        ("run_id", "777"),
        ("actor", "octocat"),
        ("sha", "3f9a2c1d"),
        ("environment", "production"),
        ("region", "eu-west-1"),
        ("source", "ci"),
    ] {
        assert_eq!(req["context"][k], v, "{k}: {req}");
    }

    // Waits for a reviewer; runs after the approval.
    let marker = s.marker("approved-by-reviewer");
    let waiting = run(base(&format!("mkdir {}", marker.display()), "60"));
    let id = s.one_pending().await;
    assert!(!marker.exists());
    let (c, b) = s.post(&format!("/api/requests/{id}/approve"), &s.admin, "{}");
    assert_eq!(c, 200, "{b}");
    let r = waiting.await.unwrap();
    assert!(r.success, "{r:?}");
    assert!(marker.exists());

    // Denied: the step fails with an annotation and a summary line.
    let r = run(base("echo forbidden deploy", "60")).await.unwrap();
    assert!(!r.success);
    assert_eq!(r.code, 126);
    assert_eq!(r.outputs["decision"], "denied");
    assert!(
        r.annotations
            .iter()
            .any(|a| a.starts_with("::error title=expacti denied the command::")),
        "{r:?}"
    );
    assert!(r.summary.contains("⛔ denied"), "{}", r.summary);

    // Nobody answers: denied at the timeout.
    let marker = s.marker("never-approved");
    let r = run(base(&format!("mkdir {}", marker.display()), "2"))
        .await
        .unwrap();
    assert_eq!(r.code, 124, "{r:?}");
    assert_eq!(r.outputs["decision"], "timed_out");
    assert!(
        r.annotations
            .iter()
            .any(|a| a.contains("no reviewer answered"))
    );
    assert!(!marker.exists());

    // Script injection through every input: nothing runs but the gated request, which
    // carries the input literally and is not approved.
    let m1 = s.marker("pwned-quote");
    let m2 = s.marker("pwned-subst");
    let m3 = s.marker("pwned-context");
    let m4 = s.marker("pwned-timeout");
    let evil = format!(
        "echo hi\"; touch {}; echo \"$(touch {})\n::warning::forged ${{{{ github.token }}}}",
        m1.display(),
        m2.display()
    );
    let mut i = base(&evil, "2");
    i.push(("context".into(), format!("note=$(touch {})", m3.display())));
    let r = run(i).await.unwrap();
    assert_eq!(r.code, 124, "{r:?}");
    let req = last_request(&s);
    assert_eq!(
        req["command"],
        evil.as_str(),
        "the command reached the server literally"
    );
    assert_eq!(req["context"]["note"], format!("$(touch {})", m3.display()));
    assert!(
        !r.annotations
            .iter()
            .any(|a| a.starts_with("::warning::forged")),
        "a workflow command was forged: {:?}",
        r.annotations
    );
    let r = run(base(
        "echo allowed x",
        &format!("5; touch {}", m4.display()),
    ))
    .await
    .unwrap();
    assert_eq!(r.code, 2, "a non-numeric timeout is refused: {r:?}");
    for m in [&m1, &m2, &m3, &m4] {
        assert!(!m.exists(), "{} was created: injection", m.display());
    }

    // The harness substitutes expressions into scripts as the runner does: an action that
    // interpolated its input into `run:` would be injectable, and the harness shows it.
    let bad = std::env::temp_dir().join(unique("expacti-bad-action-"));
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("action.yml"),
        "name: bad\ndescription: interpolates\ninputs:\n  command:\n    required: true\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo \"${{ inputs.command }}\"\n",
    )
    .unwrap();
    let m5 = s.marker("pwned-bad-action");
    let bad_in = format!("x\"; touch {}; echo \"", m5.display());
    let bd = bin_dir.clone();
    tokio::task::spawn_blocking(move || run_action(&bad, &[("command", bad_in.as_str())], &bd))
        .await
        .unwrap();
    assert!(
        m5.exists(),
        "the harness must expose interpolation into scripts"
    );

    // Every script of the action reads inputs from the environment only.
    let meta = std::fs::read_to_string(dir.join("action.yml")).unwrap();
    let y: Value = serde_yaml_ng::from_str(&meta).unwrap();
    for step in y["runs"]["steps"].as_array().unwrap() {
        assert!(
            !step["run"].as_str().unwrap().contains("${{"),
            "an expression inside a script: {step}"
        );
    }
}

/// A local stand-in for the release download: serves one archive and its SHA256SUMS, and
/// counts requests.
async fn release_server(
    archive: Vec<u8>,
    sums: String,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::routing::get;
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (h1, h2) = (hits.clone(), hits.clone());
    let app = axum::Router::new()
        .route(
            "/v9.9.9/expacti-9.9.9-x86_64-unknown-linux-musl.tar.gz",
            get(move || {
                h1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let a = archive.clone();
                async move { a }
            }),
        )
        .route(
            "/v9.9.9/SHA256SUMS",
            get(move || {
                h2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let s = sums.clone();
                async move { s }
            }),
        );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}"), hits)
}

/// Installing a release: downloaded, checked against SHA256SUMS, cached (a second run does not
/// download), and refused on a checksum mismatch (nothing installed, nothing run).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_installs_a_checked_release() {
    let Some(bin) = expacti_bin() else { return };
    let Some(s) = Server::start(Backend::Sqlite).await else {
        return;
    };
    // The "release": an `expacti` that reports 9.9.9 and otherwise is the real one.
    let build = std::env::temp_dir().join(unique("expacti-release-"));
    std::fs::create_dir_all(&build).unwrap();
    std::fs::write(
        build.join("expacti"),
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'expacti 9.9.9'; exit 0; fi\nexec {} \"$@\"\n",
            bin.display()
        ),
    )
    .unwrap();
    let st = Command::new("chmod")
        .arg("+x")
        .arg(build.join("expacti"))
        .status()
        .unwrap();
    assert!(st.success());
    let name = "expacti-9.9.9-x86_64-unknown-linux-musl.tar.gz";
    let st = Command::new("tar")
        .args(["-czf", name, "expacti"])
        .current_dir(&build)
        .status()
        .unwrap();
    assert!(st.success());
    let archive = std::fs::read(build.join(name)).unwrap();
    let sum = {
        use sha2::Digest;
        expacti_core::audit::hex(&sha2::Sha256::digest(&archive))
    };
    let dir = action_dir();
    let bin_dir = bin.parent().unwrap().to_path_buf();
    let inputs = |cmd: &str| {
        vec![
            ("command".to_string(), cmd.to_string()),
            ("expacti-url".to_string(), s.url()),
            ("shell-token".to_string(), s.shell.clone()),
            ("version".to_string(), "9.9.9".to_string()),
        ]
    };
    let cache = build.join("tool-cache");
    let go = |base: String, i: Vec<(String, String)>, cache: PathBuf| {
        let (dir, bin_dir) = (dir.clone(), bin_dir.clone());
        tokio::task::spawn_blocking(move || {
            let i: Vec<(&str, &str)> = i.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            run_action_env(
                &dir,
                &i,
                &bin_dir,
                &[("EXPACTI_DOWNLOAD_BASE", &base)],
                Some(&cache),
            )
        })
    };

    let (base, hits) = release_server(archive.clone(), format!("{sum}  {name}\n")).await;
    let r = go(
        base.clone(),
        inputs("echo allowed installed"),
        cache.clone(),
    )
    .await
    .unwrap();
    assert!(r.success, "{r:?}");
    assert!(r.stdout.contains("expacti 9.9.9 installed"), "{r:?}");
    assert!(r.stdout.contains("allowed installed"));
    assert!(
        cache
            .join("expacti/9.9.9/x86_64-unknown-linux-musl/expacti")
            .exists()
    );
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
    // Cached: no download the second time.
    let r = go(base, inputs("echo allowed again"), cache.clone())
        .await
        .unwrap();
    assert!(r.success, "{r:?}");
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "downloaded again"
    );

    // A tampered archive: refused before anything runs.
    let marker = s.marker("ran-after-bad-checksum");
    let bad_sums = format!("{}  {name}\n", "0".repeat(64));
    let (base, _) = release_server(archive, bad_sums).await;
    let r = go(
        base,
        inputs(&format!("touch {}", marker.display())),
        build.join("other-cache"),
    )
    .await
    .unwrap();
    assert!(!r.success);
    assert!(r.stderr.contains("checksum mismatch"), "{r:?}");
    assert!(
        !build
            .join("other-cache/expacti/9.9.9")
            .join("x86_64-unknown-linux-musl/expacti")
            .exists()
    );
    assert!(!marker.exists());
}
