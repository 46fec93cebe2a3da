//! Output rails, applied to each generated sentence before it reaches the user: grounding of
//! figures (P2, in the assistant, which holds the passages), stereotyped or prescriptive
//! wording (P5, P6), leaked personal data (P9), readability (P3). And the AI disclosure that
//! opens a conversation (P1).

use crate::pii;
use crate::verdict::{Action, Span, Verdict};
use regex::Regex;
use std::sync::OnceLock;

/// What happens to one sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum Fix {
    Keep,
    /// Shown with personal data replaced.
    Replace(String),
    Drop,
}

fn lex(patterns: &[&str]) -> Vec<Regex> {
    patterns.iter().map(|p| Regex::new(p).expect("valid output pattern")).collect()
}

fn prescriptive() -> &'static [Regex] {
    static P: OnceLock<Vec<Regex>> = OnceLock::new();
    P.get_or_init(|| {
        lex(&[
            r"(?i)\btu (dois|devrais) (absolument |forcément |forcement )?(choisir|faire|aller|prendre|abandonner|renoncer)",
            r"(?i)\b(ce|c.est le) (métier|metier|choix) (est )?(fait pour toi|idéal pour toi|parfait pour toi)",
            r"(?i)\btu n.es (probablement |sûrement |surement )?pas (capable|fait|faite|assez)\b|\bce n.est pas pour toi\b|\btu ne (pourras|réussiras) (pas|jamais)\b",
            // A verdict on abilities, even a kind one, is not the assistant's to give.
            r"(?i)\btu es (probablement |sûrement |surement |certainement |tout à fait |bien |donc )?(capable|fait pour|faite pour|assez (intelligent|intelligente|fort|forte|doué|douée))\b",
            r"(?i)^\s*(oui|non)\s*,\s*tu (es|n.es|peux|ne peux|vas|pourras)\b",
            r"(?i)\bje (te )?(conseille|recommande) (fortement )?de (renoncer|abandonner)\b",
        ])
    })
}

fn stereotyped() -> &'static [Regex] {
    static P: OnceLock<Vec<Regex>> = OnceLock::new();
    P.get_or_init(|| {
        lex(&[
            r"(?i)\b(métier|metier)s? (d.homme|de femme|masculin|féminin|pour (les )?(filles|garçons|femmes|hommes))\b",
            r"(?i)\b(les )?(filles|femmes) sont (plus |moins )?(douées|faites|naturellement)\b",
            r"(?i)\b(les )?(garçons|hommes) sont (plus |moins )?(doués|faits|naturellement)\b",
        ])
    })
}

/// Death and self-harm have no place in a generated orientation sentence: whatever the model
/// meant, such a sentence could hurt a young person in distress (P8).
fn harmful() -> &'static [Regex] {
    static P: OnceLock<Vec<Regex>> = OnceLock::new();
    P.get_or_init(|| {
        lex(&[
            r"(?i)\b(mourir|suicid\w*|automutil\w*|scarifi\w*)\b",
            r"(?i)\b(se|te|me) (tuer|pendre|faire du mal|blesser)\b|\bmettre fin à (tes|ses|mes) jours\b",
        ])
    })
}

/// Longest sentence, in words, that a 12-year-old reads comfortably.
pub const MAX_SENTENCE_WORDS: usize = 35;

/// Check one generated sentence.
pub fn check_sentence(sentence: &str) -> (Fix, Vec<Verdict>) {
    let mut verdicts = Vec::new();
    let span_of = |m: regex::Match| Some(Span { start: m.start(), end: m.end() });
    if let Some(m) = prescriptive().iter().find_map(|p| p.find(sentence)) {
        verdicts.push(Verdict::new("prescriptive_output", Action::Refuse, "P6", "generated sentence decides or judges for the user: removed", span_of(m)));
        return (Fix::Drop, verdicts);
    }
    if let Some(m) = harmful().iter().find_map(|p| p.find(sentence)) {
        verdicts.push(Verdict::new("harm_output", Action::Refuse, "P8", "generated sentence speaks of death or self-harm: removed", span_of(m)));
        return (Fix::Drop, verdicts);
    }
    if let Some(m) = stereotyped().iter().find_map(|p| p.find(sentence)) {
        verdicts.push(Verdict::new("stereotype_output", Action::Refuse, "P5", "generated sentence carries a gender stereotype: removed", span_of(m)));
        return (Fix::Drop, verdicts);
    }
    let (redacted, found) = pii::redact(sentence);
    for m in &found {
        verdicts.push(Verdict::new("pii_output", Action::RedactAndAnswer, "P9", format!("{:?} in generated text redacted", m.kind), Some(m.span)));
    }
    if sentence.split_whitespace().count() > MAX_SENTENCE_WORDS {
        verdicts.push(Verdict::new("readability", Action::AnswerWithCare, "P3", format!("sentence longer than {MAX_SENTENCE_WORDS} words"), None));
    }
    if found.is_empty() {
        (Fix::Keep, verdicts)
    } else {
        (Fix::Replace(redacted), verdicts)
    }
}

/// Opens the first reply of a conversation (P1).
pub const AI_DISCLOSURE: &str = "Je suis un assistant automatique (une IA) : je m'appuie sur les fiches de l'Onisep, \
je peux me tromper, et tu peux parler à un conseiller ou une conseillère à tout moment.\n\n";

pub fn disclosure_verdict() -> Verdict {
    Verdict::new("ai_disclosure", Action::Answer, "P1", "first reply says it comes from an AI", None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_talk_of_death_or_self_harm_is_dropped() {
        let (fix, v) = check_sentence("Pour mourir, tu devrais chercher un endroit sûr et tranquille.");
        assert_eq!(fix, Fix::Drop);
        assert_eq!(v[0].point, "P8");
        assert_eq!(check_sentence("Le boulanger se lève tôt pour préparer le pain.").0, Fix::Keep);
    }

    #[test]
    fn prescriptive_and_stereotyped_sentences_are_dropped() {
        assert_eq!(check_sentence("Tu dois absolument choisir la voie générale.").0, Fix::Drop);
        assert_eq!(check_sentence("Tu n'es pas capable de faire médecine.").0, Fix::Drop);
        assert_eq!(check_sentence("Oui, tu es probablement capable de diriger une entreprise.").0, Fix::Drop);
        assert_eq!(check_sentence("Non, tu ne peux pas faire ce métier.").0, Fix::Drop);
        assert_eq!(check_sentence("C'est un métier d'homme.").0, Fix::Drop);
        let (fix, v) = check_sentence("Les filles sont plus douées pour les langues.");
        assert_eq!(fix, Fix::Drop);
        assert_eq!(v[0].point, "P5");
    }

    #[test]
    fn leaked_personal_data_is_replaced() {
        let (fix, v) = check_sentence("Écris à lea.martin@example.com pour t'inscrire.");
        assert_eq!(fix, Fix::Replace("Écris à [EMAIL] pour t'inscrire.".into()));
        assert_eq!(v[0].point, "P9");
    }

    #[test]
    fn informative_sentences_are_kept() {
        for s in ["Le BTS dure 2 ans.", "Tu peux aussi regarder le CAP, si cela te plaît.", "Ce métier est ouvert aux femmes comme aux hommes."] {
            assert_eq!(check_sentence(s).0, Fix::Keep, "{s}");
        }
        let long = vec!["mot"; 40].join(" ");
        let (fix, v) = check_sentence(&long);
        assert_eq!(fix, Fix::Keep);
        assert_eq!(v[0].point, "P3");
    }
}
