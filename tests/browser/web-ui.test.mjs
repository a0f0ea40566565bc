// The web UI in headless Chromium: a person registers, logs out, logs in and logs out
// everywhere, against a real `patron serve` with its embedded defaults.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const root = new URL('../../', import.meta.url).pathname;
const binary = process.env.PATRON_BIN ?? join(root, 'target/debug/patron');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const screenshots = join(root, 'target/browser');

let patron, baseUrl, browser, dataDir;

function startPatron() {
  dataDir = mkdtempSync(join(tmpdir(), 'patron-browser-'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PATRON_')));
  Object.assign(env, { PATRON_DATA_DIR: dataDir, PATRON_LISTEN: '127.0.0.1:0', PATRON_LOG_FORMAT: 'json' });
  patron = spawn(binary, ['serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('patron was not ready within 30s')), 30_000);
    patron.once('exit', (code) => reject(new Error(`patron exited with ${code} before it was ready`)));
    createInterface({ input: patron.stdout }).on('line', (line) => {
      try {
        const event = JSON.parse(line);
        if (event.fields?.message === 'patron is ready') {
          clearTimeout(timer);
          resolve(`http://${event.fields.address}`);
        }
      } catch {
        // not a JSON log line
      }
    });
  });
}

before(async () => {
  baseUrl = await startPatron();
  mkdirSync(screenshots, { recursive: true });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    // Playwright gives every launch a new, empty profile directory.
  });
});

after(async () => {
  await browser?.close();
  if (patron && patron.exitCode === null) {
    const exited = new Promise((resolve) => patron.once('exit', resolve));
    patron.kill('SIGTERM');
    assert.equal(await exited, 0, 'patron exits 0 on SIGTERM');
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('a person registers, logs out, logs in and logs out everywhere', async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (message) => {
    // the log-in form answers a wrong password with 401, which Chromium reports; nothing else may fail
    const expected = message.text().includes('status of 401');
    if (message.type() === 'error' && !expected) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
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
