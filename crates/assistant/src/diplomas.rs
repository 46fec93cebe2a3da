//! Diploma types ("c'est quoi un BTS ?", "CAP ou bac pro, c'est quoi la diff ?"): no fiche is
//! about a type, but every fiche of a type says something of it. The card of a type gives what
//! its fiches say together: how many there are, their usual length and level, and the sentence
//! most of them share about the way in and about what comes after, quoted as written. When the
//! question names a field ("un BTS ou un BUT dans l'électronique"), a few courses of each type
//! from that field follow, from search.

use regex::Regex;
use retrieval::{Document, Kind, Level, SearchOptions, Searcher};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const TABLE: &str = include_str!("../data/diploma-types.tsv");
/// A sentence is quoted as shared when at least this many fiches of the type say it word for word.
const SHARED_AT_LEAST: usize = 3;
/// Courses of each type shown from the field the question names.
const EXAMPLES_PER_TYPE: usize = 2;
/// Formations searched for those examples.
const EXAMPLE_CANDIDATES: usize = 60;

/// The table's FORMATION_TYPE of rows that name no type ("pas cap de…"): taken out first.
const NOT_A_TYPE: &str = "-";

struct Row {
    short: &'static str,
    formation_type: &'static str,
    named: Regex,
}

fn rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        guardrails::data::rows(TABLE)
            .map(|row| {
                let [short, formation_type, pattern] = row[..] else { panic!("diploma-types.tsv: a row needs three columns: {row:?}") };
                let named = Regex::new(pattern).unwrap_or_else(|e| panic!("diploma-types.tsv: {short}: {e}"));
                Row { short, formation_type, named }
            })
            .collect()
    })
}

/// The diploma types a message names, in the order it names them, each once ("CAP ou bac pro"
/// gives CAP then bac pro). A longer name is read before a shorter one inside it ("licence pro"
/// is not also a "licence").
pub fn types_named(message: &str) -> Vec<&'static str> {
    let mut text = message.to_string();
    let mut found: Vec<(usize, &'static str)> = Vec::new();
    for row in rows() {
        let spans: Vec<(usize, usize)> = row.named.find_iter(&text).map(|m| (m.start(), m.end())).collect();
        if let Some(&(start, _)) = spans.first().filter(|_| row.formation_type != NOT_A_TYPE) {
            found.push((start, row.formation_type));
        }
        // Blank the name out (same length, so positions hold) for the rows after this one.
        for (start, end) in spans {
            text.replace_range(start..end, &" ".repeat(end - start));
        }
    }
    found.sort();
    let mut types: Vec<&'static str> = Vec::new();
    for (_, t) in found {
        if !types.contains(&t) {
            types.push(t);
        }
    }
    types
}

/// The types a message names at least once standing alone: the next word, if any, is one of
/// `data/diploma-type-followers.txt` ("un BTS et…", "CAP ou bac pro ?"), not a course's name.
fn types_named_alone(message: &str) -> Vec<&'static str> {
    types_read_alone(message).into_iter().map(|(t, _)| t).collect()
}

/// Each type named standing alone, with whether a field follows it with "dans" ("les BTS dans
/// le commerce").
fn types_read_alone(message: &str) -> Vec<(&'static str, bool)> {
    static FOLLOWERS: OnceLock<Vec<&'static str>> = OnceLock::new();
    let followers = FOLLOWERS.get_or_init(|| guardrails::data::words(include_str!("../data/diploma-type-followers.txt")).collect());
    let mut text = message.to_string();
    let mut alone = Vec::new();
    for row in rows() {
        let spans: Vec<(usize, usize)> = row.named.find_iter(&text).map(|m| (m.start(), m.end())).collect();
        for &(start, end) in &spans {
            if row.formation_type == NOT_A_TYPE {
                text.replace_range(start..end, &" ".repeat(end - start));
                continue;
            }
            let next = retrieval::french::fold(&text[end..]);
            let next = next.trim_start().split(|c: char| !(c.is_alphanumeric() || c == '\'')).next().unwrap_or_default().to_string();
            if next.is_empty() || followers.contains(&next.as_str()) {
                alone.push((row.formation_type, next == "dans"));
            }
            text.replace_range(start..end, &" ".repeat(end - start));
        }
    }
    alone
}

