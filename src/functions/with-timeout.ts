// Bounds on what the HTTP functions wait for. Durable client calls and Blob Storage calls have
// no timeout of their own: with storage frozen (an outage, a throttled account, a stopped
// Azurite) a POST or GET hung until the caller gave up, who then could not tell "not started"
// from "started". Each such call now gets DEPENDENCY_TIMEOUT_MS, and a handler whose call ran
// out answers 503 with Retry-After (problem+json) instead of hanging.
import type { HttpHandler, HttpResponseInit } from '@azure/functions';
import { problem } from './problem.js';

/** Far above what a durable or storage call takes when healthy (milliseconds), and below
 * what HTTP clients commonly wait (30 s and more). */
export const DEPENDENCY_TIMEOUT_MS = 10_000;
/** What a 503 asks the caller to wait before trying again, in seconds. */
export const RETRY_AFTER_SECONDS = 10;

export class DependencyTimeoutError extends Error {
  constructor(readonly what: string, readonly ms: number) {
    super(`${what} did not answer within ${ms / 1000} s`);
    this.name = 'DependencyTimeoutError';
  }
}

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

export function unavailable(error: DependencyTimeoutError): HttpResponseInit {
  return problem(503, 'Service unavailable', `The app's storage did not answer in time (${error.message}). Try again after ${RETRY_AFTER_SECONDS} s.`, undefined, {
    'retry-after': String(RETRY_AFTER_SECONDS),
  });
}

/** The handler, answering 503 when one of its bounded calls ran out of time. */
export function answeringTimeoutsWith503(handler: HttpHandler): HttpHandler {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (error) {
      if (error instanceof DependencyTimeoutError) {
        context.warn(`Answered 503: ${error.message}`);
        return unavailable(error);
      }
      throw error;
    }
  };
}
