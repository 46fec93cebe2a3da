//! The part of a question the card's fields leave unanswered ("est-ce que la vue compte ?",
//! "on travaille de nuit ?", "il faut passer par Parcoursup ?"), answered from the sentence of
//! the fiche that says it. The card quotes a sentence that shares two of the question's words;
//! a clause often shares one, rare in the fiche ("vue"). Such sentences are ranked by meaning
//! against the clause with the embedder, and quoted only when closer to it than the fiche's
//! opening sentence (which shares the clause's topic but answers nothing). Ranking every
//! sentence of a fiche by meaning alone was measured first: it costs about 1.7 s per answer on
//! two cores and mostly picks sentences that just name the job.

use crate::facts::{fiche_sentences, Picks};
use crate::question::Question;
use inference::{Embedder, TextKind};
use retrieval::french::fold;
use retrieval::Document;
use std::sync::Arc;

/// The lowest similarity of a clause and the sentence quoted for it (e5's cosines of related
/// French sentences sit above 0.8; a sentence that only shares a word sits lower).
const MIN_SIMILARITY: f32 = 0.80;
/// How much closer to the clause than the fiche's opening sentence the quoted one must be.
const MARGIN: f32 = 0.04;
/// Sentences quoted at most for one clause from one fiche, and how much less close to the
/// clause than the best the second may be.
const SENTENCES_PER_CLAUSE: usize = 2;
const NEAR_EQUAL: f32 = 0.015;
/// Fiches whose sentences are searched: the card's first two (both sides of a comparison).
const FICHES: usize = 2;
/// A word the fiche says in more sentences than this, or than one in
/// [`RARE_SHARE_OF_SENTENCES`] of them on a long fiche, is its topic ("armée" on a soldier's
/// fiche), not what settles a clause ("vue", "Parcoursup", "nuit", "vertige" said three times
/// in a roofer's 54 sentences).
const RARE_IN_SENTENCES: usize = 2;
const RARE_SHARE_OF_SENTENCES: usize = 16;
/// Sentence vectors kept (about 1.5 KB each).
const CACHED_SENTENCES: u64 = 20_000;

pub struct SentenceRanker {
    embedder: Arc<dyn Embedder>,
    cache: moka::sync::Cache<String, Arc<Vec<f32>>>,
}

