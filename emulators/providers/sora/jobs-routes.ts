// The jobs API (Sora 1) under /openai/v1/video/generations: one handler per route.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { videoOnce, type RequestContext } from '../core.js';
import { noContent, sendBytes, sendJson, serveFile } from '../http-util.js';
import { thumbnailJpeg } from '../images.js';
import type { InputImage } from '../image-fetch.js';
import { jobDurationMs, validateCreateJob, validateInpaintItems, type ApiErrorBody } from '../jobs-api.js';
import type { ParsedBody } from '../request-body.js';
import type { RouteSpec } from '../routing.js';
import { readBodyOrFail } from './gate.js';
import { contentGone, running, statusOf, type Job, type SoraState } from './state.js';
import { deploymentNotFound, fail, generationView, jobView, tooManyRunning } from './wire.js';

/** The image of the inpaint item at frame 0 (already checked by validateInpaintItems), decoded:
 * the jobs' videos start with its average colour. A file that is not a PNG, JPEG or WebP → 400. */
function firstFrameImage(
  state: SoraState,
  rawItems: unknown,
  files: ParsedBody['files'],
): { image: InputImage } | ApiErrorBody | undefined {
  if (rawItems === undefined) return undefined;
  const items = (typeof rawItems === 'string' ? JSON.parse(rawItems) : rawItems) as Array<
    Record<string, unknown>
  >;
  const index = items.findIndex((item) => item.type === 'image' && item.frame_index === 0);
  if (index < 0) return undefined;
  const file = files.find((f) => f.field === 'files' && f.filename === items[index].file_name)!;
  const decoded = state.core.inputImageOf(file.content);
  if ('image' in decoded) return decoded;
  return {
    status: 400,
    code: 'invalid_value',
    message: `inpaint_items[${index}]: '${file.filename}' must be a PNG, JPEG or WebP image (${decoded.failure.message}).`,
    param: 'inpaint_items',
    type: 'invalid_request_error',
  };
}

async function createJob(state: SoraState, ctx: RequestContext) {
  const { core } = state;
  const { settings } = core;
  const body = await readBodyOrFail(ctx);
  if (!body) return;
  // Multipart sends every field as a string.
  const fields = { ...body.fields };
  for (const name of ['width', 'height', 'n_seconds', 'n_variants'])
    if (typeof fields[name] === 'string') fields[name] = Number(fields[name]);
  const input = validateCreateJob(fields);
  if ('status' in input) return fail(ctx.res, input);
  const inpaintProblem = validateInpaintItems(
    fields.inpaint_items,
    body.files.filter((f) => f.field === 'files').map((f) => f.filename),
  );
  if (inpaintProblem) return fail(ctx.res, inpaintProblem);
  const firstFrame = firstFrameImage(state, fields.inpaint_items, body.files);
  if (firstFrame && 'status' in firstFrame) return fail(ctx.res, firstFrame);
  if (!state.deployments.has(input.model)) return deploymentNotFound(ctx.res, input.model);
  if (running(state, input.model) >= settings.maxRunningJobs)
    return tooManyRunning(ctx.res, settings.timeScale);
  const job: Job = {
    id: `task_${randomUUID().replace(/-/g, '')}`,
    input,
    createdMs: Date.now(),
    totalMs: core.jittered(jobDurationMs(input, settings.timeScale)),
    cancelled: false,
    moderated: core.denied(input.prompt),
    lateFailure: core.drawLateFailure(),
    expired: false,
    generations: [],
    image: firstFrame?.image,
  };
  for (let index = 0; index < input.n_variants; index++) {
    const id = `gen_${randomUUID().replace(/-/g, '')}`;
    job.generations.push({ id, file: path.join(core.dataDir, `${id}.mp4`) });
    state.generations.set(id, { job, index });
  }
  state.jobs.set(job.id, job);
  core.countCreate('jobs', input.model, running(state, input.model));
  return sendJson(ctx.res, 200, jobView(job, settings.contentTtlSeconds));
}

function listJobs(state: SoraState, ctx: RequestContext) {
  const { searchParams } = ctx.url;
  const limit = Math.min(100, Math.max(1, Number(searchParams.get('limit') ?? 20) || 20));
  // Newest first; `after` pages towards older jobs, `before` towards newer ones.
  const statuses = searchParams.get('statuses')?.split(',').filter(Boolean);
  let all = [...state.jobs.values()]
    .reverse()
    .map((job) => jobView(job, state.core.settings.contentTtlSeconds))
    .filter((job) => !statuses || statuses.includes(job.status));
  const after = searchParams.get('after');
  const before = searchParams.get('before');
  if (after) all = all.slice(all.findIndex((job) => job.id === after) + 1);
  if (before) {
    const index = all.findIndex((job) => job.id === before);
    all = index < 0 ? all : all.slice(Math.max(0, index - limit), index);
  }
  const data = all.slice(0, limit);
  return sendJson(ctx.res, 200, {
    object: 'list',
    data,
    has_more: all.length > data.length,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  });
}

