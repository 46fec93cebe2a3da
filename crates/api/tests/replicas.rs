//! Several `orient serve` replicas over one shared state: a real PostgreSQL server started by
//! the test (Debian's package; `.ci/run` installs it) and two replicas on one machine, each
//! with its own ORIENT_HOME. The same scenario runs on the embedded default (SQLite, one
//! replica playing both parts).

mod common;

use common::{read_events, Server, AUDITOR_TOKEN, COUNSELLOR_TOKEN, COUNSELLOR_TOKEN_2};
use serde_json::{json, Value};
use state::testing::TestPostgres;

fn event<'a>(events: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    events.iter().find(|(n, _)| n == name).map(|(_, d)| d)
}

fn chat(s: &Server, body: Value) -> Value {
    let mut body = body;
    body["stream"] = json!(false);
    let (st, v) = s.post("/v1/chat", None, &body.to_string());
    assert_eq!(st, 200, "{v}");
    v
}

/// A conversation, a handoff, claims and a reply, across `a` and `b` (the same server when
/// there is one replica). Returns the id of the person left waiting.
fn conversations_and_the_queue_are_shared(a: &Server, b: &Server) -> String {
    // A conversation started on A continues on B with its history: the short follow-up is
    // understood with the question asked on A.
    let first = chat(a, json!({ "message": "Quelles études pour devenir infirmier ?" }));
    let cid = first["conversation_id"].as_str().unwrap().to_string();
    let follow = chat(b, json!({ "message": "et ça gagne combien ?", "conversation_id": cid }));
    assert_eq!(follow["conversation_id"], cid.as_str());
    let ids: Vec<&str> = follow["sources"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"MET.38"), "the follow-up on B lost its subject asked on A: {ids:?}");

    // A handoff made on A is in the queue of a counsellor connected to B.
    let distress = chat(a, json!({ "message": "je me fais harceler au collège et j'ai envie de mourir" }));
    assert_eq!(distress["handoff"]["priority"], "urgent", "{distress}");
    let urgent = distress["conversation_id"].as_str().unwrap().to_string();
    let (st, q) = b.get("/v1/counsellor/queue", Some(COUNSELLOR_TOKEN));
    assert_eq!(st, 200, "{q}");
    let item = q["queue"].as_array().unwrap().iter().find(|i| i["id"] == urgent.as_str()).unwrap_or_else(|| panic!("not in B's queue: {q}")).clone();
    assert_eq!(item["handoff"]["status"], "waiting");

    // Claimed once: the first counsellor (on B) has it, the second (on A) is refused and
    // sends nothing.
    let claim = format!("/v1/counsellor/conversations/{urgent}/claim");
    let (st, c) = b.post(&claim, Some(COUNSELLOR_TOKEN), "{}");
    assert_eq!(st, 200, "{c}");
    let (st, e) = a.post(&claim, Some(COUNSELLOR_TOKEN_2), "{}");
    assert_eq!(st, 409, "{e}");
    let reply = format!("/v1/counsellor/conversations/{urgent}/reply");
    let (st, e) = a.post(&reply, Some(COUNSELLOR_TOKEN_2), r#"{"text": "Bonjour, c'est un autre conseiller."}"#);
    assert_eq!(st, 409, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("rien n'a été envoyé"), "{e}");

    // The claimer's reply, posted on B, reaches the widget polling A.
    let body = r#"{"text": "Bonjour, je suis là. On peut parler maintenant.", "request_id": "r-1"}"#;
    let (st, r) = b.post(&reply, Some(COUNSELLOR_TOKEN), body);
    assert_eq!(st, 200, "{r}");
    // The same sending retried on the other replica is delivered once.
    let (st, again) = a.post(&reply, Some(COUNSELLOR_TOKEN), body);
    assert_eq!((st, again["already_sent"].as_bool(), &again["seq"]), (200, Some(true), &r["seq"]), "{again}");
    let (st, m) = a.get(&format!("/v1/chat/{urgent}/messages?after=0"), None);
    assert_eq!(st, 200, "{m}");
    let messages = m["messages"].as_array().unwrap();
    assert_eq!(messages.last().unwrap()["role"], "counsellor");
    assert_eq!(messages.iter().filter(|x| x["role"] == "counsellor").count(), 1, "one counsellor answered, once: {m}");
    assert_eq!(m["handoff"]["status"], "answered");

    // Counsellors taking "the next person" on both replicas never get the same one.
    let normal = chat(b, json!({ "message": "je voudrais parler à un conseiller s'il vous plaît" }));
    assert!(normal["handoff"].is_object(), "{normal}");
    let waiting = normal["conversation_id"].as_str().unwrap().to_string();
    let (_, n1) = a.post("/v1/counsellor/next", Some(COUNSELLOR_TOKEN), "{}");
    let (_, n2) = b.post("/v1/counsellor/next", Some(COUNSELLOR_TOKEN_2), "{}");
    let taken: Vec<&Value> = [&n1, &n2].into_iter().filter(|n| !n["conversation"].is_null()).collect();
    assert_eq!(taken.len(), 1, "{n1} {n2}");
    assert_eq!(taken[0]["conversation"]["id"], waiting.as_str());
    waiting
}

