//! What an open question says of the person: what they like (mapped to ONISEP's centres
//! d'intérêt), the studies they accept, their class, apprenticeship, what they rule out.
//! Patterns are data (`data/interests.tsv`, `data/profile.tsv`, `data/rule-outs.tsv`,
//! `data/conditions.tsv`), read on the rails' plain form of the message. The profile lives in
//! the conversation only: the widget shows it, the person corrects or erases it, and it is sent
//! back with each message (nothing of it is stored by the service).

use crate::question::Question;
use guardrails::normalise::normalise;
use regex::Regex;
use retrieval::{Document, Level};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

const INTERESTS: &str = include_str!("../data/interests.tsv");
const PROFILE: &str = include_str!("../data/profile.tsv");
const RULE_OUTS: &str = include_str!("../data/rule-outs.tsv");
const REPLY_WORDS: &str = include_str!("../data/reply-words.tsv");
const CONDITIONS: &str = include_str!("../data/conditions.tsv");

/// Bounds on a profile sent back by a client.
const MAX_EXCLUDED: usize = 10;
const MAX_WORD_CHARS: usize = 40;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    /// ONISEP's centres d'intérêt the person expressed, as labelled in the fiches.
    pub interests: Vec<String>,
    /// Centres d'intérêt whose métiers the person ruled out ("surtout pas dans un bureau").
    pub avoided: Vec<String>,
    /// The highest level of study the person accepts.
    pub max_level: Option<Level>,
    /// The class the person (or the child spoken of) is in, as a short label ("3e").
    pub class: Option<String>,
    /// They want to learn in apprenticeship (alternance).
    pub apprenticeship: bool,
    /// They said school is hard for them: shorter studies are shown first, nothing is filtered.
    pub shorter_first: bool,
    /// Words they rule out (folded): métiers named so are never proposed.
    pub excluded: Vec<String>,
    /// Working conditions they rule out, as shown to them ("travailler la nuit"): métiers
    /// whose ROME work contexts include them are not proposed (`data/conditions.tsv`).
    pub avoided_conditions: Vec<String>,
}

/// How a reply speaks: to the young person, or to a parent or teacher about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Address {
    Tu,
    Vous,
}

struct Tables {
    interests: Vec<(&'static str, Regex)>,
    cues: Vec<(Cue, Regex)>,
    rule_outs: Vec<(Regex, Vec<&'static str>)>,
    negation: Regex,
    negation_after: Regex,
    /// Words short replies are made of, by kind (`data/reply-words.tsv`).
    reply_words: HashMap<&'static str, ReplyWord>,
    /// What a short reply may open with, longest first.
    reply_leads: Vec<Vec<&'static str>>,
    conditions: Vec<Condition>,
    /// Where a clause ends, for reading what a condition's words are said with.
    clause_end: Regex,
    /// A clause that rules out what follows ("il refuse de", "pas de", "ni").
    clause_negation: Regex,
    /// "sans" rules out only what comes just after it ("sans travail de nuit").
    without: Regex,
}

/// A row of `data/conditions.tsv`.
struct Condition {
    /// What the person sees ("travailler la nuit").
    shown: &'static str,
    /// The words rule it out alone ("vertige"), not only when negated.
    alone: bool,
    /// ROME work contexts, as labelled.
    contexts: Vec<&'static str>,
    words: Regex,
}

/// A word's part in a short reply (`data/reply-words.tsv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReplyWord {
    /// Says something on its own ("ouais", "3e", "alternance").
    Reply,
    /// Only holds the others together ("de", "plus", "je").
    Filler,
    /// Never in a reply: it can say distress with the others ("bien", "tout", "rien").
    Never,
}

#[derive(Debug, Clone, PartialEq)]
enum Cue {
    MaxLevel(Level),
    /// A vague limit ("pas de longues études"): used when no plain one is said.
    ShortStudies(Level),
    Apprenticeship,
    ShorterFirst,
    Class(&'static str),
    ThirdPerson,
    Open,
    Alternatives,
    Situation,
    ShortReply,
    /// What work they would like ("j'aimerais bosser dans le ciné").
    Wish,
    /// Their own course turned down ("c'est pas pour moi", "il déteste ça").
    CourseRejected,
    /// Where or with what they would like to work, named ("travailler dans un aéroport",
    /// "bosser sur les bateaux"): something search can find when no taste is read.
    WishedPlace,
    /// An adult who opens with their job and age ("Comptable, 45 ans, …").
    OwnJobFirst,
    /// They say what they like ("j'aime bien dessiner", "il adore les chevaux").
    Likes,
    /// A wish to earn one's living soon ("jveux bosser vite et gagner mes sous"): a constraint
    /// of the paths, not a question about a fiche's pay.
    EarningWish,
    /// A limit put on the length of studies, said as such ("3 ans maximum").
    StudyLimit,
    /// A clause where the writer says what they themselves are or do ("je suis comptable"):
    /// their situation, not a taste, when the message speaks of someone else.
    WriterSelf,
    /// A pastime kept up for years ("je fais du judo depuis 6 ans"): a taste, not a situation.
    Pastime,
    /// A word of feeling or mood ("peur", "plus rien", "seule", "épuisée"): a message told
    /// with one is never read as tastes alone by the rails' doubt rules.
    Mood,
    /// A course named by its type and field ("bac pro commerce", "BTS tourisme"): the field
    /// word is the course's name, not a taste.
    CourseName,
    /// The writer is an adult at work or looking for work ("33 ans, je travaille à la chaîne",
    /// "au chômage depuis 6 mois").
    WorkingAdult,
    /// Words of despair, not of weariness ("plus rien n'a de sens", "à quoi bon").
    Despair,
    /// A choice of a course, a track or a job spoken of ("choisir ses spécialités").
    Choice,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let re = |file: &str, key: &str, p: &str| Regex::new(p).unwrap_or_else(|e| panic!("{file}: {key}: {e}"));
        let interests = guardrails::data::rows(INTERESTS)
            .map(|row| {
                let [label, pattern] = row[..] else { panic!("interests.tsv: a row needs two columns: {row:?}") };
                (label, re("interests.tsv", label, pattern))
            })
            .collect();
        let cues = guardrails::data::rows(PROFILE)
            .map(|row| {
                let [key, pattern] = row[..] else { panic!("profile.tsv: a row needs two columns: {row:?}") };
                let cue = match key.split_once(':') {
                    Some(("niveau_max", level)) => Cue::MaxLevel(
                        serde_json::from_value(serde_json::Value::String(level.into())).unwrap_or_else(|_| panic!("profile.tsv: unknown level {level}")),
                    ),
                    Some(("niveau_court", level)) => Cue::ShortStudies(
                        serde_json::from_value(serde_json::Value::String(level.into())).unwrap_or_else(|_| panic!("profile.tsv: unknown level {level}")),
                    ),
                    Some(("classe", class)) => Cue::Class(class),
                    None if key == "alternance" => Cue::Apprenticeship,
                    None if key == "notes_faibles" => Cue::ShorterFirst,
                    None if key == "tiers" => Cue::ThirdPerson,
                    None if key == "ouverte" => Cue::Open,
                    None if key == "situation" => Cue::Situation,
                    None if key == "autre_piste" => Cue::Alternatives,
                    None if key == "reponse_courte" => Cue::ShortReply,
                    None if key == "souhait" => Cue::Wish,
                    None if key == "lieu_souhaite" => Cue::WishedPlace,
                    None if key == "cours_rejete" => Cue::CourseRejected,
                    None if key == "metier_en_tete" => Cue::OwnJobFirst,
                    None if key == "gout" => Cue::Likes,
                    None if key == "gagner_sa_vie" => Cue::EarningWish,
                    None if key == "limite_etudes" => Cue::StudyLimit,
                    None if key == "redacteur" => Cue::WriterSelf,
                    None if key == "loisir" => Cue::Pastime,
                    None if key == "humeur" => Cue::Mood,
                    None if key == "nom_de_cours" => Cue::CourseName,
                    None if key == "adulte" => Cue::WorkingAdult,
                    None if key == "desespoir" => Cue::Despair,
                    None if key == "choix" => Cue::Choice,
                    _ => panic!("profile.tsv: unknown key {key}"),
                };
                (cue, re("profile.tsv", key, pattern))
            })
            .collect();
        let rule_outs = guardrails::data::rows(RULE_OUTS)
            .map(|row| {
                let [pattern, labels] = row[..] else { panic!("rule-outs.tsv: a row needs two columns: {row:?}") };
                (re("rule-outs.tsv", pattern, pattern), labels.split('|').map(str::trim).collect())
            })
            .collect();
        // A liked thing just after one of these is ruled out instead ("pas les animaux"). "plus"
        // only after a verb ("je n'aime plus", "j'veux plus"): "un métier plus calme avec des
        // chiffres" or "plus concret" compares, it does not rule out.
        let negation = Regex::new(
            r"(?:\b(?:pas|jamais|horreur|deteste|supporte pas|ni|sauf|surtout pas|marre|nul|nulle|(?:ai|a|avons|avez|ont) assez)|(?:\bne \w+|\bn'\w+|\b(?:aime|veux|supporte|peux|fais|vois|kiffe|adore|voudrais|souhaite|ai|suis|envie)) plus)\b[^,.;!?]{0,25}$",
        )
            .expect("valid pattern");
        // …or just before one of these: "le contact client m'épuise", "les langues oui,
        // l'enseignement non merci".
        let negation_after = Regex::new(
            r"^[^,.;!?]{0,20}?(?:,\s*)?\b(?:m'epuise|m'epuisent|me fatigue|me fatiguent|me saoule|me saoulent|me soule|me gave|me gavent|m'ennuie|m'ennuient|me deprime|m'insupporte|me degoute|me degoutent|non merci|tres peu pour moi|c'est pas pour moi|ce n'est pas pour moi|j'en ai marre|j'en peux plus|je n'en peux plus|(?:il|elle|je|j') ?(?:deteste|detestent|n'aime pas|aime pas|n'aiment pas) (?:ca|cela))\b",
        )
        .expect("valid pattern");
        let mut reply_words = HashMap::new();
        let mut reply_leads: Vec<Vec<&'static str>> = Vec::new();
        for row in guardrails::data::rows(REPLY_WORDS) {
            let kind = match row[..] {
                [lead, "lead"] => {
                    reply_leads.push(lead.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect());
                    continue;
                }
                [_, "reply"] => ReplyWord::Reply,
                [_, "filler"] => ReplyWord::Filler,
                [_, "never"] => ReplyWord::Never,
                _ => panic!("reply-words.tsv: a row is WORD<TAB>lead|never|filler|reply: {row:?}"),
            };
            if reply_words.insert(row[0], kind).is_some() {
                panic!("reply-words.tsv: {} is listed twice", row[0]);
            }
        }
        reply_leads.sort_by_key(|l| std::cmp::Reverse(l.len()));
        let conditions = guardrails::data::rows(CONDITIONS)
            .map(|row| {
                let [key, contexts, pattern] = row[..] else { panic!("conditions.tsv: a row needs three columns: {row:?}") };
                let (alone, shown) = match key.split_once(':') {
                    Some(("pas", shown)) => (false, shown),
                    Some(("evite", shown)) => (true, shown),
                    _ => panic!("conditions.tsv: a key is pas:TEXT or evite:TEXT: {key}"),
                };
                Condition { shown, alone, contexts: contexts.split('|').map(str::trim).collect(), words: re("conditions.tsv", key, pattern) }
            })
            .collect();
        // A new clause starts at punctuation, at a joining word, or at a new subject: "jsp quoi
        // faire je veux bosser dehors" does not rule out working outside.
        let clause_end = Regex::new(r"[,.;:!?]|\b(?:et|mais|par contre|car|parce que|sauf que|je|j'|il|elle|on|ils|elles)\b").expect("valid pattern");
        let clause_negation = Regex::new(
            r"\b(?:pas|jamais|horreur|deteste|detestent|ni|sauf|refuse|refuses|refusent|refuser|eviter|evite|evitent|(?:veux|veut|peux|peut|supporte|aime|voudrais) plus)\b",
        )
        .expect("valid pattern");
        let without = Regex::new(r"\bsans(?: \S+){0,3} ?$").expect("valid pattern");
        Tables { interests, cues, rule_outs, negation, negation_after, reply_words, reply_leads, conditions, clause_end, clause_negation, without }
    })
}

