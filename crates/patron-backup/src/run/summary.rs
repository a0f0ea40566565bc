//! The summary printed after a run, as Tergum prints it.

use super::Row;

/// The summary as Tergum prints it: one row per backup and target, then the errors.
pub fn table(rows: &[Row]) -> String {
    let header = ["SUCCESS", "BACKUP", "BACKUP TIME", "TARGET", "UPLOAD TIME", "FILE SIZE", "ERROR", "TIME TOTAL"];
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|row| {
            [
                if row.ok() { "OK".to_owned() } else { "ERROR".to_owned() },
                format!("{}: {}", row.source_kind, row.backup_id),
                format!("{}s (+0s)", row.backup_time.as_secs()),
                format!("{}: {}", row.target_kind, row.target_id),
                format!("{}s (+0s)", row.upload_time.as_secs()),
                if row.ok() { size(row.size) } else { String::new() },
                row.error.clone().unwrap_or_default(),
                format!("{}s", row.total.as_secs()),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
            if index > 0 {
                out.push_str("  ");
            }
            out.push_str(cell);
            if index + 1 < cells.len() {
                out.push_str(&" ".repeat(width - cell.chars().count()));
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(&header.map(str::to_owned));
    for row in &cells {
        out.push_str(&line(row));
    }
    // where each backup went and the digest of what was stored, to compare a download with
    let stored: Vec<&Row> = rows.iter().filter(|row| row.ok()).collect();
    if !stored.is_empty() {
        out.push_str("\nSTORED  SHA-256\n");
        for row in stored {
            out.push_str(&format!("{} → {}: {}  {}\n", row.backup_id, row.target_id, row.stored_as, row.sha256));
        }
    }
    let failed: Vec<&Row> = rows.iter().filter(|row| !row.ok()).collect();
    if !failed.is_empty() {
        out.push_str("\nBACKUP  TARGET  ERROR\n");
        for row in failed {
            out.push_str(&format!(
                "{}  {}  {}\n",
                row.backup_id,
                row.target_id,
                row.error.as_deref().unwrap_or_default()
            ));
        }
    }
    out
}

/// Sizes as Tergum shows them: `28.7M`.
pub(super) fn size(bytes: u64) -> String {
    let units = ["B", "K", "M", "G", "T"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes}B") } else { format!("{value:.1}{}", units[unit]) }
}
