// The host's HTTP side: every request is dispatched to the durable endpoints, the admin API or
// an HTTP trigger. Each handler is a function of its request and the explicit dependencies it
// uses (HttpDeps), which runHost (host.ts) assembles once the app is loaded.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { FunctionRegistry, RegisteredFunction, RpcHttpData, RpcTypedData } from './core-api.js';
import { triggerBinding, type Invoker } from './invoke.js';
import type { HostLog } from './log.js';
import type { CompiledRoute } from './routes.js';
import type { DurableHttpApi } from './durable/http-api.js';
import type { EntityScheduler } from './durable/entities.js';
import { entitySchedulerId } from './durable/entity-model.js';
import type { Schedule, TimerTriggers } from './bindings/timer.js';
import { authorized as keyOpens, sameKey, type Keys } from './keys.js';
import {
  bodyBytesRead,
  checkDeclaredLength,
  closeGently,
  closeUnreadSoon,
  keepUnreadBodyUnread,
  limitStream,
  readBodyOr413,
  refusedUploadsClosing,
  refuseTooLarge,
  wellEncodedPath,
} from './request-body.js';
import { forwardWindow } from './stream-window.js';

export const HOST_VERSION = '4.1040.0';

export interface HttpFunction {
  fn: RegisteredFunction;
  triggerName: string;
  route: CompiledRoute;
  methods: string[];
  authLevel: string;
}

/** What the handlers use, made explicit. */
export interface HttpDeps {
  baseUrl: string;
  log: HostLog;
  registry: FunctionRegistry;
  invoker: Invoker;
  /** Why each refused function cannot be served (by function id). */
  refusals: Map<string, string>;
  keys: Keys | undefined;
  maxBody: number;
  httpFunctions: HttpFunction[];
  /** The library's own HTTP server, when the app streams (app.setup({ enableHttpStream: true })). */
  streamUri: string | undefined;
  /** Durable client binding data for a function that declares it. */
  extraInputs(fn: RegisteredFunction): { name: string; data: RpcTypedData }[];
  /** Absent when the app uses no Durable Functions. */
  api: DurableHttpApi | undefined;
  /** Absent when the app uses no Durable Functions. */
  entities?: EntityScheduler;
  /** Whether no episode, activity or due timer is pending now; absent without Durable Functions. */
  durableIdle?: () => boolean;
  /** Blob trigger scans finished per function; absent when no function has a blob trigger. */
  blobScans?: () => Record<string, number>;
  timers: { fn: RegisteredFunction; schedule: Schedule }[];
  timerTriggers: TimerTriggers | undefined;
}

const keyFrom = (req: http.IncomingMessage, url: URL) =>
  url.searchParams.get('code') ?? (req.headers['x-functions-key'] as string | undefined);

function headerRecord(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers))
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

const nullable = (record: Record<string, string>) =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, { value: v }]));

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Serialises the library's RPC cookie shape into Set-Cookie values. */
function setCookieValues(cookies: unknown[]): string[] {
  return cookies.map((raw) => {
    const c = raw as Record<string, unknown>;
    const inner = (v: unknown) =>
      v && typeof v === 'object' && 'value' in v ? (v as { value: unknown }).value : undefined;
    let text = `${String(c.name)}=${encodeURIComponent(String(c.value ?? ''))}`;
    if (inner(c.domain)) text += `; Domain=${String(inner(c.domain))}`;
    if (inner(c.path)) text += `; Path=${String(inner(c.path))}`;
    const expires = inner(c.expires) as { seconds?: number } | undefined;
    if (expires?.seconds !== undefined)
      text += `; Expires=${new Date(Number(expires.seconds) * 1000).toUTCString()}`;
    if (inner(c.maxAge) !== undefined) text += `; Max-Age=${String(inner(c.maxAge))}`;
    if (inner(c.secure)) text += '; Secure';
    if (inner(c.httpOnly)) text += '; HttpOnly';
    if (typeof c.sameSite === 'string' && c.sameSite !== 'none')
      text += `; SameSite=${c.sameSite === 'explicitNone' ? 'None' : c.sameSite[0].toUpperCase() + c.sameSite.slice(1)}`;
    return text;
  });
}

