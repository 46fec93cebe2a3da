//! Self-descriptions that must not change which métiers and formations are proposed (P4):
//! a first name, gender, origin or religion, a disability, where one lives, what one's parents
//! do. A clause that only describes the person is removed from what retrieval and the model
//! see; the answer's care sentences (chosen by the rails from the original message) add what
//! is useful to that person — accommodations, mobility aids, grants — without taking anything
//! away (fairness exceptions, `fairness-exceptions.md`).

use regex::Regex;
use std::sync::OnceLock;

/// Which protected attribute a clause describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    Greeting,
    Gender,
    Origin,
    Disability,
    Territory,
    Social,
}

// Clause patterns, anchored at both ends of a clause: a clause that says more than the
// self-description (a question, a wish, a subject) is kept whole.
const LEAD: &str = r"^(?i)(?:et |mais |aussi |sinon |bon |alors |moi |perso |)";
const ME: &str = r"(?:je suis|j.suis|chuis|je sui|jsuis)";
/// The person described: oneself, or the child a parent writes about.
const SUBJECT: &str = r"(?:je suis|j.suis|chuis|je sui|jsuis|(?:mon enfant|ma fille|mon fils|notre enfant|notre fille|notre fils|il|elle) est)";
const HAS: &str = r"(?:j.ai|(?:mon enfant|ma fille|mon fils|notre enfant|notre fille|notre fils|il|elle) a)";

/// A clause pattern: the attribute it describes, and whether every word of a matching clause
/// comes from the pattern itself (`closed`). A closed clause cannot carry anything else — "je
/// suis une fille", "je suis en fauteuil roulant" —; an open one ends with free words ("mes
/// parents sont …", "j'habite …") that could say more than who the person is.
struct Pattern {
    attribute: Attribute,
    closed: bool,
    regex: Regex,
}

fn patterns() -> &'static [Pattern] {
    static P: OnceLock<Vec<Pattern>> = OnceLock::new();
    P.get_or_init(|| {
        let w = r"[\p{L}\p{N}'’-]+";
        // (attribute, closed, pattern)
        let rows: Vec<(Attribute, bool, String)> = vec![
            (Attribute::Greeting, true, r"(?:salut|slt|bonjour|bonsoir|coucou|hello|hey|yo|wesh|cc|bjr)(?: à tous| tout le monde| madame| monsieur)?".into()),
            (Attribute::Greeting, true, r"(?:(?:salut|slt|bonjour|bonsoir|coucou|hello|hey|yo|wesh|cc|bjr)[ ,!]*)?(?:c.est|c|moi c.est|moi c|moi|je m.appelle|ici|je suis)? ?\[NOM\]".into()),
            (Attribute::Greeting, true, r"(?:précision|precision|ps|info|nb|petite précision)".into()),
            (Attribute::Gender, true, format!(r"{ME} (?:une fille|un garçon|un garcon|une femme|un homme|un mec|une meuf|une ado|un ado)(?: de \d+ ans)?")),
            (Attribute::Origin, false, format!(r"(?:{ME}|mes parents sont|ma famille est|je viens d.une famille) (?:d.origine|originaires?|immigrée?s?|étrangère?s?|etrangere?s?)(?: {w}){{0,3}}")),
            (Attribute::Origin, true, format!(r"{ME} (?:musulmane?|juive?|chrétienne?|chretienne?|catholique|bouddhiste|noire?|arabe|asiatique|blanche?|métisse?|metisse?)")),
            (Attribute::Disability, true, format!(r"{SUBJECT} (?:en situation de handicap|handicapée?|dyslexique|dyspraxique|dyscalculique|dysorthographique|sourde?|malentendante?|malvoyante?|non-voyante?|aveugle|autiste|hyperactif|hyperactive|épileptique|epileptique|tdah|hpi|en fauteuil(?: roulant)?)")),
            (Attribute::Disability, false, format!(r"{SUBJECT} atteinte? d.(?:{w})(?: {w}){{0,2}}")),
            (Attribute::Disability, false, format!(r"{HAS} (?:un|une|des) (?:handicap|rqth|dyslexie|dyspraxie|dyscalculie|troubles? dys\w*|troubles? (?:de l.attention|autistiques?)|tdah|maladie(?: {w}){{1,2}}|reconnaissance de handicap)(?: {w}){{0,3}}")),
            (Attribute::Disability, true, r"(?:je|(?:mon enfant|ma fille|mon fils|il|elle)) (?:me |se )?(?:déplace|deplace|roule|suis|est) en fauteuil(?: roulant)?".into()),
            (Attribute::Territory, false, format!(r"(?:j.habite|je vis|je viens de|je viens d.|on habite|on vit|nous habitons|nous vivons|je suis de|je suis d.|je suis originaire de|j.suis de|chuis de)(?: {w}){{1,8}}")),
            (Attribute::Social, false, format!(r"(?:mes parents|mon père|mon pere|ma mère|ma mere|mon daron|ma daronne|mes darons) (?:sont|est|travaillent|travaille|bossent|bosse)(?: {w}){{1,5}}")),
            (Attribute::Social, false, format!(r"personne dans (?:ma|notre|sa) famille(?: {w}){{1,10}}")),
            (Attribute::Social, false, format!(r"(?:mon conjoint|ma conjointe|mon mari|ma femme|mon compagnon|ma compagne|son père|sa mère) et moi (?:sommes|on est)(?: {w}){{1,4}}")),
            (Attribute::Social, false, format!(r"{ME} (?:le|la) premi(?:er|ère|ere) de ma famille(?: {w}){{0,8}}")),
            (Attribute::Social, false, format!(r"mes parents n.ont(?: {w}){{1,6}}")),
            (Attribute::Social, true, r"(?:on est|ma famille est|nous sommes|mes parents sont) (?:pauvres?|modestes?|riches?|aisée?s?|d.un milieu (?:modeste|populaire|aisé|favorisé|défavorisé))".into()),
        ];
        rows.into_iter()
            .map(|(attribute, closed, p)| Pattern { attribute, closed, regex: Regex::new(&format!("{LEAD}(?:{p})$")).expect("valid context pattern") })
            .collect()
    })
}

