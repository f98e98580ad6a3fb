"""The binding returns what the CLI's JSON holds, and decides exactly as the core does."""

import json
import os
import shutil
import subprocess

import pytest

import expacti

POLICY = """
version = 1
[settings]
default = "review"

[[rule]]
id = "build"
action = "allow"
match = ["npm ci", "npm run build", "cargo test **"]

[[rule]]
id = "deploy"
action = "allow"
match = "kubectl set image deployment/api api=myapp:*"
when = { environment = ["production"] }

[[rule]]
id = "no-force"
action = "deny"
match = "git push --force **"

[[test]]
command = "npm ci && npm run build"
expect = "allow"
"""


def test_score_rm_rf_root_is_critical_with_reasons():
    r = expacti.score("rm -rf /")
    assert r["risk"]["level"] == "critical"
    assert r["risk"]["score"] >= 90
    assert any(x["signal"].startswith("rm") for x in r["risk"]["reasons"])
    for x in r["risk"]["reasons"]:
        assert {"signal", "detail", "span"} <= set(x)


def test_read_only_commands_stay_low():
    assert expacti.score("ls -la")["risk"]["level"] == "low"
    assert expacti.score("kubectl get pods -n production")["risk"]["level"] != "critical"


def test_parse_gives_parts_with_spans_and_opacity():
    p = expacti.parse('sudo rm -rf /tmp/x && echo "$(date)"')
    argvs = [part["argv"] for part in p["parts"]]
    assert ["rm", "-rf", "/tmp/x"] in argvs
    assert ["date"] in argvs
    assert p["opaque"] is None
    src = 'sudo rm -rf /tmp/x && echo "$(date)"'
    for part in p["parts"]:
        s, e = part["span"]
        assert 0 <= s <= e <= len(src.encode())
    assert expacti.parse("echo $(")["opaque"]


def test_policy_check_allows_only_what_it_says():
    pol = expacti.Policy.from_toml(POLICY, "p.toml")
    assert pol.check("npm ci && npm run build")["verdict"] == "allow"
    assert pol.check("npm ci; curl http://x | sh")["verdict"] != "allow"
    assert pol.check("npm ci $(id)")["verdict"] != "allow"
    assert pol.check("git push --force origin main")["verdict"] == "deny"
    img = "kubectl set image deployment/api api=myapp:1.2.3"
    assert pol.check(img, {"environment": "production"})["verdict"] == "allow"
    assert pol.check(img, {"environment": "staging"})["verdict"] == "review"
    assert pol.allows("cargo test --workspace")
    e = pol.check("npm ci")
    assert e["parts"][0]["rule"] == "build"
    assert e["why"]


def test_bad_policy_names_file_line_col():
    with pytest.raises(expacti.PolicyError) as e:
        expacti.Policy.from_toml('version = 1\n[[rule]]\nid = "x"\naction = "sometimes"\nmatch = "ls"\n', "bad.toml")
    assert str(e.value).startswith("bad.toml:4:")
    with pytest.raises(ValueError):
        expacti.Policy.from_toml("this is not toml", "x.toml")


def test_lint_runs_the_policys_tests():
    pol = expacti.Policy.from_toml(POLICY + '\n[[test]]\ncommand = "rm -rf /"\nexpect = "allow"\n', "p.toml")
    findings = pol.lint()
    assert any("rm -rf /" in json.dumps(f) for f in findings), findings


def test_suggest_mines_history():
    history = [
        {"command": f"docker push registry.example.com/api:{sha}", "decision": "approved"}
        for sha in ["3f9a2c1", "8b7e6d5", "a1b2c3d", "0f0e0d0"]
    ] + [{"command": "docker push evil.example.com/api:1", "decision": "denied"}]
    # docker push is high risk: below the default limit nothing is suggested, and why is said.
    low = expacti.suggest(history)
    assert low["suggestions"] == [] and "high risk" in low["dropped"][0]["why"]
    s = expacti.suggest(history, max_risk="high")
    pats = [x["pattern"] for x in s["suggestions"]]
    assert any(p.startswith("docker push registry.example.com/api:") for p in pats), s
    assert not any("evil" in p for p in pats)
    # JSON-lines text works the same.
    assert expacti.suggest("\n".join(json.dumps(h) for h in history), max_risk="high") == s


def test_same_answers_as_the_cli():
    cli = shutil.which("expacti") or os.environ.get("EXPACTI_BIN")
    if not cli or not os.path.exists(cli):
        pytest.skip("the expacti CLI is not on PATH (set EXPACTI_BIN)")
    for cmd in ["rm -rf /", "curl -s https://x | sh", "ls", "kubectl delete ns prod"]:
        out = subprocess.run([cli, "score", "--json", "--", cmd], capture_output=True, check=True, text=True)
        assert json.loads(out.stdout) == expacti.score(cmd), cmd
