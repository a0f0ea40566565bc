-- Repeat charges on real gateways. A checkout either starts a membership (join) or pays the
-- renewal of a past-due membership while the fan is present (renewal: the bank asked the fan
-- to authenticate, or the fan pays with another card).
ALTER TABLE checkouts ADD COLUMN purpose TEXT NOT NULL DEFAULT 'join' CHECK (purpose IN ('join', 'renewal'));

-- The card renewals charge, as the provider reports it (never its number): shown to the fan,
-- and a card that expires before the next charge gets a reminder.
ALTER TABLE memberships ADD COLUMN card_brand TEXT;
ALTER TABLE memberships ADD COLUMN card_last4 TEXT;
-- YYYY-MM
ALTER TABLE memberships ADD COLUMN card_expiry TEXT;

-- Numbers a provider wants unique per merchant (GP webpay's order numbers and repeat-payment
-- numbers share one space): each allocated once, for one purpose (a checkout, a renewal
-- charge), so a charge tried again after an unknown outcome carries the same number.
CREATE TABLE provider_orders (
    provider     TEXT   NOT NULL,
    order_number TEXT   NOT NULL,
    purpose      TEXT   NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (provider, order_number)
);
CREATE UNIQUE INDEX provider_orders_purpose_key ON provider_orders (provider, purpose);

-- Providers' records: a provider's customer for each user (Stripe), the webhook events already
-- handled (each acted on once), and disputes (chargebacks) with where they stand.
CREATE TABLE provider_customers (
    provider    TEXT   NOT NULL,
    user_id     TEXT   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    customer_id TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (provider, user_id)
);
CREATE TABLE provider_events (
    provider   TEXT   NOT NULL,
    event_id   TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    handled_at BIGINT NOT NULL,
    PRIMARY KEY (provider, event_id)
);
CREATE TABLE disputes (
    provider   TEXT   NOT NULL,
    dispute_id TEXT   NOT NULL,
    payment_id TEXT   NOT NULL REFERENCES payments (id),
    status     TEXT   NOT NULL CHECK (status IN ('open', 'won', 'lost')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (provider, dispute_id)
);
CREATE INDEX disputes_payment_idx ON disputes (payment_id);

-- Disputes reach the membership ledger: the table is rebuilt with the new kinds (SQLite cannot
-- change a CHECK constraint in place; nothing refers to this table).
CREATE TABLE membership_events_new (
    id            TEXT   PRIMARY KEY NOT NULL,
    membership_id TEXT   NOT NULL REFERENCES memberships (id),
    creator_id    TEXT   NOT NULL REFERENCES creators (id),
    user_id       TEXT   NOT NULL REFERENCES users (id),
    tier_id       TEXT   NOT NULL REFERENCES tiers (id),
    kind          TEXT   NOT NULL CHECK (kind IN ('created', 'renewed', 'upgraded', 'downgraded', 'past_due', 'recovered', 'cancelled', 'expired', 'refunded', 'disputed', 'dispute_won', 'dispute_lost')),
    -- the change of monthly recurring revenue, in minor units of currency
    mrr_delta     BIGINT NOT NULL,
    currency      TEXT   NOT NULL,
    payment_id    TEXT   REFERENCES payments (id),
    created_at    BIGINT NOT NULL
);
INSERT INTO membership_events_new (id, membership_id, creator_id, user_id, tier_id, kind, mrr_delta, currency, payment_id, created_at)
    SELECT id, membership_id, creator_id, user_id, tier_id, kind, mrr_delta, currency, payment_id, created_at FROM membership_events;
DROP TABLE membership_events;
ALTER TABLE membership_events_new RENAME TO membership_events;
CREATE INDEX membership_events_creator_idx ON membership_events (creator_id, created_at);
CREATE INDEX membership_events_membership_idx ON membership_events (membership_id, created_at);
