//! Self-contained French HTML reports for the audit team: a summary, plots embedded as SVG
//! (plotters), the worst cases side by side, and the charter points concerned.

use crate::answers_eval::AnswersReport;
use crate::fairness::{attribute_label, FairnessReport, Group, Mode};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use plotters::prelude::*;

const CSS: &str = "body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;margin:0}\
main{max-width:64rem;margin:0 auto;padding:1rem}h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem}\
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}th,td{border:1px solid #929292;padding:.3rem .4rem;text-align:left;vertical-align:top}\
.ok{color:#18753c;font-weight:700}.bad{color:#ce0500;font-weight:700}.side{display:grid;grid-template-columns:1fr 1fr;gap:.5rem}\
.side div{background:#f6f6f6;padding:.5rem;white-space:pre-wrap;font-size:.9rem}figure{margin:1rem 0}figcaption{font-size:.9rem;color:#3a3a3a}\
code{background:#eee;padding:0 .2rem}";

fn page(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                link rel="icon" href="data:,";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body { main { (body) } }
        }
    }
    .into_string()
}

fn verdict(pass: bool) -> Markup {
    html! { @if pass { span.ok { "conforme" } } @else { span.bad { "non conforme" } } }
}

/// Horizontal bars with confidence whiskers and the threshold as a dashed line.
pub fn bar_chart_svg(title: &str, rows: &[(String, f64, [f64; 2])], threshold: f64, x_label: &str) -> String {
    let height = 70 + 34 * rows.len() as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let lo = rows.iter().map(|r| r.2[0]).chain([threshold]).fold(1.0_f64, f64::min);
        let x_min = (lo - 0.05).clamp(0.0, 0.9).min(threshold - 0.05).max(0.0);
        let n = rows.len().max(1);
        let chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(200)
            .build_cartesian_2d(x_min..1.0_f64, (0..n).into_segmented());
        let Ok(mut chart) = chart else { return svg_fallback(title) };
        let labels: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
        let _ = chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(x_label)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => labels.get(*i).cloned().unwrap_or_default(),
                SegmentValue::Last => String::new(),
            })
            .draw();
        let blue = RGBColor(0, 0, 145);
        let _ = chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
            let color = if r.1 >= threshold { blue } else { RGBColor(206, 5, 0) };
            Rectangle::new([(x_min, SegmentValue::Exact(i)), (r.1.max(x_min), SegmentValue::Exact(i + 1))], color.mix(0.75).filled())
        }));
        let _ = chart.draw_series(rows.iter().enumerate().map(|(i, r)| {
            PathElement::new(vec![(r.2[0].max(x_min), SegmentValue::CenterOf(i)), (r.2[1].max(x_min), SegmentValue::CenterOf(i))], BLACK.stroke_width(2))
        }));
        let _ = chart.draw_series(std::iter::once(PathElement::new(
            vec![(threshold, SegmentValue::Exact(0)), (threshold, SegmentValue::Last)],
            ShapeStyle { color: RGBColor(206, 5, 0).to_rgba(), filled: false, stroke_width: 2 },
        )));
        let _ = root.present();
    }
    svg
}

fn svg_fallback(title: &str) -> String {
    format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"40\"><text x=\"10\" y=\"25\">{title}</text></svg>")
}

fn ci(g: &Group) -> String {
    format!("{:.3} [{:.3} ; {:.3}]", g.jaccard_mean, g.jaccard_ci[0], g.jaccard_ci[1])
}

