// Events to callers: a request with a callbackUrl ends with one Standard Webhooks–signed POST
// (verified here with the standardwebhooks package), retried with backoff on 5xx and never on
// 4xx, without delaying the request; unsafe URLs are refused up front naming callbackUrl.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import {
  call,
  OUTBOUND_SECRET,
  postVideo,
  startPipelineStack,
  startVideo,
  waitForVideo,
  type PipelineStack,
} from './pipeline-stack.js';
import { tinyServer, type TinyServer } from '../support/tiny-server.js';
import { eventually } from '../support/eventually.js';

const body = (prompt: string, callbackUrl: string) => ({
  provider: 'replicate',
  model: 'kwaivgi/kling-v2.0',
  prompt,
  callbackUrl,
});

/** A receiver that answers each POST with the next status in `answers` (the last one repeats). */
async function receiver(answers: number[]): Promise<TinyServer> {
  let next = 0;
  return tinyServer((_req, res) => {
    const status = answers[Math.min(next++, answers.length - 1)];
    res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
  });
}

/** The status view once its callback has settled (delivered, or given up after a refusal). */
const callbackSettled = (stack: PipelineStack, id: string, attempts: number) =>
  eventually(
    `the callback of ${id}`,
    async () => {
      const view = (await call(`${stack.host.url}/api/videos/${id}`)).body;
      return view.callback && (view.callback.delivered || view.callback.attempts >= attempts)
        ? view
        : undefined;
    },
    { timeoutMs: 30_000, everyMs: 100 },
  );

describe("events to the caller's callbackUrl", () => {
  let stack: PipelineStack;
  before(async () => {
    stack = await startPipelineStack();
  });
  after(async () => stack?.stop());

  test('a completed request POSTs one signed video.completed carrying the status view with fresh read links', async () => {
    const hook = await receiver([204]);
    try {
      const id = await startVideo(stack.host, body(`Call me back ${Date.now()}.`, `${hook.url}/hook`));
      const done = await waitForVideo(stack.host, id, 60_000);
      assert.equal(done.phase, 'completed');
      const view = await callbackSettled(stack, id, 1);
      assert.deepEqual(view.callback, {
        type: 'video.completed',
        delivered: true,
        attempts: 1,
        lastStatus: 204,
      });
      assert.equal(hook.requests.length, 1);
      const [delivery] = hook.requests;
      const event = new Webhook(OUTBOUND_SECRET).verify(
        delivery.body,
        Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k, String(v)])),
      ) as any;
      assert.equal(event.type, 'video.completed');
      assert.equal(event.data.id, id);
      assert.equal(event.data.phase, 'completed');
      const video = await fetch(event.data.videos[0].url);
      assert.equal(video.status, 200, 'the read link in the event works');
      assert.equal(Buffer.from(await video.arrayBuffer()).length, event.data.videos[0].bytes);
    } finally {
      await hook.stop();
    }
  });

  test('a failing receiver is retried with the same webhook-id until it answers 2xx', async () => {
    const hook = await receiver([503, 500, 200]);
    try {
      const id = await startVideo(stack.host, body(`Retry me ${Date.now()}.`, `${hook.url}/hook`));
      const view = await callbackSettled(stack, id, 3);
      assert.equal(view.phase, 'completed', 'the request did not wait for the receiver');
      assert.deepEqual([view.callback.delivered, view.callback.attempts], [true, 3]);
      const ids = new Set(hook.requests.map((r) => r.headers['webhook-id']));
      assert.equal(ids.size, 1, 'one message id across retries');
    } finally {
      await hook.stop();
    }
  });

  test('a receiver answering 4xx is not retried', async () => {
    const hook = await receiver([410]);
    try {
      const id = await startVideo(stack.host, body(`Gone ${Date.now()}.`, `${hook.url}/hook`));
      const view = await callbackSettled(stack, id, 1);
      // The delivery orchestration has ended: no retry is left to come.
      await eventually(
        'the delivery orchestration ended',
        async () =>
          (await call(`${stack.host.url}/runtime/webhooks/durabletask/instances/${id}-callback`)).body
            ?.runtimeStatus,
        (status) => status === 'Completed',
      );
      assert.deepEqual([view.callback.delivered, view.callback.lastStatus], [false, 410]);
      assert.equal(hook.requests.length, 1, 'no retry after 4xx');
    } finally {
      await hook.stop();
    }
  });

  test('a failed request sends video.failed, a cancelled one video.cancelled', async () => {
    const hook = await receiver([200]);
    await call(`${stack.emulator.url}/_admin/config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ denyList: ['forbidden'] }),
    });
    try {
      const failedId = await startVideo(stack.host, body('A forbidden scene.', `${hook.url}/failed`));
      assert.equal((await waitForVideo(stack.host, failedId, 60_000)).phase, 'failed');
      assert.equal((await callbackSettled(stack, failedId, 1)).callback.type, 'video.failed');

      await call(`${stack.emulator.url}/_admin/config`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ timeScale: 20 }),
      });
      const cancelledId = await startVideo(
        stack.host,
        body(`Cancel me ${Date.now()}.`, `${hook.url}/cancelled`),
      );
      await eventually(
        'a job',
        async () =>
          (await call(`${stack.host.url}/api/videos/${cancelledId}`)).body.upstream?.jobId ? true : undefined,
        { timeoutMs: 30_000, everyMs: 100 },
      );
      assert.equal(
        (await call(`${stack.host.url}/api/videos/${cancelledId}`, { method: 'DELETE' })).status,
        202,
      );
      assert.equal((await callbackSettled(stack, cancelledId, 1)).callback.type, 'video.cancelled');
      const types = hook.requests.map((r) => JSON.parse(r.body).type).sort();
      assert.deepEqual(types, ['video.cancelled', 'video.failed']);
    } finally {
      await call(`${stack.emulator.url}/_admin/config`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ denyList: [], timeScale: 0.05 }),
      });
      await hook.stop();
    }
  });

  test('unsafe callback URLs get 400 naming callbackUrl, and start nothing', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'https://169.254.169.254/',
      'http://[::ffff:169.254.169.254]/',
      'https://[::ffff:a9fe:a9fe]/',
      'ftp://example.com/hook',
      'https://10.0.0.1/hook',
      'http://[fe80::1]:8080/',
    ]) {
      const answer = await postVideo(stack.host, body('A cat.', url));
      assert.equal(answer.status, 400, `${url}: ${answer.text}`);
      assert.deepEqual(
        answer.body.errors.map((e: { field: string }) => e.field),
        ['callbackUrl'],
        url,
      );
    }
  });
});

test('without OUTBOUND_WEBHOOK_SECRET a callbackUrl is refused: events are never sent unsigned', async () => {
  const stack = await startPipelineStack({ settings: { OUTBOUND_WEBHOOK_SECRET: '' } });
  try {
    const answer = await postVideo(stack.host, body('A cat.', 'https://hooks.example.com/x'));
    assert.equal(answer.status, 400, answer.text);
    assert.match(answer.text, /OUTBOUND_WEBHOOK_SECRET/);
  } finally {
    await stack.stop();
  }
});
