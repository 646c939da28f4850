// One orchestration episode as pure functions of the replay state (no store, no clock, no
// randomness: `now` and fresh ids come in), in the order the engine calls them:
//   selectDeliveries: which waiting messages (and due timers) this episode delivers;
//   orchestratorInput: the history the SDK replays;
//   stepEpisode: the SDK's answer → new history events, effects for after the commit, and
//     how the execution goes on (running, completed, failed, continued as new).
// stepEpisode advances the replay state in place by the events it returns, so the state
// stays the fold of the history (foldHistory(history + events)); the engine drops it and
// reloads from storage when the commit fails.
import {
  flattenActions,
  encodePreprocessedInput,
  ActionType,
  retryDelayMs,
  type OrchestratorState,
} from './actions.js';
import {
  actionHandlers,
  createTimer,
  scheduleTask,
  type Effect,
  type StepContext,
  type StepIds,
} from './action-handlers.js';
import type { EntityMessage } from './entity-model.js';
import { DEFAULT_POLL_MS, HTTP_ACTIVITY, pollAfter } from './http-calls.js';
import {
  EventType,
  terminalStatuses,
  type HistoryEvent,
  type InboxMessage,
  type InstanceRecord,
} from './model.js';
import { completionId, type ReplayState } from './replay-state.js';

/** Tell the SDK (schema V3) that timers never need splitting: this host has no queue visibility limit. */
const MAX_SHORT_TIMER = '3650.00:00:00';

export type Selection = { consumed: string[]; armTimers: { id: number; fireAt: string }[] } &
  /** Nothing to run: only stale messages to drop (and, when finished, the instance to let go). */
  (
    | { kind: 'nothing'; done: boolean }
    | { kind: 'terminate'; reason: string }
    | { kind: 'suspension'; change: 'suspend' | 'resume'; delivered: HistoryEvent[] }
    /** `runAgain`: results held back for the next episode (see README, "Retries"). */
    | { kind: 'orchestrate'; delivered: HistoryEvent[]; runAgain: boolean }
  );

/** Which messages an episode delivers, in arrival order, and which it drops as stale. */
export function selectDeliveries(state: ReplayState, inbox: InboxMessage[], now: string): Selection {
  const { record } = state;
  const consumed: string[] = [];
  let delivered: { event: HistoryEvent; messageId?: string }[] = [];
  let terminateReason: string | undefined;
  let suspendChange: 'suspend' | 'resume' | undefined;
  const done = terminalStatuses.has(record.runtimeStatus);
  const suspended = record.runtimeStatus === 'Suspended';
  const deliver = (message: InboxMessage) => {
    delivered.push({
      event: { ...message.event, EventId: -1, IsPlayed: false, MessageId: message.id } as HistoryEvent,
      messageId: message.id,
    });
    consumed.push(message.id);
  };

  for (const message of [...inbox].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const event = message.event;
    const stale =
      (message.executionId && message.executionId !== record.executionId) ||
      state.consumedMessageIds.has(message.id);
    if (stale || done) consumed.push(message.id);
    else if (event.EventType === EventType.ExecutionTerminated) {
      terminateReason = event.Input ? String(JSON.parse(event.Input)) : '';
      consumed.push(message.id);
    } else if (
      event.EventType === EventType.ExecutionSuspended ||
      event.EventType === EventType.ExecutionResumed
    ) {
      if (suspendChange) continue;
      suspendChange = event.EventType === EventType.ExecutionSuspended ? 'suspend' : 'resume';
      deliver(message);
    } else if (suspended || suspendChange) continue;
    else if (event.EventType === EventType.ExecutionStarted && state.history.length > 0)
      consumed.push(message.id);
    else {
      const id = completionId(event);
      if (id !== undefined && !state.scheduled.has(id))
        consumed.push(message.id); // a duplicate, or the answer to something already settled
      else deliver(message);
    }
  }

  const armTimers: { id: number; fireAt: string }[] = [];
  if (!done && terminateReason === undefined && !suspended && !suspendChange) {
    for (const [id, task] of state.scheduled) {
      if (task.kind !== 'timer') continue;
      if (Date.parse(task.fireAt!) > Date.parse(now)) armTimers.push({ id, fireAt: task.fireAt! });
      else if (!delivered.some((d) => completionId(d.event) === id)) {
        delivered.push({
          event: {
            EventType: EventType.TimerFired,
            EventId: -1,
            IsPlayed: false,
            Timestamp: now,
            TimerId: id,
            FireAt: task.fireAt,
          },
        });
      }
    }
  }

  if (done || (terminateReason === undefined && delivered.length === 0))
    return { kind: 'nothing', done, consumed, armTimers };
  if (terminateReason !== undefined)
    return { kind: 'terminate', reason: terminateReason, consumed, armTimers };
  if (suspendChange)
    return {
      kind: 'suspension',
      change: suspendChange,
      delivered: delivered.map((d) => d.event),
      consumed,
      armTimers,
    };

  // Retries number their timers and re-attempts while results are processed, so an episode
  // that advances a retry carries nothing else: the SDK then assigns exactly the ids this
  // host assigns (see README, "Retries").
  const consumesIds = (event: HistoryEvent) => consumesRetryId(state, event);
  let runAgain = false;
  if (delivered.some((d) => consumesIds(d.event)) && delivered.some((d) => !consumesIds(d.event))) {
    const keep = new Set(
      delivered
        .filter((d) => !consumesIds(d.event))
        .map((d) => d.messageId)
        .filter(Boolean),
    );
    delivered = delivered.filter((d) => consumesIds(d.event));
    const kept = consumed.filter((id) => !keep.has(id));
    consumed.splice(0, consumed.length, ...kept);
    runAgain = true;
  }
  return { kind: 'orchestrate', delivered: delivered.map((d) => d.event), runAgain, consumed, armTimers };
}

