//! Courtesies (`data/courtesies.tsv`): greetings, thanks and leave-takings. The semantic heads
//! read a message without the courtesies that open or close it, since the encoder reads
//! "je dois y aller" or "bonne nuit" near a farewell and "bonne journée" near an injection;
//! a message made only of courtesies is left to the rules and the conversation window.

use crate::normalise::fold;
use std::sync::OnceLock;

/// Words that turn the courtesy before them into something else ("ça va pas", "à demain… ou
/// pas", "je dois partir pour…"): the courtesy is then kept for the heads to read.
const NOT_BEFORE: &[&str] = &["pas", "plus", "jamais", "rien", "mal", "ou", "si", "sauf", "pour", "personne", "sans", "peut-etre"];
/// Words that turn the courtesy after them into something else ("un dernier au revoir").
const NOT_AFTER: &[&str] = &["ne", "n'", "pas", "plus", "jamais", "sans", "dernier", "derniere", "derniers", "dernieres", "mon", "ma", "mes"];

/// What a courtesy does (the second column of `data/courtesies.tsv`): it chooses the reply to a
/// message made only of courtesies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Courtesy {
    /// Words that only frame a name ("c'est [NOM]").
    Frame,
    /// "ok", "super", "je vois".
    Ack,
    Greeting,
    Thanks,
    /// A goodbye, or a plan to come back ("à demain", "je reviendrai plus tard").
    Leave,
}

impl Courtesy {
    fn parse(kind: &str) -> Courtesy {
        match kind {
            "frame" => Courtesy::Frame,
            "greeting" => Courtesy::Greeting,
            "thanks" => Courtesy::Thanks,
            "leave" => Courtesy::Leave,
            "ack" => Courtesy::Ack,
            other => panic!("data/courtesies.tsv: unknown kind {other:?} (frame, ack, greeting, thanks, leave)"),
        }
    }
}

struct Phrases {
    /// Every courtesy with its kind, the longest first, as word sequences.
    all: Vec<(Vec<String>, Courtesy)>,
    /// Those that may be removed from a longer message (not the frames of a name).
    removable: Vec<Vec<String>>,
}

fn phrases() -> &'static Phrases {
    static P: OnceLock<Phrases> = OnceLock::new();
    P.get_or_init(|| {
        let mut all = Vec::new();
        let mut removable = Vec::new();
        for row in crate::data::rows(crate::data::COURTESIES) {
            let words = split_words(&fold(row[0]));
            if words.is_empty() {
                continue;
            }
            let kind = Courtesy::parse(row.get(1).copied().unwrap_or("ack"));
            if kind != Courtesy::Frame {
                removable.push(words.clone());
            }
            all.push((words, kind));
        }
        // The longest first, so that "merci beaucoup" is read before "merci".
        all.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        removable.sort_by_key(|w| std::cmp::Reverse(w.len()));
        Phrases { all, removable }
    })
}

/// The words of a folded text, with their byte ranges; an elided article or pronoun ("j'",
/// "c'") stays one word with what follows.
fn words_with_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let in_word = c.is_alphanumeric() || c == '\'' || c == '-';
        match (in_word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

fn split_words(text: &str) -> Vec<String> {
    words_with_spans(text).into_iter().map(|(s, e)| text[s..e].to_string()).collect()
}

/// Whether a message, in the rails' plain form, is made only of courtesies, with punctuation,
/// emoji and removed names between them.
pub fn only_courtesies(plain: &str) -> bool {
    courtesies_only(plain).is_some()
}

/// The kinds of courtesy a message is made of, when it is made only of courtesies (in the
/// rails' plain form, with punctuation, emoji and removed names between them); `None` when it
/// says anything else.
pub fn courtesies_only(plain: &str) -> Option<Vec<Courtesy>> {
    let text = fold(plain);
    let words = split_words(&text);
    if words.is_empty() {
        return None;
    }
    let mut kinds = Vec::new();
    let mut i = 0;
    'outer: while i < words.len() {
        for (p, kind) in &phrases().all {
            if words[i..].starts_with(p) {
                i += p.len();
                kinds.push(*kind);
                continue 'outer;
            }
        }
        return None;
    }
    kinds.sort_unstable();
    kinds.dedup();
    Some(kinds)
}

