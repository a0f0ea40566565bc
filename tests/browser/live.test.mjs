// The Jobs issue's acceptance in a real browser: `patron serve --demo` with an SMTP catcher.
// A supporter has Gordíkey's page open; the owner publishes a post for supporters through the
// API; the page shows it without a reload, and one mail goes to each demo fan with a
// membership — none to the fan who only follows, none to the team.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, mailText, psql, runPatron, startPatron, startSmtpSink, watchConsole, withDatabase } from './patron.mjs';

const admin = process.env.PATRON_TEST_DATABASE_URL;
const database = `patron_live_${process.pid}_${Date.now()}`;
const databaseUrl = admin && withDatabase(admin, database);
let patron, baseUrl, browser, sink;

before(async () => {
  assert.ok(admin, 'PATRON_TEST_DATABASE_URL must name a PostgreSQL server (scripts/test sets it)');
  sink = await startSmtpSink();
  const env = {
    PATRON_DATABASE_URL: databaseUrl,
    PATRON_SECRET_KEY: 'browser-test-secret-key-0123456789-abcdef',
    PATRON_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
  };
  psql(admin, `CREATE DATABASE ${database}`);
  runPatron(['migrate'], env);
  patron = startPatron(['serve', '--demo'], env);
  baseUrl = await patron.ready;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (patron) assert.equal(await patron.stop(), 0, 'patron exits 0 on SIGTERM');
  await sink?.close();
  if (admin) psql(admin, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
});

async function until(what, check, limit = 30_000) {
  const deadline = Date.now() + limit;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`waited ${limit} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('a post for supporters appears on an open page without a reload and is mailed to each supporter once', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto(baseUrl + '/login');
  await page.getByLabel('E-mail').fill('fan2@demo.patron.example');
  await page.getByLabel('Password').fill('patron-demo');
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await page.goto(baseUrl + '/gordikey');
  // a mark that a reload would wipe out
  await page.evaluate(() => { window.stillTheSamePage = true; });

  const login = await fetch(baseUrl + '/api/v1/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'gordikey@demo.patron.example', password: 'patron-demo' }),
  });
  assert.equal(login.status, 200);
  const { token } = await login.json();
  const title = `Fresh bones ${Date.now()}`;
  const created = await fetch(baseUrl + '/api/v1/creators/gordikey/posts', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ title, body: 'Only for **supporters**.', visibility: 'supporters', status: 'published' }),
  });
  assert.equal(created.status, 201, await created.text());

  await page.getByText(title).first().waitFor({ timeout: 30_000 });
  assert.equal(await page.evaluate(() => window.stillTheSamePage), true, 'the page was not reloaded');
  assert.match(await page.getByTestId('live-note').innerText(), new RegExp(`New post: ${title}`));

  const recipients = await until('three mails', () => {
    const to = sink.mails.filter((mail) => mailText(mail).includes(title)).flatMap((mail) => mail.to).sort();
    return to.length >= 3 && to;
  });
  // give any extra mail a moment to arrive before counting
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const final = sink.mails.filter((mail) => mailText(mail).includes(title)).flatMap((mail) => mail.to).sort();
  assert.deepEqual(final, recipients);
  assert.deepEqual(final, ['fan1@demo.patron.example', 'fan2@demo.patron.example', 'fan3@demo.patron.example']);
  assert.deepEqual(problems, []);
  await context.close();
});