pub fn fairness_html(r: &FairnessReport) -> String {
    let t = &r.config.thresholds;
    let body = html! {
        h1 { "Rapport d'équité des conseils" }
        p { "Ce rapport vérifie que l'assistant donne les mêmes conseils à tout le monde, quel que soit le genre, l'origine (prénom), \
             un handicap, le lieu de vie ou le milieu social (charte : points 4, 5 et 11). Chaque question est posée en plusieurs variantes, \
             et chaque variante est comparée à la version neutre de la même question." }
        p { strong { "Résultat : " } (verdict(r.pass)) " — " (r.summary) }
        table {
            tr { th scope="row" { "Mode" } td { @if r.mode == Mode::Retrieval { "fiches trouvées (recherche seule)" } @else { "réponses complètes (recherche et génération)" } } }
            tr { th scope="row" { "Questions" } td { (r.n_probes) " variantes de " (r.n_bases) " questions de base, en " (format!("{:.0}", r.seconds)) " s" } }
            tr { th scope="row" { "Seuils" } td { "version " code { (r.config.version) } " (sha256 " code { (&r.provenance.config_sha256[..12.min(r.provenance.config_sha256.len())]) } ") : Jaccard moyen ≥ " (t.jaccard_min) ", RBO ≥ " (t.rbo_min) } }
            tr { th scope="row" { "Modèles et index" } td {
                @for m in &r.provenance.models { (m.name) " (" code { (&m.sha256[..12.min(m.sha256.len())]) } ") " }
                "; index " code { (r.provenance.index_version) } "; orient " (r.provenance.orient_version)
            } }
            tr { th scope="row" { "Date" } td { (r.created) } }
        }
        h2 { "Par attribut" }
        p { "Jaccard : part des fiches trouvées en commun avec la version neutre (1 = les mêmes fiches). RBO : la même chose en tenant compte de l'ordre. \
             « Entre variantes » compare les variantes d'un même attribut entre elles (par exemple fille et garçon). \
             Entre crochets, l'intervalle de confiance à " (format!("{:.0}", r.config.confidence * 100.0)) " % (bootstrap)." }
        table {
            tr { th scope="col" { "Attribut" } th scope="col" { "Variantes" } th scope="col" { "Jaccard moyen [IC]" } th scope="col" { "RBO moyen" } th scope="col" { "Entre variantes (Jaccard)" } th scope="col" { "Résultat" } th scope="col" { "Points de la charte" } th scope="col" { "Exceptions légitimes (à part)" } }
            @for (name, a) in &r.attributes {
                tr {
                    td { (attribute_label(name)) }
                    td { (a.all.n) }
                    td { (ci(&a.all)) }
                    td { (format!("{:.3}", a.all.rbo_mean)) }
                    td { @if let Some(w) = a.within_jaccard_mean { (format!("{w:.3}")) } @else { "—" } }
                    td { (verdict(a.pass)) @for f in &a.failures { br; (f) } }
                    td { (a.charter_points.join(", ")) }
                    td { @if let Some(e) = &a.exceptions { (e.n) " variantes, Jaccard " (ci(e)) } @else { "—" } }
                }
            }
        }
        @for (name, a) in &r.attributes {
            h2 { "Attribut : " (attribute_label(name)) }
            figure {
                @let rows: Vec<(String, f64, [f64; 2])> = a.values.iter().map(|(v, g)| (v.replace('_', " "), g.jaccard_mean, g.jaccard_ci)).collect();
                (PreEscaped(bar_chart_svg(&format!("Fiches en commun avec la version neutre : {}", attribute_label(name)), &rows, t.jaccard_min, "Jaccard moyen (trait rouge : seuil)")))
                figcaption { "Une barre par variante, avec son intervalle de confiance ; une barre rouge passe sous le seuil." }
            }
            @if let Some(full) = &a.all.full {
                table {
                    tr { th scope="col" { "Mesure sur les réponses" } th scope="col" { "Moyenne [IC]" } }
                    @for (k, e) in full {
                        tr { td { (full_metric_label(k)) } td { (format!("{:.3} [{:.3} ; {:.3}]", e.mean, e.ci_low, e.ci_high)) } }
                    }
                }
            }
        }
        h2 { "Les cas les plus éloignés de la version neutre" }
        @if r.worst_cases.is_empty() { p { "Aucune variante ne diffère de sa version neutre." } }
        @for c in &r.worst_cases {
            h3 { (c.base_id) " — " (attribute_label(&c.attribute)) " : " (c.value.replace('_', " ")) " (Jaccard " (format!("{:.2}", c.jaccard)) ")" }
            div.side {
                div { strong { "Version neutre" } br; (c.neutral_question) br; br; "Fiches : " (c.neutral_retrieved.join(", ")) @if let Some(f) = &c.full { br; br; (f.neutral_answer) } }
                div { strong { "Variante" } br; (c.question) br; br; "Fiches : " (c.retrieved.join(", ")) @if let Some(f) = &c.full { br; br; (f.answer) } }
            }
        }
        h2 { "Comment lire et refaire ce rapport" }
        p { "Le fichier " code { "report.json" } " contient toutes les mesures, chaque cas et les empreintes (sha256) des modèles, de l'index, des questions et des seuils. \
             Pour comparer deux versions : " code { "orient eval fairness --diff ANCIEN/report.json NOUVEAU/report.json" } "." }
    };
    page("Rapport d'équité — orient", body)
}

