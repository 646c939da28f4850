// The host side of Durable Functions: runs orchestrator episodes (replaying the history
// through the app's own durable-functions SDK), schedules activities, timers and
// sub-orchestrations from the actions it answers, and delivers their results back as
// history events. Everything it needs after a crash is in the store: committed history,
// the instance row, and undelivered messages; outstanding work is re-derived from them.
// What one episode does is pure (episode.ts, action-handlers.ts); this class loads, invokes,
// commits and carries out the effects.
import { randomUUID } from 'node:crypto';
import type { FunctionRegistry, RegisteredFunction, RpcTypedData } from '../core-api.js';
import type { DurableSettings } from '../app-files.js';
import { triggerBinding, type Invoker } from '../invoke.js';
import type { HostLog } from '../log.js';
import type { Effect, StepIds } from './action-handlers.js';
import { ActivityRunner, invokeOrchestrator } from './invocations.js';
import type { EntityScheduler } from './entities.js';
import {
  episodeEvents,
  executionEnd,
  executionStarted,
  nextExecution,
  orchestratorInput,
  parentNotice,
  selectDeliveries,
  stepEpisode,
  terminationEnd,
  type StepResult,
} from './episode.js';
import { afterEpisodeFailure, STORAGE_RECHECK_MS, storageReason } from './failure-policy.js';
import { LiveInstances } from './live-instances.js';
import {
  DurableRequestError,
  EventType,
  isoNow,
  newInstanceRecord,
  newMessageId,
  serialized,
  terminalStatuses,
  type HistoryEvent,
  type InboxMessage,
  type InstanceRecord,
} from './model.js';
import { ReadyQueue } from './ready-queue.js';
import { analyze, outstandingTasks, type LiveInstance, type ScheduledTask } from './replay-state.js';
import type { DurableStore } from './store.js';
import { DurableTimers } from './timers.js';

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

const newExecutionId = () => randomUUID().replace(/-/g, '');
const stepIds: StepIds = { requestId: randomUUID, messageId: newMessageId, executionId: newExecutionId };

export class DurableEngine {
  readonly #options: EngineOptions;
  readonly #live: LiveInstances;
  readonly #queue: ReadyQueue;
  readonly #timers = new DurableTimers((instanceId) => this.#wake(instanceId));
  readonly #activities: ActivityRunner;
  /** Start/create per instance id, one at a time: the existence check and the write are one step. */
  readonly #creating = new Map<string, Promise<void>>();
  /** Consecutive failed episodes per instance (storage refusing or unreachable). */
  readonly #commitFailures = new Map<string, number>();

