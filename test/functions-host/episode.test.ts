// The durable episode as pure functions, without a store or a host: a history and the events
// an episode delivers go in, the durable-functions SDK's own replay answers (run in this
// process, as the host invokes it), and the step gives the new history events, the effects
// for after the commit and the execution's outcome. Each test drives one orchestration from
// its ExecutionStarted, feeding back completions the way the engine's effects would.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ActionType,
  stateFromFailure,
  type OrchestratorState,
} from '../../emulators/functions-host/durable/actions.js';
import type { StepIds } from '../../emulators/functions-host/durable/action-handlers.js';
import {
  episodeEvents,
  executionStarted,
  nextExecution,
  orchestratorInput,
  selectDeliveries,
  stepEpisode,
  terminationEnd,
  type StepResult,
} from '../../emulators/functions-host/durable/episode.js';
import {
  EventType,
  newInstanceRecord,
  type HistoryEvent,
  type InboxMessage,
} from '../../emulators/functions-host/durable/model.js';
import { foldHistory, type ReplayState } from '../../emulators/functions-host/durable/replay-state.js';
import { Orchestrator } from '../support/durable-sdk.js';

const df = require('durable-functions') as {
  RetryOptions: new (first: number, attempts: number) => { backoffCoefficient: number };
};

type Orchestration = (context: any) => Generator<unknown, unknown, any>;
const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function countingIds(): StepIds {
  let n = 0;
  return {
    requestId: () => `request-${++n}`,
    messageId: () => `message-${String(++n).padStart(4, '0')}`,
    executionId: () => `execution-${++n}`,
  };
}

/** One orchestration driven episode by episode; the history is what the engine would commit. */
class Run {
  readonly state: ReplayState;
  readonly ids = countingIds();
  constructor(
    readonly orchestrator: Orchestration,
    input: unknown,
    instanceId = 'instance',
  ) {
    const record = newInstanceRecord(
      instanceId,
      'orchestrator',
      input === undefined ? null : JSON.stringify(input),
      null,
      at(0),
      'execution-0',
    );
    this.state = foldHistory(record, []);
  }

  get history(): HistoryEvent[] {
    return this.state.history;
  }

  /** The first episode: ExecutionStarted delivered. */
  start(): Promise<StepResult> {
    return this.episode(0, [
      { ...executionStarted(this.state.record, at(0)), EventId: -1, IsPlayed: false } as HistoryEvent,
    ]);
  }

  /** One episode at `ms`: the SDK replays the history plus the delivered events; the step's events are committed. */
  async episode(ms: number, delivered: HistoryEvent[]): Promise<StepResult> {
    const now = at(ms);
    const input = orchestratorInput(this.state, episodeEvents(now, delivered));
    let answer: OrchestratorState;
    try {
      answer = await new Orchestrator(this.orchestrator).listen()(input, {});
    } catch (error) {
      answer = stateFromFailure((error as Error).message);
    }
    const step = stepEpisode(this.state, delivered, answer, now, this.ids);
    if (step.outcome.kind === 'running') {
      this.state.history = [...this.state.history, ...step.events];
      assertIsFoldOfHistory(this.state);
    }
    return step;
  }
}

/** The step advances the state exactly as re-reading the history would (what a restarted host sees). */
function assertIsFoldOfHistory(state: ReplayState): void {
  const fold = foldHistory(state.record, state.history);
  assert.deepEqual(
    [...fold.scheduled.keys()].sort(),
    [...state.scheduled.keys()].sort(),
    'outstanding tasks',
  );
  assert.equal(fold.nextId, state.nextId, 'next sequence number');
  assert.equal(fold.leafCount, state.leafCount, 'actions seen');
  assert.deepEqual(fold.heldLocks, state.heldLocks, 'locks held');
}

