// The AI Gateway dialect's JSON (docs/providers/ai-gateway.md): the gateway's error body
// `{error: {message, type, param?}}`, whose `type` @ai-sdk/gateway turns into its error classes,
// and a generation as `POST /v4/ai/video-model/status` shows it: `pending`, `completed` with the
// videos as URLs, or `error` with a message.
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http-util.js';
import type { JobState } from '../queued-jobs.js';
import type { GatewayDeps, Generation } from './state.js';

export type ErrorType =
  | 'authentication_error'
  | 'invalid_request_error'
  | 'model_not_found'
  | 'not_found'
  | 'rate_limit_exceeded'
  | 'internal_server_error';

export function gatewayError(
  res: ServerResponse,
  status: number,
  type: ErrorType,
  message: string,
  param?: unknown,
) {
  sendJson(res, status, { error: { message, type, ...(param === undefined ? {} : { param }) } });
}

/** A video's public URL on the emulator (**choice**: where the gateway keeps videos is not in the sources read). */
export const fileUrl = (origin: string, fileId: string) => `${origin}/gateway/files/${fileId}.mp4`;

/** The emulator's words for the failures (the gateway passes on its providers', which vary). */
export const FAILURES = {
  input: "The provider refused the prompt: it violates the provider's content policy.",
  output: "The generated video was blocked by the provider's content policy.",
  internal: 'Video generation failed at the provider due to an internal error.',
};

/** The generation as the status route shows it. */
export function statusView({ queue }: Pick<GatewayDeps, 'queue'>, generation: Generation) {
  const state = queue.state(generation);
  if (state.finishedMs === null) return { status: 'pending' };
  if (state.phase === 'succeeded')
    return {
      status: 'completed',
      videos: generation.videos.map((v) => ({
        type: 'url',
        url: fileUrl(generation.origin, v.id),
        mediaType: 'video/mp4',
      })),
    };
  const error = generation.moderated
    ? FAILURES.input
    : generation.lateFailure === 'internal_error'
      ? FAILURES.internal
      : FAILURES.output;
  return { status: 'error', error };
}

/** The status word for GET /_admin/jobs/{id}: the one the status route shows. */
export const publicStatus = (state: Pick<JobState, 'phase' | 'finishedMs'>) =>
  state.finishedMs === null ? 'pending' : state.phase === 'succeeded' ? 'completed' : 'error';
