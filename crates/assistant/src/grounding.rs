//! Sentence-by-sentence check of generated text while it streams: a sentence that states a
//! figure absent from the retrieved passages is dropped before it reaches the user (P2).

/// Buffers streamed text and releases it one checked sentence at a time.
pub struct SentenceFilter {
    evidence: String,
    pending: String,
    pub dropped: Vec<String>,
}

impl SentenceFilter {
    /// `evidence`: all text the answer may rest on (passages and facts).
    pub fn new(evidence: &str) -> Self {
        SentenceFilter { evidence: normalize_numbers(evidence), pending: String::new(), dropped: Vec::new() }
    }

    /// Add streamed text; returns the sentences now complete and accepted.
    pub fn push(&mut self, text: &str) -> String {
        self.pending.push_str(text);
        let mut out = String::new();
        while let Some(end) = sentence_end(&self.pending) {
            let sentence: String = self.pending.drain(..end).collect();
            out.push_str(&self.check(sentence));
        }
        out
    }

    /// End of stream: check what is left.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        self.check(rest)
    }

    fn check(&mut self, sentence: String) -> String {
        let unsupported = numbers(&sentence).into_iter().any(|n| !contains_number(&self.evidence, &n));
        if unsupported {
            self.dropped.push(sentence.trim().to_string());
            String::new()
        } else {
            sentence
        }
    }
}

/// Byte index just after the first sentence end (". ", "! ", "? ", or a newline).
fn sentence_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'\n' {
            return Some(i + 1);
        }
        if matches!(b[i], b'.' | b'!' | b'?') && i + 1 < b.len() && b[i + 1] == b' ' {
            // "3.5" or "bac+2." handled: only a punctuation followed by a space ends a sentence.
            return Some(i + 2);
        }
    }
    None
}

/// Numbers as digit strings ("2 080" and "2080" both → "2080").
fn numbers(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_digit() {
            cur.push(c);
        } else if (c == ' ' || c == '\u{a0}' || c == '\u{202f}') && !cur.is_empty() && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit()) && cur.len() <= 3 {
            continue; // thousands separator
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn normalize_numbers(s: &str) -> String {
    format!(" {} ", numbers(s).join(" "))
}

fn contains_number(evidence: &str, n: &str) -> bool {
    evidence.contains(&format!(" {n} "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_figures_are_dropped_supported_ones_kept() {
        let mut f = SentenceFilter::new("Salaire du débutant : 1 950 euros brut par mois. Formation en 3 ans.");
        let mut out = f.push("Le salaire de départ est de 1950 euros. La formation dure 5 ans. ");
        out.push_str(&f.push("Elle dure 3 ans"));
        out.push_str(&f.finish());
        assert_eq!(out, "Le salaire de départ est de 1950 euros. Elle dure 3 ans");
        assert_eq!(f.dropped, vec!["La formation dure 5 ans."]);
    }

    #[test]
    fn sentences_without_figures_pass_untouched() {
        let mut f = SentenceFilter::new("rien");
        assert_eq!(f.push("Bonjour ! Ce métier "), "Bonjour ! ");
        assert_eq!(f.finish(), "Ce métier ");
    }
}
