//! Photos: staff portraits cut down to the thumbnail the kiosk shows, and the
//! officer's diary photos turned upright, stripped of every byte of metadata
//! (GPS above all: the JPEG is re-encoded from pixels) and scaled down.

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
    let img = decode_upright(reader)?;
    let thumb = img.resize_to_fill(THUMB_WIDTH, THUMB_HEIGHT, FilterType::Lanczos3);
    jpeg(&thumb.into_rgb8())
}

/// A diary photo's file may be a camera original, but not a film.
pub const MAX_DIARY_SOURCE_BYTES: u64 = 50 * 1024 * 1024;
/// The long side of a kept diary photo: sharp in print, small to sync.
pub const DIARY_LONG_SIDE: u32 = 2048;
/// The long side of its thumbnail in the diary's lists.
pub const DIARY_THUMB_SIDE: u32 = 320;

/// A diary photo as kept and synced: a JPEG with no metadata, and its thumbnail.
#[derive(Debug, Clone)]
pub struct DiaryPhoto {
    pub jpeg: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub sha256: String,
}

/// The diary's photo pipeline: check, decode, turn upright from the EXIF
/// orientation, scale to at most [`DIARY_LONG_SIDE`], re-encode (which drops
/// EXIF, GPS, XMP, ICC and comments: only pixels go in), make a thumbnail.
pub fn diary_photo(bytes: &[u8]) -> Result<DiaryPhoto, String> {
    if bytes.len() as u64 > MAX_DIARY_SOURCE_BYTES {
        return Err(format!("the file is larger than {} MB", MAX_DIARY_SOURCE_BYTES / 1024 / 1024));
    }
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())?;
    match reader.format() {
        Some(image::ImageFormat::Jpeg) if !jpeg_is_complete(bytes) => {
            return Err("the JPEG is truncated (no end-of-image marker after its last scan)".into());
        }
        Some(image::ImageFormat::Jpeg | image::ImageFormat::Png | image::ImageFormat::WebP) => {}
        _ => return Err("not a JPEG, PNG or WebP image".into()),
    }
    let mut decoder = reader.into_decoder().map_err(|e| format!("cannot read the image: {e}"))?;
    let orientation = decoder.orientation().map_err(|e| format!("cannot read the image: {e}"))?;
    let img = DynamicImage::from_decoder(decoder).map_err(|e| format!("cannot decode the image: {e}"))?.into_rgb8();
    // Scale first, then turn: turning 3 megapixels instead of 12. The long side
    // is the long side either way.
    let (w, h) = fit(img.width(), img.height(), DIARY_LONG_SIDE);
    let scaled = if (w, h) == img.dimensions() {
        img
    } else {
        let mut dst = image::RgbImage::new(w, h);
        let options = fast_image_resize::ResizeOptions::new()
            .resize_alg(fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::Lanczos3));
        fast_image_resize::Resizer::new()
            .resize(&img, &mut dst, &options)
            .map_err(|e| format!("cannot scale the image: {e}"))?;
        dst
    };
    let mut upright = DynamicImage::ImageRgb8(scaled);
    upright.apply_orientation(orientation);
    let rgb = upright.into_rgb8();
    let (tw, th) = fit(rgb.width(), rgb.height(), DIARY_THUMB_SIDE);
    let thumb = image::imageops::thumbnail(&rgb, tw, th);
    let jpeg = jpeg(&rgb)?;
    Ok(DiaryPhoto {
        sha256: crate::sha256_hex(&jpeg),
        thumb: self::jpeg(&thumb)?,
        width: rgb.width(),
        height: rgb.height(),
        jpeg,
    })
}

/// `w`×`h` scaled down (never up) so that the long side is at most `side`.
fn fit(w: u32, h: u32, side: u32) -> (u32, u32) {
    let scale = f64::from(side) / f64::from(w.max(h));
    if scale >= 1.0 {
        return (w, h);
    }
    (((f64::from(w) * scale).round() as u32).max(1), ((f64::from(h) * scale).round() as u32).max(1))
}

fn decode_upright(reader: ImageReader<Cursor<&[u8]>>) -> Result<DynamicImage, String> {
    let mut decoder = reader.into_decoder().map_err(|e| format!("cannot read the image: {e}"))?;
    let orientation = decoder.orientation().map_err(|e| format!("cannot read the image: {e}"))?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|e| format!("cannot decode the image: {e}"))?;
    img.apply_orientation(orientation);
    Ok(img)
}

fn jpeg(rgb: &image::RgbImage) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    rgb.write_with_encoder(encoder).map_err(|e| format!("cannot encode the JPEG: {e}"))?;
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

/// Images the tests and benchmarks make: real files with the awkward parts a
/// camera puts in them.
pub mod samples {
    use std::io::Cursor;

