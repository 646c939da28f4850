// generateVideo under the SDK's real replay, on a virtual clock (see replay-driver.ts):
// the polling pace against the quickstart's fixed loop, the deadline, the create retries and
// the cleanup, each with scripted activity answers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { VideoRequest } from '../../src/requests/video-request.js';
import type {
  GenerateVideoInput,
  JobResult,
  JobStage,
  JobSummary,
} from '../../src/orchestrations/contracts.js';
import { downloadRetry, generateVideo } from '../../src/orchestrations/generate-video.js';
import { retryDelayMs } from '../../emulators/functions-host/durable/actions.js';
import { drive, type ActivityCall } from './replay-driver.js';

// The orchestrator names no provider: these scripted jobs are this test's own model of a
// provider with stages (like Sora 1) and one with progress (like Sora 2).
const request: VideoRequest = {
  provider: 'azure-openai',
  kind: 'azure-openai',
  model: 'sora',
  prompt: 'A cat playing piano in a jazz bar.',
  size: '480x480',
  seconds: 5,
  variants: 1,
};
const input = (overrides: Partial<GenerateVideoInput> = {}): GenerateVideoInput => ({
  request,
  deadlineMinutes: 30,
  poll: { minSeconds: 2, maxSeconds: 30 },
  ...overrides,
});

/** A Sora job on the virtual clock: queued for `queuedMs`, then running until `doneMs` after creation. */
function soraJob(options: {
  queuedMs: number;
  doneMs: number;
  outcome?: 'succeeded' | 'failed';
  createdAt?: number;
}) {
  let createdAt = 0;
  const snapshot = (at: number): JobSummary => {
    const age = at - createdAt;
    const phase =
      age >= options.doneMs
        ? (options.outcome ?? 'succeeded')
        : age >= options.queuedMs
          ? 'running'
          : 'queued';
    return {
      jobId: 'task_1',
      phase,
      stage: phase === 'queued' ? 'waiting' : 'working',
      status: phase,
      createdAt: Math.floor(createdAt / 1000),
      outputIds: phase === 'succeeded' ? ['gen_1'] : [],
      failure: phase === 'failed' ? 'internal_error' : undefined,
    };
  };
  return (call: ActivityCall): unknown => {
    switch (call.name) {
      case 'createVideoJob':
        createdAt = call.at;
        return { ok: true, job: snapshot(call.at) } satisfies JobResult;
      case 'getVideoJobStatus':
        return { ok: true, job: snapshot(call.at) } satisfies JobResult;
      case 'downloadVideo':
        return {
          ok: true,
          video: { outputId: 'gen_1', blobName: 'i/gen_1.mp4', bytes: 10, contentType: 'video/mp4' },
        };
      case 'cancelVideoJob':
        return { ok: true };
      default:
        throw new Error(`unexpected activity ${call.name}`);
    }
  };
}

const count = (calls: ActivityCall[], name: string) => calls.filter((c) => c.name === name).length;

