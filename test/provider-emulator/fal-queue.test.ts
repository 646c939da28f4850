// The fal queue dialect over plain HTTP: per-key concurrency with a moving queue_position,
// validation (durations are strings), moderation, fal_max_queue_length, file expiry, the
// status stream, faults addressed to fal routes, admin timing and expiry.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { falCaller, json, type FalStatus as Status } from './helpers.js';
import { eventually } from '../support/eventually.js';

const KLING = 'fal-ai/kling-video/v2/master/text-to-video';

describe('provider emulator: fal queue over HTTP', () => {
  let emulator: RunningProviderEmulator;
  const call = falCaller(() => emulator.url, 'k1');
  const submit = async (input: unknown, model = KLING, key = 'k1', query = '') => {
    const response = await call('POST', `/fal/${model}${query}`, input, key);
    assert.equal(response.status, 200, await response.clone().text());
    return json<Status>(response);
  };
  const status = async (s: Status, key = 'k1') =>
    json<Status>(call('GET', new URL(s.status_url).pathname + '?logs=1', undefined, key));
  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.05, falConcurrency: 1, denyList: ['forbidden'] });
  });
  after(() => emulator.stop());

  test('status answers 202 while queued or running, with logs only when asked', async () => {
    const s = await submit({ prompt: 'codes' });
    const early = await call('GET', new URL(s.status_url).pathname);
    assert.equal(early.status, 202);
    const running = await eventually(
      'IN_PROGRESS',
      () => status(s),
      (v) => v.status === 'IN_PROGRESS',
    );
    assert.ok(Array.isArray(running.logs));
    const withoutLogs = await json<Status>(call('GET', new URL(s.status_url).pathname));
    assert.ok(!Array.isArray(withoutLogs.logs) || withoutLogs.logs.length === 0);
    await eventually(
      'COMPLETED',
      () => status(s),
      (v) => v.status === 'COMPLETED',
    );
  });

  test('veo3 accepts its own durations, resolutions and aspect ratios at submit', async () => {
    const ok = await call('POST', '/fal/fal-ai/veo3', {
      prompt: 'p',
      duration: '6s',
      resolution: '1080p',
      generate_audio: false,
      aspect_ratio: '9:16',
    });
    assert.equal(ok.status, 200);
    const s = await json<Status>(ok);
    const done = await eventually(
      'COMPLETED',
      () => status(s),
      (v) => v.status === 'COMPLETED',
    );
    assert.equal(done.error, undefined);
  });

  test('a denied prompt completes with an error; its result is a 422 content_policy_violation', async () => {
    const s = await submit({ prompt: 'Something FORBIDDEN' });
    const done = await eventually(
      'COMPLETED',
      () => status(s),
      (v) => v.status === 'COMPLETED',
    );
    assert.equal(done.error_type, 'content_policy_violation');
    const result = await call('GET', new URL(s.response_url).pathname);
    assert.equal(result.status, 422);
    const body = await json<{ detail: Array<{ type: string; loc: string[] }> }>(result);
    assert.deepEqual(
      [body.detail[0].type, body.detail[0].loc],
      ['content_policy_violation', ['body', 'prompt']],
    );
  });

  test('fal_max_queue_length: a submit over it gets 429 with retry-after', async () => {
    const first = await submit({ prompt: 'q1' }, KLING, 'k3');
    await submit({ prompt: 'q2' }, KLING, 'k3');
    const refused = await call('POST', `/fal/${KLING}?fal_max_queue_length=1`, { prompt: 'q3' }, 'k3');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    await eventually(
      'COMPLETED',
      () => status(first, 'k3'),
      (v) => v.status === 'COMPLETED',
    );
  });

  test('the status stream sends events and closes after COMPLETED', async () => {
    const s = await submit({ prompt: 'stream' }, KLING, 'k4');
    const response = await call('GET', `${new URL(s.status_url).pathname}/stream`, undefined, 'k4');
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const text = await response.text();
    const events = text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => (JSON.parse(line.slice(6)) as Status).status);
    assert.equal(events.at(-1), 'COMPLETED');
    assert.ok(events.includes('IN_PROGRESS'));
  });

  test('another key cannot read a request; results before the end are refused', async () => {
    const s = await submit({ prompt: 'mine' }, KLING, 'k5');
    assert.equal((await call('GET', new URL(s.status_url).pathname, undefined, 'k6')).status, 404);
    assert.equal((await call('GET', new URL(s.response_url).pathname, undefined, 'k5')).status, 400);
    await eventually(
      'COMPLETED',
      () => status(s, 'k5'),
      (v) => v.status === 'COMPLETED',
    );
  });
});

