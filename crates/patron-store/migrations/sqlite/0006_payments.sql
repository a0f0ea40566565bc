-- Payments. A checkout is a fan's intent to join a tier; the provider's signed answer turns
-- it into a payment (deduplicated by the provider's order id and by an idempotency key) and a
-- membership period. Every change of a membership is appended to membership_events, the
-- ledger that revenue and churn are computed from.
ALTER TABLE memberships ADD COLUMN provider TEXT;
-- the provider's handle for charging again (a registered card, a master payment)
ALTER TABLE memberships ADD COLUMN provider_token TEXT;
-- when the next charge is due (the end of the period, or the next retry after a failure)
ALTER TABLE memberships ADD COLUMN next_charge_at BIGINT;
ALTER TABLE memberships ADD COLUMN failed_charges BIGINT NOT NULL DEFAULT 0;
-- a downgrade waits for the next period: the tier it switches to then
ALTER TABLE memberships ADD COLUMN scheduled_tier_id TEXT REFERENCES tiers (id);
CREATE INDEX memberships_due_idx ON memberships (next_charge_at) WHERE status IN ('active', 'past_due');

CREATE TABLE checkouts (
    id               TEXT   PRIMARY KEY NOT NULL,
    user_id          TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    creator_id       TEXT   NOT NULL REFERENCES creators (id),
    tier_id          TEXT   NOT NULL REFERENCES tiers (id),
    provider         TEXT   NOT NULL,
    amount           BIGINT NOT NULL CHECK (amount > 0),
    currency         TEXT   NOT NULL,
    billing_interval TEXT   NOT NULL CHECK (billing_interval IN ('month', 'year')),
    status           TEXT   NOT NULL CHECK (status IN ('pending', 'paid', 'declined')),
    membership_id    TEXT   REFERENCES memberships (id),
    failure          TEXT,
    -- the provider's order number, when the provider needs its own (GP webpay: digits only)
    provider_order   TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX checkouts_user_idx ON checkouts (user_id, created_at DESC);
CREATE UNIQUE INDEX checkouts_provider_order_key ON checkouts (provider, provider_order);

CREATE TABLE payments (
    id                  TEXT   PRIMARY KEY NOT NULL,
    membership_id       TEXT   NOT NULL REFERENCES memberships (id),
    checkout_id         TEXT   REFERENCES checkouts (id),
    user_id             TEXT   NOT NULL REFERENCES users (id),
    creator_id          TEXT   NOT NULL REFERENCES creators (id),
    provider            TEXT   NOT NULL,
    provider_payment_id TEXT,
    -- one charge per key: a renewal job that runs twice finds its payment
    idempotency_key     TEXT   NOT NULL,
    -- duplicate: paid while already a member (two checkouts at once); to be refunded
    kind                TEXT   NOT NULL CHECK (kind IN ('initial', 'renewal', 'upgrade', 'duplicate')),
    status              TEXT   NOT NULL CHECK (status IN ('succeeded', 'failed', 'refunded')),
    amount              BIGINT NOT NULL CHECK (amount >= 0),
    currency            TEXT   NOT NULL,
    period_start        BIGINT,
    period_end          BIGINT,
    failure             TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX payments_idempotency_key ON payments (idempotency_key);
CREATE UNIQUE INDEX payments_provider_key ON payments (provider, provider_payment_id) WHERE provider_payment_id IS NOT NULL;
CREATE INDEX payments_creator_idx ON payments (creator_id, created_at DESC);
CREATE INDEX payments_user_idx ON payments (user_id, created_at DESC);
CREATE INDEX payments_membership_idx ON payments (membership_id, created_at DESC);

-- Append-only: never updated or deleted.
CREATE TABLE membership_events (
    id            TEXT   PRIMARY KEY NOT NULL,
    membership_id TEXT   NOT NULL REFERENCES memberships (id),
    creator_id    TEXT   NOT NULL REFERENCES creators (id),
    user_id       TEXT   NOT NULL REFERENCES users (id),
    tier_id       TEXT   NOT NULL REFERENCES tiers (id),
    kind          TEXT   NOT NULL CHECK (kind IN ('created', 'renewed', 'upgraded', 'downgraded', 'past_due', 'recovered', 'cancelled', 'expired', 'refunded')),
    -- the change of monthly recurring revenue, in minor units of currency
    mrr_delta     BIGINT NOT NULL,
    currency      TEXT   NOT NULL,
    payment_id    TEXT   REFERENCES payments (id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX membership_events_creator_idx ON membership_events (creator_id, created_at);
CREATE INDEX membership_events_membership_idx ON membership_events (membership_id, created_at);

-- The built-in sandbox gateway's own books: what it was asked to charge and what it answered.
CREATE TABLE sandbox_payments (
    id           TEXT   PRIMARY KEY NOT NULL,
    checkout_id  TEXT   REFERENCES checkouts (id),
    amount       BIGINT NOT NULL,
    currency     TEXT   NOT NULL,
    status       TEXT   NOT NULL CHECK (status IN ('open', 'paid', 'declined', 'refunded')),
    card_token   TEXT,
    created_at   BIGINT NOT NULL
);
-- Sandbox cards that decline merchant-initiated charges (to try failing renewals).
CREATE TABLE sandbox_cards (
    token     TEXT PRIMARY KEY NOT NULL,
    declines  INTEGER NOT NULL DEFAULT 0
);