const completed = (id: number, result: unknown): HistoryEvent => ({
  EventType: EventType.TaskCompleted,
  EventId: -1,
  IsPlayed: false,
  Timestamp: at(0),
  TaskScheduledId: id,
  Result: JSON.stringify(result),
});
const failed = (id: number, reason: string): HistoryEvent => ({
  EventType: EventType.TaskFailed,
  EventId: -1,
  IsPlayed: false,
  Timestamp: at(0),
  TaskScheduledId: id,
  Reason: reason,
  Details: 'details',
});
const fired = (id: number, fireAt: string, ms: number): HistoryEvent => ({
  EventType: EventType.TimerFired,
  EventId: -1,
  IsPlayed: false,
  Timestamp: at(ms),
  TimerId: id,
  FireAt: fireAt,
});
const raised = (name: string, value: unknown): HistoryEvent => ({
  EventType: EventType.EventRaised,
  EventId: -1,
  IsPlayed: false,
  Timestamp: at(0),
  Name: name,
  Input: JSON.stringify(value),
});
const types = (events: HistoryEvent[]) =>
  events.map((e) => [
    Object.keys(EventType).find((k) => EventType[k as keyof typeof EventType] === e.EventType),
    e.EventId,
  ]);

describe('episode step: activities', () => {
  test('a chain: each episode schedules the next activity with the next sequence number, the last one completes', async () => {
    const run = new Run(function* (context) {
      const a = yield context.df.callActivity('hello', 'Tokyo');
      const b = yield context.df.callActivity('hello', { city: 'Oslo' });
      return [a, b];
    }, undefined);
    const first = await run.start();
    assert.deepEqual(types(first.events), [
      ['OrchestratorStarted', -1],
      ['ExecutionStarted', -1],
      ['TaskScheduled', 0],
      ['OrchestratorCompleted', -1],
    ]);
    assert.equal(first.events[2].Name, 'hello');
    assert.equal(first.events[2].Input, '"Tokyo"', 'a string input arrives JSON-encoded');
    assert.deepEqual(first.effects, [
      {
        kind: 'runActivity',
        id: 0,
        task: {
          kind: 'activity',
          name: 'hello',
          input: '"Tokyo"',
          retryGroup: undefined,
          httpPolling: undefined,
        },
      },
    ]);
    assert.equal(first.outcome.kind, 'running');

    const second = await run.episode(10, [completed(0, 'Hello Tokyo')]);
    assert.deepEqual(types(second.events), [
      ['OrchestratorStarted', -1],
      ['TaskCompleted', -1],
      ['TaskScheduled', 1],
      ['OrchestratorCompleted', -1],
    ]);
    assert.equal(second.events[2].Input, '{"city":"Oslo"}');

    const third = await run.episode(20, [completed(1, 'Hello Oslo')]);
    assert.deepEqual(third.outcome, { kind: 'completed', output: '["Hello Tokyo","Hello Oslo"]' });
    assert.deepEqual(third.effects, []);
  });

  test('a fan-out: every task of Task.all numbered in yield order; results delivered out of order in one episode', async () => {
    const run = new Run(function* (context) {
      const results = yield context.df.Task.all([1, 2, 3].map((n) => context.df.callActivity('square', n)));
      return results;
    }, undefined);
    const first = await run.start();
    assert.deepEqual(
      first.events
        .filter((e) => e.EventType === EventType.TaskScheduled)
        .map((e) => [e.EventId, e.Input, e.LeafIndex]),
      [
        [0, '1', 0],
        [1, '2', 1],
        [2, '3', 2],
      ],
    );
    assert.deepEqual(
      first.effects.map((e) => [e.kind, 'id' in e ? e.id : undefined]),
      [
        ['runActivity', 0],
        ['runActivity', 1],
        ['runActivity', 2],
      ],
    );
    const last = await run.episode(5, [completed(2, 9), completed(0, 1), completed(1, 4)]);
    assert.deepEqual(last.outcome, { kind: 'completed', output: '[1,4,9]' });
  });

  test("an activity failure the orchestrator does not catch fails the execution with the SDK's message", async () => {
    const run = new Run(function* (context) {
      return yield context.df.callActivity('broken');
    }, undefined);
    await run.start();
    const step = await run.episode(5, [failed(0, "Activity function 'broken' failed: disk full")]);
    assert.equal(step.outcome.kind, 'failed');
    assert.match((step.outcome as { reason: string }).reason, /disk full/);
  });

  test('an orchestrator that throws fails the execution with its error; an unknown action type does too', async () => {
    const thrower = new Run(function* (context) {
      yield context.df.callActivity('hello', 'before');
      throw new Error('broke on purpose');
    }, undefined);
    await thrower.start();
    const step = await thrower.episode(5, [completed(0, 'ok')]);
    assert.equal(step.outcome.kind, 'failed');
    assert.match((step.outcome as { reason: string }).reason, /broke on purpose/);

    const state = foldHistory(newInstanceRecord('x', 'o', null, null, at(0), 'e'), []);
    const unknown = stepEpisode(
      state,
      [],
      { isDone: false, actions: [[{ actionType: 99 }]] },
      at(0),
      countingIds(),
    );
    assert.deepEqual(unknown.outcome, { kind: 'failed', reason: 'Unknown action type 99.' });
  });
});

