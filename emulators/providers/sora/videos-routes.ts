// The videos API (Sora 2): one handler per route, served under /openai/v1 (Azure) and /v1
// (OpenAI) over the one store of videos, so a video made on one is visible on the other.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { videoOnce, type RequestContext } from '../core.js';
import { sendBytes, sendJson, serveFile } from '../http-util.js';
import type { InputImage } from '../image-fetch.js';
import { spritesheetJpeg, thumbnailWebp } from '../images.js';
import { jobDurationMs } from '../jobs-api.js';
import type { RouteSpec } from '../routing.js';
import { validateCreateVideo, type CreateVideoInput } from '../videos-api.js';
import { readBodyOrFail } from './gate.js';
import { contentGone, running, videoState, type SoraState, type Video } from './state.js';
import { deploymentNotFound, fail, tooManyRunning, videoView } from './wire.js';

const videoNotFound = (ctx: RequestContext) =>
  fail(ctx.res, {
    status: 404,
    code: 'NotFound',
    message: `Video ${ctx.params.video_id} not found.`,
    type: 'invalid_request_error',
  });

/** Creates a video (a remix names its source) within the deployment's create quota and running-jobs limit. */
function startVideo(
  state: SoraState,
  res: ServerResponse,
  input: CreateVideoInput,
  remixedFrom: string | null,
  image?: InputImage,
) {
  const { core } = state;
  const { settings } = core;
  if (!state.videoDeployments.has(input.model)) return deploymentNotFound(res, input.model);
  const now = Date.now();
  const creates = state.videoCreates.at(input.model, now);
  const retryAfter = creates.retryAfter(settings.videosCreatesPerMinute);
  if (retryAfter !== undefined) {
    return fail(
      res,
      {
        status: 429,
        code: 'rate_limit_exceeded',
        message: `Rate limit of ${settings.videosCreatesPerMinute} create requests per minute exceeded. Retry after ${retryAfter} seconds.`,
        type: 'video_generation_user_error',
      },
      { 'retry-after': retryAfter },
    );
  }
  if (running(state, input.model) >= settings.maxRunningJobs) return tooManyRunning(res, settings.timeScale);
  creates.record();
  const [width, height] = input.size.split('x').map(Number);
  const id = `video_${randomUUID().replace(/-/g, '')}`;
  const video: Video = {
    id,
    input,
    createdMs: Date.now(),
    totalMs: core.jittered(
      jobDurationMs({ width, height, n_seconds: Number(input.seconds), n_variants: 1 }, settings.timeScale),
    ),
    remixedFrom,
    moderated: core.denied(input.prompt),
    lateFailure: core.drawLateFailure(),
    expired: false,
    file: path.join(core.dataDir, `${id}.mp4`),
    image,
  };
  state.videos.set(id, video);
  core.countCreate('videos', input.model, running(state, input.model));
  return sendJson(res, 200, videoView(video, settings.contentTtlSeconds));
}

async function createVideo(state: SoraState, ctx: RequestContext) {
  const body = await readBodyOrFail(ctx);
  if (!body) return;
  const input = validateCreateVideo(body.fields);
  if ('status' in input) return fail(ctx.res, input);
  // input_reference: a PNG, JPEG or WebP whose size equals `size` (docs/providers/openai-videos.md);
  // its average colour becomes the video's first frame.
  const reference = body.files.find((f) => f.field === 'input_reference');
  let image: InputImage | undefined;
  if (reference) {
    const decoded = state.core.inputImageOf(reference.content);
    if ('failure' in decoded)
      return fail(ctx.res, {
        status: 400,
        code: 'invalid_value',
        message: `input_reference must be a PNG, JPEG or WebP image (${decoded.failure.message}).`,
        param: 'input_reference',
        type: 'invalid_request_error',
      });
    image = decoded.image;
    if (`${image.width}x${image.height}` !== input.size) {
      return fail(ctx.res, {
        status: 400,
        code: 'invalid_value',
        message: `Inpaint image must match the requested width and height (got ${image.width}x${image.height}, expected ${input.size}).`,
        param: 'input_reference',
        type: 'invalid_request_error',
      });
    }
  }
  return startVideo(state, ctx.res, input, null, image);
}

function listVideos(state: SoraState, ctx: RequestContext) {
  const { searchParams } = ctx.url;
  const limit = Math.min(100, Math.max(1, Number(searchParams.get('limit') ?? 20) || 20));
  const ordered = [...state.videos.values()];
  if (searchParams.get('order') !== 'asc') ordered.reverse();
  const after = searchParams.get('after');
  const start = after ? ordered.findIndex((v) => v.id === after) + 1 : 0;
  const data = ordered
    .slice(start, start + limit)
    .map((video) => videoView(video, state.core.settings.contentTtlSeconds));
  return sendJson(ctx.res, 200, {
    object: 'list',
    data,
    has_more: start + data.length < ordered.length,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  });
}

