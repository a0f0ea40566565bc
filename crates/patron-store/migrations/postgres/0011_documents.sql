-- Tax documents: one invoice per payment that brought money in, one credit note per refund,
-- numbered without gaps per series and year. The counter's row is updated in the payment's
-- transaction, so a number is taken only by a payment that commits.
CREATE TABLE document_counters (
    series      TEXT   NOT NULL,
    year        BIGINT NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (series, year)
);

-- Everything printed is kept as it was on the day (the seller's and buyer's details, names,
-- amounts), so a document never changes when settings or pages do.
CREATE TABLE tax_documents (
    id             TEXT   PRIMARY KEY NOT NULL,
    kind           TEXT   NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
    series         TEXT   NOT NULL,
    year           BIGINT NOT NULL,
    number         BIGINT NOT NULL,
    code           TEXT   NOT NULL,
    payment_id     TEXT   NOT NULL REFERENCES payments (id),
    refers_to      TEXT,  -- the invoice a credit note corrects (no foreign key: rows copy in any order)
    user_id        TEXT   NOT NULL REFERENCES users (id),
    creator_id     TEXT   NOT NULL REFERENCES creators (id),
    issued_at      BIGINT NOT NULL,
    supplied_on    TEXT   NOT NULL,
    seller_name    TEXT   NOT NULL,
    seller_address TEXT   NOT NULL,
    seller_country TEXT   NOT NULL,
    seller_vat_id  TEXT,
    buyer_name     TEXT   NOT NULL,
    buyer_email    TEXT   NOT NULL,
    buyer_country  TEXT   NOT NULL,
    buyer_vat_id   TEXT,
    creator_name   TEXT   NOT NULL,
    tier_name      TEXT   NOT NULL,
    period_start   BIGINT,
    period_end     BIGINT,
    currency       TEXT   NOT NULL,
    gross          BIGINT NOT NULL,
    net            BIGINT NOT NULL,
    vat            BIGINT NOT NULL,
    rate_bp        BIGINT NOT NULL,
    scheme         TEXT   NOT NULL CHECK (scheme IN ('not_registered', 'domestic', 'oss', 'reverse_charge', 'outside_eu'))
);
-- one number once per series and year; one invoice and one credit note per payment
CREATE UNIQUE INDEX tax_documents_number_key ON tax_documents (series, year, number);
CREATE UNIQUE INDEX tax_documents_code_key ON tax_documents (code);
CREATE UNIQUE INDEX tax_documents_payment_key ON tax_documents (payment_id, kind);
CREATE INDEX tax_documents_user_idx ON tax_documents (user_id, issued_at);
CREATE INDEX tax_documents_creator_idx ON tax_documents (creator_id, issued_at);
