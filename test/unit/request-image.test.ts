// The request's `image` (issue 23): every bad image is refused with its field named, before
// anything starts; a good one comes out of validation as the caller gave it (a link or an upload
// id, never a signed link). The catalog is the real one the app builds from settings; the upload
// store is a small in-memory implementation of the UploadStore interface (a fake of a dependency:
// src/uploads/ holds the real one).
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { providerViewSchema } from '../../src/functions/api-schemas.js';
import { providerViews } from '../../src/functions/providers-api.js';
import { parseModelsSetting } from '../../src/model-settings.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import { normalisedRequestSchema } from '../../src/requests/request-rules.js';
import {
  catalogOf,
  checkRequestImage,
  parseVideoRequest,
  type ParseResult,
} from '../../src/requests/video-request.js';
import type { UploadRecord, UploadStore } from '../../src/uploads/upload-record.js';

const catalog = catalogOf(
  createProviderRegistry(
    loadConfig({
      VIDEO_STORAGE: 'UseDevelopmentStorage=true',
      FAL_KEY: 'k',
      REPLICATE_API_TOKEN: 'k',
      OPENAI_API_KEY: 'k',
    }),
  ),
);

/** An in-memory UploadStore holding the given records (expired ones are unknown, as the interface says). */
function memoryUploads(records: UploadRecord[], now = () => Date.now()): UploadStore {
  const live = (id: string) =>
    records.find((record) => record.uploadId === id && Date.parse(record.expiresAt) > now());
  return {
    find: async (id) => live(id),
    readUrl: async (id, seconds) => `https://blob.example/uploads/${id}?se=${seconds}&sig=secret`,
    openRead: async (id) => {
      const record = live(id);
      if (!record) throw new Error(`no upload ${id}`);
      return {
        stream: Readable.from([Buffer.alloc(record.bytes)]),
        contentType: record.contentType,
        bytes: record.bytes,
      };
    },
    holdUntil: async () => undefined,
  };
}

const UPLOAD_720P = 'upl_AAAAAAAAAAAAAAAAAAAAAA';
const UPLOAD_SQUARE = 'upl_BBBBBBBBBBBBBBBBBBBBBB';
const UPLOAD_EXPIRED = 'upl_CCCCCCCCCCCCCCCCCCCCCC';
const UPLOAD_UNKNOWN = 'upl_DDDDDDDDDDDDDDDDDDDDDD';
const record = (uploadId: string, width: number, height: number, expiresAt: string): UploadRecord => ({
  uploadId,
  contentType: 'image/png',
  width,
  height,
  bytes: 1234,
  createdAt: '2026-12-07T00:00:00Z',
  expiresAt,
});
const FUTURE = new Date(Date.now() + 3600_000).toISOString();
const uploads = memoryUploads([
  record(UPLOAD_720P, 1280, 720, FUTURE),
  record(UPLOAD_SQUARE, 512, 512, FUTURE),
  record(UPLOAD_EXPIRED, 1280, 720, new Date(Date.now() - 1000).toISOString()),
]);

const FAL_I2V = { provider: 'fal', model: 'fal-ai/kling-video/v2.1/standard/image-to-video' };
const FAL_TEXT = { provider: 'fal', model: 'fal-ai/kling-video/v2/master/text-to-video' };
const SORA2 = { provider: 'openai', model: 'sora-2', size: '1280x720' };
const LINK = { url: 'https://images.example.com/cat.png' };

const fieldsOf = (result: ParseResult) => (result.ok ? [] : result.problems.map((p) => p.field));

/** Body validation, then the upload checks: all the problems the starter would answer with. */
async function problemsOf(body: Record<string, unknown>): Promise<string[]> {
  const parsed = parseVideoRequest({ prompt: 'A cat turns its head.', ...body }, catalog);
  if (!parsed.ok) return fieldsOf(parsed);
  return (await checkRequestImage(parsed.request, catalog, uploads)).map((p) => p.field);
}

