//! What the service does with conversations, over any [`StateStore`]: turns recorded, the
//! counsellor queue with its caps, claims so that one counsellor answers a person, replies
//! delivered to the widget. The queue is capped per client and in total, and repeated requests
//! are counted once, so that no flood can bury a real person.

use crate::model::{Conversation, HandoffState, HandoffStatus, Message, Speaker, Suggestion};
use crate::{new_id, now, queue_order, valid_id, StateError, StateStore};
use assistant::{Handoff, Source};
use guardrails::Verdict;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

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

/// What a widget polling a conversation gets: the messages it has not seen, and the handoff.
#[derive(Debug, Clone, Serialize)]
pub struct NewMessages {
    pub messages: Vec<Message>,
    pub handoff: Option<HandoffState>,
}

/// A counsellor's claim on a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Theirs now (or already).
    Yours,
    /// Another counsellor answers this person.
    Other(String),
    /// Nobody asked for a counsellor in it.
    NotHandedOff,
    Unknown,
}

/// What became of a counsellor's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Delivered under this sequence number.
    Sent(u64),
    /// Another counsellor claimed the person: nothing was sent.
    Other(String),
    Unknown,
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub history: usize,
    /// Conversations kept that nobody waits on; the least recently active go first.
    pub capacity: usize,
    pub ttl: Duration,
    pub max_waiting: usize,
    pub max_waiting_per_client: usize,
}

/// How many times the caps of requests for a human those of distress are.
pub const URGENT_CAP_FACTOR: usize = 10;

pub struct Conversations {
    store: Arc<dyn StateStore>,
    limits: Limits,
    /// Shared by the replicas of a store: the same client has the same pseudonym on each.
    client_key: Vec<u8>,
}

