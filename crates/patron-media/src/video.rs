//! Video by ffmpeg: a poster frame and HLS renditions (360p, 720p, 1080p, never above the
//! upload's height), with progress reported as the work goes.

use crate::ProcessError;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// Heights of the HLS renditions, with their target video bit rates (bits per second).
pub const LADDER: [(u32, u32); 3] = [(360, 800_000), (720, 2_800_000), (1080, 5_000_000)];

/// What ffprobe says of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// Pixel width of the first video stream (0 without one).
    pub width: u32,
    /// Pixel height of the first video stream (0 without one).
    pub height: u32,
    /// Length.
    pub duration_ms: i64,
}

/// ffprobe next to the ffmpeg program (as every ffmpeg distribution ships it).
pub fn ffprobe_for(ffmpeg: &Path) -> PathBuf {
    match ffmpeg.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("ffprobe"),
        _ => PathBuf::from("ffprobe"),
    }
}

async fn run(command: &mut Command, what: &str) -> Result<Vec<u8>, ProcessError> {
    let output = command
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| ProcessError::Transient(format!("{what} could not start: {e}")))?;
    if output.status.success() {
        Ok(output.stdout)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message");
        Err(ProcessError::Unusable(format!("{what} failed: {last}")))
    }
}

/// Reads the size and length of a media file.
pub async fn probe(ffmpeg: &Path, input: &Path) -> Result<Probe, ProcessError> {
    let stdout = run(
        Command::new(ffprobe_for(ffmpeg))
            .args(["-v", "error", "-print_format", "json", "-show_format", "-show_streams"])
            .arg(input),
        "ffprobe",
    )
    .await?;
    let json: serde_json::Value = serde_json::from_slice(&stdout)
        .map_err(|e| ProcessError::Unusable(format!("ffprobe said something unreadable: {e}")))?;
    let video = json["streams"].as_array().and_then(|streams| streams.iter().find(|s| s["codec_type"] == "video"));
    let dimension = |key: &str| video.and_then(|v| v[key].as_u64()).unwrap_or(0) as u32;
    let seconds: f64 = json["format"]["duration"].as_str().and_then(|d| d.parse().ok()).unwrap_or(0.0);
    Ok(Probe { width: dimension("width"), height: dimension("height"), duration_ms: (seconds * 1000.0) as i64 })
}

/// One HLS rendition made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rung {
    /// Its height.
    pub height: u32,
    /// Its width.
    pub width: u32,
    /// Its playlist's file name (`360p.m3u8`).
    pub playlist: String,
}

/// The heights to make of a video `height` pixels high: every rung up to it, and the video's
/// own (even) height when it is below the lowest.
pub fn heights_for(height: u32) -> Vec<(u32, u32)> {
    let rungs: Vec<(u32, u32)> = LADDER.iter().copied().filter(|(h, _)| *h <= height).collect();
    if rungs.is_empty() { vec![((height.max(2)) & !1, LADDER[0].1 / 2)] } else { rungs }
}

/// Makes `poster.jpg` and the HLS renditions with `master.m3u8` in `out`, calling `progress`
/// with percentages as ffmpeg reports them.
pub async fn transcode(
    ffmpeg: &Path,
    input: &Path,
    out: &Path,
    probe: Probe,
    mut progress: impl FnMut(i64) + Send,
) -> Result<Vec<Rung>, ProcessError> {
    if probe.height == 0 || probe.width == 0 {
        return Err(ProcessError::Unusable("the file has no video stream".to_owned()));
    }
    // the poster: a frame a second in (or halfway through a shorter video)
    let at = (probe.duration_ms.min(2000) / 2) as f64 / 1000.0;
    run(
        Command::new(ffmpeg)
            .args(["-hide_banner", "-nostdin", "-y", "-ss", &format!("{at:.3}"), "-i"])
            .arg(input)
            .args(["-frames:v", "1", "-vf", "scale=-2:'min(720,ih)'", "-q:v", "3", "-map_metadata", "-1"])
            .arg(out.join("poster.jpg")),
        "ffmpeg (poster)",
    )
    .await?;
    let rungs = heights_for(probe.height);
    let count = rungs.len() as i64;
    let mut made = Vec::new();
    for (index, (height, bitrate)) in rungs.into_iter().enumerate() {
        let width = ((u64::from(probe.width) * u64::from(height) / u64::from(probe.height)) as u32 + 1) & !1;
        let playlist = format!("{height}p.m3u8");
        let mut child = Command::new(ffmpeg)
            .args(["-hide_banner", "-nostdin", "-y", "-i"])
            .arg(input)
            .args(["-map", "0:v:0", "-map", "0:a:0?", "-map_metadata", "-1"])
            .args(["-vf", &format!("scale=-2:{height}"), "-c:v", "libx264", "-preset", "veryfast"])
            .args(["-b:v", &bitrate.to_string(), "-maxrate", &(bitrate * 3 / 2).to_string()])
            .args(["-bufsize", &(bitrate * 2).to_string(), "-pix_fmt", "yuv420p", "-profile:v", "main"])
            .args(["-g", "48", "-keyint_min", "48", "-sc_threshold", "0"])
            .args(["-c:a", "aac", "-b:a", "128k", "-ac", "2"])
            .args(["-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod", "-hls_segment_filename"])
            .arg(out.join(format!("{height}p_%04d.ts")))
            .args(["-progress", "pipe:1", "-nostats", "-loglevel", "error"])
            .arg(out.join(&playlist))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ProcessError::Transient(format!("ffmpeg could not start: {e}")))?;
        if let Some(stdout) = child.stdout.take() {
            let mut lines = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(micros) = line.strip_prefix("out_time_us=").and_then(|v| v.trim().parse::<i64>().ok())
                    && probe.duration_ms > 0
                {
                    let part = (micros / 10 / probe.duration_ms).clamp(0, 100);
                    progress((index as i64 * 100 + part) / count);
                }
            }
        }
        let output = child
            .wait_with_output()
            .await
            .map_err(|e| ProcessError::Transient(format!("ffmpeg did not finish: {e}")))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message");
            return Err(ProcessError::Unusable(format!("ffmpeg ({height}p) failed: {last}")));
        }
        made.push(Rung { height, width, playlist });
    }
    let mut master = String::from("#EXTM3U\n#EXT-X-VERSION:3\n");
    for (rung, (_, bitrate)) in made.iter().zip(heights_for(probe.height)) {
        master.push_str(&format!(
            "#EXT-X-STREAM-INF:BANDWIDTH={},RESOLUTION={}x{}\n{}\n",
            bitrate + 128_000,
            rung.width,
            rung.height,
            rung.playlist
        ));
    }
    tokio::fs::write(out.join("master.m3u8"), master)
        .await
        .map_err(|e| ProcessError::Transient(format!("cannot write the master playlist: {e}")))?;
    progress(100);
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renditions_never_exceed_the_upload() {
        assert_eq!(heights_for(1080).iter().map(|(h, _)| *h).collect::<Vec<_>>(), [360, 720, 1080]);
        assert_eq!(heights_for(2160).len(), 3);
        assert_eq!(heights_for(720).iter().map(|(h, _)| *h).collect::<Vec<_>>(), [360, 720]);
        assert_eq!(heights_for(241).iter().map(|(h, _)| *h).collect::<Vec<_>>(), [240]);
        assert_eq!(ffprobe_for(Path::new("/usr/bin/ffmpeg")), PathBuf::from("/usr/bin/ffprobe"));
        assert_eq!(ffprobe_for(Path::new("ffmpeg")), PathBuf::from("ffprobe"));
    }
}
