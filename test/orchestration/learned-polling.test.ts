// generateVideo with learned job durations, under the SDK's real replay on a virtual clock (see
// replay-driver.ts): readJobDurations answers an estimate, none, or fails; the scripted job is
// this test's own model of a provider that reports no progress and, when done, how long its run
// took (as fal does) or when it started and ended (as Replicate does).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  estimateOf,
  MAX_SAMPLES,
  quantileOf,
  type DurationEstimate,
} from '../../src/orchestrations/duration-estimate.js';
import type {
  GenerateVideoInput,
  GenerateVideoProgress,
  JobDurationSample,
  JobResult,
  JobSummary,
} from '../../src/orchestrations/contracts.js';
import { generateVideo } from '../../src/orchestrations/generate-video.js';
import { LEARNED_FIRST_WAIT_FACTOR } from '../../src/orchestrations/poll-policy.js';
import type { VideoRequest } from '../../src/requests/video-request.js';
import { drive, type ActivityCall, type DriverRun } from './replay-driver.js';

const request: VideoRequest = {
  provider: 'queue',
  kind: 'fal',
  model: 'some/video-model',
  prompt: 'A cat playing piano in a jazz bar.',
  size: '16:9',
  seconds: 5,
  variants: 1,
};
const input: GenerateVideoInput = {
  request,
  deadlineMinutes: 30,
  poll: { minSeconds: 2, maxSeconds: 30 },
  learnDurations: true,
};
const start = Date.parse('2026-01-01T00:00:00Z');

/** Durations like the bench's: 90 s ± 30 %, evenly spread. */
const warmUp = Array.from({ length: MAX_SAMPLES }, (_, i) => 63 + (54 * i) / (MAX_SAMPLES - 1));
const estimate = estimateOf(warmUp, 'started')!;

type Durations = DurationEstimate | null | 'fails';

/** A job ending `doneMs` after its create; `times`: which finish times the provider reports. */
function scriptedJob(
  doneMs: number,
  durations: Durations,
  times: 'run' | 'start-finish' = 'run',
  progress = false,
) {
  let createdAt = 0;
  const snapshot = (at: number): JobSummary => {
    const age = at - createdAt;
    if (age < doneMs)
      return {
        jobId: 'job_1',
        phase: 'running',
        stage: 'working',
        status: 'IN_PROGRESS',
        ...(times === 'start-finish' ? { createdAt: createdAt / 1000, startedAt: createdAt / 1000 } : {}),
        ...(progress ? { progress: Math.floor((100 * age) / doneMs) } : {}),
        outputIds: [],
      };
    return {
      jobId: 'job_1',
      phase: 'succeeded',
      status: 'COMPLETED',
      outputIds: ['video'],
      ...(times === 'run'
        ? { runSeconds: doneMs / 1000 }
        : {
            createdAt: createdAt / 1000,
            startedAt: createdAt / 1000 + 2,
            finishedAt: (createdAt + doneMs) / 1000,
          }),
    };
  };
  return (call: ActivityCall): unknown => {
    switch (call.name) {
      case 'createVideoJob':
        createdAt = call.at;
        return { ok: true, job: snapshot(call.at) } satisfies JobResult;
      case 'readJobDurations':
        if (durations === 'fails') throw new Error('storage unavailable');
        return durations;
      case 'getVideoJobStatus':
        return { ok: true, job: snapshot(call.at) } satisfies JobResult;
      case 'downloadVideo':
        return {
          ok: true,
          video: { outputId: 'video', blobName: 'i/video.mp4', bytes: 10, contentType: 'video/mp4' },
        };
      case 'recordJobDuration':
      case 'cancelVideoJob':
        return { ok: true };
      default:
        throw new Error(`unexpected activity ${call.name}`);
    }
  };
}

const named = (run: DriverRun, name: string) => run.calls.filter((c) => c.name === name);
const statusCalls = (run: DriverRun) => named(run, 'getVideoJobStatus').length;
const lateness = (run: DriverRun, doneMs: number) =>
  (named(run, 'downloadVideo')[0].at - named(run, 'createVideoJob')[0].at - doneMs) / 1000;

