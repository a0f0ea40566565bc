// Shared helpers of the browser tests: start patron, launch Chromium, talk to PostgreSQL.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const root = new URL('../../', import.meta.url).pathname;
export const binary = process.env.PATRON_BIN ?? join(root, 'target/debug/patron');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Where screenshots go: the committed docs/screenshots when UPDATE_SCREENSHOTS=1, else target/. */
export const screenshots = process.env.UPDATE_SCREENSHOTS === '1' ? join(root, 'docs/screenshots') : join(root, 'target/browser');
mkdirSync(screenshots, { recursive: true });

/** A data folder for the patrons of this test file that name none (the demo's files land
 * there), removed when the tests end: nothing is written into the checkout. */
let dataDir;
function defaultDataDir() {
  if (!dataDir) {
    dataDir = mkdtempSync(join(tmpdir(), 'patron-browser-data-'));
    process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  }
  return dataDir;
}

/** The environment for patron: none of the caller's PATRON_* settings, JSON logs, port 0. */
function patronEnv(extra) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PATRON_')));
  return Object.assign(env, { PATRON_LISTEN: '127.0.0.1:0', PATRON_LOG_FORMAT: 'json', PATRON_DATA_DIR: defaultDataDir() }, extra);
}

/** Runs a patron command to completion (e.g. migrate); throws on failure. */
export function runPatron(args, env) {
  return execFileSync(binary, args, { env: patronEnv(env), encoding: 'utf8' });
}

/** Starts `patron ...args` and resolves with its base URL once it logs that it is ready. */
export function startPatron(args, env) {
  const child = spawn(binary, args, { env: patronEnv(env), stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('patron was not ready within 30s:\n' + lines.join('\n'))), 30_000);
    child.once('exit', (code) => reject(new Error(`patron exited with ${code} before it was ready:\n` + lines.join('\n'))));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
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
  const stop = async () => {
    if (child.exitCode !== null) return child.exitCode;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    return exited;
  };
  return { child, ready, stop, lines };
}

/** Headless Chromium with the flags these machines need (no background networking). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** Collects errors from a page's console (a CSP violation would show up here). */
export function watchConsole(page, allowed = []) {
  const problems = [];
  page.on('console', (message) => {
    const text = message.text();
    if (message.type() === 'error' && !allowed.some((a) => text.includes(a))) problems.push(text);
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

/** Runs SQL on PostgreSQL with psql; returns its output. */
export function psql(url, sql) {
  return execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { encoding: 'utf8' }).trim();
}

/** `url` with its database name replaced. */
export function withDatabase(url, name) {
  const parsed = new URL(url);
  parsed.pathname = '/' + name;
  return parsed.toString();
}

/**
 * A small SMTP server on loopback that accepts and records every mail:
 * `{ port, mails: [{ from, to: [..], data }], close() }`.
 */
export async function startSmtpSink() {
  const { createServer } = await import('node:net');
  const mails = [];
  const server = createServer((socket) => {
    let buffer = '';
    let inData = false;
    let mail = { from: '', to: [], data: '' };
    socket.write('220 sink.test ESMTP\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let end;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            mails.push(mail);
            mail = { from: '', to: [], data: '' };
            socket.write('250 accepted\r\n');
          } else {
            mail.data += (line.startsWith('..') ? line.slice(1) : line) + '\r\n';
          }
          continue;
        }
        const upper = line.toUpperCase();
        if (upper.startsWith('EHLO')) socket.write('250-sink.test\r\n250 8BITMIME\r\n');
        else if (upper.startsWith('MAIL FROM:')) { mail.from = line.slice(10).trim().replace(/^<|>.*$/g, ''); socket.write('250 OK\r\n'); }
        else if (upper.startsWith('RCPT TO:')) { mail.to.push(line.slice(8).trim().replace(/^<|>.*$/g, '')); socket.write('250 OK\r\n'); }
        else if (upper === 'DATA') { inData = true; socket.write('354 go ahead\r\n'); }
        else if (upper.startsWith('QUIT')) { socket.end('221 bye\r\n'); }
        else socket.write('250 OK\r\n');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, mails, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** The text of a recorded mail with its transfer encodings (quoted-printable, base64) undone. */
export function mailText(mail) {
  const boundary = /boundary="?([^";\r\n]+)"?/i.exec(mail.data)?.[1];
  const parts = boundary ? mail.data.split('--' + boundary).slice(1) : [mail.data];
  return parts.map((part) => {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) return '';
    const headers = part.slice(0, split);
    const body = part.slice(split + 4);
    const encoding = /content-transfer-encoding:\s*([\w-]+)/i.exec(headers)?.[1]?.toLowerCase();
    if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    if (encoding === 'quoted-printable') {
      const joined = body.replace(/=\r\n/g, '');
      const bytes = [];
      for (let i = 0; i < joined.length; i++) {
        const hex = joined.slice(i + 1, i + 3);
        if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) { bytes.push(parseInt(hex, 16)); i += 2; }
        else bytes.push(...Buffer.from(joined[i], 'utf8'));
      }
      return Buffer.from(bytes).toString('utf8');
    }
    return body;
  }).join('\n');
}

/**
 * `patron serve --demo` on a new PostgreSQL database (`patron_<name>_…`, on the server
 * PATRON_TEST_DATABASE_URL names), and Chromium: `{ baseUrl, browser, stop() }`. `stop` closes
 * the browser, checks that patron exits 0 on SIGTERM and drops the database.
 */
export async function startDemo(name, extraEnv = {}) {
  const admin = process.env.PATRON_TEST_DATABASE_URL;
  if (!admin) throw new Error('PATRON_TEST_DATABASE_URL must name a PostgreSQL server (scripts/test sets it)');
  const database = `patron_${name}_${process.pid}_${Date.now()}`;
  const drop = () => psql(admin, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  const env = {
    PATRON_DATABASE_URL: withDatabase(admin, database),
    PATRON_SECRET_KEY: 'browser-test-secret-key-0123456789-abcdef',
    ...extraEnv,
  };
  psql(admin, `CREATE DATABASE ${database}`);
  let patron;
  try {
    runPatron(['migrate'], env);
    patron = startPatron(['serve', '--demo'], env);
    const baseUrl = await patron.ready;
    const browser = await launchBrowser();
    const stop = async () => {
      await browser.close();
      const code = await patron.stop();
      drop();
      return code;
    };
    return { baseUrl, browser, stop };
  } catch (error) {
    await patron?.stop();
    drop();
    throw error;
  }
}
