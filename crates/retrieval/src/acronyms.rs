//! Jobs named by an acronym or a short name ("CPE", "AESH", "ATSEM"): the full name is added
//! before searching, so the job's fiche comes first rather than a school or a diploma that
//! shares the letters (the engineering school CPE Lyon for "CPE").
//!
//! Two sources: the table `data/acronyms.tsv` (matched in any case: a pupil writes "cpe"), and
//! what the fiches say themselves, derived at start: initialisms of ONISEP métier titles
//! ("conseiller principal d'éducation" → CPE) and acronyms written in brackets in a title
//! ("agent territorial spécialisé des écoles maternelles (ATSEM)"). Derived ones match only
//! when written in capitals, since three lowercase letters are often a word.

use crate::document::{Document, Kind};
use crate::french::replace_words;
use std::collections::HashMap;

const TABLE: &str = include_str!("../data/acronyms.tsv");

/// Words left out of an initialism.
const SKIPPED: &[&str] = &["de", "des", "d", "du", "la", "le", "l", "les", "en", "et", "a", "à", "au", "aux", "pour", "par", "sur", "e"];

/// Letters that name diplomas, schools or everyday things, or are words written in capitals:
/// never derived as a job's acronym.
const NOT_A_JOB: &[&str] = &[
    "CAP", "BEP", "BTS", "BAC", "BUT", "DUT", "IUT", "CQP", "DEUST", "BTSA", "LMD", "STS", "CFA", "ENS", "INSA", "IEP", "DES", "SI", "CAR", "TOP", "ALL",
    "ICI", "PME", "PDG", "DEV", "RSA", "CAF", "TIC", "HAS", "LES", "UNE", "SUR", "PAR", "MAIS", "PAS", "QUE", "QUI", "VIE", "ART", "ARTS", "ETE", "MER", "SEL",
    "BIO", "ECO", "PRO", "SOS", "CDI", "CDD", "RER", "SNCF", "RATP", "EDF", "PSG", "USA", "TV", "WEB",
];

/// Two to eight capitals, maybe two words ("MCO", "DN MADE"): how fiches write an acronym.
pub fn looks_like_acronym(s: &str) -> bool {
    let letters = s.chars().filter(|c| !c.is_whitespace()).count();
    (2..=8).contains(&letters) && s.split_whitespace().count() <= 2 && s.chars().all(|c| c.is_ascii_uppercase() || c == ' ')
}

#[derive(Debug, Default, Clone)]
pub struct Acronyms {
    /// Lowercased acronym from the table → full name.
    any_case: HashMap<String, String>,
    /// Lowercased names of several words from the table ("manip radio") → full name.
    phrases: Vec<(String, String)>,
    /// Acronym in capitals derived from the fiches → full name.
    capitals: HashMap<String, String>,
    /// Letters replaced by what they stand for, in capitals only ("DE" → "diplôme d'État":
    /// "le DE de moniteur-éducateur" then reads as the fiche's title).
    replaced: HashMap<String, String>,
}

/// The initials of a title's significant words, in capitals ("conseiller principal d'éducation"
/// → "CPE"); None when the title has fewer than three of them.
fn initialism(title: &str) -> Option<String> {
    let letters: String = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !SKIPPED.contains(&w.to_lowercase().as_str()))
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .collect();
    let n = letters.chars().count();
    ((3..=6).contains(&n) && letters.chars().all(|c| c.is_ascii_uppercase())).then_some(letters)
}

/// An acronym in brackets at the end of a title, and the title without it.
fn bracketed(title: &str) -> Option<(String, String)> {
    let open = title.rfind('(')?;
    let inner = title[open + 1..].trim_end().strip_suffix(')')?;
    let acronym = inner.trim();
    let n = acronym.chars().count();
    ((2..=6).contains(&n) && acronym.chars().all(|c| c.is_ascii_uppercase())).then(|| (acronym.to_string(), title[..open].trim().to_string()))
}

