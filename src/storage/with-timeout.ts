// Bounds on what the app waits for from storage: Blob Storage, and the durable task hub (whose
// state is in storage too). Durable client calls and Blob Storage calls have no timeout of their
// own: with storage frozen (an outage, a throttled account, a stopped Azurite) a POST or GET hung
// until the caller gave up, who then could not tell "not started" from "started". Each such call
// gets DEPENDENCY_TIMEOUT_MS; the HTTP layer answers 503 when one runs out (functions/unavailable.ts).
import { DependencyTimeoutError } from '../errors.js';

/** Far above what a durable or storage call takes when healthy (milliseconds), and below
 * what HTTP clients commonly wait (30 s and more). */
export const DEPENDENCY_TIMEOUT_MS = 10_000;

/** `work`, or a DependencyTimeoutError after `ms`. The call itself cannot be aborted (the
 * durable client takes no signal): it may still finish later, which callers must allow for. */
export async function withTimeout<T>(what: string, work: Promise<T>, ms = DEPENDENCY_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DependencyTimeoutError(what, ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
