// generateVideo in a governed account, under the SDK's real replay on a virtual clock: it waits
// in the account's line (callEntity on a durable timer) with its place shown and falling,
// creates only once admitted, and gives its turn back on every way out. The line is the real
// rules (src/admission/line.ts), shared with scripted other requests that hold the slots.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ask,
  created,
  emptyLine,
  enqueue,
  nextUp,
  release,
  throttled,
  type AdmitAsk,
  type CreatedInput,
  type LineState,
  type ThrottledInput,
} from '../../src/admission/line.js';
import type {
  GenerateVideoInput,
  GenerateVideoProgress,
  JobResult,
  ReleaseInput,
} from '../../src/orchestrations/contracts.js';
import { generateVideo } from '../../src/orchestrations/generate-video.js';
import type { VideoRequest } from '../../src/requests/video-request.js';
import { drive, type ActivityCall, type EntityOperation } from './replay-driver.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const request: VideoRequest = {
  provider: 'fal',
  kind: 'fal',
  model: 'fal-ai/veo3',
  prompt: 'A lighthouse in a storm',
  size: '16:9',
  seconds: 8,
  variants: 1,
};
const input = (overrides: Partial<GenerateVideoInput> = {}): GenerateVideoInput => ({
  request,
  deadlineMinutes: 30,
  poll: { minSeconds: 2, maxSeconds: 30 },
  runId: 'run-1',
  admission: { account: 'fal', limits: { maxRunningJobs: 2 } },
  ...overrides,
});

/** A line where `others` arrived first (two of them holding the slots), each giving its turn
 * back at its time, as their own orchestrations would. */
function sharedLine(others: { id: string; releaseAt: number }[], limits = { maxRunningJobs: 2 }) {
  let state: LineState = emptyLine();
  others.forEach((other, i) => {
    state = ask(state, {
      instanceId: other.id,
      arrivedAt: T0 - 1000 + i,
      now: T0 - 1000 + i,
      limits,
      waitLeaseMs: 10 * 60_000,
      holdUntil: T0 + 3_600_000,
    }).state;
  });
  const pending = [...others];
  const othersAct = (at: number) => {
    // Released others go; waiting others that are next take the freed slots (their own asks).
    for (const other of pending.filter((o) => o.releaseAt <= at)) {
      state = release(state, other.id, undefined, at);
      pending.splice(pending.indexOf(other), 1);
    }
    for (const other of pending)
      state = ask(state, {
        instanceId: other.id,
        arrivedAt: T0 - 1000 + others.indexOf(other),
        now: at,
        limits,
        waitLeaseMs: 10 * 60_000,
        holdUntil: T0 + 3_600_000,
      }).state;
  };
  return {
    entity(op: EntityOperation) {
      assert.equal(op.entityId, '@admission@fal');
      othersAct(op.at);
      if (op.operation === 'ask') {
        const result = ask(state, op.input as AdmitAsk);
        state = result.state;
        return result.answer;
      }
      if (op.operation === 'release') {
        const { instanceId, runId, now } = op.input as ReleaseInput;
        state = release(state, instanceId, runId, now);
        return { wake: nextUp(state) };
      }
      if (op.operation === 'created') {
        state = created(state, op.input as CreatedInput);
        return { wake: nextUp(state, true) };
      }
      if (op.operation === 'requested' || op.operation === 'delivered') return null;
      if (op.operation === 'throttled') {
        state = throttled(state, op.input as ThrottledInput);
        return null;
      }
      throw new Error(`unexpected operation ${op.operation}`);
    },
    get state() {
      return state;
    },
  };
}

/** A fal-like job: queued 5 s, running until 60 s after its create; `outcome` at the end. */
function job(outcome: 'succeeded' | 'failed' = 'succeeded') {
  let createdAt = 0;
  const snapshot = (at: number) => {
    const age = at - createdAt;
    const phase = age >= 60_000 ? outcome : age >= 5_000 ? 'running' : 'queued';
    return {
      jobId: 'req_1',
      phase,
      status: phase,
      outputIds: phase === 'succeeded' ? ['video'] : [],
      failure: phase === 'failed' ? 'model error' : undefined,
    } as const;
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
          video: { outputId: 'video', blobName: 'x/video.mp4', bytes: 1, contentType: 'video/mp4' },
        };
      case 'cancelVideoJob':
        return { ok: true };
      case 'wakeAdmissionWaiters':
        return { woken: (call.input as { instanceIds: string[] }).instanceIds.length };
      default:
        throw new Error(`unexpected activity ${call.name}`);
    }
  };
}

const admissionsOf = (statuses: unknown[]) =>
  statuses.map((s) => (s as GenerateVideoProgress).admission).filter((a) => a !== undefined);

