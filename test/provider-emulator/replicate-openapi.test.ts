// The Replicate dialect's answers checked against Replicate's own OpenAPI document (an excerpt in
// fixtures/, see its README): every create, get, list, cancel and webhook body the emulator gives
// through a prediction's life (starting, processing, succeeded, failed, canceled, data removed)
// validates against the document's response schemas, each status code is one the operation
// documents, and the create bodies the request schemas refuse are exactly the ones refused.
//
// ajv reads the 3.1 document as JSON Schema 2020-12. Two readings, both from the fixture's README:
// OpenAPI 3.0's `nullable: true` means "or null", and `started_at`, `completed_at` and `logs` may
// be null (Replicate's docs show them so on unfinished predictions).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { json, startReceiver } from './helpers.js';
import { eventually } from '../support/eventually.js';

type JsonObject = Record<string, any>;

const document = JSON.parse(
  readFileSync(path.join(__dirname, 'fixtures', 'replicate-openapi-predictions.json'), 'utf8'),
) as JsonObject;
const NULL_IN_DOCS = ['started_at', 'completed_at', 'logs'];

/** The schema with `#/components/schemas/X` refs resolvable and `nullable` read as "or null". */
function normalised(schema: unknown): unknown {
  const text = JSON.stringify(schema).replaceAll('"#/components/schemas/', '"components#/$defs/');
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node !== 'object' || node === null) return node;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) if (key !== 'nullable') out[key] = walk(value);
    if ((node as JsonObject).nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
    return out;
  };
  return walk(JSON.parse(text));
}

function compile() {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  ajv.addKeyword('example');
  ajv.addFormat(
    'date-time',
    (value: string) => !Number.isNaN(Date.parse(value)) && /^\d{4}-\d\d-\d\dT/.test(value),
  );
  ajv.addFormat('uri', (value: string) => URL.canParse(value));
  const defs = normalised(document.components.schemas) as JsonObject;
  for (const field of NULL_IN_DOCS) {
    const property = defs.schemas_prediction_response.properties[field];
    property.type = [property.type, 'null'];
  }
  ajv.addSchema({ $id: 'components', $defs: defs });
  const ref = (name: string) => ajv.compile({ $ref: `components#/$defs/${name}` });
  const inline = (schema: unknown) => ajv.compile(normalised(schema) as JsonObject);
  const ok = (operation: JsonObject, status: string) =>
    operation.responses[status].content['application/json'];
  const paths = document.paths as JsonObject;
  return {
    prediction: ref('schemas_prediction_response'),
    createBody: ref('schemas_prediction_request'),
    versionCreateBody: ref('schemas_version_prediction_request'),
    page: inline(ok(paths['/predictions'].get, '200').schema),
    secret: inline(ok(paths['/webhooks/default/secret'].get, '200').schema),
    /** Status codes each operation documents. */
    statuses: {
      create: Object.keys(paths['/predictions'].post.responses),
      modelCreate: Object.keys(paths['/models/{model_owner}/{model_name}/predictions'].post.responses),
      get: Object.keys(paths['/predictions/{prediction_id}'].get.responses),
      cancel: Object.keys(paths['/predictions/{prediction_id}/cancel'].post.responses),
      list: Object.keys(paths['/predictions'].get.responses),
    },
  };
}

function assertValid(validate: ValidateFunction, value: unknown, what: string) {
  assert.ok(
    validate(value),
    `${what} does not match the OpenAPI schema: ${JSON.stringify(validate.errors)}\n${JSON.stringify(value)}`,
  );
}

const KLING = '/replicate/v1/models/kwaivgi/kling-v2.0/predictions';
const KLING_VERSION = 'c17ab6fb62ef8b427c30147c3fef6b4d3bb94af3ba6095c67f8f82304829008a';