describe('polling pace against the quickstart fixed 5 s loop (virtual clock)', () => {
  // Jobs of 40 s to about 5 minutes (real Sora: 1–5 minutes), off the fixed loop's 5 s grid.
  const durations = Array.from({ length: 25 }, (_, i) => 40_000 + i * 10_000 + ((i * 1700) % 5000));
  // This test's own model of Sora's stages (not the emulator's): shares of the job's time.
  const STAGES: [string, number][] = [
    ['queued', 0.05],
    ['preprocessing', 0.2],
    ['running', 0.55],
    ['processing', 0.2],
  ];
  const jobsStatus = (fraction: number) => {
    let edge = 0;
    for (const [status, share] of STAGES) if (fraction < (edge += share)) return status;
    return 'succeeded';
  };

  /** Which of this test's statuses are waiting, working or finishing (the adapter's mapping). */
  const STAGE_OF: Record<string, JobStage> = {
    queued: 'waiting',
    preprocessing: 'waiting',
    running: 'working',
    processing: 'finishing',
    in_progress: 'working',
    succeeded: 'working',
    completed: 'working',
  };

  /** How far along a Sora 2 job says it is, given the share of its running time spent. */
  type ProgressShape = (share: number) => number;
  const linear: ProgressShape = (share) => share;

  /** A job of `doneMs`: Sora 1 reports stages, Sora 2 reports queued then progress 0-100. */
  function scriptedJob(family: 'jobs' | 'videos', doneMs: number, shape: ProgressShape = linear) {
    let createdAt = 0;
    const snapshot = (at: number): JobSummary => {
      const fraction = (at - createdAt) / doneMs;
      const done = fraction >= 1;
      const soraStatus =
        family === 'jobs'
          ? jobsStatus(fraction)
          : done
            ? 'completed'
            : fraction < 0.05
              ? 'queued'
              : 'in_progress';
      const progress =
        family === 'videos' && !done && fraction >= 0.05
          ? Math.floor(shape((fraction - 0.05) / 0.95) * 100)
          : undefined;
      return {
        jobId: 'job_1',
        phase: done ? 'succeeded' : soraStatus === 'queued' ? 'queued' : 'running',
        stage: STAGE_OF[soraStatus],
        status: soraStatus,
        progress,
        createdAt: Math.floor(createdAt / 1000),
        outputIds: done ? ['gen_1'] : [],
      };
    };
    return (call: ActivityCall): unknown => {
      if (call.name === 'createVideoJob') createdAt = call.at;
      if (call.name === 'createVideoJob' || call.name === 'getVideoJobStatus')
        return { ok: true, job: snapshot(call.at) } satisfies JobResult;
      if (call.name === 'downloadVideo')
        return {
          ok: true,
          video: { outputId: 'gen_1', blobName: 'i/gen_1.mp4', bytes: 10, contentType: 'video/mp4' },
        };
      throw new Error(`unexpected activity ${call.name}`);
    };
  }

  async function measure(
    family: 'jobs' | 'videos',
    poll: GenerateVideoInput['poll'],
    shape: ProgressShape = linear,
  ) {
    const sized: VideoRequest =
      family === 'jobs' ? request : { ...request, model: 'sora-2', size: '1280x720', seconds: 4 };
    const results = [];
    for (const doneMs of durations) {
      const run = await drive(
        generateVideo,
        input({ request: sized, poll }),
        scriptedJob(family, doneMs, shape),
      );
      assert.ok(run.output, run.error);
      const created = run.calls.find((c) => c.name === 'createVideoJob')!.at;
      const seen = run.calls.find((c) => c.name === 'downloadVideo')!.at;
      results.push({
        calls: count(run.calls, 'getVideoJobStatus'),
        lateness: (seen - created - doneMs) / 1000,
      });
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    return { calls: mean(results.map((r) => r.calls)), lateness: mean(results.map((r) => r.lateness)) };
  }
  const describeRun = (r: { calls: number; lateness: number }) =>
    `${r.calls.toFixed(1)} calls, ${r.lateness.toFixed(2)} s late`;

  test('Sora 2 (progress reported): at most a third of the calls and half the lateness of the fixed loop', async () => {
    const ours = await measure('videos', { minSeconds: 2, maxSeconds: 30 });
    const fixed = await measure('videos', { minSeconds: 5, maxSeconds: 5 });
    assert.ok(fixed.lateness > 2, `the fixed loop is ~2.5 s late on average (${describeRun(fixed)})`);
    assert.ok(ours.calls <= fixed.calls / 3, `ours ${describeRun(ours)} vs fixed ${describeRun(fixed)}`);
    assert.ok(
      ours.lateness <= fixed.lateness / 2,
      `ours ${describeRun(ours)} vs fixed ${describeRun(fixed)}`,
    );
  });

  // Sora does not promise that progress is linear; the policy re-estimates at every poll.
  for (const [name, shape] of [
    ['slows down near the end', Math.sqrt],
    ['speeds up near the end', (share: number) => share ** 2],
  ] as const) {
    test(`Sora 2 progress that ${name}: still fewer calls, and never later than the fixed loop`, async () => {
      const ours = await measure('videos', { minSeconds: 2, maxSeconds: 30 }, shape);
      const fixed = await measure('videos', { minSeconds: 5, maxSeconds: 5 }, shape);
      assert.ok(ours.calls <= fixed.calls / 2, `ours ${describeRun(ours)} vs fixed ${describeRun(fixed)}`);
      assert.ok(ours.lateness <= fixed.lateness, `ours ${describeRun(ours)} vs fixed ${describeRun(fixed)}`);
    });
  }

  test('Sora 1 (stages only): fewer calls and at most half the lateness', async () => {
    const ours = await measure('jobs', { minSeconds: 2, maxSeconds: 30 });
    const fixed = await measure('jobs', { minSeconds: 5, maxSeconds: 5 });
    // Without progress, the final "processing" stage is watched at the minimum interval, so
    // the calls are fewer but not a third (bench/README.md has the figures on the emulator).
    assert.ok(ours.calls < fixed.calls, `ours ${describeRun(ours)} vs fixed ${describeRun(fixed)}`);
    assert.ok(
      ours.lateness <= fixed.lateness / 2,
      `ours ${describeRun(ours)} vs fixed ${describeRun(fixed)}`,
    );
  });
});

describe('the deadline', () => {
  test('a job that never finishes is cancelled at the deadline; the history stays bounded', async () => {
    const run = await drive(
      generateVideo,
      input(),
      soraJob({ queuedMs: 5000, doneMs: Number.POSITIVE_INFINITY }),
    );
    assert.match(
      run.error ?? '',
      /^Timed out after 30 minutes: the azure-openai job task_1 was still running; it was cancelled/,
    );
    assert.equal(count(run.calls, 'cancelVideoJob'), 1);
    assert.equal(count(run.calls, 'downloadVideo'), 0);
    const elapsed = run.endedAt - run.calls[0].at;
    assert.ok(elapsed >= 30 * 60_000 && elapsed < 31 * 60_000, `ended after ${elapsed / 60_000} minutes`);
    assert.ok(
      count(run.calls, 'getVideoJobStatus') <= 100,
      `${count(run.calls, 'getVideoJobStatus')} status calls`,
    );
    // Each poll is two episodes of four events (timer, then status call): ~8 events a poll.
    assert.ok(run.history.length <= 8 * 100 + 20, `${run.history.length} history events`);
    assert.ok(
      run.timers.every((t) => t.fireAt - run.calls[0].at <= 30 * 60_000 + 1000),
      'no timer set beyond the deadline',
    );
  });
});

describe('a Sora 2 job whose progress stops at 99 %', () => {
  test('is paced by the overdue rule once past its estimate: bounded calls and history before the deadline', async () => {
    const sora2: VideoRequest = { ...request, model: 'sora-2', size: '1280x720', seconds: 4 };
    let createdAt = 0;
    const snapshot = (at: number): JobSummary => ({
      jobId: 'video_1',
      phase: 'running',
      stage: 'working',
      status: 'in_progress',
      createdAt: Math.floor(createdAt / 1000),
      outputIds: [],
      // 1 point every 0.6 s from 5 s on, then stuck at 99 from about a minute.
      progress: Math.min(99, Math.max(0, Math.floor((at - createdAt - 5000) / 600))),
    });
    const run = await drive(generateVideo, input({ request: sora2 }), (call) => {
      if (call.name === 'createVideoJob') createdAt = call.at;
      if (call.name === 'createVideoJob' || call.name === 'getVideoJobStatus')
        return { ok: true, job: snapshot(call.at) } satisfies JobResult;
      if (call.name === 'cancelVideoJob') return { ok: true };
      throw new Error(`unexpected activity ${call.name}`);
    });
    assert.match(
      run.error ?? '',
      /^Timed out after 30 minutes: the azure-openai job video_1 was still in_progress; it was cancelled/,
    );
    const polls = count(run.calls, 'getVideoJobStatus');
    assert.ok(polls <= 100, `${polls} status calls for a job stuck at 99 % for 29 minutes`);
    assert.ok(run.history.length <= 8 * 100 + 20, `${run.history.length} history events`);
  });
});

describe('creating the job', () => {
  test('429 waits as long as retry-after says; a transient error backs off; then it goes on', async () => {
    const job = soraJob({ queuedMs: 1000, doneMs: 20_000 });
    const answers: JobResult[] = [
      { ok: false, kind: 'transient', status: 429, retryAfterSeconds: 7, message: 'Too many running tasks' },
      { ok: false, kind: 'transient', status: 503, message: 'unavailable' },
    ];
    const run = await drive(generateVideo, input(), (call) =>
      call.name === 'createVideoJob' && answers.length ? answers.shift() : job(call),
    );
    assert.ok(run.output, run.error);
    const creates = run.calls.filter((c) => c.name === 'createVideoJob').map((c) => c.at);
    assert.equal(creates.length, 3);
    assert.equal(creates[1] - creates[0], 7000, 'retry-after honoured');
    assert.equal(creates[2] - creates[1], 4000, 'second consecutive error: 2 × the minimum');
  });

  test('a refusal fails at once with the reason and creates nothing more', async () => {
    const run = await drive(generateVideo, input(), (call) => {
      if (call.name === 'createVideoJob')
        return {
          ok: false,
          kind: 'content-filtered',
          status: 400,
          code: 'content_filter',
          message: 'The prompt was filtered',
        } satisfies JobResult;
      throw new Error(`unexpected ${call.name}`);
    });
    assert.match(
      run.error ?? '',
      /^azure-openai refused the video request: The prompt was filtered \(HTTP 400, content_filter\)/,
    );
    assert.equal(run.calls.length, 1);
    assert.equal(run.timers.length, 0);
  });
});

describe('endings', () => {
  test('a failed Sora job is cleaned up and reported with its reason', async () => {
    const run = await drive(
      generateVideo,
      input(),
      soraJob({ queuedMs: 1000, doneMs: 10_000, outcome: 'failed' }),
    );
    assert.match(run.error ?? '', /The azure-openai job task_1 failed: internal_error/);
    assert.deepEqual(run.calls.at(-1), {
      name: 'cancelVideoJob',
      input: { provider: 'azure-openai', model: 'sora', jobId: 'task_1', instanceId: 'driver-instance' },
      at: run.calls.at(-1)!.at,
    });
  });

  test('success outputs blob references and the custom status tracked every step', async () => {
    const run = await drive(generateVideo, input(), soraJob({ queuedMs: 3000, doneMs: 30_000 }));
    assert.deepEqual(run.output, {
      provider: 'azure-openai',
      model: 'sora',
      jobId: 'task_1',
      polls: count(run.calls, 'getVideoJobStatus'),
      events: 0,
      videos: [{ outputId: 'gen_1', blobName: 'i/gen_1.mp4', bytes: 10, contentType: 'video/mp4' }],
    });
    const phases = [...new Set(run.customStatuses.map((s) => (s as { phase: string }).phase))];
    assert.deepEqual(phases, ['creating', 'queued', 'running', 'downloading']);
    const download = run.calls.find((c) => c.name === 'downloadVideo')!;
    assert.deepEqual(download.input, {
      provider: 'azure-openai',
      model: 'sora',
      jobId: 'task_1',
      instanceId: 'driver-instance',
      outputId: 'gen_1',
      size: '480x480',
      seconds: 5,
    });
  });
});

describe('a provider webhook raced against the fallback poll', () => {
  const start = Date.parse('2026-01-01T00:00:00Z');
  const doneAt = start + 42_000;
  /** A job that finishes at doneAt; the create says its provider will POST a webhook. */
  function webhookJob(webhook: boolean) {
    const snapshot = (at: number): JobSummary =>
      at >= doneAt
        ? {
            jobId: 'job_1',
            phase: 'succeeded',
            status: 'succeeded',
            createdAt: start / 1000,
            outputIds: ['out_1'],
          }
        : {
            jobId: 'job_1',
            phase: 'running',
            stage: 'working',
            status: 'processing',
            createdAt: start / 1000,
            outputIds: [],
          };
    return (call: ActivityCall): unknown => {
      if (call.name === 'createVideoJob')
        return { ok: true, job: snapshot(call.at), webhook } satisfies JobResult;
      if (call.name === 'getVideoJobStatus') return { ok: true, job: snapshot(call.at) } satisfies JobResult;
      if (call.name === 'downloadVideo')
        return {
          ok: true,
          video: { outputId: 'out_1', blobName: 'i/out_1.mp4', bytes: 10, contentType: 'video/mp4' },
        };
      throw new Error(`unexpected activity ${call.name}`);
    };
  }
  const finished = {
    jobId: 'job_1',
    phase: 'succeeded',
    status: 'succeeded',
    createdAt: start / 1000,
    outputIds: ['out_1'],
  } satisfies JobSummary;
  const webhookAt = (at: number) => [{ name: 'upstreamJobEvent', at, data: finished }];

  test('the event ends the wait at once: one status read confirms it, downloaded at the finish', async () => {
    const run = await drive(generateVideo, input(), webhookJob(true), {
      startAt: start,
      events: webhookAt(doneAt),
    });
    assert.ok(run.output, run.error);
    assert.deepEqual(
      run.calls.filter((c) => c.name === 'getVideoJobStatus').map((c) => c.at),
      [doneAt],
      'one confirming read, at the event',
    );
    assert.equal(run.calls.find((c) => c.name === 'downloadVideo')!.at, doneAt, 'no lateness at all');
    assert.deepEqual(
      [(run.output as { events: number }).events, (run.output as { polls: number }).polls],
      [1, 1],
    );
  });

  test('an event raised before the orchestrator waits is not lost (durable buffers it)', async () => {
    const run = await drive(generateVideo, input(), webhookJob(true), {
      startAt: start,
      events: webhookAt(start),
    });
    assert.ok(run.output, run.error);
    assert.equal((run.output as { events: number }).events, 1);
    assert.equal(run.calls.find((c) => c.name === 'getVideoJobStatus')!.at, start, 'read at once');
  });

  // Events belong to their run's job (a security review's item 5), under the SDK's real replay.
  test("an early signed 'succeeded' (outputs not ready) goes back to polling instead of failing", async () => {
    const early = start + 10_000;
    const run = await drive(generateVideo, input(), webhookJob(true), {
      startAt: start,
      events: webhookAt(early),
    });
    assert.ok(run.output, run.error);
    const reads = run.calls.filter((c) => c.name === 'getVideoJobStatus').map((c) => c.at);
    assert.equal(reads[0], early, 'the event is confirmed by a read at once');
    assert.ok(reads.length >= 2, 'then polled until the job really finished');
    const download = run.calls.find((c) => c.name === 'downloadVideo')!;
    assert.ok(download.at >= doneAt, 'nothing downloaded before the job finished');
    assert.equal((run.output as { events: number }).events, 1);
  });

  test("an event for another job (an earlier run's late delivery) is ignored: nothing read, nothing counted", async () => {
    const stray = { ...finished, jobId: 'job_of_an_earlier_run', phase: 'failed', failure: 'old' } as const;
    const run = await drive(generateVideo, input(), webhookJob(true), {
      startAt: start,
      events: [
        { name: 'upstreamJobEvent', at: start + 5_000, data: stray },
        { name: 'upstreamJobEvent', at: start + 6_000, data: { ...finished, jobId: 'another_job' } },
        ...webhookAt(doneAt),
      ],
    });
    assert.ok(run.output, run.error);
    assert.equal((run.output as { events: number }).events, 1, 'only its own job counts');
    assert.deepEqual(
      run.calls.filter((c) => c.name === 'getVideoJobStatus').map((c) => c.at),
      [doneAt],
      'no read for the stray events',
    );
    assert.equal(run.calls.find((c) => c.name === 'downloadVideo')!.at, doneAt);
  });

  test('every webhook lost: the request still finishes by polling, the first poll no sooner than 4 × the longest interval', async () => {
    const run = await drive(generateVideo, input(), webhookJob(true), { startAt: start });
    assert.ok(run.output, run.error);
    const polls = run.calls.filter((c) => c.name === 'getVideoJobStatus').map((c) => c.at - start);
    assert.ok(polls.length >= 1);
    assert.equal(polls[0], 4 * 30_000, 'the fallback poll: 4 × POLL_MAX_SECONDS');
  });

  test('without a webhook the adaptive policy polls as before, and events are 0', async () => {
    const run = await drive(generateVideo, input(), webhookJob(false), {
      startAt: start,
      events: webhookAt(doneAt),
    });
    assert.ok(run.output, run.error);
    assert.ok(count(run.calls, 'getVideoJobStatus') >= 1);
    assert.equal((run.output as { events: number }).events, 0, 'an event nobody asked for is not awaited');
  });
});

describe('the orchestrator checks its own input', () => {
  test('a request that did not pass the starter (6,000 characters with NUL and ESC) fails before any activity', async () => {
    const bad = {
      ...request,
      prompt: `${'a'.repeat(5998)}\u0000\u001b`,
      callbackUrl: 'http://169.254.169.254/',
    };
    const run = await drive(generateVideo, input({ request: bad }), () => {
      throw new Error('no activity may run');
    });
    assert.match(run.error ?? '', /Refused an invalid request/);
    assert.deepEqual(run.calls, [], 'nothing created, nothing notified');
  });
  test('a well-formed request still runs', async () => {
    const run = await drive(generateVideo, input(), soraJob({ queuedMs: 1000, doneMs: 5000 }));
    assert.ok(run.output, run.error);
  });
});

describe('download retries', () => {
  /** When the last retry of `options` starts, after the first attempt (the extension's schedule). */
  const lastRetryAfter = (options: NonNullable<ActivityCall['retryOptions']>) => {
    let spent = 0;
    for (let failures = 1; failures < options.maxNumberOfAttempts; failures++)
      spent += retryDelayMs(options, failures, 0, 0);
    return spent;
  };

  test('a failing download is retried until the request deadline, not a fixed four times', async () => {
    const run = await drive(generateVideo, input(), soraJob({ queuedMs: 3000, doneMs: 30_000 }));
    const download = run.calls.find((c) => c.name === 'downloadVideo')!;
    const retry = download.retryOptions!;
    assert.ok(retry, 'the download is called with retry');
    const timeLeft = run.calls[0].at + 30 * 60_000 - download.at;
    assert.ok(retry.maxNumberOfAttempts > 4, `attempts: ${retry.maxNumberOfAttempts}`);
    assert.ok(lastRetryAfter(retry) <= timeLeft, 'every retry starts before the deadline');
    assert.ok(
      lastRetryAfter(retry) + (retry.maxRetryIntervalInMilliseconds ?? Infinity) > timeLeft,
      'and one more would not: the retries fill the time left',
    );
  });

  test('with the deadline near, a download still gets four attempts', () => {
    for (const timeLeft of [-60_000, 0, 5_000]) {
      const retry = downloadRetry(timeLeft);
      assert.equal(retry.maxNumberOfAttempts, 4, `time left ${timeLeft} ms`);
    }
    assert.equal(downloadRetry(2000 + 4000 + 8000 + 16_000).maxNumberOfAttempts, 5);
  });
});

describe('a request with an uploaded image', () => {
  const withUpload: VideoRequest = {
    ...request,
    provider: 'fal',
    kind: 'fal',
    model: 'fal-ai/kling-video/v2.1/standard/image-to-video',
    size: 'auto',
    image: { uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA' },
    imageRole: 'first-frame',
  };

  test('holds the upload until the deadline before creating; the create gets only the upload id', async () => {
    const job = soraJob({ queuedMs: 1000, doneMs: 20_000 });
    const startAt = Date.parse('2026-01-01T00:00:00Z');
    const run = await drive(
      generateVideo,
      input({ request: withUpload }),
      (call) => (call.name === 'holdUpload' ? null : job(call)),
      { startAt },
    );
    assert.ok(run.output, run.error);
    const names = run.calls.map((c) => c.name);
    assert.equal(names[0], 'holdUpload', names.join(', '));
    assert.ok(names.indexOf('createVideoJob') > 0);
    assert.deepEqual(run.calls[0].input, {
      uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA',
      untilIso: new Date(startAt + 30 * 60_000).toISOString(),
    });
    const create = run.calls.find((c) => c.name === 'createVideoJob')!.input as { request: VideoRequest };
    assert.deepEqual(create.request.image, { uploadId: 'upl_AAAAAAAAAAAAAAAAAAAAAA' });
    // Nothing signed reaches the history: the image is its upload id throughout.
    assert.ok(!JSON.stringify(run.history).includes('sig='));
  });

  test('the hold is retried by the extension (a storage hiccup does not fail the request)', async () => {
    const job = soraJob({ queuedMs: 1000, doneMs: 20_000 });
    const run = await drive(generateVideo, input({ request: withUpload }), (call) =>
      call.name === 'holdUpload' ? null : job(call),
    );
    const hold = run.calls.find((c) => c.name === 'holdUpload')!;
    assert.equal(hold.retryOptions?.maxNumberOfAttempts, 3);
  });

  test('a linked image needs no hold', async () => {
    const job = soraJob({ queuedMs: 1000, doneMs: 20_000 });
    const run = await drive(
      generateVideo,
      input({ request: { ...withUpload, image: { url: 'https://images.example.com/cat.png' } } }),
      job,
    );
    assert.ok(run.output, run.error);
    assert.equal(count(run.calls, 'holdUpload'), 0);
  });
});