function getVideo(state: SoraState, ctx: RequestContext) {
  const video = state.videos.get(ctx.params.video_id);
  return video
    ? sendJson(ctx.res, 200, videoView(video, state.core.settings.contentTtlSeconds))
    : videoNotFound(ctx);
}

function deleteVideo(state: SoraState, ctx: RequestContext) {
  if (!state.videos.delete(ctx.params.video_id)) return videoNotFound(ctx);
  return sendJson(ctx.res, 200, { id: ctx.params.video_id, object: 'video.deleted', deleted: true });
}

async function videoContent(state: SoraState, ctx: RequestContext) {
  const { res } = ctx;
  const video = state.videos.get(ctx.params.video_id);
  if (
    !video ||
    videoState(video).status !== 'completed' ||
    contentGone(state, video.createdMs + video.totalMs, video.expired)
  ) {
    return fail(res, {
      status: 404,
      code: 'NotFound',
      message: 'Video content not found.',
      type: 'invalid_request_error',
    });
  }
  const variant = ctx.url.searchParams.get('variant') ?? 'video';
  const [width, height] = video.input.size.split('x').map(Number);
  // The Sora 2 thumbnail is WebP, the spritesheet JPEG (docs/providers/openai-videos.md#content).
  if (variant === 'thumbnail')
    return sendBytes(res, thumbnailWebp(width, height, video.input.prompt), 'image/webp');
  if (variant === 'spritesheet')
    return sendBytes(res, spritesheetJpeg(width, height, video.input.prompt), 'image/jpeg');
  if (variant !== 'video')
    return fail(res, {
      status: 400,
      code: 'invalid_value',
      message: `Invalid value: '${variant}'. Supported values are: 'video', 'thumbnail' and 'spritesheet'.`,
      param: 'variant',
      type: 'invalid_request_error',
    });
  await videoOnce(
    state.core,
    video,
    {
      width,
      height,
      seconds: Number(video.input.seconds),
      seed: video.input.prompt,
      padToBytes: state.core.options.padToBytes,
      firstFrame: video.image?.average,
    },
    video.file,
  );
  return serveFile(ctx.req, res, video.file, ctx.injected.truncate);
}

async function remixVideo(state: SoraState, ctx: RequestContext) {
  const source = state.videos.get(ctx.params.video_id);
  if (!source) return videoNotFound(ctx);
  const body = await readBodyOrFail(ctx);
  if (!body) return;
  if (typeof body.fields.prompt !== 'string' || body.fields.prompt === '')
    return fail(ctx.res, {
      status: 400,
      code: 'invalid_value',
      message: "Missing required parameter: 'prompt'.",
      param: 'prompt',
      type: 'invalid_request_error',
    });
  return startVideo(state, ctx.res, { ...source.input, prompt: body.fields.prompt }, source.id);
}

/** The videos API's routes under a base path (`/openai/v1` for Azure, `/v1` for OpenAI), in matching order. */
export function videosRoutes(base: string): Array<RouteSpec<SoraState, string>> {
  const b = base.replace(/\//g, '\\/');
  return [
    { template: `POST ${base}/videos`, pattern: new RegExp(`^POST ${b}\\/videos$`), handle: createVideo },
    { template: `GET ${base}/videos`, pattern: new RegExp(`^GET ${b}\\/videos$`), handle: listVideos },
    {
      template: `GET ${base}/videos/{video_id}`,
      pattern: new RegExp(`^GET ${b}\\/videos\\/(?<video_id>video_[^/]+)$`),
      handle: getVideo,
    },
    {
      template: `DELETE ${base}/videos/{video_id}`,
      pattern: new RegExp(`^DELETE ${b}\\/videos\\/(?<video_id>video_[^/]+)$`),
      handle: deleteVideo,
    },
    {
      template: `GET ${base}/videos/{video_id}/content`,
      pattern: new RegExp(`^(GET|HEAD) ${b}\\/videos\\/(?<video_id>video_[^/]+)\\/content$`),
      handle: videoContent,
    },
    {
      template: `POST ${base}/videos/{video_id}/remix`,
      pattern: new RegExp(`^POST ${b}\\/videos\\/(?<video_id>video_[^/]+)\\/remix$`),
      handle: remixVideo,
    },
  ];
}
