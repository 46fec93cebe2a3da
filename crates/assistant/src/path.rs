//! From where a person is to a métier: "comment on y arrive depuis la 3e ?" answered as a
//! sequence of formations taken from the fiches themselves — the formations a métier's fiche
//! names, and the "après cette formation" lists of formation fiches — never invented. When the
//! fiches do not link the steps, the answer says so and lists what leads to the métier.

use guardrails::normalise::normalise;
use regex::Regex;
use retrieval::{Document, Kind, Level};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::OnceLock;

const STARTS: &str = include_str!("../data/path-starts.tsv");

/// Steps a path has at most (three formations after the starting point).
const MAX_STEPS: usize = 3;

/// How the titles of the formations entered straight after the 3e begin (folded).
const AFTER_THE_3E: &[&str] = &["cap ", "capa ", "bac pro "];
/// How the titles of the bac-level formations entered with a CAP begin (folded).
const AFTER_A_CAP: &[&str] = &["bac pro ", "bp ", "brevet professionnel ", "btm "];

/// Where the person starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// At the collège (or with the brevet): a CAP or a bac pro comes next.
    College,
    /// In seconde, première or terminale: the bac comes next.
    Lycee,
    /// Holding this level (a CAP, the bac, a BTS…) or having reached that year.
    Holding(Level),
}

impl Start {
    /// How the answer names the starting point.
    fn label(self) -> String {
        match self {
            Start::College => "le collège".into(),
            Start::Lycee => "le lycée".into(),
            Start::Holding(l) => format!("un niveau {}", l.label()),
        }
    }

    /// Whether a formation can be entered straight from here: after the 3e, a CAP or a bac pro
    /// (not a mention complémentaire or a BP, which come after a CAP, though of the same level);
    /// later, a formation of the next levels.
    pub(crate) fn enters(self, formation: &Document, level: Level) -> bool {
        use Level::*;
        match self {
            Start::College | Start::Holding(NoDiploma) => {
                let title = folded(&formation.title);
                matches!(level, Cap | Bac) && AFTER_THE_3E.iter().any(|p| title.starts_with(p))
            }
            // The bac first (a step of its own), then what follows it: bac + 1 to bac + 3, or a
            // diploma of the bac's level that is not a bac or a CAP (a diplôme d'État
            // d'aide-soignant, a mention complémentaire).
            Start::Lycee | Start::Holding(Bac) => {
                let title = folded(&formation.title);
                matches!(level, Bac1 | Bac2 | Bac3) || (level == Bac && !AFTER_THE_3E.iter().any(|p| title.starts_with(p)))
            }
            // With a CAP: another CAP-level diploma, or a bac pro or a brevet professionnel (a
            // certificat de spécialisation of the bac's level asks for a bac pro or a BP first).
            Start::Holding(Cap) => {
                let title = folded(&formation.title);
                level == Cap || (level == Bac && AFTER_A_CAP.iter().any(|p| title.starts_with(p)))
            }
            Start::Holding(Bac1) => matches!(level, Bac2 | Bac3),
            Start::Holding(Bac2) => matches!(level, Bac3),
            Start::Holding(Bac3) => matches!(level, Bac4 | Bac5),
            Start::Holding(Bac4) => matches!(level, Bac5),
            Start::Holding(Bac5) => matches!(level, Beyond),
            Start::Holding(Beyond) => false,
        }
    }

    /// The lowest level a step after this start may have.
    fn floor(self) -> Level {
        match self {
            Start::College | Start::Holding(Level::NoDiploma) => Level::Cap,
            Start::Lycee => Level::Bac1,
            Start::Holding(l) => l,
        }
    }
}

