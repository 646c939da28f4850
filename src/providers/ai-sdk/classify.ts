// What the AI SDK's errors mean in the pipeline's classes (../../errors.ts). The SDK wraps every
// HTTP failure in APICallError (`statusCode`, `isRetryable`, `responseHeaders`, `responseBody`;
// no status = the request never got an answer); anything else it throws is its own verdict on
// an answer (a schema mismatch, "No videos in response"). Messages keep the vendor's words with
// every key redacted: some packages put the key in URLs (@ai-sdk/google's video links).
import {
  ContentFilteredError,
  CreateOutcomeUnknownError,
  ProviderPermanentError,
  ProviderTransientError,
} from '../../errors.js';

interface ApiCallErrorLike extends Error {
  statusCode?: number;
  isRetryable: boolean;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
}

/** The SDK's marker, a global symbol, so errors from any copy of @ai-sdk/provider are recognized. */
const API_CALL_ERROR = Symbol.for('vercel.ai.error.AI_APICallError');
/** @ai-sdk/gateway's marker for its GatewayError classes (docs/providers/ai-gateway.md#errors). */
const GATEWAY_ERROR = Symbol.for('vercel.ai.gateway.error');

const marked = (error: unknown, marker: symbol) =>
  typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true;

export function isApiCallError(error: unknown): error is ApiCallErrorLike {
  return marked(error, API_CALL_ERROR);
}

/**
 * @ai-sdk/gateway throws its own GatewayError, never an APICallError, and reports a request that
 * got no answer as a 500 (docs/providers/ai-gateway.md#errors). The HTTP failure it wraps, its
 * `cause`, is what this file classifies: the answer's status, headers and body, or no status at
 * all when no answer came (so a lost create stays "outcome unknown", never a 500 to re-send). A
 * gateway timeout is no answer; another GatewayError (no HTTP cause) keeps its own status.
 */
function unwrapGatewayError(error: unknown): unknown {
  if (!marked(error, GATEWAY_ERROR)) return error;
  const gateway = error as Error & { statusCode: number; isRetryable: boolean; cause?: unknown };
  if (isApiCallError(gateway.cause)) return gateway.cause;
  if (gateway.name === 'GatewayTimeoutError')
    return Object.assign(new Error(gateway.message, { cause: error }), { name: 'TimeoutError' });
  return Object.assign(new Error(gateway.message, { cause: error }), {
    [API_CALL_ERROR]: true,
    statusCode: gateway.statusCode,
    isRetryable: gateway.isRetryable,
  });
}

/** Content-policy refusals, in the words vendors use (Google's RAI filter, fal's
 * content_policy_violation, Replicate's and xAI's moderation messages). */
export const CONTENT_POLICY =
  /content[ _-]?polic|raiMediaFiltered|safety (filter|system)|moderat|flagged as sensitive|nsfw|responsible ai/i;

/** The text with the key, and any `key=` query parameter, replaced. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text.replace(/([?&]key=)[^&\s"'\\]+/gi, '$1[redacted]');
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out.length > 1000 ? `${out.slice(0, 1000)}…` : out;
}

/** Seconds to wait from a Retry-After header or Google's RetryInfo (`"retryDelay": "12s"`). */
function retryAfterOf(error: ApiCallErrorLike): number | undefined {
  const header = Object.entries(error.responseHeaders ?? {}).find(
    ([name]) => name.toLowerCase() === 'retry-after',
  )?.[1];
  if (header && Number.isFinite(Number(header))) return Math.max(0, Number(header));
  const delay = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(error.responseBody ?? '')?.[1];
  return delay === undefined ? undefined : Number(delay);
}

/** The vendor's message from an answer: the SDK's own message names it already. */
function vendorMessage(error: Error, secrets: readonly string[]): string {
  return redact(error.message, secrets);
}

/**
 * An error from doStart or doStatus as one of ours. `create`: a request that got no answer may
 * have made a job (CreateOutcomeUnknownError: never re-sent blindly); `what` names the call.
 */
export function classifyAiSdkError(
  error: unknown,
  what: string,
  create: boolean,
  secrets: readonly string[],
  /** The raw JSON answer the SDK parsed, when one was kept: its verdicts drop unknown fields. */
  rawAnswer?: string,
): Error {
  error = unwrapGatewayError(error);
  if (error instanceof ProviderTransientError || error instanceof ProviderPermanentError) return error;
  if (error instanceof CreateOutcomeUnknownError) return error;
  const aborted = error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
  if (isApiCallError(error) && error.statusCode !== undefined) {
    const status = error.statusCode;
    const message = `${what}: HTTP ${status}: ${vendorMessage(error, secrets)}`;
    if (status === 429 || status >= 500 || (error.isRetryable && status !== 400))
      return new ProviderTransientError(message, status, retryAfterOf(error), { cause: error });
    if (CONTENT_POLICY.test(`${error.message} ${error.responseBody ?? ''}`))
      return new ContentFilteredError(message, status, 'content_filtered', { cause: error });
    return new ProviderPermanentError(message, status, undefined, { cause: error });
  }
  if (aborted || isApiCallError(error)) {
    // No answer: a reset, a refused connection, or our timeout.
    const why = aborted ? 'no answer in time' : vendorMessage(error as Error, secrets);
    return create
      ? new CreateOutcomeUnknownError(`${what}: ${why}; a job may have been made`, { cause: error })
      : new ProviderTransientError(`${what}: ${why}`, undefined, undefined, { cause: error });
  }
  const verdict = error instanceof Error ? error.message.split(' Response: ')[0] : String(error);
  const message = redact(rawAnswer ? `${verdict} The provider answered: ${rawAnswer}` : verdict, secrets);
  // The SDK's verdict on an answer it could not use (e.g. no video and no reason): permanent.
  if (CONTENT_POLICY.test(message))
    return new ContentFilteredError(`${what}: ${message}`, 200, 'content_filtered', { cause: error });
  return new ProviderPermanentError(`${what}: ${message}`, 200, 'invalid_response', { cause: error });
}