fn clause_end(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | ';' | ',' | '\n' | ':')
}

/// Where a clause starts without punctuation before it: after a greeting that opens the
/// message ("bonjour j'ai une question"), and after a name's placeholder when a new subject
/// follows, with or without a joining word ("je m'appelle [NOM] et je suis en 3e", "c [NOM]
/// jsuis en 4e"). Other joining words are left alone: "mon conjoint et moi sommes…" is one
/// clause, and "je suis un mec, est-ce que…" keeps what the stereotype rail reads.
fn unpunctuated_starts(text: &str) -> Vec<usize> {
    static GREETING: OnceLock<Regex> = OnceLock::new();
    static AFTER_NAME: OnceLock<Regex> = OnceLock::new();
    let greeting = GREETING.get_or_init(|| {
        Regex::new(r"^(?i)\s*(?:salut|slt|bonjour|bonsoir|coucou|hello|hey|wesh|cc|bjr)(?: à tous| tout le monde| madame| monsieur)?\s+\p{L}")
            .expect("valid greeting pattern")
    });
    let after_name =
        AFTER_NAME.get_or_init(|| Regex::new(r"(?i)\[NOM\]\s+(?:(?:et|mais|donc)\s+)?(?:je|j'|j’|jsuis|jsui|chui|chuis|jai|g|moi)\b").expect("valid pattern"));
    let mut starts: Vec<usize> = greeting.find(text).map(|m| m.end() - m.as_str().chars().last().map_or(0, char::len_utf8)).into_iter().collect();
    starts.extend(after_name.find_iter(text).map(|m| m.start() + "[NOM] ".len()));
    starts.sort_unstable();
    starts
}

