//! Words young people shorten ("prof", "kiné", "véto"): spelled out before searching, so that
//! an informal question finds the fiches its full form would.

use std::collections::HashMap;
use std::sync::OnceLock;

const SHORT_FORMS: &[(&str, &str)] = &[
    ("prof", "professeur"),
    ("profs", "professeurs"),
    ("kiné", "kinésithérapeute"),
    ("kine", "kinésithérapeute"),
    ("véto", "vétérinaire"),
    ("veto", "vétérinaire"),
    ("ingé", "ingénieur"),
    ("inge", "ingénieur"),
    ("archi", "architecte"),
    ("psy", "psychologue"),
    ("éduc", "éducateur"),
    ("educ", "éducateur"),
    ("compta", "comptabilité"),
    ("info", "informatique"),
    ("tech", "technicien"),
    ("technico", "technicien"),
    ("méca", "mécanique"),
    ("meca", "mécanique"),
    ("élec", "électricité"),
    ("elec", "électricité"),
    ("ostéo", "ostéopathe"),
    ("osteo", "ostéopathe"),
    ("dev", "développeur"),
];

fn table() -> &'static HashMap<&'static str, &'static str> {
    static T: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    T.get_or_init(|| SHORT_FORMS.iter().copied().collect())
}

/// The text with shortened words spelled out (whole words only, any case).
pub fn spell_out(text: &str) -> String {
    crate::french::replace_words(text, |w| table().get(w.to_lowercase().as_str()).map(|s| s.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_forms_are_spelled_out_as_whole_words() {
        assert_eq!(super::spell_out("je veux devenir prof des écoles ou kiné"), "je veux devenir professeur des écoles ou kinésithérapeute");
        assert_eq!(super::spell_out("un professeur"), "un professeur");
        assert_eq!(super::spell_out("Véto !"), "vétérinaire !");
    }
}