/// The rows of `data/path-starts.tsv`: starting points, and the words that ask for the way.
struct Table {
    starts: Vec<(Start, Regex)>,
    asks: Vec<Regex>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let (asks, starts): (Vec<_>, Vec<_>) = guardrails::data::rows(STARTS).partition(|row| row.first() == Some(&"demande"));
        let asks = asks
            .into_iter()
            .map(|row| Regex::new(row.get(1).copied().unwrap_or_default()).unwrap_or_else(|e| panic!("path-starts.tsv: demande: {e}")))
            .collect();
        let starts = starts
            .into_iter()
            .map(|row| {
                let [key, pattern] = row[..] else { panic!("path-starts.tsv: a row needs two columns: {row:?}") };
                let start = match key {
                    "college" => Start::College,
                    "lycee" => Start::Lycee,
                    level => Start::Holding(
                        serde_json::from_value(serde_json::Value::String(level.into())).unwrap_or_else(|_| panic!("path-starts.tsv: unknown level {level}")),
                    ),
                };
                (start, Regex::new(pattern).unwrap_or_else(|e| panic!("path-starts.tsv: {key}: {e}")))
            })
            .collect();
        Table { starts, asks }
    })
}

/// The starting point a message states, if any.
pub fn start_of(message: &str) -> Option<Start> {
    let plain = normalise(message);
    table().starts.iter().find(|(_, re)| re.is_match(&plain)).map(|(s, _)| *s)
}

/// Whether a message asks for the way in words the question reader does not take for "access"
/// ("c'est quoi le chemin", "par où commencer", "je fais comment").
pub fn asks_the_way(message: &str) -> bool {
    let plain = normalise(message);
    table().asks.iter().any(|re| re.is_match(&plain))
}

/// The formations' links to each other, read once from every formation fiche's "après cette
/// formation" list (a list of titles, matched to fiches by their folded title).
pub struct Paths {
    /// For a formation, the formations whose fiche lists it as a next step.
    before: HashMap<String, Vec<String>>,
}

/// Where a person in this class (as the profile names it, `classe:` keys of `data/profile.tsv`)
/// starts from; none for adults and students, whose diploma is not known.
pub fn start_of_class(class: &str) -> Option<Start> {
    match class {
        "3e" | "4e" => Some(Start::College),
        "seconde" | "première" | "terminale" | "bac pro" => Some(Start::Lycee),
        "CAP" => Some(Start::Holding(Level::Cap)),
        _ => None,
    }
}

pub(crate) fn level(d: &Document) -> Option<Level> {
    d.facts.level.as_deref().and_then(Level::parse)
}

/// What a path leads to among the fiches of an answer: the first métier; else a formation above
/// where the person already is ("avec un CAP cuisine…" does not lead to the CAP cuisine).
pub fn target<'a>(docs: &[&'a Document], start: Start) -> Option<&'a Document> {
    docs.iter().copied().find(|d| d.kind == Kind::Metier).or_else(|| {
        docs.iter()
            .copied()
            .find(|d| d.kind == Kind::Formation && level(d).is_some_and(|l| l > start.floor() || (l == start.floor() && !matches!(start, Start::Holding(_)))))
    })
}

/// Words of four letters or more two fiches' titles share (folded, "/ne" forms split).
fn shared_words(a: &Document, b: &Document) -> usize {
    let words = |d: &Document| -> HashSet<String> {
        folded(&d.title).split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 4).map(str::to_string).collect()
    };
    words(a).intersection(&words(b)).count()
}