/// Whether a message asks something (a question mark, or a word of `data/diploma-asking.txt`):
/// "Je vise un BTS ou un BUT." tells a limit.
pub fn asks_something(message: &str) -> bool {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    let words = WORDS.get_or_init(|| guardrails::data::words(include_str!("../data/diploma-asking.txt")).collect());
    message.contains('?')
        || crate::question::Question::read(message).yes_no
        || guardrails::normalise::normalise(message).split(|c: char| !c.is_alphanumeric()).any(|w| words.contains(&w))
}

/// Whether a name as written is only diploma types' names ("BTS", "bac pro").
pub fn only_type_names(name: &str) -> bool {
    let mut text = name.to_string();
    for row in rows() {
        text = row.named.replace_all(&text, " ").into_owned();
    }
    !types_named(name).is_empty() && !text.chars().any(char::is_alphanumeric)
}

/// A sentence many fiches of a type share, and which fiches say it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shared {
    pub sentence: String,
    pub fiches: Vec<String>,
}

/// What the fiches of one diploma type say together.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeFacts {
    pub short: &'static str,
    pub formation_type: &'static str,
    /// Fiches of this type.
    pub fiches: usize,
    /// The most common duration and level, each with how many fiches give it.
    pub duration: Option<(String, usize)>,
    pub level: Option<(String, usize)>,
    /// The first sentence most of its fiches share on the way in, and on what comes after.
    pub way_in: Option<Shared>,
    pub after: Option<Shared>,
}

impl TypeFacts {
    /// When no shared sentence says it: the way in of a higher-education diploma from its level
    /// and length ("niveau bac + 2" in "2 ans" starts after the bac). Before the bac the
    /// arithmetic does not hold (a BP at the bac's level comes after a CAP), so nothing is said.
    pub fn entry_level(&self) -> Option<Level> {
        let level = Level::parse(&self.level.as_ref()?.0)?;
        let years: u8 = self.duration.as_ref()?.0.strip_suffix(" ans").or_else(|| self.duration.as_ref()?.0.strip_suffix(" an"))?.trim().parse().ok()?;
        if level < Level::Bac2 || level > Level::Bac5 {
            return None;
        }
        let entry = Level::from_rank(level.rank().checked_sub(years)?)?;
        (entry >= Level::Bac).then_some(entry)
    }
}

/// Every diploma type of the table, with what its fiches say together.
pub struct Diplomas {
    types: Vec<TypeFacts>,
    /// The folded words of every fiche's title and synonyms: a word of the question that names
    /// a field names something the fiches name ("électronique", "commerce"); "en combien de
    /// temps", "c'est sélectif" name none.
    title_words: HashSet<String>,
}

impl Diplomas {
    pub fn new<'a>(documents: impl Iterator<Item = &'a Document>) -> Diplomas {
        let documents: Vec<&Document> = documents.collect();
        let title_words = documents
            .iter()
            .flat_map(|d| std::iter::once(&d.title).chain(d.synonyms.iter()))
            .flat_map(|t| {
                retrieval::french::fold(t).split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 4).map(str::to_string).collect::<Vec<_>>()
            })
            .collect();
        let mut by_type: HashMap<&str, Vec<&Document>> = HashMap::new();
        for d in documents.iter().copied().filter(|d| d.kind == Kind::Formation) {
            if let Some(t) = d.facts.formation_type.as_deref() {
                by_type.entry(t).or_default().push(d);
            }
        }
        let acronyms = known_acronyms();
        let types = rows()
            .iter()
            .filter_map(|row| {
                let mut docs = by_type.get(row.formation_type)?.clone();
                docs.sort_by(|a, b| a.id.cmp(&b.id));
                Some(TypeFacts {
                    short: row.short,
                    formation_type: row.formation_type,
                    fiches: docs.len(),
                    duration: most_common(docs.iter().filter_map(|d| d.facts.duration.clone())),
                    level: most_common(docs.iter().filter_map(|d| d.facts.level.clone())),
                    way_in: shared_sentence(&docs, "descriptif_acces", &acronyms),
                    after: shared_sentence(&docs, "descriptif_poursuite_etudes", &acronyms),
                })
            })
            .collect();
        Diplomas { types, title_words }
    }

    /// What the fiches say of each type the message names (types without fiches left out).
    pub fn named(&self, message: &str) -> Vec<&TypeFacts> {
        types_named(message).into_iter().filter_map(|t| self.types.iter().find(|f| f.formation_type == t)).collect()
    }

    /// The types a message asks about as such: every type it names stands alone (no course
    /// after its name: "un BTS et un BUT", not "CAP esthétique" or "BUT GEA"), and it compares
    /// two or more, or says nothing beside one type but the asking ("c'est quoi un BUT ?",
    /// "une licence pro ça dure combien ?"). Empty otherwise: a course named is its fiche's.
    pub fn asked_about(&self, message: &str) -> Vec<&TypeFacts> {
        let types = self.named(message);
        let alone = types_named_alone(message);
        if types.is_empty() || !types.iter().all(|t| alone.contains(&t.formation_type)) {
            return Vec::new();
        }
        let field_named = field_words(message).split(' ').any(|w| self.title_words.contains(w));
        // One type in a field ("les BTS dans le commerce") is asked about too; one type beside
        // anything else the fiches name ("une licence de maths… la Marine") is a course's question.
        let in_a_field = types_read_alone(message).iter().any(|(_, dans)| *dans);
        if types.len() >= 2 || !field_named || in_a_field {
            types
        } else {
            Vec::new()
        }
    }
}

