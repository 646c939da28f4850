// Blob, queue and table bindings on a storage account (Azurite locally): inputs are read
// before the function runs and handed over as the worker would (blob bytes, table entities
// as JSON); outputs the function set are written after it succeeded (a failed write fails
// the invocation, as on Azure). Containers, queues and tables are created when missing.
import type { RegisteredFunction, RpcBindingInfo, RpcInvocationResponse, RpcTypedData } from '../core-api.js';
import { resolveStorage, type StorageAccount } from './connection.js';
import { resolveExpression, type BindingData } from './expressions.js';

export type QueueEncoding = 'base64' | 'none';

function splitBlobPath(path: string): { container: string; blob: string } {
  const clean = path.replace(/^\/+/, '');
  const slash = clean.indexOf('/');
  if (slash <= 0 || slash === clean.length - 1)
    throw new Error(`A blob path must be 'container/blob', got '${path}'.`);
  return { container: clean.slice(0, slash), blob: clean.slice(slash + 1) };
}

/** The bytes of a value the library serialised (toRpcTypedData). */
function bytesOf(data: RpcTypedData): Buffer {
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (data.string !== undefined && data.string !== null) return Buffer.from(data.string, 'utf8');
  if (data.json !== undefined && data.json !== null) return Buffer.from(data.json, 'utf8');
  if (data.int !== undefined && data.int !== null) return Buffer.from(String(data.int));
  if (data.double !== undefined && data.double !== null) return Buffer.from(String(data.double));
  return Buffer.alloc(0);
}

/** The JS value of an output (objects for JSON, text otherwise). */
function valueOf(data: RpcTypedData): unknown {
  if (data.json !== undefined && data.json !== null) return JSON.parse(data.json);
  if (data.string !== undefined && data.string !== null) return data.string;
  if (data.bytes || data.stream) return bytesOf(data).toString('utf8');
  if (data.int !== undefined && data.int !== null) return Number(data.int);
  if (data.double !== undefined && data.double !== null) return data.double;
  return undefined;
}

const isSet = (data: RpcTypedData | null | undefined): data is RpcTypedData =>
  !!data && Object.values(data).some((v) => v !== undefined && v !== null);

/** Table rows as the Functions table binding shows them: PartitionKey / RowKey, no odata fields. */
function fromTableRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { PartitionKey: row.partitionKey, RowKey: row.rowKey };
  for (const [key, value] of Object.entries(row)) {
    if (['partitionKey', 'rowKey', 'etag', 'odata.metadata', 'odata.etag'].includes(key)) continue;
    out[key === 'timestamp' ? 'Timestamp' : key] = value;
  }
  return out;
}

function toTableRow(
  entity: Record<string, unknown>,
  binding: RpcBindingInfo,
  data: BindingData,
): Record<string, unknown> & { partitionKey: string; rowKey: string } {
  const { PartitionKey, RowKey, partitionKey, rowKey, ...rest } = entity;
  const pk =
    PartitionKey ??
    partitionKey ??
    (binding.partitionKey ? resolveExpression(String(binding.partitionKey), data) : undefined);
  const rk =
    RowKey ?? rowKey ?? (binding.rowKey ? resolveExpression(String(binding.rowKey), data) : undefined);
  if (pk === undefined || rk === undefined)
    throw new Error('A table output entity needs PartitionKey and RowKey (in the entity or the binding).');
  delete (rest as Record<string, unknown>).Timestamp;
  delete (rest as Record<string, unknown>).ETag;
  return { ...rest, partitionKey: String(pk), rowKey: String(rk) };
}

const odata = (value: string) => `'${value.replace(/'/g, "''")}'`;

export class StorageBindings {
  readonly #accounts = new Map<string, StorageAccount>();
  readonly #ready = new Set<string>();

  constructor(private readonly queueEncoding: QueueEncoding = 'base64') {}

  account(connection: unknown): StorageAccount {
    const key = String(connection ?? '');
    let account = this.#accounts.get(key);
    if (!account) {
      account = resolveStorage(connection as string | undefined);
      this.#accounts.set(key, account);
    }
    return account;
  }

  /** Creates a container/queue/table once per host run. */
  async #once(key: string, create: () => Promise<unknown>): Promise<void> {
    if (this.#ready.has(key)) return;
    await create();
    this.#ready.add(key);
  }