#[test]
fn two_replicas_share_conversations_the_queue_and_claims_on_postgresql() {
    let pg = TestPostgres::start();
    let shared = format!("rate_limit_per_minute = 0\n[state]\nurl = \"{}\"", pg.url);
    let (name_a, name_b) = ("[log]\nreplica = \"replica-a\"", "[log]\nreplica = \"replica-b\"");
    // A generates a bridge sentence: its turns last long enough to be killed in the middle.
    let a = Server::start(&format!("{shared}\n{name_a}\n[assistant]\ngeneration = \"bridge\""));
    let b = Server::start(&format!("{shared}\n{name_b}"));
    let waiting = conversations_and_the_queue_are_shared(&a, &b);

    // A replica killed (SIGKILL) in the middle of a turn loses no waiting handoff and no
    // acknowledged record.
    let distress = chat(&a, json!({ "message": "je n'en peux plus, je pense à en finir" }));
    assert_eq!(distress["handoff"]["priority"], "urgent", "{distress}");
    let acknowledged = distress["conversation_id"].as_str().unwrap().to_string();
    let mut turn =
        a.agent.post(&a.url("/v1/chat")).header("Accept", "text/event-stream").send_json(json!({ "message": "comment devenir boulanger ?" })).unwrap();
    {
        use std::io::BufRead;
        let mut first = String::new();
        std::io::BufReader::new(turn.body_mut().as_reader()).read_line(&mut first).unwrap();
        assert!(first.starts_with("event: conversation"), "{first}");
    }
    let home = a.crash();
    let (_, q) = b.get("/v1/counsellor/queue", Some(COUNSELLOR_TOKEN));
    let ids: Vec<&str> = q["queue"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&acknowledged.as_str()) && ids.contains(&waiting.as_str()), "B lost a handoff when A died: {q}");
    let log = std::fs::read_to_string(home.path().join("log").join("transparency.jsonl")).unwrap();
    let records: Vec<Value> = log.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(
        records.iter().any(|r| r["kind"] == "turn" && r["data"]["message"] == "je n'en peux plus, je pense à en finir"),
        "the acknowledged turn is in A's log"
    );
    // A restarts on its home: its log verifies across the crash, and it sees the same queue.
    let a = Server::start_in(home, &format!("{shared}\n{name_a}"));
    let (_, v) = a.get("/v1/audit/log/verify", Some(AUDITOR_TOKEN));
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["replica"], "replica-a");
    let (_, q) = a.get("/v1/counsellor/queue", Some(COUNSELLOR_TOKEN_2));
    assert!(q["queue"].as_array().unwrap().iter().any(|i| i["id"] == acknowledged.as_str()), "{q}");
    let events = read_events(
        a.agent
            .post(&a.url("/v1/chat"))
            .header("Accept", "text/event-stream")
            .send_json(json!({ "message": "sinon c'est quoi un CAP ?", "conversation_id": acknowledged }))
            .unwrap(),
    );
    assert!(event(&events, "handoff").is_some(), "the person stays with the counsellor on the restarted replica: {events:?}");

    // One chain per replica, each head published: any replica lists the deployment's chains.
    let (_, v) = b.get("/v1/audit/log/verify", Some(AUDITOR_TOKEN));
    assert_eq!((v["ok"].as_bool(), v["replica"].as_str()), (Some(true), Some("replica-b")), "{v}");
    let chains: Vec<&str> = v["deployment"].as_array().unwrap().iter().map(|h| h["replica"].as_str().unwrap()).collect();
    assert_eq!(chains, ["replica-a", "replica-b"], "{v}");
    a.get("/v1/audit/log/verify", Some(AUDITOR_TOKEN));
    let (log_a, log_b) = (a.log_path(), b.log_path());
    let verify = |files: &[&std::path::Path]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_orient"))
            .args(["log", "verify"])
            .args(files)
            .env("ORIENT_HOME", a.home.path())
            .env("ORIENT_LOG_KEY", "07".repeat(32))
            .env("ORIENT_STATE_URL", &pg.url)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, out) = verify(&[&log_a, &log_b]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("(replica replica-a)") && out.contains("(replica replica-b)") && out.contains("2 chain(s) intact"), "{out}");
    // A's file without its last records: the chain alone still verifies, its published head
    // says records were removed, and the damaged replica is named.
    let lines: Vec<String> = std::fs::read_to_string(&log_a).unwrap().lines().map(String::from).collect();
    let cut = a.home.path().join("cut.jsonl");
    std::fs::write(&cut, lines[..lines.len() - 2].join("\n") + "\n").unwrap();
    assert_eq!(verify(&[&cut]).0, Some(2));
    let (code, out) = verify(&[&cut, &log_b]);
    assert_eq!(code, Some(2), "{out}");
    assert!(out.contains("cut_back") && out.contains("DAMAGED chain(s): replica-a"), "{out}");
    let (code, out) = verify(&[&log_b]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("replica replica-a: published head seq") && out.contains("not verified"), "{out}");
}

