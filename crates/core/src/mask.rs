//! Masking for anything shown beyond the person it belongs to (PIPL art. 6).

/// Keeps the first and the last character of a name: 梁小能 → 梁*能, 梁能 → 梁*,
/// 欧阳小明 → 欧**明. One star per hidden character, as published diaries do.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_string(),
        2 => format!("{}*", chars[0]),
        n => {
            let mut s = String::with_capacity(n + 2);
            s.push(chars[0]);
            s.extend(std::iter::repeat_n('*', n - 2));
            s.push(chars[n - 1]);
            s
        }
    }
}

/// Shows the first three and the last four digits: 13812345678 → 138****5678.
/// Anything shorter than eight characters is hidden entirely but for its last two.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.trim().chars().collect();
    let n = chars.len();
    if n >= 8 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}{}{tail}", "*".repeat(n - 7))
    } else if n > 2 {
        format!("{}{}", "*".repeat(n - 2), chars[n - 2..].iter().collect::<String>())
    } else {
        "*".repeat(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_first_and_last_character() {
        assert_eq!(mask_name("梁小能"), "梁*能");
        assert_eq!(mask_name("梁能"), "梁*");
        assert_eq!(mask_name("欧阳小明"), "欧**明");
        assert_eq!(mask_name("梁"), "*");
        assert_eq!(mask_name(" 李明华 "), "李*华");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn phones_show_three_and_four_digits() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("075012345678"), "075*****5678");
        assert_eq!(mask_phone("12345"), "***45");
        assert_eq!(mask_phone("1"), "*");
    }
}
