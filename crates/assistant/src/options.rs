//! A diploma offered in several options or parcours. ONISEP writes one fiche for each ("BUT
//! gestion des entreprises et des administrations parcours gestion comptable, fiscale et
//! financière", "BTS services informatiques aux organisations option A …"), so a question about
//! the diploma ("un BUT GEA ça dure combien ?") finds one of them, or two cards that say the
//! same. The card keeps one and says which options exist; a question that names an option
//! ("BTS SIO option SLAM") gets that one alone, and one that compares them gets both.

use retrieval::{Document, Kind};

/// Words that introduce a fiche's option in its title, with their plural.
const PARTS: &[(&str, &str)] = &[(" parcours ", "parcours"), (" option ", "options"), (" mention ", "mentions"), (" spécialité ", "spécialités")];
/// Options named at most in the card's line.
pub const LISTED: usize = 6;

/// A fiche's title read as a diploma and one of its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionOf<'t> {
    /// "BUT gestion des entreprises et des administrations".
    pub diploma: &'t str,
    /// " parcours " (with its spaces, as in the title).
    pub part: &'static str,
    pub plural: &'static str,
    /// "gestion comptable, fiscale et financière".
    pub own: &'t str,
}

/// The diploma and the option a title names, split at its last option word. A degree named
/// by its type alone ("master mention sociologie", "licence pro mention …") is no diploma with
/// options: each mention is a degree of its own.
pub fn split(title: &str) -> Option<OptionOf<'_>> {
    let of = PARTS
        .iter()
        .filter_map(|(part, plural)| title.rfind(part).map(|at| (at, *part, *plural)))
        .max_by_key(|(at, _, _)| *at)
        .map(|(at, part, plural)| OptionOf { diploma: &title[..at], part, plural, own: &title[at + part.len()..] })?;
    (words(of.diploma).iter().filter(|w| w.chars().count() >= 4).count() >= 2).then_some(of)
}

/// The other options of the same diploma in the index, in title order.
pub fn siblings<'d>(doc: &Document, all: impl Iterator<Item = &'d Document>) -> Vec<&'d Document> {
    let Some(of) = split(&doc.title).filter(|_| doc.kind == Kind::Formation) else { return Vec::new() };
    let prefix = format!("{}{}", of.diploma, of.part);
    let mut out: Vec<&Document> = all.filter(|d| d.kind == Kind::Formation && d.id != doc.id && d.title.starts_with(&prefix)).collect();
    out.sort_by(|a, b| a.title.cmp(&b.title));
    out
}

/// Whether the question names this option rather than the diploma: a word of the option's
/// own name ("ressources humaines"), or the fiche named by the question when a sibling is not
/// ("BTS SIO option SLAM": the sigle names option B only). `named`: the fiches the question
/// names.
pub fn names_the_option(question: &str, doc: &Document, siblings: &[&Document], named: &[String]) -> bool {
    let Some(of) = split(&doc.title) else { return false };
    let diploma_words = words(of.diploma);
    let asked = words(question);
    let own_said = words(of.own).iter().any(|w| !diploma_words.contains(w) && asked.contains(w));
    let named_alone = named.contains(&doc.id) && siblings.iter().any(|s| !named.contains(&s.id));
    own_said || named_alone
}

/// The card's item that names the options: "Parcours de ce diplôme (4) : …".
pub fn line(doc: &Document, siblings: &[&Document]) -> Option<String> {
    let of = split(&doc.title)?;
    if siblings.is_empty() {
        return None;
    }
    let mut owns: Vec<&str> = std::iter::once(doc).chain(siblings.iter().copied()).filter_map(|d| split(&d.title).map(|o| o.own)).collect();
    owns.sort_unstable();
    owns.dedup();
    let n = owns.len();
    let listed = owns.iter().take(LISTED).copied().collect::<Vec<_>>().join(" ; ");
    let more = if n > LISTED { " ; …" } else { "" };
    let mut label = of.plural.to_string();
    label[..1].make_ascii_uppercase();
    Some(format!("{label} de ce diplôme ({n}) : {listed}{more}"))
}

/// Folded words of three letters or more.
fn words(text: &str) -> Vec<String> {
    retrieval::french::fold(text).split(|c: char| !c.is_alphanumeric()).filter(|w| w.chars().count() >= 3).map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course(id: &str, title: &str) -> Document {
        Document::bare(id, Kind::Formation, title)
    }

    #[test]
    fn a_title_splits_into_its_diploma_and_its_option() {
        let t = "BTS services informatiques aux organisations option B solutions logicielles et applications métiers";
        let of = split(t).unwrap();
        assert_eq!(
            (of.diploma, of.plural, of.own),
            ("BTS services informatiques aux organisations", "options", "B solutions logicielles et applications métiers")
        );
        // The last option word: a speciality's mention is the mention.
        let of = split("BPJEPS spécialité éducateur sportif mention activités du cyclisme").unwrap();
        assert_eq!((of.diploma, of.own), ("BPJEPS spécialité éducateur sportif", "activités du cyclisme"));
        assert!(split("CAP charpentier bois").is_none());
        assert!(split("master mention sociologie").is_none() && split("licence pro mention métiers de l'animation sociale").is_none());
    }

    #[test]
    fn the_options_of_a_diploma_are_listed_unless_the_question_names_one() {
        let gea = [
            course("FOR.1", "BUT gestion des entreprises et des administrations parcours gestion comptable, fiscale et financière"),
            course("FOR.2", "BUT gestion des entreprises et des administrations parcours gestion et pilotage des ressources humaines"),
            course("FOR.3", "BUT gestion administrative et commerciale des organisations"),
        ];
        let siblings = siblings(&gea[1], gea.iter());
        assert_eq!(siblings.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), vec!["FOR.1"]);
        let item = line(&gea[1], &siblings).unwrap();
        assert_eq!(item, "Parcours de ce diplôme (2) : gestion comptable, fiscale et financière ; gestion et pilotage des ressources humaines");
        assert!(!names_the_option("un BUT GEA ça dure combien d'années ?", &gea[1], &siblings, &[]));
        assert!(names_the_option("le BUT GEA parcours ressources humaines, ça débouche sur quoi ?", &gea[1], &siblings, &[]));
        // Named alone by a sigle; both named by a name they share.
        assert!(names_the_option("BTS SIO option SLAM", &gea[1], &siblings, &["FOR.2".into()]));
        assert!(!names_the_option("BTS SIO", &gea[1], &siblings, &["FOR.2".into(), "FOR.1".into()]));
        assert!(line(&gea[2], &[]).is_none());
    }
}
