//! French personal data recognizers (P9): names of people (anywhere in a sentence: a first-name
//! lexicon plus naming contexts), e-mail addresses (also spelled out: "at", "arobase",
//! "[dot]"), French phone numbers in every written form, postal addresses, dates of birth, INE
//! student numbers, NIR (social security numbers, key checked), IBAN (mod-97 checked),
//! Parcoursup dossier numbers, logins and passwords. Each match is replaced by a typed
//! placeholder before the text reaches the model, the index, the cache or any log.
//!
//! Every span is a byte range on character boundaries of the text given: no input can make
//! redaction slice inside a character.

use crate::data;
use crate::normalise::fold;
use crate::verdict::Span;
use regex::Regex;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::OnceLock;
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Name,
    Email,
    Phone,
    Address,
    Ine,
    Nir,
    Iban,
    BirthDate,
    Dossier,
    Credential,
}

impl PiiKind {
    pub const ALL: [PiiKind; 10] = [
        PiiKind::Name,
        PiiKind::Email,
        PiiKind::Phone,
        PiiKind::Address,
        PiiKind::Ine,
        PiiKind::Nir,
        PiiKind::Iban,
        PiiKind::BirthDate,
        PiiKind::Dossier,
        PiiKind::Credential,
    ];

    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::Name => "[NOM]",
            PiiKind::Email => "[EMAIL]",
            PiiKind::Phone => "[TÉLÉPHONE]",
            PiiKind::Address => "[ADRESSE]",
            PiiKind::Ine => "[INE]",
            PiiKind::Nir => "[NIR]",
            PiiKind::Iban => "[IBAN]",
            PiiKind::BirthDate => "[DATE DE NAISSANCE]",
            PiiKind::Dossier => "[NUMÉRO DE DOSSIER]",
            PiiKind::Credential => "[IDENTIFIANT]",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PiiMatch {
    pub kind: PiiKind,
    pub span: Span,
}

struct Recognizers {
    email: Regex,
    spelled_email: Regex,
    phone: Regex,
    iban: Regex,
    nir: Regex,
    ine: Regex,
    address: Regex,
    birth_context: Regex,
    date: Regex,
    dossier: Regex,
    credential: Regex,
    handle: Regex,
}

const MONTHS: &str = r"janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre";

fn recognizers() -> &'static Recognizers {
    static R: OnceLock<Recognizers> = OnceLock::new();
    R.get_or_init(|| {
        let re = |p: &str| Regex::new(p).expect("valid PII pattern");
        Recognizers {
            email: re(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b"),
            // "lea.b at gmail dot com", "lea arobase gmail point com", "lea[at]orange[dot]fr"
            spelled_email: re(
                r"(?i)\b[a-z0-9._%+-]+\s*(?:\(at\)|\[at\]|\{at\}|\bat\b|@|\barr?obase\b|\(arr?obase\))\s*[a-z0-9-]+(?:\s*(?:\.|\(dot\)|\[dot\]|\{dot\}|\bdot\b|\bpoint\b|\(point\))\s*[a-z0-9-]+)*\s*(?:\.|\(dot\)|\[dot\]|\{dot\}|\bdot\b|\bpoint\b|\(point\))\s*(?:com|fr|net|org|eu|io|be|ch|info|edu|gouv|ca|co|me|re)\b",
            ),
            // 06 12 34 56 78, 06.12.34.56.78, 06-12-34-56-78, 0612345678, +33 6 12 34 56 78,
            // +33 (0)6 12…, 0033 6…
            phone: re(r"(?:\+\s?33\s?(?:\(0\)\s?)?|\b0033\s?|\b0)[1-9](?:[\s./-]?\d{2}){4}\b"),
            iban: re(r"(?i)\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b"),
            // sex, year, month, department (digits or 2A/2B), commune, order, key
            nir: re(r"\b[12][\s.-]?\d{2}[\s.-]?(?:0[1-9]|1[0-2]|[2-9]\d)[\s.-]?(?:\d{2}|2[ABab])[\s.-]?\d{3}[\s.-]?\d{3}[\s.-]?\d{2}\b"),
            // Identifiant national élève: 10 digits + 1 letter, or 9 digits + 2 letters.
            ine: re(r"(?i)\b(?:\d{10}[A-Z]|\d{9}[A-Z]{2})\b"),
            // Street type, particles, a first word (any case), then capitalised words; optional
            // postcode and town. Case matters here: capitals are what bound a street name.
            address: re(
                r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:[Rr]ue|[Aa]venue|[Aa]v\.|[Bb]oulevard|[Bb]d|[Cc]hemin|[Aa]ll[ée]e|[Pp]lace|[Ii]mpasse|[Rr]oute|[Qq]uai|[Cc]ours|[Ss]quare|[Rr][ée]sidence|[Ll]otissement|[Hh]ameau|[Cc]it[ée]|[Pp]assage|[Ss]entier|[Vv]oie|[Pp]arvis|[Rr]ond-point)\s+(?:(?:de|du|des|la|le|l'|l’|d'|d’)\s*)*[\w'’-]+(?:\s+(?:(?:de|du|des|la|le)\s+)?[A-ZÀ-Ý][\w'’-]*){0,3}(?:,?\s+\d{5}(?:\s+[A-ZÀ-Ý][\w'’-]*(?:[\s-][A-ZÀ-Ý][\w'’-]*)*)?)?|(?i:\blieu[- ]dit|\bappartement|\bappt|\bbâtiment|\bbatiment|\bbât\.)\s+[\w'’-]+(?:\s+[A-ZÀ-Ý][\w'’-]*){0,3}|\b\d{5}\s+[A-ZÀ-Ý][\w'’]*(?:[\s-](?:sur|sous|en|lès|les|le|la|de)?[\s-]?[A-ZÀ-Ý][\w'’]*){0,3}\b",
            ),
            birth_context: re(r"(?i)\b(?:n[ée]e?s?|naissance|ddn|anniversaire|date de naiss\w*)\b\W{0,3}(?:\w+\W+){0,3}$"),
            date: re(&format!(r"(?i)\b\d{{1,2}}\s?[/.-]\s?\d{{1,2}}\s?[/.-]\s?(?:\d{{4}}|\d{{2}})\b|\b\d{{1,2}}(?:er)?\s+(?:{MONTHS})\s+\d{{4}}\b|\b(?:19|20)\d\d-\d{{2}}-\d{{2}}\b|\b\d{{1,2}} \d{{1,2}} (?:19|20)\d\d\b")),
            // "dossier Parcoursup n° 1234567", "mon numéro parcoursup : 12345678"
            dossier: re(r"(?i)\b(?:dossier|parcoursup|candidat|candidature)\b[^\d\n]{0,30}?\b(\d{5,10})\b"),
            // Keywords after which identifiers and secrets follow: "mot de passe : Soleil2009!",
            // "mdp c chaton123", "login MonMaster : j.brunet05", "n° étudiant 21903456",
            // "identifiant France Travail 4587123A", "mon snap c noah_b13".
            credential: re(
                r"(?i)\b(?:mots? de passe|mdp|password|passwd|pwd|pw|codes?(?: secret| confidentiel| pin| d'acc[eè]s)?|identifiants?|login|id|nom d.utilisateur|username|user|pseudo|snap(?:chat)?|insta(?:gram)?|tiktok|discord|compte|numéro|numero|num|matricule|dossier)\b|\bn°",
            ),
            handle: re(r"(?:^|[^\w.@])(@[\w.]{3,})"),
        }
    })
}

