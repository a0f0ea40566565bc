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

-- Disputes reach the membership ledger.
ALTER TABLE membership_events DROP CONSTRAINT membership_events_kind_check;
ALTER TABLE membership_events ADD CONSTRAINT membership_events_kind_check
    CHECK (kind IN ('created', 'renewed', 'upgraded', 'downgraded', 'past_due', 'recovered', 'cancelled', 'expired', 'refunded', 'disputed', 'dispute_won', 'dispute_lost'));
