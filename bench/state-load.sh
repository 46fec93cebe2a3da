#!/usr/bin/env bash
# Cost of the shared state, side by side in one run: `orient serve` on the embedded SQLite
# store and on a PostgreSQL server (Debian's package, a temporary cluster on 127.0.0.1), each
# under wrk with the same cached question (every request is a new conversation: one state
# transaction per request), with GET /healthz as the reference. Usage: bench/state-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ORIENT="$(realpath "${CARGO_TARGET_DIR:-target}/release/orient")"
REAL_HOME="${ORIENT_HOME:-$HOME/.cache/orient}"
WORK="$(mktemp -d)"; chmod 755 "$WORK"
PIDS=()
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort | tail -1)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  as_pg "$PG_BIN/pg_ctl" stop -m immediate -D "$WORK/pg/data" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/pg"; [ "$(id -u)" = 0 ] && chown -R postgres: "$WORK/pg"
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$PG_BIN/initdb" -A trust -U postgres -E UTF8 -D "$WORK/pg/data" >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $WORK/pg" -l "$WORK/pg/log" -w start >/dev/null
PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"

# One server per engine, each on its own home (an embedded shard is opened by one process).
start() { # name, extra config
  local h="$WORK/$1"; mkdir -p "$h"
  for sub in models downloads; do ln -s "$REAL_HOME/$sub" "$h/$sub"; done
  cp -r "$REAL_HOME/index" "$h/index"; rm -f "$h/index/.lock"
  printf '[server]\nrate_limit_per_minute = 0\n%b' "$2" > "$h/orient.toml"
  ORIENT_HOME="$h" "$ORIENT" serve --addr 127.0.0.1:0 --config "$h/orient.toml" > "$h/out" 2> "$h/err" &
  echo $! > "$h/pid"
  until grep -q listening "$h/out"; do sleep 0.2; done
  local base; base=$(sed -n 's/orient listening on //p' "$h/out")
  until curl -sf "$base/readyz" >/dev/null; do sleep 0.5; done
  curl -s -X POST "$base/v1/chat" -H 'Content-Type: application/json' -d '{"message": "Comment devenir boulanger ?", "stream": false}' >/dev/null
  echo "$base"
}
SQLITE=$(start sqlite ""); PIDS+=("$(cat "$WORK/sqlite/pid")")
POSTGRES=$(start postgres "[state]\nurl = \"$PG_URL\"\n"); PIDS+=("$(cat "$WORK/postgres/pid")")
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1048576)}' /proc/meminfo) GiB; $(date -u +%F)"
for round in 1 2; do
  echo "=== round $round"
  echo "--- reference: GET /healthz (SQLite server), 50 connections, 10 s"
  wrk -t2 -c50 -d10s "$SQLITE/healthz" | grep -E "Requests/sec"
  for engine in SQLITE POSTGRES; do
    echo "--- cached answers, state on $engine: POST /v1/chat (JSON), 50 connections, 10 s"
    wrk -t2 -c50 -d10s --latency -s bench/chat-cached.lua "${!engine}/v1/chat" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket"
  done
done
echo "--- the state store alone (orient bench state), SQLite then PostgreSQL"
"$ORIENT" bench state
"$ORIENT" bench state --state-url "$PG_URL"
for i in 0 1; do echo "RSS server $i: $(awk '/VmRSS/ {print int($2/1024) " MiB"}' /proc/${PIDS[$i]}/status)"; done
