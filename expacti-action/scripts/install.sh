#!/usr/bin/env bash
# Puts an `expacti` binary on PATH: the one already there (when no version is asked, or it
# is the asked version), else the release for this runner from the tool cache, else
# downloaded, checked against the release's SHA256SUMS, and cached. Inputs arrive only
# through the environment.
set -euo pipefail

want="${EXPACTI_VERSION:-}"
if command -v expacti >/dev/null 2>&1; then
  have=$(expacti --version 2>/dev/null | awk '{print $2}')
  if [ -z "$want" ] || [ "$have" = "$want" ]; then
    echo "expacti $have is on PATH: $(command -v expacti)"
    exit 0
  fi
fi
version="${want:-$EXPACTI_ACTION_VERSION}"
case "$version" in
  *[!0-9A-Za-z.+-]*|"") echo "::error title=expacti::version must look like 1.2.3" >&2; exit 1 ;;
esac

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  *) echo "::error title=expacti::no expacti release for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}" >&2; exit 1 ;;
esac

base="${EXPACTI_DOWNLOAD_BASE:-https://github.com/expacti/expacti/releases/download}"
cache="${RUNNER_TOOL_CACHE:-$HOME/.cache}/expacti/$version/$target"
if [ ! -x "$cache/expacti" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  archive="expacti-$version-$target.tar.gz"
  curl -fsSL --retry 3 -o "$tmp/$archive" "$base/v$version/$archive"
  curl -fsSL --retry 3 -o "$tmp/SHA256SUMS" "$base/v$version/SHA256SUMS"
  expected=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")
  actual=$(sha256sum "$tmp/$archive" 2>/dev/null | awk '{print $1}' || shasum -a 256 "$tmp/$archive" | awk '{print $1}')
  if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    echo "::error title=expacti::checksum mismatch for $archive (expected ${expected:-none}, got $actual): not installing" >&2
    exit 1
  fi
  mkdir -p "$cache"
  tar -xzf "$tmp/$archive" -C "$cache" expacti
  chmod +x "$cache/expacti"
fi
echo "$cache" >> "$GITHUB_PATH"
echo "expacti $version installed from $cache"
