//! The words a page shows for the ids records carry: a hall's name, a window's
//! number and name, a staff member's name and employee number, a reason's
//! label. An id the reference data no longer names is shown as it is.

use std::collections::HashMap;

use tiyan_core::Language;
use tiyan_core::reference::ReferenceData;

use super::page::Choice;
use super::texts::Lang;

pub struct Names {
    halls: HashMap<String, String>,
    windows: HashMap<String, String>,
    staff: HashMap<String, String>,
    reasons: HashMap<String, String>,
    matters: HashMap<String, String>,
    officers: HashMap<String, String>,
}

pub fn language(lang: Lang) -> Language {
    match lang {
        Lang::Zh => Language::ZhCn,
        Lang::En => Language::En,
    }
}

impl Names {
    pub fn new(data: &ReferenceData, lang: Lang) -> Names {
        let l = language(lang);
        Names {
            halls: data.halls.iter().map(|h| (h.id.clone(), h.name.get(l).to_string())).collect(),
            windows: data.windows.iter().map(|w| (w.id.clone(), format!("{} {}", w.number, w.name.get(l)))).collect(),
            staff: data.staff.iter().map(|s| (s.id.clone(), format!("{}（{}）", s.name, s.employee_no))).collect(),
            reasons: data.reasons.iter().map(|r| (r.code.clone(), r.label.get(l).to_string())).collect(),
            matters: data.matters.iter().map(|m| (m.id.clone(), m.name.get(l).to_string())).collect(),
            officers: data.officers.iter().map(|o| (o.id.clone(), o.name.clone())).collect(),
        }
    }

    fn of(map: &HashMap<String, String>, id: Option<&str>) -> String {
        id.map(|id| map.get(id).cloned().unwrap_or_else(|| id.to_string())).unwrap_or_default()
    }

    pub fn hall(&self, id: Option<&str>) -> String {
        Names::of(&self.halls, id)
    }

    pub fn window(&self, id: Option<&str>) -> String {
        Names::of(&self.windows, id)
    }

    pub fn staff(&self, id: Option<&str>) -> String {
        Names::of(&self.staff, id)
    }

    pub fn matter(&self, id: Option<&str>) -> String {
        Names::of(&self.matters, id)
    }

    pub fn officer(&self, id: Option<&str>) -> String {
        Names::of(&self.officers, id)
    }

    /// A comma-separated list of reason codes, in words.
    pub fn reasons(&self, codes: &[String]) -> String {
        codes.iter().map(|c| Names::of(&self.reasons, Some(c))).collect::<Vec<_>>().join("；")
    }
}

/// The halls, windows or staff of `data` a page offers to choose from (of
/// one hall, or of every hall), after an "all" choice.
pub fn choices(all: &str, items: impl Iterator<Item = (String, String)>, current: Option<&str>) -> Vec<Choice> {
    let current = current.unwrap_or_default();
    std::iter::once(Choice::new("", all, current)).chain(items.map(|(v, l)| Choice::new(v, l, current))).collect()
}
