//! Prints `EXPLAIN (ANALYZE, BUFFERS)` plans of the statements behind patron's hot paths —
//! the entitlement check of a page view, the creator page's posts (first and a later page)
//! and a fan's feed — exactly as the store sends them, captured with PostgreSQL's
//! `auto_explain`. Used by `scripts/perf/run` on a database seeded by `scripts/perf/seed.sql`.
//!
//! Usage: `DATABASE_URL=postgres://… cargo run --release --example explain_hot_paths`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use patron_domain::Timestamp;
use patron_settings::DatabaseUrl;
use patron_store::{Backend, Db};
use sqlx::Row;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// Collects the plans PostgreSQL sends back as LOG notices.
#[derive(Clone, Default)]
struct Plans(Arc<Mutex<Vec<String>>>);

struct Message<'a>(&'a mut String);

impl Visit for Message<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.push_str(&format!("{value:?}"));
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Plans {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::postgres::notice" {
            let mut text = String::new();
            event.record(&mut Message(&mut text));
            if text.contains("plan:") {
                self.0.lock().unwrap().push(text);
            }
        }
    }
}

/// A statement whose only job is to carry the previous statement's plan back: PostgreSQL
/// sends the `auto_explain` notice of a statement with the next exchange.
const FLUSH: &str = "SELECT 1 AS flush_plans";

impl Plans {
    /// The plans of the statements since the last call (the flush statement's own excluded).
    async fn take(&self, db: &Db) -> Vec<String> {
        sqlx::query(FLUSH).execute(db.pool()).await.unwrap();
        let plans = std::mem::take(&mut *self.0.lock().unwrap());
        plans.into_iter().filter(|p| !p.contains(FLUSH)).collect()
    }
}

fn show(title: &str, plans: Vec<String>) {
    println!("\n## {title}\n");
    for plan in plans {
        println!("```\n{}\n```", plan.trim());
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let plans = Plans::default();
    tracing_subscriber::registry()
        .with(tracing_subscriber::filter::Targets::new().with_target("sqlx::postgres::notice", tracing::Level::TRACE))
        .with(plans.clone())
        .init();

    let url = std::env::var("DATABASE_URL").expect("set DATABASE_URL to the seeded PostgreSQL database");
    let settings = patron_settings::Settings::from_env_map(&[
        ("PATRON_DATABASE_URL", &url),
        ("PATRON_SECRET_KEY", &"x".repeat(40)),
    ])
    .unwrap();
    let DatabaseUrl::Postgres(_) = settings.database_url else { panic!("this needs PostgreSQL") };
    // one connection, so the session settings below apply to every statement
    let db = Db::connect(&settings.database_url, 1).await.unwrap();
    for setting in [
        "LOAD 'auto_explain'",
        "SET auto_explain.log_min_duration = 0",
        "SET auto_explain.log_analyze = on",
        "SET auto_explain.log_buffers = on",
        "SET auto_explain.log_timing = on",
        "SET client_min_messages = log",
    ] {
        sqlx::query(setting).execute(db.pool()).await.unwrap();
    }
    plans.take(&db).await;

    // a busy creator and a fan with several memberships
    let creator_row = sqlx::query("SELECT slug FROM creators ORDER BY supporters_count DESC, id LIMIT 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let slug: String = creator_row.try_get("slug").unwrap();
    let fan_row = sqlx::query("SELECT user_id FROM memberships WHERE status = 'active' GROUP BY user_id ORDER BY COUNT(*) DESC, user_id LIMIT 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let fan: patron_domain::Id = fan_row.try_get::<String, _>("user_id").unwrap().parse().unwrap();
    let counts = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM posts) AS posts, (SELECT COUNT(*) FROM creators) AS creators, \
                (SELECT COUNT(*) FROM memberships) AS memberships, (SELECT COUNT(*) FROM follows WHERE user_id = $1) AS follows",
    )
    .bind(fan.to_string())
    .fetch_one(db.pool())
    .await
    .unwrap();
    plans.take(&db).await;
    println!(
        "# Plans of the hot paths\n\nDatabase: {} posts, {} creators, {} memberships; the fan follows {} creators; creator `{slug}`.",
        counts.try_get::<i64, _>("posts").unwrap(),
        counts.try_get::<i64, _>("creators").unwrap(),
        counts.try_get::<i64, _>("memberships").unwrap(),
        counts.try_get::<i64, _>("follows").unwrap(),
    );

    let now = Timestamp::now();
    let (creator, _) = patron_store::creators::find_with_viewer(db.pool(), &slug, Some(fan)).await.unwrap().unwrap();
    show("Page view: the creator and the viewer's entitlement (team role, follow, membership)", plans.take(&db).await);

    let first = patron_store::posts::list_published(db.pool(), creator.id, now, None, 20).await.unwrap();
    show("Creator page: first page of posts (pinned first)", plans.take(&db).await);

    let cursor = first.iter().rfind(|p| !p.pinned).and_then(|p| p.cursor());
    patron_store::posts::list_published(db.pool(), creator.id, now, cursor, 20).await.unwrap();
    show("Creator page: a later page (keyset cursor)", plans.take(&db).await);

    let feed = patron_store::posts::feed(db.pool(), Backend::Postgres, fan, now, None, 20).await.unwrap();
    show("Fan feed: first page", plans.take(&db).await);

    let creator_ids: Vec<_> = feed.iter().map(|p| p.post.creator_id).collect();
    patron_store::creators::relations(db.pool(), fan, &creator_ids).await.unwrap();
    show("Fan feed: entitlement of the feed's creators", plans.take(&db).await);

    let cursor = feed.last().and_then(|p| p.post.cursor());
    patron_store::posts::feed(db.pool(), Backend::Postgres, fan, now, cursor, 20).await.unwrap();
    show("Fan feed: a later page (keyset cursor)", plans.take(&db).await);
}
