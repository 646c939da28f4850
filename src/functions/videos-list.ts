// GET /api/videos: the app's requests, newest first, a page at a time, each item the view
// GET /api/videos/{id} answers (read links included). "The caller's" requests are all of the
// app's: a function key identifies no one, so there is no owner to filter by.
//
// The durable client's instance query (getStatusBy) filters by runtime status and creation
// time but has no order and follows every continuation itself, so a page is read one
// created-time window at a time (../status/list-pages.ts): it reads what the span it covers
// holds, never every instance. The continuation token is the position (created time, id) the
// page ended at. Phase and provider are filtered here (a phase is the custom status of a
// running instance; the provider is in its input).
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { AppConfig } from '../config.js';
import { GENERATE_VIDEO } from '../orchestrations/contracts.js';
import type { ReadUrlSigner } from '../storage/read-urls.js';
import { completeView } from '../status/status-links.js';
import { toVideoStatus, type DurableStatusLike, type VideoStatus } from '../status/video-status.js';
import type { VideoPhase } from '../status/view-schemas.js';
import { withTimeout } from '../storage/with-timeout.js';
import type { VideoList } from './api-schemas.js';
import { listQuerySchema, type ListQuery } from './list-query.js';
import { problem } from './problem.js';
import { ID_PATTERN } from './videos-api.js';
import { answeringTimeoutsWith503 } from './unavailable.js';
import { newestFirstPage, type Position } from '../status/list-pages.js';

const { OrchestrationRuntimeStatus: Runtime } = df;
type RuntimeStatus = df.OrchestrationRuntimeStatus;

/** Which runtime statuses can show a phase, so the query does not read finished instances to find running ones. */
const STILL_RUNNING: RuntimeStatus[] = [Runtime.Running, Runtime.ContinuedAsNew, Runtime.Suspended];
const RUNTIME_FOR_PHASE: Record<VideoPhase, RuntimeStatus[]> = {
  pending: [Runtime.Pending, ...STILL_RUNNING],
  creating: STILL_RUNNING,
  queued: STILL_RUNNING,
  running: STILL_RUNNING,
  downloading: STILL_RUNNING,
  'cleaning-up': STILL_RUNNING,
  completed: [Runtime.Completed],
  failed: [Runtime.Failed],
  cancelled: [Runtime.Terminated, Runtime.Canceled],
};

export function encodePosition(position: Position): string {
  const value = position.id === undefined ? [position.createdMs] : [position.createdMs, position.id];
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The latest instant a .NET DateTime (the durable extension's query parameter) can hold, less the
 * second the query adds: a position beyond it could not be asked for. */
const LATEST_POSITION_MS = Date.UTC(9999, 11, 31, 23, 59, 58);
const MAX_TOKEN_LENGTH = 256;

/** A position this API could have given out, or undefined: a time within a DateTime's range and
 * an id of the shape the API accepts; anything else (a tampered token) is the caller's error. */
export function decodePosition(token: string): Position | undefined {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      (value.length === 1 || value.length === 2) &&
      Number.isSafeInteger(value[0]) &&
      value[0] >= 0 &&
      value[0] <= LATEST_POSITION_MS &&
      (value.length === 1 || (typeof value[1] === 'string' && ID_PATTERN.test(value[1])))
    )
      return value.length === 1 ? { createdMs: value[0] } : { createdMs: value[0], id: value[1] as string };
  } catch {
    // not base64url JSON: answered below as a bad token
  }
  return undefined;
}

/** A callbackUrl's query string (and any user info or fragment) often carries the caller's token:
 * the list, which shows many requests at once, gives only where the event goes. GET
 * /api/videos/{id} still answers the whole URL. */
function withoutCallbackSecrets(view: VideoStatus): VideoStatus {
  const url = view.request?.callbackUrl;
  if (!url || !view.request) return view;
  let shown: string;
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    shown = parsed.href;
  } catch {
    shown = url.replace(/[?#].*$/s, '');
  }
  return { ...view, request: { ...view.request, callbackUrl: shown } };
}

/** The query string as the schema's values: a number stays text when it is not digits, so the schema names it. */
function readQuery(
  query: URLSearchParams,
): { ok: true; value: ListQuery } | { ok: false; response: HttpResponseInit } {
  const raw = (name: string) => query.get(name) ?? undefined;
  const limit = raw('limit');
  const parsed = listQuerySchema.safeParse({
    limit: limit !== undefined && /^\d{1,6}$/.test(limit) ? Number(limit) : limit,
    phase: raw('phase'),
    provider: raw('provider'),
    continuationToken: raw('continuationToken'),
  });
  if (!parsed.success) {
    const errors = parsed.error.issues.map((issue) => ({
      field: issue.path.join('.'),
      message: issue.message,
    }));
    return {
      ok: false,
      response: problem(
        400,
        'Invalid query',
        errors.map((e) => `${e.field} ${e.message}`).join('; '),
        errors,
      ),
    };
  }
  return { ok: true, value: parsed.data };
}

export function createVideosList(deps: { config: () => AppConfig; signer: () => ReadUrlSigner }) {
  async function listVideos(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    const query = readQuery(request.query);
    if (!query.ok) return query.response;
    const { limit, phase, provider, continuationToken } = query.value;
    const after = continuationToken === undefined ? undefined : decodePosition(continuationToken);
    if (continuationToken !== undefined && !after) {
      return problem(400, 'Invalid query', 'continuationToken is not one this API gave out.', [
        { field: 'continuationToken', message: 'is not a token from a previous page' },
      ]);
    }
    const client = df.getClient(context);
    // showInput is not in the SDK's OrchestrationFilter type, but getStatusBy passes it through to the query.
    const windowQuery = async (from: Date, to: Date) =>
      (await withTimeout(
        'listing the requests',
        client.getStatusBy({
          showInput: true,
          createdTimeFrom: from,
          createdTimeTo: to,
          ...(phase ? { runtimeStatus: RUNTIME_FOR_PHASE[phase] } : {}),
        } as df.OrchestrationFilter),
      )) as DurableStatusLike[];
    const accept = (status: DurableStatusLike) => {
      if ((status as { name?: string }).name !== GENERATE_VIDEO) return false;
      const view = toVideoStatus(status);
      return !(phase && view.phase !== phase) && !(provider && view.request?.provider !== provider);
    };
    const { items: page, next } = await newestFirstPage({
      query: windowQuery,
      limit,
      accept,
      after,
      nowMs: Date.now(),
    });
    const signer = deps.signer();
    const container = deps.config().videoContainer;
    const items = await Promise.all(
      page.map(async (status) =>
        withoutCallbackSecrets(await completeView(client, toVideoStatus(status), signer, container)),
      ),
    );
    const body: VideoList = { items, ...(next ? { continuationToken: encodePosition(next) } : {}) };
    return { status: 200, jsonBody: body };
  }
  // A durable or storage call that runs out of time answers 503 with Retry-After, as the rest of the videos API does.
  return { listVideos: answeringTimeoutsWith503(listVideos) };
}
