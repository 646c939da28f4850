// Azure OpenAI's Sora APIs (jobs API = Sora 1 under /openai/v1/video/generations, videos API =
// Sora 2 under /openai/v1/videos) and the same videos surface at /v1/videos as OpenAI serves
// it (Bearer auth, no api-version). Written from ../shared/docs/sora-api.md on their own.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { type Core, type Dialect, type LateFailure, type RequestContext, type Timing } from './core.js';
import { applyFaults } from './routing.js';
import { noContent, sendBytes, sendJson, serveFile, type Headers } from './http-util.js';
import { imageSize } from './image-size.js';
import { spritesheetJpeg, thumbnailJpeg, thumbnailWebp } from './images.js';
import { TERMINAL, jobDurationMs, statusAt, validateCreateJob, validateInpaintItems, type ApiErrorBody, type CreateJobInput, type JobStatus } from './jobs-api.js';
import { BodyError, readCreateBody } from './request-body.js';
import { validateCreateVideo, videoStateAt, type CreateVideoInput } from './videos-api.js';

interface Job {
  id: string;
  input: CreateJobInput;
  createdMs: number;
  totalMs: number;
  cancelled: boolean;
  moderated: boolean;
  lateFailure: LateFailure;
  expired: boolean;
  generations: Array<{ id: string; file: string; ready?: Promise<number> }>;
}

interface Video {
  id: string;
  input: CreateVideoInput;
  createdMs: number;
  totalMs: number;
  remixedFrom: string | null;
  moderated: boolean;
  lateFailure: LateFailure;
  expired: boolean;
  file: string;
  ready?: Promise<number>;
}

const JOBS_ROUTES: Array<[string, RegExp]> = [
  ['POST /openai/v1/video/generations/jobs', /^POST \/openai\/v1\/video\/generations\/jobs$/],
  ['GET /openai/v1/video/generations/jobs', /^GET \/openai\/v1\/video\/generations\/jobs$/],
  ['GET /openai/v1/video/generations/jobs/{job_id}', /^GET \/openai\/v1\/video\/generations\/jobs\/(?<job_id>[^/]+)$/],
  ['DELETE /openai/v1/video/generations/jobs/{job_id}', /^DELETE \/openai\/v1\/video\/generations\/jobs\/(?<job_id>[^/]+)$/],
  ['GET /openai/v1/video/generations/{generation_id}/content/video', /^(GET|HEAD) \/openai\/v1\/video\/generations\/(?<generation_id>[^/]+)\/content\/video$/],
  ['GET /openai/v1/video/generations/{generation_id}/content/thumbnail', /^GET \/openai\/v1\/video\/generations\/(?<generation_id>[^/]+)\/content\/thumbnail$/],
  ['GET /openai/v1/video/generations/{generation_id}', /^GET \/openai\/v1\/video\/generations\/(?<generation_id>gen_[^/]+)$/],
];

