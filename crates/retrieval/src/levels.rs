//! Levels of study, in order: the fiches write them several ways ("Bac + 2", "niveau 5 (bac +
//! 2)", "CAP ou équivalent + 1 an"); search filters and profiles compare them as one ordered
//! enum, stored in the index as its rank.

use crate::french::fold;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Straight after the collège: no diploma, the brevet.
    NoDiploma,
    Cap,
    Bac,
    Bac1,
    Bac2,
    Bac3,
    Bac4,
    Bac5,
    /// Bac + 6 and beyond (doctorates, medicine).
    Beyond,
}

impl Level {
    pub const ALL: [Level; 9] = [Level::NoDiploma, Level::Cap, Level::Bac, Level::Bac1, Level::Bac2, Level::Bac3, Level::Bac4, Level::Bac5, Level::Beyond];

    /// Read a level as the fiches and people write it; None when it says no level.
    pub fn parse(text: &str) -> Option<Level> {
        let t = fold(text);
        if let Some(at) = t.find("bac +").or_else(|| t.find("bac+")) {
            let digits: String = t[at + 4..].trim_start_matches(['+', ' ']).chars().take_while(char::is_ascii_digit).collect();
            return digits.parse::<u8>().ok().map(|n| match n {
                0 => Level::Bac,
                1 => Level::Bac1,
                2 => Level::Bac2,
                3 => Level::Bac3,
                4 => Level::Bac4,
                5 => Level::Bac5,
                _ => Level::Beyond,
            });
        }
        if t.contains("bac") {
            return Some(Level::Bac);
        }
        if t.contains("cap") || t.contains("autre formation") {
            return Some(Level::Cap);
        }
        if t.contains("sans diplome") || t.contains("brevet") || t.trim() == "3e" {
            return Some(Level::NoDiploma);
        }
        None
    }

    /// Position in the order, as stored in the index's `level_rank` payload field.
    pub fn rank(self) -> u8 {
        self as u8
    }

    pub fn from_rank(rank: u8) -> Option<Level> {
        Level::ALL.get(rank as usize).copied()
    }

    /// French label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Level::NoDiploma => "sans diplôme",
            Level::Cap => "CAP",
            Level::Bac => "bac",
            Level::Bac1 => "bac + 1",
            Level::Bac2 => "bac + 2",
            Level::Bac3 => "bac + 3",
            Level::Bac4 => "bac + 4",
            Level::Bac5 => "bac + 5",
            Level::Beyond => "bac + 6 et plus",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_the_fiches_write_a_level_is_read() {
        assert_eq!(Level::parse("Bac + 5"), Some(Level::Bac5));
        assert_eq!(Level::parse("niveau 5 (bac + 2)"), Some(Level::Bac2));
        assert_eq!(Level::parse("niveau 4 (bac ou équivalent)"), Some(Level::Bac));
        assert_eq!(Level::parse("niveau 3 (niveau CAP)"), Some(Level::Cap));
        assert_eq!(Level::parse("CAP ou équivalent + 1 an"), Some(Level::Cap));
        assert_eq!(Level::parse("Bac + 9 et plus"), Some(Level::Beyond));
        assert_eq!(Level::parse("Diplôme national du brevet"), Some(Level::NoDiploma));
        assert_eq!(Level::parse("3E"), Some(Level::NoDiploma));
        assert_eq!(Level::parse("non inscrit au RNCP"), None);
        assert!(Level::Cap < Level::Bac2 && Level::Bac2 < Level::Beyond);
        for l in Level::ALL {
            assert_eq!(Level::from_rank(l.rank()), Some(l));
        }
    }
}
