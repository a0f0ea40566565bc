-- Who a buyer is, for tax: the country decided from the evidence (the country they stated,
-- the card's, the IP address's) and, for a business, its name and VAT ID with VIES's answer.
-- Made at checkout; the membership the checkout starts keeps it, so renewals are taxed alike.
CREATE TABLE billing_profiles (
    id                TEXT   PRIMARY KEY NOT NULL,
    user_id           TEXT   NOT NULL REFERENCES users (id),
    country           TEXT   NOT NULL,
    stated_country    TEXT,
    ip_country        TEXT,
    card_country      TEXT,
    company_name      TEXT,
    vat_id            TEXT,
    -- confirmed: VIES confirmed it; unverified: VIES did not answer (VAT charged, checked again
    -- later); invalid: VIES said it is not valid at the re-check
    vat_id_status     TEXT   CHECK (vat_id_status IN ('confirmed', 'unverified', 'invalid')),
    vat_id_checked_at BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX billing_profiles_vat_id_status_idx ON billing_profiles (vat_id_status);

ALTER TABLE checkouts ADD COLUMN billing_profile_id TEXT REFERENCES billing_profiles (id);
ALTER TABLE memberships ADD COLUMN billing_profile_id TEXT REFERENCES billing_profiles (id);

-- what each document was decided on, kept with it: the business's name, the evidence of the
-- buyer's country and its verdict (agreed, single, conflict, none), VIES's answer at the time,
-- and the VAT in Czech crowns at the Czech National Bank's rate when the currency is another
ALTER TABLE tax_documents ADD COLUMN buyer_company TEXT;
ALTER TABLE tax_documents ADD COLUMN stated_country TEXT;
ALTER TABLE tax_documents ADD COLUMN card_country TEXT;
ALTER TABLE tax_documents ADD COLUMN ip_country TEXT;
ALTER TABLE tax_documents ADD COLUMN evidence TEXT;
ALTER TABLE tax_documents ADD COLUMN vat_id_status TEXT;
ALTER TABLE tax_documents ADD COLUMN vat_czk BIGINT;
ALTER TABLE tax_documents ADD COLUMN czk_rate TEXT;

-- Exchange rates as published: the Czech National Bank's (`cnb`: CZK for one unit of the
-- currency) for the CZK equivalent of a document's VAT, the European Central Bank's (`ecb`:
-- units of the currency for one euro) for the OSS return. In millionths, exact.
CREATE TABLE exchange_rates (
    source     TEXT   NOT NULL CHECK (source IN ('cnb', 'ecb')),
    day        TEXT   NOT NULL,
    currency   TEXT   NOT NULL,
    rate       BIGINT NOT NULL CHECK (rate > 0),
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (source, day, currency)
);
