// The AI Gateway's asynchronous video surface as @ai-sdk/gateway 4.0.158 calls it
// (docs/providers/ai-gateway.md) under /gateway/v4/ai: `POST /video-model/start` and
// `POST /video-model/status`, behind gate.ts, and the videos served open from
// /gateway/files/…. The synchronous `POST /video-model` (an event stream) is not served.
import type { RequestContext } from '../core.js';
import { readJsonObject, sendJson } from '../http-util.js';
import { serveOutputFile, type RouteSpec } from '../routing.js';
import { parseStartRequest } from './create-request.js';
import { GATEWAY_VIDEO_MODELS } from './models.js';
import { newGeneration, videoOf, type GatewayDeps } from './state.js';
import { gatewayError, statusView } from './wire.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `POST /v4/ai/video-model/start`: the model in `ai-model-id`, the call options in the body; 200 `{operation}`. */
async function start(deps: GatewayDeps, ctx: RequestContext, key: string) {
  const { core, queue } = deps;
  const model = String(ctx.req.headers['ai-model-id'] ?? '');
  if (!GATEWAY_VIDEO_MODELS.includes(model))
    return gatewayError(ctx.res, 404, 'model_not_found', `Model '${model}' not found.`, { modelId: model });
  const body = await readJsonObject(ctx.req);
  if (body === 'invalid')
    return gatewayError(ctx.res, 400, 'invalid_request_error', 'The body is not a JSON object.');
  const request = parseStartRequest(body ?? {});
  if (typeof request === 'string') return gatewayError(ctx.res, 400, 'invalid_request_error', request);
  // A start sent again with the same idempotency-key gets the generation it started.
  const idempotencyKey = ctx.req.headers['idempotency-key'];
  const remembered = typeof idempotencyKey === 'string' ? `${key} ${idempotencyKey}` : undefined;
  const earlier = remembered === undefined ? undefined : deps.idempotent.get(remembered);
  if (earlier) return sendJson(ctx.res, 200, { operation: { id: earlier.id }, warnings: [] });
  const generation = newGeneration(core, ctx, key, model, request);
  queue.add(generation);
  if (remembered !== undefined) deps.idempotent.set(remembered, generation);
  for (const video of generation.videos) deps.files.set(video.id, { generation, video });
  core.countCreate('gateway', model, queue.runningBy((g) => g.model)[model] ?? 0);
  return sendJson(ctx.res, 200, { operation: { id: generation.id }, warnings: [] });
}

/** `POST /v4/ai/video-model/status` with `{operation}`: the caller's generation, or 404 `not_found`. */
async function status(deps: GatewayDeps, ctx: RequestContext, key: string) {
  const body = await readJsonObject(ctx.req);
  const operation = isObject(body) ? body.operation : undefined;
  const generation = isObject(operation) ? deps.queue.get(String(operation.id)) : undefined;
  if (!generation || generation.account !== key)
    return gatewayError(ctx.res, 404, 'not_found', 'No video generation matches this operation.');
  return sendJson(ctx.res, 200, statusView(deps, generation));
}

/** A finished video, open (as a provider's CDN serves it) until the admin expires its generation. */
async function file(deps: GatewayDeps, ctx: RequestContext) {
  const entry = deps.files.get(ctx.params.file_id);
  if (!entry || entry.generation.expired || deps.queue.state(entry.generation).phase !== 'succeeded')
    return gatewayError(ctx.res, 404, 'not_found', 'Not found.');
  await videoOf(deps.core, entry.generation, entry.video);
  return serveOutputFile(ctx, entry.video.file);
}

/** The AI Gateway dialect's routes, in matching order. */
export const GATEWAY_ROUTES: Array<RouteSpec<GatewayDeps, string>> = [
  {
    template: 'POST /gateway/v4/ai/video-model/start',
    pattern: /^POST \/gateway\/v4\/ai\/video-model\/start$/,
    handle: start,
  },
  {
    template: 'POST /gateway/v4/ai/video-model/status',
    pattern: /^POST \/gateway\/v4\/ai\/video-model\/status$/,
    handle: status,
  },
  {
    template: 'GET /gateway/files/{file_id}',
    pattern: /^(GET|HEAD) \/gateway\/files\/(?<file_id>[^/]+)\.mp4$/,
    open: file,
  },
];
