// Admission control on the real stack (Azurite, the provider emulator over HTTP, the Node host
// running the built app with the real durable-functions replay and entities): creates leave
// each account in arrival order, the emulator never sees more running jobs than the limit,
// the caller sees its place falling, and the turn comes back on every way a request ends,
// a host SIGKILL included.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  call,
  EMULATOR_KEY,
  emulatorStats,
  startPipelineStack,
  startVideo,
  waitForVideo,
  type PipelineStack,
} from './pipeline-stack.js';
import { eventually } from '../support/eventually.js';

const FAL_MODEL = 'fal-ai/kling-video/v2/master/text-to-video';
const falBody = (i: number) => ({
  provider: 'fal',
  model: FAL_MODEL,
  prompt: `A paper boat, take ${i}.`,
  seconds: 5,
});
const jobsBody = (prompt: string) => ({
  provider: 'azure-openai',
  model: 'sora',
  prompt,
  size: '480x480',
  seconds: 5,
});

/** Reads until `done` holds (a positive signal), failing with the last value after `ms`. */
const until = <T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, ms = 60_000) =>
  eventually(what, read, done, { timeoutMs: ms, everyMs: 50 });

interface Line {
  waiting: { id: string }[];
  running: { id: string }[];
  admitted: string[];
}

/** The account's line, read through the task hub's entity route (the real entity state). */
async function lineOf(stack: PipelineStack, account: string): Promise<Line> {
  const answer = await call(
    `${stack.host.url}/runtime/webhooks/durabletask/entities/admission/${encodeURIComponent(account)}`,
  );
  return answer.status === 200 ? (answer.body as Line) : { waiting: [], running: [], admitted: [] };
}

/** Today's /api/usage row of a provider (zeros when it has none yet). */
async function usageOf(stack: PipelineStack, provider: string) {
  const today = new Date().toISOString().slice(0, 10);
  const answer = await call(`${stack.host.url}/api/usage?from=${today}&to=${today}&provider=${provider}`);
  assert.equal(answer.status, 200, answer.text);
  return (
    (answer.body.days as any[]).find((d) => d.provider === provider) ?? {
      requests: 0,
      upstreamJobs: 0,
      secondsDelivered: 0,
      estimatedUsd: 0,
      refusedByBudget: 0,
    }
  );
}

const video = async (stack: PipelineStack, id: string) =>
  (await call(`${stack.host.url}/api/videos/${id}`)).body;

/** When the emulator created each job, by the status views' job ids. */
async function createdAt(stack: PipelineStack, jobIds: string[]): Promise<number[]> {
  return Promise.all(
    jobIds.map(
      async (jobId) => (await call(`${stack.emulator.url}/_admin/jobs/${jobId}`)).body.createdAtMs as number,
    ),
  );
}