describe("provider emulator: Replicate answers match Replicate's OpenAPI document", () => {
  const schemas = compile();
  let emulator: RunningProviderEmulator;
  const api = (method: string, route: string, payload?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${emulator.url}${route.replace(/^https?:\/\/[^/]+/, '')}`, {
      method,
      headers: { authorization: 'Bearer r8_oa', 'content-type': 'application/json', ...headers },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.05, denyList: ['forbidden'] });
  });
  after(() => emulator.stop());

  test('create, get, list, cancel and webhook bodies through every status validate', async () => {
    const hook = await startReceiver();
    try {
      const seen = new Set<string>();
      const check = async (response: Response, documented: string[], what: string) => {
        assert.ok(documented.includes(String(response.status)), `${what}: HTTP ${response.status}`);
        const body = await json<JsonObject>(response);
        assertValid(schemas.prediction, body, what);
        seen.add(body.status as string);
        return body;
      };
      const webhook = { webhook: hook.url, webhook_events_filter: ['start', 'output', 'logs', 'completed'] };
      const created = [
        await check(
          await api('POST', KLING, { input: { prompt: 'a heron' }, ...webhook }),
          schemas.statuses.modelCreate,
          'create by model',
        ),
        await check(
          await api('POST', '/replicate/v1/predictions', {
            version: KLING_VERSION,
            input: { prompt: 'a forbidden heron' },
            ...webhook,
          }),
          schemas.statuses.create,
          'create by version',
        ),
        await check(
          await api('POST', KLING, { input: { prompt: 'waited for' } }, { prefer: 'wait=1' }),
          schemas.statuses.modelCreate,
          'create with Prefer: wait',
        ),
      ];
      const toCancel = await check(
        await api('POST', KLING, { input: { prompt: 'cancelled' }, ...webhook }),
        schemas.statuses.modelCreate,
        'create',
      );
      await eventually(
        'processing',
        async () => check(await api('GET', toCancel.urls.get), schemas.statuses.get, 'get'),
        (p) => p.status === 'processing',
      );
      await check(
        await api('POST', toCancel.urls.cancel),
        schemas.statuses.cancel,
        'cancel while processing',
      );
      for (const p of created)
        await eventually(
          'the end',
          async () => check(await api('GET', p.urls.get), schemas.statuses.get, 'get'),
          (now) => ['succeeded', 'failed'].includes(now.status),
        );
      await check(await api('POST', created[0].urls.cancel), schemas.statuses.cancel, 'cancel after the end');
      assert.ok((await api('POST', `/_admin/expire/${created[0].id}`)).ok);
      const removed = await check(
        await api('GET', created[0].urls.get),
        schemas.statuses.get,
        'data removed',
      );
      assert.equal(removed.data_removed, true);
      assert.deepEqual(
        ['starting', 'processing', 'succeeded', 'failed', 'canceled'].filter((s) => !seen.has(s)),
        [],
      );

      const list = await api('GET', '/replicate/v1/predictions');
      assert.ok(schemas.statuses.list.includes(String(list.status)));
      const page = await json<JsonObject>(list);
      assertValid(schemas.page, page, 'list');
      assert.equal(page.results.length, 4);
      const secret = await json<JsonObject>(api('GET', '/replicate/v1/webhooks/default/secret'));
      assertValid(schemas.secret, secret, 'webhook secret');

      const bodies = await eventually(
        'terminal webhooks',
        async () => hook.received.map((w) => JSON.parse(w.body) as JsonObject),
        (all) =>
          [created[0].id, created[1].id, toCancel.id].every((id) =>
            all.some((b) => b.id === id && ['succeeded', 'failed', 'canceled'].includes(b.status)),
          ),
      );
      for (const body of bodies) assertValid(schemas.prediction, body, `webhook (${body.status})`);
      assert.ok(new Set(bodies.map((b) => b.status)).size >= 4, 'webhooks at several statuses');
    } finally {
      await hook.stop();
    }
  });

  test('the create bodies the request schemas refuse are the ones the emulator refuses with 422', async () => {
    const cases: Array<[string, JsonObject]> = [
      [KLING, { input: { prompt: 'ok' } }],
      [KLING, { input: { prompt: 'ok' }, stream: true, webhook_events_filter: ['completed'] }],
      [KLING, { input: { prompt: 'ok' }, webhook_url: 'http://127.0.0.1:9/' }],
      [KLING, { input: { prompt: 'ok' }, version: KLING_VERSION }],
      [KLING, { input: { prompt: 'ok' }, stream: 'yes' }],
      [KLING, { input: { prompt: 'ok' }, webhook: 5 }],
      [KLING, { input: { prompt: 'ok' }, webhook_events_filter: ['done'] }],
      [KLING, { input: { prompt: 'ok' }, webhook_events_filter: 'completed' }],
      [KLING, { input: 'a heron' }],
      [KLING, {}],
      ['/replicate/v1/predictions', { version: KLING_VERSION, input: { prompt: 'ok' } }],
      ['/replicate/v1/predictions', { input: { prompt: 'ok' } }],
      ['/replicate/v1/predictions', { version: KLING_VERSION, input: { prompt: 'ok' }, model: 'x' }],
    ];
    for (const [route, body] of cases) {
      const validate = route === KLING ? schemas.createBody : schemas.versionCreateBody;
      const allowed = validate(body);
      const response = await api('POST', route, body);
      assert.equal(
        response.status === 201,
        allowed,
        `${route} ${JSON.stringify(body)}: HTTP ${response.status}, schema ${allowed ? 'allows' : 'refuses'} it`,
      );
      if (!allowed) assert.equal(response.status, 422, `${JSON.stringify(body)}: ${await response.text()}`);
      else await api('POST', new URL((await json<JsonObject>(response)).urls.cancel).pathname);
    }
  });
});
