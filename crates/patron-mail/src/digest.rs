//! The weekly digest: a scheduled job (`digest`, `PATRON_SCHEDULE_DIGEST`) that mails each
//! user who turned the digest on the past week's posts of the creators they follow that they
//! may read. One mail per user per day at most, however often the job runs (its key names
//! the day), and nothing to those with nothing new.

use crate::jobs::{EmailJob, Link, Unsubscribable, enqueue_email};
use crate::unsubscribe::DIGEST;
use crate::{DigestItem, Template};
use patron_domain::Timestamp;
use patron_domain::entitlement::{Access, Viewer, access};
use patron_jobs::{JobContext, ScheduledTask, TaskFuture};
use std::time::Duration;

/// How far back a digest looks.
const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);
/// Users handled per batch.
const BATCH: i64 = 200;
/// Posts in one digest at most.
const MAX_ITEMS: usize = 20;

/// The `digest` scheduled job.
pub struct WeeklyDigest;

impl ScheduledTask for WeeklyDigest {
    fn name(&self) -> &'static str {
        "digest"
    }

    fn run<'a>(&'a self, context: &'a JobContext) -> TaskFuture<'a> {
        Box::pin(async move {
            let db = &context.db;
            let now = Timestamp::now();
            let since = now.minus(WEEK);
            let day: String = now.to_rfc3339().chars().take(10).collect();
            let base = context.settings.public_url.as_str().trim_end_matches('/').to_owned();
            let (mut after, mut mailed, mut users) = (None, 0usize, 0usize);
            loop {
                let batch = patron_store::mail::subscribers(db.pool(), DIGEST, after, BATCH).await?;
                let Some(last) = batch.last() else { break };
                after = Some(last.user_id);
                for user in &batch {
                    users += 1;
                    let feed = patron_store::posts::feed(
                        db.pool(),
                        db.backend(),
                        user.user_id,
                        now,
                        None,
                        MAX_ITEMS as i64 * 2,
                    )
                    .await?;
                    let recent: Vec<_> =
                        feed.into_iter().filter(|item| item.post.published_at.is_some_and(|at| at > since)).collect();
                    if recent.is_empty() {
                        continue;
                    }
                    let mut creator_ids: Vec<_> = recent.iter().map(|item| item.post.creator_id).collect();
                    creator_ids.sort();
                    creator_ids.dedup();
                    let relations = patron_store::creators::relations(db.pool(), user.user_id, &creator_ids).await?;
                    let items: Vec<DigestItem> = recent
                        .iter()
                        .filter(|item| {
                            let relation = relations.get(&item.post.creator_id);
                            let viewer = match relation.and_then(|r| r.team_role) {
                                Some(role) => Viewer::Team(role),
                                None if user.is_platform_admin => Viewer::PlatformAdmin,
                                None => Viewer::Fan {
                                    membership: relation.and_then(|r| r.membership.as_ref()).map(|m| m.facts()),
                                },
                            };
                            access(viewer, &item.post.audience(), now) == Access::Full
                        })
                        .take(MAX_ITEMS)
                        .map(|item| DigestItem {
                            creator_name: item.creator_name.clone(),
                            title: item.post.title.clone(),
                            url: format!("{base}/{}/posts/{}", item.creator_slug, item.post.id),
                        })
                        .collect();
                    if items.is_empty() {
                        continue;
                    }
                    let mail = EmailJob {
                        key: format!("digest:{}:{day}", user.user_id),
                        to: user.email.clone(),
                        locale: user.locale.clone(),
                        template: Template::Digest { items },
                        link: Link::Plain { url: format!("{base}/feed") },
                        unsubscribe: Some(Unsubscribable { user_id: user.user_id, category: DIGEST.to_owned() }),
                    };
                    if enqueue_email(db.pool(), &mail).await?.is_some() {
                        mailed += 1;
                    }
                }
                if i64::try_from(batch.len()).unwrap_or(i64::MAX) < BATCH {
                    break;
                }
            }
            Ok(format!("{mailed} digests enqueued for {users} subscribers"))
        })
    }
}
