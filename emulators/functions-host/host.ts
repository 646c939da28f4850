// The host in-process: loads a v4 Node app, serves its HTTP triggers, runs Durable
// Functions, and serves the durable management API. `startHost` (index.ts) runs this in
// a child process so that a test can SIGKILL it like a crashed Functions host.
import http from 'node:http';
import nodePath from 'node:path';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  readHostSettings,
  readLocalSettings,
  resolveEntryFiles,
  AppLoadError,
  type DurableSettings,
  type HostSettings,
} from './app-files.js';
import {
  FunctionRegistry,
  installCoreModule,
  type RegisteredFunction,
  type RpcTypedData,
} from './core-api.js';
import { Invoker, triggerBinding } from './invoke.js';
import { HostLog } from './log.js';
import { compileRoute } from './routes.js';
import { DurableEngine } from './durable/engine.js';
import { DurableHttpApi, managementUrls } from './durable/http-api.js';
import { EntityScheduler } from './durable/entities.js';
import { refusalReason } from './bindings/support.js';
import { StorageBindings } from './bindings/storage.js';
import { parseSchedule, TimerTriggers, type Schedule } from './bindings/timer.js';
import { QueueTriggers } from './bindings/queue-trigger.js';
import { BlobTriggers, parseBlobPath } from './bindings/blob-trigger.js';
import { MemoryStore, type DurableStore } from './durable/store.js';
import { TableStore } from './durable/table-store.js';
import { generateKeys, type Keys } from './keys.js';
import { dispatch, HOST_VERSION, type HttpDeps, type HttpFunction } from './http-handlers.js';
import { bodyLimitFromEnv } from './request-body.js';

export interface HostOptions {
  appDir: string;
  port: number;
  store: 'memory' | 'azure';
  requireKeys?: boolean;
  /** Largest request body accepted (413 beyond); default FUNCTIONS_REQUEST_BODY_SIZE_LIMIT or 100 MiB. */
  maxRequestBodyBytes?: number;
  quiet?: boolean;
  verbose?: boolean;
}

export interface RunningHostInProcess {
  url: string;
  port: number;
  close(): Promise<void>;
}

const DEV_STORAGE = 'UseDevelopmentStorage=true';

function storageConnection(): string {
  const value = process.env.AzureWebJobsStorage;
  if (!value)
    throw new AppLoadError(
      'AzureWebJobsStorage is not set: Durable Functions keeps its state there (use UseDevelopmentStorage=true with Azurite, or --store memory).',
    );
  return value;
}

async function loadApp(files: string[]): Promise<void> {
  for (const file of files) {
    try {
      if (file.endsWith('.mjs')) await import(pathToFileURL(file).href);
      else require(file);
    } catch (error) {
      throw new AppLoadError(
        `Worker failed to load function entry point "${file}": ${(error as Error).stack ?? String(error)}`,
        { cause: error },
      );
    }
  }
}

/**
 * Sorts the functions by what serves them, and refuses now, loudly, what this host cannot
 * serve (rather than never firing or dropping outputs).
 */
function sortFunctions(registry: FunctionRegistry) {
  const refusals = new Map<string, string>();
  const timers: { fn: RegisteredFunction; schedule: Schedule }[] = [];
  const queueFunctions: RegisteredFunction[] = [];
  const blobFunctions: RegisteredFunction[] = [];
  for (const fn of registry.functions.values()) {
    let reason = refusalReason(fn);
    const trigger = triggerBinding(fn);
    if (!reason && trigger?.type === 'timerTrigger') {
      try {
        timers.push({ fn, schedule: parseSchedule(String(trigger.options.schedule ?? '')) });
      } catch (error) {
        reason = `The function '${fn.metadata.name}' is not supported by this host: ${(error as Error).message}`;
      }
    }
    if (!reason && trigger?.type === 'queueTrigger') queueFunctions.push(fn);
    if (!reason && trigger?.type === 'blobTrigger') {
      try {
        parseBlobPath(String(trigger.options.path ?? ''));
        blobFunctions.push(fn);
      } catch (error) {
        reason = `The function '${fn.metadata.name}' is not supported by this host: ${(error as Error).message}`;
      }
    }
    if (reason) refusals.set(fn.id, reason);
  }
  return { refusals, timers, queueFunctions, blobFunctions };
}

