//! Media: uploads typed by their bytes, upright photos without metadata, gated files only
//! through short-lived signed URLs, video to HLS, on a local folder and on a real S3 server.

use crate::both_backends;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// A JPEG as a phone writes it: the sensor's pixels (200×100, the top-left quarter red, the
/// rest blue) with EXIF saying "rotate 90° clockwise to show" and a GPS position.
pub fn phone_photo() -> Vec<u8> {
    use image::ImageEncoder;
    let (width, height) = (200u32, 100u32);
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let red = x < width / 2 && y < height / 2;
            pixels.extend_from_slice(if red { &[255, 0, 0] } else { &[0, 0, 255] });
        }
    }
    // TIFF, little endian: IFD0 with Orientation = 6 and a pointer to a GPS IFD holding
    // GPSLatitudeRef "N" and GPSLatitude 50° 5' 0"
    let mut exif: Vec<u8> = b"II*\0\x08\0\0\0".to_vec();
    let entry = |tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        let mut e = Vec::new();
        e.extend_from_slice(&tag.to_le_bytes());
        e.extend_from_slice(&kind.to_le_bytes());
        e.extend_from_slice(&count.to_le_bytes());
        e.extend_from_slice(&value);
        e
    };
    let gps_ifd: u32 = 8 + 2 + 2 * 12 + 4;
    exif.extend_from_slice(&2u16.to_le_bytes());
    exif.extend(entry(0x0112, 3, 1, [6, 0, 0, 0]));
    exif.extend(entry(0x8825, 4, 1, gps_ifd.to_le_bytes()));
    exif.extend_from_slice(&0u32.to_le_bytes());
    let data_at: u32 = gps_ifd + 2 + 2 * 12 + 4;
    exif.extend_from_slice(&2u16.to_le_bytes());
    exif.extend(entry(0x0001, 2, 2, *b"N\0\0\0"));
    exif.extend(entry(0x0002, 5, 3, data_at.to_le_bytes()));
    exif.extend_from_slice(&0u32.to_le_bytes());
    for (numerator, denominator) in [(50u32, 1u32), (5, 1), (0, 1)] {
        exif.extend_from_slice(&numerator.to_le_bytes());
        exif.extend_from_slice(&denominator.to_le_bytes());
    }
    let mut jpeg = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95);
    encoder.set_exif_metadata(exif).expect("exif");
    encoder.write_image(&pixels, width, height, image::ExtendedColorType::Rgb8).expect("jpeg");
    jpeg
}

/// Settings that put the app's storage in a fresh prefix of the test S3 server.
pub fn s3_overrides() -> Vec<(&'static str, String)> {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: the media tests need a real S3 server (scripts/test starts one)")
        })
    };
    let prefix = format!("it-{}", uuid::Uuid::now_v7().simple());
    vec![
        (
            "PATRON_STORAGE_URL",
            format!(
                "s3://{}/{prefix}?endpoint={}&region={}",
                var("PATRON_TEST_S3_BUCKET"),
                var("PATRON_TEST_S3_ENDPOINT"),
                std::env::var("PATRON_TEST_S3_REGION").unwrap_or_else(|_| "us-east-1".into())
            ),
        ),
        ("PATRON_S3_ACCESS_KEY_ID", var("PATRON_TEST_S3_ACCESS_KEY")),
        ("PATRON_S3_SECRET_ACCESS_KEY", var("PATRON_TEST_S3_SECRET_KEY")),
    ]
}

