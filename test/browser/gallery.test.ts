// The gallery page in real headless Chromium (Debian's chromium package, driven by
// playwright-core) on the real stack: the form is fed by GET /api/providers, a submitted
// prompt becomes a playable <video> of the asked length, a running request can be cancelled
// and an ended one deleted (after a confirm), a refused one shows why, the page asks for a function
// key when the app wants one, and it is usable by keyboard and at phone width, all without a
// script error. The page served is src/gallery/'s files, its inline style and script allowed
// by their hashes. Screenshots are kept under the OS temp folder (their paths are printed) for
// a human to look at.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startHost, type RunningHost } from '../../emulators/functions-host/index.js';
import { call, repoRoot, startPipelineStack, type PipelineStack } from '../integration/pipeline-stack.js';
import { carries, framesYuv } from '../support/input-images.js';
import { SVG, solidPng, type Rgb } from '../support/test-images.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const artifacts = path.join(tmpdir(), 'gallery-screenshots');

let stack: PipelineStack;
let browser: Browser;

before(async () => {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run installs it)`,
  );
  mkdirSync(artifacts, { recursive: true });
  [stack, browser] = await Promise.all([
    startPipelineStack({ emulator: { videosCreatesPerMinute: 20 } }),
    chromium.launch({ executablePath: CHROMIUM, headless: true }),
  ]);
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

// The page's DOM as the functions passed to page.evaluate see it: they run in Chromium (sent
// as source, so they close over nothing here), and this project compiles without the DOM library.
type Dom = any;

/** A page that records every script error and console error it sees. Chromium also logs each
 * 4xx/5xx answer to a fetch as a console error: those are kept apart (`refused`), since some
 * tests provoke them on purpose and the API's answers are checked on their own. */
async function openPage(
  context: BrowserContext,
  url: string,
): Promise<{ page: Page; errors: string[]; refused: string[] }> {
  const page = await context.newPage();
  const errors: string[] = [];
  const refused: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const status = /^Failed to load resource: the server responded with a status of (\d+)/.exec(
      message.text(),
    );
    if (status) refused.push(status[1]);
    else errors.push(`console: ${message.text()}`);
  });
  await page.goto(url);
  return { page, errors, refused };
}

async function screenshot(page: Page, name: string): Promise<void> {
  const file = path.join(artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
}

async function emulatorConfig(settings: Record<string, unknown>): Promise<void> {
  const answer = await call(`${stack.emulator.url}/_admin/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  });
  assert.equal(answer.status, 200, answer.text);
}

