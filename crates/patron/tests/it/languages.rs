//! The web UI speaks English and Czech, chosen by the browser or by the visitor.

use crate::helpers::*;

#[tokio::test]
async fn pages_follow_the_browser_language_and_the_visitors_choice() {
    let (app, database) = spawn_app(TestBackend::Sqlite).await;
    let client = browser();
    let czech = client.get(app.url("/")).header("accept-language", "cs-CZ,cs;q=0.9,en;q=0.5").send().await.unwrap();
    let html = czech.text().await.unwrap();
    assert!(html.contains("<html lang=\"cs\">") && html.contains("Podpořte tvůrce"), "{html}");

    let english = client.get(app.url("/login")).header("accept-language", "en-GB").send().await.unwrap();
    assert!(english.text().await.unwrap().contains("Log in"));

    let switched = client.get(app.url("/lang/cs?next=/login")).send().await.unwrap();
    assert_eq!(switched.status(), 303);
    assert_eq!(switched.headers()["location"], "/login");
    assert!(switched.headers()["set-cookie"].to_str().unwrap().starts_with("patron_lang=cs"));
    let chosen = client.get(app.url("/login")).header("accept-language", "en").send().await.unwrap();
    assert!(chosen.text().await.unwrap().contains("Přihlášení"), "the choice beats the browser");

    let elsewhere = client.get(app.url("/lang/cs?next=//evil.example")).send().await.unwrap();
    assert_eq!(elsewhere.headers()["location"], "/");
    assert_eq!(client.get(app.url("/lang/de")).send().await.unwrap().status(), 404);
    app.stop().await;
    database.drop_database().await;
}
