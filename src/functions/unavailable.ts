// A handler whose bounded storage call ran out of time (../storage/with-timeout.ts) answers 503
// with Retry-After (problem+json) instead of hanging.
import type { HttpHandler, HttpResponseInit } from '@azure/functions';
import { DependencyTimeoutError } from '../errors.js';
import { problem } from './problem.js';

/** What a 503 asks the caller to wait before trying again, in seconds. */
export const RETRY_AFTER_SECONDS = 10;

export function unavailable(error: DependencyTimeoutError): HttpResponseInit {
  return problem(
    503,
    'Service unavailable',
    `The app's storage did not answer in time (${error.message}). Try again after ${RETRY_AFTER_SECONDS} s.`,
    undefined,
    {
      'retry-after': String(RETRY_AFTER_SECONDS),
    },
  );
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