/// The question's clauses worth answering on their own ("… combien de temps ?", "et on
/// s'engage pour combien de temps ?"): split after question marks and full stops, three words
/// at least; only the questions when there are some ("Mon fils porte des lunettes." says who
/// asks, "Est-ce que la vue compte ?" what).
pub fn clauses(question: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in question.chars() {
        current.push(c);
        if matches!(c, '?' | '.' | '!') {
            out.push(std::mem::take(&mut current));
        }
    }
    out.push(current);
    let out: Vec<String> = out.into_iter().map(|c| c.trim().to_string()).filter(|c| c.split_whitespace().count() >= 3).collect();
    if out.iter().any(|c| c.ends_with('?')) {
        out.into_iter().filter(|c| c.ends_with('?')).collect()
    } else {
        out
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl SentenceRanker {
    pub fn new(embedder: Arc<dyn Embedder>) -> Self {
        SentenceRanker { embedder, cache: moka::sync::Cache::new(CACHED_SENTENCES) }
    }

    /// Passage vectors of the sentences, from the cache or computed in one batch.
    fn vectors(&self, sentences: &[&str]) -> Option<Vec<Arc<Vec<f32>>>> {
        let missing: Vec<&str> = sentences.iter().copied().filter(|s| !self.cache.contains_key(*s)).collect();
        if !missing.is_empty() {
            for (s, v) in missing.iter().zip(self.embedder.embed(&missing, TextKind::Passage).ok()?) {
                self.cache.insert(s.to_string(), Arc::new(v));
            }
        }
        sentences.iter().map(|s| self.cache.get(*s)).collect()
    }

    /// For each of the card's first fiches, the sentence that answers a clause of the question
    /// the card leaves unanswered: one that says a word of the clause the fiche says rarely
    /// ("la vue", "de nuit", "Parcoursup"), the closest in meaning to the clause when several
    /// do. `card`: the card already built; a sentence it quotes is not picked again. Without
    /// the embedder's answer, no picks (the card's word matching still runs).
    pub fn picks(&self, question: &str, docs: &[&Document], card: &str) -> Picks {
        let mut picks = Picks::default();
        for clause in clauses(question) {
            let words = clause_words(&clause);
            let yes_no = Question::read(&clause).yes_no;
            let mut clause_vector: Option<Vec<f32>> = None;
            // The card's names say what the clause is about, not what it asks of it.
            let names: String = docs.iter().flat_map(|d| std::iter::once(&d.title).chain(&d.synonyms)).map(|n| fold(n)).collect::<Vec<_>>().join(" ");
            let words: Vec<String> = words.iter().filter(|w| !names.contains(w.as_str())).cloned().collect();
            for doc in docs.iter().take(FICHES) {
                let sentences = fiche_sentences(doc);
                let folded: Vec<String> = sentences.iter().map(|s| fold(s)).collect();
                let rare_at_most = RARE_IN_SENTENCES.max(sentences.len() / RARE_SHARE_OF_SENTENCES);
                let rare: Vec<&String> =
                    words.iter().filter(|w| (1..=rare_at_most).contains(&folded.iter().filter(|f| says_one_of(f, std::slice::from_ref(*w))).count())).collect();
                let candidates: Vec<&str> = sentences
                    .iter()
                    .zip(&folded)
                    .filter(|(s, f)| !card.contains(s.as_str()) && rare.iter().any(|w| says_one_of(f, std::slice::from_ref(*w))))
                    .map(|(s, _)| s.as_str())
                    .collect();
                if candidates.is_empty() {
                    continue;
                }
                if clause_vector.is_none() {
                    // Read without the card's names: "faut pas avoir le vertige pour être couvreur"
                    // is about vertigo, and the job's name would bring its opening closer than
                    // the sentence that answers.
                    let asked = without_names(&clause, &names);
                    clause_vector = self.embedder.embed(&[asked.as_str()], TextKind::Query).ok().and_then(|mut v| v.pop());
                }
                let (Some(cv), Some(vectors)) = (clause_vector.as_ref(), self.vectors(&candidates)) else { return picks };
                let mut ranked: Vec<(f32, &str)> = candidates.iter().zip(&vectors).map(|(s, v)| (cosine(cv, v), *s)).collect();
                ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
                // A sentence that answers the clause is closer to it than the fiche's own
                // opening, which says what the job is and shares the clause's topic.
                let opening = crate::facts::opening_sentences(&doc.summary);
                let Some(base) = self.vectors(&[opening.as_str()]).and_then(|v| v.first().map(|b| cosine(cv, b))) else { return picks };
                let Some(&(best, _)) = ranked.first() else { continue };
                // The best sentence, and a second as close to the clause ("un premier contrat
                // de 4 ans" beside "jusqu'à 19 ans de service" for "on s'engage pour combien de
                // temps ?"): the embedder's order between near equals says little.
                let mut chosen: Vec<&str> = Vec::new();
                for &(similarity, sentence) in ranked.iter().take(SENTENCES_PER_CLAUSE).filter(|(s, _)| best - s <= NEAR_EQUAL) {
                    tracing::debug!("meaning: {} | {clause} | {rare:?} | {similarity:.3} (opening {base:.3}) | {sentence}", doc.id);
                    // A yes or a no ("est-ce que la vue compte ?") is settled by a sentence
                    // that states a requirement, when it reads closer to the clause than the
                    // opening does.
                    let settles = settles_a_requirement(&words, &fold(sentence)) || (yes_no && similarity > base && states_a_requirement(&fold(sentence)));
                    if similarity >= MIN_SIMILARITY && (similarity - base >= MARGIN || settles) {
                        chosen.push(sentence);
                    }
                }
                // Quoted in the fiche's order.
                chosen.sort_by_key(|c| candidates.iter().position(|s| s == c));
                for sentence in chosen {
                    picks.add(&doc.id, sentence);
                }
            }
        }
        picks
    }
}

/// The clause's words that say what it adds to the kind of thing it asks: four letters or more
/// beyond the question's fillers ([`Question::read`]) and three-letter words outside
/// `data/little-words.txt` ("vue", "dos"), less the words that only say what kind of thing is
/// asked (`data/asking-words.txt`: "temps", "salaire", "travail"), which the card's fields
/// answer.
fn clause_words(clause: &str) -> Vec<String> {
    static LITTLE: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    static ASKING: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let little = LITTLE.get_or_init(|| guardrails::data::words(include_str!("../data/little-words.txt")).collect());
    let asking = ASKING.get_or_init(|| guardrails::data::words(include_str!("../data/asking-words.txt")).collect());
    // "véto" is "vétérinaire", a name of the card, not something asked of it.
    let clause = retrieval::informal::spell_out(clause);
    let mut words = Question::read(&clause).words;
    let plain = guardrails::normalise::normalise(&clause);
    words.extend(plain.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() == 3 && w.chars().all(char::is_alphabetic)).map(String::from));
    words.retain(|w| !matches!(w.as_str(), "age" | "ans" | "bac") && !asking.contains(&w.as_str()) && !little.contains(&w.as_str()));
    words
}

/// Whether a (folded) sentence says a requirement the clause asks about
/// (`data/requirement-words.txt`: "nager", "vertige", "permis"…).
fn settles_a_requirement(clause_words: &[String], sentence: &str) -> bool {
    static WORDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let requirements = WORDS.get_or_init(|| guardrails::data::words(include_str!("../data/requirement-words.txt")).map(String::from).collect());
    let asked: Vec<String> = clause_words.iter().filter(|w| requirements.iter().any(|r| crate::facts::same_word(r, w))).cloned().collect();
    !asked.is_empty() && says_one_of(sentence, &asked)
}

/// Whether a (folded) sentence states a requirement (`data/requirement-markers.txt`: "exigée",
/// "indispensable", "il faut"…). The candidates already say a word of the clause the fiche
/// says rarely, so such a sentence is the requirement the clause asks about ("une excellente
/// vue est exigée" for "est-ce que la vue compte ?").
fn states_a_requirement(sentence: &str) -> bool {
    static MARKERS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let markers = MARKERS.get_or_init(|| guardrails::data::words(include_str!("../data/requirement-markers.txt")).map(String::from).collect());
    says_one_of(sentence, markers)
}

/// The clause without the words of the card's names (`names`: folded, space-separated), when
/// something is left.
fn without_names(clause: &str, names: &str) -> String {
    let name_words: std::collections::HashSet<&str> = names.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 4).collect();
    let kept: Vec<&str> = clause.split_whitespace().filter(|w| !fold(w).split(|c: char| !c.is_alphanumeric()).any(|part| name_words.contains(part))).collect();
    if kept.len() >= 3 {
        kept.join(" ")
    } else {
        clause.to_string()
    }
}

