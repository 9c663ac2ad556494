//! The national five-level scale (GB/T 39734-2020): 5 非常满意 … 1 非常不满意.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Level {
    VeryDissatisfied = 1,
    Dissatisfied = 2,
    BasicallySatisfied = 3,
    Satisfied = 4,
    VerySatisfied = 5,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a level: levels run from 1 (非常不满意) to 5 (非常满意)")]
pub struct InvalidLevel(pub i64);

impl Level {
    /// All levels in the order the national standard lists them, best first.
    pub const ALL: [Level; 5] = [
        Level::VerySatisfied,
        Level::Satisfied,
        Level::BasicallySatisfied,
        Level::Dissatisfied,
        Level::VeryDissatisfied,
    ];

    pub fn value(self) -> u8 {
        self as u8
    }

    /// Levels 1 and 2 are a bad review (差评) and must carry a reason.
    pub fn is_bad(self) -> bool {
        self <= Level::Dissatisfied
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::VerySatisfied => "非常满意",
            Level::Satisfied => "满意",
            Level::BasicallySatisfied => "基本满意",
            Level::Dissatisfied => "不满意",
            Level::VeryDissatisfied => "非常不满意",
        }
    }
}

impl TryFrom<i64> for Level {
    type Error = InvalidLevel;
    fn try_from(v: i64) -> Result<Self, InvalidLevel> {
        Ok(match v {
            1 => Level::VeryDissatisfied,
            2 => Level::Dissatisfied,
            3 => Level::BasicallySatisfied,
            4 => Level::Satisfied,
            5 => Level::VerySatisfied,
            other => return Err(InvalidLevel(other)),
        })
    }
}

impl TryFrom<u8> for Level {
    type Error = InvalidLevel;
    fn try_from(v: u8) -> Result<Self, InvalidLevel> {
        Level::try_from(i64::from(v))
    }
}

impl From<Level> for u8 {
    fn from(l: Level) -> u8 {
        l.value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_round_trips_and_only_one_and_two_are_bad() {
        for l in Level::ALL {
            assert_eq!(Level::try_from(l.value()), Ok(l));
            assert_eq!(l.is_bad(), l.value() <= 2, "{l:?}");
        }
        assert_eq!(Level::ALL.len(), 5);
    }

    #[test]
    fn out_of_range_is_refused() {
        assert_eq!(Level::try_from(0u8), Err(InvalidLevel(0)));
        assert_eq!(Level::try_from(6u8), Err(InvalidLevel(6)));
        assert!(serde_json::from_str::<Level>("7").is_err());
        assert_eq!(serde_json::from_str::<Level>("3").ok(), Some(Level::BasicallySatisfied));
        assert_eq!(serde_json::to_string(&Level::VerySatisfied).ok().as_deref(), Some("5"));
    }
}