impl Acronyms {
    pub fn from_documents<'a>(docs: impl IntoIterator<Item = &'a Document>) -> Self {
        let mut any_case = HashMap::new();
        let mut phrases = Vec::new();
        let mut replaced = HashMap::new();
        for line in TABLE.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let columns: Vec<&str> = line.split('\t').map(str::trim).collect();
            if let [acronym, full, "remplace"] = columns[..] {
                replaced.insert(acronym.to_string(), full.to_string());
                continue;
            }
            if let Some((acronym, full)) = line.split_once('\t') {
                let acronym = acronym.trim().to_lowercase();
                if acronym.contains(' ') {
                    phrases.push((acronym, full.trim().to_string()));
                } else {
                    any_case.insert(acronym, full.trim().to_string());
                }
            }
        }
        // Derived initialisms shared by two different jobs name neither.
        let mut derived: HashMap<String, Option<(String, String)>> = HashMap::new();
        let docs: Vec<&Document> = docs.into_iter().collect();
        // ONISEP's métiers only: ROME's titles are a second source, and long.
        for d in docs.iter().filter(|d| d.kind == Kind::Metier && !d.id.starts_with("ROME.")) {
            let names = [d.title_masculine.as_deref(), d.title_feminine.as_deref(), Some(d.title.as_str())];
            for name in names.into_iter().flatten().filter(|n| !n.contains('/')) {
                let found = bracketed(name).or_else(|| initialism(name).map(|a| (a, name.to_string())));
                let Some((acronym, full)) = found else { continue };
                if NOT_A_JOB.contains(&acronym.as_str()) || any_case.contains_key(&acronym.to_lowercase()) {
                    continue;
                }
                derived
                    .entry(acronym)
                    .and_modify(|known| {
                        if known.as_ref().is_some_and(|(id, _)| *id != d.id) {
                            *known = None;
                        }
                    })
                    .or_insert(Some((d.id.clone(), full)));
            }
        }
        // Formations' own acronyms ("DEAS", "ASSP"), when no job already goes by the letters.
        let jobs: std::collections::HashSet<String> = derived.keys().cloned().collect();
        let mut formations: HashMap<String, Option<(String, String)>> = HashMap::new();
        for d in docs.iter().filter(|d| d.kind == Kind::Formation) {
            for s in d.synonyms.iter().filter(|s| looks_like_acronym(s) && s.chars().count() >= 3 && !s.contains(' ')) {
                if NOT_A_JOB.contains(&s.as_str()) || jobs.contains(s) || any_case.contains_key(&s.to_lowercase()) {
                    continue;
                }
                formations
                    .entry(s.clone())
                    .and_modify(|known| {
                        if known.as_ref().is_some_and(|(id, _)| *id != d.id) {
                            *known = None;
                        }
                    })
                    .or_insert(Some((d.id.clone(), d.title.clone())));
            }
        }
        derived.extend(formations);
        let capitals = derived.into_iter().filter_map(|(a, known)| known.map(|(_, full)| (a, full))).collect();
        Acronyms { any_case, phrases, capitals, replaced }
    }

    pub fn len(&self) -> usize {
        self.any_case.len() + self.phrases.len() + self.capitals.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The full name an acronym of the text stands for, if it is one.
    pub fn full_name(&self, word: &str) -> Option<&str> {
        self.any_case.get(&word.to_lowercase()).or_else(|| self.capitals.get(word)).map(String::as_str)
    }

    /// The text with each acronym followed by its full name in brackets. An acronym followed
    /// by a name ("CPE Lyon", "IUT Grenoble") names a school, not a job: it is left alone. A
    /// message written in capitals has no acronyms to tell apart: only the table applies.
    pub fn expand(&self, text: &str) -> String {
        let letters = text.chars().filter(|c| c.is_alphabetic()).count();
        let capitals = text.chars().filter(|c| c.is_uppercase()).count();
        let shouting = letters >= 12 && capitals * 10 >= letters * 6;
        let followed_by_a_name = |w: &str| {
            let Some(at) = text.find(w) else { return false };
            let next = text[at + w.len()..].split_whitespace().next().unwrap_or_default();
            let mut c = next.chars();
            c.next().is_some_and(char::is_uppercase) && c.clone().next().is_some_and(char::is_lowercase)
        };
        let mut text = replace_words(text, |w| match self.replaced.get(w) {
            _ if followed_by_a_name(w) => None,
            _ if shouting => self.any_case.get(&w.to_lowercase()).map(|full| format!("{w} ({full})")),
            Some(full) => Some(full.clone()),
            None => self.full_name(w).map(|full| format!("{w} ({full})")),
        });
        for (phrase, full) in &self.phrases {
            // ASCII lowercasing keeps every byte offset (the phrases are ASCII); full Unicode
            // lowercasing does not ("İ" grows, "ẞ" shrinks).
            let lower = text.to_ascii_lowercase();
            if let Some(at) = lower.find(phrase.as_str()).filter(|&at| is_word_edge(&lower, at, at + phrase.len())) {
                text.insert_str(at + phrase.len(), &format!(" ({full})"));
            }
        }
        text
    }
}