describe('polling with learned durations (replayed)', () => {
  const doneMs = 97_300;

  test('present: no call before the fastest job of the kind could end, then close behind the finish', async () => {
    const run = await drive(generateVideo, input, scriptedJob(doneMs, estimate), { startAt: start });
    assert.ok(run.output, run.error);
    const polls = named(run, 'getVideoJobStatus').map((c) => (c.at - start) / 1000);
    const fastest = quantileOf(estimate, 0);
    // The create answered the job working, so its start is known: waits of up to
    // LEARNED_FIRST_WAIT_FACTOR × the max until the fastest end (none at 30 s).
    const longest = LEARNED_FIRST_WAIT_FACTOR * input.poll.maxSeconds;
    assert.equal(
      polls.filter((at) => at <= fastest).length,
      Math.ceil(fastest / longest) - 1,
      `polls ${polls}`,
    );
    assert.ok(lateness(run, doneMs) < 5, `${lateness(run, doneMs)} s late`);
    // The kind is asked once, right after the create, with the request's kind.
    assert.deepEqual(
      run.calls.slice(0, 2).map((c) => c.name),
      ['createVideoJob', 'readJobDurations'],
    );
    assert.deepEqual(named(run, 'readJobDurations')[0].input, {
      provider: 'queue',
      model: 'some/video-model',
      size: '16:9',
      seconds: 5,
      variants: 1,
    });
  });

  test('on jobs spread like the estimate: as early as a fixed 5 s loop with half its calls; far earlier than without', async () => {
    // 25 jobs evenly over the kind's range, off the 5 s grid.
    const jobs = Array.from({ length: 25 }, (_, i) => 63_700 + i * 2_170);
    const arms = { learned: { estimate, poll: input.poll }, absent: { estimate: null, poll: input.poll } };
    const fixedPoll = { minSeconds: 5, maxSeconds: 5 };
    const totals = { learned: [0, 0], absent: [0, 0], fixed: [0, 0] };
    for (const ms of jobs) {
      for (const [arm, setup] of [
        ['learned', arms.learned],
        ['absent', arms.absent],
        ['fixed', { estimate: null, poll: fixedPoll }],
      ] as const) {
        const run = await drive(
          generateVideo,
          { ...input, poll: setup.poll },
          scriptedJob(ms, setup.estimate),
          {
            startAt: start,
          },
        );
        assert.ok(run.output, run.error);
        totals[arm][0] += lateness(run, ms) / jobs.length;
        totals[arm][1] += statusCalls(run) / jobs.length;
      }
    }
    const detail = Object.entries(totals)
      .map(([arm, [late, calls]]) => `${arm} ${late.toFixed(2)} s late, ${calls.toFixed(1)} calls`)
      .join('; ');
    assert.ok(totals.learned[0] <= totals.fixed[0], detail);
    assert.ok(totals.learned[1] <= totals.fixed[1] / 2, detail);
    assert.ok(totals.absent[0] > totals.learned[0] + 5, detail);
  });

  test('absent or unreadable: paced exactly as today (the same timers), and no expectedReadyAt', async () => {
    const none = await drive(generateVideo, input, scriptedJob(doneMs, null), { startAt: start });
    const fails = await drive(generateVideo, input, scriptedJob(doneMs, 'fails'), { startAt: start });
    assert.ok(none.output && fails.output, none.error ?? fails.error);
    assert.deepEqual(
      fails.timers.map((t) => t.fireAt - t.createdAt),
      none.timers.map((t) => t.fireAt - t.createdAt),
    );
    // Today's first wait: half the built-in estimate of a 5 s 16:9 job, capped at 30 s.
    assert.equal(none.timers[0].fireAt - none.timers[0].createdAt, 30_000);
    for (const run of [none, fails])
      assert.ok(
        run.customStatuses.every((s) => (s as GenerateVideoProgress).expectedReadyAt === undefined),
        'no estimate, no expected time',
      );
  });

  test('present: the status shows when the job most likely ends, moving on as the job ages', async () => {
    const run = await drive(generateVideo, input, scriptedJob(doneMs, estimate), { startAt: start });
    const expected = run.customStatuses
      .map((s) => (s as GenerateVideoProgress).expectedReadyAt)
      .filter((at): at is string => at !== undefined)
      .map((at) => (Date.parse(at) - start) / 1000);
    assert.ok(expected.length >= 2);
    assert.ok(Math.abs(expected[0] - quantileOf(estimate, 0.5)) < 0.01, `first: the median ${expected[0]} s`);
    assert.ok(expected.at(-1)! > expected[0], 'later: the median of the jobs still running then');
    const last = run.customStatuses.at(-1) as GenerateVideoProgress;
    assert.equal(last.expectedReadyAt, undefined, 'cleared once the job ended');
  });

  test('the finished job is recorded for its kind: its run alone, or start to finish', async () => {
    const run = await drive(generateVideo, input, scriptedJob(doneMs, null), { startAt: start });
    assert.deepEqual(named(run, 'recordJobDuration')[0].input as JobDurationSample, {
      kind: { provider: 'queue', model: 'some/video-model', size: '16:9', seconds: 5, variants: 1 },
      seconds: doneMs / 1000,
      clock: 'started',
    });
    const timed = await drive(generateVideo, input, scriptedJob(doneMs, null, 'start-finish'), {
      startAt: start,
    });
    assert.equal(
      (named(timed, 'recordJobDuration')[0].input as JobDurationSample).seconds,
      doneMs / 1000 - 2,
    );
  });

  test('recording fails: the request still completes with its video', async () => {
    const answer = scriptedJob(doneMs, estimate);
    const run = await drive(
      generateVideo,
      input,
      (call) => {
        if (call.name === 'recordJobDuration') throw new Error('storage unavailable');
        return answer(call);
      },
      { startAt: start },
    );
    assert.ok(run.output, run.error);
    assert.equal(named(run, 'recordJobDuration').length, 1);
  });

  test('a job reporting progress is paced by it as today, estimate or not', async () => {
    const withEstimate = await drive(generateVideo, input, scriptedJob(doneMs, estimate, 'run', true), {
      startAt: start,
    });
    const without = await drive(generateVideo, input, scriptedJob(doneMs, null, 'run', true), {
      startAt: start,
    });
    assert.ok(withEstimate.output && without.output);
    assert.deepEqual(
      withEstimate.timers.map((t) => t.fireAt - t.createdAt),
      without.timers.map((t) => t.fireAt - t.createdAt),
    );
  });

  test('a failed job teaches nothing', async () => {
    const answer = scriptedJob(doneMs, estimate);
    const run = await drive(
      generateVideo,
      input,
      (call) => {
        const result = answer(call) as JobResult;
        if (call.name === 'getVideoJobStatus' && result.ok && result.job.phase === 'succeeded')
          return { ok: true, job: { ...result.job, phase: 'failed', failure: 'model error' } };
        return result;
      },
      { startAt: start },
    );
    assert.match(run.error ?? '', /failed: model error/);
    assert.equal(named(run, 'recordJobDuration').length, 0);
  });
});

