//! French personal data recognizers (P9): names the user gives, e-mail addresses, French phone
//! numbers, postal addresses, INE student numbers, NIR (social security numbers, key checked),
//! IBAN (mod-97 checked). Each match is replaced by a typed placeholder before the text reaches
//! the model, the index, the cache or any log.

use crate::verdict::Span;
use regex::Regex;
use serde::Serialize;
use std::sync::OnceLock;

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
}

impl PiiKind {
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::Name => "[NOM]",
            PiiKind::Email => "[EMAIL]",
            PiiKind::Phone => "[TÉLÉPHONE]",
            PiiKind::Address => "[ADRESSE]",
            PiiKind::Ine => "[INE]",
            PiiKind::Nir => "[NIR]",
            PiiKind::Iban => "[IBAN]",
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
    phone: Regex,
    iban: Regex,
    nir: Regex,
    ine: Regex,
    address: Regex,
    name_intro: Regex,
}

fn recognizers() -> &'static Recognizers {
    static R: OnceLock<Recognizers> = OnceLock::new();
    R.get_or_init(|| Recognizers {
        email: Regex::new(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}\b").unwrap(),
        // 06 12 34 56 78, 06.12.34.56.78, 0612345678, +33 6 12 34 56 78, 0033 6…
        phone: Regex::new(r"(?:\+33\s?|0033\s?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b").unwrap(),
        iban: Regex::new(r"(?i)\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b").unwrap(),
        // sex, year, month, department (digits or 2A/2B), commune, order, key
        nir: Regex::new(r"\b[12]\s?\d{2}\s?(?:0[1-9]|1[0-2]|[2-9]\d)\s?(?:\d{2}|2[AB])\s?\d{3}\s?\d{3}\s?\d{2}\b").unwrap(),
        // Identifiant national élève: 10 digits + 1 letter, or 9 digits + 2 letters.
        ine: Regex::new(r"(?i)\b(?:\d{10}[A-Z]|\d{9}[A-Z]{2})\b").unwrap(),
        // Street type, particles, a first word (any case), then capitalised words; optional
        // postcode and town. Case matters here: capitals are what bound a street name.
        address: Regex::new(
            r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:[Rr]ue|[Aa]venue|[Aa]v\.|[Bb]oulevard|[Bb]d|[Cc]hemin|[Aa]ll[ée]e|[Pp]lace|[Ii]mpasse|[Rr]oute|[Qq]uai|[Cc]ours|[Ss]quare|[Rr][ée]sidence|[Ll]otissement|[Hh]ameau)\s+(?:(?:de|du|des|la|le|l'|l’|d'|d’)\s*)*[\w'’-]+(?:\s+(?:(?:de|du|des|la|le)\s+)?[A-ZÀ-Ý][\w'’-]*){0,3}(?:,?\s+\d{5}(?:\s+[A-ZÀ-Ý][\w'’-]*(?:[\s-][A-ZÀ-Ý][\w'’-]*)*)?)?",
        )
        .unwrap(),
        // "je m'appelle Léa Martin", "je suis Karim Benali", "moi c'est Inès", "c'est Salma,",
        // "slt c Salma" (texting), "ma fille Beatriz", "mon fils João"
        name_intro: Regex::new(
            r"(?:[Jj]e m'appelle|[Jj]e m’appelle|[Mm]on nom est|[Mm]on prénom est|[Mm]oi c'est|[Mm]oi c’est|[Jj]e suis|[Cc]'est|[Cc]’est|[Ii]ci|\b[Cc]|(?:[Mm]a|[Nn]otre) (?:fille|sœur|soeur|nièce|niece|élève|eleve)|(?:[Mm]on|[Nn]otre) (?:fils|enfant|frère|frere|neveu|élève|eleve))\s+((?:[A-ZÀ-Ý][a-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?)(?:\s+[A-ZÀ-Ý][A-Za-zà-ÿ]+(?:-[A-ZÀ-Ý][a-zà-ÿ]+)?){0,2})",
        )
        .unwrap(),
    })
}

