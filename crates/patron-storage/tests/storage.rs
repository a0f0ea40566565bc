//! The storage suite: every backend behaves alike. Runs against a local folder and a real S3
//! server (`PATRON_TEST_S3_*`, started by `scripts/test`); without one the S3 half fails
//! loudly rather than skipping.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use futures::TryStreamExt;
use patron_settings::{SecretString, StorageUrl};
use patron_storage::{ObjectKey, S3Credentials, Storage, StorageError};
use std::time::Duration;

fn s3_storage() -> Storage {
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| {
            panic!("{name} is not set: the storage suite needs a real S3 server (scripts/test starts one)")
        })
    };
    let endpoint = var("PATRON_TEST_S3_ENDPOINT");
    let bucket = var("PATRON_TEST_S3_BUCKET");
    let region = std::env::var("PATRON_TEST_S3_REGION").unwrap_or_else(|_| "us-east-1".to_owned());
    // each test works under a prefix of its own
    let prefix = format!("suite-{}", uuid::Uuid::now_v7().simple());
    let url = format!("s3://{bucket}/{prefix}?endpoint={endpoint}&region={region}");
    let StorageUrl::S3 { .. } = parse(&url) else { panic!("not an s3 URL") };
    let credentials = S3Credentials {
        access_key_id: Some(var("PATRON_TEST_S3_ACCESS_KEY")),
        secret_access_key: Some(SecretString::new(var("PATRON_TEST_S3_SECRET_KEY"))),
    };
    Storage::open(&parse(&url), &credentials).unwrap()
}

fn parse(url: &str) -> StorageUrl {
    let settings = patron_settings::Settings::from_env_map(&[("PATRON_STORAGE_URL", url)]).unwrap();
    settings.storage_url
}

fn file_storage(dir: &tempfile::TempDir) -> Storage {
    Storage::open(&StorageUrl::File { root: dir.path().join("storage") }, &S3Credentials::default()).unwrap()
}

async fn collect(storage: &Storage, key: &ObjectKey, range: Option<(u64, Option<u64>)>) -> (u64, Vec<u8>) {
    let read = storage.read(key, range).await.unwrap();
    let chunks: Vec<Bytes> = read.stream.try_collect().await.unwrap();
    (read.size, chunks.concat())
}

async fn behaves(storage: Storage) {
    let key = ObjectKey::new("media/one/original").unwrap();
    assert!(!storage.exists(&key).await.unwrap());
    assert!(matches!(storage.read(&key, None).await, Err(StorageError::NotFound(_))));

    storage.put(&key, Bytes::from_static(b"hello world"), "text/plain").await.unwrap();
    assert_eq!(storage.get(&key).await.unwrap(), Bytes::from_static(b"hello world"));
    assert_eq!(storage.size(&key).await.unwrap(), Some(11));
    assert_eq!(collect(&storage, &key, Some((6, Some(9)))).await, (11, b"wor".to_vec()));
    assert_eq!(collect(&storage, &key, Some((6, None))).await, (11, b"world".to_vec()));

    // a streamed upload of several parts: nothing visible until it finishes
    let big = ObjectKey::new("media/two/original").unwrap();
    let chunk: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut upload = storage.upload(&big, "application/octet-stream").await.unwrap();
    for _ in 0..12 {
        upload.write(&chunk).await.unwrap();
    }
    assert!(!storage.exists(&big).await.unwrap(), "a half-written object is invisible");
    assert_eq!(upload.written(), 12 * 1024 * 1024);
    upload.finish().await.unwrap();
    let (size, tail) = collect(&storage, &big, Some((12 * 1024 * 1024 - 10, None))).await;
    assert_eq!(size, 12 * 1024 * 1024);
    assert_eq!(tail, chunk[chunk.len() - 10..].to_vec());

    // an aborted upload leaves nothing
    let aborted = ObjectKey::new("media/three/original").unwrap();
    let mut upload = storage.upload(&aborted, "application/octet-stream").await.unwrap();
    upload.write(&chunk).await.unwrap();
    upload.abort().await.unwrap();
    assert!(!storage.exists(&aborted).await.unwrap());

    let mut listed: Vec<String> = storage.list("media").await.unwrap().into_iter().map(|o| o.key).collect();
    listed.sort();
    assert_eq!(listed, ["media/one/original", "media/two/original"]);
    storage.put(&ObjectKey::new("media/one/w320.jpg").unwrap(), Bytes::from_static(b"x"), "image/jpeg").await.unwrap();
    assert_eq!(storage.delete_all("media/one").await.unwrap(), 2);
    assert!(!storage.exists(&key).await.unwrap());
    assert!(storage.exists(&big).await.unwrap(), "deleting one folder leaves the others");
    storage.delete(&key).await.unwrap();
    storage.check_round_trip().await.unwrap();
    storage.check_reachable().await.unwrap();
}

