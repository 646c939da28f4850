// The host in-process: loads a v4 Node app, serves its HTTP triggers, runs Durable
// Functions, and serves the durable management API. `startHost` (index.ts) runs this in
// a child process so that a test can SIGKILL it like a crashed Functions host.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import nodePath from 'node:path';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { readHostSettings, readLocalSettings, resolveEntryFiles, AppLoadError, type HostSettings } from './app-files.js';
import { FunctionRegistry, installCoreModule, type RegisteredFunction, type RpcHttpData, type RpcTypedData } from './core-api.js';
import { Invoker, triggerBinding } from './invoke.js';
import { HostLog } from './log.js';
import { compileRoute, type CompiledRoute } from './routes.js';
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
import { authorized as keyOpens, generateKeys, sameKey, type Keys } from './keys.js';
import { bodyLimitFromEnv, checkDeclaredLength, limitStream, readBodyOr413, refuseTooLarge, wellEncodedPath } from './request-body.js';

export const HOST_VERSION = '4.1040.0';

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

interface HttpFunction {
  fn: RegisteredFunction;
  triggerName: string;
  route: CompiledRoute;
  methods: string[];
  authLevel: string;
}

const DEV_STORAGE = 'UseDevelopmentStorage=true';

function storageConnection(): string {
  const value = process.env.AzureWebJobsStorage;
  if (!value) throw new AppLoadError('AzureWebJobsStorage is not set: Durable Functions keeps its state there (use UseDevelopmentStorage=true with Azurite, or --store memory).');
  return value;
}

async function loadApp(files: string[]): Promise<void> {
  for (const file of files) {
    try {
      if (file.endsWith('.mjs')) await import(pathToFileURL(file).href);
      else require(file);
    } catch (error) {
      throw new AppLoadError(`Worker failed to load function entry point "${file}": ${(error as Error).stack ?? String(error)}`, { cause: error });
    }
  }
}

function headerRecord(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

const nullable = (record: Record<string, string>) => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, { value: v }]));

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Serialises the library's RPC cookie shape into Set-Cookie values. */
function setCookieValues(cookies: unknown[]): string[] {
  return cookies.map((raw) => {
    const c = raw as Record<string, unknown>;
    const inner = (v: unknown) => (v && typeof v === 'object' && 'value' in v ? (v as { value: unknown }).value : undefined);
    let text = `${String(c.name)}=${encodeURIComponent(String(c.value ?? ''))}`;
    if (inner(c.domain)) text += `; Domain=${String(inner(c.domain))}`;
    if (inner(c.path)) text += `; Path=${String(inner(c.path))}`;
    const expires = inner(c.expires) as { seconds?: number } | undefined;
    if (expires?.seconds !== undefined) text += `; Expires=${new Date(Number(expires.seconds) * 1000).toUTCString()}`;
    if (inner(c.maxAge) !== undefined) text += `; Max-Age=${String(inner(c.maxAge))}`;
    if (inner(c.secure)) text += '; Secure';
    if (inner(c.httpOnly)) text += '; HttpOnly';
    if (typeof c.sameSite === 'string' && c.sameSite !== 'none') text += `; SameSite=${c.sameSite === 'explicitNone' ? 'None' : c.sameSite[0].toUpperCase() + c.sameSite.slice(1)}`;
    return text;
  });
}

