-- Uploaded files. The bytes live in object storage under keys patron generates
-- (media/<id>/...); this table holds what is known about them. `purpose` decides who may see
-- a file: post media follow their post's entitlement, avatars and covers are public, private
-- documents are for their owner and platform admins only.
CREATE TABLE media (
    id           TEXT   PRIMARY KEY NOT NULL,
    owner_id     TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    creator_id   TEXT   REFERENCES creators (id) ON DELETE CASCADE,
    purpose      TEXT   NOT NULL CHECK (purpose IN ('post', 'avatar', 'cover', 'private')),
    kind         TEXT   NOT NULL CHECK (kind IN ('image', 'video', 'audio', 'document')),
    status       TEXT   NOT NULL CHECK (status IN ('uploading', 'processing', 'ready', 'failed')),
    content_type TEXT   NOT NULL,
    byte_size    BIGINT NOT NULL CHECK (byte_size >= 0),
    sha256       TEXT   NOT NULL,
    file_name    TEXT,
    width        BIGINT,
    height       BIGINT,
    duration_ms  BIGINT,
    -- JSON list of stored renditions: [{"file": "w640.jpg", "width": 640, ...}]
    variants     TEXT   NOT NULL DEFAULT '[]',
    progress     BIGINT,
    error        TEXT,
    stored_bytes BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    deleted_at   BIGINT
);
CREATE INDEX media_owner_idx ON media (owner_id, created_at DESC);
CREATE INDEX media_creator_idx ON media (creator_id) WHERE deleted_at IS NULL;
CREATE INDEX media_deleted_idx ON media (deleted_at) WHERE deleted_at IS NOT NULL;

-- The attachments table of the creators migration was never used: attachments now point at
-- media rows, which carry the file's facts.
DROP TABLE post_attachments;
CREATE TABLE post_attachments (
    post_id  TEXT   NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    media_id TEXT   NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    PRIMARY KEY (post_id, media_id)
);
CREATE INDEX post_attachments_media_idx ON post_attachments (media_id);
-- Posts know how many files they have, so lists of posts without any load none.
ALTER TABLE posts ADD COLUMN media_count BIGINT NOT NULL DEFAULT 0;

-- What platform admins did with what they are trusted with (opening private documents,
-- refunds, retrying or discarding jobs): append-only.
CREATE TABLE audit_log (
    id         TEXT   PRIMARY KEY NOT NULL,
    actor_id   TEXT   REFERENCES users (id) ON DELETE SET NULL,
    action     TEXT   NOT NULL,
    subject    TEXT   NOT NULL,
    detail     TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC);
