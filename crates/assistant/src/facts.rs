//! Facts shown to the user come from the fiches' structured fields, word for word: the small
//! model's French is weak, so it phrases while the data states.

use retrieval::{Document, Kind};

/// Words of a fiche's text quoted at most, cut after a whole sentence when one fits.
const QUOTE_WORDS: usize = 45;

/// The first sentences of a text, up to about `QUOTE_WORDS` words, quoted as they are.
pub fn opening_sentences(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= QUOTE_WORDS {
        return words.join(" ");
    }
    let head = words[..QUOTE_WORDS].join(" ");
    match head.rfind(['.', '!', '?']) {
        Some(i) if head[..i].split_whitespace().count() >= 5 => head[..=i].to_string(),
        _ => format!("{head}…"),
    }
}

/// A section's first paragraph, without a heading line ("Double compétence bienvenue\n…");
/// a paragraph announcing a list (ending with ':') keeps the list's first items.
fn section_body(d: &Document, key: &str) -> Option<String> {
    let t = d.section(key)?.text.trim();
    let mut paragraphs = t.split('\n').map(str::trim).filter(|p| !p.is_empty());
    let first = paragraphs.next()?;
    let is_heading = first.split_whitespace().count() <= 10 && !first.ends_with(['.', '!', '?', ':']);
    let mut body = if is_heading { paragraphs.next()?.to_string() } else { first.to_string() };
    let mut items = 0;
    while body.ends_with(':') && items < 3 {
        let Some(next) = paragraphs.next() else { break };
        body.push(' ');
        body.push_str(next);
        items += 1;
        while items < 3 {
            match paragraphs.next() {
                Some(p) => {
                    body.push_str(" ; ");
                    body.push_str(p);
                    items += 1;
                }
                None => break,
            }
        }
    }
    Some(body)
}

/// A short French block of facts for the fiches that answer the question: what the fiche
/// says first (its summary, how to get there), then its structured fields, word for word.
pub fn facts_block(docs: &[&Document]) -> String {
    let mut lines = Vec::new();
    for d in docs {
        match d.kind {
            Kind::Metier => {
                lines.push(format!("• Métier : {} ({})", d.display_title(), d.id));
                if !d.summary.trim().is_empty() {
                    lines.push(format!("  – En bref : {}", opening_sentences(&d.summary)));
                }
                if let Some(a) = section_body(d, "acces_metier") {
                    lines.push(format!("  – Pour y accéder : {}", opening_sentences(&a)));
                }
                if let Some(l) = &d.facts.level {
                    lines.push(format!("  – Niveau minimum pour y accéder : {l}"));
                }
                if let Some(s) = &d.facts.salary {
                    lines.push(format!("  – Salaire du débutant : {s}"));
                }
                if !d.links.is_empty() {
                    let f: Vec<String> = d.links.iter().take(4).map(|l| format!("{} ({})", l.label, l.id)).collect();
                    lines.push(format!("  – Exemples de formations : {}", f.join(" ; ")));
                }
            }
            Kind::Formation => {
                lines.push(format!("• Formation : {} ({})", d.display_title(), d.id));
                if let Some(a) = section_body(d, "descriptif_format_court") {
                    lines.push(format!("  – En bref : {}", opening_sentences(&a)));
                }
                if let Some(t) = &d.facts.formation_type {
                    lines.push(format!("  – Type : {t}"));
                }
                if let Some(x) = &d.facts.duration {
                    lines.push(format!("  – Durée : {x}"));
                }
                if let Some(l) = &d.facts.level {
                    lines.push(format!("  – Niveau : {l}"));
                }
                if !d.links.is_empty() {
                    let m: Vec<String> = d.links.iter().take(4).map(|l| l.label.clone()).collect();
                    lines.push(format!("  – Métiers visés : {}", m.join(" ; ")));
                }
            }
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_end_on_a_whole_sentence() {
        let short = "Le cordiste travaille en hauteur.";
        assert_eq!(super::opening_sentences(short), short);
        let long = format!("Première phrase assez courte pour tenir. {}", "mot ".repeat(60));
        assert_eq!(super::opening_sentences(&long), "Première phrase assez courte pour tenir.");
        let no_stop = "mot ".repeat(60);
        assert!(super::opening_sentences(&no_stop).ends_with('…'));
    }
}
