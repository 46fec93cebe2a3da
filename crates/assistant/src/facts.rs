//! The facts card: what the fiches say in answer to what was asked, quoted word for word in
//! whole sentences (all the conditions, not the first sentence only). The small model's French
//! is weak, so the data states; the card leads with the thing asked (salary, access, duration…)
//! and shows both fiches side by side for a comparison. No internal ids: sources are links.

use crate::question::{Asked, Question};
use retrieval::{Document, Kind};

/// Words quoted at most for one thing asked, cut after a whole sentence.
const QUOTE_WORDS: usize = 150;
/// A job's way in, when it is what is asked: the whole of it for 97 % of ONISEP's job fiches
/// (the conditions that matter, a concours's age limit, an exemption, often come last).
const ACCESS_WORDS: usize = 200;
/// What a job's fiche says under its salary headings: the beginner's pay, then the public,
/// private or self-employed figures some fiches add ("le revenu moyen d'un orthophoniste
/// libéral").
const SALARY_WORDS: usize = 100;
/// A job's sentences that give a length of studies (the internship after the sixth year too).
const DURATION_WORDS: usize = 110;
/// Words of a summary ("En bref") on a general card.
const BRIEF_WORDS: usize = 45;
/// Words quoted to describe a job or a formation.
const DESCRIPTION_WORDS: usize = 160;
/// What a job's fiche says of finding work and moving on: its employers, demand, evolutions.
const OUTCOMES_WORDS: usize = 110;
/// A job's sentences on the working conditions asked (hours, travel, places…).
const CONDITIONS_WORDS: usize = 110;

/// A section's text cut into its parts: fiches write a short heading line ("Bon relationnel")
/// above the paragraphs it introduces, and lists as short lines.
struct Part<'a> {
    heading: Option<&'a str>,
    lines: Vec<&'a str>,
}

fn is_sentence(line: &str) -> bool {
    line.trim_end().ends_with(['.', '!', '?', ':', '…', ';', ')']) || line.split_whitespace().count() > 14 || states_an_amount(line)
}

/// A line that gives an amount ("Environ 2045 euros brut pour un orthophoniste débutant…",
/// written without a final stop) is what a heading introduces, never a heading itself.
fn states_an_amount(line: &str) -> bool {
    let folded = retrieval::french::fold(line);
    line.chars().any(|c| c.is_ascii_digit()) && (folded.contains("euro") || folded.contains('%'))
}

fn parts(text: &str) -> Vec<Part<'_>> {
    let mut out: Vec<Part> = Vec::new();
    for line in text.lines().map(str::trim).map(|l| l.trim_start_matches(['-', '•']).trim_start()).filter(|l| !l.is_empty()) {
        // Short lines after a line announcing a list ("3 domaines d'activités :") are its items,
        // not headings: they belong to what is quoted.
        // (An amount written without a stop is a sentence, not a list's head.)
        let in_list = out.last().and_then(|p| p.lines.last()).is_some_and(|l| l.ends_with(':') || (!ends_sentence(l) && !states_an_amount(l)));
        if is_sentence(line) || in_list {
            match out.last_mut() {
                Some(p) => p.lines.push(line),
                None => out.push(Part { heading: None, lines: vec![line] }),
            }
        } else {
            out.push(Part { heading: Some(line), lines: Vec::new() });
        }
    }
    out
}

fn ends_sentence(line: &str) -> bool {
    line.trim_end().ends_with(['.', '!', '?', '…', ';', ')'])
}

/// Sentences of a paragraph (a sentence ends with . ! ? followed by a space and a capital or
/// a digit, so "bac + 2." inside a sentence or "3,5" do not cut it).
const BOILERPLATE: &str = include_str!("../data/boilerplate.txt");

/// Whether a sentence is one the fiches repeat on every page of a kind (`data/boilerplate.txt`).
fn is_boilerplate(sentence: &str) -> bool {
    static STARTS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    let starts = STARTS.get_or_init(|| guardrails::data::words(BOILERPLATE).collect());
    let folded = retrieval::french::fold(sentence.trim());
    starts.iter().any(|b| folded.starts_with(b))
}

pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, c)) in chars.iter().enumerate() {
        if matches!(c, '.' | '!' | '?' | '…') {
            let next = chars.get(i + 1).map(|x| x.1);
            let after = chars.get(i + 2).map(|x| x.1);
            if next.is_none() || (next == Some(' ') && after.is_some_and(|a| a.is_uppercase() || a.is_ascii_digit() || a == '«')) {
                let end = at + c.len_utf8();
                let s = text[start..end].trim();
                if !s.is_empty() {
                    out.push(s);
                }
                start = end;
            }
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// Whole sentences of the given lines, up to about `budget` words; the first sentence is always
/// whole unless it alone is far longer than the budget. List items (lines without a final
/// stop) are joined with " ; " and closed with a full stop.
fn quote<'a>(lines: impl IntoIterator<Item = &'a str>, budget: usize) -> String {
    let mut out = String::new();
    let mut words = 0;
    let mut previous: Option<&str> = None;
    // Where the last sentence began: one announcing a list (":") is taken back when the
    // list does not follow.
    let mut last_start = 0;
    for s in lines.into_iter().flat_map(sentences).filter(|s| !is_boilerplate(s)) {
        let n = s.split_whitespace().count();
        if previous.is_some() && words + n > budget {
            break;
        }
        if previous.is_none() && n > budget * 2 {
            let head: Vec<&str> = s.split_whitespace().take(budget).collect();
            return format!("{}…", head.join(" "));
        }
        last_start = out.len();
        if let Some(p) = previous {
            let item = !ends_sentence(p) && !p.ends_with(':');
            out.push_str(match (p.ends_with(':'), item, ends_sentence(s) || s.ends_with(':')) {
                (true, _, _) => " ",
                (false, true, false) => " ; ",
                (false, true, true) => ". ",
                _ => " ",
            });
        }
        out.push_str(s);
        previous = Some(s);
        words += n;
    }
    if previous.is_some_and(|p| p.ends_with(':')) && last_start > 0 {
        out.truncate(last_start);
    } else if previous.is_some_and(|p| !ends_sentence(p) && !p.ends_with(':')) && !out.is_empty() {
        out.push('.');
    }
    out
}

/// The first sentences of a text, up to about `BRIEF_WORDS` words, quoted as they are.
pub fn opening_sentences(text: &str) -> String {
    quote(text.lines(), BRIEF_WORDS)
}

fn section<'a>(d: &'a Document, key: &str) -> Option<&'a str> {
    d.section(key).map(|s| s.text.as_str()).filter(|t| !t.trim().is_empty())
}

/// A section's sentences (headings and list lines left out), quoted to a budget.
fn section_quote(d: &Document, key: &str, budget: usize) -> Option<String> {
    let text = section(d, key)?;
    let lines: Vec<&str> = parts(text).into_iter().flat_map(|p| p.lines).collect();
    let q = quote(lines, budget);
    (!q.is_empty()).then_some(q)
}

