// The Payments issue's acceptance in a real browser: in `patron serve --demo` a new person
// joins Gordíkey's "Na steaky" through the sandbox gateway, reads what that tier unlocks at
// once, and the creator's dashboard shows 99 CZK more monthly revenue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launchBrowser, psql, runPatron, screenshots, startPatron, watchConsole, withDatabase } from './patron.mjs';

const admin = process.env.PATRON_TEST_DATABASE_URL;
const database = `patron_payments_${process.pid}_${Date.now()}`;
const databaseUrl = admin && withDatabase(admin, database);
// cloud mode (PostgreSQL) offers the sandbox only when enabled
const env = {
  PATRON_DATABASE_URL: databaseUrl,
  PATRON_SECRET_KEY: 'browser-test-secret-key-0123456789-abcdef',
  PATRON_PAYMENT_SANDBOX: 'true',
};
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

async function monthlyRevenue(page) {
  await page.goto(baseUrl + '/studio/gordikey');
  const text = await page.getByTestId('monthly-revenue').innerText();
  return Number(text.replace(/\s/g, '').match(/^(\d+)/)[1]);
}

test('a person joins "Na steaky" in the sandbox, reads what it unlocks at once, and the revenue grows by 99 CZK', async () => {
  const creator = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await creator.goto(baseUrl + '/login');
  await creator.getByLabel('E-mail').fill('gordikey@demo.patron.example');
  await creator.getByLabel('Password').fill('patron-demo');
  await creator.getByTestId('login-submit').click();
  await creator.waitForURL((url) => !url.pathname.startsWith('/login'));
  const before = await monthlyRevenue(creator);
  assert.equal(before, 59 + 99 + 199, 'the demo members count from the start');

  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto(baseUrl + '/register');
  await page.getByLabel('E-mail').fill(`joiner-${Date.now()}@example.com`);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByTestId('register-submit').click();
  await page.waitForURL('**/account');

  await page.goto(baseUrl + '/gordikey');
  const lockedBefore = await page.locator('[data-testid="post"][data-locked="true"]').evaluateAll((posts) => posts.map((p) => p.dataset.postId));
  assert.ok(lockedBefore.length > 0, 'a stranger sees teasers');
  await page.getByTestId('tier').filter({ hasText: 'Na steaky' }).getByTestId('join-tier').click();
  // the summary names the tier, today's charge and the renewal before anything is paid
  assert.equal(await page.getByTestId('checkout-tier').innerText(), 'Na steaky');
  assert.match(await page.getByTestId('checkout-amount').innerText(), /99/);
  assert.match(await page.getByTestId('checkout-renews').innerText(), /99/);
  await page.getByTestId('checkout-pay').click();
  await page.waitForURL('**/sandbox-gateway/payments/**');
  assert.match(await page.getByTestId('sandbox-banner').innerText(), /SANDBOX/);
  assert.match(await page.getByTestId('sandbox-amount').innerText(), /99/);
  await page.getByTestId('sandbox-pay').click();
  await page.waitForURL('**/gordikey?payment=paid');
  assert.match(await page.getByTestId('payment-result').innerText(), /membership is active/);
  assert.match(await page.getByTestId('membership').innerText(), /Na steaky/);
  const lockedAfter = await page.locator('[data-testid="post"][data-locked="true"]').evaluateAll((posts) => posts.map((p) => p.dataset.postId));
  const unlocked = lockedBefore.filter((id) => !lockedAfter.includes(id));
  assert.ok(unlocked.length > 0, `posts for "Na steaky" are readable at once (locked before ${lockedBefore.length}, after ${lockedAfter.length})`);
  assert.deepEqual(problems, []);
  await page.screenshot({ path: join(screenshots, 'payment-member.png'), fullPage: true });

  // the fan sees the membership and its receipt on the account page, and can cancel it
  await page.goto(baseUrl + '/account');
  const row = page.getByTestId('membership-row').filter({ hasText: 'Na steaky' });
  assert.equal(await row.getAttribute('data-status'), 'membership.active');
  assert.match(await page.getByTestId('payments').innerText(), /99/);
  // the dialog says what cancelling means before anything happens
  page.once('dialog', (dialog) => {
    assert.match(dialog.message(), /will not renew/);
    dialog.accept();
  });
  await row.getByTestId('cancel-membership').click();
  await page.waitForURL('**/account#memberships');
  await page.getByTestId('membership-row').filter({ hasText: 'Na steaky' }).getByTestId('resume-membership').waitFor();

  assert.equal(await monthlyRevenue(creator), before + 99, 'the dashboard shows 99 CZK more');
  await creator.screenshot({ path: join(screenshots, 'payment-dashboard.png'), fullPage: true });
});
