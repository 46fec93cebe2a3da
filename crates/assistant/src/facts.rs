//! Facts shown to the user come from the fiches' structured fields, word for word: the small
//! model's French is weak, so it phrases while the data states.

use retrieval::{Document, Kind};

/// A short French block of facts for the fiches that answer the question.
pub fn facts_block(docs: &[&Document]) -> String {
    let mut lines = Vec::new();
    for d in docs {
        match d.kind {
            Kind::Metier => {
                lines.push(format!("• Métier : {} ({})", d.display_title(), d.id));
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
