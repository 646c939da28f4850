// Orchestration state in Azure Tables, laid out like the Durable Task Azure Storage
// provider: `<hub>Instances` (one row per instance, PartitionKey = instance id) and
// `<hub>History` (one row per event, PartitionKey = instance id, RowKey = execution id +
// sequence). DTFx keeps undelivered messages in storage queues; this host keeps them in
// `<hub>Inbox` rows instead, because table queries answer at once where queue polling
// adds seconds.
import {
  TableClient,
  TableServiceClient,
  type TableEntity,
  type TransactionAction,
} from '@azure/data-tables';
import type { EntityMessage, EntityRecord } from './entity-model.js';
import type { HistoryEvent, InboxMessage, InstanceQuery, InstanceRecord, RuntimeStatus } from './model.js';
import { EventType, eventTypeNames } from './model.js';
import { matchesQuery, pageOf, type DurableStore, type InstancePage } from './store.js';

/** Table string properties hold 32K UTF-16 chars; longer values are split over numbered columns. */
const MAX_CHARS = 30_000;
// Fields whose values are objects or arrays: stored as JSON text (Azure Tables has no such type).
const OBJECT_FIELDS = new Set([
  'FailureDetails',
  'OrchestrationInstance',
  'ParentInstance',
  'RetryOptions',
  'HttpPoll',
  'CanceledTimers',
]);
const TRANSACTION_LIMIT = 100;
/** "Timestamp" is the table service's own column; DTFx stores the event time as "_Timestamp". */
const TIMESTAMP_COLUMN = '_Timestamp';

type Entity = TableEntity<Record<string, unknown>>;

function putString(entity: Record<string, unknown>, key: string, value: string): void {
  if (value.length <= MAX_CHARS) {
    entity[key] = value;
    return;
  }
  const parts = Math.ceil(value.length / MAX_CHARS);
  entity[`${key}__parts`] = parts;
  for (let i = 0; i < parts; i++) entity[`${key}__${i}`] = value.slice(i * MAX_CHARS, (i + 1) * MAX_CHARS);
}

function getString(entity: Record<string, unknown>, key: string): string | undefined {
  const parts = entity[`${key}__parts`];
  if (typeof parts === 'number') {
    let value = '';
    for (let i = 0; i < parts; i++) value += String(entity[`${key}__${i}`] ?? '');
    return value;
  }
  const value = entity[key];
  return value === undefined || value === null ? undefined : String(value);
}

const historyRowKey = (executionId: string, index: number) =>
  `${executionId}~${index.toString().padStart(8, '0')}`;

function eventToEntity(instanceId: string, executionId: string, index: number, event: HistoryEvent): Entity {
  const entity: Entity = {
    partitionKey: instanceId,
    rowKey: historyRowKey(executionId, index),
    ExecutionId: executionId,
  };
  for (const [key, value] of Object.entries(event)) {
    if (value === undefined || value === null) continue;
    if (key === 'EventType') entity.EventType = eventTypeNames[value as number] ?? String(value);
    else if (key === 'Timestamp') entity[TIMESTAMP_COLUMN] = value;
    else if (OBJECT_FIELDS.has(key)) putString(entity, key, JSON.stringify(value));
    else if (typeof value === 'string') putString(entity, key, value);
    else entity[key] = value;
  }
  return entity;
}

const metadataKeys = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp', 'odata.etag', 'ExecutionId']);

function entityToEvent(entity: Record<string, unknown>): HistoryEvent {
  const event: Record<string, unknown> = {};
  for (const key of Object.keys(entity)) {
    if (metadataKeys.has(key) || /__(parts|\d+)$/.test(key)) continue;
    if (key === 'EventType')
      event.EventType = EventType[entity.EventType as keyof typeof EventType] ?? Number(entity.EventType);
    else if (key === TIMESTAMP_COLUMN) event.Timestamp = entity[key];
    else if (OBJECT_FIELDS.has(key)) event[key] = JSON.parse(getString(entity, key)!);
    else if (typeof entity[key] === 'string') event[key] = getString(entity, key);
    else event[key] = entity[key];
  }
  for (const key of Object.keys(entity)) {
    const split = /^(.*)__parts$/.exec(key);
    if (split)
      event[split[1]] = OBJECT_FIELDS.has(split[1])
        ? JSON.parse(getString(entity, split[1])!)
        : getString(entity, split[1]);
  }
  return event as unknown as HistoryEvent;
}