/** Fills the form and submits it from the keyboard; answers the new request's id. */
async function submit(
  page: Page,
  choice: { prompt: string; provider: string; model: string; seconds: string; size: string },
): Promise<string> {
  await page.getByLabel('Prompt').fill(choice.prompt);
  await page.getByLabel('Provider').selectOption(choice.provider);
  await page.getByLabel('Model').selectOption(choice.model);
  await page.getByLabel('Duration').selectOption(choice.seconds);
  await page.getByLabel('Size').selectOption(choice.size);
  await page.getByRole('button', { name: 'Generate' }).focus();
  await page.keyboard.press('Enter');
  const status = page.locator('#form-status');
  await status
    .filter({ hasText: /^Started: / })
    .waitFor({ timeout: 15_000 })
    .catch(async (error: Error) => {
      throw new Error(`${error.message}\nthe form said: ${await status.textContent()}`);
    });
  return (await status.textContent())!.replace(/^Started: /, '');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const card = (page: Page, id: string) => page.locator(`#videos li[data-id="${id}"]`);

describe('the gallery in headless Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let refused: string[];
  before(async () => {
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    ({ page, errors, refused } = await openPage(context, `${stack.host.url}/api/gallery`));
  });
  after(async () => {
    await context?.close();
  });

  test('is one self-contained page: served without a key, its script and style allowed by hash only', async () => {
    const answer = await call(`${stack.host.url}/api/gallery`);
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
    const csp = answer.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'sha256-[^']+'(;|$)/, 'no unsafe-inline, no other origin');
    assert.ok(
      !/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!127\.0\.0\.1)/.test(
        answer.text.replace(/placeholder="[^"]*"/, ''),
      ),
      'nothing loaded from elsewhere',
    );
  });

  test("its one style and one script are src/gallery/'s files, each allowed by its own hash, and the style applies", async () => {
    const answer = await call(`${stack.host.url}/api/gallery`);
    const csp = answer.headers.get('content-security-policy') ?? '';
    const styles = [...answer.text.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
    const scripts = [...answer.text.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    assert.deepEqual(styles, [readFileSync(path.join(repoRoot, 'src', 'gallery', 'gallery.css'), 'utf8')]);
    assert.deepEqual(scripts, [readFileSync(path.join(repoRoot, 'src', 'gallery', 'gallery.js'), 'utf8')]);
    assert.equal(
      (answer.text.match(/<(script|style)\b/g) ?? []).length,
      2,
      'no other script or style element',
    );
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    assert.match(csp, new RegExp(`(^|; )script-src ${escapeRegExp(hash(scripts[0]))}(;|$)`));
    assert.match(csp, new RegExp(`(^|; )style-src ${escapeRegExp(hash(styles[0]))}(;|$)`));
    // Chromium applied the inline style under that policy (a refused one leaves the list a plain block).
    await page.locator('#provider option').first().waitFor({ state: 'attached' });
    assert.equal(
      await page
        .locator('#videos')
        .evaluate((list: Dom) => (globalThis as Dom).getComputedStyle(list).display),
      'grid',
    );
    assert.deepEqual(errors, [], 'no policy violation or script error');
  });

  test("the form offers the providers, and each model's own durations and sizes", async () => {
    const provider = page.getByLabel('Provider');
    await page.locator('#provider option').first().waitFor({ state: 'attached' });
    assert.deepEqual(await provider.locator('option').allTextContents(), [
      'azure-openai',
      'openai',
      'fal',
      'replicate',
    ]);
    assert.equal(await provider.inputValue(), 'azure-openai', 'the default provider is preselected');
    assert.deepEqual(await page.getByLabel('Model').locator('option').allTextContents(), ['sora', 'sora-2']);
    assert.equal(await page.getByLabel('Size').inputValue(), '480x480', "Sora 1's default size");
    await page.getByLabel('Model').selectOption('sora-2');
    assert.deepEqual(
      await page
        .getByLabel('Duration')
        .locator('option')
        .evaluateAll((options: Dom[]) => options.map((o) => o.value)),
      ['4', '8', '12'],
    );
    await provider.selectOption('fal');
    assert.equal(await page.getByLabel('Model').inputValue(), 'fal-ai/kling-video/v2/master/text-to-video');
    assert.ok(
      (await page.getByLabel('Size').locator('option').allTextContents()).includes('16:9'),
      'fal takes aspect ratios',
    );
    assert.deepEqual(errors, []);
  });

  test('every control has a label, and Tab walks the form in order', async () => {
    const unlabeled = await page.evaluate(() =>
      [...(globalThis as Dom).document.querySelectorAll('textarea, select, input')]
        .filter((c: Dom) => c.labels?.length === 0)
        .map((c: Dom) => c.id),
    );
    assert.deepEqual(unlabeled, []);
    await page.getByLabel('Prompt').focus();
    const order: string[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(
          () =>
            (globalThis as Dom).document.activeElement?.id ||
            (globalThis as Dom).document.activeElement?.textContent ||
            '',
        ),
      );
    }
    assert.deepEqual(order, ['provider', 'model', 'seconds', 'size', 'Generate']);
  });

  test('a submitted prompt becomes a playable video of the asked length, with its thumbnail', async () => {
    const id = await submit(page, {
      prompt: 'A paper boat on a rainy street.',
      provider: 'azure-openai',
      model: 'sora-2',
      seconds: '8',
      size: '1280x720',
    });
    const item = card(page, id);
    await item.waitFor({ timeout: 10_000 });
    assert.match((await item.locator('.meta').textContent()) ?? '', /azure-openai · sora-2 · 8 s · 1280x720/);
    await page.waitForSelector(`#videos li[data-id="${id}"][data-phase="completed"]`, { timeout: 90_000 });
    const video = item.locator('video');
    await video.waitFor();
    await page.waitForFunction(
      (selector) => {
        const element = (globalThis as Dom).document.querySelector(selector);
        return element !== null && element.readyState >= 2;
      },
      `#videos li[data-id="${id}"] video`,
      { timeout: 30_000 },
    );
    const facts = await video.evaluate((v: Dom) => ({
      readyState: v.readyState,
      duration: v.duration,
      width: v.videoWidth,
      height: v.videoHeight,
      poster: v.poster,
    }));
    assert.ok(facts.readyState >= 2, `readyState ${facts.readyState}`);
    assert.ok(Math.abs(facts.duration - 8) < 0.5, `duration ${facts.duration} s`);
    assert.deepEqual([facts.width, facts.height], [1280, 720]);
    assert.match(facts.poster, /\.webp\?/, "the provider's still is the poster");
    assert.deepEqual(
      await item.getByRole('button').evaluateAll((buttons: Dom[]) => buttons.map((b) => b.ariaLabel)),
      ['Delete: A paper boat on a rainy street.'],
      'once finished, its one button deletes it',
    );
    assert.deepEqual(errors, []);
  });

  test('a running request shows its live status and can be cancelled from the keyboard', async () => {
    // Realistic timing for this one, so it is still running when we cancel it.
    await emulatorConfig({ timeScale: 1 });
    try {
      const id = await submit(page, {
        prompt: 'A lighthouse in a storm, slowly.',
        provider: 'openai',
        model: 'sora-2',
        seconds: '4',
        size: '720x1280',
      });
      const item = card(page, id);
      // Sora 2 reports progress: the card shows the provider's status and a progress bar.
      await item
        .locator('.upstream')
        .filter({ hasText: /^openai: in_progress/ })
        .waitFor({ timeout: 30_000 });
      await item.locator('progress:not([hidden])').waitFor({ timeout: 10_000 });
      assert.match((await item.locator('progress').getAttribute('aria-label')) ?? '', /^Progress \d+%$/);
      await screenshot(page, 'gallery-running');
      const cancel = item.getByRole('button', { name: 'Cancel: A lighthouse in a storm, slowly.' });
      await cancel.focus();
      await page.keyboard.press('Enter');
      await page.waitForSelector(`#videos li[data-id="${id}"][data-phase="cancelled"]`, { timeout: 15_000 });
      assert.equal(await item.locator('.phase').textContent(), 'cancelled');
      assert.equal(await item.locator('progress').isHidden(), true, 'no progress bar once finished');
      assert.equal(await cancel.count(), 0, 'no Cancel once the request is cancelled');
      const remove = item.getByRole('button', { name: 'Delete: A lighthouse in a storm, slowly.' });
      assert.equal(await remove.textContent(), 'Delete', 'the button says what it does now');
      assert.equal(
        await remove.evaluate((b: Dom) => b === (globalThis as Dom).document.activeElement),
        true,
        'focus stays on the button',
      );
      const status = await call(`${stack.host.url}/api/videos/${id}`);
      assert.equal(status.body.phase, 'cancelled', 'the API agrees');
    } finally {
      await emulatorConfig({ timeScale: 0.05 });
    }
    assert.deepEqual(errors, []);
  });

  test("a refused prompt shows the provider's reason", async () => {
    await emulatorConfig({ denyList: ['forbidden fruit'] });
    try {
      const id = await submit(page, {
        prompt: 'A forbidden fruit on a table.',
        provider: 'azure-openai',
        model: 'sora',
        seconds: '2',
        size: '480x480',
      });
      await page.waitForSelector(`#videos li[data-id="${id}"][data-phase="failed"]`, { timeout: 30_000 });
      assert.match((await card(page, id).locator('.error').textContent()) ?? '', /^Failed: .*moderation/i);
    } finally {
      await emulatorConfig({ denyList: [] });
    }
    assert.deepEqual(errors, []);
  });

  test('a choice the model refuses is named at its field, and the list is newest first', async () => {
    await page.getByLabel('Provider').selectOption('azure-openai');
    await page.getByLabel('Model').selectOption('sora');
    await page.getByLabel('Size').selectOption('1080x1080');
    await page.getByLabel('Duration').selectOption('20');
    await page.getByLabel('Prompt').fill('Too long at this size.');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page
      .locator('#form-status')
      .filter({ hasText: /^Not started: / })
      .waitFor();
    assert.equal(await page.getByLabel('Duration').getAttribute('aria-invalid'), 'true');
    assert.equal(
      await page.evaluate(() => (globalThis as Dom).document.activeElement?.id),
      'seconds',
      'focus moves to the field to fix',
    );
    assert.deepEqual(refused, ['400'], 'the one refused request, and no other failed call');
    const ids = await page
      .locator('#videos li')
      .evaluateAll((items: Dom[]) => items.map((li) => li.dataset.phase));
    assert.deepEqual(ids, ['failed', 'cancelled', 'completed'], 'newest first');
    await screenshot(page, 'gallery-desktop');
    assert.deepEqual(errors, []);
  });

  test('a page opened after its requests finished offers Delete, not Cancel, on each of them', async () => {
    const { page: later, errors: laterErrors } = await openPage(context, `${stack.host.url}/api/gallery`);
    try {
      await later.locator('#videos li').nth(2).waitFor();
      const phases = await later
        .locator('#videos li')
        .evaluateAll((items: Dom[]) => items.map((li) => li.dataset.phase));
      assert.deepEqual(phases, ['failed', 'cancelled', 'completed']);
      assert.deepEqual(
        await later
          .locator('#videos')
          .getByRole('button')
          .evaluateAll((buttons: Dom[]) => buttons.map((b) => b.textContent)),
        ['Delete', 'Delete', 'Delete'],
        'a finished request has nothing to cancel, and can be deleted',
      );
      await later.locator('#videos li[data-phase="completed"] video').waitFor();
      assert.deepEqual(laterErrors, []);
    } finally {
      await later.close();
    }
  });

  test('an ended request is deleted from the keyboard once confirmed; Escape keeps it', async () => {
    const item = page.locator('#videos li[data-phase="failed"]');
    const id = (await item.getAttribute('data-id'))!;
    const prompt = 'A forbidden fruit on a table.';
    const remove = item.getByRole('button', { name: `Delete: ${prompt}` });
    const dialog = page.getByRole('dialog', { name: 'Delete this video?' });
    const focusedText = () => page.evaluate(() => (globalThis as Dom).document.activeElement?.textContent);

    await remove.focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    assert.equal(await dialog.locator('#confirm-prompt').textContent(), prompt, 'it names the request');
    assert.equal(await focusedText(), 'Keep', 'focus starts on the safe choice');
    await screenshot(page, 'gallery-confirm-delete');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal((await call(`${stack.host.url}/api/videos/${id}`)).status, 200, 'Escape deleted nothing');
    assert.equal(
      await remove.evaluate((b: Dom) => b === (globalThis as Dom).document.activeElement),
      true,
      'focus is back on the button',
    );

    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await focusedText(), 'Delete');
    await page.keyboard.press('Enter');
    await item.waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal((await call(`${stack.host.url}/api/videos/${id}`)).status, 404, 'the API agrees');
    assert.equal(await page.locator('#list-status').textContent(), `Deleted: ${prompt}`);
    assert.equal(
      await page.evaluate(() => (globalThis as Dom).document.activeElement?.ariaLabel),
      'Delete: A lighthouse in a storm, slowly.',
      "focus moves to the next card's button",
    );
    assert.deepEqual(
      await page.locator('#videos li').evaluateAll((items: Dom[]) => items.map((li) => li.dataset.phase)),
      ['cancelled', 'completed'],
    );
    assert.deepEqual(errors, []);
  });

  test('is readable at phone width: nothing wider than the screen', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    const widths = await page.evaluate(() => ({
      content: (globalThis as Dom).document.documentElement.scrollWidth,
      screen: (globalThis as Dom).innerWidth,
    }));
    assert.ok(
      widths.content <= widths.screen,
      `content ${widths.content} px on a ${widths.screen} px screen`,
    );
    await screenshot(page, 'gallery-phone');
    assert.deepEqual(errors, []);
  });
});

