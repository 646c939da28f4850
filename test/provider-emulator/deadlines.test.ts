// Deadlines a caller can set: fal's X-Fal-Request-Timeout (the request must start in time,
// else 504 request_timeout with X-Fal-Request-Timeout-Type: user) and Replicate's Cancel-After
// (before the start → aborted, after it → canceled).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startProviderEmulator } from '../../emulators/providers/index.js';
import { durationMs } from '../../emulators/providers/replicate/create-request.js';
import { json } from './helpers.js';
import { eventually } from '../support/eventually.js';

test('fal: a request not started within X-Fal-Request-Timeout completes as request_timeout (504, user)', async () => {
  const emulator = await startProviderEmulator({ timeScale: 0.05, falConcurrency: 1 });
  const submit = (prompt: string, headers: Record<string, string> = {}) =>
    json<{ request_id: string; status_url: string; response_url: string }>(
      fetch(`${emulator.url}/fal/fal-ai/veo3`, {
        method: 'POST',
        headers: { authorization: 'Key k', ...headers },
        body: JSON.stringify({ prompt }),
      }),
    );
  const get = (url: string) => fetch(url, { headers: { authorization: 'Key k' } });
  try {
    const blocker = await submit('runs first');
    const late = await submit('waits too long', { 'x-fal-request-timeout': '0.3' });
    const patient = await submit('waits', { 'x-fal-request-timeout': '600' });
    const done = await eventually(
      'COMPLETED',
      () => json<{ status: string; error_type?: string }>(get(late.status_url)),
      (s) => s.status === 'COMPLETED',
    );
    assert.equal(done.error_type, 'request_timeout');
    assert.equal(
      (await json<{ status: string }>(get(blocker.status_url))).status,
      'IN_PROGRESS',
      'it timed out in the queue',
    );
    const result = await get(late.response_url);
    assert.equal(result.status, 504);
    assert.equal(result.headers.get('x-fal-request-timeout-type'), 'user');
    assert.equal(result.headers.get('x-fal-error-type'), 'request_timeout');
    const next = await eventually(
      'patient COMPLETED',
      () => json<{ status: string; error_type?: string }>(get(patient.status_url)),
      (s) => s.status === 'COMPLETED',
    );
    assert.equal(next.error_type, undefined, 'a generous timeout does not fire');
  } finally {
    await emulator.stop();
  }
});

test('Replicate: Cancel-After before the start aborts, after the start cancels; malformed or under 5 s is refused', async () => {
  const emulator = await startProviderEmulator({ timeScale: 3.5 });
  const create = (cancelAfter: string) =>
    fetch(`${emulator.url}/replicate/v1/models/kwaivgi/kling-v2.0/predictions`, {
      method: 'POST',
      headers: { authorization: 'Bearer r8', 'cancel-after': cancelAfter },
      body: JSON.stringify({ input: { prompt: 'deadline' } }),
    });
  const get = (id: string) =>
    json<{ status: string; started_at: string | null; deadline?: string }>(
      fetch(`${emulator.url}/replicate/v1/predictions/${id}`, { headers: { authorization: 'Bearer r8' } }),
    );
  try {
    // 5 s of 16:9 kling at this scale: ~6.3 s of boot, then ~57 s of processing; 5 s is the
    // shortest Cancel-After Replicate allows.
    const early = await json<{ id: string; deadline: string }>(create('5s'));
    const mid = await json<{ id: string }>(create('7.5s'));
    assert.ok(early.deadline, 'the prediction shows its deadline');
    const aborted = await eventually(
      'ended',
      () => get(early.id),
      (p) => p.status !== 'starting',
    );
    assert.deepEqual([aborted.status, aborted.started_at], ['aborted', null]);
    const canceled = await eventually(
      'ended',
      () => get(mid.id),
      (p) => !['starting', 'processing'].includes(p.status),
    );
    assert.equal(canceled.status, 'canceled');
    assert.ok(canceled.started_at, 'it had started');
    for (const value of ['soon', '4s', '500ms', '4.9'])
      assert.equal((await create(value)).status, 400, value);
  } finally {
    await emulator.stop();
  }
  assert.deepEqual(
    ['500ms', '30s', '5m', '1h30m', '2'].map(durationMs),
    [500, 30_000, 300_000, 5_400_000, 2000],
  );
  assert.equal(durationMs('-1s'), null);
});
