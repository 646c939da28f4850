// DELETE /api/videos/{id} of a request that has ended, on the real stack: the request is deleted
// with everything it stored (videos, thumbnails, claims, its callback's delivery, its durable
// history), GET and a second DELETE answer 404, the list no longer shows it, and an
// Idempotency-Key whose request was deleted starts clean. (DELETE of a running request still
// cancels it: pipeline-resilience.test.ts and the provider suites.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  call,
  emulatorStats,
  postVideo,
  quickstartBody,
  startPipelineStack,
  startVideo,
  totalJobsCreated,
  videoBlobs,
  waitForVideo,
  type PipelineStack,
} from './pipeline-stack.js';
import { tinyServer } from '../support/tiny-server.js';
import { VideosApi } from '../../cli/api-client.js';
import { eventually } from '../support/eventually.js';

const small = { ...quickstartBody, n_seconds: 1 };

let stack: PipelineStack;
before(async () => {
  stack = await startPipelineStack({
    settings: { IDEMPOTENCY_KEY_SECRET: 'integration-idempotency-secret-of-32-bytes' },
  });
});
after(async () => stack?.stop());

const remove = (id: string) => call(`${stack.host.url}/api/videos/${id}`, { method: 'DELETE' });
const instance = (id: string) => call(`${stack.host.url}/runtime/webhooks/durabletask/instances/${id}`);
const exists = (name: string) => stack.container.getBlockBlobClient(name).exists();

