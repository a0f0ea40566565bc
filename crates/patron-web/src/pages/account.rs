//! Register, log in, log out, and the account page.

use super::{Layout, Page, page_error, render};
use crate::AppState;
use crate::auth::{MaybeUser, clear_session_cookie, session_cookie};
use crate::client_ip::ClientIp;
use crate::error::ApiError;
use crate::extract::PageForm;
use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use patron_app::accounts::{self, Registration};
use patron_app::sessions::{self, SessionKind};
use patron_domain::Timestamp;
use serde::Deserialize;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/register", get(register_form).post(register_submit))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
        .route("/logout-everywhere", post(logout_everywhere))
        .route("/account", get(account))
        .route("/account/feeds", post(create_feed))
        .route("/account/feeds/{feed_id}/revoke", post(revoke_feed))
        .route("/unsubscribe/{token}", get(unsubscribe_page).post(unsubscribe_submit))
        .route("/account/email-preferences", post(save_email_preferences))
        .route("/account/memberships/{id}/cancel", post(cancel_membership))
        .route("/account/memberships/{id}/resume", post(resume_membership))
}

/// A same-site path to go to after logging in; anything else becomes `/account`, so the
/// form cannot be used to redirect people to another site.
pub(super) fn safe_next(next: Option<&str>, default: &str) -> String {
    match next {
        // Visible ASCII only: browsers drop tabs and newlines, so "/\t/evil.example" would
        // become "//evil.example", another site.
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && path.len() <= 2048
                && path.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'\\') =>
        {
            path.to_owned()
        }
        _ => default.to_owned(),
    }
}

fn redirect_with_cookie(to: &str, cookie: HeaderValue) -> Response {
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(|ua| ua.chars().take(200).collect())
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    layout: Layout,
    error: Option<String>,
    email: String,
    display_name: String,
    email_error: Option<String>,
    display_name_error: Option<String>,
    password_error: Option<String>,
    /// Where to go once the account exists (the checkout a visitor started, …).
    next: String,
    /// Why the page is shown, when the visitor came from something that needs an account.
    reason: Option<&'static str>,
}

/// Why a log-in or sign-up is asked for on the way to `next`: joining a tier, or an action
/// on a page (following, voting, commenting); nothing for the account's own pages.
fn reason_for(next: &str) -> Option<&'static str> {
    let path = next.split('?').next().unwrap_or_default();
    if path.ends_with("/join") {
        Some("login.why_join")
    } else if path == "/" || path.starts_with("/account") || path.starts_with("/admin") || path.starts_with("/studio") {
        None
    } else {
        Some("login.why_next")
    }
}

/// `next` as a query parameter, for the links between the log-in and sign-up pages.
fn next_query(next: &str) -> String {
    format!("?next={}", crate::html::encode_component(next))
}

impl RegisterPage {
    fn empty(layout: Layout, next: String) -> Self {
        Self {
            reason: reason_for(&next),
            next,
            layout,
            error: None,
            email: String::new(),
            display_name: String::new(),
            email_error: None,
            display_name_error: None,
            password_error: None,
        }
    }
}

async fn register_form(page: Page, Query(query): Query<NextQuery>) -> Response {
    let next = safe_next(query.next.as_deref(), "/account");
    if page.user.0.is_some() {
        return Redirect::to(&next).into_response();
    }
    render(StatusCode::OK, &RegisterPage::empty(page.layout, next))
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    next: Option<String>,
}