/// The short list lines of a section ("Niveau bac + 5", "Master MEEF…"), "Niveau" lines left
/// out (the level has its own line), and so are the headings that say when ("Après la 3e",
/// "Après le bac"): they are not diplomas.
fn section_items<'a>(d: &'a Document, key: &str, max: usize) -> Vec<&'a str> {
    let Some(text) = section(d, key) else { return Vec::new() };
    parts(text)
        .into_iter()
        .filter(|p| p.lines.is_empty())
        .filter_map(|p| p.heading)
        .filter(|h| !h.starts_with("Niveau") && !h.starts_with("Après"))
        .take(max)
        .collect()
}

/// Whether a sentence states how long something lasts ("se prépare en 2 ans", "1 an après un
/// premier diplôme", "dure 18 mois"), not merely a number of years ("moins de 6 ans").
fn states_a_length(sentence: &str) -> bool {
    static LENGTH: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = LENGTH.get_or_init(|| {
        regex::Regex::new(
            r"\b(?:(?:en|sur|dure|durent|pendant|duree de|formation de|cursus de)\s+(?:\d+|un|une|deux|trois|quatre|cinq|six|sept|huit)(?:\s+(?:ou|a|à)\s+(?:\d+|deux|trois|quatre|cinq|six))?\s+(?:an|ans|annees?|mois|semaines?|heures)\b|(?:\d+|un|deux|trois)\s+ans?\s+apres\b)",
        )
        .expect("valid")
    });
    re.is_match(&retrieval::french::fold(sentence))
}

/// Sentences of a section that match one of the cues (folded), in order. A sentence that
/// opens on a pronoun ("Il se prépare essentiellement en apprentissage") comes with the one
/// before it, which says what "il" is ("Le CAP boulanger est le diplôme de référence").
fn matching_sentences(d: &Document, key: &str, cues: &[&str], budget: usize) -> Option<String> {
    let text = section(d, key)?;
    let mut hits: Vec<&str> = Vec::new();
    add_matching(text, |f| cues.iter().any(|c| f.contains(c)), &mut hits);
    let q = quote(hits, budget);
    (!q.is_empty()).then_some(q)
}

/// Adds to `hits` the sentences of a section's text whose folded form `keep`s, in order, each
/// once. A sentence that opens on a pronoun ("Il travaille de nuit…") comes with the one
/// before it, which says who "il" is.
fn add_matching<'a>(text: &'a str, keep: impl Fn(&str) -> bool, hits: &mut Vec<&'a str>) {
    let all: Vec<&str> = parts(text).into_iter().flat_map(|p| p.lines).flat_map(sentences).filter(|s| !is_boilerplate(s)).collect();
    for (i, s) in all.iter().enumerate() {
        if hits.contains(s) || !keep(&retrieval::french::fold(s)) {
            continue;
        }
        if i > 0 && opens_on_a_pronoun(s) && hits.last() != Some(&all[i - 1]) {
            hits.push(all[i - 1]);
        }
        hits.push(s);
    }
}

/// A fiche's sentences that could answer a question, wherever the fiche says them (ROME's
/// sections and the sentences every fiche repeats left out; a sentence opening on a pronoun
/// comes with the one before it): what [`crate::meaning`] ranks by meaning.
pub fn fiche_sentences(d: &Document) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in d.sections.iter().filter(|s| !retrieval::rome::is_rome_section(&s.key)) {
        let all: Vec<&str> = parts(&s.text).into_iter().flat_map(|p| p.lines).flat_map(sentences).filter(|s| !is_boilerplate(s)).collect();
        for (i, sentence) in all.iter().enumerate() {
            if sentence.split_whitespace().count() < 5 {
                continue;
            }
            if i > 0 && opens_on_a_pronoun(sentence) {
                out.push(format!("{} {sentence}", all[i - 1]));
            } else {
                out.push(sentence.to_string());
            }
        }
    }
    out.dedup();
    out
}

/// Sentences picked by meaning for each fiche of the card ([`crate::meaning`]), quoted under
/// "Ce qui répond à ta question" beside those that share the question's words.
#[derive(Debug, Default, Clone)]
pub struct Picks {
    by_fiche: Vec<(String, Vec<String>)>,
}

impl Picks {
    pub fn add(&mut self, doc_id: &str, sentence: &str) {
        match self.by_fiche.iter_mut().find(|(id, _)| id == doc_id) {
            Some((_, s)) if s.iter().any(|x| x == sentence) => {}
            Some((_, s)) => s.push(sentence.to_string()),
            None => self.by_fiche.push((doc_id.to_string(), vec![sentence.to_string()])),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.by_fiche.is_empty()
    }

    fn of(&self, doc_id: &str) -> &[String] {
        self.by_fiche.iter().find(|(id, _)| id == doc_id).map(|(_, s)| s.as_slice()).unwrap_or(&[])
    }
}

/// Whether a folded sentence states an age condition ("être âgé d'au moins 21 ans", "avoir
/// moins de 30 ans au 1er janvier", "limite d'âge").
fn states_an_age_condition(folded: &str) -> bool {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        regex::Regex::new(
            r"\b(?:limite d'age|age (?:minimum|maximum|limite|requis)|(?:etre|etant) agee?/?e?s? (?:de|d'au moins|d'au plus|de moins de|de plus de|entre)|(?:avoir|ayant) (?:au moins |moins de |plus de |entre )?\d{2}(?: et \d{2})? ans|(?:de moins de|de plus de|d'au moins|d'au plus) \d{2} ans|(?:recrute\w*|integre\w*|admis|inscri\w*|concours|engage\w*)[^.]{0,40}\b(?:entre|de) \d{2} (?:et|a) \d{2} ans)\b",
        )
        .expect("valid pattern")
    })
    .is_match(folded)
}

/// Whether a sentence's subject is a pronoun for something named before it.
fn opens_on_a_pronoun(sentence: &str) -> bool {
    let first = sentence.split_whitespace().next().unwrap_or("");
    matches!(first, "Il" | "Elle" | "Ils" | "Elles" | "Celui-ci" | "Celle-ci" | "Ceux-ci" | "Celles-ci")
}

const DURATION_CUES: &[&str] = &[" an ", " ans", "annee", "bac +", "bac+", "mois", "semaine"];
const PROCEDURE_CUES: &[&str] = &[
    "concours",
    "dossier",
    "parcoursup",
    "apprentissage",
    "alternance",
    "inscri",
    "selection",
    "entretien",
    "epreuve",
    "recrut",
    "examen",
    "certificat",
    "carte professionnelle",
    "autorisation",
    "agrement",
];
/// The conditions to meet ("Conditions d'accès au CCPCT : être
/// titulaire du permis B depuis au moins 3 ans ; avoir un casier judiciaire vierge…"): quoted
/// beside the steps, never alone in their place (a card quoting only "Autres conditions : être
/// âgé de 18 ans" would drop that the training needs an employer).
const CONDITION_CUES: &[&str] = &["conditions", "casier judiciaire", "visite medicale", "aptitude", "limite d'age"];
const PREPARATION_CUES: &[&str] = &[
    "concours",
    "dossier",
    "parcoursup",
    "apprentissage",
    "alternance",
    "formation continue",
    "statut scolaire",
    "selection",
    "entretien",
    "epreuve",
    "se prepare",
];