impl Diplomas {
    /// The one type whose jobs a message asks for, naming nothing else: "quels métiers avec un
    /// bac pro ?", "un BTS ça mène à quoi ?", "je vais avoir mon CAP, je peux faire quoi comme
    /// travail ?". Every fiche of the type names its own jobs, so the answer is what the type's
    /// fiches say together and the question of what the person likes. `None` when a course, a
    /// field or anything else is named beside the type ("quels métiers avec un bac pro
    /// commerce ?", "un CAP dans la cuisine"), or two types are (a comparison).
    pub fn outcomes_asked(&self, message: &str) -> Option<&TypeFacts> {
        static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
        let words = WORDS.get_or_init(|| guardrails::data::words(include_str!("../data/diploma-outcome-words.txt")).collect());
        let types = self.named(message);
        let [one] = types.as_slice() else { return None };
        let alone = types_read_alone(message);
        if !alone.iter().any(|(t, dans)| *t == one.formation_type && !dans) {
            return None;
        }
        let asked = crate::question::Question::read(message);
        let asks_for_jobs = crate::profile::asks_for_paths(message) || asked.asks(crate::question::Asked::Outcomes);
        let nothing_else = field_words(message).split(' ').filter(|w| !w.is_empty()).all(|w| words.contains(&w));
        (asks_for_jobs && nothing_else).then_some(*one)
    }
}

/// The uppercase words of the table's short names ("CAP", "BTS", "CS"…): a shared sentence may
/// use them; any other acronym names one course ("Le BTS MHR est accessible…").
fn known_acronyms() -> Vec<&'static str> {
    rows().iter().flat_map(|r| r.short.split(|c: char| !c.is_alphanumeric())).filter(|w| w.len() >= 2 && w.chars().all(|c| c.is_uppercase())).collect()
}

fn most_common(values: impl Iterator<Item = String>) -> Option<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for v in values {
        match counts.iter_mut().find(|(c, _)| *c == v) {
            Some((_, n)) => *n += 1,
            None => counts.push((v, 1)),
        }
    }
    // The first seen wins a tie (fiches are in id order): the same card every time.
    counts.into_iter().fold(None, |best: Option<(String, usize)>, (v, n)| match best {
        Some((b, m)) if m >= n => Some((b, m)),
        _ => Some((v, n)),
    })
}

