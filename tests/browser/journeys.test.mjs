// A person's first hour, in Czech, in a real browser: a visitor joins from a locked post
// while logged out (log-in page says why → sign-up → checkout summary → sandbox → the post
// opens), every mail that sends is Czech (SMTP sink); the member switches tier and sees the
// amount before anything is charged; the creator schedules a post in the past and is stopped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mailText, startDemo, startSmtpSink, watchConsole } from './patron.mjs';

let demo, baseUrl, browser, sink;

before(async () => {
  sink = await startSmtpSink();
  demo = await startDemo('journeys', { PATRON_SMTP_URL: `smtp://127.0.0.1:${sink.port}`, PATRON_PAYMENT_SANDBOX: 'true' });
  ({ baseUrl, browser } = demo);
});

after(async () => {
  if (demo) assert.equal(await demo.stop(), 0, 'patron exits 0 on SIGTERM');
  await sink?.close();
});

/** The mails sent to `to` so far, once `count` of them have arrived (the job queue sends them). */
async function mailsTo(to, count) {
  for (let waited = 0; waited < 30_000; waited += 200) {
    const mails = sink.mails.filter((mail) => mail.to.includes(to));
    if (mails.length >= count) return mails;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`${count} mails to ${to} did not arrive; got ${sink.mails.filter((mail) => mail.to.includes(to)).length}`);
}

const fan = `novacek-${Date.now()}@example.com`;
let fanPage;

test('a Czech visitor joins from a locked post: log-in says why, sign-up comes back, the summary shows the price, the post opens, the mails are Czech', async () => {
  const context = await browser.newContext({ locale: 'cs-CZ' });
  const page = await context.newPage();
  fanPage = page;
  const problems = watchConsole(page);
  // the home page leads to the creators
  await page.goto(baseUrl + '/');
  await page.getByTestId('home-popular').getByTestId('creator-card').filter({ hasText: 'Gordíkey' }).click();
  await page.waitForURL('**/gordikey');
  assert.equal(await page.locator('html').getAttribute('lang'), 'cs');
  // a post for supporters sells the cheapest tier, with its price
  const join = page.getByTestId('unlock-join').filter({ hasText: '59' }).first();
  assert.match(await join.innerText(), /^Připojit se za 59\s+Kč\/měsíc$/);
  const postId = await join.locator('xpath=ancestor::article').getAttribute('data-post-id');
  await join.click();

  await page.waitForURL('**/login?next=**');
  assert.match(await page.getByTestId('login-reason').innerText(), /Pro vstup se přihlaste nebo si vytvořte účet/);
  await page.getByTestId('create-account').click();
  await page.waitForURL('**/register?next=**');
  await page.getByLabel('E-mail').fill(fan);
  await page.getByLabel(/^Heslo/).fill('správný kůň baterie');
  await page.getByTestId('register-submit').click();

  // back on the way: the summary before anything is paid
  await page.waitForURL('**/gordikey/join?tier_id=**');
  assert.equal(await page.getByTestId('checkout-tier').innerText(), 'Na granulkey');
  assert.match(await page.getByTestId('checkout-amount').innerText(), /^59\s+Kč$/);
  assert.match(await page.getByTestId('checkout-renews').innerText(), /^\d{1,2}\. \d{1,2}\. \d{4} znovu za 59\s+Kč/);
  assert.match(await page.getByTestId('checkout-summary').innerText(), /Dnes zaplatíte/);
  // the yearly price can be chosen, and changes what is charged today
  await page.getByTestId('interval-year').click();
  assert.match(await page.getByTestId('checkout-amount').innerText(), /^590\s+Kč$/);
  await page.getByTestId('interval-month').click();
  assert.match(await page.getByTestId('checkout-amount').innerText(), /^59\s+Kč$/);
  await page.getByTestId('checkout-pay').click();
  await page.waitForURL('**/sandbox-gateway/payments/**');
  await page.getByTestId('sandbox-pay').click();
  await page.waitForURL('**/gordikey?payment=paid');

  await page.goto(`${baseUrl}/gordikey/posts/${postId}`);
  assert.equal(await page.getByTestId('post').first().getAttribute('data-locked'), 'false', 'the post opens at once');

  // the confirmation and the receipt, both in Czech
  const mails = (await mailsTo(fan, 2)).map(mailText);
  const confirmation = mails.find((text) => text.includes('Potvrďte, že je tato adresa vaše'));
  const receipt = mails.find((text) => text.includes('Děkujeme za podporu'));
  assert.ok(confirmation, `a Czech confirmation mail:\n${mails.join('\n----\n')}`);
  assert.ok(receipt, `a Czech receipt:\n${mails.join('\n----\n')}`);
  assert.match(receipt, /Zaplatili jste 59\s+Kč za „Na granulkey“/);
  for (const text of mails) {
    assert.doesNotMatch(text, /Confirm that this address|Thank you for your support|You paid/, 'no English in a Czech mail');
  }
  assert.deepEqual(problems, []);
});

test('the member switches to a dearer tier and sees the amount before anything is charged', async () => {
  const page = fanPage;
  await page.goto(baseUrl + '/gordikey');
  await page.getByTestId('tier').filter({ hasText: 'Na steaky' }).getByTestId('switch-tier').click();
  const question = await page.getByTestId('confirm-question').innerText();
  assert.match(question, /Dnes se z karty strhne \d+(,\d\d)?\s+Kč za zbytek současného období/);
  assert.match(await page.getByTestId('confirm-details').innerText(), /platíte 99\s+Kč/);
  // going back changes nothing
  await page.getByTestId('confirm-back').click();
  await page.waitForURL('**/gordikey');
  assert.equal(await page.getByTestId('tier').filter({ hasText: 'Na granulkey' }).locator('.badge.member').count(), 1);
  await page.getByTestId('tier').filter({ hasText: 'Na steaky' }).getByTestId('switch-tier').click();
  await page.getByTestId('confirm-yes').click();
  await page.waitForURL('**/gordikey?tier=changed');
  assert.equal(await page.getByTestId('tier').filter({ hasText: 'Na steaky' }).locator('.badge.member').count(), 1);
});

test('a creator scheduling a post in the past is stopped, in Czech, and nothing is published', async () => {
  const context = await browser.newContext({ locale: 'cs-CZ' });
  const page = await context.newPage();
  await page.goto(baseUrl + '/login');
  await page.getByLabel('E-mail').fill('gordikey@demo.patron.example');
  await page.getByLabel(/^Heslo/).fill('patron-demo');
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));

  await page.goto(baseUrl + '/studio/gordikey/posts/new?kind=text');
  const title = `Včerejší novinka ${Date.now()}`;
  await page.getByTestId('post-title').fill(title);
  await page.getByTestId('post-body-input').fill('Tohle mělo vyjít včera.');
  await page.locator('input[name="publish"][value="schedule"]').check();
  const yesterday = new Date(Date.now() - 24 * 3600 * 1000);
  const local = new Date(yesterday.getTime() - yesterday.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
  await page.locator('input[name="publish_at"]').fill(local);
  await page.getByTestId('save-post').click();
  assert.match(await page.getByTestId('form-error').innerText(), /Zveřejnit v: už minul: zveřejněte hned, nebo zvolte pozdější čas/);
  await page.goto(baseUrl + '/gordikey');
  assert.equal(await page.getByText(title).count(), 0, 'nothing was published');
});
