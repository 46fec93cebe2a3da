//! The open question ("jsp quoi faire, j'aime cuisiner"): a few varied métiers matching what
//! the person likes and the studies they accept, each with one line of its fiche, its access
//! level and a first formation, then at most one question that would most change the list.
//! The choice stays theirs (P6).
//!
//! Candidates come from two searches on the question with its self-descriptions removed (so
//! the list is the same whatever the person's name, gender, origin or address, P4): the
//! hybrid search, and a dense search filtered in the index by the profile (centres d'intérêt,
//! level). They are scored on interests shared and closeness, then picked for variety of
//! sectors.

use crate::profile::{Address, Profile};
use retrieval::search::SearchError;
use retrieval::store::PayloadFilter;
use retrieval::{Document, Kind, Level, SearchOptions, Searcher};
use serde::Serialize;
use std::collections::HashMap;

/// Métiers proposed at most, and at least when the data has them.
pub const MAX_PROPOSALS: usize = 5;
pub const MIN_PROPOSALS: usize = 3;
/// Candidates taken from each search.
const CANDIDATES: usize = 40;
/// Score weights: share of the person's interests a métier carries, closeness to the question
/// (dense cosine, relative to the best), rank in the hybrid search.
const W_INTERESTS: f32 = 1.0;
const W_DENSE: f32 = 1.0;
const W_HYBRID: f32 = 0.5;
/// Bonus for a métier the fiche of the job to leave lists as related ("métiers proches").
const W_RELATED: f32 = 0.5;
/// Penalty for each already proposed métier of the same main sector.
const SAME_SECTOR: f32 = 0.25;
/// Bonus for short studies when school is hard for the person (never a filter).
const SHORTER_FIRST: f32 = 0.15;
/// Sectors that say little about the work itself.
const TRANSVERSE_SECTORS: &[&str] = &["Fonction publique"];
/// Words kept of a fiche's line.
const LINE_WORDS: usize = 32;

/// The first formation to reach a métier, as its fiche lists it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Proposal {
    pub id: String,
    pub title: String,
    /// One sentence of the fiche.
    pub line: String,
    /// Minimum access level, as the fiche writes it.
    pub level: Option<String>,
    /// The fiche says no diploma is required: the level is the usual one, not a condition.
    pub no_diploma: bool,
    pub first_step: Option<Step>,
    pub sectors: Vec<String>,
    /// The person's interests this métier carries.
    pub matched_interests: Vec<String>,
    pub url: String,
}

/// The one question asked back, chosen for how much its answer would change the list.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    Interests,
    StudyLength,
    Class,
    Apprenticeship,
}

#[derive(Debug, Clone, Serialize)]
pub struct Exploration {
    pub profile: Profile,
    pub proposals: Vec<Proposal>,
    pub follow_up: Option<FollowUp>,
    pub address: Address,
    /// The jobs the proposals are close to, when the person asked for jobs close to one and
    /// said no taste ("d'autres métiers proches de psychologue").
    pub near: Vec<String>,
    /// The course whose jobs the proposals start from, when the person asked for them and
    /// ruled something out ("Master de biologie en poche, pas de thèse, quels métiers ?").
    pub course: Option<String>,
}