impl TestApp {
    /// Uploads `bytes` as `name` to `slug` (or as a private document without one).
    pub async fn upload(&self, user: &Fan, query: &str, name: &str, bytes: Vec<u8>, mime: &str) -> (u16, Value) {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).expect("mime");
        let form = reqwest::multipart::Form::new().part("file", part);
        let response = reqwest::Client::new()
            .post(self.url(&format!("/api/v1/media?{query}")))
            .bearer_auth(&user.token)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Waits until the worker has processed a file; returns its final view.
    pub async fn processed(&self, user: &Fan, media_id: &str) -> Value {
        for _ in 0..600 {
            let (status, body) =
                self.call(Method::GET, &format!("/api/v1/media/{media_id}"), Some(&user.token), None).await;
            assert_eq!(status, 200, "{body}");
            if body["status"] != "processing" {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("media {media_id} was not processed within a minute");
    }

    /// GETs a media address as handed out (relative to the app, or absolute on S3).
    pub async fn fetch(&self, url: &str) -> reqwest::Response {
        let full = if url.starts_with('/') { self.url(url) } else { url.to_owned() };
        reqwest::Client::new().get(full).send().await.expect("fetch")
    }
}

fn assert_upright_without_metadata(bytes: &[u8]) {
    let decoded = image::load_from_memory(bytes).expect("a rendition decodes").to_rgb8();
    assert_eq!(decoded.dimensions(), (100, 200), "turned upright by the EXIF orientation");
    // the sensor's top-left (red) is the upright picture's top-right
    let top_right = decoded.get_pixel(95, 5);
    let top_left = decoded.get_pixel(5, 5);
    assert!(top_right[0] > 200 && top_right[2] < 60, "top right is red: {top_right:?}");
    assert!(top_left[2] > 200 && top_left[0] < 60, "top left is blue: {top_left:?}");
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!has(b"Exif\0\0"), "no EXIF block survives");
    assert!(!has(b"II*\0") && !has(b"MM\0*"), "no TIFF metadata survives");
}

async fn photo_post_flow(app: &TestApp) {
    let owner = app.new_user("owner").await;
    let slug = app.create_creator(&owner, "Photographer").await;
    let tier = app.create_tier(&owner, &slug, "Supporter", 9900).await;
    let (status, uploaded) =
        app.upload(&owner, &format!("creator={slug}"), "IMG_0001.jpg", phone_photo(), "image/jpeg").await;
    assert_eq!(status, 201, "{uploaded}");
    assert_eq!(uploaded["kind"], "image");
    assert_eq!(uploaded["content_type"], "image/jpeg");
    let media_id = uploaded["id"].as_str().unwrap().to_owned();
    let ready = app.processed(&owner, &media_id).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!((ready["width"].as_i64(), ready["height"].as_i64()), (Some(100), Some(200)));

    let post_id = app
        .create_post(
            &owner,
            &slug,
            json!({"kind": "photo", "title": "Behind the scenes", "body": "For supporters",
                   "visibility": "supporters", "status": "published", "media": [media_id]}),
        )
        .await;
    let path = format!("/api/v1/creators/{slug}/posts/{post_id}");

    // a supporter gets addresses that work
    let supporter = app.new_user("supporter").await;
    app.grant_membership(&supporter, &slug, &tier, "active", None).await;
    let (status, seen) = app.call(Method::GET, &path, Some(&supporter.token), None).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["locked"], false);
    let url = seen["media"][0]["url"].as_str().expect("a supporter gets the photo's address").to_owned();
    let srcset = seen["media"][0]["srcset"].as_array().unwrap().clone();
    assert_eq!(srcset.len(), 1, "a 100 px wide photo has one width: {srcset:?}");
    let response = app.fetch(&url).await;
    assert_eq!(response.status(), 200, "{url}");
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_upright_without_metadata(&response.bytes().await.unwrap());

    // anyone else gets a teaser with no address at all, in the API and on the page
    let stranger = app.new_user("stranger").await;
    for token in [None, Some(stranger.token.as_str())] {
        let (status, teaser) = app.call(Method::GET, &path, token, None).await;
        assert_eq!(status, 200);
        assert_eq!(teaser["locked"], true);
        assert_eq!(teaser["media"], json!([]), "{teaser}");
        assert!(!teaser.to_string().contains(&media_id), "the teaser names no file");
        let (_, list) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/posts"), token, None).await;
        assert!(!list.to_string().contains(&media_id), "nor does the list");
    }
    let page = reqwest::get(app.url(&format!("/{slug}/posts/{post_id}"))).await.unwrap().text().await.unwrap();
    assert!(!page.contains(&media_id), "the page of a locked post names no file");
    // the file itself without a signature, or another viewer's ids, are refused
    let (status, _) = app.call(Method::GET, &format!("/api/v1/media/{media_id}"), Some(&stranger.token), None).await;
    assert_eq!(status, 404, "only its uploader and the page's team may look it up");
    if url.starts_with('/') {
        let bare = url.split('?').next().unwrap();
        assert_eq!(app.fetch(bare).await.status(), 403, "no signature, no file");
        let other_file = url.replacen(&format!("/media/{media_id}/"), &format!("/media/{media_id}/original/"), 1);
        assert_ne!(app.fetch(&other_file).await.status(), 200);
        let later = url.replace("expires=", "expires=9");
        assert_eq!(app.fetch(&later).await.status(), 403, "the expiry is signed");
    }

