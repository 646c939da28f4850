// The polling policy: bounds, retry-after, backoff, and that it beats a fixed 5 s loop on a
// simulated job (calls and lateness computed from the policy itself, not hard-coded).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  expectedJobSeconds,
  nextPollDelaySeconds,
  seeProgress,
  type PollBounds,
} from '../../src/orchestrations/poll-policy.js';

const bounds: PollBounds = { minSeconds: 1, maxSeconds: 30 };
const status = (
  elapsedSeconds: number,
  expectedSeconds: number,
  extra: { stage?: 'waiting' | 'working' | 'finishing'; progress?: number } = {},
) =>
  ({
    kind: 'status',
    stage: extra.stage ?? 'working',
    progress: extra.progress,
    elapsedSeconds,
    expectedSeconds,
  }) as const;

describe('nextPollDelaySeconds', () => {
  test('waits half the estimated time left, within the bounds', () => {
    assert.equal(nextPollDelaySeconds(status(0, 40), bounds), 20);
    assert.equal(nextPollDelaySeconds(status(0, 400), bounds), 30, 'capped at max');
    assert.equal(nextPollDelaySeconds(status(39.5, 40), bounds), 1, 'floored at min');
    assert.equal(nextPollDelaySeconds(status(41, 40), bounds), 1, 'just overdue: watched at the minimum');
    assert.equal(
      nextPollDelaySeconds(status(120, 40), bounds),
      15,
      'far beyond the estimate: an eighth of the time so far',
    );
  });

  test('a job that has not started running waits at least as long again as it has', () => {
    assert.equal(
      nextPollDelaySeconds(status(10, 40, { stage: 'waiting' }), bounds),
      15,
      'early: half the estimate left',
    );
    assert.equal(
      nextPollDelaySeconds(status(50, 40, { stage: 'waiting' }), bounds),
      25,
      'overdue and not running: half the time so far',
    );
  });

  test('a job that never finishes costs a bounded number of calls before a 30-minute deadline', () => {
    const quickstartBounds: PollBounds = { minSeconds: 2, maxSeconds: 30 };
    const expected = expectedJobSeconds({ size: '480x480', seconds: 5, variants: 1 });
    let elapsed = 0;
    let calls = 0;
    while (elapsed < 30 * 60) {
      elapsed += nextPollDelaySeconds(status(elapsed, expected), quickstartBounds);
      calls++;
    }
    // Each poll adds 4 history events (timer created/fired, task scheduled/completed).
    assert.ok(calls <= 100, `${calls} status calls for a job stuck 30 minutes`);
    assert.ok(calls >= 30, `${calls}: still watched regularly`);
  });

  test('uses reported progress over the estimate', () => {
    // 25 % done after 20 s → 60 s left → wait 30 s; 80 % after 40 s → 10 s left → 5 s.
    assert.equal(nextPollDelaySeconds(status(20, 1000, { stage: 'working', progress: 25 }), bounds), 30);
    assert.equal(nextPollDelaySeconds(status(40, 1000, { stage: 'working', progress: 80 }), bounds), 5);
  });

  test('once progress has moved, its own rate predicts the finish (time spent queued does not count)', () => {
    // 10 % at 30 s, 50 % at 50 s: 2 points a second, 49.5 points left → 24.75 s; still far,
    // so half of it. (From creation alone, 50 % at 50 s would have said 50 s left.)
    const far = { stage: 'working', progress: 50 } as const;
    assert.equal(
      nextPollDelaySeconds(
        { ...status(50, 1000, far), firstProgress: { progress: 10, elapsedSeconds: 30 } },
        bounds,
      ),
      12.375,
    );
    // 80 % at 65 s: 19.5 points left → 9.75 s, near enough to aim just past it (+ half a point, 0.25 s).
    const near = {
      ...status(65, 1000, { stage: 'working', progress: 80 }),
      firstProgress: { progress: 10, elapsedSeconds: 30 },
    };
    assert.equal(nextPollDelaySeconds(near, bounds), 10);
    assert.equal(
      nextPollDelaySeconds(near, { minSeconds: 12, maxSeconds: 30 }),
      12,
      'still within the bounds',
    );
  });

  test('a rate over too few points is not trusted: back to progress since creation', () => {
    const moved4 = {
      ...status(40, 1000, { stage: 'working', progress: 80 }),
      firstProgress: { progress: 76, elapsedSeconds: 38 },
    };
    assert.equal(
      nextPollDelaySeconds(moved4, bounds),
      5,
      'as without a first progress: 80 % after 40 s → 10 s left → 5 s',
    );
  });

  test("a job that speeds up: the last two polls' rate wins when it is faster even read at its slowest", () => {
    const first = { progress: 10, elapsedSeconds: 30 };
    const now = (previousProgress: { progress: number; elapsedSeconds: number }) => ({
      ...status(60, 1000, { stage: 'working', progress: 70 }),
      firstProgress: first,
      previousProgress,
    });
    // Overall 2 points/s (29.5 points left → 14.75 s, aimed + 0.25 s); the last 10 s went from
    // 30 to 70, at least 3.9 points/s: 29.5 / 3.9 + 0.5 / 3.9 ≈ 7.69 s.
    assert.equal(nextPollDelaySeconds(now({ progress: 30, elapsedSeconds: 50 }), bounds).toFixed(2), '7.69');
    // The last 10 s went from 50 to 70 (at least 1.9 points/s): no faster than overall, ignored.
    assert.equal(nextPollDelaySeconds(now({ progress: 50, elapsedSeconds: 50 }), bounds), 15);
  });

  test('a job that slows down is re-estimated at each poll, not waited for blindly', () => {
    // Aimed at the predicted finish, the job reports 99 % instead of done: the next wait is short.
    const late = {
      ...status(75.5, 1000, { stage: 'working', progress: 99 }),
      firstProgress: { progress: 10, elapsedSeconds: 30 },
    };
    assert.equal(nextPollDelaySeconds(late, bounds), 1);
  });

  test("progress stuck for longer than two points take at the job's pace: wait half as long as it has been stuck", () => {
    // 10 % at 30 s, 99 % first seen at 50 s (4.45 points/s, so two points take 0.45 s).
    const stuck = (elapsedSeconds: number) => ({
      ...status(elapsedSeconds, 1000, { stage: 'working', progress: 99 }),
      firstProgress: { progress: 10, elapsedSeconds: 30 },
      previousProgress: { progress: 99, elapsedSeconds: 50 },
      progressUnchangedSince: 50,
    });
    assert.equal(nextPollDelaySeconds(stuck(70), bounds), 10, 'stuck 20 s → 10 s');
    assert.equal(nextPollDelaySeconds(stuck(150), bounds), 30, 'capped at max');
    // Seen at 99 only 0.4 s ago: not yet a stall, the rate still predicts (aimed just past the finish).
    assert.equal(nextPollDelaySeconds(stuck(50.4), bounds), 1);
  });

  test('polls at the minimum in the short final stage', () => {
    assert.equal(nextPollDelaySeconds(status(5, 100, { stage: 'finishing' }), bounds), 1);
  });

  test('honours retry-after on 429, even above the max', () => {
    assert.equal(
      nextPollDelaySeconds({ kind: 'throttled', retryAfterSeconds: 7, consecutiveErrors: 1 }, bounds),
      7,
    );
    assert.equal(
      nextPollDelaySeconds({ kind: 'throttled', retryAfterSeconds: 90, consecutiveErrors: 1 }, bounds),
      90,
    );
    assert.equal(
      nextPollDelaySeconds({ kind: 'throttled', consecutiveErrors: 3 }, bounds),
      4,
      'no header: back off',
    );
  });

  test('backs off exponentially on consecutive transient errors, capped at max', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) =>
      nextPollDelaySeconds({ kind: 'transient-error', consecutiveErrors: n }, bounds),
    );
    assert.deepEqual(delays, [1, 2, 4, 8, 16, 30, 30]);
  });
});