async fn register_submit(
    State(state): State<AppState>,
    page: Page,
    client_ip: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    PageForm(form): PageForm<RegisterForm>,
) -> Response {
    let registration = Registration {
        email: &form.email,
        password: &form.password,
        display_name: Some(form.display_name.as_str()),
        locale: page.lang().code(),
    };
    let ip = client_ip.map(|e| e.0.0);
    let error = match accounts::register(&state.app, registration, ip).await {
        Ok(new_user) => {
            return match sessions::open(&state.app, &new_user, SessionKind::Cookie, user_agent(&headers).as_deref(), ip)
                .await
            {
                Ok((token, _)) => {
                    let next = safe_next(form.next.as_deref(), "/account");
                    redirect_with_cookie(&next, session_cookie(&state, &token))
                }
                Err(error) => super::page_error(error),
            };
        }
        Err(error) => ApiError::from(error),
    };
    let lang = page.lang();
    let mut form_page = RegisterPage::empty(page.layout, safe_next(form.next.as_deref(), "/account"));
    form_page.email = form.email.trim().to_owned();
    form_page.display_name = form.display_name.trim().to_owned();
    for field in error.fields() {
        let message = Some(field.message.clone());
        match field.field {
            "email" => form_page.email_error = message,
            "password" => form_page.password_error = message,
            "display_name" => form_page.display_name_error = message,
            _ => {}
        }
    }
    form_page.error = Some(if error.fields().is_empty() {
        error.message().to_owned()
    } else {
        lang.t("register.fix_fields").to_owned()
    });
    let mut response = render(error.status(), &form_page);
    error.retry_after_header(&mut response);
    response
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    notice: Option<&'static str>,
    error: Option<String>,
    email: String,
    next: String,
    reason: Option<&'static str>,
}

impl LoginPage {
    /// `?next=…` for the link to the sign-up page, so a new account comes back here too.
    fn next_query(&self) -> String {
        next_query(&self.next)
    }
}

impl RegisterPage {
    /// `?next=…` for the link to the log-in page.
    fn next_query(&self) -> String {
        next_query(&self.next)
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    logged_out: Option<String>,
    erased: Option<String>,
}

async fn login_form(page: Page, Query(query): Query<LoginQuery>) -> Response {
    let next = safe_next(query.next.as_deref(), "/account");
    if page.user.0.is_some() {
        return Redirect::to(&next).into_response();
    }
    let notice = match (query.logged_out.as_deref(), query.erased.is_some()) {
        (_, true) => Some("login.erased"),
        (Some("all"), _) => Some("login.logged_out_all"),
        (Some(_), _) => Some("login.logged_out"),
        (None, _) => None,
    };
    let reason = reason_for(&next);
    render(StatusCode::OK, &LoginPage { layout: page.layout, notice, error: None, email: String::new(), next, reason })
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    page: Page,
    client_ip: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref(), "/account");
    let ip = client_ip.map(|e| e.0.0);
    let error = match accounts::log_in(&state.app, &form.email, &form.password, ip).await {
        Ok(logged_in) => {
            // a fresh session id at every log-in defeats session fixation
            if let Some(old) = &page.user.0 {
                let _ = sessions::end(&state.app, &old.session).await;
            }
            return match sessions::open(
                &state.app,
                &logged_in,
                SessionKind::Cookie,
                user_agent(&headers).as_deref(),
                ip,
            )
            .await
            {
                Ok((token, _)) => redirect_with_cookie(&next, session_cookie(&state, &token)),
                Err(error) => super::page_error(error),
            };
        }
        Err(error) => ApiError::from(error),
    };
    let form_page = LoginPage {
        reason: reason_for(&next),
        layout: page.layout,
        notice: None,
        error: Some(error.message().to_owned()),
        email: form.email.trim().to_owned(),
        next,
    };
    let mut response = render(error.status(), &form_page);
    error.retry_after_header(&mut response);
    response
}

async fn logout(State(state): State<AppState>, user: MaybeUser) -> Response {
    if let Some(current) = &user.0
        && let Err(error) = sessions::end(&state.app, &current.session).await
    {
        return super::page_error(error);
    }
    redirect_with_cookie("/login?logged_out=1", clear_session_cookie(&state))
}

async fn logout_everywhere(State(state): State<AppState>, user: MaybeUser) -> Response {
    if let Some(current) = &user.0 {
        match sessions::end_all(&state.app, current.user.id).await {
            Ok(ended) => tracing::info!(user_id = %current.user.id, ended, "logged out everywhere"),
            Err(error) => return super::page_error(error),
        }
    }
    redirect_with_cookie("/login?logged_out=all", clear_session_cookie(&state))
}