/// Propose métiers for an open question. `query` is the question as retrieval reads it (self
/// descriptions removed), `dense` its vector.
/// `not_proposed`: fiches of the person's own situation (their job, their studies) and jobs they
/// want an alternative to; nor are the jobs named after them ("infirmier/ère humanitaire"
/// for a nurse who wants to stop nursing). `related`: métiers a fiche lists as related to the
/// job the person wants to leave, candidates with a bonus.
pub fn propose(
    searcher: &Searcher,
    query: &str,
    dense: &[f32],
    profile: &Profile,
    not_proposed: &[String],
    related: &[String],
) -> Result<Vec<Proposal>, SearchError> {
    let opts = SearchOptions { k: CANDIDATES, kind: Some(Kind::Metier), passages_per_doc: 1, ..Default::default() };
    let hybrid = searcher.search_with_vector(query, Some(dense.to_vec()), &opts)?;
    // Conditions ruled out are left out after the search (`Profile::admits`), not by the index
    // filter (`conditions_none`): measured, filtering in the index changed the closeness scale
    // and lost an expected métier on a development and a held-out question.
    let filter = PayloadFilter { kind: Some(Kind::Metier), interests_any: profile.interests.clone(), max_level: profile.max_level, ..Default::default() };
    let close = searcher.profile_search(dense, filter, CANDIDATES)?;
    // Closeness of every candidate, relative to the best of the filtered search.
    let best = close.first().map(|c| c.1).unwrap_or(1.0).max(1e-6);
    let mut closeness: HashMap<&str, f32> = close.iter().map(|(id, s)| (id.as_str(), s / best)).collect();
    let mut ids: Vec<&str> = close.iter().map(|(id, _)| id.as_str()).collect();
    let hybrid_rank: HashMap<&str, usize> = hybrid.iter().enumerate().map(|(i, h)| (h.id.as_str(), i)).collect();
    for id in hybrid.iter().map(|h| h.id.as_str()).chain(related.iter().map(String::as_str)) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    // Hybrid-only candidates are scored on closeness too (their identity passage's cosine).
    let missing: Vec<&str> = ids.iter().copied().filter(|id| !closeness.contains_key(id)).collect();
    if !missing.is_empty() {
        let unfiltered = searcher.profile_search(dense, PayloadFilter { kind: Some(Kind::Metier), ..Default::default() }, CANDIDATES * 4)?;
        for (id, s) in &unfiltered {
            if let Some(m) = missing.iter().find(|m| **m == id.as_str()) {
                closeness.insert(m, s / best);
            }
        }
    }
    let left_out: Vec<&Document> = not_proposed.iter().filter_map(|id| searcher.document(id)).collect();
    let mut scored: Vec<(f32, &Document)> = ids
        .iter()
        .filter_map(|id| searcher.document(id))
        .filter(|d| d.kind == Kind::Metier && !retrieval::rome::is_rome_document(&d.id) && profile.admits(d) && !named_after(d, &left_out))
        .map(|d| {
            let shared = d.facts.interests.iter().filter(|i| profile.interests.contains(i)).count() as f32;
            let interests = if profile.interests.is_empty() { 0.0 } else { shared / profile.interests.len() as f32 };
            let close = closeness.get(d.id.as_str()).copied().unwrap_or(0.0);
            let hybrid = hybrid_rank.get(d.id.as_str()).map_or(0.0, |r| 1.0 / (1.0 + *r as f32).sqrt());
            let short = if profile.shorter_first && d.facts.level_order().is_some_and(|l| l <= Level::Bac2) { SHORTER_FIRST } else { 0.0 };
            let near = if related.contains(&d.id) { W_RELATED } else { 0.0 };
            (W_INTERESTS * interests + W_DENSE * close + W_HYBRID * hybrid + short + near, d)
        })
        .collect();
    // Ties broken by id: the same question always gives the same list.
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    Ok(pick_varied(scored).into_iter().map(|d| proposal(searcher, d, profile)).collect())
}

/// The most proposals [`propose_starting_with`] takes from the métiers it is given first: the
/// rest of the list comes from the person's tastes and words, so that it is not all one trade.
pub const GIVEN_FIRST: usize = 2;

/// Proposals that start with `first` (a course's jobs, then the métiers their fiches list as
/// related: "quels métiers avec mon master, sans thèse ?"), each one the profile admits and
/// none left out, at most [`GIVEN_FIRST`] of them, then the best of [`propose`] (with `first`
/// as related métiers) to fill the list.
pub fn propose_starting_with(
    searcher: &Searcher,
    query: &str,
    dense: &[f32],
    profile: &Profile,
    not_proposed: &[String],
    first: &[String],
) -> Result<Vec<Proposal>, SearchError> {
    let left_out: Vec<&Document> = not_proposed.iter().filter_map(|id| searcher.document(id)).collect();
    // Those that share a taste the person said come first, in the order given.
    let mut firsts: Vec<&Document> = first.iter().filter_map(|id| searcher.document(id)).collect();
    firsts.sort_by_key(|d| !d.facts.interests.iter().any(|i| profile.interests.contains(i)));
    let mut given: Vec<&Document> = Vec::new();
    for d in firsts {
        let fits = d.kind == Kind::Metier && !retrieval::rome::is_rome_document(&d.id) && profile.admits(d) && !named_after(d, &left_out);
        if fits && !given.iter().any(|g| g.id == d.id) && given.len() < GIVEN_FIRST {
            given.push(d);
        }
    }
    let mut out: Vec<Proposal> = given.iter().map(|d| proposal(searcher, d, profile)).collect();
    for p in propose(searcher, query, dense, profile, not_proposed, first)? {
        if out.len() >= MAX_PROPOSALS {
            break;
        }
        if !out.iter().any(|o| o.id == p.id) {
            out.push(p);
        }
    }
    Ok(out)
}

