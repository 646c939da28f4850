// The Replicate predictions dialect over plain HTTP: problem-details errors (401, 404, 422
// with integer durations, 402 switch, 429 per-minute creates), the lifecycle timestamps,
// moderation, created_after/created_before, data removal after the TTL, faults and admin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { json } from './helpers.js';
import { eventually } from '../support/eventually.js';

interface Pred {
  id: string;
  status: string;
  output: string | null;
  error: string | null;
  data_removed: boolean;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  logs: string;
  input: Record<string, unknown>;
  metrics: { predict_time?: number };
}
interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  invalid_fields?: Array<{ field: string }>;
}

async function withEmulator(
  options: Parameters<typeof startProviderEmulator>[0],
  body: (
    api: (method: string, route: string, payload?: unknown, token?: string) => Promise<Response>,
    emulator: RunningProviderEmulator,
  ) => Promise<void>,
) {
  const emulator = await startProviderEmulator(options);
  const api = (method: string, route: string, payload?: unknown, token = 'r8_a') =>
    fetch(`${emulator.url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
  try {
    await body(api, emulator);
  } finally {
    await emulator.stop();
  }
}

const KLING = '/replicate/v1/models/kwaivgi/kling-v2.0/predictions';

test('errors are problem details: 401, 404, 422 (durations are integers), 402 by switch', () =>
  withEmulator({ replicateToken: 'r8_a', timeScale: 100 }, async (api, emulator) => {
    const unauthenticated = await api('POST', KLING, { input: { prompt: 'p' } }, 'r8_wrong');
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.headers.get('content-type'), 'application/problem+json');
    const body401 = await json<ProblemBody>(unauthenticated);
    assert.deepEqual(
      [body401.status, typeof body401.title, typeof body401.type, typeof body401.detail],
      [401, 'string', 'string', 'string'],
    );
    assert.equal(
      (await api('POST', '/replicate/v1/models/acme/nothing/predictions', { input: { prompt: 'p' } })).status,
      404,
    );
    assert.equal((await api('GET', '/replicate/v1/predictions/doesnotexist')).status, 404);
    for (const [route, input, field] of [
      [KLING, { prompt: 'p', duration: '5' }, 'input.duration'],
      [KLING, { prompt: 'p', duration: 7 }, 'input.duration'],
      [KLING, { prompt: 'p', aspect_ratio: '4:3' }, 'input.aspect_ratio'],
      [KLING, { duration: 5 }, 'input.prompt'],
      ['/replicate/v1/models/google/veo-3.1/predictions', { prompt: 'p', duration: 5 }, 'input.duration'],
      [
        '/replicate/v1/models/google/veo-3.1/predictions',
        { prompt: 'p', resolution: '4k' },
        'input.resolution',
      ],
    ] as const) {
      const response = await api('POST', route, { input });
      assert.equal(response.status, 422, `${route} ${JSON.stringify(input)}`);
      const problem = await json<ProblemBody>(response);
      assert.equal(problem.invalid_fields?.[0].field, field);
      assert.ok(problem.detail.includes(field.slice('input.'.length)));
    }
    assert.equal(
      (await api('POST', '/replicate/v1/predictions', { input: { prompt: 'p' } })).status,
      422,
      'POST /predictions needs a version',
    );
    assert.equal(
      (
        await api('POST', '/replicate/v1/predictions', {
          version: 'kwaivgi/kling-v2.0',
          input: { prompt: 'p' },
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await api('POST', '/replicate/v1/predictions', {
          version: 'kwaivgi/kling-v2.0:c17ab6fb62ef8b427c30147c3fef6b4d3bb94af3ba6095c67f8f82304829008a',
          input: { prompt: 'p' },
        })
      ).status,
      201,
    );

    await fetch(`${emulator.url}/_admin/config`, {
      method: 'PATCH',
      body: JSON.stringify({ replicateCreditExhausted: true }),
    });
    const noCredit = await api('POST', KLING, { input: { prompt: 'p' } });
    assert.equal(noCredit.status, 402);
    assert.match((await json<ProblemBody>(noCredit)).detail, /credit/);
    await fetch(`${emulator.url}/_admin/config`, {
      method: 'PATCH',
      body: JSON.stringify({ replicateCreditExhausted: false }),
    });
    assert.equal((await api('POST', KLING, { input: { prompt: 'p' } })).status, 201);
  }));

test('creates over the per-minute limit get 429 with retry-after and the throttle detail', () =>
  withEmulator({ replicateCreatesPerMinute: 2, replicateCreateBurst: 2, timeScale: 100 }, async (api) => {
    assert.equal((await api('POST', KLING, { input: { prompt: '1' } })).status, 201);
    assert.equal((await api('POST', KLING, { input: { prompt: '2' } })).status, 201);
    const throttled = await api('POST', KLING, { input: { prompt: '3' } });
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers.get('retry-after')) >= 1);
    assert.match(
      (await json<ProblemBody>(throttled)).detail,
      /^Request was throttled\. Your rate limit resets in ~\d+s\.$/,
    );
    assert.equal(
      (await api('POST', KLING, { input: { prompt: '4' } }, 'r8_b')).status,
      201,
      'the limit is per token',
    );
    assert.equal((await api('GET', '/replicate/v1/predictions')).status, 200, 'reads are not limited by it');
  }));

test('at 6 creates a minute the burst is 1, as Replicate documents for low credit: the second create waits ~10 s', () =>
  withEmulator({ replicateCreatesPerMinute: 6, timeScale: 100 }, async (api) => {
    assert.equal((await api('POST', KLING, { input: { prompt: '1' } })).status, 201);
    const throttled = await api('POST', KLING, { input: { prompt: '2' } });
    assert.equal(throttled.status, 429, 'a second create at once is over the burst of 1');
    const wait = Number(throttled.headers.get('retry-after'));
    assert.ok(wait >= 9 && wait <= 10, `retry-after ${wait} s: one token every 10 s`);
  }));

test('lifecycle: starting → processing → succeeded with ISO timestamps; moderation fails; data removed after the TTL', () =>
  withEmulator(
    { timeScale: 0.03, denyList: ['forbidden'], replicateDataTtlSeconds: 1 },
    async (api, emulator) => {
      const created = await json<Pred>(api('POST', KLING, { input: { prompt: 'A kite' } }));
      const statuses = new Set<string>([created.status]);
      const done = await eventually(
        'succeeded',
        async () => {
          const p = await json<Pred>(api('GET', `/replicate/v1/predictions/${created.id}`));
          statuses.add(p.status);
          return p;
        },
        (p) => p.status === 'succeeded',
      );
      assert.deepEqual([...statuses], ['starting', 'processing', 'succeeded']);
      for (const stamp of [done.created_at, done.started_at!, done.completed_at!])
        assert.match(stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.ok(
        Date.parse(done.created_at) <= Date.parse(done.started_at!) &&
          Date.parse(done.started_at!) < Date.parse(done.completed_at!),
      );
      const timing = await json<{ status: string; finishedAtMs: number }>(
        fetch(`${emulator.url}/_admin/jobs/${created.id}`),
      );
      assert.deepEqual([timing.status, timing.finishedAtMs], ['succeeded', Date.parse(done.completed_at!)]);
      assert.equal((await fetch(done.output!)).status, 200);

      const flagged = await json<Pred>(api('POST', KLING, { input: { prompt: 'Something Forbidden' } }));
      const failed = await eventually(
        'failed',
        () => json<Pred>(api('GET', `/replicate/v1/predictions/${flagged.id}`)),
        (p) => p.status === 'failed',
      );
      assert.match(failed.error!, /flagged as sensitive/);
      assert.equal(failed.output, null);

      const removed = await eventually(
        'the data removed after the TTL',
        () => json<Pred>(api('GET', `/replicate/v1/predictions/${created.id}`)),
        (p) => p.data_removed === true,
      );
      assert.equal(removed.output, null);
      assert.equal((await fetch(done.output!)).status, 404, 'the file is gone with the data');
    },
  ));

test("POST /_admin/expire/{id} removes a prediction's data; created_after/created_before filter the list", () =>
  withEmulator({ timeScale: 0.02 }, async (api, emulator) => {
    const first = await json<Pred>(api('POST', KLING, { input: { prompt: 'first' } }));
    // created_after is strict and created_at is in milliseconds: the second create in a later one
    await eventually('a later millisecond', () => Date.now() > Date.parse(first.created_at));
    const second = await json<Pred>(api('POST', KLING, { input: { prompt: 'second' } }));
    const list = async (query: string) =>
      (await json<{ results: Pred[] }>(api('GET', `/replicate/v1/predictions?${query}`))).results.map(
        (p) => p.id,
      );
    assert.deepEqual(await list(''), [second.id, first.id]);
    // "at or after" / "before" (the OpenAPI document's words).
    assert.deepEqual(await list(`created_after=${encodeURIComponent(second.created_at)}`), [second.id]);
    assert.deepEqual(await list(`created_after=${encodeURIComponent(first.created_at)}`), [
      second.id,
      first.id,
    ]);
    assert.deepEqual(await list(`created_before=${encodeURIComponent(second.created_at)}`), [first.id]);
    const done = await eventually(
      'succeeded',
      () => json<Pred>(api('GET', `/replicate/v1/predictions/${first.id}`)),
      (p) => p.status === 'succeeded',
    );
    assert.equal((await fetch(`${emulator.url}/_admin/expire/${first.id}`, { method: 'POST' })).status, 204);
    const expired = await json<Pred>(api('GET', `/replicate/v1/predictions/${first.id}`));
    assert.deepEqual([expired.output, expired.data_removed], [null, true]);
    assert.equal((await fetch(done.output!)).status, 404);
  }));

test('faults address Replicate routes; stats count creates per dialect', () =>
  withEmulator({ timeScale: 100 }, async (api, emulator) => {
    const faults = {
      seed: 9,
      rules: [
        {
          route: 'POST /replicate/v1/models/{owner}/{name}/predictions',
          kind: 'status',
          status: 429,
          rate: 1,
          retryAfterSeconds: 2,
        },
      ],
    };
    assert.equal(
      (await fetch(`${emulator.url}/_admin/faults`, { method: 'PUT', body: JSON.stringify(faults) })).status,
      200,
    );
    const faulted = await api('POST', KLING, { input: { prompt: 'p' } });
    assert.deepEqual([faulted.status, faulted.headers.get('retry-after')], [429, '2']);
    assert.equal(
      (await api('POST', '/replicate/v1/predictions', { version: 'google/veo-3.1', input: { prompt: 'p' } }))
        .status,
      201,
    );
    await fetch(`${emulator.url}/_admin/faults`, {
      method: 'PUT',
      body: JSON.stringify({
        rules: [
          { kind: 'drop-response', rate: 1, route: 'POST /replicate/v1/models/{owner}/{name}/predictions' },
        ],
      }),
    });
    await assert.rejects(api('POST', KLING, { input: { prompt: 'lost answer' } }));
    const stats = await json<{ creates: Record<string, number>; jobsCreated: Record<string, number> }>(
      fetch(`${emulator.url}/_admin/stats`),
    );
    assert.deepEqual(
      stats.creates,
      { jobs: 0, videos: 0, fal: 0, replicate: 2, gemini: 0, xai: 0, gateway: 0 },
      'the dropped answer still made a prediction',
    );
    assert.deepEqual(stats.jobsCreated, { 'google/veo-3.1': 1, 'kwaivgi/kling-v2.0': 1 });

    const [kept] = (await json<{ results: Array<{ id: string }> }>(api('GET', '/replicate/v1/predictions')))
      .results;
    assert.equal((await fetch(`${emulator.url}/_admin/reset`, { method: 'POST' })).status, 204);
    const cleared = await json<{ creates: Record<string, number>; webhooks: Record<string, number> }>(
      fetch(`${emulator.url}/_admin/stats`),
    );
    assert.deepEqual(cleared.creates, {
      jobs: 0,
      videos: 0,
      fal: 0,
      replicate: 0,
      gemini: 0,
      xai: 0,
      gateway: 0,
    });
    assert.equal(
      (await api('GET', `/replicate/v1/predictions/${kept.id}`)).status,
      404,
      'reset forgets predictions',
    );
  }));