struct SessionRow {
    label: String,
    user_agent: String,
    ip: String,
    last_seen: String,
    current: bool,
}

struct FeedRow {
    id: String,
    what: String,
    created: String,
}

struct AccountView {
    display_name: String,
    email: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    user: AccountView,
    email_verified: bool,
    member_since: String,
    sessions: Vec<SessionRow>,
    feeds: Vec<FeedRow>,
    new_feed_url: Option<String>,
    email_preferences: Vec<PreferenceRow>,
    preferences_saved: bool,
    memberships: Vec<MembershipRow>,
    payments: Vec<PaymentRow>,
}

struct MembershipRow {
    id: String,
    creator: String,
    slug: String,
    tier: String,
    status: &'static str,
    price: String,
    until: String,
    /// What the next renewal charges.
    next_amount: String,
    cancel_at_period_end: bool,
    live: bool,
    /// A renewal charge failed: the fan can pay it now.
    past_due: bool,
    /// The card renewals charge: `visa •••• 4242, 03/2027`.
    card: Option<String>,
    /// Whether the fan can change the card here (Stripe keeps cards patron can swap).
    card_changeable: bool,
}

struct PaymentRow {
    date: String,
    creator: String,
    amount: String,
    status: String,
    reference: String,
}

struct PreferenceRow {
    category: &'static str,
    label_key: String,
    enabled: bool,
}