/// Capitalised words that follow a naming context without being names.
const NOT_NAMES: &[&str] = &[
    "en",
    "au",
    "aux",
    "un",
    "une",
    "le",
    "la",
    "les",
    "tres",
    "pas",
    "plus",
    "bac",
    "bts",
    "cap",
    "but",
    "dans",
    "nul",
    "nulle",
    "francaise",
    "francais",
    "marocain",
    "marocaine",
    "algerien",
    "algerienne",
    "quoi",
    "comment",
    "vrai",
    "normal",
    "parcoursup",
    "terminale",
    "seconde",
    "premiere",
    "licence",
    "master",
    "paris",
    "lyon",
    "marseille",
    "je",
    "il",
    "elle",
    "on",
    "nous",
    "vous",
    "ils",
    "elles",
    "et",
    "ou",
    "de",
    "du",
    "des",
    "mais",
    "donc",
    "car",
    "ni",
    "si",
    "ce",
    "cet",
    "cette",
    "ces",
    "mon",
    "ma",
    "mes",
    "ton",
    "ta",
    "tes",
    "son",
    "sa",
    "ses",
    "notre",
    "votre",
    "leur",
    "qui",
    "que",
    "quel",
    "quelle",
    "est",
    "a",
    "ai",
    "as",
    "suis",
    "es",
    "sommes",
    "sont",
    "bonjour",
    "salut",
    "merci",
    "madame",
    "monsieur",
    "lycee",
    "college",
    "cpe",
    "cio",
    "onisep",
    "pronote",
    "ent",
    "cned",
    "afpa",
    "greta",
    "iut",
    "cfa",
    "bonsoir",
    "coucou",
    "hello",
    "ps",
    "svp",
    "stp",
    "oui",
    "non",
    "ok",
    "daccord",
    "aussi",
    "alors",
    "bref",
    "sinon",
    "voila",
    "ici",
    "la-bas",
    "chez",
    "avec",
    "pour",
    "sans",
    "sur",
    "sous",
    "vers",
    "apres",
    "avant",
    "depuis",
    "pendant",
    "fille",
    "fils",
    "eleve",
    "eleves",
    "prof",
    "professeur",
    "professeure",
    "docteur",
    "maitre",
    "maitresse",
    "directeur",
    "directrice",
    "mme",
    "mlle",
    "mr",
    "m",
    "france",
    "travail",
    "emploi",
    "nationale",
    "national",
    "education",
    "onisep",
    "sncf",
    "ratp",
    "armee",
    "marine",
    "police",
    "gendarmerie",
];

