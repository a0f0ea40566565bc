//! `patron serve --demo`: on an empty database, seeds the creator from the Pickey.cz talk —
//! Gordíkey, a labrador-ridgeback with five contributors and three tiers in CZK — with posts
//! of every kind and mixed visibility, and a few demo fans with memberships.
//!
//! Everything goes through the use cases people use, so the demo is valid by the same rules
//! as their input; only the mails are left out (seeded posts are not announced, seeded
//! accounts get no confirmation mail).

use patron_app::accounts::{self, Registration};
use patron_app::creators::{self, PageAccess, PageInput};
use patron_app::posts::{self, PostDraft, PostInput, Publish};
use patron_app::{App, AppError, User};
use patron_domain::tier::TierDraft;
use patron_domain::{Id, Timestamp};
use std::time::Duration;

mod media;

/// The password of every demo account (printed at start; demo data only).
pub const PASSWORD: &str = "patron-demo";
const DAY: Duration = Duration::from_secs(24 * 3600);
const SLUG: &str = "gordikey";

/// A demo login to print.
pub struct DemoLogin {
    /// Who it is.
    pub role: &'static str,
    /// E-mail address.
    pub email: String,
}

/// Why the demo could not be seeded: a use case refused or failed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DemoError(#[from] AppError);

async fn account(app: &App, email: &str, name: &str) -> Result<User, DemoError> {
    Ok(accounts::provision(app, Registration { email, password: PASSWORD, display_name: Some(name), locale: "en" })
        .await?)
}

/// The page as `user` sees it (the team's own view, or a fan's).
async fn page_as(app: &App, user: &User) -> Result<PageAccess, DemoError> {
    Ok(creators::load(app, SLUG, Some(user)).await?)
}

/// Seeds the demo when the database has no users; returns the logins to print, or `None`
/// when the database already holds data (it is never changed then).
pub async fn seed(app: &App) -> Result<Option<Vec<DemoLogin>>, DemoError> {
    if accounts::count(app).await? > 0 {
        return Ok(None);
    }
    let mut logins = Vec::new();
    let owner = account(app, "gordikey@demo.patron.example", "Gordíkey's human").await?;
    logins.push(DemoLogin { role: "creator (owner)", email: owner.email.clone() });
    let bio = "Ahoj! I am **Gordíkey**, a labrador-ridgeback from Prague. I eat, I sleep, I go on long walks \
               and my humans post about it here. Your support buys my granules, steaks and the occasional \
               trip to the happy hunting grounds of the Šumava forest.";
    let page = PageInput { slug: SLUG.to_owned(), name: "Gordíkey".to_owned(), bio: bio.to_owned() };
    creators::create_page(app, owner.id, &page).await?;
    let owned = page_as(app, &owner).await?;

    // five contributors, as in the talk
    let mut team = vec![owner.clone()];
    for (index, name) in ["Petra", "Martin", "Jana", "Tomáš", "Eva"].iter().enumerate() {
        let member = account(app, &format!("contributor{}@demo.patron.example", index + 1), name).await?;
        patron_app::team::add_contributor(app, &owned, member.id).await?;
        if index == 0 {
            logins.push(DemoLogin { role: "contributor", email: member.email.clone() });
        }
        team.push(member);
    }
    // the revenue split among the team: the owner keeps what the five do not get (40 %)
    let owned = page_as(app, &owner).await?;
    let shares: Vec<patron_app::earnings::ShareInput> = team[1..]
        .iter()
        .zip(["20", "15", "10", "10", "5"])
        .map(|(member, percent)| patron_app::earnings::ShareInput {
            user_id: member.id.to_string(),
            percent: percent.to_owned(),
        })
        .collect();
    patron_app::earnings::set_split(app, &owned, &owner, &shares).await?;
    let tiers = seed_tiers(app, &owned).await?;
    let posts = seed_posts(app, &team, &tiers).await?;
    let fans = seed_fans(app, &owned, &tiers, &mut logins).await?;

    // a platform admin, who sees the job queue at /admin/jobs
    let admin = account(app, "admin@demo.patron.example", "Platform admin").await?;
    patron_app::admin::set_platform_admin(app, &admin.email, true).await?;
    logins.push(DemoLogin { role: "platform admin", email: admin.email });

    seed_votes_and_comments(app, &fans, &posts).await?;
    Ok(Some(logins))
}

/// The talk's three tiers, lowest first: their ids.
async fn seed_tiers(app: &App, owned: &PageAccess) -> Result<[Id; 3], DemoError> {
    let tiers = [
        (
            "Na granulkey",
            "Keeps the bowl full.",
            &["Supporters-only posts", "Your name on the thank-you wall"][..],
            5_900,
        ),
        (
            "Na steaky",
            "Friday is steak day.",
            &["Everything from Na granulkey", "Videos and early access", "Vote on the next walk"][..],
            9_900,
        ),
        (
            "Na věčná loviště",
            "For the truest friends of the pack.",
            &["Everything", "Live streams", "A paw-signed postcard each year"][..],
            19_900,
        ),
    ];
    let mut ids = [Id::new(); 3];
    for (slot, (name, description, benefits, monthly)) in ids.iter_mut().zip(tiers) {
        let draft = TierDraft {
            name: name.to_owned(),
            description: description.to_owned(),
            benefits: benefits.iter().map(|b| (*b).to_owned()).collect(),
            monthly_price: monthly,
            yearly_price: Some(monthly * 10),
            currency: "CZK".to_owned(),
            member_cap: None,
        };
        *slot = patron_app::tiers::create_tier(app, owned, draft).await?.id;
    }
    Ok(ids)
}

