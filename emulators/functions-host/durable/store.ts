// Where orchestration state lives. Two implementations behind one interface: Azure Tables
// (Azurite locally; durable across restarts, inspectable with storage tools) and memory
// (fast tests). The engine is the only writer, so no optimistic concurrency is needed;
// what matters is the commit order (history, then instance row, then inbox deletion),
// which makes every crash point recoverable.
import type { EntityMessage, EntityRecord } from './entity-model.js';
import type { HistoryEvent, InboxMessage, InstanceQuery, InstanceRecord } from './model.js';

export interface InstancePage {
  instances: InstanceRecord[];
  continuationToken?: string;
}

export interface DurableStore {
  readonly kind: 'memory' | 'azure';
  init(): Promise<void>;
  getInstance(instanceId: string): Promise<InstanceRecord | undefined>;
  queryInstances(
    query: InstanceQuery,
    top: number | undefined,
    continuationToken: string | undefined,
  ): Promise<InstancePage>;
  /** Non-terminal instances: what a restarted host must resume. */
  activeInstances(): Promise<InstanceRecord[]>;
  /** Replaces the instance (a fresh start or a restart of a finished id): old history and
   * messages go. `fresh` says no instance of that id existed, so there is nothing to clear. */
  resetInstance(record: InstanceRecord, start: InboxMessage, fresh?: boolean): Promise<void>;
  /** The first `record.historyLength` events of the current execution. */
  readHistory(record: InstanceRecord): Promise<HistoryEvent[]>;
  /**
   * One episode's outcome: events appended at `fromIndex` of `executionId`'s history, the
   * instance row, then the consumed messages removed. `previousExecutionId` (after
   * continueAsNew) has its history deleted.
   */
  commit(change: {
    record: InstanceRecord;
    fromIndex: number;
    newEvents: HistoryEvent[];
    consumedMessageIds: string[];
    addedMessages?: InboxMessage[];
    /** Messages the episode sends to entities: stored before the instance row commits. */
    entityMessages?: { entityId: string; message: EntityMessage }[];
    previousExecutionId?: string;
  }): Promise<void>;
  /** Writes only the instance row (failing an instance whose history storage refuses). */
  saveInstance(record: InstanceRecord): Promise<void>;
  addMessage(message: InboxMessage): Promise<void>;
  readMessages(instanceId: string): Promise<InboxMessage[]>;
  getEntity(entityId: string): Promise<EntityRecord | undefined>;
  /** Entities whose id starts with '@' + name + '@' (all when no name), sorted by id. */
  listEntities(name?: string): Promise<EntityRecord[]>;
  /** The entity row (the commit point), then the consumed messages deleted. */
  saveEntity(record: EntityRecord, consumedMessageIds: string[]): Promise<void>;
  addEntityMessage(entityId: string, message: EntityMessage): Promise<void>;
  /** Takes back a message not yet delivered (an instance's or an entity's; no error when gone). */
  deleteMessage(partition: string, messageId: string): Promise<void>;
  readEntityMessages(entityId: string): Promise<EntityMessage[]>;
  /** Entities with undelivered messages: what a restarted host must wake. */
  entityIdsWithMessages(): Promise<string[]>;
  /** Deletes instance, history and messages; false when there was no such instance. */
  purge(instanceId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Filtering shared by both stores (Azure Tables' filter language is only used for what it does well). */
export function matchesQuery(record: InstanceRecord, query: InstanceQuery): boolean {
  if (
    query.runtimeStatus &&
    query.runtimeStatus.length > 0 &&
    !query.runtimeStatus.includes(record.runtimeStatus)
  )
    return false;
  const created = Date.parse(record.createdTime);
  if (query.createdTimeFrom && created < query.createdTimeFrom.getTime()) return false;
  if (query.createdTimeTo && created > query.createdTimeTo.getTime()) return false;
  if (query.instanceIdPrefix && !record.instanceId.startsWith(query.instanceIdPrefix)) return false;
  return true;
}

/** Paging over an id-sorted list with an opaque token (the last id served). */
export function pageOf(
  sorted: InstanceRecord[],
  top: number | undefined,
  continuationToken: string | undefined,
): InstancePage {
  let start = 0;
  if (continuationToken) {
    const after = Buffer.from(continuationToken, 'base64url').toString('utf8');
    start = sorted.findIndex((r) => r.instanceId > after);
    if (start < 0) start = sorted.length;
  }
  const size = top && top > 0 ? top : sorted.length;
  const instances = sorted.slice(start, start + size);
  const more = start + size < sorted.length;
  return {
    instances,
    continuationToken:
      more && instances.length > 0
        ? Buffer.from(instances[instances.length - 1].instanceId, 'utf8').toString('base64url')
        : undefined,
  };
}

export class MemoryStore implements DurableStore {
  readonly kind = 'memory' as const;
  readonly #instances = new Map<string, InstanceRecord>();
  readonly #history = new Map<string, HistoryEvent[]>();
  readonly #inbox = new Map<string, Map<string, InboxMessage>>();
  readonly #entities = new Map<string, EntityRecord>();
  readonly #entityInbox = new Map<string, Map<string, EntityMessage>>();

  async init(): Promise<void> {}

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    const record = this.#instances.get(instanceId);
    return record && { ...record };
  }

  async queryInstances(
    query: InstanceQuery,
    top: number | undefined,
    continuationToken: string | undefined,
  ): Promise<InstancePage> {
    const sorted = [...this.#instances.values()]
      .filter((r) => matchesQuery(r, query))
      .sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1));
    return pageOf(
      sorted.map((r) => ({ ...r })),
      top,
      continuationToken,
    );
  }

  async activeInstances(): Promise<InstanceRecord[]> {
    return [...this.#instances.values()]
      .filter((r) => !['Completed', 'Failed', 'Terminated', 'Canceled'].includes(r.runtimeStatus))
      .map((r) => ({ ...r }));
  }

  async resetInstance(record: InstanceRecord, start: InboxMessage): Promise<void> {
    this.#instances.set(record.instanceId, { ...record });
    this.#history.set(record.instanceId, []);
    this.#inbox.set(record.instanceId, new Map([[start.id, structuredClone(start)]]));
  }

  async readHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    return structuredClone((this.#history.get(record.instanceId) ?? []).slice(0, record.historyLength));
  }

  async commit(change: Parameters<DurableStore['commit']>[0]): Promise<void> {
    const id = change.record.instanceId;
    const history = change.previousExecutionId
      ? []
      : (this.#history.get(id) ?? []).slice(0, change.fromIndex);
    history.push(...structuredClone(change.newEvents));
    for (const { entityId, message } of change.entityMessages ?? [])
      await this.addEntityMessage(entityId, message);
    this.#history.set(id, history);
    this.#instances.set(id, { ...change.record });
    const inbox = this.#inbox.get(id) ?? new Map<string, InboxMessage>();
    for (const consumed of change.consumedMessageIds) inbox.delete(consumed);
    for (const added of change.addedMessages ?? []) inbox.set(added.id, structuredClone(added));
    this.#inbox.set(id, inbox);
  }

  async saveInstance(record: InstanceRecord): Promise<void> {
    this.#instances.set(record.instanceId, { ...record });
  }

  async getEntity(entityId: string): Promise<EntityRecord | undefined> {
    const record = this.#entities.get(entityId);
    return record && structuredClone(record);
  }

  async listEntities(name?: string): Promise<EntityRecord[]> {
    const prefix = name === undefined ? '@' : `@${name.toLowerCase()}@`;
    return [...this.#entities.values()]
      .filter((r) => r.id.startsWith(prefix))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((r) => structuredClone(r));
  }

  async saveEntity(record: EntityRecord, consumedMessageIds: string[]): Promise<void> {
    this.#entities.set(record.id, structuredClone(record));
    const inbox = this.#entityInbox.get(record.id);
    for (const id of consumedMessageIds) inbox?.delete(id);
  }

  async addEntityMessage(entityId: string, message: EntityMessage): Promise<void> {
    const inbox = this.#entityInbox.get(entityId) ?? new Map<string, EntityMessage>();
    inbox.set(message.id, structuredClone(message));
    this.#entityInbox.set(entityId, inbox);
  }

  async deleteMessage(partition: string, messageId: string): Promise<void> {
    this.#inbox.get(partition)?.delete(messageId);
    this.#entityInbox.get(partition)?.delete(messageId);
  }

  async readEntityMessages(entityId: string): Promise<EntityMessage[]> {
    return [...(this.#entityInbox.get(entityId)?.values() ?? [])]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((m) => structuredClone(m));
  }

  async entityIdsWithMessages(): Promise<string[]> {
    return [...this.#entityInbox.entries()].filter(([, inbox]) => inbox.size > 0).map(([id]) => id);
  }

  async addMessage(message: InboxMessage): Promise<void> {
    const inbox = this.#inbox.get(message.instanceId) ?? new Map<string, InboxMessage>();
    inbox.set(message.id, structuredClone(message));
    this.#inbox.set(message.instanceId, inbox);
  }

  async readMessages(instanceId: string): Promise<InboxMessage[]> {
    return [...(this.#inbox.get(instanceId)?.values() ?? [])]
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((m) => structuredClone(m));
  }

  async purge(instanceId: string): Promise<boolean> {
    const existed = this.#instances.delete(instanceId);
    this.#history.delete(instanceId);
    this.#inbox.delete(instanceId);
    return existed;
  }

  async close(): Promise<void> {}
}
