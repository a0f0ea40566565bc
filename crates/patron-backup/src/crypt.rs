//! Encryption middlewares: age to public keys, and Tergum's OpenPGP passphrase (gpg).
//!
//! Both stream: memory stays bounded by a few chunks whatever the size of the backup. Both
//! report a failure of their input, or of the decryption, as a read error of the reader they
//! return — never as a clean end, which a target would store as a complete backup.

use age::x25519;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, ReadBuf};
use tokio::process::{Child, Command};
use tokio_util::compat::{
    FuturesAsyncReadCompatExt, FuturesAsyncWriteCompatExt, TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt,
};

/// A stream of bytes, as the middlewares pass it on.
pub type Reader = Pin<Box<dyn AsyncRead + Send>>;

/// Bytes moved at a time between a reader and a writer.
const CHUNK: usize = 64 * 1024;
/// How many bytes of gpg's error output are kept for the error message.
const STDERR_TAIL: usize = 2 * 1024;

/// A new age identity: the identity file's text (keep it secret, away from the backups) and
/// its public key (`age1…`, for `Age.Recipients`).
pub fn age_keygen() -> (String, String) {
    use age::secrecy::ExposeSecret;
    let identity = x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let created =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let text = format!("# created: {created}\n# public key: {recipient}\n{}\n", identity.to_string().expose_secret());
    (text, recipient)
}

