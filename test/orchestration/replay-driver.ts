// Runs an orchestrator through the durable-functions SDK's own replay engine on a virtual
// clock: activities answer from a script at once, timers fire by jumping the clock to their
// fireAt. Thirty minutes of polling take milliseconds, and every episode is a real replay
// of the full history, as on Azure.
import {
  ActionType,
  flattenActions,
  type OrchestratorState,
  type RetryOptionsWire,
} from '../../emulators/functions-host/durable/actions.js';
import { EventType, type HistoryEvent } from '../../emulators/functions-host/durable/model.js';
import { Orchestrator } from '../support/durable-sdk.js';

export interface ActivityCall {
  name: string;
  input: unknown;
  /** Virtual time of the call, ms since the epoch. */
  at: number;
  /** The retry options of a call with retry, as the orchestrator asked for them. */
  retryOptions?: RetryOptionsWire;
}

/** An entity operation the orchestrator sent: a call (answered by `entity`) or a signal. */
export interface EntityOperation {
  /** The scheduler id, '@name@key'. */
  entityId: string;
  operation: string;
  input: unknown;
  signal: boolean;
  at: number;
}

export interface DriverRun {
  output?: unknown;
  error?: string;
  /** Every activity call in order. */
  calls: ActivityCall[];
  /** Every entity call and signal in order. */
  entityOps: EntityOperation[];
  /** Every timer the orchestrator created: when, and for when. */
  timers: { createdAt: number; fireAt: number }[];
  customStatuses: unknown[];
  history: HistoryEvent[];
  endedAt: number;
}

const event = (type: number, at: number, extra: Partial<HistoryEvent> = {}): HistoryEvent => ({
  EventType: type,
  EventId: -1,
  IsPlayed: false,
  Timestamp: new Date(at).toISOString(),
  ...extra,
});

/** Drives `orchestrator` to its end; `answer(call)` gives each activity's result (throw to fail it). */
/** An external event the driver raises at a virtual time (as a verified webhook would). */
export interface ScriptedEvent {
  name: string;
  /** Virtual ms since the epoch; delivered at the first episode boundary at or after it. */
  at: number;
  data: unknown;
}