/** An HTTP trigger: route, method, key, then the invocation (or the library's own server when streaming). */
export async function handleFunction(
  deps: HttpDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
): Promise<void> {
  const { log, invoker, refusals, maxBody } = deps;
  const path = decodeURI(url.pathname);
  const candidates = deps.httpFunctions
    .map((h) => ({ h, params: h.route.match(url.pathname) }))
    .filter((c) => c.params);
  if (candidates.length === 0) return sendJson(res, 404, { message: `No function matches ${path}` });
  const match = candidates.find((c) => c.h.methods.includes(req.method ?? 'GET'));
  if (!match)
    return sendJson(
      res,
      405,
      {
        message: `${req.method} is not allowed on ${path}; allowed: ${candidates.flatMap((c) => c.h.methods).join(', ')}`,
      },
      { allow: candidates.flatMap((c) => c.h.methods).join(', ') },
    );
  const { h, params } = match;
  if (!keyOpens(deps.keys, h.authLevel, keyFrom(req, url)))
    return sendJson(res, 401, {
      message: 'A valid function key is required (code query parameter or x-functions-key header).',
    });
  const refused = refusals.get(h.fn.id);
  if (refused) {
    log.error(refused);
    return sendJson(res, 500, { message: refused });
  }
  const invocationId = randomUUID();
  const headers = headerRecord(req.headers);
  const query = Object.fromEntries(url.searchParams);
  const httpData: RpcHttpData = {
    method: req.method ?? 'GET',
    url: url.href,
    nullableHeaders: nullable(headers),
    nullableQuery: nullable(query),
    nullableParams: nullable(params!),
  };
  const triggerMetadata: Record<string, RpcTypedData> = {
    Headers: { json: JSON.stringify(headers) },
    Query: { json: JSON.stringify(query) },
  };
  for (const [key, value] of Object.entries(params!)) triggerMetadata[key] = { string: value };

  if (deps.streamUri)
    return streamThroughLibrary(
      deps,
      deps.streamUri,
      req,
      res,
      url,
      h,
      invocationId,
      httpData,
      triggerMetadata,
    );

  const body = await readBodyOr413(req, res, maxBody);
  if (!body) return;
  httpData.body = { bytes: body };
  const outcome = await invoker.invoke(h.fn, {
    invocationId,
    inputData: [{ name: h.triggerName, data: { http: httpData } }, ...deps.extraInputs(h.fn)],
    triggerMetadata,
  });
  if (!outcome.ok) return void res.writeHead(500, { 'content-length': 0 }).end();
  const outName = Object.entries(h.fn.metadata.bindings).find(
    ([, b]) => b.direction === 'out' && String(b.type).toLowerCase() === 'http',
  )?.[0];
  const data =
    outName === '$return' || outName === undefined
      ? outcome.response.returnValue
      : outcome.response.outputData?.find((o) => o.name === outName)?.data;
  const response = data?.http;
  if (!response) return void res.writeHead(204).end();
  const bodyBytes = response.body?.bytes
    ? Buffer.from(response.body.bytes)
    : Buffer.from(response.body?.string ?? '');
  const outHeaders: Record<string, string | string[]> = { ...(response.headers ?? {}) };
  if (response.cookies?.length) outHeaders['set-cookie'] = setCookieValues(response.cookies);
  delete outHeaders['transfer-encoding'];
  outHeaders['content-length'] = String(bodyBytes.length);
  res.writeHead(Number(response.statusCode ?? 200), outHeaders);
  res.end(req.method === 'HEAD' ? undefined : bodyBytes);
}

