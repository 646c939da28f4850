// Fault injection: rates hold, the same seed replays the same faults, and each kind
// (status with retry-after, reset, truncated content, latency) does what it says.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { eventually } from '../support/eventually.js';

describe('provider emulator: fault injection', () => {
  let emulator: RunningProviderEmulator;
  const api = (method: string, route: string, body?: unknown) =>
    fetch(`${emulator.url}${route}`, {
      method,
      headers: { 'api-key': 'x', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const setFaults = async (config: unknown) =>
    assert.equal((await api('PUT', '/_admin/faults', config)).status, 200);
  const listStatuses = async (n: number) => {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) statuses.push((await api('GET', '/openai/v1/videos')).status);
    return statuses;
  };
  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.02, maxRunningJobs: 10 });
  });
  after(() => emulator.stop());

  test('a 30% 503 rule fails about 30% of calls, and the same seed replays them exactly', async () => {
    const config = {
      seed: 42,
      rules: [{ route: 'GET /openai/v1/videos', kind: 'status', status: 503, rate: 0.3 }],
    };
    await setFaults(config);
    const first = await listStatuses(200);
    await setFaults(config);
    const second = await listStatuses(200);
    assert.deepEqual(first, second);
    const failed = first.filter((s) => s === 503).length;
    assert.ok(failed > 35 && failed < 85, `${failed} of 200 failed`);
    assert.deepEqual([...new Set(first)].sort(), [200, 503]);
  });

  test('429 faults carry retry-after; rules for other routes do not apply; DELETE clears', async () => {
    await setFaults({
      seed: 1,
      rules: [
        { route: 'GET /openai/v1/videos', kind: 'status', status: 429, rate: 1, retryAfterSeconds: 3 },
        { route: 'POST /openai/v1/videos', kind: 'status', status: 500, rate: 0 },
      ],
    });
    const throttled = await api('GET', '/openai/v1/videos');
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('retry-after'), '3');
    assert.equal((await api('GET', '/_admin/stats')).status, 200, 'admin routes are never faulted');
    assert.equal((await api('DELETE', '/_admin/faults')).status, 204);
    assert.equal((await api('GET', '/openai/v1/videos')).status, 200);
  });

  test('reset drops the connection; latency delays the answer', async () => {
    await setFaults({ rules: [{ kind: 'reset', rate: 1 }] });
    await assert.rejects(api('GET', '/openai/v1/videos'));
    await setFaults({ rules: [{ kind: 'latency', ms: 150, rate: 1 }] });
    const started = performance.now();
    assert.equal((await api('GET', '/openai/v1/videos')).status, 200);
    assert.ok(performance.now() - started >= 140);
    await api('DELETE', '/_admin/faults');
  });

  test('truncate sends fewer bytes than content-length, then closes', async () => {
    const created = (await (
      await api('POST', '/openai/v1/videos', { model: 'sora-2', prompt: 'truncate me' })
    ).json()) as { id: string };
    await eventually(
      'the video completed',
      async () =>
        ((await (await api('GET', `/openai/v1/videos/${created.id}`)).json()) as { status: string }).status,
      (status) => status === 'completed',
    );
    const whole = Buffer.from(
      await (await api('GET', `/openai/v1/videos/${created.id}/content`)).arrayBuffer(),
    );
    await setFaults({
      rules: [{ route: 'GET /openai/v1/videos/{video_id}/content', kind: 'truncate', rate: 1 }],
    });
    const response = await api('GET', `/openai/v1/videos/${created.id}/content`);
    assert.equal(Number(response.headers.get('content-length')), whole.length);
    await assert.rejects(response.arrayBuffer());
    await api('DELETE', '/_admin/faults');
  });

  test('drop-response carries the request out, then loses the answer', async () => {
    await setFaults({
      rules: [{ route: 'POST /openai/v1/video/generations/jobs', kind: 'drop-response', rate: 1 }],
    });
    const prompt = `dropped answer ${Date.now()}`;
    await assert.rejects(
      api('POST', '/openai/v1/video/generations/jobs', { model: 'sora', prompt, width: 480, height: 480 }),
    );
    await api('DELETE', '/_admin/faults');
    const list = (await (await api('GET', '/openai/v1/video/generations/jobs?limit=50')).json()) as {
      data: { prompt: string }[];
    };
    assert.equal(
      list.data.filter((job) => job.prompt === prompt).length,
      1,
      'the job exists although its creator never heard back',
    );
  });

  test('malformed fault configs are refused with the reason', async () => {
    for (const [body, reason] of [
      [{ rules: [{ kind: 'status', status: 418, rate: 1 }] }, 'status'],
      [{ rules: [{ kind: 'explode', rate: 1 }] }, 'kind'],
      [{ rules: [{ kind: 'reset', rate: 2 }] }, 'rate'],
      [{ rules: 'all' }, 'rules'],
    ] as const) {
      const response = await api('PUT', '/_admin/faults', body);
      assert.equal(response.status, 400);
      assert.match(
        ((await response.json()) as { error: { message: string } }).error.message,
        new RegExp(reason),
      );
    }
  });
});
