// HTTP front of the Sora emulator: auth, api-version, routing, stats and streamed content.
// Implements the jobs API (Sora 1) of ../shared/docs/sora-api.md; see README.md for what is
// not implemented yet.
import { randomUUID } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync } from 'node:fs';
import { copyFile, rename, stat } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TERMINAL, jobDurationMs, statusAt, validateCreateJob, validateInpaintItems, type ApiErrorBody, type CreateJobInput, type JobStatus } from './jobs-api.js';
import { imageSize } from './image-size.js';
import { spritesheetJpeg, thumbnailJpeg } from './images.js';
import { FaultInjector, parseFaultConfig, seededRandom, type ChosenFaults, type FaultConfig } from './faults.js';
import { BodyError, readCreateBody } from './request-body.js';
import { encodeVideoFile, type VideoSpec } from './video-encoder.js';
import { validateCreateVideo, videoStateAt, type CreateVideoInput } from './videos-api.js';

export interface SoraEmulatorOptions {
  port?: number;
  /** Accepted key; unset = any non-empty key or bearer token. */
  apiKey?: string;
  /** Multiplies every job duration (0.01 = 100× faster). */
  timeScale?: number;
  /** Where videos are written; default a fresh temp folder. */
  dataDir?: string;
  /** Most non-terminal jobs per deployment before create answers 429. */
  maxRunningJobs?: number;
  /** Jobs API deployments that exist. */
  jobsDeployments?: string[];
  /** Videos API deployments that exist. */
  videosDeployments?: string[];
  /** Pads every video file to this size (for memory benchmarks). */
  padToBytes?: number;
  /** Prompts containing any of these (case-insensitive) fail input moderation. */
  denyList?: string[];
  /** Share of jobs (0..1) that fail output moderation when they would have succeeded. */
  outputModerationRate?: number;
  /** Share of jobs (0..1) that fail with internal_error when they would have succeeded. */
  internalErrorRate?: number;
  /** Seed for those outcomes, the duration jitter (and the default fault seed). */
  seed?: number;
  /** Spread of job durations: 0.3 = each job takes its nominal time × a seeded uniform factor in [0.7, 1.3]. 0 (default) = exact. */
  durationJitter?: number;
  /** How long finished content stays downloadable (the service keeps it about 24 h). */
  contentTtlSeconds?: number;
  /** Sora 2 creates allowed per minute per deployment (the service's default quota is 2). */
  videosCreatesPerMinute?: number;
  /** Fault injection from the start (same shape as PUT /_admin/faults). */
  faults?: FaultConfig;
}

/** Options that PATCH /_admin/config may change while running. */
const RUNTIME_OPTIONS = ['timeScale', 'durationJitter', 'maxRunningJobs', 'videosCreatesPerMinute', 'denyList', 'outputModerationRate', 'internalErrorRate', 'contentTtlSeconds'] as const;

type LateFailure = 'output_moderation' | 'internal_error' | null;

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

interface RouteMatch {
  template: string;
  params: Record<string, string>;
}