/** A job queued for `queueMs` after its create, then working until `doneMs` after it; `reports`
 * which times the provider gives: only the run's length at the end (fal), or only its creation
 * and end (the Azure jobs API). */
function queuedJob(
  queueMs: number,
  doneMs: number,
  durations: Durations,
  reports: 'run' | 'created-finished',
) {
  let createdAt = 0;
  const times =
    reports === 'created-finished'
      ? () => ({ createdAt: createdAt / 1000 })
      : () => ({}) as Partial<JobSummary>;
  const snapshot = (at: number): JobSummary => {
    const age = at - createdAt;
    if (age < queueMs)
      return {
        jobId: 'job_1',
        phase: 'queued',
        stage: 'waiting',
        status: 'IN_QUEUE',
        ...times(),
        outputIds: [],
      };
    if (age < doneMs)
      return {
        jobId: 'job_1',
        phase: 'running',
        stage: 'working',
        status: 'IN_PROGRESS',
        ...times(),
        outputIds: [],
      };
    return {
      jobId: 'job_1',
      phase: 'succeeded',
      status: 'COMPLETED',
      outputIds: ['video'],
      ...(reports === 'run'
        ? { runSeconds: (doneMs - queueMs) / 1000 }
        : { ...times(), finishedAt: (createdAt + doneMs) / 1000 }),
    };
  };
  const answer = scriptedJob(doneMs, durations);
  return (call: ActivityCall): unknown => {
    if (call.name === 'createVideoJob') createdAt = call.at;
    if (call.name === 'createVideoJob' || call.name === 'getVideoJobStatus')
      return { ok: true, job: snapshot(call.at) } satisfies JobResult;
    return answer(call);
  };
}

