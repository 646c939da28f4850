// The Durable Task data model as the durable-functions SDK reads it: DTFx history events
// (numeric EventType, PascalCase fields), orchestration status names, and the records this
// host keeps per instance and per pending message.

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export const eventTypeNames: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([name, n]) => [n, name]),
);

export type RuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';
export const runtimeStatuses: readonly RuntimeStatus[] = [
  'Pending',
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Suspended',
];
export const terminalStatuses: ReadonlySet<RuntimeStatus> = new Set([
  'Completed',
  'Failed',
  'Terminated',
  'Canceled',
]);

/** One DTFx history event. Extra host fields (RetryGroup, Attempt, LeafIndex, MessageId) are ignored by the SDK. */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  Name?: string;
  Version?: string;
  Input?: string;
  Result?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: Record<string, unknown>;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
  OrchestrationStatus?: string;
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string };
  ParentInstance?: {
    Name: string;
    OrchestrationInstance: { InstanceId: string; ExecutionId: string };
    TaskScheduleId: number;
  };
  // Host bookkeeping, so a restarted host can rebuild its state from the history alone.
  RetryGroup?: number;
  Attempt?: number;
  RetryOptions?: Record<string, unknown>;
  LeafIndex?: number;
  ActionCount?: number;
  MessageId?: string;
  /** Durable HTTP: this request follows 202 + Location answers. */
  HttpPolling?: boolean;
  /** Durable HTTP: this timer waits before polling; the poll's id (reserved) and request. */
  HttpPoll?: { taskId: number; input: string };
}

export interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  /** JSON text, as the SDK sent it. */
  input: string | null;
  output: string | null;
  customStatus: string | null;
  createdTime: string;
  lastUpdatedTime: string;
  completedTime: string | null;
  parentInstanceId: string | null;
  parentExecutionId: string | null;
  parentTaskId: number | null;
  /** How many history events of the current execution are committed. */
  historyLength: number;
}

/** An event waiting to be delivered to an instance's next episode (the DTFx control queue's job). */
export interface InboxMessage {
  /** Unique and sortable by arrival. */
  id: string;
  instanceId: string;
  /** Messages meant for an earlier execution (after continueAsNew) are dropped. */
  executionId: string | null;
  event: Omit<HistoryEvent, 'EventId' | 'IsPlayed'>;
}

export interface InstanceQuery {
  runtimeStatus?: RuntimeStatus[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  instanceIdPrefix?: string;
}

export function isoNow(): string {
  return new Date().toISOString();
}

let messageCounter = 0;
/** Sortable unique id: time, then a per-process counter, then randomness against restarts. */
export function newMessageId(): string {
  messageCounter = (messageCounter + 1) % 1_000_000;
  return `${Date.now().toString().padStart(15, '0')}-${messageCounter.toString().padStart(6, '0')}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A refusal of a client operation, with the HTTP status the management API answers. */
export class DurableRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DurableRequestError';
  }
}

/** The row of a new instance (Pending until its first episode). */
export function newInstanceRecord(
  instanceId: string,
  name: string,
  inputJson: string | null,
  parent: { instanceId: string; executionId: string; taskId: number } | null,
  now: string,
  executionId: string,
): InstanceRecord {
  return {
    instanceId,
    name,
    executionId,
    runtimeStatus: 'Pending',
    input: inputJson,
    output: null,
    customStatus: null,
    createdTime: now,
    lastUpdatedTime: now,
    completedTime: null,
    parentInstanceId: parent?.instanceId ?? null,
    parentExecutionId: parent?.executionId ?? null,
    parentTaskId: parent?.taskId ?? null,
    historyLength: 0,
  };
}

/** Runs `work` after every earlier work of the same key (in `chains`) has settled. */
export async function serialized<T>(
  chains: Map<string, Promise<void>>,
  key: string,
  work: () => Promise<T>,
): Promise<T> {
  const previous = chains.get(key) ?? Promise.resolve();
  const result = previous.then(work);
  const settled = result.then(
    () => undefined,
    () => undefined,
  );
  chains.set(key, settled);
  try {
    return await result;
  } finally {
    if (chains.get(key) === settled) chains.delete(key);
  }
}
