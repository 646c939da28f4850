// Delivers one event to the caller's callbackUrl, apart from the request it reports on: started
// (by the scheduleCallback activity, or by DELETE) once the request has ended, so a slow or
// failing receiver never delays or fails the request itself. Durable retries with backoff on
// 5xx, 429, timeouts and network errors for about an hour; none after a 4xx, a redirect or an
// unsafe URL. Its custom status is what GET /api/videos/{id} shows as `callback`.
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  activityNames,
  type CallbackProgress,
  type DeliverCallbackInput,
  type DeliveryResult,
} from './contracts.js';

/** A delivery deferred (the deliveries' concurrency budget full) asks again, without spending
 * an attempt: after 5 s, doubling to a minute, at most this many times (about two hours). */
const MAX_DEFERRALS = 128;
const MAX_DEFERRAL_SECONDS = 60;

export const deliverCallback: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput() as DeliverCallbackInput;
  const progress: CallbackProgress = { type: input.event.type, delivered: false, attempts: 0 };
  let deferrals = 0;
  for (let attempt = 1; attempt <= input.retry.attempts; attempt++) {
    const result = (yield context.df.callActivity(activityNames.sendCallback, input.event)) as DeliveryResult;
    if (result.deferred && deferrals < MAX_DEFERRALS) {
      deferrals++;
      attempt--;
      const waitSeconds = Math.min(
        MAX_DEFERRAL_SECONDS,
        input.retry.firstSeconds * 2 ** Math.min(deferrals - 1, 8),
      );
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + waitSeconds * 1000));
      continue;
    }
    Object.assign(progress, {
      attempts: attempt,
      delivered: result.delivered,
      lastStatus: result.status,
      lastError: result.error,
    });
    context.df.setCustomStatus({ ...progress });
    if (result.delivered || !result.retryable || attempt === input.retry.attempts) break;
    // 5 s, 10 s, 20 s … capped at 10 min: twelve attempts span about an hour.
    const waitSeconds = Math.min(input.retry.maxSeconds, input.retry.firstSeconds * 2 ** (attempt - 1));
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + waitSeconds * 1000));
  }
  return progress;
};
