//! What a conversation holds: bounded history (redacted text only, P9), the handoff to a
//! counsellor (P7, P8) with who claimed it, the counsellor's replies and the draft suggested.

use assistant::Source;
use guardrails::Verdict;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

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
    /// For a counsellor's reply: the id the copilot sent it under, so that a request sent
    /// again (a retry, a double click) delivers it once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
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
    /// The counsellor answering this person (a pseudonym of their token): only they reply,
    /// so that two counsellors never answer the same person twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    /// When the claim was made or last used (a reply); a claim on a person still waiting
    /// lapses after [`CLAIM_LAPSES_AFTER_S`], so that a counsellor who went away never keeps
    /// someone from being answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<u64>,
}

/// How long a claim on a person still waiting holds without a reply.
pub const CLAIM_LAPSES_AFTER_S: u64 = 15 * 60;

impl HandoffState {
    pub fn is_urgent(&self) -> bool {
        self.priority == "urgent"
    }

    /// The counsellor who holds the person now: the claimer, unless the claim lapsed while the
    /// person was still waiting.
    pub fn holder(&self, now: u64) -> Option<&str> {
        let lapsed = self.status == HandoffStatus::Waiting && self.claimed_at.unwrap_or(0) + CLAIM_LAPSES_AFTER_S <= now;
        self.claimed_by.as_deref().filter(|_| !lapsed)
    }

    pub(crate) fn claim(&mut self, counsellor: &str, now: u64) {
        self.claimed_by = Some(counsellor.to_string());
        self.claimed_at = Some(now);
    }
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
    /// The draft a counsellor was shown last: kept in its own column, never in what a
    /// counsellor's view of the conversation serialises.
    #[serde(skip)]
    pub suggestion: Option<Suggestion>,
    pub(crate) next_seq: u64,
    /// A keyed pseudonym of the client address that writes in it (for the per-client caps of
    /// the queue); kept in its own column, never shown.
    #[serde(skip)]
    pub client: Option<String>,
}

impl Conversation {
    pub fn new(id: String, client: Option<String>) -> Self {
        let now = crate::now();
        Conversation {
            id,
            created: now,
            updated: now,
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

    pub fn is_waiting_urgent(&self) -> bool {
        self.handoff.as_ref().is_some_and(|h| h.status == HandoffStatus::Waiting && h.is_urgent())
    }

    /// The sequence number of the counsellor's reply sent under `request_id`, if it was.
    pub fn delivered(&self, request_id: &str) -> Option<u64> {
        self.messages.iter().find(|m| m.role == Speaker::Counsellor && m.request_id.as_deref() == Some(request_id)).map(|m| m.seq)
    }

    pub fn last_user_text(&self) -> Option<&str> {
        self.messages.iter().rev().find(|m| m.role == Speaker::User).map(|m| m.text.as_str())
    }

    /// What the rails read of a conversation: its user messages (redacted) and whether distress
    /// is waiting for a counsellor's answer (P8: the conversation stays with the counsellor).
    pub fn history(&self) -> guardrails::History {
        guardrails::History {
            previous: self.messages.iter().filter(|m| m.role == Speaker::User).map(|m| m.text.clone()).collect(),
            distress_pending: self.is_waiting_urgent(),
        }
    }

    /// Append a message, forgetting the oldest beyond `keep`; returns its sequence number.
    pub(crate) fn push(&mut self, role: Speaker, text: String, keep: usize) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.messages.push_back(Message { seq, role, text, at: crate::now(), request_id: None });
        while self.messages.len() > keep {
            self.messages.pop_front();
        }
        seq
    }
}

/// One stored row: the conversation and the columns kept apart from its JSON.
pub(crate) struct Row {
    pub data: String,
    pub client: Option<String>,
    pub suggestion: Option<String>,
}

impl Row {
    pub fn of(c: &Conversation) -> Result<Row, serde_json::Error> {
        Ok(Row { data: serde_json::to_string(c)?, client: c.client.clone(), suggestion: c.suggestion.as_ref().map(serde_json::to_string).transpose()? })
    }

    pub fn read(self) -> Result<Conversation, serde_json::Error> {
        let mut c: Conversation = serde_json::from_str(&self.data)?;
        c.client = self.client;
        c.suggestion = self.suggestion.as_deref().map(serde_json::from_str).transpose()?;
        Ok(c)
    }
}

/// The indexed columns of a row, derived from the conversation.
pub(crate) struct Columns {
    pub waiting: bool,
    pub urgent: bool,
    pub handed_off: bool,
    pub claimed_by: Option<String>,
    pub claimed_at: i64,
    pub since: i64,
    pub updated: i64,
}

impl Columns {
    pub fn of(c: &Conversation) -> Columns {
        Columns {
            waiting: c.is_waiting(),
            urgent: c.handoff.as_ref().is_some_and(HandoffState::is_urgent),
            handed_off: c.handoff.is_some(),
            claimed_by: c.handoff.as_ref().and_then(|h| h.claimed_by.clone()),
            claimed_at: c.handoff.as_ref().and_then(|h| h.claimed_at).unwrap_or(0) as i64,
            since: c.handoff.as_ref().map_or(0, |h| h.since as i64),
            updated: c.updated as i64,
        }
    }
}
