// How a POST names what it starts.
// - With an Idempotency-Key, the instance id is an HMAC of the key under the deployment's
//   secret (IDEMPOTENCY_KEY_SECRET): callers pick keys that others can guess (order numbers,
//   dates), and the instance id is what GET and DELETE take, so the key itself must not name
//   the video. Without the secret there is no safe id to derive, so keys are refused then.
// - Every start gets a run id of its own, carried in the orchestration's input. Claims,
//   intents, cancel marks and blobs live under it, so an instance id started again after a
//   purge (the same key, later) begins clean instead of finding the old run's job and video.
// - A keyed start stores a keyed digest of the normalised request with the instance, so a
//   later or concurrent POST with the key can tell "this exact body" from another one.
import { createHmac, randomUUID } from 'node:crypto';
import type { VideoRequest } from './video-request.js';

/** 32 hex digits (128 bits of the HMAC-SHA256): the shape of the ids durable makes itself. */
export function instanceIdForKey(secret: string, key: string): string {
  return createHmac('sha256', secret).update(`idempotency-key:${key}`).digest('hex').slice(0, 32);
}

export function newRunId(): string {
  return randomUUID().replace(/-/g, '');
}

/** JSON with object keys sorted (and undefined members left out, as JSON.stringify does), so
 * two equal requests read the same however the caller ordered their `options`. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(
      ([, member]) => member !== undefined,
    );
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Keyed, like the instance id: the digest of a prompt is no public fingerprint of it. */
export function requestHash(secret: string, request: VideoRequest): string {
  return createHmac('sha256', secret)
    .update(`request:${canonicalJson(request)}`)
    .digest('hex');
}
