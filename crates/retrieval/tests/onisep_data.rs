//! The real ONISEP files from ../shared/data: counts and exact fields of known fiches.

use retrieval::data::{default_data_dir, FORMATIONS_ZIP, METIERS_ZIP};
use retrieval::onisep::{parse_formations, parse_metiers, read_zip_xml};
use retrieval::{Document, Kind};
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    // Tests run from the crate directory; the workspace root is two levels up.
    let d = default_data_dir();
    if d.is_absolute() {
        return d;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(d)
}

fn metiers() -> Vec<Document> {
    let p = data_dir().join(METIERS_ZIP);
    let xml = read_zip_xml(&p).unwrap_or_else(|e| panic!("{e} (the shared data must be beside the repository)"));
    parse_metiers(&xml, "metiers", "25/06/2024").unwrap()
}

fn formations() -> Vec<Document> {
    let p = data_dir().join(FORMATIONS_ZIP);
    parse_formations(&read_zip_xml(&p).unwrap(), "formations", "25/06/2024").unwrap()
}

#[test]
fn all_metiers_parse_with_known_fields() {
    let docs = metiers();
    assert_eq!(docs.len(), 928);
    let met1 = docs.iter().find(|d| d.id == "MET.1").unwrap();
    assert_eq!(met1.kind, Kind::Metier);
    assert_eq!(met1.title, "contrôleur/euse aérien/ne");
    assert_eq!(met1.title_feminine.as_deref(), Some("contrôleuse aérienne"));
    assert_eq!(met1.title_masculine.as_deref(), Some("contrôleur aérien"));
    assert_eq!(met1.rome_codes, vec!["N2202"]);
    assert!(met1.synonyms.iter().any(|s| s == "aiguilleuse du ciel"));
    // The structured profile: ONISEP's centres d'intérêt, level, related métiers.
    assert_eq!(met1.facts.interests, vec!["j'aime être aux commandes", "j'aime les langues"]);
    assert_eq!(met1.facts.level_order(), Some(retrieval::Level::Bac5));
    assert!(met1.facts.related.iter().any(|l| l.id == "MET.400" && l.label == "pilote de ligne"));
    assert_eq!(met1.url, "https://www.onisep.fr/http/redirection/metier/slug/MET.1");
    let access = met1.section("acces_metier").unwrap();
    assert!(access.text.contains("École nationale de l'aviation civile (ENAC)"));
    assert!(!access.text.contains("<p>"), "HTML is turned into text");
    let met107 = docs.iter().find(|d| d.id == "MET.107").unwrap();
    assert_eq!(met107.facts.salary.as_deref(), Some("De 2080 à 2910 euros brut par mois."));
    assert_eq!(met107.facts.level.as_deref(), Some("Bac + 2"));
    assert!(met107.links.iter().any(|l| l.id == "FOR.2316"));
    // A fiche whose only text is a short format: its studies are its way in.
    let met247 = docs.iter().find(|d| d.id == "MET.247").unwrap();
    assert!(met247.section("acces_metier").unwrap().text.contains("diplôme national de thanatopraxie"));
    assert!(!met247.section("formats_courts").unwrap().text.contains("Durée des études"));
    assert!(docs.iter().filter(|d| d.section("acces_metier").is_some()).count() >= 920, "nearly every métier says its way in");
    // Every fiche has a title, a URL and at least one section of text.
    assert!(docs.iter().all(|d| !d.title.is_empty() && d.url.ends_with(&d.id) && !d.sections.is_empty()));
    // Nearly every métier has its interests and a level the filters can compare.
    assert!(docs.iter().filter(|d| !d.facts.interests.is_empty()).count() >= 900);
    assert!(docs.iter().filter(|d| d.facts.level_order().is_some()).count() >= 920);
}

#[test]
fn all_formations_parse_with_known_fields() {
    let docs = formations();
    assert_eq!(docs.len(), 2164);
    let f = docs.iter().find(|d| d.id == "FOR.1000").unwrap();
    assert_eq!(f.kind, Kind::Formation);
    assert_eq!(f.title, "mastère spé. Management de la qualité, de la sécurité et de l'environnement");
    assert_eq!(f.facts.duration.as_deref(), Some("1 an"));
    assert_eq!(f.facts.level.as_deref(), Some("niveau 7 (bac + 5)"));
    assert!(!f.links.is_empty(), "formations link to métiers");
    assert!(docs.iter().all(|d| d.id.starts_with("FOR.")));
}

#[test]
fn a_broken_zip_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.zip");
    std::fs::write(&p, b"PK\x03\x04 truncated").unwrap();
    let err = read_zip_xml(&p).unwrap_err().to_string();
    assert!(err.contains("not a readable zip"), "{err}");
    let missing = read_zip_xml(&dir.path().join("none.zip")).unwrap_err().to_string();
    assert!(missing.contains("cannot open"), "{missing}");
}
