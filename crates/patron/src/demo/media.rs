//! The demo's files, made when it is seeded so that media work from the first start: a photo
//! drawn in memory (a dog on a meadow under the sky), and a three-second video with a tone
//! when ffmpeg is installed (without it, the video post stays without a file). Both go through
//! the upload use case and the media worker like a creator's files.

use super::DemoError;
use bytes::Bytes;
use patron_app::uploads::{self, UploadSource, UploadTarget};
use patron_app::{App, AppError};
use patron_domain::Id;

/// A file made in memory, handed over in one piece.
struct InMemory(Option<Bytes>);

impl UploadSource for InMemory {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, AppError> {
        Ok(self.0.take())
    }
}

/// A 960×640 PNG: sky, meadow, and a round brown dog with a darker ear.
fn photo() -> Vec<u8> {
    let (width, height) = (960u32, 640u32);
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        let inside = |cx: f32, cy: f32, rx: f32, ry: f32| {
            let (dx, dy) = ((x as f32 - cx) / rx, (y as f32 - cy) / ry);
            dx * dx + dy * dy <= 1.0
        };
        if inside(560.0, 300.0, 40.0, 60.0) {
            image::Rgb([92, 52, 24]) // the ear
        } else if inside(520.0, 330.0, 110.0, 95.0) || inside(420.0, 440.0, 190.0, 100.0) {
            image::Rgb([176, 110, 52]) // head and body
        } else if y < height * 3 / 5 {
            let shade = (y * 80 / height) as u8;
            image::Rgb([120 + shade, 180 + shade / 2, 235]) // the sky
        } else {
            let shade = ((x + y) % 40) as u8;
            image::Rgb([70 + shade, 150 + shade, 60]) // the meadow
        }
    });
    let mut png = std::io::Cursor::new(Vec::new());
    // encoding an in-memory RGB image to PNG cannot fail; an empty file would be refused
    let _ = image::DynamicImage::ImageRgb8(image).write_to(&mut png, image::ImageFormat::Png);
    png.into_inner()
}

/// A short MP4 made by ffmpeg, when it is installed.
async fn video() -> Option<Vec<u8>> {
    let file = std::env::temp_dir().join(format!("patron-demo-{}.mp4", Id::new()));
    let status = tokio::process::Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc2=duration=3:size=480x270:rate=15"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-shortest", "-pix_fmt", "yuv420p"])
        .args(["-movflags", "+faststart"])
        .arg(&file)
        .kill_on_drop(true)
        .status()
        .await
        .ok()?;
    let bytes = if status.success() { tokio::fs::read(&file).await.ok() } else { None };
    let _ = tokio::fs::remove_file(&file).await;
    bytes
}

/// Uploads the demo's file for a post of `kind` by `owner` to the page `creator_id`: its id,
/// or `None` for kinds without one (or a video without ffmpeg).
pub(super) async fn file_for(app: &App, owner: Id, creator_id: Id, kind: &str) -> Result<Option<String>, DemoError> {
    let (bytes, name) = match kind {
        "photo" => (photo(), "sumava.png"),
        "video" => match video().await {
            Some(bytes) => (bytes, "swim.mp4"),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let target = UploadTarget { purpose: uploads::Purpose::Post, creator_id: Some(creator_id) };
    let media = uploads::upload(app, owner, target, Some(name.to_owned()), InMemory(Some(Bytes::from(bytes)))).await?;
    Ok(Some(media.id.to_string()))
}
