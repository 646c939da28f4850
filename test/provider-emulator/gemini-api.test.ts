// The emulator's Gemini API dialect on the wire: the operation's shapes while pending and when
// done (samples, Responsible AI filtering, an internal error), the media download to the same key,
// Google's error bodies for keys, models, input, quota and injected faults, file retention, and
// the CLI flags.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { spawnProviderEmulatorCli } from '../../emulators/providers/spawn-cli.js';
import { adminCaller, cleanSlate, downloadAndProbe, json } from './helpers.js';
import { eventually } from '../support/eventually.js';

interface Operation {
  name: string;
  done?: boolean;
  error?: { code: number; message: string };
  response?: {
    '@type': string;
    generateVideoResponse: {
      generatedSamples?: Array<{ video: { uri: string } }>;
      raiMediaFilteredCount?: number;
      raiMediaFilteredReasons?: string[];
    };
  };
}

interface GoogleError {
  error: { code: number; message: string; status: string; details?: Array<Record<string, unknown>> };
}

const KEY = 'AIza-wire';
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
).toString('base64');

describe('provider emulator: Gemini API dialect on the wire', () => {
  let emulator: RunningProviderEmulator;
  let base: string;
  const admin = adminCaller(() => emulator.url);
  const create = (model: string, body: unknown, key: string | null = KEY) =>
    fetch(`${base}/models/${model}:predictLongRunning`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'x-goog-api-key': key }) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const started = async (model: string, body: unknown, key = KEY) => {
    const response = await create(model, body, key);
    assert.equal(response.status, 200, await response.clone().text());
    return json<Operation>(response);
  };
  const poll = (name: string, key = KEY) => json<Operation>(fetch(`${base}/${name}?key=${key}`));
  const finished = (name: string, key = KEY) =>
    eventually(
      name,
      () => poll(name, key),
      (op) => op.done === true,
    );

  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.02, geminiKey: KEY });
    base = `${emulator.url}/v1beta`;
  });
  after(() => emulator.stop());
  beforeEach(() => cleanSlate(admin, { geminiCreatesPerMinute: 1000, geminiFileTtlSeconds: 172800 }));

  test('an operation is its name while pending, then done with a sample whose download serves the MP4 to the same key', async () => {
    const response = await create('veo-3.0-generate-001', { instances: [{ prompt: 'a canal' }] });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=UTF-8');
    const op = (await response.json()) as Operation;
    assert.match(op.name, /^models\/veo-3\.0-generate-001\/operations\/[a-z0-9]{12}$/);
    assert.deepEqual(await poll(op.name), { name: op.name }, 'done is omitted while pending');
    const done = await finished(op.name);
    assert.equal(
      done.response?.['@type'],
      'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse',
    );
    const samples = done.response!.generateVideoResponse.generatedSamples!;
    assert.equal(samples.length, 1);
    const uri = samples[0].video.uri;
    assert.match(uri, new RegExp(`^${base}/files/[a-z0-9]{12}:download\\?alt=media$`));

    const probed = await downloadAndProbe(uri, { 'x-goog-api-key': KEY });
    assert.deepEqual([probed.contentType, probed.codec], ['video/mp4', 'h264']);
    assert.ok(Math.abs(probed.seconds - 8) < 0.2 && probed.width > probed.height, '8 s 16:9 by default');
    const ranged = await fetch(`${uri}&key=${KEY}`, { headers: { range: 'bytes=0-99' } });
    assert.deepEqual([ranged.status, (await ranged.arrayBuffer()).byteLength], [206, 100]);
    const noAlt = await json<GoogleError>(
      fetch(uri.replace('?alt=media', ''), { headers: { 'x-goog-api-key': KEY } }),
    );
    assert.equal(noAlt.error.status, 'INVALID_ARGUMENT');

    const timing = await json<{ status: string; finishedAtMs: number }>(
      admin('GET', `jobs/${op.name.split('/').pop()}`),
    );
    assert.equal(timing.status, 'succeeded');
    assert.ok(timing.finishedAtMs > 0);
  });

  test('no key is 403 PERMISSION_DENIED, a wrong key 400 API_KEY_INVALID; ?key= works as the header does', async () => {
    const none = await create('veo-3.1-generate-preview', { instances: [{ prompt: 'x' }] }, null);
    assert.equal(none.status, 403);
    assert.deepEqual(await none.json(), {
      error: {
        code: 403,
        message:
          "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        status: 'PERMISSION_DENIED',
      },
    });
    const wrong = await create('veo-3.1-generate-preview', { instances: [{ prompt: 'x' }] }, 'AIza-other');
    assert.equal(wrong.status, 400);
    const body = (await wrong.json()) as GoogleError;
    assert.deepEqual(
      [body.error.code, body.error.status, body.error.message],
      [400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.'],
    );
    assert.equal(body.error.details?.[0].reason, 'API_KEY_INVALID');
    const byQuery = await fetch(`${base}/models/veo-3.1-generate-preview:predictLongRunning?key=${KEY}`, {
      method: 'POST',
      body: JSON.stringify({ instances: [{ prompt: 'by query' }] }),
    });
    assert.equal(byQuery.status, 200);
  });

  test('another key, another model path or an unknown id find no operation and no file (404 NOT_FOUND)', async () => {
    const other = await startProviderEmulator({ timeScale: 0.02 });
    try {
      const url = `${other.url}/v1beta`;
      const op = (await (
        await fetch(`${url}/models/veo-3.1-generate-preview:predictLongRunning?key=mine`, {
          method: 'POST',
          body: JSON.stringify({ instances: [{ prompt: 'owned' }], parameters: { durationSeconds: 4 } }),
        })
      ).json()) as Operation;
      const id = op.name.split('/').pop();
      const statuses = [];
      for (const path of [
        `${op.name}?key=theirs`,
        `models/veo-3.0-generate-001/operations/${id}?key=mine`,
        `models/veo-3.1-generate-preview/operations/nosuchop1234?key=mine`,
      ])
        statuses.push((await json<GoogleError>(fetch(`${url}/${path}`))).error.status);
      assert.deepEqual(statuses, ['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
      const done = await eventually(
        'the operation done',
        () => json<Operation>(fetch(`${url}/${op.name}?key=mine`)),
        (o) => o.done === true,
      );
      const uri = done.response!.generateVideoResponse.generatedSamples![0].video.uri;
      assert.equal((await fetch(`${uri}&key=theirs`)).status, 404, "another key's file");
      assert.equal((await fetch(`${uri}&key=mine`)).status, 200);
    } finally {
      await other.stop();
    }
  });

  test('each input a model does not take is 400 INVALID_ARGUMENT naming the field, and starts nothing', async () => {
    const image = { bytesBase64Encoded: PNG, mimeType: 'image/png' };
    const cases: Array<[string, unknown, RegExp]> = [
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'p' }], parameters: { durationSeconds: 5 } },
        /`durationSeconds` is out of bound\. Please provide a value between 4 and 8, inclusive\./,
      ],
      [
        'veo-2.0-generate-001',
        { instances: [{ prompt: 'p' }], parameters: { durationSeconds: 4 } },
        /between 5 and 8, inclusive/,
      ],
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'p' }], parameters: { aspectRatio: '1:1' } },
        /`aspectRatio` must be one of 16:9, 9:16/,
      ],
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'p' }], parameters: { resolution: '1080p', durationSeconds: 4 } },
        /`resolution` 1080p needs `durationSeconds` 8/,
      ],
      [
        'veo-3.0-generate-001',
        { instances: [{ prompt: 'p' }], parameters: { resolution: '4k' } },
        /`resolution` must be one of 720p, 1080p/,
      ],
      [
        'veo-2.0-generate-001',
        { instances: [{ prompt: 'p' }], parameters: { resolution: '720p' } },
        /^`resolution` isn't supported by this model/,
      ],
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'p' }], parameters: { seed: 1 } },
        /^`seed` isn't supported by this model/,
      ],
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'p' }], parameters: { generateAudio: true } },
        /^`generateAudio` isn't supported/,
      ],
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'p' }], parameters: { sampleCount: 5 } },
        /`sampleCount` must be an integer from 1 to 4/,
      ],
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'p' }], parameters: { personGeneration: 'allow_adult' } },
        /`personGeneration` must be allow_all for text-to-video/,
      ],
      [
        'veo-3.0-generate-001',
        { instances: [{ prompt: 'p', image, lastFrame: image }] },
        /^`lastFrame` isn't supported/,
      ],
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'p', lastFrame: image }] },
        /`lastFrame` needs `image`/,
      ],
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'p', image: { gcsUri: 'gs://b/i.png' } }] },
        /`image.gcsUri` isn't supported by the Gemini API/,
      ],
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'p', image: { ...image, mimeType: 'image/jpeg' } }] },
        /`image` is not a valid image\/jpeg image/,
      ],
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'p', referenceImages: [1, 2, 3, 4].map(() => ({ image })) }] },
        /`referenceImages` must hold 1 to 3 images/,
      ],
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'p', referenceImages: [{ image }] }], parameters: { aspectRatio: '9:16' } },
        /`referenceImages` need `durationSeconds` 8 and `aspectRatio` 16:9/,
      ],
      [
        'veo-3.1-fast-generate-preview',
        { instances: [{ prompt: 'p', referenceImages: [{ image }] }] },
        /^`referenceImages` isn't supported/,
      ],
      ['veo-3.1-generate-preview', { instances: [{}] }, /`prompt` is required when no image is given/],
      [
        'veo-3.1-generate-preview',
        { instances: [{ prompt: 'a' }, { prompt: 'b' }] },
        /`instances` must hold exactly one instance/,
      ],
      ['veo-3.1-generate-preview', '{"instances": [', /^Invalid JSON payload received\./],
    ];
    const before = await json<{ creates: { gemini: number } }>(admin('GET', 'stats'));
    for (const [model, body, message] of cases) {
      const response = await create(model, body);
      const answer = (await response.json()) as GoogleError;
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(answer.error.status, 'INVALID_ARGUMENT');
      assert.match(answer.error.message, message);
    }
    const after = await json<{ creates: { gemini: number } }>(admin('GET', 'stats'));
    assert.equal(after.creates.gemini, before.creates.gemini);
  });

  test('image inputs and the values each model documents are accepted', async () => {
    const image = { bytesBase64Encoded: PNG, mimeType: 'image/png' };
    const accepted: Array<[string, unknown]> = [
      [
        'veo-3.1-generate-preview',
        {
          instances: [{ prompt: 'p', image, lastFrame: image }],
          parameters: { personGeneration: 'allow_adult' },
        },
      ],
      [
        'veo-3.1-generate-preview',
        {
          instances: [{ prompt: 'p', referenceImages: [{ image, referenceType: 'asset' }] }],
          parameters: { resolution: '4k' },
        },
      ],
      [
        'veo-3.1-lite-generate-preview',
        { instances: [{ prompt: 'p' }], parameters: { resolution: '1080p', durationSeconds: '8' } },
      ],
      [
        'veo-3.0-fast-generate-001',
        { instances: [{ image }], parameters: { aspectRatio: '9:16', negativePrompt: 'blur' } },
      ],
      [
        'veo-2.0-generate-001',
        {
          instances: [{ prompt: 'p' }],
          parameters: {
            durationSeconds: 5,
            personGeneration: 'dont_allow',
            sampleCount: 2,
            enhancePrompt: true,
          },
        },
      ],
    ];
    for (const [model, body] of accepted) {
      const response = await create(model, body);
      assert.equal(response.status, 200, `${model}: ${await response.clone().text()}`);
    }
  });

  test('a denied prompt or an output refusal ends done with the samples filtered; an internal failure with error code 13', async () => {
    await admin('PATCH', 'config', { denyList: ['forbidden'] });
    const denied = await finished(
      (
        await started('veo-3.1-generate-preview', {
          instances: [{ prompt: 'Forbidden things' }],
          parameters: { sampleCount: 2, durationSeconds: 4 },
        })
      ).name,
    );
    assert.deepEqual(denied.response?.generateVideoResponse.generatedSamples, undefined);
    assert.equal(denied.response?.generateVideoResponse.raiMediaFilteredCount, 2);
    assert.match(
      denied.response!.generateVideoResponse.raiMediaFilteredReasons![0],
      /input prompt violates Google's Responsible AI practices/,
    );

    await admin('PATCH', 'config', { denyList: [], outputModerationRate: 1 });
    const output = await finished(
      (
        await started('veo-3.1-generate-preview', {
          instances: [{ prompt: 'fine' }],
          parameters: { durationSeconds: 4 },
        })
      ).name,
    );
    assert.match(
      output.response!.generateVideoResponse.raiMediaFilteredReasons![0],
      /generated videos violate/,
    );

    await admin('PATCH', 'config', { outputModerationRate: 0, internalErrorRate: 1 });
    const failed = await finished(
      (
        await started('veo-3.1-generate-preview', {
          instances: [{ prompt: 'fine' }],
          parameters: { durationSeconds: 4 },
        })
      ).name,
    );
    assert.deepEqual(failed.error, {
      code: 13,
      message: 'Video generation failed due to an internal error.',
    });
    assert.equal(failed.response, undefined);
  });

  test('over the per-minute quota of a key and model: 429 RESOURCE_EXHAUSTED with the wait in RetryInfo, no Retry-After header', async () => {
    await admin('POST', 'reset'); // forgets the creates earlier tests made this minute
    await admin('PATCH', 'config', { geminiCreatesPerMinute: 2 });
    const body = { instances: [{ prompt: 'quota' }], parameters: { durationSeconds: 4 } };
    const statuses = [];
    for (let i = 0; i < 2; i++) statuses.push((await create('veo-3.0-fast-generate-001', body)).status);
    const refused = await create('veo-3.0-fast-generate-001', body);
    statuses.push(refused.status);
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal(refused.headers.get('retry-after'), null);
    const answer = (await refused.json()) as GoogleError;
    assert.equal(answer.error.status, 'RESOURCE_EXHAUSTED');
    assert.match(answer.error.message, /^You exceeded your current quota/);
    const retry = answer.error.details!.find(
      (d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo',
    );
    assert.match(String(retry?.retryDelay), /^\d+s$/);
    assert.equal((await create('veo-3.0-generate-001', body)).status, 200, 'the quota is per model');
  });

  test("files expire after geminiFileTtlSeconds or by the admin; faults answer in Google's shape and truncate downloads", async () => {
    const body = { instances: [{ prompt: 'kept' }], parameters: { durationSeconds: 4 } };
    const first = await finished((await started('veo-3.1-generate-preview', body)).name);
    const second = await finished((await started('veo-3.1-generate-preview', body)).name);
    const uriOf = (op: Operation) =>
      `${op.response!.generateVideoResponse.generatedSamples![0].video.uri}&key=${KEY}`;
    assert.equal((await fetch(uriOf(first))).status, 200);

    await admin('PUT', 'faults', {
      rules: [{ route: 'GET /v1beta/files/{file_id}:download', kind: 'truncate', rate: 1 }],
    });
    const truncated = await fetch(uriOf(first));
    const announced = Number(truncated.headers.get('content-length'));
    await assert.rejects(truncated.arrayBuffer(), 'the body ends before its announced length');
    assert.ok(announced > 0);
    await admin('PUT', 'faults', {
      rules: [
        {
          route: 'GET /v1beta/models/{model}/operations/{operation_id}',
          kind: 'status',
          status: 500,
          rate: 1,
        },
      ],
    });
    const faulted = await fetch(`${base}/${first.name}?key=${KEY}`);
    assert.equal(faulted.status, 500);
    assert.equal(((await faulted.json()) as GoogleError).error.status, 'INTERNAL');
    await admin('DELETE', 'faults');

    assert.equal((await admin('POST', `expire/${first.name.split('/').pop()}`)).status, 204);
    assert.equal((await fetch(uriOf(first))).status, 404, 'expired by the admin');
    await admin('PATCH', 'config', { geminiFileTtlSeconds: 0 });
    assert.equal((await fetch(uriOf(second))).status, 404, 'past the retention');
    await admin('PATCH', 'config', { geminiFileTtlSeconds: 172800 });
    assert.equal((await fetch(uriOf(second))).status, 200);

    const stats = await json<{ requests: Record<string, Record<string, number>> }>(admin('GET', 'stats'));
    assert.ok(stats.requests['GET /v1beta/files/{file_id}:download']['404'] >= 2);
    assert.ok(stats.requests['POST /v1beta/models/{model}:predictLongRunning']['200'] >= 2);
  });
});

test('CLI: --gemini-key, --gemini-creates-per-minute and --gemini-file-ttl-seconds are applied', async () => {
  const { url, child } = await spawnProviderEmulatorCli([
    '--port',
    '0',
    '--gemini-key',
    'gk',
    '--gemini-creates-per-minute',
    '1',
    '--gemini-file-ttl-seconds',
    '30',
  ]);
  try {
    const create = (key: string) =>
      fetch(`${url}/v1beta/models/veo-3.1-generate-preview:predictLongRunning?key=${key}`, {
        method: 'POST',
        body: JSON.stringify({ instances: [{ prompt: 'cli' }] }),
      });
    assert.deepEqual(
      [(await create('other')).status, (await create('gk')).status, (await create('gk')).status],
      [400, 200, 429],
    );
    const settings = await json<{ geminiFileTtlSeconds: number }>(
      fetch(`${url}/_admin/config`, { method: 'PATCH', body: '{}' }),
    );
    assert.equal(settings.geminiFileTtlSeconds, 30);
  } finally {
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  }
});
