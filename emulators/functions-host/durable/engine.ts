// The host side of Durable Functions: runs orchestrator episodes (replaying the history
// through the app's own durable-functions SDK), schedules activities, timers and
// sub-orchestrations from the actions it answers, and delivers their results back as
// history events. Everything it needs after a crash is in the store: committed history,
// the instance row, and undelivered messages; outstanding work is re-derived from them.
import { randomUUID } from 'node:crypto';
import type { FunctionRegistry, RegisteredFunction, RpcTypedData } from '../core-api.js';
import type { DurableSettings } from '../app-files.js';
import { fromTypedData, triggerBinding, type Invoker } from '../invoke.js';
import type { HostLog } from '../log.js';
import {
  ActionType, encodePreprocessedInput, encodeRawInput, flattenActions, retryDelayMs, stateFromFailure,
  type Action, type OrchestratorState, type RetryOptionsWire,
} from './actions.js';
import { EventType, isoNow, newMessageId, terminalStatuses, type HistoryEvent, type InboxMessage, type InstanceRecord } from './model.js';
import type { DurableStore } from './store.js';
import { entitySchedulerId, type EntityMessage, type EntityScheduler } from './entities.js';
import { DEFAULT_POLL_MS, executeHttpCall, HTTP_ACTIVITY, pollAfter } from './http-calls.js';
import { ReadyQueue } from './ready-queue.js';
import { afterEpisodeFailure, STORAGE_RECHECK_MS, storageReason } from './failure-policy.js';

/** Timers beyond this would overflow setTimeout; they are re-armed when this elapses. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** Tell the SDK (schema V3) that timers never need splitting: this host has no queue visibility limit. */
const MAX_SHORT_TIMER = '3650.00:00:00';

export class DurableRequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'DurableRequestError';
  }
}

interface ScheduledTask {
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

interface RetryGroup {
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

interface LiveInstance {
  record: InstanceRecord;
  history: HistoryEvent[];
  inbox: InboxMessage[];
  scheduled: Map<number, ScheduledTask>;
  retryGroups: Map<number, RetryGroup>;
  leafIds: (number | undefined)[];
  leafCount: number;
  nextId: number;
  consumedMessageIds: Set<string>;
  /** Entities this instance holds in a critical section (released when it ends). */
  heldLocks: string[];
}

export interface EngineOptions {
  store: DurableStore;
  registry: FunctionRegistry;
  invoker: Invoker;
  log: HostLog;
  settings: DurableSettings;
  /** Extra inputs (durable client binding data) for any function that declares them. */
  extraInputs(fn: RegisteredFunction): { name: string; data: RpcTypedData }[];
  entities: EntityScheduler;
}

function isOrchestrator(fn: RegisteredFunction | undefined): fn is RegisteredFunction {
  return triggerBinding(fn!)?.type === 'orchestrationTrigger';
}

const completionTypes = new Set<number>([
  EventType.TaskCompleted, EventType.TaskFailed, EventType.SubOrchestrationInstanceCompleted, EventType.SubOrchestrationInstanceFailed,
]);

function completionId(event: { EventType: number; TaskScheduledId?: number; TimerId?: number }): number | undefined {
  if (completionTypes.has(event.EventType)) return event.TaskScheduledId;
  if (event.EventType === EventType.TimerFired) return event.TimerId;
  return undefined;
}

/** Rebuilds what is outstanding from the committed history alone. */
function analyze(record: InstanceRecord, history: HistoryEvent[], inbox: InboxMessage[]): LiveInstance {
  const live: LiveInstance = {
    record, history, inbox, scheduled: new Map(), retryGroups: new Map(), leafIds: [], leafCount: 0, nextId: 0, consumedMessageIds: new Set(), heldLocks: [],
  };
  for (const event of history) {
    if (event.MessageId) live.consumedMessageIds.add(event.MessageId);
    switch (event.EventType) {
      case EventType.TaskScheduled:
      case EventType.SubOrchestrationInstanceCreated:
      case EventType.TimerCreated: {
        const kind = event.EventType === EventType.TaskScheduled ? 'activity' : event.EventType === EventType.TimerCreated ? 'timer' : 'sub';
        live.scheduled.set(event.EventId, { kind, name: event.Name, input: event.Input, fireAt: event.FireAt, childInstanceId: event.InstanceId, retryGroup: event.RetryGroup, httpPolling: event.HttpPolling, httpPoll: event.HttpPoll });
        live.nextId = Math.max(live.nextId, event.EventId + 1, (event.HttpPoll?.taskId ?? -1) + 1);
        if (event.LeafIndex !== undefined) live.leafIds[event.LeafIndex] = event.EventId;
        if (event.RetryGroup !== undefined && event.RetryOptions && kind !== 'timer') {
          live.retryGroups.set(event.RetryGroup, {
            kind: kind === 'sub' ? 'sub' : 'activity', name: event.Name ?? '', input: event.Input ?? 'null',
            options: event.RetryOptions as unknown as RetryOptionsWire, failures: 0, firstAttemptAt: Date.parse(event.Timestamp),
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
        if (event.LeafIndex !== undefined && live.leafIds[event.LeafIndex] === undefined) live.leafIds[event.LeafIndex] = event.EventId;
        const sent = JSON.parse(event.Input ?? '{}') as { lockset?: string[] };
        if (sent.lockset) live.heldLocks = sent.lockset;
        if (event.Name === 'release') live.heldLocks = [];
        break;
      }
      case EventType.OrchestratorCompleted:
        if (event.ActionCount !== undefined) live.leafCount = event.ActionCount;
        for (const canceled of (event as { CanceledTimers?: number[] }).CanceledTimers ?? []) live.scheduled.delete(canceled);
        break;
    }
  }
  return live;
}

export class DurableEngine {
  readonly #store: DurableStore;
  readonly #registry: FunctionRegistry;
  readonly #invoker: Invoker;
  readonly #log: HostLog;
  readonly #settings: DurableSettings;
  readonly #extraInputs: EngineOptions['extraInputs'];
  readonly #entities: EntityScheduler;

  readonly #live = new Map<string, LiveInstance>();
  readonly #loading = new Map<string, Promise<LiveInstance | undefined>>();
  readonly #queue: ReadyQueue;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #activityQueue: (() => Promise<void>)[] = [];
  #activitiesRunning = 0;
  /** Ids of inbox messages held only in memory. */
  readonly #volatile = new Set<string>();
  /** Start/create per instance id, one at a time: the existence check and the write are one step. */
  readonly #creating = new Map<string, Promise<void>>();
  /** Consecutive failed episodes per instance (storage refusing or unreachable). */
  readonly #commitFailures = new Map<string, number>();

  constructor(options: EngineOptions) {
    this.#store = options.store;
    this.#registry = options.registry;
    this.#invoker = options.invoker;
    this.#log = options.log;
    this.#settings = options.settings;
    this.#extraInputs = options.extraInputs;
    this.#entities = options.entities;
    this.#queue = new ReadyQueue({
      step: (id) => this.#runEpisode(id),
      maxRunning: options.settings.maxConcurrentOrchestratorFunctions,
      otherWorkIdle: () => this.#activitiesRunning === 0 && this.#activityQueue.length === 0,
    });
  }

  /** A message already in storage (an entity's answer): hand it to the instance and wake it. */
  acceptStoredMessage(message: InboxMessage): void {
    const add = (live: LiveInstance | undefined) => {
      if (live && !live.inbox.some((m) => m.id === message.id)) live.inbox.push(message);
    };
    const live = this.#live.get(message.instanceId);
    if (live) add(live);
    else {
      // A load in flight may have read the inbox before this message was written.
      this.#loading.get(message.instanceId)?.then((loaded) => {
        add(loaded);
        this.#wake(message.instanceId);
      }, () => undefined);
    }
    this.#wake(message.instanceId);
  }

