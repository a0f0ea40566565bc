-- The platform's books: double entry in integer minor units. Each entry's postings sum to
-- zero (checked before it is written); entries are only ever added — a refund is a new entry
-- that reverses its payment's. Accounts are codes: clearing, platform_fees, gateway_fees,
-- disputes, in_transit, payee:{creator}:{user}.
CREATE TABLE ledger_entries (
    id               TEXT   PRIMARY KEY NOT NULL,
    kind             TEXT   NOT NULL CHECK (kind IN ('payment', 'refund', 'dispute_opened', 'dispute_won',
                                                     'dispute_lost', 'gateway_fee', 'payout', 'payout_sent',
                                                     'payout_failed')),
    currency         TEXT   NOT NULL,
    creator_id       TEXT   REFERENCES creators (id),
    payment_id       TEXT   REFERENCES payments (id),
    payout_id        TEXT,
    created_at       BIGINT NOT NULL
);
-- a payment is posted once, refunded once, its dispute opened and decided once
CREATE UNIQUE INDEX ledger_entries_payment_key ON ledger_entries (payment_id, kind) WHERE payment_id IS NOT NULL;
CREATE INDEX ledger_entries_creator_idx ON ledger_entries (creator_id, created_at);

CREATE TABLE ledger_postings (
    entry_id TEXT   NOT NULL REFERENCES ledger_entries (id),
    account  TEXT   NOT NULL,
    amount   BIGINT NOT NULL,
    PRIMARY KEY (entry_id, account)
);
CREATE INDEX ledger_postings_account_idx ON ledger_postings (account);

-- a platform admin's fee for one page, instead of PATRON_PLATFORM_FEE (basis points: 1000 = 10 %)
CREATE TABLE creator_fees (
    creator_id   TEXT   PRIMARY KEY NOT NULL REFERENCES creators (id),
    basis_points BIGINT NOT NULL CHECK (basis_points BETWEEN 0 AND 10000),
    updated_at   BIGINT NOT NULL
);

-- how a page's revenue is divided among its team; the newest split applies to later payments
CREATE TABLE revenue_splits (
    id         TEXT   PRIMARY KEY NOT NULL,
    creator_id TEXT   NOT NULL REFERENCES creators (id),
    created_by TEXT   REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX revenue_splits_creator_idx ON revenue_splits (creator_id, created_at);
CREATE TABLE revenue_split_parts (
    split_id     TEXT   NOT NULL REFERENCES revenue_splits (id),
    user_id      TEXT   NOT NULL REFERENCES users (id),
    basis_points BIGINT NOT NULL CHECK (basis_points BETWEEN 1 AND 10000),
    PRIMARY KEY (split_id, user_id)
);