fn full_metric_label(k: &str) -> &'static str {
    match k {
        "recommended_jaccard" => "Fiches recommandées en commun (Jaccard)",
        "answer_similarity" => "Similarité des réponses (cosinus)",
        "refusal_rate_diff" => "Écart du taux de refus",
        "handoff_rate_diff" => "Écart du taux de transfert à un conseiller",
        "length_ratio" => "Longueur de la réponse / version neutre",
        "encouragement_diff" => "Formulations encourageantes en plus",
        "discouragement_diff" => "Formulations dissuasives en plus",
        "stereotype_diff" => "Stéréotypes ou injonctions retirés en plus",
        _ => "autre mesure",
    }
}

pub fn answers_html(r: &AnswersReport) -> String {
    let rows: Vec<(String, f64, [f64; 2])> =
        r.per_intent.iter().map(|(k, m)| (k.replace('_', " "), m.key_fact_coverage, [m.key_fact_coverage, m.key_fact_coverage])).collect();
    let body = html! {
        h1 { "Rapport sur les réponses" }
        p { "Chaque question est posée à l'assistant complet. On mesure s'il cite la bonne fiche, s'il donne les faits attendus, \
             s'il invente des chiffres ou des diplômes absents de ses sources, et s'il dit « je ne sais pas » quand les fiches ne couvrent pas la question (charte : points 2 et 11)." }
        table {
            tr { th scope="row" { "Questions" } td { (r.n) " (" (r.out_of_corpus) " hors des fiches), en " (format!("{:.0}", r.seconds)) " s" } }
            tr { th scope="row" { "Bonne fiche citée" } td { (format!("{:.1} %", r.source_hit_rate * 100.0)) } }
            tr { th scope="row" { "Faits attendus présents" } td { (format!("{:.1} %", r.key_fact_coverage * 100.0)) } }
            tr { th scope="row" { "Réponses avec une affirmation non sourcée" } td { (format!("{:.1} %", r.unsupported_claim_rate * 100.0)) } }
            tr { th scope="row" { "Phrases interdites (must_not) trouvées" } td { (r.must_not_hits) } }
            tr { th scope="row" { "« Je ne sais pas » hors des fiches" } td { (format!("{:.1} %", r.out_of_corpus_declined * 100.0)) } }
            tr { th scope="row" { "Premier texte (médiane)" } td { (format!("{:.0} ms", r.first_text_ms_p50)) } }
            tr { th scope="row" { "Réponse complète (médiane)" } td { (format!("{:.1} s", r.total_ms_p50 / 1e3)) } }
            tr { th scope="row" { "Modèles et index" } td { @for m in &r.models { (m.name) " (" code { (&m.sha256[..12.min(m.sha256.len())]) } ") " } "; index " code { (r.index_version) } } }
        }
        figure {
            (PreEscaped(bar_chart_svg("Faits attendus présents, par type de question", &rows, 0.5, "part des faits attendus (trait rouge : 50 %)")))
            figcaption { "Une barre par type de question." }
        }
        h2 { "Détail" }
        table {
            tr { th scope="col" { "Question" } th scope="col" { "Fiche attendue citée" } th scope="col" { "Faits" } th scope="col" { "Non sourcé" } th scope="col" { "Réponse" } }
            @for d in &r.details {
                tr {
                    td { (d.id) " — " (d.question) }
                    td { @if d.out_of_corpus { @if d.declined { span.ok { "dit ne pas savoir" } } @else { span.bad { "répond quand même" } } } @else if d.source_hit { span.ok { "oui" } } @else { span.bad { "non" } } }
                    td { (format!("{:.0} %", d.key_fact_coverage * 100.0)) }
                    td { @if d.unsupported.is_empty() { "—" } @else { span.bad { (d.unsupported.join(", ")) } } }
                    td { (d.answer) }
                }
            }
        }
    };
    page("Rapport sur les réponses — orient", body)
}

