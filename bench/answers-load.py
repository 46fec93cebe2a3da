"""Uncached answers under concurrency, against a running `orient serve` (stdlib only).

usage: python3 bench/answers-load.py BASE_URL CLIENTS QUESTIONS_PER_CLIENT [--follow-up]

Each client asks its own questions one after another (no two clients, no two questions the same,
so the answer cache never serves). With --follow-up each question is followed, in the same
conversation, by a second one about the same subject. Prints answers per minute and p50/p95 of
the first text (AI disclosure and the fiches' facts), the first generated sentence (the third
text piece) and the whole answer, separately for first questions and follow-ups.
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

base = urllib.parse.urlparse(sys.argv[1])
clients, per_client = int(sys.argv[2]), int(sys.argv[3])
follow = "--follow-up" in sys.argv
topics = ["devenir infirmier", "le métier de plombier", "devenir pilote de ligne", "les études d'avocat",
          "le CAP cuisine", "devenir architecte", "le métier de vétérinaire", "le BTS SIO", "devenir électricien",
          "le métier de journaliste", "devenir professeur des écoles", "le bac pro commerce", "devenir boulanger",
          "le métier de kinésithérapeute", "devenir policier", "le métier de comptable"]
follow_ups = ["et ça gagne combien ?", "c'est combien d'années d'études ?", "et après, on peut faire quoi ?"]
results = {"first": [], "follow-up": []}
lock = threading.Lock()


def ask(message, conversation=None):
    body = {"message": message}
    if conversation:
        body["conversation_id"] = conversation
    c = http.client.HTTPConnection(base.hostname, base.port, timeout=900)
    t0 = time.perf_counter()
    c.request("POST", "/v1/chat", json.dumps(body), {"Content-Type": "application/json", "Accept": "text/event-stream"})
    r = c.getresponse()
    if r.status != 200:
        return None, None
    first = gen = None
    texts, event, conv = 0, None, conversation
    for raw in r:
        line = raw.decode().strip()
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:") and event == "conversation":
            conv = json.loads(line[5:])["conversation_id"]
        elif line.startswith("data:") and event == "text":
            texts += 1
            now = time.perf_counter() - t0
            first = first or now
            if texts == 3 and gen is None:
                gen = now
        elif line.startswith("data:") and event == "done":
            break
    total = time.perf_counter() - t0
    c.close()
    return (first, gen or total, total), conv


def client(k):
    for i in range(per_client):
        n = k * per_client + i
        q = f"Bonjour, question {n} : parle-moi de {topics[n % len(topics)]} ?"
        got, conv = ask(q)
        with lock:
            results["first"].append(got)
        if follow and got:
            got, _ = ask(follow_ups[n % len(follow_ups)], conv)
            with lock:
                results["follow-up"].append(got)


t0 = time.perf_counter()
threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.perf_counter() - t0
pct = lambda v, q: sorted(v)[min(len(v) - 1, int(round(q * (len(v) - 1))))]
answered = sum(1 for kind in results.values() for r in kind if r)
refused = sum(1 for kind in results.values() for r in kind if not r)
print(f"{clients} clients, {answered} answers in {wall:.0f} s: {answered / wall * 60:.1f} answers/min; {refused} refused")
for kind, rs in results.items():
    rs = [r for r in rs if r]
    if not rs:
        continue
    cols = []
    for i, name in enumerate(["first text", "first generated sentence", "whole answer"]):
        v = [r[i] for r in rs]
        cols.append(f"{name} p50 {pct(v, 0.5):.2f} s / p95 {pct(v, 0.95):.2f} s")
    print(f"  {kind} ({len(rs)}): " + "; ".join(cols))