/** The durable client's binding data (`taskHubName`, `creationUrls`, `managementUrls`, `rpcBaseUrl`). */
function durableClientData(
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
function durableClientInputs(
  clientData: string,
): (fn: RegisteredFunction) => { name: string; data: RpcTypedData }[] {
  return (fn) =>
    Object.entries(fn.metadata.bindings)
      .filter(
        ([, b]) => b.direction === 'in' && (b.type === 'durableClient' || b.type === 'orchestrationClient'),
      )
      .map(([name]) => ({ name, data: { string: clientData } }));
}

interface Durable {
  store: DurableStore;
  engine: DurableEngine;
  entities: EntityScheduler;
  api: DurableHttpApi;
}

/** The durable store, engine, entity scheduler and management API. */
async function startDurable(options: {
  kind: HostOptions['store'];
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
async function recoverDurable(
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

/** The HTTP triggers with their compiled routes (under host.json's routePrefix). */
function httpFunctionsOf(registry: FunctionRegistry, routePrefix: string): HttpFunction[] {
  const httpFunctions: HttpFunction[] = [];
  for (const fn of registry.functions.values()) {
    const trigger = triggerBinding(fn);
    if (trigger?.type !== 'httpTrigger') continue;
    const route = String(trigger.options.route ?? fn.metadata.name);
    const methods = ((trigger.options.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) =>
      m.toUpperCase(),
    );
    const prefix = routePrefix ? `${routePrefix}/` : '';
    httpFunctions.push({
      fn,
      triggerName: trigger.name,
      route: compileRoute(prefix + route.replace(/^\/+/, '')),
      methods,
      authLevel: String(trigger.options.authLevel ?? 'anonymous').toLowerCase(),
    });
  }
  return httpFunctions;
}

/** func's start-up banner: every function, with the URL of each HTTP one, then the refusals and keys. */
function printBanner(
  log: HostLog,
  registry: FunctionRegistry,
  httpFunctions: HttpFunction[],
  refusals: Map<string, string>,
  keys: Keys | undefined,
  baseUrl: string,
): void {
  log.banner('\nFunctions:\n');
  for (const fn of registry.functions.values()) {
    const http = httpFunctions.find((h) => h.fn === fn);
    const refused = refusals.get(fn.id);
    const line = http
      ? `[${http.methods.join(',')}] ${baseUrl}/${http.route.template}`
      : (triggerBinding(fn)?.type ?? 'unknown trigger');
    log.banner(
      `        ${fn.metadata.name}: ${line}${refused ? ` (not supported by this host: see below)` : ''}`,
    );
    log.banner('');
  }
  for (const reason of refusals.values()) log.banner(`Error: ${reason}\n`);
  if (keys) {
    log.banner(
      `Keys (--require-keys): master=${keys.master} function=${keys.function} durabletask_extension=${keys.system}\n`,
    );
  }
}

export async function runHost(options: HostOptions): Promise<RunningHostInProcess> {
  const started = performance.now();
  const log = new HostLog({ quiet: options.quiet, verbose: options.verbose });
  const settings: HostSettings = readHostSettings(options.appDir);
  // local.settings.json Values become environment variables; the real environment wins, as with func.
  for (const [key, value] of Object.entries(readLocalSettings(options.appDir)))
    if (process.env[key] === undefined) process.env[key] = value;
  process.env.FUNCTIONS_WORKER_RUNTIME ??= 'node';

  const registry = new FunctionRegistry();
  registry.onLog = (level, category, message) => log.fromFunction('host', level, category, message);
  installCoreModule(registry, HOST_VERSION);
  const keys: Keys | undefined = options.requireKeys ? generateKeys() : undefined;
  const maxBody =
    options.maxRequestBodyBytes ?? bodyLimitFromEnv(process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT);

  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  // The durable client rewrites status URLs to localhost:7071 unless the host name is known.
  process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;

  try {
    process.chdir(options.appDir);
    await loadApp(resolveEntryFiles(options.appDir));
  } catch (error) {
    server.close();
    throw error;
  }
  const invoker = new Invoker(registry, log);
  for (const hook of registry.hooks.appStart)
    await hook({
      hookData: invoker.appHookData,
      appHookData: invoker.appHookData,
      functionAppDirectory: options.appDir,
    });
  const capabilities = (await registry.programmingModel?.getCapabilities?.({})) ?? {};

  const { refusals, timers, queueFunctions, blobFunctions } = sortFunctions(registry);
  const storageBindings = new StorageBindings(settings.queues.messageEncoding);
  invoker.services = { refusals, storage: storageBindings };
  const timerTriggers = timers.length > 0 ? new TimerTriggers(timers, invoker, log) : undefined;
  const queueTriggers =
    queueFunctions.length > 0
      ? new QueueTriggers(queueFunctions, invoker, log, storageBindings, settings.queues)
      : undefined;
  // Blob receipts are kept per host id, as func keys them by its host id (the site name on Azure).
  const hostId = (
    process.env.AzureFunctionsWebHost__hostid ??
    process.env.WEBSITE_SITE_NAME ??
    nodePath.basename(options.appDir)
  )
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 32);
  const blobTriggers =
    blobFunctions.length > 0
      ? new BlobTriggers(
          blobFunctions,
          invoker,
          log,
          storageBindings,
          hostId,
          settings.queues.maxDequeueCount,
        )
      : undefined;
  const streamUri = capabilities.HttpUri;

  const durableBase = `${baseUrl}/runtime/webhooks/durabletask`;
  const hubName = settings.durable.hubName;
  const extraInputs = durableClientInputs(durableClientData(baseUrl, durableBase, hubName, keys?.system));
  const hasDurable = [...registry.functions.values()].some(
    (f) =>
      ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'].includes(triggerBinding(f)?.type ?? '') ||
      extraInputs(f).length > 0,
  );
  const durable = hasDurable
    ? await startDurable({
        kind: options.store,
        hubName,
        registry,
        invoker,
        log,
        settings: settings.durable,
        extraInputs,
        durableBase,
        systemKey: keys?.system,
      })
    : undefined;
  const httpFunctions = httpFunctionsOf(registry, settings.routePrefix);

  const deps: HttpDeps = {
    baseUrl,
    log,
    registry,
    invoker,
    refusals,
    keys,
    maxBody,
    httpFunctions,
    streamUri,
    extraInputs,
    api: durable?.api,
    timers,
    timerTriggers,
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => dispatch(deps, req, res));

  printBanner(log, registry, httpFunctions, refusals, keys, baseUrl);
  if (durable) await recoverDurable(durable, log, hubName);
  log.banner(
    `Host started (${Math.round(performance.now() - started)}ms) listening on ${baseUrl} (store: ${durable?.store.kind ?? 'none'}, hub: ${hubName})`,
  );

  timerTriggers?.start();
  queueTriggers?.start();
  blobTriggers?.start();

  return {
    url: baseUrl,
    port,
    async close() {
      timerTriggers?.stop();
      queueTriggers?.stop();
      blobTriggers?.stop();
      durable?.engine.stop();
      durable?.entities.stop();
      for (const hook of registry.hooks.appTerminate)
        await hook({ hookData: invoker.appHookData, appHookData: invoker.appHookData });
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await durable?.store.close();
    },
  };
}