/** With app.setup({enableHttpStream:true}) the library serves the request itself: proxy the raw stream to it. */
async function streamThroughLibrary(
  deps: HttpDeps,
  streamUri: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  h: HttpFunction,
  invocationId: string,
  httpData: RpcHttpData,
  triggerMetadata: Record<string, RpcTypedData>,
): Promise<void> {
  const { log, invoker, maxBody } = deps;
  try {
    checkDeclaredLength(req, maxBody);
  } catch (error) {
    return refuseTooLarge(req, res, (error as Error).message);
  }
  // Taken now: once the answer is sent the request lets go of its socket, which the host must
  // still close when the body was not read to its end.
  const clientSocket = req.socket;
  // Streamed, so the host holds no body; the limit still applies as on Azure.
  const limited = limitStream(maxBody);
  // No further than a small window ahead of what the library has read (./stream-window.ts): a
  // body the function refuses early is then hardly read from the client at all.
  const window = forwardWindow(invocationId);
  const target = new URL(url.pathname + url.search, streamUri);
  const proxied = http.request(target, {
    method: req.method,
    headers: {
      ...req.headers,
      'x-ms-invocation-id': invocationId,
      'x-forwarded-host': url.host,
      'x-forwarded-proto': 'http',
    },
  });
  proxied.once('socket', (socket) => window.useSocket(socket));
  proxied.once('close', () => window.close());
  proxied.on('response', (proxyRes) => {
    const headers = { ...proxyRes.headers };
    delete headers['x-ms-invocation-id'];
    // Hop-by-hop: they describe the connection to the library, not the client's (a refused body
    // makes the library close its own connection; the client's closes as closeUnreadSoon says).
    for (const name of ['connection', 'keep-alive', 'transfer-encoding']) delete headers[name];
    // Answered before the body is all in: the client must not send another request on this
    // connection, whose rest of a body nobody reads.
    if (!req.complete) closeGently(res, clientSocket);
    res.writeHead(proxyRes.statusCode ?? 200, headers);
    proxyRes.pipe(res);
    // The function answered without reading the whole body (a route's own limit, say): nothing
    // will read the rest, so the host stops reading it too, as a front end does once the app
    // has answered; the client's connection closes once it has had time to read the answer.
    proxyRes.once('end', () => {
      if (req.complete) return;
      req.unpipe(limited);
      window.close();
      proxied.destroy();
      closeUnreadSoon(req, res, clientSocket);
    });
  });
  proxied.on('error', (error) => {
    log.error(`HTTP stream proxy error: ${error.message}`);
    if (!res.headersSent) res.writeHead(502).end();
  });
  limited.on('error', (error) => {
    proxied.destroy();
    refuseTooLarge(req, res, error.message);
  });
  req.pipe(limited).pipe(window.stream).pipe(proxied);
  const outcome = await invoker.invoke(h.fn, {
    invocationId,
    inputData: [{ name: h.triggerName, data: { http: httpData } }, ...deps.extraInputs(h.fn)],
    triggerMetadata,
  });
  if (!outcome.ok && !res.headersSent) {
    proxied.destroy();
    res.writeHead(500, { 'content-length': 0 }).end();
  }
}

