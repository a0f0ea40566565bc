//! The web UI's creator pages, studio and feed, as a browser without JavaScript uses them.

use crate::both_backends;
use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

const SECRET: &str = "steak-recipe-3f9a1c";

/// A browser logged in as a new user, and that user's API identity.
async fn logged_in_browser(app: &TestApp, prefix: &str) -> (reqwest::Client, Fan) {
    let fan = app.new_user(prefix).await;
    let browser = browser();
    assert_eq!(app.web_login(&browser, &fan.email, PASSWORD).await.status(), 303);
    (browser, fan)
}

async fn page_text(client: &reqwest::Client, url: String) -> (u16, String) {
    let response = client.get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The value of the hidden CSRF field of the page at `path` for this browser.
async fn token(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    app.csrf_token(browser, path).await
}

both_backends! {
    async fn a_locked_post_never_reaches_the_page_of_someone_without_access(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Gordíkey").await;
        let _granulky = app.create_tier(&owner, &slug, "Na granulkey", 5900).await;
        let steaky = app.create_tier(&owner, &slug, "Na steaky", 9900).await;
        let post = app
            .create_post(&owner, &slug, json!({"title": "Steak recipe", "body": SECRET, "visibility": "tier", "min_tier_id": steaky, "status": "published"}))
            .await;

        let anonymous = reqwest::Client::new();
        for path in [format!("/{slug}"), format!("/{slug}/posts/{post}")] {
            let (status, html) = page_text(&anonymous, app.url(&path)).await;
            assert_eq!(status, 200);
            assert!(!html.contains(SECRET), "{path} leaked the body");
            assert!(html.contains("Steak recipe") && html.contains("Na steaky"), "the teaser names the post and its tier");
            if !path.contains("/posts/") {
                assert!(html.contains("59\u{a0}Kč") && html.contains("99\u{a0}Kč"), "tiers with prices in CZK");
            }
        }

        let (member_browser, member) = logged_in_browser(&app, "member").await;
        app.grant_membership(&member, &slug, &steaky, "active", None).await;
        let (_, html) = page_text(&member_browser, app.url(&format!("/{slug}"))).await;
        assert!(html.contains(SECRET), "a member of the tier sees the body");
        let (_, html) = page_text(&member_browser, app.url(&format!("/{slug}/posts/{post}"))).await;
        assert!(html.contains(SECRET) && html.contains("comment-form"));
        app.stop().await;
        database.drop_database().await;
    }

    async fn a_fan_follows_votes_and_comments_without_javascript(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Gordíkey").await;
        let poll = app
            .create_post(&owner, &slug, json!({"kind": "poll", "title": "Walk?", "visibility": "public", "status": "published", "poll_options": ["Forest", "Beach"]}))
            .await;
        let (browser, _fan) = logged_in_browser(&app, "fan").await;

        let csrf = token(&app, &browser, &format!("/{slug}")).await;
        let followed = browser.post(app.url(&format!("/{slug}/follow"))).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
        assert_eq!(followed.status(), 303);
        let (_, html) = page_text(&browser, app.url(&format!("/{slug}"))).await;
        assert!(html.contains("data-testid=\"unfollow\""));
        let (_, feed) = page_text(&browser, app.url("/feed")).await;
        assert!(feed.contains("Walk?"), "followed creators' posts are in the feed");

        let (_, view) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/posts/{poll}"), None, None).await;
        let beach = view["poll"]["options"][1]["id"].as_str().unwrap().to_owned();
        let csrf = token(&app, &browser, &format!("/{slug}/posts/{poll}")).await;
        let voted = browser
            .post(app.url(&format!("/{slug}/posts/{poll}/vote")))
            .form(&[("csrf_token", csrf.as_str()), ("option", beach.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(voted.status(), 303);
        let (_, html) = page_text(&browser, app.url(&format!("/{slug}/posts/{poll}"))).await;
        assert!(html.contains("100 % (1)"), "the vote counts");

        let commented = browser
            .post(app.url(&format!("/{slug}/posts/{poll}/comments")))
            .form(&[("csrf_token", csrf.as_str()), ("body", "Beach, obviously!")])
            .send()
            .await
            .unwrap();
        assert_eq!(commented.status(), 303);
        let (_, html) = page_text(&browser, app.url(&format!("/{slug}/posts/{poll}"))).await;
        assert!(html.contains("Beach, obviously!"));
        app.stop().await;
        database.drop_database().await;
    }

    async fn a_creator_sets_up_a_page_in_the_studio(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let (browser, _owner) = logged_in_browser(&app, "creator").await;
        let csrf = token(&app, &browser, "/studio").await;
        let slug = format!("studio-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let created = browser
            .post(app.url("/studio"))
            .form(&[("csrf_token", csrf.as_str()), ("name", "Gordíkey"), ("slug", slug.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 303);
        assert_eq!(created.headers()["location"], format!("/studio/{slug}").as_str());

        let csrf = token(&app, &browser, &format!("/studio/{slug}")).await;
        let tier = browser
            .post(app.url(&format!("/studio/{slug}/tiers")))
            .form(&[("csrf_token", csrf.as_str()), ("name", "Na granulkey"), ("monthly_price", "59"), ("currency", "CZK"), ("benefits", "A thank-you\nA photo")])
            .send()
            .await
            .unwrap();
        assert_eq!(tier.status(), 303);
        let (_, tiers) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/tiers"), None, None).await;
        assert_eq!(tiers[0]["monthly_price"]["amount"], 5900);
        assert_eq!(tiers[0]["benefits"], json!(["A thank-you", "A photo"]));

        let bad = browser
            .post(app.url(&format!("/studio/{slug}/tiers")))
            .form(&[("csrf_token", csrf.as_str()), ("name", "Broken"), ("monthly_price", "lots")])
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 422);
        assert!(bad.text().await.unwrap().contains("monthly_price"));

        // the editor previews without saving, then saves
        let editor = format!("/studio/{slug}/posts");
        let form = [("csrf_token", csrf.as_str()), ("kind", "text"), ("title", "First"), ("body", "**Hello**"), ("visibility", "public"), ("publish", "now")];
        let preview = browser.post(app.url(&editor)).form(&[form.as_slice(), &[("action", "preview")]].concat()).send().await.unwrap();
        assert_eq!(preview.status(), 200);
        assert!(preview.text().await.unwrap().contains("<strong>Hello</strong>"));
        let (_, none) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/posts"), None, None).await;
        assert_eq!(none["posts"].as_array().unwrap().len(), 0, "a preview saves nothing");
        let saved = browser.post(app.url(&editor)).form(&[form.as_slice(), &[("action", "save")]].concat()).send().await.unwrap();
        assert_eq!(saved.status(), 303);
        let (_, posts) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/posts"), None, None).await;
        assert_eq!(posts["posts"][0]["title"], "First");

        // an invitation link shown to the owner brings a contributor in
        let (helper_browser, helper) = logged_in_browser(&app, "helper").await;
        let invited = browser
            .post(app.url(&format!("/studio/{slug}/invitations")))
            .form(&[("csrf_token", csrf.as_str()), ("email", helper.email.as_str())])
            .send()
            .await
            .unwrap();
        let html = invited.text().await.unwrap();
        let link_start = html.find("/invitations/").expect("the link is shown");
        let token_text: String = html[link_start + "/invitations/".len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        let helper_csrf = token(&app, &helper_browser, &format!("/invitations/{token_text}")).await;
        let accepted = helper_browser
            .post(app.url(&format!("/invitations/{token_text}")))
            .form(&[("csrf_token", helper_csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(accepted.status(), 303);
        let (status, studio) = page_text(&helper_browser, app.url(&format!("/studio/{slug}"))).await;
        assert_eq!(status, 200, "the contributor works in the studio");
        assert!(!studio.contains("data-testid=\"add-tier\""), "but does not manage tiers");
        app.stop().await;
        database.drop_database().await;
    }

    async fn pages_cost_the_same_number_of_statements_however_many_posts(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let (browser, member) = logged_in_browser(&app, "member").await;
        let small = app.create_creator(&owner, "Small").await;
        let large = app.create_creator(&owner, "Large").await;
        for slug in [&small, &large] {
            let tier = app.create_tier(&owner, slug, "Tier", 100).await;
            app.grant_membership(&member, slug, &tier, "active", None).await;
        }
        let poll = json!({"kind": "poll", "title": "Poll", "visibility": "supporters", "status": "published", "poll_options": ["A", "B"]});
        app.create_post(&owner, &small, poll.clone()).await;
        for n in 0..30 {
            let post = if n % 3 == 0 { poll.clone() } else { json!({"title": format!("Post {n}"), "visibility": "supporters", "status": "published"}) };
            app.create_post(&owner, &large, post).await;
        }
        let statements = |route: &str, text: &str| -> f64 {
            let line = text
                .lines()
                .find(|l| l.starts_with("patron_http_request_db_statements_sum") && l.contains(&format!("route=\"{route}\"")))
                .unwrap_or_else(|| panic!("no statements metric for {route}"));
            line.rsplit(' ').next().unwrap().parse().unwrap()
        };
        let metrics = || async { reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap() };

        page_text(&browser, app.url(&format!("/{small}"))).await;
        let after_small = statements("/{slug}", &metrics().await);
        page_text(&browser, app.url(&format!("/{large}"))).await;
        let after_large = statements("/{slug}", &metrics().await);
        assert_eq!(after_large - after_small, after_small, "the 30-post page costs what the 1-post page costs");
        assert!(after_small <= 6.0, "{after_small} statements for a creator page");

        browser.get(app.url("/feed")).send().await.unwrap();
        let feed_once = statements("/feed", &metrics().await);
        browser.get(app.url("/feed")).send().await.unwrap();
        assert_eq!(statements("/feed", &metrics().await), 2.0 * feed_once);
        assert!(feed_once <= 5.0, "{feed_once} statements for the feed");
        app.stop().await;
        database.drop_database().await;
    }
}

#[tokio::test]
async fn the_creator_page_speaks_czech_too() {
    let (app, database) = spawn_app(TestBackend::Sqlite).await;
    let owner = app.new_user("owner").await;
    let slug = app.create_creator(&owner, "Gordíkey").await;
    app.create_tier(&owner, &slug, "Na steaky", 9900).await;
    let html = reqwest::Client::new()
        .get(app.url(&format!("/{slug}")))
        .header("accept-language", "cs")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Úrovně členství") && html.contains("/ měsíc"), "{html}");
    app.stop().await;
    database.drop_database().await;
}

#[tokio::test]
async fn creator_and_post_pages_have_plain_titles_and_load_their_script_once() {
    let (app, database) = spawn_app(TestBackend::Sqlite).await;
    let owner = app.new_user("owner").await;
    let slug = app.create_creator(&owner, "Gordíkey").await;
    let post = app
        .create_post(
            &owner,
            &slug,
            json!({"title": "Bones & more", "body": "For all", "visibility": "public", "status": "published"}),
        )
        .await;
    for path in [format!("/{slug}"), format!("/{slug}/posts/{post}")] {
        let html = reqwest::Client::new().get(app.url(&path)).send().await.unwrap().text().await.unwrap();
        let title = html.split("<title>").nth(1).and_then(|rest| rest.split("</title>").next()).unwrap();
        assert!(!title.contains('<') && title.ends_with(" · patron"), "{path}: the title is text: {title:?}");
        assert_eq!(html.matches("/static/app.js").count(), 1, "{path}: app.js once");
    }
    app.stop().await;
    database.drop_database().await;
}