#[test]
fn one_replica_on_the_embedded_default_runs_the_same_scenario() {
    let s = Server::start("rate_limit_per_minute = 0");
    conversations_and_the_queue_are_shared(&s, &s);
    assert!(s.home.path().join("state").join("conversations.sqlite").exists());

    // A log cut back while the server was down: the restarted server reports it and never
    // publishes its shorter chain over the head it published before.
    let (_, v) = s.get("/v1/audit/log/verify", Some(AUDITOR_TOKEN));
    let published = v["deployment"][0]["seq"].as_u64().unwrap();
    assert_eq!(v["ok"], true, "{v}");
    let log = s.log_path();
    let home = s.crash();
    let lines: Vec<String> = std::fs::read_to_string(&log).unwrap().lines().map(String::from).collect();
    std::fs::write(&log, lines[..lines.len() - 3].join("\n") + "\n").unwrap();
    let s = Server::start_in(home, "rate_limit_per_minute = 0");
    let (_, v) = s.get("/v1/audit/log/verify", Some(AUDITOR_TOKEN));
    assert_eq!(v["ok"], false, "{v}");
    assert!(v["problems"].as_array().unwrap().iter().any(|p| p["kind"] == "cut_back"), "{v}");
    assert_eq!(v["deployment"][0]["seq"].as_u64(), Some(published), "the evidence is kept: {v}");
}

#[test]
fn an_unreachable_state_server_stops_the_start_with_a_clear_message() {
    let home = common::home();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = Server::configure(home.path(), &format!("[state]\nurl = \"postgres://orient:secret@127.0.0.1:{port}/orient\""));
    let t = std::time::Instant::now();
    let out = Server::command(home.path(), &config).output().unwrap();
    assert!(!out.status.success());
    assert!(t.elapsed() < std::time::Duration::from_secs(30));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("PostgreSQL") && err.contains(&format!("127.0.0.1:{port}")) && !err.contains("secret"), "{err}");
}
