-- Seeds a migrated patron PostgreSQL database for performance measurements:
-- :creators creators with 3 tiers and :posts_per_creator posts each, :fans fans with 4
-- memberships and ~20 follows each. Ids are deterministic, so runs are comparable.
-- Usage: psql URL -v creators=10000 -v posts_per_creator=100 -v fans=50000 -f seed.sql
\set ON_ERROR_STOP on
\timing on
SELECT (EXTRACT(EPOCH FROM now()) * 1000000)::bigint AS now_us \gset

BEGIN;
INSERT INTO users (id, email, password_hash, display_name, is_platform_admin, locale, created_at, updated_at)
SELECT md5('owner' || i)::uuid::text, 'owner' || i || '@perf.example', 'x', 'Owner ' || i, false, 'en', :now_us, :now_us
FROM generate_series(1, :creators) i;

INSERT INTO users (id, email, password_hash, display_name, is_platform_admin, locale, created_at, updated_at)
SELECT md5('fan' || i)::uuid::text, 'fan' || i || '@perf.example', 'x', 'Fan ' || i, false, 'en', :now_us, :now_us
FROM generate_series(1, :fans) i;

INSERT INTO creators (id, slug, name, search_name, bio, is_hidden, supporters_count, followers_count, created_at, updated_at)
SELECT md5('creator' || i)::uuid::text, 'creator-' || i, 'Creator ' || i, 'creator ' || i, 'About creator ' || i,
       false, 0, 0, :now_us - i::bigint * 1000000, :now_us
FROM generate_series(1, :creators) i;

INSERT INTO creator_members (creator_id, user_id, role, created_at)
SELECT md5('creator' || i)::uuid::text, md5('owner' || i)::uuid::text, 'owner', :now_us
FROM generate_series(1, :creators) i;

INSERT INTO tiers (id, creator_id, name, description, benefits, monthly_price, yearly_price, currency, rank, member_cap,
                   created_at, updated_at)
SELECT md5('tier' || c || '-' || r)::uuid::text, md5('creator' || c)::uuid::text, 'Tier ' || r, '', '[]', 5900 * r, NULL,
       'CZK', r, NULL, :now_us, :now_us
FROM generate_series(1, :creators) c, generate_series(1, 3) r;

-- posts spread pseudo-randomly over the last two years, a third each public, supporters, tier 2
INSERT INTO posts (id, creator_id, author_id, kind, title, body, body_html, visibility, min_tier_id, public_from,
                   published_at, pinned, media_processed, poll_multiple, comments_count, created_at, updated_at)
SELECT md5('post' || c || '-' || n)::uuid::text, md5('creator' || c)::uuid::text, md5('owner' || c)::uuid::text,
       (ARRAY['text', 'photo', 'video', 'text', 'live'])[1 + n % 5], 'Post ' || n || ' of creator ' || c,
       'Body of post ' || n, '<p>Body of post ' || n || '</p>',
       (ARRAY['public', 'supporters', 'tier'])[1 + n % 3],
       CASE WHEN n % 3 = 2 THEN md5('tier' || c || '-2')::uuid::text END, NULL,
       :now_us - ((n::bigint * 7919 + c::bigint * 13) % 63072000) * 1000000,
       false, true, false, 0, :now_us, :now_us
FROM generate_series(1, :creators) c, generate_series(1, :posts_per_creator) n;

INSERT INTO memberships (id, user_id, creator_id, tier_id, status, price, currency, billing_interval,
                         current_period_start, current_period_end, cancel_at_period_end, created_at, updated_at)
SELECT md5('membership' || f || '-' || k)::uuid::text, md5('fan' || f)::uuid::text, md5('creator' || c)::uuid::text,
       md5('tier' || c || '-' || r)::uuid::text, 'active', 5900 * r, 'CZK', 'month',
       :now_us, :now_us + 2592000000000, false, :now_us, :now_us
FROM (SELECT f, k, 1 + ((f * 7 + k * 2503) % :creators) AS c, 1 + ((f + k) % 3) AS r
      FROM generate_series(1, :fans) f, generate_series(0, 3) k) pairs;

INSERT INTO follows (user_id, creator_id, created_at)
SELECT user_id, creator_id, :now_us FROM memberships
UNION
SELECT md5('fan' || f)::uuid::text, md5('creator' || (1 + ((f * 11 + k * 613) % :creators)))::uuid::text, :now_us
FROM generate_series(1, :fans) f, generate_series(0, 15) k;

UPDATE creators SET supporters_count = counts.n
FROM (SELECT creator_id, COUNT(*) AS n FROM memberships WHERE status IN ('active', 'past_due') GROUP BY creator_id) counts
WHERE counts.creator_id = creators.id;
UPDATE creators SET followers_count = counts.n
FROM (SELECT creator_id, COUNT(*) AS n FROM follows GROUP BY creator_id) counts
WHERE counts.creator_id = creators.id;
COMMIT;

ANALYZE;
