// Tax documents in a real browser: in `patron serve --demo` with a VAT-registered seller in the
// One-Stop Shop, a fan living in Slovakia says so in the join form's billing details, pays in
// the sandbox, finds the invoice on their account with Slovakia's rate, and downloads its PDF.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, screenshots, startPatron, watchConsole } from './patron.mjs';

const data = mkdtempSync(join(tmpdir(), 'patron-documents-'));
let patron, baseUrl, browser;

before(async () => {
  patron = startPatron(['serve', '--demo'], {
    PATRON_DATA_DIR: data,
    PATRON_PAYMENT_SANDBOX: 'true',
    PATRON_SELLER_NAME: 'Platforma s.r.o.',
    PATRON_SELLER_ADDRESS: 'Na Příkopě 1, 110 00 Praha 1',
    PATRON_SELLER_VAT_ID: 'CZ12345678',
    PATRON_SELLER_OSS: 'true',
  });
  baseUrl = await patron.ready;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (patron) assert.equal(await patron.stop(), 0, 'patron exits 0 on SIGTERM');
  rmSync(data, { recursive: true, force: true });
});

test('a fan in Slovakia joins, gets an invoice at the Slovak rate and downloads it as a PDF', async () => {
  const context = await browser.newContext({ locale: 'sk-SK', acceptDownloads: true });
  const fan = await context.newPage();
  const problems = watchConsole(fan);
  await fan.goto(baseUrl + '/register');
  await fan.getByLabel(/E-mail/).fill(`slovak-${Date.now()}@example.com`);
  await fan.getByLabel(/Password|Heslo/).fill('correct horse battery');
  await fan.getByTestId('register-submit').click();
  await fan.waitForURL('**/account');

  await fan.goto(baseUrl + '/gordikey');
  await fan.getByTestId('tier').filter({ hasText: 'Na steaky' }).getByTestId('join-tier').click();
  const summary = fan.getByTestId('checkout-summary');
  assert.equal(await summary.getByTestId('billing-country').inputValue(), 'SK', 'the browser\'s language suggests Slovakia');
  await summary.getByTestId('billing-details').locator('summary').click();
  await summary.getByTestId('billing-country').selectOption('SK');
  await summary.getByTestId('checkout-pay').click();
  await fan.waitForURL('**/sandbox-gateway/payments/**');
  await fan.getByTestId('sandbox-pay').click();
  await fan.waitForURL('**/gordikey?payment=paid');

  await fan.goto(baseUrl + '/account/documents');
  await fan.getByTestId('document-row').first().getByTestId('document-link').click();
  await fan.getByTestId('tax-document').waitFor();
  assert.match(await fan.getByTestId('rate').innerText(), /23/, 'Slovakia\'s rate');
  const number = (await fan.getByTestId('document-number').innerText()).trim();

  const [download] = await Promise.all([fan.waitForEvent('download'), fan.getByTestId('document-pdf').click()]);
  assert.equal(download.suggestedFilename(), `${number}.pdf`);
  const path = join(screenshots, 'tax-document.pdf');
  await download.saveAs(path);
  const pdf = readFileSync(path);
  assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-', 'a PDF file');
  assert.ok(pdf.length > 2000, `a PDF with its font (${pdf.length} bytes)`);
  assert.deepEqual(problems, []);
  await fan.screenshot({ path: join(screenshots, 'tax-document.png'), fullPage: true });
});