describe('seeProgress', () => {
  test('keeps the first point, the one before, the latest, and since when progress has not moved', () => {
    let seen = seeProgress({}, 0, 5);
    assert.deepEqual(
      seen,
      {
        firstProgress: undefined,
        previousProgress: undefined,
        latestProgress: undefined,
        progressUnchangedSince: undefined,
      },
      'queued: nothing seen',
    );
    seen = seeProgress(seen, 10, 30);
    seen = seeProgress(seen, 40, 50);
    seen = seeProgress(seen, 40, 52);
    assert.deepEqual(seen, {
      firstProgress: { progress: 10, elapsedSeconds: 30 },
      previousProgress: { progress: 40, elapsedSeconds: 50 },
      latestProgress: { progress: 40, elapsedSeconds: 52 },
      progressUnchangedSince: 50,
    });
    assert.equal(seeProgress(seen, 41, 53).progressUnchangedSince, 53, 'moved: the clock restarts');
  });
});

describe('expectedJobSeconds', () => {
  test('grows with resolution, duration and variants', () => {
    const small = expectedJobSeconds({ size: '480x480', seconds: 5, variants: 1 });
    assert.ok(expectedJobSeconds({ size: '1920x1080', seconds: 5, variants: 1 }) > small);
    assert.ok(expectedJobSeconds({ size: '480x480', seconds: 20, variants: 1 }) > small);
    assert.ok(expectedJobSeconds({ size: '480x480', seconds: 5, variants: 4 }) > small);
  });
  test('an aspect ratio counts as its 720p frame', () => {
    assert.equal(
      expectedJobSeconds({ size: '16:9', seconds: 5, variants: 1 }),
      expectedJobSeconds({ size: '1280x720', seconds: 5, variants: 1 }),
    );
    assert.equal(
      expectedJobSeconds({ size: '9:16', seconds: 5, variants: 1 }),
      expectedJobSeconds({ size: '720x1280', seconds: 5, variants: 1 }),
    );
  });
});