/// How strongly a context announces a name (data/name-cues.tsv).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cue {
    /// Only a known first name, any case ("c yanis").
    Known,
    /// A known first name, or a capitalised word ("je suis Karim").
    Person,
    /// Any word but a common one ("je m'appelle priya").
    Naming,
}

struct NameLexicon {
    first: HashSet<String>,
    last: HashSet<String>,
    excluded: HashSet<String>,
    common: HashSet<String>,
    cues: Vec<(Vec<String>, Cue)>,
}

fn lexicon() -> &'static NameLexicon {
    use fake::locales::{Data, DE_DE, EN, FR_FR, IT_IT, PT_BR, PT_PT};
    static L: OnceLock<NameLexicon> = OnceLock::new();
    L.get_or_init(|| {
        let mut first: HashSet<String> = HashSet::new();
        for list in
            [FR_FR::NAME_FIRST_NAME, EN::NAME_FIRST_NAME, DE_DE::NAME_FIRST_NAME, IT_IT::NAME_FIRST_NAME, PT_BR::NAME_FIRST_NAME, PT_PT::NAME_FIRST_NAME]
        {
            first.extend(list.iter().map(|n| fold(n)));
        }
        first.extend(data::words(data::FIRST_NAMES_EXTRA).map(fold));
        let mut last: HashSet<String> = HashSet::new();
        for list in [FR_FR::NAME_LAST_NAME, PT_PT::NAME_LAST_NAME, IT_IT::NAME_LAST_NAME] {
            last.extend(list.iter().map(|n| fold(n)));
        }
        let excluded = data::words(data::NAME_EXCLUSIONS).map(fold).collect();
        let mut common: HashSet<String> = data::words(data::COMMON_WORDS).map(fold).collect();
        // SMS spellings and what they stand for are ordinary words too.
        for row in data::rows(data::NORMALISE).filter(|r| r.len() == 2) {
            common.insert(row[0].to_string());
            common.extend(row[1].split_whitespace().map(str::to_string));
        }
        let cues = data::rows(data::NAME_CUES)
            .filter(|r| r.len() == 2)
            .map(|r| {
                let strength = match r[1] {
                    "naming" => Cue::Naming,
                    "person" => Cue::Person,
                    _ => Cue::Known,
                };
                (words(&fold(r[0])).iter().map(|w| w.text.replace('’', "'")).collect(), strength)
            })
            .collect();
        NameLexicon { first, last, excluded, common, cues }
    })
}

/// Compatibility digits (full-width, superscript) read as ASCII; anything else kept.
fn ascii_digits(s: &str) -> String {
    s.nfkc().filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-')).collect::<String>().to_uppercase()
}

fn iban_valid(s: &str) -> bool {
    let compact = ascii_digits(s);
    if !compact.is_ascii() || compact.len() < 15 || compact.len() > 34 {
        return false;
    }
    let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let value = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        rem = if value >= 10 { (rem * 100 + value) % 97 } else { (rem * 10 + value) % 97 };
    }
    rem == 1
}

/// NIR key: 97 - (number mod 97), with Corsica's 2A/2B read as 19/18 and the number lowered by
/// 1,000,000 / 2,000,000 (official rule).
fn nir_valid(s: &str) -> bool {
    let compact = ascii_digits(s);
    if !compact.is_ascii() || compact.len() != 15 {
        return false;
    }
    let (body, key) = compact.split_at(13);
    let corsica = &body[5..7];
    let digits = body.replace("2A", "19").replace("2B", "18");
    let (Ok(n), Ok(k)) = (digits.parse::<u64>(), key.parse::<u64>()) else {
        return false;
    };
    let n = match corsica {
        "2A" => n.saturating_sub(1_000_000),
        "2B" => n.saturating_sub(2_000_000),
        _ => n,
    };
    97 - (n % 97) == k
}

