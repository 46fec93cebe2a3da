//! Questions the fiches cannot answer even when they cover the topic: this year's dates and
//! amounts, a named school's admission results, opening days. The fiches are national,
//! dated descriptions; saying so is more honest than letting a small model guess (P2).

use regex::Regex;
use std::sync::OnceLock;

fn patterns() -> &'static [Regex] {
    static P: OnceLock<Vec<Regex>> = OnceLock::new();
    P.get_or_init(|| {
        [
            // A moment: this year, last year, a given school year, a time of day, a date.
            r"(?i)\b(cette ann[ée]e|l'an dernier|l.ann[ée]e derni[èe]re|l.an pass[ée]|rentr[ée]e 20\d\d|en 20\d\d|pour 20\d\d)\b",
            r"(?i)\b(à|a) quelle heure\b|\bquelle date\b|\bquel jour\b|\bc'?est quand\b|\bdate limite\b",
            // Figures that change every year or per school.
            r"(?i)\b(montant exact|combien exactement|exactement combien|barre d'admission|dernier appel[ée]|moyenne minimum|taux de r[ée]ussite (du|de la|au)|portes? ouvertes?)\b",
            // A named establishment: "lycée Gaston-Berger", "université Paris Cité", "CFA de Gramat".
            r"\b(lyc[ée]e|coll[èe]ge|universit[ée]|CFA|IUT|[ée]cole)( agricole| professionnel| polyvalent)?( de| du| d')? ?[A-Z][a-zé]+",
        ]
        .iter()
        .map(|p| Regex::new(p).expect("valid pattern"))
        .collect()
    })
}

/// Does the question ask for time- or place-specific data the fiches do not hold?
pub fn needs_live_data(question: &str) -> bool {
    patterns().iter().any(|p| p.is_match(question))
}

pub const LIVE_DATA_NOTE: &str = "Les fiches de l'Onisep ne donnent pas les dates, les montants de cette année \
ni les résultats d'un établissement précis : pour cela, regarde le site officiel de l'établissement ou \
demande à un conseiller ou une conseillère. Voici ce que disent les fiches :\n\n";

#[cfg(test)]
mod tests {
    use super::needs_live_data;

    #[test]
    fn time_and_place_specific_questions_are_recognised() {
        for q in [
            "C'est quand les portes ouvertes du lycée ?",
            "à quelle heure commence l'épreuve de français du bac ?",
            "Quel est le montant exact de l'aide pour la rentrée 2026 ?",
            "Il fallait quelle moyenne minimum pour entrer à l'IUT de Nantes l'an dernier ?",
            "la barre d'admission en prépa au lycée Henri-IV",
        ] {
            assert!(needs_live_data(q), "{q}");
        }
    }

    #[test]
    fn general_orientation_questions_are_not_flagged() {
        for q in [
            "Quelles formations pour devenir infirmier ?",
            "c quoi le métier de garagiste",
            "bac pro ou CAP pour être boulanger ?",
            "Combien gagne un peintre en bâtiment débutant ?",
            "je veux bosser avec les animaux",
            "Quelle école pour devenir vétérinaire ?",
        ] {
            assert!(!needs_live_data(q), "{q}");
        }
    }
}