/// Whether a folded sentence says one of the words (whole when short, by stem when long).
fn says_one_of(folded: &str, words: &[String]) -> bool {
    folded.split(|c: char| !c.is_alphanumeric()).any(|s| words.iter().any(|w| crate::facts::same_word(w, s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clause_s_own_words_are_those_beyond_what_kind_of_thing_it_asks() {
        let words = clause_words("Est-ce que la vue compte pour ce métier ?");
        assert!(words.contains(&"vue".to_string()) && words.contains(&"compte".to_string()), "{words:?}");
        let words = clause_words("Un MTA, ça touche quoi comme solde au début ? C'est quoi comme travail ?");
        assert!(words.contains(&"solde".to_string()), "{words:?}");
        for generic in ["comme", "touche", "debut", "travail", "quoi"] {
            assert!(!words.contains(&generic.to_string()), "{generic} in {words:?}");
        }
        // A short name is spelled out, so that the card's names (which leave it out) match it.
        let words = clause_words("véto c'est combien d'années ?");
        assert!(words.contains(&"veterinaire".to_string()) && !words.contains(&"veto".to_string()), "{words:?}");
        assert!(says_one_of("il travaille de nuit", &["nuit".to_string()]));
        assert!(!says_one_of("la nuitee", &["nuit".to_string()]));
    }

    #[test]
    fn a_requirement_asked_is_settled_by_a_sentence_saying_it() {
        let words = clause_words("c'est vrai qu'il faut pas avoir le vertige pour être couvreur ?");
        assert!(settles_a_requirement(&words, "s'il ne doit pas avoir le vertige, il lui faut aussi etre prudent."));
        assert!(!settles_a_requirement(&words, "le couvreur travaille en equipe."));
        assert!(!settles_a_requirement(&clause_words("ça paye bien ?"), "le salaire depend du permis."));
        assert!(states_a_requirement("pour exercer ce metier, une excellente vue est exigee, ainsi qu'une bonne sante generale."));
        assert!(states_a_requirement("le permis b est indispensable."));
        assert!(!states_a_requirement("le controleur guide les pilotes."));
    }

    #[test]
    fn a_clause_is_read_without_the_card_s_names() {
        assert_eq!(without_names("faut pas avoir le vertige pour être couvreur ?", "couvreur couvreuse"), "faut pas avoir le vertige pour être ?");
        assert_eq!(without_names("un couvreur ?", "couvreur"), "un couvreur ?");
    }

    #[test]
    fn a_question_is_cut_into_its_clauses() {
        assert_eq!(
            clauses("Un MTA dans l'armée de l'air, ça touche quoi ? Et on s'engage pour combien de temps ?"),
            vec!["Un MTA dans l'armée de l'air, ça touche quoi ?", "Et on s'engage pour combien de temps ?"]
        );
        assert_eq!(clauses("moniteur de ski sa gagne cb"), vec!["moniteur de ski sa gagne cb"]);
        // "Merci !" alone is not a clause to answer; what says who asks is not one either.
        assert_eq!(clauses("Merci ! c'est quoi un BTS ?"), vec!["c'est quoi un BTS ?"]);
        assert_eq!(clauses("Mon fils porte des lunettes. Est-ce que la vue compte ?"), vec!["Est-ce que la vue compte ?"]);
        assert_eq!(clauses("Mon fils porte des lunettes. La vue compte."), vec!["Mon fils porte des lunettes.", "La vue compte."]);
    }
}