/// Whether `d` is one of `left_out` or a job of the same trade: its title begins with the same
/// word ("infirmier/ère humanitaire" after "infirmier/ère", "traducteur/trice technique" after
/// "traducteur/trice-interprète"), unless that word names a broad family
/// (`data/generic-job-heads.txt`: "conseiller", "technicien"…).
fn named_after(d: &Document, left_out: &[&Document]) -> bool {
    left_out
        .iter()
        .any(|l| l.id == d.id || (l.kind == Kind::Metier && head_word(l).is_some_and(|h| !generic_heads().contains(&h.as_str()) && head_word(d) == Some(h))))
}

/// The first word of a job's masculine title, folded ("traducteur" for "traducteur-interprète").
pub(crate) fn head_word(d: &Document) -> Option<String> {
    let title = retrieval::french::fold(d.title_masculine.as_deref().unwrap_or(&d.title));
    title.split([' ', '/', '-']).next().filter(|w| w.chars().count() >= 3).map(str::to_string)
}

/// Whether a folded, masculine word names a broad family of jobs ("technicien", "agent").
pub fn is_generic_head(word: &str) -> bool {
    generic_heads().contains(&word)
}

fn generic_heads() -> &'static [&'static str] {
    static HEADS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    HEADS.get_or_init(|| guardrails::data::words(include_str!("../data/generic-job-heads.txt")).collect())
}

/// The main sector of a métier (its first that says something of the work).
fn main_sector(d: &Document) -> Option<&str> {
    d.facts.sectors.iter().map(String::as_str).find(|s| !TRANSVERSE_SECTORS.contains(s)).or(d.facts.sectors.first().map(String::as_str))
}

/// Greedy choice: each next métier is the best once métiers of sectors already proposed are
/// lowered, so the list spans several sectors when the data allows.
fn pick_varied(mut scored: Vec<(f32, &Document)>) -> Vec<&Document> {
    let mut picked: Vec<&Document> = Vec::new();
    while picked.len() < MAX_PROPOSALS && !scored.is_empty() {
        let adjusted = |(s, d): &(f32, &Document)| {
            let same = picked.iter().filter(|p| main_sector(p).is_some() && main_sector(p) == main_sector(d)).count();
            s - SAME_SECTOR * same as f32
        };
        let (best, _) = scored.iter().enumerate().fold((0, f32::MIN), |(bi, bs), (i, c)| {
            let a = adjusted(c);
            if a > bs {
                (i, a)
            } else {
                (bi, bs)
            }
        });
        picked.push(scored.remove(best).1);
    }
    picked
}

fn proposal(searcher: &Searcher, d: &Document, profile: &Profile) -> Proposal {
    let start = profile.class.as_deref().and_then(crate::path::start_of_class);
    let listed: Vec<&str> = d.links.iter().map(|l| l.label.as_str()).collect();
    let first_step = first_step(|id| searcher.document(id), d, start).map(|l| Step {
        id: l.id.clone(),
        title: one_of_a_family(&searcher.document(&l.id).map(|f| f.title.clone()).unwrap_or_else(|| l.label.clone()), &d.title, &listed),
        url: retrieval::onisep::fiche_url(Kind::Formation, &l.id),
    });
    Proposal {
        id: d.id.clone(),
        title: d.display_title(),
        line: line(d),
        level: d.facts.level.clone(),
        no_diploma: crate::facts::no_diploma_required(d),
        first_step,
        sectors: d.facts.sectors.clone(),
        matched_interests: d.facts.interests.iter().filter(|i| profile.interests.contains(i)).cloned().collect(),
        url: d.url.clone(),
    }
}