  /** Releases the critical section an ending instance still holds, as the Durable extension does. */
  async #releaseLocks(live: LiveInstance): Promise<void> {
    for (const entityId of live.heldLocks) {
      await this.#entities.send(entityId, { id: newMessageId(), kind: 'release', parent: live.record.instanceId, parentExecutionId: live.record.executionId });
    }
    live.heldLocks = [];
  }

  get store(): DurableStore {
    return this.#store;
  }

  orchestratorNames(): string[] {
    return [...this.#registry.functions.values()].filter(isOrchestrator).map((f) => f.metadata.name);
  }

  // ---------------------------------------------------------------- start-up

  /** Resumes every unfinished instance: re-runs interrupted activities, re-arms timers, delivers what waits. */
  async recover(): Promise<number> {
    const active = await this.#store.activeInstances();
    for (const record of active) {
      const live = await this.#load(record.instanceId);
      if (!live) continue;
      await this.#resumeOutstanding(live, 0);
      this.#wake(record.instanceId);
    }
    return active.length;
  }

  /** Starts the work that tasks scheduled at history index `fromIndex` or later still wait for. */
  async #resumeOutstanding(live: LiveInstance, fromIndex: number): Promise<void> {
    const waiting = new Set(live.inbox.map((m) => completionId(m.event)).filter((id) => id !== undefined));
    const scheduledAt = new Map<number, number>();
    live.history.forEach((event, index) => {
      if (event.EventId >= 0) scheduledAt.set(event.EventId, index);
    });
    for (const [id, task] of live.scheduled) {
      if (waiting.has(id) || (scheduledAt.get(id) ?? 0) < fromIndex) continue;
      if (task.kind === 'activity') this.#runActivity(live.record.instanceId, live.record.executionId, id, task);
      else if (task.kind === 'timer') this.#armTimer(live.record.instanceId, id, task.fireAt!);
      else await this.#ensureChild(live, id, task);
    }
  }

  // ---------------------------------------------------------------- client operations

  async startNew(name: string, instanceId: string | undefined, inputJson: string | null): Promise<InstanceRecord> {
    const fn = this.#registry.byName(name);
    if (!isOrchestrator(fn)) throw new DurableRequestError(400, `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function. Known orchestrators: ${this.orchestratorNames().join(', ') || 'none'}.`);
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    if (id.startsWith('@')) throw new DurableRequestError(400, `Invalid instance id '${id}': ids starting with '@' are reserved for entities.`);
    if (!/^[^/\\#?\u0000-\u001f\u007f]{1,256}$/.test(id)) throw new DurableRequestError(400, `Invalid instance id '${id}': 1-256 characters, none of / \\ # ? or control characters.`);
    return this.#exclusive(id, async () => {
      const existing = await this.getInstance(id);
      if (existing && !terminalStatuses.has(existing.runtimeStatus)) {
        throw new DurableRequestError(409, `An instance with ID '${id}' already exists and is ${existing.runtimeStatus}.`);
      }
      const record = this.#newRecord(id, fn.metadata.name, inputJson, null);
      await this.#create(record, !existing);
      return record;
    });
  }

  /** Runs `work` after every earlier create of the same instance id has settled. */
  async #exclusive<T>(instanceId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#creating.get(instanceId) ?? Promise.resolve();
    const result = previous.then(work);
    const settled = result.then(() => undefined, () => undefined);
    this.#creating.set(instanceId, settled);
    try {
      return await result;
    } finally {
      if (this.#creating.get(instanceId) === settled) this.#creating.delete(instanceId);
    }
  }

