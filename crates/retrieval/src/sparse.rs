//! BM25 sparse vectors with qdrant's own French analyzer (same stop words and Snowball stemmer
//! as the Qdrant server), after orient's elision and apostrophe clean-up.

use crate::french::strip_elisions;
use qdrant_edge::bm25_embed::{EdgeBm25, EdgeBm25Config};

pub struct SparseEncoder {
    bm25: EdgeBm25,
}

impl SparseEncoder {
    pub fn french() -> Self {
        let config = EdgeBm25Config {
            language: Some("french".into()),
            ascii_folding: Some(true),
            // Passages are ~110 words (~150 tokens with the title).
            avg_len: 150.0f64.try_into().expect("not NaN"),
            ..Default::default()
        };
        SparseEncoder { bm25: EdgeBm25::new(config).expect("french is a supported BM25 language") }
    }

    pub fn document(&self, text: &str) -> (Vec<u32>, Vec<f32>) {
        let v = self.bm25.embed_document(&strip_elisions(text));
        (v.indices, v.values)
    }

    pub fn query(&self, text: &str) -> (Vec<u32>, Vec<f32>) {
        let v = self.bm25.embed_query(&strip_elisions(text));
        (v.indices, v.values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_accent_and_elision_variants_share_terms() {
        let enc = SparseEncoder::french();
        let a = enc.query("l'infirmière");
        let b = enc.query("infirmieres");
        assert!(!a.0.is_empty());
        assert_eq!(a.0, b.0, "elision, accent and plural should fold to the same stem");
        let stop = enc.query("le la les de des");
        assert!(stop.0.is_empty(), "French stop words carry no weight");
    }
}
