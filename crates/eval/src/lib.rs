//! Evaluation: how well orient finds the right fiche (and, later, answers and guardrails).

pub mod retrieval_eval;
