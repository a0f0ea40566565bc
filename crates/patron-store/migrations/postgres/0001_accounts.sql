-- Accounts, sessions, and the tokens e-mail verification and password reset will use.
-- Portable column types on both databases: ids are TEXT (UUIDv7), times are BIGINT
-- microseconds since the epoch, flags are BOOLEAN (INTEGER 0/1 on SQLite). Keep in step with
-- ../sqlite/.

CREATE TABLE users (
    id                TEXT    PRIMARY KEY NOT NULL,
    email             TEXT    NOT NULL,
    password_hash     TEXT    NOT NULL,
    display_name      TEXT    NOT NULL,
    email_verified_at BIGINT,
    is_platform_admin BOOLEAN NOT NULL DEFAULT FALSE,
    locale            TEXT    NOT NULL DEFAULT 'en',
    created_at        BIGINT  NOT NULL,
    updated_at        BIGINT  NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- One row per browser session or API token. The id is the SHA-256 of the token the client
-- holds; the token itself is never stored.
CREATE TABLE sessions (
    id           TEXT   PRIMARY KEY NOT NULL,
    user_id      TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT   NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    label        TEXT,
    ip           TEXT,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE email_verification_tokens (
    id          TEXT   PRIMARY KEY NOT NULL,
    user_id     TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    consumed_at BIGINT
);
CREATE INDEX email_verification_tokens_user_id_idx ON email_verification_tokens (user_id);

CREATE TABLE password_reset_tokens (
    id           TEXT   PRIMARY KEY NOT NULL,
    user_id      TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    requested_ip TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    consumed_at  BIGINT
);
CREATE INDEX password_reset_tokens_user_id_idx ON password_reset_tokens (user_id);
