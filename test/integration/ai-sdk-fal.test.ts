// Kind ai-sdk on @ai-sdk/fal, unchanged, against the emulator's fal dialect, in process (the
// adapter alone). The package has no base-URL option for video (it calls https://queue.fal.run
// itself), so here, in the test only, its `fetch` option maps fal's queue to the emulator's /fal
// and back (test/support/fal-loopback.ts): the package sees fal's URLs, the emulator gets the
// requests. The same mapping runs the package in the host: test/integration/ai-sdk-pipeline.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../support/eventually.js';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { ProviderTransientError } from '../../src/errors.js';
import { createAiSdkProvider } from '../../src/providers/ai-sdk/provider.js';
import type { JobHandles, ProviderJob, VideoProvider } from '../../src/providers/provider.js';
import { call, emulatorAdminAt } from '../support/http.js';
import { loopbackFalFetch } from '../support/fal-loopback.js';

const KEY = 'fal-sdk-key';
function memoryHandles(): JobHandles {
  const saved = new Map<string, string>();
  return {
    save: async (provider, jobId, handle) => void saved.set(`${provider}/${jobId}`, handle),
    load: async (provider, jobId) => saved.get(`${provider}/${jobId}`),
  };
}

describe('kind ai-sdk: @ai-sdk/fal against the emulator (its fetch option, in tests only)', () => {
  let emulator: RunningProviderEmulator;
  let provider: VideoProvider;
  const admin = (method: string, path: string, value?: unknown) =>
    emulatorAdminAt(emulator.url)(method, path, value);
  const creates = async () => (await admin('GET', 'stats')).creates.fal as number;
  const spec = (prompt: string) => ({ model: 'fal-ai/veo3', prompt, seconds: 4, size: '16:9', variants: 1 });
  const until = (jobId: string): Promise<ProviderJob> =>
    eventually(
      `fal job ${jobId} ended`,
      () => provider.getJob({ model: 'fal-ai/veo3', jobId }),
      (job) => job.phase !== 'running' && job.phase !== 'queued',
      { everyMs: 50 },
    );

  before(async () => {
    emulator = await startProviderEmulator({ port: 0, apiKey: KEY, timeScale: 0.05 });
    provider = createAiSdkProvider(
      'fal-sdk',
      { package: '@ai-sdk/fal', apiKey: KEY },
      {
        requestTimeoutMs: 8000,
        fetch: loopbackFalFetch(`${emulator.url}/fal`, fetch),
        handles: memoryHandles(),
        // The app passes the callback address rule; here the emulator's fal files (fal.media's
        // stand-in) are the one place outputs may come from, checked without a DNS lookup.
        foreignUrls: async (url) =>
          url.startsWith(`${emulator.url}/fal/files/`) ? undefined : 'is not among the fal files',
      },
    );
  });
  after(async () => emulator?.stop());

  test('one create is one fal request; the finished job streams the bytes fal serves', async () => {
    const before = await creates();
    const created = await provider.createJob(spec('A kite over the dunes.'));
    assert.equal(await creates(), before + 1);
    const done = await until(created.jobId);
    assert.equal(done.phase, 'succeeded', JSON.stringify(done));
    const content = await provider.openOutput(
      { model: 'fal-ai/veo3', jobId: created.jobId },
      done.outputs[0].id,
    );
    const chunks: Buffer[] = [];
    for await (const chunk of content.body) chunks.push(Buffer.from(chunk as Uint8Array));
    const stored = Buffer.concat(chunks);
    const served = Buffer.from(
      await (await fetch(`${emulator.url}/fal/files/${created.jobId}/output.mp4`)).arrayBuffer(),
    );
    assert.ok(stored.length > 0 && stored.equals(served), 'the bytes are the provider file');
  });

  test('a create answered 429 is a transient error and made no job', async () => {
    const before = await creates();
    await admin('PUT', 'faults', {
      seed: 1,
      rules: [{ route: 'POST /fal/{model_id}', kind: 'status', status: 429, rate: 1, retryAfterSeconds: 2 }],
    });
    try {
      await assert.rejects(provider.createJob(spec('Refused first.')), (error: Error) => {
        assert.ok(error instanceof ProviderTransientError, String(error));
        assert.equal(error.status, 429);
        return true;
      });
    } finally {
      await admin('DELETE', 'faults');
    }
    assert.equal(await creates(), before, 'no job, so nothing to re-send blindly');
  });

  test("a refused prompt ends the job failed, in fal's words, without the key", async () => {
    await admin('PATCH', 'config', { denyList: ['forbidden'] });
    try {
      const created = await provider.createJob(spec('A forbidden scene.'));
      const done = await until(created.jobId);
      assert.equal(done.phase, 'failed', JSON.stringify(done));
      assert.match(done.failure ?? '', /content_policy_violation|content policy|flagged/i);
      assert.ok(!(done.failure ?? '').includes(KEY));
    } finally {
      await admin('PATCH', 'config', { denyList: [] });
    }
  });

  test('a cancel while the request runs is one accepted PUT …/cancel, and fal ends the request cancelled', async () => {
    const route = 'PUT /fal/{owner}/{app}/requests/{request_id}/cancel';
    const answers = async () =>
      ((await admin('GET', 'stats')).requests[route] ?? {}) as Record<string, number>;
    await admin('PATCH', 'config', { timeScale: 3 });
    try {
      const created = await provider.createJob(spec(`Cancel me ${Date.now()}.`));
      const job = { model: 'fal-ai/veo3', jobId: created.jobId };
      const before = await answers();
      await provider.cancelJob(job);
      const after = await answers();
      assert.equal((after['202'] ?? 0) - (before['202'] ?? 0), 1, 'one cancel, accepted');
      assert.equal((await admin('GET', `jobs/${created.jobId}`)).phase, 'cancelled');
      // A cancel of the ended request finds nothing left to cancel (400 ALREADY_COMPLETED): done.
      await provider.cancelJob(job);
      assert.equal(((await answers())['400'] ?? 0) - (after['400'] ?? 0), 1, 'answered ALREADY_COMPLETED');
      assert.equal(
        (await until(created.jobId)).phase,
        'failed',
        'the SDK reports the cancelled request as an error',
      );
    } finally {
      await admin('PATCH', 'config', { timeScale: 0.05 });
    }
  });
});
