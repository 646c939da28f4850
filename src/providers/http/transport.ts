// HTTP for every adapter: one deadline per call, secrets kept out of errors, and every
// failure turned into a named error (../../errors.ts) so the orchestrator decides by class.
// Each adapter brings its own base URL, auth headers and failed-answer classifier; this
// file knows no provider's wire shapes.
import { Readable } from 'node:stream';
import { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { z } from 'zod';
import { CreateOutcomeUnknownError, ProviderPermanentError, ProviderTransientError } from '../../errors.js';
import type { OutputContent } from '../provider.js';
import type { FailedResponse } from './classify-response.js';
import { fetchForeign, type ForeignUrlRule } from './foreign-fetch.js';

export type { ForeignUrlRule };

/** Headers to add to the next request (a key, or a fresh token). */
export interface AuthHeaders {
  headers(): Promise<Record<string, string>>;
}

export const noAuth: AuthHeaders = { headers: async () => ({}) };

export interface ProviderRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below the base URL (ids already URL-encoded), or an absolute http(s) URL the provider gave us. */
  path: string;
  query?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as multipart/form-data instead (a file upload, e.g. Sora 2's input_reference). */
  form?: FormData;
  /** Names the call in error messages, e.g. "Get fal request 1a2b". */
  what: string;
  /** A create: once sent, a lost or unreadable answer means a job may exist. */
  create?: boolean;
  /** Send no credentials (public output URLs on another host must not receive our key). */
  anonymous?: boolean;
}

/** HTTP for one provider, turning every failure into a named error. */
export interface Transport {
  json<T>(request: ProviderRequest, schema: z.ZodType<T>): Promise<T>;
  /** json, plus the provider's clock from the answer's Date header (Unix seconds), when sent. */
  jsonWithDate<T>(
    request: ProviderRequest,
    schema: z.ZodType<T>,
  ): Promise<{ value: T; providerNow?: number }>;
  /** For calls whose answer carries nothing we need (delete, cancel). */
  discard(request: ProviderRequest, options: { notFoundIsOk: boolean }): Promise<void>;
  content(request: ProviderRequest): Promise<OutputContent>;
}

/** What every adapter is built with besides its own settings (the registry passes these). */
export interface HttpOptions {
  requestTimeoutMs: number;
  /** Absent: no provider-given URL is fetched at all. */
  foreignUrls?: ForeignUrlRule;
  /** A download that sends no bytes for this long is broken off (transient). Default: requestTimeoutMs. */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface TransportOptions extends HttpOptions {
  /** The provider's name in messages ("fal", "Replicate", …). */
  service: string;
  baseUrl: string;
  /** Added to every request below the base URL (e.g. Azure's api-version). */
  fixedQuery?: Record<string, string>;
  auth: AuthHeaders;
  classify: (response: FailedResponse, what: string, now: number) => Error;
}

/** Content-type when the provider sends none: the documented type of every video download. */
const DEFAULT_VIDEO_TYPE = 'video/mp4';
/** Failures that prove the request never left this machine, so even a create is safe to repeat. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

export function createTransport(options: TransportOptions): Transport {
  if (!(options.requestTimeoutMs > 0)) throw new RangeError('requestTimeoutMs must be a positive number');
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, '');
  const idleTimeoutMs = options.idleTimeoutMs ?? options.requestTimeoutMs;

  const url = (request: ProviderRequest) => {
    const absolute = /^https?:\/\//i.test(request.path);
    const target = new URL(absolute ? request.path : `${base}${request.path}`);
    if (!absolute)
      for (const [name, value] of Object.entries(options.fixedQuery ?? {}))
        target.searchParams.set(name, value);
    for (const [name, value] of Object.entries(request.query ?? {})) target.searchParams.set(name, value);
    return target;
  };

  const send = async (request: ProviderRequest, headers: Record<string, string>, signal: AbortSignal) => {
    const init: RequestInit = { method: request.method, headers: { ...headers }, signal, redirect: 'follow' };
    if (request.form !== undefined) {
      // fetch writes the multipart content-type with its boundary.
      init.body = request.form;
    } else if (request.body !== undefined) {
      init.headers = { ...headers, 'content-type': 'application/json' };
      init.body = JSON.stringify(request.body);
    }
    if (isForeign(request)) return sendForeign(request, init);
    try {
      return await doFetch(url(request), init);
    } catch (error) {
      throw lostAnswer(request, error, options.requestTimeoutMs);
    }
  };

  /** A URL the provider gave us: every hop, redirects included, must pass the rule first. */
  const sendForeign = (request: ProviderRequest, init: RequestInit): Promise<Response> =>
    fetchForeign(url(request), init, {
      rule: options.foreignUrls,
      fetch: doFetch,
      what: request.what,
      noAnswer: (error) => lostAnswer(request, error, options.requestTimeoutMs),
    });

  const failed = async (response: Response, request: ProviderRequest) => {
    let body: unknown = null;
    const text = await response.text().catch(() => '');
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (a gateway's HTML page) or cut off: classify on the status alone.
    }
    return options.classify(
      { status: response.status, header: (name) => response.headers.get(name), body },
      request.what,
      Date.now(),
    );
  };

  const authFor = (request: ProviderRequest) => (request.anonymous ? noAuth : options.auth);
  /** Not below the base URL: a URL from the provider's answer. */
  const isForeign = (request: ProviderRequest) => /^https?:\/\//i.test(request.path);

  const jsonWithDate = <T>(request: ProviderRequest, schema: z.ZodType<T>) =>
    withAuth(authFor(request), request, async (headers) => {
      // One deadline for the whole call, answer body included.
      const signal = AbortSignal.timeout(options.requestTimeoutMs);
      const response = await send(request, { ...headers, accept: 'application/json' }, signal);
      if (!response.ok) throw await failed(response, request);
      const value = parseAnswer(
        options.service,
        request,
        response.status,
        await readText(response, request, options.requestTimeoutMs),
        schema,
      );
      const date = Date.parse(response.headers.get('date') ?? '');
      return { value, providerNow: Number.isFinite(date) ? date / 1000 : undefined };
    });

  return {
    json: async (request, schema) => (await jsonWithDate(request, schema)).value,
    jsonWithDate,

    discard: (request, { notFoundIsOk }) =>
      withAuth(authFor(request), request, async (headers) => {
        const response = await send(request, headers, AbortSignal.timeout(options.requestTimeoutMs));
        if (response.ok || (notFoundIsOk && response.status === 404)) {
          await response.body?.cancel().catch(() => undefined);
          return;
        }
        throw await failed(response, request);
      }),

    content: (request) =>
      withAuth(authFor(request), request, async (headers) => {
        // The deadline covers the wait for headers; after that the idle timeout guards the
        // body, since a large video may take far longer to stream than any request timeout.
        const controller = new AbortController();
        const timer = setTimeout(
          () => controller.abort(new DOMException('The request timed out', 'TimeoutError')),
          options.requestTimeoutMs,
        );
        try {
          const response = await send(request, headers, controller.signal);
          if (!response.ok) throw await failed(response, request);
          return outputContent(options.service, response, request, controller, idleTimeoutMs);
        } finally {
          clearTimeout(timer);
        }
      }),
  };
}

/** Runs one call with fresh auth headers, and keeps their secrets out of any error it raises. */
async function withAuth<T>(
  auth: AuthHeaders,
  request: ProviderRequest,
  call: (headers: Record<string, string>) => Promise<T>,
): Promise<T> {
  let headers: Record<string, string>;
  try {
    headers = await auth.headers();
  } catch (error) {
    // Nothing was sent, so even a create may be repeated; the cause says why.
    throw new ProviderTransientError(
      `${request.what} failed: could not get credentials`,
      undefined,
      undefined,
      { cause: error },
    );
  }
  try {
    return await call(headers);
  } catch (error) {
    throw redact(error, secretsIn(headers));
  }
}

/** Header values worth hiding: the key or token, with and without its scheme prefix. */
function secretsIn(headers: Record<string, string>): string[] {
  const values = Object.values(headers).flatMap((value) => [
    value,
    value.replace(/^(Bearer|Key|Token)\s+/i, ''),
  ]);
  // Very short values (test keys such as "x") would shred messages and hide nothing real.
  return [...new Set(values)].filter((value) => value.length >= 8).sort((a, b) => b.length - a.length);
}

/** A provider might echo a header back in an error message; never let that reach our errors or logs. */
function redact(error: unknown, secrets: string[]): unknown {
  if (!(error instanceof Error) || secrets.length === 0) return error;
  const clean = (text: string) =>
    secrets.reduce((result, secret) => result.split(secret).join('[redacted]'), text);
  error.message = clean(error.message);
  if (typeof error.stack === 'string') error.stack = clean(error.stack);
  return error;
}

/** No (complete) answer arrived: network failure or timeout. */
function lostAnswer(request: ProviderRequest, error: unknown, timeoutMs: number): Error {
  const reason = isTimeout(error)
    ? `no answer within ${timeoutMs} ms`
    : `network error (${networkErrorCode(error)})`;
  if (request.create && !NEVER_SENT_CODES.has(networkErrorCode(error))) {
    return new CreateOutcomeUnknownError(
      `${request.what}: ${reason} after the request was sent; a job may or may not exist`,
      { cause: error },
    );
  }
  return new ProviderTransientError(`${request.what} failed: ${reason}`, undefined, undefined, {
    cause: error,
  });
}

function isTimeout(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'TimeoutError';
}

/** fetch wraps socket errors as TypeError("fetch failed") with the system error as cause. */
export function networkErrorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message.slice(0, 100);
  return error instanceof Error ? error.message.slice(0, 100) : String(error).slice(0, 100);
}

