#!/usr/bin/env bash
# The generator side by side: orient's candle generator in process, and llama.cpp's
# OpenAI-compatible server (llama-cpp-python, as .ci/run installs it) through orient's
# RemoteGenerator, on the same GGUF file and the same threads, alternated twice.
# usage: bench/remote-generator.sh [threads]
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
orient="${CARGO_TARGET_DIR:-target}/release/orient"
gguf="${ORIENT_HOME:-$HOME/.cache/orient}/models/qwen2.5-coder-1.5b-instruct/model.gguf"
port=8765
python3 -m llama_cpp.server --model "$gguf" --host 127.0.0.1 --port "$port" --n_threads "$threads" --n_ctx 2048 --model_alias qwen-remote >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null && break; sleep 1; done
for round in 1 2; do
  echo "== local (candle), round $round"
  "$orient" bench generate --prompt-tokens 128 --gen-tokens 64 --runs 3
  echo "== remote (llama.cpp server), round $round"
  ORIENT_GENERATOR_URL="http://127.0.0.1:$port" ORIENT_GENERATOR_MODEL=qwen-remote "$orient" bench generate --prompt-tokens 128 --gen-tokens 64 --runs 3
done
