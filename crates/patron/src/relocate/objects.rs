//! The objects: copied with their keys and a content type read from their first bytes (one
//! already on the target with the same size is skipped), then compared by size and SHA-256.

use super::{ObjectReport, Options, Progress, RelocateError};
use futures::{StreamExt, TryStreamExt};
use patron_settings::{Settings, StorageUrl};
use patron_storage::{ObjectKey, S3Credentials, Storage};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Copies every object of the current storage to the target (skipping those already there
/// with the same size), then compares sizes and SHA-256 of all of them.
pub(super) async fn relocate_objects(
    settings: &Settings,
    target_url: &StorageUrl,
    options: &Options,
    progress: &mut Progress,
) -> Result<ObjectReport, RelocateError> {
    let source = Storage::from_settings(settings)
        .map_err(|e| RelocateError::Failed(format!("opening the current storage: {e}")))?;
    let credentials = S3Credentials {
        access_key_id: settings.s3_access_key_id.clone(),
        secret_access_key: settings.s3_secret_access_key.clone(),
    };
    let target = Storage::open(target_url, &credentials)
        .map_err(|e| RelocateError::Usage(format!("--to-storage {}: {e}", target_url.display())))?;
    let mut objects = source.list_in(None).await.map_err(|e| RelocateError::Failed(format!("listing: {e}")))?;
    objects.sort_by(|a, b| a.key.cmp(&b.key));
    let existing = sizes(&target).await?;
    progress.step(&format!(
        "copying {} objects ({} MiB) to {}",
        objects.len(),
        objects.iter().map(|o| o.size).sum::<u64>() / (1024 * 1024),
        target.describe()
    ));
    let mut report = ObjectReport { source_objects: objects.len() as u64, ..ObjectReport::default() };
    let pending: Vec<_> = objects.iter().filter(|o| existing.get(&o.key) != Some(&o.size)).cloned().collect();
    report.skipped = (objects.len() - pending.len()) as u64;
    let mut copies = futures::stream::iter(pending.into_iter().map(|object| {
        let (source, target) = (source.clone(), target.clone());
        async move { copy_object(&source, &target, &object.key).await.map(|bytes| (object.key, bytes)) }
    }))
    .buffer_unordered(options.parallel.max(1));
    while let Some(copied) = copies.next().await {
        let (_, bytes) = copied?;
        report.copied += 1;
        report.bytes += bytes;
        progress.update(|| format!("objects: {} copied, {} MiB", report.copied, report.bytes / (1024 * 1024)));
    }
    drop(copies);
    progress.step(&format!("objects: {} copied, {} already there; verifying", report.copied, report.skipped));

    let on_target = sizes(&target).await?;
    report.target_objects = objects.iter().filter(|o| on_target.contains_key(&o.key)).count() as u64;
    let mut checks = futures::stream::iter(objects.iter().map(|object| {
        let (source, target, size) = (source.clone(), target.clone(), on_target.get(&object.key).copied());
        async move {
            if size != Some(object.size) {
                return Ok::<_, RelocateError>(Some(object.key.clone()));
            }
            let (left, right) = tokio::try_join!(digest(&source, &object.key), digest(&target, &object.key))?;
            Ok((left != right).then(|| object.key.clone()))
        }
    }))
    .buffer_unordered(options.parallel.max(1));
    while let Some(checked) = checks.next().await {
        if let Some(key) = checked? {
            report.differing.push(key);
        }
    }
    report.differing.sort();
    Ok(report)
}

/// Every object of a storage with its size.
async fn sizes(storage: &Storage) -> Result<BTreeMap<String, u64>, RelocateError> {
    let listed = storage
        .list_in(None)
        .await
        .map_err(|e| RelocateError::Failed(format!("listing {}: {e}", storage.describe())))?;
    Ok(listed.into_iter().map(|o| (o.key, o.size)).collect())
}

/// One object, to be read as a stream.
async fn open_object(storage: &Storage, key: &str) -> Result<patron_storage::ObjectRead, RelocateError> {
    let object = ObjectKey::new(key.to_owned()).map_err(|e| RelocateError::Failed(format!("{key}: {e}")))?;
    storage.read(&object, None).await.map_err(|e| RelocateError::Failed(format!("reading {key}: {e}")))
}

async fn copy_object(source: &Storage, target: &Storage, key: &str) -> Result<u64, RelocateError> {
    let object = ObjectKey::new(key.to_owned()).map_err(|e| RelocateError::Failed(format!("{key}: {e}")))?;
    let mut stream = open_object(source, key).await?.stream;
    let first = stream.try_next().await.map_err(|e| RelocateError::Failed(format!("reading {key}: {e}")))?;
    let content_type =
        first.as_deref().and_then(infer::get).map_or("application/octet-stream", |kind| kind.mime_type());
    let mut upload =
        target.upload(&object, content_type).await.map_err(|e| RelocateError::Failed(format!("writing {key}: {e}")))?;
    let mut bytes = 0u64;
    let mut next = first;
    let result: Result<(), String> = async {
        while let Some(chunk) = next {
            upload.write(&chunk).await.map_err(|e| format!("writing {key}: {e}"))?;
            bytes += chunk.len() as u64;
            next = stream.try_next().await.map_err(|e| format!("reading {key}: {e}"))?;
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            upload.finish().await.map_err(|e| RelocateError::Failed(format!("completing {key}: {e}")))?;
            Ok(bytes)
        }
        Err(error) => {
            let _ = upload.abort().await;
            Err(RelocateError::Failed(error))
        }
    }
}

async fn digest(storage: &Storage, key: &str) -> Result<[u8; 32], RelocateError> {
    let mut stream = open_object(storage, key).await?.stream;
    let mut hasher = Sha256::new();
    while let Some(chunk) = stream.try_next().await.map_err(|e| RelocateError::Failed(format!("reading {key}: {e}")))? {
        hasher.update(&chunk);
    }
    Ok(hasher.finalize().into())
}