/// What `data/conditions.tsv` shows the person for the conditions it knows.
pub fn condition_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = tables().conditions.iter().map(|c| c.shown).collect();
    names.dedup();
    names
}

/// The working conditions a message rules out, as shown to the person: each clause is read
/// apart, and a condition's words count when the clause negates them before ("il refuse de
/// travailler de nuit"), "sans" stands just before them, the clause says after them that they
/// weigh ("le bruit m'épuise"), or when the words say it alone ("j'ai le vertige").
fn conditions_ruled_out(plain: &str) -> Vec<String> {
    let t = tables();
    let mut out: Vec<String> = Vec::new();
    let mut start = 0;
    let mut bounds: Vec<(usize, usize)> = Vec::new();
    for m in t.clause_end.find_iter(plain) {
        bounds.push((start, m.start()));
        start = if m.as_str().chars().all(|c| c.is_ascii_punctuation()) { m.end() } else { m.start() };
    }
    bounds.push((start, plain.len()));
    for (from, to) in bounds {
        let clause = &plain[from..to];
        for c in &t.conditions {
            let hit = c.words.find_iter(clause).any(|m| {
                let (before, after) = (&clause[..m.start()], &clause[m.end()..]);
                c.alone || t.clause_negation.is_match(before) || t.without.is_match(before) || t.negation_after.is_match(after)
            });
            if hit && !out.iter().any(|s| s == c.shown) {
                out.push(c.shown.to_string());
            }
        }
    }
    out
}

/// ONISEP's 27 centres d'intérêt, as the data table names them.
pub fn interest_labels() -> Vec<&'static str> {
    // A label may have several rows, anywhere in the table: keep its first place.
    let mut labels: Vec<&str> = Vec::new();
    for (l, _) in &tables().interests {
        if !labels.contains(l) {
            labels.push(l);
        }
    }
    labels
}

impl Profile {
    /// What one message says. `question` is what the question reader found (its exclusions).
    pub fn read(message: &str, question: &Question) -> Profile {
        let plain = normalise(message);
        let t = tables();
        let mut p = Profile::default();
        // Tastes are read where the person says what they like, not where they say what they
        // do or did ("je suis comptable depuis 10 ans", "en BTS tourisme").
        // "pas forcément dans la police" does not rule the police out: it only opens the list.
        let tastes = without_situations(&plain).replace("pas forcement ", "").replace("pas necessairement ", "").replace("pas obligatoirement ", "");
        // "après un bac pro commerce, on fait quoi ?" asks about a course, not about commerce.
        let tastes = without_course_names(&tastes);
        let mut negated_only: Vec<String> = Vec::new();
        for (label, re) in &t.interests {
            for m in re.find_iter(&tastes) {
                let before = &tastes[..m.start()];
                let negated = (t.negation.is_match(before) && !nothing_but(before)) || t.negation_after.is_match(&tastes[m.end()..]);
                let list = if negated { &mut negated_only } else { &mut p.interests };
                if !list.iter().any(|l| l == label) {
                    list.push(label.to_string());
                }
            }
        }
        // A taste said plainly is not undone by one of its domains ruled out: "avec ses mains,
        // mais surtout pas le bâtiment" likes manual work and rules the building trade out
        // (`excluded` holds it), it does not avoid manual work.
        p.avoided = negated_only.into_iter().filter(|l| !p.interests.contains(l)).collect();
        let mut vague: Option<Level> = None;
        for (cue, re) in &t.cues {
            if !re.is_match(&plain) {
                continue;
            }
            match cue {
                // The strictest limit said plainly wins; a vague one only when none is.
                Cue::MaxLevel(l) => p.max_level = Some(p.max_level.map_or(*l, |m| m.min(*l))),
                Cue::ShortStudies(l) => vague = Some(vague.map_or(*l, |m| m.min(*l))),
                Cue::Apprenticeship => p.apprenticeship = true,
                Cue::ShorterFirst => p.shorter_first = true,
                Cue::Class(c) => p.class = p.class.or(Some(c.to_string())),
                Cue::ThirdPerson
                | Cue::Open
                | Cue::Alternatives
                | Cue::Situation
                | Cue::ShortReply
                | Cue::Wish
                | Cue::WishedPlace
                | Cue::CourseRejected
                | Cue::OwnJobFirst
                | Cue::Likes
                | Cue::EarningWish
                | Cue::StudyLimit
                | Cue::WriterSelf
                | Cue::Pastime
                | Cue::Mood
                | Cue::CourseName
                | Cue::WorkingAdult
                | Cue::Despair
                | Cue::Choice => {}
            }
        }
        p.max_level = p.max_level.or(vague);
        p.excluded = question.excluded.clone();
        for word in &question.excluded {
            for (re, labels) in &t.rule_outs {
                if re.is_match(word) {
                    // "secteur:Santé": the métiers of that ONISEP sector are ruled out by name.
                    for l in labels {
                        match l.strip_prefix("secteur:") {
                            Some(sector) => p.excluded.push(retrieval::french::fold(sector)),
                            None => p.avoided.push(l.to_string()),
                        }
                    }
                }
            }
        }
        // What is avoided is not liked as well ("pas dans un bureau" is not a taste for offices).
        p.avoided.sort();
        p.avoided.dedup();
        p.excluded.dedup();
        p.interests.retain(|i| !p.avoided.contains(i));
        p.avoided_conditions = conditions_ruled_out(&plain);
        p
    }

