//! `patron backup run`: each backup's source is streamed through its middlewares to all its
//! targets at once — no temporary file, memory bounded by a few chunks per target. A target
//! that fails is dropped from the stream and the others go on; a source that fails (a dump
//! tool exiting non-zero) leaves nothing behind on any target.

mod middleware;
mod pipeline;
mod prune;
mod summary;
mod target;

pub(crate) use middleware::apply;
pub use prune::{Pruned, prune};
pub use summary::table;
pub(crate) use target::target_store;

use crate::config::Config;
use pipeline::run_one;
use std::time::Duration;

/// Bytes read from the source at a time; each target buffers at most a few of them.
const CHUNK: usize = 256 * 1024;
const CHUNKS_PER_TARGET: usize = 4;

/// One line of the summary: one backup to one target.
#[derive(Debug, Clone)]
pub struct Row {
    pub backup_id: String,
    pub source_kind: &'static str,
    pub target_id: String,
    pub target_kind: &'static str,
    /// Where the backup was stored (an object key or a path).
    pub stored_as: String,
    pub backup_time: Duration,
    pub upload_time: Duration,
    pub size: u64,
    pub sha256: String,
    pub error: Option<String>,
    pub total: Duration,
}

impl Row {
    /// Whether this backup reached this target.
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// Runs every backup of `config` in order and returns one row per backup and target.
pub async fn run(config: &Config) -> Vec<Row> {
    let mut rows = Vec::new();
    for backup in &config.backups {
        if backup.sleep_before > 0 {
            tokio::time::sleep(Duration::from_secs(backup.sleep_before.unsigned_abs())).await;
        }
        rows.extend(run_one(backup, &config.settings).await);
    }
    rows
}