describe('admission control on the real stack', () => {
  let stack: PipelineStack;
  before(async () => {
    stack = await startPipelineStack({
      emulator: { timeScale: 0.08, falConcurrency: 2, maxRunningJobs: 2, denyList: ['forbidden'] },
      settings: {
        FAL_MAX_RUNNING_JOBS: '2',
        FAL_CREATES_PER_MINUTE: '',
        AZURE_OPENAI_MAX_RUNNING_JOBS: '2',
        AZURE_OPENAI_CREATES_PER_MINUTE: 'unlimited',
        FAL_DAILY_BUDGET_USD: '7',
      },
      // A named instance (src/provider-instances.ts) with its own admission settings.
      settingsFor: (url) => ({
        VIDEO_PROVIDERS__onefal__KIND: 'fal',
        VIDEO_PROVIDERS__onefal__BASE_URL: `${url}/fal`,
        VIDEO_PROVIDERS__onefal__API_KEY: EMULATOR_KEY,
        VIDEO_PROVIDERS__onefal__MAX_RUNNING_JOBS: '1',
      }),
    });
  });
  after(async () => stack?.stop());

  test('8 requests to fal (2 at once): one job each, created in arrival order, never more than 2 at fal, the last one seeing its place fall', async () => {
    const before = await emulatorStats(stack.emulator);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await startVideo(stack.host, falBody(i)));
    const last = ids.at(-1)!;
    const seen: number[] = [];
    await until(
      'the last request admitted',
      () => video(stack, last),
      (view) => {
        if (view.admission?.state === 'waiting') {
          if (seen.at(-1) !== view.admission.position) seen.push(view.admission.position);
          assert.equal(view.admission.ahead, view.admission.position - 1);
        }
        return view.admission?.state === 'admitted' || view.phase === 'completed';
      },
    );
    const views = await Promise.all(ids.map((id) => waitForVideo(stack.host, id, 90_000)));
    for (const view of views) assert.equal(view.phase, 'completed', JSON.stringify(view));
    const stats = (await emulatorStats(stack.emulator)) as any;
    assert.equal(stats.creates.fal - (before as any).creates.fal, 8, 'exactly one fal job per request');
    assert.ok(stats.peakRunningJobs[FAL_MODEL] <= 2, `peak at fal ${stats.peakRunningJobs[FAL_MODEL]}`);
    const times = await createdAt(
      stack,
      views.map((v) => v.upstream.jobId),
    );
    // Admitted strictly in arrival order (below); two admitted at the same moment (two slots freed
    // together) may reach the provider a few ms apart in either order: their create activities race.
    times.forEach((t, i) =>
      assert.ok(
        i === 0 || t >= times[i - 1] - 250,
        `created in arrival order: ${times.map((x) => x - times[0]).join(',')}`,
      ),
    );
    assert.ok(seen.length >= 2 && seen[0] >= 3, `its place was shown: ${seen.join(',')}`);
    assert.ok(
      seen.every((p, i) => i === 0 || p < seen[i - 1]),
      `and only fell: ${seen.join(',')}`,
    );
    const line = await lineOf(stack, 'fal');
    assert.deepEqual([line.waiting, line.running], [[], []], 'nothing left holding a slot');
    assert.deepEqual(line.admitted.slice(-8), ids, 'admitted in arrival order');
  });

  test('a named instance with VIDEO_PROVIDERS__onefal__MAX_RUNNING_JOBS=1 runs its jobs one at a time, the others waiting in its own line', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await startVideo(stack.host, { ...falBody(i), provider: 'onefal' }));
    const third = await until(
      'the third request waiting behind the running one',
      () => video(stack, ids[2]),
      (view) => view.admission?.state === 'waiting' || view.phase === 'completed',
    );
    assert.equal(third.admission?.state, 'waiting', 'it waited (fal itself would run 2 at once)');
    const views = await Promise.all(ids.map((id) => waitForVideo(stack.host, id, 90_000)));
    for (const view of views) assert.equal(view.phase, 'completed', JSON.stringify(view));
    const jobs = await Promise.all(
      views.map(async (v) => (await call(`${stack.emulator.url}/_admin/jobs/${v.upstream.jobId}`)).body),
    );
    for (let i = 1; i < jobs.length; i++)
      assert.ok(
        jobs[i].createdAtMs >= jobs[i - 1].finishedAtMs,
        `job ${i} created ${jobs[i].createdAtMs - jobs[i - 1].finishedAtMs} ms after job ${i - 1} ended`,
      );
    const line = await lineOf(stack, 'onefal');
    assert.deepEqual(line.admitted, ids, 'its own line, in arrival order');
  });

  test('the turn comes back on every way out: failed, cancelled while waiting (never created), cancelled while running; the next ones still run', async () => {
    const before = (await emulatorStats(stack.emulator)) as any;
    const usageBefore = await usageOf(stack, 'azure-openai');
    const failing = await startVideo(stack.host, jobsBody('A forbidden scene.'));
    const running = await startVideo(stack.host, jobsBody('A long pier at dusk, cancelled while running.'));
    const other = await startVideo(stack.host, jobsBody('A windmill.'));
    const waiting = await startVideo(stack.host, jobsBody('A harbour, cancelled while waiting.'));
    const later = await startVideo(stack.host, jobsBody('A lantern, last in line.'));

    const waitingView = await until(
      'the fourth request waiting in line',
      () => video(stack, waiting),
      (view) => view.admission?.state === 'waiting',
    );
    assert.ok(waitingView.admission.position >= 1);
    const deleted = await call(`${stack.host.url}/api/videos/${waiting}`, { method: 'DELETE' });
    assert.equal(deleted.status, 202, deleted.text);
    assert.equal(deleted.body.upstreamJobId, null, 'nothing was created for it');

    await until(
      'the second request running at the provider',
      () => video(stack, running),
      (view) => Boolean(view.upstream?.jobId),
    );
    const cancelled = await call(`${stack.host.url}/api/videos/${running}`, { method: 'DELETE' });
    assert.equal(cancelled.status, 202, cancelled.text);

    const outcomes = await Promise.all(
      [failing, running, other, waiting, later].map((id) => waitForVideo(stack.host, id, 90_000)),
    );
    assert.deepEqual(
      outcomes.map((o) => o.phase),
      ['failed', 'cancelled', 'completed', 'cancelled', 'completed'],
      JSON.stringify(outcomes.map((o) => [o.phase, o.error])),
    );
    const after = (await emulatorStats(stack.emulator)) as any;
    assert.equal(
      after.creates.jobs - before.creates.jobs,
      4,
      'no job for the request cancelled while waiting',
    );
    const usage = await until(
      'the ledger counting all five requests',
      () => usageOf(stack, 'azure-openai'),
      (u) => u.requests - usageBefore.requests === 5,
      15_000,
    );
    assert.equal(
      usage.upstreamJobs - usageBefore.upstreamJobs,
      4,
      '/api/usage counts the jobs the provider made, not the request cancelled while waiting',
    );
    assert.ok(after.peakRunningJobs.sora <= 2, `peak ${after.peakRunningJobs.sora}`);
    const line = await until(
      'the line empty',
      () => lineOf(stack, 'azure-openai:sora'),
      (l) => l.running.length === 0 && l.waiting.length === 0,
      10_000,
    );
    assert.ok(!line.admitted.includes(waiting), 'the one cancelled while waiting was never admitted');
  });

  test("a budget smaller than the next request: 429 naming the budget with its reset time, nothing started; /api/usage sums equal the status views' costs", async () => {
    const veo3 = { provider: 'fal', model: 'fal-ai/veo3', prompt: 'A red kite over dunes.', seconds: 8 };
    const views = [];
    for (let i = 0; i < 2; i++)
      views.push(await waitForVideo(stack.host, await startVideo(stack.host, veo3), 90_000));
    for (const view of views) {
      assert.equal(view.phase, 'completed', JSON.stringify(view));
      assert.equal(view.cost.estimatedUsd, 3.2, '8 s with audio at $0.40');
      assert.match(view.cost.basis, /^delivered: 8 s/);
    }
    const before = (await emulatorStats(stack.emulator)) as any;
    const listed = (await call(`${stack.host.url}/api/videos?limit=100`)).body.items.length;
    const refused = await call(`${stack.host.url}/api/videos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(veo3),
    });
    assert.equal(refused.status, 429, refused.text);
    assert.equal(refused.headers.get('content-type'), 'application/problem+json');
    assert.equal(refused.body.type, 'urn:durable-video:problem:daily-budget-exceeded');
    assert.deepEqual(
      [refused.body.budgetUsd, refused.body.spentUsd, refused.body.estimatedUsd],
      [7, 6.4, 3.2],
    );
    const midnight = new Date((Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000).toISOString();
    assert.equal(refused.body.resetAt, midnight);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal(
      ((await emulatorStats(stack.emulator)) as any).creates.fal,
      before.creates.fal,
      'nothing created',
    );
    assert.equal(
      (await call(`${stack.host.url}/api/videos?limit=100`)).body.items.length,
      listed,
      'nothing started',
    );

    const today = new Date().toISOString().slice(0, 10);
    const usage = await until(
      'the delivered costs in the ledger',
      async () => (await call(`${stack.host.url}/api/usage?from=${today}&to=${today}&provider=fal`)).body,
      (body) => body.days?.[0]?.secondsDelivered >= 8 * 5 + 2 * 8,
      10_000,
    );
    const fal = usage.days.find((d: any) => d.provider === 'fal');
    assert.equal(
      fal.estimatedUsd,
      views.reduce((sum, v) => sum + v.cost.estimatedUsd, 0),
      'the sum of the status views',
    );
    assert.equal(fal.refusedByBudget, 1);
    assert.ok(fal.requests >= 2 && fal.upstreamJobs === fal.requests, JSON.stringify(fal));
    const bad = await call(`${stack.host.url}/api/usage?from=yesterday&provider=nobody`);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors.map((e: any) => e.field).sort(), ['from', 'provider']);
  });

  test('/api/usage answers for an ungoverned provider too: its requests, jobs, seconds and USD', async () => {
    const before = await usageOf(stack, 'openai');
    const id = await startVideo(stack.host, {
      provider: 'openai',
      model: 'sora-2',
      prompt: 'A kite over dunes.',
      seconds: 4,
      size: '720x1280',
    });
    const view = await waitForVideo(stack.host, id, 90_000);
    assert.equal(view.phase, 'completed', JSON.stringify(view));
    assert.equal(view.admission, undefined, 'no line: openai publishes no limit');
    const usage = await until(
      'the delivery in the ledger',
      () => usageOf(stack, 'openai'),
      (u) => u.secondsDelivered - before.secondsDelivered === 4,
      15_000,
    );
    assert.equal(usage.requests - before.requests, 1);
    assert.equal(usage.upstreamJobs - before.upstreamJobs, 1);
    if (view.cost)
      assert.equal(
        Math.round((usage.estimatedUsd - (before.estimatedUsd ?? 0)) * 100) / 100,
        view.cost.estimatedUsd,
        'the USD is the status view cost',
      );
    else assert.equal(usage.estimatedUsd, undefined, 'no price recorded: no USD');
  });

  test('the provider allows fewer than configured (the emulator set to 1 running job, the app to 2): the account backs off and completes everything, one job each', async () => {
    const patched = await call(`${stack.emulator.url}/_admin/config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      // Jobs long enough that the second create (the app allows 2) reaches the emulator while the
      // first still runs, however slow the machine.
      body: JSON.stringify({ maxRunningJobs: 1, timeScale: 0.4 }),
    });
    assert.equal(patched.status, 200, patched.text);
    try {
      const before = (await emulatorStats(stack.emulator)) as any;
      const ids: string[] = [];
      for (let i = 0; i < 6; i++)
        ids.push(await startVideo(stack.host, jobsBody(`A quiet canal, take ${i}.`)));
      const views = await Promise.all(ids.map((id) => waitForVideo(stack.host, id, 180_000)));
      for (const view of views) assert.equal(view.phase, 'completed', JSON.stringify(view));
      const after = (await emulatorStats(stack.emulator)) as any;
      assert.equal(after.creates.jobs - before.creates.jobs, 6, 'one job each: a refused create made none');
      const refused =
        (after.requests['POST /openai/v1/video/generations/jobs']?.['429'] ?? 0) -
        (before.requests['POST /openai/v1/video/generations/jobs']?.['429'] ?? 0);
      const line = (await lineOf(stack, 'azure-openai:sora')) as Line & { backoff?: { share: number } };
      assert.ok(
        line.backoff && line.backoff.share < 1,
        `the line lowered its limits (${refused} creates refused)`,
      );
    } finally {
      await call(`${stack.emulator.url}/_admin/config`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ maxRunningJobs: 2, timeScale: 0.08 }),
      });
    }
  });
});

