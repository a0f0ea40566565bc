// Stripe in a real browser: with Stripe configured (localstripe, which scripts/test starts, and
// the Stripe.js it serves), a new person joins Gordíkey's "Na steaky" on patron's own payment
// page with a card whose bank wants its holder, completes the bank's check twice (when the
// card is saved and when it is charged), and lands on the creator page as a member; then
// changes the card from the account page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, screenshots, startPatron, watchConsole } from './patron.mjs';

const api = process.env.PATRON_TEST_STRIPE_API_BASE;
const data = mkdtempSync(join(tmpdir(), 'patron-stripe-'));
const env = {
  PATRON_DATA_DIR: data,
  PATRON_PAYMENT_SANDBOX: 'false',
  PATRON_STRIPE_SECRET_KEY: 'sk_test_browser',
  PATRON_STRIPE_PUBLISHABLE_KEY: 'pk_test_browser',
  PATRON_STRIPE_WEBHOOK_SECRET: 'whsec_browser',
  PATRON_STRIPE_API_BASE: api,
  PATRON_STRIPE_JS_URL: `${api}/js.stripe.com/v3/`,
};
let patron, baseUrl, browser;

before(async () => {
  assert.ok(api, 'PATRON_TEST_STRIPE_API_BASE must name localstripe (scripts/test starts it)');
  patron = startPatron(['serve', '--demo'], env);
  baseUrl = await patron.ready;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (patron) assert.equal(await patron.stop(), 0, 'patron exits 0 on SIGTERM');
  rmSync(data, { recursive: true, force: true });
});

/** Types a card into localstripe's card field, as a person would. */
async function typeCard(page, number) {
  const field = (name) => page.locator(`[data-testid="card-element"] input[placeholder="${name}"]`);
  await field('number').pressSequentially(number);
  await field('exp_month').pressSequentially('12');
  await field('exp_year').pressSequentially('30');
  await field('cvc').pressSequentially('123');
  await field('postal_code').pressSequentially('11000');
}

/** The bank's check, shown by Stripe.js over the page. */
async function completeAuthentication(page) {
  await page.getByRole('button', { name: 'Complete authentication' }).click();
}

test('a person joins through Stripe with a card that needs their bank, then changes the card', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto(baseUrl + '/register');
  await page.getByLabel('E-mail').fill(`stripe-${Date.now()}@example.com`);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByTestId('register-submit').click();
  await page.waitForURL('**/account');

  await page.goto(baseUrl + '/gordikey');
  await page.getByTestId('tier').filter({ hasText: 'Na steaky' }).getByTestId('join-tier').click();
  await page.getByTestId('checkout-pay').click();
  await page.waitForURL('**/payments/stripe/**');
  assert.match(await page.getByTestId('stripe-amount').innerText(), /99/);
  await typeCard(page, '4000002500003155');
  await page.getByTestId('stripe-pay').click();
  await completeAuthentication(page); // saving the card
  await completeAuthentication(page); // charging it
  await page.waitForURL('**/gordikey?payment=paid');
  assert.match(await page.getByTestId('membership').innerText(), /Na steaky/);

  // the account page shows the card on file; the fan replaces it
  await page.goto(baseUrl + '/account');
  const row = page.getByTestId('membership-row').filter({ hasText: 'Na steaky' });
  assert.match(await row.innerText(), /3155/);
  await row.getByTestId('change-card').click();
  await page.waitForURL('**/payments/card/**');
  await typeCard(page, '4242424242424242');
  await page.getByTestId('stripe-save-card').click();
  await page.waitForURL('**/account#memberships');
  assert.match(await page.getByTestId('membership-row').filter({ hasText: 'Na steaky' }).innerText(), /4242/);
  assert.deepEqual(problems, []);
  await page.screenshot({ path: join(screenshots, 'stripe-card-changed.png'), fullPage: true });
});
