//! France Travail's ROME 4.0 (v460, Licence Ouverte): its 13,120 job titles ("appellations")
//! expand ONISEP métiers through the ROME codes the fiches carry, so that a question using a
//! title ONISEP does not ("garagiste-mécanicien", "abatteur de carrière") still finds the fiche.
//! ROME is a second source: it adds words to search, never facts to answers.

use crate::document::{Document, Kind, Section};
use std::collections::HashMap;
use std::path::Path;

pub const APPELLATIONS_CSV: &str = "rome4/unix_referentiel_appellation_v460_utf8.csv";
pub const ROME_SECTION: &str = "rome_appellations";
pub const ROME_SOURCE: &str = "France Travail, ROME 4.0 v460 (Licence Ouverte)";

#[derive(Debug, thiserror::Error)]
pub enum RomeError {
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
}

/// ROME code → its job titles, as published.
pub fn load_appellations(data_dir: &Path) -> Result<HashMap<String, Vec<String>>, RomeError> {
    let path = data_dir.join(APPELLATIONS_CSV);
    let err = |reason: String| RomeError::Read { path: path.display().to_string(), reason };
    let mut reader = csv::Reader::from_path(&path).map_err(|e| err(e.to_string()))?;
    let headers = reader.headers().map_err(|e| err(e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| err(format!("no column {name:?}")));
    let (title, code) = (col("libelle_appellation_long")?, col("code_rome")?);
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| err(format!("row {}: {e}", i + 2)))?;
        if let (Some(t), Some(c)) = (row.get(title), row.get(code)) {
            if !t.is_empty() && !c.is_empty() {
                out.entry(c.to_string()).or_default().push(t.to_string());
            }
        }
    }
    Ok(out)
}

/// Add to each métier a section listing the ROME titles of its ROME codes.
pub fn expand(docs: &mut [Document], appellations: &HashMap<String, Vec<String>>) {
    for d in docs.iter_mut().filter(|d| d.kind == Kind::Metier) {
        let mut titles: Vec<&str> = d.rome_codes.iter().filter_map(|c| appellations.get(c)).flatten().map(String::as_str).collect();
        titles.sort_unstable();
        titles.dedup();
        if !titles.is_empty() {
            d.sections.push(Section {
                key: ROME_SECTION.into(),
                label: "Autres intitulés (France Travail, ROME 4.0)".into(),
                text: titles.join(", "),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_rome_titles_attach_to_onisep_metiers_by_code() {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(crate::data::default_data_dir());
        let app = load_appellations(&dir).unwrap();
        assert_eq!(app.values().map(Vec::len).sum::<usize>(), 13_120);
        assert!(app["I1604"].iter().any(|t| t == "Garagiste"));
        let mut docs = vec![Document {
            id: "MET.x".into(),
            kind: Kind::Metier,
            title: "t".into(),
            title_feminine: None,
            title_masculine: None,
            synonyms: vec![],
            summary: String::new(),
            sections: vec![],
            links: vec![],
            rome_codes: vec!["I1604".into()],
            facts: Default::default(),
            url: String::new(),
            date: String::new(),
            source: String::new(),
        }];
        expand(&mut docs, &app);
        assert!(docs[0].section(ROME_SECTION).unwrap().text.contains("Garagiste"));
    }
}
