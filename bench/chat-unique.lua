-- wrk: every request a different question (never cached): most must be refused with 503
-- while the generation queue is full, without the server slowing down or growing.
local n = 0
local metiers = {"boulanger", "infirmier", "plombier", "pilote", "avocat", "cuisinier", "architecte", "vétérinaire"}
request = function()
  n = n + 1
  local m = metiers[(n % #metiers) + 1]
  local body = string.format('{"message": "Question %d de %s : comment devenir %s ?", "stream": false}', n, wrk.thread and "t" or "x", m)
  return wrk.format("POST", "/v1/chat", {["Content-Type"] = "application/json"}, body)
end
local codes = {}
response = function(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx or socket errors: %d/%d; timeouts %d\n", summary.errors.status, summary.requests, summary.errors.timeout))
end
