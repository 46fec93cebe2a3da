//! Documents → passages: one "identity" passage per fiche (titles, synonyms, summary, key
//! facts), then each section cut on line boundaries into passages of bounded length, each
//! prefixed with the fiche title so it stands on its own.

use crate::document::{Document, Kind};
use serde::{Deserialize, Serialize};

/// Target passage size in words: small enough to embed quickly and to quote in a short prompt.
pub const MAX_WORDS: usize = 110;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// `MET.1#3`.
    pub chunk_id: String,
    pub doc_id: String,
    pub kind: Kind,
    pub title: String,
    /// Section key (`identite` for the identity passage).
    pub section: String,
    pub section_label: String,
    /// Passage text as shown and quoted.
    pub text: String,
    pub url: String,
    pub date: String,
    pub level: Option<String>,
    /// Filterable profile of the fiche (indexed payload fields): ONISEP's centres d'intérêt,
    /// the level's rank ([`crate::levels::Level::rank`]), the sectors and ROME's conditions.
    #[serde(default)]
    pub interests: Vec<String>,
    #[serde(default)]
    pub level_rank: Option<u8>,
    #[serde(default)]
    pub sectors: Vec<String>,
    /// Working conditions and hours of the métier's ROME codes ([`crate::Facts::conditions`]):
    /// a search can leave out those a person ruled out.
    #[serde(default)]
    pub conditions: Vec<String>,
    /// The identity passage and the opening passage of the first section ("what it is")
    /// carry a dense vector; the others are found through the sparse index only (embedding
    /// every passage takes most of an hour on two cores, for little recall).
    pub dense: bool,
}

impl Chunk {
    /// What is embedded and scored: the passage with its fiche title in front.
    pub fn indexed_text(&self) -> String {
        format!("{} — {} : {}", self.title, self.section_label, self.text)
    }
}

pub fn chunk_document(doc: &Document) -> Vec<Chunk> {
    let mut out = Vec::new();
    let make = |n: usize, key: &str, label: &str, text: String, dense: bool| Chunk {
        chunk_id: format!("{}#{n}", doc.id),
        doc_id: doc.id.clone(),
        kind: doc.kind,
        title: doc.display_title(),
        section: key.into(),
        section_label: label.into(),
        text,
        url: doc.url.clone(),
        date: doc.date.clone(),
        level: doc.facts.level.clone(),
        interests: doc.facts.interests.clone(),
        level_rank: doc.facts.level_order().map(crate::levels::Level::rank),
        sectors: doc.facts.sectors.clone(),
        conditions: doc.facts.conditions.clone(),
        dense,
    };
    out.push(make(0, "identite", "En bref", identity_text(doc), true));
    for (si, s) in doc.sections.iter().enumerate() {
        for (i, piece) in split_words(&s.text, MAX_WORDS).into_iter().enumerate() {
            let n = out.len();
            out.push(make(n, &s.key, &s.label, piece, si == 0 && i == 0));
        }
    }
    out
}

fn identity_text(doc: &Document) -> String {
    let mut parts = Vec::new();
    parts.push(format!("{} : {}", doc.kind.label(), doc.display_title()));
    if !doc.synonyms.is_empty() {
        parts.push(format!("Autres noms : {}", doc.synonyms.join(", ")));
    }
    if !doc.summary.is_empty() {
        parts.push(doc.summary.clone());
    }
    let f = &doc.facts;
    if let Some(t) = &f.formation_type {
        parts.push(format!("Type : {t}"));
    }
    if let Some(l) = &f.level {
        parts.push(match doc.kind {
            Kind::Metier => format!("Niveau minimum d'accès : {l}"),
            Kind::Formation => format!("Niveau : {l}"),
        });
    }
    if let Some(d) = &f.duration {
        parts.push(format!("Durée : {d}"));
    }
    if !f.sectors.is_empty() {
        parts.push(format!("Domaines : {}", f.sectors.join(", ")));
    }
    if !f.interests.is_empty() {
        parts.push(format!("Centres d'intérêt : {}", f.interests.join(", ")));
    }
    if !doc.links.is_empty() {
        let label = match doc.kind {
            Kind::Metier => "Formations",
            Kind::Formation => "Métiers",
        };
        let names: Vec<&str> = doc.links.iter().take(8).map(|l| l.label.as_str()).collect();
        parts.push(format!("{label} : {}", names.join(", ")));
    }
    parts.join("\n")
}

/// Split on line boundaries into pieces of at most `max` words (a longer line is cut on words).
pub fn split_words(text: &str, max: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    let mut cur_words = 0;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        if cur_words + words.len() > max && cur_words > 0 {
            pieces.push(cur.join("\n"));
            cur.clear();
            cur_words = 0;
        }
        if words.len() > max {
            for w in words.chunks(max) {
                pieces.push(w.join(" "));
            }
            continue;
        }
        cur_words += words.len();
        cur.push(line);
    }
    if !cur.is_empty() {
        pieces.push(cur.join("\n"));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_respect_the_word_bound_and_keep_every_word() {
        let text = (0..30).map(|i| format!("ligne {i} avec cinq mots")).collect::<Vec<_>>().join("\n");
        let pieces = split_words(&text, 12);
        assert!(pieces.iter().all(|p| p.split_whitespace().count() <= 12));
        let total: usize = pieces.iter().map(|p| p.split_whitespace().count()).sum();
        assert_eq!(total, 150);
        let long = vec!["mot"; 25].join(" ");
        assert_eq!(split_words(&long, 10).len(), 3);
    }
}
