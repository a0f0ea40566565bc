// Payouts in a real browser, in Czech: in `patron serve --demo` with the platform's account set
// and no hold, Gordíkey's owner mistypes an account number and is told which field, saves
// a Czech account, and the platform admin makes a batch (only once the box is ticked),
// downloads its bank file and marks it sent; the owner then sees the payout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, screenshots, startPatron, watchConsole } from './patron.mjs';

const data = mkdtempSync(join(tmpdir(), 'patron-payouts-'));
let patron, baseUrl, browser;

before(async () => {
  patron = startPatron(['serve', '--demo'], {
    PATRON_DATA_DIR: data,
    PATRON_PAYMENT_SANDBOX: 'true',
    PATRON_PAYOUT_IBAN: 'CZ65 0800 0000 1920 0014 5399',
    PATRON_PAYOUT_NAME: 'Platforma s.r.o.',
    PATRON_PAYOUT_HOLD: '0s',
    PATRON_PAYOUT_MINIMUM: '1 CZK',
  });
  baseUrl = await patron.ready;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (patron) assert.equal(await patron.stop(), 0, 'patron exits 0 on SIGTERM');
  rmSync(data, { recursive: true, force: true });
});

async function logIn(email) {
  const page = await (await browser.newContext({ locale: 'cs-CZ', acceptDownloads: true })).newPage();
  await page.goto(baseUrl + '/login');
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill('patron-demo');
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  return page;
}

test('a payee gives a bank account in Czech and the admin pays the batch out', async () => {
  const owner = await logIn('gordikey@demo.patron.example');
  // the typo answers 422, which the browser logs
  const problems = watchConsole(owner, ['status of 422']);
  await owner.goto(baseUrl + '/account');
  await owner.getByTestId('payouts-link').click();
  await owner.waitForURL('**/account/payouts');
  await owner.getByTestId('no-bank-account').waitFor();
  await owner.locator('input[name=holder]').fill('Gordíkey s.r.o.');
  await owner.getByTestId('iban-input').fill('19-2000145398/0800');
  await owner.getByTestId('save-bank-account').click();
  assert.match(await owner.getByTestId('iban-error').innerText(), /Číslo účtu nesedí/);
  assert.equal(await owner.getByTestId('iban-input').inputValue(), '19-2000145398/0800', 'what was typed stays');
  await owner.getByTestId('iban-input').fill('19-2000145399/0800');
  await owner.getByTestId('save-bank-account').click();
  await owner.getByTestId('notice').waitFor();
  assert.equal(await owner.getByTestId('iban-input').inputValue(), 'CZ65 0800 0000 1920 0014 5399');

  const admin = await logIn('admin@demo.patron.example');
  await admin.goto(baseUrl + '/admin/payouts');
  // the demo's three payments: the owner's 40 % of 357 Kč after no fee; the others have no account
  assert.match(await admin.getByTestId('due').innerText(), /Výplaty: 1, celkem 142[.,]80/);
  await admin.getByTestId('confirm-run').check();
  await admin.getByTestId('run-payouts').click();
  await admin.waitForURL('**/admin/payouts');
  await admin.getByTestId('batch').first().locator('a').click();
  await admin.getByTestId('batch-payouts').waitFor();
  assert.match(await admin.getByTestId('payout').innerText(), /CZ65 0800 0000 1920 0014 5399/);
  const [download] = await Promise.all([admin.waitForEvent('download'), admin.getByTestId('download-file').click()]);
  const xml = readFileSync(await download.path(), 'utf8');
  assert.match(xml, /urn:iso:std:iso:20022:tech:xsd:pain\.001\.001\.03/);
  assert.match(xml, /<CtrlSum>142\.80<\/CtrlSum>/);
  await admin.getByTestId('confirm-sent').check();
  await admin.getByTestId('mark-sent').click();
  await admin.getByTestId('batch-sent').waitFor();
  await admin.screenshot({ path: join(screenshots, 'admin-payout-batch.png'), fullPage: true });

  await owner.goto(baseUrl + '/account/payouts');
  assert.match(await owner.getByTestId('my-payouts').innerText(), /142[.,]80[\s\u00a0]Kč\s+odesláno/);
  assert.deepEqual(problems, []);
});
