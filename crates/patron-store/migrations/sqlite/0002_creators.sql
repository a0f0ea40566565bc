-- Creators and their teams, tiers, follows, memberships, posts (one table for every kind,
-- lesson 7), attachments, polls, comments and private feed tokens.
-- Keep in step with ../postgres/ (flags are INTEGER 0/1 here, BOOLEAN there).

CREATE TABLE creators (
    id               TEXT    PRIMARY KEY NOT NULL,
    slug             TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    search_name      TEXT    NOT NULL,
    bio              TEXT    NOT NULL DEFAULT '',
    avatar_key       TEXT,
    cover_key        TEXT,
    is_hidden        INTEGER NOT NULL DEFAULT 0,
    supporters_count BIGINT  NOT NULL DEFAULT 0,
    followers_count  BIGINT  NOT NULL DEFAULT 0,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    deleted_at       BIGINT
);
CREATE UNIQUE INDEX creators_slug_key ON creators (slug);
-- `search_name` is the name in lower case without diacritics, so "zlutoucky" finds "Žluťoučký"
-- the same way on both databases.
CREATE INDEX creators_newest_idx ON creators (created_at DESC, id DESC) WHERE deleted_at IS NULL AND is_hidden = 0;
CREATE INDEX creators_popular_idx ON creators (supporters_count DESC, id DESC) WHERE deleted_at IS NULL AND is_hidden = 0;

