#!/usr/bin/env bash
# Load test of `orient serve` on loopback with wrk (Debian package): reference /healthz, cached
# answers, 200 concurrent clients with uncached questions (excess must get 503), memory before
# and after, and time to first text for uncached questions. Usage: bench/serve-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ORIENT="$(realpath "${CARGO_TARGET_DIR:-target}/release/orient")"
REAL_HOME="${ORIENT_HOME:-$HOME/.cache/orient}"
HOME_DIR="$(mktemp -d)"
for sub in models downloads index; do ln -s "$REAL_HOME/$sub" "$HOME_DIR/$sub"; done
printf '[server]\nrate_limit_per_minute = 0\nqueue_capacity = 4\n' > "$HOME_DIR/orient.toml"
ORIENT_HOME="$HOME_DIR" "$ORIENT" serve --addr 127.0.0.1:0 --config "$HOME_DIR/orient.toml" > "$HOME_DIR/out" 2> "$HOME_DIR/err" &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$HOME_DIR"' EXIT
until grep -q listening "$HOME_DIR/out"; do sleep 0.2; done
BASE=$(sed -n 's/orient listening on //p' "$HOME_DIR/out")
until curl -sf "$BASE/readyz" >/dev/null; do sleep 0.5; done
rss() { awk '/VmRSS/ {print int($2/1024) " MiB"}' /proc/$PID/status; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1048576)}' /proc/meminfo) GiB; server ready at $BASE; RSS $(rss)"
curl -s -X POST "$BASE/v1/chat" -H 'Content-Type: application/json' -d '{"message": "Comment devenir boulanger ?", "stream": false}' >/dev/null
echo "--- reference: GET /healthz, 200 connections, 15 s"
wrk -t2 -c200 -d15s "$BASE/healthz" | grep -E "Requests/sec|Latency|Non-2xx|Socket"
echo "--- cached answers: POST /v1/chat (JSON), 200 connections, 15 s"
wrk -t2 -c200 -d15s --latency -s bench/chat-cached.lua "$BASE/v1/chat" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket"
echo "RSS after cached load: $(rss)"
echo "--- uncached questions: POST /v1/chat (JSON), 200 connections, 60 s"
wrk -t2 -c200 -d60s --timeout 120s -s bench/chat-unique.lua "$BASE/v1/chat" | grep -E "Requests/sec|Latency|Non-2xx|Socket|non-2xx"
sleep 1
echo "RSS after uncached load: $(rss)"
curl -s "$BASE/metrics" | grep -E '^orient_(rejected_requests_total|answer_cache_hits_total|generated_tokens_total|http_requests_total\{route="/v1/chat")'
echo "--- time to first text, uncached, one at a time (the queue drained first)"
until [ "$(curl -s "$BASE/readyz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["queue_free"])')" = "5" ]; do sleep 1; done
python3 bench/ttft.py "$BASE" 8
kill -TERM $PID; wait $PID && echo "server stopped cleanly (exit 0); RSS before stop was measured above"
