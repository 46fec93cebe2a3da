-- wrk: the same question again and again (served from the answer cache after the first).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"message": "Comment devenir boulanger ?", "stream": false}'
