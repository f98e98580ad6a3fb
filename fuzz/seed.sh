#!/usr/bin/env bash
# Seeds fuzz/corpus/parse from ../shared/corpora (one file per command), then fuzzes.
# Usage: fuzz/seed.sh [SECONDS]   (needs cargo-fuzz; stable Rust works with RUSTC_BOOTSTRAP=1)
set -euo pipefail
cd "$(dirname "$0")"
corpora=../../shared/corpora
[ -d "$corpora" ] || { echo "no corpora at $corpora" >&2; exit 1; }
mkdir -p corpus/parse
python3 - "$corpora" corpus/parse <<'PY'
import hashlib, json, os, sys
src, dst = sys.argv[1], sys.argv[2]
cmds = open(os.path.join(src, "nl2bash.txt"), encoding="utf-8").read().splitlines()
for name, field in [("gtfobins.jsonl", "code"), ("deploy_run_steps.jsonl", "command"),
                    ("deploy_ssh_action_scripts.jsonl", "command")]:
    for line in open(os.path.join(src, name), encoding="utf-8"):
        cmds.append(json.loads(line)[field])
for c in set(cmds):
    b = c.encode()
    open(os.path.join(dst, hashlib.sha1(b).hexdigest()), "wb").write(b)
print(f"seeded {len(set(cmds))} inputs")
PY
RUSTC_BOOTSTRAP=1 cargo fuzz run parse corpus/parse -- -max_total_time="${1:-180}" -max_len=4096