/// The person decides (P6): said once under an "is it for me" answer (unless the rails' care
/// sentence on delegation already said it).
pub const YOUR_CHOICE: &str = "C'est toi qui décides si cela te correspond : tu peux en parler avec un conseiller ou une conseillère, \
ou faire un stage pour voir le métier de près.";

struct Card<'a> {
    lines: Vec<String>,
    doc: &'a Document,
    question: &'a Question,
    picks: &'a Picks,
}

impl Card<'_> {
    fn add(&mut self, label: &str, text: Option<String>) -> bool {
        // Fiches often repeat their opening inside the presentation, and two fields can quote
        // the same paragraph: each sentence is quoted once per card.
        let text = text.map(|t| self.not_quoted_yet(&t));
        match text.filter(|t| !t.trim().is_empty()) {
            Some(t) if !self.lines.iter().any(|l| l.contains(&t)) => {
                self.lines.push(format!("  – {label} : {t}"));
                true
            }
            _ => false,
        }
    }

    /// The text without its sentences (of five words or more, ending as a sentence does) the
    /// card already says, or that
    /// the text says twice: the same sentence, or one whose every word of four letters or more
    /// and every figure is in one sentence said before ("Il rencontre les parents et les
    /// enfants." after "Il rencontre parents et enfants.").
    fn not_quoted_yet(&self, text: &str) -> String {
        let words =
            |s: &str| -> Vec<String> { retrieval::french::fold(s).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(String::from).collect() };
        let significant = |w: &String| w.chars().count() >= 4 || w.chars().any(|c| c.is_ascii_digit());
        let mut said: Vec<Vec<String>> = self.lines.iter().flat_map(|l| sentences(l).into_iter().map(words)).collect();
        let mut kept: Vec<&str> = Vec::new();
        let all = sentences(text);
        for sentence in &all {
            let w = words(sentence);
            // A list of names ("Exemples de formations : …") is no sentence: always kept.
            let a_sentence = sentence.ends_with(['.', '!', '?', '…']);
            let repeated = a_sentence && w.len() >= 5 && said.iter().any(|before| w.iter().filter(|x| significant(x)).all(|x| before.contains(x)));
            if !repeated {
                kept.push(sentence);
            }
            said.push(w);
        }
        if kept.len() == all.len() {
            text.to_string()
        } else {
            kept.join(" ")
        }
    }

    /// The level field, unless the card already quotes how to get in: ONISEP's level of a job
    /// is the usual diploma's, and beside "aucun diplôme n'est exigé" it would mislead.
    fn level(&mut self) {
        let quoted_access =
            self.lines.iter().any(|l| l.starts_with("  – Pour y accéder") || l.starts_with("  – Comment on y entre") || l.starts_with("  – Pour y entrer"));
        if self.doc.kind == Kind::Metier && (quoted_access || no_diploma_required(self.doc)) {
            return;
        }
        // ONISEP's level of a job is its usual diploma's, of a formation the diploma's own: neither
        // is a condition to enter (a DE "de niveau bac + 2" is prepared after the bac).
        let label = if self.doc.kind == Kind::Metier { "Niveau d'études le plus courant" } else { "Niveau du diplôme" };
        self.add(label, self.doc.facts.level.clone());
    }

    /// Linked fiches' names (formations of a job, jobs of a formation), those the person
    /// ruled out left out.
    fn linked(&self, n: usize) -> Option<String> {
        let l: Vec<&str> = self.doc.links.iter().map(|l| l.label.as_str()).filter(|l| !self.question.rules_out_name(l)).take(n).collect();
        (!l.is_empty()).then(|| l.join(" ; "))
    }

    /// The fiche's sentences that share most words with the question (two at most, two shared
    /// words at least): what settles a yes-or-no question, wherever the fiche says it. A word
    /// the fiche says in many sentences is its topic ("optique" on an optician's fiche) and
    /// counts less than one it says once ("obligatoire").
    fn answering(&mut self) {
        let title = retrieval::french::fold(&self.doc.title);
        let useful: Vec<&String> = self.question.words.iter().filter(|w| !title.contains(w.as_str())).collect();
        // Each sentence with the question's words it holds (their indexes in `useful`).
        let mut candidates: Vec<(Vec<usize>, &str)> = Vec::new();
        for s in self.doc.sections.iter().filter(|s| !retrieval::rome::is_rome_section(&s.key)) {
            for line in parts(&s.text).into_iter().flat_map(|p| p.lines) {
                for sentence in sentences(line) {
                    let f = retrieval::french::fold(sentence);
                    let sentence_words: Vec<&str> = f.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
                    let shared: Vec<usize> = (0..useful.len()).filter(|&i| sentence_words.iter().any(|s| same_word(useful[i], s))).collect();
                    if !shared.is_empty() {
                        candidates.push((shared, sentence));
                    }
                }
            }
        }
        let mut sentences_with = vec![0usize; useful.len()];
        for i in candidates.iter().flat_map(|c| c.0.iter()) {
            sentences_with[*i] += 1;
        }
        // In a yes-or-no question, the sentence that holds the word settling it ("obligatoire",
        // "grade") answers before one that merely shares topic words; alone, when the fiche says
        // that word once ("Le DO ne bénéficie pas d'équivalence avec un grade universitaire").
        let settling = |i: usize| self.question.settling.iter().any(|w| same_word(useful[i], w));
        let settles = |shared: &[usize]| self.question.yes_no && shared.iter().any(|&i| settling(i));
        let settles_alone = |shared: &[usize]| self.question.yes_no && shared.iter().any(|&i| sentences_with[i] == 1 && settling(i));
        // "J'ai 19 ans, je peux devenir convoyeur de fonds ?": the fiche's age condition ("être
        // âgé d'au moins 21 ans") settles it, whatever words it shares with the question.
        if self.question.age {
            for s in self.doc.sections.iter().filter(|s| !retrieval::rome::is_rome_section(&s.key)) {
                for line in parts(&s.text).into_iter().flat_map(|p| p.lines) {
                    for sentence in sentences(line) {
                        if states_an_age_condition(&retrieval::french::fold(sentence)) && !candidates.iter().any(|c| c.1 == sentence) {
                            candidates.push((Vec::new(), sentence));
                        }
                    }
                }
            }
        }
        let mut scored: Vec<(f64, &str)> = candidates
            .iter()
            // Never a sentence that brings back what the person ruled out, nor one the card
            // already quotes.
            .filter(|(shared, sentence)| {
                let age = self.question.age && states_an_age_condition(&retrieval::french::fold(sentence));
                (shared.len() >= 2 || settles_alone(shared) || age)
                    && !self.question.rules_out_name(sentence)
                    && !self.lines.iter().any(|l| l.contains(*sentence))
            })
            .map(|(shared, sentence)| {
                let words: f64 = shared.iter().map(|&i| 1.0 / sentences_with[i] as f64).sum();
                let age = self.question.age && states_an_age_condition(&retrieval::french::fold(sentence));
                (words + if settles(shared) || age { 1.0 } else { 0.0 }, *sentence)
            })
            .collect();
        // Best first; the fiche's order among equals.
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));
        // A sentence some fiches write in two sections counts once.
        scored.dedup_by(|a, b| a.1 == b.1);
        let mut picked: Vec<&str> = scored.iter().take(2).map(|x| x.1).collect();
        // The sentences closest in meaning to a part of the question, when the card does not
        // quote them yet.
        for s in self.picks.of(&self.doc.id) {
            if !picked.iter().any(|p| p.contains(s.as_str()) || s.contains(p))
                && !self.lines.iter().any(|l| l.contains(s.as_str()))
                && !self.question.rules_out_name(s)
            {
                picked.push(s);
            }
        }
        if !picked.is_empty() {
            self.add("Ce qui répond à ta question", Some(picked.join(" ")));
        }
    }

    fn metier(&mut self, asked: Asked) {
        let d = self.doc;
        match asked {
            Asked::Salary => {
                // Every paragraph under a "salaire" heading: the beginner's pay, and the public
                // or private scales some fiches add.
                let salary = section(d, "vie_professionnelle").map(|t| {
                    let lines: Vec<&str> = parts(t)
                        .into_iter()
                        .filter(|p| p.heading.is_some_and(|h| retrieval::french::fold(h).contains("salaire")))
                        .flat_map(|p| p.lines)
                        .collect();
                    quote(lines, SALARY_WORDS)
                });
                let salary = salary.filter(|s| !s.is_empty()).or_else(|| d.facts.salary.clone());
                if !self.add("Salaire du débutant", salary) {
                    self.add("Salaire", Some("la fiche ne donne pas de chiffre.".into()));
                }
            }
            Asked::Access => {
                self.add("Pour y accéder", section_quote(d, "acces_metier", ACCESS_WORDS));
                let items = section_items(d, "acces_metier", 4);
                if !items.is_empty() {
                    self.add("Diplômes cités", Some(items.join(" ; ")));
                }
                self.level();
                self.add("Exemples de formations", self.linked(4));
            }
            Asked::Duration => {
                self.add("Durée des études", matching_sentences(d, "acces_metier", DURATION_CUES, DURATION_WORDS));
                self.level();
            }
            Asked::Outcomes => {
                let text = section(d, "vie_professionnelle").map(|t| {
                    let lines: Vec<&str> = parts(t)
                        .into_iter()
                        .filter(|p| !p.heading.is_some_and(|h| retrieval::french::fold(h).contains("salaire")))
                        .flat_map(|p| p.lines)
                        .collect();
                    quote(lines, OUTCOMES_WORDS)
                });
                self.add("Emploi et évolution", text);
            }
            Asked::Procedure => {
                let text = match matching_sentences(d, "acces_metier", PROCEDURE_CUES, ACCESS_WORDS) {
                    Some(_) => matching_sentences(d, "acces_metier", &[PROCEDURE_CUES, CONDITION_CUES].concat(), ACCESS_WORDS),
                    None => section_quote(d, "acces_metier", ACCESS_WORDS),
                };
                self.add("Comment on y entre", text);
                self.level();
            }
            Asked::Conditions => {
                let asked = self.conditions_asked();
                self.add("Conditions de travail", asked.or_else(|| section_quote(d, "condition_travail", CONDITIONS_WORDS)));
            }
            Asked::ForMe => {
                let qualities: Vec<&str> =
                    section(d, "competences").map(|t| parts(t).into_iter().filter_map(|p| p.heading).take(6).collect()).unwrap_or_default();
                if !qualities.is_empty() {
                    self.add("Qualités demandées", Some(qualities.join(" ; ")));
                }
                self.add("Ce que dit la fiche", section_quote(d, "competences", 130));
                // Asked for themselves, the conditions have their own line, for what was asked.
                if !self.question.asks(Asked::Conditions) {
                    self.add("Conditions de travail", section_quote(d, "condition_travail", 60));
                }
            }
            Asked::Description => {
                self.add("En bref", Some(opening_sentences(&d.summary)));
                if !self.add("Présentation", section_quote(d, "formats_courts", DESCRIPTION_WORDS)) {
                    self.add("Le travail", section_quote(d, "nature_travail", DESCRIPTION_WORDS));
                }
            }
        }
    }

    fn formation(&mut self, asked: Asked) {
        let d = self.doc;
        match asked {
            Asked::Salary => {
                self.add("Salaire", Some("une fiche de formation ne donne pas de salaire ; ce sont les fiches des métiers visés qui le donnent.".into()));
                self.add("Métiers visés", self.linked(5));
            }
            Asked::Access | Asked::Procedure => {
                let access = section_quote(d, "descriptif_acces", QUOTE_WORDS).or_else(|| section_quote(d, "attendus", 60));
                self.add("Pour y entrer", access);
                // How it is prepared (only in apprenticeship, on file, after a concours…) is
                // often said in the fiche's summary alone: "ce BP se prépare uniquement en
                // apprentissage ou dans le cadre de la formation continue".
                self.add("Comment elle se prépare", matching_sentences(d, "descriptif_format_court", PREPARATION_CUES, 60));
                self.level();
                self.add("Durée", d.facts.duration.clone());
            }
            Asked::Duration => {
                // The length said in words may differ from the field ("2 ans après la 3e, ou
                // 1 an après un premier diplôme"): every sentence of the fiche that gives one,
                // first, so that the field's single figure does not read as the only length.
                let said: Vec<String> = ["descriptif_format_court", "descriptif_acces", "formats_courts", "attendus"]
                    .iter()
                    .filter_map(|k| matching_sentences(d, k, DURATION_CUES, 60))
                    .collect();
                // Only sentences that state a length lead ("se prépare en 2 ans"), not one that
                // merely holds "ans" ("enfants de moins de 6 ans").
                let (lengths, others): (Vec<String>, Vec<String>) =
                    said.into_iter().flat_map(|q| sentences(&q).into_iter().map(str::to_string).collect::<Vec<_>>()).partition(|s| states_a_length(s));
                if lengths.is_empty() {
                    self.add("Durée", d.facts.duration.clone());
                } else {
                    self.add("Durée selon le parcours", Some(lengths.join(" ")));
                    self.add("Durée la plus courante", d.facts.duration.clone());
                }
                self.add("Type", d.facts.formation_type.clone());
                self.level();
                if !others.is_empty() {
                    self.add("Ce que dit la fiche", Some(others.join(" ")));
                }
            }
            Asked::Outcomes => {
                self.add("Après la formation", section_quote(d, "descriptif_poursuite_etudes", QUOTE_WORDS));
                self.add("Métiers visés", self.linked(6));
                let further: Vec<&str> = section_items(d, "poursuites_etudes", 6);
                if !further.is_empty() {
                    self.add("Poursuites d'études", Some(further.join(" ; ")));
                }
            }
            Asked::Conditions => {
                let asked = self.conditions_asked();
                self.add("Ce que dit la fiche", asked);
            }
            Asked::ForMe => {
                self.add("Ce qui est attendu", section_quote(d, "attendus", 70).or_else(|| section_items_text(d, "attendus", 5)));
                self.add("En bref", section_quote(d, "descriptif_format_court", 40));
            }
            Asked::Description => {
                self.add(
                    "En bref",
                    section_quote(d, "descriptif_format_court", DESCRIPTION_WORDS).or_else(|| section_quote(d, "formats_courts", DESCRIPTION_WORDS)),
                );
                let taught = section_items(d, "element_enseignement", 6);
                if !taught.is_empty() {
                    self.add("Enseignements", Some(taught.join(" ; ")));
                }
                self.add("Durée", d.facts.duration.clone());
            }
        }
    }

    /// The sentences that answer the working conditions asked: those of the job's "conditions de
    /// travail" that match a topic asked (its hours, its travel…), or else those of its other
    /// sections, in the fiche's order.
    fn conditions_asked(&self) -> Option<String> {
        let topics = &self.question.conditions;
        let answers = |f: &str| topics.iter().any(|t| t.answered.is_match(f));
        let sections = self.doc.sections.iter().filter(|s| !retrieval::rome::is_rome_section(&s.key));
        let (own, others): (Vec<_>, Vec<_>) = sections.partition(|s| s.key == "condition_travail");
        [own, others].into_iter().find_map(|group| {
            let mut hits: Vec<&str> = Vec::new();
            for s in group {
                add_matching(&s.text, answers, &mut hits);
            }
            let q = quote(hits, CONDITIONS_WORDS);
            (!q.is_empty()).then_some(q)
        })
    }

    /// The card when nothing precise is asked: what the fiche says first.
    fn general(&mut self) {
        let d = self.doc;
        match d.kind {
            Kind::Metier => {
                self.add("En bref", Some(opening_sentences(&d.summary)));
                self.add("Pour y accéder", section_quote(d, "acces_metier", QUOTE_WORDS));
                self.level();
                self.add("Salaire du débutant", d.facts.salary.clone());
                self.add("Exemples de formations", self.linked(4));
            }
            Kind::Formation => {
                self.add("En bref", section_quote(d, "descriptif_format_court", BRIEF_WORDS));
                self.add("Type", d.facts.formation_type.clone());
                self.add("Durée", d.facts.duration.clone());
                self.level();
                self.add("Métiers visés", self.linked(4));
            }
        }
    }
}

