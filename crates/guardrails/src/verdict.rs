use serde::{Deserialize, Serialize};

/// What to do with a message. Ordered by precedence: when rails disagree, the highest wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Answer,
    RedactAndAnswer,
    AnswerWithCare,
    Refuse,
    Handoff,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Answer => "answer",
            Action::RedactAndAnswer => "redact_and_answer",
            Action::AnswerWithCare => "answer_with_care",
            Action::Refuse => "refuse",
            Action::Handoff => "handoff",
        }
    }
}

/// Byte range in the text the rail looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Rail that decided (e.g. `distress`).
    pub rail: String,
    pub action: Action,
    /// Charter point, `P1`…`P12`.
    pub point: String,
    /// Why, in English, for operators and auditors.
    pub reason: String,
    pub span: Option<Span>,
}

impl Verdict {
    pub fn new(rail: &str, action: Action, point: &str, reason: impl Into<String>, span: Option<Span>) -> Self {
        debug_assert!(charter::point(point).is_some(), "unknown charter point {point}");
        Verdict { rail: rail.into(), action, point: point.into(), reason: reason.into(), span }
    }
}
