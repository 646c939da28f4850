// The fal queue dialect's JSON (docs/providers/fal.md): status objects with their logs, results,
// outcomes of failed requests with their headers, pydantic-style validation errors, webhook
// bodies. Errors are `{detail}` answers.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { LateFailure } from '../core.js';
import { MAX_IMAGE_BYTES, type ImageFailure } from '../image-fetch.js';
import { sendJson, type Headers } from '../http-util.js';
import type { JobQueue, JobState } from '../queued-jobs.js';
import type { Problem } from '../video-models.js';
import type { FalRequest } from './state.js';

export const detail = (res: ServerResponse, status: number, body: unknown, headers: Headers = {}) =>
  sendJson(res, status, body, headers);

export function urls(r: FalRequest) {
  const base = `${r.origin}/fal/${r.app}/requests/${r.id}`;
  return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
}

export const publicStatus = (state: JobState) =>
  state.phase === 'queued' ? 'IN_QUEUE' : state.phase === 'running' ? 'IN_PROGRESS' : 'COMPLETED';

/** fal's model error items carry a link to the docs of their type (docs/providers/fal.md#result). */
const withUrl = <T extends { type: string }>(item: T) => ({
  ...item,
  url: `https://docs.fal.ai/errors#${item.type}`,
});

/** Pydantic-style 422 entries, the shape fal's models answer with (docs/providers/fal.md#result). */
export function validationDetail(problems: Problem[]) {
  return problems.map((p) => withUrl(itemOf(p)));
}

/** One problem as a pydantic v2 error item (its `url` added by validationDetail). */
function itemOf(p: Problem) {
  const loc = ['body', p.field];
  if (p.kind === 'missing') return { loc, msg: 'Field required', type: 'missing' };
  if (p.kind === 'enum' || (p.kind === 'type' && p.expected)) {
    const expected = p
      .expected!.map((e) => `'${e}'`)
      .join(', ')
      .replace(/, ([^,]*)$/, ' or $1');
    return {
      loc,
      msg: `Input should be ${expected}`,
      type: 'literal_error',
      input: p.value,
      ctx: { expected },
    };
  }
  if (p.kind === 'range')
    return {
      loc,
      msg: `Input should be ${p.min !== undefined && (p.value as number) < p.min ? `greater than or equal to ${p.min}` : `less than or equal to ${p.max}`}`,
      type: p.min !== undefined && (p.value as number) < p.min ? 'greater_than_equal' : 'less_than_equal',
      input: p.value,
    };
  const kind = { string: 'string', number: 'float', integer: 'int', boolean: 'bool', array: 'list' }[
    p.field_type
  ];
  return {
    loc,
    msg: `Input should be a valid ${p.field_type === 'number' ? 'number' : p.field_type}`,
    type: `${kind}_type`,
    input: p.value,
  };
}

/** The model's 422 item for an image input it could not use (fal's error types on its errors
 * page, fal [10]: the download failed, the file is too large, or it is not an image that loads). */
export function imageErrorItem(field: string, failure: ImageFailure) {
  const loc = ['body', field];
  if (failure.kind === 'download')
    return withUrl({
      loc,
      msg: 'Failed to download the file. Please check if the URL is accessible and try again.',
      type: 'file_download_error',
    });
  if (failure.kind === 'too_large')
    return withUrl({
      loc,
      msg: `File size exceeds the maximum allowed size of ${MAX_IMAGE_BYTES} bytes.`,
      type: 'file_too_large',
      ctx: { max_size: MAX_IMAGE_BYTES },
    });
  return withUrl({
    loc,
    msg: 'Failed to load the image. Please ensure the image file is not corrupted and is in a supported format.',
    type: 'image_load_error',
  });
}

export interface Outcome {
  status: number;
  body: unknown;
  errorType?: string;
  /** The status object's `error`. */
  error?: string;
  /** `user` when the caller's X-Fal-Request-Timeout ran out (clients must not retry then). */
  timeoutType?: 'user';
  /** Model errors say whether the same request may succeed again (X-Fal-Retryable). */
  retryable?: boolean;
}

