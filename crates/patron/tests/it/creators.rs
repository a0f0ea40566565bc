//! Creator pages, tiers and teams through the JSON API.

use crate::both_backends;
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

both_backends! {
    async fn a_user_creates_a_page_and_only_the_owner_may_change_it(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let stranger = app.new_user("stranger").await;
        let slug = app.create_creator(&owner, "Gordíkey").await;

        let (status, page) = app.call(Method::GET, &format!("/api/v1/creators/{slug}"), None, None).await;
        assert_eq!(status, 200);
        assert_eq!(page["name"], "Gordíkey");
        assert_eq!(page["bio_html"], "<p>About <strong>us</strong></p>\n");
        assert_eq!(page["viewer"]["team_role"], Value::Null);
        let (_, as_owner) = app.call(Method::GET, &format!("/api/v1/creators/{slug}"), Some(&owner.token), None).await;
        assert_eq!(as_owner["viewer"]["team_role"], "owner");

        let again = app.call(Method::POST, "/api/v1/creators", Some(&stranger.token), Some(json!({"slug": slug, "name": "Copy"}))).await;
        assert_eq!(again.0, 409);
        assert_eq!(again.1["error"]["code"], "slug_taken");
        let bad = app.call(Method::POST, "/api/v1/creators", Some(&stranger.token), Some(json!({"slug": "Admin", "name": ""}))).await;
        assert_eq!(bad.0, 422);
        assert_eq!(bad.1["error"]["fields"].as_array().unwrap().len(), 2);
        let anonymous = app.call(Method::POST, "/api/v1/creators", None, Some(json!({"slug": "someone", "name": "X"}))).await;
        assert_eq!(anonymous.0, 401);

        let path = format!("/api/v1/creators/{slug}");
        assert_eq!(app.call(Method::PATCH, &path, Some(&stranger.token), Some(json!({"name": "Mine"}))).await.0, 403);
        let (status, changed) = app.call(Method::PATCH, &path, Some(&owner.token), Some(json!({"name": "Gordíkey the Dog"}))).await;
        assert_eq!(status, 200);
        assert_eq!(changed["name"], "Gordíkey the Dog");

        // hidden pages exist for their team only
        app.call(Method::PATCH, &path, Some(&owner.token), Some(json!({"is_hidden": true}))).await;
        assert_eq!(app.call(Method::GET, &path, Some(&stranger.token), None).await.0, 404);
        assert_eq!(app.call(Method::GET, &path, Some(&owner.token), None).await.0, 200);

        assert_eq!(app.call(Method::DELETE, &path, Some(&owner.token), None).await.0, 204);
        assert_eq!(app.call(Method::GET, &path, Some(&owner.token), None).await.0, 404);
        app.stop().await;
        database.drop_database().await;
    }

    async fn tiers_are_ordered_priced_in_minor_units_and_archivable(backend: TestBackend) {
        let (app, database) = spawn_app_with(backend, &[("PATRON_MAX_TIERS", "3")]).await;
        let owner = app.new_user("owner").await;
        let fan = app.new_user("fan").await;
        let slug = app.create_creator(&owner, "Gordíkey").await;
        let granulky = app.create_tier(&owner, &slug, "Na granulkey", 5900).await;
        let steaky = app.create_tier(&owner, &slug, "Na steaky", 9900).await;
        let loviste = app.create_tier(&owner, &slug, "Na věčná loviště", 19900).await;
        let tiers_path = format!("/api/v1/creators/{slug}/tiers");

        let (_, tiers) = app.call(Method::GET, &tiers_path, None, None).await;
        let names: Vec<&str> = tiers.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Na granulkey", "Na steaky", "Na věčná loviště"]);
        assert_eq!(tiers[0]["monthly_price"], json!({"amount": 5900, "currency": "CZK", "formatted": "59\u{a0}Kč"}));
        assert_eq!(tiers[2]["rank"], 3);

        let fourth = app.call(Method::POST, &tiers_path, Some(&owner.token), Some(json!({"name": "Extra", "monthly_price": 100}))).await;
        assert_eq!(fourth.0, 409, "at most PATRON_MAX_TIERS active tiers");
        assert_eq!(app.call(Method::POST, &tiers_path, Some(&fan.token), Some(json!({"name": "Mine", "monthly_price": 1}))).await.0, 403);
        let invalid = app.call(Method::POST, &tiers_path, Some(&owner.token), Some(json!({"name": "X", "monthly_price": -5, "currency": "BTC"}))).await;
        assert_eq!(invalid.0, 422);

        let (status, changed) = app
            .call(Method::PUT, &format!("{tiers_path}/{steaky}"), Some(&owner.token), Some(json!({"name": "Na steaky", "monthly_price": 12900})))
            .await;
        assert_eq!(status, 200);
        assert_eq!(changed["monthly_price"]["amount"], 12900);

        assert_eq!(app.call(Method::POST, &format!("{tiers_path}/{granulky}/archive"), Some(&owner.token), None).await.0, 204);
        let (_, public) = app.call(Method::GET, &tiers_path, None, None).await;
        assert_eq!(public.as_array().unwrap().len(), 2, "archived tiers are not offered");
        let (_, team) = app.call(Method::GET, &tiers_path, Some(&owner.token), None).await;
        assert_eq!(team.as_array().unwrap().len(), 3, "the team still sees them");

        let order = json!({"tier_ids": [loviste, steaky, granulky]});
        assert_eq!(app.call(Method::PUT, &format!("{tiers_path}/order"), Some(&owner.token), Some(order)).await.0, 204);
        let (_, reordered) = app.call(Method::GET, &tiers_path, Some(&owner.token), None).await;
        assert_eq!(reordered[0]["name"], "Na věčná loviště");
        let partial = json!({"tier_ids": [loviste]});
        assert_eq!(app.call(Method::PUT, &format!("{tiers_path}/order"), Some(&owner.token), Some(partial)).await.0, 422);
        app.stop().await;
        database.drop_database().await;
    }

    async fn an_invited_contributor_publishes_but_cannot_manage_the_page(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let helper = app.new_user("helper").await;
        let slug = app.create_creator(&owner, "Gordíkey").await;

        let (status, invitation) = app
            .call(Method::POST, &format!("/api/v1/creators/{slug}/invitations"), Some(&owner.token), Some(json!({"email": helper.email})))
            .await;
        assert_eq!(status, 201, "{invitation}");
        let link = invitation["link"].as_str().unwrap();
        let token = link.rsplit('/').next().unwrap();
        let (_, open) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/invitations"), Some(&owner.token), None).await;
        assert_eq!(open.as_array().unwrap().len(), 1);

        assert_eq!(app.call(Method::POST, &format!("/api/v1/invitations/{token}/accept"), Some(&helper.token), None).await.0, 200);
        assert_eq!(app.call(Method::POST, &format!("/api/v1/invitations/{token}/accept"), Some(&helper.token), None).await.0, 404, "used once");

        let (_, team) = app.call(Method::GET, &format!("/api/v1/creators/{slug}/team"), Some(&helper.token), None).await;
        let roles: Vec<&str> = team.as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["owner", "contributor"]);
        assert_eq!(team[0]["email"], Value::Null, "contributors do not see e-mail addresses");

        let post = json!({"title": "Hello from the team", "visibility": "public", "status": "published"});
        app.create_post(&helper, &slug, post).await;
        let tier = app.call(Method::POST, &format!("/api/v1/creators/{slug}/tiers"), Some(&helper.token), Some(json!({"name": "X", "monthly_price": 1}))).await;
        assert_eq!(tier.0, 403, "contributors do not manage tiers");

        // the owner hands the page over and stays as a contributor
        let transfer = json!({"user_id": helper.id});
        assert_eq!(app.call(Method::POST, &format!("/api/v1/creators/{slug}/transfer"), Some(&owner.token), Some(transfer)).await.0, 204);
        let (_, page) = app.call(Method::GET, &format!("/api/v1/creators/{slug}"), Some(&helper.token), None).await;
        assert_eq!(page["viewer"]["team_role"], "owner");
        let remove = app.call(Method::DELETE, &format!("/api/v1/creators/{slug}/team/{}", owner.id), Some(&helper.token), None).await;
        assert_eq!(remove.0, 204);
        let (_, page) = app.call(Method::GET, &format!("/api/v1/creators/{slug}"), Some(&owner.token), None).await;
        assert_eq!(page["viewer"]["team_role"], Value::Null);
        app.stop().await;
        database.drop_database().await;
    }

    async fn following_is_free_and_counted(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let fan = app.new_user("fan").await;
        let slug = app.create_creator(&owner, "Gordíkey").await;
        let follow = format!("/api/v1/creators/{slug}/follow");
        assert_eq!(app.call(Method::POST, &follow, None, None).await.0, 401);
        assert_eq!(app.call(Method::POST, &follow, Some(&fan.token), None).await.0, 204);
        assert_eq!(app.call(Method::POST, &follow, Some(&fan.token), None).await.0, 204, "twice is fine");
        let (_, page) = app.call(Method::GET, &format!("/api/v1/creators/{slug}"), Some(&fan.token), None).await;
        assert_eq!(page["followers_count"], 1);
        assert_eq!(page["viewer"]["follows"], true);
        assert_eq!(app.call(Method::DELETE, &follow, Some(&fan.token), None).await.0, 204);
        let (_, page) = app.call(Method::GET, &format!("/api/v1/creators/{slug}"), None, None).await;
        assert_eq!(page["followers_count"], 0);
        app.stop().await;
        database.drop_database().await;
    }

    async fn discovery_finds_pages_by_name_ignoring_accents(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let owner = app.new_user("owner").await;
        let dog = app.create_creator(&owner, "Žluťoučký Gordíkey").await;
        app.create_creator(&owner, "Somebody Else").await;
        let (status, found) = app.call(Method::GET, "/api/v1/creators?q=zlutoucky%20gordi", None, None).await;
        assert_eq!(status, 200);
        let slugs: Vec<&str> = found["creators"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
        assert_eq!(slugs, [dog.as_str()]);
        let (_, newest) = app.call(Method::GET, "/api/v1/creators?sort=newest", None, None).await;
        assert_eq!(newest["creators"].as_array().unwrap().len(), 2);
        assert_eq!(app.call(Method::GET, "/api/v1/creators?sort=sideways", None, None).await.0, 400);
        assert_eq!(app.call(Method::GET, "/api/v1/creators?cursor=garbage", None, None).await.0, 400);
        app.stop().await;
        database.drop_database().await;
    }
}
