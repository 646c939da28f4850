// What production throws at the pipeline: a flaky Sora (429/500/503/resets on every
// route), create answers lost in flight, callers that cancel or repeat themselves, and a
// host killed mid-flight. Nothing may be lost, duplicated (one Sora job per video) or corrupt.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  call,
  postVideo,
  quickstartBody,
  EMULATOR_KEY,
  emulatorStats,
  startPipelineStack,
  startVideo,
  totalJobsCreated,
  videoBlobs,
  waitForVideo,
  type PipelineStack,
} from './pipeline-stack.js';
import { JobClaims, type CreateIntent } from '../../src/storage/job-claims.js';
import { eventually } from '../support/eventually.js';

const small = { ...quickstartBody, n_seconds: 1 };

async function setFaults(stack: PipelineStack, rules: unknown[], seed = 7): Promise<void> {
  const answer = await call(`${stack.emulator.url}/_admin/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ seed, rules }),
  });
  assert.equal(answer.status < 300, true, answer.text);
}

/** The bytes Sora serves for one generation, fetched directly (faults off). */
async function soraContent(
  stack: PipelineStack,
  family: string,
  jobId: string,
  outputId: string,
): Promise<Buffer> {
  const path =
    family === 'jobs'
      ? `/video/generations/${outputId}/content/video?api-version=preview`
      : `/videos/${jobId}/content?variant=video`;
  const response = await fetch(`${stack.emulator.url}/openai/v1${path}`, {
    headers: { 'api-key': EMULATOR_KEY },
  });
  assert.equal(response.status, 200);
  return Buffer.from(await response.arrayBuffer());
}

async function checkBytes(
  stack: PipelineStack,
  status: { upstream: { model: string; jobId: string }; videos: { outputId: string; blobName: string }[] },
) {
  for (const video of status.videos) {
    const stored = await stack.container.getBlockBlobClient(video.blobName).downloadToBuffer();
    const original = await soraContent(
      stack,
      status.upstream.model === 'sora' ? 'jobs' : 'videos',
      status.upstream.jobId,
      video.outputId,
    );
    assert.ok(
      stored.equals(original),
      `${video.blobName}: stored ${stored.length} bytes differ from Sora's ${original.length}`,
    );
  }
}

describe('a flaky Sora: 30% of calls on every route fail', () => {
  let stack: PipelineStack;
  before(async () => {
    stack = await startPipelineStack({
      emulator: { maxRunningJobs: 4 },
      settings: { PROVIDER_REQUEST_TIMEOUT_SECONDS: '3' },
    });
  });
  after(async () => stack?.stop());

  test('20 videos all complete byte-correct, with exactly one Sora job each', async () => {
    await setFaults(stack, [
      { kind: 'status', status: 429, rate: 0.08, retryAfterSeconds: 1 },
      { kind: 'status', status: 500, rate: 0.08 },
      { kind: 'status', status: 503, rate: 0.08 },
      { kind: 'reset', rate: 0.08 },
    ]);
    const ids = await Promise.all(Array.from({ length: 20 }, () => startVideo(stack.host, small)));
    const statuses = await Promise.all(ids.map((id) => waitForVideo(stack.host, id, 180_000)));
    await setFaults(stack, []);
    const stats = await emulatorStats(stack.emulator);
    const injected = Object.values(stats.requests)
      .flatMap((byStatus) => Object.entries(byStatus))
      .filter(([code]) => ['429', '500', '503'].includes(code))
      .reduce((n, [, count]) => n + count, 0);
    assert.ok(injected >= 10, `faults were really injected (${injected} error answers)`);
    for (const status of statuses) {
      assert.equal(status.phase, 'completed', JSON.stringify(status));
      await checkBytes(stack, status);
    }
    assert.equal(totalJobsCreated(stats), 20, `one Sora job per video: ${JSON.stringify(stats.jobsCreated)}`);
  });
});