describe('generateVideo in a governed account (replay, virtual clock)', () => {
  test('waits third in line, its place falling, creates once admitted, then gives the slot back when the job ends', async () => {
    const line = sharedLine([
      { id: 'a', releaseAt: T0 + 20_000 },
      { id: 'b', releaseAt: T0 + 50_000 },
      { id: 'c', releaseAt: T0 + 90_000 },
      { id: 'd', releaseAt: T0 + 95_000 },
    ]);
    const run = await drive(generateVideo, input(), job(), {
      startAt: T0,
      instanceId: 'me',
      entity: line.entity,
    });
    assert.equal(run.error, undefined, run.error);
    const admissions = admissionsOf(run.customStatuses);
    const positions = admissions.filter((a) => a.state === 'waiting').map((a) => a.position!);
    assert.equal(positions[0], 3, 'c and d are ahead');
    assert.ok(
      positions.every((p, i) => i === 0 || p <= positions[i - 1]),
      `never rising: ${positions.join(',')}`,
    );
    assert.ok(positions.includes(1), 'next in line at some point');
    assert.equal(admissions.at(-1)?.state, 'admitted');
    assert.equal(admissions[0].reason, 'running-jobs');
    const create = run.calls.find((c) => c.name === 'createVideoJob')!;
    assert.ok(create.at >= T0 + 90_000, `created only once a slot was free (at +${create.at - T0} ms)`);
    assert.deepEqual(line.state.admitted, ['a', 'b', 'c', 'd', 'me'], 'in arrival order');
    const releases = run.entityOps.filter((op) => op.operation === 'release');
    assert.equal(releases.length, 1);
    assert.equal(releases[0].signal, false, 'a call: its answer names the waiters to wake');
    const lastStatus = run.calls.filter((c) => c.name === 'getVideoJobStatus').at(-1)!;
    assert.ok(releases[0].at >= lastStatus.at, 'released once the job had ended');
    assert.ok(
      releases[0].at <= run.calls.find((c) => c.name === 'downloadVideo')!.at,
      'before the download (the slot is for the job at the provider)',
    );
    assert.deepEqual(line.state.running, []);
    // Each ask waited on a durable timer: no busy loop (position 3 at 2 s × 3 …).
    assert.ok(run.entityOps.filter((op) => op.operation === 'ask').length < 60);
  });

  test('the job fails at the provider: the slot goes back, the request fails with the reason', async () => {
    const line = sharedLine([]);
    const run = await drive(generateVideo, input(), job('failed'), {
      startAt: T0,
      instanceId: 'me',
      entity: line.entity,
    });
    assert.match(run.error ?? '', /failed: model error/);
    assert.deepEqual(line.state.running, []);
    assert.ok(run.entityOps.some((op) => op.operation === 'release'));
  });

  test('a refused create (permanent): the slot goes back before the request fails', async () => {
    const line = sharedLine([]);
    const run = await drive(
      generateVideo,
      input(),
      (call) =>
        call.name === 'createVideoJob'
          ? ({ ok: false, kind: 'permanent', message: 'bad input', status: 422 } satisfies JobResult)
          : null,
      { startAt: T0, instanceId: 'me', entity: line.entity },
    );
    assert.match(run.error ?? '', /refused the video request/);
    const release = run.entityOps.find((op) => op.operation === 'release')!;
    assert.equal(release.signal, false, 'a call: answered before the orchestration ends');
    assert.deepEqual(line.state.running, []);
  });

  test('the deadline comes while waiting: it leaves the line, nothing is created', async () => {
    const line = sharedLine([
      { id: 'a', releaseAt: T0 + 3_600_000 },
      { id: 'b', releaseAt: T0 + 3_600_000 },
    ]);
    const run = await drive(generateVideo, input({ deadlineMinutes: 2 }), job(), {
      startAt: T0,
      instanceId: 'me',
      entity: line.entity,
    });
    assert.match(run.error ?? '', /Timed out after 2 minutes: still waiting for a slot at fal \(0 ahead\)/);
    assert.equal(run.calls.length, 0, 'no activity at all');
    assert.deepEqual(
      line.state.waiting.map((w) => w.id),
      [],
      'its place is given back',
    );
    assert.ok(run.endedAt - T0 <= 2 * 60_000 + 1, 'at the deadline, not later');
  });

  test('a run that was cancelled (released by DELETE) and asks once more creates nothing', async () => {
    const line = sharedLine([
      { id: 'a', releaseAt: T0 + 10_000 },
      { id: 'b', releaseAt: T0 + 10_000 },
    ]);
    const cancelled = {
      entity(op: EntityOperation) {
        // DELETE's release lands between two asks.
        if (op.at >= T0 + 5_000 && op.operation === 'ask')
          line.entity({
            ...op,
            operation: 'release',
            input: { instanceId: 'me', runId: 'run-1', now: op.at },
          });
        return line.entity(op);
      },
    };
    const run = await drive(generateVideo, input(), job(), {
      startAt: T0,
      instanceId: 'me',
      entity: cancelled.entity,
    });
    assert.match(run.error ?? '', /gave up its turn/);
    assert.equal(run.calls.filter((c) => c.name === 'createVideoJob').length, 0);
    assert.ok(!line.state.running.some((h) => h.id === 'me'), 'it took no slot');
  });

  test('a create answered 429 anyway: the line is told (throttled, with the delay), the create goes again after Retry-After, keeping its slot', async () => {
    const line = sharedLine([]);
    const fine = job();
    let refused = 0;
    const run = await drive(
      generateVideo,
      input(),
      (call) => {
        if (call.name === 'createVideoJob' && refused++ === 0)
          return {
            ok: false,
            kind: 'transient',
            message: 'Too many requests',
            status: 429,
            retryAfterSeconds: 7,
          } satisfies JobResult;
        return fine(call);
      },
      { startAt: T0, instanceId: 'me', entity: line.entity },
    );
    assert.equal(run.error, undefined, run.error);
    const creates = run.calls.filter((c) => c.name === 'createVideoJob');
    assert.equal(creates.length, 2);
    assert.ok(creates[1].at - creates[0].at >= 7000, 'waited as the provider asked');
    const told = run.entityOps.filter((op) => op.operation === 'throttled');
    assert.deepEqual(
      told.map((op) => [op.signal, (op.input as ThrottledInput).retryAfterMs]),
      [[true, 7000]],
    );
    assert.equal(run.entityOps.filter((op) => op.operation === 'ask').length, 1, 'kept its slot: asked once');
    assert.ok(line.state.backoff, 'the line lowered its limits');
  });

  test('woken by the admissionTurn event (a slot freed elsewhere), it asks at once instead of at its timer', async () => {
    const line = sharedLine([
      { id: 'a', releaseAt: T0 + 20_000 },
      { id: 'b', releaseAt: T0 + 3_600_000 },
    ]);
    const run = await drive(generateVideo, input(), job(), {
      startAt: T0,
      instanceId: 'me',
      entity: line.entity,
      // Its first timer fires at 30 s (the fallback); the wake comes at 20.3 s, after a's slot was freed.
      events: [{ at: T0 + 20_300, name: 'admissionTurn', data: {} }],
    });
    assert.equal(run.error, undefined, run.error);
    assert.equal(run.timers[0].fireAt - T0, 30_000, 'the safety-net timer');
    const asks = run.entityOps.filter((op) => op.operation === 'ask').map((op) => op.at - T0);
    assert.deepEqual(asks, [0, 20_300], 'asked when woken, not before');
    const create = run.calls.find((c) => c.name === 'createVideoJob')!;
    assert.equal(create.at, T0 + 20_300, 'created at the wake, not at its next timer');
  });

  test('the create answered: the line is told (a call, paced from the answer) and wakes the next in line at once', async () => {
    const limits = { createsPerMinute: 6, createBurst: 1 };
    // me arrived first (the POST put it in line); later asked before me's orchestration ran.
    let state = enqueue(emptyLine(), {
      instanceId: 'me',
      runId: 'run-1',
      arrivedAt: T0 - 5000,
      now: T0 - 5000,
      waitLeaseMs: 600_000,
    });
    state = ask(state, {
      instanceId: 'later',
      arrivedAt: T0 - 1,
      now: T0 - 1,
      limits,
      waitLeaseMs: 600_000,
      holdUntil: T0 + 3_600_000,
    }).state;
    const entity = (op: EntityOperation) => {
      if (op.operation === 'ask') {
        const result = ask(state, op.input as AdmitAsk);
        state = result.state;
        return result.answer;
      }
      if (op.operation === 'created') {
        state = created(state, op.input as CreatedInput);
        return { wake: nextUp(state, true) };
      }
      if (op.operation === 'release') {
        const { instanceId, runId, now } = op.input as ReleaseInput;
        state = release(state, instanceId, runId, now);
        return { wake: nextUp(state) };
      }
      return null;
    };
    const run = await drive(
      generateVideo,
      input({ admission: { account: 'fal', limits, arrivedAt: T0 - 5000 } }),
      job(),
      { startAt: T0, instanceId: 'me', entity },
    );
    assert.equal(run.error, undefined, run.error);
    const told = run.entityOps.find((op) => op.operation === 'created')!;
    assert.equal(told.signal, false, 'a call: its answer names whom to wake');
    const create = run.calls.find((c) => c.name === 'createVideoJob')!;
    assert.equal((told.input as CreatedInput).now, create.at);
    const wake = run.calls.find((c) => c.name === 'wakeAdmissionWaiters')!;
    assert.deepEqual(wake.input, { instanceIds: ['later'] });
    assert.equal(state.rateTat, create.at + 60_000 / (6 * 0.98), 'the next create paced from the answer');
  });

  test('ungoverned (no admission in the input, as before): no line; its ledger (usageAccount) is told of the request, the job and the delivery', async () => {
    const bare = await drive(generateVideo, input({ admission: undefined }), job(), { startAt: T0 });
    assert.equal(bare.error, undefined);
    assert.deepEqual(bare.entityOps, []);
    const run = await drive(
      generateVideo,
      input({ admission: undefined, usageAccount: 'fal', price: { usdPerSecond: 0.4, basis: 'x' } }),
      job(),
      { startAt: T0, entity: () => null },
    );
    assert.equal(run.error, undefined);
    assert.deepEqual(
      run.entityOps.map((op) => [op.operation, op.signal]),
      [
        ['requested', true],
        ['created', true],
        ['delivered', true],
      ],
    );
    assert.equal((run.entityOps[1].input as CreatedInput).costUsd, 3.2);
  });
});