/// The first sentence of a section most fiches of the type share word for word, if at least
/// [`SHARED_AT_LEAST`] do and it names no single course.
fn shared_sentence(docs: &[&Document], key: &str, acronyms: &[&str]) -> Option<Shared> {
    let mut said: Vec<(String, Vec<String>)> = Vec::new();
    let by_id: HashMap<&str, &Document> = docs.iter().map(|d| (d.id.as_str(), *d)).collect();
    for d in docs {
        let Some(section) = d.sections.iter().find(|s| s.key == key) else { continue };
        // "Accès" stands as a heading on its own line in some fiches.
        let text = section.text.trim().strip_prefix("Accès\n").unwrap_or(section.text.trim());
        let Some(first) = crate::facts::sentences(text.lines().next().unwrap_or_default()).into_iter().next() else { continue };
        let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
        match said.iter_mut().find(|(s, _)| *s == first) {
            Some((_, ids)) => ids.push(d.id.clone()),
            None => said.push((first, vec![d.id.clone()])),
        }
    }
    // No acronym but the types' own, and no word of the title of a fiche that says it beyond
    // its type ("Le BUT R&T (réseaux et télécommunications) est accessible…" is about one BUT).
    let generic = |s: &str, ids: &[String]| {
        let acronyms_ok =
            s.split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 2 && w.chars().all(|c| c.is_uppercase())).all(|w| acronyms.contains(&w));
        let words = content_words(s);
        // A word of the sentence in the titles of half the fiches that say it or more.
        let sayers: Vec<&Document> = ids.iter().filter_map(|id| by_id.get(id.as_str()).copied()).collect();
        let own_title = words.iter().any(|w| {
            let in_titles = sayers
                .iter()
                .filter(|d| {
                    let type_words = content_words(d.facts.formation_type.as_deref().unwrap_or_default());
                    !type_words.contains(w) && content_words(&d.title).contains(w)
                })
                .count();
            2 * in_titles >= sayers.len()
        });
        acronyms_ok && !s.contains('&') && !own_title
    };
    said.into_iter()
        .filter(|(s, ids)| ids.len() >= SHARED_AT_LEAST && generic(s, ids))
        .fold(None, |best: Option<(String, Vec<String>)>, (s, ids)| match best {
            Some((b, bi)) if bi.len() >= ids.len() => Some((b, bi)),
            _ => Some((s, ids)),
        })
        .map(|(sentence, fiches)| Shared { sentence, fiches })
}

/// The folded words of five letters or more of a text ("professionnel", "electronique").
fn content_words(text: &str) -> Vec<String> {
    retrieval::french::fold(text).split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 5).map(str::to_string).collect()
}

/// Courses of each type from the field the question names, best first: the question is searched
/// among formations with the types' names taken out, so "électronique" leads. None when nothing
/// but the types is asked ("c'est quoi un BTS ?").
pub fn examples<'s>(
    searcher: &'s Searcher,
    question: &str,
    types: &[&TypeFacts],
) -> Result<Vec<(&'static str, Vec<&'s Document>)>, retrieval::search::SearchError> {
    let field = field_words(question);
    if field.is_empty() {
        return Ok(Vec::new());
    }
    let opts = SearchOptions { k: EXAMPLE_CANDIDATES, kind: Some(Kind::Formation), passages_per_doc: 1, ..Default::default() };
    let hits = searcher.search(&field, &opts)?;
    Ok(types
        .iter()
        .map(|t| {
            let docs: Vec<&Document> = hits
                .iter()
                .filter_map(|h| searcher.document(&h.id))
                .filter(|d| d.facts.formation_type.as_deref() == Some(t.formation_type))
                .take(EXAMPLES_PER_TYPE)
                .collect();
            (t.formation_type, docs)
        })
        .filter(|(_, docs)| !docs.is_empty())
        .collect())
}

/// What the question says beside the types and the words of asking ("entre un BTS et un BUT
/// dans l'électronique, qu'est-ce que je dois regarder ?" → "électronique"): the field, or
/// nothing.
fn field_words(question: &str) -> String {
    let mut text = question.to_string();
    for row in rows() {
        text = row.named.replace_all(&text, " ").into_owned();
    }
    let plain = guardrails::normalise::normalise(&text);
    plain
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.rsplit('\'').next().unwrap_or(w))
        .filter(|w| w.chars().count() >= 4 && !crate::question::is_question_filler(w) && !little_words().contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

fn little_words() -> &'static [&'static str] {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| guardrails::data::words(include_str!("../data/little-words.txt")).chain(guardrails::data::words(FIELD_FILLERS)).collect())
}

/// Words of a question about diploma types that name no field ("différence", "choisir"…).
const FIELD_FILLERS: &str = include_str!("../data/diploma-question-words.txt");