/** What the model answered, once the request is final and did not succeed. */
export function outcomeOf(r: FalRequest, state: JobState): Outcome | undefined {
  if (state.phase === 'expired')
    return {
      status: 504,
      body: { detail: 'Request timed out', error_type: 'request_timeout' },
      errorType: 'request_timeout',
      error: 'Request timed out',
      timeoutType: 'user',
    };
  if (state.phase === 'cancelled')
    return {
      status: 499,
      body: { detail: 'Request was cancelled by the client.', error_type: 'client_cancelled' },
      errorType: 'client_cancelled',
      error: 'Request was cancelled by the client.',
    };
  if (state.phase !== 'failed') return undefined;
  if (r.inputErrors)
    return {
      status: 422,
      body: { detail: r.inputErrors },
      error: 'Invalid status code: 422',
      retryable: false,
    };
  const late: LateFailure = r.moderated ? null : r.lateFailure;
  if (late === 'internal_error')
    return {
      status: 500,
      body: { detail: 'Internal server error', error_type: 'internal_error' },
      errorType: 'internal_error',
      error: 'Internal server error',
    };
  const msg = r.moderated
    ? 'The prompt was flagged by the content checker. Please change the prompt and try again.'
    : 'The generated video was flagged by the content checker.';
  return {
    status: 422,
    body: {
      detail: [
        withUrl({
          loc: ['body', 'prompt'],
          msg,
          type: 'content_policy_violation',
          ctx: { extra_info: r.moderated ? 'input' : 'output' },
        }),
      ],
    },
    errorType: 'content_policy_violation',
    error: 'Invalid status code: 422',
    retryable: false,
  };
}

/** The headers of a failed request's result. */
export function outcomeHeaders(r: FalRequest, outcome: Outcome): Headers {
  return {
    'x-fal-request-id': r.id,
    ...(outcome.errorType ? { 'x-fal-error-type': outcome.errorType } : {}),
    ...(outcome.timeoutType ? { 'x-fal-request-timeout-type': outcome.timeoutType } : {}),
    ...(outcome.retryable !== undefined ? { 'x-fal-retryable': String(outcome.retryable) } : {}),
  };
}

/** Runner logs on the clock: one line at start, at each quarter, and at the end. */
function logsOf(queue: JobQueue<FalRequest>, r: FalRequest, state: JobState, now = Date.now()) {
  if (state.startedMs === null) return [];
  const at = (ms: number, message: string, level = 'INFO') => ({
    message,
    level,
    source: 'USER',
    timestamp: new Date(ms).toISOString(),
  });
  if (r.inputErrors) return [at(state.startedMs, 'Input validation failed', 'ERROR')];
  const lines = [
    at(
      state.startedMs,
      `Generating a ${r.model.seconds(r.input)} s ${r.model.aspect(r.input, r.image)} video`,
    ),
  ];
  for (const { quarter, ms } of queue.quartersReached(r, state, now))
    lines.push(at(ms, `Progress: ${quarter}%`));
  if (state.finishedMs !== null)
    lines.push(
      at(
        state.finishedMs,
        state.phase === 'succeeded' ? 'Video generated' : `Request ended: ${state.phase}`,
        state.phase === 'succeeded' ? 'INFO' : 'ERROR',
      ),
    );
  return lines;
}

/** The status object; `logs` is an array only when asked for. */
export function statusView(queue: JobQueue<FalRequest>, r: FalRequest, withLogs: boolean) {
  const state = queue.state(r);
  const status = publicStatus(state);
  const view: Record<string, unknown> = { status, request_id: r.id, ...urls(r) };
  if (status === 'IN_QUEUE') view.queue_position = state.queuePosition;
  if (status !== 'IN_QUEUE') view.logs = withLogs ? logsOf(queue, r, state) : null;
  if (status === 'COMPLETED') {
    view.metrics =
      state.startedMs !== null ? { inference_time: (state.finishedMs! - state.startedMs) / 1000 } : {};
    const outcome = outcomeOf(r, state);
    if (outcome) Object.assign(view, { error: outcome.error, error_type: outcome.errorType });
  }
  return view;
}

/** A succeeded request's result: the video's File object (`bytes` long) and the seed. */
export function resultBody(r: FalRequest, bytes: number) {
  const seed =
    typeof r.input.seed === 'number'
      ? r.input.seed
      : createHash('sha256').update(String(r.input.prompt)).digest().readUInt32BE(0);
  return {
    video: {
      url: `${r.origin}/fal/files/${r.id}/output.mp4`,
      content_type: 'video/mp4',
      file_name: 'output.mp4',
      file_size: bytes,
    },
    seed,
  };
}

/** The webhook body (docs/providers/fal.md#webhooks): `error` is null on OK, as fal's example shows. */
export function webhookBody(r: FalRequest, status: 'OK' | 'ERROR', payload: unknown, error?: string): string {
  return JSON.stringify({
    request_id: r.id,
    gateway_request_id: r.id,
    status,
    payload,
    error: error ?? null,
  });
}
