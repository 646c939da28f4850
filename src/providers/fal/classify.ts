// fal's failed answers → the pipeline's error classes (docs/providers/fal.md#result,
// docs/providers/fal.md#retries-concurrency-and-rate-limits): model errors are 422
// `{detail: [{loc, msg, type}]}`, request errors `{detail, error_type}` (also in X-Fal-Error-Type).
// 429, 5xx and timeouts are worth retrying; a content policy refusal is reported as such; every
// other 4xx (401 key, 402/403 credit or access, 404 model, 422 input) is permanent, with fal's own
// message kept for the caller.
import { ContentFilteredError, ProviderPermanentError, ProviderTransientError } from '../../errors.js';
import { retryAfterSeconds, type FailedResponse } from '../http/classify-response.js';

interface FalDetail {
  msg?: unknown;
  type?: unknown;
  loc?: unknown;
}

/** The error's type and a short message from either body shape. */
export function falErrorOf(body: unknown, header: string | null): { type?: string; message?: string } {
  const root = (body ?? {}) as { detail?: unknown; error_type?: unknown; error?: unknown };
  const type = typeof root.error_type === 'string' ? root.error_type : (header ?? undefined);
  if (typeof root.detail === 'string') return { type, message: root.detail };
  if (Array.isArray(root.detail) && root.detail.length > 0) {
    const first = root.detail[0] as FalDetail;
    const where = Array.isArray(first.loc) ? first.loc.filter((part) => part !== 'body').join('.') : '';
    const message = typeof first.msg === 'string' ? `${where ? `${where}: ` : ''}${first.msg}` : undefined;
    return { type: typeof first.type === 'string' ? first.type : type, message };
  }
  return { type, message: typeof root.error === 'string' ? root.error : undefined };
}

export function classifyFalResponse(response: FailedResponse, what: string, now: number): Error {
  const { type, message } = falErrorOf(response.body, response.header('x-fal-error-type'));
  const text = `${what} failed with HTTP ${response.status}${type ? ` (${type})` : ''}${message ? `: ${message.slice(0, 300)}` : ''}`;
  if (response.status === 429 || response.status === 408 || response.status >= 500) {
    return new ProviderTransientError(
      text,
      response.status,
      retryAfterSeconds((name) => response.header(name), now, response.body),
    );
  }
  if (type === 'content_policy_violation') return new ContentFilteredError(text, response.status, type);
  const code =
    response.status === 402
      ? 'insufficient_credit'
      : response.status === 401
        ? 'unauthorized'
        : response.status === 404
          ? 'not_found'
          : type;
  return new ProviderPermanentError(text, response.status, code);
}