CREATE TABLE creator_members (
    creator_id TEXT   NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    user_id    TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT   NOT NULL CHECK (role IN ('owner', 'contributor')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (creator_id, user_id)
);
CREATE INDEX creator_members_user_idx ON creator_members (user_id);
CREATE UNIQUE INDEX creator_members_one_owner_key ON creator_members (creator_id) WHERE role = 'owner';

-- The id is the SHA-256 of the token in the invitation link.
CREATE TABLE creator_invitations (
    id          TEXT   PRIMARY KEY NOT NULL,
    creator_id  TEXT   NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    email       TEXT   NOT NULL,
    role        TEXT   NOT NULL CHECK (role IN ('contributor')),
    invited_by  TEXT   REFERENCES users (id) ON DELETE SET NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    accepted_at BIGINT,
    accepted_by TEXT   REFERENCES users (id) ON DELETE SET NULL,
    revoked_at  BIGINT
);
CREATE INDEX creator_invitations_creator_idx ON creator_invitations (creator_id, created_at);

-- Prices in minor units of the currency. `rank` orders the tiers from lowest to highest;
-- a post for "tier X and up" is open to every tier whose rank is at least X's.
CREATE TABLE tiers (
    id            TEXT   PRIMARY KEY NOT NULL,
    creator_id    TEXT   NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    description   TEXT   NOT NULL DEFAULT '',
    benefits      TEXT   NOT NULL DEFAULT '[]',
    monthly_price BIGINT NOT NULL CHECK (monthly_price >= 0),
    yearly_price  BIGINT CHECK (yearly_price >= 0),
    currency      TEXT   NOT NULL,
    rank          BIGINT NOT NULL,
    member_cap    BIGINT CHECK (member_cap > 0),
    archived_at   BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX tiers_creator_idx ON tiers (creator_id, rank);

-- Free following; a membership also follows.
CREATE TABLE follows (
    user_id    TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    creator_id TEXT   NOT NULL REFERENCES creators (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, creator_id)
);
CREATE INDEX follows_creator_idx ON follows (creator_id, user_id);

-- A member keeps the price they signed up at when the tier's price changes.
CREATE TABLE memberships (
    id                   TEXT    PRIMARY KEY NOT NULL,
    user_id              TEXT    NOT NULL REFERENCES users (id),
    creator_id           TEXT    NOT NULL REFERENCES creators (id),
    tier_id              TEXT    NOT NULL REFERENCES tiers (id),
    status               TEXT    NOT NULL CHECK (status IN ('pending', 'active', 'past_due', 'expired')),
    price                BIGINT  NOT NULL CHECK (price >= 0),
    currency             TEXT    NOT NULL,
    billing_interval     TEXT    NOT NULL CHECK (billing_interval IN ('month', 'year')),
    current_period_start BIGINT,
    current_period_end   BIGINT,
    grace_until          BIGINT,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL,
    ended_at             BIGINT
);
CREATE UNIQUE INDEX memberships_live_key ON memberships (user_id, creator_id) WHERE status <> 'expired';
CREATE INDEX memberships_creator_idx ON memberships (creator_id, status);
CREATE INDEX memberships_tier_idx ON memberships (tier_id) WHERE status <> 'expired';

-- `published_at` NULL is a draft, in the future a scheduled post, otherwise published.
-- `public_from` makes a supporters-only post public at that time (time-released access).
CREATE TABLE posts (
    id              TEXT    PRIMARY KEY NOT NULL,
    creator_id      TEXT    NOT NULL REFERENCES creators (id),
    author_id       TEXT    REFERENCES users (id) ON DELETE SET NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('text', 'photo', 'video', 'poll', 'live')),
    title           TEXT    NOT NULL,
    body            TEXT    NOT NULL DEFAULT '',
    body_html       TEXT    NOT NULL DEFAULT '',
    visibility      TEXT    NOT NULL CHECK (visibility IN ('public', 'supporters', 'tier')),
    min_tier_id     TEXT    REFERENCES tiers (id) ON DELETE SET NULL,
    public_from     BIGINT,
    published_at    BIGINT,
    pinned          INTEGER NOT NULL DEFAULT 0,
    media_processed INTEGER NOT NULL DEFAULT 1,
    live_url        TEXT,
    live_starts_at  BIGINT,
    live_ends_at    BIGINT,
    poll_multiple   INTEGER NOT NULL DEFAULT 0,
    poll_closes_at  BIGINT,
    poll_results    TEXT    CHECK (poll_results IN ('always', 'after_vote', 'after_close')),
    comments_count  BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL,
    deleted_at      BIGINT
);
CREATE INDEX posts_creator_published_idx ON posts (creator_id, published_at DESC, id DESC)
    WHERE deleted_at IS NULL AND published_at IS NOT NULL;
CREATE INDEX posts_creator_drafts_idx ON posts (creator_id, updated_at DESC)
    WHERE deleted_at IS NULL AND published_at IS NULL;
CREATE INDEX posts_creator_pinned_idx ON posts (creator_id, published_at DESC, id DESC)
    WHERE pinned AND deleted_at IS NULL AND published_at IS NOT NULL;

CREATE TABLE post_attachments (
    id               TEXT    PRIMARY KEY NOT NULL,
    post_id          TEXT    NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position         BIGINT  NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('image', 'video', 'audio', 'file')),
    storage_key      TEXT    NOT NULL,
    file_name        TEXT,
    content_type     TEXT    NOT NULL,
    byte_size        BIGINT  NOT NULL,
    sha256           TEXT,
    width            BIGINT,
    height           BIGINT,
    duration_ms      BIGINT,
    processed        INTEGER NOT NULL DEFAULT 0,
    processing_error TEXT,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX post_attachments_post_idx ON post_attachments (post_id, position);

CREATE TABLE poll_options (
    id          TEXT   PRIMARY KEY NOT NULL,
    post_id     TEXT   NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    label       TEXT   NOT NULL,
    votes_count BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX poll_options_post_idx ON poll_options (post_id, position);

CREATE TABLE poll_votes (
    post_id    TEXT   NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    option_id  TEXT   NOT NULL REFERENCES poll_options (id) ON DELETE CASCADE,
    user_id    TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (option_id, user_id)
);
CREATE INDEX poll_votes_post_user_idx ON poll_votes (post_id, user_id);

CREATE TABLE comments (
    id         TEXT   PRIMARY KEY NOT NULL,
    post_id    TEXT   NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id  TEXT   REFERENCES users (id) ON DELETE SET NULL,
    parent_id  TEXT   REFERENCES comments (id) ON DELETE CASCADE,
    body       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT,
    deleted_by TEXT   REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX comments_post_idx ON comments (post_id, created_at, id);

-- Private RSS feeds: the id is the SHA-256 of the token in the feed's URL.
CREATE TABLE feed_tokens (
    id         TEXT   PRIMARY KEY NOT NULL,
    user_id    TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    creator_id TEXT   REFERENCES creators (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX feed_tokens_user_idx ON feed_tokens (user_id);