/// Capitalised words that follow "je suis" / "c'est" without being names.
const NOT_NAMES: &[&str] = &[
    "En",
    "Au",
    "Aux",
    "Un",
    "Une",
    "Le",
    "La",
    "Les",
    "Très",
    "Pas",
    "Plus",
    "Bac",
    "Bts",
    "Cap",
    "Dans",
    "Nul",
    "Nulle",
    "Française",
    "Français",
    "Marocain",
    "Marocaine",
    "Algérien",
    "Algérienne",
    "Quoi",
    "Comment",
    "Vrai",
    "Normal",
    "Parcoursup",
    "Terminale",
    "Seconde",
    "Première",
    "Licence",
    "Master",
    "Paris",
    "Lyon",
    "Marseille",
    "Je",
    "Il",
    "Elle",
];

fn iban_valid(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    if compact.len() < 15 || compact.len() > 34 {
        return false;
    }
    let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let digits = if c.is_ascii_digit() {
            c.to_string()
        } else if c.is_ascii_uppercase() {
            (c as u32 - 'A' as u32 + 10).to_string()
        } else {
            return false;
        };
        for d in digits.chars() {
            rem = (rem * 10 + d.to_digit(10).unwrap()) % 97;
        }
    }
    rem == 1
}

/// NIR key: 97 - (number mod 97), with Corsica's 2A/2B counted as 19/18.
fn nir_valid(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.len() != 15 {
        return false;
    }
    let (body, key) = compact.split_at(13);
    let body = body.replace("2A", "19").replace("2B", "18");
    let (Ok(n), Ok(k)) = (body.parse::<u64>(), key.parse::<u64>()) else { return false };
    // The 2A/2B substitution also shifts the number (official rule: subtract 1,000,000 / 2,000,000).
    let n = if compact[5..7] == *"2A" {
        n - 1_000_000
    } else if compact[5..7] == *"2B" {
        n - 2_000_000
    } else {
        n
    };
    97 - (n % 97) == k
}

/// Every personal datum found, without overlaps, in text order.
pub fn find(text: &str) -> Vec<PiiMatch> {
    let r = recognizers();
    let mut found: Vec<PiiMatch> = Vec::new();
    let mut add = |kind: PiiKind, start: usize, end: usize| {
        if !found.iter().any(|m| start < m.span.end && m.span.start < end) {
            found.push(PiiMatch { kind, span: Span { start, end } });
        }
    };
    for m in r.email.find_iter(text) {
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
    for m in r.address.find_iter(text) {
        add(PiiKind::Address, m.start(), m.end().min(text.len()));
    }
    for c in r.name_intro.captures_iter(text) {
        let g = c.get(1).unwrap();
        // Keep only the leading capitalised words that are not common words.
        let words: Vec<&str> = g.as_str().split_whitespace().collect();
        let n = words.iter().take_while(|w| !NOT_NAMES.contains(w)).count();
        if n == 0 {
            continue;
        }
        let len: usize = words[..n].iter().map(|w| w.len()).sum::<usize>() + (n - 1);
        add(PiiKind::Name, g.start(), g.start() + len);
    }
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
    fn checksums_separate_real_numbers_from_lookalikes() {
        // A valid French test IBAN, then the same with one digit changed.
        assert_eq!(kinds("IBAN FR76 3000 6000 0112 3456 7890 189"), vec![PiiKind::Iban]);
        assert!(!kinds("IBAN FR76 3000 6000 0112 3456 7890 188").contains(&PiiKind::Iban));
        // NIR with its key (1 85 05 78 006 084, key 36 computed by the official rule).
        let key = 97 - (1850578006084u64 % 97);
        let nir = format!("1 85 05 78 006 084 {key:02}");
        assert_eq!(kinds(&format!("mon numéro de sécu {nir}")), vec![PiiKind::Nir]);
        let wrong = format!("1 85 05 78 006 084 {:02}", (key + 1) % 97);
        assert!(!kinds(&wrong).contains(&PiiKind::Nir));
    }

    #[test]
    fn ordinary_orientation_text_is_left_alone() {
        for t in [
            "Je suis en Terminale et je veux faire un BTS",
            "C'est quoi la différence entre un BTS et un BUT ?",
            "je suis une fille et je veux faire un bac pro MELEC",
            "Le salaire est de 1 950 euros brut par mois en 2024",
            "J'ai 17 ans et je vis à Lyon",
        ] {
            assert!(find(t).is_empty(), "{t}: {:?}", find(t));
        }
    }
}
