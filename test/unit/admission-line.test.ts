// The pure rules of an account's line (src/admission/line.ts): first come first served, the
// running-slot and create-rate limits, leases that free what nobody gives back, and a
// cancelled run that cannot take a slot afterwards.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ask,
  created,
  delivered,
  nextUp,
  requested,
  emptyLine,
  overBudget,
  refusedByBudget,
  enqueue,
  release,
  shareAt,
  throttled,
  type AdmitAsk,
  type LineState,
} from '../../src/admission/line.js';
import type { AdmissionLimits } from '../../src/providers/capabilities.js';

const T0 = Date.parse('2026-12-07T00:00:00Z');
const asking =
  (limits: AdmissionLimits) =>
  (state: LineState, id: string, now: number, arrivedAt = now) =>
    ask(state, {
      instanceId: id,
      runId: 'r',
      arrivedAt,
      now,
      limits,
      waitLeaseMs: 60_000,
      holdUntil: now + 30 * 60_000,
    } satisfies AdmitAsk);

describe('an account line', () => {
  test('two running slots: the first two are admitted, the rest wait in arrival order with their place', () => {
    const askFor = asking({ maxRunningJobs: 2 });
    let state = emptyLine();
    const answers: Record<string, unknown> = {};
    for (const [i, id] of ['a', 'b', 'c', 'd', 'e'].entries()) {
      const result = askFor(state, id, T0 + i);
      state = result.state;
      answers[id] = result.answer;
    }
    assert.deepEqual(answers.a, { state: 'admitted', day: '2026-12-07' });
    assert.deepEqual(answers.b, { state: 'admitted', day: '2026-12-07' });
    assert.deepEqual(answers.c, { state: 'waiting', position: 1, ahead: 0, reason: 'running-jobs' });
    assert.deepEqual(answers.e, { state: 'waiting', position: 3, ahead: 2, reason: 'running-jobs' });
    // e asks again before c: still third, and nothing free.
    assert.equal((askFor(state, 'e', T0 + 10, T0 + 4).answer as { position: number }).position, 3);
    state = release(state, 'a', 'r', T0 + 20);
    // A slot is free, but e is not first: it waits for those ahead.
    assert.deepEqual(askFor(state, 'e', T0 + 21, T0 + 4).answer, {
      state: 'waiting',
      position: 3,
      ahead: 2,
      reason: 'in-line',
    });
    const c = askFor(state, 'c', T0 + 22, T0 + 2);
    assert.deepEqual(c.answer, { state: 'admitted', day: '2026-12-07' });
    state = c.state;
    assert.deepEqual(state.admitted, ['a', 'b', 'c']);
    assert.equal((askFor(state, 'e', T0 + 23, T0 + 4).answer as { position: number }).position, 2, 'falling');
    assert.deepEqual(
      askFor(state, 'c', T0 + 24, T0 + 2).answer,
      { state: 'admitted', day: '2026-12-07' },
      'asking again',
    );
  });

  test('creates a minute with a burst of 1: each create goes a full interval (2% under the rate) after the previous one was answered, and the next in line is told when', () => {
    const askFor = asking({ createsPerMinute: 6, createBurst: 1 });
    const interval = 60_000 / (6 * 0.98);
    let state = emptyLine();
    const admittedAt: number[] = [];
    const answeredAt: number[] = [];
    const ids = ['a', 'b', 'c', 'd'];
    const arrived = Object.fromEntries(ids.map((id, i) => [id, T0 + i]));
    for (let now = T0; admittedAt.length < ids.length && now < T0 + 120_000; now += 250) {
      const last = admittedAt.length - 1;
      // Each create is answered 1.5 s after its admission (a slow send).
      if (last >= 0 && answeredAt.length === last && now >= admittedAt[last] + 1500) {
        state = created(state, { instanceId: ids[last], now, day: '2026-12-07' });
        answeredAt.push(now);
      }
      const next = ids[admittedAt.length];
      const result = askFor(state, next, now, arrived[next]);
      state = result.state;
      if (result.answer.state === 'admitted') admittedAt.push(now);
      else if (result.answer.state === 'waiting') {
        assert.equal(result.answer.reason, 'create-rate');
        if (answeredAt.length === admittedAt.length)
          assert.ok(result.answer.retryAt! > now, 'a time to come back once the create answered');
        else assert.equal(result.answer.retryAt, undefined, 'no time while a create is unanswered');
      }
    }
    assert.deepEqual(state.admitted, ids);
    for (const [i, at] of admittedAt.slice(1).entries()) {
      const gap = at - answeredAt[i];
      assert.ok(gap >= interval && gap < interval + 300, `admitted ${gap} ms after the previous answer`);
    }
  });

  test('a create that never answers holds the rate 2 minutes at most; one released unanswered counts for the rate and gives its reserved estimate back', () => {
    const limits = { createsPerMinute: 6, createBurst: 1 };
    const askWith = (state: LineState, id: string, now: number, costUsd = 0) =>
      ask(state, {
        instanceId: id,
        arrivedAt: now,
        now,
        limits,
        waitLeaseMs: 10 * 60_000,
        holdUntil: now + 30 * 60_000,
        costUsd,
      });
    let state = askWith(emptyLine(), 'a', T0, 2).state;
    assert.equal(state.usage!['2026-12-07'].usd, 2, 'reserved at admission');
    assert.deepEqual(askWith(state, 'b', T0 + 60_000).answer.state, 'waiting');
    const late = askWith(state, 'b', T0 + 120_000);
    assert.equal(late.answer.state, 'waiting', 'counted as taken at 2 min: the interval runs from then');
    assert.equal(askWith(late.state, 'b', T0 + 120_000 + 10_300).answer.state, 'admitted');
    // Released before its create answered: the rate counts it from the release, its estimate goes back.
    state = askWith(emptyLine(), 'c', T0, 2).state;
    state = release(state, 'c', undefined, T0 + 1000);
    assert.equal(state.usage!['2026-12-07'].usd, 0);
    assert.equal(askWith(state, 'd', T0 + 1001).answer.state, 'waiting');
    assert.equal(askWith(state, 'd', T0 + 1000 + 10_300).answer.state, 'admitted');
  });

  test('who is woken when a slot or a create comes free: as many waiters as free slots, one where a rate paces them', () => {
    const slots = asking({ maxRunningJobs: 2 });
    let state = emptyLine();
    for (const [i, id] of ['a', 'b', 'c', 'd', 'e'].entries()) state = slots(state, id, T0 + i).state;
    assert.deepEqual(nextUp(state), []);
    state = release(release(state, 'a', 'r', T0 + 10), 'b', 'r', T0 + 11);
    assert.deepEqual(nextUp(state), ['c', 'd']);
    const rated = asking({ createsPerMinute: 6 });
    state = emptyLine();
    for (const [i, id] of ['a', 'b', 'c'].entries()) state = rated(state, id, T0 + i).state;
    state = created(state, { instanceId: 'a', now: T0 + 500, day: '2026-12-07' });
    assert.deepEqual(nextUp(state), ['b']);
    assert.deepEqual(nextUp(state, true), ['b', 'c'], 'after a create: every place has moved up');
  });

  test('a burst of 3 lets three leave at once, then the pace', () => {
    const askFor = asking({ createsPerMinute: 60, createBurst: 3 });
    let state = emptyLine();
    const answers = ['a', 'b', 'c', 'd'].map((id) => {
      const result = askFor(state, id, T0);
      state = result.state;
      return result.answer.state;
    });
    assert.deepEqual(answers, ['admitted', 'admitted', 'admitted', 'waiting']);
  });

  test('a waiter that stops asking leaves the line after its lease; asking again, it gets its arrival place back', () => {
    const askFor = asking({ maxRunningJobs: 1 });
    let state = askFor(emptyLine(), 'a', T0).state;
    state = askFor(state, 'b', T0 + 1).state;
    state = askFor(state, 'c', T0 + 2).state;
    // c keeps asking; b goes quiet past its lease.
    state = askFor(state, 'c', T0 + 50_000, T0 + 2).state;
    const c = askFor(state, 'c', T0 + 70_000, T0 + 2);
    assert.deepEqual(c.answer, { state: 'waiting', position: 1, ahead: 0, reason: 'running-jobs' });
    const b = askFor(c.state, 'b', T0 + 71_000, T0 + 1);
    assert.deepEqual(
      b.answer,
      { state: 'waiting', position: 1, ahead: 0, reason: 'running-jobs' },
      'ahead of c again',
    );
  });

  test('a slot nobody gives back is free after its hold time (the request deadline)', () => {
    const limits = { maxRunningJobs: 1 };
    let state = ask(emptyLine(), {
      instanceId: 'a',
      arrivedAt: T0,
      now: T0,
      limits,
      waitLeaseMs: 60_000,
      holdUntil: T0 + 10 * 60_000,
    }).state;
    const early = ask(state, {
      instanceId: 'b',
      arrivedAt: T0,
      now: T0 + 9 * 60_000,
      limits,
      waitLeaseMs: 60_000,
      holdUntil: 0,
    });
    assert.equal(early.answer.state, 'waiting');
    state = early.state;
    const late = ask(state, {
      instanceId: 'b',
      arrivedAt: T0,
      now: T0 + 10 * 60_000 + 1,
      limits,
      waitLeaseMs: 60_000,
      holdUntil: T0 + 40 * 60_000,
    });
    assert.deepEqual(late.answer, { state: 'admitted', day: '2026-12-07' });
  });

  test('a released run asking again (its termination not yet landed) is told so and takes nothing; another run of the id may', () => {
    const askFor = asking({ maxRunningJobs: 1 });
    let state = askFor(emptyLine(), 'a', T0).state;
    state = askFor(state, 'b', T0 + 1).state;
    state = release(state, 'b', 'r', T0 + 2);
    state = release(state, 'a', 'r', T0 + 3);
    const again = askFor(state, 'b', T0 + 4, T0 + 1);
    assert.deepEqual(again.answer, { state: 'released' });
    assert.deepEqual(again.state.running, []);
    const newRun = ask(again.state, {
      instanceId: 'b',
      runId: 'r2',
      arrivedAt: T0 + 5,
      now: T0 + 5,
      limits: { maxRunningJobs: 1 },
      waitLeaseMs: 60_000,
      holdUntil: T0 + 60_000,
    });
    assert.deepEqual(newRun.answer, { state: 'admitted', day: '2026-12-07' });
  });

  test("time never goes back: an older caller's clock does not refill tokens or revive leases", () => {
    const askFor = asking({ createsPerMinute: 1 });
    let state = askFor(emptyLine(), 'a', T0 + 60_000).state;
    const b = askFor(state, 'b', T0, T0);
    assert.equal(b.answer.state, 'waiting');
    assert.equal(b.state.clock, T0 + 60_000);
    state = b.state;
  });

  test('put in line at the POST: a later request whose orchestration asks first still waits behind it', () => {
    const askFor = asking({ maxRunningJobs: 1 });
    let state = askFor(emptyLine(), 'a', T0).state;
    for (const [i, id] of ['b', 'c'].entries())
      state = enqueue(state, {
        instanceId: id,
        runId: 'r',
        arrivedAt: T0 + 1 + i,
        now: T0 + 1 + i,
        waitLeaseMs: 60_000,
      });
    state = release(state, 'a', 'r', T0 + 5);
    const c = askFor(state, 'c', T0 + 6, T0 + 2);
    assert.deepEqual(c.answer, { state: 'waiting', position: 2, ahead: 1, reason: 'in-line' });
    assert.deepEqual(askFor(c.state, 'b', T0 + 7, T0 + 1).answer, { state: 'admitted', day: '2026-12-07' });
    // Enqueueing again, or after a release, changes nothing.
    const again = enqueue(c.state, {
      instanceId: 'c',
      runId: 'r',
      arrivedAt: T0 + 99,
      now: T0 + 8,
      waitLeaseMs: 60_000,
    });
    assert.deepEqual(
      again.waiting.map((w) => [w.id, w.arrivedAt]),
      [
        ['b', T0 + 1],
        ['c', T0 + 2],
      ],
    );
    const gone = enqueue(release(c.state, 'c', 'r', T0 + 9), {
      instanceId: 'c',
      runId: 'r',
      arrivedAt: T0 + 2,
      now: T0 + 9,
      waitLeaseMs: 60_000,
    });
    assert.deepEqual(
      gone.waiting.map((w) => w.id),
      ['b'],
    );
  });

  test('a 429 anyway: nobody admitted until its Retry-After, the limits halved (a burst of 429s is one cut), then growing back over 10 minutes', () => {
    const askFor = asking({ maxRunningJobs: 4 });
    let state = emptyLine();
    for (const id of ['a', 'b']) state = askFor(state, id, T0).state;
    state = throttled(state, { now: T0 + 1000, retryAfterMs: 5000 });
    state = throttled(state, { now: T0 + 1500, retryAfterMs: 3000 });
    assert.equal(shareAt(state, T0 + 1000), 0.5, 'two 429s 0.5 s apart: one cut');
    assert.equal(state.backoff!.pausedUntil, T0 + 6000, 'the longer wait holds');
    const full = askFor(state, 'c', T0 + 2000);
    assert.equal(
      full.answer.state === 'waiting' && full.answer.reason,
      'running-jobs',
      '4 × 0.5 = 2 in force, 2 running',
    );
    state = release(full.state, 'a', 'r', T0 + 2500);
    const paused = askFor(state, 'c', T0 + 3000, T0 + 2000);
    assert.deepEqual(paused.answer, {
      state: 'waiting',
      position: 1,
      ahead: 0,
      reason: 'create-rate',
      retryAt: T0 + 6000,
    });
    const admitted = askFor(paused.state, 'c', T0 + 6000, T0 + 2000);
    assert.deepEqual(admitted.answer, { state: 'admitted', day: '2026-12-07' });
    // A second cut later: about a quarter (1 running job in force).
    state = throttled(admitted.state, { now: T0 + 10_000, retryAfterMs: 0 });
    assert.ok(Math.abs(shareAt(state) - (0.5 + (9000 / 600_000) * 0.5) / 2) < 1e-9);
    state = release(state, 'b', 'r', T0 + 11_000);
    assert.equal(
      askFor(state, 'd', T0 + 12_000).answer.state,
      'waiting',
      'c alone fills the one slot in force',
    );
    state = release(state, 'c', 'r', T0 + 12_500);
    const one = askFor(state, 'd', T0 + 13_000);
    assert.deepEqual(one.answer, { state: 'admitted', day: '2026-12-07' });
    assert.equal(askFor(one.state, 'e', T0 + 13_001).answer.state, 'waiting');
    assert.equal(
      shareAt(one.state, T0 + 10_000 + 600_000),
      1,
      'back to the configured limits after 10 minutes',
    );
    assert.deepEqual(askFor(one.state, 'e', T0 + 10_000 + 600_000).answer, {
      state: 'admitted',
      day: '2026-12-07',
    });
  });

  test('the share never falls under a tenth, and the create rate is cut with it', () => {
    let state = emptyLine();
    for (let i = 0; i < 10; i++) state = throttled(state, { now: T0 + i * 10_000, retryAfterMs: 0 });
    assert.ok(shareAt(state) >= 0.1 && shareAt(state) < 0.11, String(shareAt(state)));
    const askFor = asking({ createsPerMinute: 60 });
    state = askFor(state, 'a', T0 + 100_000).state;
    state = created(state, { instanceId: 'a', now: T0 + 100_000, day: '2026-12-07' });
    const b = askFor(state, 'b', T0 + 100_001);
    assert.equal(b.answer.state, 'waiting');
    // 60/min × ~0.1 × 0.98: the next create about 10 s later, not 1 s.
    const retryAt = (b.answer as { retryAt: number }).retryAt;
    assert.ok(retryAt - (T0 + 100_001) > 8000, `next token in ${retryAt - (T0 + 100_001)} ms`);
  });

  test('a daily budget: admissions count their estimate on the day; one that would cross it is refused with the reset time and leaves the line; delivery replaces the estimate', () => {
    const limits = { dailyBudgetUsd: 10 };
    const askWith = (state: LineState, id: string, now: number, costUsd: number) =>
      ask(state, {
        instanceId: id,
        arrivedAt: now,
        now,
        limits,
        waitLeaseMs: 60_000,
        holdUntil: now + 60_000,
        costUsd,
      });
    let state = emptyLine();
    for (const now of [T0, T0 + 1, T0 + 2]) state = requested(state, { now });
    const a = askWith(state, 'a', T0, 6.4);
    assert.deepEqual(a.answer, { state: 'admitted', day: '2026-12-07' });
    state = a.state;
    const b = askWith(state, 'b', T0 + 1, 3.2);
    assert.equal(b.answer.state, 'admitted');
    state = b.state;
    for (const id of ['a', 'b']) state = created(state, { instanceId: id, now: T0 + 2, day: '2026-12-07' });
    const c = askWith(state, 'c', T0 + 2, 3.2);
    assert.deepEqual(c.answer, {
      state: 'over-budget',
      budgetUsd: 10,
      spentUsd: 9.6,
      resetAt: '2026-12-08T00:00:00.000Z',
    });
    assert.deepEqual(c.state.waiting, [], 'refused: out of line');
    state = delivered(c.state, {
      now: T0 + 3,
      day: '2026-12-07',
      estimatedUsd: 6.4,
      seconds: 4,
      usd: 3.2,
    });
    assert.deepEqual(state.usage!['2026-12-07'], {
      requests: 3,
      jobs: 2,
      seconds: 4,
      usd: 6.4,
      refusedByBudget: 1,
    });
    assert.equal(
      overBudget(state, 10, 3.2, T0 + 4),
      undefined,
      'room again once the delivered cost is lower',
    );
    state = refusedByBudget(state, T0 + 5);
    assert.equal(state.usage!['2026-12-07'].refusedByBudget, 2);
    // An ungoverned account counts its estimate when the create is taken.
    const free = created(emptyLine(), { instanceId: 'x', now: T0, day: '2026-12-07', costUsd: 1.5 });
    assert.deepEqual(free.usage!['2026-12-07'], {
      requests: 0,
      jobs: 1,
      seconds: 0,
      usd: 1.5,
      refusedByBudget: 0,
    });
    // The next UTC day starts from nothing.
    assert.equal(overBudget(state, 10, 9.9, Date.parse('2026-12-08T00:00:00Z')), undefined);
  });
});
