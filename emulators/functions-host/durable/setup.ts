// The Durable Functions part of the host: the store (Azure Tables or memory), the engine, the
// entity scheduler and the management API, wired together; the durable client binding data
// every function that declares a durable client gets; and the resumption at start-up.
import { AppLoadError, type DurableSettings } from '../app-files.js';
import type { FunctionRegistry, RegisteredFunction, RpcTypedData } from '../core-api.js';
import { triggerBinding, type Invoker } from '../invoke.js';
import type { HostLog } from '../log.js';
import { DurableEngine } from './engine.js';
import { EntityScheduler } from './entities.js';
import { DurableHttpApi, managementUrls } from './http-api.js';
import { MemoryStore, type DurableStore } from './store.js';
import { TableStore } from './table-store.js';

const DEV_STORAGE = 'UseDevelopmentStorage=true';

function storageConnection(): string {
  const value = process.env.AzureWebJobsStorage;
  if (!value)
    throw new AppLoadError(
      'AzureWebJobsStorage is not set: Durable Functions keeps its state there (use UseDevelopmentStorage=true with Azurite, or --store memory).',
    );
  return value;
}

/** The durable client's binding data (`taskHubName`, `creationUrls`, `managementUrls`, `rpcBaseUrl`). */
export function durableClientData(
  baseUrl: string,
  durableBase: string,
  hubName: string,
  systemKey: string | undefined,
): string {
  return JSON.stringify({
    taskHubName: hubName,
    creationUrls: {
      createNewInstancePostUri: `${durableBase}/orchestrators/{functionName}[/{instanceId}]?code=${systemKey ?? ''}`,
      createAndWaitOnNewInstancePostUri: `${durableBase}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${systemKey ?? ''}`,
    },
    managementUrls: managementUrls(durableBase, hubName, 'INSTANCEID', systemKey),
    baseUrl: durableBase,
    requiredQueryStringParameters: systemKey ? `code=${systemKey}` : '',
    // The SDK builds every rpc URL relative to this base and sends no key of its own, so
    // with --require-keys the system key travels as the base's first path segment.
    rpcBaseUrl: `${baseUrl}/durabletask/${systemKey ? `${systemKey}/` : ''}`,
    httpBaseUrl: durableBase,
  });
}

/** The durable client input of every function that declares one (durableClient / orchestrationClient). */
export function durableClientInputs(
  clientData: string,
): (fn: RegisteredFunction) => { name: string; data: RpcTypedData }[] {
  return (fn) =>
    Object.entries(fn.metadata.bindings)
      .filter(
        ([, b]) => b.direction === 'in' && (b.type === 'durableClient' || b.type === 'orchestrationClient'),
      )
      .map(([name]) => ({ name, data: { string: clientData } }));
}

export interface Durable {
  store: DurableStore;
  engine: DurableEngine;
  entities: EntityScheduler;
  api: DurableHttpApi;
}

/** The durable store, engine, entity scheduler and management API. */
export async function startDurable(options: {
  kind: 'memory' | 'azure';
  hubName: string;
  registry: FunctionRegistry;
  invoker: Invoker;
  log: HostLog;
  settings: DurableSettings;
  extraInputs: (fn: RegisteredFunction) => { name: string; data: RpcTypedData }[];
  durableBase: string;
  systemKey: string | undefined;
}): Promise<Durable> {
  const { registry, invoker, log, hubName } = options;
  const store =
    options.kind === 'memory'
      ? new MemoryStore()
      : new TableStore(storageConnection() === DEV_STORAGE ? DEV_STORAGE : storageConnection(), hubName);
  await store.init();
  let engine: DurableEngine | undefined;
  const entities = new EntityScheduler({
    store,
    registry,
    invoker,
    log,
    deliverToOrchestration: (message) => engine!.acceptStoredMessage(message),
  });
  engine = new DurableEngine({
    store,
    registry,
    invoker,
    log,
    settings: options.settings,
    extraInputs: options.extraInputs,
    entities,
  });
  const api = new DurableHttpApi(
    engine.client,
    hubName,
    () => options.durableBase,
    options.systemKey,
    entities,
  );
  return { store, engine, entities, api };
}

/** Resumes what the store says is unfinished (after a restart). */
export async function recoverDurable(
  { store, engine, entities }: Durable,
  log: HostLog,
  hubName: string,
): Promise<void> {
  const resumed = await engine.recover();
  const woken = await entities.recover();
  if (woken > 0) log.info(`Resumed ${woken} entit${woken === 1 ? 'y' : 'ies'} with undelivered operations.`);
  if (resumed > 0)
    log.info(
      `Resumed ${resumed} unfinished orchestration instance(s) from the ${store.kind === 'azure' ? `'${hubName}' task hub in storage` : 'memory store'}.`,
    );
}

/** Whether the app has durable functions or a durable client: only then is a durable store opened. */
export function usesDurable(
  registry: FunctionRegistry,
  extraInputs: (fn: RegisteredFunction) => { name: string; data: RpcTypedData }[],
): boolean {
  return [...registry.functions.values()].some(
    (f) =>
      ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'].includes(triggerBinding(f)?.type ?? '') ||
      extraInputs(f).length > 0,
  );
}
