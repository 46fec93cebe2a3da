//! Helpers shared by the retrieval integration tests.

use retrieval::chunk::Chunk;
use retrieval::Kind;

/// A one-passage fiche whose text is its id.
pub fn chunk(id: &str, kind: Kind) -> Chunk {
    Chunk {
        chunk_id: format!("{id}#0"),
        doc_id: id.into(),
        kind,
        title: id.into(),
        section: "identite".into(),
        section_label: "En bref".into(),
        text: id.into(),
        url: String::new(),
        date: String::new(),
        level: None,
        interests: Vec::new(),
        level_rank: None,
        sectors: Vec::new(),
        conditions: Vec::new(),
        dense: true,
    }
}

/// Profile filters (interests, level, section, conditions ruled out) hold on any store: the embedded one and a
/// Qdrant server answer alike.
pub fn profile_filters_hold(store: &dyn retrieval::Store) {
    use retrieval::store::{PayloadFilter, StoreQuery, StoredChunk};
    use retrieval::Level;
    let fiche = |id: &str, n: u64, interests: &[&str], level: Level, section: &str| {
        let mut c = chunk(id, Kind::Metier);
        c.interests = interests.iter().map(|s| s.to_string()).collect();
        c.level_rank = Some(level.rank());
        c.section = section.into();
        StoredChunk { point_id: n, dense: Some(vec![1.0, n as f32 / 10.0, 0.0]), sparse: (vec![1], vec![1.0]), chunk: c }
    };
    store
        .upsert(vec![
            fiche("soigneur", 11, &["je veux m'occuper d'animaux", "j'aime bouger"], Level::Cap, "identite"),
            StoredChunk {
                chunk: retrieval::chunk::Chunk {
                    conditions: vec!["Travail de nuit".into(), "Travail en astreinte".into()],
                    ..fiche("veterinaire", 12, &["je veux m'occuper d'animaux", "ma vocation est de soigner"], Level::Beyond, "identite").chunk
                },
                ..fiche("veterinaire", 12, &[], Level::Beyond, "identite")
            },
            fiche("comptable", 13, &["j'aime jongler avec les chiffres"], Level::Bac2, "identite"),
            fiche("soigneur-acces", 14, &["je veux m'occuper d'animaux"], Level::Cap, "acces_metier"),
        ])
        .unwrap();
    let ids = |filter: PayloadFilter| -> Vec<String> {
        let q = StoreQuery { dense: Some(vec![1.0, 0.0, 0.0]), sparse: None, filter, limit: 10, prefetch: 10 };
        let mut ids: Vec<String> = store.query(&q).unwrap().into_iter().map(|h| h.chunk.doc_id).collect();
        ids.sort();
        ids
    };
    let animals = || PayloadFilter { interests_any: vec!["je veux m'occuper d'animaux".into()], ..Default::default() };
    assert_eq!(ids(animals()), vec!["soigneur", "soigneur-acces", "veterinaire"]);
    assert_eq!(ids(PayloadFilter { max_level: Some(Level::Bac), ..animals() }), vec!["soigneur", "soigneur-acces"]);
    assert_eq!(ids(PayloadFilter { max_level: Some(Level::Bac), section: Some("identite".into()), ..animals() }), vec!["soigneur"]);
    // Working conditions ruled out leave out the fiches that carry any of them.
    let no_nights = PayloadFilter { conditions_none: vec!["Travail de nuit".into(), "En grande hauteur".into()], ..animals() };
    assert_eq!(ids(no_nights), vec!["soigneur", "soigneur-acces"]);
    assert_eq!(ids(PayloadFilter { conditions_none: vec!["En grande hauteur".into()], ..animals() }), vec!["soigneur", "soigneur-acces", "veterinaire"]);
    let either = PayloadFilter { interests_any: vec!["j'aime bouger".into(), "j'aime jongler avec les chiffres".into()], ..Default::default() };
    assert_eq!(ids(either), vec!["comptable", "soigneur"]);
}