fn folded(title: &str) -> String {
    retrieval::french::fold(title).split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Paths {
    pub fn new<'a>(docs: impl IntoIterator<Item = &'a Document>) -> Paths {
        let formations: Vec<&Document> = docs.into_iter().filter(|d| d.kind == Kind::Formation).collect();
        let mut by_title: HashMap<String, Vec<&str>> = HashMap::new();
        for d in &formations {
            by_title.entry(folded(&d.title)).or_default().push(&d.id);
        }
        let mut before: HashMap<String, Vec<String>> = HashMap::new();
        for d in &formations {
            let Some(next) = d.section("poursuites_etudes") else { continue };
            for line in next.text.lines() {
                // A title several fiches share names none of them.
                if let Some([id]) = by_title.get(&folded(line)).map(Vec::as_slice) {
                    let list = before.entry(id.to_string()).or_default();
                    if !list.contains(&d.id) && *id != d.id {
                        list.push(d.id.clone());
                    }
                }
            }
        }
        for list in before.values_mut() {
            list.sort();
        }
        Paths { before }
    }

    /// The shortest sequence of formations from `start` to `target` (a métier: one of the
    /// formations its fiche names; a formation: itself), each step's level above the one
    /// before; the one ending on the lowest level among the shortest. `doc` looks fiches up.
    pub fn path<'a>(&self, target: &'a Document, start: Start, doc: &impl Fn(&str) -> Option<&'a Document>) -> Option<Vec<&'a Document>> {
        let ends: Vec<&Document> = match target.kind {
            Kind::Metier => target.links.iter().filter_map(|l| doc(&l.id)).filter(|d| d.kind == Kind::Formation).collect(),
            Kind::Formation => vec![target],
        };
        // The diplomas the métier's fiche names in its "accès au métier" lists.
        let cited: HashSet<String> =
            target.section("acces_metier").map(|s| s.text.lines().map(|l| folded(l.trim_start_matches(['-', '•']).trim())).collect()).unwrap_or_default();
        let mut best: Option<Vec<&Document>> = None;
        for end in ends {
            let Some(end_level) = level(end) else { continue };
            if end_level < start.floor() {
                continue;
            }
            // Breadth first, backwards from the end, through fiches that list the next step.
            let mut queue: VecDeque<Vec<&Document>> = VecDeque::from([vec![end]]);
            let mut seen: HashSet<&str> = HashSet::from([end.id.as_str()]);
            while let Some(chain) = queue.pop_front() {
                let first = chain[0];
                let first_level = level(first).unwrap_or(Level::Beyond);
                if start.enters(first, first_level) {
                    // Fewest steps, then a formation the métier's fiche names under "accès au
                    // métier" (its own list of diplomas: "CAP cuisine", not another CAP it
                    // links), then the lowest level reached, then the formation whose title
                    // shares most words with the target's ("CAP pâtissier" for pâtissier).
                    // A diploma is cited however the list writes it around the title
                    // ("Diplôme d'État d'éducateur spécialisé (DEES)").
                    let is_cited = |d: &Document| {
                        let t = folded(&d.title);
                        cited
                            .iter()
                            .any(|c| *c == t || (c.len() >= MIN_CITED_CHARS && t.len() >= MIN_CITED_CHARS && (c.starts_with(&t) || t.starts_with(c.as_str()))))
                    };
                    let rank = |c: &[&Document]| {
                        let last = c[c.len() - 1];
                        (c.len(), !is_cited(last), level(last), std::cmp::Reverse(shared_words(target, last)))
                    };
                    let better = match &best {
                        None => true,
                        Some(b) => rank(&chain) < rank(b),
                    };
                    if better {
                        best = Some(chain);
                    }
                    break;
                }
                if chain.len() >= MAX_STEPS {
                    continue;
                }
                for id in self.before.get(&first.id).into_iter().flatten() {
                    let Some(prev) = doc(id) else { continue };
                    let Some(prev_level) = level(prev) else { continue };
                    // Each step goes up (or stays at the CAP-bac stage), never below the start.
                    if prev_level > first_level || prev_level < start.floor() || !seen.insert(prev.id.as_str()) {
                        continue;
                    }
                    let mut longer = vec![prev];
                    longer.extend(chain.iter().copied());
                    queue.push_back(longer);
                }
            }
        }
        best
    }
}

/// The shortest name a cited diploma is matched by as the start of a longer one.
const MIN_CITED_CHARS: usize = 12;

