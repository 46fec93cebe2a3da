//! Prompts computed before, kept with their attention state so that a new prompt that starts
//! the same way computes only what differs. Orient's prompts start with the fixed system
//! message, then the card of the fiche: a second question about the same fiche (a follow-up,
//! or another person asking about the same job) reuses both and computes only its question.
//! Bounded by a number of tokens (each one's keys and values are memory); the least recently
//! used prompts go first.

use crate::qwen2::KvCache;

pub struct PromptCache {
    entries: Vec<Entry>,
    budget_tokens: usize,
    clock: u64,
}

struct Entry {
    tokens: Vec<u32>,
    cache: KvCache,
    used: u64,
}

impl PromptCache {
    pub fn new(budget_tokens: usize) -> Self {
        PromptCache { entries: Vec::new(), budget_tokens, clock: 0 }
    }

    /// The longest start of `prompt` already computed, at most all of it but its last token
    /// (whose logits the caller needs): a cache holding it, and its length. `None` when no
    /// kept prompt shares even its first token.
    pub fn lookup(&mut self, prompt: &[u32]) -> Option<(KvCache, usize)> {
        let most = prompt.len().saturating_sub(1);
        let (best, shared) = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| (i, e.tokens.iter().zip(prompt).take_while(|(a, b)| a == b).count().min(most)))
            .max_by_key(|&(_, n)| n)?;
        if shared == 0 {
            return None;
        }
        self.clock += 1;
        self.entries[best].used = self.clock;
        Some((self.entries[best].cache.truncated(shared), shared))
    }

    /// Keep a computed prompt (`cache` holds exactly `tokens`). A kept prompt that is a start
    /// of this one is replaced by it; then the least recently used go until the budget holds.
    pub fn insert(&mut self, tokens: &[u32], cache: &KvCache) {
        if tokens.is_empty() || tokens.len() > self.budget_tokens {
            return;
        }
        self.clock += 1;
        self.entries.retain(|e| !tokens.starts_with(&e.tokens));
        self.entries.push(Entry { tokens: tokens.to_vec(), cache: cache.clone(), used: self.clock });
        while self.tokens() > self.budget_tokens {
            let oldest = self.entries.iter().enumerate().min_by_key(|(_, e)| e.used).map(|(i, _)| i).expect("over budget means not empty");
            self.entries.swap_remove(oldest);
        }
    }

    /// Tokens kept, all prompts together.
    pub fn tokens(&self) -> usize {
        self.entries.iter().map(|e| e.tokens.len()).sum()
    }
}