const ROUTES: Array<[string, RegExp]> = [
  ['POST /openai/v1/video/generations/jobs', /^POST \/openai\/v1\/video\/generations\/jobs$/],
  ['GET /openai/v1/video/generations/jobs', /^GET \/openai\/v1\/video\/generations\/jobs$/],
  ['GET /openai/v1/video/generations/jobs/{job_id}', /^GET \/openai\/v1\/video\/generations\/jobs\/(?<job_id>[^/]+)$/],
  ['DELETE /openai/v1/video/generations/jobs/{job_id}', /^DELETE \/openai\/v1\/video\/generations\/jobs\/(?<job_id>[^/]+)$/],
  ['GET /openai/v1/video/generations/{generation_id}/content/video', /^(GET|HEAD) \/openai\/v1\/video\/generations\/(?<generation_id>[^/]+)\/content\/video$/],
  ['GET /openai/v1/video/generations/{generation_id}/content/thumbnail', /^GET \/openai\/v1\/video\/generations\/(?<generation_id>[^/]+)\/content\/thumbnail$/],
  ['GET /openai/v1/video/generations/{generation_id}', /^GET \/openai\/v1\/video\/generations\/(?<generation_id>gen_[^/]+)$/],
  ['POST /openai/v1/videos', /^POST \/openai\/v1\/videos$/],
  ['GET /openai/v1/videos', /^GET \/openai\/v1\/videos$/],
  ['GET /openai/v1/videos/{video_id}', /^GET \/openai\/v1\/videos\/(?<video_id>video_[^/]+)$/],
  ['DELETE /openai/v1/videos/{video_id}', /^DELETE \/openai\/v1\/videos\/(?<video_id>video_[^/]+)$/],
  ['GET /openai/v1/videos/{video_id}/content', /^(GET|HEAD) \/openai\/v1\/videos\/(?<video_id>video_[^/]+)\/content$/],
  ['POST /openai/v1/videos/{video_id}/remix', /^POST \/openai\/v1\/videos\/(?<video_id>video_[^/]+)\/remix$/],
  ['GET /_admin/stats', /^GET \/_admin\/stats$/],
  ['PUT /_admin/faults', /^PUT \/_admin\/faults$/],
  ['GET /_admin/faults', /^GET \/_admin\/faults$/],
  ['DELETE /_admin/faults', /^DELETE \/_admin\/faults$/],
  ['PATCH /_admin/config', /^PATCH \/_admin\/config$/],
  ['POST /_admin/reset', /^POST \/_admin\/reset$/],
  ['POST /_admin/expire/{id}', /^POST \/_admin\/expire\/(?<id>[^/]+)$/],
  ['GET /_admin/jobs/{id}', /^GET \/_admin\/jobs\/(?<id>[^/]+)$/],
];

const unixSeconds = (ms: number) => Math.floor(ms / 1000);

