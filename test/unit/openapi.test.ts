// The OpenAPI document: generated from the zod schemas, it describes every route and status
// the API answers, its schemas compile under a strict JSON Schema 2020-12 validator, and the
// suites' response check (test/support/openapi-check.ts) accepts what the handlers produce and
// refuses what they must not.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import { createOpenApi } from '../../src/functions/openapi-api.js';
import { buildOpenApiDocument } from '../../src/functions/openapi.js';
import { providerViewSchema } from '../../src/functions/api-schemas.js';
import { toVideoStatus } from '../../src/status/video-status.js';
import { videoStatusSchema } from '../../src/status/view-schemas.js';
import { checkAgainst, compileDocument, type SeenAnswer } from '../support/openapi-check.js';

const document = buildOpenApiDocument({ publicBaseUrl: 'https://videos.example.test' }) as Record<
  string,
  any
>;
const checker = compileDocument(document);

function answer(status: number, body: unknown, type = 'application/json'): SeenAnswer {
  return { status, headers: new Headers({ 'content-type': type }), body, text: JSON.stringify(body) ?? '' };
}
const problem = (status: number) =>
  answer(
    status,
    {
      type: 'about:blank',
      title: 'x',
      status,
      detail: 'x',
      errors: [{ field: 'prompt', message: 'must not be empty' }],
    },
    'application/problem+json',
  );

const completed = toVideoStatus({
  instanceId: 'abc',
  runtimeStatus: 'Completed',
  createdTime: '2026-12-01T10:00:00Z',
  lastUpdatedTime: new Date('2026-12-01T10:00:05Z'),
  input: {
    request: {
      provider: 'fal',
      kind: 'fal',
      model: 'm',
      prompt: 'A cat',
      seconds: 5,
      size: '16:9',
      variants: 1,
    },
  },
  customStatus: { phase: 'downloading', provider: 'fal', model: 'm', polls: 3 },
  output: {
    jobId: 'job-1',
    polls: 3,
    videos: [
      {
        outputId: 'o1',
        blobName: 'abc/o1.mp4',
        bytes: 10,
        contentType: 'video/mp4',
        thumbnail: { blobName: 'abc/o1.jpg', bytes: 5, contentType: 'image/jpeg' },
      },
    ],
  },
});

describe('GET /api/openapi.json', () => {
  test("is OpenAPI 3.1 with the app's base URL and JSON Schema 2020-12 schemas", () => {
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(document.servers, [{ url: 'https://videos.example.test' }]);
    assert.equal(document.jsonSchemaDialect, 'https://json-schema.org/draft/2020-12/schema');
    const ajv = new Ajv2020({ strict: true });
    ajv.addFormat('date-time', true).addFormat('uri', true);
    const defs = JSON.parse(
      JSON.stringify(document.components.schemas).replaceAll('#/components/schemas/', 'c#/$defs/'),
    );
    ajv.addSchema({ $id: 'c', $defs: defs });
    for (const id of Object.keys(defs))
      assert.equal(
        typeof ajv.getSchema(`c#/$defs/${id}`),
        'function',
        `schema ${id} compiles as strict JSON Schema 2020-12`,
      );
    assert.ok(Object.keys(defs).length >= 10);
    for (const [id, schema] of Object.entries(document.components.schemas as Record<string, object>)) {
      assert.ok(
        !('$id' in schema) && !('$schema' in schema),
        `${id}: addressed by its place in the document, no $id with a fragment`,
      );
    }
  });

  test('documents every route and every status the API answers, errors as problem+json', () => {
    const statuses = (path: string, method: string) =>
      Object.keys(document.paths[path][method].responses).map(Number);
    // 401: the Functions host's answer without a function key, on every keyed route.
    assert.deepEqual(statuses('/api/videos', 'post'), [202, 400, 401, 413, 415, 422, 429, 503]);
    assert.deepEqual(statuses('/api/videos', 'get'), [200, 400, 401, 503]);
    assert.deepEqual(statuses('/api/videos/{id}', 'get'), [200, 400, 401, 404, 503]);
    assert.deepEqual(statuses('/api/videos/{id}', 'delete'), [202, 204, 400, 401, 404, 503]);
    assert.deepEqual(statuses('/api/providers', 'get'), [200, 401]);
    assert.deepEqual(statuses('/api/usage', 'get'), [200, 400, 401, 503]);
    assert.deepEqual(statuses('/api/gallery', 'get'), [200]);
    assert.deepEqual(statuses('/api/openapi.json', 'get'), [200, 401]);
    assert.deepEqual(statuses('/api/callbacks/{provider}', 'post'), [200, 401, 404, 413, 503]);
    for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(item)) {
        if (method === 'parameters') continue;
        for (const [status, response] of Object.entries(operation.responses as Record<string, any>)) {
          const keyed = !(Array.isArray(operation.security) && operation.security.length === 0);
          if (keyed && status === '401') continue; // the host's answer, not the app's problem body
          if (Number(status) >= 400)
            assert.deepEqual(
              Object.keys(response.content),
              ['application/problem+json'],
              `${method} ${path} ${status}`,
            );
        }
      }
    }
    const open = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(
      ([path, item]) =>
        Object.entries(item)
          .filter(([, op]) => Array.isArray(op.security) && op.security.length === 0)
          .map(([method]) => `${method} ${path}`),
    );
    assert.deepEqual(
      open,
      ['post /api/callbacks/{provider}', 'get /api/gallery'],
      'only the signed webhooks and the page are open without a key',
    );
  });

  test("the request body schema is the one that validates requests: the README's bodies pass, unknown fields do not", () => {
    const ajv = new Ajv2020({ strict: true });
    const body = ajv.compile(
      JSON.parse(
        JSON.stringify({
          $defs: document.components.schemas,
          anyOf: [{ $ref: '#/$defs/VideoRequest' }, { $ref: '#/$defs/QuickstartVideoRequest' }],
        }).replaceAll('#/components/schemas/', '#/$defs/'),
      ),
    );
    assert.ok(
      body({ prompt: 'A cat', width: 480, height: 480, n_seconds: 5, model: 'sora', n_variants: 1 }),
      'quickstart body',
    );
    assert.ok(body({ prompt: 'A cat', size: '720x1280', seconds: '4', model: 'sora-2' }), 'Sora 2 body');
    assert.ok(
      body({ provider: 'fal', model: 'fal-ai/veo3', prompt: 'A cat', options: { seed: 1 } }),
      'neutral body',
    );
    assert.ok(!body({ prompt: 'A cat', colour: 'red' }), 'unknown field');
    assert.ok(!body({ size: '16:9' }), 'no prompt');
  });

  test('the handler answers the document as JSON, built once', async () => {
    let reads = 0;
    const api = createOpenApi({ publicBaseUrl: () => (reads++, undefined) });
    const first = await api.getOpenApi();
    const second = await api.getOpenApi();
    assert.equal(first.status, 200);
    assert.equal((first.headers as Record<string, string>)['content-type'], 'application/json');
    assert.equal(first.body, second.body);
    assert.equal(reads, 1);
    assert.equal(
      JSON.parse(first.body as string).servers,
      undefined,
      'no servers entry without PUBLIC_BASE_URL',
    );
  });
});

