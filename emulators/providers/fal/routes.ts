// fal's queue API (docs/providers/fal.md) under /fal: one handler per route. The JWKS and the
// output files are open (fal's CDN serves files without auth); the rest run behind gate.ts.
import type { RequestContext } from '../core.js';
import { readJsonObject, sendJson } from '../http-util.js';
import { serveOutputFile, type RouteSpec } from '../routing.js';
import { FAL_MODELS, validateInput } from '../video-models.js';
import { ownRequest } from './gate.js';
import { newFalRequest, resultOf, type FalDeps, type FalRequest } from './state.js';
import {
  detail,
  imageErrorItem,
  outcomeHeaders,
  outcomeOf,
  statusView,
  urls,
  validationDetail,
} from './wire.js';

function jwks(deps: FalDeps, ctx: RequestContext) {
  return sendJson(ctx.res, 200, deps.signer.jwks);
}

async function outputFile(deps: FalDeps, ctx: RequestContext) {
  const { queue } = deps;
  const r = queue.get(ctx.params.request_id);
  const state = r && queue.state(r);
  const gone =
    !r ||
    !state ||
    state.phase !== 'succeeded' ||
    ctx.params.file_name !== 'output.mp4' ||
    r.expired ||
    Date.now() > state.finishedMs! + r.fileTtlSeconds * 1000;
  if (gone) return detail(ctx.res, 404, { detail: 'Not Found' });
  await resultOf(deps.core, r);
  return serveOutputFile(ctx, r.file);
}

/** 429 when `fal_max_queue_length` or more of the caller's requests to this model are still waiting; false when answered. */
function queueHasRoom(deps: FalDeps, ctx: RequestContext, key: string, model: FalRequest['model']): boolean {
  const maxQueue = ctx.url.searchParams.get('fal_max_queue_length');
  if (maxQueue === null) return true;
  const { queue } = deps;
  // The caller's own requests still waiting at this endpoint.
  const waiting = [...queue.all.values()].filter(
    (r) => r.account === key && r.model === model && queue.state(r).phase === 'queued',
  ).length;
  if (waiting < Number(maxQueue)) return true;
  detail(
    ctx.res,
    429,
    { detail: `Queue is full: ${waiting} requests waiting, fal_max_queue_length is ${maxQueue}.` },
    { 'retry-after': Math.max(1, Math.ceil((2000 * deps.core.settings.timeScale) / 1000)) },
  );
  return false;
}

/** X-Fal-Request-Timeout must be a number of seconds above fal's documented minimum of 0.1
 * (docs/providers/fal.md#request-headers); otherwise 400 `bad_request`, fal's request error for
 * "an invalid timeout header". False when answered. */
function startTimeoutValid(ctx: RequestContext): boolean {
  const header = ctx.req.headers['x-fal-request-timeout'];
  if (header === undefined) return true;
  const seconds = Number(header);
  if (String(header).trim() !== '' && Number.isFinite(seconds) && seconds > 0.1) return true;
  detail(
    ctx.res,
    400,
    {
      detail: `X-Fal-Request-Timeout must be a number of seconds greater than 0.1, got "${String(header)}".`,
      error_type: 'bad_request',
    },
    { 'x-fal-error-type': 'bad_request' },
  );
  return false;
}

/** fal's runner downloads the image when the request starts; a failed download or a file that is
 * not an image is the request's 422 outcome, like any input the model refuses. The emulator starts
 * the download at submit (the answer does not wait for it) and the request cannot start before it
 * ends (README, "Image-to-video"). */
function fetchImageFor(deps: FalDeps, r: FalRequest, field: string, url: string) {
  r.awaitingInput = true;
  void deps.core.fetchInputImage(url).then((fetched) => {
    if ('image' in fetched) r.image = fetched.image;
    else {
      r.inputErrors = [imageErrorItem(field, fetched.failure)];
      r.moderated = true;
      r.lateFailure = null;
    }
    deps.queue.settle(r);
  });
}

async function submit(deps: FalDeps, ctx: RequestContext, key: string) {
  const { res, params } = ctx;
  const { core, queue } = deps;
  const model = FAL_MODELS[params.model_id];
  if (!model) return detail(res, 404, { detail: `Application '${params.model_id}' not found.` });
  const body = await readJsonObject(ctx.req);
  if (body === 'invalid')
    return detail(res, 422, { detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });
  // The queue accepts any JSON object; the model's 422 is the request's outcome (fal's webhook
  // docs show it arriving as an ERROR webhook; docs/providers/fal.md#webhooks).
  const checked = validateInput(model.schema, body ?? {});
  if (!startTimeoutValid(ctx)) return;
  if (!queueHasRoom(deps, ctx, key, model)) return;
  const r =
    'problems' in checked
      ? newFalRequest(core, ctx, key, model, body ?? {}, validationDetail(checked.problems))
      : newFalRequest(core, ctx, key, model, checked.input);
  const imageUrl = 'input' in checked && model.imageField ? checked.input[model.imageField] : undefined;
  if (typeof imageUrl === 'string') fetchImageFor(deps, r, model.imageField!, imageUrl);
  queue.add(r);
  core.countCreate('fal', model.id, queue.runningBy((j) => j.model.id)[model.id] ?? 0);
  if (r.webhookUrl) deps.watcher.add(r);
  const state = queue.state(r);
  return detail(
    res,
    200,
    {
      status: 'IN_QUEUE',
      request_id: r.id,
      gateway_request_id: r.id,
      ...urls(r),
      queue_position: state.queuePosition,
    },
    { 'x-fal-request-id': r.id },
  );
}