export async function runHost(options: HostOptions): Promise<RunningHostInProcess> {
  const started = performance.now();
  const log = new HostLog({ quiet: options.quiet, verbose: options.verbose });
  const settings: HostSettings = readHostSettings(options.appDir);
  // local.settings.json Values become environment variables; the real environment wins, as with func.
  for (const [key, value] of Object.entries(readLocalSettings(options.appDir))) if (process.env[key] === undefined) process.env[key] = value;
  process.env.FUNCTIONS_WORKER_RUNTIME ??= 'node';

  const registry = new FunctionRegistry();
  registry.onLog = (level, category, message) => log.fromFunction('host', level, category, message);
  installCoreModule(registry, HOST_VERSION);
  const keys: Keys | undefined = options.requireKeys ? generateKeys() : undefined;
  const maxBody = options.maxRequestBodyBytes ?? bodyLimitFromEnv(process.env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT);

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
  for (const hook of registry.hooks.appStart) await hook({ hookData: invoker.appHookData, appHookData: invoker.appHookData, functionAppDirectory: options.appDir });
  const capabilities = (await registry.programmingModel?.getCapabilities?.({})) ?? {};

  // What this host cannot serve is refused now, loudly, rather than never firing or dropping outputs.
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
  const storageBindings = new StorageBindings(settings.queues.messageEncoding);
  invoker.services = { refusals, storage: storageBindings };
  const timerTriggers = timers.length > 0 ? new TimerTriggers(timers, invoker, log) : undefined;
  const queueTriggers = queueFunctions.length > 0 ? new QueueTriggers(queueFunctions, invoker, log, storageBindings, settings.queues) : undefined;
  // Blob receipts are kept per host id, as func keys them by its host id (the site name on Azure).
  const hostId = (process.env.AzureFunctionsWebHost__hostid ?? process.env.WEBSITE_SITE_NAME ?? nodePath.basename(options.appDir)).toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 32);
  const blobTriggers = blobFunctions.length > 0 ? new BlobTriggers(blobFunctions, invoker, log, storageBindings, hostId, settings.queues.maxDequeueCount) : undefined;
  const streamUri = capabilities.HttpUri;

  const durableBase = `${baseUrl}/runtime/webhooks/durabletask`;
  const hubName = settings.durable.hubName;
  const systemKey = keys?.system;
  const clientData = JSON.stringify({
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
  const extraInputs = (fn: RegisteredFunction): { name: string; data: RpcTypedData }[] =>
    Object.entries(fn.metadata.bindings)
      .filter(([, b]) => b.direction === 'in' && (b.type === 'durableClient' || b.type === 'orchestrationClient'))
      .map(([name]) => ({ name, data: { string: clientData } }));

  const hasDurable = [...registry.functions.values()].some((f) => ['orchestrationTrigger', 'activityTrigger', 'entityTrigger'].includes(triggerBinding(f)?.type ?? '') || extraInputs(f).length > 0);
  let store: DurableStore | undefined;
  let engine: DurableEngine | undefined;
  let entities: EntityScheduler | undefined;
  let api: DurableHttpApi | undefined;
  if (hasDurable) {
    store = options.store === 'memory' ? new MemoryStore() : new TableStore(storageConnection() === DEV_STORAGE ? DEV_STORAGE : storageConnection(), hubName);
    await store.init();
    entities = new EntityScheduler({ store, registry, invoker, log, deliverToOrchestration: (message) => engine!.acceptStoredMessage(message) });
    engine = new DurableEngine({ store, registry, invoker, log, settings: settings.durable, extraInputs, entities });
    api = new DurableHttpApi(engine, hubName, () => durableBase, systemKey, entities);
  }

  const httpFunctions: HttpFunction[] = [];
  for (const fn of registry.functions.values()) {
    const trigger = triggerBinding(fn);
    if (trigger?.type !== 'httpTrigger') continue;
    const route = String(trigger.options.route ?? fn.metadata.name);
    const methods = ((trigger.options.methods as string[] | undefined) ?? ['GET', 'POST']).map((m) => m.toUpperCase());
    const prefix = settings.routePrefix ? `${settings.routePrefix}/` : '';
    httpFunctions.push({ fn, triggerName: trigger.name, route: compileRoute(prefix + route.replace(/^\/+/, '')), methods, authLevel: String(trigger.options.authLevel ?? 'anonymous').toLowerCase() });
  }

  const keyFrom = (req: http.IncomingMessage, url: URL) => url.searchParams.get('code') ?? (req.headers['x-functions-key'] as string | undefined);
  const authorized = (level: string, given: string | undefined) => keyOpens(keys, level, given);

  async function handleFunction(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const path = decodeURI(url.pathname);
    const candidates = httpFunctions.map((h) => ({ h, params: h.route.match(url.pathname) })).filter((c) => c.params);
    if (candidates.length === 0) return sendJson(res, 404, { message: `No function matches ${path}` });
    const match = candidates.find((c) => c.h.methods.includes(req.method ?? 'GET'));
    if (!match) return sendJson(res, 405, { message: `${req.method} is not allowed on ${path}; allowed: ${candidates.flatMap((c) => c.h.methods).join(', ')}` }, { allow: candidates.flatMap((c) => c.h.methods).join(', ') });
    const { h, params } = match;
    if (!authorized(h.authLevel, keyFrom(req, url))) return sendJson(res, 401, { message: 'A valid function key is required (code query parameter or x-functions-key header).' });
    const refused = refusals.get(h.fn.id);
    if (refused) {
      log.error(refused);
      return sendJson(res, 500, { message: refused });
    }
    const invocationId = randomUUID();
    const headers = headerRecord(req.headers);
    const query = Object.fromEntries(url.searchParams);
    const httpData: RpcHttpData = {
      method: req.method ?? 'GET', url: url.href, nullableHeaders: nullable(headers), nullableQuery: nullable(query), nullableParams: nullable(params!),
    };
    const triggerMetadata: Record<string, RpcTypedData> = { Headers: { json: JSON.stringify(headers) }, Query: { json: JSON.stringify(query) } };
    for (const [key, value] of Object.entries(params!)) triggerMetadata[key] = { string: value };

    if (streamUri) return streamThroughLibrary(req, res, url, h, invocationId, httpData, triggerMetadata);

    const body = await readBodyOr413(req, res, maxBody);
    if (!body) return;
    httpData.body = { bytes: body };
    const outcome = await invoker.invoke(h.fn, {
      invocationId,
      inputData: [{ name: h.triggerName, data: { http: httpData } }, ...extraInputs(h.fn)],
      triggerMetadata,
    });
    if (!outcome.ok) return void res.writeHead(500, { 'content-length': 0 }).end();
    const outName = Object.entries(h.fn.metadata.bindings).find(([, b]) => b.direction === 'out' && String(b.type).toLowerCase() === 'http')?.[0];
    const data = outName === '$return' || outName === undefined
      ? outcome.response.returnValue
      : outcome.response.outputData?.find((o) => o.name === outName)?.data;
    const response = data?.http;
    if (!response) return void res.writeHead(204).end();
    const bodyBytes = response.body?.bytes ? Buffer.from(response.body.bytes) : Buffer.from(response.body?.string ?? '');
    const outHeaders: Record<string, string | string[]> = { ...(response.headers ?? {}) };
    if (response.cookies?.length) outHeaders['set-cookie'] = setCookieValues(response.cookies);
    delete outHeaders['transfer-encoding'];
    outHeaders['content-length'] = String(bodyBytes.length);
    res.writeHead(Number(response.statusCode ?? 200), outHeaders);
    res.end(req.method === 'HEAD' ? undefined : bodyBytes);
  }

  /** With app.setup({enableHttpStream:true}) the library serves the request itself: proxy the raw stream to it. */
  async function streamThroughLibrary(req: http.IncomingMessage, res: http.ServerResponse, url: URL, h: HttpFunction, invocationId: string, httpData: RpcHttpData, triggerMetadata: Record<string, RpcTypedData>): Promise<void> {
    try {
      checkDeclaredLength(req, maxBody);
    } catch (error) {
      return refuseTooLarge(req, res, (error as Error).message);
    }
    const target = new URL(url.pathname + url.search, streamUri);
    const proxied = http.request(target, {
      method: req.method,
      headers: { ...req.headers, 'x-ms-invocation-id': invocationId, 'x-forwarded-host': url.host, 'x-forwarded-proto': 'http' },
    });
    proxied.on('response', (proxyRes) => {
      const headers = { ...proxyRes.headers };
      delete headers['x-ms-invocation-id'];
      res.writeHead(proxyRes.statusCode ?? 200, headers);
      proxyRes.pipe(res);
    });
    proxied.on('error', (error) => {
      log.error(`HTTP stream proxy error: ${error.message}`);
      if (!res.headersSent) res.writeHead(502).end();
    });
    // Streamed, so the host holds no body; the limit still applies as on Azure.
    const limited = limitStream(maxBody);
    limited.on('error', (error) => {
      proxied.destroy();
      refuseTooLarge(req, res, error.message);
    });
    req.pipe(limited).pipe(proxied);
    const outcome = await invoker.invoke(h.fn, { invocationId, inputData: [{ name: h.triggerName, data: { http: httpData } }, ...extraInputs(h.fn)], triggerMetadata });
    if (!outcome.ok && !res.headersSent) {
      proxied.destroy();
      res.writeHead(500, { 'content-length': 0 }).end();
    }
  }

  async function handleDurable(req: http.IncomingMessage, res: http.ServerResponse, url: URL, rest: string, isRpc: boolean): Promise<void> {
    if (!api) return sendJson(res, 404, { message: 'This app uses no Durable Functions.' });
    if (isRpc && !['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '')) return sendJson(res, 403, { message: 'The rpc endpoint only answers local callers.' });
    if (isRpc && keys) {
      // The durable client puts the system key first in the path (see rpcBaseUrl); a key in
      // ?code= or x-functions-key is accepted too. Loopback alone is not enough: any local
      // process could otherwise drive every instance past --require-keys.
      const [first, ...others] = rest.split('/').filter((p) => p !== '');
      if (sameKey(first, keys.system)) rest = `/${others.join('/')}`;
      else if (!authorized('system', keyFrom(req, url))) return sendJson(res, 401, { message: 'The durabletask system key is required.' });
    }
    if (!isRpc && !authorized('system', keyFrom(req, url))) return sendJson(res, 401, { message: 'The durabletask system key is required (code query parameter).' });
    const body = await readBodyOr413(req, res, maxBody);
    if (!body) return;
    const answer = await api.handle({ method: req.method ?? 'GET', path: rest, query: url.searchParams, headers: req.headers, body });
    const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
    res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** POST /admin/functions/{name} {"input": "..."}: runs a non-HTTP function now, as func's admin API does (master key). */
  async function invokeByAdmin(req: http.IncomingMessage, res: http.ServerResponse, url: URL, name: string): Promise<void> {
    if (req.method !== 'POST') return sendJson(res, 405, { message: 'Use POST to run a function.' });
    if (keys && !sameKey(keyFrom(req, url), keys.master)) return sendJson(res, 401, { message: 'The master key is required.' });
    const fn = registry.byName(name);
    if (!fn) return sendJson(res, 404, { message: `No function named '${name}'.` });
    const body = await readBodyOr413(req, res, maxBody);
    if (!body) return;
    const refused = refusals.get(fn.id);
    if (refused) return sendJson(res, 501, { message: refused });
    const trigger = triggerBinding(fn)!;
    let input: unknown;
    try {
      input = body.length ? (JSON.parse(body.toString('utf8')) as { input?: unknown }).input : undefined;
    } catch {
      return sendJson(res, 400, { message: 'The body must be JSON: {"input": "..."}' });
    }
    let ok: boolean;
    if (trigger.type === 'timerTrigger') {
      const timer = timers.find((t) => t.fn === fn)!;
      ok = await timerTriggers!.run(fn, timer.schedule, new Date(), true);
    } else if (trigger.type === 'queueTrigger') {
      const text = typeof input === 'string' ? input : JSON.stringify(input ?? null);
      ok = (await invoker.invoke(fn, { inputData: [{ name: trigger.name, data: { string: text } }], triggerMetadata: { QueueTrigger: { string: text } } })).ok;
    } else {
      return sendJson(res, 400, { message: `'${fn.metadata.name}' has a ${trigger.type}; the admin API runs timer and queue functions (call HTTP functions by their route, durable ones through the durable API).` });
    }
    return ok ? void res.writeHead(202, { 'content-length': 0 }).end() : sendJson(res, 500, { message: `The function '${fn.metadata.name}' failed; see the host log.` });
  }

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    // A client that resets mid-request is normal; unheard, the request's 'error' would end the host.
    req.on('error', (error) => log.debug(`Request ${req.method} ${req.url} ended early: ${error.message}`));
    let url: URL;
    try {
      url = new URL(req.url ?? '/', baseUrl);
    } catch {
      return sendJson(res, 400, { message: 'Malformed request URL' });
    }
    const path = url.pathname;
    // Checked once here: route matching and the durable API decode segments later.
    if (!wellEncodedPath(path)) return sendJson(res, 400, { message: `Malformed percent-encoding in the request path '${path}'.` });
    const work = path.startsWith('/runtime/webhooks/durabletask/') || path === '/runtime/webhooks/durabletask'
      ? handleDurable(req, res, url, path.slice('/runtime/webhooks/durabletask'.length), false)
      : path.startsWith('/durabletask/')
        ? handleDurable(req, res, url, path.slice('/durabletask'.length), true)
        : path === '/admin/host/status'
          ? Promise.resolve(sendJson(res, 200, { state: 'Running', version: HOST_VERSION, id: 'node-functions-host', memory: process.memoryUsage() }))
          : path.startsWith('/admin/functions/')
            ? invokeByAdmin(req, res, url, decodeURIComponent(path.slice('/admin/functions/'.length)))
          : path === '/' || path === ''
            ? Promise.resolve(sendJson(res, 200, { message: 'The Node Functions host is running.', functions: [...registry.functions.keys()] }))
            : handleFunction(req, res, url);
    work.catch((error: unknown) => {
      log.error(`Host error on ${req.method} ${path}: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'The host failed to handle the request.' });
      else res.destroy();
    });
  });

  // func's start-up banner: every function, with the URL of each HTTP one.
  log.banner('\nFunctions:\n');
  for (const fn of registry.functions.values()) {
    const http = httpFunctions.find((h) => h.fn === fn);
    const refused = refusals.get(fn.id);
    const line = http ? `[${http.methods.join(',')}] ${baseUrl}/${http.route.template}` : triggerBinding(fn)?.type ?? 'unknown trigger';
    log.banner(`        ${fn.metadata.name}: ${line}${refused ? ` (not supported by this host: see below)` : ''}`);
    log.banner('');
  }
  for (const reason of refusals.values()) log.banner(`Error: ${reason}\n`);
  if (keys) {
    log.banner(`Keys (--require-keys): master=${keys.master} function=${keys.function} durabletask_extension=${keys.system}\n`);
  }
  if (engine) {
    const resumed = await engine.recover();
    const woken = await entities!.recover();
    if (woken > 0) log.info(`Resumed ${woken} entit${woken === 1 ? 'y' : 'ies'} with undelivered operations.`);
    if (resumed > 0) log.info(`Resumed ${resumed} unfinished orchestration instance(s) from the ${store!.kind === 'azure' ? `'${hubName}' task hub in storage` : 'memory store'}.`);
  }
  log.banner(`Host started (${Math.round(performance.now() - started)}ms) listening on ${baseUrl} (store: ${store?.kind ?? 'none'}, hub: ${hubName})`);

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
      engine?.stop();
      entities?.stop();
      for (const hook of registry.hooks.appTerminate) await hook({ hookData: invoker.appHookData, appHookData: invoker.appHookData });
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store?.close();
    },
  };
}