describe('episode step: retries', () => {
  test('callActivityWithRetry: fail → timer (first interval) → re-attempt → fail → zero-delay timer → the failure reaches the orchestrator', async () => {
    const run = new Run(function* (context) {
      try {
        yield context.df.callActivityWithRetry('flaky', new df.RetryOptions(1000, 2), 'x');
        return 'unexpected';
      } catch (error) {
        return `caught: ${(error as Error).message.split('\n')[0]}`;
      }
    }, undefined);
    const first = await run.start();
    assert.deepEqual(types(first.events).slice(2, 3), [['TaskScheduled', 0]]);
    assert.equal(first.events[2].RetryGroup, 0);

    const afterFailure = await run.episode(100, [failed(0, 'first failure')]);
    const timer = afterFailure.events.find((e) => e.EventType === EventType.TimerCreated)!;
    assert.deepEqual(
      [timer.EventId, timer.FireAt],
      [1, at(1100)],
      'the retry timer fires the first interval after the failure',
    );
    assert.deepEqual(afterFailure.effects, [{ kind: 'armTimer', id: 1, fireAt: at(1100) }]);

    const reattempt = await run.episode(1100, [fired(1, at(1100), 1100)]);
    assert.deepEqual(types(reattempt.events).slice(2, 3), [['TaskScheduled', 2]]);
    assert.equal(reattempt.events[2].Attempt, 2);
    assert.deepEqual(reattempt.disarmed, [1]);

    const lastFailure = await run.episode(1200, [failed(2, 'second failure')]);
    const finalTimer = lastFailure.events.find((e) => e.EventType === EventType.TimerCreated)!;
    assert.deepEqual(
      [finalTimer.EventId, finalTimer.FireAt],
      [3, at(1200)],
      'after the last attempt: one zero-delay timer',
    );

    const end = await run.episode(1200, [fired(3, at(1200), 1200)]);
    assert.equal(end.outcome.kind, 'completed');
    assert.match(JSON.parse((end.outcome as { output: string }).output), /^caught: second failure/);
  });

  test('an episode that advances a retry carries nothing else: other results wait for the next one', async () => {
    const run = new Run(function* (context) {
      return yield context.df.Task.all([
        context.df.callActivityWithRetry('flaky', new df.RetryOptions(1000, 2), 'x'),
        context.df.callActivity('hello', 'y'),
      ]);
    }, undefined);
    await run.start();
    const inbox: InboxMessage[] = [
      {
        id: 'm1',
        instanceId: 'instance',
        executionId: null,
        event: { EventType: EventType.TaskFailed, Timestamp: at(5), TaskScheduledId: 0, Reason: 'r' },
      },
      {
        id: 'm2',
        instanceId: 'instance',
        executionId: null,
        event: { EventType: EventType.TaskCompleted, Timestamp: at(5), TaskScheduledId: 1, Result: '"hi"' },
      },
    ];
    const selection = selectDeliveries(run.state, inbox, at(5));
    assert.equal(selection.kind, 'orchestrate');
    if (selection.kind !== 'orchestrate') return;
    assert.deepEqual(
      selection.delivered.map((e) => e.MessageId),
      ['m1'],
    );
    assert.deepEqual(selection.consumed, ['m1'], 'the other result stays in the inbox');
    assert.equal(selection.runAgain, true);
  });
});

