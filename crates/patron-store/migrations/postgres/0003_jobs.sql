-- The durable job queue, the scheduler's leases and the record of side effects done.
-- The queue lives in the same database as the data, so a change and its follow-up work
-- commit or roll back together (lesson 3: the queue in Redis broke and one e-mail went out
-- eight times). Keep in step with ../sqlite/.

-- status: pending (waiting for run_at), running (leased until locked_until), succeeded, dead
-- (out of attempts; kept for inspection and retry).
CREATE TABLE jobs (
    id              TEXT   PRIMARY KEY NOT NULL,
    kind            TEXT   NOT NULL,
    payload         TEXT   NOT NULL,
    status          TEXT   NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'dead')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    max_attempts    BIGINT NOT NULL,
    run_at          BIGINT NOT NULL,
    locked_by       TEXT,
    locked_until    BIGINT,
    last_error      TEXT,
    idempotency_key TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    finished_at     BIGINT
);
CREATE INDEX jobs_pending_idx ON jobs (run_at) WHERE status = 'pending';
CREATE INDEX jobs_running_idx ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_status_kind_idx ON jobs (status, kind);
CREATE UNIQUE INDEX jobs_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- One row per scheduled job: the last tick fired (so each tick fires once however many
-- instances run), the lease of the instance running it, and how the last run ended.
CREATE TABLE schedule_runs (
    name             TEXT   PRIMARY KEY NOT NULL,
    last_tick        BIGINT,
    locked_by        TEXT,
    locked_until     BIGINT,
    last_started_at  BIGINT,
    last_finished_at BIGINT,
    last_result      TEXT,
    last_error       TEXT
);

-- Side effects by idempotency key. A worker claims a key (state 'pending', with a lease)
-- before the effect and marks it 'done' after: a job that runs twice, or two workers running
-- one job, find the key and do not act again.
CREATE TABLE effects (
    key         TEXT   PRIMARY KEY NOT NULL,
    kind        TEXT   NOT NULL,
    state       TEXT   NOT NULL CHECK (state IN ('pending', 'done')),
    owner       TEXT,
    lease_until BIGINT,
    created_at  BIGINT NOT NULL,
    done_at     BIGINT
);

-- What each user chose per category of e-mail (new posts, the weekly digest); a category
-- without a row has its default. Unsubscribing from a mail's footer writes enabled = false.
CREATE TABLE email_preferences (
    user_id    TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    category   TEXT    NOT NULL,
    enabled    BOOLEAN NOT NULL,
    updated_at BIGINT  NOT NULL,
    PRIMARY KEY (user_id, category)
);
CREATE INDEX email_preferences_category_idx ON email_preferences (category, enabled, user_id);

-- Mails written instead of sent when no SMTP server is configured (embedded mode).
CREATE TABLE outbox (
    id         TEXT   PRIMARY KEY NOT NULL,
    recipient  TEXT   NOT NULL,
    subject    TEXT   NOT NULL,
    text_body  TEXT   NOT NULL,
    html_body  TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_created_idx ON outbox (created_at);
