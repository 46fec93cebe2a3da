//! Job titles have a feminine and a masculine form ("coiffeuse", "coiffeur"). A question
//! written in one form must find the same fiches as the other (P4, P5): before searching,
//! feminine forms are mapped to the masculine ones, learned from the corpus's own pairs of
//! titles (`libelle_feminin`, `libelle_masculin`).

use crate::document::Document;
use crate::french::{fold, replace_words};
use std::collections::HashMap;

fn inclusive_suffix() -> &'static regex::Regex {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| regex::Regex::new(r"(\p{L}+)(?:\((?:euse|rice|ère|ere|ne|le|se|e)\)|·(?:euse|rice|ère|ere|ne|le|se|e)(?:·s)?)").expect("valid pattern"))
}

fn slash_pair() -> &'static regex::Regex {
    static R: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    R.get_or_init(|| regex::Regex::new(r"(\p{L}[\p{L}-]*)\s?/\s?(\p{L}[\p{L}-]*)").expect("valid pattern"))
}

#[derive(Debug, Default, Clone)]
pub struct GenderForms {
    /// Lowercased feminine word (with and without accents) → masculine word.
    to_masculine: HashMap<String, String>,
}

/// Two forms of one word share their start ("avocat"/"avocate", "contrôleur"/"contrôleuse");
/// pairs that do not ("femme de chambre"/"valet de chambre") are different words.
fn same_stem(a: &str, b: &str) -> bool {
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    common >= 3 && common * 2 >= a.chars().count().min(b.chars().count())
}

impl GenderForms {
    pub fn from_documents<'a>(docs: impl IntoIterator<Item = &'a Document>) -> Self {
        let mut to_masculine = HashMap::new();
        for d in docs {
            let (Some(f), Some(m)) = (&d.title_feminine, &d.title_masculine) else { continue };
            let (f, m) = (f.to_lowercase(), m.to_lowercase());
            let fw: Vec<&str> = f.split(|c: char| !c.is_alphanumeric() && c != '-').filter(|w| !w.is_empty()).collect();
            let mw: Vec<&str> = m.split(|c: char| !c.is_alphanumeric() && c != '-').filter(|w| !w.is_empty()).collect();
            if fw.len() != mw.len() {
                continue;
            }
            for (a, b) in fw.iter().zip(&mw) {
                if a != b && same_stem(a, b) {
                    to_masculine.entry(a.to_string()).or_insert_with(|| b.to_string());
                    to_masculine.entry(fold(a)).or_insert_with(|| b.to_string());
                }
            }
        }
        GenderForms { to_masculine }
    }

    pub fn len(&self) -> usize {
        self.to_masculine.len()
    }

    pub fn is_empty(&self) -> bool {
        self.to_masculine.is_empty()
    }

    /// The text with feminine job-title words in their masculine form; inclusive spellings
    /// ("avocat(e)", "avocat·e", "avocat/avocate") become the one form.
    pub fn neutralise(&self, text: &str) -> String {
        let text = inclusive_suffix().replace_all(text, "$1");
        let text = replace_words(&text, |w| self.to_masculine.get(&w.to_lowercase()).cloned());
        // "avocat/avocate" is now "avocat/avocat": one word is enough.
        slash_pair()
            .replace_all(&text, |c: &regex::Captures| if c[1].to_lowercase() == c[2].to_lowercase() { c[1].to_string() } else { c[0].to_string() })
            .into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(f: &str, m: &str) -> Document {
        Document {
            id: "MET.0".into(),
            kind: crate::document::Kind::Metier,
            title: m.into(),
            title_feminine: Some(f.into()),
            title_masculine: Some(m.into()),
            synonyms: vec![],
            summary: String::new(),
            sections: vec![],
            links: vec![],
            rome_codes: vec![],
            facts: Default::default(),
            url: String::new(),
            date: String::new(),
            source: String::new(),
        }
    }

    #[test]
    fn feminine_titles_map_to_masculine_ones() {
        let docs = [
            doc("contrôleuse aérienne", "contrôleur aérien"),
            doc("avocate", "avocat"),
            doc("femme de chambre", "valet de chambre"),
            doc("professeure des écoles", "professeur des écoles"),
        ];
        let g = GenderForms::from_documents(&docs);
        assert_eq!(g.neutralise("Je veux devenir contrôleuse aérienne !"), "Je veux devenir contrôleur aérien !");
        assert_eq!(g.neutralise("avocate ou professeure des ecoles ?"), "avocat ou professeur des ecoles ?");
        assert_eq!(g.neutralise("devenir Avocate"), "devenir avocat");
        assert_eq!(g.neutralise("une femme de chambre"), "une femme de chambre", "different words are not paired");
        assert_eq!(g.neutralise("devenir avocat/avocate"), "devenir avocat");
        assert_eq!(g.neutralise("avocat(e) ou contrôleur·euse"), "avocat ou contrôleur");
        assert_eq!(g.neutralise("CAP ou BTS/BUT"), "CAP ou BTS/BUT");
    }
}
