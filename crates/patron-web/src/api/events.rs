//! `GET /api/v1/events`: the logged-in user's live events as Server-Sent Events.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiError, ErrorBody};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures::Stream;
use patron_domain::Id;
use patron_events::{Audience, Event};
use std::collections::HashSet;
use std::convert::Infallible;
use std::time::{Duration, Instant};
use tokio::sync::broadcast::error::RecvError;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// How often the set of creators a connection hears about is read again (follows change).
const REFRESH: Duration = Duration::from_secs(60);

/// Live events for the current user, as `text/event-stream`: `post.published` (a creator they
/// follow, support or run published a post), `poll.results` (votes changed a poll of such a
/// creator), `comment.reply` (someone answered their comment). Each event's `data` is a JSON
/// object; its `id` can be sent back as `Last-Event-ID` on reconnection to receive what was
/// missed in the last five minutes. A comment line every 15 s keeps proxies from closing the
/// stream.
#[utoipa::path(
    get, path = "/api/v1/events", tag = "me",
    params(("Last-Event-ID" = Option<String>, Header, description = "The last event received, to replay what followed")),
    responses(
        (status = 200, content_type = "text/event-stream", description = "The event stream"),
        (status = 401, body = ErrorBody)
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
async fn events(
    State(state): State<AppState>,
    current: CurrentUser,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let user_id = current.user.id;
    let last_event_id = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    // subscribe before reading the creators, so nothing published in between is lost
    let subscription = state.app.bus.subscribe(last_event_id.as_deref());
    let creators: HashSet<Id> = patron_app::creators::of_interest(&state.app, user_id).await?.into_iter().collect();
    let (sender, receiver) = tokio::sync::mpsc::channel::<SseEvent>(64);
    let connections = state.metrics.track_event_stream();
    tokio::spawn(async move {
        let _connections = connections;
        let mut creators = creators;
        let mut refreshed = Instant::now();
        let mut live = subscription.live;
        let drained = state.drained();
        tokio::pin!(drained);
        for event in subscription.missed {
            if is_for(&event, user_id, &creators) && sender.send(to_sse(&event)).await.is_err() {
                return;
            }
        }
        loop {
            let event = tokio::select! {
                received = live.recv() => match received {
                    Ok(event) => event,
                    Err(RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "an event stream fell behind; events were skipped");
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                },
                () = sender.closed() => return,
                () = &mut drained => return,
            };
            if refreshed.elapsed() > REFRESH {
                if let Ok(fresh) = patron_app::creators::of_interest(&state.app, user_id).await {
                    creators = fresh.into_iter().collect();
                }
                refreshed = Instant::now();
            }
            if is_for(&event, user_id, &creators) && sender.send(to_sse(&event)).await.is_err() {
                return;
            }
        }
    });
    let stream = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|event| (Ok(event), receiver))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn is_for(event: &Event, user_id: Id, creators: &HashSet<Id>) -> bool {
    match event.audience {
        Audience::User(id) => id == user_id,
        Audience::Followers(creator) => creators.contains(&creator),
    }
}

fn to_sse(event: &Event) -> SseEvent {
    SseEvent::default().id(event.id.clone()).event(event.kind.clone()).data(event.data.to_string())
}