/** Whether the SDK numbers new tasks while it reads this event (retry timers and re-attempts, durable HTTP polls). */
function consumesRetryId(state: ReplayState, event: HistoryEvent): boolean {
  const id = completionId(event);
  if (id === undefined) return false;
  const task = state.scheduled.get(id);
  if (task?.httpPolling && event.EventType === EventType.TaskCompleted && pollAfter(event.Result, task.input))
    return true;
  if (task?.retryGroup === undefined) return false;
  const group = state.retryGroups.get(task.retryGroup);
  if (!group) return false;
  if (
    event.EventType === EventType.TaskFailed ||
    event.EventType === EventType.SubOrchestrationInstanceFailed
  )
    return true;
  return event.EventType === EventType.TimerFired && group.failures < group.options.maxNumberOfAttempts;
}

/** The episode's first events: OrchestratorStarted (the SDK's clock), then what it delivers. */
export function episodeEvents(now: string, delivered: HistoryEvent[]): HistoryEvent[] {
  return [
    { EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: now },
    ...delivered,
  ];
}

/** The orchestrator trigger's input: the committed history (played) and this episode's events. */
export function orchestratorInput(state: ReplayState, newEvents: HistoryEvent[]): Record<string, unknown> {
  const { record } = state;
  return {
    history: [...state.history.map((e) => ({ ...e, IsPlayed: true })), ...newEvents],
    input: record.input === null ? undefined : JSON.parse(record.input),
    instanceId: record.instanceId,
    isReplaying: state.history.length > 0,
    parentInstanceId: record.parentInstanceId,
    upperSchemaVersion: 1,
    // V4 (3): the SDK then offers context.df.lock (critical sections over entities).
    upperSchemaVersionNew: 3,
    longRunningTimerIntervalDuration: '3.00:00:00',
    maximumShortTimerDuration: MAX_SHORT_TIMER,
    defaultHttpAsyncRequestSleepTimeMillseconds: DEFAULT_POLL_MS,
  };
}

export type Outcome =
  | { kind: 'running' }
  | { kind: 'completed'; output: string }
  | { kind: 'failed'; reason: string }
  /** `carried`: raised events no wait consumed, which the next execution gets. */
  | { kind: 'continuedAsNew'; input: string; carried: HistoryEvent[] };

export interface StepResult {
  /**
   * History events to commit: the episode's events, its scheduling events and (running) its
   * OrchestratorCompleted. An ending execution appends its end (executionEnd).
   */
  events: HistoryEvent[];
  /** For after the commit, in order (only while running). */
  effects: Effect[];
  /** Messages to entities, stored with the commit. */
  entityMessages: { entityId: string; message: EntityMessage }[];
  /** Timers no longer outstanding: disarm now. */
  disarmed: number[];
  customStatus: string | null;
  outcome: Outcome;
}

