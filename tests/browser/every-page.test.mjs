// Every page of the web UI, as a visitor, a fan, the creator and the platform admin see it,
// on a phone (390×844) and a desktop (1280×800), in English and Czech: no horizontal overflow,
// a <title> without markup, the `lang` attribute of the page's language, `app.js` loaded
// once, one <h1>, and on a Czech page no English text from the catalogue outside names and
// what people wrote (marked `data-user-content`). axe-core checks the pages for accessibility:
// nothing serious or critical, and no empty table header.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root, startDemo } from './patron.mjs';

let demo, baseUrl, browser;

before(async () => {
  demo = await startDemo('pages', { PATRON_PAYMENT_SANDBOX: 'true' });
  ({ baseUrl, browser } = demo);
});

after(async () => {
  if (demo) assert.equal(await demo.stop(), 0, 'patron exits 0 on SIGTERM');
});

/**
 * The English texts of the interface catalogue that differ from their Czech ones, as the
 * fragments between their `{}` values (at least 12 characters, so short words such as
 * "E-mail" or a tier's name do not count).
 */
function englishFragments() {
  const dir = join(root, 'crates/patron-web/src/i18n');
  const sources = [join(root, 'crates/patron-web/src/i18n.rs'), ...readdirSync(dir).map((name) => join(dir, name))];
  const entry = /\(\s*"([a-z0-9_.]+)",\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)",?\s*\)/g;
  const fragments = new Set();
  for (const file of sources) {
    for (const [, , en, cs] of readFileSync(file, 'utf8').matchAll(entry)) {
      if (en === cs) continue;
      for (const form of en.split('|')) {
        for (const piece of form.split('{}')) {
          const text = piece.trim();
          if (text.length >= 12 && !cs.includes(text)) fragments.add(text);
        }
      }
    }
  }
  return [...fragments];
}

async function logIn(context, email) {
  const page = await context.newPage();
  await page.goto(baseUrl + '/login');
  await page.locator('input[name="email"]').fill(email);
  await page.locator('input[name="password"]').fill('patron-demo');
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await page.close();
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The accessibility problems axe-core finds on the open page that people cannot work around. */
async function accessibility(page) {
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })));
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical' || v.id === 'empty-table-header');
}

/** What one page breaks, if anything. */
async function check(page, url, lang, english, axe) {
  const response = await page.goto(url);
  const problems = [];
  const found = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    title: document.title,
    titleMarkup: /[<>]/.test(document.querySelector('title')?.textContent ?? ''),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    scripts: [...document.querySelectorAll('script[src]')].map((s) => new URL(s.src).pathname),
    h1: document.querySelectorAll('h1').length,
    text: (() => {
      const clone = document.body.cloneNode(true);
      clone.querySelectorAll('[data-user-content], script, style').forEach((node) => node.remove());
      return clone.innerText;
    })(),
  }));
  if (!response || response.status() >= 500) problems.push(`status ${response?.status()}`);
  if (found.lang !== lang) problems.push(`lang="${found.lang}"`);
  if (!found.title || found.titleMarkup) problems.push(`title ${JSON.stringify(found.title)}`);
  if (found.overflow > 0) problems.push(`${found.overflow} px wider than the screen`);
  if (found.scripts.filter((path) => path === '/static/app.js').length > 1) problems.push('app.js loaded twice');
  if (found.h1 !== 1) problems.push(`${found.h1} <h1>`);
  if (axe) {
    for (const v of await accessibility(page)) problems.push(`axe ${v.id} (${v.impact}): ${v.nodes.join(', ')}`);
  }
  const left = english.filter((fragment) => found.text.includes(fragment));
  if (lang === 'cs' && left.length) problems.push(`English on a Czech page: ${left.join(' | ')}`);
  return { problems: problems.map((problem) => `${url} (${lang}): ${problem}`), english: left.length };
}

test('every page fits a phone and a desktop, in both languages, with its title, language and one app.js', async () => {
  const english = englishFragments();
  assert.ok(english.length > 200, `the catalogue was read: ${english.length} English texts`);
  // the demo page's addresses: a post, a locked post's tier
  const probe = await browser.newPage();
  await probe.goto(baseUrl + '/gordikey');
  const postId = await probe.getByTestId('post').first().getAttribute('data-post-id');
  const tierId = await probe.locator('[data-testid="tier"] input[name="tier_id"]').first().getAttribute('value');
  await probe.close();

  const visitor = ['/', '/discover', '/login', '/register', '/forgot-password', '/sign-in-link', '/gordikey', `/gordikey/posts/${postId}`, '/no-such-page'];
  const fan = ['/account', '/feed', `/gordikey/join?tier_id=${tierId}`, '/account/documents'];
  const creator = ['/studio', '/studio/gordikey', '/studio/gordikey/posts/new?kind=text', '/studio/gordikey/posts/new?kind=poll', '/studio/gordikey/earnings', '/studio/gordikey/documents'];
  const operator = ['/admin/jobs', '/admin/payments', '/admin/payouts', '/admin/reports/oss'];
  const people = [
    [null, visitor],
    ['fan1@demo.patron.example', fan],
    ['gordikey@demo.patron.example', creator],
    ['admin@demo.patron.example', operator],
  ];
  const problems = [];
  let englishSeen = 0;
  for (const lang of ['en', 'cs']) {
    for (const [email, paths] of people) {
      for (const viewport of [{ width: 390, height: 844 }, { width: 1280, height: 800 }]) {
        // bypassCSP lets axe-core's script in; the pages' own scripts are checked elsewhere
        const context = await browser.newContext({ locale: lang === 'cs' ? 'cs-CZ' : 'en-US', viewport, bypassCSP: true });
        if (email) await logIn(context, email);
        const page = await context.newPage();
        for (const path of paths) {
          // axe once per page: on the desktop, in each language
          const found = await check(page, baseUrl + path, lang, english, viewport.width === 1280);
          problems.push(...found.problems);
          if (lang === 'en') englishSeen += found.english;
        }
        await context.close();
      }
    }
  }
  // the same check finds the catalogue's English on the English pages: it would see a slip
  assert.ok(englishSeen > 50, `English texts seen on English pages: ${englishSeen}`);
  assert.deepEqual([...new Set(problems)], []);
});
