// The Gemini API's Veo surface (docs/providers/gemini.md) under /v1beta: predictLongRunning,
// the operation's GET, and the generated files' media download, all behind gate.ts. The API has
// no cancel for these operations (models.operations has get and list only), so neither has this.
import type { RequestContext } from '../core.js';
import { readJsonObject, serveFile } from '../http-util.js';
import type { RouteSpec } from '../routing.js';
import { parseCreateRequest } from './create-request.js';
import { notFound, ownOperation } from './gate.js';
import { VEO_MODELS } from './models.js';
import { newOperation, videoOf, type GeminiDeps } from './state.js';
import { googleError, operationView, retryInfo, sendGoogleJson } from './wire.js';

/** Over the per-minute quota of this key and model: Google's quota answer, the wait in RetryInfo. */
function quotaExceeded(ctx: RequestContext, modelId: string, limit: number, retryAfter: number) {
  googleError(
    ctx.res,
    'RESOURCE_EXHAUSTED',
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
    [
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [
          {
            quotaMetric: 'generativelanguage.googleapis.com/predict_long_running_requests',
            quotaId: 'PredictLongRunningRequestsPerMinutePerProjectPerModel',
            quotaDimensions: { model: modelId, location: 'global' },
            quotaValue: String(limit),
          },
        ],
      },
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [
          {
            description: 'Learn more about Gemini API quotas',
            url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
          },
        ],
      },
      retryInfo(retryAfter),
    ],
  );
}

/** `POST /v1beta/models/{model}:predictLongRunning`: unknown model 404, then the quota, then the body's checks. */
async function create(deps: GeminiDeps, ctx: RequestContext, key: string) {
  const { core, queue } = deps;
  const model = VEO_MODELS[ctx.params.model];
  if (!model)
    return googleError(
      ctx.res,
      'NOT_FOUND',
      `models/${ctx.params.model} is not found for API version v1beta, or is not supported for predictLongRunning. Call ListModels to see the list of available models and their supported methods.`,
    );
  const limit = core.settings.geminiCreatesPerMinute;
  const creates = deps.creates.at(`${key} ${model.id}`, Date.now());
  const retryAfter = creates.retryAfter(limit);
  if (retryAfter !== undefined) return quotaExceeded(ctx, model.id, limit, retryAfter);
  const body = await readJsonObject(ctx.req);
  if (body === 'invalid') return googleError(ctx.res, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
  const request = parseCreateRequest(model, body ?? {});
  if (typeof request === 'string') return googleError(ctx.res, 'INVALID_ARGUMENT', request);
  // The first frame must decode in full (magic bytes alone let a truncated file through); its
  // average colour starts every sample (README, "Image-to-video").
  const firstFrame = request.firstFrame && core.inputImageOf(request.firstFrame);
  if (firstFrame && 'failure' in firstFrame)
    return googleError(
      ctx.res,
      'INVALID_ARGUMENT',
      `\`image\` is not a valid image (${firstFrame.failure.message}).`,
    );
  creates.record();
  const op = newOperation(core, ctx, key, model, request);
  op.image = firstFrame?.image;
  queue.add(op);
  for (const sample of op.samples) deps.files.set(sample.id, { op, sample });
  core.countCreate('gemini', model.id, queue.runningBy((o) => o.model.id)[model.id] ?? 0);
  return sendGoogleJson(ctx.res, operationView(deps, op));
}

/** `GET /v1beta/models/{model}/operations/{id}`: the operation, `done` once it ended. */
function getOperation(deps: GeminiDeps, ctx: RequestContext, key: string) {
  const op = ownOperation(deps, ctx, key);
  if (!op) return;
  return sendGoogleJson(ctx.res, operationView(deps, op));
}

/** `GET /v1beta/files/{id}:download?alt=media`: a succeeded sample's MP4 to the key that made it,
 * until the files' retention (geminiFileTtlSeconds, 2 days) ends or the admin expires it. */
async function download(deps: GeminiDeps, ctx: RequestContext, key: string) {
  if (ctx.url.searchParams.get('alt') !== 'media')
    return googleError(ctx.res, 'INVALID_ARGUMENT', 'Downloading a file needs `alt=media`.');
  const entry = deps.files.get(ctx.params.file_id);
  if (!entry || entry.op.account !== key) return notFound(ctx);
  const { op, sample } = entry;
  const { finishedMs, phase } = deps.queue.state(op);
  const ttlMs = deps.core.settings.geminiFileTtlSeconds * 1000;
  if (phase !== 'succeeded' || op.expired || Date.now() > finishedMs! + ttlMs) return notFound(ctx);
  await videoOf(deps.core, op, sample);
  return serveFile(ctx.req, ctx.res, sample.file, ctx.injected.truncate);
}

/** The Gemini dialect's routes, in matching order. */
export const GEMINI_ROUTES: Array<RouteSpec<GeminiDeps, string>> = [
  {
    template: 'POST /v1beta/models/{model}:predictLongRunning',
    pattern: /^POST \/v1beta\/models\/(?<model>[^/:]+):predictLongRunning$/,
    handle: create,
  },
  {
    template: 'GET /v1beta/models/{model}/operations/{operation_id}',
    pattern: /^GET \/v1beta\/models\/(?<model>[^/:]+)\/operations\/(?<operation_id>[^/:]+)$/,
    handle: getOperation,
  },
  {
    template: 'GET /v1beta/files/{file_id}:download',
    pattern: /^(GET|HEAD) \/v1beta\/files\/(?<file_id>[^/:]+):download$/,
    handle: download,
  },
];