fn normalised(t: &str) -> String {
    t.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Conversations {
    pub fn open(store: Arc<dyn StateStore>, limits: Limits) -> Result<Conversations, StateError> {
        let client_key = store.secret("client_key")?;
        Ok(Conversations { store, limits: Limits { history: limits.history.max(2), ..limits }, client_key })
    }

    pub fn store(&self) -> &Arc<dyn StateStore> {
        &self.store
    }

    /// The keyed pseudonym a client address is counted under: the address itself is never
    /// stored.
    pub fn client_pseudonym(&self, address: &str) -> String {
        let mut h = Sha256::new();
        h.update(&self.client_key);
        h.update(address.as_bytes());
        hex::encode(&h.finalize()[..12])
    }

    pub fn get(&self, id: &str) -> Result<Option<Conversation>, StateError> {
        if !valid_id(id) {
            return Ok(None);
        }
        self.store.load(id)
    }

    /// The id to use for a turn and its conversation so far: a known id continues its
    /// conversation, anything else starts a new one under a fresh id (stored with its first
    /// turn).
    pub fn begin(&self, requested: Option<&str>) -> Result<(String, Option<Conversation>), StateError> {
        if let Some(id) = requested {
            if let Some(c) = self.get(id)? {
                return Ok((id.to_string(), Some(c)));
            }
        }
        Ok((new_id(), None))
    }

    /// Whether a new handoff from `client` with this text may join the queue, given the
    /// conversations waiting. Requests for a human are capped per client and in total, and a
    /// repeat is counted on the request already waiting (its id returned). A person in distress
    /// is never merged and has caps of their own, far above any real school behind one address
    /// (`URGENT_CAP_FACTOR` times the others): fake distress can neither push out a request for
    /// a human nor grow the queue without bound.
    fn admit_handoff(&self, id: &str, client: Option<&str>, text: &str, urgent: bool, waiting: &[Conversation]) -> (Queued, Option<String>) {
        let same_client = |o: &Conversation| client.is_some() && o.client.as_deref() == client;
        let others = waiting.iter().filter(|o| o.id != id && o.is_waiting());
        if urgent {
            let urgent: Vec<&Conversation> = others.filter(|o| o.is_waiting_urgent()).collect();
            let of_client = urgent.iter().filter(|o| same_client(o)).count();
            let queued = if of_client >= self.limits.max_waiting_per_client * URGENT_CAP_FACTOR {
                Queued::ClientCap
            } else if urgent.len() >= self.limits.max_waiting * URGENT_CAP_FACTOR {
                Queued::Full
            } else {
                Queued::Yes
            };
            return (queued, None);
        }
        let text = normalised(text);
        let normal: Vec<&Conversation> = others.filter(|o| !o.is_waiting_urgent()).collect();
        let mine: Vec<&&Conversation> = normal.iter().filter(|o| same_client(o)).collect();
        if let Some(repeat) = mine.iter().find(|o| o.last_user_text().map(normalised).as_deref() == Some(text.as_str())) {
            return (Queued::Repeat, Some(repeat.id.clone()));
        }
        let queued = if mine.len() >= self.limits.max_waiting_per_client {
            Queued::ClientCap
        } else if normal.len() >= self.limits.max_waiting {
            Queued::Full
        } else {
            Queued::Yes
        };
        (queued, None)
    }

    /// Record a finished turn (the user's text already redacted); says whether its handoff
    /// joined the queue. A conversation the store does not hold is made: a turn, above all a
    /// handoff, is never dropped.
    #[allow(clippy::too_many_arguments)]
    pub fn record_turn(
        &self,
        id: &str,
        client: Option<&str>,
        redacted_question: &str,
        answer: &str,
        handoff: Option<&Handoff>,
        verdicts: &[Verdict],
        sources: &[Source],
    ) -> Result<Queued, StateError> {
        let (mut queued, mut repeat_of) = (Queued::No, None);
        self.store.update(id, handoff.is_some(), &mut |current, waiting| {
            let mut c = current.unwrap_or_else(|| Conversation::new(id.to_string(), None));
            // The address is counted under the one that writes in it first.
            c.client = c.client.take().or(client.map(String::from));
            (queued, repeat_of) = match handoff {
                None => (Queued::No, None),
                Some(_) if c.is_waiting() => (Queued::Yes, None),
                Some(h) => self.admit_handoff(id, c.client.as_deref(), redacted_question, h.priority == "urgent", waiting),
            };
            c.turns += 1;
            c.updated = now();
            c.push(Speaker::User, redacted_question.to_string(), self.limits.history);
            c.push(Speaker::Assistant, answer.to_string(), self.limits.history);
            c.verdicts = verdicts.to_vec();
            c.sources = sources.to_vec();
            if let (Some(h), Queued::Yes) = (handoff, queued) {
                // A distress message makes a waiting conversation urgent; it never lowers it.
                let waiting_before = c.handoff.as_ref().filter(|s| s.status == HandoffStatus::Waiting);
                let urgent = h.priority == "urgent" || waiting_before.is_some_and(HandoffState::is_urgent);
                let (since, repeats, claimed_by, claimed_at) = match waiting_before {
                    Some(s) => (s.since, s.repeats, s.claimed_by.clone(), s.claimed_at),
                    // A new request: any counsellor may take it, not only one who answered before.
                    None => (now(), 0, None, None),
                };
                c.handoff = Some(HandoffState {
                    priority: if urgent { "urgent" } else { "normal" }.into(),
                    reason: h.reason.clone(),
                    since,
                    status: HandoffStatus::Waiting,
                    repeats,
                    claimed_by,
                    claimed_at,
                });
            }
            Some(c)
        })?;
        if let Some(other) = repeat_of {
            self.store.update(&other, false, &mut |current, _| {
                let mut o = current?;
                o.handoff.as_mut().filter(|h| h.status == HandoffStatus::Waiting)?.repeats += 1;
                Some(o)
            })?;
        }
        Ok(queued)
    }

    /// Messages after `after`, for the user's widget.
    pub fn messages_after(&self, id: &str, after: u64) -> Result<Option<NewMessages>, StateError> {
        Ok(self.get(id)?.map(|c| NewMessages { messages: c.messages.iter().filter(|m| m.seq > after).cloned().collect(), handoff: c.handoff.clone() }))
    }

    /// The counsellor queue, at most `limit` items in order, and the latest urgent arrivals.
    pub fn queue(&self, limit: usize) -> Result<Queue, StateError> {
        let mut list = self.store.handed_off(now().saturating_sub(self.limits.ttl.as_secs()))?;
        list.sort_by_key(queue_order);
        let items: Vec<QueueItem> = list
            .iter()
            .filter_map(|c| {
                let h = c.handoff.clone()?;
                Some(QueueItem { id: c.id.clone(), handoff: h, last_message: c.last_user_text().unwrap_or_default().to_string(), messages: c.messages.len() })
            })
            .collect();
        let waiting = items.iter().filter(|i| i.handoff.status == HandoffStatus::Waiting).count();
        let mut newest_urgent: Vec<QueueItem> = items.iter().filter(|i| i.handoff.status == HandoffStatus::Waiting && i.handoff.is_urgent()).cloned().collect();
        newest_urgent.sort_by_key(|i| std::cmp::Reverse(i.handoff.since));
        newest_urgent.truncate(5);
        Ok(Queue { queue: items.into_iter().take(limit).collect(), newest_urgent, waiting })
    }

    /// Keep the draft a counsellor was shown (what a reply is compared with).
    pub fn set_suggestion(&self, id: &str, s: Suggestion) -> Result<bool, StateError> {
        if !valid_id(id) {
            return Ok(false);
        }
        let written = self.store.update(id, false, &mut |current, _| {
            let mut c = current?;
            c.suggestion = Some(s.clone());
            Some(c)
        })?;
        Ok(written.is_some())
    }

    /// Add a line to the conversation's last assistant message (what the person was told
    /// after the turn was recorded).
    pub fn amend_last_answer(&self, id: &str, note: &str) -> Result<(), StateError> {
        self.store.update(id, false, &mut |current, _| {
            let mut c = current?;
            let m = c.messages.iter_mut().rev().find(|m| m.role == Speaker::Assistant)?;
            m.text = format!("{}\n{note}", m.text);
            Some(c)
        })?;
        Ok(())
    }

    /// `counsellor` takes the conversation: from now on only they reply to this person.
    pub fn claim(&self, id: &str, counsellor: &str) -> Result<Claim, StateError> {
        if !valid_id(id) {
            return Ok(Claim::Unknown);
        }
        let mut claim = Claim::Unknown;
        self.store.update(id, false, &mut |current, _| {
            let Some(mut c) = current else {
                claim = Claim::Unknown;
                return None;
            };
            let Some(h) = c.handoff.as_mut() else {
                claim = Claim::NotHandedOff;
                return None;
            };
            match h.holder(now()) {
                Some(who) if who != counsellor => {
                    claim = Claim::Other(who.to_string());
                    None
                }
                // Free, lapsed, or theirs already (the claim is renewed).
                _ => {
                    h.claim(counsellor, now());
                    claim = Claim::Yours;
                    Some(c)
                }
            }
        })?;
        Ok(claim)
    }

    /// The next person waiting that nobody holds (unclaimed, or the claim lapsed; urgent
    /// first), now `counsellor`'s.
    pub fn claim_next(&self, counsellor: &str) -> Result<Option<Conversation>, StateError> {
        self.store.claim_next(counsellor, now(), now().saturating_sub(crate::model::CLAIM_LAPSES_AFTER_S))
    }

    /// The counsellor's reply, appended for the user's widget in the same transaction that
    /// checks the claim: it is sent only if the conversation is unclaimed (it is claimed then)
    /// or claimed by `counsellor`. The handoff is answered.
    /// `request_id`: the copilot's id for this sending; a reply already delivered under it is
    /// not delivered again (its sequence number is returned).
    pub fn counsellor_reply(&self, id: &str, counsellor: &str, text: &str, request_id: Option<&str>) -> Result<Reply, StateError> {
        if !valid_id(id) {
            return Ok(Reply::Unknown);
        }
        let mut reply = Reply::Unknown;
        self.store.update(id, false, &mut |current, _| {
            let Some(mut c) = current else {
                reply = Reply::Unknown;
                return None;
            };
            if let Some(seq) = request_id.and_then(|r| c.delivered(r)) {
                reply = Reply::Sent(seq);
                return None;
            }
            if let Some(who) = c.handoff.as_ref().and_then(|h| h.holder(now())).filter(|who| *who != counsellor) {
                reply = Reply::Other(who.to_string());
                return None;
            }
            let seq = c.push(Speaker::Counsellor, text.to_string(), self.limits.history);
            if let Some(m) = c.messages.back_mut() {
                m.request_id = request_id.map(String::from);
            }
            let h = c.handoff.get_or_insert_with(|| HandoffState {
                priority: "normal".into(),
                reason: "counsellor".into(),
                since: now(),
                status: HandoffStatus::Answered,
                repeats: 0,
                claimed_by: None,
                claimed_at: None,
            });
            h.status = HandoffStatus::Answered;
            h.claim(counsellor, now());
            c.updated = now();
            c.suggestion = None;
            reply = Reply::Sent(seq);
            Some(c)
        })?;
        Ok(reply)
    }

    /// Forget conversations idle for longer than the lifetime and the oldest beyond the
    /// capacity, never one waiting for a counsellor. Called periodically.
    pub fn sweep(&self) -> Result<usize, StateError> {
        self.store.forget_idle(now().saturating_sub(self.limits.ttl.as_secs()), self.limits.capacity)
    }

    /// Conversations stored.
    pub fn len(&self) -> Result<usize, StateError> {
        self.store.count()
    }

    pub fn is_empty(&self) -> Result<bool, StateError> {
        Ok(self.len()? == 0)
    }
}
