//! A province's tree of regions (省 → 市 → 区县 → 乡镇街道) by their
//! administrative division codes: GB/T 2260 for the first three levels (six
//! digits, two per level: 33 0000 Zhejiang, 3301 00 Hangzhou, 330106 Xihu) and
//! GB/T 10114's nine digits for a township (330106 001). The code says where
//! a region sits, so the tree is read from the codes themselves: a region
//! holds every code that starts with its own significant digits. Nothing is
//! walked, and an account scoped to a city is one prefix test per hall.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Text;

/// How deep in the tree a division code sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 省、自治区、直辖市
    Province,
    /// 地级市、地区、自治州、盟 (and a municipality's 市辖区)
    City,
    /// 区、县、县级市
    County,
    /// 乡、镇、街道
    Township,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::County => "county",
            Level::Township => "township",
        }
    }
}

/// An administrative division code, checked: six digits (GB/T 2260) or nine
/// (a township, GB/T 10114), never all zeros, no level below a zero level.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Division(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an administrative division code (six digits of GB/T 2260, or nine for a township)")]
pub struct BadDivision(pub String);

impl Division {
    pub fn parse(code: &str) -> Result<Division, BadDivision> {
        let code = code.trim();
        let digits = code.bytes().all(|b| b.is_ascii_digit());
        let bad = || BadDivision(code.to_string());
        if !digits || !(code.len() == 6 || code.len() == 9) {
            return Err(bad());
        }
        let (province, city, county) = (&code[0..2], &code[2..4], &code[4..6]);
        // A level present under an absent one ("330006") names nothing.
        let gap = province == "00" || (city == "00" && county != "00");
        let township_without_county = code.len() == 9 && (county == "00" || &code[6..9] == "000");
        if gap || township_without_county {
            return Err(bad());
        }
        Ok(Division(code.to_string()))
    }

    /// As [`Division::parse`], and the statistics bureau's twelve digits
    /// (统计用区划代码) down to a township: 330106001000 is 330106001, and
    /// 330106000000 is 330106. A village (the last three digits) is no region here.
    pub fn parse_statistical(code: &str) -> Result<Division, BadDivision> {
        let c = code.trim();
        if c.len() == 12 && c.bytes().all(|b| b.is_ascii_digit()) && &c[9..] == "000" {
            let short = if &c[6..9] == "000" { &c[..6] } else { &c[..9] };
            return Division::parse(short).map_err(|_| BadDivision(c.to_string()));
        }
        Division::parse(c)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> Level {
        let c = &self.0;
        if c.len() == 9 {
            Level::Township
        } else if &c[4..6] != "00" {
            Level::County
        } else if &c[2..4] != "00" {
            Level::City
        } else {
            Level::Province
        }
    }

    /// The digits that name this region: a code below it starts with them.
    pub fn prefix(&self) -> &str {
        match self.level() {
            Level::Province => &self.0[..2],
            Level::City => &self.0[..4],
            Level::County => &self.0[..6],
            Level::Township => &self.0,
        }
    }

    /// Whether `other` is this region or lies below it.
    pub fn contains(&self, other: &Division) -> bool {
        other.0.starts_with(self.prefix())
    }

    /// The region directly above, by the code (a province has none).
    pub fn parent(&self) -> Option<Division> {
        let c = &self.0;
        let up = match self.level() {
            Level::Province => return None,
            Level::City => format!("{}0000", &c[..2]),
            Level::County => format!("{}00", &c[..4]),
            Level::Township => c[..6].to_string(),
        };
        Some(Division(up))
    }
}

impl fmt::Display for Division {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Division {
    type Error = BadDivision;
    fn try_from(s: String) -> Result<Division, BadDivision> {
        Division::parse(&s)
    }
}

impl From<Division> for String {
    fn from(d: Division) -> String {
        d.0
    }
}

/// A region of the tree, as reference data keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: Division,
    pub name: Text,
}

/// The regions in tree order (each after the one above it), with each one's
/// depth below the shallowest: what a page indents and a picker lists. A
/// region whose parent is not listed (a file of one city) sits at the top.
pub fn in_tree_order(regions: &[Region]) -> Vec<(usize, &Region)> {
    let mut sorted: Vec<&Region> = regions.iter().collect();
    // Codes sort parents before children once a code is read by its prefix.
    sorted.sort_by(|a, b| a.code.prefix().cmp(b.code.prefix()).then(a.code.cmp(&b.code)));
    let mut out: Vec<(usize, &Region)> = Vec::with_capacity(sorted.len());
    let mut stack: Vec<&Region> = Vec::new();
    for r in sorted {
        while stack.last().is_some_and(|top| !top.code.contains(&r.code)) {
            stack.pop();
        }
        out.push((stack.len(), r));
        stack.push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Division {
        Division::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn codes_are_read_as_the_standard_writes_them() {
        assert_eq!(d("330000").level(), Level::Province);
        assert_eq!(d("330100").level(), Level::City);
        assert_eq!(d("330106").level(), Level::County);
        assert_eq!(d("330106001").level(), Level::Township);
        assert_eq!(d("110101").parent(), Some(d("110100")));
        assert_eq!(d("110100").parent(), Some(d("110000")));
        assert_eq!(d("330106001").parent(), Some(d("330106")));
        assert_eq!(d("330000").parent(), None);
        assert_eq!(Division::parse_statistical("330106001000"), Ok(d("330106001")));
        assert_eq!(Division::parse_statistical("330100000000"), Ok(d("330100")));
        assert!(Division::parse_statistical("330106001002").is_err(), "a village is no region");
        for bad in ["", "33", "3301000", "33010a", "000000", "330006", "330100001", "330106000", " 3301 0"] {
            assert!(Division::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn a_region_holds_what_lies_below_it_and_nothing_beside_it() {
        let (zj, hz, xihu) = (d("330000"), d("330100"), d("330106"));
        assert!(zj.contains(&hz) && zj.contains(&xihu) && hz.contains(&xihu) && hz.contains(&hz));
        assert!(xihu.contains(&d("330106001")) && !xihu.contains(&d("330105001")));
        assert!(!hz.contains(&zj) && !hz.contains(&d("330200")) && !hz.contains(&d("330206")));
        // 330110 (Yuhang) is not under 33011x's "33011" but under Hangzhou "3301".
        assert!(!d("330110").contains(&d("330111")) && hz.contains(&d("330110")));
        assert!(!d("110000").contains(&d("120101")));
    }

    #[test]
    fn the_tree_is_listed_parents_first() {
        let r = |c: &str| Region { code: d(c), name: Text::new(c, "") };
        let regions = vec![r("330106"), r("330200"), r("330000"), r("330106001"), r("330100"), r("330203")];
        let order: Vec<(usize, &str)> =
            in_tree_order(&regions).into_iter().map(|(n, r)| (n, r.code.as_str())).collect();
        assert_eq!(
            order,
            vec![(0, "330000"), (1, "330100"), (2, "330106"), (3, "330106001"), (1, "330200"), (2, "330203")]
        );
    }
}