    /// The conversation's profile updated by a newer message: what is newly said wins, tastes
    /// add up.
    pub fn updated_with(mut self, newer: Profile) -> Profile {
        for i in newer.interests {
            if !self.interests.contains(&i) {
                self.interests.push(i);
            }
        }
        for a in newer.avoided {
            if !self.avoided.contains(&a) {
                self.avoided.push(a);
            }
        }
        let avoided = self.avoided.clone();
        self.interests.retain(|i| !avoided.contains(i));
        self.max_level = newer.max_level.or(self.max_level);
        self.class = newer.class.or(self.class);
        self.apprenticeship |= newer.apprenticeship;
        self.shorter_first |= newer.shorter_first;
        for e in newer.excluded {
            if !self.excluded.contains(&e) {
                self.excluded.push(e);
            }
        }
        for c in newer.avoided_conditions {
            if !self.avoided_conditions.contains(&c) {
                self.avoided_conditions.push(c);
            }
        }
        self
    }

    /// A profile sent back by a client, kept within bounds: unknown interest labels dropped,
    /// short lists of short words.
    pub fn sanitised(mut self) -> Profile {
        let known = interest_labels();
        self.interests.retain(|i| known.contains(&i.as_str()));
        self.avoided.retain(|i| known.contains(&i.as_str()));
        self.interests.dedup();
        self.avoided.dedup();
        self.excluded.retain(|w| !w.trim().is_empty() && w.chars().count() <= MAX_WORD_CHARS);
        self.excluded.truncate(MAX_EXCLUDED);
        self.class = self.class.filter(|c| c.chars().count() <= MAX_WORD_CHARS);
        let names = condition_names();
        self.avoided_conditions.retain(|c| names.contains(&c.as_str()));
        self.avoided_conditions.dedup();
        self
    }

    pub fn is_empty(&self) -> bool {
        *self == Profile::default()
    }

    /// Whether a métier fits: within the level accepted, not ruled out by name, none of the
    /// avoided interests, none of the working conditions ruled out.
    pub fn admits(&self, doc: &Document) -> bool {
        if self.max_level.is_some_and(|max| doc.facts.level_order().is_none_or(|l| l > max)) {
            return false;
        }
        if (Question { excluded: self.excluded.clone(), ..Default::default() }).rules_out(doc) {
            return false;
        }
        if doc.facts.interests.iter().any(|i| self.avoided.contains(i)) {
            return false;
        }
        // A condition ruled out rules out the métiers ROME says may involve it.
        let contexts = self.avoided_contexts();
        !doc.facts.conditions.iter().any(|d| contexts.contains(&d.as_str()))
    }

    /// The ROME work contexts of the conditions ruled out ("Travail de nuit"…), as the index's
    /// `conditions` payload holds them.
    pub fn avoided_contexts(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> =
            tables().conditions.iter().filter(|c| self.avoided_conditions.iter().any(|a| a == c.shown)).flat_map(|c| c.contexts.iter().copied()).collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The message without the clauses that say what the person does or did (their job, their
/// studies): those words are not tastes.
/// "rien me plaît sauf la cuisine", "j'aime aucune matière à part le dessin": what is excepted
/// from nothing is liked, though "sauf" before a taste usually rules it out.
fn nothing_but(before: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\b(?:rien|aucun|aucune|personne|nulle part)\b[^,.;!?]{0,40}\b(?:sauf|a part|hormis|excepte|mis a part)\b[^,.;!?]{0,25}$")
            .expect("valid pattern")
    })
    .is_match(before)
}

/// The plain text with every course named by its type and field blanked ("bac pro commerce",
/// "licence info"): the field word names the course. A type followed by a little word ("un
/// bac pro dans le commerce", "un CAP pour bosser vite") names no course, and the words after
/// it stay.
fn without_course_names(plain: &str) -> String {
    const NOT_A_FIELD: &[&str] = &[
        "dans",
        "pour",
        "avec",
        "sans",
        "mais",
        "puis",
        "avant",
        "plus",
        "moins",
        "max",
        "maximum",
        "seulement",
        "minimum",
        "direct",
        "ensuite",
        "sur",
        "les",
        "des",
        "une",
        "par",
        "est",
        "qui",
        "que",
        "car",
        "vers",
        "chez",
        "comme",
        "genre",
        "depuis",
        "parce",
        "alors",
        "donc",
        "quand",
        "apres",
        "ou",
    ];
    let mut out = plain.to_string();
    for re in tables().cues.iter().filter(|(c, _)| *c == Cue::CourseName).map(|(_, re)| re) {
        for m in re.find_iter(plain) {
            let field = m.as_str().rsplit(' ').next().unwrap_or_default();
            if NOT_A_FIELD.contains(&field) || crate::question::is_question_filler(field) {
                continue;
            }
            out.replace_range(m.range(), &" ".repeat(m.len()));
        }
    }
    out
}

fn without_situations(plain: &str) -> String {
    split_situations(plain).0
}

/// The clauses of a message that say what the person does or did ("comptable depuis 10 ans",
/// "en BTS tourisme"): a fiche named there is where they are, not where they want to go.
pub fn situation_text(message: &str) -> String {
    split_situations(&normalise(message)).1
}

/// The message's other clauses: what it asks or wishes, beside where the person is.
pub fn beside_situations(message: &str) -> String {
    split_situations(&normalise(message)).0
}

/// (the clauses that are not situations, the clauses that are), on the plain form.
fn split_situations(plain: &str) -> (String, String) {
    let situation: Vec<&Regex> = tables().cues.iter().filter(|(c, _)| *c == Cue::Situation).map(|(_, re)| re).collect();
    // "Vendeur immobilier, 45 ans, …": the job an adult opens with is where they are.
    let own_job_first = tables().cues.iter().any(|(c, re)| *c == Cue::OwnJobFirst && re.is_match(plain));
    // "Je suis comptable et mon fils…": what a parent or teacher says of themselves is theirs.
    let cue = |which: Cue| tables().cues.iter().filter(move |(c, _)| *c == which).map(|(_, re)| re);
    let third_person: Vec<&Regex> = cue(Cue::ThirdPerson).collect();
    let about_someone_else = third_person.iter().any(|re| re.is_match(plain));
    let writer_self: Vec<&Regex> = if about_someone_else { cue(Cue::WriterSelf).collect() } else { Vec::new() };
    let pastimes: Vec<&Regex> = cue(Cue::Pastime).collect();
    let mut kept = String::with_capacity(plain.len());
    let mut situations = String::new();
    let mut start = 0;
    let cuts: Vec<usize> = plain
        .char_indices()
        .filter(|(_, c)| matches!(c, ',' | '.' | ';' | '!' | '?' | ':'))
        .map(|(i, c)| i + c.len_utf8())
        .chain(plain.match_indices(" et ").chain(plain.match_indices(" mais ")).map(|(i, _)| i))
        .chain([plain.len()])
        .collect::<std::collections::BTreeSet<usize>>()
        .into_iter()
        .collect();
    for end in cuts {
        let clause = &plain[start..end];
        let pastime = pastimes.iter().any(|re| re.is_match(clause));
        let is_situation = (start == 0 && own_job_first)
            || (situation.iter().any(|re| re.is_match(clause)) && !pastime)
            || (writer_self.iter().any(|re| re.is_match(clause)) && !third_person.iter().any(|re| re.is_match(clause)));
        if !is_situation {
            kept.push_str(clause);
        } else {
            kept.push_str(" ; ");
            situations.push_str(clause);
            situations.push_str(" ; ");
        }
        start = end;
    }
    (kept, situations)
}

/// Whether a message speaks of someone else (a parent of their child, a teacher of a pupil).
pub fn address(message: &str) -> Address {
    let plain = normalise(message);
    if tables().cues.iter().any(|(c, re)| *c == Cue::ThirdPerson && re.is_match(&plain)) {
        Address::Vous
    } else {
        Address::Tu
    }
}

/// Whether a message asks where to go rather than about one fiche ("jsp quoi faire", "quels
/// métiers pour quelqu'un qui aime…").
pub fn asks_for_paths(message: &str) -> bool {
    let plain = normalise(message);
    tables().cues.iter().any(|(c, re)| *c == Cue::Open && re.is_match(&plain))
}

/// The message's plain form without the words that only state a wish (apprenticeship: "en
/// alternance"; earning one's living soon: "gagner mes sous") and without the clauses of the
/// person's situation: what is left says whether something else is asked.
pub fn without_wish_words(message: &str) -> String {
    // What the person does ("je suis prof en lycée pro") is not asked either.
    let mut plain = without_situations(&normalise(message));
    for (_, re) in tables().cues.iter().filter(|(c, _)| matches!(c, Cue::Apprenticeship | Cue::EarningWish)) {
        plain = re.replace_all(&plain, " ").into_owned();
    }
    plain
}

/// Whether an adult opens the message with their job and age ("Comptable, 45 ans, je veux…"):
/// the job named first is where they are, as for a teacher who names theirs.
pub fn opens_with_own_job(message: &str) -> bool {
    let plain = normalise(message);
    tables().cues.iter().any(|(c, re)| *c == Cue::OwnJobFirst && re.is_match(&plain))
}

/// Whether a message asks what comes after a class or the bac as such ("quoi faire après la
/// 3e ?", "je sais pas quoi faire après le bac"), not after a course ("après le bac pro
/// logistique").
pub fn after_a_class(message: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"\bapres (?:la |le |l'|ma |mon |ta |ton |sa |son )?(?:3e|3eme|troisieme|seconde|2nde|premiere|1re|terminale|bac|brevet|college|lycee)(?:\s*$|\s*[?!.,;:]|\s+(?:je|j'|on|il|elle|quoi|qu'|que|c'est|et|ou|svp|stp|aide)\b)")
            .expect("valid pattern")
    });
    re.is_match(&normalise(message))
}

