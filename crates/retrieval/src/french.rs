//! What qdrant's French BM25 analyzer lacks: elisions (l', d', qu'…) are glued to the next word
//! ("l'infirmier" would be one token), and typographic apostrophes vary. Strip them before
//! text reaches the sparse encoder, for documents and queries alike.

/// Replace elided articles/pronouns ("l'", "d'", "qu'", "j'"…) and typographic apostrophes.
pub fn strip_elisions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut word_start = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        if c == '\'' || c == '’' || c == 'ʼ' || c == '`' {
            let word: String = chars[word_start..i].iter().collect::<String>().to_lowercase();
            if matches!(word.as_str(), "l" | "d" | "j" | "m" | "n" | "s" | "t" | "c" | "qu" | "jusqu" | "lorsqu" | "puisqu" | "quoiqu") {
                // drop the elided word already written, and the apostrophe
                let keep = out.chars().count() - (i - word_start);
                out = out.chars().take(keep).collect();
            } else {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
        if !c.is_alphanumeric() {
            word_start = i + 1;
        }
    }
    out
}

/// The text with each whole word (letters, digits, hyphens) for which `map` gives a
/// replacement replaced; everything else kept as it is.
pub fn replace_words(text: &str, map: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match map(word) {
            Some(r) => out.push_str(&r),
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '-' {
            word.push(c);
        } else {
            if !word.is_empty() {
                flush(&mut word, &mut out);
            }
            out.push(c);
        }
    }
    if !word.is_empty() {
        flush(&mut word, &mut out);
    }
    out
}

/// Lowercase and fold accents (for exact-ish title matching).
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(text.len());
    for c in text.nfd().filter(|c| !unicode_normalization::char::is_combining_mark(*c)).flat_map(char::to_lowercase) {
        match c {
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            '’' => out.push('\''),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elisions_are_removed_with_either_apostrophe() {
        assert_eq!(strip_elisions("l'infirmier d’État qu'il aime"), "infirmier État il aime");
        assert_eq!(strip_elisions("L'école"), "école");
        assert_eq!(strip_elisions("aujourd'hui"), "aujourd hui");
    }

    #[test]
    fn folding_removes_accents_and_case() {
        assert_eq!(fold("Électricien CŒUR"), "electricien coeur");
    }
}