describe('a create whose answer is lost in flight', () => {
  let stack: PipelineStack;
  before(async () => {
    stack = await startPipelineStack({ settings: { PROVIDER_REQUEST_TIMEOUT_SECONDS: '2' } });
  });
  after(async () => stack?.stop());

  test('is adopted from the job list, never sent twice', async () => {
    // Every create is carried out, but its answer never arrives (a gateway timeout).
    await setFaults(stack, [
      { route: 'POST /openai/v1/video/generations/jobs', kind: 'drop-response', rate: 1 },
    ]);
    const before = totalJobsCreated(await emulatorStats(stack.emulator));
    const ids = [
      await startVideo(stack.host, small),
      await startVideo(stack.host, { ...small, prompt: 'A dog surfing a wave.' }),
    ];
    const statuses = await Promise.all(ids.map((id) => waitForVideo(stack.host, id, 60_000)));
    await setFaults(stack, []);
    for (const status of statuses) assert.equal(status.phase, 'completed', JSON.stringify(status));
    assert.notEqual(
      statuses[0].upstream.jobId,
      statuses[1].upstream.jobId,
      'each instance adopted its own job',
    );
    const stats = await emulatorStats(stack.emulator);
    assert.equal(
      totalJobsCreated(stats) - before,
      2,
      `creates: ${JSON.stringify(stats.requests['POST /openai/v1/video/generations/jobs'])}`,
    );
  });
});

describe('a thumbnail Sora cannot serve', () => {
  let stack: PipelineStack;
  before(async () => {
    stack = await startPipelineStack();
  });
  after(async () => stack?.stop());

  test('the video still completes, without a thumbnail and without a partial .jpg', async () => {
    const route = 'GET /openai/v1/video/generations/{generation_id}/content/thumbnail';
    await setFaults(stack, [{ route, kind: 'status', status: 500, rate: 1 }]);
    const id = await startVideo(stack.host, small);
    const status = await waitForVideo(stack.host, id);
    await setFaults(stack, []);
    assert.equal(status.phase, 'completed', JSON.stringify(status));
    assert.equal(status.videos.length, 1);
    assert.equal(status.videos[0].thumbnail, undefined);
    assert.deepEqual(await videoBlobs(stack.container, `${id}/`), [status.videos[0].blobName]);
    const failures = (await emulatorStats(stack.emulator)).requests[route]?.['500'] ?? 0;
    assert.equal(failures, 2, 'tried twice, then went on without');
  });
});

