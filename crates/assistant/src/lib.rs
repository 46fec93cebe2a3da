//! One conversation turn, end to end: retrieve the fiches, state their facts, let the model
//! phrase a short answer from the passages, check each generated sentence against them, and
//! return the answer with its sources.

mod facts;
mod grounding;
pub mod live_data;
mod prompt;
pub mod question;
pub mod rails;
mod receipt;
mod replies;
mod turn;

pub use facts::facts_block;
pub use grounding::{Evidence, SentenceCheck, SentenceFilter, Unsupported};
pub use prompt::{build_messages, SYSTEM_PROMPT};
pub use receipt::Receipt;
pub use turn::{
    is_follow_up, Answer, Assistant, AssistantConfig, AssistantError, Event, GenerationMode, Handoff, Source, TurnOptions, FOLLOW_UP_MAX_WORDS, NO_ANSWER,
};
