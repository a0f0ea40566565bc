//! The studio's post editor: the form as typed, preview, saving, and the actions on posts.

use super::{error_text, kind_key, parse_id, studio_action, team_page};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::PageForm;
use crate::pages::{Layout, Page, page_error, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use patron_app::AppError;
use patron_app::creators::PageAccess;
use patron_app::posts::Post;
use patron_app::posts::{self, PostDraft, PostInput, Publish};
use patron_domain::post::{PostKind, PostState};
use patron_domain::{Id, Timestamp};
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
pub(super) struct PostForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    visibility: String,
    #[serde(default)]
    min_tier_id: String,
    #[serde(default)]
    public_from: String,
    #[serde(default)]
    publish: String,
    #[serde(default)]
    publish_at: String,
    #[serde(default)]
    live_url: String,
    #[serde(default)]
    live_starts_at: String,
    #[serde(default)]
    live_ends_at: String,
    #[serde(default)]
    poll_options: String,
    #[serde(default)]
    poll_multiple: Option<String>,
    #[serde(default)]
    poll_closes_at: String,
    #[serde(default)]
    poll_results: String,
    /// The browser's offset from UTC in minutes, filled in by the page's script.
    #[serde(default)]
    tz_offset: String,
    /// Ids of the attached files, comma-separated, in order (the page's script adds uploads).
    #[serde(default)]
    media: String,
    #[serde(default)]
    action: String,
}

impl PostForm {
    fn offset(&self) -> i32 {
        self.tz_offset.trim().parse::<i32>().ok().filter(|m| m.abs() <= 14 * 60).unwrap_or(0)
    }

    fn time(
        &self,
        field: &'static str,
        text: &str,
        errors: &mut Vec<patron_domain::ValidationError>,
    ) -> Option<Timestamp> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let parsed = Timestamp::parse_local(text, self.offset());
        if parsed.is_none() {
            errors.push(patron_domain::ValidationError::new(field, "must be a date and time"));
        }
        parsed
    }

    fn input(&self) -> Result<PostInput, AppError> {
        let mut errors = Vec::new();
        let public_from = self.time("public_from", &self.public_from, &mut errors);
        let publish_at = self.time("publish_at", &self.publish_at, &mut errors);
        let live_starts_at = self.time("live_starts_at", &self.live_starts_at, &mut errors);
        let live_ends_at = self.time("live_ends_at", &self.live_ends_at, &mut errors);
        let poll_closes_at = self.time("poll_closes_at", &self.poll_closes_at, &mut errors);
        let publish = match (self.publish.as_str(), publish_at) {
            ("now", _) => Publish::Now,
            ("schedule", Some(at)) => Publish::At(at),
            ("schedule", None) => {
                errors.push(patron_domain::ValidationError::new("publish_at", "is required to schedule a post"));
                Publish::Draft
            }
            _ => Publish::Draft,
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(PostInput {
            draft: PostDraft {
                kind: self.kind.clone(),
                title: self.title.clone(),
                body: self.body.clone(),
                visibility: if self.visibility.is_empty() { "public".to_owned() } else { self.visibility.clone() },
                min_tier_id: Some(self.min_tier_id.clone()),
                public_from,
                publish,
                live_url: Some(self.live_url.clone()),
                live_starts_at,
                live_ends_at,
                poll_options: self.poll_options.lines().map(str::to_owned).collect(),
                poll_multiple: self.poll_multiple.is_some(),
                poll_closes_at,
                poll_results: Some(self.poll_results.clone()),
            },
            media: Some(self.media_ids()),
            announce: true,
        })
    }

    fn media_ids(&self) -> Vec<String> {
        self.media.split(',').map(str::trim).filter(|id| !id.is_empty()).map(str::to_owned).collect()
    }

    fn from_post(post: &Post, poll_options: &[String], media: &[Id]) -> Self {
        let local = |at: Option<Timestamp>| at.map(|t| t.to_local_input(0)).unwrap_or_default();
        let now = Timestamp::now();
        PostForm {
            kind: post.kind.as_str().to_owned(),
            title: post.title.clone(),
            body: post.body.clone(),
            visibility: post.visibility.as_str().to_owned(),
            min_tier_id: post.min_tier_id.map(|t| t.to_string()).unwrap_or_default(),
            public_from: local(post.public_from),
            publish: match PostState::at(post.published_at, now) {
                PostState::Draft => "draft",
                PostState::Scheduled => "schedule",
                PostState::Published => "now",
            }
            .to_owned(),
            publish_at: local(post.published_at.filter(|at| *at > now)),
            live_url: post.live_url.clone().unwrap_or_default(),
            live_starts_at: local(post.live_starts_at),
            live_ends_at: local(post.live_ends_at),
            poll_options: poll_options.join("\n"),
            poll_multiple: post.poll_multiple.then(|| "on".to_owned()),
            poll_closes_at: local(post.poll_closes_at),
            poll_results: post.poll_results.map(|r| r.as_str().to_owned()).unwrap_or_default(),
            tz_offset: "0".to_owned(),
            media: media.iter().map(Id::to_string).collect::<Vec<_>>().join(","),
            action: String::new(),
        }
    }
}

struct TierChoice {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "studio_post.html")]
struct PostEditor {
    layout: Layout,
    slug: String,
    creator_name: String,
    post_id: Option<String>,
    form: PostForm,
    tiers: Vec<TierChoice>,
    preview_html: Option<String>,
    error: Option<String>,
    attachments: Vec<patron_app::media::MediaView>,
}