/// The card: each type with what its fiches say together, then the examples from the field.
pub fn card(types: &[&TypeFacts], examples: &[(&'static str, Vec<&Document>)], tu: bool) -> String {
    let mut out = String::from("D'après les fiches de l'Onisep :");
    for t in types {
        let name = if t.short.eq_ignore_ascii_case(t.formation_type) { t.short.to_string() } else { format!("{} ({})", t.short, t.formation_type) };
        out.push_str(&format!("\n• {name} : les fiches de l'Onisep en décrivent {}.", t.fiches));
        if let Some((duration, n)) = &t.duration {
            let usually = if *n < t.fiches { " le plus souvent" } else { "" };
            out.push_str(&format!("\n  – Durée :{usually} {duration}"));
        }
        if let Some((level, n)) = &t.level {
            let usually = if *n < t.fiches { " le plus souvent" } else { "" };
            out.push_str(&format!("\n  – Niveau du diplôme :{usually} {level}"));
        }
        match (&t.way_in, t.entry_level()) {
            (Some(shared), _) => out.push_str(&format!("\n  – Pour y entrer : « {} » ({} fiches le disent)", shared.sentence, shared.fiches.len())),
            (None, Some(Level::Bac)) => out.push_str("\n  – Pour y entrer : après le bac (d'après son niveau et sa durée)"),
            (None, Some(entry)) => out.push_str(&format!("\n  – Pour y entrer : après un {} (d'après son niveau et sa durée)", entry.label())),
            (None, None) => {}
        }
        if let Some(shared) = &t.after {
            out.push_str(&format!("\n  – Et après : « {} » ({} fiches le disent)", shared.sentence, shared.fiches.len()));
        }
        if let Some((_, docs)) = examples.iter().find(|(ft, _)| *ft == t.formation_type) {
            let titles: Vec<&str> = docs.iter().map(|d| d.title.as_str()).collect();
            out.push_str(&format!("\n  – Dans ce domaine, par exemple : {}", titles.join(" ; ")));
        }
    }
    let closing = if tu {
        "Chaque formation a sa fiche : ouvre celles qui t'intéressent pour voir le programme et l'accès exact."
    } else {
        "Chaque formation a sa fiche : ouvrez celles qui vous intéressent pour voir le programme et l'accès exact."
    };
    out.push_str(&format!("\n\n{closing}"));
    out
}

/// The fiches a card stands on: the examples, else the fiches whose shared sentences it quotes.
pub fn cited<'s>(searcher: &'s Searcher, types: &[&TypeFacts], examples: &[(&'static str, Vec<&'s Document>)]) -> Vec<&'s Document> {
    let mut docs: Vec<&Document> = examples.iter().flat_map(|(_, d)| d.iter().copied()).collect();
    for t in types {
        if examples.iter().any(|(ft, _)| *ft == t.formation_type) {
            continue;
        }
        for shared in [&t.way_in, &t.after].into_iter().flatten() {
            if let Some(d) = shared.fiches.first().and_then(|id| searcher.document(id)) {
                if !docs.iter().any(|c| c.id == d.id) {
                    docs.push(d);
                }
            }
        }
    }
    docs
}

#[cfg(test)]
mod tests {
    use super::*;
    use retrieval::{Facts, Section};

    fn formation(id: &str, formation_type: &str, duration: &str, level: &str, way_in: &str, after: &str) -> Document {
        let section = |key: &str, text: &str| Section { key: key.into(), label: String::new(), text: text.into() };
        Document {
            id: id.into(),
            kind: Kind::Formation,
            title: format!("{formation_type} {id}"),
            title_feminine: None,
            title_masculine: None,
            synonyms: vec![],
            summary: String::new(),
            sections: vec![section("descriptif_acces", way_in), section("descriptif_poursuite_etudes", after)],
            links: vec![],
            rome_codes: vec![],
            facts: Facts { duration: Some(duration.into()), level: Some(level.into()), formation_type: Some(formation_type.into()), ..Default::default() },
            url: format!("https://www.onisep.fr/{id}"),
            date: String::new(),
            source: String::new(),
        }
    }

