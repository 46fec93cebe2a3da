//! The one loader of data files (the rails' `crates/guardrails/data/`, the answer's
//! `crates/assistant/data/`): word lists, spelling
//! tables and patterns live there, compiled into the binary, so that extending a list is a
//! data change reviewed like code, with no file to lose at run time.

/// A tab-separated table: one row per non-empty line, `#` lines are comments.
pub fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines().map(str::trim_end).filter(|l| !l.trim().is_empty() && !l.starts_with('#')).map(|l| l.split('\t').map(str::trim).collect())
}

/// A word list: one entry per line (first column).
pub fn words(text: &'static str) -> impl Iterator<Item = &'static str> {
    rows(text).filter_map(|r| r.first().copied()).filter(|w| !w.is_empty())
}

pub const NORMALISE: &str = include_str!("../data/normalise.tsv");
pub const FIRST_NAMES_EXTRA: &str = include_str!("../data/first-names-extra.txt");
pub const NAME_EXCLUSIONS: &str = include_str!("../data/name-exclusions.txt");
pub const NAME_CUES: &str = include_str!("../data/name-cues.tsv");
pub const COMMON_WORDS: &str = include_str!("../data/common-words.txt");
pub const HUMAN_CUES: &str = include_str!("../data/human-cues.txt");
pub const COURTESIES: &str = include_str!("../data/courtesies.tsv");
pub const NOT_PLACES: &str = include_str!("../data/not-places.txt");
pub const FIGURATIVE: &str = include_str!("../data/figurative.txt");

#[cfg(test)]
mod tests {
    #[test]
    fn every_table_row_has_its_columns() {
        for row in super::rows(super::NORMALISE) {
            assert!(row.len() == 2 || (row.len() == 3 && row[2] == "untrained"), "normalise.tsv: {row:?}");
            assert!(!row[0].is_empty() && !row[1].is_empty(), "normalise.tsv: {row:?}");
        }
    }
}