describe('the host killed with 10 requests waiting and 2 running', () => {
  let stack: PipelineStack;
  before(async () => {
    stack = await startPipelineStack({
      emulator: { timeScale: 0.4, falConcurrency: 2 },
      settings: { FAL_MAX_RUNNING_JOBS: '2', FAL_CREATES_PER_MINUTE: '' },
    });
  });
  after(async () => stack?.stop());

  test('after a restart all 12 complete, one job each, never more than 2 at fal, and no slot left held', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await startVideo(stack.host, falBody(100 + i)));
    await until(
      '2 running and 10 waiting',
      () => lineOf(stack, 'fal'),
      (l) => l.running.length === 2 && l.waiting.length === 10,
      20_000,
    );
    await stack.host.kill('SIGKILL');
    await stack.restartHost();
    const views = await Promise.all(ids.map((id) => waitForVideo(stack.host, id, 180_000)));
    for (const view of views) assert.equal(view.phase, 'completed', JSON.stringify(view));
    const stats = (await emulatorStats(stack.emulator)) as any;
    assert.equal(stats.creates.fal, 12, 'one job per request, kill or not');
    assert.ok(stats.peakRunningJobs[FAL_MODEL] <= 2, `peak ${stats.peakRunningJobs[FAL_MODEL]}`);
    const line = await until(
      'the line empty',
      () => lineOf(stack, 'fal'),
      (l) => l.running.length === 0 && l.waiting.length === 0,
      10_000,
    );
    assert.deepEqual(line.admitted, ids, 'admitted in arrival order, across the restart');
  });
});
