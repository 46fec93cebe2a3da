"""Time to first text and to the first generated sentence for uncached questions, one at a time,
against a running `orient serve` (stdlib only). Usage: python3 ttft.py BASE_URL [N]"""
import http.client, json, sys, time, urllib.parse

base = urllib.parse.urlparse(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 8
topics = ["devenir infirmier", "le métier de plombier", "devenir pilote de ligne", "les études d'avocat",
          "le CAP cuisine", "devenir architecte", "le métier de vétérinaire", "le BTS SIO", "devenir électricien",
          "le métier de journaliste", "devenir professeur des écoles", "le bac pro commerce"]
first, facts, total = [], [], []
for i in range(n):
    q = f"Bonjour, {i}e question : parle-moi de {topics[i % len(topics)]} ?"
    c = http.client.HTTPConnection(base.hostname, base.port, timeout=300)
    t0 = time.perf_counter()
    c.request("POST", "/v1/chat", json.dumps({"message": q}), {"Content-Type": "application/json", "Accept": "text/event-stream"})
    r = c.getresponse()
    assert r.status == 200, r.status
    got_first = got_gen = None
    texts = 0
    for raw in r:
        line = raw.decode().strip()
        if line.startswith("event: text"):
            texts += 1
            now = time.perf_counter() - t0
            got_first = got_first or now
            # pieces: 1 disclosure, 2 facts, 3 = first generated sentence
            if texts == 3 and got_gen is None:
                got_gen = now
        if line.startswith("event: done"):
            break
    total.append(time.perf_counter() - t0)
    first.append(got_first)
    facts.append(got_gen or total[-1])
    c.close()
med = lambda v: sorted(v)[len(v) // 2]
print(f"{n} uncached questions, one at a time: first text p50 {med(first)*1e3:.0f} ms; "
      f"first generated sentence p50 {med(facts):.2f} s; whole answer p50 {med(total):.1f} s")
