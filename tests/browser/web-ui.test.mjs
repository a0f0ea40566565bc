// The web UI in headless Chromium: a person registers, logs out, logs in and logs out
// everywhere, against a real `patron serve` with its embedded defaults.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, screenshots, startPatron, watchConsole } from './patron.mjs';

let patron, baseUrl, browser, dataDir;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'patron-browser-'));
  patron = startPatron(['serve'], { PATRON_DATA_DIR: dataDir });
  baseUrl = await patron.ready;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (patron) assert.equal(await patron.stop(), 0, 'patron exits 0 on SIGTERM');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('a person registers, logs out, logs in and logs out everywhere', async () => {
  const page = await browser.newPage();
  // the log-in form answers a wrong password with 401, which Chromium reports; nothing else may fail
  const problems = watchConsole(page, ['status of 401']);
  const email = `browser-${Date.now()}@example.com`;

  await page.goto(baseUrl + '/');
  await page.getByTestId('nav-register').click();
  await page.waitForURL('**/register');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Name shown to others').fill('Gordíkey');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByTestId('register-submit').click();
  await page.waitForURL('**/account');
  assert.equal(await page.getByTestId('account-email').innerText().then((t) => t.split(' ')[0]), email);
  assert.equal(await page.getByTestId('account-name').innerText(), 'Gordíkey');
  const layout = await page.evaluate(() => getComputedStyle(document.body).display);
  assert.equal(layout, 'flex', 'the stylesheet loaded');
  await page.screenshot({ path: join(screenshots, 'account.png'), fullPage: true });

  await page.getByTestId('nav-logout').click();
  await page.waitForURL('**/login?logged_out=1');
  assert.equal(await page.getByTestId('notice').innerText(), 'You are logged out.');

  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByTestId('login-submit').click();
  assert.match(await page.getByTestId('form-error').innerText(), /Wrong e-mail address or password/);

  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByTestId('login-submit').click();
  await page.waitForURL('**/account');

  await page.getByTestId('logout-everywhere').click();
  await page.waitForURL('**/login?logged_out=all');
  await page.goto(baseUrl + '/account');
  await page.waitForURL('**/login?next=/account');

  assert.deepEqual(problems, [], 'no errors in the browser console (e.g. blocked by the CSP)');
  await page.close();
});