/// Whether a match between two byte offsets starts and ends on word boundaries.
fn is_word_edge(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
    let after = text[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
    before && after
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metier(id: &str, masculine: &str, feminine: &str) -> Document {
        Document {
            title_feminine: Some(feminine.into()),
            title_masculine: Some(masculine.into()),
            ..Document::bare(id, Kind::Metier, &format!("{masculine}/{feminine}"))
        }
    }

    #[test]
    fn initialisms_of_job_titles_are_expanded_in_capitals_only() {
        let docs = [metier("MET.278", "conseiller principal d'éducation", "conseillère principale d'éducation")];
        let a = Acronyms::from_documents(&docs);
        assert_eq!(a.full_name("CPE"), Some("conseiller principal d'éducation"), "the table names it");
        let docs = [metier("MET.1", "technicien de maintenance industrielle", "technicienne de maintenance industrielle")];
        let a = Acronyms::from_documents(&docs);
        assert_eq!(a.expand("je veux être TMI"), "je veux être TMI (technicien de maintenance industrielle)");
        assert_eq!(a.expand("tmi"), "tmi", "a derived acronym in lowercase is left alone");
    }

    #[test]
    fn table_entries_match_in_any_case_and_diplomas_are_never_jobs() {
        let docs = [metier("MET.2", "conseiller en animation pédagogique", "conseillère en animation pédagogique")];
        let a = Acronyms::from_documents(&docs);
        assert_eq!(a.expand("c koi un cpe"), "c koi un cpe (conseiller principal d'éducation)");
        assert_eq!(a.expand("je vise CPE Lyon"), "je vise CPE Lyon", "a school, not the job");
        assert!(a.expand("un CAP en 2 ans").ends_with("un CAP en 2 ans"));
    }

    #[test]
    fn an_initialism_shared_by_two_jobs_names_neither() {
        let docs = [
            metier("MET.3", "agent de sécurité maritime", "agente de sécurité maritime"),
            metier("MET.4", "architecte systèmes mobiles", "architecte systèmes mobiles"),
        ];
        let a = Acronyms::from_documents(&docs);
        assert_eq!(a.full_name("ASM"), None);
    }

    #[test]
    fn bracketed_acronyms_of_titles_are_read() {
        assert_eq!(
            bracketed("ingénieur électronicien des systèmes de la sécurité aérienne (IESSA)"),
            Some(("IESSA".to_string(), "ingénieur électronicien des systèmes de la sécurité aérienne".to_string()))
        );
        assert_eq!(bracketed("garde (chasse, pêche)"), None);
    }

    #[test]
    fn names_of_several_words_and_formation_acronyms_are_expanded() {
        let mut bts = metier("FOR.2317", "", "");
        bts.kind = Kind::Formation;
        bts.title = "BTS management commercial opérationnel".into();
        bts.synonyms = vec!["MCO".into(), "BTS".into()];
        let a = Acronyms::from_documents(&[bts]);
        assert_eq!(a.expand("le MCO dure 2 ans"), "le MCO (BTS management commercial opérationnel) dure 2 ans");
        assert_eq!(a.full_name("BTS"), None, "a diploma's type is never an acronym of one fiche");
        assert!(a.expand("c'est quoi le boulot de manip radio ?").contains("manip radio (manipulateur en électroradiologie médicale) ?"));
        assert!(looks_like_acronym("DN MADE") && !looks_like_acronym("Paris"));
        assert_eq!(a.expand("le DE de moniteur-éducateur, de 2 ans"), "le diplôme d'État de moniteur-éducateur, de 2 ans");
        // Characters whose lowercase changes length do not shift the insertion.
        assert!(a.expand("İ manip radio… ẞ").contains("manip radio (manipulateur en électroradiologie médicale)… ẞ"));
        // A message in capitals: derived acronyms and replacements stay out, the table applies.
        assert_eq!(a.expand("JE VEUX FAIRE UN DE MONITEUR, LE MCO"), "JE VEUX FAIRE UN DE MONITEUR, LE MCO");
        assert!(a.expand("C KOI UN CPE EXACTEMENT").contains("CPE (conseiller principal d'éducation)"));
    }
}
