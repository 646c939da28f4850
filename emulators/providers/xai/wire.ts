// The xAI dialect's JSON (docs/providers/xai.md): xAI's HTTP error body `{code, error}`, whose
// `code` is the gRPC status's description ("Client specified an invalid argument"), and a video
// request as `GET /v1/videos/{request_id}` shows it: 202 `pending` with its progress, then 200
// `done` with the video (or with `respect_moderation: false` and no URL when the output was
// moderated) or 200 `failed` with a structured `{code, message}` error.
import type { ServerResponse } from 'node:http';
import { sendJson, type Headers } from '../http-util.js';
import type { JobState } from '../queued-jobs.js';
import type { VideoRequest, XaiDeps } from './state.js';

/** The HTTP statuses this dialect answers errors with and the gRPC description xAI puts in `code`. */
const CODES = {
  400: 'Client specified an invalid argument',
  404: 'Some requested entity was not found',
  429: 'Some resource has been exhausted',
  500: 'Internal error',
  503: 'The service is currently unavailable',
} as const;

export type ErrorStatus = keyof typeof CODES;

export function xaiError(res: ServerResponse, status: ErrorStatus, message: string, headers: Headers = {}) {
  sendJson(res, status, { code: CODES[status], error: message }, headers);
}

/** The URL xAI hands out for a finished video (https://vidgen.x.ai/xai-vidgen-bucket/xai-video-<id>.mp4): a public file. */
export const videoUrl = (r: VideoRequest) => `${r.origin}/xai/vidgen/xai-vidgen-bucket/xai-video-${r.id}.mp4`;

/** The emulator's wording of a refused prompt (xAI's docs name the code, `invalid_argument`, not the words). */
export const PROMPT_REFUSED =
  'Video generation was rejected by content moderation: the prompt violates the usage policy.';

/** The request as `GET /v1/videos/{request_id}` shows it, with the HTTP status to send. */
export function statusView(
  { queue }: Pick<XaiDeps, 'queue'>,
  r: VideoRequest,
): { status: 200 | 202; body: unknown } {
  const state = queue.state(r);
  if (state.finishedMs === null) {
    const progress = progressOf(r, state);
    return { status: 202, body: { status: 'pending', progress } };
  }
  const model = r.request.model.id;
  if (state.phase === 'succeeded')
    return {
      status: 200,
      body: {
        status: 'done',
        video: { url: videoUrl(r), duration: r.request.seconds, respect_moderation: true },
        model,
        progress: 100,
      },
    };
  if (r.moderated)
    return {
      status: 200,
      body: {
        status: 'failed',
        error: { code: 'invalid_argument', message: r.inputError ?? PROMPT_REFUSED },
      },
    };
  if (r.lateFailure === 'internal_error')
    return {
      status: 200,
      body: {
        status: 'failed',
        error: { code: 'internal_error', message: 'Video generation failed due to an internal error.' },
      },
    };
  // Moderated output: done, `respect_moderation: false` and the URL empty (xAI's GeneratedVideo).
  return {
    status: 200,
    body: {
      status: 'done',
      video: { url: '', duration: r.request.seconds, respect_moderation: false },
      model,
      progress: 100,
    },
  };
}

/** 0 while queued, then rising with the run, never 100 before the end (xAI: 0-99 while pending). */
function progressOf(r: VideoRequest, state: JobState): number {
  if (state.startedMs === null) return 0;
  return Math.min(99, Math.floor(((Date.now() - state.startedMs) / Math.max(1, r.runMs)) * 100));
}

/** The status word for GET /_admin/jobs/{id}: the one the API shows (a moderated output is `done`). */
export function publicStatus(r: VideoRequest, state: Pick<JobState, 'phase' | 'finishedMs'>): string {
  if (state.finishedMs === null) return 'pending';
  if (state.phase === 'succeeded') return 'done';
  return r.moderated || r.lateFailure === 'internal_error' ? 'failed' : 'done';
}
