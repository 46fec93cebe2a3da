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
    /// Which layer decided: a rule (its id), the semantic layer (score, threshold, nearest
    /// training exemplars) or the conversation (P1, P11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Layer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Layer {
    /// A pattern of a lexicon: `lexicon#index`, or a recogniser's name.
    Rule { id: String },
    /// A head of the semantic layer; `window` when it fired on the last messages together.
    Semantic { head: String, score: f32, threshold: f32, nearest: Vec<(String, f32)>, window: bool },
    /// The conversation's state (distress earlier, no counsellor reply yet).
    Conversation { id: String },
}

impl Verdict {
    pub fn new(rail: &str, action: Action, point: &str, reason: impl Into<String>, span: Option<Span>) -> Self {
        debug_assert!(charter::point(point).is_some(), "unknown charter point {point}");
        Verdict { rail: rail.into(), action, point: point.into(), reason: reason.into(), span, layer: None }
    }

    pub fn with_layer(mut self, layer: Layer) -> Self {
        self.layer = Some(layer);
        self
    }
}
