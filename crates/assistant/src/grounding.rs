//! Sentence-by-sentence check of generated text while it streams, against the fiches the
//! answer cites, not against everything retrieved (another job's salary must not pass). A
//! sentence is kept only when every figure, diploma, age and name it states is in those fiches,
//! it says nothing the card contradicts, and it is close in meaning to one of their sentences
//! (P2). Every other sentence is dropped before it reaches the user, with its reason.

use retrieval::french::fold;
use serde::Serialize;

/// Why a generated sentence was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unsupported {
    /// A figure (salary, duration, age, percentage) absent from the cited fiches.
    Figure,
    /// A diploma or a named thing absent from the cited fiches.
    Entity,
    /// It says the opposite of the fiche (a concours where admission is on file…).
    Contradiction,
    /// Not close in meaning to any sentence of the cited fiches.
    Meaning,
    /// A yes, a no, a requirement or a verdict on the person (`data/bridge-verdicts.tsv`).
    Verdict,
}

impl Unsupported {
    pub fn reason(self) -> &'static str {
        match self {
            Unsupported::Figure => "generated sentence states a figure absent from the cited fiche: removed",
            Unsupported::Entity => "generated sentence names a diploma or a thing absent from the cited fiche: removed",
            Unsupported::Contradiction => "generated sentence contradicts the cited fiche: removed",
            Unsupported::Meaning => "generated sentence is not close to anything the cited fiche says: removed",
            Unsupported::Verdict => "generated sentence gives a yes, a no, a requirement or a verdict on the person: removed",
        }
    }
}

/// Diplomas and titles named by letters: each must be in the cited fiche when a sentence says it.
const DIPLOMAS: &[&str] = &[
    "cap",
    "bep",
    "bp",
    "bts",
    "btsa",
    "but",
    "dut",
    "deust",
    "dnmade",
    "dn made",
    "deaes",
    "dees",
    "dcg",
    "dscg",
    "cqp",
    "mc",
    "cs",
    "bac pro",
    "bac techno",
    "bac general",
    "licence pro",
    "licence",
    "master",
    "doctorat",
    "bma",
    "dma",
    "titre pro",
    "concours",
    "prepa",
    "classe preparatoire",
    "diplome d'etat",
    "diplome d'ingenieur",
    "ecole d'ingenieurs",
    "ifsi",
    "pass",
    "l.as",
    "las",
];

/// Pairs of statements that exclude each other: a sentence saying the first while the fiche says
/// only the second (and not the first) contradicts it.
const OPPOSITES: &[(&str, &str)] = &[
    ("concours", "sur dossier"),
    ("sans diplome", "diplome"),
    ("sans le bac", "bac"),
    ("pas besoin", "il faut"),
    ("pas necessaire", "necessaire"),
    ("pas obligatoire", "obligatoire"),
    ("facile", "difficile"),
];

/// How close (cosine) a generated sentence must be to a sentence of the card. Calibrated on the
/// labelled development sentences: from 0.88 no supported sentence is lost; no threshold
/// separates wrong sentences from supported ones (see `docs/benchmarks.md`, "Generated
/// sentences"), which is why generation is off by default.
pub const MIN_SIMILARITY: f32 = 0.88;

const VERDICTS: &str = include_str!("../data/bridge-verdicts.tsv");

fn verdicts() -> &'static [regex::Regex] {
    static V: std::sync::OnceLock<Vec<regex::Regex>> = std::sync::OnceLock::new();
    V.get_or_init(|| guardrails::data::words(VERDICTS).map(|p| regex::Regex::new(p).unwrap_or_else(|e| panic!("bridge-verdicts.tsv: {e}"))).collect())
}

/// What a sentence is checked against: the cited fiches' text, its figures and its words.
pub struct Evidence {
    numbers: String,
    folded: String,
    /// Embeddings of the fiches' sentences (empty: no meaning check).
    vectors: Vec<Vec<f32>>,
}

impl Evidence {
    /// `text`: the cited fiches' whole text and the card shown; `vectors`: embeddings of its
    /// sentences, for the meaning check (none: the check is skipped).
    pub fn new(text: &str, vectors: Vec<Vec<f32>>) -> Self {
        Evidence { numbers: normalize_numbers(text), folded: format!(" {} ", words(&fold(text))), vectors }
    }

    /// Why the sentence is not supported, if it is not. `vector`: its embedding, when the
    /// meaning check is on.
    pub fn check(&self, sentence: &str, vector: Option<&[f32]>) -> Option<Unsupported> {
        if numbers(sentence).iter().any(|n| !self.numbers.contains(&format!(" {n} "))) {
            return Some(Unsupported::Figure);
        }
        let folded = fold(sentence.trim());
        if verdicts().iter().any(|v| v.is_match(&folded)) {
            return Some(Unsupported::Verdict);
        }
        let s = format!(" {} ", words(&folded));
        for (said, fiche) in OPPOSITES {
            if s.contains(&format!(" {said} ")) && !self.folded.contains(&format!(" {said} ")) && self.folded.contains(&format!(" {fiche}")) {
                return Some(Unsupported::Contradiction);
            }
        }
        if DIPLOMAS.iter().any(|d| s.contains(&format!(" {d} ")) && !self.folded.contains(&format!(" {d} "))) {
            return Some(Unsupported::Entity);
        }
        if names(sentence).iter().any(|n| !self.folded.contains(&format!(" {} ", words(&fold(n))))) {
            return Some(Unsupported::Entity);
        }
        if self.similarity(vector).is_some_and(|best| best < MIN_SIMILARITY) {
            return Some(Unsupported::Meaning);
        }
        None
    }