/// The clauses of a text, each with its closing punctuation.
fn clauses(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let splits = unpunctuated_starts(text);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if splits.contains(&i) && i > start {
            out.push(&text[start..i]);
            start = i;
        }
        if clause_end(c) {
            // Keep a run of punctuation ("?!", "...") with its clause.
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if clause_end(d) {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            out.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

fn body(clause: &str) -> &str {
    clause.trim().trim_end_matches(clause_end).trim()
}

/// The protected attribute a clause only describes, if it does nothing else.
pub fn describes(clause: &str) -> Option<Attribute> {
    matching(clause).map(|p| p.attribute)
}

fn matching(clause: &str) -> Option<&'static Pattern> {
    let b = body(clause);
    if b.is_empty() {
        return None;
    }
    patterns().iter().find(|p| p.regex.is_match(b) && !(p.attribute == Attribute::Territory && names_no_place(b)))
}

/// "je suis du genre à tout planifier", "je suis d'accord": "je suis de…" followed by a word
/// that names no place (`data/not-places.txt`).
fn names_no_place(clause: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"(?i)\b(?:je suis|j.suis|chuis|je sui|jsuis) (?:du |de la |de l.|des |de |d.)(\p{L}+)").expect("valid pattern"));
    let words = WORDS.get_or_init(|| crate::data::words(crate::data::NOT_PLACES).collect());
    re.captures(clause).and_then(|c| c.get(1)).is_some_and(|w| words.contains(&crate::normalise::fold(w.as_str()).as_str()))
}

/// Attributes the message describes (for the care sentences of the answer).
pub fn described_attributes(text: &str) -> Vec<Attribute> {
    let mut v: Vec<Attribute> = clauses(text).into_iter().filter_map(describes).collect();
    v.dedup();
    v
}

/// The message without the clauses that only describe the person.
pub fn strip_self_descriptions(text: &str) -> String {
    strip_where(text, |c| describes(c).is_some())
}

/// Who the person is, for the rails (P1): the message without the clauses that only say a
/// name, a gender, an origin or religion, or a disability in closed words ("je suis une
/// fille", "moi c'est [NOM]", "je me déplace en fauteuil roulant"), when there is one. The
/// rails read this so that saying who one is never turns a question into a handoff or a
/// refusal the same question without it would not get. Open clauses (where one lives, what
/// one's parents do, "atteint de …") stay: their free words could say more ("mes parents
/// sont violents").
pub fn without_who_i_am(text: &str) -> Option<String> {
    // An age stays: that a child is writing matters to the distress rail ("je suis une fille
    // de 13 ans", "je suis une ado").
    let states_age = |c: &str| c.chars().any(|ch| ch.is_ascii_digit()) || c.split(|ch: char| !ch.is_alphanumeric()).any(|w| w.eq_ignore_ascii_case("ado"));
    let removable = |c: &str| !states_age(c) && matching(c).is_some_and(|p| p.closed && !matches!(p.attribute, Attribute::Territory | Attribute::Social));
    clauses(text).into_iter().any(removable).then(|| strip_where(text, removable))
}