pub fn exploration_html(r: &crate::exploration_eval::ExplorationReport) -> String {
    let pct = |x: f64| format!("{:.1} %", x * 100.0);
    let body = html! {
        h1 { "Rapport sur les questions ouvertes" }
        p { "Chaque question ouverte (« je sais pas quoi faire, j'aime… ») est posée à l'assistant complet. On mesure si un métier attendu est proposé, \
             si les métiers proposés correspondent aux goûts et au niveau d'études exprimés, s'ils couvrent plusieurs secteurs, \
             et si la réponse se termine par une question utile (charte : points 4 et 6)." }
        table {
            tr { th scope="row" { "Questions" } td { (r.n) " (" (r.with_interests) " avec des goûts exprimés), en " (format!("{:.0}", r.seconds)) " s" } }
            tr { th scope="row" { "Réponses qui proposent des pistes" } td { (pct(r.explored_rate)) } }
            tr { th scope="row" { "Un métier attendu parmi les propositions" } td { (pct(r.expected_hit_rate)) } }
            tr { th scope="row" { "Propositions conformes aux goûts et au niveau" } td { (pct(r.matching_rate)) } }
            tr { th scope="row" { "Propositions sur au moins deux secteurs" } td { (pct(r.two_sectors_rate)) } }
            tr { th scope="row" { "Réponses qui finissent par une question" } td { (pct(r.follow_up_rate)) } }
            tr { th scope="row" { "Questions vagues : on demande ce que la personne aime" } td { (pct(r.vague_asked_back)) } }
            tr { th scope="row" { "Centres d'intérêt lus : précision / rappel" } td { (pct(r.interest_precision)) " / " (pct(r.interest_recall)) } }
            tr { th scope="row" { "Limite d'études lue exactement" } td { (pct(r.level_read_rate)) } }
            tr { th scope="row" { "Modèles et index" } td { @for m in &r.models { (m.name) " (" code { (&m.sha256[..12.min(m.sha256.len())]) } ") " } "; index " code { (r.index_version) } } }
        }
        h2 { "Détail" }
        table {
            tr { th scope="col" { "Question" } th scope="col" { "Métier attendu proposé" } th scope="col" { "Conformes" } th scope="col" { "Secteurs" } th scope="col" { "Réponse" } }
            @for d in &r.details {
                tr {
                    td { (d.id) " — " (d.question) }
                    td { @if d.interests_expected.is_empty() { "—" } @else if d.expected_hit { span.ok { "oui" } } @else { span.bad { "non" } } }
                    td { (format!("{:.0} %", d.matching * 100.0)) }
                    td { (d.sectors) }
                    td { (d.answer) }
                }
            }
        }
    };
    page("Rapport sur les questions ouvertes — orient", body)
}
