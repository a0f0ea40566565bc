//! Sessions live in the database: they survive restarts and work on every replica (lesson 2).

use crate::both_backends;
use crate::helpers::*;

both_backends! {
    async fn a_session_survives_a_server_restart(backend: TestBackend) {
        let database = TestDatabase::create(backend).await;
        let first = spawn_on(&database, &[]).await;
        let browser = browser();
        let email = unique_email("restart");
        first.web_register(&browser, &email).await;
        let token = first.api_login(&email, PASSWORD).await.json::<serde_json::Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
        first.stop().await;

        let second = spawn_on(&database, &[]).await;
        assert_eq!(second.me(&token).await.status(), 200, "the API token still works");
        // cookies are scoped to the host, not the port: the browser sends its cookie to the new server
        let page = browser.get(second.url("/account")).send().await.unwrap();
        assert_eq!(page.status(), 200, "the browser session still works");
        second.stop().await;
        database.drop_database().await;
    }

    async fn a_session_opened_on_one_instance_works_on_another(backend: TestBackend) {
        let database = TestDatabase::create(backend).await;
        let one = spawn_on(&database, &[]).await;
        let two = spawn_on(&database, &[]).await;
        let email = unique_email("replicas");
        let token = one.register_fan(&email).await;
        assert_eq!(two.me(&token).await.status(), 200);

        let browser = browser();
        let registered = one.web_register(&browser, &unique_email("replica-web")).await;
        let cookie = registered.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let page = reqwest::Client::new().get(two.url("/account")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(page.status(), 200);

        // logging out on one ends the session on the other
        let logout = reqwest::Client::new().post(two.url("/api/v1/auth/logout")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(logout.status(), 204);
        assert_eq!(one.me(&token).await.status(), 401);
        one.stop().await;
        two.stop().await;
        database.drop_database().await;
    }
}
