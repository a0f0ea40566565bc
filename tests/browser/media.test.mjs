// The Media issue's acceptance in a real browser, on a local folder and on a real S3 server:
// in `patron serve --demo` the creator uploads a phone photo (EXIF orientation 6 with a GPS
// position) and a short video to a supporters-only post from the studio; a supporter sees the
// photo upright and plays the video; a fan who only follows sees the teaser and gets no media
// address, neither on the page nor from the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, psql, runPatron, screenshots, startPatron, watchConsole, withDatabase } from './patron.mjs';

const admin = process.env.PATRON_TEST_DATABASE_URL;
const work = mkdtempSync(join(tmpdir(), 'patron-media-'));
let browser;

/** A JPEG as a phone writes it: sensor pixels 200×100 (top-left quarter red, the rest blue),
 *  EXIF orientation 6 ("rotate 90° clockwise to show") and a GPS latitude. */
function phonePhoto() {
  const plain = join(work, 'plain.jpg');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi',
    '-i', 'color=c=blue:s=200x100,drawbox=x=0:y=0:w=100:h=50:color=red:t=fill',
    '-frames:v', '1', '-q:v', '2', plain]);
  const jpeg = readFileSync(plain);
  const tiff = [];
  const u16 = (n) => tiff.push(n & 0xff, n >> 8);
  const u32 = (n) => tiff.push(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
  const entry = (tag, type, count, value) => { u16(tag); u16(type); u32(count); value(); };
  tiff.push(0x49, 0x49, 0x2a, 0x00); u32(8);
  const gps = 8 + 2 + 2 * 12 + 4;
  u16(2);
  entry(0x0112, 3, 1, () => { u16(6); u16(0); });
  entry(0x8825, 4, 1, () => u32(gps));
  u32(0);
  const data = gps + 2 + 2 * 12 + 4;
  u16(2);
  entry(0x0001, 2, 2, () => tiff.push(0x4e, 0, 0, 0));
  entry(0x0002, 5, 3, () => u32(data));
  u32(0);
  for (const [n, d] of [[50, 1], [5, 1], [0, 1]]) { u32(n); u32(d); }
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'binary'), Buffer.from(tiff)]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
  const photo = join(work, 'IMG_0001.jpg');
  writeFileSync(photo, Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]));
  return photo;
}

function shortVideo() {
  const clip = join(work, 'clip.mp4');
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc=duration=2:size=320x240:rate=24', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2',
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', '-movflags', '+faststart', clip]);
  return clip;
}