describe('provider emulator: fal concurrency', () => {
  test('only IN_PROGRESS counts against the per-key limit; the rest wait with a queue_position that moves down', async () => {
    // A slower clock than the other tests, so three submits surely land within the first request's queue time.
    const slow = await startProviderEmulator({ timeScale: 0.15, falConcurrency: 1 });
    const call = (method: string, route: string, body?: unknown, key = 'k1') =>
      fetch(`${slow.url}${route}`, {
        method,
        headers: { authorization: `Key ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const submit = async (input: unknown, key = 'k1') =>
      json<Status>(call('POST', '/fal/fal-ai/veo3', { duration: '4s', ...(input as object) }, key));
    const status = async (s: Status, key = 'k1') =>
      json<Status>(call('GET', new URL(s.status_url).pathname, undefined, key));
    try {
      const requests = [
        await submit({ prompt: 'a' }),
        await submit({ prompt: 'b' }),
        await submit({ prompt: 'c' }),
      ];
      const other = await submit({ prompt: 'other key' }, 'k2');
      assert.deepEqual(
        requests.map((r) => r.queue_position),
        [0, 1, 2],
      );
      const positions: number[] = [];
      const done = await eventually(
        'all COMPLETED',
        async () => {
          const all = await Promise.all([...requests.map((r) => status(r)), status(other, 'k2')]);
          if (all[2].status === 'IN_QUEUE') positions.push(all[2].queue_position!);
          return all;
        },
        (all) => all.every((s) => s.status === 'COMPLETED'),
      );
      // When each one ran, exactly: it finished at the admin timing's finishedAtMs after running
      // metrics.inference_time (sampling statuses would see two "at once" across a loaded read).
      const ran = await Promise.all(
        done.map(async (s) => {
          const timing = await json<{ finishedAtMs: number }>(
            fetch(`${slow.url}/_admin/jobs/${s.request_id}`),
          );
          const inference = (s as Status & { metrics: { inference_time: number } }).metrics.inference_time;
          return { start: timing.finishedAtMs - inference * 1000, end: timing.finishedAtMs };
        }),
      );
      const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) =>
        a.start < b.end - 1 && b.start < a.end - 1;
      const [first, second, third, otherKey] = ran;
      assert.ok(
        !overlap(first, second) && !overlap(second, third) && !overlap(first, third),
        `never more than falConcurrency in progress for one key: ${JSON.stringify(ran)}`,
      );
      assert.ok(
        [first, second, third].some((k1) => overlap(k1, otherKey)),
        `another key has its own limit: ${JSON.stringify(ran)}`,
      );
      // It started at 2 (the submit answer); its position only went down, through 1 to 0.
      assert.deepEqual(
        [...new Set(positions)].filter((p) => p < 2),
        [1, 0],
        `positions seen: ${positions.join(',')}`,
      );
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => b - a),
        'never moves up',
      );
      const codes = await call('GET', new URL(requests[2].status_url).pathname);
      assert.equal(codes.status, 200, 'COMPLETED answers 200');
    } finally {
      await slow.stop();
    }
  });
});

describe('provider emulator: fal files, faults and admin', () => {
  test('output files expire (falFileTtlSeconds and POST /_admin/expire/{id}); timing covers fal ids; faults address fal routes', async () => {
    const emulator = await startProviderEmulator({ timeScale: 0.02 });
    const call = (method: string, route: string, body?: unknown) =>
      fetch(`${emulator.url}${route}`, {
        method,
        headers: { authorization: 'Key k', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    try {
      const finish = async () => {
        const s = await json<Status>(call('POST', `/fal/${KLING}`, { prompt: 'file' }));
        await eventually(
          'COMPLETED',
          () => json<Status>(call('GET', new URL(s.status_url).pathname)),
          (v) => v.status === 'COMPLETED',
        );
        const result = await json<{ video: { url: string; file_size: number } }>(
          call('GET', new URL(s.response_url).pathname),
        );
        return { id: s.request_id, url: result.video.url, size: result.video.file_size };
      };
      const a = await finish();
      const file = await fetch(a.url);
      assert.equal(file.status, 200, 'files need no auth');
      assert.equal(Number(file.headers.get('content-length')), a.size);
      await file.arrayBuffer();
      const timing = await json<{ createdAtMs: number; finishedAtMs: number; status: string }>(
        fetch(`${emulator.url}/_admin/jobs/${a.id}`),
      );
      assert.equal(timing.status, 'COMPLETED');
      assert.ok(timing.finishedAtMs > timing.createdAtMs);

      // A request submitted under falFileTtlSeconds 1 loses its file 1 s after it finished, not
      // before (read when the file answers 404, so a slow machine cannot fail it); a file with
      // time left still answers.
      await json(
        fetch(`${emulator.url}/_admin/config`, {
          method: 'PATCH',
          body: JSON.stringify({ falFileTtlSeconds: 1 }),
        }),
      );
      const short = await finish();
      const gone = await eventually(
        'the short-lived file gone',
        async () => {
          const response = await fetch(short.url);
          await response.arrayBuffer();
          return { status: response.status, at: Date.now() };
        },
        (v) => v.status === 404,
      );
      const shortTiming = await json<{ finishedAtMs: number }>(
        fetch(`${emulator.url}/_admin/jobs/${short.id}`),
      );
      assert.ok(
        gone.at >= shortTiming.finishedAtMs + 1000,
        `gone after falFileTtlSeconds (${gone.at - shortTiming.finishedAtMs} ms after it finished)`,
      );
      assert.equal(
        (await fetch(a.url, { method: 'HEAD' })).status,
        200,
        'the file submitted under the default TTL is still there',
      );

      await json(
        fetch(`${emulator.url}/_admin/config`, {
          method: 'PATCH',
          body: JSON.stringify({ falFileTtlSeconds: 3600 }),
        }),
      );
      const b = await finish();
      assert.equal((await fetch(b.url, { method: 'HEAD' })).status, 200);
      assert.equal((await fetch(`${emulator.url}/_admin/expire/${b.id}`, { method: 'POST' })).status, 204);
      assert.equal((await fetch(b.url)).status, 404);

      const faults = {
        seed: 3,
        rules: [{ route: `POST /fal/{model_id}`, kind: 'status', status: 503, rate: 1 }],
      };
      assert.equal(
        (await fetch(`${emulator.url}/_admin/faults`, { method: 'PUT', body: JSON.stringify(faults) }))
          .status,
        200,
      );
      const before = await json<{ creates: { fal: number } }>(fetch(`${emulator.url}/_admin/stats`));
      assert.equal((await call('POST', `/fal/${KLING}`, { prompt: 'faulted' })).status, 503);
      assert.equal(
        (await call('GET', `/fal/fal-ai/kling-video/requests/${b.id}/status`)).status,
        200,
        'other routes are not faulted',
      );
      const after = await json<{ creates: { fal: number } }>(fetch(`${emulator.url}/_admin/stats`));
      assert.equal(after.creates.fal, before.creates.fal, 'a refused submit creates nothing');

      // A rule without a route (or "*") reaches the fal and Replicate routes too, after authentication.
      await fetch(`${emulator.url}/_admin/faults`, {
        method: 'PUT',
        body: JSON.stringify({ rules: [{ route: '*', kind: 'status', status: 500, rate: 1 }] }),
      });
      assert.equal((await call('GET', `/fal/fal-ai/kling-video/requests/${b.id}/status`)).status, 500);
      assert.equal(
        (await fetch(`${emulator.url}/replicate/v1/predictions`, { headers: { authorization: 'Bearer r' } }))
          .status,
        500,
      );
      assert.equal(
        (await fetch(`${emulator.url}/replicate/v1/predictions`)).status,
        401,
        'authentication comes first',
      );
      assert.equal(
        (await fetch(`${emulator.url}/_admin/stats`)).status,
        200,
        'admin routes are never faulted',
      );
    } finally {
      await emulator.stop();
    }
  });
});
