-- A person's own account: an address-confirmation token either confirms the address the
-- account has ('verify') or moves the account to a new one ('change'); an erased account keeps
-- its row — payments, invoices and the books refer to it and must be kept — without anything
-- that names the person.
ALTER TABLE email_verification_tokens ADD COLUMN purpose TEXT NOT NULL DEFAULT 'verify';
ALTER TABLE users ADD COLUMN erased_at INTEGER;
-- A post brought in without announcing it (the demo's, an import's) is not mailed to the
-- followers when its files finish processing either.
ALTER TABLE posts ADD COLUMN announce INTEGER NOT NULL DEFAULT 1;