/** Turns the orchestrator's answer to the delivered events into the episode's events and effects. */
export function stepEpisode(
  state: ReplayState,
  delivered: HistoryEvent[],
  answer: OrchestratorState,
  now: string,
  ids: StepIds,
): StepResult {
  const ctx: StepContext = { state, now, ids, events: [], effects: [], entityMessages: [], disarmed: [] };
  const started = episodeEvents(now, delivered);
  const customStatus = answer.customStatus === undefined ? null : JSON.stringify(answer.customStatus);
  const result = (outcome: Outcome, events: HistoryEvent[] = [...started, ...ctx.events]): StepResult => ({
    events,
    effects: ctx.effects,
    entityMessages: ctx.entityMessages,
    disarmed: ctx.disarmed,
    customStatus,
    outcome,
  });
  settleDelivered(ctx, delivered);
  if (answer.error !== undefined || !Array.isArray(answer.actions))
    return result({ kind: 'failed', reason: answer.error ?? 'The orchestrator returned no actions.' });

  const leaves = flattenActions(answer);
  for (let index = state.leafCount; index < leaves.length; index++) {
    const handler = actionHandlers[leaves[index].actionType];
    if (handler) handler(ctx, leaves[index], index);
    else ctx.unsupported = `Unknown action type ${leaves[index].actionType}.`;
  }
  // Timers the orchestrator cancelled (Task.any losers) are never fired.
  const canceledTimers: number[] = [];
  leaves.forEach((leaf, index) => {
    const id = state.leafIds[index];
    if (
      leaf.actionType === ActionType.CreateTimer &&
      leaf.isCanceled &&
      id !== undefined &&
      state.scheduled.has(id)
    ) {
      state.scheduled.delete(id);
      ctx.disarmed.push(id);
      canceledTimers.push(id);
    }
  });
  state.leafCount = leaves.length;
  if (ctx.unsupported) return result({ kind: 'failed', reason: ctx.unsupported });
  if (answer.isDone && ctx.continueAsNew) {
    // Events raised during the last episode that no wait consumed carry over, as on Azure.
    const awaited = new Set(
      leaves.filter((l) => l.actionType === ActionType.WaitForExternalEvent).map((l) => l.externalEventName),
    );
    const carried = delivered.filter((e) => e.EventType === EventType.EventRaised && !awaited.has(e.Name));
    return result({
      kind: 'continuedAsNew',
      input: encodePreprocessedInput(ctx.continueAsNew.input),
      carried,
    });
  }
  if (answer.isDone)
    return result({
      kind: 'completed',
      output: JSON.stringify(answer.output === undefined ? null : answer.output),
    });
  const orchestratorCompleted = {
    EventType: EventType.OrchestratorCompleted,
    EventId: -1,
    IsPlayed: false,
    Timestamp: now,
    ActionCount: leaves.length,
    ...(canceledTimers.length ? { CanceledTimers: canceledTimers } : {}),
  } as HistoryEvent;
  return result({ kind: 'running' }, [...started, ...ctx.events, orchestratorCompleted]);
}

/** Bookkeeping for what was just delivered: the tasks settle; retry timers, re-attempts and HTTP polls take the next ids. */
function settleDelivered(ctx: StepContext, delivered: HistoryEvent[]): void {
  const { state, now } = ctx;
  for (const event of delivered) {
    const id = completionId(event);
    if (id === undefined) continue;
    const task = state.scheduled.get(id);
    state.scheduled.delete(id);
    if (task?.kind === 'timer') ctx.disarmed.push(id);
    // Durable HTTP polling: a 202 + Location reserves the timer's and the poll's ids now, as the SDK does.
    const poll =
      task?.httpPolling && event.EventType === EventType.TaskCompleted
        ? pollAfter(event.Result, task.input)
        : undefined;
    if (poll) {
      const timerId = state.nextId++;
      const pollId = state.nextId++;
      createTimer(ctx, timerId, new Date(Date.parse(now) + poll.delayMs).toISOString(), {
        HttpPoll: { taskId: pollId, input: poll.pollInput },
      });
    }
    if (task?.httpPoll && event.EventType === EventType.TimerFired) {
      scheduleTask(ctx, task.httpPoll.taskId, {
        kind: 'activity',
        name: HTTP_ACTIVITY,
        input: task.httpPoll.input,
        httpPolling: true,
      });
    }
    const group = task?.retryGroup !== undefined ? state.retryGroups.get(task.retryGroup) : undefined;
    if (!group || task?.retryGroup === undefined) continue;
    const groupId = task.retryGroup;
    if (
      event.EventType === EventType.TaskFailed ||
      event.EventType === EventType.SubOrchestrationInstanceFailed
    ) {
      group.failures++;
      group.lastFailure = { Reason: event.Reason, Details: event.Details };
      const delay = retryDelayMs(group.options, group.failures, group.firstAttemptAt, Date.parse(now));
      createTimer(ctx, state.nextId++, new Date(Date.parse(now) + delay).toISOString(), {
        RetryGroup: groupId,
      });
    } else if (
      event.EventType === EventType.TimerFired &&
      group.failures < group.options.maxNumberOfAttempts
    ) {
      const attemptId = state.nextId++;
      const timedOut = retryDelayMs(group.options, 1, group.firstAttemptAt, Date.parse(now)) === 0;
      scheduleTask(ctx, attemptId, {
        kind: group.kind,
        name: group.name,
        input: group.input,
        retryGroup: groupId,
        attempt: group.failures + 1,
        fixedChildId: group.childInstanceId,
        timedOutFailure: timedOut ? group.lastFailure : undefined,
      });
    }
  }
}

