// One client for both Azure OpenAI Sora API families (/shared/docs/sora-api.md): the jobs API
// (Sora 1) and the videos API (Sora 2). Model versions retire within months, so callers see
// one interface and name the family; each family only maps its own wire shapes.
//
// The client never retries: the orchestrator owns retry timing (durable timers, deadlines),
// and a retried create can bill a second job. Instead every failure is a named error whose
// class tells the orchestrator what is safe: SoraTransientError (try again later),
// SoraPermanentError (never), SoraOutcomeUnknownError (a create may have happened: adopt a
// job via listRecentJobs rather than re-sending).
import { Readable } from 'node:stream';
import { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { z } from 'zod';
import { SoraOutcomeUnknownError, SoraPermanentError, SoraTransientError } from '../errors.js';
import type { AuthHeaders } from './auth.js';
import { classifyFailedResponse } from './classify-response.js';
import { createJobsFamily } from './jobs-family.js';
import { createVideosFamily } from './videos-family.js';

export type SoraFamily = 'jobs' | 'videos';

export interface CreateVideoJobInput {
  family: SoraFamily;
  model: string;
  prompt: string;
  width: number;
  height: number;
  seconds: number;
  variants: number;
}

export type SoraPhase = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface VideoJobSnapshot {
  jobId: string;
  family: SoraFamily;
  phase: SoraPhase;
  /** The raw status string from Sora. */
  soraStatus: string;
  /** 0-100 when Sora says (videos family). */
  progress?: number;
  /** failure_reason (jobs) or error.code, else error.message (videos). */
  failureReason?: string;
  /** Videos family: error.message, the human-readable half of the failure. */
  failureMessage?: string;
  /** Jobs family: as Sora lists them. Videos family: one entry (id = the video id) once
   * the video is completed, none before, so both families read alike. */
  generations: { id: string; width: number; height: number; seconds: number }[];
  /** Unix seconds. */
  createdAt: number;
  /** As Sora echoed it, when it did (the videos API on Azure does not). */
  prompt?: string;
  /** What was asked for, as Sora echoes it: lets a lost create be matched to its job. */
  model?: string;
  width?: number;
  height?: number;
  seconds?: number;
  variants?: number;
}

export interface VideoContent {
  body: Readable;
  contentLength: number | undefined;
  contentType: string;
}

export interface SoraClient {
  createJob(input: CreateVideoJobInput): Promise<VideoJobSnapshot>;
  getJob(family: SoraFamily, jobId: string): Promise<VideoJobSnapshot>;
  /** Recent jobs (newest first, up to `limit`), used to adopt a job whose create outcome was unknown. */
  listRecentJobs(family: SoraFamily, limit: number): Promise<VideoJobSnapshot[]>;
  openVideoContent(family: SoraFamily, jobId: string, generationId: string): Promise<VideoContent>;
  /** The generation's JPEG thumbnail (small: a still frame). */
  openThumbnail(family: SoraFamily, jobId: string, generationId: string): Promise<VideoContent>;
  /** Cancel/delete the job; a job that is already gone (404) is not an error. */
  deleteJob(family: SoraFamily, jobId: string): Promise<void>;
}

/** What one family implements; the family itself is implied. */
export interface FamilyClient {
  createJob(input: CreateVideoJobInput): Promise<VideoJobSnapshot>;
  getJob(jobId: string): Promise<VideoJobSnapshot>;
  listRecentJobs(limit: number): Promise<VideoJobSnapshot[]>;
  openVideoContent(jobId: string, generationId: string): Promise<VideoContent>;
  openThumbnail(jobId: string, generationId: string): Promise<VideoContent>;
  deleteJob(jobId: string): Promise<void>;
}

export interface SoraRequest {
  method: 'GET' | 'POST' | 'DELETE';
  /** Below `{endpoint}/openai/v1`, ids already URL-encoded. */
  path: string;
  query?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Names the call in error messages, e.g. "Get Sora job task_1". */
  what: string;
  /** A create: once sent, a lost or unreadable answer means a job may exist. */
  create?: boolean;
}

/** HTTP for one family (its api-version baked in), turning every failure into a named error. */
export interface SoraTransport {
  json<T>(request: SoraRequest, schema: z.ZodType<T>): Promise<T>;
  /** For calls whose answer carries nothing we need (delete). */
  discard(request: SoraRequest, options: { notFoundIsOk: boolean }): Promise<void>;
  content(request: SoraRequest): Promise<VideoContent>;
}

export interface SoraClientOptions {
  /** `https://<resource>.openai.azure.com` (no /openai suffix). */
  endpoint: string;
  auth: AuthHeaders;
  requestTimeoutMs: number;
  fetch?: typeof fetch;
}

/** sora-api.md: Sora 1 samples send `preview`; the Sora 2 (OpenAI-compatible) API takes `v1`. */
const API_VERSIONS: Record<SoraFamily, string> = { jobs: 'preview', videos: 'v1' };

export function createSoraClient(options: SoraClientOptions): SoraClient {
  if (!(options.requestTimeoutMs > 0)) throw new RangeError('requestTimeoutMs must be a positive number');
  const baseUrl = `${options.endpoint.replace(/\/+$/, '')}/openai/v1`;
  const transport = (family: SoraFamily) =>
    createTransport({ baseUrl, apiVersion: API_VERSIONS[family], auth: options.auth, requestTimeoutMs: options.requestTimeoutMs, fetch: options.fetch ?? fetch });
  const families: Record<SoraFamily, FamilyClient> = {
    jobs: createJobsFamily(transport('jobs')),
    videos: createVideosFamily(transport('videos')),
  };
  // The family often comes from stored JSON: refuse anything else plainly (and never
  // resolve prototype keys such as "constructor").
  const pick = (family: SoraFamily): FamilyClient => {
    if (!Object.hasOwn(families, family)) throw new TypeError(`Unknown Sora API family: ${String(family)}`);
    return families[family];
  };
  return {
    createJob: (input) => pick(input.family).createJob(input),
    getJob: (family, jobId) => pick(family).getJob(jobId),
    listRecentJobs: async (family, limit) => newestFirst(await pick(family).listRecentJobs(pageSize(limit))).slice(0, pageSize(limit)),
    openVideoContent: (family, jobId, generationId) => pick(family).openVideoContent(jobId, generationId),
    openThumbnail: (family, jobId, generationId) => pick(family).openThumbnail(jobId, generationId),
    deleteJob: (family, jobId) => pick(family).deleteJob(jobId),
  };
}

function pageSize(limit: number): number {
  if (!Number.isFinite(limit)) throw new RangeError('limit must be a finite number');
  return Math.max(1, Math.floor(limit));
}

/** The list order is not documented for the jobs API; adoption relies on newest first. */
function newestFirst(jobs: VideoJobSnapshot[]): VideoJobSnapshot[] {
  return [...jobs].sort((a, b) => b.createdAt - a.createdAt);
}

// ---------------------------------------------------------------------------------------
// Transport

interface TransportOptions {
  baseUrl: string;
  apiVersion: string;
  auth: AuthHeaders;
  requestTimeoutMs: number;
  fetch: typeof fetch;
}

/** Content-type when Sora sends none: the documented type of every video download. */
const DEFAULT_VIDEO_TYPE = 'video/mp4';
/** Failures that prove the request never left this machine, so even a create is safe to repeat. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

function createTransport(options: TransportOptions): SoraTransport {
  const url = (request: SoraRequest) => {
    const target = new URL(`${options.baseUrl}${request.path}`);
    target.searchParams.set('api-version', options.apiVersion);
    for (const [name, value] of Object.entries(request.query ?? {})) target.searchParams.set(name, value);
    return target;
  };

  const send = async (request: SoraRequest, headers: Record<string, string>, signal: AbortSignal) => {
    const init: RequestInit = { method: request.method, headers: { ...headers }, signal };
    if (request.body !== undefined) {
      init.headers = { ...headers, 'content-type': 'application/json' };
      init.body = JSON.stringify(request.body);
    }
    try {
      return await options.fetch(url(request), init);
    } catch (error) {
      throw lostAnswer(request, error, options.requestTimeoutMs);
    }
  };

  return {
    json: (request, schema) =>
      withAuth(options.auth, request, async (headers) => {
        // One deadline for the whole call, answer body included.
        const signal = AbortSignal.timeout(options.requestTimeoutMs);
        const response = await send(request, { ...headers, accept: 'application/json' }, signal);
        if (!response.ok) throw await failedResponse(response, request);
        return parseAnswer(request, response.status, await readText(response, request, options.requestTimeoutMs), schema);
      }),

    discard: (request, { notFoundIsOk }) =>
      withAuth(options.auth, request, async (headers) => {
        const response = await send(request, headers, AbortSignal.timeout(options.requestTimeoutMs));
        if (response.ok || (notFoundIsOk && response.status === 404)) {
          await response.body?.cancel().catch(() => undefined);
          return;
        }
        throw await failedResponse(response, request);
      }),

    content: (request) =>
      withAuth(options.auth, request, async (headers) => {
        // The deadline covers only the wait for headers: a large video may take far longer
        // to stream than any sensible request timeout, and the consumer paces the body.
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(new DOMException('The request timed out', 'TimeoutError')), options.requestTimeoutMs);
        try {
          const response = await send(request, headers, controller.signal);
          if (!response.ok) throw await failedResponse(response, request);
          return videoContent(response, request);
        } finally {
          clearTimeout(timer);
        }
      }),
  };
}

/** Runs one call with fresh auth headers, and keeps their secrets out of any error it raises. */
async function withAuth<T>(auth: AuthHeaders, request: SoraRequest, call: (headers: Record<string, string>) => Promise<T>): Promise<T> {
  let headers: Record<string, string>;
  try {
    headers = await auth.headers();
  } catch (error) {
    // Nothing was sent, so even a create may be repeated; the cause says why.
    throw new SoraTransientError(`${request.what} failed: could not get credentials for Azure OpenAI`, undefined, undefined, { cause: error });
  }
  try {
    return await call(headers);
  } catch (error) {
    throw redact(error, secretsIn(headers));
  }
}

/** Header values worth hiding: the key or token, with and without its "Bearer " prefix. */
function secretsIn(headers: Record<string, string>): string[] {
  const values = Object.values(headers).flatMap((value) => [value, value.replace(/^Bearer\s+/i, '')]);
  // Very short values (test keys such as "x") would shred messages and hide nothing real.
  return [...new Set(values)].filter((value) => value.length >= 8).sort((a, b) => b.length - a.length);
}

/** Sora might echo a header back in an error message; never let that reach our errors or logs. */
function redact(error: unknown, secrets: string[]): unknown {
  if (!(error instanceof Error) || secrets.length === 0) return error;
  const clean = (text: string) => secrets.reduce((result, secret) => result.split(secret).join('[redacted]'), text);
  error.message = clean(error.message);
  if (typeof error.stack === 'string') error.stack = clean(error.stack);
  return error;
}

/** No (complete) answer arrived: network failure or timeout. */
function lostAnswer(request: SoraRequest, error: unknown, timeoutMs: number): Error {
  const reason = isTimeout(error) ? `no answer within ${timeoutMs} ms` : `network error (${networkErrorCode(error)})`;
  if (request.create && !NEVER_SENT_CODES.has(networkErrorCode(error))) {
    return new SoraOutcomeUnknownError(`${request.what}: ${reason} after the request was sent; a job may or may not exist`, { cause: error });
  }
  return new SoraTransientError(`${request.what} failed: ${reason}`, undefined, undefined, { cause: error });
}

function isTimeout(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'TimeoutError';
}

/** fetch wraps socket errors as TypeError("fetch failed") with the system error as cause. */
function networkErrorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message.slice(0, 100);
  return error instanceof Error ? error.message.slice(0, 100) : String(error).slice(0, 100);
}

