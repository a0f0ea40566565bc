//! The jobs that send mail.
//!
//! `send-email` sends one mail. Before talking to the SMTP server it claims the mail's
//! idempotency key in the `effects` table; once the server accepted the mail it marks the
//! key done. A second run of the same job — a retry, a lease that ran out, the same mail
//! enqueued twice — finds the key done and sends nothing. The one window left is a worker
//! that dies after the server accepted the mail and before the key is marked: then the claim's
//! lease runs out and the mail goes again, with the same Message-ID, so receiving servers
//! and clients can fold the two. At most twice, and only on a crash — never eight times.
//!
//! `post-fan-out` turns a published post into one `send-email` job per follower entitled to
//! read the post (supporters follow the creators they support), enqueued in batches with
//! per-recipient keys, so a fan-out that runs again (or stops half-way and is retried) adds
//! no second mail.

use crate::unsubscribe::{self, NEW_POSTS};
use crate::{Mail, MailError, Mailer, Template, render};
use patron_domain::entitlement::{Access, Viewer, access};
use patron_domain::{Id, Timestamp};
use patron_jobs::{Handler, JobContext, JobError, JobFuture, payload};
use patron_settings::SecretString;
use patron_store::jobs::{EffectClaim, NewJob};
use patron_store::{Database, StoreError, creators, jobs, posts};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The kind of the job that sends one mail.
pub const SEND_EMAIL: &str = "send-email";
/// The kind of the job that mails a new post to its creator's followers.
pub const POST_FAN_OUT: &str = "post-fan-out";

/// The version of the `send-email` payload ([`EmailJob`]).
const EMAIL_VERSION: u16 = 1;
/// The version of the `post-fan-out` payload ([`FanOutJob`]).
const FAN_OUT_VERSION: u16 = 1;
/// Followers read and jobs enqueued per statement during a fan-out.
const FAN_OUT_BATCH: i64 = 500;
/// Attempts a mail gets: with the back-off this covers a day of SMTP trouble.
const MAIL_ATTEMPTS: i64 = 12;

/// The payload of a `send-email` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailJob {
    /// What makes this mail unique (`invitation:…`, `post:{post}:{user}`): it is sent once.
    pub key: String,
    /// Recipient address.
    pub to: String,
    /// The recipient's language.
    pub locale: String,
    /// What the mail says.
    pub template: Template,
    /// Where its button leads.
    pub link: Link,
    /// For mails the recipient can stop: who they are and which category this is. The job
    /// checks it again just before sending, so an unsubscribe between enqueueing and sending
    /// is honoured.
    pub unsubscribe: Option<Unsubscribable>,
}

/// Where a mail's button leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Link {
    /// An address without secrets (a post).
    Plain {
        /// The full URL.
        url: String,
    },
    /// An address carrying a secret token (sign-in, password reset, invitation): the job
    /// holds only a seed, and the token is derived from it with the secret key when the mail
    /// is sent ([`crate::link_token`]), so neither the queue nor the token tables hold a
    /// usable link.
    Secret {
        /// The path before the token (`/sign-in/`).
        path: String,
        /// The seed.
        seed: String,
    },
}

/// Who may stop a mail, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsubscribable {
    /// The recipient.
    pub user_id: Id,
    /// The category.
    pub category: String,
}

/// Enqueues a mail — inside the caller's transaction when given one, so the mail exists if
/// and only if the change that causes it commits. Enqueueing the same key again adds nothing.
pub async fn enqueue_email<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    mail: &EmailJob,
) -> Result<Option<Id>, StoreError> {
    let job = NewJob {
        kind: SEND_EMAIL.to_owned(),
        payload: payload::encode(EMAIL_VERSION, mail).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        run_at: Timestamp::now(),
        max_attempts: MAIL_ATTEMPTS,
        idempotency_key: Some(format!("email:{}", mail.key)),
    };
    jobs::enqueue(executor, &job).await
}

/// The payload of a `post-fan-out` job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FanOutJob {
    /// The creator.
    pub creator_id: Id,
    /// The post.
    pub post_id: Id,
    /// Its publication time when the job was enqueued: a post rescheduled since then has
    /// another job, and this one does nothing.
    pub published_at: Timestamp,
}

/// Enqueues the new-post mails of a post published at `published_at` (now or later: the job
/// runs then). Call it whenever a post is saved published; repeats add nothing.
pub async fn enqueue_post_fan_out<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    post_id: Id,
    published_at: Timestamp,
) -> Result<Option<Id>, StoreError> {
    fan_out_job(executor, creator_id, post_id, published_at, "").await
}