describe('the gallery while requests wait in their account line', () => {
  let governed: RunningHost;
  before(async () => {
    // Its own in-memory task hub, fal governed at one job at a time (the emulator's fal runs 2).
    governed = await startHost({
      appDir: repoRoot,
      port: 0,
      store: 'memory',
      env: { ...stack.settings, FAL_MAX_RUNNING_JOBS: '1', PUBLIC_BASE_URL: '' },
      quiet: true,
    });
  });
  after(async () => {
    await governed?.stop();
  });

  test('a request waiting for a slot shows "waiting for a slot at fal: 3rd in line", and its place falls', async () => {
    // 9 s jobs: long enough for the page to see each place.
    await emulatorConfig({ timeScale: 0.5 });
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const ids: string[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const answer = await call(`${governed.url}/api/videos`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            provider: 'fal',
            model: 'fal-ai/kling-video/v2/master/text-to-video',
            prompt: `Boats waiting at a lock, number ${i + 1}.`,
            seconds: 5,
          }),
        });
        assert.equal(answer.status, 202, answer.text);
        ids.push(answer.body.id);
      }
      const { page, errors } = await openPage(context, `${governed.url}/api/gallery`);
      const last = card(page, ids[3]).locator('.upstream');
      await last.filter({ hasText: /^waiting for a slot at fal: 3rd in line$/ }).waitFor({ timeout: 30_000 });
      await screenshot(page, 'gallery-waiting');
      await last.filter({ hasText: /^waiting for a slot at fal: 2nd in line$/ }).waitFor({ timeout: 60_000 });
      assert.match(
        (await card(page, ids[0]).locator('.upstream').textContent()) ?? '',
        /^(fal: |$)/,
        'the first one is not waiting',
      );
      assert.deepEqual(errors, []);
    } finally {
      for (const id of ids) await call(`${governed.url}/api/videos/${id}`, { method: 'DELETE' });
      await emulatorConfig({ timeScale: 0.05 });
      await context.close();
    }
  });
});