    // a URL for one object does not open another
    let (_, second) = app.upload(&owner, &format!("creator={slug}"), "other.jpg", phone_photo(), "image/jpeg").await;
    let second_id = second["id"].as_str().unwrap().to_owned();
    app.processed(&owner, &second_id).await;
    let forged = url.replace(&media_id, &second_id);
    assert_eq!(app.fetch(&forged).await.status(), 403, "{forged}");

    // signed addresses run out (PATRON_MEDIA_URL_TTL=10s in these tests)
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(app.fetch(&url).await.status(), 403, "an expired address is refused");

    // deleting the post deletes its file's objects (by a job)
    let (status, _) = app.call(Method::DELETE, &path, Some(&owner.token), None).await;
    assert_eq!(status, 204);
    for _ in 0..100 {
        let (status, _) = app.call(Method::GET, &format!("/api/v1/media/{media_id}"), Some(&owner.token), None).await;
        let left = app.state.app.storage.list(&format!("media/{media_id}")).await.unwrap();
        if status == 404 && left.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the deleted post's file was not removed from storage");
}

both_backends! {
    async fn a_phone_photo_reaches_supporters_upright_without_metadata_and_no_one_else(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[("PATRON_MEDIA_URL_TTL", "10s")]).await;
        photo_post_flow(&app).await;
        app.stop().await;
    }

