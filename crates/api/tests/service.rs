//! `orient serve` end to end: the real server on 127.0.0.1:0 with the real models and index.

mod common;

use common::{log_records, read, read_events, Server, AUDITOR_TOKEN, COUNSELLOR_TOKEN, OPERATOR_TOKEN};
use serde_json::{json, Value};

fn text_of(events: &[(String, Value)]) -> String {
    events.iter().filter(|(n, _)| n == "text").map(|(_, d)| d["text"].as_str().unwrap().to_string()).collect()
}

fn event<'a>(events: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    events.iter().find(|(n, _)| n == name).map(|(_, d)| d)
}

#[test]
fn chat_handoff_copilot_audit_and_protection() {
    // With a bridge sentence, so that the model's path (queue, streaming, output rails) runs.
    let s = Server::start(
        "rate_limit_per_minute = 0\nmax_body_bytes = 4096\ncors_origins = [\"https://www.exemple-academie.fr\"]\n[assistant]\ngeneration = \"bridge\"",
    );

    // A chat streams checked French text, then sources, a receipt and `done`, in that order.
    let events = s.chat_stream(&json!({ "message": "Quelles études pour devenir infirmier ?" }));
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"conversation"));
    let pos = |n: &str| names.iter().position(|x| *x == n).unwrap_or_else(|| panic!("no {n} event in {names:?}"));
    assert!(pos("text") < pos("sources") && pos("sources") < pos("receipt") && pos("receipt") < pos("done"), "{names:?}");
    // The disclosure, then the card; the model's sentence only when it passes the checks.
    assert!(names.iter().filter(|n| **n == "text").count() >= 2, "the answer streams in pieces: {names:?}");
    let text = text_of(&events);
    assert!(text.starts_with("Je suis un assistant automatique (une IA)"), "{text}");
    assert!(text.contains("infirmi"), "{text}");
    let sources = event(&events, "sources").unwrap()["sources"].as_array().unwrap().clone();
    let ids: Vec<&str> = sources.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"MET.38") || ids.contains(&"FOR.2378"), "{ids:?}");
    let receipt = event(&events, "receipt").unwrap();
    let points: Vec<&str> = receipt["points"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    for p in ["P1", "P2", "P11"] {
        assert!(points.contains(&p), "{points:?}");
    }
    assert_eq!(receipt["cached"], false);
    assert!(receipt["generated_tokens"].as_u64().unwrap() > 0);
    let first_id = event(&events, "conversation").unwrap()["conversation_id"].as_str().unwrap().to_string();

    // The same question again (normalised) comes from the answer cache, marked as such.
    let (st, cached) = s.post("/v1/chat", None, r#"{"message": "quelles études pour devenir infirmier", "stream": false}"#);
    assert_eq!(st, 200, "{cached}");
    assert_eq!(cached["receipt"]["cached"], true);
    assert_eq!(cached["answer"].as_str().unwrap(), text.trim_end());

    // A short follow-up in the same conversation is understood with the question before it,
    // and never served from the shared cache. No AI disclosure the second time.
    let follow = s.chat_stream(&json!({ "message": "et ça gagne combien ?", "conversation_id": first_id }));
    assert_eq!(event(&follow, "conversation").unwrap()["conversation_id"], first_id.as_str());
    let ids: Vec<String> = event(&follow, "sources").unwrap()["sources"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect();
    assert!(ids.iter().any(|i| i == "MET.38"), "follow-up lost its subject: {ids:?}");
    assert_eq!(event(&follow, "receipt").unwrap()["cached"], false);
    assert!(!text_of(&follow).starts_with("Je suis un assistant automatique"));

    // A JSON body must be declared as such: a text/plain post (no CORS preflight) is refused.
    let (st, e) = read(s.agent.post(&s.url("/v1/chat")).header("Content-Type", "text/plain").send(r#"{"message": "bonjour"}"#).unwrap());
    assert_eq!(st, 415, "{e}");

    // Distress: an urgent handoff with help numbers; the conversation waits in the queue.
    let events = s.chat_stream(&json!({ "message": "je me fais harceler au collège et j'ai envie de mourir" }));
    let handoff = event(&events, "handoff").expect("handoff event");
    assert_eq!(handoff["priority"], "urgent");
    assert!(text_of(&events).contains("3114"));
    let cid = event(&events, "conversation").unwrap()["conversation_id"].as_str().unwrap().to_string();
    // Until a counsellor answers, the conversation stays with them: an ordinary question that
    // follows is handed off too (P8), never answered by the model.
    let after = s.chat_stream(&json!({ "message": "sinon c'est quoi un BTS ?", "conversation_id": cid }));
    let h = event(&after, "handoff").expect("the conversation stays with the counsellor");
    assert_eq!(h["priority"], "urgent");
    // Either the conversation's state or the last messages read together keep it there.
    let by_conversation = |v: &Value| v["rail"] == "distress" && (v["layer"]["kind"] == "conversation" || v["layer"]["window"] == true);
    assert!(event(&after, "receipt").unwrap()["verdicts"].as_array().unwrap().iter().any(by_conversation), "{after:?}");

    // Protected endpoints refuse a missing or wrong token, and the other role's token.
    assert_eq!(s.get("/v1/counsellor/queue", None).0, 401);
    assert_eq!(s.get("/v1/counsellor/queue", Some("wrong")).0, 401);
    assert_eq!(s.get("/v1/counsellor/queue", Some(AUDITOR_TOKEN)).0, 403);
    assert_eq!(s.get("/v1/audit/log/verify", Some(COUNSELLOR_TOKEN)).0, 403);
    assert_eq!(s.get("/v1/audit/log", None).0, 401);

    let (st, q) = s.get("/v1/counsellor/queue", Some(COUNSELLOR_TOKEN));
    assert_eq!(st, 200);
    let queue = q["queue"].as_array().unwrap();
    assert_eq!(queue.len(), 1, "only the handed-off conversation: {q}");
    assert_eq!(queue[0]["id"], cid.as_str());
    assert_eq!(queue[0]["handoff"]["priority"], "urgent");
    assert_ne!(queue[0]["id"], first_id.as_str());

    // The counsellor sees the conversation with the rail verdicts, gets a fixed draft (never
    // the model's words for a person in distress), edits it and sends it.
    let (st, conv) = s.get(&format!("/v1/counsellor/conversations/{cid}"), Some(COUNSELLOR_TOKEN));
    assert_eq!(st, 200);
    assert!(conv["verdicts"].as_array().unwrap().iter().any(|v| v["rail"] == "distress" && v["point"] == "P8"), "{conv}");
    let (st, sug) = s.post(&format!("/v1/counsellor/conversations/{cid}/suggest"), Some(COUNSELLOR_TOKEN), "{}");
    assert_eq!(st, 200, "{sug}");
    let draft = sug["text"].as_str().unwrap();
    assert!(draft.contains("3114") && draft.contains("conseiller"), "{draft}");
    let sent = format!("{draft}\nJe t'appelle au collège demain matin si tu es d'accord.");
    let (st, r) = s.post(&format!("/v1/counsellor/conversations/{cid}/reply"), Some(COUNSELLOR_TOKEN), &json!({ "text": sent }).to_string());
    assert_eq!(st, 200, "{r}");
    assert!(r["diff"].as_str().unwrap().contains("{+Je t'appelle"), "{r}");

    // The user's widget receives the counsellor's reply.
    let (st, m) = s.get(&format!("/v1/chat/{cid}/messages?after=0"), None);
    assert_eq!(st, 200);
    let last = m["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["role"], "counsellor");
    assert!(last["text"].as_str().unwrap().contains("Je t'appelle au collège"));
    assert_eq!(m["handoff"]["status"], "answered");

    // Agent assist: a suggestion with sources for a question typed in by the counsellor.
    let (st, a) = s.post("/v1/counsellor/assist", Some(COUNSELLOR_TOKEN), r#"{"question": "Quelle formation pour devenir boulanger ?"}"#);
    assert_eq!(st, 200, "{a}");
    assert!(a["sources"].as_array().unwrap().iter().any(|x| x["id"] == "MET.17"), "{a}");

    // OpenAI-compatible endpoint, non-streamed then streamed, on the same pipeline.
    let (st, c) =
        s.post("/v1/chat/completions", None, r#"{"model": "orient", "messages": [{"role": "user", "content": "quelles études pour devenir infirmier ?"}]}"#);
    assert_eq!(st, 200, "{c}");
    assert_eq!(c["object"], "chat.completion");
    assert!(c["choices"][0]["message"]["content"].as_str().unwrap().contains("Sources :"));
    assert_eq!(c["orient"]["receipt"]["cached"], true, "normalised identical question served from cache");
    let resp = s
        .agent
        .post(&s.url("/v1/chat/completions"))
        .send_json(json!({ "messages": [{"role": "user", "content": "je voudrais parler à un conseiller"}], "stream": true }))
        .unwrap();
    let chunks = read_events(resp);
    assert_eq!(chunks.last().unwrap().1, Value::String("[DONE]".into()));
    let content: String = chunks.iter().filter_map(|(_, d)| d["choices"][0]["delta"]["content"].as_str().map(String::from)).collect();
    assert!(content.contains("conseill"), "{content}");
    assert!(chunks.iter().any(|(_, d)| d["orient"]["handoff"]["priority"] == "normal"));

    // Bad requests: clear 4xx errors with a French message.
    let too_big = json!({ "message": "a".repeat(5000) }).to_string();
    let (st, e) = s.post("/v1/chat", None, &too_big);
    assert_eq!(st, 413, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("trop long"));
    let (st, e) = s.post("/v1/chat", None, r#"{"message": "#);
    assert_eq!((st, e["error"]["code"].as_str()), (400, Some("bad_request")));
    let (st, _) = s.post("/v1/chat", None, r#"{"text": "bonjour"}"#);
    assert_eq!(st, 400);
    let (st, e) = s.post("/v1/chat", None, r#"{"message": "   "}"#);
    assert_eq!(st, 400);
    assert!(e["error"]["message"].as_str().unwrap().contains("vide"));
    assert_eq!(s.get("/v1/chat/0123/messages", None).0, 404);
    assert_eq!(s.get("/nowhere", None).0, 404);
    // A malformed profile is a clear 400; a profile sent back by the widget refines the paths,
    // and unknown interest labels in it are dropped.
    let (st, _) = s.post("/v1/chat", None, r#"{"message": "plutôt des études courtes", "profile": {"interests": 3}}"#);
    assert_eq!(st, 400);
    let body = json!({
        "message": "plutôt des études courtes",
        "stream": false,
        "profile": { "interests": ["je veux m'occuper d'animaux", "n'importe quoi"] }
    });
    let (st, r) = s.post("/v1/chat", None, &body.to_string());
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["exploration"]["profile"]["interests"], json!(["je veux m'occuper d'animaux"]), "{r}");
    assert_eq!(r["exploration"]["profile"]["max_level"], "bac2", "{r}");

    // CORS: the widget's host sites may call the chat API from a browser; other sites may not.
    let preflight = |origin: &str| {
        let req = ureq::http::Request::builder()
            .method("OPTIONS")
            .uri(s.url("/v1/chat"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type")
            .body(())
            .unwrap();
        let r = s.agent.run(req).unwrap();
        r.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_string())
    };
    assert_eq!(preflight("https://www.exemple-academie.fr").as_deref(), Some("https://www.exemple-academie.fr"));
    assert_eq!(preflight("https://evil.example"), None);

    // Pages, health and metrics.
    for (path, needle) in
        [("/", "<orient-chat>"), ("/widget.js", "customElements.define"), ("/charte", "P12"), ("/conseiller", "Espace conseiller"), ("/audit", "Espace audit")]
    {
        let (st, body) = s.get(path, None);
        assert_eq!(st, 200, "{path}");
        assert!(body.as_str().unwrap().contains(needle), "{path}");
    }
    assert_eq!(s.get("/healthz", None).0, 200);
    assert_eq!(s.get("/metrics", None).0, 401, "metrics are for operators");
    assert_eq!(s.get("/metrics", Some(AUDITOR_TOKEN)).0, 403);
    let (_, metrics) = s.get("/metrics", Some(OPERATOR_TOKEN));
    let metrics = metrics.as_str().unwrap().to_string();
    for needle in [
        "orient_http_requests_total",
        "orient_generation_queue_waiting",
        "orient_decode_tokens_per_second",
        "orient_rail_verdicts_total{action=\"handoff\",point=\"P8\",rail=\"distress\"}",
        "orient_answer_cache_hits_total 2",
    ] {
        assert!(metrics.contains(needle), "metrics lack {needle}");
    }

    // Audit: the log holds every reply and the counsellor's decision, verifies, and holds no
    // raw personal data.
    let (st, v) = s.get("/v1/audit/log/verify", Some(AUDITOR_TOKEN));
    assert_eq!(st, 200);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["signatures"], "verified", "checked against the configured key: {v}");
    // Conversation ids open conversations: the log names them by a keyed pseudonym only.
    let raw = std::fs::read_to_string(s.log_path()).unwrap();
    assert!(!raw.contains(&cid) && !raw.contains(&first_id), "a conversation id reached the log");
    let (st, _) = s.post("/v1/admin/log/purge", Some(AUDITOR_TOKEN), "{}");
    assert_eq!(st, 403, "purging is for operators");
    let (st, p) = s.post("/v1/admin/log/purge", Some(OPERATOR_TOKEN), "{}");
    assert_eq!(st, 200, "{p}");
    assert!(p["removed"].is_array());
    let (st, recs) = s.get("/v1/audit/log?limit=500", Some(AUDITOR_TOKEN));
    assert_eq!(st, 200);
    let kinds: Vec<&str> = recs["records"].as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "turn").count(), 8, "{kinds:?}");
    assert!(kinds.contains(&"suggestion") && kinds.contains(&"counsellor_reply") && kinds.contains(&"assist"), "{kinds:?}");
    let reply = log_records(&s.log_path()).into_iter().find(|r| r["kind"] == "counsellor_reply").unwrap();
    assert_eq!(reply["data"]["edited"], true);
    assert_eq!(reply["data"]["point"], "P7");
    let (st, reports) = s.get("/v1/audit/reports", Some(AUDITOR_TOKEN));
    assert_eq!(st, 200);
    assert!(reports["reports"].is_array());
}

#[test]
fn a_full_queue_answers_503_but_serves_cached_answers_rate_limits_429_and_shutdown_finishes_streams() {
    // Generating answers are the slow ones that fill the queue.
    let s = Server::start("workers = 1\nqueue_capacity = 0\nrate_limit_per_minute = 1\nrate_limit_burst = 4\n[assistant]\ngeneration = \"bridge\"");
    // An answer generated once, then cached.
    let cached_q = r#"{"message": "c'est quoi le métier de garagiste ?", "stream": false}"#;
    let (st, a) = s.post("/v1/chat", None, cached_q);
    assert_eq!(st, 200, "{a}");
    // One answer generating fills the queue (no waiting room).
    let first = s.agent.post(&s.url("/v1/chat")).send_json(json!({ "message": "comment devenir pâtissier ?" })).unwrap();
    assert_eq!(first.status(), 200);
    // The cached answer is still served; a new question is refused at once.
    let (st, again) = s.post("/v1/chat", None, cached_q);
    assert_eq!(st, 200, "{again}");
    assert_eq!(again["receipt"]["cached"], true);
    let resp = s.agent.post(&s.url("/v1/chat")).header("Content-Type", "application/json").send(r#"{"message": "et le CAP coiffure ?"}"#).unwrap();
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().get("retry-after").is_some());
    let (_, e) = read(resp);
    assert_eq!(e["error"]["code"], "busy");
    // Fifth chat from the same client (a burst of 4, then one a minute): rate limited.
    let resp = s.agent.post(&s.url("/v1/chat")).header("Content-Type", "application/json").send(r#"{"message": "et le CAP ?"}"#).unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_some());
    let (_, e) = read(resp);
    assert_eq!(e["error"]["code"], "rate_limited");

    // SIGTERM while the first answer streams: it finishes, then the server exits cleanly.
    let pid = s.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let events = read_events(first);
    assert_eq!(events.last().map(|(n, _)| n.as_str()), Some("done"), "{events:?}");
    let mut s = s;
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status}");
    let log = log_records(&s.log_path());
    assert_eq!(log.iter().filter(|r| r["kind"] == "turn").count(), 3);
    assert_eq!(log.last().unwrap()["kind"], "checkpoint", "the server signs off on shutdown");
    assert!(log.last().unwrap()["data"]["signature"].is_string());
}

#[test]
fn waiting_handoffs_survive_a_crash_and_a_second_server_on_the_same_home_is_refused() {
    // Generating answers are the slow ones that hold the queue (the last part below).
    let s = Server::start("rate_limit_per_minute = 0\nworkers = 1\nqueue_capacity = 1\n[assistant]\ngeneration = \"bridge\"");
    // The card of facts leads with what is asked.
    let (st, a) = s.post("/v1/chat", None, r#"{"message": "un plombier qui débute, il gagne combien ?", "stream": false}"#);
    assert_eq!(st, 200, "{a}");
    assert!(a["answer"].as_str().unwrap().contains("Salaire du débutant"), "{a}");
    let events = s.chat_stream(&json!({ "message": "chui au bout jveux plus etre la" }));
    assert!(event(&events, "handoff").is_some(), "{events:?}");
    let cid = event(&events, "conversation").unwrap()["conversation_id"].as_str().unwrap().to_string();

    // A second server on the same home says so at once, before taking a port.
    let config = s.home.path().join("orient.toml");
    let t = std::time::Instant::now();
    let out = Server::command(s.home.path(), &config).output().unwrap();
    assert!(!out.status.success());
    assert!(t.elapsed() < std::time::Duration::from_secs(30));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("in use by another process"), "{err}");

    // A crash (SIGKILL, nothing flushed by a shutdown), then a restart on the same home.
    let home = s.crash();
    let s = Server::start_in(home, "rate_limit_per_minute = 0\nworkers = 1\nqueue_capacity = 1\n[assistant]\ngeneration = \"bridge\"");
    let (st, q) = s.get("/v1/counsellor/queue", Some(COUNSELLOR_TOKEN));
    assert_eq!(st, 200);
    let item = q["queue"].as_array().unwrap().iter().find(|i| i["id"] == cid.as_str()).unwrap_or_else(|| panic!("lost in the restart: {q}")).clone();
    assert_eq!((item["handoff"]["status"].as_str(), item["handoff"]["priority"].as_str()), (Some("waiting"), Some("urgent")));
    // Still with the counsellor: the next message is handed off too.
    let after = s.chat_stream(&json!({ "message": "sinon c'est quoi un CAP ?", "conversation_id": cid }));
    assert!(event(&after, "handoff").is_some(), "{after:?}");
    let (st, r) =
        s.post(&format!("/v1/counsellor/conversations/{cid}/reply"), Some(COUNSELLOR_TOKEN), r#"{"text": "Bonjour, je suis là. On peut parler maintenant."}"#);
    assert_eq!(st, 200, "{r}");
    let (_, m) = s.get(&format!("/v1/chat/{cid}/messages?after=0"), None);
    assert_eq!(m["messages"].as_array().unwrap().last().unwrap()["role"], "counsellor");
    // The log verifies across the crash (its torn tail, if any, set aside and recorded).
    let (_, v) = s.get("/v1/audit/log/verify", Some(AUDITOR_TOKEN));
    assert_eq!(v["ok"], true, "{v}");

    // A client that leaves the queue gives its place back: with one answer generating and
    // one place to wait, a waiting client (its card shown, waiting for the model) hangs up and
    // the next question is admitted, not refused until the others are done.
    // Each turn waits for the model once its card is shown: the metrics say when the first
    // one writes and the second one waits.
    let gauge = |name: &str| {
        let (_, m) = s.get("/metrics", Some(OPERATOR_TOKEN));
        let line = format!("{name} ");
        m.as_str().unwrap().lines().find_map(|l| l.strip_prefix(line.as_str()).and_then(|v| v.trim().parse::<i64>().ok())).unwrap_or(0)
    };
    let until = |name: &str, value: i64| {
        let t = std::time::Instant::now();
        while gauge(name) != value {
            assert!(t.elapsed() < std::time::Duration::from_secs(30), "{name} never reached {value}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    let generating =
        s.agent.post(&s.url("/v1/chat")).header("Accept", "text/event-stream").send_json(json!({ "message": "comment devenir pâtissier ?" })).unwrap();
    until("orient_generation_running", 1);
    let waiting =
        s.agent.post(&s.url("/v1/chat")).header("Accept", "text/event-stream").send_json(json!({ "message": "comment devenir fleuriste ?" })).unwrap();
    until("orient_generation_queue_waiting", 1);
    let (st, _) = s.post("/v1/chat", None, r#"{"message": "comment devenir plombier ?", "stream": false}"#);
    assert_eq!(st, 503, "the queue is full while both are there");
    drop(waiting);
    let t = std::time::Instant::now();
    loop {
        let (st, b) = s.post("/v1/chat", None, r#"{"message": "comment devenir menuisier ?", "stream": false}"#);
        if st == 200 {
            break;
        }
        assert_eq!(st, 503, "{b}");
        assert!(t.elapsed() < std::time::Duration::from_secs(12), "the place of the client who left was not given back");
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let (_, metrics) = s.get("/metrics", Some(OPERATOR_TOKEN));
    assert!(metrics.as_str().unwrap().contains("orient_rejected_requests_total{reason=\"client_gone\"} 1"), "{metrics}");
    drop(generating);
}