describe('bad images are refused, naming the field', () => {
  test('an image for a text-only model', async () => {
    assert.deepEqual(await problemsOf({ ...FAL_TEXT, image: LINK }), ['image']);
  });
  test('no image for an image-only model', async () => {
    assert.deepEqual(await problemsOf({ ...FAL_I2V }), ['image']);
  });
  for (const url of [
    'file:///etc/passwd',
    'http://images.example.com/cat.png',
    'data:image/png;base64,iVBORw0KGgo=',
    'javascript:alert(1)',
    'https://user:pass@images.example.com/cat.png',
    'https://10.0.0.5/cat.png',
    'not a url',
  ])
    test(`the link ${url}`, async () => {
      assert.deepEqual(await problemsOf({ ...FAL_I2V, image: { url } }), ['image.url']);
    });
  test('a link longer than 2048 characters', async () => {
    const url = `https://images.example.com/${'a'.repeat(2048)}.png`;
    assert.deepEqual(await problemsOf({ ...FAL_I2V, image: { url } }), ['image.url']);
  });
  for (const uploadId of [
    'upl_short',
    'abc_AAAAAAAAAAAAAAAAAAAAAA',
    'upl_AAAAAAAAAAAAAAAAAAAAA/',
    '../../etc',
  ])
    test(`an upload id of another form: ${uploadId}`, async () => {
      assert.deepEqual(await problemsOf({ ...FAL_I2V, image: { uploadId } }), ['image.uploadId']);
    });
  test('an unknown upload', async () => {
    assert.deepEqual(await problemsOf({ ...FAL_I2V, image: { uploadId: UPLOAD_UNKNOWN } }), [
      'image.uploadId',
    ]);
  });
  test('an expired upload', async () => {
    assert.deepEqual(await problemsOf({ ...FAL_I2V, image: { uploadId: UPLOAD_EXPIRED } }), [
      'image.uploadId',
    ]);
  });
  test("an upload whose size is not Sora 2's size", async () => {
    const parsed = parseVideoRequest({ prompt: 'p', ...SORA2, image: { uploadId: UPLOAD_SQUARE } }, catalog);
    assert.ok(parsed.ok);
    const problems = await checkRequestImage(parsed.request, catalog, uploads);
    assert.deepEqual(
      problems.map((p) => p.field),
      ['image'],
    );
    assert.match(problems[0].message, /512x512.*1280x720/);
  });
  test('an upload id where this deployment keeps no uploads', async () => {
    const parsed = parseVideoRequest({ prompt: 'p', ...FAL_I2V, image: { uploadId: UPLOAD_720P } }, catalog);
    assert.ok(parsed.ok);
    assert.deepEqual(
      (await checkRequestImage(parsed.request, catalog, undefined)).map((p) => p.field),
      ['image.uploadId'],
    );
  });
  test('both url and uploadId, or neither, or not an object', async () => {
    assert.deepEqual(await problemsOf({ ...FAL_I2V, image: { ...LINK, uploadId: UPLOAD_720P } }), ['image']);
    assert.deepEqual(await problemsOf({ ...FAL_I2V, image: {} }), ['image']);
    assert.deepEqual(await problemsOf({ ...FAL_I2V, image: 'https://images.example.com/cat.png' }), [
      'image',
    ]);
    assert.deepEqual(await problemsOf({ ...FAL_I2V, image: { ...LINK, width: 3 } }), ['width']);
  });
  test('an imageRole the model does not give images, or one without an image', async () => {
    assert.deepEqual(await problemsOf({ ...FAL_I2V, image: LINK, imageRole: 'reference' }), ['imageRole']);
    assert.deepEqual(await problemsOf({ ...FAL_I2V, image: LINK, imageRole: 'last-frame' }), ['imageRole']);
    assert.deepEqual(await problemsOf({ ...SORA2, imageRole: 'first-frame' }), ['imageRole']);
  });
  test("the image's own input named in options", async () => {
    assert.deepEqual(
      await problemsOf({ ...FAL_I2V, image: LINK, options: { image_url: 'https://x.example/y.png' } }),
      ['options.image_url'],
    );
  });
});