fn draft(kind: &str, title: &str, body: &str, visibility: &str, min_tier: Option<Id>, publish: Publish) -> PostDraft {
    PostDraft {
        kind: kind.to_owned(),
        title: title.to_owned(),
        body: body.to_owned(),
        visibility: visibility.to_owned(),
        min_tier_id: min_tier.map(|id| id.to_string()),
        public_from: None,
        publish,
        live_url: None,
        live_starts_at: None,
        live_ends_at: None,
        poll_options: Vec::new(),
        poll_multiple: false,
        poll_closes_at: None,
        poll_results: None,
    }
}

/// Posts of every kind and visibility, each by one of the team (an index into `team`).
fn demo_posts(tiers: &[Id; 3], now: Timestamp) -> Vec<(usize, PostDraft)> {
    let mut posts = text_posts(tiers, now);
    posts.extend(live_posts_and_polls(tiers, now));
    posts
}

/// The text, photo and video posts: public, for supporters, for a tier, early access,
/// scheduled and a draft.
fn text_posts(tiers: &[Id; 3], now: Timestamp) -> Vec<(usize, PostDraft)> {
    let ago = |days: u32| Publish::Dated(now.minus(DAY * days));
    let [_, steaky, loviste] = tiers.map(Some);
    vec![
        (
            0,
            draft(
                "text",
                "Vítejte! Welcome to my page",
                "This is where my humans post **everything** about me: walks, food, naps.\n\nFollow for free, or pick a tier to unlock more.",
                "public",
                None,
                ago(30),
            ),
        ),
        (
            1,
            draft(
                "text",
                "My morning routine",
                "1. Wake up at 6:00.\n2. Demand breakfast.\n3. Nap.\n\nSupporters get the full diary.",
                "supporters",
                None,
                ago(25),
            ),
        ),
        (
            2,
            draft(
                "photo",
                "Photos from the Šumava trip",
                "The best stick I ever found. Photos for supporters.",
                "supporters",
                None,
                ago(21),
            ),
        ),
        (3, draft("video", "Video: learning to swim", "Three attempts, one very wet human.", "tier", steaky, ago(18))),
        (
            4,
            draft(
                "text",
                "The secret steak recipe",
                "Medium rare. No salt. Share with the dog.",
                "tier",
                steaky,
                ago(14),
            ),
        ),
        (
            0,
            draft(
                "text",
                "Behind the scenes: the vet visit",
                "Everything went fine — and I got a treat.",
                "tier",
                loviste,
                ago(9),
            ),
        ),
        (
            5,
            PostDraft {
                public_from: Some(now.plus(DAY * 3)),
                ..draft(
                    "text",
                    "Early access: my birthday party",
                    "Steak cake! Public for everyone in three days.",
                    "tier",
                    steaky,
                    ago(2),
                )
            },
        ),
        (
            0,
            draft(
                "text",
                "Plans for next month (scheduled)",
                "A trip to the mountains.",
                "public",
                None,
                Publish::At(now.plus(DAY * 5)),
            ),
        ),
        (0, draft("text", "Draft: new tier ideas", "Maybe a Na kosti tier?", "public", None, Publish::Draft)),
    ]
}

/// A coming and a past live stream, a public poll and one for supporters.
fn live_posts_and_polls(tiers: &[Id; 3], now: Timestamp) -> Vec<(usize, PostDraft)> {
    let ago = |days: u32| Publish::Dated(now.minus(DAY * days));
    let loviste = Some(tiers[2]);
    vec![
        (
            1,
            PostDraft {
                live_url: Some("https://example.com/gordikey/live".to_owned()),
                live_starts_at: Some(now.plus(DAY * 2)),
                ..draft(
                    "live",
                    "Live: bath time",
                    "Join us for the weekly bath. Bring a towel.",
                    "public",
                    None,
                    ago(1),
                )
            },
        ),
        (
            2,
            PostDraft {
                live_url: Some("https://example.com/gordikey/walk".to_owned()),
                live_starts_at: Some(now.minus(DAY * 7)),
                live_ends_at: Some(now.minus(DAY * 7).plus(Duration::from_secs(3600))),
                ..draft(
                    "live",
                    "Live: the big forest walk (recording)",
                    "The recording stays here for our truest friends.",
                    "tier",
                    loviste,
                    ago(7),
                )
            },
        ),
        (
            3,
            PostDraft {
                poll_options: ["Stromovka", "Divoká Šárka", "Along the Vltava"].map(str::to_owned).to_vec(),
                poll_results: Some("always".to_owned()),
                poll_closes_at: Some(now.plus(DAY * 7)),
                ..draft("poll", "Where should we walk on Sunday?", "Vote and we will go!", "public", None, ago(3))
            },
        ),
        (
            4,
            PostDraft {
                poll_options: ["Duck jerky", "Carrot sticks", "Cheese cubes", "Mystery biscuit"]
                    .map(str::to_owned)
                    .to_vec(),
                poll_results: Some("after_vote".to_owned()),
                poll_multiple: true,
                ..draft(
                    "poll",
                    "Which treats should we test next?",
                    "Pick as many as you like.",
                    "supporters",
                    None,
                    ago(5),
                )
            },
        ),
    ]
}

