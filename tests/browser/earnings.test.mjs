// Earnings in a real browser: in `patron serve --demo` Gordíkey's owner changes a contributor's
// share, a new fan joins "Na steaky" through the sandbox, and the Earnings screen shows each
// member's part of the 99 Kč by the new shares.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, screenshots, startPatron, watchConsole } from './patron.mjs';

const data = mkdtempSync(join(tmpdir(), 'patron-earnings-'));
let patron, baseUrl, browser;

before(async () => {
  patron = startPatron(['serve', '--demo'], { PATRON_DATA_DIR: data, PATRON_PAYMENT_SANDBOX: 'true' });
  baseUrl = await patron.ready;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (patron) assert.equal(await patron.stop(), 0, 'patron exits 0 on SIGTERM');
  rmSync(data, { recursive: true, force: true });
});

test('the owner sets the shares, a fan joins, and the Earnings screen shows each member\'s part', async () => {
  const owner = await (await browser.newContext({ locale: 'en-US' })).newPage();
  // the refused shares answer 422, which the browser logs
  const problems = watchConsole(owner, ['status of 422']);
  await owner.goto(baseUrl + '/login');
  await owner.getByLabel('E-mail').fill('gordikey@demo.patron.example');
  await owner.getByLabel('Password').fill('patron-demo');
  await owner.getByTestId('login-submit').click();
  await owner.waitForURL((url) => !url.pathname.startsWith('/login'));
  await owner.goto(baseUrl + '/studio/gordikey');
  await owner.getByTestId('earnings-link').click();
  await owner.waitForURL('**/studio/gordikey/earnings');
  assert.equal(await owner.getByTestId('owner-share').innerText(), '40 %', 'the demo owner keeps 40 %');

  // a share that would take more than there is is refused, and nothing changes
  const petra = owner.getByTestId('share').filter({ hasText: 'Petra' }).getByTestId('share-input');
  await petra.fill('90');
  await owner.getByTestId('save-shares').click();
  assert.match(await owner.getByTestId('form-error').innerText(), /more than 100/);
  await owner.goto(baseUrl + '/studio/gordikey/earnings');
  assert.equal(await owner.getByTestId('owner-share').innerText(), '40 %');

  await owner.getByTestId('share').filter({ hasText: 'Petra' }).getByTestId('share-input').fill('25');
  await owner.getByTestId('save-shares').click();
  await owner.getByTestId('notice').waitFor();
  assert.equal(await owner.getByTestId('owner-share').innerText(), '35 %');

  // what each member was owed before (the demo's fans paid already): in haléře
  const rows = owner.getByTestId('balance');
  const owed = async (name) => {
    const text = (await rows.filter({ hasText: name }).getByTestId('owed').innerText()).replace(/[\s\u00a0]|Kč/g, '');
    return Math.round(Number(text.replace(',', '.')) * 100);
  };
  const names = ["Gordíkey's human", 'Petra', 'Martin', 'Eva'];
  const before = {};
  for (const name of names) before[name] = await owed(name);

  const fan = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await fan.goto(baseUrl + '/register');
  await fan.getByLabel('E-mail').fill(`earner-${Date.now()}@example.com`);
  await fan.getByLabel('Password').fill('correct horse battery');
  await fan.getByTestId('register-submit').click();
  await fan.waitForURL('**/account');
  await fan.goto(baseUrl + '/gordikey');
  await fan.getByTestId('tier').filter({ hasText: 'Na steaky' }).getByTestId('join-tier').click();
  await fan.getByTestId('checkout-pay').click();
  await fan.waitForURL('**/sandbox-gateway/payments/**');
  await fan.getByTestId('sandbox-pay').click();
  await fan.waitForURL('**/gordikey?payment=paid');

  await owner.goto(baseUrl + '/studio/gordikey/earnings');
  const earned = async (name) => (await owed(name)) - before[name];
  assert.equal(await earned("Gordíkey's human"), 3465, '35 % of 99 Kč');
  assert.equal(await earned('Petra'), 2475, '25 %');
  assert.equal(await earned('Martin'), 1485, '15 %');
  assert.equal(await earned('Eva'), 495, '5 %');
  assert.equal(await rows.count(), 6, 'the owner and five contributors');
  assert.deepEqual(problems, []);
  await owner.screenshot({ path: join(screenshots, 'studio-earnings.png'), fullPage: true });
});