/// "Firefox on Windows" from a user-agent string: enough to recognise one's own devices.
fn describe_device(user_agent: &str) -> String {
    let has = |needle: &str| user_agent.contains(needle);
    let browser = if has("Edg/") {
        "Edge"
    } else if has("OPR/") {
        "Opera"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("Chromium/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else if let Some((tool, _)) = user_agent.split_once('/') {
        return tool.chars().take(40).collect();
    } else {
        "Browser"
    };
    let system = if has("Android") {
        "Android"
    } else if has("iPhone") || has("iPad") {
        "iOS"
    } else if has("Windows") {
        "Windows"
    } else if has("Mac OS X") || has("Macintosh") {
        "macOS"
    } else if has("Linux") {
        "Linux"
    } else {
        return browser.to_owned();
    };
    format!("{browser} on {system}")
}

fn short_date(timestamp: Timestamp) -> String {
    let text = timestamp.to_rfc3339();
    text.get(..16).map(|t| t.replace('T', " ")).unwrap_or(text)
}

#[derive(Deserialize)]
struct AccountQuery {
    saved: Option<String>,
}

async fn account(State(state): State<AppState>, page: Page, Query(query): Query<AccountQuery>) -> Response {
    account_view(&state, page, None, query.saved.is_some()).await
}

async fn account_view(state: &AppState, page: Page, new_feed_url: Option<String>, preferences_saved: bool) -> Response {
    let Some(current) = &page.user.0 else {
        return Redirect::to("/login?next=/account").into_response();
    };
    let list = match sessions::list(&state.app, current.user.id).await {
        Ok(list) => list,
        Err(error) => return super::page_error(error),
    };
    let feeds = match patron_app::feed::private_feeds(&state.app, current.user.id).await {
        Ok(feeds) => feeds,
        Err(error) => return super::page_error(error),
    };
    let email_preferences = match accounts::email_preferences(&state.app, current.user.id).await {
        Ok(list) => list
            .into_iter()
            .map(|(category, enabled)| PreferenceRow { category, label_key: format!("mailpref.{category}"), enabled })
            .collect(),
        Err(error) => return super::page_error(error),
    };
    let lang = page.lang();
    let sessions = list
        .into_iter()
        .map(|s| SessionRow {
            label: match (s.kind, s.label.as_deref()) {
                (SessionKind::Cookie, Some(user_agent)) => describe_device(user_agent),
                (SessionKind::Cookie, None) => "Browser".to_owned(),
                (SessionKind::Bearer, Some(name)) => format!("API token “{name}”"),
                (SessionKind::Bearer, None) => "API token".to_owned(),
            },
            user_agent: s.label.clone().unwrap_or_default(),
            ip: s.ip.clone().unwrap_or_default(),
            last_seen: short_date(s.last_seen_at),
            current: s.id == current.session.id,
        })
        .collect();
    let (memberships, payments) = match membership_rows(state, lang, current.user.id).await {
        Ok(rows) => rows,
        Err(error) => return super::page_error(error),
    };
    let account_page = AccountPage {
        memberships,
        payments,
        user: AccountView { display_name: current.user.display_name.clone(), email: current.user.email.clone() },
        email_verified: current.user.email_verified_at.is_some(),
        member_since: short_date(current.user.created_at),
        sessions,
        feeds: feeds
            .into_iter()
            .map(|f| FeedRow {
                id: f.id,
                what: f.creator.map(|(_, name)| name).unwrap_or_else(|| lang.t("account.feed_all").to_owned()),
                created: short_date(f.created_at),
            })
            .collect(),
        new_feed_url,
        email_preferences,
        preferences_saved,
        layout: page.layout,
    };
    render(StatusCode::OK, &account_page)
}

/// The account page's memberships and payments, with the names of their pages and tiers.
async fn membership_rows(
    state: &AppState,
    lang: crate::i18n::Lang,
    user_id: patron_domain::Id,
) -> Result<(Vec<MembershipRow>, Vec<PaymentRow>), crate::error::ApiError> {
    use patron_domain::membership::MembershipStatus;
    let list = patron_app::memberships::summaries(&state.app, user_id).await?;
    let payments = patron_app::payments::of_user(&state.app, user_id, 50).await?;
    let names =
        patron_app::creators::names(&state.app, &payments.iter().map(|p| p.creator_id).collect::<Vec<_>>()).await?;
    let mut memberships = Vec::with_capacity(list.len());
    for summary in list {
        let m = &summary.membership;
        memberships.push(MembershipRow {
            id: m.id.to_string(),
            creator: summary.page.name,
            slug: summary.page.slug,
            tier: summary.tier_name,
            status: match m.status {
                MembershipStatus::Active => "membership.active",
                MembershipStatus::PastDue => "membership.past_due",
                MembershipStatus::Pending => "membership.pending",
                MembershipStatus::Expired => "membership.expired",
            },
            price: crate::i18n::money(m.price, &m.currency),
            until: m.current_period_end.map(short_date).unwrap_or_default(),
            next_amount: crate::i18n::money(summary.next_amount, &m.currency),
            cancel_at_period_end: m.cancel_at_period_end,
            live: matches!(m.status, MembershipStatus::Active | MembershipStatus::PastDue),
            past_due: m.status == MembershipStatus::PastDue,
            card: m.card.as_ref().map(|c| format!("{} •••• {}, {:02}/{}", c.brand, c.last4, c.exp_month, c.exp_year)),
            card_changeable: m.provider.as_deref() == Some("stripe"),
        });
    }
    let payments = payments
        .iter()
        .map(|p| PaymentRow {
            date: short_date(p.created_at),
            creator: names.get(&p.creator_id).map(|page| page.name.clone()).unwrap_or_default(),
            amount: crate::i18n::money(p.amount, &p.currency),
            status: crate::html::payment_state(lang, &p.status, p.dispute.as_deref()),
            reference: p.id.to_string(),
        })
        .collect();
    Ok((memberships, payments))
}

async fn set_cancelled(state: &AppState, page: &Page, id: &str, cancel: bool) -> Response {
    let Some(current) = &page.user.0 else {
        return Redirect::to("/login?next=/account").into_response();
    };
    match patron_app::memberships::set_cancelled(&state.app, &current.user, id, cancel).await {
        Ok(_) => Redirect::to("/account#memberships").into_response(),
        Err(error) => super::page_error(error),
    }
}

async fn cancel_membership(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    set_cancelled(&state, &page, &id, true).await
}

async fn resume_membership(State(state): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    set_cancelled(&state, &page, &id, false).await
}

#[derive(Deserialize)]
struct FeedForm {
    #[serde(default)]
    creator_slug: String,
}

async fn create_feed(State(state): State<AppState>, page: Page, PageForm(form): PageForm<FeedForm>) -> Response {
    let Some(current) = page.user.0.clone() else {
        return Redirect::to("/login?next=/account").into_response();
    };
    match patron_app::feed::create_private_feed(&state.app, &current.user, Some(form.creator_slug.as_str())).await {
        Ok((_, url, _)) => account_view(&state, page, Some(url), false).await,
        Err(error) => super::page_error(error),
    }
}

async fn revoke_feed(State(state): State<AppState>, page: Page, Path(feed_id): Path<String>) -> Response {
    let Some(current) = &page.user.0 else {
        return Redirect::to("/login?next=/account").into_response();
    };
    match patron_app::feed::revoke_private_feed(&state.app, current.user.id, &feed_id).await {
        // revoked now or before: either way it is gone
        Ok(()) | Err(patron_app::AppError::NotFound(_)) => Redirect::to("/account#feeds").into_response(),
        Err(error) => super::page_error(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_described_by_browser_and_system() {
        let firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let chrome =
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        let safari =
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1";
        assert_eq!(describe_device(firefox), "Firefox on Windows");
        assert_eq!(describe_device(chrome), "Chrome on Linux");
        assert_eq!(describe_device(safari), "Safari on iOS");
        assert_eq!(describe_device("curl/8.5.0"), "curl");
        assert_eq!(describe_device("something"), "Browser");
    }

    #[test]
    fn only_same_site_paths_are_followed_after_log_in() {
        assert_eq!(safe_next(Some("/account"), "/account"), "/account");
        assert_eq!(safe_next(Some("//evil.example"), "/account"), "/account");
        assert_eq!(safe_next(Some("https://evil.example"), "/account"), "/account");
        assert_eq!(safe_next(Some("/\\evil.example"), "/account"), "/account");
        assert_eq!(safe_next(Some("/\t/evil.example"), "/account"), "/account");
        assert_eq!(safe_next(Some("/\r\nSet-Cookie: x=1"), "/account"), "/account");
        assert_eq!(safe_next(None, "/account"), "/account");
    }
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    layout: Layout,
    token: String,
    category_key: String,
    done: bool,
}

/// `GET /unsubscribe/{token}`: asks before stopping mails (link scanners open every link in
/// a mail, so a GET never changes anything).
async fn unsubscribe_page(State(state): State<AppState>, page: Page, Path(token): Path<String>) -> Response {
    match patron_app::accounts::unsubscribe_target(&state.app, &token) {
        Ok((_, category)) => render(
            StatusCode::OK,
            &UnsubscribePage { layout: page.layout, token, category_key: format!("mailpref.{category}"), done: false },
        ),
        Err(error) => page_error(error),
    }
}

async fn unsubscribe_submit(State(state): State<AppState>, page: Page, Path(token): Path<String>) -> Response {
    match patron_app::accounts::unsubscribe(&state.app, &token).await {
        Ok(category) => render(
            StatusCode::OK,
            &UnsubscribePage { layout: page.layout, token, category_key: format!("mailpref.{category}"), done: true },
        ),
        Err(error) => page_error(error),
    }
}

/// `POST /account/email-preferences`: a checked box turns its category on, an unchecked one
/// (absent from the form) off.
async fn save_email_preferences(
    State(state): State<AppState>,
    page: Page,
    PageForm(form): PageForm<std::collections::HashMap<String, String>>,
) -> Response {
    let Some(current) = &page.user.0 else {
        return Redirect::to("/login?next=/account").into_response();
    };
    let choices: Vec<(String, bool)> = patron_mail::unsubscribe::CATEGORIES
        .iter()
        .map(|(category, _)| ((*category).to_owned(), form.get(*category).is_some_and(|v| v == "on")))
        .collect();
    match accounts::set_email_preferences(&state.app, current.user.id, &choices).await {
        Ok(()) => Redirect::to("/account?saved=1#email").into_response(),
        Err(error) => page_error(error),
    }
}
