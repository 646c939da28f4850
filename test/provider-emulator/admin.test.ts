// Admin controls the app's tests rely on: moderation by deny list, runtime config,
// forced expiry and reset, all over HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { eventually } from '../support/eventually.js';

describe('provider emulator: admin and moderation', () => {
  let emulator: RunningProviderEmulator;
  const api = (method: string, route: string, body?: unknown) =>
    fetch(`${emulator.url}${route}`, {
      method,
      headers: { 'api-key': 'x', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  before(async () => {
    emulator = await startProviderEmulator({ timeScale: 0.05, maxRunningJobs: 10 });
  });
  after(() => emulator.stop());

  test('PATCH /_admin/config sets the deny list; matching prompts fail moderation in both families', async () => {
    const patched = await api('PATCH', '/_admin/config', { denyList: ['forbidden'] });
    assert.equal(patched.status, 200);
    assert.deepEqual(((await patched.json()) as { denyList: string[] }).denyList, ['forbidden']);

    const job = (await (
      await api('POST', '/openai/v1/video/generations/jobs', {
        prompt: 'A FORBIDDEN scene',
        width: 480,
        height: 480,
        model: 'sora',
      })
    ).json()) as { id: string };
    const jobNow = (await (await api('GET', `/openai/v1/video/generations/jobs/${job.id}`)).json()) as {
      status: string;
      failure_reason: string;
    };
    assert.deepEqual([jobNow.status, jobNow.failure_reason], ['failed', 'input_moderation']);

    const video = (await (
      await api('POST', '/openai/v1/videos', { prompt: 'forbidden', model: 'sora-2' })
    ).json()) as { id: string; status: string; error: { code: string } };
    assert.equal(video.status, 'failed');
    assert.equal(video.error.code, 'moderation_blocked');
    assert.equal((await api('GET', `/openai/v1/videos/${video.id}/content`)).status, 404);

    const fine = (await (
      await api('POST', '/openai/v1/video/generations/jobs', {
        prompt: 'A cat',
        width: 480,
        height: 480,
        model: 'sora',
      })
    ).json()) as { status: string };
    assert.equal(fine.status, 'queued');
  });

  test('PATCH /_admin/config refuses unknown options and wrong types', async () => {
    assert.equal((await api('PATCH', '/_admin/config', { verbose: true })).status, 400);
    assert.equal((await api('PATCH', '/_admin/config', { timeScale: 'fast' })).status, 400);
  });

  test('POST /_admin/expire/{id} makes finished content 404', async () => {
    const created = (await (
      await api('POST', '/openai/v1/videos', { prompt: 'to expire', model: 'sora-2' })
    ).json()) as { id: string };
    await eventually(
      'the video completed',
      async () =>
        ((await (await api('GET', `/openai/v1/videos/${created.id}`)).json()) as { status: string }).status,
      (s) => s === 'completed',
    );
    assert.equal((await api('GET', `/openai/v1/videos/${created.id}/content`)).status, 200);
    assert.equal((await api('POST', `/_admin/expire/${created.id}`)).status, 204);
    assert.equal((await api('GET', `/openai/v1/videos/${created.id}/content`)).status, 404);
    assert.equal((await api('POST', '/_admin/expire/video_unknown')).status, 404);
  });

  test('POST /_admin/reset clears jobs and stats', async () => {
    assert.equal((await api('POST', '/_admin/reset')).status, 204);
    const stats = (await (await api('GET', '/_admin/stats')).json()) as {
      jobsCreated: Record<string, number>;
    };
    assert.deepEqual(stats.jobsCreated, {});
    const list = (await (await api('GET', '/openai/v1/videos')).json()) as { data: unknown[] };
    assert.deepEqual(list.data, []);
  });
});
