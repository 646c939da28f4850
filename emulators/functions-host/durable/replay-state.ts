// The replay state of one orchestration execution, as a fold of its committed history: the
// tasks still outstanding, retry groups, the sequence numbers the SDK gave its actions and
// the next one. The host keeps no other record of outstanding work (see README, "Durability").
import type { RetryOptionsWire } from './actions.js';
import { EventType, type HistoryEvent, type InboxMessage, type InstanceRecord } from './model.js';

export interface ScheduledTask {
  kind: 'activity' | 'timer' | 'sub';
  name?: string;
  input?: string;
  fireAt?: string;
  childInstanceId?: string;
  retryGroup?: number;
  /** Durable HTTP request that follows 202 + Location. */
  httpPolling?: boolean;
  /** A timer before a durable HTTP poll: the poll's reserved id and request. */
  httpPoll?: { taskId: number; input: string };
}

export interface RetryGroup {
  kind: 'activity' | 'sub';
  name: string;
  input: string;
  options: RetryOptionsWire;
  failures: number;
  firstAttemptAt: number;
  lastFailure?: { Reason?: string; Details?: string };
  /** User-given child id, reused by every attempt. */
  childInstanceId?: string;
}

/**
 * What the committed history of one execution says: what is outstanding, which ids the SDK
 * gave which actions, which ids come next. Rebuilt from the history alone after a restart
 * (foldHistory); an episode advances it by the events it adds (see episode.ts).
 */
export interface ReplayState {
  record: InstanceRecord;
  history: HistoryEvent[];
  scheduled: Map<number, ScheduledTask>;
  retryGroups: Map<number, RetryGroup>;
  leafIds: (number | undefined)[];
  leafCount: number;
  nextId: number;
  consumedMessageIds: Set<string>;
  /** Entities this instance holds in a critical section (released when it ends). */
  heldLocks: string[];
}

/** An instance as the engine holds it: its replay state and the messages waiting for it. */
export interface LiveInstance extends ReplayState {
  inbox: InboxMessage[];
}

const completionTypes = new Set<number>([
  EventType.TaskCompleted,
  EventType.TaskFailed,
  EventType.SubOrchestrationInstanceCompleted,
  EventType.SubOrchestrationInstanceFailed,
]);

export function completionId(event: {
  EventType: number;
  TaskScheduledId?: number;
  TimerId?: number;
}): number | undefined {
  if (completionTypes.has(event.EventType)) return event.TaskScheduledId;
  if (event.EventType === EventType.TimerFired) return event.TimerId;
  return undefined;
}

/** Rebuilds what is outstanding from the committed history alone. */
export function foldHistory(record: InstanceRecord, history: HistoryEvent[]): ReplayState {
  const live: ReplayState = {
    record,
    history,
    scheduled: new Map(),
    retryGroups: new Map(),
    leafIds: [],
    leafCount: 0,
    nextId: 0,
    consumedMessageIds: new Set(),
    heldLocks: [],
  };
  for (const event of history) {
    if (event.MessageId) live.consumedMessageIds.add(event.MessageId);
    switch (event.EventType) {
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
      case EventType.TimerCreated: {
        const kind =
          event.EventType === EventType.TaskScheduled
            ? 'activity'
            : event.EventType === EventType.TimerCreated
              ? 'timer'
              : 'sub';
        live.scheduled.set(event.EventId, {
          kind,
          name: event.Name,
          input: event.Input,
          fireAt: event.FireAt,
          childInstanceId: event.InstanceId,
          retryGroup: event.RetryGroup,
          httpPolling: event.HttpPolling,
          httpPoll: event.HttpPoll,
        });
        live.nextId = Math.max(live.nextId, event.EventId + 1, (event.HttpPoll?.taskId ?? -1) + 1);
        if (event.LeafIndex !== undefined) live.leafIds[event.LeafIndex] = event.EventId;
        if (event.RetryGroup !== undefined && event.RetryOptions && kind !== 'timer') {
          live.retryGroups.set(event.RetryGroup, {
            kind: kind === 'sub' ? 'sub' : 'activity',
            name: event.Name ?? '',
            input: event.Input ?? 'null',
            options: event.RetryOptions as unknown as RetryOptionsWire,
            failures: 0,
            firstAttemptAt: Date.parse(event.Timestamp),
            childInstanceId: (event as { FixedInstanceId?: string }).FixedInstanceId,
          });
        }
        break;
      }
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceFailed: {
        const task = live.scheduled.get(event.TaskScheduledId!);
        const group = task?.retryGroup !== undefined ? live.retryGroups.get(task.retryGroup) : undefined;
        if (group) {
          group.failures++;
          group.lastFailure = { Reason: event.Reason, Details: event.Details };
        }
        live.scheduled.delete(event.TaskScheduledId!);
        break;
      }
      case EventType.TaskCompleted:
      case EventType.SubOrchestrationInstanceCompleted:
        live.scheduled.delete(event.TaskScheduledId!);
        break;
      case EventType.TimerFired:
        live.scheduled.delete(event.TimerId!);
        break;
      case EventType.EventSent: {
        live.nextId = Math.max(live.nextId, event.EventId + 1);
        if (event.LeafIndex !== undefined && live.leafIds[event.LeafIndex] === undefined)
          live.leafIds[event.LeafIndex] = event.EventId;
        const sent = JSON.parse(event.Input ?? '{}') as { lockset?: string[] };
        if (sent.lockset) live.heldLocks = sent.lockset;
        if (event.Name === 'release') live.heldLocks = [];
        break;
      }
      case EventType.OrchestratorCompleted:
        if (event.ActionCount !== undefined) live.leafCount = event.ActionCount;
        for (const canceled of (event as { CanceledTimers?: number[] }).CanceledTimers ?? [])
          live.scheduled.delete(canceled);
        break;
    }
  }
  return live;
}

/** The live instance for a committed history and the messages waiting for it. */
export function analyze(
  record: InstanceRecord,
  history: HistoryEvent[],
  inbox: InboxMessage[],
): LiveInstance {
  return { ...foldHistory(record, history), inbox };
}

/** The outstanding tasks scheduled at history index `fromIndex` or later whose result is not already waiting. */
export function outstandingTasks(live: LiveInstance, fromIndex: number): [number, ScheduledTask][] {
  const waiting = new Set(live.inbox.map((m) => completionId(m.event)).filter((id) => id !== undefined));
  const scheduledAt = new Map<number, number>();
  live.history.forEach((event, index) => {
    if (event.EventId >= 0) scheduledAt.set(event.EventId, index);
  });
  return [...live.scheduled].filter(([id]) => !waiting.has(id) && (scheduledAt.get(id) ?? 0) >= fromIndex);
}