/// Encrypts `reader` to the age X25519 `recipients` (`age1…`), streaming.
///
/// The encryption runs in a spawned task (so this must be called within a Tokio runtime)
/// and holds at most a few 64 KiB chunks. A failure to read the input makes the returned
/// reader fail at its end instead of ending on a truncated ciphertext.
pub fn age_encrypt(reader: Reader, recipients: &[String]) -> Result<Reader, String> {
    let recipients = recipients
        .iter()
        .map(|recipient| {
            recipient
                .trim()
                .parse::<x25519::Recipient>()
                .map_err(|error| format!("{recipient:?} is not an age X25519 public key (age1…): {error}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|recipient| recipient as &dyn age::Recipient))
            .map_err(|error| format!("cannot encrypt with age: {error}"))?;
    let (pipe_in, pipe_out) = tokio::io::duplex(CHUNK);
    let encrypting = tokio::spawn(async move {
        let output = encryptor
            .wrap_async_output(pipe_in.compat_write())
            .await
            .map_err(|error| format!("cannot write the age header: {error}"))?;
        // `shutdown` below is age's `poll_close`: it writes the final chunk that marks a
        // complete file, so it must not be reached when the input failed.
        let mut output = output.compat_write();
        copy(reader, &mut output, "age").await?;
        output.shutdown().await.map_err(|error| format!("cannot finish the age stream: {error}"))
    });
    let outcome = async move { encrypting.await.map_err(|error| format!("age encryption stopped: {error}"))? };
    Ok(Box::pin(CheckedEnd::new(pipe_out, outcome)))
}

/// Decrypts an age file with the identities of an identity file (lines
/// `AGE-SECRET-KEY-1…`, `#` comments), streaming.
///
/// Reads the age header before returning, so an identity that does not match fails here. The
/// payload is authenticated chunk by chunk: a tampered or truncated ciphertext makes the
/// returned reader fail.
pub async fn age_decrypt(reader: Reader, identities: &str) -> Result<Reader, String> {
    let identities = parse_identities(identities)?;
    let input = BufReader::with_capacity(CHUNK, reader).compat();
    let decryptor =
        age::Decryptor::new_async_buffered(input).await.map_err(|error| format!("not a readable age file: {error}"))?;
    let plaintext = decryptor
        .decrypt_async(identities.iter().map(|identity| identity as &dyn age::Identity))
        .map_err(|error| format!("cannot decrypt the age file: {error}"))?;
    Ok(Box::pin(plaintext.compat()))
}

/// The X25519 identities of an age identity file. Errors name the line, never its text:
/// that is a secret key.
fn parse_identities(text: &str) -> Result<Vec<x25519::Identity>, String> {
    let mut identities = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let identity = line
            .parse::<x25519::Identity>()
            .map_err(|_| format!("line {} of the age identities is not an AGE-SECRET-KEY-1… key", index + 1))?;
        identities.push(identity);
    }
    if identities.is_empty() {
        return Err("the age identities contain no AGE-SECRET-KEY-1… key".to_owned());
    }
    Ok(identities)
}

/// Encrypts `reader` with `passphrase` as Tergum does (`gpg --symmetric`, AES256), streaming
/// through the `gpg` binary.
///
/// The passphrase reaches gpg through a 0600 file in a throwaway 0700 home, never its command
/// line. A failure of the input or a non-zero exit of gpg makes the returned reader fail at
/// its end, with the end of gpg's error output in the message. gpg 2.2 needs `gpg-agent`
/// installed even for passphrase encryption; it is started in that home and stopped at the end.
pub async fn gpg_encrypt(reader: Reader, passphrase: &str) -> Result<Reader, String> {
    run_gpg(reader, passphrase, GpgOperation::Encrypt).await
}

/// Decrypts what [`gpg_encrypt`] (or Tergum, or `gpg --symmetric`) wrote, streaming through the
/// `gpg` binary. A wrong passphrase or a tampered ciphertext makes the returned reader fail at
/// its end rather than end cleanly; plaintext read before that must be thrown away.
pub async fn gpg_decrypt(reader: Reader, passphrase: &str) -> Result<Reader, String> {
    run_gpg(reader, passphrase, GpgOperation::Decrypt).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GpgOperation {
    Encrypt,
    Decrypt,
}

impl GpgOperation {
    fn verb(self) -> &'static str {
        match self {
            GpgOperation::Encrypt => "encryption",
            GpgOperation::Decrypt => "decryption",
        }
    }
}

/// The gpg command line: everything but the passphrase, which stays in `passphrase_file`.
fn gpg_command(home: &Path, passphrase_file: &Path, operation: GpgOperation) -> Command {
    let mut command = Command::new("gpg");
    command.args(["--batch", "--no-tty", "--quiet", "--homedir"]).arg(home);
    command.args(["--pinentry-mode", "loopback", "--no-symkey-cache", "--passphrase-file"]).arg(passphrase_file);
    match operation {
        GpgOperation::Encrypt => command.args(["--symmetric", "--cipher-algo", "AES256", "--output", "-"]),
        GpgOperation::Decrypt => command.args(["--decrypt", "--output", "-"]),
    };
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    command
}

async fn run_gpg(mut reader: Reader, passphrase: &str, operation: GpgOperation) -> Result<Reader, String> {
    // gpg reads only the first line of the file: a longer passphrase would silently be cut.
    if passphrase.contains(['\n', '\r']) {
        return Err("the gpg passphrase must be a single line".to_owned());
    }
    let home = GpgHome::create().await?;
    let passphrase_file = home.path().join("passphrase");
    write_secret_file(&passphrase_file, passphrase.as_bytes())
        .await
        .map_err(|error| format!("cannot write the gpg passphrase file: {error}"))?;
    let mut child = gpg_command(home.path(), &passphrase_file, operation)
        .spawn()
        .map_err(|error| format!("cannot start gpg: {error}"))?;
    let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err("gpg started without its pipes".to_owned());
    };
    let feeding = tokio::spawn(async move {
        copy(&mut reader, &mut stdin, "gpg").await?;
        // Closing gpg's input is what tells it the plaintext ended.
        stdin.shutdown().await.map_err(|error| format!("cannot close the input of gpg: {error}"))
    });
    // Read alongside, so a chatty gpg never blocks on a full pipe.
    let stderr_tail = tokio::spawn(async move {
        let mut kept = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(read) = stderr.read(&mut buffer).await {
            if read == 0 {
                break;
            }
            kept.extend_from_slice(&buffer[..read]);
            if kept.len() > 2 * STDERR_TAIL {
                kept.drain(..kept.len() - STDERR_TAIL);
            }
        }
        let text = String::from_utf8_lossy(&kept);
        let text = text.trim();
        text.char_indices().rev().nth(STDERR_TAIL).map_or(text, |(at, _)| &text[at..]).to_owned()
    });
    let outcome = finish_gpg(child, feeding, stderr_tail, home, operation);
    Ok(Box::pin(CheckedEnd::new(stdout, outcome)))
}

/// Waits for gpg once its output has ended, and says whether that output is complete.
async fn finish_gpg(
    mut child: Child,
    feeding: tokio::task::JoinHandle<Result<(), String>>,
    stderr_tail: tokio::task::JoinHandle<String>,
    home: GpgHome,
    operation: GpgOperation,
) -> Result<(), String> {
    let status = child.wait().await;
    let stderr = stderr_tail.await.unwrap_or_default();
    home.remove().await;
    let verb = operation.verb();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => {
            // gpg gave up (a wrong passphrase, a tampered file): what it was fed no longer
            // matters, and the input may never end.
            feeding.abort();
            return Err(format!("gpg {verb} failed ({status}): {stderr}"));
        }
        Err(error) => {
            feeding.abort();
            return Err(format!("cannot wait for gpg: {error}"));
        }
    }
    // gpg ends well on an early end of its input too: only the feeding task knows the input
    // failed.
    feeding.await.map_err(|error| format!("feeding gpg stopped: {error}"))?
}

/// Copies `from` into `to` in bounded chunks, then flushes. The error says which side failed.
async fn copy<R, W>(mut from: R, to: &mut W, into: &str) -> Result<(), String>
where
    R: AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let read = from.read(&mut buffer).await.map_err(|error| format!("cannot read the input: {error}"))?;
        if read == 0 {
            break;
        }
        to.write_all(&buffer[..read]).await.map_err(|error| format!("cannot write to {into}: {error}"))?;
    }
    to.flush().await.map_err(|error| format!("cannot write to {into}: {error}"))
}

