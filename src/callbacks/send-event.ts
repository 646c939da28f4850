// One delivery of an event to a caller's callbackUrl: Standard Webhooks–signed (standardwebhooks,
// the spec's reference library: docs/providers/standard-webhooks.md), never following a redirect,
// and connecting only to addresses the callback-URL rules allow: the check runs again inside the
// connection's own DNS lookup, so a name that resolves to a public address when checked and to a
// private one when connecting (DNS rebinding) is refused too.
import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import { guardedLookup } from '../net/address-rule.js';
import { callbackUrlProblem, type CallbackUrlPolicy } from './callback-url.js';

export interface DeliveryResult {
  delivered: boolean;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** Worth trying again later: 5xx, 429, a timeout or a network error; not 4xx, 3xx or an unsafe URL. */
  retryable: boolean;
  error?: string;
  /** Not attempted: the deliveries' own concurrency budget was full. Try again soon; this is no attempt. */
  deferred?: boolean;
}

export interface SignedEvent {
  url: string;
  /** The same on every attempt: the receiver's idempotency key. */
  messageId: string;
  body: string;
  secret: string;
  policy: CallbackUrlPolicy;
  /** The attempt's hard deadline: DNS, connect, TLS, sending and the answer's headers. */
  timeoutMs: number;
}

/** Standard Webhooks suggests 15-30 s per attempt; no attempt may take longer than this. */
export const MAX_DELIVERY_TIMEOUT_MS = 30_000;

export async function sendSignedEvent(event: SignedEvent): Promise<DeliveryResult> {
  const timeoutMs = Math.min(event.timeoutMs, MAX_DELIVERY_TIMEOUT_MS);
  // One deadline for the whole attempt, from the address check to the answer's headers: a
  // receiver that trickles its answer byte by byte never resets it (an idle timeout would).
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    timeoutMs,
  );
  try {
    const unsafe = await Promise.race([
      callbackUrlProblem(event.url, event.policy),
      new Promise<never>((_, reject) =>
        deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason)),
      ),
    ]);
    if (unsafe) return { delivered: false, retryable: false, error: `callbackUrl ${unsafe}` };
    return await post(event, deadline.signal);
  } catch (error) {
    return { delivered: false, retryable: true, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** One POST; resolves at the answer's status line and headers, reading nothing after them. */
function post(event: SignedEvent, signal: AbortSignal): Promise<DeliveryResult> {
  const url = new URL(event.url);
  // The signature covers the timestamp: sign and stamp from the same instant.
  const at = new Date();
  const signature = new Webhook(event.secret).sign(event.messageId, at, event.body);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(event.body)),
    'webhook-id': event.messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
    'user-agent': 'durable-video-generation-webhooks',
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<DeliveryResult>((resolve) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers,
        lookup: guardedLookup(event.policy.allowLoopback),
        // A socket of its own, closed with the answer: nothing is kept for the receiver.
        agent: false,
        signal,
      },
      (response) => {
        // The status is all we need: the body is never read, and the connection is closed.
        const status = response.statusCode ?? 0;
        response.destroy();
        if (status >= 200 && status < 300) return resolve({ delivered: true, status, retryable: false });
        // Standard Webhooks: a 3xx is a failure (redirects are not followed); 429 and 5xx may pass.
        resolve({
          delivered: false,
          status,
          retryable: status === 429 || status >= 500,
          error: `the receiver answered HTTP ${status}`,
        });
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      const timedOut = signal.aborted;
      resolve({
        delivered: false,
        retryable: error.code !== 'EUNSAFEADDRESS',
        error: timedOut ? (signal.reason as Error).message : error.message,
      });
    });
    request.end(event.body);
  });
}