/// Whether a message says what the person likes ("j'aime bien dessiner", "il adore les
/// chevaux"), as a verb of liking, not a topic merely named ("le score du match").
pub fn says_what_they_like(message: &str) -> bool {
    let plain = normalise(message);
    tables().cues.iter().any(|(c, re)| *c == Cue::Likes && re.is_match(&plain))
}

/// Whether a message names where or with what the person would like to work ("j'aimerais
/// travailler dans un aéroport"), whether or not a taste is read from it.
pub fn names_where_to_work(message: &str) -> bool {
    static VAGUE: OnceLock<Vec<&'static str>> = OnceLock::new();
    let vague = VAGUE.get_or_init(|| guardrails::data::words(include_str!("../data/vague-places.txt")).collect());
    let plain = normalise(message);
    tables()
        .cues
        .iter()
        .filter(|(c, _)| *c == Cue::WishedPlace)
        .flat_map(|(_, re)| re.captures_iter(&plain))
        .any(|c| c.name("what").is_some_and(|w| !vague.contains(&w.as_str())))
}

/// Whether a message speaks of a feeling or a mood ("j'ai peur", "plus rien n'a de sens",
/// "je suis épuisée"), whatever else it says.
pub fn speaks_of_a_mood(message: &str) -> bool {
    let plain = normalise(message);
    tables().cues.iter().any(|(c, re)| *c == Cue::Mood && re.is_match(&plain))
}

/// Whether a message puts a limit on the length of studies, said as such ("des études plus
/// courtes", "3 ans maximum"), not a diploma merely named.
pub fn limits_the_studies(message: &str) -> bool {
    let plain = normalise(message);
    tables().cues.iter().any(|(c, re)| *c == Cue::StudyLimit && re.is_match(&plain))
}

/// Whether a message says what work the person would like ("j'aimerais bosser dans le ciné",
/// "je cherche un métier moins physique"), with or without asking for paths.
pub fn says_a_wish(message: &str) -> bool {
    let plain = normalise(message);
    tables().cues.iter().any(|(c, re)| *c == Cue::Wish && re.is_match(&plain))
}

/// Whether the whole message is a short reply to the assistant's own question ("ok merci",
/// "je suis en 3e", "plutôt des études courtes", "boulanger"): an anchored pattern of
/// `data/profile.tsv`, or at most [`MAX_REPLY_WORDS`] words read with `data/reply-words.tsv`.
/// `names` are the fiche titles the message names (as orient's index found them): a métier's
/// name alone is a reply to a list of proposals.
pub fn is_short_reply(message: &str, names: &[String]) -> bool {
    let plain = normalise(message);
    let plain = plain.trim();
    tables().cues.iter().any(|(c, re)| *c == Cue::ShortReply && re.is_match(plain)) || made_of_reply_words(plain, names, &place_names(message))
}

/// The words of the place names a message writes with a capital after a word of place ("dans
/// un village du Cantal", "en Guyane, à Kourou", "près de Saint-Brieuc"), folded as the plain
/// form folds them: in a short reply, where the person lives is a reply whatever the place.
fn place_names(message: &str) -> Vec<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?:^|[\s,(])(?:à|a|en|au|aux|du|de|d'|d’|dans|sur|vers|près de|pres de|côté de|cote de|région|region)\s*(?:l'|l’|la |le |les )?(\p{Lu}[\p{L}'’-]*(?:[ -](?:\p{Lu}[\p{L}'’-]*|de|du|la|les|sur|en)){0,3})")
            .expect("valid pattern")
    });
    re.captures_iter(message).filter_map(|c| c.get(1)).flat_map(|m| split_words(&normalise(m.as_str()))).collect()
}

/// The most words a reply made of reply words may have.
pub const MAX_REPLY_WORDS: usize = 8;

/// A fiche's name counts in a reply when it cannot be a common word ("aide" is not one).
fn is_distinct_name(words: &[&str]) -> bool {
    words.len() >= 2 || words.iter().all(|w| w.chars().count() >= 6)
}

fn split_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