async function readText(response: Response, request: ProviderRequest, timeoutMs: number): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw lostAnswer(request, error, timeoutMs);
  }
}

/**
 * A 2xx answer that is not what the provider documents. For a create, the job was most likely
 * made but we cannot tell its id, so the outcome is unknown. Otherwise: text that is not JSON
 * looks like a proxy glitch (transient); JSON of the wrong shape is a contract change that
 * the same request will keep getting (permanent).
 */
function parseAnswer<T>(
  service: string,
  request: ProviderRequest,
  status: number,
  text: string,
  schema: z.ZodType<T>,
): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const message = `${request.what}: ${service} answered HTTP ${status} with a body that is not JSON`;
    if (request.create) throw new CreateOutcomeUnknownError(`${message}; a job may or may not exist`);
    throw new ProviderTransientError(message, status, undefined);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const message = `${request.what}: ${service}'s answer (HTTP ${status}) does not match the documented shape: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ').slice(0, 300)}`;
  if (request.create) throw new CreateOutcomeUnknownError(`${message}; a job may or may not exist`);
  throw new ProviderPermanentError(message, status, 'invalid_response');
}

function outputContent(
  service: string,
  response: Response,
  request: ProviderRequest,
  controller: AbortController,
  idleTimeoutMs: number,
): OutputContent {
  if (!response.body)
    throw new ProviderTransientError(
      `${request.what}: ${service} answered HTTP ${response.status} without a body`,
      response.status,
      undefined,
    );
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  return {
    body: Readable.fromWeb(
      guardBody(response.body as NodeReadableStream<Uint8Array>, request.what, controller, idleTimeoutMs),
    ),
    contentLength: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
    contentType: registeredType(response.headers.get('content-type') ?? DEFAULT_VIDEO_TYPE),
  };
}

