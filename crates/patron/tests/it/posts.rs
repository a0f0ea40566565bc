//! Posts through the JSON API: who sees what (the entitlement matrix end to end), scheduling,
//! time-released access, polls, comments and keyset pagination.

use crate::both_backends;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// A creator with three tiers and one post of each audience.
struct Setup {
    owner: Fan,
    slug: String,
    tiers: [String; 3],
    public: String,
    supporters: String,
    tier_two: String,
}

const SECRET: &str = "only-for-supporters-7b1f";

async fn setup(app: &TestApp) -> Setup {
    let owner = app.new_user("owner").await;
    let slug = app.create_creator(&owner, "Gordíkey").await;
    let tiers = [
        app.create_tier(&owner, &slug, "Na granulkey", 5900).await,
        app.create_tier(&owner, &slug, "Na steaky", 9900).await,
        app.create_tier(&owner, &slug, "Na věčná loviště", 19900).await,
    ];
    let public = app
        .create_post(&owner, &slug, json!({"title": "Hello world", "body": "Everyone sees this", "visibility": "public", "status": "published"}))
        .await;
    let supporters = app
        .create_post(
            &owner,
            &slug,
            json!({"title": "For supporters", "body": SECRET, "visibility": "supporters", "status": "published"}),
        )
        .await;
    let tier_two = app
        .create_post(
            &owner,
            &slug,
            json!({"title": "For steaks and up", "body": SECRET, "visibility": "tier", "min_tier_id": tiers[1], "status": "published"}),
        )
        .await;
    Setup { owner, slug, tiers, public, supporters, tier_two }
}

/// What `token` gets for each of the three posts: "full" or "locked".
async fn outcomes(app: &TestApp, setup: &Setup, token: Option<&str>) -> [String; 3] {
    let mut result = [String::new(), String::new(), String::new()];
    for (index, post) in [&setup.public, &setup.supporters, &setup.tier_two].iter().enumerate() {
        let response = reqwest::Client::new().get(app.url(&format!("/api/v1/creators/{}/posts/{post}", setup.slug)));
        let response = match token {
            Some(token) => response.bearer_auth(token),
            None => response,
        };
        let text = response.send().await.unwrap().text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap();
        let locked = body["locked"].as_bool().unwrap();
        // a locked post's secret never appears anywhere in the response bytes
        if locked {
            assert!(!text.contains(SECRET), "a teaser leaked the body: {text}");
            assert_eq!(body["body_html"], Value::Null);
        }
        result[index] = if locked { "locked" } else { "full" }.to_owned();
    }
    result
}

