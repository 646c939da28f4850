// The host side of Durable Functions: runs orchestrator episodes (replaying the history
// through the app's own durable-functions SDK), schedules activities, timers and
// sub-orchestrations from the actions it answers, and delivers their results back as
// history events. Everything it needs after a crash is in the store: committed history,
// the instance row, and undelivered messages; outstanding work is re-derived from them.
// What one episode does is pure (episode.ts, action-handlers.ts); this class loads, invokes,
// commits and carries out the effects. What clients ask of instances is instance-client.ts;
// children are sub-orchestrations.ts; a failed episode goes to episode-failures.ts.
import { randomUUID } from 'node:crypto';
import type { FunctionRegistry, RegisteredFunction, RpcTypedData } from '../core-api.js';
import type { DurableSettings } from '../app-files.js';
import type { Invoker } from '../invoke.js';
import type { HostLog } from '../log.js';
import type { Effect, StepIds } from './action-handlers.js';
import type { EntityScheduler } from './entities.js';
import {
  episodeEvents,
  executionEnd,
  nextExecution,
  orchestratorInput,
  selectDeliveries,
  stepEpisode,
  terminationEnd,
  type StepResult,
} from './episode.js';
import { EpisodeFailures } from './episode-failures.js';
import { InstanceClient, isOrchestrator, newExecutionId } from './instance-client.js';
import { ActivityRunner, invokeOrchestrator } from './invocations.js';
import { LiveInstances } from './live-instances.js';
import { isoNow, newMessageId, type HistoryEvent, type InboxMessage } from './model.js';
import { ReadyQueue } from './ready-queue.js';
import { analyze, outstandingTasks, type LiveInstance, type ScheduledTask } from './replay-state.js';
import type { DurableStore } from './store.js';
import { SubOrchestrations } from './sub-orchestrations.js';
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

const stepIds: StepIds = { requestId: randomUUID, messageId: newMessageId, executionId: newExecutionId };

export class DurableEngine {
  readonly #options: EngineOptions;
  readonly #live: LiveInstances;
  readonly #queue: ReadyQueue;
  readonly #timers = new DurableTimers((instanceId) => this.#wake(instanceId));
  readonly #activities: ActivityRunner;
  readonly #failures: EpisodeFailures;
  readonly #children: SubOrchestrations;
  /** What the management API asks of instances: start, status, events, purge. */
  readonly client: InstanceClient;

  constructor(options: EngineOptions) {
    this.#options = options;
    const { store, registry, log } = options;
    this.#live = new LiveInstances(
      store,
      log,
      (id) => void this.#failures.resume(id, Number.MAX_SAFE_INTEGER),
    );
    this.#queue = new ReadyQueue({
      step: (id) => this.#failures.run(id),
      maxRunning: options.settings.maxConcurrentOrchestratorFunctions,
      otherWorkIdle: () => this.#activities.isIdle(),
    });
    this.#activities = new ActivityRunner({
      ...options,
      maxRunning: options.settings.maxConcurrentActivityFunctions,
      stopped: () => this.#queue.stopped,
      settled: () => this.#queue.checkIdle(),
    });
    this.#failures = new EpisodeFailures({
      store,
      log,
      live: this.#live,
      stopped: () => this.#queue.stopped,
      episode: (id) => this.#episode(id),
      resumeOutstanding: (live, fromIndex) => this.#resumeOutstanding(live, fromIndex),
      wake: (id) => this.#wake(id),
      ended: (live) => this.#ended(live),
    });
    this.client = new InstanceClient({ store, registry, live: this.#live, wake: (id) => this.#wake(id) });
    this.#children = new SubOrchestrations({
      registry,
      client: this.client,
      deliver: (message) => this.#deliver(message),
    });
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
      else await this.#children.ensure(live, id, task);
    }
  }

  /** True when no episode, activity or due timer is pending now (GET /admin/host/status). */
  isIdle(): boolean {
    return this.#queue.isIdle();
  }

  /** Resolves when no episode, activity or due timer is pending (tests and shutdown). */
  whenIdle(): Promise<void> {
    return this.#queue.whenIdle();
  }

  stop(): void {
    this.#queue.stop();
    this.#timers.stop();
  }

  #wake(instanceId: string): void {
    this.#queue.wake(instanceId);
  }

  // ---------------------------------------------------------------- activities and results

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
        return this.#children.start(live, effect.id, effect.task);
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
    await this.#children.notifyParent(live.record);
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