function status(deps: FalDeps, ctx: RequestContext, key: string) {
  const r = ownRequest(deps, ctx, key);
  if (!r) return;
  const view = statusView(deps.queue, r, ctx.url.searchParams.get('logs') === '1');
  return detail(ctx.res, view.status === 'COMPLETED' ? 200 : 202, view, { 'x-fal-request-id': r.id });
}

/** Server-sent status events until COMPLETED (docs/providers/fal.md#endpoints), with pings to keep
 * the line open. */
function statusStream(deps: FalDeps, ctx: RequestContext, key: string) {
  const r = ownRequest(deps, ctx, key);
  if (!r) return;
  const { res } = ctx;
  const withLogs = ctx.url.searchParams.get('logs') === '1';
  res.writeHead(200, {
    'x-fal-request-id': r.id,
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  let last = '';
  let sinceEvent = 0;
  const tick = () => {
    const view = statusView(deps.queue, r, withLogs);
    const text = JSON.stringify(view);
    if (text !== last) {
      res.write(`data: ${text}\n\n`);
      last = text;
      sinceEvent = 0;
    } else if ((sinceEvent += 50) >= 1000) {
      res.write(': ping\n\n');
      sinceEvent = 0;
    }
    if (view.status === 'COMPLETED') {
      clearInterval(timer);
      res.end();
    }
  };
  const timer = setInterval(tick, 50);
  res.on('close', () => clearInterval(timer));
  tick();
}

async function result(deps: FalDeps, ctx: RequestContext, key: string) {
  const r = ownRequest(deps, ctx, key);
  if (!r) return;
  const state = deps.queue.state(r);
  // The words @ai-sdk/fal 3.0.41 matches exactly to tell "not yet" from a failure (fal's own
  // docs leave the answer before COMPLETED unconfirmed: docs/providers/fal.md#result).
  if (state.finishedMs === null)
    return detail(ctx.res, 400, { detail: 'Request is still in progress' }, { 'x-fal-request-id': r.id });
  const outcome = outcomeOf(r, state);
  if (outcome) return detail(ctx.res, outcome.status, outcome.body, outcomeHeaders(r, outcome));
  return detail(ctx.res, 200, await resultOf(deps.core, r), { 'x-fal-request-id': r.id });
}

/** A queued request is removed (it ends as client_cancelled); a running one gets the app's
 * cancel signal (docs/providers/fal.md#cancel), which the emulated apps honour unless
 * `falIgnoreRunningCancel` says the app runs on: then the answer is the same 202 and the
 * request ends as it would have, its video made (and billed). */
function cancel(deps: FalDeps, ctx: RequestContext, key: string) {
  // The cancel's answers are `{status}` objects, NOT_FOUND among them (docs/providers/fal.md#cancel).
  const r = ownRequest(deps, ctx, key, { status: 'NOT_FOUND' });
  if (!r) return;
  const headers = { 'x-fal-request-id': r.id };
  const state = deps.queue.state(r);
  if (state.finishedMs !== null) return detail(ctx.res, 400, { status: 'ALREADY_COMPLETED' }, headers);
  if (state.phase !== 'running' || !deps.core.settings.falIgnoreRunningCancel) deps.queue.cancel(r);
  return detail(ctx.res, 202, { status: 'CANCELLATION_REQUESTED' }, headers);
}

/** fal's routes, in matching order (the files and request routes before the catch-all submit); `{owner}/{app}` is the first two segments of the model id, three for workflows/ and comfy/. */
export const FAL_ROUTES: Array<RouteSpec<FalDeps, string>> = [
  {
    template: 'GET /fal/.well-known/jwks.json',
    pattern: /^GET \/fal\/\.well-known\/jwks\.json$/,
    open: jwks,
  },
  {
    template: 'GET /fal/files/{request_id}/{file_name}',
    pattern: /^(GET|HEAD) \/fal\/files\/(?<request_id>[^/]+)\/(?<file_name>[^/]+)$/,
    open: outputFile,
  },
  {
    template: 'GET /fal/{owner}/{app}/requests/{request_id}/status/stream',
    pattern:
      /^GET \/fal\/(?<app>(?:workflows\/|comfy\/)?[^/]+\/[^/]+)\/requests\/(?<request_id>[^/]+)\/status\/stream$/,
    handle: statusStream,
  },
  {
    template: 'GET /fal/{owner}/{app}/requests/{request_id}/status',
    pattern:
      /^GET \/fal\/(?<app>(?:workflows\/|comfy\/)?[^/]+\/[^/]+)\/requests\/(?<request_id>[^/]+)\/status$/,
    handle: status,
  },
  {
    template: 'GET /fal/{owner}/{app}/requests/{request_id}',
    pattern: /^GET \/fal\/(?<app>(?:workflows\/|comfy\/)?[^/]+\/[^/]+)\/requests\/(?<request_id>[^/]+)$/,
    handle: result,
  },
  {
    template: 'PUT /fal/{owner}/{app}/requests/{request_id}/cancel',
    pattern:
      /^PUT \/fal\/(?<app>(?:workflows\/|comfy\/)?[^/]+\/[^/]+)\/requests\/(?<request_id>[^/]+)\/cancel$/,
    handle: cancel,
  },
  { template: 'POST /fal/{model_id}', pattern: /^POST \/fal\/(?<model_id>[^?]+)$/, handle: submit },
];
