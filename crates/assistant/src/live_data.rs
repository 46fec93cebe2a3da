//! Questions the fiches cannot answer even when they cover the topic: this year's dates, a
//! named school's fees, places, admission rates, rankings, which school teaches what. The
//! fiches are national, dated descriptions; the answer says so at once and where the answer is
//! found (Parcoursup, Affelnet, the school, a counsellor) rather than letting a fiche about
//! something else stand in for it (P2). Patterns are data: `data/live-data.tsv`.

use regex::Regex;
use serde::Serialize;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../data/live-data.tsv");

/// What kind of data outside the fiches a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveData {
    /// This year's calendar: Parcoursup, Affelnet, exams, open days.
    Dates,
    /// A school's fees, places, admission or success rates, the average it asks.
    SchoolFigures,
    /// Rankings of schools or formations.
    Ranking,
    /// Which school teaches it, near where.
    Places,
}

impl LiveData {
    /// What the person reads first: the fiches do not hold this, and where it is found.
    pub fn note(self) -> &'static str {
        match self {
            LiveData::Dates => {
                "Les fiches de l'Onisep ne donnent pas les dates de cette année. Le calendrier officiel est sur parcoursup.fr \
pour les études après le bac ; pour l'entrée au lycée (Affelnet), c'est ton collège qui le donne. Pour une école ou \
ses portes ouvertes, regarde son site. Un conseiller ou une conseillère peut aussi t'aider."
            }
            LiveData::SchoolFigures => {
                "Les fiches de l'Onisep décrivent les métiers et les formations en général : elles ne donnent ni les frais, \
ni le nombre de places, ni le taux d'admission ou de réussite, ni la moyenne demandée par un établissement précis. \
Tu trouves ces chiffres sur la page de la formation sur parcoursup.fr et sur le site de l'établissement ; un conseiller \
ou une conseillère peut t'aider à les lire."
            }
            LiveData::Ranking => {
                "Les fiches de l'Onisep ne font pas de classement des écoles ou des formations. Pour les comparer, regarde \
leurs pages sur parcoursup.fr (taux d'accès, réussite, débouchés) et parles-en avec un conseiller ou une conseillère."
            }
            LiveData::Places => {
                "Les fiches que j'utilise ne disent pas quels établissements proposent une formation. Sur onisep.fr, la page \
de chaque formation indique où la préparer ; pour l'entrée au lycée, ton collège et Affelnet te donnent la liste, \
et après le bac, parcoursup.fr. Un conseiller ou une conseillère peut t'aider à chercher près de chez toi."
            }
        }
    }
}

fn patterns() -> &'static [(LiveData, Regex)] {
    static P: OnceLock<Vec<(LiveData, Regex)>> = OnceLock::new();
    P.get_or_init(|| {
        let mut kinds = Vec::new();
        for row in guardrails::data::rows(TABLE) {
            let [kind, pattern] = row[..] else { panic!("live-data.tsv: a row needs two columns: {row:?}") };
            let re = Regex::new(pattern).unwrap_or_else(|e| panic!("live-data.tsv: {kind}: {e}"));
            match kind {
                "dates" => kinds.push((LiveData::Dates, re)),
                "chiffres_ecole" => kinds.push((LiveData::SchoolFigures, re)),
                "classement" => kinds.push((LiveData::Ranking, re)),
                "lieux" => kinds.push((LiveData::Places, re)),
                _ => panic!("live-data.tsv: unknown kind {kind}"),
            }
        }
        kinds
    })
}

/// The data outside the fiches a question asks for, if any (the first kind found).
pub fn live_data(question: &str) -> Option<LiveData> {
    let plain = guardrails::normalise::normalise(question);
    patterns().iter().find(|(_, re)| re.is_match(&plain)).map(|(k, _)| *k)
}

/// Does the question ask for time- or place-specific data the fiches do not hold?
pub fn needs_live_data(question: &str) -> bool {
    live_data(question).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_and_place_specific_questions_are_recognised() {
        for (q, kind) in [
            ("C'est quand les portes ouvertes du lycée ?", LiveData::Dates),
            ("à quelle heure commence l'épreuve de français du bac ?", LiveData::Dates),
            ("qd est ce qu'on s'inscrit sur parcoursup cette année", LiveData::Dates),
            ("Il fallait quelle moyenne minimum pour entrer à l'IUT de Nantes l'an dernier ?", LiveData::Dates),
            ("combien coûte l'école de commerce de Rouen ?", LiveData::SchoolFigures),
            ("c koi le taux d'admission en IFSI a Lyon", LiveData::SchoolFigures),
            ("quelle est la meilleure école d'ingénieur ?", LiveData::Ranking),
            ("où faire un CAP pâtissier près de chez moi ?", LiveData::Places),
        ] {
            assert_eq!(live_data(q), Some(kind), "{q}");
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
            "Je suis au lycée Jean Moulin et je veux devenir infirmière",
            "combien de temps dure un BTS ?",
        ] {
            assert_eq!(live_data(q), None, "{q}");
        }
    }
}