/// A job whose fiche says no diploma is required ("aucun diplôme n'est exigé"): its level
/// field (the usual diploma's) would read as a condition.
pub fn no_diploma_required(d: &Document) -> bool {
    const SAID: &[&str] = &[
        "aucun diplome",
        "pas de diplome",
        "sans diplome",
        "pas exige",
        "pas obligatoire",
        "aucune condition de diplome",
        "aucune condition de niveau",
        "sans condition de diplome",
        "sans condition de niveau",
        "aucun niveau",
        "n'est pas requis",
    ];
    section(d, "acces_metier").is_some_and(|t| {
        let f = retrieval::french::fold(t);
        SAID.iter().any(|s| f.contains(s))
    })
}

/// A question's word in a sentence: whole short words ("ans" is not "dans"), longer ones by
/// their stem ("langue" and "langues", "légal" and "légalement").
pub(crate) fn same_word(asked: &str, word: &str) -> bool {
    let n = asked.chars().count();
    if n < 5 {
        return asked == word;
    }
    let stem: String = asked.chars().take((n - 1).max(5)).collect();
    word.starts_with(&stem)
}

/// List lines of a section joined (the "attendus" are often a list without sentences).
fn section_items_text(d: &Document, key: &str, max: usize) -> Option<String> {
    let items = section_items(d, key, max);
    (!items.is_empty()).then(|| items.join(" ; "))
}