export function createSoraServer(options: SoraEmulatorOptions = {}) {
  if (options.durationJitter !== undefined && !(options.durationJitter >= 0 && options.durationJitter < 1)) {
    throw new RangeError(`durationJitter must be at least 0 and below 1, got ${options.durationJitter}`);
  }
  const settings = {
    timeScale: options.timeScale ?? 1,
    durationJitter: options.durationJitter ?? 0,
    maxRunningJobs: options.maxRunningJobs ?? 2,
    videosCreatesPerMinute: options.videosCreatesPerMinute ?? 2,
    denyList: options.denyList ?? [],
    outputModerationRate: options.outputModerationRate ?? 0,
    internalErrorRate: options.internalErrorRate ?? 0,
    contentTtlSeconds: options.contentTtlSeconds ?? 86400,
  };
  const outcomeRandom = seededRandom(options.seed ?? 1);
  // A stream of its own, so turning jitter on does not change which jobs fail.
  const jitterRandom = seededRandom(((options.seed ?? 1) ^ 0x5bd1e995) >>> 0);
  /** The nominal duration times a seeded factor in [1 - jitter, 1 + jitter]; one draw per job, even at 0. */
  const jittered = (nominalMs: number) => Math.round(nominalMs * (1 + settings.durationJitter * (2 * jitterRandom() - 1)));
  /** Decided at creation from the seed, revealed when the job would have succeeded. */
  const drawLateFailure = (): LateFailure => {
    const draw = outcomeRandom();
    if (draw < settings.outputModerationRate) return 'output_moderation';
    if (draw < settings.outputModerationRate + settings.internalErrorRate) return 'internal_error';
    return null;
  };
  const contentGone = (finishedMs: number, expired: boolean) => expired || Date.now() > finishedMs + settings.contentTtlSeconds * 1000;
  const denied = (prompt: string) => settings.denyList.some((word) => prompt.toLowerCase().includes(word.toLowerCase()));
  const deployments = new Set(options.jobsDeployments ?? ['sora']);
  const videoDeployments = new Set(options.videosDeployments ?? ['sora-2']);
  const videos = new Map<string, Video>();
  /** Creation times per Sora 2 deployment, for the per-minute create quota. */
  const recentVideoCreates = new Map<string, number[]>();
  const faults = new FaultInjector();
  if (options.faults) faults.set(options.faults);
  const dataDir = options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'sora-emulator-'));
  // A --data-dir that does not exist yet is created, rather than failing every download.
  mkdirSync(dataDir, { recursive: true });
  const jobs = new Map<string, Job>();
  const generations = new Map<string, { job: Job; index: number }>();
  const stats = {
    jobsCreated: {} as Record<string, number>,
    requests: {} as Record<string, Record<string, number>>,
    peakRunningJobs: {} as Record<string, number>,
  };

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
    if (running(input.model) >= settings.maxRunningJobs) {
      return tooManyRunning(res);
    }
    recentVideoCreates.set(input.model, [...recent, now]);
    const [width, height] = input.size.split('x').map(Number);
    const id = `video_${randomUUID().replace(/-/g, '')}`;
    const video: Video = { id, input, createdMs: Date.now(), totalMs: jittered(jobDurationMs({ width, height, n_seconds: Number(input.seconds), n_variants: 1 }, settings.timeScale)), remixedFrom, moderated: denied(input.prompt), lateFailure: drawLateFailure(), expired: false, file: path.join(dataDir, `${id}.mp4`) };
    videos.set(id, video);
    stats.jobsCreated[input.model] = (stats.jobsCreated[input.model] ?? 0) + 1;
    stats.peakRunningJobs[input.model] = Math.max(stats.peakRunningJobs[input.model] ?? 0, running(input.model));
    return send(res, 200, videoView(video));
  }

  /** Exact timing for benchmarks: when the job was created and when it reached its final status (ms since epoch). */
  function timingOf(id: string) {
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

  /** Equal input gives equal bytes, so each distinct video is encoded once and copied for later generations. */
  const encoded = new Map<string, Promise<{ file: string; bytes: number }>>();
  function produceVideo(spec: VideoSpec, file: string): Promise<number> {
    const key = JSON.stringify([spec.width, spec.height, spec.seconds, spec.seed, spec.padToBytes ?? 0]);
    const first = encoded.get(key);
    if (first) {
      return first.then(async (made) => {
        await copyFile(made.file, `${file}.partial`);
        await rename(`${file}.partial`, file);
        return made.bytes;
      });
    }
    const made = encodeVideoFile(spec, file).then((bytes) => ({ file, bytes }));
    encoded.set(key, made);
    made.catch(() => encoded.delete(key));
    return made.then((m) => m.bytes);
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

  function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string | number> = {}) {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }
  const fail = (res: ServerResponse, error: ApiErrorBody, headers?: Record<string, string | number>) =>
    send(res, error.status, { error: { code: error.code, message: error.message, param: error.param ?? null, type: error.type ?? null } }, headers);

  function authorized(req: IncomingMessage): boolean {
    const key = req.headers['api-key'] ?? /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (typeof key !== 'string' || key.length === 0) return false;
    return options.apiKey === undefined || key === options.apiKey;
  }

  async function readBodyOrFail(req: IncomingMessage, res: ServerResponse) {
    try {
      return await readCreateBody(req);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      fail(res, { status: 400, code: 'invalid_request_error', message: error.message, type: 'invalid_request_error' });
      return undefined;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, route: RouteMatch, url: URL, injected: ChosenFaults) {
    if (route.template === 'GET /_admin/stats') {
      const runningJobs = Object.fromEntries([...deployments, ...videoDeployments].map((d) => [d, running(d)]));
      return send(res, 200, { ...stats, runningJobs });
    }
    if (route.template === 'PUT /_admin/faults') {
      const body = await readBodyOrFail(req, res);
      if (!body) return;
      const config = parseFaultConfig(body.fields);
      if (typeof config === 'string') return fail(res, { status: 400, code: 'invalid_faults', message: config });
      faults.set(config);
      return send(res, 200, config);
    }
    if (route.template === 'GET /_admin/faults') return send(res, 200, faults.get());
    if (route.template === 'DELETE /_admin/faults') {
      faults.set({ seed: 1, rules: [] });
      res.writeHead(204).end();
      return;
    }
    if (route.template === 'PATCH /_admin/config') {
      const body = await readBodyOrFail(req, res);
      if (!body) return;
      for (const [name, value] of Object.entries(body.fields)) {
        const valid = name === 'denyList' ? Array.isArray(value) && value.every((v) => typeof v === 'string') : (RUNTIME_OPTIONS as readonly string[]).includes(name) && typeof value === 'number' && value >= 0 && (!name.endsWith('Rate') || value <= 1) && (name !== 'durationJitter' || value < 1);
        if (!valid) return fail(res, { status: 400, code: 'invalid_config', message: `'${name}' is not a runtime option or has the wrong type (options: ${RUNTIME_OPTIONS.join(', ')}).`, param: name });
      }
      Object.assign(settings, body.fields);
      return send(res, 200, settings);
    }
    if (route.template === 'POST /_admin/reset') {
      jobs.clear();
      videos.clear();
      generations.clear();
      for (const table of [stats.jobsCreated, stats.requests, stats.peakRunningJobs]) for (const key of Object.keys(table)) delete table[key];
      res.writeHead(204).end();
      return;
    }
    if (route.template === 'POST /_admin/expire/{id}') {
      const target = jobs.get(route.params.id) ?? videos.get(route.params.id);
      if (!target) return fail(res, { status: 404, code: 'NotFound', message: `No job or video ${route.params.id}.` });
      target.expired = true;
      res.writeHead(204).end();
      return;
    }
    if (route.template === 'GET /_admin/jobs/{id}') {
      const timing = timingOf(route.params.id);
      return timing ? send(res, 200, timing) : fail(res, { status: 404, code: 'NotFound', message: `No job or video ${route.params.id}.` });
    }
    if (!authorized(req)) {
      return fail(res, { status: 401, code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.' });
    }
    if (injected.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, injected.latencyMs));
    if (injected.reset) {
      req.socket.destroy();
      return;
    }
    if (injected.dropResponse) {
      // Do the work, then lose the answer: what a gateway timeout looks like to a client.
      const drop = () => {
        req.socket.destroy();
        return res;
      };
      res.writeHead = drop as unknown as typeof res.writeHead;
      res.end = drop as unknown as typeof res.end;
    }
    if (injected.status) {
      const retry: Record<string, number> = injected.status.status === 429 ? { 'retry-after': injected.status.retryAfterSeconds ?? 1 } : {};
      return fail(res, { status: injected.status.status, code: String(injected.status.status), message: `Injected fault: HTTP ${injected.status.status}.` }, retry);
    }
    const apiVersion = url.searchParams.get('api-version');
    if (apiVersion !== null && apiVersion !== 'v1' && apiVersion !== 'preview') {
      return fail(res, { status: 400, code: 'BadRequest', message: 'API version not supported' });
    }
    switch (route.template) {
      case 'POST /openai/v1/video/generations/jobs': {
        const body = await readBodyOrFail(req, res);
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
        if (running(input.model) >= settings.maxRunningJobs) {
          return tooManyRunning(res);
        }
        const job: Job = { id: `task_${randomUUID().replace(/-/g, '')}`, input, createdMs: Date.now(), totalMs: jittered(jobDurationMs(input, settings.timeScale)), cancelled: false, moderated: denied(input.prompt), lateFailure: drawLateFailure(), expired: false, generations: [] };
        for (let index = 0; index < input.n_variants; index++) {
          const id = `gen_${randomUUID().replace(/-/g, '')}`;
          job.generations.push({ id, file: path.join(dataDir, `${id}.mp4`) });
          generations.set(id, { job, index });
        }
        jobs.set(job.id, job);
        stats.jobsCreated[input.model] = (stats.jobsCreated[input.model] ?? 0) + 1;
        stats.peakRunningJobs[input.model] = Math.max(stats.peakRunningJobs[input.model] ?? 0, running(input.model));
        return send(res, 200, jobView(job));
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
        return send(res, 200, { object: 'list', data, has_more: all.length > data.length, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
      }
      case 'GET /openai/v1/video/generations/jobs/{job_id}': {
        const job = jobs.get(route.params.job_id);
        return job ? send(res, 200, jobView(job)) : fail(res, { status: 404, code: 'NotFound', message: `Job ${route.params.job_id} not found.` });
      }
      case 'DELETE /openai/v1/video/generations/jobs/{job_id}': {
        const job = jobs.get(route.params.job_id);
        if (!job) return fail(res, { status: 404, code: 'NotFound', message: `Job ${route.params.job_id} not found.` });
        job.cancelled = true;
        jobs.delete(job.id);
        for (const g of job.generations) generations.delete(g.id);
        res.writeHead(204).end();
        return;
      }
      case 'GET /openai/v1/video/generations/{generation_id}': {
        const found = generations.get(route.params.generation_id);
        if (!found || statusOf(found.job) !== 'succeeded') return fail(res, { status: 404, code: 'NotFound', message: 'Generation not found.' });
        return send(res, 200, generationView(found.job, route.params.generation_id));
      }
      case 'GET /openai/v1/video/generations/{generation_id}/content/video': {
        const found = generations.get(route.params.generation_id);
        if (!found || statusOf(found.job) !== 'succeeded' || contentGone(found.job.createdMs + found.job.totalMs, found.job.expired)) return fail(res, { status: 404, code: 'NotFound', message: 'Video content not found.' });
        const generation = found.job.generations[found.index];
        const { input } = found.job;
        generation.ready ??= produceVideo({ width: input.width, height: input.height, seconds: input.n_seconds, seed: `${input.prompt}#${found.index}`, padToBytes: options.padToBytes }, generation.file)
          .catch((error: unknown) => {
            generation.ready = undefined; // a later request tries again instead of failing forever
            throw error;
          });
        await generation.ready;
        return serveFile(req, res, generation.file, injected.truncate);
      }
      case 'GET /openai/v1/video/generations/{generation_id}/content/thumbnail': {
        const found = generations.get(route.params.generation_id);
        if (!found || statusOf(found.job) !== 'succeeded' || contentGone(found.job.createdMs + found.job.totalMs, found.job.expired)) return fail(res, { status: 404, code: 'NotFound', message: 'Thumbnail not found.' });
        const { input } = found.job;
        return sendImage(res, thumbnailJpeg(input.width, input.height, `${input.prompt}#${found.index}`), 'image/jpg');
      }
      case 'POST /openai/v1/videos': {
        const body = await readBodyOrFail(req, res);
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
        return send(res, 200, { object: 'list', data, has_more: start + data.length < ordered.length, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
      }
      case 'GET /openai/v1/videos/{video_id}': {
        const video = videos.get(route.params.video_id);
        return video ? send(res, 200, videoView(video)) : fail(res, { status: 404, code: 'NotFound', message: `Video ${route.params.video_id} not found.`, type: 'invalid_request_error' });
      }
      case 'DELETE /openai/v1/videos/{video_id}': {
        if (!videos.delete(route.params.video_id)) return fail(res, { status: 404, code: 'NotFound', message: `Video ${route.params.video_id} not found.`, type: 'invalid_request_error' });
        return send(res, 200, { id: route.params.video_id, object: 'video.deleted', deleted: true });
      }
      case 'GET /openai/v1/videos/{video_id}/content': {
        const video = videos.get(route.params.video_id);
        if (!video || videoState(video).status !== 'completed' || contentGone(video.createdMs + video.totalMs, video.expired)) {
          return fail(res, { status: 404, code: 'NotFound', message: 'Video content not found.', type: 'invalid_request_error' });
        }
        const variant = url.searchParams.get('variant') ?? 'video';
        const [width, height] = video.input.size.split('x').map(Number);
        if (variant === 'thumbnail') return sendImage(res, thumbnailJpeg(width, height, video.input.prompt), 'image/jpeg');
        if (variant === 'spritesheet') return sendImage(res, spritesheetJpeg(width, height, video.input.prompt), 'image/jpeg');
        if (variant !== 'video') return fail(res, { status: 400, code: 'invalid_value', message: `Invalid value: '${variant}'. Supported values are: 'video', 'thumbnail' and 'spritesheet'.`, param: 'variant', type: 'invalid_request_error' });
        video.ready ??= produceVideo({ width, height, seconds: Number(video.input.seconds), seed: video.input.prompt, padToBytes: options.padToBytes }, video.file)
          .catch((error: unknown) => {
            video.ready = undefined; // a later request tries again instead of failing forever
            throw error;
          });
        await video.ready;
        return serveFile(req, res, video.file, injected.truncate);
      }
      case 'POST /openai/v1/videos/{video_id}/remix': {
        const source = videos.get(route.params.video_id);
        if (!source) return fail(res, { status: 404, code: 'NotFound', message: `Video ${route.params.video_id} not found.`, type: 'invalid_request_error' });
        const body = await readBodyOrFail(req, res);
        if (!body) return;
        if (typeof body.fields.prompt !== 'string' || body.fields.prompt === '') return fail(res, { status: 400, code: 'invalid_value', message: "Missing required parameter: 'prompt'.", param: 'prompt', type: 'invalid_request_error' });
        return createVideo(res, { ...source.input, prompt: body.fields.prompt }, source.id);
      }
    }
  }

  function sendImage(res: ServerResponse, image: Buffer, contentType: string) {
    res.writeHead(200, { 'content-type': contentType, 'content-length': image.length });
    res.end(image);
  }

  /** Streams a finished file from disk, honouring HEAD and single byte ranges. */
  async function serveFile(req: IncomingMessage, res: ServerResponse, file: string, truncate = false) {
    const { size, mtime } = await stat(file);
    const headers: Record<string, string | number> = { 'content-type': 'video/mp4', 'accept-ranges': 'bytes', 'last-modified': mtime.toUTCString() };
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0;
    let end = size - 1;
    let status = 200;
    if (range && (range[1] || range[2])) {
      start = range[1] ? Number(range[1]) : size - Number(range[2]);
      end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end || start >= size) {
        res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['content-length'] = end - start + 1;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return res.end();
    if (truncate) {
      // Announce the full length, send half, then drop the connection: a truncated download.
      const half = start + Math.floor((end - start + 1) / 2) - 1;
      createReadStream(file, { start, end: half }).on('end', () => res.destroy()).pipe(res, { end: false });
      return;
    }
    createReadStream(file, { start, end }).pipe(res);
  }

  const server = http.createServer((req, res) => {
    res.setHeader('apim-request-id', randomUUID());
    const url = new URL(req.url ?? '/', 'http://localhost');
    const key = `${req.method} ${url.pathname}`;
    let route: RouteMatch | undefined;
    for (const [template, pattern] of ROUTES) {
      const match = pattern.exec(key);
      if (match) {
        route = { template, params: { ...match.groups } };
        break;
      }
    }
    res.on('finish', () => {
      const name = route?.template ?? 'unmatched';
      stats.requests[name] ??= {};
      stats.requests[name][res.statusCode] = (stats.requests[name][res.statusCode] ?? 0) + 1;
    });
    if (!route) return fail(res, { status: 404, code: 'NotFound', message: `No route for ${req.method} ${url.pathname}.` });
    const injected = route.template.includes('/_admin/') ? { latencyMs: 0, reset: false, truncate: false } : faults.choose(route.template);
    handle(req, res, route, url, injected).catch((error: Error) => {
      if (!res.headersSent) fail(res, { status: 500, code: 'internal_error', message: `Emulator error: ${error.message}` });
      else res.destroy(error);
    });
  });
  return server;
}
