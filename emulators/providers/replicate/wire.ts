// The Replicate dialect's JSON (docs/providers/replicate.md): the prediction object with its logs,
// and RFC 7807 problem details for every error (docs/providers/replicate.md#rate-limits-and-errors).
import type { ServerResponse } from 'node:http';
import { sendJson, type Headers } from '../http-util.js';
import type { ImageFailure } from '../image-fetch.js';
import type { JobQueue, JobState } from '../queued-jobs.js';
import type { Problem } from '../video-models.js';
import type { Prediction, ReplicateDeps } from './state.js';

/** RFC 7807 problem details (docs/providers/replicate.md#rate-limits-and-errors). */
export function problem(
  res: ServerResponse,
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Headers = {},
) {
  sendJson(
    res,
    status,
    { type: `https://replicate.com/docs/reference/http#${status}`, title, status, detail, ...extra },
    headers,
    'application/problem+json',
  );
}

/** One input problem in Replicate's words (the 422's detail line and invalid_fields description). */
export function describeProblem(p: Problem): string {
  if (p.kind === 'missing') return `input: ${p.field} is required`;
  if (p.kind === 'enum' || (p.kind === 'type' && p.expected))
    return `input.${p.field}: input.${p.field} must be one of the following: ${p.expected!.map((e) => (typeof e === 'string' ? `"${e}"` : e)).join(', ')}`;
  if (p.kind === 'range')
    return `input.${p.field}: Must be ${p.min !== undefined && (p.value as number) < p.min ? `greater than or equal to ${p.min}` : `less than or equal to ${p.max}`}`;
  return `input.${p.field}: Invalid type. Expected: ${p.field_type}, given: ${Array.isArray(p.value) ? 'array' : typeof p.value}`;
}

/** The failed prediction's `error` when its image input could not be used (**choice**: Replicate's
 * wording for a failed input download is not in the sources read; this names the field and why). */
export function imageError(field: string, failure: ImageFailure): string {
  if (failure.kind === 'download') return `Failed to download ${field}: ${failure.message}.`;
  if (failure.kind === 'too_large') return `${field} is too large: ${failure.message}.`;
  return `${field} is not a valid image (PNG, JPEG or WebP): ${failure.message}.`;
}

// `aborted`: a Cancel-After deadline passed before the start (not billed); after the start it is `canceled`.
export const publicStatus = (state: JobState) =>
  ({
    queued: 'starting',
    running: 'processing',
    succeeded: 'succeeded',
    failed: 'failed',
    cancelled: 'canceled',
    expired: 'aborted',
  })[state.phase];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Output, input and logs are removed `dataTtlSeconds` after completion (or by the admin). */
export const dataGone = (p: Prediction, state: JobState, dataTtlSeconds: number) =>
  p.dataRemoved || (state.finishedMs !== null && Date.now() > state.finishedMs + dataTtlSeconds * 1000);

/** The run's logs on the clock: a line at start, at each quarter, and at success. */
export function logsOf(
  queue: JobQueue<Prediction>,
  p: Prediction,
  state: JobState,
  now = Date.now(),
): string {
  if (state.startedMs === null) return '';
  const lines = [
    `Generating a ${p.model.seconds(p.resolved)} s ${p.model.aspect(p.resolved, p.image)} video`,
  ];
  for (const { quarter } of queue.quartersReached(p, state, now)) lines.push(`${quarter}%`);
  if (state.phase === 'succeeded') lines.push('Video generated');
  return lines.map((line) => `${line}\n`).join('');
}

/** The prediction object (docs/providers/replicate.md#prediction-object) as GET, create, list and
 * webhooks show it. */
export function predictionView({ core, queue }: Pick<ReplicateDeps, 'core' | 'queue'>, p: Prediction) {
  const state = queue.state(p);
  const status = publicStatus(state);
  const removed = dataGone(p, state, core.settings.replicateDataTtlSeconds);
  const base = `${p.origin}/replicate/v1/predictions/${p.id}`;
  return {
    id: p.id,
    model: p.model.id,
    version: p.model.version,
    input: removed ? {} : p.input,
    logs: removed ? '' : logsOf(queue, p, state),
    output: status === 'succeeded' && !removed ? `${p.origin}/replicate/delivery/${p.id}/output.mp4` : null,
    data_removed: removed,
    error:
      status !== 'failed'
        ? null
        : p.inputError
          ? p.inputError
          : p.moderated || p.lateFailure === 'output_moderation'
            ? 'The input or output was flagged as sensitive. Please try again with different inputs. (E005)'
            : 'Prediction failed due to an internal error. (E8765)',
    status,
    created_at: iso(p.createdMs),
    started_at: iso(state.startedMs),
    completed_at: iso(state.finishedMs),
    urls: { get: base, cancel: `${base}/cancel`, web: `https://replicate.com/p/${p.id}` },
    metrics:
      state.finishedMs === null
        ? {}
        : {
            predict_time: state.startedMs === null ? 0 : (state.finishedMs - state.startedMs) / 1000,
            total_time: (state.finishedMs - p.createdMs) / 1000,
          },
    source: 'api',
    ...(p.runDeadlineMs !== undefined ? { deadline: iso(p.runDeadlineMs) } : {}),
    ...(p.webhook ? { webhook: p.webhook, webhook_events_filter: p.filter ?? ['output', 'completed'] } : {}),
  };
}
