//! Web pages: the demo page with the widget, the widget script, the public charter page
//! (generated from the charter data), the counsellor and audit pages. Files are compiled in,
//! so the binary is the whole deployment.

use axum::http::header;
use axum::response::{Html, IntoResponse};
use maud::{html, Markup, DOCTYPE};

const DEMO: &str = include_str!("../../web/index.html");
const WIDGET: &str = include_str!("../../web/widget.js");
const COUNSELLOR: &str = include_str!("../../web/conseiller.html");
const AUDIT: &str = include_str!("../../web/audit.html");
const STAFF_CSS: &str = include_str!("../../web/staff.css");

pub async fn demo() -> Html<&'static str> {
    Html(DEMO)
}

pub async fn widget() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], WIDGET)
}

pub async fn counsellor() -> Html<&'static str> {
    Html(COUNSELLOR)
}

pub async fn audit() -> Html<&'static str> {
    Html(AUDIT)
}

pub async fn staff_css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STAFF_CSS)
}

/// `/charte`: the twelve points in plain French, from `charter::POINTS`.
pub async fn charte() -> Html<String> {
    Html(charter_page().into_string())
}

fn charter_page() -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                link rel="icon" href="data:,";
                title { "La charte de l'IA de l'assistant d'orientation" }
                style { (maud::PreEscaped(CHARTER_CSS)) }
            }
            body {
                main {
                    h1 { "La charte de l'IA" }
                    p { "L'assistant d'orientation est une intelligence artificielle. Voici les 12 engagements qu'elle respecte. \
                         Chaque réponse porte un reçu qui dit quels engagements ont été appliqués." }
                    ol {
                        @for p in charter::POINTS.iter() {
                            li id=(p.id) {
                                h2 { (p.id) " — " (p.title) }
                                p { (p.promise) }
                            }
                        }
                    }
                    p { "Tu peux parler à un conseiller ou une conseillère à tout moment avec le bouton « Parler à un conseiller »." }
                    p { a href="/" { "Retour à l'assistant" } }
                }
            }
        }
    }
}

const CHARTER_CSS: &str = "body{font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;margin:0}\
main{max-width:48rem;margin:0 auto;padding:1rem}h2{font-size:1.1rem;margin-bottom:.2rem}a{color:#000091}\
:focus-visible{outline:3px solid #0a76f6;outline-offset:2px}";

#[cfg(test)]
mod tests {
    #[test]
    fn charter_page_lists_the_twelve_points() {
        let page = super::charter_page().into_string();
        for p in charter::POINTS.iter() {
            assert!(page.contains(&format!("id=\"{}\"", p.id)));
        }
        assert!(page.contains("lang=\"fr\""));
    }
}
