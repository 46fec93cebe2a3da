//! Conversations: bounded history (redacted text only, P9), handoff state for the counsellor
//! queue (P7, P8), and the counsellor's replies waiting for the user's widget. Memory is the
//! fast path; every change is written through to the durable [`Store`], so a restart loses no
//! one. The queue is capped per client and in total, and repeated requests are counted once,
//! so that no flood can bury a real person.

use super::store::{Store, StoreError};
use assistant::{Handoff, Source};
use guardrails::Verdict;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    User,
    Assistant,
    Counsellor,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub seq: u64,
    pub role: Speaker,
    /// Redacted for the user's messages.
    pub text: String,
    pub at: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum HandoffStatus {
    /// Until a counsellor replies.
    Waiting,
    Answered,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HandoffState {
    pub priority: String,
    pub reason: String,
    pub since: u64,
    pub status: HandoffStatus,
    /// The same request sent again by the same client while this one waits.
    #[serde(default)]
    pub repeats: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Suggestion {
    pub id: String,
    pub text: String,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub created: u64,
    /// Last activity (seconds since the epoch).
    pub updated: u64,
    pub messages: VecDeque<Message>,
    pub handoff: Option<HandoffState>,
    /// Verdicts and sources of the latest turn, for the counsellor.
    pub verdicts: Vec<Verdict>,
    pub sources: Vec<Source>,
    pub turns: usize,
    #[serde(skip_serializing, default)]
    pub suggestion: Option<Suggestion>,
    next_seq: u64,
    /// Who opened it (for the per-client handoff cap); kept in memory only.
    #[serde(skip)]
    client: Option<IpAddr>,
}

impl Conversation {
    fn new(id: String, client: Option<IpAddr>) -> Self {
        Conversation {
            id,
            created: now(),
            updated: now(),
            messages: VecDeque::new(),
            handoff: None,
            verdicts: Vec::new(),
            sources: Vec::new(),
            turns: 0,
            suggestion: None,
            next_seq: 1,
            client,
        }
    }

    pub fn is_waiting(&self) -> bool {
        self.handoff.as_ref().is_some_and(|h| h.status == HandoffStatus::Waiting)
    }

    fn last_user_text(&self) -> Option<&str> {
        self.messages.iter().rev().find(|m| m.role == Speaker::User).map(|m| m.text.as_str())
    }
}

/// What the counsellor queue shows of a conversation.
#[derive(Debug, Clone, Serialize)]
pub struct QueueItem {
    pub id: String,
    pub handoff: HandoffState,
    pub last_message: String,
    pub messages: usize,
}

/// The counsellor queue: waiting before answered, urgent first, in order of arrival; and the
/// latest urgent arrivals apart, so that urgent requests sent earlier (a flood) cannot hide
/// a new one below them.
#[derive(Debug, Clone, Serialize)]
pub struct Queue {
    pub queue: Vec<QueueItem>,
    pub newest_urgent: Vec<QueueItem>,
    pub waiting: usize,
}

/// Whether a turn's handoff reached the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Queued {
    /// No handoff in this turn.
    No,
    Yes,
    /// The same request from the same client already waits: counted on it.
    Repeat,
    /// The client has too many conversations waiting already.
    ClientCap,
    /// The queue is full.
    Full,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub history: usize,
    pub capacity: usize,
    pub ttl: Duration,
    pub max_waiting: usize,
    pub max_waiting_per_client: usize,
}

/// Ordinary conversations live in a bounded cache (least recently used and idle ones go
/// first); a conversation handed to a counsellor is also pinned apart, so that no flood of
/// new conversations can push a waiting person out of the queue.
pub struct Conversations {
    recent: moka::sync::Cache<String, Shared>,
    handed_off: Mutex<HashMap<String, Shared>>,
    store: Option<Store>,
    limits: Limits,
    /// Held from a handoff's admission check to its insertion: two requests at once cannot
    /// both pass a cap that has room for one.
    admission: Mutex<()>,
}

type Shared = Arc<Mutex<Conversation>>;

/// How many times the caps of requests for a human those of distress are.
pub const URGENT_CAP_FACTOR: usize = 10;

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A new unguessable conversation id: holding it is what lets a widget read the replies.
pub fn new_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fn lock(c: &Shared) -> std::sync::MutexGuard<'_, Conversation> {
    c.lock().unwrap_or_else(|p| p.into_inner())
}

