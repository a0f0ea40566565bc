//! Posts: one table for every kind (lesson 7), listed newest first with keyset pagination on
//! `(published_at, id)` — never OFFSET — so a page costs the same on the millionth post as on
//! the first (lesson 6).

use crate::creators::Cursor;
use crate::row::{flag, id, opt_id, opt_time, time};
use crate::sql;
use crate::{Backend, Database, StoreError};
use patron_domain::post::{PostAudience, PostKind, ValidPost, Visibility};
use patron_domain::{Id, Timestamp};
use sqlx::Row;
use sqlx::any::AnyRow;

pub use patron_domain::post::PollResults;

/// A post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// Identifier.
    pub id: Id,
    /// The creator.
    pub creator_id: Id,
    /// Who wrote it.
    pub author_id: Option<Id>,
    /// What it is.
    pub kind: PostKind,
    /// Title.
    pub title: String,
    /// Body (Markdown).
    pub body: String,
    /// Body rendered to safe HTML.
    pub body_html: String,
    /// Who it is for.
    pub visibility: Visibility,
    /// For tier posts: the lowest tier that unlocks it.
    pub min_tier_id: Option<Id>,
    /// That tier's rank.
    pub min_tier_rank: Option<i64>,
    /// That tier's name.
    pub min_tier_name: Option<String>,
    /// When it becomes public whatever its visibility.
    pub public_from: Option<Timestamp>,
    /// Publication time (`None`: draft; future: scheduled).
    pub published_at: Option<Timestamp>,
    /// Pinned to the top of the creator's page.
    pub pinned: bool,
    /// Whether its media are processed.
    pub media_processed: bool,
    /// How many files are attached.
    pub media_count: i64,
    /// Live posts: the stream's address.
    pub live_url: Option<String>,
    /// Live posts: start.
    pub live_starts_at: Option<Timestamp>,
    /// Live posts: end, when known.
    pub live_ends_at: Option<Timestamp>,
    /// Polls: several choices allowed.
    pub poll_multiple: bool,
    /// Polls: closing time.
    pub poll_closes_at: Option<Timestamp>,
    /// Polls: who sees results.
    pub poll_results: Option<PollResults>,
    /// Comments (not deleted).
    pub comments_count: i64,
    /// Created.
    pub created_at: Timestamp,
    /// Last changed.
    pub updated_at: Timestamp,
}

impl Post {
    /// The facts the entitlement function needs.
    pub fn audience(&self) -> PostAudience {
        PostAudience {
            published_at: self.published_at,
            visibility: self.visibility,
            min_tier_rank: self.min_tier_rank,
            public_from: self.public_from,
            media_processed: self.media_processed,
        }
    }

    /// The keyset cursor just after this post in a newest-first list.
    pub fn cursor(&self) -> Option<Cursor> {
        self.published_at.map(|at| Cursor { key: at.as_micros(), id: self.id })
    }
}

const POST_COLUMNS: &str = "posts.id, posts.creator_id, posts.author_id, posts.kind, posts.title, posts.body, \
     posts.body_html, posts.visibility, posts.min_tier_id, tiers.rank AS min_tier_rank, tiers.name AS min_tier_name, \
     posts.public_from, posts.published_at, posts.pinned, posts.media_processed, posts.media_count, posts.live_url, posts.live_starts_at, \
     posts.live_ends_at, posts.poll_multiple, posts.poll_closes_at, posts.poll_results, posts.comments_count, \
     posts.created_at, posts.updated_at";