export async function drive(
  orchestrator: unknown,
  input: unknown,
  answer: (call: ActivityCall) => unknown,
  options: {
    startAt?: number;
    instanceId?: string;
    maxEpisodes?: number;
    events?: ScriptedEvent[];
    /** Answers entity calls (and sees signals; their answer is ignored), as the extension would. */
    entity?: (op: EntityOperation) => unknown;
  } = {},
): Promise<DriverRun> {
  const handle = new Orchestrator(orchestrator).listen();
  const instanceId = options.instanceId ?? 'driver-instance';
  let now = options.startAt ?? Date.parse('2026-01-01T00:00:00Z');
  const history: HistoryEvent[] = [
    event(EventType.OrchestratorStarted, now),
    event(EventType.ExecutionStarted, now, { Name: 'driven', Input: JSON.stringify(input) }),
  ];
  const run: DriverRun = { calls: [], entityOps: [], timers: [], customStatuses: [], history, endedAt: now };
  let scheduledLeaves = 0;
  let nextId = 0;
  const pendingTimers: { id: number; fireAt: number }[] = [];
  const raised = new Set<ScriptedEvent>();

  for (let episode = 0; episode < (options.maxEpisodes ?? 10_000); episode++) {
    let state: OrchestratorState;
    try {
      state = await handle(
        {
          history: structuredClone(history),
          input,
          instanceId,
          isReplaying: false,
          upperSchemaVersion: 1,
          upperSchemaVersionNew: 2,
          longRunningTimerIntervalDuration: '3.00:00:00',
          maximumShortTimerDuration: '3650.00:00:00',
          defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
        },
        {},
      );
    } catch (error) {
      const text = (error as Error).message;
      const at = text.indexOf('$OutOfProcData$:');
      state =
        at >= 0
          ? JSON.parse(text.slice(at + '$OutOfProcData$:'.length))
          : { isDone: false, actions: [], error: text };
    }
    if (state.customStatus !== undefined) run.customStatuses.push(state.customStatus);
    if (state.isDone || state.error !== undefined) {
      // The extension still sends the signals of the episode that ended the orchestration.
      for (const leaf of flattenActions(state).slice(scheduledLeaves))
        if (leaf.actionType === ActionType.SignalEntity) {
          const op: EntityOperation = {
            entityId: leaf.instanceId!,
            operation: leaf.operation!,
            input: leaf.input === undefined ? undefined : structuredClone(leaf.input),
            signal: true,
            at: now,
          };
          run.entityOps.push(op);
          options.entity?.(op);
        }
      return state.error !== undefined
        ? { ...run, error: state.error, endedAt: now }
        : { ...run, output: state.output, endedAt: now };
    }

    const completions: HistoryEvent[] = [];
    const leaves = flattenActions(state);
    for (const leaf of leaves.slice(scheduledLeaves)) {
      if (leaf.actionType === ActionType.WaitForExternalEvent) continue;
      const id = nextId++;
      if (leaf.actionType === ActionType.CreateTimer) {
        // The SDK hands a Date: Date.parse would read it through toString(), dropping the ms.
        const fireAt = new Date(leaf.fireAt!).getTime();
        history.push(event(EventType.TimerCreated, now, { EventId: id, FireAt: leaf.fireAt }));
        pendingTimers.push({ id, fireAt });
        run.timers.push({ createdAt: now, fireAt });
        continue;
      }
      if (leaf.actionType === ActionType.CallEntity || leaf.actionType === ActionType.SignalEntity) {
        // As the extension records it: EventSent names the request id the answer (an EventRaised
        // of that name, carrying {result: JSON text}) comes back under; a signal gets no answer.
        const signal = leaf.actionType === ActionType.SignalEntity;
        const requestId = `request-${id}`;
        const input = leaf.input === undefined ? undefined : JSON.stringify(leaf.input);
        history.push(
          event(EventType.EventSent, now, {
            EventId: id,
            InstanceId: leaf.instanceId,
            Name: 'op',
            Input: JSON.stringify({ id: requestId, op: leaf.operation, signal, input, parent: instanceId }),
          }),
        );
        const op: EntityOperation = {
          entityId: leaf.instanceId!,
          operation: leaf.operation!,
          input: input === undefined ? undefined : JSON.parse(input),
          signal,
          at: now,
        };
        run.entityOps.push(op);
        if (!options.entity) throw new Error('the orchestrator used an entity and the test gave no entity');
        const result = options.entity(op);
        if (!signal)
          completions.push(
            event(EventType.EventRaised, now, {
              Name: requestId,
              Input: JSON.stringify({ result: JSON.stringify(result ?? null) }),
            }),
          );
        continue;
      }
      if (leaf.actionType !== ActionType.CallActivity && leaf.actionType !== ActionType.CallActivityWithRetry)
        throw new Error(`the driver does not handle action type ${leaf.actionType}`);
      history.push(event(EventType.TaskScheduled, now, { EventId: id, Name: leaf.functionName }));
      const parsedInput = typeof leaf.input === 'string' ? JSON.parse(leaf.input) : leaf.input;
      const call: ActivityCall = {
        name: leaf.functionName!,
        input: parsedInput,
        at: now,
        ...(leaf.retryOptions ? { retryOptions: leaf.retryOptions } : {}),
      };
      run.calls.push(call);
      try {
        completions.push(
          event(EventType.TaskCompleted, now, {
            TaskScheduledId: id,
            Result: JSON.stringify(answer(call) ?? null),
          }),
        );
      } catch (error) {
        completions.push(
          event(EventType.TaskFailed, now, {
            TaskScheduledId: id,
            Reason: (error as Error).message,
            Details: '',
          }),
        );
      }
    }
    scheduledLeaves = leaves.length;
    history.push(event(EventType.OrchestratorCompleted, now));

    // Next episode: activity results first; then an event due before the earliest timer;
    // otherwise jump to that timer. (Durable buffers an event nobody waits for yet.)
    const events = (options.events ?? []).filter((e) => !raised.has(e)).sort((a, b) => a.at - b.at);
    pendingTimers.sort((a, b) => a.fireAt - b.fireAt);
    const dueEvent = events.find(
      (e) => e.at <= (completions.length ? now : (pendingTimers[0]?.fireAt ?? Infinity)),
    );
    if (completions.length === 0 && dueEvent) {
      raised.add(dueEvent);
      now = Math.max(now, dueEvent.at);
      history.push(
        event(EventType.OrchestratorStarted, now),
        event(EventType.EventRaised, now, { Name: dueEvent.name, Input: JSON.stringify(dueEvent.data) }),
      );
    } else if (completions.length === 0) {
      const timer = pendingTimers.shift();
      if (!timer) throw new Error('the orchestrator waits for nothing the driver can deliver');
      now = Math.max(now, timer.fireAt);
      history.push(
        event(EventType.OrchestratorStarted, now),
        event(EventType.TimerFired, now, { TimerId: timer.id, FireAt: new Date(timer.fireAt).toISOString() }),
      );
    } else {
      const alongside = dueEvent
        ? [event(EventType.EventRaised, now, { Name: dueEvent.name, Input: JSON.stringify(dueEvent.data) })]
        : [];
      if (dueEvent) raised.add(dueEvent);
      history.push(event(EventType.OrchestratorStarted, now), ...completions, ...alongside);
    }
  }
  throw new Error('the orchestration did not end within the episode limit');
}
