// Learned job durations on the real parts: the shared store against Azurite (concurrent writers
// lose nothing, the bound holds), and the whole stack (provider emulator, Functions host running
// the built app, durable replay): finished Replicate jobs teach the app their kind's durations,
// GET /api/providers shows them, a host killed and restarted still has them, and the next
// request's status carries expectedReadyAt.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../emulators/azurite/index.js';
import { MAX_SAMPLES, type JobKind } from '../../src/orchestrations/duration-estimate.js';
import { lazyContainer } from '../../src/storage/blob-container.js';
import { JobDurations } from '../../src/storage/job-durations.js';
import { call, startPipelineStack, startVideo, waitForVideo, type PipelineStack } from './pipeline-stack.js';
import { eventually } from '../support/eventually.js';

const kind: JobKind = { provider: 'queue', model: 'owner/model', size: '16:9', seconds: 5, variants: 1 };

describe('the job durations store (Azurite)', () => {
  let azurite: RunningAzurite;
  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => azurite?.stop());

  /** A store of its own, as another instance of the app would have. */
  const instance = () =>
    new JobDurations(
      lazyContainer(BlobServiceClient.fromConnectionString(azurite.connectionString), 'videos-durations'),
    );

  test('two instances recording at once lose no sample', async () => {
    const [a, b] = [instance(), instance()];
    await Promise.all([
      ...Array.from({ length: 12 }, (_, i) => a.record(kind, 60 + i, 'started')),
      ...Array.from({ length: 12 }, (_, i) => b.record(kind, 80 + i, 'started')),
    ]);
    const samples = await instance().samples(kind);
    assert.equal(samples.length, 24, `stored: ${samples.join(', ')}`);
    assert.deepEqual(
      [...samples].sort((x, y) => x - y),
      [...Array.from({ length: 12 }, (_, i) => 60 + i), ...Array.from({ length: 12 }, (_, i) => 80 + i)],
    );
  });

  test('the newest MAX_SAMPLES are kept; kinds and providers stay apart', async () => {
    const store = instance();
    const other: JobKind = { ...kind, seconds: 10 };
    for (let i = 1; i <= MAX_SAMPLES + 5; i++) await store.record(other, i, 'started');
    const samples = await store.samples(other);
    assert.equal(samples.length, MAX_SAMPLES);
    assert.equal(samples[0], 6);
    assert.deepEqual(await store.samples({ ...kind, provider: 'elsewhere' }), []);
    const listed = await store.forProvider('queue');
    assert.deepEqual(listed.map((k) => k.kind.seconds).sort(), [10, 5]);
  });
});

describe('learned durations on the real stack', () => {
  let stack: PipelineStack;
  const model = 'kwaivgi/kling-v2.0';
  const body = { provider: 'replicate', model, prompt: 'A cat playing piano in a jazz bar.' };
  before(async () => {
    // Kling 5 s 16:9 is 18 s of emulator work at time scale 1: 0.15 gives ~2.7 s jobs.
    stack = await startPipelineStack({
      emulator: { timeScale: 0.15, replicateCreatesPerMinute: 100, maxRunningJobs: 100 },
    });
  });
  after(async () => stack?.stop());

  type Learned = {
    size: string;
    seconds: number;
    samples: number;
    medianSeconds: number;
    p90Seconds: number;
  };
  async function learnedFigures(): Promise<Learned[] | undefined> {
    const answer = await call(`${stack.host.url}/api/providers`);
    assert.equal(answer.status, 200, answer.text);
    const provider = (answer.body as { name: string; models: { id: string; learned?: Learned[] }[] }[]).find(
      (p) => p.name === 'replicate',
    )!;
    return provider.models.find((m) => m.id === model)!.learned;
  }

  test('finished jobs teach their kind; the figures survive a host restart and pace the next request', async () => {
    assert.equal(await learnedFigures(), undefined, 'nothing learned before any job');
    const ids = await Promise.all(Array.from({ length: 8 }, () => startVideo(stack.host, body)));
    for (const id of ids) assert.equal((await waitForVideo(stack.host, id, 90_000)).phase, 'completed');

    // Recorded after the download: the last request's sample may land a moment after it completed.
    const learned: Learned[] | undefined = await eventually(
      'eight samples learned',
      () => learnedFigures(),
      (figures) => figures?.[0]?.samples === 8,
      { timeoutMs: 20_000, everyMs: 200 },
    );
    assert.equal(learned?.length, 1, JSON.stringify(learned));
    const [figures] = learned!;
    assert.deepEqual([figures.size, figures.seconds, figures.samples], ['16:9', 5, 8]);
    // The emulator's jobs here take 18 s × 0.15 = 2.7 s of work.
    assert.ok(figures.medianSeconds > 1 && figures.medianSeconds < 6, JSON.stringify(figures));
    assert.ok(figures.p90Seconds >= figures.medianSeconds, JSON.stringify(figures));

    await stack.host.kill('SIGKILL');
    await stack.restartHost();
    assert.deepEqual(await learnedFigures(), learned, 'the restarted host reads the same figures');

    // The next request of that kind is told when it most likely ends.
    const id = await startVideo(stack.host, body);
    const seen: unknown[] = [];
    const last = await eventually(
      'an expectedReadyAt (or the end)',
      async () => {
        const status = (await call(`${stack.host.url}/api/videos/${id}`)).body as {
          phase: string;
          expectedReadyAt?: string;
          createdTime: string;
        };
        seen.push(status);
        return status;
      },
      (status) => Boolean(status.expectedReadyAt) || status.phase === 'completed',
      { timeoutMs: 30_000, everyMs: 50 },
    ).catch(() => undefined); // the history below says what happened instead
    const expectedReadyAt = last?.expectedReadyAt;
    if (!expectedReadyAt) {
      const history = await call(
        `${stack.host.url}/runtime/webhooks/durabletask/instances/${id}?showHistory=true&showHistoryOutput=true`,
      );
      assert.fail(
        `no expectedReadyAt; statuses ${JSON.stringify(seen.slice(-3))}; history ${history.text.slice(0, 3000)}`,
      );
    }
    const done = await waitForVideo(stack.host, id, 60_000);
    assert.equal(done.phase, 'completed');
    const ahead = (Date.parse(expectedReadyAt) - Date.parse(done.createdTime)) / 1000;
    assert.ok(ahead > 0 && ahead < 10, `expected ${ahead} s after the request began`);
    assert.equal(done.expectedReadyAt, undefined, 'not shown once completed');
  });
});