  #newRecord(instanceId: string, name: string, inputJson: string | null, parent: { instanceId: string; executionId: string; taskId: number } | null): InstanceRecord {
    const now = isoNow();
    return {
      instanceId, name, executionId: randomUUID().replace(/-/g, ''), runtimeStatus: 'Pending', input: inputJson, output: null, customStatus: null,
      createdTime: now, lastUpdatedTime: now, completedTime: null,
      parentInstanceId: parent?.instanceId ?? null, parentExecutionId: parent?.executionId ?? null, parentTaskId: parent?.taskId ?? null, historyLength: 0,
    };
  }

  /** `fresh`: no instance of that id exists, so there is no old history to clear. */
  async #create(record: InstanceRecord, fresh: boolean): Promise<void> {
    const start: InboxMessage = {
      id: newMessageId(), instanceId: record.instanceId, executionId: record.executionId,
      event: this.#executionStarted(record),
    };
    this.#live.delete(record.instanceId);
    await this.#store.resetInstance(record, start, fresh);
    this.#live.set(record.instanceId, analyze(record, [], [start]));
    this.#wake(record.instanceId);
  }

  #executionStarted(record: InstanceRecord): InboxMessage['event'] {
    return {
      EventType: EventType.ExecutionStarted, Timestamp: isoNow(), Name: record.name, Version: '', Input: record.input ?? undefined,
      OrchestrationInstance: { InstanceId: record.instanceId, ExecutionId: record.executionId },
      ParentInstance: record.parentInstanceId
        ? { Name: '', OrchestrationInstance: { InstanceId: record.parentInstanceId, ExecutionId: record.parentExecutionId ?? '' }, TaskScheduleId: record.parentTaskId ?? -1 }
        : undefined,
    };
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    const live = this.#live.get(instanceId);
    return live ? { ...live.record } : this.#store.getInstance(instanceId);
  }

  async getHistory(instanceId: string): Promise<HistoryEvent[]> {
    const live = this.#live.get(instanceId);
    if (live) return structuredClone(live.history);
    const record = await this.#store.getInstance(instanceId);
    return record ? this.#store.readHistory(record) : [];
  }

  /** Queues a message for an unfinished instance; 404 unknown, 410 finished. */
  async #send(instanceId: string, event: InboxMessage['event'], allowWhenDone = false): Promise<void> {
    const live = await this.#load(instanceId);
    if (!live) throw new DurableRequestError(404, `No instance with ID '${instanceId}' was found.`);
    if (terminalStatuses.has(live.record.runtimeStatus) && !allowWhenDone) {
      throw new DurableRequestError(410, `The instance '${instanceId}' is ${live.record.runtimeStatus}; it accepts no more operations.`);
    }
    const message: InboxMessage = { id: newMessageId(), instanceId, executionId: null, event };
    await this.#store.addMessage(message);
    live.inbox.push(message);
    this.#wake(instanceId);
  }

  raiseEvent(instanceId: string, name: string, dataJson: string | null): Promise<void> {
    return this.#send(instanceId, { EventType: EventType.EventRaised, Timestamp: isoNow(), Name: name, Input: dataJson ?? undefined });
  }

  terminate(instanceId: string, reason: string): Promise<void> {
    return this.#send(instanceId, { EventType: EventType.ExecutionTerminated, Timestamp: isoNow(), Input: JSON.stringify(reason) });
  }

  suspend(instanceId: string, reason: string): Promise<void> {
    return this.#send(instanceId, { EventType: EventType.ExecutionSuspended, Timestamp: isoNow(), Reason: reason });
  }

  resume(instanceId: string, reason: string): Promise<void> {
    return this.#send(instanceId, { EventType: EventType.ExecutionResumed, Timestamp: isoNow(), Reason: reason });
  }

  /** Only finished instances are purged (running ones would lose their state under them). */
  async purge(instanceId: string): Promise<boolean> {
    const record = await this.getInstance(instanceId);
    if (!record || !terminalStatuses.has(record.runtimeStatus)) return false;
    this.#live.delete(instanceId);
    return this.#store.purge(instanceId);
  }

  /** Resolves when no episode, activity or due timer is pending (tests and shutdown). */
  whenIdle(): Promise<void> {
    return this.#queue.whenIdle();
  }

  stop(): void {
    this.#queue.stop();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  // ---------------------------------------------------------------- scheduling

  async #load(instanceId: string): Promise<LiveInstance | undefined> {
    const cached = this.#live.get(instanceId);
    if (cached) return cached;
    let pending = this.#loading.get(instanceId);
    if (!pending) {
      pending = (async () => {
        const record = await this.#store.getInstance(instanceId);
        if (!record) return undefined;
        const [history, inbox] = await Promise.all([this.#store.readHistory(record), this.#store.readMessages(instanceId)]);
        const live = analyze(record, history, inbox);
        if (!this.#live.has(instanceId)) this.#live.set(instanceId, live);
        return this.#live.get(instanceId);
      })().finally(() => this.#loading.delete(instanceId));
      this.#loading.set(instanceId, pending);
    }
    return pending;
  }

  #wake(instanceId: string): void {
    this.#queue.wake(instanceId);
  }

  /** One episode; a failed one goes to the failure policy (#episodeFailed). */
  async #runEpisode(id: string): Promise<void> {
    const before = this.#live.get(id);
    const committedLength = before?.history.length ?? 0;
    await this.#episode(id)
      .then(() => this.#commitFailures.delete(id), (error: unknown) => this.#episodeFailed(id, before, committedLength, error))
      .catch((error: unknown) => this.#log.error(`Durable host error while recovering instance '${id}': ${(error as Error).stack ?? String(error)}`));
  }

  /**
   * An episode threw (in practice: storage refused or dropped a write). What it changed in
   * memory is thrown away and the instance is reloaded from what was committed; the episode
   * runs again after a pause. When storage refuses for good (a 4xx such as EntityTooLarge)
   * or keeps failing, the instance is failed with the reason: never left Running in silence.
   */
  async #episodeFailed(instanceId: string, before: LiveInstance | undefined, committedLength: number, error: unknown): Promise<void> {
    const failures = (this.#commitFailures.get(instanceId) ?? 0) + 1;
    this.#commitFailures.set(instanceId, failures);
    const old = this.#live.get(instanceId) ?? before;
    this.#live.delete(instanceId);
    // Results held only in memory are not in storage: keep them for the reloaded state.
    for (const message of old?.inbox ?? []) if (this.#volatile.has(message.id)) this.#orphan(message, false);
    const next = afterEpisodeFailure(error, failures);
    if (next.fail) {
      this.#log.error(`Instance '${instanceId}': episode failed ${failures} time(s); failing the instance: ${next.reason}`);
      return this.#failAfterFailures(instanceId, next.reason);
    }
    this.#log.error(`Instance '${instanceId}': episode failed (attempt ${failures}); trying again in ${next.delayMs} ms: ${next.reason}`);
    setTimeout(() => void this.#resumeAfterFailure(instanceId, committedLength), next.delayMs).unref();
  }

  /** Reloads what was committed and runs the instance again; while storage cannot be read, tries again later. */
  async #resumeAfterFailure(instanceId: string, committedLength: number): Promise<void> {
    if (this.#queue.stopped) return;
    try {
      const live = await this.#load(instanceId);
      if (!live) return;
      // The failed commit may have gone as far as the instance row: start what it scheduled.
      if (live.history.length > committedLength) await this.#resumeOutstanding(live, committedLength);
      this.#adoptOrphans(instanceId);
      this.#wake(instanceId);
    } catch (error) {
      this.#log.error(`Instance '${instanceId}': storage still cannot be read; trying again in ${STORAGE_RECHECK_MS} ms: ${storageReason(error)}`);
      setTimeout(() => void this.#resumeAfterFailure(instanceId, committedLength), STORAGE_RECHECK_MS).unref();
    }
  }

  async #failAfterFailures(instanceId: string, reason: string): Promise<void> {
    if (this.#queue.stopped) return;
    try {
      const live = await this.#load(instanceId);
      if (!live || terminalStatuses.has(live.record.runtimeStatus)) return;
      await this.#failForStorage(live, reason);
    } catch (error) {
      this.#log.error(`Instance '${instanceId}': could not record its failure yet; trying again in ${STORAGE_RECHECK_MS} ms: ${storageReason(error)}`);
      setTimeout(() => void this.#failAfterFailures(instanceId, reason), STORAGE_RECHECK_MS).unref();
    }
  }

  /** Messages for an instance that cannot be loaded now (storage down): kept in memory until it can. */
  readonly #orphans = new Map<string, InboxMessage[]>();

  #orphan(message: InboxMessage, retry = true): void {
    const list = this.#orphans.get(message.instanceId) ?? [];
    if (!list.some((m) => m.id === message.id)) list.push(message);
    this.#orphans.set(message.instanceId, list);
    if (retry) setTimeout(() => void this.#resumeAfterFailure(message.instanceId, Number.MAX_SAFE_INTEGER), STORAGE_RECHECK_MS).unref();
  }

  #adoptOrphans(instanceId: string): void {
    const orphans = this.#orphans.get(instanceId);
    const live = this.#live.get(instanceId);
    if (!orphans || !live) return;
    this.#orphans.delete(instanceId);
    const known = new Set(live.inbox.map((m) => m.id));
    for (const message of orphans) if (!known.has(message.id) && !live.consumedMessageIds.has(message.id)) live.inbox.push(message);
  }

  /** Fails an instance by its row alone: the history that storage refused is not written. */
  async #failForStorage(live: LiveInstance, reason: string): Promise<void> {
    const now = isoNow();
    const record = live.record;
    const failed: InstanceRecord = {
      ...record, runtimeStatus: 'Failed', lastUpdatedTime: now, completedTime: now,
      output: JSON.stringify(`Orchestrator function '${record.name}' failed: ${reason}`),
    };
    await this.#store.saveInstance(failed);
    live.record = failed;
    await this.#releaseLocks(live);
    this.#commitFailures.delete(record.instanceId);
    for (const [id, task] of live.scheduled) if (task.kind === 'timer') this.#disarmTimer(record.instanceId, id);
    await this.#notifyParent(failed);
    this.#evict(live);
  }

  #armTimer(instanceId: string, timerId: number, fireAt: string): void {
    const key = `${instanceId}\u0000${timerId}`;
    if (this.#timers.has(key) || this.#queue.stopped) return;
    const delay = Math.max(0, Date.parse(fireAt) - Date.now());
    const handle = setTimeout(() => {
      this.#timers.delete(key);
      // setTimeout may fire a millisecond before Date.now() reaches fireAt (and long timers
      // are split): an episode would then find the timer not due and never see it again.
      if (Date.now() < Date.parse(fireAt)) this.#armTimer(instanceId, timerId, fireAt);
      else this.#wake(instanceId);
    }, Math.min(delay, MAX_TIMEOUT_MS));
    this.#timers.set(key, handle);
  }

  #disarmTimer(instanceId: string, timerId: number): void {
    const key = `${instanceId}\u0000${timerId}`;
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
  }

  // ---------------------------------------------------------------- activities

  #runActivity(instanceId: string, executionId: string, taskId: number, task: ScheduledTask): void {
    this.#activityQueue.push(async () => {
      const event = await this.#executeActivity(task.name ?? '', task.input ?? 'null', instanceId, taskId);
      await this.#deliver({ id: newMessageId(), instanceId, executionId, event });
    });
    this.#pumpActivities();
  }

  #pumpActivities(): void {
    while (this.#activitiesRunning < this.#settings.maxConcurrentActivityFunctions && this.#activityQueue.length > 0 && !this.#queue.stopped) {
      const work = this.#activityQueue.shift()!;
      this.#activitiesRunning++;
      work()
        .catch((error: unknown) => this.#log.error(`Durable host error while running an activity: ${(error as Error).stack ?? String(error)}`))
        .finally(() => {
          this.#activitiesRunning--;
          this.#pumpActivities();
          this.#queue.checkIdle();
        });
    }
  }

  async #executeActivity(name: string, inputJson: string, instanceId: string, taskId: number): Promise<InboxMessage['event']> {
    if (name === HTTP_ACTIVITY) return executeHttpCall(inputJson, taskId);
    const fn = this.#registry.byName(name);
    const trigger = fn && triggerBinding(fn);
    const failed = (message: string, details: string) => ({
      EventType: EventType.TaskFailed, Timestamp: isoNow(), TaskScheduledId: taskId,
      Reason: `Activity function '${name}' failed: ${message}`, Details: details,
    });
    if (!fn || trigger?.type !== 'activityTrigger') {
      return failed(`The function '${name}' doesn't exist, is disabled, or is not an activity function.`, `instance ${instanceId}`);
    }
    const outcome = await this.#invoker.invoke(fn, {
      inputData: [{ name: trigger.name, data: { json: inputJson } }, ...this.#extraInputs(fn)],
      triggerMetadata: { instanceId: { string: instanceId } },
    });
    if (!outcome.ok) return failed(outcome.error.message, outcome.error.stack ?? outcome.error.message);
    const value = fromTypedData(outcome.response.returnValue);
    const result = outcome.response.returnValue?.json ?? JSON.stringify(value === undefined ? null : value);
    return { EventType: EventType.TaskCompleted, Timestamp: isoNow(), TaskScheduledId: taskId, Result: result };
  }

  /**
   * Queues a result for an instance (if it still exists) and wakes it. Results the host can
   * re-derive after a crash (activity results: the activity runs again, at least once as on
   * Azure; finished children: recovery asks them) stay in memory, which halves the storage
   * round trips per activity; only what a caller was promised (raised events, terminate) is
   * written first.
   */
  async #deliver(message: InboxMessage, durable = false): Promise<void> {
    if (this.#queue.stopped) return;
    let live: LiveInstance | undefined;
    try {
      live = await this.#load(message.instanceId);
    } catch (error) {
      // Storage is unreachable: an activity's result is kept until the instance can be loaded.
      if (durable) throw error;
      this.#volatile.add(message.id);
      this.#log.error(`Instance '${message.instanceId}' cannot be loaded now; its result waits in memory: ${storageReason(error)}`);
      return this.#orphan(message);
    }
    if (!live) return;
    if (durable) await this.#store.addMessage(message);
    else this.#volatile.add(message.id);
    live.inbox.push(message);
    this.#wake(message.instanceId);
  }

  /** The consumed ids that exist in storage (volatile ones are only forgotten, once committed). */
  #stored(consumed: string[]): string[] {
    return consumed.filter((id) => !this.#volatile.has(id));
  }

  #forget(consumed: string[]): void {
    for (const id of consumed) this.#volatile.delete(id);
  }

  // ---------------------------------------------------------------- sub-orchestrations

  async #ensureChild(parent: LiveInstance, taskId: number, task: ScheduledTask): Promise<void> {
    const childId = task.childInstanceId!;
    const child = await this.getInstance(childId);
    if (!child || child.parentInstanceId !== parent.record.instanceId || child.parentTaskId !== taskId) {
      await this.#startChild(parent, taskId, task);
    } else if (terminalStatuses.has(child.runtimeStatus)) {
      await this.#notifyParent(child);
    }
  }

  async #startChild(parent: LiveInstance, taskId: number, task: ScheduledTask): Promise<void> {
    const fn = this.#registry.byName(task.name ?? '');
    if (!isOrchestrator(fn)) {
      await this.#deliver({
        id: newMessageId(), instanceId: parent.record.instanceId, executionId: parent.record.executionId,
        event: { EventType: EventType.SubOrchestrationInstanceFailed, Timestamp: isoNow(), TaskScheduledId: taskId, Reason: `The function '${task.name}' doesn't exist, is disabled, or is not an orchestrator function.`, Details: '' },
      });
      return;
    }
    const record = this.#newRecord(task.childInstanceId!, fn.metadata.name, task.input ?? null, {
      instanceId: parent.record.instanceId, executionId: parent.record.executionId, taskId,
    });
    await this.#exclusive(record.instanceId, async () => this.#create(record, !(await this.getInstance(record.instanceId))));
  }

  async #notifyParent(child: InstanceRecord): Promise<void> {
    if (!child.parentInstanceId || child.parentTaskId === null) return;
    const failed = child.runtimeStatus !== 'Completed';
    const event: InboxMessage['event'] = failed
      ? {
        EventType: EventType.SubOrchestrationInstanceFailed, Timestamp: isoNow(), TaskScheduledId: child.parentTaskId,
        Reason: `Sub-orchestration '${child.name}' (${child.instanceId}) ${child.runtimeStatus.toLowerCase()}: ${child.output ? String(JSON.parse(child.output)) : ''}`,
        Details: '',
      }
      : { EventType: EventType.SubOrchestrationInstanceCompleted, Timestamp: isoNow(), TaskScheduledId: child.parentTaskId, Result: child.output ?? 'null' };
    await this.#deliver({ id: `${newMessageId()}-child`, instanceId: child.parentInstanceId, executionId: child.parentExecutionId, event });
  }

  // ---------------------------------------------------------------- one episode

  async #episode(instanceId: string): Promise<void> {
    const live = await this.#load(instanceId);
    if (!live) return;
    this.#adoptOrphans(instanceId);
    const { record } = live;
    const now = isoNow();
    const nowMs = Date.parse(now);
    const consumed: string[] = [];
    const delivered: { event: HistoryEvent; messageId?: string }[] = [];
    let terminateReason: string | undefined;
    let suspendChange: 'suspend' | 'resume' | undefined;
    const done = terminalStatuses.has(record.runtimeStatus);
    const suspended = record.runtimeStatus === 'Suspended';

    for (const message of [...live.inbox].sort((a, b) => (a.id < b.id ? -1 : 1))) {
      const event = message.event;
      const stale = (message.executionId && message.executionId !== record.executionId) || live.consumedMessageIds.has(message.id);
      if (stale || done) {
        consumed.push(message.id);
        continue;
      }
      if (event.EventType === EventType.ExecutionTerminated) {
        terminateReason = event.Input ? String(JSON.parse(event.Input)) : '';
        consumed.push(message.id);
        continue;
      }
      if (event.EventType === EventType.ExecutionSuspended || event.EventType === EventType.ExecutionResumed) {
        if (!suspendChange) {
          suspendChange = event.EventType === EventType.ExecutionSuspended ? 'suspend' : 'resume';
          delivered.push({ event: { ...event, EventId: -1, IsPlayed: false, MessageId: message.id } as HistoryEvent, messageId: message.id });
          consumed.push(message.id);
        }
        continue;
      }
      if (suspended || suspendChange) continue;
      if (event.EventType === EventType.ExecutionStarted && live.history.length > 0) {
        consumed.push(message.id);
        continue;
      }
      const id = completionId(event);
      if (id !== undefined && !live.scheduled.has(id)) {
        consumed.push(message.id); // a duplicate, or the answer to something already settled
        continue;
      }
      delivered.push({ event: { ...event, EventId: -1, IsPlayed: false, MessageId: message.id } as HistoryEvent, messageId: message.id });
      consumed.push(message.id);
    }

    if (!done && terminateReason === undefined && !suspended && !suspendChange) {
      for (const [id, task] of live.scheduled) {
        if (task.kind !== 'timer') continue;
        if (Date.parse(task.fireAt!) > nowMs) {
          this.#armTimer(instanceId, id, task.fireAt!); // no-op when armed; a safety net otherwise
        } else if (!delivered.some((d) => completionId(d.event) === id)) {
          delivered.push({ event: { EventType: EventType.TimerFired, EventId: -1, IsPlayed: false, Timestamp: now, TimerId: id, FireAt: task.fireAt } });
        }
      }
    }

    if (done || (terminateReason === undefined && delivered.length === 0)) {
      if (consumed.length > 0) {
        await this.#store.commit({ record, fromIndex: live.history.length, newEvents: [], consumedMessageIds: this.#stored(consumed) });
        this.#forget(consumed);
        live.inbox = live.inbox.filter((m) => !consumed.includes(m.id));
      }
      if (done) this.#evict(live);
      return;
    }

    if (terminateReason !== undefined) return this.#terminateNow(live, terminateReason, consumed, now);
    if (suspendChange) return this.#changeSuspension(live, suspendChange, delivered, consumed, now);

    // Retries number their timers and re-attempts while results are processed, so an
    // episode that advances a retry carries nothing else: the SDK then assigns exactly the
    // ids this host assigns (see README, "Retries").
    const consumesIds = (event: HistoryEvent) => this.#consumesRetryId(live, event);
    if (delivered.some((d) => consumesIds(d.event)) && delivered.some((d) => !consumesIds(d.event))) {
      const keep = new Set(delivered.filter((d) => !consumesIds(d.event)).map((d) => d.messageId).filter(Boolean));
      for (let i = delivered.length - 1; i >= 0; i--) if (!consumesIds(delivered[i].event)) delivered.splice(i, 1);
      for (let i = consumed.length - 1; i >= 0; i--) if (keep.has(consumed[i])) consumed.splice(i, 1);
      this.#queue.again(instanceId);
    }

    await this.#runOrchestrator(live, delivered.map((d) => d.event), consumed, now);
  }

  #consumesRetryId(live: LiveInstance, event: HistoryEvent): boolean {
    const id = completionId(event);
    if (id === undefined) return false;
    const task = live.scheduled.get(id);
    if (task?.httpPolling && event.EventType === EventType.TaskCompleted && pollAfter(event.Result, task.input)) return true;
    if (task?.retryGroup === undefined) return false;
    const group = live.retryGroups.get(task.retryGroup);
    if (!group) return false;
    if (event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed) return true;
    return event.EventType === EventType.TimerFired && group.failures < group.options.maxNumberOfAttempts;
  }

  async #terminateNow(live: LiveInstance, reason: string, consumed: string[], now: string): Promise<void> {
    const record: InstanceRecord = { ...live.record, runtimeStatus: 'Terminated', output: JSON.stringify(reason), lastUpdatedTime: now, completedTime: now };
    const events: HistoryEvent[] = [
      { EventType: EventType.ExecutionTerminated, EventId: -1, IsPlayed: false, Timestamp: now, Input: JSON.stringify(reason) },
      { EventType: EventType.ExecutionCompleted, EventId: -1, IsPlayed: false, Timestamp: now, OrchestrationStatus: 'Terminated', Result: JSON.stringify(reason) },
    ];
    await this.#commit(live, record, events, consumed);
    await this.#releaseLocks(live);
    for (const [id, task] of live.scheduled) if (task.kind === 'timer') this.#disarmTimer(record.instanceId, id);
    this.#log.info(`Instance '${record.instanceId}' (${record.name}) terminated: ${reason}`);
    await this.#notifyParent(record);
    this.#evict(live);
  }

  async #changeSuspension(live: LiveInstance, change: 'suspend' | 'resume', delivered: { event: HistoryEvent }[], consumed: string[], now: string): Promise<void> {
    const status = change === 'suspend' ? 'Suspended' : (live.history.length > 0 ? 'Running' : 'Pending');
    const record: InstanceRecord = { ...live.record, runtimeStatus: status, lastUpdatedTime: now };
    await this.#commit(live, record, delivered.map((d) => d.event), consumed);
    if (change === 'resume') this.#wake(record.instanceId);
  }

  async #commit(live: LiveInstance, record: InstanceRecord, events: HistoryEvent[], consumed: string[], extra?: { addedMessages?: InboxMessage[]; previousExecutionId?: string; entityMessages?: { entityId: string; message: EntityMessage }[] }): Promise<void> {
    const fromIndex = extra?.previousExecutionId ? 0 : live.history.length;
    const committed: InstanceRecord = { ...record, historyLength: fromIndex + events.length };
    await this.#store.commit({ record: committed, fromIndex, newEvents: events, consumedMessageIds: this.#stored(consumed), ...extra });
    this.#forget(consumed);
    live.record = committed;
    live.history = extra?.previousExecutionId ? [...events] : [...live.history, ...events];
    for (const event of events) if (event.MessageId) live.consumedMessageIds.add(event.MessageId);
    const consumedSet = new Set(consumed);
    live.inbox = [...live.inbox.filter((m) => !consumedSet.has(m.id)), ...(extra?.addedMessages ?? [])];
  }

  #evict(live: LiveInstance): void {
    if (this.#live.get(live.record.instanceId) === live && live.inbox.length === 0) this.#live.delete(live.record.instanceId);
  }

  async #runOrchestrator(live: LiveInstance, delivered: HistoryEvent[], consumed: string[], now: string): Promise<void> {
    const record = live.record;
    const fn = this.#registry.byName(record.name);
    const newEvents: HistoryEvent[] = [{ EventType: EventType.OrchestratorStarted, EventId: -1, IsPlayed: false, Timestamp: now }, ...delivered];
    if (!isOrchestrator(fn)) {
      return this.#finish(live, newEvents, consumed, now, { failed: `The function '${record.name}' doesn't exist, is disabled, or is not an orchestrator function.` });
    }
    const trigger = triggerBinding(fn)!;
    const payload = {
      history: [...live.history.map((e) => ({ ...e, IsPlayed: true })), ...newEvents],
      input: record.input === null ? undefined : JSON.parse(record.input),
      instanceId: record.instanceId,
      isReplaying: live.history.length > 0,
      parentInstanceId: record.parentInstanceId,
      upperSchemaVersion: 1,
      // V4 (3): the SDK then offers context.df.lock (critical sections over entities).
      upperSchemaVersionNew: 3,
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: MAX_SHORT_TIMER,
      defaultHttpAsyncRequestSleepTimeMillseconds: DEFAULT_POLL_MS,
    };
    const outcome = await this.#invoker.invoke(fn, {
      inputData: [{ name: trigger.name, data: { string: JSON.stringify(payload) } }, ...this.#extraInputs(fn)],
      triggerMetadata: { instanceId: { string: record.instanceId } },
      isReplay: false,
      quietFailure: true,
    });
    let state: OrchestratorState;
    if (outcome.ok) {
      const value = fromTypedData(outcome.response.returnValue);
      state = (typeof value === 'string' ? JSON.parse(value) : value) as OrchestratorState;
    } else {
      state = stateFromFailure(outcome.error.message);
    }
    const customStatus = state.customStatus === undefined ? null : JSON.stringify(state.customStatus);

    // Bookkeeping for what was just delivered: retry timers and re-attempts take the next ids.
    const effects: (() => Promise<void> | void)[] = [];
    const scheduling: HistoryEvent[] = [];
    for (const event of delivered) {
      const id = completionId(event);
      if (id === undefined) continue;
      const task = live.scheduled.get(id);
      live.scheduled.delete(id);
      if (task?.kind === 'timer') this.#disarmTimer(record.instanceId, id);
      // Durable HTTP polling: a 202 + Location reserves the timer's and the poll's ids now, as the SDK does.
      const poll = task?.httpPolling && event.EventType === EventType.TaskCompleted ? pollAfter(event.Result, task.input) : undefined;
      if (poll) {
        const timerId = live.nextId++;
        const pollId = live.nextId++;
        const fireAt = new Date(Date.parse(now) + poll.delayMs).toISOString();
        const httpPoll = { taskId: pollId, input: poll.pollInput };
        scheduling.push({ EventType: EventType.TimerCreated, EventId: timerId, IsPlayed: false, Timestamp: now, FireAt: fireAt, HttpPoll: httpPoll });
        live.scheduled.set(timerId, { kind: 'timer', fireAt, httpPoll });
        effects.push(() => this.#armTimer(record.instanceId, timerId, fireAt));
      }
      if (task?.httpPoll && event.EventType === EventType.TimerFired) {
        effects.push(...this.#schedule(live, scheduling, task.httpPoll.taskId, now, { kind: 'activity', name: HTTP_ACTIVITY, input: task.httpPoll.input, httpPolling: true }));
      }
      const group = task?.retryGroup !== undefined ? live.retryGroups.get(task.retryGroup) : undefined;
      if (!group || task?.retryGroup === undefined) continue;
      const groupId = task.retryGroup;
      if (event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed) {
        group.failures++;
        group.lastFailure = { Reason: event.Reason, Details: event.Details };
        const delay = retryDelayMs(group.options, group.failures, group.firstAttemptAt, Date.parse(now));
        const timerId = live.nextId++;
        const fireAt = new Date(Date.parse(now) + delay).toISOString();
        scheduling.push({ EventType: EventType.TimerCreated, EventId: timerId, IsPlayed: false, Timestamp: now, FireAt: fireAt, RetryGroup: groupId });
        live.scheduled.set(timerId, { kind: 'timer', fireAt, retryGroup: groupId });
        effects.push(() => this.#armTimer(record.instanceId, timerId, fireAt));
      } else if (event.EventType === EventType.TimerFired && group.failures < group.options.maxNumberOfAttempts) {
        const attemptId = live.nextId++;
        const timedOut = retryDelayMs(group.options, 1, group.firstAttemptAt, Date.parse(now)) === 0 && group.failures < group.options.maxNumberOfAttempts;
        effects.push(...this.#schedule(live, scheduling, attemptId, now, {
          kind: group.kind, name: group.name, input: group.input, retryGroup: groupId, attempt: group.failures + 1,
          fixedChildId: group.childInstanceId, timedOutFailure: timedOut ? group.lastFailure : undefined,
        }));
      }
    }

    if (state.error !== undefined || !Array.isArray(state.actions)) {
      return this.#finish(live, [...newEvents, ...scheduling], consumed, now, { failed: state.error ?? 'The orchestrator returned no actions.', customStatus });
    }

    const leaves = flattenActions(state);
    let continueAsNew: Action | undefined;
    let unsupported: string | undefined;
    const entityMessages: { entityId: string; message: EntityMessage }[] = [];
    const sendToEntity = (id: number, index: number, entityId: string, name: string, wire: Record<string, unknown>, message: Omit<EntityMessage, 'id' | 'parent' | 'parentExecutionId'>) => {
      // EventSent: the SDK re-keys a call (or lock) by the request id in its Input, then matches the EventRaised answer named by it.
      scheduling.push({ EventType: EventType.EventSent, EventId: id, IsPlayed: false, Timestamp: now, InstanceId: entityId, Name: name, Input: JSON.stringify({ ...wire, parent: record.instanceId }), LeafIndex: index });
      const full: EntityMessage = { ...message, id: newMessageId(), parent: record.instanceId, parentExecutionId: record.executionId };
      entityMessages.push({ entityId, message: full });
      effects.push(() => this.#entities.notify(entityId, full));
    };
    for (let index = live.leafCount; index < leaves.length; index++) {
      const leaf = leaves[index];
      switch (leaf.actionType) {
        case ActionType.CallActivity:
        case ActionType.CallActivityWithRetry:
        case ActionType.CallSubOrchestrator:
        case ActionType.CallSubOrchestratorWithRetry: {
          const id = live.nextId++;
          live.leafIds[index] = id;
          const isSub = leaf.actionType === ActionType.CallSubOrchestrator || leaf.actionType === ActionType.CallSubOrchestratorWithRetry;
          const withRetry = leaf.actionType === ActionType.CallActivityWithRetry || leaf.actionType === ActionType.CallSubOrchestratorWithRetry;
          const input = isSub ? encodeRawInput(leaf.input) : encodePreprocessedInput(leaf.input);
          if (withRetry) {
            live.retryGroups.set(id, {
              kind: isSub ? 'sub' : 'activity', name: leaf.functionName ?? '', input, options: leaf.retryOptions!, failures: 0,
              firstAttemptAt: Date.parse(now), childInstanceId: leaf.instanceId,
            });
          }
          effects.push(...this.#schedule(live, scheduling, id, now, {
            kind: isSub ? 'sub' : 'activity', name: leaf.functionName ?? '', input, leafIndex: index,
            retryGroup: withRetry ? id : undefined, attempt: withRetry ? 1 : undefined, retryOptions: withRetry ? leaf.retryOptions : undefined,
            fixedChildId: leaf.instanceId,
          }));
          break;
        }
        case ActionType.CreateTimer: {
          const id = live.nextId++;
          live.leafIds[index] = id;
          const fireAt = new Date(leaf.fireAt!).toISOString();
          scheduling.push({ EventType: EventType.TimerCreated, EventId: id, IsPlayed: false, Timestamp: now, FireAt: fireAt, LeafIndex: index });
          if (!leaf.isCanceled) {
            live.scheduled.set(id, { kind: 'timer', fireAt });
            effects.push(() => this.#armTimer(record.instanceId, id, fireAt));
          }
          break;
        }
        case ActionType.ContinueAsNew:
          live.nextId++;
          continueAsNew = leaf;
          break;
        case ActionType.WaitForExternalEvent:
          break;
        case ActionType.CallEntity:
        case ActionType.SignalEntity: {
          const id = live.nextId++;
          live.leafIds[index] = id;
          const signal = leaf.actionType === ActionType.SignalEntity;
          const requestId = randomUUID();
          const input = leaf.input === undefined ? undefined : JSON.stringify(leaf.input);
          sendToEntity(id, index, leaf.instanceId!, 'op', { id: requestId, op: leaf.operation, signal, input }, {
            kind: 'operation', operation: leaf.operation, input, signal, requestId: signal ? undefined : requestId,
          });
          break;
        }
        case ActionType.LockEntities: {
          const id = live.nextId++;
          live.leafIds[index] = id;
          const lockSet = (leaf.lockSet ?? []).map((e) => entitySchedulerId(e.name, e.key));
          sendToEntity(id, index, lockSet[0], 'op', { id: leaf.lockRequestId, lockset: lockSet, pos: 0 }, { kind: 'lock', requestId: leaf.lockRequestId, lockSet, position: 0 });
          live.heldLocks = lockSet;
          break;
        }
        case ActionType.ReleaseEntities:
          // The SDK counts one sequence number per released entity.
          for (const entityId of live.heldLocks) {
            const id = live.nextId++;
            live.leafIds[index] ??= id;
            sendToEntity(id, index, entityId, 'release', { releaseorchestrationlock: true }, { kind: 'release' });
          }
          live.heldLocks = [];
          break;
        case ActionType.CallHttp: {
          const id = live.nextId++;
          live.leafIds[index] = id;
          const request = leaf.httpRequest ?? {};
          effects.push(...this.#schedule(live, scheduling, id, now, {
            kind: 'activity', name: HTTP_ACTIVITY, input: JSON.stringify(request), leafIndex: index, httpPolling: request.asynchronousPatternEnabled !== false,
          }));
          break;
        }
        default:
          unsupported = `Unknown action type ${leaf.actionType}.`;
      }
    }
    // Timers the orchestrator cancelled (Task.any losers) are never fired.
    const canceledTimers: number[] = [];
    leaves.forEach((leaf, index) => {
      const id = live.leafIds[index];
      if (leaf.actionType === ActionType.CreateTimer && leaf.isCanceled && id !== undefined && live.scheduled.has(id)) {
        live.scheduled.delete(id);
        this.#disarmTimer(record.instanceId, id);
        canceledTimers.push(id);
      }
    });
    live.leafCount = leaves.length;
    if (unsupported) return this.#finish(live, [...newEvents, ...scheduling], consumed, now, { failed: unsupported, customStatus });

    const orchestratorCompleted = { EventType: EventType.OrchestratorCompleted, EventId: -1, IsPlayed: false, Timestamp: now, ActionCount: leaves.length, ...(canceledTimers.length ? { CanceledTimers: canceledTimers } : {}) } as HistoryEvent;

    if (state.isDone && entityMessages.length > 0) {
      // Signals sent in the last episode still go out (fire and forget), before the end is committed.
      for (const { entityId, message } of entityMessages) await this.#entities.send(entityId, message);
    }
    if (state.isDone && continueAsNew) {
      return this.#continueAsNew(live, [...newEvents, ...scheduling], consumed, now, encodePreprocessedInput(continueAsNew.input), delivered, leaves, customStatus);
    }
    if (state.isDone) {
      return this.#finish(live, [...newEvents, ...scheduling], consumed, now, { output: JSON.stringify(state.output === undefined ? null : state.output), customStatus });
    }
    const running: InstanceRecord = { ...record, runtimeStatus: 'Running', customStatus, lastUpdatedTime: now };
    await this.#commit(live, running, [...newEvents, ...scheduling, orchestratorCompleted], consumed, { entityMessages });
    for (const effect of effects) await effect();
  }

  /** Appends the scheduling event for one task (first attempt or re-attempt) and returns its side effect. */
  #schedule(live: LiveInstance, scheduling: HistoryEvent[], id: number, now: string, task: {
    kind: 'activity' | 'sub'; name: string; input: string; leafIndex?: number; retryGroup?: number; attempt?: number;
    retryOptions?: RetryOptionsWire; fixedChildId?: string; timedOutFailure?: { Reason?: string; Details?: string }; httpPolling?: boolean;
  }): (() => Promise<void> | void)[] {
    const record = live.record;
    const common = { EventId: id, IsPlayed: false, Timestamp: now, Name: task.name, Input: task.input, LeafIndex: task.leafIndex, RetryGroup: task.retryGroup, Attempt: task.attempt, RetryOptions: task.retryOptions as Record<string, unknown> | undefined };
    if (task.kind === 'activity') {
      scheduling.push({ EventType: EventType.TaskScheduled, ...common, ...(task.httpPolling ? { HttpPolling: true } : {}) });
      const scheduled: ScheduledTask = { kind: 'activity', name: task.name, input: task.input, retryGroup: task.retryGroup, httpPolling: task.httpPolling };
      live.scheduled.set(id, scheduled);
      if (task.timedOutFailure) {
        const failure = task.timedOutFailure;
        return [() => this.#deliver({
          id: newMessageId(), instanceId: record.instanceId, executionId: record.executionId,
          event: { EventType: EventType.TaskFailed, Timestamp: isoNow(), TaskScheduledId: id, Reason: `Retry timeout elapsed; last failure: ${failure.Reason ?? ''}`, Details: failure.Details ?? '' },
        })];
      }
      return [() => this.#runActivity(record.instanceId, record.executionId, id, scheduled)];
    }
    const childInstanceId = task.fixedChildId ?? `${record.instanceId}:${id.toString(16).padStart(4, '0')}`;
    scheduling.push({ EventType: EventType.SubOrchestrationInstanceCreated, ...common, InstanceId: childInstanceId, ...(task.fixedChildId ? { FixedInstanceId: task.fixedChildId } : {}) } as HistoryEvent);
    const scheduled: ScheduledTask = { kind: 'sub', name: task.name, input: task.input, childInstanceId, retryGroup: task.retryGroup };
    live.scheduled.set(id, scheduled);
    return [() => this.#startChild(live, id, scheduled)];
  }

  async #finish(live: LiveInstance, events: HistoryEvent[], consumed: string[], now: string, outcome: { output?: string; failed?: string; customStatus?: string | null }): Promise<void> {
    const record = live.record;
    const failedMessage = outcome.failed !== undefined ? `Orchestrator function '${record.name}' failed: ${outcome.failed}` : undefined;
    const result = failedMessage !== undefined ? JSON.stringify(failedMessage) : (outcome.output ?? 'null');
    const finished: InstanceRecord = {
      ...record, runtimeStatus: failedMessage !== undefined ? 'Failed' : 'Completed', output: result,
      customStatus: outcome.customStatus !== undefined ? outcome.customStatus : record.customStatus, lastUpdatedTime: now, completedTime: now,
    };
    const completed: HistoryEvent = {
      EventType: EventType.ExecutionCompleted, EventId: -1, IsPlayed: false, Timestamp: now, OrchestrationStatus: finished.runtimeStatus, Result: result,
      ...(failedMessage !== undefined ? { FailureDetails: { ErrorType: 'OrchestrationFailure', ErrorMessage: failedMessage } } : {}),
    };
    await this.#commit(live, finished, [...events, completed, { EventType: EventType.OrchestratorCompleted, EventId: -1, IsPlayed: false, Timestamp: now }], consumed);
    await this.#releaseLocks(live);
    for (const [id, task] of live.scheduled) if (task.kind === 'timer') this.#disarmTimer(record.instanceId, id);
    if (failedMessage !== undefined) this.#log.error(`Instance '${record.instanceId}' failed: ${failedMessage}`);
    await this.#notifyParent(finished);
    this.#evict(live);
  }

  async #continueAsNew(live: LiveInstance, events: HistoryEvent[], consumed: string[], now: string, inputJson: string, delivered: HistoryEvent[], leaves: Action[], customStatus: string | null): Promise<void> {
    const record = live.record;
    const previousExecutionId = record.executionId;
    // Events raised during the last episode that no wait consumed carry over, as on Azure.
    const awaited = new Set(leaves.filter((l) => l.actionType === ActionType.WaitForExternalEvent).map((l) => l.externalEventName));
    const carried = delivered.filter((e) => e.EventType === EventType.EventRaised && !awaited.has(e.Name));
    const next: InstanceRecord = {
      ...record, executionId: randomUUID().replace(/-/g, ''), input: inputJson, output: null, customStatus, runtimeStatus: 'ContinuedAsNew', lastUpdatedTime: now, historyLength: 0,
    };
    const addedMessages: InboxMessage[] = [
      { id: newMessageId(), instanceId: record.instanceId, executionId: next.executionId, event: this.#executionStarted(next) },
      ...carried.map((e) => ({ id: newMessageId(), instanceId: record.instanceId, executionId: next.executionId, event: { EventType: e.EventType, Timestamp: e.Timestamp, Name: e.Name, Input: e.Input } })),
    ];
    void events; // the finished execution's events are dropped with its history, as DTFx does
    for (const [id, task] of live.scheduled) if (task.kind === 'timer') this.#disarmTimer(record.instanceId, id);
    await this.#commit(live, next, [], consumed, { addedMessages, previousExecutionId });
    await this.#releaseLocks(live);
    const fresh = analyze(live.record, [], live.inbox);
    this.#live.set(record.instanceId, fresh);
    this.#wake(record.instanceId);
  }
}
