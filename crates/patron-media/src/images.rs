//! Image renditions: decoded within a pixel budget, turned upright by the EXIF orientation,
//! re-encoded from pixels alone (so no metadata — GPS position, camera, time — survives) in a
//! few sizes.

use crate::ProcessError;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use patron_store::media::{Purpose, Variant};
use std::io::Cursor;

/// Widths made of a post's image for `srcset`, never wider than the upload.
pub const WIDTHS: [u32; 4] = [320, 640, 1280, 2048];
/// Sizes of an avatar (square).
pub const AVATAR_SIZES: [u32; 2] = [160, 400];
/// Sizes of a cover (3:1).
pub const COVER_WIDTHS: [u32; 2] = [750, 1500];
/// JPEG quality of renditions.
const QUALITY: u8 = 82;

/// One encoded rendition.
#[derive(Debug, Clone)]
pub struct Rendition {
    /// What the database records of it.
    pub variant: Variant,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// An image made into renditions.
#[derive(Debug, Clone)]
pub struct Renditions {
    /// Upright width of the upload.
    pub width: u32,
    /// Upright height of the upload.
    pub height: u32,
    /// The renditions, smallest first.
    pub renditions: Vec<Rendition>,
}

/// Decodes an image: refuses more than `max_pixels` before allocating them, and applies its
/// EXIF orientation.
pub fn decode(data: &[u8], max_pixels: u64) -> Result<DynamicImage, ProcessError> {
    let unusable = |e: image::ImageError| ProcessError::Unusable(format!("the image cannot be read: {e}"));
    let mut reader = ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .map_err(|e| ProcessError::Unusable(format!("the image cannot be read: {e}")))?;
    let mut limits = Limits::default();
    // four bytes a pixel, twice (the decoder's buffer and the image), and some slack
    limits.max_alloc = Some(max_pixels.saturating_mul(8).saturating_add(64 << 20));
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(unusable)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(ProcessError::Unusable(format!(
            "the image is {width}×{height} pixels, more than the {max_pixels} allowed"
        )));
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(unusable)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn encode(image: &DynamicImage, file_stem: &str) -> Result<Rendition, ProcessError> {
    let mut bytes = Vec::new();
    let failed = |e: image::ImageError| ProcessError::Unusable(format!("the image cannot be encoded: {e}"));
    let (file, content_type) = if image.color().has_alpha() {
        image.write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png).map_err(failed)?;
        (format!("{file_stem}.png"), "image/png")
    } else {
        let rgb = image.to_rgb8();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, QUALITY);
        rgb.write_with_encoder(encoder).map_err(failed)?;
        (format!("{file_stem}.jpg"), "image/jpeg")
    };
    Ok(Rendition {
        variant: Variant {
            file,
            role: "image".to_owned(),
            content_type: content_type.to_owned(),
            width: Some(image.width()),
            height: Some(image.height()),
        },
        bytes,
    })
}

/// The renditions of an upload for its purpose: widths for post images, square crops for
/// avatars, 3:1 crops for covers. CPU-bound: run it on a blocking thread.
pub fn renditions(data: &[u8], max_pixels: u64, purpose: Purpose) -> Result<Renditions, ProcessError> {
    let image = decode(data, max_pixels)?;
    let (width, height) = (image.width(), image.height());
    let mut renditions = Vec::new();
    match purpose {
        Purpose::Avatar => {
            for size in AVATAR_SIZES {
                let side = size.min(width).min(height).max(1);
                let cropped = image.resize_to_fill(side, side, FilterType::CatmullRom);
                renditions.push(encode(&cropped, &format!("s{size}"))?);
            }
        }
        Purpose::Cover => {
            for target in COVER_WIDTHS {
                let w = target.min(width).max(3);
                let cropped = image.resize_to_fill(w, (w / 3).max(1), FilterType::CatmullRom);
                renditions.push(encode(&cropped, &format!("w{target}"))?);
            }
        }
        Purpose::Post | Purpose::Private => {
            // each width from the next larger one: cheaper than from the original each time
            let mut wanted: Vec<u32> = WIDTHS.iter().copied().filter(|w| *w < width).collect();
            wanted.push(width.min(WIDTHS[WIDTHS.len() - 1]));
            wanted.dedup();
            let mut source = image;
            for target in wanted.iter().rev() {
                if source.width() > *target {
                    source = source.resize(*target, u32::MAX, FilterType::CatmullRom);
                }
                renditions.push(encode(&source, &format!("w{target}"))?);
            }
            renditions.reverse();
        }
    }
    Ok(Renditions { width, height, renditions })
}
