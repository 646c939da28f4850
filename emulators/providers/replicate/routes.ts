// Replicate's predictions API (docs/providers/replicate.md) under /replicate/v1: one handler per
// route. Output files under /replicate/delivery are open (the official client sends no
// token there); the rest run behind gate.ts.
import type { RequestContext } from '../core.js';
import { originOf, sendJson } from '../http-util.js';
import { serveOutputFile, type RouteSpec } from '../routing.js';
import { readCreateRequest } from './create-request.js';
import { ownPrediction } from './gate.js';
import { newPrediction, videoOf, type Prediction, type ReplicateDeps } from './state.js';
import { sendEvent } from './webhooks.js';
import { dataGone, imageError, predictionView, problem } from './wire.js';

const PAGE_SIZE = 100;

/** Served without auth; an Authorization header is accepted and ignored. */
async function deliveryFile(deps: ReplicateDeps, ctx: RequestContext) {
  const { queue } = deps;
  const p = queue.get(ctx.params.id);
  const state = p && queue.state(p);
  if (
    !p ||
    !state ||
    state.phase !== 'succeeded' ||
    ctx.params.file_name !== 'output.mp4' ||
    dataGone(p, state, deps.core.settings.replicateDataTtlSeconds)
  )
    return problem(ctx.res, 404, 'Not found', 'The requested file does not exist.');
  await videoOf(deps.core, p);
  return serveOutputFile(ctx, p.file);
}

/** `Prefer: wait[=n]` holds the answer until the prediction ends or n seconds (≤ 60) pass
 * (docs/providers/replicate.md#request-headers). */
async function preferWait(deps: ReplicateDeps, ctx: RequestContext, p: Prediction): Promise<boolean> {
  const prefer = /^\s*wait(?:=(\d+))?\s*$/.exec(String(ctx.req.headers.prefer ?? ''));
  // `wait=0` is outside the documented 1–60 and asks for no wait (as a Prefer the server does not
  // understand, RFC 7240 §2); above 60 is held to 60.
  if (!prefer || /^0+$/.test(prefer[1] ?? '')) return false;
  const deadline = Date.now() + Math.min(60, Number(prefer[1] ?? 60)) * 1000;
  while (Date.now() < deadline && deps.queue.state(p).finishedMs === null && !ctx.res.destroyed)
    await new Promise((r) => setTimeout(r, 25));
  return true;
}

/** Replicate's runner downloads a file input when the prediction starts; one that fails to
 * download or is not an image fails the prediction then. The emulator starts the download at
 * create (the 201 does not wait for it) and the prediction cannot start before it ends. */
function fetchImageFor(deps: ReplicateDeps, p: Prediction, field: string, url: string) {
  p.awaitingInput = true;
  void deps.core.fetchInputImage(url).then((fetched) => {
    if ('image' in fetched) p.image = fetched.image;
    else {
      p.inputError = imageError(field, fetched.failure);
      p.moderated = true;
      p.lateFailure = null;
    }
    deps.queue.settle(p);
  });
}

/** Both create routes: by model path, or by `version`; refused without credit or over the per-minute quota before the body is read. */
async function create(deps: ReplicateDeps, ctx: RequestContext, token: string) {
  const { core, queue } = deps;
  const { settings } = core;
  if (settings.replicateCreditExhausted) {
    return problem(
      ctx.res,
      402,
      'Insufficient credit',
      'You have insufficient credit to run this model. Go to https://replicate.com/account/billing#billing to purchase credit. Once you purchase credit, please wait a few minutes before trying again.',
    );
  }
  const now = Date.now();
  const creates = deps.creates.at(token, now);
  const retryAfter = creates.retryAfter(settings.replicateCreatesPerMinute);
  // Replicate's documented throttle body is just `detail`; title and status make it a problem document too.
  if (retryAfter !== undefined)
    return problem(
      ctx.res,
      429,
      'Request was throttled',
      `Request was throttled. Your rate limit resets in ~${retryAfter}s.`,
      {},
      { 'retry-after': retryAfter },
    );
  const request = await readCreateRequest(ctx);
  if (!request) return;
  creates.record();
  // Created once its body is read, not when the request arrived: under load reading it can take
  // longer than the boot time, and the `start` webhook sent next would show it already processing.
  const p = newPrediction(core, ctx, token, request, Date.now());
  const imageUrl = request.model.imageField ? request.resolved[request.model.imageField] : undefined;
  if (typeof imageUrl === 'string') fetchImageFor(deps, p, request.model.imageField!, imageUrl);
  queue.add(p);
  core.countCreate('replicate', p.model.id, queue.runningBy((j) => j.model.id)[p.model.id] ?? 0);
  if (p.webhook) {
    if (p.filter?.includes('start')) sendEvent(deps, p, false);
    deps.watcher.add(p);
  }
  const waited = await preferWait(deps, ctx, p);
  // A wait that ran out answers the prediction as it is, with where to poll it.
  const headers: Record<string, string> =
    waited && deps.queue.state(p).finishedMs === null ? { location: predictionView(deps, p).urls.get } : {};
  return sendJson(ctx.res, 201, predictionView(deps, p), headers);
}