  /** Extra inputs for the function's blob and table input bindings. */
  async inputs(fn: RegisteredFunction, data: BindingData): Promise<{ name: string; data: RpcTypedData }[]> {
    const out: { name: string; data: RpcTypedData }[] = [];
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (binding.direction !== 'in') continue;
      if (binding.type === 'blob') out.push({ name, data: await this.#readBlob(binding, data) });
      else if (binding.type === 'table') out.push({ name, data: await this.#readTable(binding, data) });
    }
    return out;
  }

  async #readBlob(binding: RpcBindingInfo, data: BindingData): Promise<RpcTypedData> {
    const { container, blob } = splitBlobPath(resolveExpression(String(binding.path ?? ''), data));
    try {
      const bytes = await this.account(binding.connection)
        .blobs()
        .getContainerClient(container)
        .getBlobClient(blob)
        .downloadToBuffer();
      return binding.dataType === 'string' ? { string: bytes.toString('utf8') } : { bytes };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return { json: 'null' }; // no blob: null, as on Azure
      throw error;
    }
  }

  async #readTable(binding: RpcBindingInfo, data: BindingData): Promise<RpcTypedData> {
    const table = this.account(binding.connection).table(
      resolveExpression(String(binding.tableName ?? ''), data),
    );
    const pk = binding.partitionKey ? resolveExpression(String(binding.partitionKey), data) : undefined;
    const rk = binding.rowKey ? resolveExpression(String(binding.rowKey), data) : undefined;
    try {
      if (pk !== undefined && rk !== undefined)
        return { json: JSON.stringify(fromTableRow(await table.getEntity(pk, rk))) };
      const filters = [
        pk !== undefined ? `PartitionKey eq ${odata(pk)}` : undefined,
        binding.filter ? `(${resolveExpression(String(binding.filter), data)})` : undefined,
      ].filter(Boolean);
      const take = binding.take === undefined ? Infinity : Number(binding.take);
      const rows: Record<string, unknown>[] = [];
      for await (const row of table.listEntities({
        queryOptions: filters.length ? { filter: filters.join(' and ') } : undefined,
      })) {
        if (rows.length >= take) break;
        rows.push(fromTableRow(row));
      }
      return { json: JSON.stringify(rows) };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404)
        return { json: pk !== undefined && rk !== undefined ? 'null' : '[]' };
      throw error;
    }
  }

  /** Writes what the function set on its blob, queue and table outputs. */
  async writeOutputs(
    fn: RegisteredFunction,
    response: RpcInvocationResponse,
    data: BindingData,
  ): Promise<void> {
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (binding.direction !== 'out' || !['blob', 'queue', 'table'].includes(String(binding.type))) continue;
      const value =
        name === '$return' ? response.returnValue : response.outputData?.find((o) => o.name === name)?.data;
      if (!isSet(value)) continue;
      if (binding.type === 'blob') await this.#writeBlob(binding, value, data);
      else if (binding.type === 'queue') await this.#writeQueue(binding, value, data);
      else await this.#writeTable(binding, value, data);
    }
  }

  async #writeBlob(binding: RpcBindingInfo, value: RpcTypedData, data: BindingData): Promise<void> {
    const { container, blob } = splitBlobPath(resolveExpression(String(binding.path ?? ''), data));
    const client = this.account(binding.connection).blobs().getContainerClient(container);
    await this.#once(`blob:${String(binding.connection)}:${container}`, () => client.createIfNotExists());
    const bytes = bytesOf(value);
    await client
      .getBlockBlobClient(blob)
      .uploadData(bytes, { blobHTTPHeaders: { blobContentType: 'application/octet-stream' } });
  }

  async #writeQueue(binding: RpcBindingInfo, value: RpcTypedData, data: BindingData): Promise<void> {
    const queueName = resolveExpression(String(binding.queueName ?? ''), data).toLowerCase();
    const queue = this.account(binding.connection).queues().getQueueClient(queueName);
    await this.#once(`queue:${String(binding.connection)}:${queueName}`, () => queue.createIfNotExists());
    // An array is several messages, as with the Functions queue output.
    const parsed =
      value.json !== undefined && value.json !== null ? (JSON.parse(value.json) as unknown) : undefined;
    const messages = Array.isArray(parsed)
      ? parsed.map((m) => (typeof m === 'string' ? m : JSON.stringify(m)))
      : [value.json ?? bytesOf(value).toString('utf8')];
    for (const message of messages) {
      await queue.sendMessage(
        this.queueEncoding === 'base64' ? Buffer.from(message, 'utf8').toString('base64') : message,
      );
    }
  }

  async #writeTable(binding: RpcBindingInfo, value: RpcTypedData, data: BindingData): Promise<void> {
    const tableName = resolveExpression(String(binding.tableName ?? ''), data);
    const table = this.account(binding.connection).table(tableName);
    await this.#once(`table:${String(binding.connection)}:${tableName}`, () => table.createTable());
    const parsed = valueOf(value);
    const entities = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
    for (const entity of entities) {
      if (entity === null || typeof entity !== 'object')
        throw new Error(`A table output takes objects, got ${JSON.stringify(entity)}.`);
      await table.upsertEntity(toTableRow(entity, binding, data), 'Replace');
    }
  }
}