describe('good images', () => {
  test('a link to an image-to-video model: kept as given, with the default role', async () => {
    const parsed = parseVideoRequest({ prompt: 'p', ...FAL_I2V, image: LINK }, catalog);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.request.image, LINK);
    assert.equal(parsed.request.imageRole, 'first-frame');
    assert.equal(parsed.request.size, 'auto');
    assert.deepEqual(await checkRequestImage(parsed.request, catalog, uploads), []);
    assert.ok(normalisedRequestSchema.safeParse(parsed.request).success);
  });
  test("an upload of Sora 2's size", async () => {
    const parsed = parseVideoRequest({ prompt: 'p', ...SORA2, image: { uploadId: UPLOAD_720P } }, catalog);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.request.image, { uploadId: UPLOAD_720P });
    assert.deepEqual(await checkRequestImage(parsed.request, catalog, uploads), []);
    assert.ok(normalisedRequestSchema.safeParse(parsed.request).success);
  });
  test('an optional image may be left out (text-to-video on the same model)', async () => {
    const parsed = parseVideoRequest(
      { prompt: 'p', provider: 'replicate', model: 'minimax/hailuo-02' },
      catalog,
    );
    assert.ok(parsed.ok);
    assert.equal(parsed.request.image, undefined);
  });
  test('a loopback http link only where local callbacks are allowed', () => {
    const body = { prompt: 'p', ...FAL_I2V, image: { url: 'http://127.0.0.1:7071/cat.png' } };
    assert.deepEqual(fieldsOf(parseVideoRequest(body, catalog)), ['image.url']);
    assert.ok(parseVideoRequest(body, catalog, { enabled: false, allowLoopback: true }).ok);
  });
  test('the orchestrator refuses a signed link or another shape in its input', () => {
    const base = {
      provider: 'fal',
      kind: 'fal',
      model: 'm',
      prompt: 'p',
      seconds: 5,
      size: 'auto',
      variants: 1,
    };
    assert.ok(!normalisedRequestSchema.safeParse({ ...base, image: { uploadId: 'upl_x' } }).success);
    assert.ok(!normalisedRequestSchema.safeParse({ ...base, image: { url: 'https://a', sig: 'x' } }).success);
  });
});

describe('GET /api/providers shows what each model takes of an image', () => {
  test("the capability row's image (use, roles, wire field, size rule), valid against the documented schema", () => {
    const registry = createProviderRegistry(
      loadConfig({ VIDEO_STORAGE: 'UseDevelopmentStorage=true', FAL_KEY: 'k', OPENAI_API_KEY: 'k' }),
    );
    const views = providerViews(registry);
    for (const view of views) assert.ok(providerViewSchema.safeParse(view).success, view.name);
    const model = (provider: string, id: string) =>
      views.find((v) => v.name === provider)!.models.find((m) => m.id === id)!;
    assert.deepEqual(model('fal', 'fal-ai/kling-video/v2.1/standard/image-to-video').image, {
      use: 'required',
      roles: ['first-frame'],
      field: 'image_url',
    });
    assert.equal(model('fal', 'fal-ai/kling-video/v2.1/standard/image-to-video').imageInput, true);
    assert.deepEqual(model('openai', 'sora-2').image, {
      use: 'optional',
      roles: ['first-frame'],
      field: 'input_reference',
      sizeRule: 'match-size',
    });
    const textOnly = model('fal', 'fal-ai/veo3');
    assert.deepEqual([textOnly.imageInput, textOnly.image], [false, undefined]);
  });
});

describe('models as configuration may take an image', () => {
  test('a MODELS row with image is validated and offered', () => {
    const problems: string[] = [];
    const setting = parseModelsSetting(
      'MODELS',
      JSON.stringify({
        models: {
          'new-i2v': {
            seconds: [5],
            sizes: ['auto'],
            image: { use: 'required', roles: ['first-frame'], field: 'start' },
          },
        },
      }),
      problems,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(setting?.models['new-i2v'].image, {
      use: 'required',
      roles: ['first-frame'],
      field: 'start',
    });
    parseModelsSetting(
      'MODELS',
      JSON.stringify({
        models: { bad: { seconds: [5], sizes: ['16:9'], image: { use: 'sometimes', roles: [], field: '' } } },
      }),
      problems,
    );
    assert.ok(
      problems.some((p) => /model "bad" field image\.use/.test(p)),
      problems.join('; '),
    );
  });
});
