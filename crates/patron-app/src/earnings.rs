//! A page's earnings: how its revenue is divided among the team (the owner sets each member's
//! share; what is not given to others is the owner's), and what the platform owes each member,
//! read from the books. Contributors see their own share and balance; the owner sees all.

use crate::creators::PageAccess;
use crate::{App, AppError, User};
use patron_domain::creator::TeamRole;
use patron_domain::split::{Percent, Shares};
use patron_domain::{Id, Timestamp, ValidationError};
use patron_store::creators::TeamMember;

/// One member's share of the page's revenue.
#[derive(Debug, Clone)]
pub struct Share {
    /// The member.
    pub user_id: Id,
    /// Their name.
    pub display_name: String,
    /// Owner or contributor.
    pub role: TeamRole,
    /// Their share (zero for a member without one).
    pub percent: Percent,
}

/// The split in force, and since when (`None`: never set, everything to the owner).
#[derive(Debug, Clone)]
pub struct Split {
    /// Every member the viewer may see, owner first.
    pub shares: Vec<Share>,
    /// When the owner last set it.
    pub since: Option<Timestamp>,
}

/// What the owner gives one member.
#[derive(Debug, Clone)]
pub struct ShareInput {
    /// The member's user id.
    pub user_id: String,
    /// A percentage as typed (`30`, `12.5`).
    pub percent: String,
}

/// What the platform owes one member, in one currency.
#[derive(Debug, Clone)]
pub struct MemberEarnings {
    /// The member.
    pub user_id: Id,
    /// Their name.
    pub display_name: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Earned and not yet paid out, in minor units.
    pub balance: i64,
    /// The part of it the next payout may take (the hold, `PATRON_PAYOUT_HOLD`, has passed).
    pub available: i64,
    /// The part still held back.
    pub pending: i64,
    /// Paid out so far (including payouts on their way).
    pub paid_out: i64,
}

fn owner_of(team: &[TeamMember]) -> Result<Id, AppError> {
    team.iter()
        .find(|m| m.role == TeamRole::Owner)
        .map(|m| m.user_id)
        .ok_or_else(|| AppError::internal("a page without an owner"))
}

/// The page's split as the viewer may see it.
pub async fn split(app: &App, access: &PageAccess) -> Result<Split, AppError> {
    let role = access.require_team()?;
    let me = access.require_user()?;
    let team = patron_store::creators::team(app.db.pool(), access.creator.id).await?;
    let owner = owner_of(&team)?;
    let mut connection = app.db.pool().acquire().await.map_err(patron_store::StoreError::from)?;
    let (parts, since) = patron_store::books::current_split(&mut connection, access.creator.id).await?;
    drop(connection);
    // as payments are split: a member who left the team is no longer paid
    let members: Vec<(Id, Percent)> = parts
        .into_iter()
        .filter(|(user, _)| team.iter().any(|m| m.user_id == *user))
        .filter_map(|(user, points)| Percent::from_basis_points(points).map(|p| (user, p)))
        .collect();
    let shares = Shares::with_rest_to(owner, members).map_err(|e| AppError::internal(e.message))?;
    let percent_of = |user: Id| shares.parts().iter().find(|(u, _)| *u == user).map_or(Percent::ZERO, |(_, p)| *p);
    let shares = team
        .into_iter()
        .filter(|m| role == TeamRole::Owner || m.user_id == me)
        .map(|m| Share {
            percent: percent_of(m.user_id),
            user_id: m.user_id,
            display_name: m.display_name,
            role: m.role,
        })
        .collect();
    Ok(Split { shares, since })
}

