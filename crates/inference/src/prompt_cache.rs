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

    /// The longest start of `prompt` already computed, cut to a multiple of `align` tokens
    /// and short of the prompt's last token (whose logits the caller needs): a cache holding
    /// it, and its length. Prompts are computed in chunks that start at multiples of `align`,
    /// so what follows is computed exactly as it would be without the cache. `None` when no
    /// kept prompt shares a whole chunk.
    pub fn lookup(&mut self, prompt: &[u32], align: usize) -> Option<(KvCache, usize)> {
        let align = align.max(1);
        let most = prompt.len().saturating_sub(1);
        let (best, shared) = self
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let n = e.tokens.iter().zip(prompt).take_while(|(a, b)| a == b).count().min(most);
                (i, n / align * align)
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt(start: u32, n: usize) -> Vec<u32> {
        (start..start + n as u32).collect()
    }

    #[test]
    fn the_longest_shared_start_is_found_in_whole_chunks() {
        let mut c = PromptCache::new(1000);
        c.insert(&prompt(0, 100), &KvCache::default());
        let mut other = prompt(0, 70);
        other.extend([999, 998]);
        c.insert(&other, &KvCache::default());
        // Shares 100 tokens with the first, 70 with the second: 96 in chunks of 8.
        let asked: Vec<u32> = prompt(0, 120);
        assert_eq!(c.lookup(&asked, 8).map(|(_, n)| n), Some(96));
        // Never the whole prompt: its last token must be computed.
        assert_eq!(c.lookup(&prompt(0, 100), 1).map(|(_, n)| n), Some(99));
        // Nothing shared in a whole chunk.
        assert!(c.lookup(&prompt(500, 50), 8).is_none());
        assert!(c.lookup(&prompt(0, 5), 8).is_none());
    }

    #[test]
    fn a_longer_prompt_replaces_its_start_and_the_least_recently_used_go_first() {
        let mut c = PromptCache::new(250);
        c.insert(&prompt(0, 50), &KvCache::default());
        c.insert(&prompt(0, 100), &KvCache::default());
        assert_eq!(c.tokens(), 100, "the 50 tokens are a start of the 100");
        c.insert(&prompt(1000, 100), &KvCache::default());
        // The first is used again, so the second is the one to go.
        assert!(c.lookup(&prompt(0, 80), 1).is_some());
        c.insert(&prompt(2000, 100), &KvCache::default());
        assert_eq!(c.tokens(), 200);
        assert!(c.lookup(&prompt(0, 80), 1).is_some());
        assert!(c.lookup(&prompt(1000, 80), 1).is_none());
        // A prompt over the whole budget is not kept.
        c.insert(&prompt(5000, 300), &KvCache::default());
        assert_eq!(c.tokens(), 200);
    }
}