describe('the clock a job is aged on (replayed)', () => {
  const queueMs = 25_000;
  const runMs = 80_000;

  test('a provider that says only how long the run took (fal): aged from the polls around its start', async () => {
    const run = await drive(generateVideo, input, queuedJob(queueMs, queueMs + runMs, estimate, 'run'), {
      startAt: start,
    });
    assert.ok(run.output, run.error);
    const polls = named(run, 'getVideoJobStatus').map((c) => (c.at - start) / 1000);
    const fastest = quantileOf(estimate, 0);
    // Aged from its create, the queue would count as run: polls from `fastest` after the create,
    // 25 s before any job of the kind can have ended. The first poll seeing it work bounds the
    // start to the time after the last one seeing it queued: none comes before that + fastest.
    const sawWorking = polls.find((at) => at >= queueMs / 1000)!;
    const lastQueued = Math.max(0, ...polls.filter((at) => at < queueMs / 1000));
    assert.ok(
      polls.filter((at) => at > sawWorking && at < lastQueued + fastest).length <= 1,
      `polls ${polls.map((p) => p.toFixed(1))}`,
    );
    assert.ok(lateness(run, queueMs + runMs) < 5, `${lateness(run, queueMs + runMs)} s late`);
    assert.deepEqual(
      { ...(named(run, 'recordJobDuration')[0].input as JobDurationSample), kind: undefined },
      { kind: undefined, seconds: runMs / 1000, clock: 'started' },
    );
    // The same job aged from its create (what the figures of an older history ask for) polls
    // more: the queue shifts every call early.
    const { clock: _, ...olderEstimate } = estimate;
    const fromCreate = await drive(
      generateVideo,
      input,
      queuedJob(queueMs, queueMs + runMs, olderEstimate, 'run'),
      { startAt: start },
    );
    assert.ok(
      statusCalls(fromCreate) > statusCalls(run),
      `${statusCalls(fromCreate)} vs ${statusCalls(run)}`,
    );
  });

  test('a provider that says only when the job was created and ended: aged from its creation', async () => {
    const created = estimateOf(
      warmUp.map((s) => s + queueMs / 1000),
      'created',
    )!;
    const run = await drive(
      generateVideo,
      input,
      queuedJob(queueMs, queueMs + runMs, created, 'created-finished'),
      { startAt: start },
    );
    assert.ok(run.output, run.error);
    // Its durations include the queue, so its age does too: the waits are those of a job that
    // never queued (aged from a start instead, every wait after the queue would move later).
    const neverQueued = await drive(
      generateVideo,
      input,
      queuedJob(0, queueMs + runMs, created, 'created-finished'),
      { startAt: start },
    );
    assert.deepEqual(
      run.timers.map((t) => t.fireAt - t.createdAt),
      neverQueued.timers.map((t) => t.fireAt - t.createdAt),
    );
    assert.ok(lateness(run, queueMs + runMs) < 5, `${lateness(run, queueMs + runMs)} s late`);
    assert.equal((named(run, 'recordJobDuration')[0].input as JobDurationSample).clock, 'created');
    assert.equal(
      (named(run, 'recordJobDuration')[0].input as JobDurationSample).seconds,
      (queueMs + runMs) / 1000,
    );
  });
});

describe('an instance started before durations were learned', () => {
  test('replays without the two activities: its history has no such calls', async () => {
    const { learnDurations: _, ...before } = input;
    const run = await drive(generateVideo, before, scriptedJob(97_300, estimate), { startAt: start });
    assert.ok(run.output, run.error);
    assert.equal(named(run, 'readJobDurations').length, 0);
    assert.equal(named(run, 'recordJobDuration').length, 0);
    const today = await drive(generateVideo, input, scriptedJob(97_300, null), { startAt: start });
    assert.deepEqual(
      run.timers.map((t) => t.fireAt - t.createdAt),
      today.timers.map((t) => t.fireAt - t.createdAt),
      'paced as without figures',
    );
  });
});
