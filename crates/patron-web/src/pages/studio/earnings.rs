//! The studio's earnings: how the page's revenue is split among its team (the owner sets the
//! shares) and what the platform owes each member.

use super::{error_text, role_key, team_page};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::PageForm;
use crate::pages::{Layout, Page, page_error, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use patron_app::creators::PageAccess;
use patron_app::earnings::{self, ShareInput};
use patron_domain::creator::TeamRole;
use std::collections::BTreeMap;

struct ShareRow {
    user_id: String,
    name: String,
    role: &'static str,
    percent: String,
    is_owner_row: bool,
}

struct BalanceRow {
    name: String,
    amount: String,
    available: String,
    pending: String,
    paid_out: String,
}

#[derive(Template)]
#[template(path = "studio_earnings.html")]
struct EarningsPage {
    layout: Layout,
    slug: String,
    name: String,
    is_owner: bool,
    shares: Vec<ShareRow>,
    since: Option<String>,
    balances: Vec<BalanceRow>,
    notice: Option<String>,
    error: Option<String>,
    this_month: String,
}

impl EarningsPage {
    fn role_key(&self, role: &str) -> &'static str {
        role_key(role)
    }
}

async fn earnings_view(
    state: &AppState,
    page: Page,
    access: &PageAccess,
    notice: Option<String>,
    error: Option<(String, BTreeMap<String, String>)>,
    status: StatusCode,
) -> Response {
    let split = match earnings::split(&state.app, access).await {
        Ok(split) => split,
        Err(error) => return page_error(error),
    };
    let owed = match earnings::earnings(&state.app, access).await {
        Ok(rows) => rows,
        Err(error) => return page_error(error),
    };
    let (error, typed) = match error {
        Some((message, typed)) => (Some(message), typed),
        None => (None, BTreeMap::new()),
    };
    let shares = split
        .shares
        .into_iter()
        .map(|s| {
            let user_id = s.user_id.to_string();
            ShareRow {
                percent: typed.get(&format!("share_{user_id}")).cloned().unwrap_or_else(|| s.percent.to_text()),
                is_owner_row: s.role == TeamRole::Owner,
                role: s.role.as_str(),
                name: s.display_name,
                user_id,
            }
        })
        .collect();
    let balances = owed
        .into_iter()
        .map(|m| BalanceRow {
            name: m.display_name,
            amount: crate::i18n::money(m.balance, &m.currency),
            available: crate::i18n::money(m.available, &m.currency),
            pending: crate::i18n::money(m.pending, &m.currency),
            paid_out: crate::i18n::money(m.paid_out, &m.currency),
        })
        .collect();
    let view = EarningsPage {
        slug: access.creator.slug.clone(),
        name: access.creator.name.clone(),
        is_owner: access.relation.team_role == Some(TeamRole::Owner),
        shares,
        since: split.since.map(|t| t.to_rfc3339().chars().take(10).collect()),
        balances,
        notice,
        error,
        this_month: patron_domain::Timestamp::now().to_rfc3339().chars().take(7).collect(),
        layout: page.layout,
    };
    render(status, &view)
}

pub(super) async fn earnings_page(State(state): State<AppState>, page: Page, Path(slug): Path<String>) -> Response {
    let access = match team_page(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    earnings_view(&state, page, &access, None, None, StatusCode::OK).await
}

/// The shares form: one `share_{user id}` field per contributor (the owner's share is what
/// is left).
pub(super) async fn set_shares(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<BTreeMap<String, String>>,
) -> Response {
    let access = match team_page(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    let Some(user) = page.user.0.clone() else { return super::login_first(&format!("/studio/{slug}/earnings")) };
    let input: Vec<ShareInput> = form
        .iter()
        .filter_map(|(key, value)| {
            key.strip_prefix("share_").map(|id| ShareInput { user_id: id.to_owned(), percent: value.clone() })
        })
        .collect();
    let lang = page.lang();
    match earnings::set_split(&state.app, &access, &user.user, &input).await {
        Ok(_) => {
            earnings_view(&state, page, &access, Some(lang.t("earnings.saved").to_owned()), None, StatusCode::OK).await
        }
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status();
            earnings_view(&state, page, &access, None, Some((error_text(&error), form)), status).await
        }
    }
}
