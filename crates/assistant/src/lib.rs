//! One conversation turn, end to end: read what the question asks, retrieve the fiches, state
//! what they say about exactly that (a card quoted word for word), say when the fiches cannot
//! hold the answer, optionally add one model sentence checked against the cited fiche, and
//! return the answer with its sources and receipt.

pub mod diplomas;
pub mod explore;
mod facts;
mod grounding;
pub mod live_data;
mod meaning;
pub mod open_head;
mod options;
pub mod path;
pub mod profile;
mod prompt;
pub mod question;
pub mod rails;
mod receipt;
mod replies;
mod turn;

pub use explore::{Exploration, FollowUp, Proposal};
pub use facts::{facts_block, Picks};
pub use grounding::{Evidence, SentenceCheck, SentenceFilter, Unsupported};
pub use profile::Profile;
pub use prompt::{build_messages, SYSTEM_PROMPT};
pub use receipt::Receipt;
pub use replies::without_fixed_replies;
pub use turn::{
    is_follow_up, Answer, Assistant, AssistantConfig, AssistantError, Channel, Event, GenerationMode, Handoff, ModelSlot, Source, TurnOptions, TurnRecord,
    FOLLOW_UP_MAX_WORDS, NO_ANSWER, TURN_RECORD,
};
