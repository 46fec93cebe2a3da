//! The state store's contract, on both engines: SQLite (the embedded default) and a real
//! PostgreSQL server started by the test. "Replicas" are separate store handles on the same
//! database, as separate `orient serve` processes would hold.

use assistant::Handoff;
use state::testing::TestPostgres;
use state::{Claim, Conversations, HandoffStatus, Limits, Location, Queued, Reply, Speaker, StateStore, Suggestion, URGENT_CAP_FACTOR};
use std::sync::Arc;
use std::time::Duration;

fn handoff(priority: &str) -> Handoff {
    Handoff { priority: priority.into(), reason: "test".into() }
}

fn limits() -> Limits {
    Limits { history: 10, capacity: 50, ttl: Duration::from_secs(3600), max_waiting: 6, max_waiting_per_client: 2 }
}

/// A database of one engine, and a way to open more handles (replicas) on it.
struct Db {
    location: Location,
    _keep: Box<dyn std::any::Any>,
}

impl Db {
    fn replica(&self, limits: Limits) -> Conversations {
        Conversations::open(state::open(&self.location).unwrap(), limits).unwrap()
    }
}

fn sqlite() -> Db {
    let d = tempfile::tempdir().unwrap();
    Db { location: Location::Sqlite(d.path().join("state").join("conversations.sqlite")), _keep: Box::new(d) }
}

fn postgres() -> Db {
    let pg = TestPostgres::start();
    Db { location: pg.location(), _keep: Box::new(pg) }
}

fn history_is_bounded_and_ids_are_fresh_for_unknown_ones(db: Db) {
    let c = db.replica(Limits { history: 4, ..limits() });
    let (id, known) = c.begin(Some("not-an-id")).unwrap();
    assert!(known.is_none() && id.len() == 32);
    for i in 0..5 {
        c.record_turn(&id, None, &format!("q{i}"), "a", None, &[], &[]).unwrap();
    }
    let msgs = c.messages_after(&id, 0).unwrap().unwrap().messages;
    assert_eq!(msgs.len(), 4);
    assert_eq!(msgs.last().unwrap().seq, 10);
    let (again, known) = c.begin(Some(&id)).unwrap();
    assert_eq!(again, id);
    assert_eq!(known.unwrap().turns, 5);
}

fn a_conversation_continues_on_another_replica_and_the_queue_is_shared(db: Db) {
    let (a, b) = (db.replica(limits()), db.replica(limits()));
    let (plain, _) = a.begin(None).unwrap();
    a.record_turn(&plain, None, "c'est quoi un BTS ?", "Un BTS…", None, &[], &[]).unwrap();
    let (same, known) = b.begin(Some(&plain)).unwrap();
    assert_eq!(same, plain);
    let history = known.expect("replica B knows the conversation").history();
    assert_eq!(history.previous, ["c'est quoi un BTS ?"]);
    b.record_turn(&plain, None, "et ça dure combien ?", "Deux ans.", None, &[], &[]).unwrap();
    assert_eq!(a.get(&plain).unwrap().unwrap().turns, 2);

    let (n, _) = a.begin(None).unwrap();
    let (u, _) = b.begin(None).unwrap();
    assert_eq!(a.record_turn(&n, None, "je veux parler à quelqu'un", "…", Some(&handoff("normal")), &[], &[]).unwrap(), Queued::Yes);
    assert_eq!(b.record_turn(&u, None, "je vais mal", "…", Some(&handoff("urgent")), &[], &[]).unwrap(), Queued::Yes);
    for replica in [&a, &b] {
        let q = replica.queue(100).unwrap();
        assert_eq!(q.queue.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), [u.as_str(), n.as_str()], "urgent first, same on each replica");
        assert_eq!(q.waiting, 2);
    }
    assert!(a.get(&u).unwrap().unwrap().history().distress_pending, "the conversation stays with the counsellor on any replica");
}