/** The token's predictions newest first, a page at a time; `next`/`previous` are full URLs with a cursor. */
function list(deps: ReplicateDeps, ctx: RequestContext, token: string) {
  const { url } = ctx;
  const after = url.searchParams.get('created_after');
  const before = url.searchParams.get('created_before');
  const source = url.searchParams.get('source');
  const afterMs = after === null ? -Infinity : Date.parse(after);
  const beforeMs = before === null ? Infinity : Date.parse(before);
  if (Number.isNaN(afterMs) || Number.isNaN(beforeMs))
    return problem(
      ctx.res,
      400,
      'Invalid request',
      'created_after and created_before must be ISO 8601 date-times.',
    );
  if (source !== null && source !== 'web')
    return problem(ctx.res, 400, 'Invalid request', `source must be "web", got "${source}".`);
  // created_after is inclusive ("at or after"), created_before exclusive; `source=web` keeps only
  // predictions made on the website, and every one made here came through the API.
  const mine = [...deps.queue.all.values()]
    .filter((p) => p.account === token && p.createdMs >= afterMs && p.createdMs < beforeMs && source === null)
    .reverse();
  const offset = Math.max(
    0,
    Number(Buffer.from(url.searchParams.get('cursor') ?? '', 'base64url').toString() || 0) || 0,
  );
  const page = mine.slice(offset, offset + PAGE_SIZE);
  const link = (at: number) => {
    const next = new URL(`${originOf(ctx.req)}/replicate/v1/predictions`);
    if (source !== null) next.searchParams.set('source', source);
    if (after !== null) next.searchParams.set('created_after', after);
    if (before !== null) next.searchParams.set('created_before', before);
    next.searchParams.set('cursor', Buffer.from(String(at)).toString('base64url'));
    return next.toString();
  };
  return sendJson(ctx.res, 200, {
    next: offset + PAGE_SIZE < mine.length ? link(offset + PAGE_SIZE) : null,
    previous: offset > 0 ? link(Math.max(0, offset - PAGE_SIZE)) : null,
    results: page.map((p) => predictionView(deps, p)),
  });
}

function get(deps: ReplicateDeps, ctx: RequestContext, token: string) {
  const p = ownPrediction(deps, ctx, token);
  if (!p) return;
  return sendJson(ctx.res, 200, predictionView(deps, p));
}

/** Any time before the end → canceled; after the end the prediction is returned unchanged. */
function cancel(deps: ReplicateDeps, ctx: RequestContext, token: string) {
  const p = ownPrediction(deps, ctx, token);
  if (!p) return;
  if (deps.queue.state(p).finishedMs === null) deps.queue.cancel(p);
  return sendJson(ctx.res, 200, predictionView(deps, p));
}

function webhookSecret(deps: ReplicateDeps, ctx: RequestContext) {
  return sendJson(ctx.res, 200, { key: deps.secret });
}

/** Replicate's routes, in matching order. */
export const REPLICATE_ROUTES: Array<RouteSpec<ReplicateDeps, string>> = [
  {
    template: 'POST /replicate/v1/models/{owner}/{name}/predictions',
    pattern: /^POST \/replicate\/v1\/models\/(?<owner>[^/]+)\/(?<name>[^/]+)\/predictions$/,
    handle: create,
  },
  {
    template: 'POST /replicate/v1/predictions',
    pattern: /^POST \/replicate\/v1\/predictions$/,
    handle: create,
  },
  { template: 'GET /replicate/v1/predictions', pattern: /^GET \/replicate\/v1\/predictions$/, handle: list },
  {
    template: 'GET /replicate/v1/predictions/{id}',
    pattern: /^GET \/replicate\/v1\/predictions\/(?<id>[^/]+)$/,
    handle: get,
  },
  {
    template: 'POST /replicate/v1/predictions/{id}/cancel',
    pattern: /^POST \/replicate\/v1\/predictions\/(?<id>[^/]+)\/cancel$/,
    handle: cancel,
  },
  {
    template: 'GET /replicate/v1/webhooks/default/secret',
    pattern: /^GET \/replicate\/v1\/webhooks\/default\/secret$/,
    handle: webhookSecret,
  },
  {
    template: 'GET /replicate/delivery/{id}/{file_name}',
    pattern: /^(GET|HEAD) \/replicate\/delivery\/(?<id>[^/]+)\/(?<file_name>[^/]+)$/,
    open: deliveryFile,
  },
];