async fn write_secret_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = tokio::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).await?;
    file.write_all(contents).await?;
    file.flush().await
}

/// A throwaway gpg home (0700) holding the passphrase file and whatever gpg and its agent
/// create. Removed once gpg ended; if the stream is dropped early, removed on drop.
struct GpgHome {
    path: Option<PathBuf>,
}

impl GpgHome {
    async fn create() -> Result<Self, String> {
        let mut random = [0u8; 12];
        getrandom::fill(&mut random).map_err(|error| format!("no randomness for a gpg home: {error}"))?;
        let name: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
        let path = std::env::temp_dir().join(format!("patron-gpg-{name}"));
        tokio::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .await
            .map_err(|error| format!("cannot create a gpg home in {}: {error}", path.display()))?;
        Ok(GpgHome { path: Some(path) })
    }

    fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    /// Stops the agent gpg started in this home (it would outlive us), then removes the home.
    async fn remove(mut self) {
        if let Some(path) = self.path.take() {
            let _ = Command::new("gpgconf")
                .arg("--homedir")
                .arg(&path)
                .args(["--kill", "gpg-agent"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .await;
            let _ = tokio::fs::remove_dir_all(&path).await;
        }
    }
}

impl Drop for GpgHome {
    fn drop(&mut self) {
        // Only when gpg could not start or its stream was dropped before its end: blocking
        // briefly here is rare, and leaving the passphrase file behind is worse.
        if let Some(path) = self.path.take() {
            let _ = std::process::Command::new("gpgconf")
                .arg("--homedir")
                .arg(&path)
                .args(["--kill", "gpg-agent"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

type Outcome = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A reader whose end is only passed on once `outcome` — the task or process that produced
/// the bytes — says they are complete; otherwise its end is a read error.
pub(crate) struct CheckedEnd<R> {
    inner: R,
    outcome: Option<Outcome>,
    failure: Option<String>,
}

impl<R> CheckedEnd<R> {
    pub(crate) fn new(inner: R, outcome: impl Future<Output = Result<(), String>> + Send + 'static) -> Self {
        CheckedEnd { inner, outcome: Some(Box::pin(outcome)), failure: None }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for CheckedEnd<R> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(failure) = &this.failure {
            return Poll::Ready(Err(io::Error::other(failure.clone())));
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        if buf.filled().len() > before || buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        if let Some(outcome) = this.outcome.as_mut() {
            let result = ready!(outcome.as_mut().poll(cx));
            this.outcome = None;
            if let Err(failure) = result {
                this.failure = Some(failure.clone());
                return Poll::Ready(Err(io::Error::other(failure)));
            }
        }
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Deterministic, incompressible bytes (xorshift), so gpg's compression cannot hide them.
    fn pseudo_random(len: usize, mut state: u64) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(len + 8);
        while bytes.len() < len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.extend_from_slice(&state.to_le_bytes());
        }
        bytes.truncate(len);
        bytes
    }

    fn reader_of(bytes: Vec<u8>) -> Reader {
        Box::pin(std::io::Cursor::new(bytes))
    }

    async fn read_all(mut reader: Reader) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await?;
        Ok(bytes)
    }

    /// Gives `good` bytes, then fails, as a dump tool's pipe can.
    struct FailingReader {
        good: std::io::Cursor<Vec<u8>>,
    }

    impl AsyncRead for FailingReader {
        fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            if this.good.position() < this.good.get_ref().len() as u64 {
                return Pin::new(&mut this.good).poll_read(cx, buf);
            }
            Poll::Ready(Err(io::Error::new(io::ErrorKind::BrokenPipe, "the source broke")))
        }
    }

    fn failing_after(len: usize) -> Reader {
        Box::pin(FailingReader { good: std::io::Cursor::new(pseudo_random(len, 7)) })
    }

    /// Produces `remaining` bytes on demand and counts how many were taken.
    struct Generator {
        remaining: u64,
        taken: Arc<AtomicU64>,
    }

    impl AsyncRead for Generator {
        fn poll_read(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            let len = buf.remaining().min(usize::try_from(this.remaining).unwrap_or(usize::MAX));
            let start = this.taken.load(Ordering::SeqCst);
            buf.put_slice(&pseudo_random(len, start | 1));
            this.remaining -= len as u64;
            this.taken.fetch_add(len as u64, Ordering::SeqCst);
            Poll::Ready(Ok(()))
        }
    }

    fn identity_pair() -> (String, String) {
        let identity = x25519::Identity::generate();
        let text = format!("# created: by the test\n{}\n", identity.to_string().expose_secret());
        (identity.to_public().to_string(), text)
    }

    #[tokio::test]
    async fn age_round_trip_gives_back_the_plaintext() {
        let (recipient, identities) = identity_pair();
        let plaintext = pseudo_random(3 * 1024 * 1024 + 123, 1);
        let encrypted = read_all(age_encrypt(reader_of(plaintext.clone()), &[recipient]).unwrap()).await.unwrap();
        assert!(encrypted.starts_with(b"age-encryption.org/v1\n"));
        assert_ne!(&encrypted[encrypted.len() - 1000..], &plaintext[plaintext.len() - 1000..]);
        let decrypted = read_all(age_decrypt(reader_of(encrypted), &identities).await.unwrap()).await.unwrap();
        assert!(decrypted == plaintext, "the decrypted bytes differ");
    }

    #[tokio::test]
    async fn age_encrypts_to_every_recipient() {
        let (first, first_identities) = identity_pair();
        let (second, second_identities) = identity_pair();
        let plaintext = pseudo_random(100_000, 2);
        let encrypted = read_all(age_encrypt(reader_of(plaintext.clone()), &[first, second]).unwrap()).await.unwrap();
        for identities in [first_identities, second_identities] {
            let decrypted = age_decrypt(reader_of(encrypted.clone()), &identities).await.unwrap();
            assert!(read_all(decrypted).await.unwrap() == plaintext);
        }
    }

    #[tokio::test]
    async fn age_refuses_a_bad_recipient_by_name() {
        let (good, _) = identity_pair();
        let error = age_encrypt(reader_of(Vec::new()), &[good, "age1nonsense".to_owned()]).err().unwrap();
        assert!(error.contains("\"age1nonsense\""), "{error}");
    }

    #[tokio::test]
    async fn age_decrypt_with_another_identity_fails() {
        let (recipient, _) = identity_pair();
        let (_, other_identities) = identity_pair();
        let encrypted = read_all(age_encrypt(reader_of(pseudo_random(1000, 3)), &[recipient]).unwrap()).await.unwrap();
        let error = age_decrypt(reader_of(encrypted), &other_identities).await.err().unwrap();
        assert!(error.contains("cannot decrypt"), "{error}");
    }

    #[tokio::test]
    async fn age_identity_errors_name_the_line_not_the_key() {
        let error =
            age_decrypt(reader_of(Vec::new()), "# comment\n\nAGE-SECRET-KEY-1SECRETBITS\n").await.err().unwrap();
        assert!(error.contains("line 3"), "{error}");
        assert!(!error.contains("SECRETBITS"), "{error}");
        let error = age_decrypt(reader_of(Vec::new()), "# only a comment\n").await.err().unwrap();
        assert!(error.contains("no AGE-SECRET-KEY"), "{error}");
    }

    #[tokio::test]
    async fn age_flipped_byte_in_the_ciphertext_fails_the_read() {
        let (recipient, identities) = identity_pair();
        let mut encrypted =
            read_all(age_encrypt(reader_of(pseudo_random(1024 * 1024, 4)), &[recipient]).unwrap()).await.unwrap();
        let middle = encrypted.len() / 2;
        encrypted[middle] ^= 0x01;
        let decrypted = age_decrypt(reader_of(encrypted), &identities).await.unwrap();
        assert!(read_all(decrypted).await.is_err());
    }

    #[tokio::test]
    async fn age_truncated_ciphertext_fails_the_read() {
        let (recipient, identities) = identity_pair();
        let mut encrypted =
            read_all(age_encrypt(reader_of(pseudo_random(200_000, 5)), &[recipient]).unwrap()).await.unwrap();
        encrypted.truncate(encrypted.len() - 100);
        let decrypted = age_decrypt(reader_of(encrypted), &identities).await.unwrap();
        assert!(read_all(decrypted).await.is_err());
    }

    #[tokio::test]
    async fn age_input_failing_midway_fails_the_encrypted_stream() {
        let (recipient, _) = identity_pair();
        let error = read_all(age_encrypt(failing_after(300_000), &[recipient]).unwrap()).await.err().unwrap();
        assert!(error.to_string().contains("the source broke"), "{error}");
    }

    #[tokio::test]
    async fn age_buffers_a_bounded_amount_while_the_reader_is_slow() {
        let (recipient, _) = identity_pair();
        let taken = Arc::new(AtomicU64::new(0));
        let total = 32 * 1024 * 1024;
        let generator = Generator { remaining: total, taken: taken.clone() };
        let mut encrypted = age_encrypt(Box::pin(generator), &[recipient]).unwrap();
        let mut buffer = vec![0u8; 16 * 1024];
        let mut consumed = 0u64;
        let mut largest_lead = 0u64;
        loop {
            let read = encrypted.read(&mut buffer).await.unwrap();
            if read == 0 {
                break;
            }
            consumed += read as u64;
            if consumed % (4 * 1024 * 1024) < read as u64 {
                // A slow consumer: the producer gets every chance to run ahead.
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            largest_lead = largest_lead.max(taken.load(Ordering::SeqCst).saturating_sub(consumed));
        }
        assert_eq!(taken.load(Ordering::SeqCst), total);
        assert!(consumed > total);
        // The pipe, the copy buffer and age's chunk: about 200 KiB, whatever the total.
        assert!(largest_lead <= 512 * 1024, "{largest_lead} bytes were buffered");
    }

    #[tokio::test]
    async fn gpg_round_trip_gives_back_the_plaintext() {
        let plaintext = pseudo_random(3 * 1024 * 1024 + 5, 6);
        let encrypted =
            read_all(gpg_encrypt(reader_of(plaintext.clone()), "correct horse").await.unwrap()).await.unwrap();
        assert!(encrypted.len() > plaintext.len() / 2);
        let decrypted = read_all(gpg_decrypt(reader_of(encrypted), "correct horse").await.unwrap()).await.unwrap();
        assert!(decrypted == plaintext, "the decrypted bytes differ");
    }

    #[tokio::test]
    async fn gpg_wrong_passphrase_fails_the_read() {
        let encrypted =
            read_all(gpg_encrypt(reader_of(pseudo_random(100_000, 8)), "right").await.unwrap()).await.unwrap();
        let error = read_all(gpg_decrypt(reader_of(encrypted), "wrong").await.unwrap()).await.err().unwrap();
        let message = error.to_string();
        assert!(message.contains("gpg decryption failed"), "{message}");
        assert!(!message.contains("wrong"), "{message}");
    }

    #[tokio::test]
    async fn gpg_tampered_ciphertext_fails_the_read() {
        let mut encrypted =
            read_all(gpg_encrypt(reader_of(pseudo_random(500_000, 9)), "pass").await.unwrap()).await.unwrap();
        let middle = encrypted.len() / 2;
        encrypted[middle] ^= 0x01;
        assert!(read_all(gpg_decrypt(reader_of(encrypted), "pass").await.unwrap()).await.is_err());
    }

    #[tokio::test]
    async fn gpg_input_failing_midway_fails_the_encrypted_stream() {
        let error = read_all(gpg_encrypt(failing_after(300_000), "pass").await.unwrap()).await.err().unwrap();
        assert!(error.to_string().contains("the source broke"), "{error}");
    }

    #[tokio::test]
    async fn gpg_refuses_a_passphrase_of_several_lines() {
        assert!(gpg_encrypt(reader_of(Vec::new()), "one\ntwo").await.is_err());
    }

    /// A scratch directory for the command-line gpg of the compatibility tests.
    fn scratch() -> PathBuf {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).unwrap();
        let name: String = random.iter().map(|byte| format!("{byte:02x}")).collect();
        let path = std::env::temp_dir().join(format!("patron-gpg-test-{name}"));
        std::fs::create_dir(&path).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        path
    }

    fn command_line_gpg(dir: &Path, passphrase: &str, operation: &[&str], input: &[u8]) -> std::process::Output {
        use std::io::Write;
        std::fs::write(dir.join("pass"), passphrase).unwrap();
        let mut child = std::process::Command::new("gpg")
            .args(["--batch", "--pinentry-mode", "loopback", "--homedir"])
            .arg(dir)
            .arg("--passphrase-file")
            .arg(dir.join("pass"))
            .args(operation)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        output
    }

    fn remove_scratch(dir: &Path) {
        let _ = std::process::Command::new("gpgconf").arg("--homedir").arg(dir).args(["--kill", "gpg-agent"]).status();
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn gpg_output_decrypts_with_the_gpg_command_line_and_back() {
        let plaintext = pseudo_random(1024 * 1024, 10);
        let encrypted =
            read_all(gpg_encrypt(reader_of(plaintext.clone()), "s3cret pass").await.unwrap()).await.unwrap();
        let dir = scratch();
        let decrypted = command_line_gpg(&dir, "s3cret pass", &["--decrypt"], &encrypted);
        assert!(decrypted.status.success(), "{}", String::from_utf8_lossy(&decrypted.stderr));
        assert!(decrypted.stdout == plaintext);
        // And what Tergum's `gpg --symmetric` wrote, patron decrypts.
        let by_tergum = command_line_gpg(&dir, "s3cret pass", &["--symmetric"], &plaintext);
        assert!(by_tergum.status.success(), "{}", String::from_utf8_lossy(&by_tergum.stderr));
        remove_scratch(&dir);
        let decrypted = read_all(gpg_decrypt(reader_of(by_tergum.stdout), "s3cret pass").await.unwrap()).await.unwrap();
        assert!(decrypted == plaintext);
    }

    #[tokio::test]
    async fn gpg_passphrase_is_never_on_the_command_line() {
        let passphrase = "do-not-show-me";
        for operation in [GpgOperation::Encrypt, GpgOperation::Decrypt] {
            let command = gpg_command(Path::new("/tmp/home"), Path::new("/tmp/home/passphrase"), operation);
            let args: Vec<_> = command.as_std().get_args().map(|arg| arg.to_string_lossy().into_owned()).collect();
            assert!(args.iter().all(|arg| !arg.contains(passphrase)), "{args:?}");
            assert!(args.iter().all(|arg| arg != "--passphrase" && arg != "--passphrase-fd"), "{args:?}");
            assert!(args.windows(2).any(|pair| pair[0] == "--passphrase-file" && pair[1] == "/tmp/home/passphrase"));
        }
        assert!(
            gpg_command(Path::new("/h"), Path::new("/h/p"), GpgOperation::Encrypt)
                .as_std()
                .get_args()
                .any(|arg| arg == "AES256")
        );
    }

    #[tokio::test]
    async fn gpg_home_is_private_and_removed_at_the_end_or_on_drop() {
        use std::os::unix::fs::PermissionsExt;
        let home = GpgHome::create().await.unwrap();
        let path = home.path().to_owned();
        write_secret_file(&path.join("passphrase"), b"secret").await.unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(std::fs::metadata(path.join("passphrase")).unwrap().permissions().mode() & 0o777, 0o600);
        home.remove().await;
        assert!(!path.exists());
        let home = GpgHome::create().await.unwrap();
        let path = home.path().to_owned();
        drop(home);
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn gpg_stream_dropped_early_stops_gpg() {
        let encrypted =
            read_all(gpg_encrypt(reader_of(pseudo_random(2 * 1024 * 1024, 11)), "pass").await.unwrap()).await.unwrap();
        let mut unread = gpg_decrypt(reader_of(encrypted), "pass").await.unwrap();
        let mut first = [0u8; 10];
        assert!(unread.read(&mut first).await.unwrap() > 0);
        // Dropping kills gpg and removes its home; what matters here is that nothing hangs.
        drop(unread);
    }
}
