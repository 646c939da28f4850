// The Azure OpenAI Sora dialect's JSON: jobs, generations and videos as the APIs show them, and
// its error answers (`{error: {code, message, param, type}}`).
import type { ServerResponse } from 'node:http';
import { sendJson, type Headers } from '../http-util.js';
import type { ApiErrorBody } from '../jobs-api.js';
import { statusOf, videoState, type Job, type Video } from './state.js';

const unixSeconds = (ms: number) => Math.floor(ms / 1000);

export const fail = (res: ServerResponse, error: ApiErrorBody, headers?: Headers) =>
  sendJson(
    res,
    error.status,
    {
      error: {
        code: error.code,
        message: error.message,
        param: error.param ?? null,
        type: error.type ?? null,
      },
    },
    headers,
  );

export const deploymentNotFound = (res: ServerResponse, model: string) =>
  fail(res, {
    status: 404,
    code: 'DeploymentNotFound',
    message: `The API deployment for this resource does not exist: '${model}'.`,
    type: 'video_generation_user_error',
  });

/** The running-jobs limit: 429 "Too many running tasks"
 * (docs/providers/azure-openai-sora.md#sora-2-videos-api). */
export const tooManyRunning = (res: ServerResponse, timeScale: number) =>
  fail(
    res,
    {
      status: 429,
      code: 'too_many_requests',
      message: 'Too many running tasks',
      type: 'video_generation_user_error',
    },
    { 'retry-after': Math.max(1, Math.ceil((2000 * timeScale) / 1000)) },
  );

/** A video of the videos API; content can be downloaded for `contentTtlSeconds` after completion. */
export function videoView(video: Video, contentTtlSeconds: number) {
  const { status, progress } = videoState(video);
  const completedAt = status === 'completed' ? unixSeconds(video.createdMs + video.totalMs) : null;
  return {
    id: video.id,
    object: 'video',
    status,
    progress,
    created_at: unixSeconds(video.createdMs),
    completed_at: completedAt,
    expires_at: completedAt === null ? null : completedAt + contentTtlSeconds,
    model: video.input.model,
    size: video.input.size,
    seconds: video.input.seconds,
    prompt: null, // Azure returns null here
    remixed_from_video_id: video.remixedFrom,
    error: video.moderated
      ? { code: 'moderation_blocked', message: 'Your request was blocked by our moderation system.' }
      : status === 'failed' && video.lateFailure
        ? {
            code: video.lateFailure === 'output_moderation' ? 'content_filter' : 'internal_error',
            message:
              video.lateFailure === 'output_moderation'
                ? 'The generated video was blocked by the content filter.'
                : 'Video generation failed.',
          }
        : null,
    usage: { duration_seconds: Number(video.input.seconds) },
  };
}

/** A job of the jobs API; content can be downloaded for `contentTtlSeconds` after it succeeded. */
export function jobView(job: Job, contentTtlSeconds: number) {
  const status = statusOf(job);
  const finishedMs = status === 'succeeded' ? job.createdMs + job.totalMs : null;
  return {
    object: 'video.generation.job',
    id: job.id,
    status,
    created_at: unixSeconds(job.createdMs),
    finished_at: finishedMs === null ? null : unixSeconds(finishedMs),
    expires_at: finishedMs === null ? null : unixSeconds(finishedMs) + contentTtlSeconds,
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

export function generationView(job: Job, id: string) {
  return {
    object: 'video.generation',
    id,
    job_id: job.id,
    created_at: unixSeconds(job.createdMs + job.totalMs),
    width: job.input.width,
    height: job.input.height,
    n_seconds: job.input.n_seconds,
    prompt: job.input.prompt,
  };
}
