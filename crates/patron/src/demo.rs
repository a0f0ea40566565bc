//! `patron serve --demo`: on an empty database, seeds the creator from the Pickey.cz talk —
//! Gordíkey, a labrador-ridgeback with five contributors and three tiers in CZK — with posts
//! of every kind and mixed visibility, and a few demo fans with memberships.

use patron_domain::membership::MembershipStatus;
use patron_domain::post::{PostKind, Visibility};
use patron_domain::{DisplayName, Email, Id, Password, PasswordHash, Timestamp};
use patron_store::posts::{PollResults, PostFields};
use patron_store::{Db, StoreError};
use std::time::Duration;

/// The password of every demo account (printed at start; demo data only).
pub const PASSWORD: &str = "patron-demo";
const DAY: Duration = Duration::from_secs(24 * 3600);

/// A demo login to print.
pub struct DemoLogin {
    /// Who it is.
    pub role: &'static str,
    /// E-mail address.
    pub email: String,
}

/// Why the demo could not be seeded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Seeding hit data it did not expect.
    #[error("{0}")]
    Unexpected(String),
}

async fn user(db: &Db, email: &str, name: &str, hash: &PasswordHash) -> Result<Id, DemoError> {
    let email = Email::parse(email).map_err(|e| DemoError::Unexpected(e.to_string()))?;
    let name = DisplayName::parse(name).map_err(|e| DemoError::Unexpected(e.to_string()))?;
    match patron_store::users::insert(db.pool(), &email, &name, hash).await {
        Ok(user) => Ok(user.id),
        Err(error) => Err(DemoError::Unexpected(format!("creating {email}: {error}"))),
    }
}

fn text_post(
    title: &str,
    body: &str,
    visibility: Visibility,
    min_tier: Option<Id>,
    published_at: Option<Timestamp>,
) -> PostFields {
    PostFields {
        kind: PostKind::Text,
        title: title.to_owned(),
        body: body.to_owned(),
        body_html: patron_domain::markdown::render(body),
        visibility,
        min_tier_id: min_tier,
        public_from: None,
        published_at,
        live_url: None,
        live_starts_at: None,
        live_ends_at: None,
        poll_multiple: false,
        poll_closes_at: None,
        poll_results: None,
    }
}

