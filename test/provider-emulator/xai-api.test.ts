// The emulator's xAI video dialect on the wire: the create's `{request_id}`, the request's 202
// `pending` with progress and its 200 `done` / `failed` answers, the public video URL (an H.264
// MP4 of the asked length and ratio), xAI's `{code, error}` bodies for keys, models, input and
// injected faults, the deny list and late outcomes, the admin views, a start image, and the CLI flag.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { spawnProviderEmulatorCli } from '../../emulators/providers/spawn-cli.js';
import { adminCaller, cleanSlate, downloadAndProbe, json } from './helpers.js';
import { eventually } from '../support/eventually.js';
import { carries, framesYuv, meanOf, pngOf, twoTone } from '../support/input-images.js';

interface VideoStatus {
  status: string;
  progress?: number;
  model?: string;
  video?: { url: string; duration: number; respect_moderation: boolean };
  error?: { code: string; message: string };
}

interface XaiError {
  code: string;
  error: string;
}

const KEY = 'xai-wire-key';

describe('provider emulator: xAI video dialect on the wire', () => {
  let emulator: RunningProviderEmulator;
  let base: string;
  const admin = adminCaller(() => emulator.url);
  const create = (body: unknown, key: string | null = KEY) =>
    fetch(`${base}/videos/generations`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const started = async (body: unknown) => {
    const response = await create(body);
    assert.equal(response.status, 200, await response.clone().text());
    const { request_id } = await json<{ request_id: string }>(response);
    return request_id;
  };
  const poll = (id: string, key = KEY) =>
    fetch(`${base}/videos/${id}`, { headers: { authorization: `Bearer ${key}` } });
  const finished = (id: string) =>
    eventually(
      `${id} ended`,
      async () => {
        const response = await poll(id);
        return { http: response.status, body: await json<VideoStatus>(response) };
      },
      (seen) => seen.body.status !== 'pending',
    );
  const creates = async () => (await json<{ creates: { xai: number } }>(admin('GET', 'stats'))).creates.xai;

  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.02, xaiKey: KEY });
    base = `${emulator.url}/xai/v1`;
  });
  after(() => emulator.stop());
  beforeEach(() => cleanSlate(admin, { timeScale: 0.02 }));

  test('a generation: 200 {request_id}, 202 pending with rising progress, then done with a public H.264 MP4', async () => {
    await admin('PATCH', 'config', { timeScale: 0.5 });
    const before = await creates();
    const id = await started({
      model: 'grok-imagine-video',
      prompt: 'A kite',
      duration: 3,
      aspect_ratio: '9:16',
    });
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(await creates(), before + 1);
    const first = await poll(id);
    assert.equal(first.status, 202);
    const pending = await json<VideoStatus>(first);
    assert.equal(pending.status, 'pending');
    assert.ok(pending.progress! >= 0 && pending.progress! < 100, JSON.stringify(pending));
    const later = await eventually(
      'progress rises',
      () => json<VideoStatus>(poll(id)),
      (s) => s.status !== 'pending' || s.progress! > pending.progress!,
    );
    assert.ok(later.status !== 'pending' || later.progress! <= 99);
    const { http, body } = await finished(id);
    assert.equal(http, 200);
    assert.equal(body.status, 'done');
    assert.equal(body.model, 'grok-imagine-video');
    assert.equal(body.progress, 100);
    assert.deepEqual(
      { ...body.video, url: undefined },
      { url: undefined, duration: 3, respect_moderation: true },
    );
    assert.equal(
      body.video!.url,
      `${emulator.url}/xai/vidgen/xai-vidgen-bucket/xai-video-${id}.mp4`,
      'the URL leads back to the emulator',
    );
    // Served without the key, as xAI's bucket serves its video URLs.
    const probed = await downloadAndProbe(body.video!.url);
    assert.equal(probed.contentType, 'video/mp4');
    assert.equal(probed.codec, 'h264');
    assert.ok(probed.height > probed.width, `9:16 is portrait: ${probed.width}x${probed.height}`);
    assert.ok(Math.abs(probed.seconds - 3) < 0.2, `duration ${probed.seconds}`);

    const timing = await json<{ id: string; status: string; finishedAtMs: number; image: null }>(
      admin('GET', `jobs/${id}`),
    );
    assert.deepEqual([timing.id, timing.status, timing.image], [id, 'done', null]);
    assert.ok(timing.finishedAtMs <= Date.now());
  });

  test('defaults: grok-imagine-video, 8 s, 16:9; `seconds` and a digit string are taken as the duration', async () => {
    const byDefault = await started({ prompt: 'defaults' });
    const asString = await started({ model: 'grok-imagine-video-1.5', prompt: 'string', duration: '2' });
    const asSeconds = await started({
      model: 'grok-imagine-video-1.5',
      prompt: 'alias',
      seconds: 1,
      resolution: '1080p',
    });
    const shown = await Promise.all(
      [byDefault, asString, asSeconds].map(async (id) => (await finished(id)).body),
    );
    assert.deepEqual(
      shown.map((s) => [s.model, s.video!.duration]),
      [
        ['grok-imagine-video', 8],
        ['grok-imagine-video-1.5', 2],
        ['grok-imagine-video-1.5', 1],
      ],
    );
    const probed = await downloadAndProbe(shown[0].video!.url);
    assert.ok(probed.width > probed.height, `16:9 by default: ${probed.width}x${probed.height}`);
  });

  test("keys: none or a wrong one is xAI's 400 with the key masked; another key's request is 404", async () => {
    const none = await create({ prompt: 'x' }, null);
    assert.equal(none.status, 400);
    assert.equal((await json<XaiError>(none)).code, 'Client specified an invalid argument');
    const wrong = await create({ prompt: 'x' }, 'xai-wrong-secret');
    assert.equal(wrong.status, 400);
    assert.deepEqual(await json<XaiError>(wrong), {
      code: 'Client specified an invalid argument',
      error: 'Incorrect API key provided: xa***et. You can obtain an API key from https://console.x.ai.',
    });
    const id = await started({ prompt: 'mine' });
    const theirs = await emulatorWithAnyKey(async (other) => {
      const made = await json<{ request_id: string }>(
        fetch(`${other}/xai/v1/videos/generations`, {
          method: 'POST',
          headers: { authorization: 'Bearer key-a' },
          body: JSON.stringify({ prompt: 'a' }),
        }),
      );
      return fetch(`${other}/xai/v1/videos/${made.request_id}`, {
        headers: { authorization: 'Bearer key-b' },
      });
    });
    assert.equal(theirs.status, 404);
    assert.equal((await json<XaiError>(theirs)).code, 'Some requested entity was not found');
    assert.equal((await poll('0b4b1d9e-0000-4000-8000-000000000000')).status, 404);
    assert.notEqual((await poll(id)).status, 404, 'the owner sees it');
  });

  test("refused input answers 400 (an unknown model 404) in xAI's shape and starts nothing", async () => {
    const before = await creates();
    const cases: Array<[unknown, number, RegExp]> = [
      [{ model: 'grok-imagine-video-9', prompt: 'x' }, 404, /model grok-imagine-video-9 does not exist/],
      [{ prompt: 'x', duration: 16 }, 400, /`duration` must be a whole number of seconds from 1 to 15/],
      [{ prompt: 'x', duration: 'six' }, 400, /`duration`/],
      [{ prompt: 'x', aspect_ratio: '5:4' }, 400, /`aspect_ratio` must be one of 1:1, 16:9/],
      [
        { prompt: 'x', resolution: '1080p' },
        400,
        /`resolution` must be one of 480p, 720p for model grok-imagine-video/,
      ],
      [{ prompt: '  ' }, 400, /`prompt` is required/],
      [{ prompt: 'x', image: { url: '' } }, 400, /`image` must be an object with a non-empty `url`/],
      [
        { prompt: 'x', last_frame: { url: 'https://example.com/a.png' } },
        400,
        /`last_frame` is not supported by model grok-imagine-video/,
      ],
      [{ prompt: 'x', reference_images: [] }, 400, /`reference_images` must hold 1 to 7 images/],
      ['{"prompt":', 400, /not a JSON object/],
    ];
    for (const [body, status, message] of cases) {
      const response = await create(body);
      const answer = await json<XaiError>(response);
      assert.equal(response.status, status, JSON.stringify(body));
      assert.equal(
        answer.code,
        status === 404 ? 'Some requested entity was not found' : 'Client specified an invalid argument',
      );
      assert.match(answer.error, message);
    }
    assert.equal(await creates(), before, 'no refused create made a request');
  });

  test('a denied prompt fails at its start with invalid_argument; late outcomes: internal_error, or done with respect_moderation false', async () => {
    await admin('PATCH', 'config', { denyList: ['forbidden'] });
    const denied = await finished(await started({ prompt: 'A FORBIDDEN scene' }));
    assert.equal(denied.http, 200);
    assert.equal(denied.body.status, 'failed');
    assert.equal(denied.body.error!.code, 'invalid_argument');
    assert.match(denied.body.error!.message, /rejected by content moderation/);
    assert.equal(denied.body.video, undefined, 'no video on a failed request');

    await admin('PATCH', 'config', { denyList: [], internalErrorRate: 1 });
    const broken = await finished(await started({ prompt: 'breaks late', duration: 1 }));
    assert.deepEqual(broken.body, {
      status: 'failed',
      error: { code: 'internal_error', message: 'Video generation failed due to an internal error.' },
    });

    await admin('PATCH', 'config', { internalErrorRate: 0, outputModerationRate: 1 });
    const filteredId = await started({ prompt: 'filtered late', duration: 1 });
    const filtered = await finished(filteredId);
    assert.equal(filtered.body.status, 'done');
    assert.deepEqual(filtered.body.video, { url: '', duration: 1, respect_moderation: false });
    const timing = await json<{ status: string }>(admin('GET', `jobs/${filteredId}`));
    assert.equal(timing.status, 'done', 'the admin view says what the API says');
  });

  test("faults: an injected 429/503 in xAI's words, a reset, a lost answer that still made its request; expire and reset", async () => {
    const before = await creates();
    await admin('PUT', 'faults', {
      rules: [{ route: 'POST /xai/v1/videos/generations', kind: 'status', status: 429, rate: 1 }],
    });
    const throttled = await create({ prompt: 'x' });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), null);
    assert.deepEqual(await json<XaiError>(throttled), {
      code: 'Some resource has been exhausted',
      error: 'The service is temporarily at capacity. Please retry your request shortly.',
    });
    await admin('PUT', 'faults', {
      rules: [{ route: 'POST /xai/v1/videos/generations', kind: 'reset', rate: 1 }],
    });
    await assert.rejects(create({ prompt: 'x' }));
    assert.equal(await creates(), before, 'neither made a request');
    await admin('PUT', 'faults', {
      rules: [{ route: 'POST /xai/v1/videos/generations', kind: 'drop-response', rate: 1 }],
    });
    await assert.rejects(create({ prompt: 'lost' }));
    assert.equal(await creates(), before + 1, 'the lost answer made its request');

    await admin('DELETE', 'faults');
    const id = await started({ prompt: 'polled', duration: 1 });
    await admin('PUT', 'faults', {
      rules: [{ route: 'GET /xai/v1/videos/{request_id}', kind: 'status', status: 503, rate: 1 }],
    });
    const overloaded = await poll(id);
    assert.equal(overloaded.status, 503);
    assert.equal((await json<XaiError>(overloaded)).code, 'The service is currently unavailable');
    await admin('DELETE', 'faults');
    const { body } = await finished(id);
    assert.equal((await fetch(body.video!.url)).status, 200);
    assert.equal((await admin('POST', `expire/${id}`)).status, 204);
    assert.equal((await fetch(body.video!.url)).status, 404, 'expired');
    const stats = await json<{ requests: Record<string, Record<string, number>> }>(admin('GET', 'stats'));
    assert.ok(stats.requests['GET /xai/vidgen/{file}']['404'] >= 1);
    assert.ok(stats.requests['GET /xai/v1/videos/{request_id}']['503'] >= 1);
    assert.equal((await admin('POST', 'reset')).status, 204);
    assert.equal((await poll(id)).status, 404, 'reset forgets the request');
    assert.equal(await creates(), 0);
  });

  test('a start image (a data URI) is fetched: the first frame carries its colour, the video its orientation', async () => {
    const picture = twoTone(48, 96, [240, 200, 20], [20, 40, 200]);
    const dataUri = `data:image/png;base64,${pngOf(picture, 48, 96).toString('base64')}`;
    const id = await started({
      prompt: 'A still comes alive',
      duration: 1,
      aspect_ratio: '16:9',
      image: { url: dataUri },
    });
    const { body } = await finished(id);
    assert.equal(body.status, 'done', JSON.stringify(body));
    const probed = await downloadAndProbe(body.video!.url);
    assert.ok(probed.height > probed.width, 'the ratio follows the portrait image, not aspect_ratio');
    const [first] = await framesYuv(body.video!.url);
    const mean = meanOf(picture);
    assert.ok(carries(first, mean), `frame 1 ${first.join(',')} carries ${mean.join(',')}`);
    const timing = await json<{ image: { source: string; width: number; height: number } }>(
      admin('GET', `jobs/${id}`),
    );
    assert.deepEqual([timing.image.source, timing.image.width, timing.image.height], ['data', 48, 96]);

    const bad = await finished(
      await started({ prompt: 'no image', image: { url: 'data:image/png;base64,AAAA' } }),
    );
    assert.equal(bad.body.status, 'failed');
    assert.equal(bad.body.error!.code, 'invalid_argument');
    assert.match(bad.body.error!.message, /^The image could not be used/);
  });
});

/** Runs `use` against a second emulator that takes any key, so two keys can be told apart. */
async function emulatorWithAnyKey<T>(use: (url: string) => Promise<T>): Promise<T> {
  const other = await startProviderEmulator({ timeScale: 0.02 });
  try {
    return await use(other.url);
  } finally {
    await other.stop();
  }
}

test('CLI: --xai-key is applied', async () => {
  const { url, child } = await spawnProviderEmulatorCli(['--port', '0', '--xai-key', 'xk-cli-key']);
  try {
    const create = (key: string) =>
      fetch(`${url}/xai/v1/videos/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify({ prompt: 'cli' }),
      });
    assert.deepEqual([(await create('other-key')).status, (await create('xk-cli-key')).status], [400, 200]);
  } finally {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  }
});
