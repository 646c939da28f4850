// Replicate's webhooks (docs/providers/replicate.md#webhooks): the prediction object as the body,
// sent for the events its `webhook_events_filter` asks for, signed with Standard Webhooks headers
// from the default secret; only the terminal one is retried.
import { createHmac } from 'node:crypto';
import { predictionId, type Prediction, type ReplicateDeps } from './state.js';
import { logsOf, predictionView } from './wire.js';

/** Standard Webhooks headers for one attempt
 * (docs/providers/standard-webhooks.md#headers-and-signature). */
function signed(secret: string, body: string, messageId: string) {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return (nowMs: number) => {
    const timestamp = String(Math.floor(nowMs / 1000));
    const signature = createHmac('sha256', key).update(`${messageId}.${timestamp}.${body}`).digest('base64');
    return {
      'webhook-id': messageId,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signature}`,
    };
  };
}

/** Sends the prediction as it is now; `terminal` ones are retried. */
export function sendEvent(deps: ReplicateDeps, p: Prediction, terminal: boolean) {
  const body = JSON.stringify(predictionView(deps, p));
  deps.webhooks.send({
    url: p.webhook!,
    body,
    retry: terminal,
    headers: signed(deps.secret, body, `msg_${predictionId()}`),
  });
}

/** Sends the events the prediction's filter asks for as they happen; true after the terminal one (the Watcher's check). */
export function sendAsItHappens(deps: ReplicateDeps, p: Prediction): boolean {
  const filter = new Set(p.filter ?? ['output', 'completed']);
  const state = deps.queue.state(p);
  const now = Date.now();
  const logs = logsOf(deps.queue, p, state, now);
  const final = state.finishedMs !== null;
  if (final) {
    // One terminal webhook carries the output too, so `output` is only sent on its own without `completed`.
    if (filter.has('completed')) sendEvent(deps, p, true);
    else if (filter.has('output') && state.phase === 'succeeded') sendEvent(deps, p, false);
    return true;
  }
  if (filter.has('logs') && logs !== p.lastLogs && now - p.lastLogsSentMs >= 500) {
    p.lastLogs = logs;
    p.lastLogsSentMs = now;
    sendEvent(deps, p, false);
  }
  return false;
}
