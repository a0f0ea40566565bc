// A fan's journey on the demo creator, in headless Chromium against patron on PostgreSQL:
// register → follow Gordíkey → see a locked teaser → (a membership created by the test, not
// through the public API) → see the post unlocked → vote in a poll → comment. Saves
// screenshots of the creator page in English and Czech.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launchBrowser, psql, runPatron, screenshots, startPatron, watchConsole, withDatabase } from './patron.mjs';

const admin = process.env.PATRON_TEST_DATABASE_URL;
const database = `patron_browser_${process.pid}_${Date.now()}`;
const databaseUrl = admin && withDatabase(admin, database);
const env = { PATRON_DATABASE_URL: databaseUrl, PATRON_SECRET_KEY: 'browser-test-secret-key-0123456789-abcdef' };
let patron, baseUrl, browser;

before(async () => {
  assert.ok(admin, 'PATRON_TEST_DATABASE_URL must name a PostgreSQL server (scripts/test sets it)');
  psql(admin, `CREATE DATABASE ${database}`);
  runPatron(['migrate'], env);
  patron = startPatron(['serve', '--demo'], env);
  baseUrl = await patron.ready;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (patron) assert.equal(await patron.stop(), 0, 'patron exits 0 on SIGTERM');
  if (admin) psql(admin, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
});

/** Gives the user a live "Na steaky" membership of Gordíkey, as the payments flow will. */
function grantSteakMembership(email) {
  const now = '(EXTRACT(EPOCH FROM now()) * 1000000)::bigint';
  psql(databaseUrl, `
    INSERT INTO memberships (id, user_id, creator_id, tier_id, status, price, currency, billing_interval,
                             current_period_start, current_period_end, created_at, updated_at)
    SELECT gen_random_uuid()::text, users.id, creators.id, tiers.id, 'active', tiers.monthly_price, tiers.currency, 'month',
           ${now}, ${now} + 2592000000000, ${now}, ${now}
    FROM users, creators JOIN tiers ON tiers.creator_id = creators.id
    WHERE users.email = '${email}' AND creators.slug = 'gordikey' AND tiers.name = 'Na steaky'`);
}

test('a fan follows, is teased, becomes a member, votes and comments', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const problems = watchConsole(page);
  const email = `fan-${Date.now()}@example.com`;

  await page.goto(baseUrl + '/register');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByTestId('register-submit').click();
  await page.waitForURL('**/account');

  await page.goto(baseUrl + '/gordikey');
  assert.equal(await page.getByTestId('creator-name').innerText(), 'Gordíkey');
  const prices = await page.getByTestId('tier-price').allInnerTexts();
  assert.deepEqual(prices.map((p) => p.split(' ')[0]), ['59\u00a0Kč', '99\u00a0Kč', '199\u00a0Kč']);
  await page.getByTestId('follow').click();
  await page.waitForURL('**/gordikey');
  await page.getByTestId('unfollow').waitFor();

  const recipe = page.locator('[data-testid="post"]', { hasText: 'The secret steak recipe' });
  assert.equal(await recipe.getAttribute('data-locked'), 'true', 'a teaser before membership');
  assert.match(await recipe.getByTestId('teaser').innerText(), /Na steaky/);
  assert.doesNotMatch(await page.content(), /Medium rare/, 'the locked body is not in the page');

  grantSteakMembership(email);
  await page.reload();
  assert.equal(await recipe.getAttribute('data-locked'), 'false', 'unlocked by the membership');
  assert.match(await recipe.getByTestId('post-body').innerText(), /Medium rare/);
  await page.getByTestId('membership').waitFor();
  await page.screenshot({ path: join(screenshots, 'creator-page-en.png'), fullPage: true });

  // vote without a reload: the page stays, the counts appear
  await page.locator('[data-testid="post"]', { hasText: 'Where should we walk on Sunday?' }).getByRole('link', { name: 'Where should we walk on Sunday?' }).click();
  await page.waitForURL('**/gordikey/posts/**');
  await page.evaluate(() => { window.stillHere = true; });
  const poll = page.getByTestId('poll');
  await poll.getByLabel('Divoká Šárka').check();
  await poll.getByTestId('vote').click();
  await poll.locator('li.chosen', { hasText: 'Divoká Šárka' }).waitFor();
  assert.equal(await page.evaluate(() => window.stillHere), true, 'voted without reloading the page');
  // the total follows the vote, in the right plural
  const counts = await poll.getByTestId('poll-votes').evaluateAll((spans) => spans.map((s) => Number(/\((\d+)\)/.exec(s.textContent)[1])));
  const total = counts.reduce((a, b) => a + b, 0);
  assert.ok(total >= 1);
  assert.equal(await poll.getByTestId('poll-total').innerText(), total === 1 ? '1 vote' : `${total} votes`);

  // comment, also without a reload
  await page.getByLabel('Write a comment').fill('Sunday at Šárka, see you there!');
  await page.getByTestId('comment-submit').click();
  await page.locator('[data-testid="comment"]', { hasText: 'Sunday at Šárka, see you there!' }).waitFor();
  assert.equal(await page.evaluate(() => window.stillHere), true, 'commented without reloading the page');
  await page.reload();
  await page.locator('[data-testid="comment"]', { hasText: 'Sunday at Šárka, see you there!' }).waitFor();

  assert.deepEqual(problems, [], 'no errors in the browser console (e.g. blocked by the CSP)');
  await context.close();
});

test('the creator page speaks Czech', async () => {
  const context = await browser.newContext({ locale: 'cs-CZ' });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto(baseUrl + '/gordikey');
  assert.equal(await page.locator('html').getAttribute('lang'), 'cs');
  await page.getByText('Úrovně členství').waitFor();
  await page.screenshot({ path: join(screenshots, 'creator-page-cs.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});
