#!/usr/bin/env bash
# The test command (README): build, fetch and verify the real models, build or update the
# index of the real ONISEP data, then run every test — unit, integration and real-model ones,
# the service end to end, and the browser tests (headless Chromium) of the widget and pages.
# Idempotent: models already fetched and fiches already indexed are not redone.
set -euo pipefail
cd "$(dirname "$0")/.."
export ORIENT_HOME="${ORIENT_HOME:-$HOME/.cache/orient}"

cargo fmt --check
cargo build --release --locked
cargo clippy --release --locked --all-targets -- -D warnings
ORIENT="${CARGO_TARGET_DIR:-target}/release/orient"
"$ORIENT" models fetch
"$ORIENT" ingest
cargo test --release --locked --workspace

# Browser tests: Debian's Chromium driven by Playwright (.ci/run installs both).
if [ ! -x /usr/bin/chromium ]; then
  echo "browser tests need /usr/bin/chromium (apt-get install chromium); .ci/run installs it" >&2
  exit 1
fi
[ -d web-tests/node_modules ] || npm ci --prefix web-tests --no-audit --no-fund
ORIENT_BIN="$(realpath "$ORIENT")" node web-tests/widget.test.mjs
ORIENT_BIN="$(realpath "$ORIENT")" node web-tests/report.test.mjs
