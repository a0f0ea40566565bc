//! Retention: each target's old backups of this backup deleted by its policy, with their
//! manifests.

use super::target::target_store;
use crate::config::{Config, Target, TargetKind};
use crate::manifest;
use crate::retention::{Policy, parse_name, to_delete};
use patron_storage::{ObjectKey, Storage};
use time::OffsetDateTime;

/// What retention applies to on one target: where its objects are, how they are named, the policy.
struct Kept {
    storage: Storage,
    folder: Option<String>,
    prefix: String,
    suffix: String,
    policy: Policy,
}

fn retention_of(target: &Target) -> Result<Option<Kept>, String> {
    let retention = match target.kind() {
        Some(TargetKind::S3(s3)) => &s3.retention,
        Some(TargetKind::File(file)) => &file.retention,
        Some(TargetKind::FilePath(_)) | None => return Ok(None),
    };
    let Some(policy) = retention.as_ref().and_then(crate::config::Retention::policy).filter(Policy::is_set) else {
        return Ok(None);
    };
    let (storage, prefix, suffix) = target_store(target)?;
    let folder = prefix.rsplit_once('/').map(|(folder, _)| folder.to_owned());
    Ok(Some(Kept { storage, folder, prefix, suffix, policy }))
}

/// The outcome of applying one target's retention.
#[derive(Debug, Clone)]
pub struct Pruned {
    pub backup_id: String,
    pub target_id: String,
    /// The deleted objects, or why pruning failed.
    pub result: Result<Vec<String>, String>,
    /// How many of this backup's objects remain.
    pub kept: usize,
}

/// Applies the retention of every target that has one (of the backups and targets `wanted`
/// accepts) at `now`: only objects whose whole name is this backup's are considered.
pub async fn prune(config: &Config, now: OffsetDateTime, wanted: impl Fn(&str, &str) -> bool) -> Vec<Pruned> {
    let mut out = Vec::new();
    for backup in &config.backups {
        for target in &backup.targets {
            if !wanted(&backup.id, &target.id) {
                continue;
            }
            let kept = match retention_of(target) {
                Ok(None) => continue,
                Ok(Some(kept)) => kept,
                Err(error) => {
                    out.push(Pruned {
                        backup_id: backup.id.clone(),
                        target_id: target.id.clone(),
                        result: Err(error),
                        kept: 0,
                    });
                    continue;
                }
            };
            let (result, remaining) = prune_one(&kept, now).await;
            out.push(Pruned { backup_id: backup.id.clone(), target_id: target.id.clone(), result, kept: remaining });
        }
    }
    out
}

async fn prune_one(kept: &Kept, now: OffsetDateTime) -> (Result<Vec<String>, String>, usize) {
    let listed = match kept.storage.list_in(kept.folder.as_deref()).await {
        Ok(listed) => listed,
        Err(error) => return (Err(format!("listing: {error}")), 0),
    };
    let ours: Vec<(String, OffsetDateTime)> = listed
        .into_iter()
        .filter_map(|object| parse_name(&kept.prefix, &kept.suffix, &object.key).map(|at| (object.key, at)))
        .collect();
    let doomed: Vec<String> = to_delete(&kept.policy, &ours, now).into_iter().map(str::to_owned).collect();
    let mut deleted = Vec::new();
    for name in &doomed {
        let key = match ObjectKey::new(name.clone()) {
            Ok(key) => key,
            Err(error) => return (Err(error.to_string()), ours.len() - deleted.len()),
        };
        if let Err(error) = kept.storage.delete(&key).await {
            return (Err(format!("deleting {name}: {error}")), ours.len() - deleted.len());
        }
        // its manifest goes with it (a backup made before manifests has none: not an error)
        if let Ok(manifest) = ObjectKey::new(format!("{name}{}", manifest::SUFFIX)) {
            let _ = kept.storage.delete(&manifest).await;
        }
        deleted.push(name.clone());
    }
    (Ok(deleted), ours.len() - doomed.len())
}
