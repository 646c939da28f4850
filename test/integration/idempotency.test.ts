// Idempotency-Key against the real stack: the key does not name the request, one key runs one body
// however requests race, and a key whose request was purged starts clean.
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
import { eventually } from '../support/eventually.js';

const small = { ...quickstartBody, n_seconds: 1 };
const fal = { provider: 'fal', model: 'fal-ai/kling-video/v2/master/text-to-video' };
let counter = 0;
const newKey = (what: string) => `${what}-${process.pid}-${Date.now()}-${++counter}`;

let stack: PipelineStack;
before(async () => {
  stack = await startPipelineStack({
    settings: { IDEMPOTENCY_KEY_SECRET: 'integration-idempotency-secret-of-32-bytes' },
  });
});
after(async () => stack?.stop());

const keyed = (body: unknown, key: string) => postVideo(stack.host, body, { 'idempotency-key': key });

async function purge(id: string): Promise<void> {
  const answer = await call(`${stack.host.url}/runtime/webhooks/durabletask/instances/${id}`, {
    method: 'DELETE',
  });
  assert.equal(answer.status, 200, `purge ${id}: ${answer.text}`);
}

function assertKeyConflict(answer: Answer) {
  assert.equal(answer.status, 422, answer.text);
  assert.equal(answer.headers.get('content-type'), 'application/problem+json');
  assert.deepEqual(
    answer.body.errors.map((e: { field: string }) => e.field),
    ['Idempotency-Key'],
  );
  assert.equal(answer.headers.get('location'), null);
}

describe('Idempotency-Key', () => {
  test("the key does not name the request: the id is derived from it with the deployment's secret, and the key itself reads or cancels nothing", async () => {
    const key = newKey('order');
    const first = await keyed(small, key);
    assert.equal(first.status, 202, first.text);
    const id = first.body.id as string;
    assert.match(id, /^[0-9a-f]{32}$/, 'an opaque id');
    assert.ok(
      !id.includes(key) && !first.text.includes(key),
      `the key appears nowhere in the answer: ${first.text}`,
    );
    assert.equal(
      (await call(`${stack.host.url}/api/videos/${key}`)).status,
      404,
      'GET by the key finds nothing',
    );
    assert.equal(
      (await call(`${stack.host.url}/api/videos/${key}`, { method: 'DELETE' })).status,
      404,
      'DELETE by the key finds nothing',
    );
    const again = await keyed(small, key);
    assert.equal(again.status, 202, again.text);
    assert.equal(again.body.id, id, 'the same key, the same request');
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.notEqual((await keyed(small, newKey('order'))).body.id, id, 'another key, another request');
    assert.equal((await waitForVideo(stack.host, id)).phase, 'completed');
  });

  test('one key sent at once with two different bodies: one 202 for the body that runs, one 422, one job per key', async () => {
    const before = totalJobsCreated(await emulatorStats(stack.emulator));
    // Eight keys, each sent twice at the same moment with different bodies: the race path
    // (both see no instance, one start is refused) is taken for most of them.
    const races = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const key = newKey(`race-${i}`);
        const bodies = ['A', 'B'].map((which) => ({ ...small, prompt: `Body ${which} of race ${i}.` }));
        const answers = await Promise.all(bodies.map((body) => keyed(body, key)));
        return { key, bodies, answers };
      }),
    );
    for (const { key, bodies, answers } of races) {
      assert.deepEqual(
        answers.map((a) => a.status).sort(),
        [202, 422],
        `${key}: ${answers.map((a) => `${a.status} ${a.text}`).join(' | ')}`,
      );
      const winner = answers.findIndex((a) => a.status === 202);
      assertKeyConflict(answers[1 - winner]);
      const status = await waitForVideo(stack.host, answers[winner].body.id);
      assert.equal(status.phase, 'completed', JSON.stringify(status));
      assert.equal(
        status.request.prompt,
        bodies[winner].prompt,
        `${key}: the 202 was for the body that runs`,
      );
    }
    assert.equal(
      totalJobsCreated(await emulatorStats(stack.emulator)) - before,
      races.length,
      'one upstream job per key',
    );
  });

  test("a key used again after its request was purged starts clean and delivers the new request's own video", async () => {
    const key = newKey('reused');
    const first = await keyed({ ...fal, prompt: 'A red kite over a beach.' }, key);
    assert.equal(first.status, 202, first.text);
    const firstStatus = await waitForVideo(stack.host, first.body.id);
    assert.equal(firstStatus.phase, 'completed', JSON.stringify(firstStatus));
    await purge(first.body.id);

    const before = totalJobsCreated(await emulatorStats(stack.emulator));
    const second = await keyed({ ...fal, prompt: 'A green kite over a hill.' }, key);
    assert.equal(second.status, 202, second.text);
    assert.equal(second.body.id, first.body.id, 'the key names the same instance id again');
    assert.equal(second.headers.get('idempotent-replayed'), null, 'a new request, not a replay');
    const status = await waitForVideo(stack.host, second.body.id);
    assert.equal(status.phase, 'completed', JSON.stringify(status));
    assert.equal(status.request.prompt, 'A green kite over a hill.');
    assert.equal(
      totalJobsCreated(await emulatorStats(stack.emulator)) - before,
      1,
      'a job of its own was made',
    );
    assert.notEqual(status.upstream.jobId, firstStatus.upstream.jobId, "not the old request's job");
    for (const video of status.videos) {
      const properties = await stack.container.getBlockBlobClient(video.blobName).getProperties();
      assert.equal(
        properties.metadata?.jobid,
        status.upstream.jobId,
        `${video.blobName} holds the new job's video`,
      );
    }
  });

  test('after cancel and purge, the key starts a new request that completes', async () => {
    await call(`${stack.emulator.url}/_admin/config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ timeScale: 5 }),
    });
    const key = newKey('cancelled');
    let id: string;
    try {
      const first = await keyed(small, key);
      assert.equal(first.status, 202, first.text);
      id = first.body.id;
      await eventually(
        'the request queued or running',
        async () => (await call(`${stack.host.url}/api/videos/${id}`)).body.phase,
        (phase) => ['queued', 'running'].includes(phase),
        { everyMs: 50 },
      );
      const cancelled = await call(`${stack.host.url}/api/videos/${id}`, { method: 'DELETE' });
      assert.equal(cancelled.status, 202, cancelled.text);
      assert.equal((await waitForVideo(stack.host, id)).phase, 'cancelled');
    } finally {
      await call(`${stack.emulator.url}/_admin/config`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ timeScale: 0.05 }),
      });
    }
    await purge(id);
    const again = await keyed(small, key);
    assert.equal(again.status, 202, again.text);
    assert.equal(again.body.id, id);
    const status = await waitForVideo(stack.host, id);
    assert.equal(
      status.phase,
      'completed',
      `the old run's cancel mark does not stop the new run: ${JSON.stringify(status)}`,
    );
  });
});