/// A date whose year makes it a young person's or a parent's birth date, not a deadline.
fn birth_year(date: &str) -> bool {
    let digits: Vec<u32> = date.split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse().ok()).collect();
    match digits.last() {
        Some(&y) if y >= 1000 => (1940..=2018).contains(&y),
        _ => false,
    }
}

/// A word of the text with its byte range.
struct Word<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

fn words(text: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        let inside = c.is_alphabetic() || ((c == '-' || c == '\'' || c == '’') && start.is_some());
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let w = text[s..i].trim_end_matches(['-', '\'', '’']);
                // Elisions are words of their own: "d'Eliott" is "d'" + "Eliott".
                match elision(w) {
                    Some(n) => {
                        out.push(Word { text: &w[..n], start: s, end: s + n });
                        out.push(Word { text: &w[n..], start: s + n, end: s + w.len() });
                    }
                    None => out.push(Word { text: w, start: s, end: s + w.len() }),
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Length of an elided article or pronoun at the start of a word ("d'", "l'", "qu'").
fn elision(w: &str) -> Option<usize> {
    let apostrophe = w.find(['\'', '’'])?;
    let head = w[..apostrophe].to_lowercase();
    let tail = &w[apostrophe..];
    let after = apostrophe + tail.chars().next()?.len_utf8();
    let elided = matches!(head.as_str(), "c" | "d" | "j" | "l" | "m" | "n" | "s" | "t" | "qu" | "jusqu" | "lorsqu" | "puisqu");
    (elided && after < w.len()).then_some(after)
}

fn capitalised(w: &str) -> bool {
    let mut chars = w.chars();
    chars.next().is_some_and(char::is_uppercase) && chars.clone().any(char::is_lowercase)
}

fn all_caps(w: &str) -> bool {
    w.chars().count() >= 2 && w.chars().all(|c| !c.is_lowercase())
}

/// Words before a capitalised name that make it an institution or a place ("lycée Victor
/// Hugo", "rue Jean Jaurès", "à Nancy").
const NOT_A_PERSON_BEFORE: &[&str] = &[
    "a",
    "en",
    "au",
    "aux",
    "vers",
    "sur",
    "pres",
    "dans",
    "sous",
    "lycee",
    "college",
    "ecole",
    "universite",
    "fac",
    "faculte",
    "institut",
    "iut",
    "campus",
    "rue",
    "avenue",
    "boulevard",
    "place",
    "allee",
    "impasse",
    "quai",
    "chemin",
    "route",
    "square",
    "cite",
    "residence",
    "prix",
    "fondation",
    "centre",
    "hopital",
    "clinique",
    "stade",
    "gare",
    "musee",
    "salle",
    "bibliotheque",
    "mediatheque",
    "groupe",
    "lycees",
    "colleges",
    "ecoles",
    "saint",
    "sainte",
    "st",
    "ste",
];

/// Names of people: a known first name written with a capital, or a word right after a
/// naming context ("ma fille inès", "je m'appelle Salomé", "c yanis"), with the family names
/// that follow, and the names listed after one ("Yanis, Chloé et Mamadou").
fn find_names(text: &str, add: &mut dyn FnMut(PiiKind, usize, usize)) {
    let lex = lexicon();
    let ws = words(text);
    let folded: Vec<String> = ws.iter().map(|w| fold(w.text).replace('’', "'")).collect();
    // Every part of a compound ("Jean-Pierre", "lou-anne") is a first name.
    let known = |i: usize| folded[i].split('-').all(|p| lex.first.contains(p));
    let excluded = |i: usize| lex.excluded.contains(folded[i].as_str()) || folded[i].split('-').any(|p| lex.excluded.contains(p));
    // An elided article or pronoun ("c'", "l'") is never a name: "qu'on m'appelle, c'est…".
    let common = |i: usize| {
        NOT_NAMES.contains(&folded[i].as_str()) || lex.common.contains(folded[i].as_str()) || folded[i].chars().count() < 2 || folded[i].ends_with('\'')
    };
    // The strongest naming cue ending right before word i (punctuation between is allowed).
    let cue = |i: usize| {
        // "M. Dupuis": a capital M and a full stop.
        if i > 0 && ws[i - 1].text == "M" && text[ws[i - 1].end..].starts_with('.') {
            return Some(Cue::Naming);
        }
        lex.cues
            .iter()
            .filter(|(words, _)| {
                let n = words.len();
                n <= i && folded[i - n..i].iter().zip(words).all(|(w, c)| w == c.trim_end_matches([':', ',']))
            })
            .map(|(_, c)| *c)
            .max()
    };
    let separated_by_space = |a: usize, b: usize| text[ws[a].end..ws[b].start].chars().all(char::is_whitespace);
    // A place or an institution named after a person: "à Nancy", "lycée (professionnel)
    // Louise Michel", "rue Jean Jaurès".
    let institution_before = |i: usize| {
        let lower_before = i > 0
            && separated_by_space(i - 1, i)
            && NOT_A_PERSON_BEFORE.contains(&folded[i - 1].as_str())
            && ws[i - 1].text.chars().next().is_some_and(char::is_lowercase);
        let named_after = (1..=2).any(|k| {
            i >= k
                && (i - k..i).all(|j| separated_by_space(j, j + 1))
                && matches!(
                    folded[i - k].as_str(),
                    "lycee"
                        | "college"
                        | "ecole"
                        | "rue"
                        | "avenue"
                        | "boulevard"
                        | "place"
                        | "universite"
                        | "iut"
                        | "institut"
                        | "campus"
                        | "groupe"
                        | "fondation"
                        | "prix"
                )
        });
        lower_before || named_after
    };
    let mut i = 0;
    let mut last_name_end: Option<usize> = None;
    while i < ws.len() {
        let w = &ws[i];
        let caps = capitalised(w.text) || (all_caps(w.text) && w.text.chars().count() >= 3);
        // A list of people: "Yanis, Chloé et Mamadou", "Lina Haddad, Maxime Petit et…"
        let listed = last_name_end.is_some_and(|j| {
            let gap = fold(text[ws[j].end..w.start].trim());
            (j + 1 == i && matches!(gap.as_str(), "," | ";" | "/" | "&" | ", et" | "." | ".," | "et"))
                || (j + 2 == i && matches!(folded[j + 1].as_str(), "et" | "ou") && text[ws[j].end..ws[j + 1].start].trim().is_empty())
        }) && (caps || known(i));
        let followed_by_surname = i + 1 < ws.len() && separated_by_space(i, i + 1) && capitalised(ws[i + 1].text) && !common(i + 1);
        let start = !common(i)
            && !institution_before(i)
            && (listed
                || match cue(i) {
                    Some(Cue::Naming) => true,
                    Some(Cue::Person) => known(i) || caps,
                    Some(Cue::Known) => known(i),
                    None => known(i) && capitalised(w.text) && (!excluded(i) || followed_by_surname),
                });
        if !start {
            // The capitalised words of an institution's name are not people either.
            if caps && institution_before(i) {
                while i + 1 < ws.len()
                    && separated_by_space(i, i + 1)
                    && (capitalised(ws[i + 1].text) || matches!(folded[i + 1].as_str(), "de" | "du" | "des" | "la" | "le"))
                {
                    i += 1;
                }
            }
            i += 1;
            continue;
        }
        // Family names: capitalised or upper-case words right after, an initial ("Justine
        // B."), or, after a name written in lower case, the next uncommon word.
        let lower_name = !capitalised(w.text);
        let mut end = i;
        while end + 1 < ws.len() && end - i < 3 && separated_by_space(end, end + 1) && !common(end + 1) {
            let next = &ws[end + 1];
            let initial = next.text.chars().count() == 1 && next.text.chars().all(char::is_uppercase) && text[next.end..].starts_with('.');
            let surname = capitalised(next.text)
                || (all_caps(next.text) && next.text.chars().count() >= 3)
                || initial
                || (lower_name
                    && next.text.chars().all(char::is_lowercase)
                    && (lex.last.contains(folded[end + 1].as_str()) || !known(end + 1))
                    && next.text.chars().count() >= 3
                    && cue(i).is_some());
            if !surname {
                break;
            }
            end += 1;
        }
        let stop = if text[ws[end].end..].starts_with('.') && ws[end].text.chars().count() == 1 { ws[end].end + 1 } else { ws[end].end };
        add(PiiKind::Name, w.start, stop);
        last_name_end = Some(end);
        i = end + 1;
    }
}

/// Services named between a keyword and the identifier ("mdp Parcoursup ilovechats").
const PLATFORMS: &[&str] = &[
    "parcoursup",
    "pronote",
    "ent",
    "educonnect",
    "moodle",
    "affelnet",
    "monmaster",
    "messervices",
    "ecole",
    "directe",
    "france",
    "travail",
    "caf",
    "crous",
    "de",
    "du",
    "l'ent",
    "mon",
    "ma",
    "le",
    "la",
];

/// Public registers whose codes name a job, a diploma or a school (folded).
const PUBLIC_REGISTERS: &[&str] = &["rome", "rncp", "rs", "cnis", "uai", "rne", "naf", "ape", "formacode", "onisep"];

/// School and everyday tokens with digits that are not identifiers ("3e", "bac+2", "L1").
fn ordinary_token(t: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = R.get_or_init(|| {
        Regex::new(r"(?i)^(?:\d{1,3}(?:e|er|re|ere|eme|ème|nde|de|h|ans?|k|€|%|x)?|bac\+?\d*|l\d|m\d|s\d|\d[a-z]\d?|(?:19|20)\d\d|\d{1,2}[/.-]\d{1,2}|but\d?|bts\d?|[a-n]\d{4}|rncp\d+)$").expect("valid token pattern")
    });
    re.is_match(t)
}

/// Identifiers and secrets in the few tokens after a keyword: tokens mixing letters with
/// digits or symbols, five digits or more, or (after a password keyword and "c'est", ":"…)
/// the first uncommon word.
fn identifiers_after(text: &str, from: usize, keyword: &str) -> Vec<(usize, usize)> {
    let k = fold(keyword);
    let secret = k.starts_with("mot") || k == "mdp" || k.starts_with("pass") || k == "pwd" || k == "pw" || k.starts_with("code");
    // Keywords after which a plain word is the identifier ("identifiant : jmlefort").
    let naming = secret
        || k.starts_with("identifiant")
        || matches!(k.as_str(), "login" | "id" | "username" | "user" | "pseudo" | "nom d'utilisateur")
        || k.starts_with("snap")
        || k.starts_with("insta")
        || k == "tiktok"
        || k == "discord";
    let rest = &text[from..];
    let mut out = Vec::new();
    let mut offset = 0;
    let mut after_separator = false;
    let mut after_public_register = false;
    for (n, raw) in rest.split_whitespace().enumerate() {
        let pos = rest[offset..].find(raw).map(|p| offset + p).unwrap_or(offset);
        offset = pos + raw.len();
        if n >= 9 {
            break;
        }
        let token = raw.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')' | '"' | '«' | '»')).trim_end_matches(['.', '?']);
        let lead = raw.find(token).unwrap_or(0);
        if token.is_empty() {
            continue;
        }
        let f = fold(token);
        if matches!(f.as_str(), ":" | "=" | "c'est" | "c" | "cest" | "est" | "sont" | "->" | "=>" | "/") {
            after_separator = true;
            continue;
        }
        let digits = token.chars().filter(char::is_ascii_digit).count();
        let letters = token.chars().filter(|c| c.is_alphabetic()).count();
        let symbols = token.chars().filter(|c| !c.is_alphanumeric()).count();
        let looks_like_id = !ordinary_token(token)
            && token.chars().count() >= 4
            && ((digits >= 1 && (letters >= 1 || symbols >= 1)) || digits >= 5 || (letters >= 2 && token.contains(['_', '.', '@']) && !token.ends_with('.')));
        if PLATFORMS.contains(&f.as_str()) {
            continue;
        }
        // A public code follows its register's name ("code ROME M1805", "numéro RNCP 35340",
        // "UAI 0750655E"): a job's, a diploma's or a school's, never a person's.
        if PUBLIC_REGISTERS.contains(&f.as_str()) {
            after_public_register = true;
            continue;
        }
        if after_public_register {
            after_public_register = false;
            if digits >= 1 {
                continue;
            }
        }
        let uncommon = letters >= 3 && !lexicon().common.contains(f.as_str()) && !NOT_NAMES.contains(&f.as_str());
        // "le code c'est ma drogue" speaks of coding: after a bare "code", only a token that
        // looks like an identifier is one.
        let bare_code = matches!(k.as_str(), "code" | "codes");
        let plain_secret = naming && !bare_code && uncommon && (after_separator || (secret && !k.starts_with("code") && n <= 1));
        if looks_like_id || plain_secret {
            let start = from + pos + lead;
            out.push((start, start + token.len()));
            after_separator = false;
        } else {
            // A secret comes right after "c'est" or ":", not a few words later ("c'est quel
            // métier ?").
            if letters >= 1 && !PLATFORMS.contains(&f.as_str()) {
                after_separator = false;
            }
            if letters >= 1 && out.is_empty() && n >= 4 {
                // Far from the keyword and nothing found: the sentence has moved on.
                break;
            }
        }
    }
    out
}