impl Conversations {
    /// In memory only, default caps (tests).
    #[cfg(test)]
    pub fn new(history: usize, capacity: usize, ttl: Duration) -> Self {
        Self::with_limits(Limits { history, capacity, ttl, max_waiting: 2000, max_waiting_per_client: 3 }, None)
    }

    /// With a durable store: the conversations handed off (waiting, or answered recently) are
    /// loaded back into the queue.
    pub fn with_limits(limits: Limits, store: Option<Store>) -> Self {
        Conversations {
            recent: moka::sync::Cache::builder().max_capacity(limits.capacity.max(1) as u64).time_to_idle(limits.ttl).build(),
            handed_off: Mutex::new(HashMap::new()),
            store,
            limits: Limits { history: limits.history.max(2), ..limits },
            admission: Mutex::new(()),
        }
    }

    /// Load the handed-off conversations of the store (at start).
    pub fn restore(&self) -> Result<usize, StoreError> {
        let Some(store) = &self.store else { return Ok(0) };
        let list = store.handed_off(now().saturating_sub(self.limits.ttl.as_secs()))?;
        let n = list.len();
        let mut pinned = self.pinned();
        for c in list {
            pinned.insert(c.id.clone(), Arc::new(Mutex::new(c)));
        }
        Ok(n)
    }

    fn pinned(&self) -> std::sync::MutexGuard<'_, HashMap<String, Shared>> {
        self.handed_off.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn find(&self, id: &str) -> Option<Shared> {
        if !valid_id(id) {
            return None;
        }
        if let Some(c) = self.pinned().get(id) {
            return Some(c.clone());
        }
        if let Some(c) = self.recent.get(id) {
            return Some(c);
        }
        // Not in memory (a restart, or the cache let it go): the store has it.
        let stored = self.store.as_ref()?.load(id).unwrap_or_else(|e| {
            tracing::error!("{e}");
            None
        })?;
        let shared = Arc::new(Mutex::new(stored));
        self.recent.insert(id.to_string(), shared.clone());
        Some(shared)
    }

    /// Write a changed conversation through to the store. A failure is logged: the person is
    /// still served from memory.
    fn persist(&self, c: &Conversation) {
        if let Some(store) = &self.store {
            if let Err(e) = store.save(c) {
                tracing::error!("{e}");
            }
        }
    }

    /// Turns a known conversation has had (none for an unknown or invalid id).
    pub fn turns(&self, id: &str) -> Option<usize> {
        self.find(id).map(|c| lock(&c).turns)
    }

    /// The id to use for a turn and whether it is the conversation's first: a known id
    /// continues its conversation, anything else starts a new one under a fresh id.
    pub fn begin(&self, requested: Option<&str>, client: Option<IpAddr>) -> (String, bool) {
        if let Some(id) = requested {
            if let Some(c) = self.find(id) {
                let mut c = lock(&c);
                c.updated = now();
                // A conversation read back from the store forgot its client (the address is
                // never stored): the caps count it under the one writing now.
                c.client = c.client.or(client);
                return (id.to_string(), c.turns == 0);
            }
        }
        let id = new_id();
        self.recent.insert(id.clone(), Arc::new(Mutex::new(Conversation::new(id.clone(), client))));
        (id, true)
    }

    /// Forget handed-off conversations answered and idle for longer than the lifetime (the
    /// cache forgets the others by itself). Called periodically.
    pub fn sweep(&self) {
        let ttl = self.limits.ttl.as_secs();
        let cutoff = now().saturating_sub(ttl);
        self.pinned().retain(|_, c| {
            let c = lock(c);
            c.is_waiting() || c.updated >= cutoff
        });
        self.recent.run_pending_tasks();
        if let Some(store) = &self.store {
            if let Err(e) = store.forget_idle(cutoff) {
                tracing::error!("{e}");
            }
        }
    }

    fn push(&self, c: &mut Conversation, role: Speaker, text: String) -> u64 {
        let seq = c.next_seq;
        c.next_seq += 1;
        c.messages.push_back(Message { seq, role, text, at: now() });
        while c.messages.len() > self.limits.history {
            c.messages.pop_front();
        }
        seq
    }

