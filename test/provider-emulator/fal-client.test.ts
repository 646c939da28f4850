// The official @fal-ai/client, unchanged, against the emulator's fal queue dialect: a request
// middleware rewrites https://queue.fal.run to ${url}/fal
// (docs/providers/fal.md#official-js-client), then submit → status → result, the video downloaded
// and probed, and cancel.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiError, createFalClient, type FalClient } from '@fal-ai/client';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { downloadAndProbe, json } from './helpers.js';
import { eventually } from '../support/eventually.js';

const KLING = 'fal-ai/kling-video/v2/master/text-to-video';

describe('provider emulator: fal queue with the official @fal-ai/client', () => {
  let emulator: RunningProviderEmulator;
  let fal: FalClient;
  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.05, falKey: 'fal-key', falConcurrency: 1 });
    fal = createFalClient({
      credentials: 'fal-key',
      requestMiddleware: async (request) => ({
        ...request,
        url: request.url.replace('https://queue.fal.run', `${emulator.url}/fal`),
      }),
    });
  });
  after(() => emulator.stop());

  test('submit, status, result; the video is an H.264 MP4 of the requested duration and aspect', async () => {
    const submitted = await fal.queue.submit(KLING, {
      input: { prompt: 'A fox in the snow', duration: '5', aspect_ratio: '9:16' },
    });
    assert.match(submitted.request_id, /^[0-9a-f-]{36}$/);
    assert.equal(
      submitted.status_url,
      `${emulator.url}/fal/fal-ai/kling-video/requests/${submitted.request_id}/status`,
      'URLs point back at the emulator, by owner/app',
    );
    const seen = new Set<string>();
    const done = await eventually(
      'COMPLETED',
      async () => {
        const status = await fal.queue.status(KLING, { requestId: submitted.request_id, logs: true });
        seen.add(status.status);
        return status;
      },
      (status) => status.status === 'COMPLETED',
    );
    assert.ok(seen.has('IN_PROGRESS'), `went through IN_PROGRESS: ${[...seen].join(', ')}`);
    assert.ok(
      'logs' in done && Array.isArray(done.logs) && done.logs.length >= 2,
      'logs=1 returns log lines',
    );
    const result = await fal.queue.result(KLING, { requestId: submitted.request_id });
    assert.equal(result.requestId, submitted.request_id);
    const video = (
      result.data as { video: { url: string; content_type: string; file_name: string; file_size: number } }
    ).video;
    assert.equal(video.content_type, 'video/mp4');
    const probed = await downloadAndProbe(video.url);
    assert.deepEqual([probed.codec, probed.width < probed.height], ['h264', true], '9:16 is portrait');
    assert.ok(Math.abs(probed.seconds - 5) < 0.2, `duration ${probed.seconds}`);
    const stats = await json<{ creates: { fal: number } }>(fetch(`${emulator.url}/_admin/stats`));
    assert.equal(stats.creates.fal, 1);
  });

  test('subscribe() (submit, poll status, result) returns the video', async () => {
    const updates: string[] = [];
    const result = await fal.subscribe('fal-ai/veo3', {
      input: { prompt: 'A quiet harbour', duration: '4s', aspect_ratio: '16:9' },
      pollInterval: 50,
      onQueueUpdate: (update) => updates.push(update.status),
    });
    const video = (result.data as { video: { url: string } }).video;
    const probed = await downloadAndProbe(video.url);
    assert.deepEqual([probed.codec, probed.width > probed.height], ['h264', true]);
    assert.ok(Math.abs(probed.seconds - 4) < 0.2);
    assert.equal(updates.at(-1), 'COMPLETED');
  });

  test('cancel: a queued request is cancelled (202); a finished one answers ALREADY_COMPLETED', async () => {
    // Concurrency 1: the second request waits behind the first.
    const first = await fal.queue.submit('fal-ai/veo3', { input: { prompt: 'first', duration: '4s' } });
    const second = await fal.queue.submit('fal-ai/veo3', { input: { prompt: 'second', duration: '4s' } });
    const queued = await fal.queue.status('fal-ai/veo3', { requestId: second.request_id });
    assert.equal(queued.status, 'IN_QUEUE');
    await fal.queue.cancel('fal-ai/veo3', { requestId: second.request_id });
    const cancelled = await fal.queue.status('fal-ai/veo3', { requestId: second.request_id });
    assert.equal(cancelled.status, 'COMPLETED');
    await assert.rejects(
      fal.queue.result('fal-ai/veo3', { requestId: second.request_id }),
      (error: ApiError<unknown>) => error.status === 499,
    );

    await eventually(
      'first COMPLETED',
      () => fal.queue.status('fal-ai/veo3', { requestId: first.request_id }),
      (s) => s.status === 'COMPLETED',
    );
    await assert.rejects(
      fal.queue.cancel('fal-ai/veo3', { requestId: first.request_id }),
      (error: ApiError<{ status: string }>) =>
        error.status === 400 && error.body.status === 'ALREADY_COMPLETED',
    );
  });
});