/// Every personal datum found, without overlaps, in text order.
pub fn find(text: &str) -> Vec<PiiMatch> {
    let r = recognizers();
    let mut found: Vec<PiiMatch> = Vec::new();
    let mut add = |kind: PiiKind, start: usize, end: usize| {
        debug_assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
        if start < end && !found.iter().any(|m| start < m.span.end && m.span.start < end) {
            found.push(PiiMatch { kind, span: Span { start, end } });
        }
    };
    for m in r.email.find_iter(text) {
        add(PiiKind::Email, m.start(), m.end());
    }
    for m in r.spelled_email.find_iter(text) {
        add(PiiKind::Email, m.start(), m.end());
    }
    for m in r.iban.find_iter(text) {
        if iban_valid(m.as_str()) {
            add(PiiKind::Iban, m.start(), m.end());
        }
    }
    for m in r.nir.find_iter(text) {
        if nir_valid(m.as_str()) {
            add(PiiKind::Nir, m.start(), m.end());
        }
    }
    for m in r.ine.find_iter(text) {
        add(PiiKind::Ine, m.start(), m.end());
    }
    for m in r.phone.find_iter(text) {
        add(PiiKind::Phone, m.start(), m.end());
    }
    for c in r.dossier.captures_iter(text) {
        if let Some(g) = c.get(1) {
            add(PiiKind::Dossier, g.start(), g.end());
        }
    }
    for m in r.date.find_iter(text) {
        let before = &text[..m.start()];
        let context_start = before.char_indices().rev().nth(40).map(|(i, _)| i).unwrap_or(0);
        if r.birth_context.is_match(&before[context_start..]) || birth_year(m.as_str()) {
            add(PiiKind::BirthDate, m.start(), m.end());
        }
    }
    for k in r.credential.find_iter(text) {
        for (start, end) in identifiers_after(text, k.end(), k.as_str()) {
            add(PiiKind::Credential, start, end);
        }
    }
    for c in r.handle.captures_iter(text) {
        if let Some(g) = c.get(1) {
            add(PiiKind::Credential, g.start(), g.end());
        }
    }
    for m in r.address.find_iter(text) {
        add(PiiKind::Address, m.start(), m.end());
    }
    find_names(text, &mut add);
    found.sort_by_key(|m| m.span.start);
    found
}