/** Runs `work` with the emulator's settings changed, and sets `restore` after. */
async function withEmulator<T>(
  settings: Record<string, unknown>,
  restore: Record<string, unknown>,
  work: () => Promise<T>,
): Promise<T> {
  const configure = (body: Record<string, unknown>) =>
    call(`${stack.emulator.url}/_admin/config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  await configure(settings);
  try {
    return await work();
  } finally {
    await configure(restore);
  }
}

async function listedIds(): Promise<string[]> {
  const answer = await call(`${stack.host.url}/api/videos?limit=100`);
  assert.equal(answer.status, 200, answer.text);
  return answer.body.items.map((item: { id: string }) => item.id);
}

/** What a run keeps besides its videos: the create intent and the claim of its job. */
function claimsOf(id: string, runId: string, provider: string, jobId: string) {
  return {
    intent: `.claims/instances/${id}/${runId}.json`,
    job: `.claims/jobs/${encodeURIComponent(provider)}/${encodeURIComponent(jobId)}`,
  };
}

/** Nothing of the request is left to find: GET, the list and a second DELETE say so. */
async function assertGone(id: string) {
  const got = await call(`${stack.host.url}/api/videos/${id}`);
  assert.equal(got.status, 404, got.text);
  assert.equal((await instance(id)).status, 404, 'the durable history is purged');
  assert.ok(!(await listedIds()).includes(id), 'the list no longer shows it');
  const again = await remove(id);
  assert.equal(again.status, 404, `a second DELETE finds nothing: ${again.text}`);
}

describe('DELETE of an ended request', () => {
  test('a completed video: 204, its videos, thumbnails and claims gone, then 404 everywhere', async () => {
    const id = await startVideo(stack.host, { ...small, prompt: `Delete me when done ${Date.now()}.` });
    const done = await waitForVideo(stack.host, id);
    assert.equal(done.phase, 'completed', JSON.stringify(done));
    const runId = (done.videos[0].blobName as string).split('/')[1];
    const prefix = `${id}/${runId}/`;
    const stored = await videoBlobs(stack.container, prefix);
    assert.ok(
      stored.some((name) => name.endsWith('.mp4')) && stored.some((name) => name.endsWith('.jpg')),
      `a video and its thumbnail were stored: ${stored.join(', ')}`,
    );
    const claims = claimsOf(id, runId, done.upstream.provider, done.upstream.jobId);
    assert.deepEqual([await exists(claims.intent), await exists(claims.job)], [true, true]);
    assert.ok((await listedIds()).includes(id));

    const deleted = await remove(id);
    assert.equal(deleted.status, 204, deleted.text);
    assert.equal(deleted.text, '', 'no body');
    assert.deepEqual(await videoBlobs(stack.container, `${id}/`), [], 'no blob of the request is left');
    assert.deepEqual(
      [await exists(claims.intent), await exists(claims.job)],
      [false, false],
      'its intent and job claim are deleted',
    );
    assert.equal(
      await exists(`.claims/cancelled/${id}/${runId}`),
      true,
      "the run's cancel mark stays, for any activity of it still in flight",
    );
    const link = await fetch(done.videos[0].url);
    assert.equal(link.status, 404, 'a read link given out before leads nowhere now');
    await assertGone(id);
  });

  test('a failed request: 204, then 404', async () => {
    const id = await withEmulator({ denyList: ['forbidden'] }, { denyList: [] }, async () => {
      const started = await startVideo(stack.host, { ...small, prompt: `A forbidden scene ${Date.now()}.` });
      const failed = await waitForVideo(stack.host, started);
      assert.equal(failed.phase, 'failed', JSON.stringify(failed));
      return started;
    });
    const deleted = await remove(id);
    assert.equal(deleted.status, 204, deleted.text);
    await assertGone(id);
  });

  test('a request whose callback delivery is still retrying: the delivery is stopped and purged with it, and is no video request of its own', async () => {
    // The receiver refuses every delivery with 503: the delivery retries with backoff for an hour.
    const hook = await tinyServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
    });
    try {
      const id = await startVideo(stack.host, {
        provider: 'replicate',
        model: 'kwaivgi/kling-v2.0',
        prompt: `Call me back, later ${Date.now()}.`,
        callbackUrl: `${hook.url}/hook`,
      });
      const view = await eventually(
        'the first callback attempt',
        async () => (await call(`${stack.host.url}/api/videos/${id}`)).body,
        (v: any) => v?.callback?.attempts >= 1,
        { timeoutMs: 60_000, everyMs: 100 },
      );
      assert.equal(view.phase, 'completed', JSON.stringify(view));
      assert.deepEqual([view.callback.delivered, view.callback.lastStatus], [false, 503]);
      const delivery = `${id}-callback`;
      assert.equal((await instance(delivery)).body.runtimeStatus, 'Running', 'waiting to try again');
      assert.equal(
        (await call(`${stack.host.url}/api/videos/${delivery}`)).status,
        404,
        "the delivery's instance is not a video request",
      );
      assert.equal((await remove(delivery)).status, 404, 'nor deleted as one');

      const deleted = await remove(id);
      assert.equal(deleted.status, 204, deleted.text);
      assert.equal((await instance(delivery)).status, 404, 'the delivery is terminated and purged');
      await assertGone(id);
    } finally {
      await hook.stop();
    }
  });

  test('an Idempotency-Key whose request was deleted starts a new request, with nothing of the old one', async () => {
    const key = `deleted-${process.pid}-${Date.now()}`;
    const first = await postVideo(
      stack.host,
      { ...small, prompt: 'A red kite over a beach.' },
      {
        'idempotency-key': key,
      },
    );
    assert.equal(first.status, 202, first.text);
    const id = first.body.id as string;
    const old = await waitForVideo(stack.host, id);
    assert.equal(old.phase, 'completed', JSON.stringify(old));
    const other = { ...small, prompt: 'A green kite over a hill.' };
    assert.equal(
      (await postVideo(stack.host, other, { 'idempotency-key': key })).status,
      422,
      'while the request exists, its key is taken',
    );

    assert.equal((await remove(id)).status, 204);
    const before = totalJobsCreated(await emulatorStats(stack.emulator));
    const second = await postVideo(stack.host, other, { 'idempotency-key': key });
    assert.equal(second.status, 202, second.text);
    assert.equal(second.body.id, id, 'the key names the same id again');
    assert.equal(second.headers.get('idempotent-replayed'), null, 'a new request, not a replay');
    const status = await waitForVideo(stack.host, id);
    assert.equal(status.phase, 'completed', JSON.stringify(status));
    assert.equal(status.request.prompt, 'A green kite over a hill.');
    assert.equal(totalJobsCreated(await emulatorStats(stack.emulator)) - before, 1, 'a job of its own');
    assert.notEqual(status.upstream.jobId, old.upstream.jobId);
    for (const video of status.videos) {
      const properties = await stack.container.getBlockBlobClient(video.blobName).getProperties();
      assert.equal(properties.metadata?.jobid, status.upstream.jobId, `${video.blobName} is the new job's`);
    }
  });

  test("the CLI's cancel (Ctrl-C in generate) leaves a job that has ended, and its video, alone", async () => {
    const api = new VideosApi(stack.host.url);
    const id = await startVideo(stack.host, { ...small, prompt: `Done before the Ctrl-C ${Date.now()}.` });
    assert.equal((await waitForVideo(stack.host, id)).phase, 'completed');
    assert.equal(await api.cancel({ id }), false, 'nothing to cancel');
    const kept = await call(`${stack.host.url}/api/videos/${id}`);
    assert.equal(kept.status, 200, kept.text);
    assert.equal(kept.body.phase, 'completed');
    assert.equal((await fetch(kept.body.videos[0].url)).status, 200, 'the video is still there');

    await withEmulator({ timeScale: 5 }, { timeScale: 0.05 }, async () => {
      const running = await startVideo(stack.host, { ...small, prompt: `Cancel me ${Date.now()}.` });
      assert.equal(await api.cancel({ id: running }), true, 'a running job is cancelled');
      assert.equal((await waitForVideo(stack.host, running)).phase, 'cancelled');
    });
  });
});
