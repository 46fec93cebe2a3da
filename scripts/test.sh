#!/usr/bin/env bash
# The test command (README): build, fetch and verify the real models, build or update the
# index of the real ONISEP data, then run every test — unit, integration and real-model ones.
# Idempotent: models already fetched and fiches already indexed are not redone.
set -euo pipefail
cd "$(dirname "$0")/.."
export ORIENT_HOME="${ORIENT_HOME:-$HOME/.cache/orient}"

cargo build --release --locked
ORIENT="${CARGO_TARGET_DIR:-target}/release/orient"
"$ORIENT" models fetch
"$ORIENT" ingest
cargo test --release --locked --workspace