before(async () => {
  assert.ok(admin, 'PATRON_TEST_DATABASE_URL must name a PostgreSQL server (scripts/test sets it)');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

async function until(what, check, limit = 60_000) {
  const deadline = Date.now() + limit;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`waited ${limit} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function logIn(email) {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  await page.goto(currentBase + '/login');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill('patron-demo');
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  return { context, page };
}

/** The base URL of the patron the running test started. */
let currentBase;

async function apiToken(email) {
  const response = await fetch(currentBase + '/api/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: 'patron-demo' }),
  });
  assert.equal(response.status, 200);
  return (await response.json()).token;
}

async function acceptance(storage, extraEnv) {
  const database = `patron_media_${storage}_${process.pid}_${Date.now()}`;
  const env = Object.assign({
    PATRON_DATABASE_URL: withDatabase(admin, database),
    PATRON_SECRET_KEY: 'browser-test-secret-key-0123456789-abcdef',
    PATRON_DATA_DIR: join(work, storage),
  }, extraEnv);
  psql(admin, `CREATE DATABASE ${database}`);
  runPatron(['migrate'], env);
  const patron = startPatron(['serve', '--demo'], env);
  try {
    currentBase = await patron.ready;
    const photo = phonePhoto();
    const video = shortVideo();

    // the creator writes a supporters-only post with both files from the studio
    const creator = await logIn('gordikey@demo.patron.example');
    const problems = watchConsole(creator.page);
    await creator.page.goto(currentBase + '/studio/gordikey/posts/new?kind=photo');
    const title = `Behind the scenes ${Date.now()}`;
    await creator.page.getByTestId('post-title').fill(title);
    await creator.page.getByTestId('media-input').setInputFiles([photo, video]);
    await until('both uploads', async () =>
      (await creator.page.locator('[data-attachments] li[data-media-id]').count()) === 2);
    // the editor follows processing without a reload
    await until('both files processed, shown in the editor', async () =>
      (await creator.page.locator('[data-attachments] li[data-status="ready"]').count()) === 2, 120_000);
    await creator.page.locator('input[name="visibility"][value="supporters"]').check();
    await creator.page.locator('input[name="publish"][value="now"]').check();
    await creator.page.getByTestId('save-post').click();
    await creator.page.waitForURL(/\/gordikey\/posts\//);
    const postId = new URL(creator.page.url()).pathname.split('/').pop();
    assert.deepEqual(problems, []);

    // once processed, a supporter sees the photo upright and plays the video
    const supporterToken = await apiToken('fan2@demo.patron.example');
    const apiPath = `/api/v1/creators/gordikey/posts/${postId}`;
    const seen = await until('processed media', async () => {
      const response = await fetch(currentBase + apiPath, { headers: { Authorization: `Bearer ${supporterToken}` } });
      if (response.status !== 200) return null;
      const body = await response.json();
      return body.media.length === 2 && body.media.every((m) => m.status === 'ready') && body;
    }, 120_000);
    if (storage === 's3') {
      assert.ok(seen.media[0].url.startsWith(process.env.PATRON_TEST_S3_ENDPOINT), seen.media[0].url);
    }
    const supporter = await logIn('fan2@demo.patron.example');
    const watched = watchConsole(supporter.page);
    await supporter.page.goto(currentBase + `/gordikey/posts/${postId}`);
    const image = supporter.page.getByTestId('post-image');
    await image.waitFor();
    const size = await until('the photo to load', () =>
      image.evaluate((img) => img.complete && img.naturalWidth > 0 && [img.naturalWidth, img.naturalHeight]));
    // with `w` descriptors the browser scales the natural size to `sizes`: compare the shape
    assert.equal(size[1] / size[0], 2, `the photo is upright (taller than wide): ${size}`);
    const played = await supporter.page.getByTestId('post-video').evaluate(async (video) => {
      video.muted = true;
      await video.play();
      await new Promise((resolve) => setTimeout(resolve, 700));
      return { time: video.currentTime, ready: video.readyState, error: video.error && video.error.code };
    });
    assert.equal(played.error, null, JSON.stringify(played));
    assert.ok(played.time > 0, `the video plays: ${JSON.stringify(played)}`);
    assert.deepEqual(watched, []);
    await supporter.page.screenshot({ path: join(screenshots, `media-${storage}.png`), fullPage: true });

    // a fan who only follows sees the teaser and no address of any file
    const follower = await logIn('fan4@demo.patron.example');
    await follower.page.goto(currentBase + `/gordikey/posts/${postId}`);
    await follower.page.getByTestId('teaser').waitFor();
    const html = await follower.page.content();
    assert.equal(await follower.page.getByTestId('post-image').count(), 0);
    assert.equal(await follower.page.getByTestId('post-video').count(), 0);
    for (const file of seen.media) assert.ok(!html.includes(file.id), 'the teaser names no file');
    const followerToken = await apiToken('fan4@demo.patron.example');
    const teaser = await (await fetch(currentBase + apiPath, { headers: { Authorization: `Bearer ${followerToken}` } })).json();
    assert.equal(teaser.locked, true);
    assert.deepEqual(teaser.media, []);
    for (const file of seen.media) {
      assert.ok(!JSON.stringify(teaser).includes(file.id));
      const lookup = await fetch(currentBase + `/api/v1/media/${file.id}`, { headers: { Authorization: `Bearer ${followerToken}` } });
      assert.equal(lookup.status, 404, 'nor through the media API');
    }
    for (const context of [creator.context, supporter.context, follower.context]) await context.close();
  } finally {
    assert.equal(await patron.stop(), 0, 'patron exits 0 on SIGTERM');
    psql(admin, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

test('on a local folder: a supporter sees the upright photo and plays the video; a follower gets no media', async () => {
  await acceptance('file', {});
});

test('on S3: the same through presigned addresses', async () => {
  for (const name of ['PATRON_TEST_S3_ENDPOINT', 'PATRON_TEST_S3_BUCKET', 'PATRON_TEST_S3_ACCESS_KEY', 'PATRON_TEST_S3_SECRET_KEY']) {
    assert.ok(process.env[name], `${name} must be set (scripts/test starts an S3 server)`);
  }
  const prefix = `browser-${process.pid}-${Date.now()}`;
  await acceptance('s3', {
    PATRON_STORAGE_URL: `s3://${process.env.PATRON_TEST_S3_BUCKET}/${prefix}?endpoint=${process.env.PATRON_TEST_S3_ENDPOINT}`
      + `&region=${process.env.PATRON_TEST_S3_REGION || 'us-east-1'}`,
    PATRON_S3_ACCESS_KEY_ID: process.env.PATRON_TEST_S3_ACCESS_KEY,
    PATRON_S3_SECRET_ACCESS_KEY: process.env.PATRON_TEST_S3_SECRET_KEY,
  });
});
