// Turns a failed OpenAI-style HTTP answer (Azure OpenAI, any /v1/videos endpoint) into one of the named errors, so retry decisions are
// made by class: transient (429, 408, 5xx) may be retried, permanent (other 4xx) never,
// content-filtered never and reported as such.
import { ContentFilteredError, ProviderPermanentError, ProviderTransientError } from '../../errors.js';

export interface FailedResponse {
  status: number;
  /** Header lookup, case-insensitive like fetch's Headers.get. */
  header(name: string): string | null;
  /** The parsed JSON body, if it was JSON. */
  body: unknown;
}

const CONTENT_FILTER_CODES = new Set([
  'content_filter',
  'moderation_blocked',
  'content_policy_violation',
  'input_moderation',
  'output_moderation',
]);

/** Seconds to wait, from retry-after-ms (preferred, finer) or retry-after (seconds or an HTTP date),
 * else from the body's `retry_after` (seconds, at its root or under `error`), as some APIs send. */
export function retryAfterSeconds(
  header: (name: string) => string | null,
  now: number,
  body?: unknown,
): number | undefined {
  const ms = Number(header('retry-after-ms'));
  if (header('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms / 1000;
  const value = header('retry-after');
  if (value !== null && value.trim() !== '') {
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds;
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, (date - now) / 1000);
  }
  return bodyRetryAfter(body);
}

function bodyRetryAfter(body: unknown): number | undefined {
  const root = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const nested =
    typeof root.error === 'object' && root.error !== null ? (root.error as Record<string, unknown>) : {};
  for (const value of [root.retry_after, nested.retry_after]) {
    const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) return seconds;
  }
  return undefined;
}

export function classifyFailedResponse(response: FailedResponse, what: string, now: number): Error {
  const error = (response.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  // The provider's messages describe the request, not secrets; keep them short in our errors.
  const detail = typeof error?.message === 'string' ? `: ${error.message.slice(0, 300)}` : '';
  const message = `${what} failed with HTTP ${response.status}${code ? ` (${code})` : ''}${detail}`;
  if (response.status === 429 || response.status === 408 || response.status >= 500) {
    return new ProviderTransientError(
      message,
      response.status,
      retryAfterSeconds((n) => response.header(n), now, response.body),
    );
  }
  if (code && CONTENT_FILTER_CODES.has(code)) return new ContentFilteredError(message, response.status, code);
  return new ProviderPermanentError(message, response.status, code);
}