fn made_of_reply_words(plain: &str, names: &[String], places: &[String]) -> bool {
    let t = tables();
    // Words with where each starts in `plain`.
    let mut words: Vec<(usize, &str)> = Vec::new();
    let mut start = None;
    for (i, c) in plain.char_indices().chain(std::iter::once((plain.len(), ' '))) {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, &plain[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if words.is_empty() || words.len() > MAX_REPLY_WORDS {
        return false;
    }
    if let Some(lead) = t.reply_leads.iter().find(|l| words.len() >= l.len() && words.iter().zip(l.iter()).all(|((_, w), l)| w == l)) {
        words.drain(..lead.len());
    }
    // The fiches' names are taken out first: a name is orientation whatever its words.
    let mut says_something = false;
    for name in names {
        let name = split_words(&normalise(name));
        let name: Vec<&str> = name.iter().map(String::as_str).collect();
        if name.is_empty() || !is_distinct_name(&name) {
            continue;
        }
        while let Some(at) = words.windows(name.len()).position(|w| w.iter().zip(&name).all(|((_, a), b)| a == b)) {
            words.drain(at..at + name.len());
            says_something = true;
        }
    }
    // A place's name is where the person lives, unless one of its words can say distress.
    let is_place = |w: &str| places.iter().any(|p| p == w) && t.reply_words.get(w) != Some(&ReplyWord::Never);
    let before = words.len();
    words.retain(|(_, w)| !is_place(w));
    says_something |= words.len() < before;
    // Then no word may be one that can say distress, tastes included ("les animaux… personne").
    let kinds = |words: &[(usize, &str)]| -> Vec<(Option<ReplyWord>, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < words.len() {
            // Two words read together first ("du tout", "plus la"), then one.
            let pair = words.get(i + 1).map(|next| format!("{} {}", words[i].1, next.1));
            let (kind, width) = match pair.as_deref().and_then(|p| t.reply_words.get(p)) {
                Some(k) => (Some(*k), 2),
                None => (t.reply_words.get(words[i].1).copied(), 1),
            };
            out.push((kind, i));
            i += width;
        }
        out
    };
    if kinds(&words).iter().any(|(k, _)| *k == Some(ReplyWord::Never)) {
        return false;
    }
    // Tastes in ONISEP's terms (`data/interests.tsv`: "les animaux", "cuisiner") answer the
    // assistant's question on what the person likes.
    let tastes: Vec<std::ops::Range<usize>> = t.interests.iter().flat_map(|(_, re)| re.find_iter(plain).map(|m| m.range())).collect();
    let before = words.len();
    words.retain(|(at, _)| !tastes.iter().any(|r| r.contains(at)));
    says_something |= words.len() < before;
    for (kind, i) in kinds(&words) {
        match kind {
            Some(ReplyWord::Reply) => says_something = true,
            Some(ReplyWord::Filler) => {}
            Some(ReplyWord::Never) => return false,
            None if words[i].1.chars().all(|c| c.is_ascii_digit()) => {}
            None => return false,
        }
    }
    says_something
}

/// Whether a message asks for something else than what it names ("véto c'est trop dur, y a
/// d'autres pistes ?", "je veux pas être prof, autre chose ?").
/// Whether a message turns down the course the person is in ("je suis en CAP cuisine mais c'est
/// pas pour moi").
pub fn turns_down_a_course(message: &str) -> bool {
    let plain = normalise(message);
    tables().cues.iter().any(|(c, re)| *c == Cue::CourseRejected && re.is_match(&plain))
}

/// Whether the writer says they are an adult at work or looking for work (`adulte` in
/// `data/profile.tsv`): an age of 18 or more, a job held for years, unemployment, a career
/// change.
pub fn is_working_adult(message: &str) -> bool {
    let plain = normalise(message);
    let plain = plain.trim();
    tables().cues.iter().any(|(c, re)| *c == Cue::WorkingAdult && re.is_match(plain)) || opens_with_a_job_held_for_years(plain)
}

/// "Chauffeur routier depuis 12 ans, …": a job named first, held for years. The words before
/// "depuis" must name no person ("on me harcèle depuis 2 ans" is no job).
fn opens_with_a_job_held_for_years(plain: &str) -> bool {
    const PERSONS: &[&str] =
        &["je", "j", "me", "m", "on", "il", "elle", "ils", "elles", "tu", "te", "t", "nous", "vous", "se", "s", "ca", "c", "mon", "ma", "mes"];
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^([a-z' -]{2,40}?) depuis (?:\d+|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|quinze|vingt) ans\b").expect("valid pattern")
    });
    re.captures(plain).and_then(|c| c.get(1)).is_some_and(|job| !job.as_str().split(|c: char| !c.is_alphanumeric()).any(|w| PERSONS.contains(&w)))
}

/// Whether the message has a word of despair (`desespoir` in `data/profile.tsv`), not only of
/// weariness.
pub fn speaks_of_despair(message: &str) -> bool {
    let plain = normalise(message);
    tables().cues.iter().any(|(c, re)| *c == Cue::Despair && re.is_match(&plain))
}

/// Whether the message speaks of choosing a course, a track or a job (`choix` in
/// `data/profile.tsv`).
pub fn speaks_of_an_orientation_choice(message: &str) -> bool {
    let plain = normalise(message);
    tables().cues.iter().any(|(c, re)| *c == Cue::Choice && re.is_match(&plain))
}

pub fn asks_for_alternatives(message: &str) -> bool {
    let plain = normalise(message);
    tables().cues.iter().any(|(c, re)| *c == Cue::Alternatives && re.is_match(&plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(m: &str) -> Profile {
        Profile::read(m, &Question::read(m))
    }

    #[test]
    fn working_conditions_are_ruled_out_where_the_clause_says_so() {
        let c = |m: &str| read(m).avoided_conditions;
        assert_eq!(c("Notre fils répare tout, par contre il refuse catégoriquement de travailler de nuit."), vec!["travailler la nuit"]);
        assert_eq!(c("jveux pas bosser le we ni la nuit"), vec!["travailler la nuit", "travailler le week-end"]);
        assert_eq!(c("un métier sans horaires décalés, avec des enfants"), vec!["avoir des horaires décalés"]);
        assert_eq!(c("j'aime construire des trucs mais j'ai le vertige"), vec!["travailler en hauteur"]);
        assert_eq!(c("mon dos lâche, un métier moins dur ?"), vec!["porter des charges lourdes"]);
        // Wanting regular hours rules out nights and shifts.
        assert_eq!(c("quitter l'hôpital pour un métier avec des horaires normaux"), vec!["avoir des horaires décalés"]);
        assert_eq!(c("le labo me saoule, je veux voir des gens"), vec!["travailler en laboratoire"]);
        // Said plainly, or negated in another clause, the same words rule nothing out.
        assert!(c("j'aimerais travailler dehors, la nuit ça me va").is_empty());
        assert!(c("jsp quoi faire je veux bosser dehors").is_empty());
        assert!(c("je veux pas faire de longues études et j'aime bosser dehors").is_empty());
        assert!(c("un métier sans diplôme où je bouge dehors").is_empty());
        // Long sitting is left to the tastes: ROME marks it on too few desk jobs.
        assert!(c("je veux pas rester assis toute la journée").is_empty());
    }

    #[test]
    fn a_metier_whose_rome_contexts_hold_a_condition_ruled_out_is_not_admitted() {
        let doc = |conditions: &[&str]| Document {
            facts: retrieval::Facts { conditions: conditions.iter().map(|c| c.to_string()).collect(), ..Default::default() },
            ..Document::bare("MET.1", retrieval::Kind::Metier, "boulanger")
        };
        let p = read("il refuse de travailler de nuit");
        assert!(!p.admits(&doc(&["Station debout prolongée", "Travail de nuit"])));
        assert!(p.admits(&doc(&["Station debout prolongée"])));
        assert!(read("il aime bricoler").admits(&doc(&["Travail de nuit"])));
        // A profile sent back keeps only the conditions the table knows.
        let sent = Profile { avoided_conditions: vec!["travailler la nuit".into(), "n'importe quoi".into()], ..Default::default() };
        assert_eq!(sent.sanitised().avoided_conditions, vec!["travailler la nuit"]);
    }

    #[test]
    fn one_s_own_disability_is_not_a_wish_to_help_others() {
        let helping = "je veux être utile aux autres";
        assert!(read("je voudrais travailler avec des enfants en situation de handicap").interests.iter().any(|i| i == helping));
        assert!(!read("j'ai un handicap et j'aime les animaux, quels métiers ?").interests.iter().any(|i| i == helping));
    }

    #[test]
    fn a_teacher_s_own_subject_is_not_the_pupil_s_taste() {
        let p = read("Je suis professeur de SVT en collège. Un de mes élèves est fasciné par les volcans et les tremblements de terre : quels métiers ?");
        assert!(p.interests.iter().any(|i| i == "j'aime bien faire des expériences") && p.interests.iter().any(|i| i == "j'aime la nature"), "{p:?}");
        let p = read("Je suis prof de maths en lycée, une élève adore dessiner, que lui conseiller ?");
        assert!(!p.interests.iter().any(|i| i == "j'aime jongler avec les chiffres"), "{p:?}");
    }

    #[test]
    fn a_working_adult_is_read_from_an_age_a_job_held_for_years_or_unemployment() {
        for m in [
            "33 ans, je travaille à la chaîne en usine",
            "Chauffeur routier depuis 12 ans, je veux un boulot de jour",
            "j'ai 41 ans et je veux changer",
            "Au chômage depuis 6 mois, un peu perdu",
            "je suis aide-soignante depuis quinze ans",
            "Maman au foyer depuis 10 ans",
        ] {
            assert!(is_working_adult(m), "{m}");
        }
        for m in [
            "lycéenne, 17 ans, je veux être infirmière",
            "j'ai 15 ans et je suis en 3e",
            "je veux changer de voie après ma L1",
            "on me harcèle depuis 2 ans",
            "je suis en 3e depuis septembre",
        ] {
            assert!(!is_working_adult(m), "{m}");
        }
    }

    #[test]
    fn what_is_excepted_from_nothing_is_liked() {
        let cooking = read("rien me plait a lecole sauf faire la cuisine, quel cap ?");
        assert!(!cooking.interests.is_empty() && cooking.avoided.is_empty(), "{cooking:?}");
        let p = read("j'aime tout sauf la cuisine");
        assert!(p.interests.is_empty() && !p.avoided.is_empty(), "{p:?}");
    }

    #[test]
    fn a_course_s_field_word_is_its_name_not_a_taste() {
        let commerce = "je veux travailler dans le commerce";
        assert!(read("après un bac pro commerce, on fait quoi ?").interests.is_empty());
        assert!(read("je veux faire un BTS vente, ça mène à quoi ?").interests.is_empty());
        // The field said as such is still a taste.
        assert!(read("je veux faire un bac pro dans le commerce, quels métiers ?").interests.iter().any(|i| i == commerce));
        assert!(read("j'adore la vente, je vais en bac pro commerce").interests.iter().any(|i| i == commerce));
    }

    #[test]
    fn not_necessarily_rules_nothing_out() {
        let p = read("ma fille aimerait servir son pays, mais pas forcément dans la police");
        assert!(p.avoided.is_empty(), "{p:?}");
        assert!(!read("ma fille aimerait servir son pays, mais pas dans la police").avoided.is_empty());
    }

    #[test]
    fn a_taste_followed_by_weariness_is_avoided_not_liked() {
        let contact = "j'ai le sens du contact";
        let p = read("Vendeuse depuis 12 ans, le contact client m'épuise. Je cherche un métier concret.");
        assert!(!p.interests.iter().any(|i| i == contact) && p.avoided.iter().any(|i| i == contact), "{p:?}");
        assert!(read("j'adore le contact avec les gens").interests.iter().any(|i| i == contact));
    }

    #[test]
    fn replies_to_the_assistant_s_questions_are_short_replies() {
        for m in [
            "ouais grave",
            "Non, pas trop.",
            "en 2nde pro",
            "chui en 4e",
            "je suis en 1re spé maths",
            "plutôt près de chez moi",
            "ok merci c'est compris",
            "des études courtes si possible",
            "et après ?",
            "oui l'alternance ça me tente",
            "nan pa du tout",
            "je suis en terminale stmg",
            // Where the person lives, any place written with a capital.
            "on habite un petit village de l'Aveyron",
            "à Saint-Pierre, en Martinique",
            "pres de Vannes",
            "la deuxième option svp",
            "plutôt l'anglais que la philo",
            "elle hésite entre les deux",
        ] {
            assert!(is_short_reply(m, &[]), "{m}");
        }
        // A capital word is a place only after a word of place, and never hides a word of distress.
        for m in ["je suis seule à Paris", "dans la cave de Marc", "Kevin me frappe à Lyon", "Kourou"] {
            assert!(!is_short_reply(m, &[]), "{m}");
        }
    }

    #[test]
    fn words_of_feeling_are_read_whatever_else_is_said() {
        for m in [
            "j'aime les chevaux mais plus rien n'a de sens",
            "jadore dessiner, chui tjr toute seule",
            "j'ai peur",
            "je suis épuisée",
            "je vais mal",
            "ça me stresse",
        ] {
            assert!(speaks_of_a_mood(m), "{m}");
        }
        for m in [
            "j'aime pas mal le dessin et réparer des trucs",
            "jveux gagner ma vie vite, j'adore la cuisine",
            "j'aime l'aide aux personnes âgées",
            "j'adore faire des coupes à mes copines",
        ] {
            assert!(!speaks_of_a_mood(m), "{m}");
        }
    }

    #[test]
    fn distress_in_few_words_is_never_a_short_reply() {
        for m in [
            "je suis pas bien",
            "je suis plus là",
            "merci pour tout",
            "merci et adieu",
            "non ça va pas",
            "jpp",
            "plus jamais",
            "je sais plus",
            "plus de maison",
            "au secours",
            "à quoi bon",
            "je veux plus",
            "oui il me frappe",
            "je veux plus être là",
            "je suis en danger",
            "pas trop bien",
            "je m'aime pas",
            "j'habite plus chez moi",
            "il est en danger",
            "pas un bot stp",
            "un vrai humain",
            "conseillère svp",
            "le contact humain svp",
            "pas",
            "et",
            "oui oui oui oui oui oui oui oui oui",
        ] {
            assert!(!is_short_reply(m, &[]), "{m}");
        }
    }

    #[test]
    fn a_fiche_named_alone_or_with_reply_words_is_a_reply() {
        // Names as the index finds them in the message (`Searcher::named_with_names`).
        let names = ["boulanger".to_string(), "aide soignant".to_string(), "aide".to_string()];
        assert!(is_short_reply("boulanger", &names[..1]));
        assert!(is_short_reply("aide-soignant, ça m'intéresse", &names[1..2]));
        assert!(is_short_reply("ma fille est en 5e", &[]) && is_short_reply("Mes élèves sont en 4e.", &[]));
        assert!(is_short_reply("le deuxième m'intéresse", &[]) && is_short_reply("il faut le bac ?", &[]));
        // A short common word is not a name; "never" words stand beside a name too.
        assert!(!is_short_reply("aide moi", &names[2..]));
        assert!(!is_short_reply("boulanger je suis nul", &names[..1]));
        assert!(!is_short_reply("boulanger ou rien", &names[..1]));
    }

    #[test]
    fn every_reply_word_is_in_the_rails_plain_form() {
        // A word the normaliser rewrites into words that are not here could never match.
        let words = &tables().reply_words;
        for w in words.keys() {
            let plain = normalise(w);
            assert!(
                plain.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).all(|t| words.contains_key(t) || w.contains(' ')),
                "reply-words.tsv: {w} reads as {plain}"
            );
        }
        for row in guardrails::data::rows(REPLY_WORDS).filter(|r| r.get(1) == Some(&"lead")) {
            assert_eq!(normalise(row[0]), row[0], "reply-words.tsv: the lead {}", row[0]);
        }
    }

    #[test]
    fn every_label_is_one_of_onisep_s_27() {
        assert_eq!(interest_labels().len(), 27);
    }

    #[test]
    fn tastes_in_everyday_words_and_sms_map_to_onisep_interests() {
        let p = read("jsp quoi faire, je kiffe les chevaux et g envie de bosser dehors");
        assert!(p.interests.contains(&"je veux m'occuper d'animaux".to_string()), "{p:?}");
        assert!(p.interests.contains(&"j'aimerais travailler dehors".to_string()), "{p:?}");
        let p = read("Notre fille aime le contact et les langues, que peut-elle envisager ?");
        assert_eq!(p.interests, vec!["j'ai le sens du contact", "j'aime les langues"]);
        assert_eq!(address("Notre fille aime le contact"), Address::Vous);
        assert_eq!(address("j'aime le contact"), Address::Tu);
        // "tout le monde" is everyone, not the world.
        assert_eq!(read("tout le monde a une idée sauf moi, j'aime bien aider les gens").interests, vec!["je veux être utile aux autres"]);
        assert!(read("je veux voir le monde et parler anglais").interests.contains(&"je rêve de travailler à l'étranger".to_string()));
        // Being discouraged is no taste for decoration; working metal is working with one's hands.
        let p = read("j'aime souder et travailler le métal, mais je suis un peu découragé");
        assert_eq!(p.interests, vec!["je veux travailler de mes mains"], "{p:?}");
        assert!(read("j'adore la déco et la décoration d'intérieur").interests.contains(&"je rêve d'un métier artistique".to_string()));
        // Beauty work is done with one's hands, and hair and make-up are an art too.
        let p = read("moi jaime la coiffure et le maquillage");
        assert_eq!(p.interests, vec!["je veux travailler de mes mains", "je rêve d'un métier artistique"], "{p:?}");
        assert_eq!(read("je kiffe faire les ongles de mes copines").interests, vec!["je veux travailler de mes mains"]);
    }

    #[test]
    fn the_diploma_paths_should_be_reached_with_is_a_limit() {
        for (m, level) in [
            ("quels métiers accessibles avec un CAP pour une élève qui aime les autres ?", Level::Cap),
            ("ils veulent partir en CAP mais ne savent pas lequel", Level::Cap),
            ("il veut travailler tout de suite après son bac, sans études supérieures", Level::Bac),
            ("des pistes avec un bac pro ?", Level::Bac),
            ("quelles réorientations possibles avec un BTS au maximum ?", Level::Bac2),
            ("je cherche des métiers proches accessibles avec une licence", Level::Bac3),
            // "bac +2" is not "bac".
            ("des métiers accessibles avec un bac +2 ?", Level::Bac2),
            ("quels métiers accessibles directement après la 3e ?", Level::Cap),
            ("ma fille adore les enfants mais veut s'arrêter au bac", Level::Bac),
            ("qu'est-ce que je peux faire d'autre juste avec mon bac ?", Level::Bac),
            ("j'adore le labo mais je me vois pas faire une thèse, bac+5 maximum", Level::Bac5),
            ("je vise un truc court après le bac, dans le social", Level::Bac2),
            ("dans le bien-être, mais sans passer trois ans en école", Level::Bac2),
            // A plain limit wins over "pas de longues études".
            ("il aime les chevaux, pas de longues études, le bac au maximum", Level::Bac),
            ("un CAP au maximum, je veux vite travailler", Level::Cap),
            ("un BTS max, j'aime le contact", Level::Bac2),
        ] {
            assert_eq!(read(m).max_level, Some(level), "{m}");
        }
        assert_eq!(read("je suis en bac pro commerce et j'aime vendre").max_level, None);
    }

    #[test]
    fn what_a_parent_or_teacher_says_of_themselves_is_not_the_child_s_taste() {
        let p = read("Je suis comptable et mon fils ne veut surtout pas faire comme moi. Lui, c'est le sport et le plein air.");
        assert!(!p.interests.iter().any(|i| i == "j'aime jongler avec les chiffres"), "{p:?}");
        assert!(p.interests.iter().any(|i| i == "le sport est ma passion"), "{p:?}");
        // Said of oneself, with no one else spoken of, it stays a taste.
        assert!(read("je suis à l'aise avec les chiffres, quels métiers ?").interests.iter().any(|i| i == "j'aime jongler avec les chiffres"));
        // A clause that speaks of the child too is kept.
        let p = read("je suis inquiète car mon fils adore les animaux");
        assert!(p.interests.iter().any(|i| i == "je veux m'occuper d'animaux"), "{p:?}");
    }

    #[test]
    fn a_course_turned_down_is_read_as_such() {
        assert!(turns_down_a_course("chui en bac pro vente mais c pas pour moi, koi d'autre ?"));
        assert!(turns_down_a_course("Il est en CAP cuisine et il déteste ça."));
        assert!(asks_for_alternatives("jsuis en cap mais ya koi dautre ?"));
        // A job turned down is not the course.
        assert!(!turns_down_a_course("En master de lettres, je ne veux pas enseigner. Quels métiers en dehors de l'enseignement ?"));
    }

    #[test]
    fn a_place_to_work_is_named_with_what_follows_the_wish() {
        assert!(names_where_to_work("J'aimerais travailler dans un aéroport, une idée de métier ?"));
        assert!(names_where_to_work("jveu bosser sur les bateaux de croisière"));
        for vague in ["je veux travailler dans un métier qui bouge", "travailler en alternance, des idées ?", "je sais pas quoi faire"] {
            assert!(!names_where_to_work(vague), "{vague}");
        }
    }

    #[test]
    fn situations_open_questions_and_alternatives_in_more_words() {
        // A relative's job and a diploma already held are situations.
        assert!(situation_text("Mon père est plombier et il voudrait que je reprenne sa boîte").contains("plombier"));
        assert!(situation_text("Mon fils a son CAP de menuisier, il ne veut plus faire ça").contains("menuisier"));
        assert!(situation_text("Enseignante en lycée pro, section ASSP. D'autres idées ?").contains("enseignante"));
        // Out of work, and the work one did most: where the person is.
        let jobless = "Au chômage depuis 6 mois. J'ai surtout fait de la manutention. Vers quoi aller ?";
        assert!(situation_text(jobless).contains("chomage") && situation_text(jobless).contains("manutention"));
        assert!(beside_situations(jobless).contains("vers quoi"));
        // The other clauses keep what is asked or wished.
        let (ask, own) = ("Serveur depuis 4 ans, je m'intéresse au métier de barman", "Serveur depuis 4 ans");
        assert!(situation_text(ask).contains("serveur") && !situation_text(ask).contains("barman"));
        assert!(beside_situations(ask).contains("barman") && !beside_situations(ask).contains("serveur"), "{}", beside_situations(own));
        // A pastime kept up for years is a taste.
        let p = read("Je fais de l'équitation depuis 8 ans et j'aimerais en faire mon métier");
        assert!(p.interests.iter().any(|i| i == "je veux m'occuper d'animaux"), "{p:?}");
        for open in [
            "g 14 ans et jsais pas ce que jveux faire plus tard",
            "elle ne sait pas du tout ce qu'elle veut faire",
            "aidez moi a choisir svp",
            "tro dur de choisir",
            "Existe-t-il des métiers proches avec les animaux ?",
            "Vous voyez quoi d'autre ?",
            "elle veut un métier artistique. Lesquels permettent d'en vivre ?",
            "j'aimerais lui montrer des métiers plus sûrs autour de la vidéo",
            "qu'est-ce que je peux faire d'autre avec mon bac ?",
        ] {
            assert!(asks_for_paths(open), "{open}");
        }
        for other in ["vétérinaire ou ce genre de métiers", "des métiers proches de la psychologie", "quoi d'autre ?", "je veux pas forcément être électricien"]
        {
            assert!(asks_for_alternatives(other), "{other}");
        }
        assert!(!asks_for_paths("combien gagne un plombier ?"));
        // Help to choose something else than a way is not a request for paths.
        assert!(!asks_for_paths("tu peux m'aider à choisir un ordi portable à moins de 600 euros ?"));
        assert!(asks_for_paths("aidez-moi à trouver ma voie"));
        assert!(asks_for_paths("ma fille veut être influenceuse, comment l'orienter vers autre chose ?"));
        // Towards help, a person: no path asked.
        assert!(!asks_for_paths("un élève ne va pas bien, comment l'orienter vers de l'aide ?"));
        assert!(asks_for_alternatives("comment l'orienter vers quelque chose de plus solide ?"));
        assert!(asks_for_alternatives("il veut être footballeur pro, je voudrais un métier plus stable pour lui"));
    }

    #[test]
    fn everyday_paraphrases_of_tastes_are_read() {
        let has = |m: &str, label: &str| read(m).interests.iter().any(|i| i == label);
        assert!(has("elle est très à l'aise avec les gens", "j'ai le sens du contact"));
        assert!(has("j'aimerais rester dans l'aide aux personnes", "je veux être utile aux autres"));
        assert!(has("jkiffe les robots et linfo", "je suis accro au numérique"));
        assert!(has("jaime quand ya de laction", "j'aime les sensations fortes"));
        assert!(has("elle veut un métier de terrain", "j'aimerais travailler dehors"));
        assert!(has("il est minutieux, il monte des maquettes", "je veux travailler de mes mains"));
        assert!(has("il écrit bien et dévore les livres", "J'aime communiquer"));
        assert!(has("jaime bien moccuper de ma grand mere et des gens agés", "je veux être utile aux autres"));
        assert!(has("ce qui me plaît c'est écouter et accompagner les gens", "je veux être utile aux autres"));
        assert!(has("un métier qui sert vraiment aux gens", "je veux être utile aux autres"));
        assert!(has("j'adore l'économie", "j'aime jongler avec les chiffres"));
        assert!(has("jaime bien lelectricite et les trucs techniques", "réparer, bricoler, j'adore ça"));
        // A supplier of electricity is no taste.
        assert!(!has("je veux changer de fournisseur d'électricité", "réparer, bricoler, j'adore ça"));
        // "assez" rules out only as "en avoir assez": a shy person may still love animals.
        let p = read("Je suis assez timide mais j'adore les animaux et la nature");
        assert!(p.interests.iter().any(|i| i == "je veux m'occuper d'animaux"), "{p:?}");
        assert!(read("j'en ai assez des animaux, je veux autre chose").avoided.iter().any(|i| i == "je veux m'occuper d'animaux"));
        // Contact with customers is not a wish to sell; sorting waste is not a taste for
        // organising.
        assert!(!has("j'aime le contact avec les clients", "je veux travailler dans le commerce"));
        assert!(!has("trier les déchets, sauver la planète", "j'aime organiser, gérer"));
        // A teacher who accompanies a pupil says what they do, not what the pupil likes.
        assert!(!has("CPE, j'accompagne un élève qui aime le sport", "je veux être utile aux autres"));
    }

    #[test]
    fn limits_class_apprenticeship_and_rule_outs_are_read() {
        let p = read("je suis en 3e, j'aime cuisiner, je voudrais pas faire de longues études et plutôt en alternance");
        assert_eq!(p.max_level, Some(Level::Bac2));
        assert_eq!(p.class.as_deref(), Some("3e"));
        assert!(p.apprenticeship);
        // The class of the pupil a teacher or parent speaks of.
        assert_eq!(read("J'ai une élève de 3e passionnée par la chimie").class.as_deref(), Some("3e"));
        assert_eq!(read("notre fils de seconde aime les chiffres").class.as_deref(), Some("seconde"));
        // Limits said as a comparison or after the figure.
        assert_eq!(read("j'aime soigner mais avec des études plus courtes").max_level, Some(Level::Bac2));
        assert_eq!(read("j'aime soigner, 3 ans maximum").max_level, Some(Level::Bac3));
        for limit in ["avec des études plus courtes", "3 ans maximum", "pas de longues études", "bac+2 max"] {
            assert!(limits_the_studies(limit), "{limit}");
        }
        for named in ["je peux faire un CAP cuisine ?", "je veux faire un BTS", "2 ans de CAP"] {
            assert!(!limits_the_studies(named), "{named}");
        }
        assert!(p.interests.contains(&"je veux travailler de mes mains".to_string()));
        // A number of years ruled out, "ni" for "pas".
        assert_eq!(read("j'adore les chiens mais je veux pas faire 6 ans d'étude").max_level, Some(Level::Bac2));
        assert_eq!(read("elle aime la chimie mais ne veut ni faire d'études longues ni devenir prof").max_level, Some(Level::Bac2));
        let p = read("j'aime aider les gens mais surtout pas dans un bureau");
        assert!(p.avoided.contains(&"j'aime organiser, gérer".to_string()), "{p:?}");
        assert!(p.interests.contains(&"je veux être utile aux autres".to_string()));
        // Ruling out the medical rules out the health sector's jobs.
        let p = read("j'aime aider les gens, mais tout sauf le médical : le sang et les hôpitaux, non merci");
        assert!(p.avoided.contains(&"ma vocation est de soigner".to_string()) && p.excluded.contains(&"sante".to_string()), "{p:?}");
        let p = read("j'aime pas les animaux, je préfère les maths");
        assert!(p.avoided.contains(&"je veux m'occuper d'animaux".to_string()), "{p:?}");
        assert!(p.interests.contains(&"j'aime jongler avec les chiffres".to_string()));
        // "plus" compares unless a verb says "no more".
        let p = read("je voudrais un métier plus calme avec des chiffres");
        assert!(p.interests.contains(&"j'aime jongler avec les chiffres".to_string()), "{p:?}");
        let p = read("je n'aime plus les chiffres, je veux bouger");
        assert!(p.avoided.contains(&"j'aime jongler avec les chiffres".to_string()), "{p:?}");
        // A domain ruled out does not undo the taste it belongs to.
        let p = read("il veut travailler avec ses mains, mais surtout pas le bâtiment");
        assert!(p.interests.contains(&"je veux travailler de mes mains".to_string()), "{p:?}");
        assert!(p.avoided.is_empty() && p.excluded.iter().any(|e| e.contains("batiment")), "{p:?}");
        // Low marks say nothing of the level accepted.
        let p = read("j'ai des notes bof, j'aime bricoler");
        assert!(p.shorter_first && p.max_level.is_none());
    }

    #[test]
    fn a_later_message_refines_the_profile_and_a_client_s_copy_is_bounded() {
        let first = read("j'aime les animaux");
        let p = first.updated_with(read("plutôt des études courtes"));
        assert_eq!(p.max_level, Some(Level::Bac2));
        assert_eq!(p.interests, vec!["je veux m'occuper d'animaux"]);
        let sent = Profile { interests: vec!["j'aime bouger".into(), "n'importe quoi".into()], excluded: vec!["x".repeat(200)], ..Default::default() };
        let clean = sent.sanitised();
        assert_eq!(clean.interests, vec!["j'aime bouger"]);
        assert!(clean.excluded.is_empty());
    }

    #[test]
    fn open_questions_are_told_from_questions_about_one_fiche() {
        assert!(asks_for_paths("jsp quoi faire plus tard"));
        assert!(asks_for_paths("c quoi les métiers pour qqn qui aime les chiffres"));
        assert!(!asks_for_paths("combien gagne un plombier"));
        // The subject after the verb, with or without its hyphen.
        assert!(asks_for_paths("Il adore les chiffres. Que pourrait-il faire ?"));
        assert!(asks_for_paths("qu'est-ce qu'elle peut faire avec un bac pro ?"));
        assert!(asks_for_paths("que peut on faire apres un cap"));
        // A teacher or a parent asking what to advise.
        assert!(asks_for_paths("Une élève adore la biologie, mais pas comme médecin. Que lui conseiller ?"));
        assert!(asks_for_paths("licence STAPS, je veux pas être prof, autres idées ?"));
        assert!(asks_for_paths("il nage à haut niveau mais veut un plan B dans le sport"));
        assert!(asks_for_paths("en master de droit, pas avocat, autre chose ?"));
        assert!(asks_for_alternatives("je veux pas être prof, autre chose ?") && asks_for_alternatives("j'ai envie de faire autre chose que la compta"));
        // "ou autre chose" asks which of two, not for another job.
        assert!(!asks_for_alternatives("Le quotidien d'un ARC, c'est surtout du labo ou autre chose ?"));
        assert!(!asks_for_paths("Que lui faut-il pour devenir infirmier ?"));
    }

    #[test]
    fn wishes_about_work_are_read() {
        assert!(says_a_wish("j'aimerais bosser dans le ciné"));
        // Staying in a field, or moving on from one's job, is a wish too.
        assert!(says_a_wish("je veux rester dans l'écrit et la communication mais ailleurs que dans la presse"));
        assert!(says_a_wish("aide-soignante depuis 12 ans, je veux évoluer"));
        // "j'" before the verb, the kind of work as its object, and a picture of oneself at work.
        assert!(says_a_wish("j'aimerais un boulot avec des horaires fixes"));
        assert!(says_a_wish("après des années à la maison, je voudrais retravailler"));
        assert!(says_a_wish("il se verrait bien dans une cuisine"));
        assert!(says_a_wish("j'aimerais un truc plus calme, avec des chiffres"));
        assert!(says_a_wish("je voudrais faire autre chose de ma vie pro"));
        assert!(!says_a_wish("je me vois bien rester au lit demain"));
        assert!(!says_a_wish("je veux rester chez moi ce week-end"));
    }

    #[test]
    fn an_adult_who_opens_with_their_job_and_age_is_read_as_an_adult() {
        let read = |m: &str| Profile::read(m, &crate::question::Question::read(m)).class;
        assert_eq!(read("Comptable, 45 ans, je veux rester dans les chiffres mais dans le social").as_deref(), Some("adulte"));
        assert_eq!(read("Cadre commercial, 42 ans, je voudrais bosser pour l'environnement").as_deref(), Some("adulte"));
        assert_ne!(read("Boulanger, c'est bien payé ?").as_deref(), Some("adulte"));
        // A teenager giving their age is not an adult.
        assert_ne!(read("salut, 15 ans, j'aime les animaux").as_deref(), Some("adulte"));
        // An age or years in a job said first.
        assert_eq!(read("45 ans, comptable depuis 20 ans, je n'en peux plus des bureaux").as_deref(), Some("adulte"));
        assert_eq!(read("Vendeuse depuis 12 ans, le contact client m'épuise.").as_deref(), Some("adulte"));
        assert_ne!(read("15 ans et je sais pas quoi faire").as_deref(), Some("adulte"));
        assert!(opens_with_own_job("Comptable, 45 ans, je veux changer"));
        // That job is not a taste.
        let p = Profile::read("Vendeur immobilier, 45 ans, je voudrais un métier dehors", &crate::question::Question::read("x"));
        assert!(!p.interests.iter().any(|i| i == "je veux travailler dans le commerce"), "{:?}", p.interests);
        assert!(!opens_with_own_job("en troisieme, 14 ans, je sais pas quoi faire"));
        assert!(!opens_with_own_job("Boulanger en reconversion, c'est possible ?"));
        assert!(after_a_class("je sais pas quoi faire après la 3e") && after_a_class("quoi faire après le bac ?"));
        assert!(!after_a_class("après le bac pro logistique, quels métiers ?") && !after_a_class("Après le bac pro, je peux faire quoi ?"));
        assert!(opens_with_own_job("Infirmière, j'en peux plus des nuits, quoi d'autre ?"));
        assert!(opens_with_own_job("Journaliste, j'en ai marre de la précarité"));
        assert!(!opens_with_own_job("Vétérinaire, j'en rêve depuis petite, quelles études ?"));
    }

    #[test]
    fn apprenticeship_is_a_wish_not_a_question() {
        use crate::question::{Asked, Question};
        let msg = "je kiffe réparer les scooters, je veux un CAP en alternance";
        assert!(Question::read(msg).asks(Asked::Procedure));
        assert!(!Question::read(&without_wish_words(msg)).asks(Asked::Procedure));
        // Asking how to find one stays a procedure.
        let how = "comment trouver un patron pour mon apprentissage ?";
        assert!(Question::read(&without_wish_words(how)).asks(Asked::Procedure));
        // Wishing to earn one's living soon is no question about pay; asking the pay is.
        let soon = "jveux bosser vite et gagner mes sous, jaime bien vendre et parler aux gens";
        assert!(Question::read(soon).asks(Asked::Salary));
        assert!(!Question::read(&without_wish_words(soon)).asks(Asked::Salary));
        assert!(Question::read(&without_wish_words("je veux gagner ma vie vite, combien gagne un vendeur ?")).asks(Asked::Salary));
        // "il veut gagner beaucoup d'argent" is a wish too.
        let rich = "Un élève de seconde me dit qu'il aime négocier, convaincre, et qu'il veut gagner beaucoup d'argent";
        assert!(!Question::read(&without_wish_words(rich)).asks(Asked::Salary));
        // Where a teacher works is their situation, not a question about how a course is taught.
        let teacher = "Je suis prof en lycée pro, section bâtiment. Un élève aimerait se spécialiser dans l'écologie";
        assert!(!Question::read(&without_wish_words(teacher)).asks(Asked::Procedure));
        assert!(Question::read(&without_wish_words("ce BTS se fait en lycée ou en alternance ?")).asks(Asked::Procedure));
    }
}
