//! Conversations in memory: bounded history (redacted text only, P9), handoff state for the
//! counsellor queue (P7, P8), and the counsellor's replies waiting for the user's widget.

use assistant::{Handoff, Source};
use guardrails::Verdict;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub seq: u64,
    /// `user`, `assistant` or `counsellor`.
    pub role: &'static str,
    /// Redacted for the user's messages.
    pub text: String,
    pub at: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HandoffState {
    pub priority: String,
    pub reason: String,
    pub since: u64,
    /// `waiting` until a counsellor replies, then `answered`.
    pub status: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub id: String,
    pub text: String,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    pub id: String,
    pub created: u64,
    pub messages: VecDeque<Message>,
    pub handoff: Option<HandoffState>,
    /// Verdicts and sources of the latest turn, for the counsellor.
    pub verdicts: Vec<Verdict>,
    pub sources: Vec<Source>,
    pub turns: usize,
    #[serde(skip)]
    pub suggestion: Option<Suggestion>,
    #[serde(skip)]
    last_active: Option<Instant>,
    #[serde(skip)]
    next_seq: u64,
}

impl Conversation {
    fn new(id: String) -> Self {
        Conversation {
            id,
            created: now(),
            messages: VecDeque::new(),
            handoff: None,
            verdicts: Vec::new(),
            sources: Vec::new(),
            turns: 0,
            suggestion: None,
            last_active: Some(Instant::now()),
            next_seq: 1,
        }
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

/// Ordinary conversations live in a bounded cache (least recently used and idle ones go
/// first); a conversation handed to a counsellor is also pinned apart, so that no flood of
/// new conversations can push a waiting person out of the queue.
pub struct Conversations {
    recent: moka::sync::Cache<String, Shared>,
    handed_off: Mutex<HashMap<String, Shared>>,
    history: usize,
    ttl: Duration,
}

type Shared = Arc<Mutex<Conversation>>;

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
    pub fn new(history: usize, capacity: usize, ttl: Duration) -> Self {
        Conversations {
            recent: moka::sync::Cache::builder().max_capacity(capacity.max(1) as u64).time_to_idle(ttl).build(),
            handed_off: Mutex::new(HashMap::new()),
            history: history.max(2),
            ttl,
        }
    }

    fn find(&self, id: &str) -> Option<Shared> {
        if let Some(c) = self.handed_off.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            return Some(c.clone());
        }
        self.recent.get(id)
    }

    /// Turns a known conversation has had (none for an unknown or invalid id).
    pub fn turns(&self, id: &str) -> Option<usize> {
        if !valid_id(id) {
            return None;
        }
        self.find(id).map(|c| lock(&c).turns)
    }

    /// The id to use for a turn and whether it is the conversation's first: a known id
    /// continues its conversation, anything else starts a new one under a fresh id.
    pub fn begin(&self, requested: Option<&str>) -> (String, bool) {
        if let Some(id) = requested.filter(|id| valid_id(id)) {
            if let Some(c) = self.find(id) {
                let mut c = lock(&c);
                c.last_active = Some(Instant::now());
                return (id.to_string(), c.turns == 0);
            }
        }
        let id = new_id();
        self.recent.insert(id.clone(), Arc::new(Mutex::new(Conversation::new(id.clone()))));
        (id, true)
    }

    /// Forget handed-off conversations answered and idle for longer than the lifetime (the
    /// cache forgets the others by itself). Called periodically.
    pub fn sweep(&self) {
        let ttl = self.ttl;
        self.handed_off.lock().unwrap_or_else(|p| p.into_inner()).retain(|_, c| {
            let c = lock(c);
            let idle = c.last_active.is_none_or(|t| t.elapsed() >= ttl);
            !(idle && c.handoff.as_ref().is_none_or(|h| h.status != "waiting"))
        });
        self.recent.run_pending_tasks();
    }

    fn push(&self, c: &mut Conversation, role: &'static str, text: String) -> u64 {
        let seq = c.next_seq;
        c.next_seq += 1;
        c.messages.push_back(Message { seq, role, text, at: now() });
        while c.messages.len() > self.history {
            c.messages.pop_front();
        }
        seq
    }

    /// Record a finished turn (the user's text already redacted).
    pub fn record_turn(&self, id: &str, redacted_question: &str, answer: &str, handoff: Option<&Handoff>, verdicts: &[Verdict], sources: &[Source]) {
        let Some(shared) = self.find(id) else { return };
        {
            let mut c = lock(&shared);
            c.turns += 1;
            c.last_active = Some(Instant::now());
            self.push(&mut c, "user", redacted_question.to_string());
            self.push(&mut c, "assistant", answer.to_string());
            c.verdicts = verdicts.to_vec();
            c.sources = sources.to_vec();
            let Some(h) = handoff else { return };
            // A distress message makes a waiting conversation urgent; it never lowers it.
            let urgent = h.priority == "urgent" || c.handoff.as_ref().is_some_and(|s| s.status == "waiting" && s.priority == "urgent");
            c.handoff =
                Some(HandoffState { priority: if urgent { "urgent" } else { "normal" }.into(), reason: h.reason.clone(), since: now(), status: "waiting" });
        }
        self.handed_off.lock().unwrap_or_else(|p| p.into_inner()).insert(id.to_string(), shared);
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
        c.messages.iter().rev().find(|m| m.role == "user").map(|m| m.text.clone())
    }