function recordToEntity(record: InstanceRecord): Entity {
  const entity: Entity = {
    partitionKey: record.instanceId,
    rowKey: '',
    Name: record.name,
    ExecutionId: record.executionId,
    RuntimeStatus: record.runtimeStatus,
    CreatedTime: record.createdTime,
    LastUpdatedTime: record.lastUpdatedTime,
    HistoryLength: record.historyLength,
  };
  if (record.completedTime) entity.CompletedTime = record.completedTime;
  if (record.parentInstanceId) entity.ParentInstanceId = record.parentInstanceId;
  if (record.parentExecutionId) entity.ParentExecutionId = record.parentExecutionId;
  if (record.parentTaskId !== null) entity.ParentTaskId = record.parentTaskId;
  if (record.input !== null) putString(entity, 'Input', record.input);
  if (record.output !== null) putString(entity, 'Output', record.output);
  if (record.customStatus !== null) putString(entity, 'CustomStatus', record.customStatus);
  return entity;
}

function entityToRecord(entity: Record<string, unknown>): InstanceRecord {
  return {
    instanceId: String(entity.partitionKey),
    name: String(entity.Name),
    executionId: String(entity.ExecutionId),
    runtimeStatus: entity.RuntimeStatus as RuntimeStatus,
    input: getString(entity, 'Input') ?? null,
    output: getString(entity, 'Output') ?? null,
    customStatus: getString(entity, 'CustomStatus') ?? null,
    createdTime: String(entity.CreatedTime),
    lastUpdatedTime: String(entity.LastUpdatedTime),
    completedTime: typeof entity.CompletedTime === 'string' ? entity.CompletedTime : null,
    parentInstanceId: typeof entity.ParentInstanceId === 'string' ? entity.ParentInstanceId : null,
    parentExecutionId: typeof entity.ParentExecutionId === 'string' ? entity.ParentExecutionId : null,
    parentTaskId: typeof entity.ParentTaskId === 'number' ? entity.ParentTaskId : null,
    historyLength: Number(entity.HistoryLength ?? 0),
  };
}

function messageToEntity(message: InboxMessage): Entity {
  const entity: Entity = { partitionKey: message.instanceId, rowKey: message.id };
  if (message.executionId) entity.ExecutionId = message.executionId;
  putString(entity, 'Event', JSON.stringify(message.event));
  return entity;
}

function entityToMessage(entity: Record<string, unknown>): InboxMessage {
  return {
    id: String(entity.rowKey),
    instanceId: String(entity.partitionKey),
    executionId: typeof entity.ExecutionId === 'string' ? entity.ExecutionId : null,
    event: JSON.parse(getString(entity, 'Event')!),
  };
}

function hasLineSeparator(entity: object): boolean {
  return Object.values(entity).some((value) => typeof value === 'string' && /[\u2028\u2029]/.test(value));
}

/** `<hub>Entities`: one row per entity (PartitionKey = '@name@key'). */
function entityToRow(record: EntityRecord): Entity {
  const row: Entity = {
    partitionKey: record.id,
    rowKey: '',
    Name: record.name,
    Key: record.key,
    Exists: record.exists,
    LastOperationTime: record.lastOperationTime,
    LastBatch: JSON.stringify(record.lastBatch),
  };
  if (record.lockedBy !== null) row.LockedBy = record.lockedBy;
  if (record.state !== null) putString(row, 'State', record.state);
  return row;
}

function rowToEntity(row: Record<string, unknown>): EntityRecord {
  return {
    id: String(row.partitionKey),
    name: String(row.Name),
    key: String(row.Key),
    exists: row.Exists === true,
    state: getString(row, 'State') ?? null,
    lockedBy: typeof row.LockedBy === 'string' ? row.LockedBy : null,
    lastOperationTime: String(row.LastOperationTime),
    lastBatch: JSON.parse(String(row.LastBatch ?? '[]')) as string[],
  };
}

const odataString = (value: string) => `'${value.replace(/'/g, "''")}'`;

export class TableStore implements DurableStore {
  readonly kind = 'azure' as const;
  readonly #instances: TableClient;
  readonly #history: TableClient;
  readonly #inbox: TableClient;
  readonly #entities: TableClient;
  readonly #service: TableServiceClient;

