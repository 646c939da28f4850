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
}

export interface SignedEvent {
  url: string;
  /** The same on every attempt: the receiver's idempotency key. */
  messageId: string;
  body: string;
  secret: string;
  policy: CallbackUrlPolicy;
  timeoutMs: number;
}

export async function sendSignedEvent(event: SignedEvent): Promise<DeliveryResult> {
  const unsafe = await callbackUrlProblem(event.url, event.policy);
  if (unsafe) return { delivered: false, retryable: false, error: `callbackUrl ${unsafe}` };
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
        timeout: event.timeoutMs,
      },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
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
    request.on('timeout', () =>
      request.destroy(
        Object.assign(new Error(`no answer within ${event.timeoutMs} ms`), { code: 'ETIMEDOUT' }),
      ),
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      resolve({ delivered: false, retryable: error.code !== 'EUNSAFEADDRESS', error: error.message });
    });
    request.end(event.body);
  });
}