    /// Whether a new handoff from `client` with this text may join the queue. Requests for a
    /// human are capped per client and in total, and repeats are counted once. A person in
    /// distress is never merged and has caps of their own, far above any real school behind
    /// one address (`URGENT_CAP_FACTOR` times the others): fake distress can neither push
    /// out a request for a human nor grow memory without bound.
    fn admit_handoff(&self, id: &str, client: Option<IpAddr>, text: &str, urgent: bool) -> Queued {
        let pinned: Vec<Shared> = self.pinned().values().cloned().collect();
        if urgent {
            let (mut waiting, mut of_client) = (0usize, 0usize);
            for other in &pinned {
                let o = lock(other);
                if o.id != id && o.is_waiting() && o.handoff.as_ref().is_some_and(|h| h.priority == "urgent") {
                    waiting += 1;
                    of_client += usize::from(client.is_some() && o.client == client);
                }
            }
            return if client.is_some() && of_client >= self.limits.max_waiting_per_client * URGENT_CAP_FACTOR {
                Queued::ClientCap
            } else if waiting >= self.limits.max_waiting * URGENT_CAP_FACTOR {
                Queued::Full
            } else {
                Queued::Yes
            };
        }
        let (mut waiting, mut of_client) = (0usize, 0usize);
        let normalised = |t: &str| t.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
        let text = normalised(text);
        for other in &pinned {
            let mut o = lock(other);
            if o.id == id || !o.is_waiting() || o.handoff.as_ref().is_some_and(|h| h.priority == "urgent") {
                continue;
            }
            waiting += 1;
            if client.is_some() && o.client == client {
                of_client += 1;
                if o.last_user_text().map(normalised).as_deref() == Some(text.as_str()) {
                    if let Some(h) = o.handoff.as_mut() {
                        h.repeats += 1;
                    }
                    return Queued::Repeat;
                }
            }
        }
        if client.is_some() && of_client >= self.limits.max_waiting_per_client {
            Queued::ClientCap
        } else if waiting >= self.limits.max_waiting {
            Queued::Full
        } else {
            Queued::Yes
        }
    }

    /// Record a finished turn (the user's text already redacted); says whether its handoff
    /// joined the queue.
    pub fn record_turn(&self, id: &str, redacted_question: &str, answer: &str, handoff: Option<&Handoff>, verdicts: &[Verdict], sources: &[Source]) -> Queued {
        // A conversation the cache did not keep (its admission policy may refuse a newcomer)
        // is made again: a turn, above all a handoff, is never dropped.
        let shared = self.find(id).unwrap_or_else(|| {
            let fresh = Arc::new(Mutex::new(Conversation::new(id.to_string(), None)));
            self.recent.insert(id.to_string(), fresh.clone());
            fresh
        });
        let _admission = handoff.map(|_| self.admission.lock().unwrap_or_else(|p| p.into_inner()));
        let (client, already_waiting) = {
            let c = lock(&shared);
            (c.client, c.is_waiting())
        };
        let queued = match handoff {
            None => Queued::No,
            Some(_) if already_waiting => Queued::Yes,
            Some(h) => self.admit_handoff(id, client, redacted_question, h.priority == "urgent"),
        };
        let snapshot = {
            let mut c = lock(&shared);
            c.turns += 1;
            c.updated = now();
            self.push(&mut c, Speaker::User, redacted_question.to_string());
            self.push(&mut c, Speaker::Assistant, answer.to_string());
            c.verdicts = verdicts.to_vec();
            c.sources = sources.to_vec();
            if let (Some(h), Queued::Yes) = (handoff, queued) {
                // A distress message makes a waiting conversation urgent; it never lowers it.
                let urgent = h.priority == "urgent" || c.handoff.as_ref().is_some_and(|s| s.status == HandoffStatus::Waiting && s.priority == "urgent");
                let (since, repeats) = match &c.handoff {
                    Some(s) if s.status == HandoffStatus::Waiting => (s.since, s.repeats),
                    _ => (now(), 0),
                };
                c.handoff = Some(HandoffState {
                    priority: if urgent { "urgent" } else { "normal" }.into(),
                    reason: h.reason.clone(),
                    since,
                    status: HandoffStatus::Waiting,
                    repeats,
                });
            }
            c.clone()
        };
        self.persist(&snapshot);
        if queued == Queued::Yes {
            self.pinned().insert(id.to_string(), shared);
        }
        queued
    }

