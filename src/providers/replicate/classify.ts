// Replicate's failed answers → the pipeline's error classes
// (docs/providers/replicate.md#rate-limits-and-errors): errors are RFC 7807 problem details whose
// `detail` is the message. 429 (with retry-after when sent) and 5xx are worth retrying; 401 token,
// 402 credit, 404 model or prediction and 422 input are permanent, with Replicate's own message
// kept for the caller.
import { ProviderPermanentError, ProviderTransientError } from '../../errors.js';
import { retryAfterSeconds, type FailedResponse } from '../http/classify-response.js';

export function classifyReplicateResponse(response: FailedResponse, what: string, now: number): Error {
  const body = (response.body ?? {}) as { detail?: unknown; title?: unknown };
  const message =
    typeof body.detail === 'string' ? body.detail : typeof body.title === 'string' ? body.title : undefined;
  const text = `${what} failed with HTTP ${response.status}${message ? `: ${message.slice(0, 300)}` : ''}`;
  if (response.status === 429 || response.status === 408 || response.status >= 500) {
    return new ProviderTransientError(
      text,
      response.status,
      retryAfterSeconds((name) => response.header(name), now, response.body),
    );
  }
  const codes: Record<number, string> = {
    401: 'unauthorized',
    402: 'insufficient_credit',
    404: 'not_found',
    422: 'invalid_input',
  };
  return new ProviderPermanentError(text, response.status, codes[response.status]);
}