describe('episode step: timers', () => {
  test('a durable timer: TimerCreated at fireAt and armed; TimerFired when due; the SDK clock is the episode time', async () => {
    const run = new Run(function* (context) {
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 500));
      return context.df.currentUtcDateTime.toISOString();
    }, undefined);
    const first = await run.start();
    assert.deepEqual(first.effects, [{ kind: 'armTimer', id: 0, fireAt: at(500) }]);
    assert.deepEqual(
      selectDeliveries(run.state, [], at(499)),
      { kind: 'nothing', done: false, consumed: [], armTimers: [{ id: 0, fireAt: at(500) }] },
      'not due: only re-armed',
    );
    const due = selectDeliveries(run.state, [], at(501));
    assert.equal(due.kind, 'orchestrate');
    if (due.kind !== 'orchestrate') return;
    assert.deepEqual(
      due.delivered.map((e) => [e.EventType, e.TimerId, e.FireAt]),
      [[EventType.TimerFired, 0, at(500)]],
    );
    const end = await run.episode(501, due.delivered);
    assert.deepEqual(end.outcome, { kind: 'completed', output: JSON.stringify(at(501)) });
  });

  test('Task.any: the event wins, the timer is cancelled (disarmed, listed on OrchestratorCompleted) and a late TimerFired is dropped', async () => {
    const run = new Run(function* (context) {
      const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60_000));
      const approval = context.df.waitForExternalEvent('Approval');
      const winner = yield context.df.Task.any([approval, timer]);
      if (winner !== approval) return 'timed out';
      timer.cancel();
      const squared = yield context.df.callActivity('square', 7);
      return { by: approval.result, squared };
    }, undefined);
    const first = await run.start();
    assert.deepEqual(
      first.effects,
      [{ kind: 'armTimer', id: 0, fireAt: at(60_000) }],
      'the wait schedules nothing',
    );

    const won = await run.episode(100, [raised('Approval', { user: 'ana' })]);
    assert.deepEqual(won.disarmed, [0]);
    const completedEvent = won.events.at(-1)!;
    assert.deepEqual((completedEvent as { CanceledTimers?: number[] }).CanceledTimers, [0]);
    assert.deepEqual(types(won.events).slice(2, 3), [['TaskScheduled', 1]]);
    assert.equal(run.state.scheduled.has(0), false, 'the cancelled timer is no longer outstanding');

    const late = selectDeliveries(
      run.state,
      [
        {
          id: 'late',
          instanceId: 'instance',
          executionId: null,
          event: { EventType: EventType.TimerFired, Timestamp: at(60_000), TimerId: 0 },
        },
      ],
      at(60_000),
    );
    assert.deepEqual(late, { kind: 'nothing', done: false, consumed: ['late'], armTimers: [] });
    const end = await run.episode(200, [completed(1, 49)]);
    assert.deepEqual(end.outcome, { kind: 'completed', output: '{"by":{"user":"ana"},"squared":49}' });
  });

  test('Task.any: the timer wins', async () => {
    const run = new Run(function* (context) {
      const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 100));
      const winner = yield context.df.Task.any([context.df.waitForExternalEvent('Approval'), timer]);
      return winner === timer ? 'timed out' : 'approved';
    }, undefined);
    await run.start();
    const end = await run.episode(100, [fired(0, at(100), 100)]);
    assert.deepEqual(end.outcome, { kind: 'completed', output: '"timed out"' });
  });
});