    #[test]
    fn types_are_read_in_the_order_named_longer_names_first() {
        assert_eq!(types_named("c koi la diff entre un cap et un bac pro"), vec!["CAP", "baccalauréat professionnel"]);
        assert_eq!(
            types_named("BTS ou BUT pour l'électronique, lequel prendre"),
            vec!["brevet de technicien supérieur", "bachelor universitaire de technologie"]
        );
        assert_eq!(types_named("une licence pro ça dure combien ?"), vec!["licence pro"]);
        assert_eq!(types_named("licence ou licence pro ?"), vec!["licence", "licence pro"]);
        // "but" in lower case is a goal; "CAPES" is no CAP; a BTSA is not a BTS.
        assert!(types_named("mon but c'est d'aider les gens").is_empty());
        assert!(types_named("je prépare le CAPES").is_empty());
        assert!(types_named("mon pote dit que jsuis pas cap de faire un stage").is_empty() && types_named("le but c'est de bosser").is_empty());
        assert!(types_named("c quoi le metier de game master dans les jeux video").is_empty());
        assert_eq!(types_named("LE BUT C'EST BAC+2 OU BAC+3 ???"), vec!["bachelor universitaire de technologie"]);
        assert!(
            asks_something("c koi la diff entre un cap et un bac pro") && asks_something("CAP ou bac pro ?") && !asks_something("Je vise un BTS ou un BUT.")
        );
        assert!(only_type_names("BTS") && only_type_names("bac pro") && !only_type_names("BTS MCO") && !only_type_names("infirmier"));
        assert_eq!(types_named("un BTSA c'est quoi"), vec!["brevet de technicien supérieur agricole"]);
    }

    #[test]
    fn a_type_card_says_what_its_fiches_share_and_nothing_of_one_course() {
        let docs = [
            formation(
                "FOR.1",
                "brevet de technicien supérieur",
                "2 ans",
                "niveau 5 (bac + 2)",
                "Accès\nLe BTS MHR est accessible à tout titulaire d'un bac.",
                "Le BTS est un diplôme conçu pour une insertion professionnelle. Suite.",
            ),
            formation(
                "FOR.2",
                "brevet de technicien supérieur",
                "2 ans",
                "niveau 5 (bac + 2)",
                "Le BTS MHR est accessible à tout titulaire d'un bac.",
                "Le BTS est un diplôme conçu pour une insertion professionnelle.",
            ),
            formation(
                "FOR.3",
                "brevet de technicien supérieur",
                "2 ans",
                "niveau 5 (bac + 2)",
                "Le BTS MHR est accessible à tout titulaire d'un bac.",
                "Le BTS est un diplôme conçu pour une insertion professionnelle.",
            ),
            formation("FOR.4", "brevet de technicien supérieur", "3 ans", "niveau 5 (bac + 2)", "Sur dossier.", "Autre chose."),
            formation("FOR.5", "CAP", "2 ans", "niveau 3 (niveau CAP)", "Ce CAP se prépare en 2 ans après la 3e.", "x"),
            formation("FOR.6", "CAP", "2 ans", "niveau 3 (niveau CAP)", "Ce CAP se prépare en 2 ans après la 3e.", "y"),
        ];
        let d = Diplomas::new(docs.iter());
        let bts = d.named("c'est quoi un BTS ?");
        assert_eq!(bts.len(), 1);
        let bts = bts[0];
        assert_eq!(bts.fiches, 4);
        assert_eq!(bts.duration, Some(("2 ans".into(), 3)));
        // The only way-in sentence three fiches share names one course (MHR): not quoted; the
        // way in comes from the level and the length.
        assert_eq!(bts.way_in, None);
        assert_eq!(bts.entry_level(), Some(Level::Bac));
        assert_eq!(bts.after.as_ref().map(|s| s.sentence.as_str()), Some("Le BTS est un diplôme conçu pour une insertion professionnelle."));
        let card = card(&[bts], &[], true);
        assert!(
            card.contains("les fiches de l'Onisep en décrivent 4") && card.contains("Durée : le plus souvent 2 ans") && card.contains("après le bac"),
            "{card}"
        );
        assert!(!card.contains("MHR"), "{card}");
        // A sentence shared by the fiches of one speciality names it: not quoted.
        let but = |id: &str| {
            let mut d = formation(
                id,
                "bachelor universitaire de technologie",
                "3 ans",
                "niveau 6 (bac + 3)",
                "Le BUT R&T (réseaux et télécommunications) est accessible après le bac.",
                "z",
            );
            d.title = format!("BUT réseaux et télécommunications parcours {id}");
            d
        };
        let buts = [but("FOR.7"), but("FOR.8"), but("FOR.9")];
        assert_eq!(Diplomas::new(buts.iter()).named("un BUT")[0].way_in, None);
        // Two of two CAP fiches share a sentence, under the bar of three: not quoted, and
        // before the bac no way in is computed.
        let cap = d.named("un CAP")[0];
        assert_eq!((cap.way_in.clone(), cap.entry_level()), (None, None));
    }

