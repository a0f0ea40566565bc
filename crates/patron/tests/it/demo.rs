//! `patron serve --demo`: the talk's creator, ready to explore.

use crate::both_backends;
use crate::helpers::*;
use crate::process::Server;
use reqwest::Method;
use std::time::Duration;

both_backends! {
    async fn the_demo_seeds_gordikey_with_tiers_posts_of_every_kind_and_fans(backend: TestBackend) {
        let (app, database) = spawn_app(backend).await;
        let logins = patron::demo::seed(&app.state.app).await.unwrap().expect("an empty database is seeded");
        assert_eq!(logins.len(), 7);
        assert!(logins.iter().any(|l| l.role == "platform admin"));
        assert!(patron::demo::seed(&app.state.app).await.unwrap().is_none(), "a database with data is left alone");

        let (_, page) = app.call(Method::GET, "/api/v1/creators/gordikey", None, None).await;
        assert_eq!(page["name"], "Gordíkey");
        assert_eq!(page["supporters_count"], 3);
        let (_, tiers) = app.call(Method::GET, "/api/v1/creators/gordikey/tiers", None, None).await;
        let prices: Vec<(&str, &str)> = tiers
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap(), t["monthly_price"]["formatted"].as_str().unwrap()))
            .collect();
        assert_eq!(prices, [("Na granulkey", "59\u{a0}Kč"), ("Na steaky", "99\u{a0}Kč"), ("Na věčná loviště", "199\u{a0}Kč")]);

        // the photo and the video carry real files: their posts show once the worker processed them
        let mut kinds: Vec<String> = Vec::new();
        let mut anonymous = serde_json::Value::Null;
        for _ in 0..240 {
            anonymous = app.call(Method::GET, "/api/v1/creators/gordikey/posts", None, None).await.1;
            kinds = anonymous["posts"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap().to_owned()).collect();
            kinds.sort();
            kinds.dedup();
            if kinds.len() == 5 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        assert_eq!(kinds, ["live", "photo", "poll", "text", "video"]);
        // seeded posts are not announced, not even when their files become ready
        let admin = app.api_login("admin@demo.patron.example", patron::demo::PASSWORD).await;
        let admin = admin.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        for status in ["pending", "running", "succeeded"] {
            let (_, jobs) = app.call(Method::GET, &format!("/api/v1/admin/jobs?status={status}"), Some(&admin), None).await;
            let kinds: Vec<&str> = jobs["jobs"].as_array().unwrap().iter().filter_map(|j| j["kind"].as_str()).collect();
            assert!(!kinds.contains(&"post-fan-out"), "{status}: {kinds:?}");
        }
        let posts = anonymous["posts"].as_array().unwrap();
        assert!(posts.iter().any(|p| p["locked"] == true) && posts.iter().any(|p| p["locked"] == false));

        // a demo fan of "Na steaky" sees what that tier unlocks, not more
        let response = app.api_login("fan2@demo.patron.example", patron::demo::PASSWORD).await;
        let token = response.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        let (_, seen) = app.call(Method::GET, "/api/v1/creators/gordikey/posts", Some(&token), None).await;
        // a supporter gets the photo post's file
        let photo = seen["posts"].as_array().unwrap().iter().find(|p| p["kind"] == "photo").unwrap();
        assert_eq!(photo["media"].as_array().map(Vec::len), Some(1), "{photo}");
        assert_eq!(photo["media"][0]["kind"], "image", "{photo}");
        let locked: Vec<&str> = seen["posts"].as_array().unwrap().iter().filter(|p| p["locked"] == true).map(|p| p["title"].as_str().unwrap()).collect();
        assert_eq!(locked.len(), 2, "only the Na věčná loviště posts stay locked: {locked:?}");

        // with the sandbox (embedded mode) the fans paid: 59 + 99 + 199 Kč split among the team
        if app.state.app.payments.default_provider() == Some("sandbox") {
            let response = app.api_login("gordikey@demo.patron.example", patron::demo::PASSWORD).await;
            let owner = response.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
            let (_, earnings) = app.call(Method::GET, "/api/v1/creators/gordikey/earnings", Some(&owner), None).await;
            let members = earnings["members"].as_array().unwrap();
            assert_eq!(members.len(), 6, "{earnings}");
            assert_eq!(members.iter().map(|m| m["balance"].as_i64().unwrap()).sum::<i64>(), 35_700, "{earnings}");
        }
        app.stop().await;
        database.drop_database().await;
    }
}

#[test]
fn serve_demo_prints_the_logins() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_with(
        &["serve", "--demo"],
        &[("PATRON_DATA_DIR", dir.path().to_str().unwrap()), ("PATRON_LISTEN", "127.0.0.1:0")],
    );
    let output = server.output();
    assert!(output.contains("Demo data is ready") && output.contains("fan2@demo.patron.example"), "{output}");
    server.signal("TERM");
    assert_eq!(server.wait(Duration::from_secs(10)).code(), Some(0));
}
