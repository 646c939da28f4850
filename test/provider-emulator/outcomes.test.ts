// Late failures (output moderation, internal error) and expiry by the clock, as configured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startProviderEmulator, type ProviderEmulatorOptions } from '../../emulators/providers/index.js';
import { eventually } from '../support/eventually.js';

async function withEmulator(
  options: ProviderEmulatorOptions,
  body: (api: (method: string, route: string, json?: unknown) => Promise<Response>) => Promise<void>,
) {
  const emulator = await startProviderEmulator({ timeScale: 0.02, maxRunningJobs: 10, ...options });
  try {
    await body((method, route, json) =>
      fetch(`${emulator.url}/openai/v1${route}`, {
        method,
        headers: { 'api-key': 'x', 'content-type': 'application/json' },
        body: json === undefined ? undefined : JSON.stringify(json),
      }),
    );
  } finally {
    await emulator.stop();
  }
}
async function finalState<T extends { status: string }>(
  api: (m: string, r: string) => Promise<Response>,
  route: string,
): Promise<T> {
  return eventually(
    `${route} finished`,
    async () => (await (await api('GET', route)).json()) as T,
    (body) => ['succeeded', 'failed', 'cancelled', 'completed'].includes(body.status),
  );
}

test('outputModerationRate 1 fails every job at the end with output_moderation / content_filter', () =>
  withEmulator({ outputModerationRate: 1 }, async (api) => {
    const job = (await (
      await api('POST', '/video/generations/jobs', { prompt: 'p', width: 480, height: 480, model: 'sora' })
    ).json()) as { id: string };
    const done = await finalState<{ status: string; failure_reason: string }>(
      api,
      `/video/generations/jobs/${job.id}`,
    );
    assert.deepEqual([done.status, done.failure_reason], ['failed', 'output_moderation']);
    const video = (await (await api('POST', '/videos', { prompt: 'p', model: 'sora-2' })).json()) as {
      id: string;
    };
    const finished = await finalState<{ status: string; error: { code: string } }>(
      api,
      `/videos/${video.id}`,
    );
    assert.deepEqual([finished.status, finished.error.code], ['failed', 'content_filter']);
    assert.equal((await api('GET', `/videos/${video.id}/content`)).status, 404);
  }));

test('internalErrorRate 1 fails with internal_error; a 0.5 rate with a seed splits jobs the same way every run', async () => {
  await withEmulator({ internalErrorRate: 1 }, async (api) => {
    const job = (await (
      await api('POST', '/video/generations/jobs', { prompt: 'p', width: 480, height: 480, model: 'sora' })
    ).json()) as { id: string };
    assert.equal(
      (await finalState<{ status: string; failure_reason: string }>(api, `/video/generations/jobs/${job.id}`))
        .failure_reason,
      'internal_error',
    );
  });
  const outcomes: string[][] = [];
  for (let run = 0; run < 2; run++) {
    await withEmulator({ internalErrorRate: 0.5, seed: 7 }, async (api) => {
      const ids: string[] = [];
      for (let i = 0; i < 8; i++)
        ids.push(
          (
            (await (
              await api('POST', '/video/generations/jobs', {
                prompt: `p${i}`,
                width: 480,
                height: 480,
                model: 'sora',
              })
            ).json()) as { id: string }
          ).id,
        );
      const statuses: string[] = [];
      for (const id of ids) statuses.push((await finalState(api, `/video/generations/jobs/${id}`)).status);
      outcomes.push(statuses);
    });
  }
  assert.deepEqual(outcomes[0], outcomes[1]);
  assert.ok(outcomes[0].includes('failed') && outcomes[0].includes('succeeded'), outcomes[0].join(','));
});

test('content expires after contentTtlSeconds', () =>
  withEmulator({ contentTtlSeconds: 0.5 }, async (api) => {
    const video = (await (await api('POST', '/videos', { prompt: 'p', model: 'sora-2' })).json()) as {
      id: string;
    };
    const done = await finalState<{ status: string; completed_at: number; expires_at: number }>(
      api,
      `/videos/${video.id}`,
    );
    assert.equal(done.status, 'completed');
    assert.equal((await api('GET', `/videos/${video.id}/content`)).status, 200);
    await eventually(
      'the content gone',
      async () => (await api('GET', `/videos/${video.id}/content`)).status,
      (status) => status === 404,
    );
  }));