/** The durable management API (`/runtime/webhooks/durabletask`) and the durable client's rpc endpoint (`/durabletask`). */
export async function handleDurable(
  deps: HttpDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  rest: string,
  isRpc: boolean,
): Promise<void> {
  const { api, keys } = deps;
  if (!api) return sendJson(res, 404, { message: 'This app uses no Durable Functions.' });
  if (isRpc && !['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? ''))
    return sendJson(res, 403, { message: 'The rpc endpoint only answers local callers.' });
  if (isRpc && keys) {
    // The durable client puts the system key first in the path (see rpcBaseUrl); a key in
    // ?code= or x-functions-key is accepted too. Loopback alone is not enough: any local
    // process could otherwise drive every instance past --require-keys.
    const [first, ...others] = rest.split('/').filter((p) => p !== '');
    if (sameKey(first, keys.system)) rest = `/${others.join('/')}`;
    else if (!keyOpens(keys, 'system', keyFrom(req, url)))
      return sendJson(res, 401, { message: 'The durabletask system key is required.' });
  }
  if (!isRpc && !keyOpens(keys, 'system', keyFrom(req, url)))
    return sendJson(res, 401, { message: 'The durabletask system key is required (code query parameter).' });
  const body = await readBodyOr413(req, res, deps.maxBody);
  if (!body) return;
  const answer = await api.handle({
    method: req.method ?? 'GET',
    path: rest,
    query: url.searchParams,
    headers: req.headers,
    body,
  });
  const text = answer.body === undefined ? '' : JSON.stringify(answer.body);
  res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * GET /admin/host/entities/{name}/{key}: this host's own view of an entity's queue, `{backlog,
 * lockedBy}` (the extension's HTTP API shows only the state). Same key rule as the admin API.
 */
async function entityBacklog(
  deps: HttpDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  rest: string,
): Promise<void> {
  if (req.method !== 'GET') return sendJson(res, 405, { message: 'Use GET to read an entity backlog.' });
  if (deps.keys && !sameKey(keyFrom(req, url), deps.keys.master))
    return sendJson(res, 401, { message: 'The master key is required.' });
  const [name, key, ...more] = rest.split('/').map(decodeURIComponent);
  if (!deps.entities || !name || key === undefined || more.length > 0)
    return sendJson(res, 404, { message: 'Use /admin/host/entities/{name}/{key} on an app with entities.' });
  const { messages, lockedBy } = await deps.entities.backlog(entitySchedulerId(name, key));
  return sendJson(res, 200, { backlog: messages, lockedBy });
}

/** POST /admin/functions/{name} {"input": "..."}: runs a non-HTTP function now, as func's admin API does (master key). */
export async function invokeByAdmin(
  deps: HttpDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  name: string,
): Promise<void> {
  const { keys, registry, refusals, invoker } = deps;
  if (req.method !== 'POST') return sendJson(res, 405, { message: 'Use POST to run a function.' });
  if (keys && !sameKey(keyFrom(req, url), keys.master))
    return sendJson(res, 401, { message: 'The master key is required.' });
  const fn = registry.byName(name);
  if (!fn) return sendJson(res, 404, { message: `No function named '${name}'.` });
  const body = await readBodyOr413(req, res, deps.maxBody);
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
    const timer = deps.timers.find((t) => t.fn === fn)!;
    ok = await deps.timerTriggers!.run(fn, timer.schedule, new Date(), true);
  } else if (trigger.type === 'queueTrigger') {
    const text = typeof input === 'string' ? input : JSON.stringify(input ?? null);
    ok = (
      await invoker.invoke(fn, {
        inputData: [{ name: trigger.name, data: { string: text } }],
        triggerMetadata: { QueueTrigger: { string: text } },
      })
    ).ok;
  } else {
    return sendJson(res, 400, {
      message: `'${fn.metadata.name}' has a ${trigger.type}; the admin API runs timer and queue functions (call HTTP functions by their route, durable ones through the durable API).`,
    });
  }
  return ok
    ? void res.writeHead(202, { 'content-length': 0 }).end()
    : sendJson(res, 500, { message: `The function '${fn.metadata.name}' failed; see the host log.` });
}

/** What the host says about itself (its functions, its memory): with --require-keys only to the
 * master key, as Azure keeps its admin API behind it. */
function hostInfo(
  deps: HttpDeps,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
  info: Record<string, unknown>,
): void {
  if (!keyOpens(deps.keys, 'admin', keyFrom(req, url)))
    return sendJson(res, 401, { message: 'The master key is required.' });
  sendJson(res, 200, info);
}

/** Every request: the durable endpoints, the admin API, then the HTTP triggers; a handler that throws answers 500. */
export function dispatch(deps: HttpDeps, req: http.IncomingMessage, res: http.ServerResponse): void {
  const { log, baseUrl } = deps;
  // A client that resets mid-request is normal; unheard, the request's 'error' would end the host.
  req.on('error', (error) => log.debug(`Request ${req.method} ${req.url} ended early: ${error.message}`));
  keepUnreadBodyUnread(req, res);
  let url: URL;
  try {
    url = new URL(req.url ?? '/', baseUrl);
  } catch {
    return sendJson(res, 400, { message: 'Malformed request URL' });
  }
  const path = url.pathname;
  // Checked once here: route matching and the durable API decode segments later.
  if (!wellEncodedPath(path))
    return sendJson(res, 400, { message: `Malformed percent-encoding in the request path '${path}'.` });
  const work =
    path.startsWith('/runtime/webhooks/durabletask/') || path === '/runtime/webhooks/durabletask'
      ? handleDurable(deps, req, res, url, path.slice('/runtime/webhooks/durabletask'.length), false)
      : path.startsWith('/durabletask/')
        ? handleDurable(deps, req, res, url, path.slice('/durabletask'.length), true)
        : path === '/admin/host/status'
          ? Promise.resolve(
              hostInfo(deps, req, res, url, {
                state: 'Running',
                version: HOST_VERSION,
                id: 'node-functions-host',
                memory: { ...process.memoryUsage(), peakRss: process.resourceUsage().maxRSS * 1024 },
                requestBodyBytesRead: bodyBytesRead.total,
                uploadsClosing: refusedUploadsClosing(),
                ...(deps.blobScans ? { blobTriggerScans: deps.blobScans() } : {}),
                ...(deps.durableIdle ? { durableIdle: deps.durableIdle() } : {}),
              }),
            )
          : path.startsWith('/admin/host/entities/')
            ? entityBacklog(deps, req, res, url, path.slice('/admin/host/entities/'.length))
            : path.startsWith('/admin/functions/')
              ? invokeByAdmin(deps, req, res, url, decodeURIComponent(path.slice('/admin/functions/'.length)))
              : path === '/' || path === ''
                ? Promise.resolve(
                    hostInfo(deps, req, res, url, {
                      message: 'The Node Functions host is running.',
                      functions: [...deps.registry.functions.keys()],
                    }),
                  )
                : handleFunction(deps, req, res, url);
  work.catch((error: unknown) => {
    log.error(`Host error on ${req.method} ${path}: ${(error as Error).stack ?? String(error)}`);
    if (!res.headersSent) sendJson(res, 500, { message: 'The host failed to handle the request.' });
    else res.destroy();
  });
}