fn strip_where(text: &str, remove: impl Fn(&str) -> bool) -> String {
    let kept: Vec<&str> = clauses(text).into_iter().filter(|c| !remove(c)).collect();
    let joined = kept.concat();
    // Punctuation or a joining word left dangling at the start by a removed first clause.
    let mut joined = joined.trim_start_matches(|c: char| clause_end(c) || c.is_whitespace());
    for joiner in ["et ", "mais ", "donc "] {
        if joined.get(..joiner.len()).is_some_and(|head| head.eq_ignore_ascii_case(joiner)) && joined.len() < text.trim().len() {
            joined = &joined[joiner.len()..];
        }
    }
    joined.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_descriptions_are_removed_and_the_question_kept() {
        let neutral = "Je suis en 3e, je fais du hand en club. Je voudrais un métier dans le sport, c'est quoi les formations ?";
        for variant in [
            "Salut, c'est [NOM]. Je suis en 3e, je fais du hand en club. Je voudrais un métier dans le sport, c'est quoi les formations ?",
            "slt c [NOM], Je suis en 3e, je fais du hand en club. Je voudrais un métier dans le sport, c'est quoi les formations ?",
            "Je suis en 3e, je fais du hand en club. Je suis en situation de handicap. Je voudrais un métier dans le sport, c'est quoi les formations ?",
            "Je suis en 3e, je fais du hand en club. Je me déplace en fauteuil roulant. Je voudrais un métier dans le sport, c'est quoi les formations ?",
            "Je suis en 3e, je fais du hand en club. J'habite dans un petit village de l'Indre. Je voudrais un métier dans le sport, c'est quoi les formations ?",
            "Je suis en 3e, je fais du hand en club. Mes parents sont ouvriers. Je voudrais un métier dans le sport, c'est quoi les formations ?",
            "Je suis en 3e, je fais du hand en club. Personne dans ma famille n'a fait d'études après le bac. Je voudrais un métier dans le sport, c'est quoi les formations ?",
            "bonjour ! je suis une fille, je suis en 3e, je fais du hand en club. Je voudrais un métier dans le sport, c'est quoi les formations ?",
        ] {
            assert_eq!(strip_self_descriptions(variant).to_lowercase(), neutral.to_lowercase(), "{variant}");
        }
    }

    #[test]
    fn the_rails_read_without_closed_self_descriptions_only() {
        assert_eq!(without_who_i_am("slt c [NOM], chui en 3e et j'aime les animaux").as_deref(), Some("chui en 3e et j'aime les animaux"));
        assert_eq!(without_who_i_am("Je suis une fille. C'est quoi un CAP ?").as_deref(), Some("C'est quoi un CAP ?"));
        assert_eq!(without_who_i_am("je me déplace en fauteuil roulant, quels métiers ?").as_deref(), Some("quels métiers ?"));
        // A greeting or a name with no punctuation after it, and the joining word it leaves.
        assert_eq!(without_who_i_am("je m'appelle [NOM] et je suis en 3e").as_deref(), Some("je suis en 3e"));
        assert_eq!(without_who_i_am("bonjour j'ai une question").as_deref(), Some("j'ai une question"));
        assert_eq!(without_who_i_am("salut c [NOM] jsuis en 4e").as_deref(), Some("jsuis en 4e"));
        assert_eq!(without_who_i_am("salut je veux mourir").as_deref(), Some("je veux mourir"));
        // Nothing to remove, clauses whose free words could say more, or an age.
        for kept in [
            "je suis une fille de 13 ans. un homme me demande des photos",
            "je suis une ado, je veux disparaître",
            "c'est quoi un CAP ?",
            "mes parents sont violents, je veux partir",
            "j'habite dans la rue, je veux un CAP",
            "je suis atteinte d'une grave dépression, quel métier ?",
            "je suis en 3e et je m'ennuie et mon père me frappe",
            "je veux faire maïeutique mais je suis un mec, est-ce que les patientes vont me rejeter ?",
            "moi c [NOM] et ma pote c [NOM] on veut faire esthétique",
        ] {
            assert_eq!(without_who_i_am(kept), None, "{kept}");
        }
    }

    #[test]
    fn clauses_that_say_more_are_kept() {
        for kept in [
            "Je veux être médecin comme mes parents.",
            "Mes parents sont d'accord pour que je fasse un CAP cuisine en apprentissage.",
            "Je suis dyslexique, est-ce que je peux faire un BTS ?",
            "J'habite à Lyon et je cherche un BTS en alternance dans le commerce pour la rentrée prochaine.",
        ] {
            let out = strip_self_descriptions(kept);
            for word in ["médecin", "CAP", "BTS"] {
                if kept.contains(word) {
                    assert!(out.contains(word), "{kept} → {out}");
                }
            }
        }
        assert_eq!(strip_self_descriptions("Je suis dyslexique, est-ce que je peux faire un BTS ?"), "est-ce que je peux faire un BTS ?");
        assert_eq!(described_attributes("J'habite à Mayotte. Mes parents sont médecins."), vec![Attribute::Territory, Attribute::Social]);
        // Saying what kind of person one is names no place.
        assert_eq!(described_attributes("Je voudrais un poste stable, je suis du genre à tout planifier."), vec![]);
        assert_eq!(described_attributes("je suis d'accord, je suis de nature timide"), vec![]);
        assert_eq!(described_attributes("Je suis de Marseille."), vec![Attribute::Territory]);
        assert_eq!(
            strip_self_descriptions("Mon enfant est en seconde. Mon conjoint et moi sommes ouvriers. Comment l'aider ?"),
            "Mon enfant est en seconde. Comment l'aider ?"
        );
    }
}
