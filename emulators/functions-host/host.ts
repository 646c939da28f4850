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
  type HostSettings,
} from './app-files.js';
import { FunctionRegistry, installCoreModule, type RegisteredFunction } from './core-api.js';
import { Invoker, triggerBinding } from './invoke.js';
import { HostLog } from './log.js';
import { compileRoute } from './routes.js';
import {
  durableClientData,
  durableClientInputs,
  recoverDurable,
  startDurable,
  usesDurable,
  type Durable,
} from './durable/setup.js';
import { refusalReason } from './bindings/support.js';
import { StorageBindings } from './bindings/storage.js';
import { parseSchedule, TimerTriggers, type Schedule } from './bindings/timer.js';
import { QueueTriggers } from './bindings/queue-trigger.js';
import { BlobTriggers, parseBlobPath } from './bindings/blob-trigger.js';
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

/** Loads the app's entry files into this process (its working directory becomes the app's). */
async function loadApp(appDir: string): Promise<void> {
  process.chdir(appDir);
  for (const file of resolveEntryFiles(appDir)) {
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

/** local.settings.json Values become environment variables; the real environment wins, as with func. */
function applyLocalSettings(appDir: string): void {
  for (const [key, value] of Object.entries(readLocalSettings(appDir)))
    if (process.env[key] === undefined) process.env[key] = value;
  process.env.FUNCTIONS_WORKER_RUNTIME ??= 'node';
}

/** An HTTP server listening on 127.0.0.1 (`port` 0: any free one), with the port it got. */
async function listen(port: number): Promise<{ server: http.Server; port: number; baseUrl: string }> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return { server, port: bound, baseUrl: `http://127.0.0.1:${bound}` };
}

async function runAppStartHooks(registry: FunctionRegistry, invoker: Invoker, appDir: string): Promise<void> {
  for (const hook of registry.hooks.appStart)
    await hook({
      hookData: invoker.appHookData,
      appHookData: invoker.appHookData,
      functionAppDirectory: appDir,
    });
}

/** Blob receipts are kept per host id, as func keys them by its host id (the site name on Azure). */
function blobReceiptHostId(appDir: string): string {
  return (
    process.env.AzureFunctionsWebHost__hostid ??
    process.env.WEBSITE_SITE_NAME ??
    nodePath.basename(appDir)
  )
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 32);
}

/** The timer, queue and blob triggers: each kind only when some function has it. */
interface Triggers {
  timer?: TimerTriggers;
  queue?: QueueTriggers;
  blob?: BlobTriggers;
}

/** Creates (does not start) the triggers of the functions `sortFunctions` kept. */
function createTriggers(
  sorted: ReturnType<typeof sortFunctions>,
  invoker: Invoker,
  log: HostLog,
  storage: StorageBindings,
  settings: HostSettings,
  appDir: string,
): Triggers {
  const { timers, queueFunctions, blobFunctions } = sorted;
  const { queues } = settings;
  return {
    timer: timers.length > 0 ? new TimerTriggers(timers, invoker, log) : undefined,
    queue:
      queueFunctions.length > 0
        ? new QueueTriggers(queueFunctions, invoker, log, storage, queues)
        : undefined,
    blob:
      blobFunctions.length > 0
        ? new BlobTriggers(
            blobFunctions,
            invoker,
            log,
            storage,
            blobReceiptHostId(appDir),
            queues.maxDequeueCount,
          )
        : undefined,
  };
}

/** Shutdown: triggers and durable work stop, the app's appTerminate hooks run, then the server and the store close. */
async function closeHost(parts: {
  triggers: Triggers;
  durable: Durable | undefined;
  registry: FunctionRegistry;
  invoker: Invoker;
  server: http.Server;
}): Promise<void> {
  const { triggers, durable, registry, invoker, server } = parts;
  triggers.timer?.stop();
  triggers.queue?.stop();
  triggers.blob?.stop();
  durable?.engine.stop();
  durable?.entities.stop();
  for (const hook of registry.hooks.appTerminate)
    await hook({ hookData: invoker.appHookData, appHookData: invoker.appHookData });
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await durable?.store.close();
}

export async function runHost(options: HostOptions): Promise<RunningHostInProcess> {
  const started = performance.now();
  const log = new HostLog({ quiet: options.quiet, verbose: options.verbose });
  const settings: HostSettings = readHostSettings(options.appDir);
  applyLocalSettings(options.appDir);

  const registry = new FunctionRegistry();
  registry.onLog = (level, category, message) => log.fromFunction('host', level, category, message);
  installCoreModule(registry, HOST_VERSION);
  const keys: Keys | undefined = options.requireKeys ? generateKeys() : undefined;
  const maxBody =
    options.maxRequestBodyBytes ?? bodyLimitFromEnv(process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT);

  const { server, port, baseUrl } = await listen(options.port);
  // The durable client rewrites status URLs to localhost:7071 unless the host name is known.
  process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;
  try {
    await loadApp(options.appDir);
  } catch (error) {
    server.close();
    throw error;
  }
  const invoker = new Invoker(registry, log);
  await runAppStartHooks(registry, invoker, options.appDir);
  const capabilities = (await registry.programmingModel?.getCapabilities?.({})) ?? {};

  const sorted = sortFunctions(registry);
  const { refusals, timers } = sorted;
  const storageBindings = new StorageBindings(settings.queues.messageEncoding);
  invoker.services = { refusals, storage: storageBindings };
  const triggers = createTriggers(sorted, invoker, log, storageBindings, settings, options.appDir);

  const durableBase = `${baseUrl}/runtime/webhooks/durabletask`;
  const hubName = settings.durable.hubName;
  const extraInputs = durableClientInputs(durableClientData(baseUrl, durableBase, hubName, keys?.system));
  const durable = usesDurable(registry, extraInputs)
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
    streamUri: capabilities.HttpUri,
    extraInputs,
    api: durable?.api,
    entities: durable?.entities,
    durableIdle: durable && (() => durable.engine.isIdle()),
    timers,
    timerTriggers: triggers.timer,
    blobScans: triggers.blob && (() => triggers.blob!.scans()),
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => dispatch(deps, req, res));

  printBanner(log, registry, httpFunctions, refusals, keys, baseUrl);
  if (durable) await recoverDurable(durable, log, hubName);
  log.banner(
    `Host started (${Math.round(performance.now() - started)}ms) listening on ${baseUrl} (store: ${durable?.store.kind ?? 'none'}, hub: ${hubName})`,
  );

  triggers.timer?.start();
  triggers.queue?.start();
  triggers.blob?.start();

  return {
    url: baseUrl,
    port,
    close: () => closeHost({ triggers, durable, registry, invoker, server }),
  };
}