/// The card block with one more item at the end of `doc`'s card ("  – Parcours de ce
/// diplôme (4) : …"); unchanged when the block has no card for it.
pub fn add_to_card(block: &str, doc: &Document, item: &str) -> String {
    let header = format!("• {} : {}", if doc.kind == Kind::Metier { "Métier" } else { "Formation" }, doc.display_title());
    let mut lines: Vec<&str> = block.lines().collect();
    let Some(start) = lines.iter().position(|l| *l == header) else { return block.to_string() };
    let end = lines.iter().skip(start + 1).position(|l| l.starts_with("• ")).map(|i| start + 1 + i).unwrap_or(lines.len());
    let item = format!("  – {item}");
    lines.insert(end, &item);
    lines.join("\n")
}

/// A short French block of facts for the fiches that answer the question: for each fiche,
/// what it says about each thing asked, in the order asked, word for word.
pub fn facts_block(question: &Question, docs: &[&Document], picks: &Picks) -> String {
    let mut blocks = Vec::new();
    let has_job = docs.iter().any(|d| d.kind == Kind::Metier);
    // A job under a formation's card, for a yes or a no ("avec un CAP coiffure je peux ouvrir
    // mon salon ?"): only its sentences that settle the question, if it has any.
    let jobs_settle_only = question.yes_no && !question.comparison && docs.first().is_some_and(|d| d.kind == Kind::Formation);
    for (i, d) in docs.iter().enumerate() {
        // A formation under a job's card (not compared with it) says how one gets in and how
        // long it takes; the pay and the rest are the job's.
        let companion = has_job && d.kind == Kind::Formation && !question.comparison && !jobs_settle_only;
        if jobs_settle_only && i > 0 && d.kind == Kind::Metier {
            let mut card = Card { lines: vec![format!("• Métier : {}", d.display_title())], doc: d, question, picks };
            card.answering();
            if card.lines.len() > 1 {
                blocks.push(card.lines.join("\n"));
            }
            continue;
        }
        let mut card =
            Card {
                lines: vec![format!("• {} : {}", if d.kind == Kind::Metier { "Métier" } else { "Formation" }, d.display_title())], doc: d, question, picks
            };
        // A yes-or-no question gets the sentences that settle it first, wherever the fiche says
        // them.
        if question.yes_no {
            card.answering();
        }
        if question.asked.is_empty() {
            card.general();
        }
        for &a in &question.asked {
            if companion && !matches!(a, Asked::Access | Asked::Procedure | Asked::Duration) {
                continue;
            }
            match d.kind {
                Kind::Metier => card.metier(a),
                Kind::Formation => card.formation(a),
            }
        }
        if card.lines.len() == 1 {
            card.general();
        }
        // What the question adds beyond the fields of what it asks ("j'ai la peau sensible"):
        // the fiche's sentences that share its words, wherever the fiche says them.
        if !question.yes_no {
            card.answering();
        }
        // Two things compared ("CAP pâtissier ou CAP boulanger, lequel est le mieux ? ça dure
        // pareil ?"): each side also says what it is, whatever else is asked.
        if question.comparison && !card.lines.iter().any(|l| l.starts_with("  – En bref") || l.starts_with("  – Présentation")) {
            let brief = match d.kind {
                Kind::Metier => Some(opening_sentences(&d.summary)),
                Kind::Formation => section_quote(d, "descriptif_format_court", BRIEF_WORDS),
            };
            card.add("En bref", brief);
        }
        blocks.push(card.lines.join("\n"));
    }
    blocks.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use retrieval::{Facts, Link, Section};

    #[test]
    fn age_conditions_are_told_from_other_ages() {
        for condition in
            ["il faut etre agee d'au moins 21 ans", "militaires de moins de 30 ans sont recrutes", "ayant moins de 27 ans au 1er janvier", "limite d'age"]
        {
            assert!(states_an_age_condition(condition), "{condition}");
        }
        for other in [
            "enfants ages de 3 mois a 3 ans",
            "reste dans le meme cabinet entre 10 et 14 ans",
            "la conduite accompagnee des 16 ans",
            "apres 15 ans dans la vente",
        ] {
            assert!(!states_an_age_condition(other), "{other}");
        }
        assert!(Question::read("J'ai 19 ans, je peux devenir convoyeur de fonds ?").age);
        assert!(!Question::read("après 15 ans dans la vente, je peux devenir assistante maternelle ?").age);
    }

    #[test]
    fn a_sentence_is_quoted_once_per_card() {
        let mut d = Document::bare("MET.1", Kind::Metier, "psychologue");
        d.summary = "Le psychologue intervient dans les écoles de son secteur. Il rencontre les parents.".into();
        d.sections = vec![Section {
            key: "metier".into(),
            label: "Présentation".into(),
            text: "Le psychologue intervient dans les écoles de son secteur. Il veille aux apprentissages des élèves de l'école. Il veille aux apprentissages des élèves de l'école. Il rencontre les parents. Il rencontre parents et enfants. Il rencontre les parents et les enfants. Le BTS se prépare en 2 ans en lycée. Le BTS se prépare en 2 ans en alternance.".into(),
        }];
        let question = Question::read("il fait quoi le psychologue ?");
        let mut card = Card {
            lines: vec!["  – En bref : Le psychologue intervient dans les écoles de son secteur.".into()],
            doc: &d,
            question: &question,
            picks: &Picks::default(),
        };
        card.add("Présentation", Some(d.sections[0].text.clone()));
        assert_eq!(
            card.lines[1],
            "  – Présentation : Il veille aux apprentissages des élèves de l'école. Il rencontre les parents. Il rencontre parents et enfants. Le BTS se prépare en 2 ans en lycée. Le BTS se prépare en 2 ans en alternance."
        );
        // A list of names is kept whole, though its words were said.
        assert!(card.add("Exemples de formations", Some("psychologue des écoles ; son secteur".into())));
        // Nothing new: no line.
        assert!(!card.add("Encore", Some("Le psychologue intervient dans les écoles de son secteur.".into())));
    }

    #[test]
    fn an_item_is_added_at_the_end_of_its_fiche_s_card() {
        let a = Document::bare("FOR.1", Kind::Formation, "BUT A parcours x");
        let b = Document::bare("MET.2", Kind::Metier, "métier B");
        let block = "• Formation : BUT A parcours x\n  – Durée : 3 ans\n• Métier : métier B\n  – En bref : b";
        assert_eq!(
            add_to_card(block, &a, "Parcours de ce diplôme (2) : x ; y"),
            "• Formation : BUT A parcours x\n  – Durée : 3 ans\n  – Parcours de ce diplôme (2) : x ; y\n• Métier : métier B\n  – En bref : b"
        );
        assert!(add_to_card(block, &b, "z").ends_with("  – En bref : b\n  – z"));
        assert_eq!(add_to_card(block, &Document::bare("FOR.3", Kind::Formation, "autre"), "z"), block);
    }

    fn cpe() -> Document {
        Document {
            id: "MET.278".into(),
            kind: Kind::Metier,
            title: "conseiller/ère principal/e d'éducation".into(),
            title_feminine: Some("conseillère principale d'éducation".into()),
            title_masculine: Some("conseiller principal d'éducation".into()),
            synonyms: vec![],
            summary: "Le CPE veille au bon déroulement de la vie scolaire. Il travaille avec les professeurs.".into(),
            sections: vec![
                Section {
                    key: "acces_metier".into(),
                    label: "Accès au métier".into(),
                    text: "On devient CPE après réussite à un concours national.\nPour s'inscrire au concours, il faut être inscrit en 2ème année de master MEEF.\nLes CPE du privé sont recrutés par les chefs d'établissement.\nNiveau bac + 5\nMaster MEEF mention encadrement éducatif".into(),
                },
                Section {
                    key: "competences".into(),
                    label: "Compétences requises".into(),
                    text: "Sens de l'écoute\nLe CPE est à l'écoute des élèves.\nAutorité\nIl sait poser des limites.".into(),
                },
                Section {
                    key: "vie_professionnelle".into(),
                    label: "Salaire et vie professionnelle".into(),
                    text: "Salaire\nSalaire du débutant\n2 100 euros brut par mois.\nIntégrer le marché du travail\nDes postes chaque année\nLe nombre de postes au concours varie.".into(),
                },
            ],
            links: vec![Link { id: "FOR.1".into(), label: "master MEEF".into() }],
            rome_codes: vec![],
            facts: Facts { level: Some("bac + 5".into()), salary: Some("2 100 euros brut par mois.".into()), ..Default::default() },
            url: "https://example.org/MET.278".into(),
            date: String::new(),
            source: String::new(),
        }
    }

    #[test]
    fn the_card_leads_with_what_is_asked_and_quotes_every_condition() {
        let d = cpe();
        let card = facts_block(&Question::read("comment devenir CPE ?"), &[&d], &Picks::default());
        assert!(card.contains("concours national.") && card.contains("2ème année de master MEEF.") && card.contains("chefs d'établissement."), "{card}");
        assert!(card.contains("Diplômes cités : Master MEEF mention encadrement éducatif"), "{card}");
        assert!(!card.contains("MET.278") && !card.contains("FOR.1"), "no internal ids: {card}");
        let salary = facts_block(&Question::read("combien gagne un CPE"), &[&d], &Picks::default());
        assert!(salary.lines().nth(1).unwrap().contains("Salaire du débutant : 2 100 euros"), "{salary}");
        assert!(!salary.contains("concours"), "{salary}");
    }

    #[test]
    fn what_the_question_adds_beyond_its_intent_is_quoted_too() {
        // A salary question that also names the master: the sentence about the master follows
        // the salary, whatever section it is in.
        let card = facts_block(&Question::read("Combien gagne un CPE qui sort du master MEEF"), &[&cpe()], &Picks::default());
        let salary = card.find("Salaire du débutant").expect(&card);
        let answering =
            card.find("Ce qui répond à ta question : Pour s'inscrire au concours, il faut être inscrit en 2ème année de master MEEF.").expect(&card);
        assert!(salary < answering, "{card}");
        // Nothing shared beyond the title: no such line.
        assert!(!facts_block(&Question::read("combien gagne un CPE"), &[&cpe()], &Picks::default()).contains("Ce qui répond"));
    }

    #[test]
    fn how_a_formation_is_prepared_is_quoted_from_its_summary() {
        let bp = Document {
            id: "FOR.1652".into(),
            kind: Kind::Formation,
            title: "BP esthétique cosmétique parfumerie".into(),
            sections: vec![Section {
                key: "descriptif_format_court".into(),
                label: "Présentation".into(),
                text: "Suite du CAP, ce brevet professionnel se prépare uniquement en apprentissage ou dans le cadre de la formation continue.\nLe titulaire accueille la clientèle.".into(),
            }],
            facts: Facts { duration: Some("2 ans".into()), ..Default::default() },
            ..cpe()
        };
        let card = facts_block(&Question::read("peut-elle faire le BP esthétique au lycée ou faut-il un patron ?"), &[&bp], &Picks::default());
        assert!(card.contains("Comment elle se prépare : Suite du CAP, ce brevet professionnel se prépare uniquement en apprentissage"), "{card}");
        assert!(!card.contains("accueille la clientèle"), "{card}");
    }

    fn bare_section() -> Section {
        Section { key: "descriptif_format_court".into(), label: "Présentation".into(), text: "Pour des enfants de moins de 6 ans.".into() }
    }

    /// A métier fiche with the given sections (key, text), for the tests of one card part.
    fn metier_with(id: &str, title: &str, sections: &[(&str, &str)]) -> Document {
        Document {
            id: id.into(),
            title: title.into(),
            title_feminine: None,
            title_masculine: None,
            sections: sections.iter().map(|(key, text)| Section { key: key.to_string(), label: key.to_string(), text: text.to_string() }).collect(),
            ..cpe()
        }
    }

    #[test]
    fn a_procedure_quotes_the_conditions_to_meet() {
        let taxi = metier_with(
            "MET.662",
            "chauffeur/euse de taxi",
            &[(
                "acces_metier",
                "Sans le CCPCT (certificat de capacité professionnelle de conducteur de taxi), pas d'autorisation d'exercer.\nConditions d'accès au CCPCT : être titulaire du permis B depuis au moins 3 ans ; avoir un casier judiciaire vierge.\nLe métier attire de nombreux candidats en reconversion.",
            )],
        );
        let card = facts_block(&Question::read("Quelles démarches pour obtenir le droit d'exercer comme chauffeur de taxi ?"), &[&taxi], &Picks::default());
        assert!(card.contains("pas d'autorisation d'exercer.") && card.contains("casier judiciaire vierge"), "{card}");
        assert!(!card.contains("nombreux candidats"), "{card}");
    }

    #[test]
    fn working_conditions_asked_quote_the_sentences_of_that_topic() {
        let refinery = metier_with(
            "MET.1",
            "opérateur/trice de raffinerie",
            &[
                (
                    "condition_travail",
                    "Toujours dehors\nUne raffinerie est située en extérieur, sans toit. Il évolue dans un environnement bruyant.\nUn travail d'équipe\nIl communique avec son collègue par radio.\n24 h sur 24\nUne raffinerie ne s'arrête jamais. Les opérateurs travaillent en 3x8 et 3 week-ends sur 5.",
                ),
                ("vie_professionnelle", "Les opérateurs partent parfois en déplacement sur d'autres sites."),
            ],
        );
        let card = facts_block(&Question::read("Opérateur de raffinerie, et les horaires c'est comment ?"), &[&refinery], &Picks::default());
        assert!(card.contains("Conditions de travail : Les opérateurs travaillent en 3x8 et 3 week-ends sur 5."), "{card}");
        assert!(!card.contains("sans toit"), "{card}");
        // Nothing on the topic in the section itself: the job's other sections are read.
        let card = facts_block(&Question::read("Opérateur de raffinerie, on part souvent en déplacement ?"), &[&refinery], &Picks::default());
        assert!(card.contains("déplacement sur d'autres sites"), "{card}");
    }

    #[test]
    fn a_salary_line_without_a_final_stop_is_not_a_heading() {
        let speech_therapist = metier_with(
            "MET.765",
            "orthophoniste",
            &[(
                "vie_professionnelle",
                "Salaire\nSalaire du débutant\nEnviron 2045 euros brut pour un orthophoniste débutant à l'hôpital\nEn libéral, les honoraires sont fixés par convention. Le revenu moyen d'un orthophoniste libéral est de 2465 euros\nIntégrer le marché du travail\nUn emploi assuré",
            )],
        );
        let card = facts_block(&Question::read("orthophoniste, on gagne quoi quand on débute ? hôpital ou libéral ?"), &[&speech_therapist], &Picks::default());
        assert!(card.contains("Environ 2045 euros brut") && card.contains("2465 euros"), "{card}");
        assert!(!card.contains("Un emploi assuré"), "{card}");
    }

    #[test]
    fn the_sentence_that_settles_a_yes_or_a_no_leads_the_answering_line() {
        let optician = metier_with(
            "MET.281",
            "opticien-lunetier",
            &[
                ("acces_metier", "Le BTS est obligatoire pour exercer et ouvrir un commerce.\n2 ans pour préparer le BTS, obligatoire pour exercer."),
                ("vie_professionnelle", "Après quelques années d'expérience, un opticien peut ouvrir son propre point de vente."),
            ],
        );
        let card = facts_block(&Question::read("est-ce que le BTS est obligatoire pour ouvrir son propre magasin ?"), &[&optician], &Picks::default());
        let line = card.lines().find(|l| l.contains("Ce qui répond à ta question")).expect(&card);
        assert!(line.contains("Ce qui répond à ta question : Le BTS est obligatoire pour exercer et ouvrir un commerce."), "{card}");
        // The settling word alone is enough when the fiche says it once.
        let herbalist = metier_with(
            "MET.9001",
            "herboriste",
            &[("acces_metier", "La formation dure trois ans en école privée. Ce certificat ne donne pas d'équivalence avec un grade universitaire.")],
        );
        let card = facts_block(&Question::read("le certificat d'herboriste, ça donne un grade de licence ?"), &[&herbalist], &Picks::default());
        assert!(card.contains("Ce qui répond à ta question : Ce certificat ne donne pas d'équivalence avec un grade universitaire."), "{card}");
    }

    #[test]
    fn a_sentence_on_a_pronoun_comes_with_the_one_that_names_it() {
        let boulanger = metier_with(
            "MET.17",
            "boulanger/ère",
            &[(
                "acces_metier",
                "Le CAP boulanger est le diplôme de référence dans la profession. Il se prépare essentiellement en apprentissage, meilleure voie de recrutement.",
            )],
        );
        let card = facts_block(&Question::read("on peut le faire en apprentissage, boulanger ?"), &[&boulanger], &Picks::default());
        assert!(card.contains("Le CAP boulanger est le diplôme de référence dans la profession. Il se prépare essentiellement en apprentissage"), "{card}");
    }

    #[test]
    fn a_formation_s_length_in_words_comes_before_its_single_figure() {
        let cap = Document {
            id: "FOR.6821".into(),
            kind: Kind::Formation,
            title: "CAP accompagnant éducatif petite enfance".into(),
            title_feminine: None,
            title_masculine: None,
            sections: vec![
                Section {
                    key: "descriptif_format_court".into(),
                    label: "Présentation".into(),
                    text: "Animer des activités d'éveil auprès d'enfants de moins de 6 ans, tel est l'objectif du CAP.".into(),
                },
                Section {
                    key: "descriptif_acces".into(),
                    label: "Accès".into(),
                    text:
                        "Ce CAP se prépare en 2 ans après la 3e, ou 1 an après un premier diplôme (autre CAP, bac professionnel...) ou une 2de professionnelle."
                            .into(),
                },
            ],
            facts: Facts { duration: Some("2 ans".into()), ..Default::default() },
            ..cpe()
        };
        let card = facts_block(&Question::read("elle a un bac pro, le CAP AEPE elle le ferait en combien de temps ?"), &[&cap], &Picks::default());
        let words = card.find("Durée selon le parcours : Ce CAP se prépare en 2 ans après la 3e, ou 1 an après un premier diplôme").expect(&card);
        // The single figure is not shown above the sentence (here it is not repeated at all).
        assert!(card.find("Durée :").is_none_or(|figure| words < figure), "{card}");
        // A sentence that only holds an age follows, it does not lead.
        assert!(card.find("moins de 6 ans").is_some_and(|age| age > words), "{card}");
        assert!(states_a_length("La formation dure 18 mois.") && !states_a_length("auprès d'enfants de moins de 6 ans"));
        // No sentence gives a length: the field alone.
        let bare = Document { sections: vec![], ..cap };
        // Only an age said: the field leads.
        let ages = Document { sections: vec![bare_section()], ..bare.clone() };
        assert!(facts_block(&Question::read("le CAP AEPE dure combien de temps ?"), &[&ages], &Picks::default()).contains("Durée : 2 ans"));
        assert!(facts_block(&Question::read("le CAP AEPE dure combien de temps ?"), &[&bare], &Picks::default()).contains("Durée : 2 ans"));
    }

    #[test]
    fn each_side_of_a_comparison_says_what_it_is() {
        let a = cpe();
        let b =
            Document { id: "MET.2".into(), title: "professeur/e documentaliste".into(), summary: "Le professeur documentaliste gère le CDI.".into(), ..cpe() };
        let card = facts_block(&Question::read("CPE ou professeur documentaliste, c'est quoi la différence de salaire ?"), &[&a, &b], &Picks::default());
        assert!(card.contains("En bref : Le CPE veille") && card.contains("En bref : Le professeur documentaliste gère le CDI."), "{card}");
        // Salary first, then what it is.
        assert!(card.find("Salaire du débutant").unwrap() < card.find("En bref").unwrap(), "{card}");
    }

    #[test]
    fn is_it_for_me_names_the_qualities() {
        let card = facts_block(&Question::read("je suis timide, est-ce que CPE c'est fait pour moi ?"), &[&cpe()], &Picks::default());
        assert!(card.contains("Qualités demandées : Sens de l'écoute ; Autorité"), "{card}");
        assert!(card.contains("Le CPE est à l'écoute des élèves. Il sait poser des limites."), "{card}");
    }

    #[test]
    fn a_level_is_not_shown_as_a_condition_when_the_fiche_says_none_is_required() {
        let mut d = cpe();
        d.sections[0].text = "Il faut l'agrément du conseil départemental. Aucune condition de niveau d'études n'est imposée.".into();
        d.facts.level = Some("CAP ou équivalent".into());
        assert!(no_diploma_required(&d));
        let card = facts_block(&Question::read("CPE c'est combien d'années d'études ?"), &[&d], &Picks::default());
        assert!(!card.contains("Niveau d'études"), "{card}");
        assert!(!no_diploma_required(&cpe()));
    }

    #[test]
    fn outcomes_leave_the_salary_out() {
        let card = facts_block(&Question::read("il y a du boulot comme CPE ?"), &[&cpe()], &Picks::default());
        assert!(card.contains("Le nombre de postes au concours varie."), "{card}");
        assert!(!card.contains("2 100"), "{card}");
    }

    #[test]
    fn lists_announced_by_a_colon_are_quoted_as_lists() {
        let q = quote(parts("Le BTS couvre 3 domaines :\n- la vente\n- la gestion\nIl se prépare en 2 ans.").into_iter().flat_map(|p| p.lines), 100);
        assert_eq!(q, "Le BTS couvre 3 domaines : la vente ; la gestion. Il se prépare en 2 ans.");
        // A sentence announcing a list the budget leaves out is not quoted.
        let cut = quote(["Il dure 4 ans. On y entre après :", "une première année de licence"], 8);
        assert_eq!(cut, "Il dure 4 ans.");
    }

    #[test]
    fn words_match_whole_when_short_and_by_stem_when_long() {
        assert!(same_word("langues", "langue") && same_word("legal", "legalement"));
        assert!(!same_word("ans", "dans") && !same_word("age", "stage") && same_word("ans", "ans"));
    }

    #[test]
    fn national_framing_is_not_quoted() {
        let q = quote(["Outre la diversité des formations de 1er cycle, des éléments de cadrage national ont été définis. Il est attendu des candidats une capacité d'abstraction."], 60);
        assert_eq!(q, "Il est attendu des candidats une capacité d'abstraction.");
    }

    #[test]
    fn sentences_are_not_cut_inside_figures() {
        assert_eq!(sentences("Niveau bac + 2. Puis 3,5 ans. Fin"), vec!["Niveau bac + 2.", "Puis 3,5 ans.", "Fin"]);
        assert_eq!(sentences("Il faut le permis B. ensuite"), vec!["Il faut le permis B. ensuite"]);
    }

    #[test]
    fn quotes_end_on_a_whole_sentence() {
        let short = "Le cordiste travaille en hauteur.";
        assert_eq!(opening_sentences(short), short);
        let long = format!("Première phrase assez courte pour tenir. Puis {}", "mot ".repeat(60));
        assert_eq!(opening_sentences(&long), "Première phrase assez courte pour tenir.");
        let no_stop = "mot ".repeat(100);
        assert!(opening_sentences(&no_stop).ends_with('…'));
    }
}