    /// A `width`×`height` JPEG, left half red and right half blue, as encoded.
    pub fn two_colour_jpeg(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(width, height, |x, y| {
            let grain = ((x * 7 + y * 13) % 16) as u8;
            if x < width / 2 { image::Rgb([220, 30 + grain, 30]) } else { image::Rgb([30, 30 + grain, 220]) }
        });
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg).unwrap_or_default();
        out
    }

    /// `jpeg` with an EXIF block inserted after its start marker: orientation 6
    /// (turn 90° clockwise to view) and a GPS position (22°32'12.34" N).
    pub fn with_exif_rotation_and_gps(jpeg: &[u8]) -> Vec<u8> {
        let mut tiff: Vec<u8> = b"II*\0".to_vec();
        tiff.extend(8u32.to_le_bytes());
        let entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
            let mut e = tag.to_le_bytes().to_vec();
            e.extend(kind.to_le_bytes());
            e.extend(count.to_le_bytes());
            e.extend(value);
            e
        };
        // IFD0 at 8: orientation, and where the GPS IFD is (8 + 2 + 2×12 + 4 = 38).
        tiff.extend(2u16.to_le_bytes());
        tiff.extend(entry(0x0112, 3, 1, [6, 0, 0, 0]));
        tiff.extend(entry(0x8825, 4, 1, 38u32.to_le_bytes()));
        tiff.extend(0u32.to_le_bytes());
        // GPS IFD at 38: latitude reference and latitude (three rationals at 38 + 30 = 68).
        tiff.extend(2u16.to_le_bytes());
        tiff.extend(entry(0x0001, 2, 2, [b'N', 0, 0, 0]));
        tiff.extend(entry(0x0002, 5, 3, 68u32.to_le_bytes()));
        tiff.extend(0u32.to_le_bytes());
        for (n, d) in [(22u32, 1u32), (32, 1), (1234, 100)] {
            tiff.extend(n.to_le_bytes());
            tiff.extend(d.to_le_bytes());
        }
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend([0xFF, 0xE1]);
        out.extend(((app1.len() + 2) as u16).to_be_bytes());
        out.extend(app1);
        out.extend(&jpeg[2..]);
        out
    }

    /// The marker segments of a JPEG before its first scan (APPn, COM, …).
    pub fn header_markers(jpeg: &[u8]) -> Vec<u8> {
        let mut markers = Vec::new();
        let mut i = 2;
        while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
            let marker = jpeg[i + 1];
            markers.push(marker);
            if marker == 0xDA {
                break;
            }
            i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        }
        markers
    }
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

    #[test]
    fn a_rotated_camera_jpeg_comes_out_upright_without_any_metadata() {
        let original = samples::with_exif_rotation_and_gps(&samples::two_colour_jpeg(400, 200));
        assert!(samples::header_markers(&original).contains(&0xE1));
        let p = diary_photo(&original).unwrap();
        assert_eq!((p.width, p.height), (200, 400));
        let back = image::load_from_memory(&p.jpeg).unwrap().into_rgb8();
        let (top, bottom) = (back.get_pixel(100, 20), back.get_pixel(100, 380));
        assert!(top[0] > 150 && top[2] < 100, "the left (red) half is on top after turning: {top:?}");
        assert!(bottom[2] > 150 && bottom[0] < 100, "{bottom:?}");
        // Only the frame, tables and scan: no APPn segment but the JFIF header, no comment.
        let markers = samples::header_markers(&p.jpeg);
        assert!(markers.iter().all(|m| !(0xE1..=0xEF).contains(m) && *m != 0xFE), "{markers:02X?}");
        assert!(!p.jpeg.windows(4).any(|w| w == b"Exif"));
        assert_eq!(p.sha256, crate::sha256_hex(&p.jpeg));
        let thumb = image::load_from_memory(&p.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (160, 320));
    }

    #[test]
    fn a_large_photo_is_scaled_to_2048_on_its_long_side() {
        let p = diary_photo(&samples::two_colour_jpeg(3000, 1000)).unwrap();
        assert_eq!((p.width, p.height), (2048, 683));
    }

    #[test]
    fn what_is_not_a_whole_image_is_refused_with_a_reason() {
        let jpg = samples::two_colour_jpeg(600, 400);
        assert!(diary_photo(&jpg[..jpg.len() / 2]).unwrap_err().contains("truncated"));
        assert!(diary_photo(b"hello, this is a text file named photo.jpg").unwrap_err().contains("not a JPEG"));
        let huge = vec![0u8; 60 * 1024 * 1024];
        assert!(diary_photo(&huge).unwrap_err().contains("50 MB"));
    }
}
