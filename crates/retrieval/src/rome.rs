//! France Travail's ROME 4.0 (v460, Licence Ouverte): its 13,120 job titles ("appellations")
//! expand ONISEP métiers through the ROME codes the fiches carry, so that a question using a
//! title ONISEP does not ("garagiste-mécanicien", "abatteur de carrière") still finds the fiche.
//! Each métier also gets the working conditions and hours of its codes ("Travail de nuit"), so
//! that an open question can leave out what the person rules out. ROME is a second source: it
//! adds words to search and conditions to filter on, never facts to answers.

use crate::document::{Document, Kind, Section};
use std::collections::HashMap;
use std::path::Path;

pub const APPELLATIONS_CSV: &str = "rome4/unix_referentiel_appellation_v460_utf8.csv";
pub const TEXTS_CSV: &str = "rome4/unix_texte_v460_utf8.csv";
pub const CODES_CSV: &str = "rome4/unix_referentiel_code_rome_v460_utf8.csv";
/// Work contexts (ROME's "contextes de travail": night work, heights, long sitting…) and which
/// ROME codes carry them.
pub const CONTEXTS_CSV: &str = "rome4/unix_referentiel_contexte_travail_v460_utf8.csv";
pub const COHERENCE_CSV: &str = "rome4/unix_coherence_item_v460_utf8.csv";
/// Kinds of work context kept as a métier's conditions: "Conditions de travail et risques
/// professionnels" (1) and "Horaires et durée du travail" (2). The others (types of employer,
/// statuses, publics) say where one works, not how.
const CONDITION_TYPES: &[&str] = &["1", "2"];
/// Ids of ROME fiches indexed on their own: `ROME.` + the code.
pub const ID_PREFIX: &str = "ROME.";
pub const ROME_SECTION: &str = "rome_appellations";
pub const ROME_DEFINITION: &str = "rome_definition";
pub const ROME_ACCESS: &str = "rome_acces";
pub const ROME_SOURCE: &str = "France Travail, ROME 4.0 v460 (Licence Ouverte)";

#[derive(Debug, thiserror::Error)]
pub enum RomeError {
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
}

/// ROME code → values of one column, in file order: the rows of a CSV grouped by code.
fn group_by_code(
    data_dir: &Path,
    file: &str,
    value: &str,
    keep: impl Fn(&csv::StringRecord, &csv::StringRecord) -> bool,
) -> Result<HashMap<String, Vec<String>>, RomeError> {
    let path = data_dir.join(file);
    let err = |reason: String| RomeError::Read { path: path.display().to_string(), reason };
    let mut reader = csv::Reader::from_path(&path).map_err(|e| err(e.to_string()))?;
    let headers = reader.headers().map_err(|e| err(e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| err(format!("no column {name:?}")));
    let (value, code) = (col(value)?, col("code_rome")?);
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| err(format!("row {}: {e}", i + 2)))?;
        if !keep(&headers, &row) {
            continue;
        }
        if let (Some(v), Some(c)) = (row.get(value), row.get(code)) {
            if !v.is_empty() && !c.is_empty() {
                out.entry(c.to_string()).or_default().push(v.to_string());
            }
        }
    }
    Ok(out)
}

/// ROME code → its job titles, as published.
pub fn load_appellations(data_dir: &Path) -> Result<HashMap<String, Vec<String>>, RomeError> {
    group_by_code(data_dir, APPELLATIONS_CSV, "libelle_appellation_long", |_, _| true)
}

/// ROME code → sentences of one kind of text (`definition` or `acces_metier`), in order.
pub fn load_texts(data_dir: &Path, kind: &str) -> Result<HashMap<String, Vec<String>>, RomeError> {
    group_by_code(data_dir, TEXTS_CSV, "libelle_texte", |h, r| h.iter().position(|c| c == "libelle_type_texte").and_then(|i| r.get(i)) == Some(kind))
}