fn post_from_row(row: &AnyRow) -> Result<Post, StoreError> {
    let kind: String = row.try_get("kind")?;
    let visibility: String = row.try_get("visibility")?;
    let poll_results: Option<String> = row.try_get("poll_results")?;
    Ok(Post {
        id: id(row, "id")?,
        creator_id: id(row, "creator_id")?,
        author_id: opt_id(row, "author_id")?,
        kind: PostKind::parse(&kind).map_err(|_| StoreError::Corrupt(format!("post kind {kind:?}")))?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        body_html: row.try_get("body_html")?,
        visibility: Visibility::parse(&visibility)
            .map_err(|_| StoreError::Corrupt(format!("visibility {visibility:?}")))?,
        min_tier_id: opt_id(row, "min_tier_id")?,
        min_tier_rank: row.try_get("min_tier_rank")?,
        min_tier_name: row.try_get("min_tier_name")?,
        public_from: opt_time(row, "public_from")?,
        published_at: opt_time(row, "published_at")?,
        pinned: flag(row, "pinned")?,
        media_processed: flag(row, "media_processed")?,
        media_count: row.try_get("media_count")?,
        live_url: row.try_get("live_url")?,
        live_starts_at: opt_time(row, "live_starts_at")?,
        live_ends_at: opt_time(row, "live_ends_at")?,
        poll_multiple: flag(row, "poll_multiple")?,
        poll_closes_at: opt_time(row, "poll_closes_at")?,
        poll_results: poll_results.as_deref().and_then(PollResults::parse),
        comments_count: row.try_get("comments_count")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// Stores a new post; returns its id.
pub async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    author_id: Id,
    fields: &ValidPost,
) -> Result<Id, StoreError> {
    let post_id = Id::new();
    let now = Timestamp::now();
    sql::query(
        "INSERT INTO posts (id, creator_id, author_id, kind, title, body, body_html, visibility, min_tier_id, \
                            public_from, published_at, live_url, live_starts_at, live_ends_at, poll_multiple, \
                            poll_closes_at, poll_results, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)",
    )
    .bind(post_id.to_string())
    .bind(creator_id.to_string())
    .bind(author_id.to_string())
    .bind(fields.kind.as_str())
    .bind(&fields.title)
    .bind(&fields.body)
    .bind(&fields.body_html)
    .bind(fields.visibility.as_str())
    .bind(fields.min_tier_id.map(|t| t.to_string()))
    .bind(fields.public_from.map(Timestamp::as_micros))
    .bind(fields.published_at.map(Timestamp::as_micros))
    .bind(fields.live_url.clone())
    .bind(fields.live_starts_at.map(Timestamp::as_micros))
    .bind(fields.live_ends_at.map(Timestamp::as_micros))
    .bind(fields.poll_multiple)
    .bind(fields.poll_closes_at.map(Timestamp::as_micros))
    .bind(fields.poll_results.map(PollResults::as_str))
    .bind(now.as_micros())
    .execute(executor)
    .await?;
    Ok(post_id)
}

/// Changes a post's fields (the kind stays).
pub async fn update<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    post_id: Id,
    fields: &ValidPost,
) -> Result<bool, StoreError> {
    let result = sql::query(
        "UPDATE posts SET title = $3, body = $4, body_html = $5, visibility = $6, min_tier_id = $7, public_from = $8, \
                          published_at = $9, live_url = $10, live_starts_at = $11, live_ends_at = $12, \
                          poll_multiple = $13, poll_closes_at = $14, poll_results = $15, updated_at = $16 \
         WHERE creator_id = $1 AND id = $2 AND deleted_at IS NULL",
    )
    .bind(creator_id.to_string())
    .bind(post_id.to_string())
    .bind(&fields.title)
    .bind(&fields.body)
    .bind(&fields.body_html)
    .bind(fields.visibility.as_str())
    .bind(fields.min_tier_id.map(|t| t.to_string()))
    .bind(fields.public_from.map(Timestamp::as_micros))
    .bind(fields.published_at.map(Timestamp::as_micros))
    .bind(fields.live_url.clone())
    .bind(fields.live_starts_at.map(Timestamp::as_micros))
    .bind(fields.live_ends_at.map(Timestamp::as_micros))
    .bind(fields.poll_multiple)
    .bind(fields.poll_closes_at.map(Timestamp::as_micros))
    .bind(fields.poll_results.map(PollResults::as_str))
    .bind(Timestamp::now().as_micros())
    .execute(executor)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// Marks whether a post is mailed to its followers when it appears (it is by default; a
/// post brought in quietly — the demo's, an import's — is not, even once its files are ready).
pub async fn set_announce(transaction: &mut crate::Transaction, post_id: Id, announce: bool) -> Result<(), StoreError> {
    sql::query("UPDATE posts SET announce = $2 WHERE id = $1")
        .bind(post_id.to_string())
        .bind(announce)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

/// Whether a post is announced to its followers when it appears.
pub async fn announces<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    post_id: Id,
) -> Result<bool, StoreError> {
    let row = sql::query("SELECT announce FROM posts WHERE id = $1")
        .bind(post_id.to_string())
        .fetch_optional(executor)
        .await?;
    match row {
        Some(row) => crate::row::flag(&row, "announce"),
        None => Ok(false),
    }
}

/// Pins or unpins a post.
pub async fn set_pinned<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    post_id: Id,
    pinned: bool,
) -> Result<bool, StoreError> {
    let result = sql::query("UPDATE posts SET pinned = $3 WHERE creator_id = $1 AND id = $2 AND deleted_at IS NULL")
        .bind(creator_id.to_string())
        .bind(post_id.to_string())
        .bind(pinned)
        .execute(executor)
        .await?;
    Ok(result.rows_affected() > 0)
}

/// Deletes a post (kept as a row, so comments and votes keep their references).
pub async fn soft_delete<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    post_id: Id,
) -> Result<bool, StoreError> {
    let result = sql::query(
        "UPDATE posts SET deleted_at = $3, pinned = $4 WHERE creator_id = $1 AND id = $2 AND deleted_at IS NULL",
    )
    .bind(creator_id.to_string())
    .bind(post_id.to_string())
    .bind(Timestamp::now().as_micros())
    .bind(false)
    .execute(executor)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// One post of a creator, whatever its state (the caller decides who may see it).
pub async fn find<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    post_id: Id,
) -> Result<Option<Post>, StoreError> {
    let query = format!(
        "SELECT {POST_COLUMNS} FROM posts LEFT JOIN tiers ON tiers.id = posts.min_tier_id \
         WHERE posts.creator_id = $1 AND posts.id = $2 AND posts.deleted_at IS NULL"
    );
    let row = sql::query(sqlx::AssertSqlSafe(query))
        .bind(creator_id.to_string())
        .bind(post_id.to_string())
        .fetch_optional(executor)
        .await?;
    row.as_ref().map(post_from_row).transpose()
}

