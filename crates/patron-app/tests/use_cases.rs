//! The use cases called directly, as the CLI and any adapter call them: no HTTP, a real
//! database per test (SQLite and PostgreSQL), file storage in the test's folder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use patron_app::accounts::{self, Registration};
use patron_app::creators::{self, PageAccess, PageInput};
use patron_app::posts::{self, PostDraft, PostInput, Publish};
use patron_app::{App, AppError, User};
use patron_domain::entitlement::Access;
use patron_domain::tier::TierDraft;
use patron_domain::{Id, Timestamp};
use patron_settings::Settings;
use patron_testkit::{TestBackend, TestDatabase};
use std::sync::Arc;
use std::time::Duration;

macro_rules! both_backends {
    ($(async fn $name:ident($backend:ident: TestBackend) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($backend: TestBackend) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { run(TestBackend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { run(TestBackend::Postgres).await }
        }
    )*};
}

const PASSWORD: &str = "correct horse battery";

/// The use cases' context on a fresh, migrated database.
async fn app(backend: TestBackend) -> (App, TestDatabase) {
    patron_storage::install_tls_provider();
    let database = TestDatabase::create(backend).await;
    let data_dir = database.path().to_string_lossy().into_owned();
    let env = vec![
        ("PATRON_DATA_DIR".to_owned(), data_dir.clone()),
        ("PATRON_DATABASE_URL".to_owned(), database.url.clone()),
        ("PATRON_STORAGE_URL".to_owned(), format!("file://{data_dir}/storage")),
        ("PATRON_SECRET_KEY".to_owned(), "use-case-test-key-0123456789-abcdefghijkl".to_owned()),
    ];
    let settings = Settings::load(None, env).unwrap();
    let db = patron_store::Db::connect(&settings.database_url, 4).await.unwrap();
    patron_store::migrate::run(&db).await.unwrap();
    let storage = patron_storage::Storage::from_settings(&settings).unwrap();
    let cache = patron_cache::Cache::open(&settings.cache_url).unwrap();
    let bus = patron_events::Bus::start(&settings, &db, &cache);
    let secret = settings.secret_key.clone().unwrap();
    let payments = patron_payments::Payments::from_settings(&settings, &secret).unwrap();
    (App::new(Arc::new(settings), db, storage, cache, bus, payments, secret), database)
}

async fn person(app: &App, email: &str) -> User {
    accounts::provision(app, Registration { email, password: PASSWORD, display_name: None, locale: "en" })
        .await
        .unwrap()
}

async fn page_as(app: &App, slug: &str, user: Option<&User>) -> PageAccess {
    creators::load(app, slug, user).await.unwrap()
}

fn tier(name: &str, monthly: i64) -> TierDraft {
    TierDraft { name: name.to_owned(), monthly_price: monthly, currency: "CZK".to_owned(), ..TierDraft::default() }
}

fn post(title: &str, visibility: &str, min_tier: Option<Id>) -> PostInput {
    PostInput {
        draft: PostDraft {
            kind: "text".to_owned(),
            title: title.to_owned(),
            body: "For **members**.".to_owned(),
            visibility: visibility.to_owned(),
            min_tier_id: min_tier.map(|id| id.to_string()),
            public_from: None,
            publish: Publish::Now,
            live_url: None,
            live_starts_at: None,
            live_ends_at: None,
            poll_options: Vec::new(),
            poll_multiple: false,
            poll_closes_at: None,
            poll_results: None,
        },
        media: None,
        announce: true,
    }
}

/// A page `slug` owned by a new account, with one tier: the owner, their view, the tier.
async fn page_with_tier(app: &App, slug: &str) -> (User, PageAccess, Id) {
    let owner = person(app, &format!("owner@{slug}.example")).await;
    let input = PageInput { slug: slug.to_owned(), name: "A page".to_owned(), bio: String::new() };
    creators::create_page(app, owner.id, &input).await.unwrap();
    let owned = page_as(app, slug, Some(&owner)).await;
    let tier_id = patron_app::tiers::create_tier(app, &owned, tier("Friends", 9_900)).await.unwrap().id;
    (owner, owned, tier_id)
}

fn code(error: &AppError) -> &'static str {
    match error {
        AppError::NotFound(p)
        | AppError::Unauthenticated(p)
        | AppError::Forbidden(p)
        | AppError::Conflict(p)
        | AppError::Malformed(p) => p.code,
        other => panic!("no code to compare in {other:?}"),
    }
}