/// ROME code → its working conditions and hours ("Travail de nuit", "En grande hauteur",
/// "Station assise prolongée"…), as ROME labels them.
pub fn load_conditions(data_dir: &Path) -> Result<HashMap<String, Vec<String>>, RomeError> {
    let path = data_dir.join(CONTEXTS_CSV);
    let err = |reason: String| RomeError::Read { path: path.display().to_string(), reason };
    let mut reader = csv::Reader::from_path(&path).map_err(|e| err(e.to_string()))?;
    let headers = reader.headers().map_err(|e| err(e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| err(format!("no column {name:?}")));
    let (ogr, label, kind) = (col("code_ogr")?, col("libelle_cont_travail")?, col("code_type_cont_trav")?);
    let mut labels: HashMap<String, String> = HashMap::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| err(format!("row {}: {e}", i + 2)))?;
        if let (Some(o), Some(l), Some(k)) = (row.get(ogr), row.get(label), row.get(kind)) {
            if CONDITION_TYPES.contains(&k) && !l.is_empty() {
                labels.insert(o.to_string(), l.to_string());
            }
        }
    }
    let mut by_code = group_by_code(data_dir, COHERENCE_CSV, "code_ogr", |_, _| true)?;
    for items in by_code.values_mut() {
        let mut kept: Vec<String> = items.iter().filter_map(|o| labels.get(o).cloned()).collect();
        kept.sort();
        kept.dedup();
        *items = kept;
    }
    by_code.retain(|_, v| !v.is_empty());
    Ok(by_code)
}

/// What ROME says about its codes.
pub struct Rome {
    /// ROME code → the fiche's name ("Conducteur / Conductrice d'engins agricoles").
    pub names: HashMap<String, String>,
    pub titles: HashMap<String, Vec<String>>,
    pub definitions: HashMap<String, Vec<String>>,
    pub access: HashMap<String, Vec<String>>,
    /// Working conditions and hours of each code.
    pub conditions: HashMap<String, Vec<String>>,
}

impl Rome {
    pub fn load(data_dir: &Path) -> Result<Rome, RomeError> {
        let names = group_by_code(data_dir, CODES_CSV, "libelle_rome", |_, _| true)?.into_iter().filter_map(|(c, mut v)| Some((c, v.pop()?))).collect();
        Ok(Rome {
            names,
            titles: load_appellations(data_dir)?,
            definitions: load_texts(data_dir, "definition")?,
            access: load_texts(data_dir, "acces_metier")?,
            conditions: load_conditions(data_dir)?,
        })
    }
}

/// Add to each métier sparse-only sections from ROME for its codes: other job titles, the
/// definition, the access text. (Only the first section of a fiche gets a dense vector, and
/// these come after ONISEP's.)
pub fn expand(docs: &mut [Document], rome: &Rome) {
    for d in docs.iter_mut().filter(|d| d.kind == Kind::Metier) {
        let gather = |m: &HashMap<String, Vec<String>>| -> Vec<String> {
            let mut v: Vec<String> = d.rome_codes.iter().filter_map(|c| m.get(c)).flatten().cloned().collect();
            v.dedup();
            v
        };
        // Conditions are ROME's for the codes' whole families of jobs: what the work may involve.
        let mut conditions = gather(&rome.conditions);
        conditions.sort_unstable();
        conditions.dedup();
        let mut titles = gather(&rome.titles);
        titles.sort_unstable();
        titles.dedup();
        for (key, label, text) in [
            (ROME_SECTION, "Autres intitulés (France Travail, ROME 4.0)", titles.join(", ")),
            (ROME_DEFINITION, "Définition (France Travail, ROME 4.0)", gather(&rome.definitions).join(" ")),
            (ROME_ACCESS, "Accès à l'emploi (France Travail, ROME 4.0)", gather(&rome.access).join(" ")),
        ] {
            if !text.is_empty() {
                d.sections.push(Section { key: key.into(), label: label.into(), text });
            }
        }
        d.facts.conditions = conditions;
    }
}

