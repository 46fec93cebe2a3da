"""Reference run of llama.cpp (through the llama-cpp-python package) on the same GGUF file and
thread count as `orient bench generate`, for docs/benchmarks.md.

usage: python3 bench/llama_cpp_reference.py MODEL.gguf [threads] [prompt_tokens] [gen_tokens]
"""
import sys
import time

from llama_cpp import Llama

path = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
n_prompt = int(sys.argv[3]) if len(sys.argv) > 3 else 128
n_gen = int(sys.argv[4]) if len(sys.argv) > 4 else 64

llm = Llama(model_path=path, n_threads=threads, n_threads_batch=threads, n_ctx=1024, n_batch=512, verbose=False)
base = ("Le métier d'infirmier consiste à soigner les patients, à surveiller leur état de santé "
        "et à travailler avec les médecins à l'hôpital. ")
results = []
for run in range(3):
    text = f"Essai {run}. " + base * 8
    tokens = llm.tokenize(text.encode())[:n_prompt]
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(tokens)
    t1 = time.perf_counter()
    for _ in range(n_gen):
        tok = llm.sample(temp=0.0)
        llm.eval([tok])
    t2 = time.perf_counter()
    pre = len(tokens) / (t1 - t0)
    dec = n_gen / (t2 - t1)
    results.append((pre, dec))
    print(f"run {run}: prompt {len(tokens)} tok at {pre:.1f} tok/s, generated {n_gen} tok at {dec:.1f} tok/s")
pre = sorted(r[0] for r in results)[1]
dec = sorted(r[1] for r in results)[1]
print(f"median: prefill {pre:.1f} tok/s, decode {dec:.1f} tok/s (llama.cpp, {threads} threads)")
