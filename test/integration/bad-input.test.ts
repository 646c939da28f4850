// Malformed requests to the videos API, against the real stack: every one is answered with an
// RFC 9457 problem (400, or 413/415 where the transport is wrong) that names what is wrong,
// and none of them starts an orchestration or bills a Sora job.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  call,
  postVideo,
  quickstartBody,
  emulatorStats,
  startPipelineStack,
  totalJobsCreated,
  waitForVideo,
  type Answer,
  type PipelineStack,
} from './pipeline-stack.js';

let stack: PipelineStack;
before(async () => {
  // A fresh stack: the instance list and the emulator's counters start empty.
  stack = await startPipelineStack();
});
after(async () => {
  await stack?.stop();
});

const sora2 = { model: 'sora-2', prompt: 'A paper boat on a rainy street.', size: '1280x720', seconds: '4' };

interface BadRequest {
  name: string;
  /** An object is sent as JSON; a string or bytes are sent as they are. */
  body: unknown;
  headers?: Record<string, string>;
  /** Replaces the default content-type (application/json); null sends none. */
  contentType?: string | null;
  status?: 400 | 413 | 415;
  /** The field errors[].field must name; null: the body itself (''). */
  field?: string | null;
  /** Checked against `detail` (for answers without field errors). */
  detail?: RegExp;
}

