// A provider's webhook keys (Replicate's signing secret, fal's JWKS), fetched when a webhook
// needs them. Anyone can POST a webhook, so a failing fetch must not be repeated per request:
// one fetch at a time, and after a failure none until a backoff has passed (1 s, doubling to
// 5 min); meanwhile callers get WebhookKeysUnavailableError at once (the route answers 503).
import { WebhookKeysUnavailableError } from '../../errors.js';

export interface KeyLoaderOptions {
  firstBackoffMs?: number;
  maxBackoffMs?: number;
  /** Milliseconds (tests move the clock). */
  now?: () => number;
}

/** `load`, shared by concurrent callers and gated by a backoff after each failure. */
export function keyLoader<T>(what: string, load: () => Promise<T>, options: KeyLoaderOptions = {}) {
  const first = options.firstBackoffMs ?? 1000;
  const max = options.maxBackoffMs ?? 5 * 60 * 1000;
  const now = options.now ?? Date.now;
  let pending: Promise<T> | undefined;
  let failures = 0;
  let retryAt = 0;
  let lastError: unknown;
  return (): Promise<T> => {
    if (pending) return pending;
    const wait = retryAt - now();
    if (failures > 0 && wait > 0)
      return Promise.reject(
        new WebhookKeysUnavailableError(
          `${what} failed lately; not fetched again for ${Math.ceil(wait / 1000)} s`,
          Math.ceil(wait / 1000),
          { cause: lastError },
        ),
      );
    pending = load().then(
      (value) => {
        failures = 0;
        pending = undefined;
        return value;
      },
      (error: unknown) => {
        failures++;
        lastError = error;
        retryAt = now() + Math.min(max, first * 2 ** (failures - 1));
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
}