    /// Messages after `after`, for the user's widget.
    pub fn messages_after(&self, id: &str, after: u64) -> Option<(Vec<Message>, Option<HandoffState>)> {
        let shared = self.find(id)?;
        let c = lock(&shared);
        Some((c.messages.iter().filter(|m| m.seq > after).cloned().collect(), c.handoff.clone()))
    }

    /// The conversation's latest user message (redacted).
    pub fn last_user_message(&self, id: &str) -> Option<String> {
        let shared = self.find(id)?;
        let c = lock(&shared);
        c.last_user_text().map(String::from)
    }

    /// What the rails read of a conversation: its user messages (redacted) and whether distress
    /// is waiting for a counsellor's answer (P8: the conversation stays with the counsellor).
    pub fn history(&self, id: &str) -> guardrails::History {
        let Some(shared) = self.find(id) else {
            return guardrails::History::default();
        };
        let c = lock(&shared);
        guardrails::History {
            previous: c.messages.iter().filter(|m| m.role == Speaker::User).map(|m| m.text.clone()).collect(),
            distress_pending: c.handoff.as_ref().is_some_and(|h| h.status == HandoffStatus::Waiting && h.priority == "urgent"),
        }
    }

    pub fn get(&self, id: &str) -> Option<Conversation> {
        self.find(id).map(|c| lock(&c).clone())
    }

    /// The counsellor queue, at most `limit` items in order, and the latest urgent arrivals.
    pub fn queue(&self, limit: usize) -> Queue {
        let pinned: Vec<Shared> = self.pinned().values().cloned().collect();
        let mut items: Vec<QueueItem> = pinned
            .iter()
            .filter_map(|c| {
                let c = lock(c);
                let h = c.handoff.clone()?;
                let last = c.last_user_text().unwrap_or_default().to_string();
                Some(QueueItem { id: c.id.clone(), handoff: h, last_message: last, messages: c.messages.len() })
            })
            .collect();
        items.sort_by_key(|i| (i.handoff.status != HandoffStatus::Waiting, i.handoff.priority != "urgent", i.handoff.since));
        let waiting = items.iter().filter(|i| i.handoff.status == HandoffStatus::Waiting).count();
        let mut newest_urgent: Vec<QueueItem> =
            items.iter().filter(|i| i.handoff.status == HandoffStatus::Waiting && i.handoff.priority == "urgent").cloned().collect();
        newest_urgent.sort_by_key(|i| std::cmp::Reverse(i.handoff.since));
        newest_urgent.truncate(5);
        items.truncate(limit);
        Queue { queue: items, newest_urgent, waiting }
    }

    pub fn set_suggestion(&self, id: &str, s: Suggestion) -> bool {
        match self.find(id) {
            Some(c) => {
                lock(&c).suggestion = Some(s);
                true
            }
            None => false,
        }
    }

    /// Add a line to the conversation's last assistant message (what the person was told
    /// after the turn was recorded), in memory and in the store.
    pub fn amend_last_answer(&self, id: &str, note: &str) {
        let Some(shared) = self.find(id) else { return };
        let snapshot = {
            let mut c = lock(&shared);
            if let Some(m) = c.messages.iter_mut().rev().find(|m| m.role == Speaker::Assistant) {
                m.text = format!("{}\n{note}", m.text);
            }
            c.clone()
        };
        self.persist(&snapshot);
    }

    /// The suggestion a reply would answer (`None` when the conversation is unknown).
    pub fn suggestion(&self, id: &str) -> Option<Option<Suggestion>> {
        self.find(id).map(|c| lock(&c).suggestion.clone())
    }

    /// The counsellor's reply: appended for the user's widget; the handoff is answered.
    pub fn counsellor_reply(&self, id: &str, text: &str) -> Option<u64> {
        let shared = self.find(id)?;
        let (seq, snapshot) = {
            let mut c = lock(&shared);
            let seq = self.push(&mut c, Speaker::Counsellor, text.to_string());
            if let Some(h) = c.handoff.as_mut() {
                h.status = HandoffStatus::Answered;
            }
            c.updated = now();
            c.suggestion = None;
            (seq, c.clone())
        };
        self.persist(&snapshot);
        Some(seq)
    }