fn a_person_is_answered_by_one_counsellor_only(db: Db) {
    let (a, b) = (db.replica(limits()), db.replica(limits()));
    let (u, _) = a.begin(None).unwrap();
    a.record_turn(&u, None, "je vais mal", "…", Some(&handoff("urgent")), &[], &[]).unwrap();
    assert_eq!(b.claim(&u, "c1").unwrap(), Claim::Yours);
    assert_eq!(a.claim(&u, "c1").unwrap(), Claim::Yours, "claiming again is idempotent");
    assert_eq!(a.claim(&u, "c2").unwrap(), Claim::Other("c1".into()));
    assert_eq!(a.counsellor_reply(&u, "c2", "Bonjour", None).unwrap(), Reply::Other("c1".into()), "nothing sent by the other counsellor");
    let Reply::Sent(seq) = a.counsellor_reply(&u, "c1", "Bonjour, je suis là.", Some("r1")).unwrap() else { panic!("the claimer's reply is sent") };
    assert_eq!(b.counsellor_reply(&u, "c1", "Bonjour, je suis là.", Some("r1")).unwrap(), Reply::Sent(seq), "a retry is delivered once");
    // The widget polling the other replica reads it.
    let new = b.messages_after(&u, seq - 1).unwrap().unwrap();
    assert_eq!((new.messages.len(), new.messages[0].role), (1, Speaker::Counsellor));
    assert_eq!(new.handoff.unwrap().status, HandoffStatus::Answered);
    assert_eq!(b.queue(10).unwrap().waiting, 0);
    assert_eq!(b.claim(&"0".repeat(32), "c1").unwrap(), Claim::Unknown);
    let (plain, _) = a.begin(None).unwrap();
    a.record_turn(&plain, None, "bonjour", "…", None, &[], &[]).unwrap();
    assert_eq!(a.claim(&plain, "c1").unwrap(), Claim::NotHandedOff);

    // Counsellors racing for the same reply, on two replicas: exactly one is sent.
    let (raced, _) = a.begin(None).unwrap();
    a.record_turn(&raced, None, "je veux parler à quelqu'un", "…", Some(&handoff("normal")), &[], &[]).unwrap();
    let (a, b) = (Arc::new(a), Arc::new(b));
    let replies: Vec<Reply> = (0..8)
        .map(|i| {
            let (replica, raced) = (if i % 2 == 0 { a.clone() } else { b.clone() }, raced.clone());
            std::thread::spawn(move || replica.counsellor_reply(&raced, &format!("c{i}"), "Bonjour", None).unwrap())
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(replies.iter().filter(|r| matches!(r, Reply::Sent(_))).count(), 1, "{replies:?}");
}

fn a_claim_lapses_when_its_counsellor_went_away(db: Db) {
    let c = db.replica(limits());
    let (u, _) = c.begin(None).unwrap();
    c.record_turn(&u, None, "je vais mal", "…", Some(&handoff("urgent")), &[], &[]).unwrap();
    assert_eq!(c.claim(&u, "gone").unwrap(), Claim::Yours);
    assert!(c.claim_next("c2").unwrap().is_none(), "a fresh claim holds");
    // The claim was made long ago and the person still waits: anyone may take them.
    c.store()
        .update(&u, false, &mut |cur, _| {
            let mut conv = cur?;
            conv.handoff.as_mut()?.claimed_at = Some(state::now() - state::CLAIM_LAPSES_AFTER_S - 1);
            Some(conv)
        })
        .unwrap();
    assert_eq!(c.claim_next("c2").unwrap().map(|x| x.id), Some(u.clone()), "a lapsed claim is taken by the next counsellor");
    assert_eq!(c.claim(&u, "gone").unwrap(), Claim::Other("c2".into()));
    assert!(matches!(c.counsellor_reply(&u, "c2", "Bonjour", None).unwrap(), Reply::Sent(_)));
}

fn claims_of_the_next_person_never_collide(db: Db) {
    let a = Arc::new(db.replica(Limits { max_waiting: 100, max_waiting_per_client: 100, ..limits() }));
    let mut ids = Vec::new();
    for i in 0..6 {
        let (id, _) = a.begin(None).unwrap();
        a.record_turn(&id, None, &format!("humain {i}"), "…", Some(&handoff(if i == 4 { "urgent" } else { "normal" })), &[], &[]).unwrap();
        ids.push(id);
    }
    let b = Arc::new(db.replica(limits()));
    let first = b.claim_next("c0").unwrap().unwrap();
    assert_eq!(first.id, ids[4], "urgent first");
    let got: Vec<String> = (1..8)
        .map(|i| {
            let r = if i % 2 == 0 { a.clone() } else { b.clone() };
            std::thread::spawn(move || r.claim_next(&format!("c{i}")).unwrap().map(|c| c.id))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(|h| h.join().unwrap())
        .collect();
    let mut unique = got.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((got.len(), unique.len()), (5, 5), "five left, each claimed once: {got:?}");
}

fn floods_are_capped_per_client_and_in_total_and_repeats_counted_once(db: Db) {
    let (a, b) = (db.replica(limits()), db.replica(limits()));
    let flooder = a.client_pseudonym("198.51.100.7");
    assert_eq!(flooder, b.client_pseudonym("198.51.100.7"), "the same pseudonym on every replica");
    let mut out = Vec::new();
    for i in 0..4 {
        let r = if i % 2 == 0 { &a } else { &b };
        let (id, _) = r.begin(None).unwrap();
        out.push(r.record_turn(&id, Some(&flooder), &format!("je veux un humain {i}"), "…", Some(&handoff("normal")), &[], &[]).unwrap());
    }
    assert_eq!(out, [Queued::Yes, Queued::Yes, Queued::ClientCap, Queued::ClientCap], "per-client cap across replicas");
    for _ in 0..2 {
        let (id, _) = a.begin(None).unwrap();
        assert_eq!(a.record_turn(&id, Some(&flooder), "je veux mourir", "…", Some(&handoff("urgent")), &[], &[]).unwrap(), Queued::Yes);
    }
    let other = a.client_pseudonym("198.51.100.8");
    let (id, _) = a.begin(None).unwrap();
    a.record_turn(&id, Some(&other), "je veux parler à quelqu'un", "…", Some(&handoff("normal")), &[], &[]).unwrap();
    let (again, _) = b.begin(None).unwrap();
    assert_eq!(b.record_turn(&again, Some(&other), "Je veux parler  à quelqu'un", "…", Some(&handoff("normal")), &[], &[]).unwrap(), Queued::Repeat);
    let q = a.queue(10).unwrap();
    assert_eq!(q.waiting, 5);
    assert_eq!(q.queue.iter().find(|i| i.id == id).unwrap().handoff.repeats, 1);
    for n in 0..10 {
        let (id, _) = b.begin(None).unwrap();
        b.record_turn(&id, Some(&b.client_pseudonym(&format!("203.0.113.{n}"))), "je veux parler à un humain", "…", Some(&handoff("normal")), &[], &[])
            .unwrap();
    }
    assert_eq!(a.queue(100).unwrap().waiting, 8, "the total cap holds for requests for a human (6), distress apart (2)");
    let flood: Vec<Queued> = (0..2 * URGENT_CAP_FACTOR + 2)
        .map(|i| {
            let (id, _) = a.begin(None).unwrap();
            a.record_turn(&id, Some(&flooder), &format!("faux {i}"), "…", Some(&handoff("urgent")), &[], &[]).unwrap()
        })
        .collect();
    assert_eq!(flood.iter().filter(|q| **q == Queued::Yes).count(), 2 * URGENT_CAP_FACTOR - 2, "{flood:?}");
}

fn requests_at_once_cannot_pass_a_cap_together(db: Db) {
    let replicas = [Arc::new(db.replica(limits())), Arc::new(db.replica(limits()))];
    let client = replicas[0].client_pseudonym("198.51.100.9");
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let (c, client) = (replicas[i % 2].clone(), client.clone());
            std::thread::spawn(move || {
                let (id, _) = c.begin(None).unwrap();
                c.record_turn(&id, Some(&client), &format!("un humain svp {i}"), "…", Some(&handoff("normal")), &[], &[]).unwrap()
            })
        })
        .collect();
    let queued = handles.into_iter().map(|h| h.join().unwrap()).filter(|q| *q == Queued::Yes).count();
    assert_eq!(queued, 2);
}

fn suggestions_and_waiting_people_survive_a_restart_and_idle_ones_go(db: Db) {
    let (urgent, plain);
    {
        let c = db.replica(limits());
        (urgent, _) = c.begin(None).unwrap();
        c.record_turn(&urgent, None, "je vais mal", "Un conseiller va te répondre.", Some(&handoff("urgent")), &[], &[]).unwrap();
        assert!(c.set_suggestion(&urgent, Suggestion { id: "s1".into(), text: "Appelle le 3114.".into(), sources: vec![] }).unwrap());
        c.amend_last_answer(&urgent, "(note)").unwrap();
        (plain, _) = c.begin(None).unwrap();
        c.record_turn(&plain, None, "c'est quoi un BTS ?", "…", None, &[], &[]).unwrap();
    }
    let c = db.replica(Limits { capacity: 0, ..limits() });
    let got = c.get(&urgent).unwrap().unwrap();
    assert_eq!(got.suggestion.unwrap().text, "Appelle le 3114.");
    assert!(got.messages.back().unwrap().text.ends_with("\n(note)"));
    assert_eq!(c.sweep().unwrap(), 1, "the ordinary conversation goes beyond the capacity");
    assert!(c.get(&plain).unwrap().is_none());
    assert_eq!(c.queue(10).unwrap().queue[0].id, urgent, "a person waiting is never forgotten");
}

fn log_heads_are_shared_and_never_move_back(db: Db) {
    let (a, b) = (state::open(&db.location).unwrap(), state::open(&db.location).unwrap());
    let head = |replica: &str, seq: u64| state::LogHead { replica: replica.into(), seq, hash: format!("h{seq}"), updated: seq };
    a.publish_log_head(&head("a", 5)).unwrap();
    b.publish_log_head(&head("b", 2)).unwrap();
    a.publish_log_head(&head("a", 3)).unwrap();
    b.publish_log_head(&head("b", 7)).unwrap();
    assert_eq!(a.log_heads().unwrap(), [head("a", 5), head("b", 7)], "each replica's latest, seen from any handle");
}

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite_engine {
            $(#[test] fn $name() { super::$name(super::sqlite()) })*
        }
        mod postgres_engine {
            $(#[test] fn $name() { super::$name(super::postgres()) })*
        }
    };
}

on_both_engines!(
    history_is_bounded_and_ids_are_fresh_for_unknown_ones,
    a_conversation_continues_on_another_replica_and_the_queue_is_shared,
    a_person_is_answered_by_one_counsellor_only,
    claims_of_the_next_person_never_collide,
    floods_are_capped_per_client_and_in_total_and_repeats_counted_once,
    requests_at_once_cannot_pass_a_cap_together,
    suggestions_and_waiting_people_survive_a_restart_and_idle_ones_go,
    log_heads_are_shared_and_never_move_back,
    a_claim_lapses_when_its_counsellor_went_away,
);

#[test]
fn an_unreachable_postgres_is_a_clear_error_at_once() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let t = std::time::Instant::now();
    let err = state::open(&Location::Postgres(format!("postgres://orient:pw@127.0.0.1:{port}/orient"))).err().expect("no server there");
    assert!(t.elapsed() < Duration::from_secs(10));
    let msg = err.to_string();
    assert!(msg.contains("PostgreSQL") && !msg.contains("pw"), "{msg}");
}

#[test]
fn the_store_can_be_called_from_inside_a_tokio_runtime() {
    // The service calls the store from request handlers.
    let pg = TestPostgres::start();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let location = pg.location();
    rt.block_on(async move {
        let store: Arc<dyn StateStore> = state::open(&location).unwrap();
        let c = Conversations::open(store, limits()).unwrap();
        let (id, _) = c.begin(None).unwrap();
        c.record_turn(&id, None, "bonjour", "…", None, &[], &[]).unwrap();
        assert_eq!(c.len().unwrap(), 1);
    });
}
