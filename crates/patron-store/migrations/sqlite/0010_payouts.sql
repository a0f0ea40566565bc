-- Where a team member's earnings are paid: one bank account per person, private to them and
-- to platform admins (whose views are audit-logged). The IBAN is checked and kept electronic.
CREATE TABLE payee_accounts (
    user_id    TEXT   PRIMARY KEY NOT NULL REFERENCES users (id),
    holder     TEXT   NOT NULL,
    iban       TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One run of the payouts job in one currency: the payouts the bank file of the batch holds.
-- Open until an admin marks it sent.
CREATE TABLE payout_batches (
    id         TEXT   PRIMARY KEY NOT NULL,
    currency   TEXT   NOT NULL,
    status     TEXT   NOT NULL CHECK (status IN ('open', 'sent')),
    total      BIGINT NOT NULL,
    cutoff     BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at    BIGINT,
    sent_by    TEXT   REFERENCES users (id)
);
CREATE INDEX payout_batches_created_idx ON payout_batches (created_at);

-- One person's payout in one currency: what their pages owed them at the batch's cutoff, to
-- the account they had then. Its ledger entries carry its id.
CREATE TABLE payouts (
    id         TEXT   PRIMARY KEY NOT NULL,
    batch_id   TEXT   NOT NULL REFERENCES payout_batches (id),
    user_id    TEXT   NOT NULL REFERENCES users (id),
    currency   TEXT   NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount > 0),
    holder     TEXT   NOT NULL,
    iban       TEXT   NOT NULL,
    status     TEXT   NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    reason     TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX payouts_batch_idx ON payouts (batch_id);
CREATE INDEX payouts_user_idx ON payouts (user_id, created_at);
CREATE INDEX ledger_entries_payout_idx ON ledger_entries (payout_id) WHERE payout_id IS NOT NULL;