/** image/jpg (how the Azure OpenAI jobs API labels its JPEG stills) is not a registered type: browsers want image/jpeg. */
function registeredType(contentType: string): string {
  return /^image\/jpg\b/i.test(contentType) ? 'image/jpeg' : contentType;
}

/**
 * Passes chunks through one at a time (no buffering beyond the chunk in hand), turns a
 * connection lost mid-download into a ProviderTransientError, and breaks off a body that
 * sends nothing for idleTimeoutMs (a stalled download would otherwise hold the activity).
 */
function guardBody(
  body: NodeReadableStream<Uint8Array>,
  what: string,
  controller: AbortController,
  idleTimeoutMs: number,
): NodeReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new NodeReadableStream<Uint8Array>(
    {
      async pull(stream) {
        let idle: NodeJS.Timeout | undefined;
        const stalled = new Promise<never>((_, reject) => {
          idle = setTimeout(
            () =>
              reject(
                new ProviderTransientError(
                  `${what}: the download stalled (no data for ${idleTimeoutMs} ms)`,
                  undefined,
                  undefined,
                ),
              ),
            idleTimeoutMs,
          );
        });
        try {
          const { done, value } = await Promise.race([reader.read(), stalled]);
          if (done) stream.close();
          else stream.enqueue(value);
        } catch (error) {
          controller.abort();
          reader.cancel().catch(() => undefined);
          stream.error(
            error instanceof ProviderTransientError
              ? error
              : new ProviderTransientError(
                  `${what}: the download broke off (${networkErrorCode(error)})`,
                  undefined,
                  undefined,
                  { cause: error },
                ),
          );
        } finally {
          clearTimeout(idle);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
