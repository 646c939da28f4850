// What each new action of the orchestrator's answer becomes: one handler per action type
// (durable-js ActionType), each giving the action its sequence number in yield order, adding
// its scheduling event to the episode and listing the effect to carry out once it is
// committed. Pure: the clock and fresh ids come in through the step context.
import {
  ActionType,
  encodePreprocessedInput,
  encodeRawInput,
  type Action,
  type RetryOptionsWire,
} from './actions.js';
import { entitySchedulerId, type EntityMessage } from './entity-model.js';
import { HTTP_ACTIVITY } from './http-calls.js';
import { EventType, type HistoryEvent, type InboxMessage } from './model.js';
import type { ReplayState, ScheduledTask } from './replay-state.js';

/** Fresh ids a step may hand out (random in the engine, counters in tests). */
export interface StepIds {
  /** The request id of an entity call (the SDK matches the answer by it). */
  requestId(): string;
  messageId(): string;
  executionId(): string;
}

/** What the engine does once the episode is committed. */
export type Effect =
  | { kind: 'armTimer'; id: number; fireAt: string }
  | { kind: 'runActivity'; id: number; task: ScheduledTask }
  | { kind: 'startChild'; id: number; task: ScheduledTask }
  /** An event for this instance's own inbox (a re-attempt whose retry timeout has passed fails at once). */
  | { kind: 'deliver'; event: InboxMessage['event'] }
  | { kind: 'notifyEntity'; entityId: string; message: EntityMessage };

/** One episode's work in progress. */
export interface StepContext {
  readonly state: ReplayState;
  readonly now: string;
  readonly ids: StepIds;
  /** Scheduling events, in sequence-number order. */
  readonly events: HistoryEvent[];
  readonly effects: Effect[];
  /** Messages to entities, stored with the episode's commit. */
  readonly entityMessages: { entityId: string; message: EntityMessage }[];
  /** Timers no longer outstanding (fired or cancelled): the engine disarms them. */
  readonly disarmed: number[];
  continueAsNew?: Action;
  /** Set when an action cannot be served: the execution fails with it. */
  unsupported?: string;
}

export interface TaskToSchedule {
  kind: 'activity' | 'sub';
  name: string;
  input: string;
  leafIndex?: number;
  retryGroup?: number;
  attempt?: number;
  retryOptions?: RetryOptionsWire;
  fixedChildId?: string;
  /** A re-attempt after the retry timeout: it fails at once with the last failure. */
  timedOutFailure?: { Reason?: string; Details?: string };
  httpPolling?: boolean;
}

/** Adds the scheduling event for one task (first attempt or re-attempt) and its effect. */
export function scheduleTask(ctx: StepContext, id: number, task: TaskToSchedule): void {
  const { state, now } = ctx;
  const common = {
    EventId: id,
    IsPlayed: false,
    Timestamp: now,
    Name: task.name,
    Input: task.input,
    LeafIndex: task.leafIndex,
    RetryGroup: task.retryGroup,
    Attempt: task.attempt,
    RetryOptions: task.retryOptions as Record<string, unknown> | undefined,
  };
  if (task.kind === 'activity') {
    ctx.events.push({
      EventType: EventType.TaskScheduled,
      ...common,
      ...(task.httpPolling ? { HttpPolling: true } : {}),
    });
    const scheduled: ScheduledTask = {
      kind: 'activity',
      name: task.name,
      input: task.input,
      retryGroup: task.retryGroup,
      httpPolling: task.httpPolling,
    };
    state.scheduled.set(id, scheduled);
    const failure = task.timedOutFailure;
    ctx.effects.push(
      failure
        ? {
            kind: 'deliver',
            event: {
              EventType: EventType.TaskFailed,
              Timestamp: now,
              TaskScheduledId: id,
              Reason: `Retry timeout elapsed; last failure: ${failure.Reason ?? ''}`,
              Details: failure.Details ?? '',
            },
          }
        : { kind: 'runActivity', id, task: scheduled },
    );
    return;
  }
  const childInstanceId =
    task.fixedChildId ?? `${state.record.instanceId}:${id.toString(16).padStart(4, '0')}`;
  ctx.events.push({
    EventType: EventType.SubOrchestrationInstanceCreated,
    ...common,
    InstanceId: childInstanceId,
    ...(task.fixedChildId ? { FixedInstanceId: task.fixedChildId } : {}),
  } as HistoryEvent);
  const scheduled: ScheduledTask = {
    kind: 'sub',
    name: task.name,
    input: task.input,
    childInstanceId,
    retryGroup: task.retryGroup,
  };
  state.scheduled.set(id, scheduled);
  ctx.effects.push({ kind: 'startChild', id, task: scheduled });
}

/** Adds a timer to the episode (not armed when the orchestrator has already cancelled it). */
export function createTimer(
  ctx: StepContext,
  id: number,
  fireAt: string,
  fields: Partial<HistoryEvent>,
  armed = true,
): void {
  ctx.events.push({
    EventType: EventType.TimerCreated,
    EventId: id,
    IsPlayed: false,
    Timestamp: ctx.now,
    FireAt: fireAt,
    ...fields,
  });
  if (!armed) return;
  ctx.state.scheduled.set(id, {
    kind: 'timer',
    fireAt,
    retryGroup: fields.RetryGroup,
    httpPoll: fields.HttpPoll,
  });
  ctx.effects.push({ kind: 'armTimer', id, fireAt });
}

/** The next sequence number, recorded as the leaf's. */
function numberLeaf(ctx: StepContext, index: number): number {
  const id = ctx.state.nextId++;
  ctx.state.leafIds[index] = id;
  return id;
}

