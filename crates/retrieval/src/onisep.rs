//! ONISEP Idéo XML (fiches métiers, fiches formations), read straight from the producer's zips.

use crate::document::{Document, Facts, Kind, Link, Section};
use roxmltree::Node;
use std::io::Read;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("cannot open {path}: {source}")]
    Open { path: String, source: std::io::Error },
    #[error("{path} is not a readable zip: {reason}")]
    Zip { path: String, reason: String },
    #[error("{path}: the zip holds no XML file")]
    NoXml { path: String },
    #[error("{path}: malformed XML: {reason}")]
    Xml { path: String, reason: String },
    #[error("{path}: root element is <{found}>, expected <{expected}>")]
    UnexpectedRoot { path: String, found: String, expected: String },
}

const ONISEP_SOURCE: &str = "Onisep, Idéo-Fiches";

/// The public page of a fiche on onisep.fr (ONISEP's documented redirection by identifier).
pub fn fiche_url(kind: Kind, id: &str) -> String {
    format!("https://www.onisep.fr/http/redirection/{}/slug/{id}", kind.as_str())
}

/// Read the first `.xml` member of an Idéo zip.
pub fn read_zip_xml(path: &Path) -> Result<String, ParseError> {
    let p = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|source| ParseError::Open { path: p.clone(), source })?;
    let mut zip = zip::ZipArchive::new(f).map_err(|e| ParseError::Zip { path: p.clone(), reason: e.to_string() })?;
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).map_err(|e| ParseError::Zip { path: p.clone(), reason: e.to_string() })?;
        if member.name().to_lowercase().ends_with(".xml") {
            let mut s = String::with_capacity(member.size() as usize);
            member.read_to_string(&mut s).map_err(|e| ParseError::Zip { path: p.clone(), reason: e.to_string() })?;
            return Ok(s);
        }
    }
    Err(ParseError::NoXml { path: p })
}

/// Parse the métiers file (root `<metiers>`); `date` is the data date (dd/mm/yyyy).
pub fn parse_metiers(xml: &str, path: &str, date: &str) -> Result<Vec<Document>, ParseError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| ParseError::Xml { path: path.into(), reason: e.to_string() })?;
    let root = doc.root_element();
    expect_root(root, "metiers", path)?;
    Ok(root.children().filter(|n| n.has_tag_name("metier")).filter_map(|n| metier(n, date)).collect())
}

/// Parse the formations file (root `<formations>`).
pub fn parse_formations(xml: &str, path: &str, date: &str) -> Result<Vec<Document>, ParseError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| ParseError::Xml { path: path.into(), reason: e.to_string() })?;
    let root = doc.root_element();
    expect_root(root, "formations", path)?;
    Ok(root.children().filter(|n| n.has_tag_name("formation")).filter_map(|n| formation(n, date)).collect())
}

fn expect_root(root: Node, expected: &str, path: &str) -> Result<(), ParseError> {
    if root.tag_name().name() != expected {
        return Err(ParseError::UnexpectedRoot { path: path.into(), found: root.tag_name().name().into(), expected: expected.into() });
    }
    Ok(())
}

fn child<'a>(n: Node<'a, 'a>, tag: &str) -> Option<Node<'a, 'a>> {
    n.children().find(|c| c.has_tag_name(tag))
}