/// A creator's published posts, newest first, after `after`; on the first page pinned posts
/// come first (at most `pinned_limit`) and are not repeated below. One statement.
pub async fn list_published<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    now: Timestamp,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Vec<Post>, StoreError> {
    let base = format!(
        "SELECT {POST_COLUMNS} FROM posts LEFT JOIN tiers ON tiers.id = posts.min_tier_id \
         WHERE posts.creator_id = $1 AND posts.deleted_at IS NULL AND posts.published_at IS NOT NULL \
           AND posts.published_at <= $2"
    );
    // Separate statements for the first and later pages, so each has a plan that walks the
    // (creator_id, published_at DESC, id DESC) index and stops after `limit` rows.
    let query = match after {
        None => format!(
            "SELECT * FROM ( \
                 SELECT 0 AS section, pinned_posts.* FROM ({base} AND posts.pinned \
                     ORDER BY posts.published_at DESC, posts.id DESC LIMIT 3) pinned_posts \
                 UNION ALL \
                 SELECT 1 AS section, recent_posts.* FROM ({base} AND NOT posts.pinned \
                     ORDER BY posts.published_at DESC, posts.id DESC LIMIT $3) recent_posts \
             ) page ORDER BY page.section, page.published_at DESC, page.id DESC"
        ),
        Some(_) => format!(
            "{base} AND (posts.published_at < $4 OR (posts.published_at = $4 AND posts.id < $5)) \
             ORDER BY posts.published_at DESC, posts.id DESC LIMIT $3"
        ),
    };
    let statement =
        sql::query(sqlx::AssertSqlSafe(query)).bind(creator_id.to_string()).bind(now.as_micros()).bind(limit);
    // the pinned/unpinned split is literal SQL, so the planner can use the partial index
    let statement = match after {
        None => statement,
        Some(cursor) => statement.bind(cursor.key).bind(cursor.id.to_string()),
    };
    let rows = statement.fetch_all(executor).await?;
    rows.iter().map(post_from_row).collect()
}

