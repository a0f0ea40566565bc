-- Sign-in by e-mail link: one row per link sent; only the SHA-256 of the token is kept. A link
-- works once (consumed_at) and for a short time (expires_at).
CREATE TABLE sign_in_tokens (
    id          TEXT   PRIMARY KEY NOT NULL,
    user_id     TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    consumed_at BIGINT
);
CREATE INDEX sign_in_tokens_user_id_idx ON sign_in_tokens (user_id);
