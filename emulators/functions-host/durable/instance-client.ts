// What a durable client asks of orchestration instances (the management API's operations):
// start one, read its status and history, send it an event (raise, terminate, suspend,
// resume), list and purge. Creating an instance writes its start message and hands it to
// the engine to run; every message to an instance is stored before the instance is woken.
import { randomUUID } from 'node:crypto';
import type { FunctionRegistry, RegisteredFunction } from '../core-api.js';
import { triggerBinding } from '../invoke.js';
import { executionStarted } from './episode.js';
import type { LiveInstances } from './live-instances.js';
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
  type InstanceQuery,
  type InstanceRecord,
} from './model.js';
import { analyze } from './replay-state.js';
import type { DurableStore, InstancePage } from './store.js';

export function isOrchestrator(fn: RegisteredFunction | undefined): fn is RegisteredFunction {
  return triggerBinding(fn!)?.type === 'orchestrationTrigger';
}

export const newExecutionId = (): string => randomUUID().replace(/-/g, '');

/** Instance ids the extension accepts: 1-256 characters, none of / \ # ? or control characters. */
const INSTANCE_ID = /^[^/\\#?\u0000-\u001f\u007f]{1,256}$/;

export interface InstanceClientOptions {
  store: DurableStore;
  registry: FunctionRegistry;
  live: LiveInstances;
  /** Queues an episode for the instance. */
  wake(instanceId: string): void;
}

export class InstanceClient {
  readonly #options: InstanceClientOptions;
  /** Start/create per instance id, one at a time: the existence check and the write are one step. */
  readonly #creating = new Map<string, Promise<void>>();

  constructor(options: InstanceClientOptions) {
    this.#options = options;
  }

  orchestratorNames(): string[] {
    return [...this.#options.registry.functions.values()].filter(isOrchestrator).map((f) => f.metadata.name);
  }

  /** Starts an orchestration; 400 for an unknown orchestrator or a bad id, 409 while one of that id runs. */
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
    if (!INSTANCE_ID.test(id))
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

  /** Creates a sub-orchestration's instance, replacing whatever of that id there was. */
  async createChild(record: InstanceRecord): Promise<void> {
    await serialized(this.#creating, record.instanceId, async () =>
      this.#create(record, !(await this.getInstance(record.instanceId))),
    );
  }

  /** `fresh`: no instance of that id exists, so there is no old history to clear. */
  async #create(record: InstanceRecord, fresh: boolean): Promise<void> {
    const { live, store, wake } = this.#options;
    const start: InboxMessage = {
      id: newMessageId(),
      instanceId: record.instanceId,
      executionId: record.executionId,
      event: executionStarted(record, isoNow()),
    };
    live.drop(record.instanceId);
    await store.resetInstance(record, start, fresh);
    live.set(analyze(record, [], [start]));
    wake(record.instanceId);
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    const live = this.#options.live.get(instanceId);
    return live ? { ...live.record } : this.#options.store.getInstance(instanceId);
  }

  async getHistory(instanceId: string): Promise<HistoryEvent[]> {
    const live = this.#options.live.get(instanceId);
    if (live) return structuredClone(live.history);
    const record = await this.#options.store.getInstance(instanceId);
    return record ? this.#options.store.readHistory(record) : [];
  }

  /** One page of the instances that match (from storage: what was committed). */
  query(query: InstanceQuery, top: number | undefined, token: string | undefined): Promise<InstancePage> {
    return this.#options.store.queryInstances(query, top, token);
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

  /** Queues a message for an unfinished instance; 404 unknown, 410 finished. */
  async #send(instanceId: string, event: InboxMessage['event']): Promise<void> {
    const live = await this.#options.live.load(instanceId);
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
    this.#options.wake(instanceId);
  }

  /** Only finished instances are purged (running ones would lose their state under them). */
  async purge(instanceId: string): Promise<boolean> {
    const record = await this.getInstance(instanceId);
    if (!record || !terminalStatuses.has(record.runtimeStatus)) return false;
    this.#options.live.drop(instanceId);
    return this.#options.store.purge(instanceId);
  }

  /** Purges every finished instance that matches; answers how many were deleted. */
  async purgeMatching(query: InstanceQuery): Promise<number> {
    let deleted = 0;
    let token: string | undefined;
    do {
      const page = await this.query(query, 100, token);
      for (const record of page.instances) {
        if (terminalStatuses.has(record.runtimeStatus) && (await this.purge(record.instanceId))) deleted++;
      }
      token = page.continuationToken;
    } while (token);
    return deleted;
  }
}