/// The text with each personal datum replaced by its typed placeholder.
pub fn redact(text: &str) -> (String, Vec<PiiMatch>) {
    let found = find(text);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in &found {
        out.push_str(&text[last..m.span.start]);
        out.push_str(m.kind.placeholder());
        last = m.span.end;
    }
    out.push_str(&text[last..]);
    (out, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(t: &str) -> Vec<PiiKind> {
        find(t).into_iter().map(|m| m.kind).collect()
    }

    #[test]
    fn each_recognizer_finds_its_kind() {
        assert_eq!(redact("mon mail c'est lea.martin08@example.com ok").0, "mon mail c'est [EMAIL] ok");
        assert_eq!(redact("tél 06 39 98 12 34.").0, "tél [TÉLÉPHONE].");
        assert_eq!(kinds("appelle le +33 6 12 34 56 78"), vec![PiiKind::Phone]);
        assert_eq!(kinds("0612345678"), vec![PiiKind::Phone]);
        assert_eq!(redact("j'habite 14 rue des Tilleuls 93200 Saint-Denis, et").0, "j'habite [ADRESSE], et");
        assert_eq!(redact("Je suis Karim Benali, 17 ans").0, "Je suis [NOM], 17 ans");
        assert_eq!(redact("Bonjour je m'appelle Léa Martin, mon").0, "Bonjour je m'appelle [NOM], mon");
        assert_eq!(redact("moi c Clémence, je suis en terminale").0, "moi c [NOM], je suis en terminale");
        assert_eq!(redact("Mon fils João est en seconde").0, "Mon fils [NOM] est en seconde");
        assert_eq!(redact("c Paris ou Lyon ?").0, "c Paris ou Lyon ?");
        assert_eq!(redact("slt c'est Salma, je suis en 3e").0, "slt c'est [NOM], je suis en 3e");
        assert_eq!(kinds("mon INE 1234567890A"), vec![PiiKind::Ine]);
    }

    #[test]
    fn names_anywhere_in_a_sentence() {
        assert_eq!(redact("pour Yanis, Chloé et Mamadou quel BTS ?").0, "pour [NOM], [NOM] et [NOM] quel BTS ?");
        assert_eq!(redact("ma fille inès veut faire médecine").0, "ma fille [NOM] veut faire médecine");
        assert_eq!(redact("est-ce que Lucas Bernard peut faire un CAP").0, "est-ce que [NOM] peut faire un CAP");
        assert_eq!(redact("je m'appelle Lea          Martin").0, "je m'appelle [NOM]");
        assert_eq!(redact("Je m'appelle Chloé  Dupré").0, "Je m'appelle [NOM]");
        assert_eq!(redact("j'habite à Nancy et je vise la Marine nationale").0, "j'habite à Nancy et je vise la Marine nationale");
        // A greeting then "c'est": a self-introduction, whatever the name's origin.
        assert_eq!(redact("Salut, c'est Thao. Je suis en 3e").0, "Salut, c'est [NOM]. Je suis en 3e");
        assert_eq!(redact("slt c Duc, jsuis en 4e").0, "slt c [NOM], jsuis en 4e");
        assert_eq!(redact("Salut, c'est Ngoc Anh.").0, "Salut, c'est [NOM].");
        assert_eq!(redact("salut c'est nul les maths").0, "salut c'est nul les maths");
        assert_eq!(redact("je voudrais qu'on m'appelle, c'est possible ?").0, "je voudrais qu'on m'appelle, c'est possible ?");
    }

    #[test]
    fn spelled_out_contacts_and_identifiers() {
        assert_eq!(redact("écris à lea.b at gmail dot com").0, "écris à [EMAIL]");
        assert_eq!(redact("lea arobase orange point fr").0, "[EMAIL]");
        assert_eq!(redact("lea[at]orange[dot]fr").0, "[EMAIL]");
        assert_eq!(kinds("0033 6 12 34 56 78"), vec![PiiKind::Phone]);
        assert_eq!(kinds("06-12-34-56-78"), vec![PiiKind::Phone]);
        assert_eq!(kinds("+33 (0)6 12 34 56 78"), vec![PiiKind::Phone]);
        assert_eq!(redact("née le 12/03/2009 à Lille").0, "née le [DATE DE NAISSANCE] à Lille");
        assert_eq!(redact("né le 3 mars 2010").0, "né le [DATE DE NAISSANCE]");
        assert_eq!(redact("les vœux avant le 12/03/2026").0, "les vœux avant le 12/03/2026");
        assert_eq!(redact("mon dossier parcoursup n° 1234567").0, "mon dossier parcoursup n° [NUMÉRO DE DOSSIER]");
        assert_eq!(redact("mon mdp c'est Soleil2009! aide moi").0, "mon mdp c'est [IDENTIFIANT] aide moi");
        assert_eq!(redact("j'ai perdu mon mot de passe est-ce grave").0, "j'ai perdu mon mot de passe est-ce grave");
    }

    #[test]
    fn public_codes_and_coding_are_no_identifiers() {
        for text in [
            "le code ROME K2111, c'est quel métier ?",
            "la fiche RNCP 34825 dit quoi sur les blocs ?",
            "le code UAI 0750655E c'est quel lycée ?",
            "le code c'est ma passion, je veux être développeur",
        ] {
            assert_eq!(redact(text).0, text, "{text}");
        }
        // A secret still follows its keyword, and an identifier after a public code's number.
        assert_eq!(redact("mon code c'est 4587A2").0, "mon code c'est [IDENTIFIANT]");
        assert_eq!(redact("mon mdp: chatonrose").0, "mon mdp: [IDENTIFIANT]");
    }

    #[test]
    fn checksums_separate_real_numbers_from_lookalikes() {
        // A valid French test IBAN, then the same with one digit changed.
        assert_eq!(kinds("IBAN FR76 3000 6000 0112 3456 7890 189"), vec![PiiKind::Iban]);
        assert!(!kinds("IBAN FR76 3000 6000 0112 3456 7890 188").contains(&PiiKind::Iban));
        let key = 97 - (1850578006084u64 % 97);
        let nir = format!("1 85 05 78 006 084 {key:02}");
        assert_eq!(kinds(&format!("mon numéro de sécu {nir}")), vec![PiiKind::Nir]);
        assert_eq!(kinds(&format!("sécu {}", nir.replace(' ', ""))), vec![PiiKind::Nir]);
        let wrong = format!("1 85 05 78 006 084 {:02}", (key + 1) % 97);
        assert!(!kinds(&wrong).contains(&PiiKind::Nir));
    }

    #[test]
    fn wide_and_odd_characters_never_panic() {
        for t in [
            "FR１２ ABCD EFGH IJKL MNOP",
            "FR７６ ３０００ ６０００ ０１１２ ３４５６ ７８９０ １８９",
            "Je m'appelle Chloé  Dupré",
            "je m'appelle Éé\u{301}  Ÿ",
            "１ ８５ ０５ ７８ ００６ ０８４ ３６",
        ] {
            let _ = redact(t);
        }
    }

    #[test]
    fn ordinary_orientation_text_is_left_alone() {
        for t in [
            "Je suis en Terminale et je veux faire un BTS",
            "Quelle différence entre un BTS et un BUT ?",
            "je suis une fille et je veux faire un bac pro MELEC",
            "Le salaire est de 1 950 euros brut par mois en 2024",
            "J'ai 17 ans et je vis à Lyon",
            "Quelles études pour travailler dans la Marine ?",
            "Comment devenir conseiller principal d'éducation ?",
        ] {
            assert!(find(t).is_empty(), "{t}: {:?}", find(t));
        }
    }
}
