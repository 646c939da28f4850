// fal's completion webhook (docs/providers/fal.md#webhooks): one POST once a request is final, signed
// for the user the key stands for, retried on failure.
import { createHash } from 'node:crypto';
import type { Core } from '../core.js';
import type { JobQueue } from '../queued-jobs.js';
import type { WebhookSender } from '../webhooks.js';
import type { FalSigner } from './signing.js';
import { resultOf, type FalRequest } from './state.js';
import { outcomeOf, webhookBody } from './wire.js';

/** fal's user id for a key (`user_…`), as the X-Fal-Webhook-User-Id header carries it. */
const userIdOf = (key: string) => `user_${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;

export interface WebhookDeps {
  core: Core;
  queue: JobQueue<FalRequest>;
  signer: FalSigner;
  webhooks: WebhookSender;
}

/** Sends the request's webhook once it is final; true when done with it (the Watcher's check). */
export function sendWhenFinal(deps: WebhookDeps, r: FalRequest): boolean {
  const state = deps.queue.state(r);
  if (state.finishedMs === null) return false;
  const outcome = outcomeOf(r, state);
  const deliver = (payload: unknown, status: 'OK' | 'ERROR', error?: string) => {
    const body = webhookBody(r, status, payload, error);
    deps.webhooks.send({
      url: r.webhookUrl!,
      body,
      retry: true,
      headers: (now) => deps.signer.headers(r.id, userIdOf(r.account), body, now),
    });
  };
  if (outcome) deliver(outcome.body, 'ERROR', `Invalid status code: ${outcome.status}`);
  else
    resultOf(deps.core, r).then(
      (result) => deliver(result, 'OK'),
      (error: Error) => deliver({ detail: error.message }, 'ERROR', 'Invalid status code: 500'),
    );
  return true;
}
