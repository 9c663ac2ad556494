//! Cells of a CSV file that a spreadsheet will open. A text typed by a citizen
//! on a public kiosk ("=HYPERLINK(...)", "+86...", "@SUM(...)") must stay text:
//! a cell that begins with a character a spreadsheet reads as a formula gets a
//! leading apostrophe (OWASP's advice for CSV injection).

use std::borrow::Cow;

pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_the_rest_is_untouched() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        for s in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(spreadsheet_safe(s), format!("'{s}"));
        }
        assert!(matches!(spreadsheet_safe("等候时间过长"), Cow::Borrowed(_)));
        assert_eq!(spreadsheet_safe(""), "");
        assert_eq!(spreadsheet_safe("a=b"), "a=b");
    }
}