/// Sets each team member's share (owner only), in force for payments from now on; the owner
/// gets what is not given to others. Shares over 100 %, a share that is not a percentage, or a
/// user outside the team are refused, naming the field, and nothing changes. Audit-logged.
pub async fn set_split(app: &App, access: &PageAccess, user: &User, input: &[ShareInput]) -> Result<Split, AppError> {
    access.require_owner()?;
    let team = patron_store::creators::team(app.db.pool(), access.creator.id).await?;
    let owner = owner_of(&team)?;
    let mut problems = Vec::new();
    let mut given = Vec::with_capacity(input.len());
    for share in input {
        let member = share.user_id.parse::<Id>().ok().filter(|id| team.iter().any(|m| m.user_id == *id));
        let Some(member) = member else {
            problems.push(ValidationError::new("shares", format!("{:?} is not in the page's team", share.user_id)));
            continue;
        };
        if share.percent.trim().is_empty() {
            continue;
        }
        match Percent::parse("shares", &share.percent) {
            Ok(percent) => given.push((member, percent)),
            Err(error) => problems.push(error),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Invalid(problems));
    }
    let shares = Shares::with_rest_to(owner, given).map_err(|e| AppError::Invalid(vec![e]))?;
    let parts: Vec<(Id, u32)> = shares.parts().iter().map(|(u, p)| (*u, p.basis_points())).collect();
    let summary = shares
        .parts()
        .iter()
        .map(|(u, p)| {
            let name = team.iter().find(|m| m.user_id == *u).map_or("?", |m| m.display_name.as_str());
            format!("{name} {p}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut transaction = app.db.begin_write().await?;
    patron_store::books::set_split(&mut transaction, access.creator.id, user.id, &parts).await?;
    patron_store::audit::record(
        &mut *transaction,
        Some(user.id),
        "revenue.split",
        &format!("creator:{}", access.creator.id),
        &summary,
    )
    .await?;
    transaction.commit().await?;
    split(app, access).await
}

/// What the platform owes the team (the owner sees everyone, a contributor themself).
pub async fn earnings(app: &App, access: &PageAccess) -> Result<Vec<MemberEarnings>, AppError> {
    let role = access.require_team()?;
    let me = access.require_user()?;
    let team = patron_store::creators::team(app.db.pool(), access.creator.id).await?;
    let prefix = format!("payee:{}:", access.creator.id);
    let hold_until = Timestamp::now().minus(app.settings.payouts.hold);
    let balances = patron_store::payouts::payee_balances(app.db.pool(), &prefix, hold_until).await?;
    let mut rows = Vec::new();
    for balance in balances {
        let user = balance.user_id;
        if role != TeamRole::Owner && user != me {
            continue;
        }
        let display_name = team.iter().find(|m| m.user_id == user).map(|m| m.display_name.clone()).unwrap_or_default();
        let available = balance.available.max(0);
        rows.push(MemberEarnings {
            user_id: user,
            display_name,
            currency: balance.currency,
            balance: balance.owed,
            available,
            pending: balance.owed - available,
            paid_out: balance.paid_out,
        });
    }
    Ok(rows)
}

/// A platform admin sets one page's fee (`None`: the platform's default). Audit-logged.
pub async fn set_fee(app: &App, admin: &User, slug: &str, percent: Option<&str>) -> Result<Percent, AppError> {
    crate::admin::require_admin(admin)?;
    let creator =
        patron_store::creators::find_by_slug(app.db.pool(), slug).await?.ok_or_else(AppError::nothing_here)?;
    let percent = percent
        .filter(|p| !p.trim().is_empty())
        .map(|p| Percent::parse("percent", p))
        .transpose()
        .map_err(|e| AppError::Invalid(vec![e]))?;
    let mut transaction = app.db.begin_write().await?;
    patron_store::books::set_creator_fee(&mut *transaction, creator.id, percent.map(Percent::basis_points)).await?;
    let what = percent.map_or_else(|| "platform default".to_owned(), |p| p.to_string());
    patron_store::audit::record(
        &mut *transaction,
        Some(admin.id),
        "creator.fee",
        &format!("creator:{}", creator.id),
        &what,
    )
    .await?;
    transaction.commit().await?;
    Ok(percent.unwrap_or(app.settings.platform_fee))
}

/// One line of a page's monthly statement.
#[derive(Debug, Clone)]
pub struct StatementRow {
    /// When it was posted.
    pub at: Timestamp,
    /// `payment`, `refund`, `dispute_opened`, `dispute_lost`, `payout`, `payout_failed`…
    pub kind: String,
    /// The payment it is about.
    pub payment_id: Option<Id>,
    /// The team member.
    pub display_name: String,
    /// ISO 4217 code.
    pub currency: String,
    /// The payment in all (payment lines).
    pub gross: i64,
    /// The platform's fee on it (payment lines).
    pub fee: i64,
    /// The member's part: positive earned, negative taken back or paid out.
    pub amount: i64,
}

/// The first moment of a month written `2026-11`, and of the month after, in UTC.
fn month_bounds(month: &str) -> Result<(Timestamp, Timestamp), AppError> {
    let wrong = || AppError::invalid("month", "is a month written as YYYY-MM, e.g. 2026-11");
    let (year, number) = month.trim().split_once('-').ok_or_else(wrong)?;
    let year: i32 = year.parse().ok().filter(|y| (2000..=9998).contains(y)).ok_or_else(wrong)?;
    let number: u8 = number.parse().map_err(|_| wrong())?;
    let first = |year: i32, number: u8| -> Result<Timestamp, AppError> {
        let month = time::Month::try_from(number).map_err(|_| wrong())?;
        let date = time::Date::from_calendar_date(year, month, 1).map_err(|_| wrong())?;
        Ok(Timestamp::from_offset_datetime(date.midnight().assume_utc()))
    };
    let (next_year, next) = if number == 12 { (year + 1, 1) } else { (year, number + 1) };
    Ok((first(year, number)?, first(next_year, next)?))
}

/// A page's statement for one month (`2026-11`): every payment's part of each member, what was
/// taken back and what was paid out. The owner sees everyone, a contributor themself.
pub async fn statement(app: &App, access: &PageAccess, month: &str) -> Result<Vec<StatementRow>, AppError> {
    let role = access.require_team()?;
    let me = access.require_user()?;
    let (from, until) = month_bounds(month)?;
    let team = patron_store::creators::team(app.db.pool(), access.creator.id).await?;
    let lines = patron_store::books::page_statement(app.db.pool(), access.creator.id, from, until).await?;
    Ok(lines
        .into_iter()
        .filter(|line| role == TeamRole::Owner || line.user_id == me)
        .map(|line| StatementRow {
            display_name: team
                .iter()
                .find(|m| m.user_id == line.user_id)
                .map_or_else(|| line.user_id.to_string(), |m| m.display_name.clone()),
            at: line.at,
            kind: line.kind,
            payment_id: line.payment_id,
            currency: line.currency,
            gross: line.gross,
            fee: line.fee,
            amount: line.amount,
        })
        .collect())
}