describe('episode step: external events, sub-orchestrations, continue-as-new', () => {
  test('external events are delivered in arrival order; stale and duplicate messages are dropped, not delivered', async () => {
    const run = new Run(function* (context) {
      const a = yield context.df.waitForExternalEvent('A');
      const b = yield context.df.waitForExternalEvent('B');
      return [a, b];
    }, undefined);
    await run.start();
    const inbox: InboxMessage[] = [
      {
        id: '2',
        instanceId: 'instance',
        executionId: null,
        event: { EventType: EventType.EventRaised, Timestamp: at(1), Name: 'A', Input: '"a"' },
      },
      {
        id: '1',
        instanceId: 'instance',
        executionId: null,
        event: { EventType: EventType.EventRaised, Timestamp: at(1), Name: 'B', Input: '"b"' },
      },
      {
        id: '3',
        instanceId: 'instance',
        executionId: 'an-earlier-execution',
        event: { EventType: EventType.EventRaised, Timestamp: at(1), Name: 'A', Input: '"old"' },
      },
      {
        id: '4',
        instanceId: 'instance',
        executionId: null,
        event: { EventType: EventType.TaskCompleted, Timestamp: at(1), TaskScheduledId: 7, Result: '1' },
      },
    ];
    const selection = selectDeliveries(run.state, inbox, at(2));
    assert.equal(selection.kind, 'orchestrate');
    if (selection.kind !== 'orchestrate') return;
    assert.deepEqual(
      selection.delivered.map((e) => e.Name),
      ['B', 'A'],
      'B arrived first (ids sort by arrival)',
    );
    assert.deepEqual(selection.consumed.sort(), ['1', '2', '3', '4']);
    const end = await run.episode(2, selection.delivered);
    assert.deepEqual(
      end.outcome,
      { kind: 'completed', output: '["a","b"]' },
      'the SDK buffers B until it is awaited',
    );
  });

  test('sub-orchestrations: a generated child id from the sequence number, a given one kept; results come back', async () => {
    const run = new Run(
      function* (context) {
        const one = yield context.df.callSubOrchestrator('child', { n: 1 });
        const two = yield context.df.callSubOrchestrator('child', { n: 2 }, 'fixed-child');
        return [one, two];
      },
      undefined,
      'parent',
    );
    const first = await run.start();
    const created = first.events.find((e) => e.EventType === EventType.SubOrchestrationInstanceCreated)!;
    assert.deepEqual([created.EventId, created.InstanceId, created.Input], [0, 'parent:0000', '{"n":1}']);
    assert.deepEqual(first.effects, [
      {
        kind: 'startChild',
        id: 0,
        task: {
          kind: 'sub',
          name: 'child',
          input: '{"n":1}',
          childInstanceId: 'parent:0000',
          retryGroup: undefined,
        },
      },
    ]);
    const second = await run.episode(10, [
      {
        EventType: EventType.SubOrchestrationInstanceCompleted,
        EventId: -1,
        IsPlayed: false,
        Timestamp: at(10),
        TaskScheduledId: 0,
        Result: '"one"',
      },
    ]);
    assert.equal(
      second.events.find((e) => e.EventType === EventType.SubOrchestrationInstanceCreated)!.InstanceId,
      'fixed-child',
    );
    const end = await run.episode(20, [
      {
        EventType: EventType.SubOrchestrationInstanceFailed,
        EventId: -1,
        IsPlayed: false,
        Timestamp: at(20),
        TaskScheduledId: 1,
        Reason: "Sub-orchestration 'child' (fixed-child) failed: no",
        Details: '',
      },
    ]);
    assert.equal(end.outcome.kind, 'failed');
  });

  test('continueAsNew: the execution ends with the new input; events no wait consumed carry over to the next execution', async () => {
    const run = new Run(function* (context) {
      const n = context.df.getInput();
      yield context.df.callActivity('square', n);
      context.df.continueAsNew(n + 1);
      return undefined;
    }, 1);
    await run.start();
    const step = await run.episode(10, [completed(0, 1), raised('Later', 'kept')]);
    assert.equal(step.outcome.kind, 'continuedAsNew');
    if (step.outcome.kind !== 'continuedAsNew') return;
    assert.equal(step.outcome.input, '2');
    assert.deepEqual(
      step.outcome.carried.map((e) => e.Name),
      ['Later'],
    );
    const next = nextExecution(run.state.record, step.outcome, null, at(10), run.ids);
    assert.equal(next.record.runtimeStatus, 'ContinuedAsNew');
    assert.notEqual(next.record.executionId, run.state.record.executionId);
    assert.equal(next.record.input, '2');
    assert.deepEqual(
      next.messages.map((m) => [m.executionId, m.event.EventType, m.event.Input]),
      [
        [next.record.executionId, EventType.ExecutionStarted, '2'],
        [next.record.executionId, EventType.EventRaised, '"kept"'],
      ],
    );
  });
});