  constructor(options: EngineOptions) {
    this.#options = options;
    this.#live = new LiveInstances(
      options.store,
      options.log,
      (id) => void this.#resumeAfterFailure(id, Number.MAX_SAFE_INTEGER),
    );
    this.#queue = new ReadyQueue({
      step: (id) => this.#runEpisode(id),
      maxRunning: options.settings.maxConcurrentOrchestratorFunctions,
      otherWorkIdle: () => this.#activities.isIdle(),
    });
    this.#activities = new ActivityRunner({
      ...options,
      maxRunning: options.settings.maxConcurrentActivityFunctions,
      stopped: () => this.#queue.stopped,
      settled: () => this.#queue.checkIdle(),
    });
  }

  get store(): DurableStore {
    return this.#options.store;
  }

  orchestratorNames(): string[] {
    return [...this.#options.registry.functions.values()].filter(isOrchestrator).map((f) => f.metadata.name);
  }

  /** A message already in storage (an entity's answer): hand it to the instance and wake it. */
  acceptStoredMessage(message: InboxMessage): void {
    this.#live.acceptStored(message, () => this.#wake(message.instanceId));
    this.#wake(message.instanceId);
  }

  /** Resumes every unfinished instance: re-runs interrupted activities, re-arms timers, delivers what waits. */
  async recover(): Promise<number> {
    const active = await this.#options.store.activeInstances();
    for (const record of active) {
      const live = await this.#live.load(record.instanceId);
      if (!live) continue;
      await this.#resumeOutstanding(live, 0);
      this.#wake(record.instanceId);
    }
    return active.length;
  }

  /** Starts the work that tasks scheduled at history index `fromIndex` or later still wait for. */
  async #resumeOutstanding(live: LiveInstance, fromIndex: number): Promise<void> {
    for (const [id, task] of outstandingTasks(live, fromIndex)) {
      if (task.kind === 'activity') this.#runActivity(live, id, task);
      else if (task.kind === 'timer') this.#timers.arm(live.record.instanceId, id, task.fireAt!);
      else await this.#ensureChild(live, id, task);
    }
  }

  // ---------------------------------------------------------------- client operations

  async startNew(
    name: string,
    instanceId: string | undefined,
    inputJson: string | null,
  ): Promise<InstanceRecord> {
    const fn = this.#options.registry.byName(name);
    if (!isOrchestrator(fn))
      throw new DurableRequestError(
        400,
        `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function. Known orchestrators: ${this.orchestratorNames().join(', ') || 'none'}.`,
      );
    const id = instanceId ?? newExecutionId();
    if (id.startsWith('@'))
      throw new DurableRequestError(
        400,
        `Invalid instance id '${id}': ids starting with '@' are reserved for entities.`,
      );
    if (!/^[^/\\#?\u0000-\u001f\u007f]{1,256}$/.test(id))
      throw new DurableRequestError(
        400,
        `Invalid instance id '${id}': 1-256 characters, none of / \\ # ? or control characters.`,
      );
    return serialized(this.#creating, id, async () => {
      const existing = await this.getInstance(id);
      if (existing && !terminalStatuses.has(existing.runtimeStatus)) {
        throw new DurableRequestError(
          409,
          `An instance with ID '${id}' already exists and is ${existing.runtimeStatus}.`,
        );
      }
      const record = newInstanceRecord(id, fn.metadata.name, inputJson, null, isoNow(), newExecutionId());
      await this.#create(record, !existing);
      return record;
    });
  }

  /** `fresh`: no instance of that id exists, so there is no old history to clear. */
  async #create(record: InstanceRecord, fresh: boolean): Promise<void> {
    const start: InboxMessage = {
      id: newMessageId(),
      instanceId: record.instanceId,
      executionId: record.executionId,
      event: executionStarted(record, isoNow()),
    };
    this.#live.drop(record.instanceId);
    await this.#options.store.resetInstance(record, start, fresh);
    this.#live.set(analyze(record, [], [start]));
    this.#wake(record.instanceId);
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    const live = this.#live.get(instanceId);
    return live ? { ...live.record } : this.#options.store.getInstance(instanceId);
  }

  async getHistory(instanceId: string): Promise<HistoryEvent[]> {
    const live = this.#live.get(instanceId);
    if (live) return structuredClone(live.history);
    const record = await this.#options.store.getInstance(instanceId);
    return record ? this.#options.store.readHistory(record) : [];
  }

  /** Queues a message for an unfinished instance; 404 unknown, 410 finished. */
  async #send(instanceId: string, event: InboxMessage['event']): Promise<void> {
    const live = await this.#live.load(instanceId);
    if (!live) throw new DurableRequestError(404, `No instance with ID '${instanceId}' was found.`);
    if (terminalStatuses.has(live.record.runtimeStatus)) {
      throw new DurableRequestError(
        410,
        `The instance '${instanceId}' is ${live.record.runtimeStatus}; it accepts no more operations.`,
      );
    }
    const message: InboxMessage = { id: newMessageId(), instanceId, executionId: null, event };
    await this.#options.store.addMessage(message);
    live.inbox.push(message);
    this.#wake(instanceId);
  }

  raiseEvent(instanceId: string, name: string, dataJson: string | null): Promise<void> {
    return this.#send(instanceId, {
      EventType: EventType.EventRaised,
      Timestamp: isoNow(),
      Name: name,
      Input: dataJson ?? undefined,
    });
  }

  terminate(instanceId: string, reason: string): Promise<void> {
    return this.#send(instanceId, {
      EventType: EventType.ExecutionTerminated,
      Timestamp: isoNow(),
      Input: JSON.stringify(reason),
    });
  }

  suspend(instanceId: string, reason: string): Promise<void> {
    return this.#send(instanceId, {
      EventType: EventType.ExecutionSuspended,
      Timestamp: isoNow(),
      Reason: reason,
    });
  }

  resume(instanceId: string, reason: string): Promise<void> {
    return this.#send(instanceId, {
      EventType: EventType.ExecutionResumed,
      Timestamp: isoNow(),
      Reason: reason,
    });
  }

  /** Only finished instances are purged (running ones would lose their state under them). */
  async purge(instanceId: string): Promise<boolean> {
    const record = await this.getInstance(instanceId);
    if (!record || !terminalStatuses.has(record.runtimeStatus)) return false;
    this.#live.drop(instanceId);
    return this.#options.store.purge(instanceId);
  }

  /** Resolves when no episode, activity or due timer is pending (tests and shutdown). */
  whenIdle(): Promise<void> {
    return this.#queue.whenIdle();
  }

  stop(): void {
    this.#queue.stop();
    this.#timers.stop();
  }

  // ---------------------------------------------------------------- failure policy (failure-policy.ts)

  #wake(instanceId: string): void {
    this.#queue.wake(instanceId);
  }

  /** One episode; a failed one goes to the failure policy. */
  async #runEpisode(id: string): Promise<void> {
    const before = this.#live.get(id);
    const committedLength = before?.history.length ?? 0;
    await this.#episode(id)
      .then(
        () => this.#commitFailures.delete(id),
        (error: unknown) => this.#episodeFailed(id, before, committedLength, error),
      )
      .catch((error: unknown) =>
        this.#options.log.error(
          `Durable host error while recovering instance '${id}': ${(error as Error).stack ?? String(error)}`,
        ),
      );
  }

  /**
   * An episode threw (in practice: storage refused or dropped a write). What it changed in
   * memory is thrown away and the instance is reloaded from what was committed; the episode
   * runs again after a pause, or the instance fails with the reason: never Running in silence.
   */
  async #episodeFailed(
    instanceId: string,
    before: LiveInstance | undefined,
    committedLength: number,
    error: unknown,
  ): Promise<void> {
    const failures = (this.#commitFailures.get(instanceId) ?? 0) + 1;
    this.#commitFailures.set(instanceId, failures);
    this.#live.keepVolatile(this.#live.get(instanceId) ?? before);
    this.#live.drop(instanceId);
    const next = afterEpisodeFailure(error, failures);
    if (next.fail) {
      this.#options.log.error(
        `Instance '${instanceId}': episode failed ${failures} time(s); failing the instance: ${next.reason}`,
      );
      return this.#failAfterFailures(instanceId, next.reason);
    }
    this.#options.log.error(
      `Instance '${instanceId}': episode failed (attempt ${failures}); trying again in ${next.delayMs} ms: ${next.reason}`,
    );
    setTimeout(() => void this.#resumeAfterFailure(instanceId, committedLength), next.delayMs).unref();
  }

  /** Reloads what was committed and runs the instance again; while storage cannot be read, tries again later. */
  async #resumeAfterFailure(instanceId: string, committedLength: number): Promise<void> {
    if (this.#queue.stopped) return;
    try {
      const live = await this.#live.load(instanceId);
      if (!live) return;
      // The failed commit may have gone as far as the instance row: start what it scheduled.
      if (live.history.length > committedLength) await this.#resumeOutstanding(live, committedLength);
      this.#live.adoptOrphans(instanceId);
      this.#wake(instanceId);
    } catch (error) {
      this.#options.log.error(
        `Instance '${instanceId}': storage still cannot be read; trying again in ${STORAGE_RECHECK_MS} ms: ${storageReason(error)}`,
      );
      setTimeout(
        () => void this.#resumeAfterFailure(instanceId, committedLength),
        STORAGE_RECHECK_MS,
      ).unref();
    }
  }

  /** Fails an instance by its row alone: the history that storage refused is not written. */
  async #failAfterFailures(instanceId: string, reason: string): Promise<void> {
    if (this.#queue.stopped) return;
    try {
      const live = await this.#live.load(instanceId);
      if (!live || terminalStatuses.has(live.record.runtimeStatus)) return;
      const now = isoNow();
      const failed: InstanceRecord = {
        ...live.record,
        runtimeStatus: 'Failed',
        lastUpdatedTime: now,
        completedTime: now,
        output: JSON.stringify(`Orchestrator function '${live.record.name}' failed: ${reason}`),
      };
      await this.#options.store.saveInstance(failed);
      live.record = failed;
      this.#commitFailures.delete(instanceId);
      await this.#ended(live);
    } catch (error) {
      this.#options.log.error(
        `Instance '${instanceId}': could not record its failure yet; trying again in ${STORAGE_RECHECK_MS} ms: ${storageReason(error)}`,
      );
      setTimeout(() => void this.#failAfterFailures(instanceId, reason), STORAGE_RECHECK_MS).unref();
    }
  }

  // ---------------------------------------------------------------- activities and sub-orchestrations

  #runActivity(live: LiveInstance, taskId: number, task: ScheduledTask): void {
    const { instanceId, executionId } = live.record;
    this.#activities.run(task.name ?? '', task.input ?? 'null', instanceId, taskId, (event) =>
      this.#deliver({ id: newMessageId(), instanceId, executionId, event }),
    );
  }

  /**
   * Queues a result for an instance (if it still exists) and wakes it. Results the host can
   * re-derive after a crash stay in memory, which halves the storage round trips per activity.
   */
  async #deliver(message: InboxMessage): Promise<void> {
    if (this.#queue.stopped) return;
    if (await this.#live.deliver(message)) this.#wake(message.instanceId);
  }

  async #ensureChild(parent: LiveInstance, taskId: number, task: ScheduledTask): Promise<void> {
    const child = await this.getInstance(task.childInstanceId!);
    if (!child || child.parentInstanceId !== parent.record.instanceId || child.parentTaskId !== taskId)
      await this.#startChild(parent, taskId, task);
    else if (terminalStatuses.has(child.runtimeStatus)) await this.#notifyParent(child);
  }

  async #startChild(parent: LiveInstance, taskId: number, task: ScheduledTask): Promise<void> {
    const { instanceId, executionId } = parent.record;
    const fn = this.#options.registry.byName(task.name ?? '');
    if (!isOrchestrator(fn)) {
      const Reason = `The function '${task.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
      return this.#deliver({
        id: newMessageId(),
        instanceId,
        executionId,
        event: {
          EventType: EventType.SubOrchestrationInstanceFailed,
          Timestamp: isoNow(),
          TaskScheduledId: taskId,
          Reason,
          Details: '',
        },
      });
    }
    const record = newInstanceRecord(
      task.childInstanceId!,
      fn.metadata.name,
      task.input ?? null,
      { instanceId, executionId, taskId },
      isoNow(),
      newExecutionId(),
    );
    await serialized(this.#creating, record.instanceId, async () =>
      this.#create(record, !(await this.getInstance(record.instanceId))),
    );
  }

  async #notifyParent(child: InstanceRecord): Promise<void> {
    if (!child.parentInstanceId || child.parentTaskId === null) return;
    await this.#deliver({
      id: `${newMessageId()}-child`,
      instanceId: child.parentInstanceId,
      executionId: child.parentExecutionId,
      event: parentNotice(child, child.parentTaskId, isoNow()),
    });
  }

  // ---------------------------------------------------------------- one episode (episode.ts)

  async #episode(instanceId: string): Promise<void> {
    const live = await this.#live.load(instanceId);
    if (!live) return;
    this.#live.adoptOrphans(instanceId);
    const now = isoNow();
    const selection = selectDeliveries(live, live.inbox, now);
    for (const { id, fireAt } of selection.armTimers) this.#timers.arm(instanceId, id, fireAt); // no-op when armed; a safety net otherwise
    const { consumed } = selection;
    switch (selection.kind) {
      case 'nothing':
        if (consumed.length > 0) await this.#live.commit(live, live.record, [], consumed);
        if (selection.done) this.#live.evict(live);
        return;
      case 'terminate': {
        const end = terminationEnd(live.record, selection.reason, now);
        await this.#live.commit(live, end.record, end.events, consumed);
        this.#options.log.info(
          `Instance '${instanceId}' (${live.record.name}) terminated: ${selection.reason}`,
        );
        return this.#ended(live);
      }
      case 'suspension': {
        const status =
          selection.change === 'suspend' ? 'Suspended' : live.history.length > 0 ? 'Running' : 'Pending';
        await this.#live.commit(
          live,
          { ...live.record, runtimeStatus: status, lastUpdatedTime: now },
          selection.delivered,
          consumed,
        );
        if (selection.change === 'resume') this.#wake(instanceId);
        return;
      }
      case 'orchestrate':
        if (selection.runAgain) this.#queue.again(instanceId);
        return this.#orchestrate(live, selection.delivered, consumed, now);
    }
  }

  async #orchestrate(
    live: LiveInstance,
    delivered: HistoryEvent[],
    consumed: string[],
    now: string,
  ): Promise<void> {
    const fn = this.#options.registry.byName(live.record.name);
    if (!isOrchestrator(fn)) {
      return this.#finish(live, episodeEvents(now, delivered), consumed, now, {
        failed: `The function '${live.record.name}' doesn't exist, is disabled, or is not an orchestrator function.`,
      });
    }
    const answer = await invokeOrchestrator(
      this.#options,
      fn,
      orchestratorInput(live, episodeEvents(now, delivered)),
    );
    const step = stepEpisode(live, delivered, answer, now, stepIds);
    for (const id of step.disarmed) this.#timers.disarm(live.record.instanceId, id);
    const { outcome, customStatus } = step;
    if (outcome.kind === 'failed')
      return this.#finish(live, step.events, consumed, now, { failed: outcome.reason, customStatus });
    if (outcome.kind !== 'running') {
      // Signals sent in the last episode still go out (fire and forget), before the end is committed.
      for (const { entityId, message } of step.entityMessages)
        await this.#options.entities.send(entityId, message);
    }
    if (outcome.kind === 'completed')
      return this.#finish(live, step.events, consumed, now, { output: outcome.output, customStatus });
    if (outcome.kind === 'continuedAsNew')
      return this.#continueAsNew(live, consumed, now, outcome, customStatus);
    await this.#live.commit(
      live,
      { ...live.record, runtimeStatus: 'Running', customStatus, lastUpdatedTime: now },
      step.events,
      consumed,
      { entityMessages: step.entityMessages },
    );
    for (const effect of step.effects) await this.#apply(live, effect);
  }

  /** Carries out one effect of a committed episode. */
  async #apply(live: LiveInstance, effect: Effect): Promise<void> {
    const { instanceId, executionId } = live.record;
    switch (effect.kind) {
      case 'armTimer':
        return this.#timers.arm(instanceId, effect.id, effect.fireAt);
      case 'runActivity':
        return this.#runActivity(live, effect.id, effect.task);
      case 'startChild':
        return this.#startChild(live, effect.id, effect.task);
      case 'deliver':
        return this.#deliver({ id: newMessageId(), instanceId, executionId, event: effect.event });
      case 'notifyEntity':
        return this.#options.entities.notify(effect.entityId, effect.message);
    }
  }

  async #finish(
    live: LiveInstance,
    events: HistoryEvent[],
    consumed: string[],
    now: string,
    outcome: { output?: string; failed?: string; customStatus?: string | null },
  ): Promise<void> {
    const end = executionEnd(live.record, now, outcome);
    await this.#live.commit(live, end.record, [...events, ...end.events], consumed);
    if (end.failedMessage !== undefined)
      this.#options.log.error(`Instance '${live.record.instanceId}' failed: ${end.failedMessage}`);
    await this.#ended(live);
  }

  /** After an execution's end is committed: locks released, timers disarmed, the parent told, memory let go. */
  async #ended(live: LiveInstance): Promise<void> {
    await this.#releaseLocks(live);
    this.#timers.disarmAll(live.record.instanceId, live.scheduled);
    await this.#notifyParent(live.record);
    this.#live.evict(live);
  }

  /** Releases the critical section an ending instance still holds, as the Durable extension does. */
  async #releaseLocks(live: LiveInstance): Promise<void> {
    for (const entityId of live.heldLocks) {
      await this.#options.entities.send(entityId, {
        id: newMessageId(),
        kind: 'release',
        parent: live.record.instanceId,
        parentExecutionId: live.record.executionId,
      });
    }
    live.heldLocks = [];
  }

  /** The finished execution's events are dropped with its history, as DTFx does; the next one starts fresh. */
  async #continueAsNew(
    live: LiveInstance,
    consumed: string[],
    now: string,
    outcome: Extract<StepResult['outcome'], { kind: 'continuedAsNew' }>,
    customStatus: string | null,
  ): Promise<void> {
    const previousExecutionId = live.record.executionId;
    const next = nextExecution(live.record, outcome, customStatus, now, stepIds);
    this.#timers.disarmAll(live.record.instanceId, live.scheduled);
    await this.#live.commit(live, next.record, [], consumed, {
      addedMessages: next.messages,
      previousExecutionId,
    });
    await this.#releaseLocks(live);
    this.#live.set(analyze(live.record, [], live.inbox));
    this.#wake(live.record.instanceId);
  }
}