/// Enqueues the announcement of a published post whose media just became ready: the first
/// announcement found the post not yet showable and sent nothing. The mails keep their keys,
/// so nobody gets one twice.
pub async fn enqueue_post_fan_out_after_media<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    post_id: Id,
    published_at: Timestamp,
) -> Result<Option<Id>, StoreError> {
    fan_out_job(executor, creator_id, post_id, published_at, ":media-ready").await
}

async fn fan_out_job<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    post_id: Id,
    published_at: Timestamp,
    key_suffix: &str,
) -> Result<Option<Id>, StoreError> {
    let payload = FanOutJob { creator_id, post_id, published_at };
    let job = NewJob {
        kind: POST_FAN_OUT.to_owned(),
        payload: payload::encode(FAN_OUT_VERSION, &payload).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        run_at: published_at,
        max_attempts: MAIL_ATTEMPTS,
        idempotency_key: Some(format!("post-fan-out:{post_id}:{}{key_suffix}", published_at.as_micros())),
    };
    jobs::enqueue(executor, &job).await
}

fn base_url(context: &JobContext) -> String {
    context.settings.public_url.as_str().trim_end_matches('/').to_owned()
}

/// Sends one mail, once per key.
pub struct SendEmail {
    mailer: Mailer,
    secret_key: SecretString,
}

impl SendEmail {
    /// The handler, sending through `mailer` and signing unsubscribe links with `secret_key`.
    pub fn new(mailer: Mailer, secret_key: SecretString) -> Self {
        Self { mailer, secret_key }
    }

    async fn send(&self, context: &JobContext, job: EmailJob) -> Result<(), JobError> {
        let db = &context.db;
        if let Some(stop) = &job.unsubscribe
            && !patron_store::mail::wants(
                db.pool(),
                stop.user_id,
                &stop.category,
                unsubscribe::default_for(&stop.category).unwrap_or(true),
            )
            .await?
        {
            tracing::info!(key = %job.key, "not sent: the recipient unsubscribed");
            context.metrics.mail("unsubscribed");
            return Ok(());
        }
        let effect = format!("email:{}", job.key);
        let owner = Id::new().to_string();
        // the claim outlasts any send (which is cut off at twice PATRON_SMTP_TIMEOUT), so a
        // second run of the job while the first is still sending finds it busy
        let lease = context.settings.smtp_timeout * 2 + Duration::from_secs(10);
        match jobs::claim_effect(db, &effect, SEND_EMAIL, &owner, lease).await? {
            EffectClaim::Done => {
                tracing::info!(key = %job.key, "already sent: nothing to do");
                context.metrics.mail("already_sent");
                return Ok(());
            }
            EffectClaim::Busy => {
                return Err(JobError::Later(Duration::from_secs(5), "another worker is sending this mail".to_owned()));
            }
            EffectClaim::Go => {}
        }
        let base = base_url(context);
        let links = job.unsubscribe.as_ref().map(|stop| {
            let token = unsubscribe::token(self.secret_key.expose(), stop.user_id, &stop.category);
            (format!("{base}/unsubscribe/{token}"), format!("{base}/api/v1/unsubscribe/{token}"))
        });
        let link = match &job.link {
            Link::Plain { url } => url.clone(),
            Link::Secret { path, seed } => {
                format!("{base}{path}{}", crate::link_token(self.secret_key.expose(), seed).expose())
            }
        };
        let rendered = render(&job.template, &job.locale, &link, links.as_ref().map(|(page, _)| page.as_str()));
        let mail = Mail { to: job.to.clone(), rendered, one_click_unsubscribe: links.map(|(_, one_click)| one_click) };
        match self.mailer.send(&mail, &message_id(&job.key)).await {
            Ok(()) => {
                context.metrics.mail("sent");
                jobs::finish_effect(db, &effect, &owner).await?;
                tracing::info!(key = %job.key, "mail sent");
                Ok(())
            }
            Err(error) => {
                context.metrics.mail("failed");
                if let Err(abandon) = jobs::abandon_effect(db, &effect, &owner).await {
                    // the claim's lease runs out and a retry takes it over
                    tracing::warn!(error = %abandon, "could not release the claim on a mail that was not sent");
                }
                match error {
                    MailError::Invalid(message) => Err(JobError::Permanent(message)),
                    MailError::Unavailable(message) => Err(JobError::Retry(message)),
                    MailError::Store(error) => Err(error.into()),
                }
            }
        }
    }
}