/// Trimmed text of a child element, None when empty.
fn text(n: Node, tag: &str) -> Option<String> {
    let t: String = child(n, tag)?.children().filter_map(|c| c.text()).collect();
    let t = t.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// A short format's HTML cut at its heading "Durée des études" (or "Les études"): the
/// presentation before it, the studies that lead to the job after it (empty when there is no
/// such heading).
fn split_at_studies(html: &str) -> (&str, &str) {
    static HEADING: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let heading = HEADING.get_or_init(|| regex::Regex::new(r"(?i)<h[1-6][^>]*>\s*(?:durée des études|les études)\s*</h[1-6]>").expect("valid pattern"));
    match heading.find(html) {
        Some(m) => (&html[..m.start()], &html[m.end()..]),
        None => (html, ""),
    }
}

fn html_field(n: Node, tag: &str) -> Option<String> {
    text(n, tag).map(|h| html_to_text(&h)).filter(|t| !t.is_empty())
}

/// Values of `<tag><item><leaf>…</leaf></item>…</tag>`.
fn list(n: Node, tag: &str, item: &str, leaf: &str) -> Vec<String> {
    child(n, tag).map(|c| c.children().filter(|i| i.has_tag_name(item)).filter_map(|i| text(i, leaf)).collect()).unwrap_or_default()
}

fn links(n: Node, tag: &str, item: &str, label_tag: &str) -> Vec<Link> {
    child(n, tag)
        .map(|c| c.children().filter(|i| i.has_tag_name(item)).filter_map(|i| Some(Link { id: text(i, "id")?, label: text(i, label_tag)? })).collect())
        .unwrap_or_default()
}

fn metier(n: Node, date: &str) -> Option<Document> {
    let id = text(n, "identifiant")?;
    let title = text(n, "nom_metier")?;
    let mut synonyms = Vec::new();
    if let Some(s) = child(n, "synonymes") {
        for syn in s.children().filter(|c| c.has_tag_name("synonyme")) {
            for tag in ["nom_metier", "libelle_feminin", "libelle_masculin"] {
                if let Some(t) = text(syn, tag) {
                    if !synonyms.contains(&t) {
                        synonyms.push(t);
                    }
                }
            }
        }
    }
    let mut sections = Vec::new();
    for (key, label) in [
        ("nature_travail", "Nature du travail"),
        ("competences", "Compétences requises"),
        ("condition_travail", "Conditions de travail"),
        ("vie_professionnelle", "Salaire et vie professionnelle"),
        ("acces_metier", "Accès au métier"),
    ] {
        if let Some(t) = html_field(n, key) {
            sections.push(Section { key: key.into(), label: label.into(), text: t });
        }
    }
    // Short formats ("Dico des métiers"…): the only text of some recent fiches. For a fiche
    // with no access section, their part under "Durée des études" is its way in (about a
    // hundred fiches: the thanatopracteur's national diploma is only said there).
    let has_access = sections.iter().any(|s| s.key == "acces_metier");
    let mut short: Vec<String> = Vec::new();
    let mut way_in: Vec<String> = Vec::new();
    if let Some(fc) = child(n, "formats_courts") {
        for f in fc.children().filter(|c| c.has_tag_name("format_court")) {
            let Some(raw) = text(f, "descriptif") else { continue };
            // A fiche with its own access section keeps its short format whole (its studies
            // part may say more).
            let (presentation, studies) = if has_access { (raw.as_str(), "") } else { split_at_studies(&raw) };
            for (part, into) in [(presentation, &mut short), (studies, &mut way_in)] {
                let t = html_to_text(part);
                if !t.is_empty() && !into.contains(&t) {
                    into.push(t);
                }
            }
        }
    }
    if !short.is_empty() {
        sections.push(Section { key: "formats_courts".into(), label: "Présentation".into(), text: short.join("\n") });
    }
    if !way_in.is_empty() {
        sections.push(Section { key: "acces_metier".into(), label: "Accès au métier".into(), text: way_in.join("\n") });
    }
    let salary = sections.iter().find(|s| s.key == "vie_professionnelle").and_then(|s| salary_sentence(&s.text));
    let facts = Facts {
        level: child(n, "niveau_acces_min").and_then(|l| text(l, "libelle")),
        salary,
        duration: None,
        formation_type: None,
        statuses: list(n, "statuts", "statut", "libelle"),
        sectors: list(n, "secteurs_activite", "secteur_activite", "libelle"),
        interests: list(n, "centres_interet", "centre_interet", "libelle"),
        related: links(n, "metiers_associes", "metier_associe", "libelle"),
        conditions: Vec::new(),
    };
    Some(Document {
        url: fiche_url(Kind::Metier, &id),
        kind: Kind::Metier,
        title_feminine: text(n, "libelle_feminin"),
        title_masculine: text(n, "libelle_masculin"),
        synonyms,
        summary: html_field(n, "accroche_metier").unwrap_or_default(),
        sections,
        links: links(n, "formations_min_requise", "formation_min_requise", "libelle"),
        rome_codes: child(n, "romesV3")
            .map(|r| {
                r.children().filter(|c| c.has_tag_name("romeV3")).filter_map(|c| c.text()).map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect()
            })
            .unwrap_or_default(),
        facts,
        date: date.into(),
        source: format!("{ONISEP_SOURCE} métiers, {date}"),
        id,
        title,
    })
}

fn formation(n: Node, date: &str) -> Option<Document> {
    let id = text(n, "identifiant")?;
    let title = text(n, "libelle_complet")?;
    let type_node = child(n, "type_Formation");
    let mut sections = Vec::new();
    for (key, label) in [
        ("descriptif_format_court", "Présentation"),
        ("attendus", "Attendus"),
        ("descriptif_acces", "Accès à la formation"),
        ("descriptif_poursuite_etudes", "Poursuite d'études"),
    ] {
        if let Some(t) = html_field(n, key) {
            sections.push(Section { key: key.into(), label: label.into(), text: t });
        }
    }
    let teachings = list(n, "element_enseignement", "element_enseignement_libelle", "element_enseignement_libelle");
    let teachings: Vec<String> = if teachings.is_empty() {
        child(n, "element_enseignement")
            .map(|c| c.children().filter(|x| x.is_element()).filter_map(|x| x.text()).map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).collect())
            .unwrap_or_default()
    } else {
        teachings
    };
    if !teachings.is_empty() {
        sections.push(Section { key: "element_enseignement".into(), label: "Enseignements".into(), text: teachings.join("\n") });
    }
    let further: Vec<String> = child(n, "poursuites_etudes")
        .map(|p| {
            p.descendants()
                .filter(|d| d.has_tag_name("formation_poursuite_Etudes"))
                .filter_map(|d| d.text())
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if !further.is_empty() {
        sections.push(Section { key: "poursuites_etudes".into(), label: "Après cette formation".into(), text: further.join("\n") });
    }
    let level = text(n, "niveau_certification").or_else(|| child(n, "niveau_etudes").and_then(|l| text(l, "libelle")));
    let facts = Facts {
        level,
        salary: None,
        duration: text(n, "duree_formation"),
        formation_type: type_node.and_then(|t| text(t, "type_formation_libelle")),
        statuses: Vec::new(),
        sectors: list(n, "sous_domaines_web", "sous_domaine_web", "libelle"),
        interests: Vec::new(),
        related: Vec::new(),
        conditions: Vec::new(),
    };
    let mut synonyms = Vec::new();
    for tag in ["sigle", "libelle_generique", "libelle_specifique"] {
        if let Some(t) = text(n, tag) {
            synonyms.push(t);
        }
    }
    if let Some(t) = type_node.and_then(|t| text(t, "type_formation_sigle")) {
        synonyms.push(t);
    }
    let links = child(n, "metiers_formation")
        .map(|m| m.children().filter(|c| c.has_tag_name("metier")).filter_map(|c| Some(Link { id: text(c, "id")?, label: text(c, "nom_metier")? })).collect())
        .unwrap_or_default();
    let modified = text(n, "modification_date");
    Some(Document {
        url: fiche_url(Kind::Formation, &id),
        kind: Kind::Formation,
        title_feminine: None,
        title_masculine: None,
        synonyms,
        summary: String::new(),
        sections,
        links,
        rome_codes: Vec::new(),
        facts,
        date: modified.clone().unwrap_or_else(|| date.into()),
        source: format!("{ONISEP_SOURCE} formations, {date}"),
        id,
        title,
    })
}

/// "Salaire du débutant" heading followed by its sentence, as the fiche writes it.
fn salary_sentence(text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let i = lines.iter().position(|l| l.to_lowercase().starts_with("salaire du débutant"))?;
    let rest = lines[i].split_once(':').map(|(_, r)| r.trim()).filter(|s| !s.is_empty());
    // Some fiches put the heading and no figure: the next line is then the next heading
    // ("Intégrer le marché du travail"), not a salary.
    rest.or_else(|| lines.get(i + 1).copied()).filter(|s| says_a_pay(s)).map(|s| s.to_string())
}

/// Whether a line says something of a pay: a figure, or a word of pay ("Smic", "variable",
/// "selon le statut").
fn says_a_pay(line: &str) -> bool {
    const PAY_WORDS: &[&str] = &[
        "smic",
        "variable",
        "euro",
        "€",
        "selon",
        "depend",
        "remuner",
        "paye",
        "brut",
        "net",
        "grille",
        "indice",
        "statut",
        "traitement",
        "salaire",
        "revenu",
        "gagn",
        "honoraire",
        "prime",
        "tarif",
    ];
    let folded = crate::french::fold(line);
    line.chars().any(|c| c.is_ascii_digit()) || PAY_WORDS.iter().any(|w| folded.contains(w))
}

/// HTML fragment → plain text: one line per block (paragraph, heading, list item), inline
/// whitespace collapsed, entities decoded.
pub fn html_to_text(html: &str) -> String {
    use scraper::Node as H;
    let frag = scraper::Html::parse_fragment(html);
    let mut out = String::new();
    let mut line = String::new();
    let flush = |line: &mut String, out: &mut String| {
        let collapsed = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if !collapsed.is_empty() {
            out.push_str(&collapsed);
            out.push('\n');
        }
        line.clear();
    };
    for edge in frag.tree.root().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => match node.value() {
                H::Text(t) => line.push_str(t),
                H::Element(e) => {
                    if is_block(e.name()) {
                        flush(&mut line, &mut out);
                    }
                    if e.name() == "li" {
                        line.push_str("- ");
                    }
                }
                _ => {}
            },
            ego_tree::iter::Edge::Close(node) => {
                if let H::Element(e) = node.value() {
                    if is_block(e.name()) {
                        flush(&mut line, &mut out);
                    }
                }
            }
        }
    }
    flush(&mut line, &mut out);
    out.trim_end().to_string()
}