/// The message, in the rails' plain form, without the courtesies that open or close it
/// ("ok merci, je reviendrai plus tard, là j'ai cours" → "là j'ai cours"). A courtesy next to
/// a word that changes it ([`NOT_BEFORE`], [`NOT_AFTER`]) stays. Empty when the message is
/// only courtesies; the text unchanged when none can be removed.
pub fn without_courtesies(plain: &str) -> String {
    let folded = fold(plain);
    // Folding keeps the plain form's words in place only when it changes nothing: the plain
    // form is folded already, so this holds; otherwise the text is left whole.
    if folded != plain {
        return plain.to_string();
    }
    let spans = words_with_spans(plain);
    let words: Vec<&str> = spans.iter().map(|&(s, e)| &plain[s..e]).collect();
    let (mut first, mut last) = (0, words.len());
    'lead: while first < last {
        for p in &phrases().removable {
            let end = first + p.len();
            if end <= last && words[first..end].iter().zip(p).all(|(w, q)| w == q) {
                if words.get(end).is_some_and(|next| NOT_BEFORE.contains(next)) {
                    break 'lead;
                }
                first = end;
                continue 'lead;
            }
        }
        break;
    }
    'trail: while first < last {
        for p in &phrases().removable {
            if p.len() > last - first {
                continue;
            }
            let start = last - p.len();
            if words[start..last].iter().zip(p).all(|(w, q)| w == q) {
                if start > first && NOT_AFTER.contains(&words[start - 1]) {
                    break 'trail;
                }
                last = start;
                continue 'trail;
            }
        }
        break;
    }
    if first == last {
        return String::new();
    }
    if first == 0 && last == words.len() {
        return plain.to_string();
    }
    let text = &plain[spans[first].0..spans[last - 1].1];
    // The closing punctuation of the kept part ("… là j'ai cours ?") stays with it.
    let tail: String = plain[spans[last - 1].1..].chars().take_while(|c| c.is_whitespace() || matches!(c, '?' | '!' | '.' | '…')).collect();
    format!("{text}{}", tail.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalise::normalise;

    #[test]
    fn courtesies_alone_are_recognised_and_nothing_more() {
        for m in
            ["bonjour", "Merci beaucoup !", "ok merci, bonne journée 🙂", "slt", "au revoir", "bonsoir madame", "merci, je reviendrai plus tard", "salut c'est"]
        {
            assert!(only_courtesies(&normalise(m)), "{m} → {}", normalise(m));
        }
        assert_eq!(courtesies_only(&normalise("ok merci, à demain !")), Some(vec![Courtesy::Ack, Courtesy::Thanks, Courtesy::Leave]));
        assert_eq!(courtesies_only(&normalise("Bonjour")), Some(vec![Courtesy::Greeting]));
        for m in
            ["merci, je veux mourir", "au revoir pour toujours", "je ne reviendrai pas", "bonjour je suis en 3e", "c'est fini", "merci pour tout", "", "..."]
        {
            assert!(!only_courtesies(&normalise(m)), "{m} → {}", normalise(m));
        }
    }

    #[test]
    fn the_heads_read_a_message_without_its_opening_and_closing_courtesies() {
        let core = |m: &str| without_courtesies(&normalise(m));
        assert_eq!(core("ok merci, je reviendrai plus tard, là j'ai cours"), "la j'ai cours");
        assert_eq!(core("merci c'était très clair"), "c'etait tres clair");
        assert_eq!(core("Bonjour, c'est quoi un BTS ? Merci"), "c'est quoi un bts ?");
        assert_eq!(core("merci, bonne journée"), "");
        // Nothing to remove, or a courtesy turned into something else by the word next to it.
        assert_eq!(core("c'est quoi un CAP ?"), "c'est quoi un cap ?");
        assert_eq!(core("ça va pas du tout"), "ca va pas du tout");
        assert_eq!(core("à demain... ou pas"), "a demain... ou pas");
        assert_eq!(core("je dois y aller pour toujours"), "je dois y aller pour toujours");
        assert_eq!(core("c'est mon dernier au revoir"), "c'est mon dernier au revoir");
        // The frame of a name is never removed from a longer message.
        assert_eq!(core("c'est fini"), "c'est fini");
    }
}