  constructor(
    connectionString: string,
    readonly hubName: string,
  ) {
    // Azurite speaks plain http; the SDK refuses that unless told.
    const options = {
      allowInsecureConnection:
        /^UseDevelopmentStorage=true|http:\/\//i.test(connectionString) ||
        /DefaultEndpointsProtocol=http;/i.test(connectionString),
    };
    this.#service = TableServiceClient.fromConnectionString(connectionString, options);
    this.#instances = TableClient.fromConnectionString(connectionString, `${hubName}Instances`, options);
    this.#history = TableClient.fromConnectionString(connectionString, `${hubName}History`, options);
    this.#inbox = TableClient.fromConnectionString(connectionString, `${hubName}Inbox`, options);
    this.#entities = TableClient.fromConnectionString(connectionString, `${hubName}Entities`, options);
  }

  async init(): Promise<void> {
    for (const table of [this.#instances, this.#history, this.#inbox, this.#entities])
      await this.#service.createTable(table.tableName);
  }

  async getEntity(entityId: string): Promise<EntityRecord | undefined> {
    try {
      return rowToEntity(await this.#entities.getEntity(entityId, ''));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async listEntities(name?: string): Promise<EntityRecord[]> {
    const prefix = name === undefined ? '@' : `@${name.toLowerCase()}@`;
    const filter = `PartitionKey ge ${odataString(prefix)} and PartitionKey lt ${odataString(`${prefix}\uffff`)}`;
    const records: EntityRecord[] = [];
    for await (const row of this.#entities.listEntities({ queryOptions: { filter } }))
      records.push(rowToEntity(row));
    return records.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async saveEntity(record: EntityRecord, consumedMessageIds: string[]): Promise<void> {
    await this.#entities.upsertEntity(entityToRow(record), 'Replace');
    await this.#transact(
      this.#inbox,
      consumedMessageIds.map((id) => ['delete', { partitionKey: record.id, rowKey: id }]),
    );
  }

  async addEntityMessage(entityId: string, message: EntityMessage): Promise<void> {
    const row: Entity = { partitionKey: entityId, rowKey: message.id };
    putString(row, 'Message', JSON.stringify(message));
    await this.#inbox.upsertEntity(row, 'Replace');
  }

  async deleteMessage(partition: string, messageId: string): Promise<void> {
    await this.#inbox.deleteEntity(partition, messageId).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
  }

  async readEntityMessages(entityId: string): Promise<EntityMessage[]> {
    const messages: EntityMessage[] = [];
    for await (const row of this.#inbox.listEntities({
      queryOptions: { filter: `PartitionKey eq ${odataString(entityId)}` },
    })) {
      messages.push(JSON.parse(getString(row, 'Message')!) as EntityMessage);
    }
    return messages.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async entityIdsWithMessages(): Promise<string[]> {
    const ids = new Set<string>();
    const filter = `PartitionKey ge '@' and PartitionKey lt 'A'`;
    for await (const row of this.#inbox.listEntities({ queryOptions: { filter, select: ['PartitionKey'] } }))
      ids.add(String(row.partitionKey));
    return [...ids];
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    try {
      return entityToRecord(await this.#instances.getEntity(instanceId, ''));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async #allInstances(filter?: string): Promise<InstanceRecord[]> {
    const records: InstanceRecord[] = [];
    for await (const entity of this.#instances.listEntities({
      queryOptions: filter ? { filter } : undefined,
    }))
      records.push(entityToRecord(entity));
    return records.sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1));
  }

  async queryInstances(
    query: InstanceQuery,
    top: number | undefined,
    continuationToken: string | undefined,
  ): Promise<InstancePage> {
    const statusFilter = query.runtimeStatus?.length
      ? query.runtimeStatus.map((s) => `RuntimeStatus eq ${odataString(s)}`).join(' or ')
      : undefined;
    const records = (await this.#allInstances(statusFilter)).filter((r) => matchesQuery(r, query));
    return pageOf(records, top, continuationToken);
  }

  async activeInstances(): Promise<InstanceRecord[]> {
    return this.#allInstances(
      ['Pending', 'Running', 'ContinuedAsNew', 'Suspended']
        .map((s) => `RuntimeStatus eq '${s}'`)
        .join(' or '),
    );
  }

  async resetInstance(record: InstanceRecord, start: InboxMessage, fresh = false): Promise<void> {
    if (!fresh) {
      await this.#deletePartition(this.#history, record.instanceId);
      await this.#deletePartition(this.#inbox, record.instanceId);
    }
    await this.#inbox.upsertEntity(messageToEntity(start), 'Replace');
    await this.#instances.upsertEntity(recordToEntity(record), 'Replace');
  }

  async readHistory(record: InstanceRecord): Promise<HistoryEvent[]> {
    if (record.historyLength === 0) return [];
    const filter = `PartitionKey eq ${odataString(record.instanceId)} and RowKey ge ${odataString(historyRowKey(record.executionId, 0))} and RowKey lt ${odataString(historyRowKey(record.executionId, record.historyLength))}`;
    const events: HistoryEvent[] = [];
    for await (const entity of this.#history.listEntities({ queryOptions: { filter } }))
      events.push(entityToEvent(entity));
    return events;
  }

  async commit(change: Parameters<DurableStore['commit']>[0]): Promise<void> {
    const { record } = change;
    if (change.previousExecutionId)
      await this.#deleteRows(this.#history, record.instanceId, `${change.previousExecutionId}~`);
    const historyActions: TransactionAction[] = change.newEvents.map((event, i) => [
      'upsert',
      eventToEntity(record.instanceId, record.executionId, change.fromIndex + i, event),
      'Replace',
    ]);
    await this.#transact(this.#history, historyActions);
    for (const { entityId, message } of change.entityMessages ?? [])
      await this.addEntityMessage(entityId, message);
    for (const message of change.addedMessages ?? [])
      await this.#inbox.upsertEntity(messageToEntity(message), 'Replace');
    // The instance row is the commit point: history rows past its HistoryLength are ignored.
    await this.#instances.upsertEntity(recordToEntity(record), 'Replace');
    await this.#transact(
      this.#inbox,
      change.consumedMessageIds.map((id) => ['delete', { partitionKey: record.instanceId, rowKey: id }]),
    );
  }

  async saveInstance(record: InstanceRecord): Promise<void> {
    await this.#instances.upsertEntity(recordToEntity(record), 'Replace');
  }

  async addMessage(message: InboxMessage): Promise<void> {
    await this.#inbox.upsertEntity(messageToEntity(message), 'Replace');
  }

  async readMessages(instanceId: string): Promise<InboxMessage[]> {
    const messages: InboxMessage[] = [];
    const filter = `PartitionKey eq ${odataString(instanceId)}`;
    for await (const entity of this.#inbox.listEntities({ queryOptions: { filter } }))
      messages.push(entityToMessage(entity));
    return messages.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async purge(instanceId: string): Promise<boolean> {
    const existing = await this.getInstance(instanceId);
    if (!existing) return false;
    await this.#deletePartition(this.#history, instanceId);
    await this.#deletePartition(this.#inbox, instanceId);
    await this.#instances.deleteEntity(instanceId, '');
    return true;
  }

  async close(): Promise<void> {}

  async #transact(table: TableClient, actions: TransactionAction[]): Promise<void> {
    for (let i = 0; i < actions.length; i += TRANSACTION_LIMIT) {
      const chunk = actions.slice(i, i + TRANSACTION_LIMIT);
      try {
        // Azurite takes seconds to refuse such a batch (the client retries): skip straight to single writes.
        if (chunk.some((action) => hasLineSeparator(action[1]))) throw new Error('a row holds U+2028/U+2029');
        await table.submitTransaction(chunk);
      } catch (error) {
        // A batch fails whole when one row is already gone (a replayed delete), and Azurite
        // refuses a batch whose body holds U+2028/U+2029 (it splits the multipart body on
        // them) although it stores the same rows one by one. Each row is idempotent (upsert,
        // delete-if-there) and the instance row written after them is the commit point, so
        // one by one is as safe; a row storage refuses on its own then fails with its reason.
        for (const action of chunk) {
          const entity = action[1] as { partitionKey: string; rowKey: string };
          if (action[0] === 'delete') {
            await table
              .deleteEntity(entity.partitionKey, entity.rowKey)
              .catch((e: { statusCode?: number }) => {
                if (e.statusCode !== 404) throw e;
              });
          } else if (action[0] === 'upsert') {
            await table.upsertEntity(action[1] as Entity, 'Replace');
          } else throw error;
        }
      }
    }
  }

  async #deleteRows(table: TableClient, partitionKey: string, rowKeyPrefix: string): Promise<void> {
    const filter = `PartitionKey eq ${odataString(partitionKey)} and RowKey ge ${odataString(rowKeyPrefix)} and RowKey lt ${odataString(`${rowKeyPrefix}\uffff`)}`;
    const keys: TransactionAction[] = [];
    for await (const entity of table.listEntities({ queryOptions: { filter, select: ['RowKey'] } }))
      keys.push(['delete', { partitionKey, rowKey: String(entity.rowKey) }]);
    await this.#transact(table, keys);
  }

  async #deletePartition(table: TableClient, partitionKey: string): Promise<void> {
    await this.#deleteRows(table, partitionKey, '');
  }
}