#[tokio::test]
async fn a_local_folder_behaves_like_object_storage() {
    let dir = tempfile::tempdir().unwrap();
    let storage = file_storage(&dir);
    assert!(!storage.presigns());
    behaves(storage).await;
}

#[tokio::test]
async fn an_s3_bucket_behaves_like_object_storage() {
    let storage = s3_storage();
    assert!(storage.presigns());
    behaves(storage).await;
}

async fn status_and_body(url: &str) -> (u16, Vec<u8>) {
    // a bare HTTP/1.1 GET: the presigned URL must work for any client
    let url = url::Url::parse(url).unwrap();
    let host = url.host_str().unwrap().to_owned();
    let port = url.port_or_known_default().unwrap();
    let mut path = url.path().to_owned();
    if let Some(query) = url.query() {
        path = format!("{path}?{query}");
    }
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect((host.as_str(), port)).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    let status: u16 = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body_at = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    (status, response[body_at..].to_vec())
}

#[tokio::test]
async fn presigned_urls_open_one_object_until_they_expire() {
    let storage = s3_storage();
    let key = ObjectKey::new("media/gated/original").unwrap();
    let other = ObjectKey::new("media/other/original").unwrap();
    storage.put(&key, Bytes::from_static(b"for supporters"), "text/plain").await.unwrap();
    storage.put(&other, Bytes::from_static(b"someone else's"), "text/plain").await.unwrap();

    let url = storage.presign_get(&key, Duration::from_secs(2), "text/plain").await.unwrap().unwrap();
    assert_eq!(status_and_body(&url).await, (200, b"for supporters".to_vec()));

    // the same signature on another object's path is refused
    let forged = url.replace("media/gated/original", "media/other/original");
    assert_ne!(forged, url);
    assert_eq!(status_and_body(&forged).await.0, 403);

    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(status_and_body(&url).await.0, 403, "an expired presigned URL is refused");

    // a local folder has no presigned URLs: patron signs its own
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(file_storage(&dir).presign_get(&key, Duration::from_secs(60), "text/plain").await.unwrap(), None);
}

#[test]
fn storage_urls_name_bucket_prefix_and_options_and_refuse_credentials() {
    let StorageUrl::S3 { bucket, prefix, endpoint, region, path_style } =
        parse("s3://media-bucket/patron/prod?endpoint=https://fra1.digitaloceanspaces.com&region=fra1")
    else {
        panic!("not s3")
    };
    assert_eq!((bucket.as_str(), prefix.as_str()), ("media-bucket", "patron/prod"));
    assert_eq!(endpoint.unwrap().as_str(), "https://fra1.digitaloceanspaces.com/");
    assert_eq!(region.as_deref(), Some("fra1"));
    assert!(path_style, "an endpoint implies path-style addressing unless told otherwise");
    let StorageUrl::S3 { path_style, endpoint, .. } = parse("s3://aws-bucket") else { panic!("not s3") };
    assert!(!path_style && endpoint.is_none());

    for (bad, says) in [
        ("s3://KEY:SECRET@bucket/x", "credentials do not belong in the URL"),
        ("s3://Bad_Bucket/x", "no valid bucket"),
        ("s3://bucket/x?endpont=http://a", "unknown option \"endpont\""),
        ("s3://bucket/x?endpoint=ftp://a", "is not an http(s) URL"),
        ("s3://bucket/ünï", "prefix"),
    ] {
        let error = patron_settings::Settings::from_env_map(&[("PATRON_STORAGE_URL", bad)]).unwrap_err().to_string();
        assert!(error.contains(says), "{bad}: {error}");
        assert!(!error.contains("KEY:SECRET"), "{error}");
    }
}
