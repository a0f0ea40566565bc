//! A page's earnings: the owner splits the revenue among the team, payments are divided by the
//! split in force, each member sees their part, and bad input changes nothing.

use crate::both_backends;
use crate::helpers::*;
use crate::payments::shop;
use reqwest::Method;
use serde_json::{Value, json};

/// Adds `member` to the page's team through an invitation.
pub(crate) async fn join_team(app: &TestApp, owner: &Fan, slug: &str, member: &Fan) {
    let path = format!("/api/v1/creators/{slug}/invitations");
    let (status, invitation) =
        app.call(Method::POST, &path, Some(&owner.token), Some(json!({"email": member.email}))).await;
    assert_eq!(status, 201, "{invitation}");
    let token = invitation["link"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let (status, _) =
        app.call(Method::POST, &format!("/api/v1/invitations/{token}/accept"), Some(&member.token), None).await;
    assert_eq!(status, 200);
}

fn percent_of(split: &Value, user: &Fan) -> String {
    let shares = split["shares"].as_array().unwrap();
    shares
        .iter()
        .find(|s| s["user_id"] == user.id.as_str())
        .map(|s| s["percent"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

both_backends! {
    async fn the_owner_splits_the_revenue_and_each_member_sees_their_part(backend: TestBackend) {
        let (app, _db) = spawn_app_with(backend, &[("PATRON_PAYMENT_SANDBOX", "true"), ("PATRON_PLATFORM_FEE", "10")]).await;
        let shop = shop(&app).await;
        let (jana, petr) = (app.new_user("jana").await, app.new_user("petr").await);
        join_team(&app, &shop.owner, &shop.slug, &jana).await;
        join_team(&app, &shop.owner, &shop.slug, &petr).await;
        let path = format!("/api/v1/creators/{}/shares", shop.slug);

        // before any split, everything is the owner's
        let (status, split) = app.call(Method::GET, &path, Some(&shop.owner.token), None).await;
        assert_eq!(status, 200, "{split}");
        assert_eq!((percent_of(&split, &shop.owner), percent_of(&split, &jana)), ("100".to_owned(), "0".to_owned()));
        assert!(split["since"].is_null());

        // bad input: a clear error naming the field, and nothing changes
        for (shares, why) in [
            (json!([{"user_id": jana.id, "percent": "60"}, {"user_id": petr.id, "percent": "50"}]), "more than 100"),
            (json!([{"user_id": jana.id, "percent": "thirty"}]), "percentage"),
            (json!([{"user_id": jana.id, "percent": "12.345"}]), "two decimals"),
            (json!([{"user_id": jana.id, "percent": "-5"}]), "percentage"),
            (json!([{"user_id": "01a25166-0000-7000-8000-000000000000", "percent": "10"}]), "not in the page's team"),
        ] {
            let (status, body) = app.call(Method::PUT, &path, Some(&shop.owner.token), Some(json!({"shares": shares}))).await;
            assert_eq!(status, 422, "{why}: {body}");
            assert_eq!(body["error"]["fields"][0]["field"], "shares", "{body}");
            assert!(body["error"]["message"].as_str().unwrap().contains(why), "{why}: {body}");
        }
        let (status, _) = app
            .call(Method::PUT, &path, Some(&jana.token), Some(json!({"shares": [{"user_id": jana.id, "percent": "90"}]})))
            .await;
        assert_eq!(status, 403, "only the owner sets the split");
        assert_eq!(app.count("SELECT COUNT(*) FROM revenue_splits").await, 0, "nothing changed");

        let shares = json!({"shares": [{"user_id": jana.id, "percent": "30"}, {"user_id": petr.id, "percent": "20"}]});
        let (status, split) = app.call(Method::PUT, &path, Some(&shop.owner.token), Some(shares)).await;
        assert_eq!(status, 200, "{split}");
        assert_eq!(
            (percent_of(&split, &shop.owner), percent_of(&split, &jana), percent_of(&split, &petr)),
            ("50".to_owned(), "30".to_owned(), "20".to_owned())
        );
        let audit = patron_store::audit::entries(app.state.app.db.pool(), 5).await.unwrap();
        assert_eq!(audit[0].1, "revenue.split");

        // a fan joins: 99 Kč, 10 % to the platform, the rest 50/30/20
        let fan = app.new_user("fan").await;
        let (_, pay_page) = app.checkout(&fan, &shop).await;
        app.deliver(&app.sandbox(&pay_page, "approve").await).await;
        let earnings = format!("/api/v1/creators/{}/earnings", shop.slug);
        let (status, all) = app.call(Method::GET, &earnings, Some(&shop.owner.token), None).await;
        assert_eq!(status, 200, "{all}");
        let balance_of = |body: &Value, user: &Fan| {
            body["members"].as_array().unwrap().iter().find(|m| m["user_id"] == user.id.as_str()).map(|m| m["balance"].as_i64().unwrap())
        };
        assert_eq!(
            (balance_of(&all, &shop.owner), balance_of(&all, &jana), balance_of(&all, &petr)),
            (Some(4_455), Some(2_673), Some(1_782))
        );
        // a contributor sees their own share and balance only
        let (_, mine) = app.call(Method::GET, &earnings, Some(&jana.token), None).await;
        assert_eq!(mine["members"].as_array().unwrap().len(), 1, "{mine}");
        assert_eq!(balance_of(&mine, &jana), Some(2_673));
        let (_, own_split) = app.call(Method::GET, &path, Some(&jana.token), None).await;
        assert_eq!(own_split["shares"].as_array().unwrap().len(), 1, "{own_split}");
        let (status, _) = app.call(Method::GET, &earnings, Some(&fan.token), None).await;
        assert_eq!(status, 403, "not the fan's business");

        // a platform admin gives this page its own fee; later payments use it
        let admin = app.new_user("admin").await;
        let email = patron_domain::account::Email::parse(&admin.email).unwrap();
        patron_store::users::set_platform_admin(app.state.app.db.pool(), &email, true).await.unwrap();
        let fee = format!("/api/v1/admin/creators/{}/fee", shop.slug);
        let (status, body) = app.call(Method::PUT, &fee, Some(&admin.token), Some(json!({"percent": "101"}))).await;
        assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (422, Some("percent")), "{body}");
        let (status, _) = app.call(Method::PUT, &fee, Some(&shop.owner.token), Some(json!({"percent": "0"}))).await;
        assert_eq!(status, 403, "admins only");
        let (status, body) = app.call(Method::PUT, &fee, Some(&admin.token), Some(json!({"percent": "0"}))).await;
        assert_eq!((status, body["percent"].as_str()), (200, Some("0")), "{body}");
        let another = app.new_user("fan2").await;
        let (_, pay_page) = app.checkout(&another, &shop).await;
        app.deliver(&app.sandbox(&pay_page, "approve").await).await;
        let (_, all) = app.call(Method::GET, &earnings, Some(&shop.owner.token), None).await;
        assert_eq!(balance_of(&all, &shop.owner), Some(4_455 + 4_950), "no fee on the second payment");

        // Petr leaves the team: his share falls to the owner for later payments
        let (status, _) = app
            .call(Method::DELETE, &format!("/api/v1/creators/{}/team/{}", shop.slug, petr.id), Some(&shop.owner.token), None)
            .await;
        assert_eq!(status, 204);
        let (_, split) = app.call(Method::GET, &path, Some(&shop.owner.token), None).await;
        assert_eq!(percent_of(&split, &shop.owner), "70", "{split}");
        let third = app.new_user("fan3").await;
        let (_, pay_page) = app.checkout(&third, &shop).await;
        app.deliver(&app.sandbox(&pay_page, "approve").await).await;
        let (_, all) = app.call(Method::GET, &earnings, Some(&shop.owner.token), None).await;
        assert_eq!(balance_of(&all, &shop.owner), Some(4_455 + 4_950 + 6_930));
        assert_eq!(balance_of(&all, &jana), Some(2_673 + 2_970 + 2_970));
        assert_eq!(balance_of(&all, &petr), Some(1_782 + 1_980), "what he earned stays his");
        assert_eq!(patron_store::books::unbalanced_entries(app.state.app.db.pool()).await.unwrap(), 0);
        app.stop().await;
    }
}