/** EventSent: the SDK re-keys a call (or lock) by the request id in its Input, then matches the EventRaised answer named by it. */
function sendToEntity(
  ctx: StepContext,
  id: number,
  index: number,
  entityId: string,
  name: string,
  wire: Record<string, unknown>,
  message: Omit<EntityMessage, 'id' | 'parent' | 'parentExecutionId'>,
): void {
  const { record } = ctx.state;
  ctx.events.push({
    EventType: EventType.EventSent,
    EventId: id,
    IsPlayed: false,
    Timestamp: ctx.now,
    InstanceId: entityId,
    Name: name,
    Input: JSON.stringify({ ...wire, parent: record.instanceId }),
    LeafIndex: index,
  });
  const full: EntityMessage = {
    ...message,
    id: ctx.ids.messageId(),
    parent: record.instanceId,
    parentExecutionId: record.executionId,
  };
  ctx.entityMessages.push({ entityId, message: full });
  ctx.effects.push({ kind: 'notifyEntity', entityId, message: full });
}

function callTask(ctx: StepContext, leaf: Action, index: number): void {
  const id = numberLeaf(ctx, index);
  const isSub =
    leaf.actionType === ActionType.CallSubOrchestrator ||
    leaf.actionType === ActionType.CallSubOrchestratorWithRetry;
  const withRetry =
    leaf.actionType === ActionType.CallActivityWithRetry ||
    leaf.actionType === ActionType.CallSubOrchestratorWithRetry;
  const input = isSub ? encodeRawInput(leaf.input) : encodePreprocessedInput(leaf.input);
  if (withRetry) {
    ctx.state.retryGroups.set(id, {
      kind: isSub ? 'sub' : 'activity',
      name: leaf.functionName ?? '',
      input,
      options: leaf.retryOptions!,
      failures: 0,
      firstAttemptAt: Date.parse(ctx.now),
      childInstanceId: leaf.instanceId,
    });
  }
  scheduleTask(ctx, id, {
    kind: isSub ? 'sub' : 'activity',
    name: leaf.functionName ?? '',
    input,
    leafIndex: index,
    retryGroup: withRetry ? id : undefined,
    attempt: withRetry ? 1 : undefined,
    retryOptions: withRetry ? leaf.retryOptions : undefined,
    fixedChildId: leaf.instanceId,
  });
}

function callEntity(ctx: StepContext, leaf: Action, index: number): void {
  const id = numberLeaf(ctx, index);
  const signal = leaf.actionType === ActionType.SignalEntity;
  const requestId = ctx.ids.requestId();
  const input = leaf.input === undefined ? undefined : JSON.stringify(leaf.input);
  sendToEntity(
    ctx,
    id,
    index,
    leaf.instanceId!,
    'op',
    { id: requestId, op: leaf.operation, signal, input },
    {
      kind: 'operation',
      operation: leaf.operation,
      input,
      signal,
      requestId: signal ? undefined : requestId,
    },
  );
}

type ActionHandler = (ctx: StepContext, leaf: Action, index: number) => void;

/** One handler per action type; a type missing here fails the execution ("Unknown action type"). */
export const actionHandlers: Readonly<Partial<Record<number, ActionHandler>>> = {
  [ActionType.CallActivity]: callTask,
  [ActionType.CallActivityWithRetry]: callTask,
  [ActionType.CallSubOrchestrator]: callTask,
  [ActionType.CallSubOrchestratorWithRetry]: callTask,
  [ActionType.CreateTimer]: (ctx, leaf, index) => {
    const id = numberLeaf(ctx, index);
    createTimer(ctx, id, new Date(leaf.fireAt!).toISOString(), { LeafIndex: index }, !leaf.isCanceled);
  },
  [ActionType.ContinueAsNew]: (ctx, leaf) => {
    ctx.state.nextId++;
    ctx.continueAsNew = leaf;
  },
  // Matched by name when the event arrives (see episode.ts): nothing to schedule.
  [ActionType.WaitForExternalEvent]: () => undefined,
  [ActionType.CallEntity]: callEntity,
  [ActionType.SignalEntity]: callEntity,
  [ActionType.LockEntities]: (ctx, leaf, index) => {
    const id = numberLeaf(ctx, index);
    const lockSet = (leaf.lockSet ?? []).map((e) => entitySchedulerId(e.name, e.key));
    sendToEntity(
      ctx,
      id,
      index,
      lockSet[0],
      'op',
      { id: leaf.lockRequestId, lockset: lockSet, pos: 0 },
      { kind: 'lock', requestId: leaf.lockRequestId, lockSet, position: 0 },
    );
    ctx.state.heldLocks = lockSet;
  },
  [ActionType.ReleaseEntities]: (ctx, _leaf, index) => {
    // The SDK counts one sequence number per released entity.
    for (const entityId of ctx.state.heldLocks) {
      const id = ctx.state.nextId++;
      ctx.state.leafIds[index] ??= id;
      sendToEntity(
        ctx,
        id,
        index,
        entityId,
        'release',
        { releaseorchestrationlock: true },
        { kind: 'release' },
      );
    }
    ctx.state.heldLocks = [];
  },
  [ActionType.CallHttp]: (ctx, leaf, index) => {
    const id = numberLeaf(ctx, index);
    const request = leaf.httpRequest ?? {};
    scheduleTask(ctx, id, {
      kind: 'activity',
      name: HTTP_ACTIVITY,
      input: JSON.stringify(request),
      leafIndex: index,
      httpPolling: request.asynchronousPatternEnabled !== false,
    });
  },
};