describe('the gallery with a start image (issue 23)', () => {
  const IMAGE_MODEL = 'fal-ai/kling-video/v2.1/standard/image-to-video';
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  let refused: string[];
  /** The page's calls that would start or store something. */
  const posts: string[] = [];
  before(async () => {
    context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    ({ page, errors, refused } = await openPage(context, `${stack.host.url}/api/gallery`));
    page.on('request', (request) => {
      if (request.method() === 'POST') posts.push(new URL(request.url()).pathname);
    });
    await page.locator('#provider option').first().waitFor({ state: 'attached' });
  });
  after(async () => {
    await context?.close();
  });

  test("the image field follows the model's capability: none for a text-only model, asked for by an image-to-video one", async () => {
    await page.getByLabel('Provider').selectOption('fal');
    await page.getByLabel('Model').selectOption('fal-ai/kling-video/v2/master/text-to-video');
    assert.equal(
      await page.locator('#image-field').isHidden(),
      true,
      'a text-only model shows no image input',
    );
    assert.equal(await page.getByLabel('Image file').isDisabled(), true);
    await page.getByLabel('Provider').selectOption('openai');
    await page.getByLabel('Model').selectOption('sora-2');
    await page.locator('#image-field').waitFor();
    assert.equal(
      await page.locator('#image-use').textContent(),
      "Optional: the video can start from an image. The image's width and height must be the chosen size.",
    );
    await page.getByLabel('Provider').selectOption('fal');
    await page.getByLabel('Model').selectOption(IMAGE_MODEL);
    await page.locator('#image-field').waitFor();
    assert.match((await page.locator('#image-use').textContent()) ?? '', /needs a start image/);
    assert.equal(await page.getByLabel('Image file').isEnabled(), true);
    assert.deepEqual(await page.getByLabel('Size').locator('option').allTextContents(), ['auto']);
    // Generate without an image: said at the field, nothing sent.
    await page.getByLabel('Prompt').fill('No image given.');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page
      .locator('#image-error')
      .filter({ hasText: /needs a start image/ })
      .waitFor();
    assert.deepEqual(posts, []);
    assert.deepEqual(errors, []);
  });

  test('a pasted link is shown as text, never loaded by the page; one the API refuses is named at the image', async () => {
    const link = 'https://127.0.0.1:9/never-fetched.png';
    const loaded: string[] = [];
    const watch = (request: { url(): string }) => {
      if (request.url().includes('never-fetched')) loaded.push(request.url());
    };
    page.on('request', watch);
    try {
      await page.getByLabel('or image link').fill(link);
      await page.locator('#image-preview p').filter({ hasText: link }).waitFor();
      assert.equal(await page.locator('#image-preview img').count(), 0);
      assert.deepEqual(loaded, []);
      // A link the API refuses (not https) is named at the image, and nothing starts.
      await page.getByLabel('or image link').fill('file:///etc/passwd');
      await page.getByLabel('Prompt').fill('A refused link.');
      await page.getByRole('button', { name: 'Generate' }).click();
      await page
        .locator('#form-status')
        .filter({ hasText: /^Not started: / })
        .waitFor();
      assert.match((await page.locator('#image-error').textContent()) ?? '', /^image\.url /);
      assert.equal(await page.getByLabel('or image link').getAttribute('aria-invalid'), 'true');
      assert.deepEqual(posts, ['/api/videos']);
      assert.deepEqual(refused, ['400']);
    } finally {
      page.off('request', watch);
      await page.getByLabel('or image link').fill('');
    }
  });

  test('a chosen PNG is previewed, uploaded, sent as image.uploadId, and starts the video, which plays', async () => {
    posts.length = 0;
    refused.length = 0;
    const colour: Rgb = [200, 60, 30];
    await page.getByLabel('Image file').setInputFiles({
      name: 'start.png',
      mimeType: 'image/png',
      buffer: solidPng(64, 48, colour),
    });
    // The preview is the file itself (a blob: object URL the CSP allows), decoded by Chromium.
    const preview = page.locator('#image-preview img');
    await page.waitForFunction(
      () => {
        const img = (globalThis as Dom).document.querySelector('#image-preview img');
        return img !== null && img.complete && img.naturalWidth > 0;
      },
      undefined,
      { timeout: 10_000 },
    );
    assert.deepEqual(
      await preview.evaluate((img: Dom) => [img.src.slice(0, 5), img.naturalWidth, img.naturalHeight]),
      ['blob:', 64, 48],
    );
    const id = await submit(page, {
      prompt: 'The red start image comes alive.',
      provider: 'fal',
      model: IMAGE_MODEL,
      seconds: '5',
      size: 'auto',
    });
    assert.deepEqual(
      posts,
      ['/api/uploads', '/api/videos'],
      'the file is uploaded first, then the request sent',
    );
    const item = card(page, id);
    await item.waitFor({ timeout: 10_000 });
    const shown = (await item.locator('.image').textContent()) ?? '';
    const uploadId = /^Start image: upload (upl_[A-Za-z0-9_-]{22})$/.exec(shown)?.[1];
    assert.ok(uploadId, `the card names the upload: ${shown}`);
    const status = await call(`${stack.host.url}/api/videos/${id}`);
    assert.equal(status.status, 200, status.text);
    assert.deepEqual(status.body.request.image, { uploadId });

    await page.waitForSelector(`#videos li[data-id="${id}"][data-phase="completed"]`, { timeout: 90_000 });
    const video = item.locator('video');
    await video.waitFor();
    // It plays: started from the page, its clock moves.
    await video.evaluate((v: Dom) => {
      v.muted = true;
      return v.play();
    });
    await page.waitForFunction(
      (selector) => {
        const element = (globalThis as Dom).document.querySelector(selector);
        return element !== null && element.currentTime > 0 && !element.paused;
      },
      `#videos li[data-id="${id}"] video`,
      { timeout: 30_000 },
    );
    // The provider got the image: the video's first frame carries its colour.
    const src = await video.evaluate((v: Dom) => v.currentSrc as string);
    const [first] = await framesYuv(src, 1);
    assert.ok(carries(first, colour), `first frame YUV ${first.map((v) => v.toFixed(1)).join(',')}`);
    await screenshot(page, 'gallery-start-image');
    assert.deepEqual(refused, []);
    assert.deepEqual(errors, []);
  });

  test('a file of the wrong type, one over 10 MiB, or one the upload refuses is named at the field, and nothing starts', async () => {
    posts.length = 0;
    refused.length = 0;
    const listed = await call(`${stack.host.url}/api/videos?limit=100`);
    const count = (listed.body as { items: unknown[] }).items.length;
    await page.getByLabel('Prompt').fill('This must not start.');
    const generate = page.getByRole('button', { name: 'Generate' });
    const imageError = page.locator('#image-error');

    await page
      .getByLabel('Image file')
      .setInputFiles({ name: 'start.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a') });
    await imageError.filter({ hasText: /must be a PNG, JPEG or WebP file, not image\/gif/ }).waitFor();
    await generate.click();
    await page
      .locator('#form-status')
      .filter({ hasText: /^Not started: see the start image\.$/ })
      .waitFor();

    const big = Buffer.concat([
      solidPng(8, 8, [0, 0, 0]),
      Buffer.alloc(10 * 1024 * 1024 + 1 - solidPng(8, 8, [0, 0, 0]).length),
    ]);
    await page
      .getByLabel('Image file')
      .setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: big });
    await imageError.filter({ hasText: /at most 10 MiB/ }).waitFor();
    await generate.click();
    await page
      .locator('#form-status')
      .filter({ hasText: /^Not started: see the start image\.$/ })
      .waitFor();
    assert.deepEqual(posts, [], 'neither is uploaded');

    // Passes the page's checks (a .png name and type) but is not one: POST /api/uploads says why.
    await page
      .getByLabel('Image file')
      .setInputFiles({ name: 'drawing.png', mimeType: 'image/png', buffer: SVG });
    assert.equal(await imageError.textContent(), '');
    await generate.click();
    await imageError.filter({ hasText: /^Image refused: / }).waitFor();
    const said = (await imageError.textContent()) ?? '';
    assert.doesNotMatch(said, /HTTP \d/, `the problem's detail is shown: ${said}`);
    assert.equal(await page.getByLabel('Image file').getAttribute('aria-invalid'), 'true');
    assert.deepEqual(posts, ['/api/uploads'], 'the upload was tried; no request was sent');
    assert.equal(refused.length, 1);
    assert.match(refused[0], /^(400|415)$/);

    const relisted = await call(`${stack.host.url}/api/videos?limit=100`);
    assert.equal((relisted.body as { items: unknown[] }).items.length, count, 'nothing started');
    assert.deepEqual(errors, []);
  });
});

