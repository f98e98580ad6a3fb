#!/usr/bin/env bash
# Sends the command to expacti and runs it only when approved. The command, token and other
# inputs arrive only through the environment; nothing here evaluates them as shell text
# except `expacti run`, which runs the exact approved command.
set -uo pipefail

# Workflow commands (::error::) must not be forged by text from the command or the server.
escape() { local s=${1//%/%25}; s=${s//$'\r'/%0D}; s=${s//$'\n'/%0A}; printf '%s' "$s"; }
# A Markdown table cell showing text literally.
cell() {
  local s=${1//&/&amp;}; s=${s//</&lt;}; s=${s//>/&gt;}; s=${s//|/&#124;}; s=${s//\`/&#96;}
  s=${s//$'\r'/ }; s=${s//$'\n'/ }; printf '%s' "${s:0:300}"
}

timeout="${EXPACTI_TIMEOUT:-300}"
case "$timeout" in
  ''|*[!0-9]*) echo "::error title=expacti::timeout must be a number of seconds, not $(escape "$timeout")"; exit 2 ;;
esac
if [ -z "${EXPACTI_COMMAND:-}" ]; then
  echo "::error title=expacti::the command input is empty"
  exit 2
fi

args=(run --timeout "$timeout")
while IFS= read -r kv || [ -n "$kv" ]; do
  kv=${kv%$'\r'}
  [ -z "$kv" ] && continue
  case "$kv" in
    *=*) args+=(--context "$kv") ;;
    *) echo "::error title=expacti::context lines are KEY=VALUE, not $(escape "$kv")"; exit 2 ;;
  esac
done <<< "${EXPACTI_CONTEXT:-}"

errlog=$(mktemp)
trap 'rm -f "$errlog"' EXIT
expacti "${args[@]}" -- "$EXPACTI_COMMAND" 2> >(tee "$errlog" >&2)
code=$?
wait
why=$(grep '^expacti: ' "$errlog" | tail -1 | sed 's/^expacti: //')

case $code in
  126) decision=denied; mark="⛔ denied" ;;
  124) decision=timed_out; mark="⏱️ timed out" ;;
  125) decision=no_decision; mark="⚠️ no decision" ;;
  *) decision=ran; if [ "$code" -eq 0 ]; then mark="✅ ran"; else mark="❌ ran, exit $code"; fi ;;
esac
{
  echo "exit-code=$code"
  echo "decision=$decision"
} >> "$GITHUB_OUTPUT"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  if [ ! -s "$GITHUB_STEP_SUMMARY" ]; then
    printf '| expacti | command | why |\n|---|---|---|\n' >> "$GITHUB_STEP_SUMMARY"
  fi
  printf '| %s | <code>%s</code> | %s |\n' "$mark" "$(cell "$EXPACTI_COMMAND")" "$(cell "$why")" >> "$GITHUB_STEP_SUMMARY"
fi
case $decision in
  denied) echo "::error title=expacti denied the command::$(escape "$why")" ;;
  timed_out) echo "::error title=expacti: no reviewer answered::$(escape "$why")" ;;
  no_decision) echo "::error title=expacti could not decide::$(escape "$why")" ;;
esac
exit "$code"
