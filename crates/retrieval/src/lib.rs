//! From open data to passages: ONISEP Idéo fiches (métiers, formations) parsed into documents,
//! chunked by section, embedded (dense + BM25 sparse), stored in Qdrant, searched hybrid.

pub mod acronyms;
pub mod chunk;
pub mod data;
pub mod document;
pub mod french;
pub mod gender;
pub mod index;
pub mod informal;
pub mod levels;
pub mod onisep;
pub mod rome;
pub mod search;
pub mod server;
pub mod sparse;
pub mod store;

pub use document::{Document, Facts, Kind, Link, Section};
pub use index::{IndexManifest, Indexer, IngestReport};
pub use levels::Level;
pub use search::{Hit, SearchOptions, Searcher};
pub use store::{EdgeStore, Store, StoreError};
