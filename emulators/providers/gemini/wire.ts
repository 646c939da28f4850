// The Gemini API dialect's JSON (docs/providers/gemini.md): Google's error body
// `{error: {code, message, status, details?}}` with the HTTP status each canonical code maps to,
// and the long-running operation as `GET {operation name}` shows it while pending, done with the
// generated samples, done with the samples filtered by Responsible AI, or done with an error.
import type { ServerResponse } from 'node:http';
import { sendJson } from '../http-util.js';
import type { Phase } from '../queued-jobs.js';
import type { GeminiDeps, Operation } from './state.js';

/** The canonical codes this dialect answers with, and their HTTP statuses (google.rpc.Code mapping). */
const HTTP_STATUS = {
  INVALID_ARGUMENT: 400,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type GoogleStatus = keyof typeof HTTP_STATUS;

/** Google answers JSON with an explicit charset. */
const JSON_TYPE = 'application/json; charset=UTF-8';

export function googleError(res: ServerResponse, status: GoogleStatus, message: string, details?: unknown[]) {
  const code = HTTP_STATUS[status];
  sendJson(res, code, { error: { code, message, status, ...(details ? { details } : {}) } }, {}, JSON_TYPE);
}

export const sendGoogleJson = (res: ServerResponse, body: unknown) => sendJson(res, 200, body, {}, JSON_TYPE);

/** How long to wait before retrying: Google puts it in the body, not in a Retry-After header. */
export const retryInfo = (seconds: number) => ({
  '@type': 'type.googleapis.com/google.rpc.RetryInfo',
  retryDelay: `${seconds}s`,
});

export const operationName = (op: Operation) => `models/${op.model.id}/operations/${op.id}`;

/** The URI Google hands out for a generated sample: the Files API's media download. */
export const fileUri = (origin: string, fileId: string) =>
  `${origin}/v1beta/files/${fileId}:download?alt=media`;

const RESPONSE_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse';

/** The emulator's wording of a Responsible AI refusal (the real reasons vary and carry support codes). */
const RAI_REASONS = {
  input:
    "Veo could not generate videos because the input prompt violates Google's Responsible AI practices. Try rephrasing the prompt.",
  output:
    "Veo could not generate videos because the generated videos violate Google's Responsible AI practices. Try rephrasing the prompt.",
};

/** A finished operation whose response is a PredictLongRunningResponse with this generateVideoResponse. */
const answered = (name: string, generateVideoResponse: Record<string, unknown>) => ({
  name,
  done: true,
  response: { '@type': RESPONSE_TYPE, generateVideoResponse },
});

/** The operation as `GET /v1beta/{name}` (and the create) shows it: `done` is omitted until it is true. */
export function operationView({ queue }: Pick<GeminiDeps, 'queue'>, op: Operation) {
  const state = queue.state(op);
  const name = operationName(op);
  if (state.finishedMs === null) return { name };
  if (state.phase === 'succeeded')
    return answered(name, {
      generatedSamples: op.samples.map((s) => ({ video: { uri: fileUri(op.origin, s.id) } })),
    });
  if (!op.moderated && op.lateFailure === 'internal_error')
    // google.rpc.Status inside an operation: the numeric code (13 = INTERNAL) and a message.
    return {
      name,
      done: true,
      error: { code: 13, message: 'Video generation failed due to an internal error.' },
    };
  return answered(name, {
    raiMediaFilteredCount: op.samples.length,
    raiMediaFilteredReasons: [op.moderated ? RAI_REASONS.input : RAI_REASONS.output],
  });
}

/** The operation's state for GET /_admin/jobs/{id}: the phase (the operation itself only says `done`). */
export const publicStatus = (state: { phase: Phase }) => state.phase;
