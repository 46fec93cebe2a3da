//! Evaluation: how well orient finds the right fiche (and, later, answers and guardrails).

pub mod guardrails_eval;
pub mod retrieval_eval;
