//! Bilingual text carried by reference data, and the interface languages.

use serde::{Deserialize, Serialize};

/// The languages of the interface: Simplified Chinese first, English second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
pub enum Language {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "zh-CN" => Some(Language::ZhCn),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

/// A label in both interface languages. English falls back to Chinese when a
/// reference-data file leaves it empty, so a screen is never blank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Text {
    pub zh: String,
    #[serde(default)]
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Text { zh: zh.into(), en: en.into() }
    }

    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::En if !self.en.trim().is_empty() => &self.en,
            _ => &self.zh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_falls_back_to_chinese() {
        let t = Text::new("综合窗口", "");
        assert_eq!(t.get(Language::En), "综合窗口");
        assert_eq!(Text::new("综合窗口", "General").get(Language::En), "General");
        assert_eq!(Text::new("综合窗口", "General").get(Language::ZhCn), "综合窗口");
    }

    #[test]
    fn language_round_trips() {
        for l in [Language::ZhCn, Language::En] {
            assert_eq!(Language::parse(l.as_str()), Some(l));
        }
        assert_eq!(Language::parse("fr"), None);
    }
}