/// The formation shown as a way in, of those the fiche lists: when the person's class is known,
/// one they can enter from there first (a CAP or a bac pro for a collégien, not a course
/// after the bac); then a first diploma rather than a course taken after one
/// ([`is_second_step`]: not "FCIL mécanicien moto de compétition" when a CAP for motorcycles
/// is listed, though "FCIL nivoculteur" when nothing else is named like the job); then one of
/// the job's own level or below (not a licence pro beside "Niveau minimum : CAP"); then one
/// named like the métier ("CAP agent de sécurité" for "agent de sécurité"), of the lowest
/// level (the most open first step), sharing most of the métier's words ("CAP charpentier
/// bois" before "CAP charpentier de marine") and among those the least specialised (fewest
/// other words); then the fiche's order.
fn first_step<'d, 's>(formation: impl Fn(&str) -> Option<&'s Document>, d: &'d Document, start: Option<crate::path::Start>) -> Option<&'d retrieval::Link> {
    // The métier's own words, not the family's ("technicien", "agent").
    let title_words: Vec<String> = significant_words(&d.title).into_iter().filter(|w| !is_generic_head(w)).collect();
    let candidates: Vec<(usize, &retrieval::Link, Option<&Document>, usize)> = d
        .links
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let label_words = significant_words(&l.label);
            let shared = title_words.iter().filter(|w| label_words.iter().any(|x| alike(w, x))).count();
            (i, l, formation(&l.id), shared)
        })
        .collect();
    let second = |f: Option<&Document>| f.is_some_and(is_second_step);
    let a_first_diploma_named_alike = candidates.iter().any(|(_, _, f, shared)| *shared > 0 && !second(*f));
    candidates
        .iter()
        .min_by_key(|(i, l, formation, shared)| {
            // The label's first word is its diploma's type ("CAPa", "BPJEPS"), not a speciality.
            let speciality = l.label.split_once(' ').map_or("", |(_, rest)| rest);
            let others = significant_words(speciality).iter().filter(|w| !title_words.iter().any(|t| alike(t, w))).count();
            let level = formation.and_then(|f| f.facts.level_order()).unwrap_or(Level::Beyond);
            let enterable = match (start, formation) {
                (Some(s), Some(f)) => crate::path::level(f).is_some_and(|lv| s.enters(f, lv)),
                _ => false,
            };
            let set_back = second(*formation) && (*shared == 0 || a_first_diploma_named_alike);
            // Shown beside the job's level, a first step above it would contradict it.
            let above_the_job = d.facts.level_order().is_some_and(|job| level > job && level != Level::Beyond);
            // Fewest other words only among those named alike: between unrelated courses the
            // fiche's order says more than their length.
            let specialised = if *shared > 0 { others } else { 0 };
            (!enterable, set_back, above_the_job, *shared == 0, level, std::cmp::Reverse(*shared), specialised, *i)
        })
        .map(|(_, l, _, _)| *l)
}

/// The name of a diploma's option shown as one of several when the fiche lists others of the
/// same diploma and the job's name says nothing of this one: "BPJEPS spécialité éducateur
/// sportif (plusieurs mentions, par exemple : activités du cyclisme)", not the cycling mention
/// alone as the way to become a sports instructor; "CAP maintenance des véhicules option C
/// motocycles" stays whole for a motorcycle mechanic.
fn one_of_a_family(title: &str, job: &str, listed: &[&str]) -> String {
    let Some(of) = crate::options::split(title) else { return title.to_string() };
    let prefix = format!("{}{}", of.diploma, of.part);
    let siblings = listed.iter().any(|l| *l != title && l.starts_with(&prefix));
    let job_words = significant_words(job);
    let says_the_job = significant_words(of.own).iter().any(|w| job_words.iter().any(|j| alike(j, w)));
    if siblings && !says_the_job {
        format!("{} (plusieurs {}, par exemple : {})", of.diploma, of.plural, of.own)
    } else {
        title.to_string()
    }
}

/// Folded words of four letters or more of a title ("agent de sécurité" → agent, securite),
/// hyphenated words whole ("socio-educative").
fn significant_words(title: &str) -> Vec<String> {
    retrieval::french::fold(title).split(|c: char| !(c.is_alphanumeric() || c == '-')).filter(|w| w.len() >= 4).map(String::from).collect()
}

/// Two words of a métier and a course alike: a short word that begins the other ("moto",
/// "motocycles"), or a stem of five letters or more followed by endings of three letters at
/// most in the shorter ("coiffeur" and "coiffure", "cuisinier" and "cuisine"; not
/// "socioculturel" and "socio-educative").
fn alike(a: &str, b: &str) -> bool {
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let shorter = a.chars().count().min(b.chars().count());
    common == shorter || (common >= 5 && common + 3 >= shorter)
}

/// Whether a formation is one taken after a first diploma of the trade
/// (`data/second-step-types.txt`: a mention complémentaire, a certificat de spécialisation, a
/// FCIL, a mastère spécialisé, a brevet de maîtrise).
fn is_second_step(formation: &Document) -> bool {
    static TYPES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let types = TYPES.get_or_init(|| guardrails::data::words(include_str!("../data/second-step-types.txt")).map(retrieval::french::fold).collect());
    formation.facts.formation_type.as_deref().is_some_and(|t| {
        let t = retrieval::french::fold(t);
        types.iter().any(|s| t.starts_with(s.as_str()))
    })
}

