//! The one shape every source is turned into.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Metier,
    Formation,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Metier => "metier",
            Kind::Formation => "formation",
        }
    }
    /// French label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Metier => "métier",
            Kind::Formation => "formation",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Source field name (e.g. `acces_metier`).
    pub key: String,
    /// French label (e.g. "Accès au métier").
    pub label: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub id: String,
    pub label: String,
}

/// Facts the assistant states verbatim, taken from structured fields: the model phrases, the
/// data states.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Minimum level to enter (métier) or level of the diploma (formation).
    pub level: Option<String>,
    /// Starting salary sentence, as written in the fiche.
    pub salary: Option<String>,
    /// Duration of a formation ("2 ans").
    pub duration: Option<String>,
    /// Type of formation ("BTS", "CAP"...).
    pub formation_type: Option<String>,
    /// Statuses (salarié, fonctionnaire...).
    pub statuses: Vec<String>,
    /// Sectors.
    pub sectors: Vec<String>,
    /// ONISEP's centres d'intérêt of a métier ("j'aime bouger"…), as published.
    #[serde(default)]
    pub interests: Vec<String>,
    /// Métiers ONISEP lists as related to this one.
    #[serde(default)]
    pub related: Vec<Link>,
    /// Working conditions and hours France Travail's ROME gives the métier's codes ("Travail de
    /// nuit", "En grande hauteur"…): what the work may involve, for what a person rules out.
    #[serde(default)]
    pub conditions: Vec<String>,
}

impl Facts {
    /// The level as an ordered value (filters and profiles compare levels).
    pub fn level_order(&self) -> Option<crate::levels::Level> {
        self.level.as_deref().and_then(crate::levels::Level::parse)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// `MET.n`, `FOR.n`.
    pub id: String,
    pub kind: Kind,
    /// Neutral title as published (e.g. "contrôleur/euse aérien/ne").
    pub title: String,
    pub title_feminine: Option<String>,
    pub title_masculine: Option<String>,
    pub synonyms: Vec<String>,
    /// One-paragraph summary (accroche), if any.
    pub summary: String,
    pub sections: Vec<Section>,
    /// Formations for a métier, métiers for a formation.
    pub links: Vec<Link>,
    /// ROME v3 codes (métiers).
    pub rome_codes: Vec<String>,
    pub facts: Facts,
    /// Public page of the fiche.
    pub url: String,
    /// Date of the data (dd/mm/yyyy).
    pub date: String,
    /// Who published it, for attribution.
    pub source: String,
}

/// The form of what the index stores for a fiche (its passages' payload): part of every fiche's
/// content hash, so that a change of form makes `ingest` store every fiche again. Format 2: the
/// passages carry ROME's working conditions.
pub const STORED_FORMAT: &str = "2";

impl Document {
    /// A fiche with only its id, kind and title, everything else empty: what tests build on.
    pub fn bare(id: &str, kind: Kind, title: &str) -> Document {
        Document {
            id: id.into(),
            kind,
            title: title.into(),
            title_feminine: None,
            title_masculine: None,
            synonyms: vec![],
            summary: String::new(),
            sections: vec![],
            links: vec![],
            rome_codes: vec![],
            facts: Facts::default(),
            url: String::new(),
            date: String::new(),
            source: String::new(),
        }
    }

    /// Title with both feminine and masculine forms when they differ (P5).
    pub fn display_title(&self) -> String {
        match (&self.title_feminine, &self.title_masculine) {
            (Some(f), Some(m)) if f != m => format!("{f} / {m}"),
            _ => self.title.clone(),
        }
    }

    pub fn section(&self, key: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.key == key)
    }

    /// A stable digest of everything indexed from this document: re-ingest only what changed.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let json = serde_json::to_vec(self).expect("documents serialize");
        hex::encode(Sha256::new().chain_update(STORED_FORMAT.as_bytes()).chain_update(&json).finalize())
    }
}