both_backends! {
    async fn every_viewer_sees_exactly_what_their_membership_unlocks(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let setup = setup(&app).await;
        let full_locked = |a: &str, b: &str, c: &str| [a.to_owned(), b.to_owned(), c.to_owned()];

        assert_eq!(outcomes(&app, &setup, None).await, full_locked("full", "locked", "locked"), "anonymous");
        let follower = app.new_user("follower").await;
        assert_eq!(outcomes(&app, &setup, Some(&follower.token)).await, full_locked("full", "locked", "locked"), "follower");

        let tier_one = app.new_user("tier1").await;
        app.grant_membership(&tier_one, &setup.slug, &setup.tiers[0], "active", None).await;
        assert_eq!(outcomes(&app, &setup, Some(&tier_one.token)).await, full_locked("full", "full", "locked"), "tier 1");

        let tier_three = app.new_user("tier3").await;
        app.grant_membership(&tier_three, &setup.slug, &setup.tiers[2], "active", None).await;
        assert_eq!(outcomes(&app, &setup, Some(&tier_three.token)).await, full_locked("full", "full", "full"), "tier 3");

        let in_grace = app.new_user("grace").await;
        app.grant_membership(&in_grace, &setup.slug, &setup.tiers[1], "past_due", Some(Duration::from_secs(3600))).await;
        assert_eq!(outcomes(&app, &setup, Some(&in_grace.token)).await, full_locked("full", "full", "full"), "past due in grace");

        let lapsed = app.new_user("lapsed").await;
        app.grant_membership(&lapsed, &setup.slug, &setup.tiers[2], "past_due", None).await;
        assert_eq!(outcomes(&app, &setup, Some(&lapsed.token)).await, full_locked("full", "locked", "locked"), "past due, no grace");

        let pending = app.new_user("pending").await;
        app.grant_membership(&pending, &setup.slug, &setup.tiers[2], "pending", None).await;
        assert_eq!(outcomes(&app, &setup, Some(&pending.token)).await, full_locked("full", "locked", "locked"), "pending");

        assert_eq!(outcomes(&app, &setup, Some(&setup.owner.token)).await, full_locked("full", "full", "full"), "owner");

        // the teaser says which tier unlocks the post
        let (_, teaser) = app.call(Method::GET, &format!("/api/v1/creators/{}/posts/{}", setup.slug, setup.tier_two), None, None).await;
        assert_eq!(teaser["min_tier"]["name"], "Na steaky");
        assert_eq!(teaser["title"], "For steaks and up");

        // the list applies the same rules
        let text = reqwest::get(app.url(&format!("/api/v1/creators/{}/posts", setup.slug))).await.unwrap().text().await.unwrap();
        assert!(!text.contains(SECRET));
        let list: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(list["posts"].as_array().unwrap().len(), 3);
        app.stop().await;
        database.drop_database().await;
    }

    async fn drafts_and_scheduled_posts_exist_only_for_the_team(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let fan = app.new_user("fan").await;
        let slug = app.create_creator(&owner, "Gordíkey").await;
        let draft = app.create_post(&owner, &slug, json!({"title": "Draft", "visibility": "public"})).await;
        let later = (patron_domain::Timestamp::now().plus(Duration::from_secs(3600))).to_rfc3339();
        let scheduled = app
            .create_post(&owner, &slug, json!({"title": "Tomorrow", "visibility": "public", "status": "published", "publish_at": later}))
            .await;
        for post in [&draft, &scheduled] {
            let path = format!("/api/v1/creators/{slug}/posts/{post}");
            assert_eq!(app.call(Method::GET, &path, Some(&fan.token), None).await.0, 404);
            assert_eq!(app.call(Method::GET, &path, Some(&owner.token), None).await.0, 200);
        }
        let (_, all) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/posts/all"), Some(&owner.token), None).await;
        let states: Vec<&str> = all.as_array().unwrap().iter().map(|p| p["state"].as_str().unwrap()).collect();
        assert_eq!(states, ["scheduled", "draft"]);
        assert_eq!(app.call(Method::GET, &format!("/api/v1/creators/{slug}/posts/all"), Some(&fan.token), None).await.0, 403);
        let (_, list) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/posts"), Some(&fan.token), None).await;
        assert_eq!(list["posts"].as_array().unwrap().len(), 0);

        // publishing the draft makes it appear
        let publish = json!({"title": "Draft", "visibility": "public", "status": "published"});
        assert_eq!(app.call(Method::PUT, &format!("/api/v1/creators/{slug}/posts/{draft}"), Some(&owner.token), Some(publish)).await.0, 200);
        assert_eq!(app.call(Method::GET, &format!("/api/v1/creators/{slug}/posts/{draft}"), Some(&fan.token), None).await.0, 200);
        app.stop().await;
        database.drop_database().await;
    }

    async fn early_access_posts_turn_public_on_their_date(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let setup = setup(&app).await;
        let path = format!("/api/v1/creators/{}/posts/{}", setup.slug, setup.tier_two);
        let soon = patron_domain::Timestamp::now().plus(Duration::from_secs(2)).to_rfc3339();
        let early = json!({"title": "For steaks and up", "body": SECRET, "visibility": "tier", "min_tier_id": setup.tiers[1],
                           "public_from": soon, "status": "published"});
        assert_eq!(app.call(Method::PUT, &path, Some(&setup.owner.token), Some(early)).await.0, 200);
        let (_, before) = app.call(Method::GET, &path, None, None).await;
        assert_eq!(before["locked"], true);
        tokio::time::sleep(Duration::from_millis(2100)).await;
        let (_, after) = app.call(Method::GET, &path, None, None).await;
        assert_eq!(after["locked"], false, "public from its date without anyone touching it");
        assert!(after["body_html"].as_str().unwrap().contains(SECRET));
        app.stop().await;
        database.drop_database().await;
    }

    async fn markdown_bodies_cannot_carry_scripts(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Gordíkey").await;
        let body = "<script>alert(1)</script>\n\n[x](javascript:alert(1)) **ok**";
        let post = app.create_post(&owner, &slug, json!({"title": "XSS", "body": body, "visibility": "public", "status": "published"})).await;
        let (_, view) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/posts/{post}"), None, None).await;
        let html = view["body_html"].as_str().unwrap();
        assert!(!html.contains("<script") && !html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("<strong>ok</strong>"));
        app.stop().await;
        database.drop_database().await;
    }

    async fn fans_with_access_vote_once_and_may_change_their_vote(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let setup = setup(&app).await;
        let poll = app
            .create_post(
                &setup.owner,
                &setup.slug,
                json!({"kind": "poll", "title": "Next walk?", "visibility": "supporters", "status": "published",
                       "poll_options": ["Forest", "Beach", "City"], "poll_results": "after_vote"}),
            )
            .await;
        let path = format!("/api/v1/creators/{}/posts/{poll}", setup.slug);
        let member = app.new_user("member").await;
        app.grant_membership(&member, &setup.slug, &setup.tiers[0], "active", None).await;
        let outsider = app.new_user("outsider").await;

        let (_, view) = app.call(Method::GET, &path, Some(&member.token), None).await;
        assert_eq!(view["poll"]["results_visible"], false, "results after voting");
        assert_eq!(view["poll"]["options"][0]["votes"], Value::Null);
        let forest = view["poll"]["options"][0]["id"].as_str().unwrap().to_owned();
        let beach = view["poll"]["options"][1]["id"].as_str().unwrap().to_owned();

        let (_, teaser) = app.call(Method::GET, &path, Some(&outsider.token), None).await;
        assert_eq!(teaser["poll"], Value::Null, "a locked poll shows no options");
        let refused = app.call(Method::POST, &format!("{path}/votes"), Some(&outsider.token), Some(json!({"option_ids": [forest]}))).await;
        assert_eq!(refused.0, 403);

        let (status, voted) = app.call(Method::POST, &format!("{path}/votes"), Some(&member.token), Some(json!({"option_ids": [forest]}))).await;
        assert_eq!(status, 200, "{voted}");
        assert_eq!(voted["poll"]["results_visible"], true);
        assert_eq!(voted["poll"]["options"][0]["votes"], 1);
        let (_, changed) = app.call(Method::POST, &format!("{path}/votes"), Some(&member.token), Some(json!({"option_ids": [beach]}))).await;
        assert_eq!(changed["poll"]["options"][0]["votes"], 0);
        assert_eq!(changed["poll"]["options"][1]["votes"], 1);
        assert_eq!(changed["poll"]["options"][1]["chosen"], true);
        assert_eq!(changed["poll"]["total_votes"], 1, "one vote per member");

        let two = app.call(Method::POST, &format!("{path}/votes"), Some(&member.token), Some(json!({"option_ids": [forest, beach]}))).await;
        assert_eq!(two.0, 422, "single choice");
        let foreign = app.call(Method::POST, &format!("{path}/votes"), Some(&member.token), Some(json!({"option_ids": [setup.public]}))).await;
        assert_eq!(foreign.0, 422);

        // options are fixed once people voted
        let edit = json!({"title": "Next walk?", "visibility": "supporters", "status": "published", "poll_options": ["Moon", "Mars"]});
        assert_eq!(app.call(Method::PUT, &path, Some(&setup.owner.token), Some(edit)).await.0, 409);
        app.stop().await;
        database.drop_database().await;
    }

    async fn comments_are_for_those_who_see_the_post(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let setup = setup(&app).await;
        let member = app.new_user("member").await;
        app.grant_membership(&member, &setup.slug, &setup.tiers[0], "active", None).await;
        let outsider = app.new_user("outsider").await;
        let path = format!("/api/v1/creators/{}/posts/{}/comments", setup.slug, setup.supporters);

        let (status, comment) = app.call(Method::POST, &path, Some(&member.token), Some(json!({"body": "Good dog!"}))).await;
        assert_eq!(status, 201, "{comment}");
        let comment_id = comment["id"].as_str().unwrap().to_owned();
        let (status, reply) =
            app.call(Method::POST, &path, Some(&setup.owner.token), Some(json!({"body": "Thanks!", "parent_id": comment_id}))).await;
        assert_eq!(status, 201);
        assert_eq!(reply["parent_id"], comment_id.as_str());

        assert_eq!(app.call(Method::POST, &path, Some(&outsider.token), Some(json!({"body": "Let me in"}))).await.0, 403);
        assert_eq!(app.call(Method::GET, &path, Some(&outsider.token), None).await.0, 403);
        assert_eq!(app.call(Method::POST, &path, Some(&member.token), Some(json!({"body": "   "}))).await.0, 422);

        let (_, list) = app.call(Method::GET, &path, Some(&member.token), None).await;
        assert_eq!(list.as_array().unwrap().len(), 2);
        let (_, post) = app.call(Method::GET, &format!("/api/v1/creators/{}/posts/{}", setup.slug, setup.supporters), None, None).await;
        assert_eq!(post["comments_count"], 2);

        let reply_id = reply["id"].as_str().unwrap();
        assert_eq!(app.call(Method::DELETE, &format!("{path}/{reply_id}"), Some(&member.token), None).await.0, 403, "not the author");
        assert_eq!(app.call(Method::DELETE, &format!("{path}/{comment_id}"), Some(&setup.owner.token), None).await.0, 204, "the team moderates");
        let (_, list) = app.call(Method::GET, &path, Some(&member.token), None).await;
        assert_eq!(list[0]["deleted"], true);
        assert_eq!(list[0]["body"], "");
        app.stop().await;
        database.drop_database().await;
    }

    async fn keyset_pages_have_no_duplicates_or_gaps_while_posts_arrive(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let slug = app.create_creator(&owner, "Prolific").await;
        let mut written = Vec::new();
        for n in 0..45 {
            written.push(app.create_post(&owner, &slug, json!({"title": format!("Post {n}"), "visibility": "public", "status": "published"})).await);
        }
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/creators/{slug}/posts?cursor={c}"),
                None => format!("/api/v1/creators/{slug}/posts"),
            };
            let (status, page) = app.call(Method::GET, &path, None, None).await;
            assert_eq!(status, 200);
            seen.extend(page["posts"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()));
            pages += 1;
            // new posts arrive between page requests: they are newer than every cursor
            app.create_post(&owner, &slug, json!({"title": format!("Late {pages}"), "visibility": "public", "status": "published"})).await;
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let mut expected = written.clone();
        expected.reverse();
        assert_eq!(seen, expected, "every post exactly once, newest first");
        assert_eq!(pages, 3);
        app.stop().await;
        database.drop_database().await;
    }
}
