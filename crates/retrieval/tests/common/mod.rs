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
        dense: true,
    }
}