    async fn uploads_are_typed_by_their_bytes_limited_in_size_and_rate_and_leave_nothing_when_refused(backend: TestBackend) {
        let (app, db) = spawn_app_with(
            backend,
            &[("PATRON_UPLOAD_MAX_IMAGE", "32KiB"), ("PATRON_UPLOADS_PER_HOUR", "5")],
        )
        .await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Typed").await;
        let on_page = format!("creator={slug}");

        let (status, body) = app.upload(&owner, &on_page, "photo.jpg", b"<script>alert(1)</script>".to_vec(), "image/jpeg").await;
        assert_eq!(status, 415, "a script named .jpg is not an image: {body}");
        assert_eq!(body["error"]["code"], "unsupported_media_type");

        let mut big = phone_photo();
        big.resize(40 * 1024, 0);
        let (status, body) = app.upload(&owner, &on_page, "big.jpg", big, "image/jpeg").await;
        assert_eq!(status, 413, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("32.0 KiB"), "{body}");

        let (status, body) = app.upload(&owner, "purpose=avatar&creator=".to_owned().as_str(), "a.jpg", phone_photo(), "image/jpeg").await;
        assert_eq!(status, 404, "no such page: {body}");
        let mut pdf = b"%PDF-1.4\n".to_vec();
        pdf.extend_from_slice(&[b'x'; 100]);
        let (status, body) = app.upload(&owner, &format!("purpose=avatar&{on_page}"), "cv.pdf", pdf.clone(), "application/pdf").await;
        assert_eq!(status, 415, "an avatar is an image: {body}");

        let stranger = app.new_user("stranger").await;
        let (status, _) = app.upload(&stranger, &on_page, "x.jpg", phone_photo(), "image/jpeg").await;
        assert_eq!(status, 403, "only the page's team uploads to it");

        // nothing of the refused uploads is stored
        let stored = app.state.app.storage.list("media").await.unwrap();
        assert!(stored.is_empty(), "refused uploads left {stored:?}");

        // a private document: its owner lists it, nobody else gets it
        let (status, document) = app.upload(&stranger, "purpose=private", "id-card.pdf", pdf, "application/pdf").await;
        assert_eq!(status, 201, "{document}");
        app.processed(&stranger, document["id"].as_str().unwrap()).await;
        let (status, mine) = app.call(Method::GET, "/api/v1/me/documents", Some(&stranger.token), None).await;
        assert_eq!(status, 200);
        let url = mine["media"][0]["url"].as_str().expect("the owner gets an address").to_owned();
        assert_eq!(app.fetch(&url).await.status(), 200);
        let (status, _) = app
            .call(Method::GET, &format!("/api/v1/admin/users/{}/documents", stranger.id), Some(&owner.token), None)
            .await;
        assert_eq!(status, 403, "only platform admins may open someone's documents");
        let (status, _) = app.call(Method::GET, &format!("/api/v1/media/{}", document["id"].as_str().unwrap()), Some(&owner.token), None).await;
        assert_eq!(status, 404);
        // a platform admin may, and it is written down
        let email = patron_domain::account::Email::parse(&owner.email).unwrap();
        patron_store::users::set_platform_admin(app.state.app.db.pool(), &email, true).await.unwrap();
        let (status, seen) = app
            .call(Method::GET, &format!("/api/v1/admin/users/{}/documents", stranger.id), Some(&owner.token), None)
            .await;
        assert_eq!(status, 200, "{seen}");
        let audit = patron_store::audit::entries(app.state.app.db.pool(), 10).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].1, "private_document.view");
        assert_eq!(audit[0].0.map(|a| a.to_string()), Some(owner.id.clone()));

        // five uploads started this hour (refused ones count: three so far): the sixth is refused
        for _ in 0..2 {
            let (status, _) = app.upload(&owner, &on_page, "x.jpg", phone_photo(), "image/jpeg").await;
            assert_eq!(status, 201);
        }
        let (status, _) = app.upload(&owner, &on_page, "x.jpg", phone_photo(), "image/jpeg").await;
        assert_eq!(status, 429, "too many uploads");
        let _ = db;
        app.stop().await;
    }

    async fn a_post_whose_file_failed_stays_hidden_from_fans_and_its_author_can_retry(backend: TestBackend) {
        let (app, _db) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Broken").await;
        // a JPEG signature followed by nothing an image decoder can use
        let mut broken = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
        broken.extend_from_slice(&[0x42; 5000]);
        let (status, uploaded) = app.upload(&owner, &format!("creator={slug}"), "broken.jpg", broken, "image/jpeg").await;
        assert_eq!(status, 201, "{uploaded}");
        let media_id = uploaded["id"].as_str().unwrap().to_owned();
        let failed = app.processed(&owner, &media_id).await;
        assert_eq!(failed["status"], "failed");
        assert!(failed["error"].as_str().unwrap().contains("cannot be read"), "{failed}");
        let post_id = app
            .create_post(&owner, &slug, json!({"kind": "photo", "title": "Oops", "visibility": "public", "status": "published", "media": [media_id]}))
            .await;
        let path = format!("/api/v1/creators/{slug}/posts/{post_id}");
        let (status, _) = app.call(Method::GET, &path, None, None).await;
        assert_eq!(status, 404, "fans do not see a post whose media are not processed");
        let (status, own) = app.call(Method::GET, &path, Some(&owner.token), None).await;
        assert_eq!(status, 200, "its team does");
        assert_eq!(own["media"][0]["status"], "failed");
        assert!(own["media"][0]["error"].as_str().is_some(), "and sees why: {own}");
        let (status, _) = app.call(Method::POST, &format!("/api/v1/media/{media_id}/retry"), Some(&owner.token), None).await;
        assert_eq!(status, 202);
        let again = app.processed(&owner, &media_id).await;
        assert_eq!(again["status"], "failed", "the same bytes fail again");
        // replacing the file with a good one shows the post
        let (_, good) = app.upload(&owner, &format!("creator={slug}"), "good.jpg", phone_photo(), "image/jpeg").await;
        let good_id = good["id"].as_str().unwrap().to_owned();
        app.processed(&owner, &good_id).await;
        let (status, body) = app
            .call(Method::PUT, &path, Some(&owner.token), Some(json!({"kind": "photo", "title": "Fixed", "visibility": "public", "status": "published", "media": [good_id]})))
            .await;
        assert!(status == 200 || status == 204, "{status} {body}");
        let (status, public) = app.call(Method::GET, &path, None, None).await;
        assert_eq!(status, 200, "{public}");
        // a public post's files have plain, cacheable addresses
        let url = public["media"][0]["url"].as_str().unwrap().to_owned();
        assert!(!url.contains("signature="), "{url}");
        let response = app.fetch(&url).await;
        assert_eq!(response.status(), 200);
        assert!(response.headers()["cache-control"].to_str().unwrap().starts_with("public"));
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_a_phone_photo_reaches_supporters_through_presigned_urls_only() {
    let overrides = s3_overrides();
    let mut settings: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (*k, v.as_str())).collect();
    settings.push(("PATRON_MEDIA_URL_TTL", "10s"));
    let (app, _db) = spawn_app_with(TestBackend::Sqlite, &settings).await;
    assert!(app.state.app.storage.presigns());
    photo_post_flow(&app).await;
    app.stop().await;
}

