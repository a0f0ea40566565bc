//! Sessions and API tokens: opening them, finding the user a request carries, listing and
//! ending them. Both live in the database, so any replica answers (lesson 2).

use crate::{App, AppError, Problem, User};
use patron_domain::{Id, SecretToken, Timestamp};
use patron_store::sessions;
use std::net::IpAddr;

pub use patron_store::sessions::{Session, SessionKind};

/// Opens a session (cookie) or issues an API token (bearer) for a user.
pub async fn open(
    app: &App,
    user: &User,
    kind: SessionKind,
    label: Option<&str>,
    client_ip: Option<IpAddr>,
) -> Result<(SecretToken, Session), AppError> {
    let ip = client_ip.map(|ip| ip.to_string());
    let opened = sessions::create(app.db.pool(), user.id, kind, app.settings.session_ttl, label, ip.as_deref()).await?;
    tracing::info!(user_id = %user.id, kind = ?kind, "session opened");
    Ok(opened)
}

/// The live session a token opens, with its user; `None` when the token is unknown, expired
/// or revoked. A session in use stays alive: its expiry slides, written at most every few
/// minutes.
pub async fn authenticate(
    app: &App,
    token: &SecretToken,
    kind: SessionKind,
) -> Result<Option<(Session, User)>, AppError> {
    let now = Timestamp::now();
    let Some((session, user)) = sessions::find_active(app.db.pool(), token, kind, now).await? else {
        return Ok(None);
    };
    if now.since(session.last_seen_at) >= sessions::TOUCH_INTERVAL {
        sessions::touch(app.db.pool(), &session.id, now, app.settings.session_ttl).await?;
    }
    Ok(Some((session, user)))
}

/// The error for a bearer token that opens no session.
pub fn token_not_valid() -> AppError {
    AppError::Unauthenticated(Problem {
        code: "invalid_token",
        message: "The API token is unknown, expired or revoked. Log in again.".to_owned(),
    })
}

/// Ends one session (logging out).
pub async fn end(app: &App, session: &Session) -> Result<(), AppError> {
    sessions::delete(app.db.pool(), &session.id).await?;
    Ok(())
}

/// Ends every session and API token of a user ("log out everywhere"); returns how many.
pub async fn end_all(app: &App, user_id: Id) -> Result<u64, AppError> {
    Ok(sessions::delete_all_for_user(app.db.pool(), user_id).await?)
}

/// A user's live sessions and API tokens, most recently used first.
pub async fn list(app: &App, user_id: Id) -> Result<Vec<Session>, AppError> {
    Ok(sessions::list_for_user(app.db.pool(), user_id, Timestamp::now()).await?)
}

/// Ends one of a user's own sessions or revokes one of their tokens; `NotFound` for anyone else's.
pub async fn revoke(app: &App, user_id: Id, session_id: &str) -> Result<(), AppError> {
    if sessions::delete_for_user(app.db.pool(), session_id, user_id).await? {
        Ok(())
    } else {
        Err(AppError::nothing_here())
    }
}