fn is_block(name: &str) -> bool {
    matches!(name, "p" | "div" | "li" | "ul" | "ol" | "br" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "tr" | "table" | "blockquote")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_blocks_become_lines_and_entities_decode() {
        let t = html_to_text(
            "<h5>Salaire du débutant</h5>\n   <p>De 2080 à 2910&nbsp;euros <strong>brut</strong>\n par mois.</p><ul><li>un</li><li>deux</li></ul>",
        );
        assert_eq!(t, "Salaire du débutant\nDe 2080 à 2910 euros brut par mois.\n- un\n- deux");
    }

    #[test]
    fn salary_is_the_sentence_after_its_heading() {
        let t = "Salaire\nSalaire du débutant\nDe 2080 à 2910 euros brut par mois.\nIntégrer le marché";
        assert_eq!(salary_sentence(t).as_deref(), Some("De 2080 à 2910 euros brut par mois."));
        assert_eq!(salary_sentence("Salaire du débutant : 1950 euros brut par mois").as_deref(), Some("1950 euros brut par mois"));
        assert_eq!(salary_sentence("rien ici"), None);
        // The heading, then the next heading: no salary.
        assert_eq!(salary_sentence("Salaire\nSalaire du débutant\nIntégrer le marché du travail\nUn secteur en pointe"), None);
        assert_eq!(salary_sentence("Salaire du débutant\nVariable selon le statut."), Some("Variable selon le statut.".into()));
    }

    #[test]
    fn a_short_format_is_cut_at_its_studies() {
        let (presentation, studies) = split_at_studies("<p>Le métier.</p><h5>Durée des études</h5><h4>Après le bac</h4><p>Un diplôme national.</p>");
        assert_eq!(html_to_text(presentation), "Le métier.");
        assert_eq!(html_to_text(studies), "Après le bac\nUn diplôme national.");
        assert_eq!(split_at_studies("<p>Rien d'autre.</p>"), ("<p>Rien d'autre.</p>", ""));
    }

    #[test]
    fn wrong_root_and_broken_xml_are_clear_errors() {
        assert!(matches!(parse_metiers("<formations/>", "x", "d"), Err(ParseError::UnexpectedRoot { .. })));
        assert!(matches!(parse_metiers("<metiers><metier>", "x", "d"), Err(ParseError::Xml { .. })));
    }
}