/// Every post of a creator for its team — drafts, scheduled and published — most recently
/// changed first.
pub async fn list_for_team<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    creator_id: Id,
    limit: i64,
) -> Result<Vec<Post>, StoreError> {
    let query = format!(
        "SELECT {POST_COLUMNS} FROM posts LEFT JOIN tiers ON tiers.id = posts.min_tier_id \
         WHERE posts.creator_id = $1 AND posts.deleted_at IS NULL ORDER BY posts.updated_at DESC, posts.id DESC LIMIT $2"
    );
    let rows =
        sql::query(sqlx::AssertSqlSafe(query)).bind(creator_id.to_string()).bind(limit).fetch_all(executor).await?;
    rows.iter().map(post_from_row).collect()
}

/// A post in a fan's feed, with its creator's address and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPost {
    /// The post.
    pub post: Post,
    /// The creator's slug.
    pub creator_slug: String,
    /// The creator's name.
    pub creator_name: String,
}

/// Published posts of the creators `user_id` follows, newest first, keyset-paginated.
///
/// PostgreSQL reads at most `limit` index entries per followed creator (a LATERAL join on the
/// per-creator index), so the cost does not grow with the creators' histories. SQLite has no
/// LATERAL; there the same rows come from one ordered scan, which is fine at one-server scale.
pub async fn feed<'e>(
    executor: impl sqlx::Executor<'e, Database = Database>,
    backend: Backend,
    user_id: Id,
    now: Timestamp,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Vec<FeedPost>, StoreError> {
    let keyset = if after.is_some() {
        "AND (posts.published_at < $4 OR (posts.published_at = $4 AND posts.id < $5))"
    } else {
        "AND $4 IS NULL AND $5 IS NULL"
    };
    let query = match backend {
        Backend::Postgres => format!(
            "SELECT feed.*, creators.slug AS creator_slug, creators.name AS creator_name FROM follows \
             JOIN creators ON creators.id = follows.creator_id AND creators.deleted_at IS NULL \
             CROSS JOIN LATERAL ( \
                 SELECT {POST_COLUMNS} FROM posts LEFT JOIN tiers ON tiers.id = posts.min_tier_id \
                 WHERE posts.creator_id = follows.creator_id AND posts.deleted_at IS NULL \
                   AND posts.published_at IS NOT NULL AND posts.published_at <= $2 {keyset} \
                 ORDER BY posts.published_at DESC, posts.id DESC LIMIT $3) feed \
             WHERE follows.user_id = $1 \
             ORDER BY feed.published_at DESC, feed.id DESC LIMIT $3"
        ),
        Backend::Sqlite => format!(
            "SELECT {POST_COLUMNS}, creators.slug AS creator_slug, creators.name AS creator_name FROM posts \
             JOIN follows ON follows.creator_id = posts.creator_id AND follows.user_id = $1 \
             JOIN creators ON creators.id = posts.creator_id AND creators.deleted_at IS NULL \
             LEFT JOIN tiers ON tiers.id = posts.min_tier_id \
             WHERE posts.deleted_at IS NULL AND posts.published_at IS NOT NULL AND posts.published_at <= $2 {keyset} \
             ORDER BY posts.published_at DESC, posts.id DESC LIMIT $3"
        ),
    };
    let rows = sql::query(sqlx::AssertSqlSafe(query))
        .bind(user_id.to_string())
        .bind(now.as_micros())
        .bind(limit)
        .bind(after.map(|c| c.key))
        .bind(after.map(|c| c.id.to_string()))
        .fetch_all(executor)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(FeedPost {
                post: post_from_row(row)?,
                creator_slug: row.try_get("creator_slug")?,
                creator_name: row.try_get("creator_name")?,
            })
        })
        .collect()
}