/// The posts written: the welcome (pinned) and the polls.
struct Seeded {
    welcome: Id,
    polls: Vec<Id>,
}

/// Writes the demo posts, each by its author, and pins the welcome.
async fn seed_posts(app: &App, team: &[User], tiers: &[Id; 3]) -> Result<Seeded, DemoError> {
    let mut ids = Vec::new();
    let mut polls = Vec::new();
    for (author, draft) in demo_posts(tiers, Timestamp::now()) {
        let writer = &team[author % team.len()];
        let page = page_as(app, writer).await?;
        let is_poll = draft.kind == "poll";
        // a photo and a video carry real files, processed like a creator's
        let file = media::file_for(app, writer.id, page.creator.id, &draft.kind).await?;
        // seeded, not published by anyone: nobody is mailed about it
        let input = PostInput { draft, media: file.map(|id| vec![id]), announce: false };
        let id = posts::create(app, &page, &input).await?;
        ids.push(id);
        if is_poll {
            polls.push(id);
        }
    }
    let welcome = ids[0];
    posts::set_pinned(app, &page_as(app, &team[0]).await?, welcome, true).await?;
    Ok(Seeded { welcome, polls })
}

/// Demo fans: one member per tier and one who only follows.
async fn seed_fans(
    app: &App,
    owned: &PageAccess,
    tiers: &[Id; 3],
    logins: &mut Vec<DemoLogin>,
) -> Result<Vec<User>, DemoError> {
    let now = Timestamp::now();
    let fans = [
        ("Anna", Some(tiers[0]), "fan, tier Na granulkey"),
        ("Karel", Some(tiers[1]), "fan, tier Na steaky"),
        ("Lucie", Some(tiers[2]), "fan, tier Na věčná loviště"),
        ("Ondřej", None, "fan, following only"),
    ];
    let mut users = Vec::new();
    for (index, (name, tier_id, role)) in fans.into_iter().enumerate() {
        let fan = account(app, &format!("fan{}@demo.patron.example", index + 1), name).await?;
        match tier_id {
            Some(tier_id) if app.payments.default_provider() == Some("sandbox") => {
                pay_in_sandbox(app, &fan, tier_id).await?;
            }
            Some(tier_id) => {
                let period = (now.minus(DAY * 10), now.plus(DAY * 20));
                patron_app::memberships::grant(app, owned, fan.id, tier_id, period).await?;
            }
            None => creators::set_following(app, &page_as(app, &fan).await?, true).await?,
        }
        logins.push(DemoLogin { role, email: fan.email.clone() });
        users.push(fan);
    }
    Ok(users)
}

/// A fan joins a tier and pays in the sandbox gateway, as on the web: the payment is in the
/// books, split among the team, so the studio's Earnings are not empty.
async fn pay_in_sandbox(app: &App, fan: &User, tier_id: Id) -> Result<(), DemoError> {
    let page = page_as(app, fan).await?;
    let (_, pay_page) =
        patron_app::memberships::start_checkout(app, &page, &tier_id.to_string(), None, &Default::default()).await?;
    let payment = pay_page.rsplit('/').next().unwrap_or_default().split('?').next().unwrap_or_default();
    let answer = patron_app::payments::sandbox_answer(app, payment, true).await?;
    patron_app::memberships::settle(app, "sandbox", &answer.into_iter().collect()).await?;
    Ok(())
}

/// Some votes in the polls by the members and a few comments under the welcome.
async fn seed_votes_and_comments(app: &App, fans: &[User], posts: &Seeded) -> Result<(), DemoError> {
    for (n, fan) in fans.iter().take(3).enumerate() {
        let page = page_as(app, fan).await?;
        for poll_id in &posts.polls {
            let view = posts::one_post(app, &page, *poll_id).await?;
            let Some(poll) = view.poll else { continue };
            let choice = poll.options[n % poll.options.len()].id;
            posts::vote(app, &page, *poll_id, &[choice]).await?;
        }
    }
    for (fan, body) in fans.iter().zip(["So cute! 🐾", "Which forest was that?", "Gordíkey for president."]) {
        patron_app::comments::add(app, &page_as(app, fan).await?, posts.welcome, body, None).await?;
    }
    Ok(())
}