describe("the suites' response check against the document", () => {
  test('accepts the views the handlers build', () => {
    assert.doesNotThrow(() => checkAgainst(checker, 'GET', '/api/videos/abc', answer(200, completed)));
    assert.doesNotThrow(() =>
      checkAgainst(
        checker,
        'GET',
        '/api/videos',
        answer(200, { items: [completed], continuationToken: 't' }),
      ),
    );
    assert.doesNotThrow(() =>
      checkAgainst(checker, 'POST', '/api/videos', answer(202, { id: 'abc', statusUri: '/api/videos/abc' })),
    );
    assert.doesNotThrow(() =>
      checkAgainst(
        checker,
        'DELETE',
        '/api/videos/abc',
        answer(202, { id: 'abc', phase: 'cancelled', upstreamJobId: null, upstreamJobCancelled: false }),
      ),
    );
    assert.doesNotThrow(() => checkAgainst(checker, 'POST', '/api/videos', problem(415)));
    assert.doesNotThrow(() =>
      checkAgainst(checker, 'GET', '/api/gallery', {
        status: 200,
        headers: new Headers({ 'content-type': 'text/html; charset=utf-8' }),
        body: undefined,
        text: '<!doctype html>',
      }),
    );
    assert.ok(videoStatusSchema.safeParse(completed).success, 'the zod schema agrees');
  });

  test("a request waiting in its account's line: admission {state, position, ahead, reason} is documented; the account key is not shown", () => {
    const view = toVideoStatus({
      instanceId: 'abc',
      runtimeStatus: 'Running',
      customStatus: {
        phase: 'creating',
        provider: 'fal',
        model: 'fal-ai/veo3',
        polls: 0,
        events: 0,
        admission: { account: 'fal', state: 'waiting', position: 3, ahead: 2, reason: 'running-jobs' },
      },
      createdTime: '2026-12-07T00:00:00.000Z',
      lastUpdatedTime: '2026-12-07T00:00:01.000Z',
    });
    assert.deepEqual(view.admission, { state: 'waiting', position: 3, ahead: 2, reason: 'running-jobs' });
    assert.doesNotThrow(() => checkAgainst(checker, 'GET', '/api/videos/abc', answer(200, view)));
    const schema = document.components.schemas.Admission as { properties: Record<string, unknown> };
    assert.deepEqual(Object.keys(schema.properties).sort(), ['ahead', 'position', 'reason', 'state']);
    assert.throws(
      () =>
        checkAgainst(
          checker,
          'GET',
          '/api/videos/abc',
          answer(200, { ...view, admission: { state: 'waiting', position: 0 } }),
        ),
      /position/,
    );
  });

  test('a request with an image: request.image and imageRole are shown as asked, and documented', () => {
    for (const image of [
      { uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA' },
      { url: 'https://images.example.com/a.png' },
    ]) {
      const view = toVideoStatus({
        instanceId: 'abc',
        runtimeStatus: 'Running',
        input: {
          request: {
            provider: 'fal',
            kind: 'fal',
            model: 'fal-ai/kling-video/v2.1/standard/image-to-video',
            prompt: 'A heron',
            seconds: 5,
            size: 'auto',
            variants: 1,
            image,
            imageRole: 'first-frame',
          },
        },
        createdTime: '2026-12-07T00:00:00.000Z',
        lastUpdatedTime: '2026-12-07T00:00:01.000Z',
      });
      assert.deepEqual([view.request?.image, view.request?.imageRole], [image, 'first-frame']);
      assert.doesNotThrow(() => checkAgainst(checker, 'GET', '/api/videos/abc', answer(200, view)));
      assert.ok(videoStatusSchema.safeParse(view).success);
    }
    const body = document.components.schemas.VideoRequest as { properties: Record<string, unknown> };
    assert.ok(
      body.properties.image && body.properties.imageRole,
      'POST /api/videos documents image and imageRole',
    );
  });

  test('refuses an undocumented field, a wrong type, an undocumented status or content type, and a 2xx on an undocumented route', () => {
    assert.throws(
      () => checkAgainst(checker, 'GET', '/api/videos/abc', answer(200, { ...completed, secret: 'x' })),
      /does not match/,
    );
    assert.throws(
      () => checkAgainst(checker, 'GET', '/api/videos/abc', answer(200, { ...completed, polls: '3' })),
      /does not match/,
    );
    assert.throws(
      () => checkAgainst(checker, 'GET', '/api/videos/abc', answer(200, { ...completed, phase: 'sleeping' })),
      /does not match/,
    );
    assert.throws(
      () =>
        checkAgainst(
          checker,
          'GET',
          '/api/videos/abc',
          answer(200, { ...completed, createdTime: 'yesterday' }),
        ),
      /does not match/,
    );
    assert.throws(() => checkAgainst(checker, 'GET', '/api/videos/abc', problem(409)), /not documented/);
    assert.throws(
      () =>
        checkAgainst(
          checker,
          'POST',
          '/api/videos',
          answer(400, { type: 'about:blank', title: 'x', status: 400, detail: 'x' }),
        ),
      /content-type/,
    );
    assert.throws(
      () =>
        checkAgainst(checker, 'POST', '/api/videos', answer(400, { title: 'x' }, 'application/problem+json')),
      /does not match/,
    );
    assert.throws(() => checkAgainst(checker, 'GET', '/api/secrets', answer(200, {})), /does not describe/);
    assert.doesNotThrow(
      () => checkAgainst(checker, 'GET', '/api/secrets', answer(404, {})),
      "the host's own 404 for an unknown route",
    );
  });

  test('GET /api/providers views validate; a model without its capabilities does not', () => {
    const provider = {
      name: 'fal',
      kind: 'fal',
      default: true,
      models: [
        {
          id: 'm',
          seconds: [5],
          defaultSeconds: 5,
          sizes: ['16:9'],
          defaultSize: '16:9',
          maxVariants: 1,
          imageInput: false,
          audio: false,
          options: true,
        },
      ],
    };
    assert.ok(providerViewSchema.safeParse(provider).success);
    assert.doesNotThrow(() => checkAgainst(checker, 'GET', '/api/providers', answer(200, [provider])));
    const { seconds: _dropped, ...withoutSeconds } = provider.models[0];
    assert.throws(
      () =>
        checkAgainst(
          checker,
          'GET',
          '/api/providers',
          answer(200, [{ ...provider, models: [withoutSeconds] }]),
        ),
      /does not match/,
    );
  });
});

test('the document lists the configured provider instances where a request names one', () => {
  const named = buildOpenApiDocument({ providerNames: ['google', 'openrouter'] }) as any;
  assert.deepEqual(named.components.schemas.VideoRequest.properties.provider.enum, ['google', 'openrouter']);
  const callback = named.paths['/api/callbacks/{provider}'].post.parameters.find(
    (p: any) => p.name === 'provider',
  );
  assert.deepEqual(callback.schema.enum, ['google', 'openrouter']);
  const list = named.paths['/api/videos'].get.parameters.find((p: any) => p.name === 'provider');
  assert.deepEqual(list.schema.enum, ['google', 'openrouter']);
  assert.equal(
    (buildOpenApiDocument() as any).components.schemas.VideoRequest.properties.provider.enum,
    undefined,
  );
});