fn test_video(dir: &std::path::Path) -> Vec<u8> {
    let ffmpeg = which("ffmpeg").expect("ffmpeg is not installed: the video tests need it (.ci/run installs it)");
    let out = dir.join("clip.mp4");
    let status = std::process::Command::new(ffmpeg)
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=2:size=320x240:rate=24",
        ])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .args(["-c:a", "aac", "-shortest", "-movflags", "+faststart"])
        .arg(&out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    std::fs::read(out).unwrap()
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(program)).find(|p| p.is_file())
}

async fn video_flow(app: &TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let clip = test_video(dir.path());
    let owner = app.new_user("owner").await;
    let slug = app.create_creator(&owner, "Filmmaker").await;
    let tier = app.create_tier(&owner, &slug, "Supporter", 9900).await;
    let (status, uploaded) =
        app.upload(&owner, &format!("creator={slug}"), "clip.mp4", clip.clone(), "video/mp4").await;
    assert_eq!(status, 201, "{uploaded}");
    assert_eq!(uploaded["kind"], "video");
    let media_id = uploaded["id"].as_str().unwrap().to_owned();
    let ready = app.processed(&owner, &media_id).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["duration_ms"].as_i64().map(|d| (1500..2600).contains(&d)), Some(true), "{ready}");
    let post_id = app
        .create_post(&owner, &slug, json!({"kind": "video", "title": "Clip", "visibility": "supporters", "status": "published", "media": [media_id]}))
        .await;
    let supporter = app.new_user("supporter").await;
    app.grant_membership(&supporter, &slug, &tier, "active", None).await;
    let (_, seen) =
        app.call(Method::GET, &format!("/api/v1/creators/{slug}/posts/{post_id}"), Some(&supporter.token), None).await;
    let video = &seen["media"][0];
    let poster = app.fetch(video["poster_url"].as_str().expect("a poster")).await;
    assert_eq!(poster.status(), 200);
    assert_eq!(poster.headers()["content-type"], "image/jpeg");
    let master = app.fetch(video["hls_url"].as_str().expect("HLS")).await;
    assert_eq!(master.status(), 200);
    let master = master.text().await.unwrap();
    assert!(master.starts_with("#EXTM3U"), "{master}");
    let rendition = master.lines().find(|l| !l.starts_with('#') && !l.is_empty()).expect("a rendition").to_owned();
    assert!(
        rendition.contains("/hls/240p.m3u8?") && rendition.contains("signature="),
        "signed like the playlist: {rendition}"
    );
    let playlist = app.fetch(&rendition).await.text().await.unwrap();
    let segment = playlist.lines().find(|l| !l.starts_with('#') && !l.is_empty()).expect("a segment").to_owned();
    assert!(segment.contains(".ts"), "{playlist}");
    let segment = app.fetch(&segment).await;
    assert_eq!(segment.status(), 200);
    assert!(segment.bytes().await.unwrap().len() > 1000);
    // the original plays progressively too, with ranges as players ask for them
    let original = video["url"].as_str().expect("the original").to_owned();
    let full = if original.starts_with('/') { app.url(&original) } else { original.clone() };
    let part = reqwest::Client::new().get(&full).header("Range", "bytes=0-99").send().await.unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.headers()["content-range"], format!("bytes 0-99/{}", clip.len()).as_str());
    assert_eq!(part.bytes().await.unwrap().as_ref(), &clip[..100]);
    let tail = reqwest::Client::new().get(&full).header("Range", "bytes=-10").send().await.unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &clip[clip.len() - 10..]);
    if original.starts_with('/') {
        let beyond = reqwest::Client::new()
            .get(&full)
            .header("Range", format!("bytes={}-", clip.len() + 5))
            .send()
            .await
            .unwrap();
        assert_eq!(beyond.status(), 416);
    }
    // a fan without access never sees the video's addresses
    let (_, teaser) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/posts/{post_id}"), None, None).await;
    assert_eq!(teaser["media"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_becomes_hls_with_a_poster_and_plays_by_range() {
    let (app, _db) = spawn_app(TestBackend::Sqlite).await;
    video_flow(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_a_video_becomes_hls_with_presigned_segments() {
    let overrides = s3_overrides();
    let settings: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (app, _db) = spawn_app_with(TestBackend::Postgres, &settings).await;
    video_flow(&app).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_s3_a_large_video_goes_straight_to_the_bucket_and_is_checked_when_it_arrives() {
    let overrides = s3_overrides();
    let mut settings: Vec<(&str, &str)> = overrides.iter().map(|(k, v)| (*k, v.as_str())).collect();
    settings.push(("PATRON_UPLOAD_MAX_VIDEO", "1MiB"));
    let (app, _db) = spawn_app_with(TestBackend::Sqlite, &settings).await;
    let dir = tempfile::tempdir().unwrap();
    let clip = test_video(dir.path());
    let owner = app.new_user("owner").await;
    let slug = app.create_creator(&owner, "Direct").await;
    let grant =
        |size: usize| json!({"creator": slug, "content_type": "video/mp4", "byte_size": size, "file_name": "clip.mp4"});

    let (status, body) = app.call(Method::POST, "/api/v1/media/direct", Some(&owner.token), Some(grant(2 << 20))).await;
    assert_eq!(status, 413, "too large before a byte is sent: {body}");
    let (status, granted) =
        app.call(Method::POST, "/api/v1/media/direct", Some(&owner.token), Some(grant(clip.len()))).await;
    assert_eq!(status, 201, "{granted}");
    let id = granted["id"].as_str().unwrap().to_owned();
    let upload_url = granted["upload_url"].as_str().unwrap().to_owned();
    assert!(upload_url.starts_with(&std::env::var("PATRON_TEST_S3_ENDPOINT").unwrap()), "{upload_url}");

    // confirming before the bytes arrived changes nothing
    let (status, _) = app.call(Method::POST, &format!("/api/v1/media/{id}/complete"), Some(&owner.token), None).await;
    assert_eq!(status, 409);
    // the signature binds the content type
    let wrong = reqwest::Client::new()
        .put(&upload_url)
        .header("Content-Type", "text/html")
        .body(clip.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403, "a PUT with another content type is refused by S3");
    let put = reqwest::Client::new()
        .put(&upload_url)
        .header("Content-Type", "video/mp4")
        .body(clip.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let (status, arrived) =
        app.call(Method::POST, &format!("/api/v1/media/{id}/complete"), Some(&owner.token), None).await;
    assert_eq!(status, 200, "{arrived}");
    assert_eq!(arrived["status"], "processing");
    let ready = app.processed(&owner, &id).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert!(ready["hls_url"].is_string());

    // a file that is not what it claimed is deleted when it is confirmed
    let (_, granted) = app.call(Method::POST, "/api/v1/media/direct", Some(&owner.token), Some(grant(30))).await;
    let id = granted["id"].as_str().unwrap().to_owned();
    let put = reqwest::Client::new()
        .put(granted["upload_url"].as_str().unwrap())
        .header("Content-Type", "video/mp4")
        .body("<html><script>alert(1)</script>")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let (status, body) =
        app.call(Method::POST, &format!("/api/v1/media/{id}/complete"), Some(&owner.token), None).await;
    assert_eq!(status, 415, "{body}");
    let left = app.state.app.storage.list(&format!("media/{id}")).await.unwrap();
    assert!(left.is_empty(), "the refused file was deleted: {left:?}");

    // on a local folder there is no direct upload
    let (local, _db2) = spawn_app(TestBackend::Sqlite).await;
    let owner = local.new_user("owner").await;
    let slug = local.create_creator(&owner, "Local").await;
    let (status, body) = local
        .call(
            Method::POST,
            "/api/v1/media/direct",
            Some(&owner.token),
            Some(json!({"creator": slug, "content_type": "video/mp4", "byte_size": 10})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    local.stop().await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_podcast_episode_plays_as_uploaded() {
    let (app, _db) = spawn_app(TestBackend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("episode.ogg");
    let ffmpeg = which("ffmpeg").expect("ffmpeg is not installed: the media tests need it (.ci/run installs it)");
    let status = std::process::Command::new(ffmpeg)
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:duration=1",
            "-c:a",
            "libvorbis",
        ])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let owner = app.new_user("owner").await;
    let slug = app.create_creator(&owner, "Podcast").await;
    let (status, uploaded) =
        app.upload(&owner, &format!("creator={slug}"), "episode.mp3", std::fs::read(&out).unwrap(), "audio/mpeg").await;
    assert_eq!(status, 201, "{uploaded}");
    assert_eq!(uploaded["kind"], "audio");
    assert_eq!(uploaded["content_type"], "audio/ogg", "the bytes say Ogg, whatever the name and header say");
    let ready = app.processed(&owner, uploaded["id"].as_str().unwrap()).await;
    let post_id = app
        .create_post(
            &owner,
            &slug,
            json!({"title": "Episode 1", "visibility": "public", "status": "published", "media": [ready["id"]]}),
        )
        .await;
    let page = reqwest::get(app.url(&format!("/{slug}/posts/{post_id}"))).await.unwrap().text().await.unwrap();
    assert!(page.contains("data-testid=\"post-audio\""), "the page has a player");
    let (_, post) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/posts/{post_id}"), None, None).await;
    let response = app.fetch(post["media"][0]["url"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "audio/ogg");
    app.stop().await;
}

both_backends! {
    async fn avatars_and_covers_are_cropped_public_and_replaced(backend: TestBackend) {
        let (app, _db) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Faces").await;
        let contributor = app.new_user("contributor").await;
        let (status, _) = app.upload(&contributor, &format!("purpose=avatar&creator={slug}"), "a.jpg", phone_photo(), "image/jpeg").await;
        assert_eq!(status, 403, "only the team uploads, and only the owner changes the page's face");

        let mut avatars = Vec::new();
        for _ in 0..2 {
            let (status, uploaded) = app.upload(&owner, &format!("purpose=avatar&creator={slug}"), "me.jpg", phone_photo(), "image/jpeg").await;
            assert_eq!(status, 201, "{uploaded}");
            let id = uploaded["id"].as_str().unwrap().to_owned();
            app.processed(&owner, &id).await;
            avatars.push(id);
        }
        let (_, cover) = app.upload(&owner, &format!("purpose=cover&creator={slug}"), "wide.jpg", phone_photo(), "image/jpeg").await;
        app.processed(&owner, cover["id"].as_str().unwrap()).await;

        let (_, page) = app.call(Method::GET, &format!("/api/v1/creators/{slug}"), None, None).await;
        // addresses are absolute on PATRON_PUBLIC_URL, which a test on port 0 cannot use
        let local = |url: &str| app.url(&url[url.find("/media/").expect("a media address")..]);
        let avatar_url = local(page["avatar_url"].as_str().expect("an avatar"));
        assert!(avatar_url.contains(&avatars[1]), "the newest avatar: {avatar_url}");
        let response = reqwest::get(&avatar_url).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "public, max-age=31536000, immutable");
        let square = image::load_from_memory(&response.bytes().await.unwrap()).unwrap();
        assert_eq!((square.width(), square.height()), (100, 100), "cropped to a square");
        let cover_url = local(page["cover_url"].as_str().expect("a cover"));
        let wide = image::load_from_memory(&reqwest::get(&cover_url).await.unwrap().bytes().await.unwrap()).unwrap();
        assert_eq!((wide.width(), wide.height()), (100, 33), "cropped to 3:1");
        let html = reqwest::get(app.url(&format!("/{slug}"))).await.unwrap().text().await.unwrap();
        assert!(html.contains("data-testid=\"creator-avatar\"") && html.contains(&avatars[1]));

        // the studio shows what the page keeps in storage: the avatar in use and the cover
        let studio = browser();
        app.web_login(&studio, &owner.email, PASSWORD).await;
        let html = studio.get(app.url(&format!("/studio/{slug}"))).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("Files: 2 ("), "{}", html.split("storage-used").nth(1).unwrap_or(&html[..200]));

        // the replaced avatar is deleted, objects and all
        for _ in 0..100 {
            if app.state.app.storage.list(&format!("media/{}", avatars[0])).await.unwrap().is_empty() {
                app.stop().await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the replaced avatar's objects remain");
    }
}
