//! One-time enrolment codes: long enough that guessing one is hopeless, grouped
//! so a person can type one, and drawn as a QR code for a kiosk's camera or a
//! phone to read.

use rand::Rng;

/// No 0/O, 1/I/L: nothing a person could misread.
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// 16 characters (about 79 bits) in groups of four: `7KQ4-M2XD-9PTA-HW3E`.
pub fn new_code() -> String {
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..16).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// A code as a person typed it (any case, with or without the dashes, with
/// spaces) in the form it was issued in.
pub fn normalize(typed: &str) -> String {
    let chars: Vec<char> =
        typed.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// What is stored of a code, and what it is looked up by: the SHA-256 of its
/// normal form. A made-up code costs one hash and one indexed read.
pub fn digest(code: &str) -> String {
    tiyan_storage::sha256_hex(normalize(code).as_bytes())
}

/// What the QR code holds: the server and the code, for a device to enrol from.
pub fn enrolment_uri(server_url: &str, code: &str) -> String {
    format!("tiyan://enroll?server={server_url}&code={code}")
}

/// `text` as a QR code PNG.
pub fn qr_png(text: &str) -> anyhow::Result<Vec<u8>> {
    let qr = qrcode::QrCode::new(text.as_bytes())?;
    let img = qr.render::<image::Luma<u8>>().min_dimensions(320, 320).build();
    let mut png = std::io::Cursor::new(Vec::new());
    img.write_to(&mut png, image::ImageFormat::Png)?;
    Ok(png.into_inner())
}

/// Writes `text` as a QR code PNG.
pub fn write_qr_png(text: &str, path: &std::path::Path) -> anyhow::Result<()> {
    std::fs::write(path, qr_png(text)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_unambiguous_and_different() {
        let a = new_code();
        assert_eq!(a.len(), 19);
        assert!(a.split('-').all(|g| g.len() == 4 && g.bytes().all(|b| ALPHABET.contains(&b))));
        assert_ne!(a, new_code());
        assert_eq!(normalize(&a.to_lowercase().replace('-', " ")), a);
        assert_eq!(digest(&a), digest(&format!(" {} ", a.replace('-', ""))));
    }

    #[test]
    fn the_qr_code_is_a_real_png() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("code.png");
        write_qr_png(&enrolment_uri("http://127.0.0.1:8787", "7KQ4-M2XD-9PTA-HW3E"), &path)
            .unwrap_or_else(|e| panic!("{e}"));
        let img = image::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(img.width() >= 320);
    }
}