function getJob(state: SoraState, ctx: RequestContext) {
  const job = state.jobs.get(ctx.params.job_id);
  return job
    ? sendJson(ctx.res, 200, jobView(job, state.core.settings.contentTtlSeconds))
    : fail(ctx.res, { status: 404, code: 'NotFound', message: `Job ${ctx.params.job_id} not found.` });
}

function deleteJob(state: SoraState, ctx: RequestContext) {
  const job = state.jobs.get(ctx.params.job_id);
  if (!job)
    return fail(ctx.res, { status: 404, code: 'NotFound', message: `Job ${ctx.params.job_id} not found.` });
  job.cancelled = true;
  state.jobs.delete(job.id);
  for (const g of job.generations) state.generations.delete(g.id);
  return noContent(ctx.res);
}

function getGeneration(state: SoraState, ctx: RequestContext) {
  const found = state.generations.get(ctx.params.generation_id);
  if (!found || statusOf(found.job) !== 'succeeded')
    return fail(ctx.res, { status: 404, code: 'NotFound', message: 'Generation not found.' });
  return sendJson(ctx.res, 200, generationView(found.job, ctx.params.generation_id));
}

/** The generation a content route names while its content can be downloaded, or undefined once `missing` is answered 404. */
function downloadable(state: SoraState, ctx: RequestContext, missing: string) {
  const found = state.generations.get(ctx.params.generation_id);
  if (
    !found ||
    statusOf(found.job) !== 'succeeded' ||
    contentGone(state, found.job.createdMs + found.job.totalMs, found.job.expired)
  ) {
    fail(ctx.res, { status: 404, code: 'NotFound', message: missing });
    return undefined;
  }
  return found;
}

async function generationVideo(state: SoraState, ctx: RequestContext) {
  const found = downloadable(state, ctx, 'Video content not found.');
  if (!found) return;
  const generation = found.job.generations[found.index];
  const { input } = found.job;
  await videoOnce(
    state.core,
    generation,
    {
      width: input.width,
      height: input.height,
      seconds: input.n_seconds,
      seed: `${input.prompt}#${found.index}`,
      padToBytes: state.core.options.padToBytes,
      firstFrame: found.job.image?.average,
    },
    generation.file,
  );
  return serveFile(ctx.req, ctx.res, generation.file, ctx.injected.truncate);
}

function generationThumbnail(state: SoraState, ctx: RequestContext) {
  const found = downloadable(state, ctx, 'Thumbnail not found.');
  if (!found) return;
  const { input } = found.job;
  // Sora 1 documents its thumbnail as JPEG with this (non-standard) type.
  return sendBytes(
    ctx.res,
    thumbnailJpeg(input.width, input.height, `${input.prompt}#${found.index}`),
    'image/jpg',
  );
}

/** The jobs API's routes, in matching order. */
export const JOBS_ROUTES: Array<RouteSpec<SoraState, string>> = [
  {
    template: 'POST /openai/v1/video/generations/jobs',
    pattern: /^POST \/openai\/v1\/video\/generations\/jobs$/,
    handle: createJob,
  },
  {
    template: 'GET /openai/v1/video/generations/jobs',
    pattern: /^GET \/openai\/v1\/video\/generations\/jobs$/,
    handle: listJobs,
  },
  {
    template: 'GET /openai/v1/video/generations/jobs/{job_id}',
    pattern: /^GET \/openai\/v1\/video\/generations\/jobs\/(?<job_id>[^/]+)$/,
    handle: getJob,
  },
  {
    template: 'DELETE /openai/v1/video/generations/jobs/{job_id}',
    pattern: /^DELETE \/openai\/v1\/video\/generations\/jobs\/(?<job_id>[^/]+)$/,
    handle: deleteJob,
  },
  {
    template: 'GET /openai/v1/video/generations/{generation_id}/content/video',
    pattern: /^(GET|HEAD) \/openai\/v1\/video\/generations\/(?<generation_id>[^/]+)\/content\/video$/,
    handle: generationVideo,
  },
  {
    template: 'GET /openai/v1/video/generations/{generation_id}/content/thumbnail',
    pattern: /^GET \/openai\/v1\/video\/generations\/(?<generation_id>[^/]+)\/content\/thumbnail$/,
    handle: generationThumbnail,
  },
  {
    template: 'GET /openai/v1/video/generations/{generation_id}',
    pattern: /^GET \/openai\/v1\/video\/generations\/(?<generation_id>gen_[^/]+)$/,
    handle: getGeneration,
  },
];