describe('callers', () => {
  let stack: PipelineStack;
  before(async () => {
    stack = await startPipelineStack({
      settings: { IDEMPOTENCY_KEY_SECRET: 'integration-idempotency-secret-of-32-bytes' },
    });
  });
  after(async () => stack?.stop());

  test('DELETE mid-poll terminates the instance and deletes the Sora job; a second DELETE deletes the cancelled request', async () => {
    await call(`${stack.emulator.url}/_admin/config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ timeScale: 5 }),
    });
    try {
      const id = await startVideo(stack.host, small);
      const polled = await eventually(
        'the job being polled',
        async () => (await call(`${stack.host.url}/api/videos/${id}`)).body,
        (status) => ['queued', 'running'].includes(status.phase),
        { everyMs: 50 },
      );
      const jobId: string | undefined = polled.upstream.jobId;
      assert.ok(jobId, 'the job was being polled');
      const cancelled = await call(`${stack.host.url}/api/videos/${id}`, { method: 'DELETE' });
      assert.equal(cancelled.status, 202, cancelled.text);
      assert.equal(cancelled.body.upstreamJobCancelled, true);
      const status = await waitForVideo(stack.host, id);
      assert.equal(status.phase, 'cancelled');
      const job = await fetch(
        `${stack.emulator.url}/openai/v1/video/generations/jobs/${jobId}?api-version=preview`,
        { headers: { 'api-key': EMULATOR_KEY } },
      );
      assert.equal(job.status, 404, 'the Sora job is gone');
      assert.deepEqual(await videoBlobs(stack.container, `${id}/`), []);
      // Cancelled, it has ended: DELETE now deletes it, and then there is nothing left to find.
      const again = await call(`${stack.host.url}/api/videos/${id}`, { method: 'DELETE' });
      assert.equal(again.status, 204, `the cancelled request is deleted: ${again.text}`);
      assert.equal((await call(`${stack.host.url}/api/videos/${id}`)).status, 404);
      assert.equal((await call(`${stack.host.url}/api/videos/${id}`, { method: 'DELETE' })).status, 404);
      assert.equal(
        (await call(`${stack.host.url}/api/videos/nope-${Date.now()}`, { method: 'DELETE' })).status,
        404,
      );
    } finally {
      await call(`${stack.emulator.url}/_admin/config`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ timeScale: 0.05 }),
      });
    }
  });

  test('DELETE while the create is in flight: the job that create makes is deleted as well', async () => {
    // Sora takes 1.5 s to answer the create, so the cancel lands between request and answer.
    await setFaults(stack, [
      { route: 'POST /openai/v1/video/generations/jobs', kind: 'latency', ms: 1500, rate: 1 },
    ]);
    try {
      const before = totalJobsCreated(await emulatorStats(stack.emulator));
      const id = await startVideo(stack.host, small);
      // Intents are kept per run: the run id is in the instance's input.
      const instance = await call(
        `${stack.host.url}/runtime/webhooks/durabletask/instances/${id}?showInput=true`,
      );
      const runId = (
        typeof instance.body.input === 'string' ? JSON.parse(instance.body.input) : instance.body.input
      ).runId as string;
      assert.match(runId, /^[0-9a-f]{32}$/, instance.text);
      const claims = new JobClaims(async () => stack.container);
      const intent = async (): Promise<Partial<CreateIntent>> => (await claims.readIntent(id, runId)) ?? {};
      await eventually('the create sent', intent, (written) => written.sentAt !== undefined);
      const cancelled = await call(`${stack.host.url}/api/videos/${id}`, { method: 'DELETE' });
      assert.equal(cancelled.status, 202, cancelled.text);
      assert.equal(cancelled.body.upstreamJobId, null, 'no job was known when the cancel came');
      // The create lands after the termination; the activity sees the cancel and deletes its job.
      const { jobId } = await eventually(
        'the create landed and recorded',
        intent,
        (written) => written.jobId !== undefined,
        { everyMs: 50 },
      );
      assert.equal(totalJobsCreated(await emulatorStats(stack.emulator)) - before, 1);
      await eventually(
        `the Sora job ${jobId} made after the cancel gone`,
        async () =>
          (
            await fetch(
              `${stack.emulator.url}/openai/v1/video/generations/jobs/${jobId}?api-version=preview`,
              {
                headers: { 'api-key': EMULATOR_KEY },
              },
            )
          ).status,
        (status) => status === 404,
        { everyMs: 50 },
      );
      assert.equal((await waitForVideo(stack.host, id)).phase, 'cancelled');
    } finally {
      await setFaults(stack, []);
    }
  });

  test('DELETE while downloading leaves no blob, even one the download commits after the cancel', async () => {
    // fal's output file is 5 s in coming (time enough for a loaded machine's status calls), so
    // the cancel lands while the download waits for it. fal keeps a finished request's files,
    // and an activity is not stopped by the termination: the download goes on and commits its
    // blob after the cancel has deleted the run's blobs.
    const fileRoute = 'GET /fal/files/{request_id}/{file_name}';
    const filesServed = async () => (await emulatorStats(stack.emulator)).requests[fileRoute]?.['200'] ?? 0;
    await setFaults(stack, [{ route: fileRoute, kind: 'latency', ms: 5000, rate: 1 }]);
    try {
      const id = await startVideo(stack.host, {
        provider: 'fal',
        model: 'fal-ai/kling-video/v2/master/text-to-video',
        prompt: 'A paper boat in a gutter.',
      });
      await eventually(
        'the request downloading',
        async () => (await call(`${stack.host.url}/api/videos/${id}`)).body.phase,
        (phase) => phase === 'downloading',
      );
      const servedBefore = await filesServed();
      const cancelled = await call(`${stack.host.url}/api/videos/${id}`, { method: 'DELETE' });
      assert.equal(cancelled.status, 202, cancelled.text);
      // (Counted once a file has been sent in full: none was when the cancel was answered.)
      const servedAtCancel = await filesServed();
      assert.equal(servedAtCancel, servedBefore, 'the cancel came while the download waited for its file');
      await eventually(
        'the download going on after the cancel and getting its file',
        filesServed,
        (served) => served > servedBefore,
        { everyMs: 100 },
      );
      // Once the host has no activity left, the download has committed (or not) and cleaned up.
      await eventually(
        'no episode or activity pending on the host',
        async () => (await call(`${stack.host.url}/admin/host/status`)).body?.durableIdle,
        (idle) => idle === true,
      );
      assert.deepEqual(
        await videoBlobs(stack.container, `${id}/`),
        [],
        'no blob of a cancelled request is left',
      );
      assert.equal((await waitForVideo(stack.host, id)).phase, 'cancelled');
    } finally {
      await setFaults(stack, []);
    }
  });

  test('Idempotency-Key: a repeated request starts nothing new; a different body under the same key is refused', async () => {
    const before = totalJobsCreated(await emulatorStats(stack.emulator));
    const key = `order-${Date.now()}`;
    const first = await postVideo(stack.host, small, { 'idempotency-key': key });
    const second = await postVideo(stack.host, small, { 'idempotency-key': key });
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.notEqual(first.body.id, key, 'the id is derived from the key, not the key');
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.body.statusUri, first.body.statusUri);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    const conflict = await postVideo(
      stack.host,
      { ...small, prompt: 'Something else entirely.' },
      { 'idempotency-key': key },
    );
    assert.equal(conflict.status, 422, conflict.text);
    assert.equal(conflict.headers.get('content-type'), 'application/problem+json');
    const status = await waitForVideo(stack.host, first.body.id);
    assert.equal(status.phase, 'completed');
    const third = await postVideo(stack.host, small, { 'idempotency-key': key });
    assert.equal(third.status, 202, 'still the same instance after it finished');
    assert.equal(third.body.id, first.body.id);
    assert.equal(totalJobsCreated(await emulatorStats(stack.emulator)) - before, 1);
  });
});

describe('the host killed with 10 videos in flight', () => {
  let stack: PipelineStack;
  before(async () => {
    stack = await startPipelineStack({ emulator: { timeScale: 0.5, maxRunningJobs: 10 } });
  });
  after(async () => stack?.stop());

  test('after a restart on the same storage all 10 complete, with no duplicate job and no corrupt blob', async () => {
    const before = totalJobsCreated(await emulatorStats(stack.emulator));
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        startVideo(stack.host, { ...small, prompt: `A lighthouse in a storm, take ${i}.` }),
      ),
    );
    // Some created and polled, none finished.
    const views = await eventually(
      'some jobs created',
      () => Promise.all(ids.map(async (id) => (await call(`${stack.host.url}/api/videos/${id}`)).body)),
      (all) => all.some((view) => view.upstream?.jobId),
      { everyMs: 50 },
    );
    const phases = views.map((view) => view.phase as string);
    assert.ok(
      phases.every((p) => p !== 'completed'),
      `nothing finished before the kill: ${phases.join(',')}`,
    );
    await stack.host.kill('SIGKILL');
    await stack.restartHost();
    const statuses = await Promise.all(ids.map((id) => waitForVideo(stack.host, id, 120_000)));
    for (const status of statuses) {
      assert.equal(status.phase, 'completed', JSON.stringify(status));
      await checkBytes(stack, status);
    }
    assert.equal(
      totalJobsCreated(await emulatorStats(stack.emulator)) - before,
      10,
      'one Sora job per video, restart or not',
    );
  });
});