/// The fiche's first sentence (its summary, else its first section), cut to a short line.
fn line(d: &Document) -> String {
    let text = if d.summary.trim().is_empty() { d.sections.first().map(|s| s.text.as_str()).unwrap_or("") } else { d.summary.as_str() };
    let first = crate::facts::sentences(text).into_iter().map(str::trim).find(|s| s.split_whitespace().count() >= 4).unwrap_or("");
    let words: Vec<&str> = first.split_whitespace().collect();
    if words.len() <= LINE_WORDS {
        first.to_string()
    } else {
        format!("{}…", words[..LINE_WORDS].join(" "))
    }
}

/// The question whose answer would change the list most, or none.
pub fn follow_up(profile: &Profile, proposals: &[Proposal]) -> Option<FollowUp> {
    if profile.interests.is_empty() {
        return Some(FollowUp::Interests);
    }
    let levels: Vec<Level> = proposals.iter().filter_map(|p| p.level.as_deref().and_then(Level::parse)).collect();
    let short = levels.iter().filter(|l| **l <= Level::Bac2).count();
    if profile.max_level.is_none() && short > 0 && short < levels.len() {
        return Some(FollowUp::StudyLength);
    }
    if profile.class.is_none() {
        return Some(FollowUp::Class);
    }
    if !profile.apprenticeship && profile.max_level.is_some_and(|l| l <= Level::Bac2) {
        return Some(FollowUp::Apprenticeship);
    }
    None
}

/// The reply: the proposals, the choice left to the person, the question asked back.
/// The reply to an open question; `detail`: what the fiche of the first proposal says about
/// what was asked (its card), put after the list.
pub fn render(e: &Exploration, detail: Option<&str>) -> String {
    let tu = e.address == Address::Tu;
    let mut out = String::new();
    if e.proposals.is_empty() {
        out.push_str(if tu {
            "Pas de souci, beaucoup de jeunes ne savent pas encore ce qu'ils veulent faire."
        } else {
            "Bien sûr, cherchons ensemble des pistes."
        });
    } else {
        let what: Vec<String> = e.profile.interests.iter().map(|i| format!("« {i} »")).collect();
        let mut intro = "Voici des métiers à explorer".to_string();
        if let Some(course) = &e.course {
            intro.push_str(&format!(
                " à partir de « {course} » : des métiers où mène la formation d'après les fiches de l'Onisep, et d'autres proches, sans ce qui est écarté"
            ));
        } else if !e.near.is_empty() && what.is_empty() {
            let near: Vec<String> = e.near.iter().map(|n| format!("« {n} »")).collect();
            intro.push_str(&format!(", proches de {} d'après les fiches de l'Onisep (métiers liés, mêmes centres d'intérêt)", near.join(", ")));
        }
        if !what.is_empty() {
            intro.push_str(&format!(", d'après {} : {}", if tu { "ce que tu aimes" } else { "ce que vous décrivez" }, what.join(", ")));
        } else if e.near.is_empty() && e.course.is_none() {
            intro.push_str(if tu { ", d'après ce que tu décris" } else { ", d'après ce que vous décrivez" });
        }
        if let Some(max) = e.profile.max_level {
            intro.push_str(&format!(" (études jusqu'au niveau {} au plus)", max.label()));
        }
        out.push_str(&intro);
        out.push_str(" :\n");
        if !e.profile.avoided_conditions.is_empty() {
            out.push_str(&format!(
                "(J'ai laissé de côté les métiers où, d'après France Travail, il faut parfois : {}.)\n",
                e.profile.avoided_conditions.join(", ")
            ));
        }
        for p in &e.proposals {
            out.push_str(&format!("\n• {}", p.title));
            if !p.line.is_empty() {
                out.push_str(&format!(" : {}", p.line));
            }
            let mut facts = Vec::new();
            match (&p.level, p.no_diploma) {
                (Some(l), true) => facts.push(format!("Aucun diplôme n'est exigé (niveau le plus courant : {l}).")),
                (None, true) => facts.push("Aucun diplôme n'est exigé.".to_string()),
                (Some(l), false) => facts.push(format!("Niveau minimum : {l}.")),
                (None, false) => {}
            }
            if let Some(s) = &p.first_step {
                facts.push(format!("Une formation pour y aller : {}.", s.title));
            }
            if !facts.is_empty() {
                out.push_str(&format!("\n  {}", facts.join(" ")));
            }
        }
        if let Some(detail) = detail {
            out.push_str(&format!("\n\nSur la première piste, d'après sa fiche :\n{detail}"));
        }
        out.push_str("\n\n");
        out.push_str(if tu {
            "Ce ne sont que des pistes, d'après les fiches de l'Onisep : c'est toi qui choisis. Ouvre les fiches pour en savoir plus."
        } else {
            "Ce ne sont que des pistes, d'après les fiches de l'Onisep : le choix revient à la personne concernée."
        });
        if e.profile.apprenticeship {
            out.push_str("\nPour l'alternance : regarde sur la fiche de chaque formation si elle peut se préparer en apprentissage.");
        }
    }
    if let Some(q) = e.follow_up {
        out.push_str("\n\n");
        out.push_str(question_text(q, tu));
    }
    out
}

