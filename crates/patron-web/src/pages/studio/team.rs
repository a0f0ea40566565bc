//! The studio's team: invitations, removing members, handing the page over, and the page
//! an invitation link opens.

use super::{login_first, parse_id, studio_action};
use crate::AppState;
use crate::extract::PageForm;
use crate::i18n::Lang;
use crate::pages::{Layout, Page, page_error, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use patron_app::AppError;
use serde::Deserialize;

#[derive(Deserialize)]
pub(super) struct InviteForm {
    #[serde(default)]
    email: String,
}

pub(super) async fn invite(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<InviteForm>,
) -> Response {
    let lang = page.lang();
    studio_action(state, page, slug, "team", async move |state, access| {
        let (_, _, link) = patron_app::team::invite(&state.app, access, &form.email).await?;
        Ok(Some(lang.t1("studio.invitation_link", &link)))
    })
    .await
}

pub(super) async fn revoke_invitation(
    State(state): State<AppState>,
    page: Page,
    Path((slug, invitation_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "team", async move |state, access| {
        match patron_app::team::revoke_invitation(&state.app, access, &invitation_id).await {
            // withdrawn now or before: either way it is gone
            Ok(()) | Err(AppError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    })
    .await
}

pub(super) async fn remove_member(
    State(state): State<AppState>,
    page: Page,
    Path((slug, user_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "team", async move |state, access| {
        patron_app::team::remove_member(&state.app, access, parse_id(&user_id)?).await.map(|()| None)
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct TransferForm {
    #[serde(default)]
    user_id: String,
}

pub(super) async fn transfer(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<TransferForm>,
) -> Response {
    studio_action(state, page, slug, "team", async move |state, access| {
        patron_app::team::transfer_ownership(&state.app, access, parse_id(&form.user_id)?).await.map(|()| None)
    })
    .await
}

/// The post editor's form, kept as typed so a failed save or a preview shows it again.
#[derive(Template)]
#[template(path = "invitation.html")]
struct InvitationPage {
    layout: Layout,
    token: String,
    creator_name: String,
    email: String,
    logged_in: bool,
}

pub(super) async fn invitation_page(State(state): State<AppState>, page: Page, Path(token): Path<String>) -> Response {
    let lang: Lang = page.lang();
    match patron_app::team::open_invitation(&state.app, &token).await {
        Ok((invitation, creator)) => {
            let view = InvitationPage {
                token,
                creator_name: creator.name,
                email: invitation.email,
                logged_in: page.user.0.is_some(),
                layout: page.layout,
            };
            render(StatusCode::OK, &view)
        }
        Err(_) => {
            crate::pages::error_page(StatusCode::NOT_FOUND, lang.t("invitation.gone"), lang.t("invitation.gone_text"))
        }
    }
}

pub(super) async fn accept_invitation(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> Response {
    let Some(user) = page.user.0.as_ref() else {
        return login_first(&format!("/invitations/{token}"));
    };
    match patron_app::team::accept_invitation(&state.app, &user.user, &token).await {
        Ok(creator) => Redirect::to(&format!("/studio/{}", creator.slug)).into_response(),
        Err(error) => page_error(error),
    }
}