const cases: BadRequest[] = [
  // Not JSON, or JSON that is not an object.
  { name: 'invalid JSON (truncated)', body: '{"prompt": "A cat', field: null },
  { name: 'invalid JSON (trailing garbage)', body: '{"prompt": "A cat"} trailing', field: null },
  { name: 'invalid JSON (single quotes)', body: "{'prompt': 'A cat'}", field: null },
  { name: 'empty body', body: '', field: null },
  {
    name: 'body is not UTF-8',
    body: Buffer.from([0x7b, 0x22, 0x70, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    field: null,
  },
  { name: 'array body', body: '[{"prompt":"A cat","width":480,"height":480}]', field: null },
  { name: 'null body', body: 'null', field: null },
  { name: 'string body', body: '"A cat playing piano"', field: null },
  { name: 'number body', body: '42', field: null },
  // The prompt.
  { name: 'missing prompt', body: { width: 480, height: 480, n_seconds: 5, model: 'sora' }, field: 'prompt' },
  { name: 'prompt is a number', body: { ...quickstartBody, prompt: 42 }, field: 'prompt' },
  { name: 'prompt is an array', body: { ...quickstartBody, prompt: ['A cat'] }, field: 'prompt' },
  { name: 'prompt is null', body: { ...quickstartBody, prompt: null }, field: 'prompt' },
  { name: 'empty prompt', body: { ...quickstartBody, prompt: '' }, field: 'prompt' },
  { name: 'whitespace-only prompt', body: { ...quickstartBody, prompt: ' \t\n\r  ' }, field: 'prompt' },
  {
    name: 'prompt of 4001 characters',
    body: { ...quickstartBody, prompt: 'a'.repeat(4001) },
    field: 'prompt',
  },
  {
    name: 'prompt with a BEL control character',
    body: { ...quickstartBody, prompt: 'A cat\u0007 playing piano' },
    field: 'prompt',
  },
  {
    name: 'prompt with a NUL character',
    body: { ...quickstartBody, prompt: 'A cat\u0000' },
    field: 'prompt',
  },
  { name: 'prompt with DEL', body: { ...quickstartBody, prompt: 'A cat\u007f' }, field: 'prompt' },
  {
    name: 'prompt with a C1 control (CSI, U+009B)',
    body: { ...quickstartBody, prompt: 'A cat\u009b31m' },
    field: 'prompt',
  },
  {
    name: 'prompt with U+2028 (line separator)',
    body: { ...quickstartBody, prompt: 'A cat\u2028playing' },
    field: 'prompt',
  },
  {
    name: 'prompt with U+2029 (paragraph separator)',
    body: { ...quickstartBody, prompt: 'A cat\u2029playing' },
    field: 'prompt',
  },
  {
    name: 'prompt with a bidi override (U+202E)',
    body: { ...quickstartBody, prompt: 'A cat \u202egnidaer' },
    field: 'prompt',
  },
  {
    name: 'prompt with a bidi isolate (U+2067)',
    body: { ...quickstartBody, prompt: 'A cat \u2067x\u2069' },
    field: 'prompt',
  },
  {
    name: 'prompt of 6,000 characters with NUL and ESC',
    body: { ...quickstartBody, prompt: `${'a'.repeat(5998)}\u0000\u001b` },
    field: 'prompt',
  },
  { name: 'unknown provider', body: { prompt: 'A cat', provider: 'sora' }, field: 'provider' },
  {
    name: 'a model the provider does not offer',
    body: { prompt: 'A cat', provider: 'fal', model: 'sora-2' },
    field: 'model',
  },
  {
    name: "seconds outside the model's table",
    body: { prompt: 'A cat', provider: 'fal', model: 'fal-ai/veo3', seconds: 5 },
    field: 'seconds',
  },
  {
    name: 'an aspect ratio the model does not take',
    body: { prompt: 'A cat', provider: 'replicate', model: 'google/veo-3.1', size: '1:1' },
    field: 'size',
  },
  {
    name: 'options setting what the request sets',
    body: { prompt: 'A cat', provider: 'replicate', model: 'kwaivgi/kling-v2.0', options: { duration: 10 } },
    field: 'options.duration',
  },
  // Issue item: this deep an `options` overflowed the stack and was answered an empty 500.
  {
    name: 'options nested 5000 levels deep',
    body: `{"prompt":"A cat","provider":"replicate","options":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`,
    field: 'options',
  },
  // Raw JSON text: JSON.stringify would escape these the same way, but this is what a client sends.
  {
    name: 'prompt with a lone high surrogate (\\ud800)',
    body: '{"prompt":"A cat \\ud800 playing","width":480,"height":480,"model":"sora"}',
    field: 'prompt',
  },
  {
    name: 'prompt with a lone low surrogate (\\udc00)',
    body: '{"prompt":"\\udc00A cat","width":480,"height":480,"model":"sora"}',
    field: 'prompt',
  },
  {
    name: 'prompt with reversed surrogates (\\udc00\\ud800)',
    body: '{"prompt":"A cat \\udc00\\ud800","width":480,"height":480,"model":"sora"}',
    field: 'prompt',
  },
  // Sizes and numbers (Sora 1).
  { name: 'unsupported size 500x500', body: { ...quickstartBody, width: 500, height: 500 }, field: 'width' },
  { name: 'missing width', body: { prompt: 'A cat', height: 480, model: 'sora' }, field: 'width' },
  { name: 'width as a string', body: { ...quickstartBody, width: '480' }, field: 'width' },
  { name: 'fractional height', body: { ...quickstartBody, height: 480.5 }, field: 'height' },
  { name: 'negative width', body: { ...quickstartBody, width: -480 }, field: 'width' },
  {
    name: 'width overflowing to Infinity (1e999)',
    body: '{"prompt":"A cat","width":1e999,"height":480,"model":"sora"}',
    field: 'width',
  },
  { name: 'n_seconds 0', body: { ...quickstartBody, n_seconds: 0 }, field: 'n_seconds' },
  { name: 'n_seconds 21', body: { ...quickstartBody, n_seconds: 21 }, field: 'n_seconds' },
  { name: 'n_seconds as a string', body: { ...quickstartBody, n_seconds: '5' }, field: 'n_seconds' },
  { name: 'n_variants 0', body: { ...quickstartBody, n_variants: 0 }, field: 'n_variants' },
  { name: 'n_variants 5', body: { ...quickstartBody, n_variants: 5 }, field: 'n_variants' },
  { name: 'n_variants null', body: { ...quickstartBody, n_variants: null }, field: 'n_variants' },
  {
    name: 'n_variants 3 at 720p',
    body: { ...quickstartBody, width: 1280, height: 720, n_variants: 3 },
    field: 'n_variants',
  },
  {
    name: 'n_variants 2 at 1080p',
    body: { ...quickstartBody, width: 1080, height: 1080, n_variants: 2 },
    field: 'n_variants',
  },
  {
    name: '1080p over 10 seconds',
    body: { ...quickstartBody, width: 1920, height: 1080, n_seconds: 11 },
    field: 'n_seconds',
  },
  // Model and unknown fields.
  { name: 'unknown model', body: { ...quickstartBody, model: 'sora-3' }, field: 'model' },
  { name: 'model is a number', body: { ...quickstartBody, model: 2 }, field: 'model' },
  { name: 'model differs only in case', body: { ...quickstartBody, model: 'Sora' }, field: 'model' },
  { name: 'unknown field', body: { ...quickstartBody, style: 'noir' }, field: 'style' },
  { name: 'Sora 2 field on a Sora 1 request', body: { ...quickstartBody, size: '480x480' }, field: 'size' },
  {
    name: '__proto__ as a field',
    body: '{"prompt":"A cat","width":480,"height":480,"model":"sora","__proto__":{"n_variants":9}}',
    field: '__proto__',
  },
  // Sora 2 (videos API).
  { name: 'Sora 2: unsupported size', body: { ...sora2, size: '480x480' }, field: 'size' },
  { name: 'Sora 2: size as WxH numbers', body: { ...sora2, size: 1280 }, field: 'size' },
  { name: 'Sora 2: seconds "5"', body: { ...sora2, seconds: '5' }, field: 'seconds' },
  { name: 'Sora 2: seconds 0', body: { ...sora2, seconds: 0 }, field: 'seconds' },
  { name: 'Sora 2: seconds as an object', body: { ...sora2, seconds: { value: 4 } }, field: 'seconds' },
  { name: 'Sora 2: n_variants field', body: { ...sora2, n_variants: 2 }, field: 'n_variants' },
  { name: 'Sora 2: width/height fields', body: { ...sora2, width: 1280, height: 720 }, field: 'width' },
  { name: 'Sora 2: empty prompt', body: { ...sora2, prompt: '' }, field: 'prompt' },
  // Transport: size, media type.
  {
    name: 'body over 64 KiB',
    body: { ...quickstartBody, prompt: 'a'.repeat(70 * 1024) },
    status: 413,
    detail: /body.*65536 bytes/i,
  },
  {
    name: 'content-type text/plain',
    body: JSON.stringify(quickstartBody),
    contentType: 'text/plain',
    status: 415,
    detail: /Content-Type: application\/json.*text\/plain/,
  },
  {
    name: 'no content-type',
    body: Buffer.from(JSON.stringify(quickstartBody)),
    contentType: null,
    status: 415,
    detail: /Content-Type.*'none'/,
  },
  {
    name: 'content-type application/jsonp',
    body: JSON.stringify(quickstartBody),
    contentType: 'application/jsonp',
    status: 415,
    detail: /Content-Type/,
  },
  {
    name: 'content-type multipart/form-data',
    body: JSON.stringify(quickstartBody),
    contentType: 'multipart/form-data; boundary=x',
    status: 415,
    detail: /Content-Type/,
  },
  // Idempotency-Key: it becomes an instance id and a blob name prefix.
  {
    name: 'Idempotency-Key "../x"',
    body: quickstartBody,
    headers: { 'idempotency-key': '../x' },
    field: 'Idempotency-Key',
  },
  {
    name: 'Idempotency-Key with a slash',
    body: quickstartBody,
    headers: { 'idempotency-key': 'a/b' },
    field: 'Idempotency-Key',
  },
  {
    name: 'Idempotency-Key of 101 characters',
    body: quickstartBody,
    headers: { 'idempotency-key': 'k'.repeat(101) },
    field: 'Idempotency-Key',
  },
  {
    name: 'Idempotency-Key starting with "-"',
    body: quickstartBody,
    headers: { 'idempotency-key': '-abc' },
    field: 'Idempotency-Key',
  },
  {
    name: 'empty Idempotency-Key',
    body: quickstartBody,
    headers: { 'idempotency-key': '' },
    field: 'Idempotency-Key',
  },
  {
    name: 'bad Idempotency-Key and a bad body: the key is named',
    body: { prompt: '' },
    headers: { 'idempotency-key': 'a b' },
    field: 'Idempotency-Key',
  },
  // This stack sets no IDEMPOTENCY_KEY_SECRET: a key would have to become the public id itself.
  {
    name: 'a well-formed Idempotency-Key where no IDEMPOTENCY_KEY_SECRET is set',
    body: quickstartBody,
    headers: { 'idempotency-key': 'order-1' },
    field: 'Idempotency-Key',
  },
  // The start image (issue 23).
  ...imageCases(),
];

/** Bad images for an image-to-video model and a text-only one: each names its field. */
function imageCases(): BadRequest[] {
  const i2v = {
    prompt: 'A heron takes off.',
    provider: 'fal',
    model: 'fal-ai/kling-video/v2.1/standard/image-to-video',
  };
  const link = { url: 'https://images.example.com/heron.png' };
  const image = (value: unknown) => ({ ...i2v, image: value });
  return [
    {
      name: 'an image for a text-only model',
      body: { prompt: 'A cat', provider: 'fal', model: 'fal-ai/veo3', image: link },
      field: 'image',
    },
    { name: 'no image for an image-to-video model', body: i2v, field: 'image' },
    { name: 'a file: image link', body: image({ url: 'file:///etc/passwd' }), field: 'image.url' },
    {
      name: 'an http: image link',
      body: image({ url: 'http://images.example.com/heron.png' }),
      field: 'image.url',
    },
    {
      name: 'a data: image link',
      body: image({ url: 'data:image/png;base64,iVBORw0KGgo=' }),
      field: 'image.url',
    },
    { name: 'a javascript: image link', body: image({ url: 'javascript:alert(1)' }), field: 'image.url' },
    {
      name: 'an image link to a private address',
      body: image({ url: 'https://169.254.169.254/x.png' }),
      field: 'image.url',
    },
    {
      name: 'an upload id of another form',
      body: image({ uploadId: 'upload-123' }),
      field: 'image.uploadId',
    },
    {
      name: 'an upload id this deployment cannot find',
      body: image({ uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA' }),
      field: 'image.uploadId',
    },
    {
      name: 'an image with both url and uploadId',
      body: image({ ...link, uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA' }),
      field: 'image',
    },
    {
      name: 'an imageRole the model does not give',
      body: { ...image(link), imageRole: 'reference' },
      field: 'imageRole',
    },
    {
      name: "the model's image input set through options",
      body: { ...image(link), options: { image_url: 'https://elsewhere.example/x.png' } },
      field: 'options.image_url',
    },
  ];
}

function send(item: BadRequest): Promise<Answer> {
  const contentType = item.contentType === undefined ? 'application/json' : item.contentType;
  const headers: Record<string, string> = {
    ...(contentType === null ? {} : { 'content-type': contentType }),
    ...item.headers,
  };
  const body =
    typeof item.body === 'string' || Buffer.isBuffer(item.body) ? item.body : JSON.stringify(item.body);
  return call(`${stack.host.url}/api/videos`, { method: 'POST', headers, body });
}

function assertProblem(answer: Answer, status: number, what: string) {
  assert.equal(answer.status, status, `${what}: ${answer.status} ${answer.text}`);
  assert.match(
    answer.headers.get('content-type') ?? '',
    /^application\/problem\+json\b/,
    `${what}: content-type`,
  );
  assert.equal(typeof answer.body, 'object', `${what}: a JSON body: ${answer.text}`);
  assert.equal(answer.body.status, status, `${what}: body.status`);
  assert.equal(typeof answer.body.title, 'string', `${what}: body.title`);
  assert.equal(typeof answer.body.detail, 'string', `${what}: body.detail`);
}

describe('POST /api/videos refuses malformed requests with a problem', () => {
  test(`the table has at least 30 cases (${cases.length})`, () => {
    assert.ok(cases.length >= 30);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length, 'case names are unique');
  });

  for (const item of cases) {
    test(item.name, async () => {
      const status = item.status ?? 400;
      const answer = await send(item);
      assertProblem(answer, status, item.name);
      if (item.field !== undefined) {
        const wanted = item.field ?? '';
        assert.ok(Array.isArray(answer.body.errors), `errors[] present: ${answer.text}`);
        const fields = (answer.body.errors as { field: string; message: string }[]).map((e) => e.field);
        assert.ok(fields.includes(wanted), `errors[].field names '${wanted}', got ${JSON.stringify(fields)}`);
        for (const error of answer.body.errors as { field: unknown; message: unknown }[]) {
          assert.equal(typeof error.field, 'string');
          assert.ok(
            typeof error.message === 'string' && error.message.length > 0,
            'every field error says what is wrong',
          );
        }
        if (wanted !== '')
          assert.ok(
            answer.body.detail.includes(wanted),
            `detail mentions '${wanted}': ${answer.body.detail}`,
          );
      }
      if (item.detail) assert.match(answer.body.detail, item.detail);
      assert.equal(answer.headers.get('location'), null, 'no status URL for a refused request');
    });
  }
});

describe('bad ids in URLs', () => {
  const ids = ['..%2Fetc', 'bad!id', '..%2F..%2Fvideos', '%00', 'x'.repeat(101), '-leading-hyphen'];
  for (const id of ids) {
    for (const method of ['GET', 'DELETE'] as const) {
      test(`${method} /api/videos/${id.length > 20 ? `${id.slice(0, 10)}…(${id.length})` : id} → 400 or 404 problem`, async () => {
        const answer = await call(`${stack.host.url}/api/videos/${id}`, { method });
        assert.ok([400, 404].includes(answer.status), `${answer.status} ${answer.text}`);
        assertProblem(answer, answer.status, `${method} ${id}`);
        if (answer.status === 400)
          assert.ok(JSON.stringify(answer.body.errors).includes('"field":"id"'), answer.text);
      });
    }
  }
});

describe('after all of them', () => {
  async function listInstances(): Promise<{ instanceId: string }[]> {
    const all: { instanceId: string }[] = [];
    let token: string | null = null;
    do {
      const answer = await call(`${stack.host.url}/runtime/webhooks/durabletask/instances/?top=1000`, {
        headers: token ? { 'x-ms-continuation-token': token } : {},
      });
      assert.equal(answer.status, 200, answer.text);
      assert.ok(Array.isArray(answer.body), answer.text);
      all.push(...(answer.body as { instanceId: string }[]));
      token = answer.headers.get('x-ms-continuation-token');
    } while (token);
    return all;
  }

  test('no orchestration was started and no Sora job was created', async () => {
    assert.deepEqual(
      (await listInstances()).map((i) => i.instanceId),
      [],
    );
    const stats = await emulatorStats(stack.emulator);
    assert.equal(totalJobsCreated(stats), 0, JSON.stringify(stats));
    const soraCalls = Object.entries(stats.requests).filter(([route]) => route.startsWith('POST /openai/'));
    assert.deepEqual(soraCalls, [], 'no create request reached the emulator');
  });

  test('control: a valid request does show up in the instance list and the emulator stats', async () => {
    const started = await postVideo(stack.host, quickstartBody);
    assert.equal(started.status, 202, started.text);
    const status = await waitForVideo(stack.host, started.body.id);
    assert.equal(status.phase, 'completed', JSON.stringify(status));
    assert.deepEqual(
      (await listInstances()).map((i) => i.instanceId),
      [started.body.id],
    );
    assert.equal(totalJobsCreated(await emulatorStats(stack.emulator)), 1);
  });
});