impl PostEditor {
    fn is_kind(&self, kind: &str) -> bool {
        self.form.kind == kind
    }

    fn kind_key(&self, kind: &str) -> &'static str {
        kind_key(kind)
    }

    fn status_key(&self, status: &str) -> &'static str {
        match status {
            "ready" => "media.ready",
            "failed" => "media.failed",
            _ => "media.processing",
        }
    }
}

/// What the editor shows besides the page: the post being edited, the form as typed, whether
/// to render a preview, and an error.
struct EditorState {
    post_id: Option<Id>,
    form: PostForm,
    preview: bool,
    error: Option<String>,
}

async fn editor(
    state: &AppState,
    page: Page,
    access: &PageAccess,
    editing: EditorState,
    status: StatusCode,
) -> Response {
    let tiers = match patron_app::tiers::visible_tiers(&state.app, access).await {
        Ok(tiers) => tiers,
        Err(error) => return page_error(error),
    };
    // the files named by the form, as far as they are this page's
    let ids: Vec<Id> = editing.form.media_ids().iter().filter_map(|id| id.parse::<Id>().ok()).collect();
    let attachments = match patron_app::media::page_files(&state.app, access, &ids).await {
        Ok(views) => views,
        Err(error) => return page_error(error),
    };
    let view = PostEditor {
        attachments,
        slug: access.creator.slug.clone(),
        creator_name: access.creator.name.clone(),
        post_id: editing.post_id.map(|id| id.to_string()),
        preview_html: editing.preview.then(|| patron_domain::markdown::render(&editing.form.body)),
        form: editing.form,
        tiers: tiers
            .iter()
            .filter(|t| t.archived_at.is_none())
            .map(|t| TierChoice { id: t.id.to_string(), name: t.name.clone() })
            .collect(),
        error: editing.error,
        layout: page.layout,
    };
    render(status, &view)
}

#[derive(Deserialize)]
pub(super) struct NewPostQuery {
    kind: Option<String>,
}

pub(super) async fn new_post(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    Query(query): Query<NewPostQuery>,
) -> Response {
    let access = match team_page(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    let kind = query.kind.filter(|k| PostKind::parse(k).is_ok()).unwrap_or_else(|| "text".to_owned());
    let form = PostForm { kind, visibility: "public".to_owned(), publish: "now".to_owned(), ..PostForm::default() };
    editor(&state, page, &access, EditorState { post_id: None, form, preview: false, error: None }, StatusCode::OK)
        .await
}

async fn save_post(state: AppState, page: Page, slug: String, post_id: Option<Id>, form: PostForm) -> Response {
    let access = match team_page(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    if form.action == "preview" {
        return editor(
            &state,
            page,
            &access,
            EditorState { post_id, form, preview: true, error: None },
            StatusCode::OK,
        )
        .await;
    }
    let result = match form.input() {
        Ok(input) => match post_id {
            Some(id) => posts::update(&state.app, &access, id, &input).await.map(|()| id),
            None => posts::create(&state.app, &access, &input).await,
        },
        Err(error) => Err(error),
    };
    match result {
        Ok(id) => Redirect::to(&format!("/{}/posts/{id}", access.creator.slug)).into_response(),
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status();
            editor(
                &state,
                page,
                &access,
                EditorState { post_id, form, preview: false, error: Some(error_text(&error)) },
                status,
            )
            .await
        }
    }
}

pub(super) async fn create_post(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    PageForm(form): PageForm<PostForm>,
) -> Response {
    save_post(state, page, slug, None, form).await
}

pub(super) async fn edit_post(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
) -> Response {
    let access = match team_page(&state, &page, &slug).await {
        Ok(access) => access,
        Err(response) => return response,
    };
    let Ok(id) = post_id.parse::<Id>() else {
        return page_error(AppError::nothing_here());
    };
    let (post, options, media) = match posts::for_editing(&state.app, &access, id).await {
        Ok(found) => found,
        Err(AppError::NotFound(_)) => return page_error(AppError::nothing_here()),
        Err(error) => return page_error(error),
    };
    editor(
        &state,
        page,
        &access,
        EditorState {
            post_id: Some(id),
            form: PostForm::from_post(&post, &options, &media),
            preview: false,
            error: None,
        },
        StatusCode::OK,
    )
    .await
}

pub(super) async fn update_post(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
    PageForm(form): PageForm<PostForm>,
) -> Response {
    match post_id.parse::<Id>() {
        Ok(id) => save_post(state, page, slug, Some(id), form).await,
        Err(_) => page_error(AppError::nothing_here()),
    }
}

pub(super) async fn delete_post(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "posts", async move |state, access| {
        posts::delete(&state.app, access, parse_id(&post_id)?).await.map(|()| None)
    })
    .await
}

pub(super) async fn pin_post(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "posts", async move |state, access| {
        posts::set_pinned(&state.app, access, parse_id(&post_id)?, true).await.map(|()| None)
    })
    .await
}

pub(super) async fn unpin_post(
    State(state): State<AppState>,
    page: Page,
    Path((slug, post_id)): Path<(String, String)>,
) -> Response {
    studio_action(state, page, slug, "posts", async move |state, access| {
        posts::set_pinned(&state.app, access, parse_id(&post_id)?, false).await.map(|()| None)
    })
    .await
}
