// The Durable Functions HTTP API, served twice: publicly under
// /runtime/webhooks/durabletask/ (documented status codes, headers and bodies) and under
// /durabletask/ as the rpc endpoint the durable client calls (same routes, same answers).
import {
  DurableRequestError,
  EventType,
  eventTypeNames,
  newMessageId,
  runtimeStatuses,
  type HistoryEvent,
  type InstanceRecord,
  type RuntimeStatus,
} from './model.js';
import type { EntityScheduler } from './entities.js';
import { entitySchedulerId, type EntityRecord } from './entity-model.js';
import type { InstanceClient } from './instance-client.js';

export interface ApiRequest {
  method: string;
  /** Path below the API root, e.g. "instances/abc/raiseEvent/Approval". */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export interface ManagementUrls {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

/** The URLs a caller uses to follow one instance (also the durable client's templates, with INSTANCEID). */
export function managementUrls(
  baseUrl: string,
  hubName: string,
  instanceId: string,
  systemKey: string | undefined,
): ManagementUrls {
  const id = encodeURIComponent(instanceId);
  const query = `taskHub=${hubName}&connection=Storage${systemKey ? `&code=${systemKey}` : ''}`;
  const instance = `${baseUrl}/instances/${id}`;
  return {
    id: instanceId,
    statusQueryGetUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    restartPostUri: `${instance}/restart?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body,
});
const problem = (status: number, message: string) => json(status, { message });

function parseJsonBody(body: Buffer): string | null {
  const text = body.toString('utf8').trim();
  if (text === '') return null;
  try {
    JSON.parse(text);
  } catch (error) {
    throw new DurableRequestError(400, `The request body is not valid JSON: ${(error as Error).message}`);
  }
  return text;
}

const parseOrNull = (text: string | null) => (text === null ? null : JSON.parse(text));

function historyForApi(events: HistoryEvent[], showOutput: boolean): unknown[] {
  const names = new Map<number, string>();
  const out: unknown[] = [];
  for (const event of events) {
    if (
      event.EventType === EventType.OrchestratorStarted ||
      event.EventType === EventType.OrchestratorCompleted
    )
      continue;
    if (event.Name && event.EventId >= 0) names.set(event.EventId, event.Name);
    const entry: Record<string, unknown> = {
      EventType: eventTypeNames[event.EventType],
      EventId: event.EventId,
      Timestamp: event.Timestamp,
    };
    if (event.Name) entry.FunctionName = event.Name;
    const scheduledName = event.TaskScheduledId !== undefined ? names.get(event.TaskScheduledId) : undefined;
    if (scheduledName) entry.FunctionName = scheduledName;
    if (event.TaskScheduledId !== undefined) entry.TaskScheduledId = event.TaskScheduledId;
    if (event.TimerId !== undefined) entry.TimerId = event.TimerId;
    if (event.FireAt) entry.FireAt = event.FireAt;
    if (event.OrchestrationStatus) entry.OrchestrationStatus = event.OrchestrationStatus;
    if (event.Reason) entry.Reason = event.Reason;
    if (showOutput && event.Result !== undefined) entry.Result = parseOrNull(event.Result);
    if (showOutput && event.Input !== undefined) entry.Input = parseOrNull(event.Input);
    out.push(entry);
  }
  return out;
}

export class DurableHttpApi {
  constructor(
    private readonly instances: InstanceClient,
    private readonly hubName: string,
    /** Public base, e.g. http://127.0.0.1:7071/runtime/webhooks/durabletask */
    private readonly baseUrl: () => string,
    private readonly systemKey: string | undefined,
    private readonly entities: EntityScheduler,
  ) {}

  statusBody(
    record: InstanceRecord,
    options: { showInput?: boolean; history?: unknown[] } = {},
  ): Record<string, unknown> {
    return {
      name: record.name,
      instanceId: record.instanceId,
      runtimeStatus: record.runtimeStatus,
      input: options.showInput === false ? null : parseOrNull(record.input),
      customStatus: parseOrNull(record.customStatus),
      output: parseOrNull(record.output),
      createdTime: record.createdTime,
      lastUpdatedTime: record.lastUpdatedTime,
      ...(options.history ? { historyEvents: options.history, history: options.history } : {}),
    };
  }

  async handle(request: ApiRequest): Promise<ApiResponse> {
    try {
      return await this.#route(request);
    } catch (error) {
      if (error instanceof DurableRequestError) return problem(error.status, error.message);
      throw error;
    }
  }

  async #route(request: ApiRequest): Promise<ApiResponse> {
    const parts = request.path
      .split('/')
      .filter((p) => p !== '')
      .map((p) => decodeURIComponent(p));
    const method = request.method.toUpperCase();
    const [root, id, operation, extra] = parts;
    if (root === 'orchestrators' && id && parts.length <= 3) {
      if (method !== 'POST') return problem(405, 'Use POST to start an orchestration.');
      return this.#start(id, operation, request);
    }
    if (root === 'entities') return this.#entity(method, parts.slice(1), request);
    if (root !== 'instances') return problem(404, `No durable API route matches '${request.path}'.`);
    if (!id) {
      if (method === 'GET') return this.#list(request);
      if (method === 'DELETE') return this.#purgeBy(request);
      return problem(405, 'Use GET to list instances or DELETE to purge them.');
    }
    if (!operation) {
      if (method === 'GET') return this.#status(id, request);
      if (method === 'DELETE') return this.#purge(id);
      return problem(405, 'Use GET for the status or DELETE to purge the history.');
    }
    if (method !== 'POST') return problem(405, `Use POST for '${operation}'.`);
    const reason = request.query.get('reason') ?? '';
    switch (operation) {
      case 'raiseEvent':
        if (!extra)
          return problem(400, 'The event name is missing: POST instances/{id}/raiseEvent/{eventName}.');
        await this.instances.raiseEvent(id, extra, parseJsonBody(request.body));
        return { status: 202, headers: {} };
      case 'terminate':
        await this.instances.terminate(id, reason);
        return { status: 202, headers: {} };
      case 'suspend':
        await this.instances.suspend(id, reason);
        return { status: 202, headers: {} };
      case 'resume':
        await this.instances.resume(id, reason);
        return { status: 202, headers: {} };
      case 'restart':
        return this.#restart(id, request);
      case 'rewind':
        return problem(501, 'Rewind is not supported by this host.');
      default:
        return problem(404, `Unknown instance operation '${operation}'.`);
    }
  }

  /** GET entities/[name] lists, GET entities/{name}/{key} reads the state, POST …?op= signals (DELETE signals 'delete'), as the extension's HttpApiHandler. */
  async #entity(method: string, parts: string[], request: ApiRequest): Promise<ApiResponse> {
    const [name, rawKey] = parts;
    const key = rawKey === '$' ? '' : rawKey; // '$' stands for the empty key
    if (parts.length > 2) return problem(404, `No durable API route matches '${request.path}'.`);
    if (key === undefined) {
      if (method !== 'GET') return problem(405, 'Use GET to list entities.');
      const fetchState = request.query.get('fetchState') === 'true';
      const records = (await this.entities.list(name)).filter((r) => r.exists);
      return json(
        200,
        records.map((r) => this.#entityListing(r, fetchState)),
      );
    }
    const id = entitySchedulerId(name, key);
    if (method === 'GET') {
      const record = await this.entities.get(id);
      if (!record?.exists) return problem(404, `No entity with ID '${id}' was found.`);
      return json(200, parseOrNull(record.state));
    }
    if (method !== 'POST' && method !== 'DELETE')
      return problem(
        405,
        'Use GET to read an entity, POST to signal it or DELETE to signal its delete operation.',
      );
    if (!this.entities.isEntityFunction(name))
      return problem(404, `No entity function named '${name}' was found.`);
    const input = parseJsonBody(request.body);
    const operation = method === 'DELETE' ? 'delete' : (request.query.get('op') ?? '');
    await this.entities.send(id, {
      id: newMessageId(),
      kind: 'operation',
      operation,
      input: input ?? undefined,
      signal: true,
    });
    return { status: 202, headers: {} };
  }

  #entityListing(record: EntityRecord, fetchState: boolean): Record<string, unknown> {
    return {
      entityId: { name: record.name, key: record.key },
      lastOperationTime: record.lastOperationTime,
      ...(fetchState ? { state: parseOrNull(record.state) } : {}),
    };
  }

  #checkStatusPayload(instanceId: string): Record<string, string> {
    const { id: _id, ...urls } = managementUrls(this.baseUrl(), this.hubName, instanceId, this.systemKey);
    void _id;
    return { id: instanceId, ...urls };
  }

  async #start(name: string, instanceId: string | undefined, request: ApiRequest): Promise<ApiResponse> {
    const input = parseJsonBody(request.body);
    const record = await this.instances.startNew(name, instanceId, input);
    const payload = this.#checkStatusPayload(record.instanceId);
    return json(202, payload, { location: payload.statusQueryGetUri, 'retry-after': '10' });
  }

  async #restart(instanceId: string, request: ApiRequest): Promise<ApiResponse> {
    const existing = await this.instances.getInstance(instanceId);
    if (!existing) return problem(404, `No instance with ID '${instanceId}' was found.`);
    const newId = request.query.get('restartWithNewInstanceId') === 'false' ? instanceId : undefined;
    const record = await this.instances.startNew(existing.name, newId, existing.input);
    const payload = this.#checkStatusPayload(record.instanceId);
    return json(202, payload, { location: payload.statusQueryGetUri, 'retry-after': '10' });
  }

  async #status(instanceId: string, request: ApiRequest): Promise<ApiResponse> {
    const record = await this.instances.getInstance(instanceId);
    if (!record) return problem(404, `No instance with ID '${instanceId}' was found.`);
    const showHistory = request.query.get('showHistory') === 'true';
    const history = showHistory
      ? historyForApi(
          await this.instances.getHistory(instanceId),
          request.query.get('showHistoryOutput') === 'true',
        )
      : undefined;
    const body = this.statusBody(record, { showInput: request.query.get('showInput') !== 'false', history });
    switch (record.runtimeStatus) {
      case 'Failed':
        return json(request.query.get('returnInternalServerErrorOnFailure') === 'true' ? 500 : 200, body);
      case 'Completed':
      case 'Terminated':
      case 'Canceled':
        return json(200, body);
      default: {
        const location = managementUrls(
          this.baseUrl(),
          this.hubName,
          instanceId,
          this.systemKey,
        ).statusQueryGetUri;
        return json(202, body, { location, 'retry-after': '5' });
      }
    }
  }

  #query(request: ApiRequest) {
    const date = (name: string) => {
      const value = request.query.get(name);
      if (!value) return undefined;
      const parsed = new Date(value);
      if (Number.isNaN(parsed.getTime()))
        throw new DurableRequestError(400, `${name} is not a date: '${value}'.`);
      return parsed;
    };
    const statuses = (request.query.get('runtimeStatus') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = statuses.filter((s) => !runtimeStatuses.includes(s as RuntimeStatus));
    if (unknown.length)
      throw new DurableRequestError(
        400,
        `Unknown runtimeStatus ${unknown.join(', ')}; use ${runtimeStatuses.join(', ')}.`,
      );
    return {
      runtimeStatus: statuses as RuntimeStatus[],
      createdTimeFrom: date('createdTimeFrom'),
      createdTimeTo: date('createdTimeTo'),
      instanceIdPrefix: request.query.get('instanceIdPrefix') ?? undefined,
    };
  }

  async #list(request: ApiRequest): Promise<ApiResponse> {
    const topText = request.query.get('top');
    const top = topText === null ? undefined : Number(topText);
    if (top !== undefined && (!Number.isInteger(top) || top < 1))
      return problem(400, `top must be a positive integer, not '${topText}'.`);
    const tokenHeader = request.headers['x-ms-continuation-token'];
    const token = Array.isArray(tokenHeader) ? tokenHeader[0] : tokenHeader;
    const page = await this.instances.query(this.#query(request), top, token || undefined);
    const showInput = request.query.get('showInput') !== 'false';
    const headers: Record<string, string> = page.continuationToken
      ? { 'x-ms-continuation-token': page.continuationToken }
      : {};
    return json(
      200,
      page.instances.map((r) => this.statusBody(r, { showInput })),
      headers,
    );
  }

  async #purge(instanceId: string): Promise<ApiResponse> {
    const deleted = await this.instances.purge(instanceId);
    return deleted
      ? json(200, { instancesDeleted: 1 })
      : problem(404, `No finished instance with ID '${instanceId}' was found to purge.`);
  }

  async #purgeBy(request: ApiRequest): Promise<ApiResponse> {
    const deleted = await this.instances.purgeMatching(this.#query(request));
    return deleted > 0
      ? json(200, { instancesDeleted: deleted })
      : problem(404, 'No finished instance matched the filter.');
  }
}
