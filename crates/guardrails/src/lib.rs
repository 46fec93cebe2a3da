//! The charter's guardrails. Rails are small pure functions: text in, [`Verdict`]s out, each
//! naming its charter point and the span it concerns. [`check_input`] runs every input rail
//! and combines their verdicts into one action; adding a rail means adding it to the list in
//! [`input::RAILS`], nothing else.

pub mod context;
pub mod courtesy;
pub mod data;
pub mod guard;
pub mod input;
pub mod log;
pub mod normalise;
pub mod output;
pub mod pii;
pub mod semantic;
mod verdict;
pub mod words;

pub use guard::{Guard, History};
pub use input::{check_input, InputReport};
pub use verdict::{Action, Layer, Span, Verdict};