/** The events and instance row that end an execution as Completed or Failed. */
export function executionEnd(
  record: InstanceRecord,
  now: string,
  outcome: { output?: string; failed?: string; customStatus?: string | null },
): { record: InstanceRecord; events: HistoryEvent[]; failedMessage?: string } {
  const failedMessage =
    outcome.failed !== undefined
      ? `Orchestrator function '${record.name}' failed: ${outcome.failed}`
      : undefined;
  const result = failedMessage !== undefined ? JSON.stringify(failedMessage) : (outcome.output ?? 'null');
  const finished: InstanceRecord = {
    ...record,
    runtimeStatus: failedMessage !== undefined ? 'Failed' : 'Completed',
    output: result,
    customStatus: outcome.customStatus !== undefined ? outcome.customStatus : record.customStatus,
    lastUpdatedTime: now,
    completedTime: now,
  };
  const completed: HistoryEvent = {
    EventType: EventType.ExecutionCompleted,
    EventId: -1,
    IsPlayed: false,
    Timestamp: now,
    OrchestrationStatus: finished.runtimeStatus,
    Result: result,
    ...(failedMessage !== undefined
      ? { FailureDetails: { ErrorType: 'OrchestrationFailure', ErrorMessage: failedMessage } }
      : {}),
  };
  return {
    record: finished,
    events: [
      completed,
      { EventType: EventType.OrchestratorCompleted, EventId: -1, IsPlayed: false, Timestamp: now },
    ],
    failedMessage,
  };
}

/** The events and instance row of a terminated execution. */
export function terminationEnd(
  record: InstanceRecord,
  reason: string,
  now: string,
): { record: InstanceRecord; events: HistoryEvent[] } {
  return {
    record: {
      ...record,
      runtimeStatus: 'Terminated',
      output: JSON.stringify(reason),
      lastUpdatedTime: now,
      completedTime: now,
    },
    events: [
      {
        EventType: EventType.ExecutionTerminated,
        EventId: -1,
        IsPlayed: false,
        Timestamp: now,
        Input: JSON.stringify(reason),
      },
      {
        EventType: EventType.ExecutionCompleted,
        EventId: -1,
        IsPlayed: false,
        Timestamp: now,
        OrchestrationStatus: 'Terminated',
        Result: JSON.stringify(reason),
      },
    ],
  };
}

/** ExecutionStarted for a new execution (its first message). */
export function executionStarted(record: InstanceRecord, now: string): InboxMessage['event'] {
  return {
    EventType: EventType.ExecutionStarted,
    Timestamp: now,
    Name: record.name,
    Version: '',
    Input: record.input ?? undefined,
    OrchestrationInstance: { InstanceId: record.instanceId, ExecutionId: record.executionId },
    ParentInstance: record.parentInstanceId
      ? {
          Name: '',
          OrchestrationInstance: {
            InstanceId: record.parentInstanceId,
            ExecutionId: record.parentExecutionId ?? '',
          },
          TaskScheduleId: record.parentTaskId ?? -1,
        }
      : undefined,
  };
}

/** continueAsNew: the next execution's row and first messages (its start, then the carried events). */
export function nextExecution(
  record: InstanceRecord,
  outcome: { input: string; carried: HistoryEvent[] },
  customStatus: string | null,
  now: string,
  ids: StepIds,
): { record: InstanceRecord; messages: InboxMessage[] } {
  const next: InstanceRecord = {
    ...record,
    executionId: ids.executionId(),
    input: outcome.input,
    output: null,
    customStatus,
    runtimeStatus: 'ContinuedAsNew',
    lastUpdatedTime: now,
    historyLength: 0,
  };
  const message = (event: InboxMessage['event']): InboxMessage => ({
    id: ids.messageId(),
    instanceId: record.instanceId,
    executionId: next.executionId,
    event,
  });
  return {
    record: next,
    messages: [
      executionStarted(next, now),
      ...outcome.carried.map((e) => ({
        EventType: e.EventType,
        Timestamp: e.Timestamp,
        Name: e.Name,
        Input: e.Input,
      })),
    ].map(message),
  };
}

/** What a finished child tells its parent: SubOrchestrationInstanceCompleted, or …Failed naming how it ended. */
export function parentNotice(child: InstanceRecord, taskId: number, now: string): InboxMessage['event'] {
  if (child.runtimeStatus === 'Completed')
    return {
      EventType: EventType.SubOrchestrationInstanceCompleted,
      Timestamp: now,
      TaskScheduledId: taskId,
      Result: child.output ?? 'null',
    };
  return {
    EventType: EventType.SubOrchestrationInstanceFailed,
    Timestamp: now,
    TaskScheduledId: taskId,
    Reason: `Sub-orchestration '${child.name}' (${child.instanceId}) ${child.runtimeStatus.toLowerCase()}: ${child.output ? String(JSON.parse(child.output)) : ''}`,
    Details: '',
  };
}