describe('against the quickstart fixed 5 s loop (simulated clock)', () => {
  /** Polls a job that finishes at `finish` seconds; returns calls made and how late the finish was seen. */
  function simulate(finish: number, nextDelay: (elapsed: number) => number) {
    let elapsed = 0;
    let calls = 0;
    for (;;) {
      calls += 1;
      if (elapsed >= finish) return { calls, lateness: elapsed - finish };
      elapsed += nextDelay(elapsed);
    }
  }
  const expected = expectedJobSeconds({ size: '480x480', seconds: 5, variants: 1 });
  // Jobs land within ±20 % of the estimate. (A third of the calls, the policy's goal, needs the
  // phase signals too and is measured against the emulator in bench/, not claimed here.)
  const finishes = Array.from({ length: 41 }, (_, i) => expected * (0.8 + i * 0.01));
  const ours = finishes.map((f) =>
    simulate(f, (elapsed) => nextPollDelaySeconds(status(elapsed, expected), bounds)),
  );
  const fixed = finishes.map((f) => simulate(f, () => 5));
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

  test('makes fewer calls than the fixed loop', () => {
    assert.ok(
      mean(ours.map((r) => r.calls)) < mean(fixed.map((r) => r.calls)),
      `ours ${mean(ours.map((r) => r.calls)).toFixed(1)} calls vs fixed ${mean(fixed.map((r) => r.calls)).toFixed(1)}`,
    );
  });
  test('notices the finish at most half as late as the fixed loop on average', () => {
    assert.ok(
      mean(ours.map((r) => r.lateness)) <= mean(fixed.map((r) => r.lateness)) / 2,
      `ours ${mean(ours.map((r) => r.lateness)).toFixed(2)} s late vs fixed ${mean(fixed.map((r) => r.lateness)).toFixed(2)} s`,
    );
  });
});
