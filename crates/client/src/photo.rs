//! Staff photos: turned upright and cut down to the thumbnail the kiosk shows.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, imageops::FilterType};

/// The staff card shows the photo at most this size (portrait 3:4), sharp on a 2× screen.
pub const THUMB_WIDTH: u32 = 240;
pub const THUMB_HEIGHT: u32 = 320;
/// A staff photo larger than this is not a portrait but a mistake.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;

/// Decodes `bytes` (JPEG, PNG or WebP), applies the EXIF orientation, crops to 3:4
/// around the centre and scales to the thumbnail size; returns a JPEG.
pub fn thumbnail(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(format!("the photo is larger than {} MB", MAX_PHOTO_BYTES / 1024 / 1024));
    }
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())?;
    match reader.format() {
        None => return Err("not a JPEG, PNG or WebP image".into()),
        Some(image::ImageFormat::Jpeg) if !jpeg_is_complete(bytes) => {
            return Err("the JPEG is truncated (no end-of-image marker after its last scan)".into());
        }
        Some(_) => {}
    }
    let mut decoder = reader.into_decoder().map_err(|e| format!("cannot read the image: {e}"))?;
    let orientation = decoder.orientation().map_err(|e| format!("cannot read the image: {e}"))?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| format!("cannot decode the image: {e}"))?;
    img.apply_orientation(orientation);

    let thumb = img.resize_to_fill(THUMB_WIDTH, THUMB_HEIGHT, FilterType::Lanczos3).into_rgb8();
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    thumb.write_with_encoder(encoder).map_err(|e| format!("cannot encode the thumbnail: {e}"))?;
    Ok(out)
}

/// The JPEG decoder fills a cut-off scan with grey rather than failing, so a
/// half-copied file would pass as a photo. A complete JPEG has an end-of-image
/// marker (FF D9) after the start of its last scan (FF DA); an EXIF thumbnail's
/// own end marker comes earlier and does not count.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let last = |marker: u8| bytes.windows(2).rposition(|w| w[0] == 0xFF && w[1] == marker);
    matches!((last(0xDA), last(0xD9)), (Some(sos), Some(eoi)) if eoi > sos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_landscape_png_becomes_a_portrait_jpeg_thumbnail() {
        let img = image::RgbImage::from_fn(800, 500, |x, _| image::Rgb([(x % 256) as u8, 90, 160]));
        let mut png = Vec::new();
        img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let thumb = thumbnail(&png).unwrap();
        let back = image::load_from_memory(&thumb).unwrap();
        assert_eq!((back.width(), back.height()), (THUMB_WIDTH, THUMB_HEIGHT));
        assert_eq!(image::guess_format(&thumb).unwrap(), image::ImageFormat::Jpeg);
    }

    #[test]
    fn junk_and_truncated_images_are_refused() {
        assert!(thumbnail(b"this is a text file").is_err());
        let img = image::RgbImage::new(300, 400);
        let mut jpg = Vec::new();
        img.write_to(&mut Cursor::new(&mut jpg), image::ImageFormat::Jpeg).unwrap();
        assert!(thumbnail(&jpg[..jpg.len() / 3]).is_err());
        assert!(thumbnail(&vec![0u8; MAX_PHOTO_BYTES + 1]).is_err());
    }
}
