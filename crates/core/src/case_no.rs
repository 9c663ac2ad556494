//! Case (办件) or queue-ticket numbers, which bind a rating to one service.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseNoError {
    #[error("the case number is empty")]
    Empty,
    #[error("the case number is longer than {max} characters")]
    TooLong { max: usize },
    #[error("the case number may hold only letters, digits and '-'")]
    BadCharacter,
}

pub const MAX_LEN: usize = 40;

/// Trims, upper-cases and checks a case number so that "a12-3" and " A12-3" are
/// the same service.
pub fn normalize(raw: &str) -> Result<String, CaseNoError> {
    let s = raw.trim().to_ascii_uppercase();
    if s.is_empty() {
        return Err(CaseNoError::Empty);
    }
    if s.chars().count() > MAX_LEN {
        return Err(CaseNoError::TooLong { max: MAX_LEN });
    }
    if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(CaseNoError::BadCharacter);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_refuses_junk() {
        assert_eq!(normalize(" a12-3 "), Ok("A12-3".to_string()));
        assert_eq!(normalize("   "), Err(CaseNoError::Empty));
        assert_eq!(normalize("12 34"), Err(CaseNoError::BadCharacter));
        assert_eq!(normalize("办件1"), Err(CaseNoError::BadCharacter));
        assert_eq!(normalize(&"9".repeat(41)), Err(CaseNoError::TooLong { max: 40 }));
    }
}