describe('the gallery against an app that wants function keys', () => {
  let keyed: RunningHost;
  let functionKey: string;
  before(async () => {
    // Its own in-memory task hub: it only serves the page, the providers and an empty list.
    keyed = await startHost({
      appDir: repoRoot,
      port: 0,
      store: 'memory',
      env: stack.settings,
      quiet: true,
      requireKeys: true,
    });
    functionKey = /function=(\S+)/.exec(keyed.output())?.[1] ?? '';
    assert.ok(functionKey, 'the host printed its function key');
  });
  after(async () => {
    await keyed?.stop();
  });

  test('asks once for the key, keeps it for the tab (not for a new one), and sends it as x-functions-key, uploads too', async () => {
    const context = await browser.newContext();
    try {
      const { page, errors, refused } = await openPage(context, `${keyed.url}/api/gallery`);
      const keyInput = page.getByLabel('Function key of this app');
      await keyInput.waitFor();
      assert.match((await page.locator('#key-message').textContent()) ?? '', /needs a function key/);
      assert.equal(
        await page.evaluate(() => (globalThis as Dom).document.activeElement?.id),
        'key',
        'focus goes to the key field',
      );

      await keyInput.fill('not-the-key');
      await keyInput.press('Enter');
      await page
        .locator('#key-message')
        .filter({ hasText: /was refused/ })
        .waitFor();

      const sent: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/api/providers')) sent.push(request.headers()['x-functions-key'] ?? '');
      });
      await keyInput.fill(functionKey);
      await keyInput.press('Enter');
      await page.locator('#key-form').waitFor({ state: 'hidden' });
      await page.locator('#provider option').first().waitFor({ state: 'attached' });
      assert.equal(
        await page.getByLabel('Prompt').evaluate((e) => e === (globalThis as Dom).document.activeElement),
        true,
        'then on to the prompt',
      );
      assert.deepEqual(sent, [functionKey]);
      await page
        .locator('#list-status')
        .filter({ hasText: /^No requests yet\.$/ })
        .waitFor();

      // A start image is uploaded with the same key as every other call.
      const uploadKeys: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/api/uploads'))
          uploadKeys.push(request.headers()['x-functions-key'] ?? '');
      });
      await page.getByLabel('Provider').selectOption('fal');
      await page.getByLabel('Model').selectOption('fal-ai/kling-video/v2.1/standard/image-to-video');
      await page.getByLabel('Image file').setInputFiles({
        name: 'start.png',
        mimeType: 'image/png',
        buffer: solidPng(32, 32, [20, 90, 200]),
      });
      await page.getByLabel('Prompt').fill('A blue start, with a key.');
      await page.getByRole('button', { name: 'Generate' }).click();
      await page
        .locator('#form-status')
        .filter({ hasText: /^Started: / })
        .waitFor({ timeout: 15_000 });
      assert.deepEqual(uploadKeys, [functionKey]);

      await page.reload();
      await page.locator('#provider option').first().waitFor({ state: 'attached' });
      assert.equal(await page.locator('#key-form').isHidden(), true, 'not asked again in this tab');

      const other = await context.newPage();
      await other.goto(`${keyed.url}/api/gallery`);
      await other.getByLabel('Function key of this app').waitFor();
      await other.close();
      assert.deepEqual(errors, []);
      assert.deepEqual([...new Set(refused)], ['401'], 'only the calls without the right key were refused');
    } finally {
      await context.close();
    }
  });
});
