//! The middlewares a backup's stream passes through: compression, encryption, bytes before
//! and after.

use super::CHUNK;
use crate::config::Middleware;
use crate::source::Reader;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Wraps a stream in middlewares, in order.
pub(crate) async fn apply(mut reader: Reader, middlewares: &[Middleware]) -> Result<Reader, String> {
    for middleware in middlewares {
        reader = match middleware {
            Middleware::Gzip(_) => compress(reader, Compression::Gzip),
            Middleware::Zstd(zstd) => {
                compress(reader, Compression::Zstd(zstd.level.map_or(3, |level| level.clamp(1, 22) as i32)))
            }
            Middleware::Prefix(prefix) => {
                Box::pin(std::io::Cursor::new(prefix.prefix.clone().into_bytes()).chain(reader))
            }
            Middleware::Suffix(suffix) => {
                Box::pin(reader.chain(std::io::Cursor::new(suffix.suffix.clone().into_bytes())))
            }
            Middleware::Age(age) => crate::crypt::age_encrypt(reader, &age.recipients)?,
            Middleware::SymmetricEncryption(encryption) => {
                crate::crypt::gpg_encrypt(reader, &encryption.passphrase).await?
            }
        };
    }
    Ok(reader)
}

#[derive(Debug, Clone, Copy)]
enum Compression {
    Gzip,
    Zstd(i32),
}

/// Compresses a stream in a task of its own (on another core than the one reading and
/// fanning out), fed in large chunks and flushed only at the end: a compressor that flushed
/// whenever its input was momentarily empty would cut the stream into many small blocks,
/// costing size and time. A failure of the input is a read error at the end, never a clean
/// end of a shorter stream.
fn compress(mut input: Reader, compression: Compression) -> Reader {
    use async_compression::tokio::write;
    let (pipe_in, pipe_out) = tokio::io::duplex(CHUNK);
    let task = tokio::spawn(async move {
        let mut encoder: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>> = match compression {
            Compression::Gzip => Box::pin(write::GzipEncoder::new(pipe_in)),
            Compression::Zstd(level) => {
                Box::pin(write::ZstdEncoder::with_quality(pipe_in, async_compression::Level::Precise(level)))
            }
        };
        let mut buffer = vec![0u8; CHUNK];
        loop {
            let read = input.read(&mut buffer).await.map_err(|e| format!("reading the source: {e}"))?;
            if read == 0 {
                break;
            }
            encoder.write_all(&buffer[..read]).await.map_err(|e| format!("compressing: {e}"))?;
        }
        encoder.shutdown().await.map_err(|e| format!("compressing: {e}"))
    });
    let outcome = async move { task.await.map_err(|e| format!("the compression stopped: {e}"))? };
    Box::pin(crate::crypt::CheckedEnd::new(pipe_out, outcome))
}