async function readText(response: Response, request: SoraRequest, timeoutMs: number): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw lostAnswer(request, error, timeoutMs);
  }
}

/** A non-2xx answer → transient / permanent / content-filtered, by the shared rules. */
async function failedResponse(response: Response, request: SoraRequest): Promise<Error> {
  let body: unknown = null;
  try {
    body = JSON.parse(await response.text());
  } catch {
    // Not JSON (a gateway's HTML page) or cut off: classify on the status alone.
  }
  return classifyFailedResponse({ status: response.status, header: (name) => response.headers.get(name), body }, request.what, Date.now());
}

/**
 * A 2xx answer that is not what sora-api.md describes. For a create, the job was most likely
 * made but we cannot tell its id, so the outcome is unknown. Otherwise: text that is not JSON
 * looks like a proxy glitch (transient); JSON of the wrong shape is a contract change that
 * the same request will keep getting (permanent).
 */
function parseAnswer<T>(request: SoraRequest, status: number, text: string, schema: z.ZodType<T>): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const message = `${request.what}: Sora answered HTTP ${status} with a body that is not JSON`;
    if (request.create) throw new SoraOutcomeUnknownError(`${message}; a job may or may not exist`);
    throw new SoraTransientError(message, status, undefined);
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const message = `${request.what}: Sora's answer (HTTP ${status}) does not match the documented shape: ${z.prettifyError(parsed.error).replace(/\s+/g, ' ').slice(0, 300)}`;
  if (request.create) throw new SoraOutcomeUnknownError(`${message}; a job may or may not exist`);
  throw new SoraPermanentError(message, status, 'invalid_response');
}

function videoContent(response: Response, request: SoraRequest): VideoContent {
  if (!response.body) throw new SoraTransientError(`${request.what}: Sora answered HTTP ${response.status} without a body`, response.status, undefined);
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  return {
    body: Readable.fromWeb(breakOffsAsTransient(response.body as NodeReadableStream<Uint8Array>, request.what)),
    contentLength: Number.isSafeInteger(length) && length >= 0 ? length : undefined,
    contentType: response.headers.get('content-type') ?? DEFAULT_VIDEO_TYPE,
  };
}

/**
 * Passes chunks through one at a time (no buffering beyond the chunk in hand), but turns a
 * connection lost mid-download into a SoraTransientError, so the consumer can decide by
 * class like for every other failure.
 */
function breakOffsAsTransient(body: NodeReadableStream<Uint8Array>, what: string): NodeReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new NodeReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          controller.error(new SoraTransientError(`${what}: the download broke off (${networkErrorCode(error)})`, undefined, undefined, { cause: error }));
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