    /// The cosine of the closest evidence sentence (None when the meaning check is off).
    pub fn similarity(&self, vector: Option<&[f32]>) -> Option<f32> {
        let v = vector.filter(|_| !self.vectors.is_empty())?;
        Some(self.vectors.iter().map(|e| cosine(v, e)).fold(f32::MIN, f32::max))
    }
}

/// One generated sentence as checked: kept or why not, and how close it came to the fiche
/// (recorded for calibration; see `docs/benchmarks.md`, "Generated sentences").
#[derive(Debug, Clone, Serialize)]
pub struct SentenceCheck {
    pub text: String,
    pub similarity: Option<f32>,
    pub dropped: Option<Unsupported>,
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

fn words(folded: &str) -> String {
    folded.split(|c: char| !c.is_alphanumeric() && c != '\'').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// Capitalised words not at a sentence's start ("Ifsi", "Paris", "Onisep"): named things.
fn names(sentence: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut first = true;
    for w in sentence.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '«' | '»' | '"')) {
        if w.is_empty() {
            continue;
        }
        let clean = w.trim_matches(|c: char| !c.is_alphanumeric());
        if !first && clean.chars().count() >= 3 && clean.chars().next().is_some_and(char::is_uppercase) && clean.chars().skip(1).any(char::is_lowercase) {
            out.push(clean);
        }
        first = w.ends_with(['.', '!', '?']);
    }
    out
}

/// Embeds a generated sentence for the meaning check (None when it could not).
pub type SentenceEmbedder<'a> = Box<dyn Fn(&str) -> Option<Vec<f32>> + 'a>;

/// Buffers streamed text and releases it one checked sentence at a time.
pub struct SentenceFilter<'a> {
    evidence: Evidence,
    /// Embeds a sentence for the meaning check (None: skipped).
    embed: Option<SentenceEmbedder<'a>>,
    pending: String,
    pub dropped: Vec<(String, Unsupported)>,
    /// Every sentence checked, kept or not.
    pub checked: Vec<SentenceCheck>,
}

impl<'a> SentenceFilter<'a> {
    pub fn new(evidence: Evidence, embed: Option<SentenceEmbedder<'a>>) -> Self {
        SentenceFilter { evidence, embed, pending: String::new(), dropped: Vec::new(), checked: Vec::new() }
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
        if sentence.trim().is_empty() {
            return sentence;
        }
        let vector = self.embed.as_ref().and_then(|e| e(sentence.trim()));
        // A sentence that could not be embedded is not checked for meaning: it is dropped.
        let verdict = if self.embed.is_some() && vector.is_none() { Some(Unsupported::Meaning) } else { self.evidence.check(&sentence, vector.as_deref()) };
        self.checked.push(SentenceCheck { text: sentence.trim().to_string(), similarity: self.evidence.similarity(vector.as_deref()), dropped: verdict });
        match verdict {
            None => sentence,
            Some(why) => {
                self.dropped.push((sentence.trim().to_string(), why));
                String::new()
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(evidence: &str) -> SentenceFilter<'static> {
        SentenceFilter::new(Evidence::new(evidence, Vec::new()), None)
    }

    #[test]
    fn unsupported_figures_are_dropped_supported_ones_kept() {
        let mut f = filter("Salaire du débutant : 1 950 euros brut par mois. Formation en 3 ans.");
        let mut out = f.push("Le salaire de départ est de 1950 euros. La formation dure 5 ans. ");
        out.push_str(&f.push("Elle dure 3 ans"));
        out.push_str(&f.finish());
        assert_eq!(out, "Le salaire de départ est de 1950 euros. Elle dure 3 ans");
        assert_eq!(f.dropped, vec![("La formation dure 5 ans.".to_string(), Unsupported::Figure)]);
    }

    #[test]
    fn a_diploma_or_a_name_the_fiche_does_not_hold_is_dropped() {
        let e = Evidence::new("Le bac pro est le niveau minimum. Formation à l'Ifsi de Rennes.", Vec::new());
        assert_eq!(e.check("Un CAP suffit pour commencer.", None), Some(Unsupported::Entity));
        assert_eq!(e.check("Le bac pro est le niveau minimum.", None), None);
        assert_eq!(e.check("On se forme à Marseille.", None), Some(Unsupported::Entity));
        assert_eq!(e.check("On se forme à l'Ifsi de Rennes.", None), None);
    }

    #[test]
    fn a_sentence_contradicting_the_fiche_is_dropped() {
        let e = Evidence::new("Les Ifsi sélectionnent sur dossier via Parcoursup.", Vec::new());
        assert_eq!(e.check("Un concours est demandé pour entrer.", None), Some(Unsupported::Contradiction));
    }

    #[test]
    fn verdicts_on_the_person_or_the_rules_are_left_to_the_card() {
        let e = Evidence::new("Le permis D ne peut être obtenu qu'à 24 ans.", Vec::new());
        assert_eq!(e.check("Oui, tu peux devenir chauffeur de bus tout de suite.", None), Some(Unsupported::Verdict));
        assert_eq!(e.check("Ce métier est fait pour toi !", None), Some(Unsupported::Verdict));
        assert_eq!(e.check("Le permis D s'obtient à 24 ans.", None), None);
    }

    #[test]
    fn a_sentence_far_from_every_fiche_sentence_is_dropped() {
        let e = Evidence::new("rien", vec![vec![1.0, 0.0]]);
        assert_eq!(e.check("Phrase.", Some(&[0.0, 1.0])), Some(Unsupported::Meaning));
        assert_eq!(e.check("Phrase.", Some(&[0.9, 0.1])), None);
    }

    #[test]
    fn sentences_without_claims_pass_untouched() {
        let mut f = filter("rien");
        assert_eq!(f.push("Bonjour ! Ce métier "), "Bonjour ! ");
        assert_eq!(f.finish(), "Ce métier ");
    }
}
