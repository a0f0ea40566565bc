//! A fan's feed and private RSS feeds.

use crate::both_backends;
use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

const SECRET: &str = "members-only-9c2e";

both_backends! {
    async fn the_feed_holds_followed_creators_posts_newest_first_with_entitlement(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let dog = app.create_creator(&owner, "Dog").await;
        let cat = app.create_creator(&owner, "Cat").await;
        let stranger = app.create_creator(&owner, "Unfollowed").await;
        let fan = app.new_user("fan").await;
        for slug in [&dog, &cat] {
            assert_eq!(app.call(Method::POST, &format!("/api/v1/creators/{slug}/follow"), Some(&fan.token), None).await.0, 204);
        }
        app.create_post(&owner, &dog, json!({"title": "Dog 1", "visibility": "public", "status": "published"})).await;
        app.create_post(&owner, &cat, json!({"title": "Cat 1", "body": SECRET, "visibility": "supporters", "status": "published"})).await;
        app.create_post(&owner, &stranger, json!({"title": "Elsewhere", "visibility": "public", "status": "published"})).await;
        app.create_post(&owner, &dog, json!({"title": "Dog 2", "visibility": "public", "status": "published"})).await;

        let response = reqwest::Client::new().get(app.url("/api/v1/feed")).bearer_auth(&fan.token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        assert!(!text.contains(SECRET), "no locked body in the feed");
        let feed: serde_json::Value = serde_json::from_str(&text).unwrap();
        let titles: Vec<&str> = feed["items"].as_array().unwrap().iter().map(|i| i["post"]["title"].as_str().unwrap()).collect();
        assert_eq!(titles, ["Dog 2", "Cat 1", "Dog 1"]);
        assert_eq!(feed["items"][1]["post"]["locked"], true);
        assert_eq!(feed["items"][1]["creator_slug"], cat.as_str());
        assert_eq!(app.call(Method::GET, "/api/v1/feed", None, None).await.0, 401);
        app.stop().await;
        database.drop_database().await;
    }

    async fn a_private_rss_feed_carries_what_the_fan_may_read(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Gordíkey & <Friends>").await;
        let tier = app.create_tier(&owner, &slug, "Na steaky", 9900).await;
        let member = app.new_user("member").await;
        app.grant_membership(&member, &slug, &tier, "active", None).await;
        app.create_post(&owner, &slug, json!({"title": "Podcast #1", "body": SECRET, "visibility": "supporters", "status": "published"})).await;

        let (status, created) = app.call(Method::POST, "/api/v1/me/feeds", Some(&member.token), Some(json!({"creator_slug": slug}))).await;
        assert_eq!(status, 201, "{created}");
        let url = created["url"].as_str().unwrap().to_owned();
        let path = url.split_once("/rss/").map(|(_, token)| format!("/rss/{token}")).unwrap();
        let response = reqwest::get(app.url(&path)).await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/rss+xml"));
        let xml = response.text().await.unwrap();
        assert!(xml.starts_with("<?xml") && xml.contains("<rss version=\"2.0\">"));
        assert!(xml.contains("<title>Gordíkey &amp; &lt;Friends&gt;</title>"), "{xml}");
        assert!(xml.contains("Podcast #1") && xml.contains(SECRET), "members get the full post: {xml}");

        // someone else's feed of the same creator carries only a teaser
        let outsider = app.new_user("outsider").await;
        let (_, theirs) = app.call(Method::POST, "/api/v1/me/feeds", Some(&outsider.token), Some(json!({"creator_slug": slug}))).await;
        let their_path = theirs["url"].as_str().unwrap().split_once("/rss/").map(|(_, t)| format!("/rss/{t}")).unwrap();
        let their_xml = reqwest::get(app.url(&their_path)).await.unwrap().text().await.unwrap();
        assert!(their_xml.contains("Podcast #1") && !their_xml.contains(SECRET));

        let (_, feeds) = app.call(Method::GET, "/api/v1/me/feeds", Some(&member.token), None).await;
        let id = feeds[0]["id"].as_str().unwrap();
        assert_eq!(feeds[0].get("url"), None, "the secret URL is shown once");
        assert_eq!(app.call(Method::DELETE, &format!("/api/v1/me/feeds/{id}"), Some(&member.token), None).await.0, 204);
        assert_eq!(reqwest::get(app.url(&path)).await.unwrap().status(), 404, "revoked");
        assert_eq!(reqwest::get(app.url("/rss/not-a-token")).await.unwrap().status(), 404);
        app.stop().await;
        database.drop_database().await;
    }
}