/// A Message-ID local part from the idempotency key: stable, so a duplicate is recognisable.
fn message_id(key: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(key.as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

impl Handler for SendEmail {
    fn kind(&self) -> &'static str {
        SEND_EMAIL
    }

    fn run<'a>(&'a self, context: &'a JobContext, payload: &'a str) -> JobFuture<'a> {
        Box::pin(async move { self.send(context, payload::decode(EMAIL_VERSION, payload)?).await })
    }
}

/// Announces a post when it is published: a live event to its creator's followers, and a
/// mail to each follower entitled to read it.
pub struct PostFanOut;

impl PostFanOut {
    async fn fan_out(context: &JobContext, job: FanOutJob) -> Result<(), JobError> {
        let db = &context.db;
        let now = Timestamp::now();
        let Some(post) = posts::find(db.pool(), job.creator_id, job.post_id).await? else {
            tracing::info!(post_id = %job.post_id, "no mails: the post was deleted");
            return Ok(());
        };
        if post.published_at != Some(job.published_at) {
            tracing::info!(post_id = %job.post_id, "no mails from this job: the post was unpublished or rescheduled");
            return Ok(());
        }
        if job.published_at > now {
            return Err(JobError::Retry("the post is not published yet".to_owned()));
        }
        if !post.media_processed {
            // fans cannot see it yet; the media job announces it once its files are ready
            tracing::info!(post_id = %post.id, "not announced yet: its media are still being processed");
            return Ok(());
        }
        let Some(creator) = creators::find_by_id(db.pool(), job.creator_id).await? else {
            return Ok(());
        };
        if creator.is_hidden {
            tracing::info!(post_id = %post.id, "not announced: the page is hidden");
            return Ok(());
        }
        // open pages and apps of followers hear about it now (the stream checks nothing more:
        // the title is what a teaser shows anyway; the page they load applies entitlement)
        let data = serde_json::json!({
            "creator_id": creator.id.to_string(),
            "creator_slug": creator.slug,
            "post_id": post.id.to_string(),
            "title": post.title,
        });
        context.bus.publish("post.published", patron_events::Audience::Followers(creator.id), data).await;
        let audience = post.audience();
        let post_url = format!("{}/{}/posts/{}", base_url(context), creator.slug, post.id);
        let excerpt = patron_domain::markdown::to_plain_text(&post.body, 280);
        let mut after = None;
        let mut enqueued = 0usize;
        loop {
            let batch =
                patron_store::mail::followers(db.pool(), job.creator_id, NEW_POSTS, after, FAN_OUT_BATCH).await?;
            let Some(last) = batch.last() else { break };
            after = Some(last.user_id);
            let mut transaction = db.begin_write().await?;
            for follower in &batch {
                let viewer = match follower.team_role {
                    Some(role) => Viewer::Team(role),
                    None => Viewer::Fan { membership: follower.membership.as_ref().map(|m| m.facts()) },
                };
                // only those who may read it: a mail about a post one cannot open is an advert
                if access(viewer, &audience, now) != Access::Full {
                    continue;
                }
                let mail = EmailJob {
                    key: format!("post:{}:{}", post.id, follower.user_id),
                    to: follower.email.clone(),
                    locale: follower.locale.clone(),
                    template: Template::NewPost {
                        creator_name: creator.name.clone(),
                        post_title: post.title.clone(),
                        excerpt: excerpt.clone(),
                    },
                    link: Link::Plain { url: post_url.clone() },
                    unsubscribe: Some(Unsubscribable { user_id: follower.user_id, category: NEW_POSTS.to_owned() }),
                };
                if enqueue_email(&mut *transaction, &mail).await?.is_some() {
                    enqueued += 1;
                }
            }
            transaction.commit().await?;
            if i64::try_from(batch.len()).unwrap_or(i64::MAX) < FAN_OUT_BATCH {
                break;
            }
        }
        tracing::info!(post_id = %post.id, mails = enqueued, "new-post mails enqueued");
        Ok(())
    }
}

impl Handler for PostFanOut {
    fn kind(&self) -> &'static str {
        POST_FAN_OUT
    }

    fn run<'a>(&'a self, context: &'a JobContext, payload: &'a str) -> JobFuture<'a> {
        Box::pin(async move { Self::fan_out(context, payload::decode(FAN_OUT_VERSION, payload)?).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_per_key() {
        assert_eq!(message_id("post:1:2"), message_id("post:1:2"));
        assert_ne!(message_id("post:1:2"), message_id("post:1:3"));
        assert_eq!(message_id("x").len(), 32);
    }
}