    #[test]
    fn a_type_is_asked_about_when_it_stands_alone() {
        let docs: Vec<Document> = [
            "CAP",
            "baccalauréat professionnel",
            "brevet de technicien supérieur",
            "bachelor universitaire de technologie",
            "licence pro",
            "licence",
            "brevet professionnel",
        ]
        .iter()
        .enumerate()
        .map(|(i, t)| formation(&format!("FOR.{i}"), t, "2 ans", "niveau 5 (bac + 2)", "a", "b"))
        .chain(["officier de la Marine nationale", "bac pro logistique"].iter().enumerate().map(|(i, title)| {
            let mut d = formation(&format!("FOR.9{i}"), "autre", "1 an", "niveau 4 (bac ou équivalent)", "a", "b");
            d.title = title.to_string();
            d
        }))
        .collect();
        let d = Diplomas::new(docs.iter());
        // "en combien de temps" names no field the fiches name: the type is still asked about.
        assert!(!d.asked_about("Le CAP, ça dure combien de temps ?").is_empty());
        for asked in [
            "c koi la diff entre un cap et un bac pro",
            "CAP ou bac pro ?",
            "BTS ou BUT en électronique, lequel prendre ?",
            "c'est quoi un BUT ?",
            "une licence pro ça dure combien ?",
        ] {
            assert!(!d.asked_about(asked).is_empty(), "{asked}");
        }
        // A course named after its type, or one type with something else asked: its fiche answers.
        for course in [
            "ma fille a son CAP esthétique. Peut-elle faire le BP esthétique au lycée ?",
            "un BUT GEA ça dure combien d'années ?",
            "J'ai une licence de maths. Je peux entrer dans la Marine ?",
            "Je suis en seconde pro logistique. Après le bac pro, je peux faire quels métiers ?",
            "Licence STAPS APAS : quels débouchés ?",
        ] {
            assert!(d.asked_about(course).is_empty(), "{course}");
        }
    }

    #[test]
    fn the_jobs_of_one_type_are_asked_only_with_nothing_else_named() {
        let docs: Vec<Document> = ["CAP", "baccalauréat professionnel", "brevet de technicien supérieur", "licence"]
            .iter()
            .enumerate()
            .map(|(i, t)| formation(&format!("FOR.{i}"), t, "2 ans", "niveau 5 (bac + 2)", "a", "b"))
            .chain(std::iter::once({
                let mut d = formation("FOR.90", "baccalauréat professionnel", "3 ans", "niveau 4 (bac ou équivalent)", "a", "b");
                d.title = "bac pro logistique".into();
                d
            }))
            .collect();
        let d = Diplomas::new(docs.iter());
        for (asked, short) in [
            ("quels métiers avec un bac pro ?", "bac pro"),
            ("un BTS ça mène à quoi ?", "BTS"),
            ("c koi les metiers ac un cap", "CAP"),
            ("Je vais avoir mon bac pro, je peux faire quoi comme travail ?", "bac pro"),
            ("quels débouchés après une licence ?", "licence"),
        ] {
            assert_eq!(d.outcomes_asked(asked).map(|t| t.short), Some(short), "{asked}");
        }
        for other in [
            "quels métiers avec un bac pro logistique ?",
            "Je suis en seconde pro logistique. Après le bac pro, je peux faire quels métiers ?",
            "quels métiers avec un CAP dans la cuisine ?",
            "j'aime les animaux, quels métiers avec un CAP ?",
            "CAP ou bac pro, lequel mène à plus de métiers ?",
            "c'est quoi un BTS ?",
        ] {
            assert!(d.outcomes_asked(other).is_none(), "{other}");
        }
    }

    #[test]
    fn the_field_is_what_is_left_beside_the_types_and_the_asking() {
        assert_eq!(field_words("BTS ou BUT en électronique, lequel je choisis ?"), "electronique");
        assert_eq!(field_words("c koi la diff entre un cap et un bac pro"), "");
        assert_eq!(field_words("un BTS en comptabilité ça dure combien ?"), "comptabilite");
    }
}