    /// What the rails read of a conversation: its user messages (redacted) and whether distress
    /// is waiting for a counsellor's answer (P8: the conversation stays with the counsellor).
    pub fn history(&self, id: &str) -> guardrails::History {
        let Some(shared) = self.find(id) else {
            return guardrails::History::default();
        };
        let c = lock(&shared);
        guardrails::History {
            previous: c.messages.iter().filter(|m| m.role == "user").map(|m| m.text.clone()).collect(),
            distress_pending: c.handoff.as_ref().is_some_and(|h| h.status == "waiting" && h.priority == "urgent"),
        }
    }

    pub fn get(&self, id: &str) -> Option<Conversation> {
        self.find(id).map(|c| lock(&c).clone())
    }

    /// Handed-off conversations: waiting before answered, urgent first, oldest first.
    pub fn queue(&self) -> Vec<QueueItem> {
        let pinned: Vec<Shared> = self.handed_off.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        let mut items: Vec<QueueItem> = pinned
            .iter()
            .filter_map(|c| {
                let c = lock(c);
                let h = c.handoff.clone()?;
                let last = c.messages.iter().rev().find(|m| m.role == "user").map(|m| m.text.clone()).unwrap_or_default();
                Some(QueueItem { id: c.id.clone(), handoff: h, last_message: last, messages: c.messages.len() })
            })
            .collect();
        items.sort_by_key(|i| (i.handoff.status != "waiting", i.handoff.priority != "urgent", i.handoff.since));
        items
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

    /// The counsellor's reply: appended for the user's widget; the handoff is answered.
    /// Returns the suggestion it answers, if one was made.
    pub fn counsellor_reply(&self, id: &str, text: &str) -> Option<(u64, Option<Suggestion>)> {
        let shared = self.find(id)?;
        let mut c = lock(&shared);
        let seq = self.push(&mut c, "counsellor", text.to_string());
        if let Some(h) = c.handoff.as_mut() {
            h.status = "answered";
        }
        c.last_active = Some(Instant::now());
        Some((seq, c.suggestion.take()))
    }

    /// Conversations in memory (ordinary ones as the cache counts them, plus pinned ones).
    pub fn len(&self) -> usize {
        self.recent.entry_count() as usize + self.handed_off.lock().map(|m| m.len()).unwrap_or(0)
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
        let (id, first) = c.begin(Some("not-an-id"));
        assert!(first && valid_id(&id));
        for i in 0..5 {
            c.record_turn(&id, &format!("q{i}"), "a", None, &[], &[]);
        }
        let (msgs, _) = c.messages_after(&id, 0).unwrap();
        assert_eq!(msgs.len(), 4);
        assert_eq!(msgs.last().unwrap().seq, 10);
        assert_eq!(c.begin(Some(&id)), (id.clone(), false));
    }

    #[test]
    fn queue_puts_urgent_waiting_first_and_replies_answer_it() {
        let c = Conversations::new(10, 10, Duration::from_secs(60));
        let (a, _) = c.begin(None);
        let (b, _) = c.begin(None);
        c.record_turn(&a, "je veux parler à quelqu'un", "…", Some(&handoff("normal")), &[], &[]);
        c.record_turn(&b, "je vais mal", "…", Some(&handoff("urgent")), &[], &[]);
        let q = c.queue();
        assert_eq!(q[0].id, b);
        assert_eq!(q[1].id, a);
        let (seq, _) = c.counsellor_reply(&b, "Bonjour, je suis là.").unwrap();
        assert_eq!(c.queue()[0].id, a, "an answered conversation goes after waiting ones");
        let (msgs, h) = c.messages_after(&b, seq - 1).unwrap();
        assert_eq!(msgs[0].role, "counsellor");
        assert_eq!(h.unwrap().status, "answered");
    }

    #[test]
    fn memory_is_bounded_but_a_waiting_handoff_is_never_evicted() {
        let c = Conversations::new(10, 50, Duration::from_secs(60));
        let (urgent, _) = c.begin(None);
        c.record_turn(&urgent, "je vais mal", "…", Some(&handoff("urgent")), &[], &[]);
        for _ in 0..2000 {
            c.begin(None);
        }
        c.sweep();
        assert!(c.recent.entry_count() <= 50, "{}", c.recent.entry_count());
        assert!(c.get(&urgent).is_some());
        assert_eq!(c.queue()[0].id, urgent);
    }
}