describe('episode step: terminate and suspend', () => {
  test('terminate ends the execution whatever else waits in the inbox; the execution ends Terminated with the reason', async () => {
    const run = new Run(function* (context) {
      return yield context.df.waitForExternalEvent('Go');
    }, undefined);
    await run.start();
    const selection = selectDeliveries(
      run.state,
      [
        {
          id: '1',
          instanceId: 'instance',
          executionId: null,
          event: { EventType: EventType.EventRaised, Timestamp: at(1), Name: 'Go', Input: '1' },
        },
        {
          id: '2',
          instanceId: 'instance',
          executionId: null,
          event: { EventType: EventType.ExecutionTerminated, Timestamp: at(1), Input: '"enough"' },
        },
      ],
      at(2),
    );
    assert.deepEqual(
      selection,
      { kind: 'terminate', reason: 'enough', consumed: ['1', '2'], armTimers: [] },
      'what waited is consumed with the end',
    );
    const end = terminationEnd(run.state.record, 'enough', at(2));
    assert.equal(end.record.runtimeStatus, 'Terminated');
    assert.deepEqual(
      end.events.map((e) => [e.EventType, e.OrchestrationStatus]),
      [
        [EventType.ExecutionTerminated, undefined],
        [EventType.ExecutionCompleted, 'Terminated'],
      ],
    );
  });

  test('a suspended instance holds its messages until resumed', async () => {
    const run = new Run(function* (context) {
      return yield context.df.waitForExternalEvent('Go');
    }, undefined);
    await run.start();
    run.state.record = { ...run.state.record, runtimeStatus: 'Suspended' };
    const go: InboxMessage = {
      id: '1',
      instanceId: 'instance',
      executionId: null,
      event: { EventType: EventType.EventRaised, Timestamp: at(1), Name: 'Go', Input: '1' },
    };
    assert.deepEqual(selectDeliveries(run.state, [go], at(2)), {
      kind: 'nothing',
      done: false,
      consumed: [],
      armTimers: [],
    });
    const resume: InboxMessage = {
      id: '2',
      instanceId: 'instance',
      executionId: null,
      event: { EventType: EventType.ExecutionResumed, Timestamp: at(3), Reason: 'ok' },
    };
    const resumed = selectDeliveries(run.state, [go, resume], at(3));
    assert.equal(resumed.kind, 'suspension');
    assert.deepEqual(resumed.consumed, ['2'], 'the event waits for the episode after the resume');
  });
});

test('the action table covers every action type the SDK sends (WhenAll/WhenAny are flattened)', async () => {
  const { actionHandlers } = await import('../../emulators/functions-host/durable/action-handlers.js');
  const expected = Object.entries(ActionType)
    .filter(([name]) => name !== 'WhenAll' && name !== 'WhenAny')
    .map(([, n]) => n)
    .sort((a, b) => a - b);
  assert.deepEqual(
    Object.keys(actionHandlers)
      .map(Number)
      .sort((a, b) => a - b),
    expected,
  );
});
