// xAI's deferred video API (docs/providers/xai.md) under /xai/v1: the generation's create and
// the request's GET behind gate.ts, and the finished video served open from /xai/vidgen/…, as
// xAI's video URLs are public files. The API has no cancel, list or delete for video requests,
// so neither has this; edits and extensions are not served.
import type { RequestContext } from '../core.js';
import type { ImageFailure } from '../image-fetch.js';
import { readJsonObject, sendJson } from '../http-util.js';
import { serveOutputFile, type RouteSpec } from '../routing.js';
import { parseCreateRequest } from './create-request.js';
import { ownRequest } from './gate.js';
import { newVideoRequest, videoOf, type VideoRequest, type XaiDeps } from './state.js';
import { statusView, xaiError } from './wire.js';

/** xAI fetches a start image when the generation runs; one that does not download or decode
 * fails the request (`invalid_argument`). The emulator starts the download at create (the answer
 * does not wait for it) and the request cannot start before it ends (README, "Image-to-video"). */
function fetchStartImage(deps: XaiDeps, r: VideoRequest, url: string) {
  r.awaitingInput = true;
  void deps.core.fetchInputImage(url).then((fetched) => {
    if ('image' in fetched) r.image = fetched.image;
    else {
      r.inputError = startImageError(fetched.failure);
      r.moderated = true;
      r.lateFailure = null;
    }
    deps.queue.settle(r);
  });
}

/** The emulator's words for an unusable start image (xAI's are not in the sources read). */
const startImageError = (failure: ImageFailure) =>
  failure.kind === 'download'
    ? `Failed to download the image: ${failure.message}`
    : `The image could not be used: ${failure.message}`;

/** `POST /v1/videos/generations`: the body's checks, then one request; 200 `{request_id}`. */
async function create(deps: XaiDeps, ctx: RequestContext, key: string) {
  const body = await readJsonObject(ctx.req);
  if (body === 'invalid') return xaiError(ctx.res, 400, 'The request body is not a JSON object.');
  const request = parseCreateRequest(body ?? {});
  if ('status' in request) return xaiError(ctx.res, request.status, request.message);
  const { core, queue } = deps;
  const r = newVideoRequest(core, ctx, key, request);
  if (request.imageUrl) fetchStartImage(deps, r, request.imageUrl);
  queue.add(r);
  core.countCreate(
    'xai',
    request.model.id,
    queue.runningBy((v) => v.request.model.id)[request.model.id] ?? 0,
  );
  return sendJson(ctx.res, 200, { request_id: r.id });
}

/** `GET /v1/videos/{request_id}`: 202 while pending, 200 once done or failed. */
function getRequest(deps: XaiDeps, ctx: RequestContext, key: string) {
  const r = ownRequest(deps, ctx, key);
  if (!r) return;
  const { status, body } = statusView(deps, r);
  return sendJson(ctx.res, status, body);
}

/** The finished video's URL, open (as xAI's bucket serves it) until the admin expires it. */
async function videoFile(deps: XaiDeps, ctx: RequestContext) {
  const r = deps.queue.get(ctx.params.request_id);
  if (!r || r.expired || deps.queue.state(r).phase !== 'succeeded')
    return sendJson(ctx.res, 404, { code: 'NoSuchKey', message: 'The specified key does not exist.' });
  await videoOf(deps.core, r);
  return serveOutputFile(ctx, r.file);
}

/** The xAI dialect's routes, in matching order. */
export const XAI_ROUTES: Array<RouteSpec<XaiDeps, string>> = [
  {
    template: 'POST /xai/v1/videos/generations',
    pattern: /^POST \/xai\/v1\/videos\/generations$/,
    handle: create,
  },
  {
    template: 'GET /xai/v1/videos/{request_id}',
    pattern: /^GET \/xai\/v1\/videos\/(?<request_id>[^/]+)$/,
    handle: getRequest,
  },
  {
    template: 'GET /xai/vidgen/{file}',
    pattern: /^(GET|HEAD) \/xai\/vidgen\/xai-vidgen-bucket\/xai-video-(?<request_id>[^/]+)\.mp4$/,
    open: videoFile,
  },
];
