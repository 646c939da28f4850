// A vendor's own cancel for a job an AI SDK package started. The video model spec v4 has no
// cancel, so where the vendor documents one, this maps the package's stored `operation` onto
// that vendor's cancel call, and nothing else (docs/providers/ai-sdk.md#cancel). Pure: no I/O,
// no key; the adapter sends the call through the shared transport (../http/transport.ts).
//
// The key goes only where the package itself sends it: each mapping checks the operation's URLs
// the way the package checks them before a status call (same origin, a job path), and refuses
// anything else, so a tampered operation cannot send our key elsewhere.
import { ProviderPermanentError, ProviderTransientError } from '../../errors.js';
import { retryAfterSeconds, type FailedResponse } from '../http/classify-response.js';

/** One cancel request: `method` to `baseUrl` + `path`, with `Authorization: <scheme> <key>`. */
export interface CancelCall {
  /** The vendor's name in messages ("fal", "Replicate"). */
  service: string;
  /** The origin (and path prefix) the package sends the key to. */
  baseUrl: string;
  /** Below baseUrl, its segments URL-encoded. */
  path: string;
  method: 'POST' | 'PUT';
  scheme: 'Bearer' | 'Key';
  /** The vendor's job id, for messages. */
  jobId: string;
  /** Failed answers that mean there is nothing left to cancel (the job ended or is gone). */
  nothingLeft: number[];
}

/** @ai-sdk/replicate 3.0.46's default `baseURL` (its createReplicate). */
export const REPLICATE_API = 'https://api.replicate.com/v1';

/** A job id as one path segment: what the vendors' ids look like, never `.` or `..`. */
const JOB_ID = /^(?!\.+$)[A-Za-z0-9._~-]{1,128}$/;

function invalid(what: string): ProviderPermanentError {
  // The operation's values are not echoed: a URL in it may be signed.
  return new ProviderPermanentError(
    `the stored operation cannot be cancelled: ${what}`,
    400,
    'invalid_operation',
  );
}

function stringField(operation: unknown, field: string): string {
  const value =
    typeof operation === 'object' && operation !== null
      ? (operation as Record<string, unknown>)[field]
      : undefined;
  if (typeof value !== 'string' || value === '') throw invalid(`it has no ${field}`);
  return value;
}

function httpUrl(value: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`its ${field} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(`its ${field} is not http(s)`);
  if (url.username || url.password) throw invalid(`its ${field} carries credentials`);
  return url;
}

/**
 * Replicate: `POST {base}/predictions/{id}/cancel` (docs/providers/replicate.md#endpoints).
 * @ai-sdk/replicate keeps `{ getUrl: prediction.urls.get }`, i.e. `{base}/predictions/{id}`, and
 * fetches it only at its `baseURL`'s origin; here it must be exactly a prediction below the
 * instance's base URL, and the cancel goes to that base URL.
 */
export function replicateCancel(operation: unknown, baseUrl: string | undefined): CancelCall {
  const getUrl = httpUrl(stringField(operation, 'getUrl'), 'getUrl');
  const base = httpUrl((baseUrl ?? REPLICATE_API).replace(/\/+$/, ''), 'base URL');
  const prefix = `${base.pathname.replace(/\/+$/, '')}/predictions/`;
  const encoded = getUrl.pathname.startsWith(prefix) ? getUrl.pathname.slice(prefix.length) : '';
  if (getUrl.origin !== base.origin || getUrl.search || !encoded)
    throw invalid("its getUrl is not a prediction at the instance's base URL");
  let id: string;
  try {
    id = decodeURIComponent(encoded);
  } catch {
    throw invalid('its getUrl names no prediction id');
  }
  if (!JOB_ID.test(id)) throw invalid('its getUrl names no prediction id');
  return {
    service: 'Replicate',
    baseUrl: `${base.origin}${base.pathname.replace(/\/+$/, '')}`,
    path: `/predictions/${encodeURIComponent(id)}/cancel`,
    method: 'POST',
    scheme: 'Bearer',
    jobId: id,
    // An unknown (or removed) prediction: nothing to cancel.
    nothingLeft: [404],
  };
}

/**
 * fal: `PUT {queue}/{owner}/{app}/requests/{id}/cancel` (docs/providers/fal.md#cancel), the
 * request's own URL plus `/cancel`. @ai-sdk/fal keeps `{ responseUrl, submitUrl }` and reads
 * `responseUrl` (`{queue}/{owner}/{app}/requests/{id}`) only at `submitUrl`'s origin; here the
 * same: both at one origin, and `responseUrl` a request's path.
 */
export function falCancel(operation: unknown): CancelCall {
  const responseUrl = httpUrl(stringField(operation, 'responseUrl'), 'responseUrl');
  const submitUrl = httpUrl(stringField(operation, 'submitUrl'), 'submitUrl');
  if (responseUrl.origin !== submitUrl.origin)
    throw invalid('its responseUrl is not at the origin it was submitted to');
  const match = /^((?:\/[^/]+)+)\/requests\/([^/]+)$/.exec(responseUrl.pathname);
  let id = '';
  try {
    id = match ? decodeURIComponent(match[2]) : '';
  } catch {
    // Left empty: refused below.
  }
  if (!match || responseUrl.search || !JOB_ID.test(id)) throw invalid('its responseUrl is not a fal request');
  return {
    service: 'fal',
    baseUrl: responseUrl.origin,
    path: `${match[1]}/requests/${encodeURIComponent(id)}/cancel`,
    method: 'PUT',
    scheme: 'Key',
    jobId: id,
    // 400 ALREADY_COMPLETED and 404 NOT_FOUND: nothing left to cancel (docs/providers/fal.md#cancel).
    nothingLeft: [400, 404],
  };
}

/**
 * A failed cancel answer → our classes. Both vendors put their words in `detail` (Replicate's
 * problem details; fal's request errors), and fal answers a cancel with `{status}` objects
 * (`ALREADY_COMPLETED`, `NOT_FOUND`). 429, 408 and 5xx are transient; any other status is final.
 */
export function classifyCancelAnswer(response: FailedResponse, what: string, now: number): Error {
  const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as {
    detail?: unknown;
    status?: unknown;
  };
  const words =
    typeof body.detail === 'string' ? body.detail : typeof body.status === 'string' ? body.status : '';
  const message = `${what} failed with HTTP ${response.status}${words ? `: ${words.slice(0, 300)}` : ''}`;
  if (response.status === 429 || response.status === 408 || response.status >= 500)
    return new ProviderTransientError(
      message,
      response.status,
      retryAfterSeconds((name) => response.header(name), now, response.body),
    );
  return new ProviderPermanentError(message, response.status, undefined);
}