/// After the card of a diploma type whose jobs were asked ("quels métiers avec un bac pro ?"):
/// the jobs depend on the course chosen, so what the person likes is asked.
pub fn jobs_of_a_type_follow_up(tu: bool) -> String {
    format!("Les métiers, eux, dépendent de la formation choisie. {}", question_text(FollowUp::Interests, tu))
}

fn question_text(q: FollowUp, tu: bool) -> &'static str {
    match (q, tu) {
        (FollowUp::Interests, true) => "Pour t'aider, dis-m'en un peu plus : qu'est-ce que tu aimes faire ? Par exemple bouger, bricoler, aider les autres, dessiner, les chiffres, les animaux, être dehors…",
        (FollowUp::Interests, false) => "Pour aider, dites-m'en un peu plus : qu'est-ce que la personne aime faire ? Par exemple bouger, bricoler, aider les autres, dessiner, les chiffres, les animaux, être dehors…",
        (FollowUp::StudyLength, true) => "Une question pour affiner : tu préfères des études courtes ou des études plus longues ?",
        (FollowUp::StudyLength, false) => "Une question pour affiner : des études courtes ou plus longues, qu'est-ce qui conviendrait le mieux ?",
        (FollowUp::Class, true) => "Une question pour affiner : en quelle classe es-tu en ce moment ?",
        (FollowUp::Class, false) => "Une question pour affiner : en quelle classe est la personne en ce moment ?",
        (FollowUp::Apprenticeship, true) => {
            "Une question pour affiner : l'alternance (apprendre un métier en entreprise, avec un salaire), ça t'intéresse ?"
        }
        (FollowUp::Apprenticeship, false) => {
            "Une question pour affiner : l'alternance (apprendre un métier en entreprise, avec un salaire), est-ce une piste ?"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use retrieval::{Facts, Link};

    fn metier(id: &str, sector: &str, level: &str) -> Document {
        Document {
            id: id.into(),
            kind: Kind::Metier,
            title: format!("métier {id}"),
            title_feminine: None,
            title_masculine: None,
            synonyms: vec![],
            summary: "Une phrase qui dit ce que fait ce métier au quotidien. Une autre phrase.".into(),
            sections: vec![],
            links: vec![Link { id: "FOR.9".into(), label: "CAP exemple".into() }],
            rome_codes: vec![],
            facts: Facts {
                level: Some(level.into()),
                sectors: vec!["Fonction publique".into(), sector.into()],
                interests: vec!["j'aime bouger".into()],
                ..Default::default()
            },
            url: format!("https://www.onisep.fr/{id}"),
            date: String::new(),
            source: String::new(),
        }
    }

    #[test]
    fn jobs_named_after_one_left_out_are_left_out_too() {
        let nurse = Document::bare("MET.38", Kind::Metier, "infirmier/ère");
        let humanitarian = Document::bare("MET.343", Kind::Metier, "infirmier/ère humanitaire");
        let dietitian = Document::bare("MET.672", Kind::Metier, "diététicien/ne");
        assert!(named_after(&nurse, &[&nurse]));
        assert!(named_after(&humanitarian, &[&nurse]));
        assert!(!named_after(&dietitian, &[&nurse]));
        let interpreter = Document::bare("MET.7", Kind::Metier, "traducteur/trice-interprète");
        let technical = Document::bare("MET.8", Kind::Metier, "traducteur/trice technique");
        assert!(named_after(&technical, &[&interpreter]));
        // A broad family is not one trade: leaving banking advice is not leaving social work.
        let banking = Document::bare("MET.9", Kind::Metier, "conseiller/ère bancaire");
        let insertion = Document::bare("MET.10", Kind::Metier, "conseiller/ère en insertion sociale et professionnelle");
        assert!(!named_after(&insertion, &[&banking]));
    }

    #[test]
    fn the_list_spans_several_sectors_when_the_data_allows() {
        let docs = [metier("A", "Sport", "CAP"), metier("B", "Sport", "CAP"), metier("C", "Sport", "CAP"), metier("D", "Santé", "Bac + 2")];
        // D scores lowest, yet comes before the third métier of the same sector.
        let scored: Vec<(f32, &Document)> = vec![(1.0, &docs[0]), (0.95, &docs[1]), (0.9, &docs[2]), (0.8, &docs[3])];
        let ids: Vec<&str> = pick_varied(scored).iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, vec!["A", "D", "B", "C"]);
    }

    #[test]
    fn the_way_in_is_a_first_diploma_named_like_the_job() {
        let course = |id: &str, title: &str, kind: &str, level: &str| {
            let mut f = Document::bare(id, Kind::Formation, title);
            f.facts.formation_type = Some(kind.into());
            f.facts.level = Some(level.into());
            f
        };
        let courses = [
            course("FOR.1", "FCIL mécanicien moto de compétition", "formation complémentaire d'initiative locale", "CAP ou équivalent"),
            course("FOR.2", "CAP maintenance des véhicules option C motocycles", "CAP", "CAP ou équivalent"),
            course("FOR.3", "BTS électrotechnique", "brevet de technicien supérieur", "Bac + 2"),
            course("FOR.4", "FCIL nivoculteur", "formation complémentaire d'initiative locale", "Bac ou équivalent"),
            course("FOR.5", "CAP charpentier de marine", "CAP", "CAP ou équivalent"),
            course("FOR.6", "CAP charpentier bois", "CAP", "CAP ou équivalent"),
        ];
        let lookup = |id: &str| courses.iter().find(|c| c.id == id);
        let job = |title: &str, links: &[&str]| {
            let mut d = Document::bare("MET.1", Kind::Metier, title);
            d.links = links.iter().map(|id| Link { id: id.to_string(), label: lookup(id).unwrap().title.clone() }).collect();
            d
        };
        let step = |d: &Document| first_step(lookup, d, None).map(|l| l.id.clone());
        // A course taken after a first diploma gives way to the diploma ("moto", "motocycles").
        assert_eq!(step(&job("mécanicien/ne moto", &["FOR.1", "FOR.3", "FOR.2"])).as_deref(), Some("FOR.2"));
        // …unless nothing else is named like the job.
        assert_eq!(step(&job("nivoculteur/trice", &["FOR.3", "FOR.4"])).as_deref(), Some("FOR.4"));
        // Not a course above the job's own level, though named like it.
        let extra = [
            course("FOR.7", "licence pro mention métiers de l'animation sociale, socio-éducative et socioculturelle", "licence pro", "Bac + 3"),
            course("FOR.8", "CPJEPS mention animateur d'activités et de vie quotidienne", "CPJEPS", "CAP ou équivalent"),
        ];
        let lookup2 = |id: &str| extra.iter().find(|c| c.id == id);
        let mut animator = Document::bare("MET.2", Kind::Metier, "animateur/trice socioculturel/le");
        animator.facts.level = Some("CAP ou équivalent".into());
        animator.links = extra.iter().map(|c| Link { id: c.id.clone(), label: c.title.clone() }).collect();
        assert_eq!(first_step(lookup2, &animator, None).map(|l| l.id.as_str()), Some("FOR.8"));
        // The course that shares most of the job's words.
        assert_eq!(step(&job("charpentier/ère bois", &["FOR.5", "FOR.6"])).as_deref(), Some("FOR.6"));
        assert!(alike("coiffeur", "coiffure") && alike("moto", "motocycles") && alike("cuisinier", "cuisine"));
        assert!(!alike("bois", "boulanger") && !alike("socioculturel", "socio-educative"));
        let sport = ["BPJEPS spécialité éducateur sportif mention activités du cyclisme", "BPJEPS spécialité éducateur sportif mention activités de la forme"];
        assert_eq!(
            one_of_a_family(sport[0], "éducateur/trice sportif/ve", &sport),
            "BPJEPS spécialité éducateur sportif (plusieurs mentions, par exemple : activités du cyclisme)"
        );
        let cap = ["CAP maintenance des véhicules option A voitures particulières", "CAP maintenance des véhicules option C motocycles"];
        assert_eq!(one_of_a_family(cap[1], "mécanicien/ne moto", &cap), cap[1]);
        assert_eq!(one_of_a_family("CAP charpentier bois", "charpentier/ère bois", &["CAP charpentier bois"]), "CAP charpentier bois");
    }

    #[test]
    fn one_question_back_the_one_that_changes_the_list_most() {
        let p = |level: &str| Proposal {
            id: "x".into(),
            title: "x".into(),
            line: String::new(),
            level: Some(level.into()),
            no_diploma: false,
            first_step: None,
            sectors: vec![],
            matched_interests: vec![],
            url: String::new(),
        };
        let none = Profile::default();
        assert_eq!(follow_up(&none, &[]), Some(FollowUp::Interests));
        let likes = Profile { interests: vec!["j'aime bouger".into()], ..Default::default() };
        assert_eq!(follow_up(&likes, &[p("CAP ou équivalent"), p("Bac + 5")]), Some(FollowUp::StudyLength));
        assert_eq!(follow_up(&likes, &[p("CAP ou équivalent"), p("Bac + 2")]), Some(FollowUp::Class));
        let known = Profile { class: Some("3e".into()), max_level: Some(Level::Bac2), ..likes.clone() };
        assert_eq!(follow_up(&known, &[p("CAP ou équivalent")]), Some(FollowUp::Apprenticeship));
        assert_eq!(follow_up(&Profile { apprenticeship: true, ..known }, &[p("CAP ou équivalent")]), None);
    }

    #[test]
    fn the_reply_lists_each_path_with_its_level_and_first_formation_and_leaves_the_choice() {
        let d = metier("A", "Sport", "CAP ou équivalent");
        let profile = Profile { interests: vec!["j'aime bouger".into()], ..Default::default() };
        let proposal = Proposal {
            id: d.id.clone(),
            title: d.display_title(),
            line: line(&d),
            level: d.facts.level.clone(),
            no_diploma: false,
            first_step: Some(Step { id: "FOR.9".into(), title: "CAP exemple".into(), url: String::new() }),
            sectors: d.facts.sectors.clone(),
            matched_interests: profile.interests.clone(),
            url: d.url.clone(),
        };
        let e = Exploration { profile, proposals: vec![proposal], follow_up: Some(FollowUp::Class), address: Address::Tu, near: Vec::new(), course: None };
        let text = render(&e, None);
        assert!(text.contains("• métier A : Une phrase qui dit ce que fait ce métier au quotidien."), "{text}");
        assert!(text.contains("Niveau minimum : CAP ou équivalent. Une formation pour y aller : CAP exemple."), "{text}");
        assert!(text.contains("c'est toi qui choisis"), "{text}");
        assert!(text.trim_end().ends_with('?'), "ends with the one question: {text}");
        assert!(!text.contains("laissé de côté"), "nothing was ruled out: {text}");
        let vous = render(&Exploration { address: Address::Vous, ..e.clone() }, None);
        assert!(vous.contains("le choix revient à la personne concernée") && !vous.contains("c'est toi"), "{vous}");
        // Paths drawn from a course's jobs say so.
        let from_course = render(&Exploration { course: Some("BUT exemple".into()), ..e.clone() }, None);
        assert!(from_course.contains("à partir de « BUT exemple » : des métiers où mène la formation"), "{from_course}");
        // Working conditions ruled out are said, with where the conditions come from.
        let profile = Profile { avoided_conditions: vec!["travailler la nuit".into()], ..e.profile.clone() };
        let night = render(&Exploration { profile, ..e.clone() }, None);
        assert!(night.contains("J'ai laissé de côté les métiers où, d'après France Travail, il faut parfois : travailler la nuit."), "{night}");
        // The first proposal's card, when the way in was asked, comes after the list and
        // before the question.
        let detail = render(&e, Some("• Métier : métier A\n  – Pour y accéder : un CAP."));
        let (list, card) = (detail.find("• métier A :").unwrap(), detail.find("Sur la première piste, d'après sa fiche :\n• Métier : métier A").unwrap());
        assert!(list < card && card < detail.find("c'est toi qui choisis").unwrap() && detail.trim_end().ends_with('?'), "{detail}");
    }
}
