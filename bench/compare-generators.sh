#!/usr/bin/env bash
# Answer quality and speed of two generators on the same questions (first N of a question
# file), side by side, same session. Prints per question: the generated part of each answer,
# time to first model token and total time, and the sentences the grounding check dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
FILE="${1:-../shared/data/eval/questions-dev.jsonl}"
N="${2:-6}"
shift 2 || true
MODELS=("${@:-qwen2.5-coder-0.5b-instruct qwen2.5-coder-1.5b-instruct}")
ORIENT="${CARGO_TARGET_DIR:-target}/release/orient" python3 - "$FILE" "$N" ${MODELS[@]} <<'PY'
import json, os, subprocess, sys
path, n, models = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
qs = [json.loads(l) for l in open(path) if l.strip()]
qs = [q for q in qs if q.get("gold_ids")][:n]
totals = {m: [0.0, 0.0, 0] for m in models}
for q in qs:
    print(f"\n### {q['id']}: {q['question']}")
    for m in models:
        out = subprocess.run([os.environ["ORIENT"], "-q", "ask", q["question"], "--json", "--generator", m],
                             capture_output=True, text=True, check=True).stdout
        r = json.loads(out)
        g = r["generation"] or {}
        text = r["answer"].split("\n\n", 1)[-1].replace("\n", " ")
        first_model = r["timings_ms"]["retrieval"] + g.get("prefill_ms", 0)
        totals[m][0] += first_model; totals[m][1] += r["timings_ms"]["total"]; totals[m][2] += len(r["dropped_sentences"])
        print(f"- {m}: ({first_model/1000:.1f} s to first model token, {r['timings_ms']['total']/1000:.1f} s total, "
              f"{len(r['dropped_sentences'])} dropped) {text}")
print()
for m, (f, t, d) in totals.items():
    print(f"{m}: mean first model token {f/len(qs)/1000:.1f} s, mean total {t/len(qs)/1000:.1f} s, dropped sentences {d}")
PY
