// Kind ai-sdk's cancel on @ai-sdk/replicate, unchanged, against the emulator's Replicate dialect,
// in process (the adapter, not the host): what a cancel sends and what it takes as done. One
// request a cancel, never retried here; a finished or unknown prediction is nothing left to
// cancel; a stored operation that points elsewhere sends nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startProviderEmulator, type RunningProviderEmulator } from '../../emulators/providers/index.js';
import { ProviderPermanentError, ProviderTransientError } from '../../src/errors.js';
import { createAiSdkProvider } from '../../src/providers/ai-sdk/provider.js';
import type { ProviderJob, VideoProvider } from '../../src/providers/provider.js';
import { eventually } from '../support/eventually.js';
import { emulatorAdminAt } from '../support/http.js';

const TOKEN = 'r8_cancel-test-token-0123456789';
const MODEL = 'kwaivgi/kling-v2.0';
const CANCEL_ROUTE = 'POST /replicate/v1/predictions/{id}/cancel';

describe('kind ai-sdk: the vendor cancel of @ai-sdk/replicate against the emulator', () => {
  let emulator: RunningProviderEmulator;
  let provider: VideoProvider;
  const saved = new Map<string, string>();
  const sent: string[] = [];
  const admin = (method: string, path: string, value?: unknown) =>
    emulatorAdminAt(emulator.url)(method, path, value);
  const cancels = async () =>
    ((await admin('GET', 'stats')).requests[CANCEL_ROUTE] ?? {}) as Record<string, number>;
  const total = (answers: Record<string, number>) => Object.values(answers).reduce((sum, n) => sum + n, 0);
  const spec = (prompt: string) => ({ model: MODEL, prompt, seconds: 5, size: '16:9', variants: 1 });
  const until = (jobId: string): Promise<ProviderJob> =>
    eventually(
      `prediction ${jobId} ended`,
      () => provider.getJob({ model: MODEL, jobId }),
      (job) => job.phase !== 'running' && job.phase !== 'queued',
      { everyMs: 50 },
    );

  before(async () => {
    emulator = await startProviderEmulator({ port: 0, replicateToken: TOKEN, timeScale: 0.05 });
    provider = createAiSdkProvider(
      'replicate-sdk',
      { package: '@ai-sdk/replicate', apiKey: TOKEN, baseUrl: `${emulator.url}/replicate/v1` },
      {
        requestTimeoutMs: 8000,
        fetch: async (input, init) => {
          sent.push(`${init?.method ?? 'GET'} ${String(input instanceof Request ? input.url : input)}`);
          return fetch(input, init);
        },
        handles: {
          save: async (name, jobId, handle) => void saved.set(`${name}/${jobId}`, handle),
          load: async (name, jobId) => saved.get(`${name}/${jobId}`),
        },
        foreignUrls: async (url) => (new URL(url).hostname === '127.0.0.1' ? undefined : 'not loopback'),
      },
    );
  });
  after(async () => emulator?.stop());

  test('a cancel answered 429 is sent once, not retried, and fails transient without the token', async () => {
    await admin('PATCH', 'config', { timeScale: 3 });
    try {
      const created = await provider.createJob(spec(`Cancel under 429 ${Date.now()}.`));
      const before = total(await cancels());
      await admin('PUT', 'faults', {
        seed: 1,
        rules: [{ route: CANCEL_ROUTE, kind: 'status', status: 429, rate: 1, retryAfterSeconds: 2 }],
      });
      try {
        await assert.rejects(provider.cancelJob({ model: MODEL, jobId: created.jobId }), (error: Error) => {
          assert.ok(error instanceof ProviderTransientError, String(error));
          assert.equal(error.status, 429);
          assert.equal(error.retryAfterSeconds, 2);
          assert.ok(!error.message.includes(TOKEN), error.message);
          return true;
        });
      } finally {
        await admin('DELETE', 'faults');
      }
      assert.equal(total(await cancels()) - before, 1, 'one cancel request');
      assert.notEqual((await admin('GET', `jobs/${created.jobId}`)).phase, 'cancelled');
      // Sent again by whoever decides to (the caller's next DELETE, the clean-up): it takes.
      await provider.cancelJob({ model: MODEL, jobId: created.jobId });
      assert.equal((await admin('GET', `jobs/${created.jobId}`)).phase, 'cancelled');
      assert.equal(
        (await until(created.jobId)).phase,
        'failed',
        '@ai-sdk/replicate: "Video generation was canceled"',
      );
    } finally {
      await admin('PATCH', 'config', { timeScale: 0.05 });
    }
  });

  test('a finished or unknown prediction is nothing left to cancel', async () => {
    const created = await provider.createJob(spec(`Finish first ${Date.now()}.`));
    assert.equal((await until(created.jobId)).phase, 'succeeded');
    await provider.cancelJob({ model: MODEL, jobId: created.jobId });
    assert.equal((await admin('GET', `jobs/${created.jobId}`)).phase, 'succeeded', 'unchanged');
    const before = await cancels();
    saved.set(
      'replicate-sdk/gone',
      JSON.stringify({ getUrl: `${emulator.url}/replicate/v1/predictions/gone` }),
    );
    await provider.cancelJob({ model: MODEL, jobId: 'gone' });
    assert.equal(((await cancels())['404'] ?? 0) - (before['404'] ?? 0), 1, 'answered 404, taken as done');
  });

  test('a stored operation pointing anywhere but the base URL sends nothing', async () => {
    saved.set(
      'replicate-sdk/elsewhere',
      JSON.stringify({ getUrl: 'https://attacker.example/v1/predictions/x' }),
    );
    const before = sent.length;
    await assert.rejects(provider.cancelJob({ model: MODEL, jobId: 'elsewhere' }), (error: Error) => {
      assert.ok(error instanceof ProviderPermanentError);
      assert.equal(error.code, 'invalid_operation');
      assert.match(error.message, /^replicate-sdk: job elsewhere: the stored operation cannot be cancelled/);
      assert.ok(!error.message.includes('attacker.example'), 'the operation is not echoed');
      return true;
    });
    assert.deepEqual(sent.slice(before), [], 'no request');
  });
});
