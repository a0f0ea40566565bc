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
