#!/usr/bin/env bash
# The action's first step: checks the inputs, then picks the version, the target triple and
# the directory the binary is cached in.
set -euo pipefail

# The message is escaped as a workflow command's (%, CR, LF), so that a value in it cannot end
# the annotation and start a command of its own.
fail() {
  local message="${1//\%/%25}"
  message="${message//$'\r'/%0D}"
  message="${message//$'\n'/%0A}"
  echo "::error title=cargo-perf-gate action::$message"
  exit 2
}

case "$INPUT_COMMAND" in
  gate | baseline) ;;
  *) fail "input command: '$INPUT_COMMAND' is not gate or baseline" ;;
esac
case "$INPUT_FAIL_ON" in
  blocking | warning | never) ;;
  *) fail "input fail-on: '$INPUT_FAIL_ON' is not blocking, warning or never" ;;
esac
case "$INPUT_COMMENT" in
  true | false) ;;
  *) fail "input comment: '$INPUT_COMMENT' is not true or false" ;;
esac
case "$INPUT_COMPARE" in
  auto | paired | confirm | artifact) ;;
  *) fail "input compare: '$INPUT_COMPARE' is not auto, paired, confirm or artifact" ;;
esac
# What cargo-perf-gate's --time-limit takes: a number and a unit, e.g. 20m, 90s, 1h30m.
if [[ ! "$INPUT_TIME_BUDGET" =~ ^([0-9]+[a-z]+[[:space:]]*)+$ ]]; then
  fail "input time-budget: '$INPUT_TIME_BUDGET' is not a duration (e.g. 20m, 90s, 1h30m)"
fi
if [[ ! "$INPUT_WINDOW" =~ ^[1-9][0-9]{0,3}$ || "$INPUT_WINDOW" -gt 1000 ]]; then
  fail "input window: '$INPUT_WINDOW' is not a number of runs from 1 to 1000"
fi
if [[ -n "$INPUT_SHARD" && "$INPUT_SHARD" != merge && ! "$INPUT_SHARD" =~ ^[1-9][0-9]*/[1-9][0-9]*$ ]]; then
  fail "input shard: '$INPUT_SHARD' is not K/N (e.g. 2/4) or merge"
fi

# A release's version, nothing else: it becomes a line of GITHUB_OUTPUT and part of the
# release URL.
semver='^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$'
if [[ -n "$INPUT_VERSION" && ! "$INPUT_VERSION" =~ $semver ]]; then
  fail "input version: '$INPUT_VERSION' is not a version (e.g. 0.1.0)"
fi

version="$INPUT_VERSION"
if [[ -z "$version" ]]; then
  version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$GITHUB_ACTION_PATH/Cargo.toml" | head -n 1)"
fi
[[ -n "$version" ]] || fail "cannot tell which cargo-perf-gate version to install: set the version input"
version="${version#v}"

case "${RUNNER_OS:-Linux}/${RUNNER_ARCH:-X64}" in
  Linux/X64) target=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) target=aarch64-unknown-linux-gnu ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) target=unknown ;;
esac

{
  echo "version=$version"
  echo "target=$target"
  echo "install-root=$HOME/.cargo-perf-gate/$version"
} >>"$GITHUB_OUTPUT"
