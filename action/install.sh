#!/usr/bin/env bash
# Puts cargo-perf-gate $PERF_GATE_VERSION on PATH, cheapest way first: the cached install, one
# already on PATH, the release's prebuilt binary (checksum verified), else `cargo install` from
# the action's own source.
set -euo pipefail

want="cargo-perf-gate $PERF_GATE_VERSION"
bin="$PERF_GATE_ROOT/bin"

use() {
  echo "$1" >>"$GITHUB_PATH"
  echo "Using $want from $1"
  exit 0
}

if [[ "$("$bin/cargo-perf-gate" --version 2>/dev/null || true)" == "$want" ]]; then
  use "$bin"
fi
if found="$(command -v cargo-perf-gate)" && [[ "$(cargo-perf-gate --version 2>/dev/null || true)" == "$want" ]]; then
  use "$(dirname "$found")"
fi

archive="cargo-perf-gate-$PERF_GATE_TARGET.tar.gz"
url="$PERF_GATE_RELEASES/v$PERF_GATE_VERSION/$archive"
download="$(mktemp -d)"
trap 'rm -rf "$download"' EXIT
if curl --fail --silent --show-error --location --retry 3 --output "$download/$archive" "$url" &&
  curl --fail --silent --show-error --location --retry 3 --output "$download/$archive.sha256" "$url.sha256"; then
  expected="$(cut -d ' ' -f 1 "$download/$archive.sha256")"
  actual="$(sha256sum "$download/$archive" | cut -d ' ' -f 1)"
  if [[ "$expected" != "$actual" ]]; then
    echo "::error title=cargo-perf-gate action::checksum mismatch for $url (expected $expected, got $actual); refusing to install it"
    exit 1
  fi
  mkdir -p "$bin"
  tar -xzf "$download/$archive" -C "$bin" cargo-perf-gate
  use "$bin"
fi

echo "No prebuilt $archive for v$PERF_GATE_VERSION; building it with cargo install"
cargo install --locked --path "$GITHUB_ACTION_PATH" --root "$PERF_GATE_ROOT"
use "$bin"