/** The videos API routes under a base path (`/openai/v1` for Azure, `/v1` for OpenAI). */
function videosRoutes(base: string): Array<[string, RegExp]> {
  const b = base.replace(/\//g, '\\/');
  return [
    [`POST ${base}/videos`, new RegExp(`^POST ${b}\\/videos$`)],
    [`GET ${base}/videos`, new RegExp(`^GET ${b}\\/videos$`)],
    [`GET ${base}/videos/{video_id}`, new RegExp(`^GET ${b}\\/videos\\/(?<video_id>video_[^/]+)$`)],
    [`DELETE ${base}/videos/{video_id}`, new RegExp(`^DELETE ${b}\\/videos\\/(?<video_id>video_[^/]+)$`)],
    [`GET ${base}/videos/{video_id}/content`, new RegExp(`^(GET|HEAD) ${b}\\/videos\\/(?<video_id>video_[^/]+)\\/content$`)],
    [`POST ${base}/videos/{video_id}/remix`, new RegExp(`^POST ${b}\\/videos\\/(?<video_id>video_[^/]+)\\/remix$`)],
  ];
}

const unixSeconds = (ms: number) => Math.floor(ms / 1000);

const fail = (res: ServerResponse, error: ApiErrorBody, headers?: Headers) =>
  sendJson(res, error.status, { error: { code: error.code, message: error.message, param: error.param ?? null, type: error.type ?? null } }, headers);

export function createSoraDialect(core: Core): Dialect {
  const { settings, options } = core;
  const deployments = new Set(options.jobsDeployments ?? ['sora']);
  const videoDeployments = new Set(options.videosDeployments ?? ['sora-2']);
  const jobs = new Map<string, Job>();
  const generations = new Map<string, { job: Job; index: number }>();
  const videos = new Map<string, Video>();
  /** Creation times per Sora 2 deployment, for the per-minute create quota. */
  const recentVideoCreates = new Map<string, number[]>();
  const contentGone = (finishedMs: number, expired: boolean) => expired || Date.now() > finishedMs + settings.contentTtlSeconds * 1000;

  const statusOf = (job: Job): JobStatus => {
    if (job.cancelled) return 'cancelled';
    if (job.moderated) return 'failed';
    const status = statusAt(Date.now() - job.createdMs, job.totalMs);
    return status === 'succeeded' && job.lateFailure ? 'failed' : status;
  };
  const videoState = (video: Video) => {
    if (video.moderated) return { status: 'failed' as const, progress: 0 };
    const state = videoStateAt(Date.now() - video.createdMs, video.totalMs);
    return state.status === 'completed' && video.lateFailure ? { status: 'failed' as const, progress: state.progress } : state;
  };
  const running = (model: string) =>
    [...jobs.values()].filter((j) => j.input.model === model && !TERMINAL.has(statusOf(j))).length +
    [...videos.values()].filter((v) => v.input.model === model && !['completed', 'failed'].includes(videoState(v).status)).length;

  function videoView(video: Video) {
    const { status, progress } = videoState(video);
    const completedAt = status === 'completed' ? unixSeconds(video.createdMs + video.totalMs) : null;
    return {
      id: video.id,
      object: 'video',
      status,
      progress,
      created_at: unixSeconds(video.createdMs),
      completed_at: completedAt,
      expires_at: completedAt === null ? null : completedAt + settings.contentTtlSeconds,
      model: video.input.model,
      size: video.input.size,
      seconds: video.input.seconds,
      prompt: null, // Azure returns null here
      remixed_from_video_id: video.remixedFrom,
      error: video.moderated
        ? { code: 'moderation_blocked', message: 'Your request was blocked by our moderation system.' }
        : status === 'failed' && video.lateFailure
          ? { code: video.lateFailure === 'output_moderation' ? 'content_filter' : 'internal_error', message: video.lateFailure === 'output_moderation' ? 'The generated video was blocked by the content filter.' : 'Video generation failed.' }
          : null,
      usage: { duration_seconds: Number(video.input.seconds) },
    };
  }

  function jobView(job: Job) {
    const status = statusOf(job);
    const finishedMs = status === 'succeeded' ? job.createdMs + job.totalMs : null;
    return {
      object: 'video.generation.job',
      id: job.id,
      status,
      created_at: unixSeconds(job.createdMs),
      finished_at: finishedMs === null ? null : unixSeconds(finishedMs),
      expires_at: finishedMs === null ? null : unixSeconds(finishedMs) + settings.contentTtlSeconds,
      generations: status === 'succeeded' ? job.generations.map((g) => generationView(job, g.id)) : [],
      prompt: job.input.prompt,
      model: job.input.model,
      n_variants: job.input.n_variants,
      n_seconds: job.input.n_seconds,
      height: job.input.height,
      width: job.input.width,
      failure_reason: job.moderated ? 'input_moderation' : statusOf(job) === 'failed' ? job.lateFailure : null,
    };
  }

  function generationView(job: Job, id: string) {
    return { object: 'video.generation', id, job_id: job.id, created_at: unixSeconds(job.createdMs + job.totalMs), width: job.input.width, height: job.input.height, n_seconds: job.input.n_seconds, prompt: job.input.prompt };
  }

  /** The running-jobs limit (users' reports: 429 "Too many running tasks"). */
  const tooManyRunning = (res: ServerResponse) =>
    fail(res, { status: 429, code: 'too_many_requests', message: 'Too many running tasks', type: 'video_generation_user_error' }, { 'retry-after': Math.max(1, Math.ceil((2000 * settings.timeScale) / 1000)) });

  function createVideo(res: ServerResponse, input: CreateVideoInput, remixedFrom: string | null) {
    if (!videoDeployments.has(input.model)) {
      return fail(res, { status: 404, code: 'DeploymentNotFound', message: `The API deployment for this resource does not exist: '${input.model}'.`, type: 'video_generation_user_error' });
    }
    const now = Date.now();
    const recent = (recentVideoCreates.get(input.model) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= settings.videosCreatesPerMinute) {
      const retryAfter = Math.max(1, Math.ceil((recent[0] + 60_000 - now) / 1000));
      return fail(res, { status: 429, code: 'rate_limit_exceeded', message: `Rate limit of ${settings.videosCreatesPerMinute} create requests per minute exceeded. Retry after ${retryAfter} seconds.`, type: 'video_generation_user_error' }, { 'retry-after': retryAfter });
    }
    if (running(input.model) >= settings.maxRunningJobs) return tooManyRunning(res);
    recentVideoCreates.set(input.model, [...recent, now]);
    const [width, height] = input.size.split('x').map(Number);
    const id = `video_${randomUUID().replace(/-/g, '')}`;
    const video: Video = { id, input, createdMs: Date.now(), totalMs: core.jittered(jobDurationMs({ width, height, n_seconds: Number(input.seconds), n_variants: 1 }, settings.timeScale)), remixedFrom, moderated: core.denied(input.prompt), lateFailure: core.drawLateFailure(), expired: false, file: path.join(core.dataDir, `${id}.mp4`) };
    videos.set(id, video);
    core.countCreate('videos', input.model, running(input.model));
    return sendJson(res, 200, videoView(video));
  }

  async function readBodyOrFail(ctx: RequestContext) {
    try {
      return await readCreateBody(ctx.req);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      fail(ctx.res, { status: 400, code: 'invalid_request_error', message: error.message, type: 'invalid_request_error' });
      return undefined;
    }
  }

  /** Azure takes `api-key` or a bearer token; OpenAI's /v1 only a bearer token. */
  function authorized(ctx: RequestContext, openai: boolean): boolean {
    const bearer = /^Bearer (.+)$/i.exec(ctx.req.headers.authorization ?? '')?.[1];
    const key = openai ? bearer : (ctx.req.headers['api-key'] ?? bearer);
    if (typeof key !== 'string' || key.length === 0) return false;
    return options.apiKey === undefined || key === options.apiKey;
  }

  async function handle(ctx: RequestContext) {
    const { req, res, url, params } = ctx;
    // OpenAI's /v1 surface runs the same handlers as Azure's /openai/v1.
    const openai = / \/v1\//.test(ctx.template);
    const template = openai ? ctx.template.replace(' /v1/', ' /openai/v1/') : ctx.template;
    if (!authorized(ctx, openai)) {
      if (openai) return fail(res, { status: 401, code: 'invalid_api_key', message: 'Incorrect API key provided.', type: 'invalid_request_error' });
      return fail(res, { status: 401, code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.' });
    }
    const handled = await applyFaults(ctx, (status, retryAfter) => fail(res, { status, code: String(status), message: `Injected fault: HTTP ${status}.` }, retryAfter === undefined ? {} : { 'retry-after': retryAfter }));
    if (handled) return;
    // OpenAI ignores api-version; Azure's v1 API takes none, `v1` or `preview`.
    const apiVersion = url.searchParams.get('api-version');
    if (!openai && apiVersion !== null && apiVersion !== 'v1' && apiVersion !== 'preview') {
      return fail(res, { status: 400, code: 'BadRequest', message: 'API version not supported' });
    }
    switch (template) {
      case 'POST /openai/v1/video/generations/jobs': {
        const body = await readBodyOrFail(ctx);
        if (!body) return;
        // Multipart sends every field as a string.
        const fields = { ...body.fields };
        for (const name of ['width', 'height', 'n_seconds', 'n_variants']) if (typeof fields[name] === 'string') fields[name] = Number(fields[name]);
        const input = validateCreateJob(fields);
        if ('status' in input) return fail(res, input);
        const inpaintProblem = validateInpaintItems(fields.inpaint_items, body.files.filter((f) => f.field === 'files').map((f) => f.filename));
        if (inpaintProblem) return fail(res, inpaintProblem);
        if (!deployments.has(input.model)) {
          return fail(res, { status: 404, code: 'DeploymentNotFound', message: `The API deployment for this resource does not exist: '${input.model}'.`, type: 'video_generation_user_error' });
        }
        if (running(input.model) >= settings.maxRunningJobs) return tooManyRunning(res);
        const job: Job = { id: `task_${randomUUID().replace(/-/g, '')}`, input, createdMs: Date.now(), totalMs: core.jittered(jobDurationMs(input, settings.timeScale)), cancelled: false, moderated: core.denied(input.prompt), lateFailure: core.drawLateFailure(), expired: false, generations: [] };
        for (let index = 0; index < input.n_variants; index++) {
          const id = `gen_${randomUUID().replace(/-/g, '')}`;
          job.generations.push({ id, file: path.join(core.dataDir, `${id}.mp4`) });
          generations.set(id, { job, index });
        }
        jobs.set(job.id, job);
        core.countCreate('jobs', input.model, running(input.model));
        return sendJson(res, 200, jobView(job));
      }
      case 'GET /openai/v1/video/generations/jobs': {
        const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 20) || 20));
        // Newest first; `after` pages towards older jobs, `before` towards newer ones.
        const statuses = url.searchParams.get('statuses')?.split(',').filter(Boolean);
        let all = [...jobs.values()].reverse().map(jobView).filter((job) => !statuses || statuses.includes(job.status));
        const after = url.searchParams.get('after');
        const before = url.searchParams.get('before');
        if (after) all = all.slice(all.findIndex((job) => job.id === after) + 1);
        if (before) {
          const index = all.findIndex((job) => job.id === before);
          all = index < 0 ? all : all.slice(Math.max(0, index - limit), index);
        }
        const data = all.slice(0, limit);
        return sendJson(res, 200, { object: 'list', data, has_more: all.length > data.length, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
      }
      case 'GET /openai/v1/video/generations/jobs/{job_id}': {
        const job = jobs.get(params.job_id);
        return job ? sendJson(res, 200, jobView(job)) : fail(res, { status: 404, code: 'NotFound', message: `Job ${params.job_id} not found.` });
      }
      case 'DELETE /openai/v1/video/generations/jobs/{job_id}': {
        const job = jobs.get(params.job_id);
        if (!job) return fail(res, { status: 404, code: 'NotFound', message: `Job ${params.job_id} not found.` });
        job.cancelled = true;
        jobs.delete(job.id);
        for (const g of job.generations) generations.delete(g.id);
        return noContent(res);
      }
      case 'GET /openai/v1/video/generations/{generation_id}': {
        const found = generations.get(params.generation_id);
        if (!found || statusOf(found.job) !== 'succeeded') return fail(res, { status: 404, code: 'NotFound', message: 'Generation not found.' });
        return sendJson(res, 200, generationView(found.job, params.generation_id));
      }
      case 'GET /openai/v1/video/generations/{generation_id}/content/video': {
        const found = generations.get(params.generation_id);
        if (!found || statusOf(found.job) !== 'succeeded' || contentGone(found.job.createdMs + found.job.totalMs, found.job.expired)) return fail(res, { status: 404, code: 'NotFound', message: 'Video content not found.' });
        const generation = found.job.generations[found.index];
        const { input } = found.job;
        generation.ready ??= core.produceVideo({ width: input.width, height: input.height, seconds: input.n_seconds, seed: `${input.prompt}#${found.index}`, padToBytes: options.padToBytes }, generation.file).catch((error: unknown) => {
          generation.ready = undefined; // a later request tries again instead of failing forever
          throw error;
        });
        await generation.ready;
        return serveFile(req, res, generation.file, ctx.injected.truncate);
      }
      case 'GET /openai/v1/video/generations/{generation_id}/content/thumbnail': {
        const found = generations.get(params.generation_id);
        if (!found || statusOf(found.job) !== 'succeeded' || contentGone(found.job.createdMs + found.job.totalMs, found.job.expired)) return fail(res, { status: 404, code: 'NotFound', message: 'Thumbnail not found.' });
        const { input } = found.job;
        // Sora 1 documents its thumbnail as JPEG with this (non-standard) type.
        return sendBytes(res, thumbnailJpeg(input.width, input.height, `${input.prompt}#${found.index}`), 'image/jpg');
      }
      case 'POST /openai/v1/videos': {
        const body = await readBodyOrFail(ctx);
        if (!body) return;
        const input = validateCreateVideo(body.fields);
        if ('status' in input) return fail(res, input);
        const reference = body.files.find((f) => f.field === 'input_reference');
        if (reference) {
          const size = imageSize(reference.content);
          if (!size) return fail(res, { status: 400, code: 'invalid_value', message: 'input_reference must be a PNG or JPEG image.', param: 'input_reference', type: 'invalid_request_error' });
          if (`${size.width}x${size.height}` !== input.size) {
            return fail(res, { status: 400, code: 'invalid_value', message: `Inpaint image must match the requested width and height (got ${size.width}x${size.height}, expected ${input.size}).`, param: 'input_reference', type: 'invalid_request_error' });
          }
        }
        return createVideo(res, input, null);
      }
      case 'GET /openai/v1/videos': {
        const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') ?? 20) || 20));
        const ordered = [...videos.values()];
        if (url.searchParams.get('order') !== 'asc') ordered.reverse();
        const after = url.searchParams.get('after');
        const start = after ? ordered.findIndex((v) => v.id === after) + 1 : 0;
        const data = ordered.slice(start, start + limit).map(videoView);
        return sendJson(res, 200, { object: 'list', data, has_more: start + data.length < ordered.length, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
      }
      case 'GET /openai/v1/videos/{video_id}': {
        const video = videos.get(params.video_id);
        return video ? sendJson(res, 200, videoView(video)) : fail(res, { status: 404, code: 'NotFound', message: `Video ${params.video_id} not found.`, type: 'invalid_request_error' });
      }
      case 'DELETE /openai/v1/videos/{video_id}': {
        if (!videos.delete(params.video_id)) return fail(res, { status: 404, code: 'NotFound', message: `Video ${params.video_id} not found.`, type: 'invalid_request_error' });
        return sendJson(res, 200, { id: params.video_id, object: 'video.deleted', deleted: true });
      }
      case 'GET /openai/v1/videos/{video_id}/content': {
        const video = videos.get(params.video_id);
        if (!video || videoState(video).status !== 'completed' || contentGone(video.createdMs + video.totalMs, video.expired)) {
          return fail(res, { status: 404, code: 'NotFound', message: 'Video content not found.', type: 'invalid_request_error' });
        }
        const variant = url.searchParams.get('variant') ?? 'video';
        const [width, height] = video.input.size.split('x').map(Number);
        // The OpenAI spec gives the Sora 2 thumbnail as WebP; the spritesheet as JPEG.
        if (variant === 'thumbnail') return sendBytes(res, thumbnailWebp(width, height, video.input.prompt), 'image/webp');
        if (variant === 'spritesheet') return sendBytes(res, spritesheetJpeg(width, height, video.input.prompt), 'image/jpeg');
        if (variant !== 'video') return fail(res, { status: 400, code: 'invalid_value', message: `Invalid value: '${variant}'. Supported values are: 'video', 'thumbnail' and 'spritesheet'.`, param: 'variant', type: 'invalid_request_error' });
        video.ready ??= core.produceVideo({ width, height, seconds: Number(video.input.seconds), seed: video.input.prompt, padToBytes: options.padToBytes }, video.file).catch((error: unknown) => {
          video.ready = undefined; // a later request tries again instead of failing forever
          throw error;
        });
        await video.ready;
        return serveFile(req, res, video.file, ctx.injected.truncate);
      }
      case 'POST /openai/v1/videos/{video_id}/remix': {
        const source = videos.get(params.video_id);
        if (!source) return fail(res, { status: 404, code: 'NotFound', message: `Video ${params.video_id} not found.`, type: 'invalid_request_error' });
        const body = await readBodyOrFail(ctx);
        if (!body) return;
        if (typeof body.fields.prompt !== 'string' || body.fields.prompt === '') return fail(res, { status: 400, code: 'invalid_value', message: "Missing required parameter: 'prompt'.", param: 'prompt', type: 'invalid_request_error' });
        return createVideo(res, { ...source.input, prompt: body.fields.prompt }, source.id);
      }
    }
  }

  function timing(id: string): Timing | undefined {
    const job = jobs.get(id);
    if (job) {
      const status = statusOf(job);
      const finishedAtMs = job.moderated ? job.createdMs : TERMINAL.has(status) && !job.cancelled ? job.createdMs + job.totalMs : null;
      return { id, createdAtMs: job.createdMs, durationMs: job.totalMs, finishedAtMs, status };
    }
    const video = videos.get(id);
    if (!video) return undefined;
    const { status } = videoState(video);
    const finishedAtMs = video.moderated ? video.createdMs : status === 'completed' || status === 'failed' ? video.createdMs + video.totalMs : null;
    return { id, createdAtMs: video.createdMs, durationMs: video.totalMs, finishedAtMs, status };
  }

  return {
    routes: [...JOBS_ROUTES, ...videosRoutes('/openai/v1'), ...videosRoutes('/v1')].map(([template, pattern]) => ({ template, pattern, handle })),
    timing,
    expire(id) {
      const target = jobs.get(id) ?? videos.get(id);
      if (target) target.expired = true;
      return target !== undefined;
    },
    reset() {
      jobs.clear();
      videos.clear();
      generations.clear();
    },
    running: () => Object.fromEntries([...deployments, ...videoDeployments].map((d) => [d, running(d)])),
  };
}
