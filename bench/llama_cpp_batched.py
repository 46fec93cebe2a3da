"""Reference for `orient bench generate --streams N`: llama.cpp (through the llama-cpp-python
package's low-level API) decoding N sequences together, one batch per step with one token per
sequence (what llama.cpp's own server does with `-np N` parallel slots), on the same GGUF file
and thread count. Greedy, stop tokens ignored.

usage: python3 bench/llama_cpp_batched.py MODEL.gguf THREADS PROMPT_TOKENS GEN_TOKENS STREAMS [RUNS]

Prints, per run: the whole run's tokens/s (prompts then decoding, like orient's "counting
prefill" figure) and the decoding steps' aggregate and per-stream tokens/s.
"""
import ctypes
import sys
import time

import llama_cpp as L
from llama_cpp import Llama

path, threads, n_prompt, n_gen, streams = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
runs = int(sys.argv[6]) if len(sys.argv) > 6 else 3

llm = Llama(model_path=path, n_threads=threads, n_threads_batch=threads, n_ctx=256, verbose=False)
params = L.llama_context_default_params()
params.n_ctx = streams * (n_prompt + n_gen + 16)
params.n_batch = max(512, n_prompt)
params.n_seq_max = streams
params.n_threads = threads
params.n_threads_batch = threads
ctx = L.llama_init_from_model(llm.model, params)
vocab = L.llama_model_get_vocab(llm.model)
n_vocab = L.llama_vocab_n_tokens(vocab)
base = ("Le métier d'infirmier consiste à soigner les patients, à surveiller leur état de santé "
        "et à travailler avec les médecins à l'hôpital. ")


def decode(batch_tokens):
    """batch_tokens: list of (token, pos, seq_id, want_logits)."""
    b = L.llama_batch_init(len(batch_tokens), 0, 1)
    for i, (tok, pos, seq, want) in enumerate(batch_tokens):
        b.token[i] = tok
        b.pos[i] = pos
        b.n_seq_id[i] = 1
        b.seq_id[i][0] = seq
        b.logits[i] = want
    b.n_tokens = len(batch_tokens)
    rc = L.llama_decode(ctx, b)
    L.llama_batch_free(b)
    if rc != 0:
        raise RuntimeError(f"llama_decode returned {rc}")


def argmax(i):
    row = L.llama_get_logits_ith(ctx, i)
    arr = (ctypes.c_float * n_vocab).from_address(ctypes.addressof(row.contents))
    best, value = 0, float("-inf")
    for t in range(n_vocab):
        if arr[t] > value:
            best, value = t, arr[t]
    return best


results = []
for run in range(runs):
    L.llama_memory_clear(L.llama_get_memory(ctx), True)
    prompts = [llm.tokenize(f"Essai {run}.{s}. {base * 8}".encode())[:n_prompt] for s in range(streams)]
    t0 = time.perf_counter()
    nxt, pos = [], []
    for s, toks in enumerate(prompts):
        decode([(t, p, s, p == len(toks) - 1) for p, t in enumerate(toks)])
        nxt.append(argmax(len(toks) - 1))
        pos.append(len(toks))
    t1 = time.perf_counter()
    argmax_s = 0.0
    for _ in range(n_gen - 1):
        decode([(nxt[s], pos[s], s, True) for s in range(streams)])
        ta = time.perf_counter()
        nxt = [argmax(s) for s in range(streams)]
        argmax_s += time.perf_counter() - ta
        pos = [p + 1 for p in pos]
    t2 = time.perf_counter()
    # The python argmax over the vocabulary is not llama.cpp's work: taken out of decoding time.
    dec = (t2 - t1) - argmax_s
    agg = streams * (n_gen - 1) / dec
    whole = streams * n_gen / ((t2 - t0) - argmax_s)
    results.append((whole, agg))
    print(f"run {run}: {streams} streams, decode {agg:.1f} tok/s in all, {agg / streams:.1f} per stream; "
          f"whole run with prefill {whole:.1f} tok/s")
whole = sorted(r[0] for r in results)[len(results) // 2]
agg = sorted(r[1] for r in results)[len(results) // 2]
print(f"median: decode {agg:.1f} tok/s aggregate over {streams} streams ({agg / streams:.1f} per stream), "
      f"{whole:.1f} tok/s counting prefill (llama.cpp, {threads} threads)")
