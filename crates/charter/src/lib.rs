//! The 12-point AI charter as data. Ids are stable: receipts, logs and rails refer to them.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Point {
    pub id: &'static str,
    pub title: &'static str,
    /// The promise, in plain French.
    pub promise: &'static str,
}

pub const POINTS: [Point; 12] = [
    Point { id: "P1", title: "Transparence sur l'IA", promise: "Tu sais que tu parles à une IA, ce qu'elle peut faire et ne peut pas faire." },
    Point {
        id: "P2",
        title: "Information de référence, sourcée",
        promise: "Les réponses s'appuient sur les fiches officielles et les citent. Sans source, l'assistant dit qu'il ne sait pas.",
    },
    Point { id: "P3", title: "Égalité d'accès", promise: "La même qualité pour tout le monde, avec des mots simples." },
    Point {
        id: "P4",
        title: "Non-discrimination",
        promise: "Les conseils ne changent pas selon le genre, l'origine, le handicap, le lieu de vie ou le milieu social.",
    },
    Point {
        id: "P5",
        title: "Déconstruction des stéréotypes",
        promise: "Pas de « métiers de filles » ou de « métiers de garçons » : les noms de métiers au féminin et au masculin.",
    },
    Point { id: "P6", title: "Liberté de choix", promise: "L'IA informe, elle ne décide pas à ta place et ne juge pas tes capacités." },
    Point { id: "P7", title: "Rôle central des conseillers", promise: "Tu peux parler à un conseiller ou une conseillère à tout moment." },
    Point {
        id: "P8",
        title: "Protection des mineurs et des personnes vulnérables",
        promise: "Si tu vas mal, tu reçois tout de suite une réponse attentive et des numéros d'aide.",
    },
    Point {
        id: "P9", title: "Protection des données personnelles", promise: "Pas de compte ; tes données personnelles sont masquées avant tout traitement."
    },
    Point { id: "P10", title: "Sécurité et périmètre", promise: "L'assistant reste sur l'orientation et résiste aux manipulations." },
    Point {
        id: "P11", title: "Traçabilité et audit", promise: "Chaque décision est enregistrée dans un journal infalsifiable, vérifié par des auditeurs."
    },
    Point { id: "P12", title: "Sobriété", promise: "Des modèles locaux et proportionnés ; le coût de chaque réponse est mesuré." },
];

pub fn point(id: &str) -> Option<&'static Point> {
    POINTS.iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn twelve_points_with_stable_ids() {
        assert_eq!(super::POINTS.len(), 12);
        for (i, p) in super::POINTS.iter().enumerate() {
            assert_eq!(p.id, format!("P{}", i + 1));
        }
        assert!(super::point("P8").is_some());
        assert!(super::point("P13").is_none());
    }
}