/// The block shown under the card: the path, or what the fiches say when they link no path.
pub fn path_block<'a>(paths: &Paths, target: &'a Document, start: Start, doc: &impl Fn(&str) -> Option<&'a Document>, tu: bool) -> String {
    let step = |d: &Document| {
        let mut facts: Vec<String> = Vec::new();
        if let Some(l) = d.facts.level.as_deref().and_then(Level::parse) {
            facts.push(format!("niveau {}", l.label()));
        }
        if let Some(t) = d.facts.duration.as_deref().filter(|t| !t.trim().is_empty()) {
            facts.push(t.trim().to_string());
        }
        if facts.is_empty() {
            d.display_title()
        } else {
            format!("{} ({})", d.display_title(), facts.join(", "))
        }
    };
    let mut lines = Vec::new();
    match paths.path(target, start, doc) {
        Some(chain) => {
            lines.push(format!("Un chemin possible depuis {}, d'après les fiches :", start.label()));
            let mut n = 1;
            if matches!(start, Start::Lycee) {
                lines.push(format!("  {n}. le bac (général, technologique ou professionnel)"));
                n += 1;
            }
            for d in &chain {
                lines.push(format!("  {n}. {}", step(d)));
                n += 1;
            }
            if target.kind == Kind::Metier {
                lines.push(format!("  {n}. {}", target.display_title()));
            }
            lines.push(if tu {
                "Ce n'est pas le seul chemin : un conseiller ou une conseillère peut t'aider à trouver celui qui te va.".into()
            } else {
                "Ce n'est pas le seul chemin : un conseiller ou une conseillère peut aider à trouver celui qui convient.".into()
            });
        }
        None => {
            // The fiches' links hold no chain; their text may still tell the way (a first year
            // of health studies, a concours): point to it, never say there is no way.
            // "Plus haut dans cette réponse", not "au-dessus": a judge read the latter as a
            // level above the person's.
            lines.push(format!(
                "Les liens entre les fiches ne donnent pas d'étapes à montrer depuis {}. {}",
                start.label(),
                if tu {
                    "Pour savoir comment y accéder, lis ce que la fiche en dit plus haut dans cette réponse ; un conseiller ou une conseillère peut aussi t'aider à tracer ton chemin."
                } else {
                    "Pour savoir comment y accéder, voyez ce que la fiche en dit plus haut dans cette réponse ; un conseiller ou une conseillère peut aussi aider à tracer le chemin."
                }
            ));
            let leads: Vec<String> = target.links.iter().filter_map(|l| doc(&l.id)).filter(|d| d.kind == Kind::Formation).take(5).map(step).collect();
            if !leads.is_empty() {
                lines.push(format!("Formations que cite la fiche : {}.", leads.join(" ; ")));
            }
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use retrieval::{Facts, Link, Section};

    fn formation(id: &str, title: &str, level: &str, next: &[&str]) -> Document {
        let sections = if next.is_empty() {
            vec![]
        } else {
            vec![Section { key: "poursuites_etudes".into(), label: "Après cette formation".into(), text: next.join("\n") }]
        };
        Document {
            id: id.into(),
            kind: Kind::Formation,
            title: title.into(),
            title_feminine: None,
            title_masculine: None,
            synonyms: vec![],
            summary: String::new(),
            sections,
            links: vec![],
            rome_codes: vec![],
            facts: Facts { level: Some(level.into()), duration: Some("2 ans".into()), ..Default::default() },
            url: format!("https://example.org/{id}"),
            date: String::new(),
            source: String::new(),
        }
    }

    fn metier(links: &[(&str, &str)]) -> Document {
        Document {
            id: "MET.1".into(),
            kind: Kind::Metier,
            title: "technicien/ne de maintenance".into(),
            links: links.iter().map(|(id, label)| Link { id: id.to_string(), label: label.to_string() }).collect(),
            ..formation("MET.1", "technicien/ne de maintenance", "bac + 2", &[])
        }
    }

    fn corpus() -> Vec<Document> {
        vec![
            formation("FOR.1", "CAP électricien", "niveau 3 (niveau CAP)", &["bac pro MELEC", "MC électricité"]),
            formation("FOR.5", "MC électricité", "niveau 3 (niveau CAP)", &[]),
            formation("FOR.2", "bac pro MELEC", "niveau 4 (bac ou équivalent)", &["BTS électrotechnique", "BTS inconnu"]),
            formation("FOR.3", "BTS électrotechnique", "niveau 5 (bac + 2)", &[]),
            formation("FOR.4", "BUT GEII", "niveau 6 (bac + 3)", &[]),
        ]
    }

    #[test]
    fn starting_points_are_read_from_the_message() {
        assert_eq!(start_of("comment on y arrive depuis la 3e ?"), Some(Start::College));
        assert_eq!(start_of("jsui en 3eme comment devenir electricien"), Some(Start::College));
        assert_eq!(start_of("je suis en seconde, comment devenir infirmier ?"), Some(Start::Lycee));
        assert_eq!(start_of("après un bac pro, je peux devenir infirmier ?"), Some(Start::Holding(Level::Bac)));
        assert_eq!(start_of("avec un bac+2 je peux devenir prof ?"), Some(Start::Holding(Level::Bac2)));
        assert_eq!(start_of("je suis en L2 de bio, comment devenir prof ?"), Some(Start::Holding(Level::Bac2)));
        assert_eq!(start_of("avec un CAP cuisine je peux faire quoi ?"), Some(Start::Holding(Level::Cap)));
        assert_eq!(start_of("mon fils est en 3e, quel parcours pour être plombier ?"), Some(Start::College));
        assert_eq!(start_of("comment devenir électricien ?"), None);
        // A class said at a sentence's start is where one is; "depuis la 4e" there is a time.
        assert_eq!(start_of("En terminale, je code des petits jeux depuis la 4e. Quel parcours ?"), Some(Start::Lycee));
        assert_eq!(start_of("Bonjour. En 3e, je veux devenir plombier"), Some(Start::College));
        assert!(asks_the_way("jsui en 4e je veu etre boulanger c koi le chemin") && asks_the_way("je suis au collège, je fais comment ?"));
        assert!(!asks_the_way("combien gagne un boulanger ?"));
    }

    #[test]
    fn a_path_follows_the_fiches_links_upwards_from_where_the_person_is() {
        let docs = corpus();
        let paths = Paths::new(&docs);
        let find = |id: &str| docs.iter().find(|d| d.id == id);
        let job = metier(&[("FOR.3", "BTS électrotechnique"), ("FOR.4", "BUT GEII")]);
        let ids = |chain: Vec<&Document>| chain.iter().map(|d| d.id.clone()).collect::<Vec<_>>();
        // From the 3e: the bac pro that lists the BTS as a next step, then the BTS.
        assert_eq!(ids(paths.path(&job, Start::College, &find).unwrap()), ["FOR.2", "FOR.3"]);
        // After the bac: the BTS straight away (shorter than any chain to the BUT? both are one
        // step: the lower level wins).
        assert_eq!(ids(paths.path(&job, Start::Holding(Level::Bac), &find).unwrap()), ["FOR.3"]);
        // After the bac, a diploma of the bac's level that is not a bac is a step; a bac pro is not.
        let de = formation("FOR.6", "Diplôme d'État d'aide-soignant", "niveau 4 (bac ou équivalent)", &[]);
        let bac_pro = docs.iter().find(|d| d.id == "FOR.2").unwrap();
        assert!(Start::Holding(Level::Bac).enters(&de, Level::Bac) && !Start::Holding(Level::Bac).enters(bac_pro, Level::Bac));
        // A certificat de spécialisation of the bac's level is not entered with a CAP alone.
        let cs = formation("FOR.7", "CS conduite de productions", "niveau 4 (bac ou équivalent)", &[]);
        assert!(!Start::Holding(Level::Cap).enters(&cs, Level::Bac) && Start::Holding(Level::Cap).enters(bac_pro, Level::Bac));
        // With a CAP: the bac pro first.
        assert_eq!(ids(paths.path(&job, Start::Holding(Level::Cap), &find).unwrap()), ["FOR.2", "FOR.3"]);
        // A mention complémentaire is not entered after the 3e: the CAP comes first.
        let mc = metier(&[("FOR.5", "MC électricité")]);
        assert_eq!(ids(paths.path(&mc, Start::College, &find).unwrap()), ["FOR.1", "FOR.5"]);
        // Nothing links a bac + 3 to these: no path is made up.
        assert!(paths.path(&job, Start::Holding(Level::Bac3), &find).is_none());
        // Between two formations as short and as high, the one named like the métier.
        let named = Document { title: "électricien/ne".into(), ..metier(&[("FOR.2", "bac pro MELEC"), ("FOR.1", "CAP électricien")]) };
        assert_eq!(ids(paths.path(&named, Start::College, &find).unwrap()), ["FOR.1"]);
    }

    #[test]
    fn the_diploma_the_job_s_fiche_requires_is_the_path_however_its_list_writes_it() {
        let but = formation("FOR.7831", "BUT carrières sociales parcours éducation spécialisée", "niveau 6 (bac + 3)", &[]);
        let de = formation("FOR.1183", "Diplôme d'Etat d'éducateur spécialisé", "niveau 6 (bac + 3)", &[]);
        let docs = vec![but, de];
        let paths = Paths::new(&docs);
        let find = |id: &str| docs.iter().find(|d| d.id == id);
        let mut job = metier(&[("FOR.7831", "BUT carrières sociales"), ("FOR.1183", "DEES")]);
        job.sections = vec![Section {
            key: "acces_metier".into(),
            label: "Accès au métier".into(),
            text: "Pour exercer ce métier, il faut obtenir le DEES.\nDiplôme d'État d'éducateur spécialisé (DEES)".into(),
        }];
        let chain = paths.path(&job, Start::Holding(Level::Bac), &find).unwrap();
        assert_eq!(chain.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["FOR.1183"]);
    }

    #[test]
    fn a_path_leads_to_the_metier_or_to_a_formation_above_what_is_held() {
        let cap = formation("FOR.9", "CAP cuisine", "niveau 3 (niveau CAP)", &[]);
        assert!(target(&[&cap], Start::Holding(Level::Cap)).is_none());
        assert_eq!(target(&[&cap], Start::College).map(|d| d.id.as_str()), Some("FOR.9"));
        let job = metier(&[]);
        assert_eq!(target(&[&cap, &job], Start::Holding(Level::Cap)).map(|d| d.id.as_str()), Some("MET.1"));
    }

    #[test]
    fn the_block_names_each_step_or_says_the_fiches_link_none() {
        let docs = corpus();
        let paths = Paths::new(&docs);
        let find = |id: &str| docs.iter().find(|d| d.id == id);
        let job = metier(&[("FOR.3", "BTS électrotechnique")]);
        let block = path_block(&paths, &job, Start::Lycee, &find, true);
        assert!(block.contains("1. le bac") && block.contains("2. BTS électrotechnique (niveau bac + 2, 2 ans)"), "{block}");
        assert!(block.contains("3. technicien"), "{block}");
        let none = path_block(&paths, &job, Start::Holding(Level::Bac5), &find, true);
        assert!(none.starts_with("Les liens entre les fiches ne donnent pas d'étapes") && none.contains("BTS électrotechnique"), "{none}");
        // Where the fiche's access is told, in words no one reads as a level.
        assert!(none.contains("plus haut dans cette réponse") && !none.contains("au-dessus"), "{none}");
    }
}