both_backends! {
    async fn a_tier_post_is_a_teaser_until_a_membership_unlocks_it(backend: TestBackend) {
        let (app, database) = app(backend).await;
        let (_, owned, tier_id) = page_with_tier(&app, "unlock").await;
        let post_id = posts::create(&app, &owned, &post("Members only", "tier", Some(tier_id))).await.unwrap();

        let fan = person(&app, "fan@unlock.example").await;
        let as_fan = page_as(&app, "unlock", Some(&fan)).await;
        let teaser = posts::one_post(&app, &as_fan, post_id).await.unwrap();
        assert_eq!(teaser.access, Access::Teaser);
        assert!(teaser.post.body.is_empty() && teaser.post.body_html.is_empty(), "a teaser carries no body");

        let now = Timestamp::now();
        patron_app::memberships::grant(&app, &owned, fan.id, tier_id, (now, now.plus(Duration::from_secs(86_400))))
            .await
            .unwrap();
        let as_member = page_as(&app, "unlock", Some(&fan)).await;
        let full = posts::one_post(&app, &as_member, post_id).await.unwrap();
        assert_eq!(full.access, Access::Full);
        assert_eq!(full.post.body_html, "<p>For <strong>members</strong>.</p>\n");
        // the grant is in the revenue ledger the dashboard reads
        let numbers = patron_app::payments::dashboard(&app, &owned).await.unwrap();
        assert_eq!(numbers.mrr, vec![("CZK".to_owned(), 9_900)]);
        database.drop_database().await;
    }

    async fn use_cases_refuse_with_errors_that_name_no_status(backend: TestBackend) {
        let (app, database) = app(backend).await;
        let (_, owned, _) = page_with_tier(&app, "refusals").await;
        let stranger = person(&app, "stranger@refusals.example").await;

        let taken = PageInput { slug: "refusals".to_owned(), name: "Again".to_owned(), bio: String::new() };
        let error = creators::create_page(&app, stranger.id, &taken).await.unwrap_err();
        assert_eq!(code(&error), "slug_taken");
        assert!(matches!(error, AppError::Conflict(_)));

        let as_stranger = page_as(&app, "refusals", Some(&stranger)).await;
        let error = posts::create(&app, &as_stranger, &post("Not mine", "public", None)).await.unwrap_err();
        assert!(matches!(error, AppError::Forbidden(_)) && code(&error) == "not_in_team", "{error:?}");

        let mut broken = post(" ", "tier", None);
        broken.draft.kind = "essay".to_owned();
        let Err(AppError::Invalid(fields)) = posts::create(&app, &owned, &broken).await else {
            panic!("an invalid post is refused field by field");
        };
        let named: Vec<&str> = fields.iter().map(|f| f.field).collect();
        assert_eq!(named, ["kind", "title", "min_tier_id"]);

        let anonymous = page_as(&app, "refusals", None).await;
        let post_id = posts::create(&app, &owned, &post("Open", "public", None)).await.unwrap();
        let error = posts::vote(&app, &anonymous, post_id, &[]).await.unwrap_err();
        assert!(matches!(error, AppError::Unauthenticated(_)), "{error:?}");
        let error = creators::load(&app, "nobody-here", None).await.unwrap_err();
        assert_eq!(code(&error), "creator_not_found");
        database.drop_database().await;
    }

    async fn whether_one_may_comment_is_decided_in_one_statement(backend: TestBackend) {
        let (app, database) = app(backend).await;
        let (_, owned, tier_id) = page_with_tier(&app, "comments").await;
        let locked = posts::create(&app, &owned, &post("Locked", "tier", Some(tier_id))).await.unwrap();
        let open = posts::create(&app, &owned, &post("Open", "public", None)).await.unwrap();
        let fan = person(&app, "fan@comments.example").await;
        let as_fan = page_as(&app, "comments", Some(&fan)).await;

        let (access, statements) = patron_store::count_statements(posts::access_to(&app, &as_fan, locked)).await;
        assert_eq!(access.unwrap(), Access::Teaser);
        assert_eq!(statements, 1, "entitlement needs the post only, not its files or poll");
        let error = patron_app::comments::add(&app, &as_fan, locked, "Hello", None).await.unwrap_err();
        assert_eq!(code(&error), "not_entitled");
        let comment = patron_app::comments::add(&app, &as_fan, open, "Hello", None).await.unwrap();
        assert_eq!(comment.body, "Hello");
        database.drop_database().await;
    }

    async fn only_the_owner_sees_the_teams_addresses(backend: TestBackend) {
        let (app, database) = app(backend).await;
        let (owner, owned, _) = page_with_tier(&app, "team").await;
        let contributor = person(&app, "contributor@team.example").await;
        patron_app::team::add_contributor(&app, &owned, contributor.id).await.unwrap();

        let seen_by_owner = patron_app::team::members(&app, &owned).await.unwrap();
        assert!(seen_by_owner.iter().all(|m| m.email.is_some()));
        let as_contributor = page_as(&app, "team", Some(&contributor)).await;
        let seen_by_contributor = patron_app::team::members(&app, &as_contributor).await.unwrap();
        assert_eq!(seen_by_contributor.len(), 2);
        assert!(seen_by_contributor.iter().all(|m| m.email.is_none()));
        assert!(seen_by_contributor.iter().any(|m| m.user_id == owner.id));
        let error = patron_app::team::open_invitations(&app, &as_contributor).await.unwrap_err();
        assert_eq!(code(&error), "not_owner");
        database.drop_database().await;
    }
}