/// Seeds the demo when the database has no users; returns the logins to print, or `None`
/// when the database already holds data (it is never changed then).
pub async fn seed(db: &Db) -> Result<Option<Vec<DemoLogin>>, DemoError> {
    if patron_store::users::count(db.pool()).await? > 0 {
        return Ok(None);
    }
    let password = Password::parse(PASSWORD).map_err(|e| DemoError::Unexpected(e.to_string()))?;
    let hash = tokio::task::spawn_blocking(move || PasswordHash::hash(&password))
        .await
        .map_err(|e| DemoError::Unexpected(e.to_string()))?;
    let mut logins = Vec::new();

    let owner = user(db, "gordikey@demo.patron.example", "Gordíkey's human", &hash).await?;
    logins.push(DemoLogin { role: "creator (owner)", email: "gordikey@demo.patron.example".into() });
    let bio = "Ahoj! I am **Gordíkey**, a labrador-ridgeback from Prague. I eat, I sleep, I go on long walks \
               and my humans post about it here. Your support buys my granules, steaks and the occasional \
               trip to the happy hunting grounds of the Šumava forest.";
    let mut transaction = db.begin_write().await?;
    let creator = patron_store::creators::insert(&mut transaction, owner, "gordikey", "Gordíkey", bio)
        .await
        .map_err(|e| DemoError::Unexpected(e.to_string()))?;
    transaction.commit().await?;

    // five contributors, as in the talk
    let mut team = Vec::new();
    for (index, name) in ["Petra", "Martin", "Jana", "Tomáš", "Eva"].iter().enumerate() {
        let email = format!("contributor{}@demo.patron.example", index + 1);
        let member = user(db, &email, name, &hash).await?;
        patron_store::creators::add_contributor(db.pool(), creator.id, member).await?;
        team.push(member);
        if index == 0 {
            logins.push(DemoLogin { role: "contributor", email });
        }
    }

    let tier =
        |name: &str, description: &str, benefits: &[&str], monthly: i64, yearly: i64| patron_store::tiers::TierFields {
            name: name.to_owned(),
            description: description.to_owned(),
            benefits: benefits.iter().map(|b| (*b).to_owned()).collect(),
            monthly_price: monthly,
            yearly_price: Some(yearly),
            currency: "CZK".to_owned(),
            member_cap: None,
        };
    let granulky = patron_store::tiers::insert(
        db.pool(),
        creator.id,
        &tier(
            "Na granulkey",
            "Keeps the bowl full.",
            &["Supporters-only posts", "Your name on the thank-you wall"],
            5_900,
            59_000,
        ),
    )
    .await?;
    let steaky = patron_store::tiers::insert(
        db.pool(),
        creator.id,
        &tier(
            "Na steaky",
            "Friday is steak day.",
            &["Everything from Na granulkey", "Videos and early access", "Vote on the next walk"],
            9_900,
            99_000,
        ),
    )
    .await?;
    let loviste = patron_store::tiers::insert(
        db.pool(),
        creator.id,
        &tier(
            "Na věčná loviště",
            "For the truest friends of the pack.",
            &["Everything", "Live streams", "A paw-signed postcard each year"],
            19_900,
            199_000,
        ),
    )
    .await?;

    let now = Timestamp::now();
    let ago = |days: u64| Some(now.minus(DAY * u32::try_from(days).unwrap_or(0)));
    let author = |n: usize| team.get(n).copied().unwrap_or(owner);
    let mut posts: Vec<(Id, PostFields)> = vec![
        (
            owner,
            text_post(
                "Vítejte! Welcome to my page",
                "This is where my humans post **everything** about me: walks, food, naps.\n\nFollow for free, or pick a tier to unlock more.",
                Visibility::Public,
                None,
                ago(30),
            ),
        ),
        (
            author(0),
            text_post(
                "My morning routine",
                "1. Wake up at 6:00.\n2. Demand breakfast.\n3. Nap.\n\nSupporters get the full diary.",
                Visibility::Supporters,
                None,
                ago(25),
            ),
        ),
        (
            author(1),
            PostFields {
                kind: PostKind::Photo,
                ..text_post(
                    "Photos from the Šumava trip",
                    "The best stick I ever found. Photos for supporters.",
                    Visibility::Supporters,
                    None,
                    ago(21),
                )
            },
        ),
        (
            author(2),
            PostFields {
                kind: PostKind::Video,
                ..text_post(
                    "Video: learning to swim",
                    "Three attempts, one very wet human.",
                    Visibility::Tier,
                    Some(steaky),
                    ago(18),
                )
            },
        ),
        (
            author(3),
            text_post(
                "The secret steak recipe",
                "Medium rare. No salt. Share with the dog.",
                Visibility::Tier,
                Some(steaky),
                ago(14),
            ),
        ),
        (
            owner,
            text_post(
                "Behind the scenes: the vet visit",
                "Everything went fine — and I got a treat.",
                Visibility::Tier,
                Some(loviste),
                ago(9),
            ),
        ),
        (
            author(4),
            PostFields {
                public_from: Some(now.plus(DAY * 3)),
                ..text_post(
                    "Early access: my birthday party",
                    "Steak cake! Public for everyone in three days.",
                    Visibility::Tier,
                    Some(steaky),
                    ago(2),
                )
            },
        ),
        (
            owner,
            text_post(
                "Plans for next month (scheduled)",
                "A trip to the mountains.",
                Visibility::Public,
                None,
                Some(now.plus(DAY * 5)),
            ),
        ),
        (owner, text_post("Draft: new tier ideas", "Maybe a Na kosti tier?", Visibility::Public, None, None)),
        (
            author(0),
            PostFields {
                kind: PostKind::Live,
                live_url: Some("https://example.com/gordikey/live".to_owned()),
                live_starts_at: Some(now.plus(DAY * 2)),
                ..text_post(
                    "Live: bath time",
                    "Join us for the weekly bath. Bring a towel.",
                    Visibility::Public,
                    None,
                    ago(1),
                )
            },
        ),
        (
            author(1),
            PostFields {
                kind: PostKind::Live,
                live_url: Some("https://example.com/gordikey/walk".to_owned()),
                live_starts_at: ago(7),
                live_ends_at: Some(now.minus(DAY * 7).plus(Duration::from_secs(3600))),
                ..text_post(
                    "Live: the big forest walk (recording)",
                    "The recording stays here for our truest friends.",
                    Visibility::Tier,
                    Some(loviste),
                    ago(7),
                )
            },
        ),
    ];
    let poll_public = PostFields {
        kind: PostKind::Poll,
        poll_results: Some(PollResults::Always),
        poll_closes_at: Some(now.plus(DAY * 7)),
        ..text_post("Where should we walk on Sunday?", "Vote and we will go!", Visibility::Public, None, ago(3))
    };
    let poll_members = PostFields {
        kind: PostKind::Poll,
        poll_results: Some(PollResults::AfterVote),
        poll_multiple: true,
        ..text_post(
            "Which treats should we test next?",
            "Pick as many as you like.",
            Visibility::Supporters,
            None,
            ago(5),
        )
    };
    posts.push((author(2), poll_public));
    posts.push((author(3), poll_members));

    let mut ids = Vec::new();
    for (author, fields) in &posts {
        let id = patron_store::posts::insert(db.pool(), creator.id, *author, fields).await?;
        ids.push((id, fields.kind, fields.title.clone()));
    }
    let welcome = ids[0].0;
    patron_store::posts::set_pinned(db.pool(), creator.id, welcome, true).await?;

    // demo fans: one per tier and one who only follows
    let mut fans = Vec::new();
    for (index, (name, tier_id)) in
        [("Anna", Some(granulky)), ("Karel", Some(steaky)), ("Lucie", Some(loviste)), ("Ondřej", None)]
            .into_iter()
            .enumerate()
    {
        let email = format!("fan{}@demo.patron.example", index + 1);
        let fan = user(db, &email, name, &hash).await?;
        let mut transaction = db.begin_write().await?;
        match tier_id {
            Some(tier_id) => {
                let price = match index {
                    0 => 5_900,
                    1 => 9_900,
                    _ => 19_900,
                };
                let membership = patron_store::memberships::NewMembership {
                    user_id: fan,
                    creator_id: creator.id,
                    tier_id,
                    status: MembershipStatus::Active,
                    price,
                    currency: "CZK".to_owned(),
                    billing_interval: "month",
                    period: Some((now.minus(DAY * 10), now.plus(DAY * 20))),
                    grace_until: None,
                };
                let membership_id = patron_store::memberships::insert(&mut transaction, &membership)
                    .await
                    .map_err(|e| DemoError::Unexpected(e.to_string()))?;
                // the ledger the dashboard's revenue comes from
                if let Some(billing) = patron_store::payments::billing(&mut *transaction, membership_id).await? {
                    let monthly = billing.interval.monthly(billing.price);
                    patron_store::payments::record_event(
                        &mut transaction,
                        &billing,
                        "created",
                        monthly,
                        None,
                        now.minus(DAY * 10),
                    )
                    .await?;
                }
            }
            None => {
                patron_store::follows::follow(&mut transaction, fan, creator.id).await?;
            }
        }
        transaction.commit().await?;
        fans.push(fan);
        let role = match index {
            0 => "fan, tier Na granulkey",
            1 => "fan, tier Na steaky",
            2 => "fan, tier Na věčná loviště",
            _ => "fan, following only",
        };
        logins.push(DemoLogin { role, email });
    }

    // a platform admin, who sees the job queue at /admin/jobs
    let admin_email = "admin@demo.patron.example";
    user(db, admin_email, "Platform admin", &hash).await?;
    let parsed = Email::parse(admin_email).map_err(|e| DemoError::Unexpected(e.to_string()))?;
    patron_store::users::set_platform_admin(db.pool(), &parsed, true).await?;
    logins.push(DemoLogin { role: "platform admin", email: admin_email.to_owned() });

    // poll options, some votes and a few comments
    for (post_id, kind, title) in &ids {
        if *kind != PostKind::Poll {
            continue;
        }
        let labels: Vec<String> = if title.starts_with("Where") {
            vec!["Stromovka".into(), "Divoká Šárka".into(), "Along the Vltava".into()]
        } else {
            vec!["Duck jerky".into(), "Carrot sticks".into(), "Cheese cubes".into(), "Mystery biscuit".into()]
        };
        let mut transaction = db.begin_write().await?;
        patron_store::polls::set_options(&mut transaction, *post_id, &labels).await?;
        transaction.commit().await?;
        let options = patron_store::polls::options_for(db.pool(), &[*post_id]).await?;
        for (n, fan) in fans.iter().take(3).enumerate() {
            let choice = options[n % options.len()].id;
            let mut transaction = db.begin_write().await?;
            patron_store::polls::vote(&mut transaction, *post_id, *fan, &[choice]).await?;
            transaction.commit().await?;
        }
    }
    for (fan, body) in fans.iter().zip(["So cute! 🐾", "Which forest was that?", "Gordíkey for president."]) {
        let mut transaction = db.begin_write().await?;
        patron_store::comments::insert(&mut transaction, welcome, *fan, None, body).await?;
        transaction.commit().await?;
    }
    Ok(Some(logins))
}