    /// Conversations in memory (ordinary ones as the cache counts them, plus pinned ones).
    pub fn len(&self) -> usize {
        self.recent.entry_count() as usize + self.pinned().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handoff(priority: &str) -> Handoff {
        Handoff { priority: priority.into(), reason: "test".into() }
    }

    #[test]
    fn history_is_bounded_and_ids_are_fresh_for_unknown_ones() {
        let c = Conversations::new(4, 10, Duration::from_secs(60));
        let (id, first) = c.begin(Some("not-an-id"), None);
        assert!(first && valid_id(&id));
        for i in 0..5 {
            c.record_turn(&id, &format!("q{i}"), "a", None, &[], &[]);
        }
        let (msgs, _) = c.messages_after(&id, 0).unwrap();
        assert_eq!(msgs.len(), 4);
        assert_eq!(msgs.last().unwrap().seq, 10);
        assert_eq!(c.begin(Some(&id), None), (id.clone(), false));
    }

    #[test]
    fn queue_puts_urgent_waiting_first_and_replies_answer_it() {
        let c = Conversations::new(10, 10, Duration::from_secs(60));
        let (a, _) = c.begin(None, None);
        let (b, _) = c.begin(None, None);
        c.record_turn(&a, "je veux parler à quelqu'un", "…", Some(&handoff("normal")), &[], &[]);
        c.record_turn(&b, "je vais mal", "…", Some(&handoff("urgent")), &[], &[]);
        let q = c.queue(100).queue;
        assert_eq!(q[0].id, b);
        assert_eq!(q[1].id, a);
        let seq = c.counsellor_reply(&b, "Bonjour, je suis là.").unwrap();
        assert_eq!(c.queue(100).queue[0].id, a, "an answered conversation goes after waiting ones");
        let (msgs, h) = c.messages_after(&b, seq - 1).unwrap();
        assert_eq!(msgs[0].role, Speaker::Counsellor);
        assert_eq!(h.unwrap().status, HandoffStatus::Answered);
    }

    #[test]
    fn memory_is_bounded_but_a_waiting_handoff_is_never_evicted() {
        let c = Conversations::new(10, 50, Duration::from_secs(60));
        let (urgent, _) = c.begin(None, None);
        c.record_turn(&urgent, "je vais mal", "…", Some(&handoff("urgent")), &[], &[]);
        for _ in 0..2000 {
            c.begin(None, None);
        }
        c.sweep();
        assert!(c.recent.entry_count() <= 50, "{}", c.recent.entry_count());
        assert!(c.get(&urgent).is_some());
        assert_eq!(c.queue(100).queue[0].id, urgent);
    }

    fn limits() -> Limits {
        Limits { history: 10, capacity: 50, ttl: Duration::from_secs(3600), max_waiting: 6, max_waiting_per_client: 2 }
    }

    #[test]
    fn a_handoff_is_kept_even_when_the_cache_let_its_conversation_go() {
        let c = Conversations::new(10, 1, Duration::from_secs(60));
        // An id the cache never kept (refused by its admission policy, or evicted).
        let id = new_id();
        assert_eq!(c.record_turn(&id, "je vais mal", "…", Some(&handoff("urgent")), &[], &[]), Queued::Yes);
        assert_eq!(c.queue(10).queue[0].id, id);
    }

    #[test]
    fn floods_are_capped_per_client_and_in_total_and_repeats_counted_once() {
        let c = Conversations::with_limits(limits(), None);
        let flooder: IpAddr = "198.51.100.7".parse().unwrap();
        let mut ids = Vec::new();
        for i in 0..4 {
            let (id, _) = c.begin(None, Some(flooder));
            ids.push(c.record_turn(&id, &format!("je veux un humain {i}"), "…", Some(&handoff("normal")), &[], &[]));
        }
        assert_eq!(ids, [Queued::Yes, Queued::Yes, Queued::ClientCap, Queued::ClientCap]);
        // A person in distress from the same address is not merged, and has caps of their own.
        for _ in 0..2 {
            let (id, _) = c.begin(None, Some(flooder));
            assert_eq!(c.record_turn(&id, "je veux mourir", "…", Some(&handoff("urgent")), &[], &[]), Queued::Yes);
        }
        let (id, _) = c.begin(None, Some("198.51.100.8".parse().unwrap()));
        c.record_turn(&id, "je veux parler à quelqu'un", "…", Some(&handoff("normal")), &[], &[]);
        let (again, _) = c.begin(None, Some("198.51.100.8".parse().unwrap()));
        assert_eq!(c.record_turn(&again, "Je veux parler  à quelqu'un", "…", Some(&handoff("normal")), &[], &[]), Queued::Repeat);
        let q = c.queue(10);
        assert_eq!(q.waiting, 5);
        assert_eq!(q.queue.iter().find(|i| i.id == id).unwrap().handoff.repeats, 1);
        for n in 0..10 {
            let (id, _) = c.begin(None, Some(format!("203.0.113.{n}").parse().unwrap()));
            c.record_turn(&id, "je veux parler à un humain", "…", Some(&handoff("normal")), &[], &[]);
        }
        assert_eq!(c.queue(100).waiting, 8, "the total cap holds for requests for a human (6), distress apart (2)");
        let (id, _) = c.begin(None, Some("203.0.113.99".parse().unwrap()));
        assert_eq!(c.record_turn(&id, "jveux plus etre la", "…", Some(&handoff("urgent")), &[], &[]), Queued::Yes, "distress has caps of its own");
        // A flood of fake distress from one address stops at its own cap and never pushes out
        // requests for a human.
        let flood: Vec<Queued> = (0..2 * URGENT_CAP_FACTOR + 2)
            .map(|i| {
                let (id, _) = c.begin(None, Some(flooder));
                c.record_turn(&id, &format!("faux {i}"), "…", Some(&handoff("urgent")), &[], &[])
            })
            .collect();
        assert_eq!(flood.iter().filter(|q| **q == Queued::Yes).count(), 2 * URGENT_CAP_FACTOR - 2, "{flood:?}");
    }

    #[test]
    fn requests_at_once_cannot_pass_a_cap_together() {
        let c = Arc::new(Conversations::with_limits(limits(), None));
        let client: IpAddr = "198.51.100.9".parse().unwrap();
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let c = c.clone();
                std::thread::spawn(move || {
                    let (id, _) = c.begin(None, Some(client));
                    c.record_turn(&id, &format!("un humain svp {i}"), "…", Some(&handoff("normal")), &[], &[])
                })
            })
            .collect();
        let queued = handles.into_iter().map(|h| h.join().unwrap()).filter(|q| *q == Queued::Yes).count();
        assert_eq!(queued, 2);
    }

    #[test]
    fn a_new_urgent_request_is_visible_above_a_flood_sent_earlier() {
        let c = Conversations::with_limits(Limits { max_waiting: 1000, max_waiting_per_client: 1000, ..limits() }, None);
        let flooder: IpAddr = "198.51.100.7".parse().unwrap();
        for i in 0..50 {
            let (id, _) = c.begin(None, Some(flooder));
            c.record_turn(&id, &format!("faux {i}"), "…", Some(&handoff("urgent")), &[], &[]);
            let mut pinned = c.pinned();
            lock(pinned.get_mut(&id).unwrap()).handoff.as_mut().unwrap().since -= 100;
        }
        let (real, _) = c.begin(None, Some("203.0.113.5".parse().unwrap()));
        c.record_turn(&real, "je vais mal", "…", Some(&handoff("urgent")), &[], &[]);
        let q = c.queue(20);
        assert_eq!(q.queue.len(), 20);
        assert_eq!(q.newest_urgent[0].id, real);
    }

    #[test]
    fn waiting_conversations_survive_a_restart() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("state.sqlite");
        let (urgent, plain, seq);
        {
            let c = Conversations::with_limits(limits(), Some(Store::open(&path).unwrap()));
            (urgent, _) = c.begin(None, None);
            c.record_turn(&urgent, "je vais mal", "Un conseiller va te répondre.", Some(&handoff("urgent")), &[], &[]);
            (plain, _) = c.begin(None, None);
            c.record_turn(&plain, "c'est quoi un BTS ?", "…", None, &[], &[]);
            seq = c.counsellor_reply(&plain, "test").unwrap();
        }
        let c = Conversations::with_limits(limits(), Some(Store::open(&path).unwrap()));
        assert_eq!(c.restore().unwrap(), 1);
        let q = c.queue(10);
        assert_eq!(q.queue[0].id, urgent);
        assert_eq!(q.queue[0].handoff.status, HandoffStatus::Waiting);
        assert!(c.history(&urgent).distress_pending, "the conversation stays with the counsellor after a restart");
        let (msgs, _) = c.messages_after(&plain, seq - 1).expect("an ordinary conversation is found again");
        assert_eq!(msgs[0].role, Speaker::Counsellor);
        let reply = c.counsellor_reply(&urgent, "Bonjour, je suis là.").unwrap();
        assert!(reply > 2);
    }
}