/// The ROME fiches that no ONISEP métier carries, as documents of their own: a job ONISEP has
/// no fiche for can still be found, and is cited as France Travail's (a second source, after
/// ONISEP's fiches; it states no facts).
pub fn standalone(rome: &Rome, docs: &[Document]) -> Vec<Document> {
    let linked: std::collections::HashSet<&str> = docs.iter().flat_map(|d| d.rome_codes.iter().map(String::as_str)).collect();
    let mut codes: Vec<&String> = rome.names.keys().filter(|c| !linked.contains(c.as_str())).collect();
    codes.sort();
    codes
        .into_iter()
        .map(|code| {
            let name = &rome.names[code];
            // "Conducteur / Conductrice d'engins agricoles": masculine and feminine forms.
            let (masculine, feminine) = split_gendered(name);
            let mut sections = Vec::new();
            for (key, label, texts) in [
                (ROME_DEFINITION, "Définition (France Travail, ROME 4.0)", rome.definitions.get(code)),
                (ROME_ACCESS, "Accès à l'emploi (France Travail, ROME 4.0)", rome.access.get(code)),
                (ROME_SECTION, "Autres intitulés (France Travail, ROME 4.0)", rome.titles.get(code)),
            ] {
                if let Some(t) = texts.filter(|t| !t.is_empty()) {
                    let sep = if key == ROME_SECTION { ", " } else { " " };
                    sections.push(Section { key: key.into(), label: label.into(), text: t.join(sep) });
                }
            }
            Document {
                id: format!("{ID_PREFIX}{code}"),
                kind: Kind::Metier,
                title: name.clone(),
                title_feminine: feminine,
                title_masculine: masculine,
                synonyms: Vec::new(),
                summary: rome.definitions.get(code).and_then(|d| d.first()).cloned().unwrap_or_default(),
                sections,
                links: Vec::new(),
                rome_codes: vec![code.clone()],
                facts: Default::default(),
                url: format!("https://candidat.francetravail.fr/metierscope/fiche-metier/{code}"),
                date: "ROME 4.0 v460".into(),
                source: ROME_SOURCE.into(),
            }
        })
        .collect()
}

/// "Conducteur / Conductrice d'engins agricoles" → ("Conducteur d'engins agricoles",
/// "Conductrice d'engins agricoles"); names without " / " have no split forms.
fn split_gendered(name: &str) -> (Option<String>, Option<String>) {
    let Some((left, right)) = name.split_once(" / ") else { return (None, None) };
    // The shared tail is what follows the first word of the right-hand side.
    let (fem_head, tail) = right.split_once(' ').unwrap_or((right, ""));
    let masc = if tail.is_empty() { left.to_string() } else { format!("{left} {tail}") };
    let fem = if tail.is_empty() { fem_head.to_string() } else { format!("{fem_head} {tail}") };
    (Some(masc), Some(fem))
}

/// Is this a ROME fiche indexed on its own?
pub fn is_rome_document(id: &str) -> bool {
    id.starts_with(ID_PREFIX)
}

/// Is this section ROME's (a second source, cited as such)?
pub fn is_rome_section(key: &str) -> bool {
    matches!(key, ROME_SECTION | ROME_DEFINITION | ROME_ACCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_rome_titles_attach_to_onisep_metiers_by_code() {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(crate::data::default_data_dir());
        let rome = Rome::load(&dir).unwrap();
        assert_eq!(rome.titles.values().map(Vec::len).sum::<usize>(), 13_120);
        assert!(rome.titles["I1604"].iter().any(|t| t == "Garagiste"));
        assert_eq!(rome.definitions.values().map(Vec::len).sum::<usize>(), 9_602);
        assert_eq!(rome.access.values().map(Vec::len).sum::<usize>(), 2_378);
        let mut docs = vec![Document { rome_codes: vec!["I1604".into()], ..Document::bare("MET.x", Kind::Metier, "t") }];
        expand(&mut docs, &rome);
        assert!(docs[0].section(ROME_SECTION).unwrap().text.contains("Garagiste"));
        // Every other ROME fiche stands on its own, cited to France Travail.
        let alone = standalone(&rome, &docs);
        assert_eq!(alone.len(), rome.names.len() - 1);
        let a1101 = alone.iter().find(|d| d.id == "ROME.A1101").unwrap();
        assert_eq!(a1101.title_masculine.as_deref(), Some("Conducteur d'engins agricoles"));
        assert_eq!(a1101.title_feminine.as_deref(), Some("Conductrice d'engins agricoles"));
        assert!(a1101.url.ends_with("/A1101") && a1101.source == ROME_SOURCE);
        assert!(!a1101.sections.is_empty());
        assert!(!docs[0].section(ROME_DEFINITION).unwrap().text.is_empty());
        // Working conditions come from the code's work contexts; types of employer do not.
        assert!(rome.conditions["D1102"].iter().any(|c| c == "Travail de nuit"), "{:?}", rome.conditions["D1102"]);
        assert!(rome.conditions["M1203"].iter().any(|c| c == "Station assise prolongée"));
        assert!(!rome.conditions["M1203"].iter().any(|c| c.starts_with("Salarié")));
        assert!(docs[0].facts.conditions.windows(2).all(|w| w[0] < w[1]));
    }
}
