// The Replicate dialect where Replicate's OpenAPI document says more than the official client's
// happy path shows: create bodies allow no unknown top-level field (additionalProperties: false),
// the list filters' edges and `source`, and what a `Prefer: wait` that runs out answers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { json } from './helpers.js';

interface ProblemBody {
  title: string;
  status: number;
  detail: string;
  invalid_fields?: Array<{ type: string; field: string; description: string }>;
}

const KLING = '/replicate/v1/models/kwaivgi/kling-v2.0/predictions';
const KLING_VERSION = 'kwaivgi/kling-v2.0:c17ab6fb62ef8b427c30147c3fef6b4d3bb94af3ba6095c67f8f82304829008a';

describe('provider emulator: Replicate behaviours beyond the happy path', () => {
  let emulator: RunningProviderEmulator;
  const api = (method: string, route: string, payload?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${emulator.url}${route}`, {
      method,
      headers: { authorization: 'Bearer r8_v', 'content-type': 'application/json', ...headers },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 100 });
  });
  after(() => emulator.stop());

  test('a create with an unknown top-level field (a misspelt webhook_url) is 422, and nothing is created', async () => {
    const before = (await json<{ results: unknown[] }>(api('GET', '/replicate/v1/predictions'))).results
      .length;
    for (const [route, body] of [
      [KLING, { input: { prompt: 'p' }, webhook_url: 'http://127.0.0.1:9/hook' }],
      ['/replicate/v1/predictions', { version: KLING_VERSION, input: { prompt: 'p' }, webhook_url: 'x' }],
      [KLING, { version: KLING_VERSION, input: { prompt: 'p' } }],
    ] as const) {
      const response = await api('POST', route, body);
      assert.equal(response.status, 422, `${route} ${JSON.stringify(body)}`);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      const problem = await json<ProblemBody>(response);
      const field = 'webhook_url' in body ? 'webhook_url' : 'version';
      assert.equal(problem.status, 422);
      assert.match(problem.detail, new RegExp(`Additional property ${field} is not allowed`));
      assert.deepEqual(problem.invalid_fields?.[0], {
        type: 'additional_property_not_allowed',
        field: '(root)',
        description: `Additional property ${field} is not allowed`,
      });
    }
    const after = (await json<{ results: unknown[] }>(api('GET', '/replicate/v1/predictions'))).results
      .length;
    assert.equal(after, before);
    // Every documented field is accepted on each route (`stream` is deprecated but still in the schema).
    for (const [route, body] of [
      [
        KLING,
        {
          input: { prompt: 'p' },
          stream: false,
          webhook: 'http://127.0.0.1:9/hook',
          webhook_events_filter: ['completed'],
        },
      ],
      ['/replicate/v1/predictions', { version: KLING_VERSION, input: { prompt: 'p' }, stream: false }],
    ] as const) {
      const response = await api('POST', route, body);
      assert.equal(response.status, 201, await response.clone().text());
      const created = await json<{ urls: { cancel: string } }>(response);
      await api('POST', new URL(created.urls.cancel).pathname);
    }
  });

  test('list: created_after is inclusive, created_before exclusive; source=web lists no API predictions', async () => {
    const created = await json<{ id: string; created_at: string; urls: { cancel: string } }>(
      api('POST', KLING, { input: { prompt: 'listed' } }),
    );
    const ids = async (query: string) => {
      const response = await api('GET', `/replicate/v1/predictions?${query}`);
      assert.equal(response.status, 200, query);
      return (await json<{ results: Array<{ id: string }> }>(response)).results.map((p) => p.id);
    };
    const at = encodeURIComponent(created.created_at);
    assert.ok(
      (await ids(`created_after=${at}`)).includes(created.id),
      'at the created_after instant: listed',
    );
    assert.ok(
      !(await ids(`created_before=${at}`)).includes(created.id),
      'at the created_before instant: not',
    );
    assert.deepEqual(await ids('source=web'), []);
    const refused = await api('GET', '/replicate/v1/predictions?source=api');
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get('content-type'), 'application/problem+json');
    await api('POST', new URL(created.urls.cancel).pathname);
  });

  test('Prefer: wait that runs out answers the unfinished prediction with a Location to poll; wait=0 does not wait', async () => {
    const started = Date.now();
    const waited = await api('POST', KLING, { input: { prompt: 'slow' } }, { prefer: 'wait=1' });
    assert.ok(Date.now() - started >= 900, 'held about a second');
    assert.equal(waited.status, 201);
    const body = await json<{ status: string; urls: { get: string; cancel: string } }>(waited);
    assert.ok(['starting', 'processing'].includes(body.status));
    assert.equal(waited.headers.get('location'), body.urls.get);
    const quick = Date.now();
    const unwaited = await api('POST', KLING, { input: { prompt: 'slow' } }, { prefer: 'wait=0' });
    assert.ok(Date.now() - quick < 900, 'wait=0 is no wait');
    assert.equal(unwaited.headers.get('location'), null);
    const plain = await api('POST', KLING, { input: { prompt: 'slow' } });
    assert.equal(plain.headers.get('location'), null, 'no Location without Prefer: wait');
    for (const p of [body, await json<typeof body>(unwaited), await json<typeof body>(plain)])
      await api('POST', new URL(p.urls.cancel).pathname);
  });
});
