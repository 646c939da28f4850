// fal's webhooks (docs/providers/fal.md#webhooks): an Ed25519 signature, hex, over
// `request_id \n user_id \n timestamp \n sha256(body) hex`, valid if any key of fal's JWKS
// verifies it, with the timestamp within ±5 minutes. Neither fal client verifies webhooks,
// and node:crypto does Ed25519 and JWK import natively, so no library is needed.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { WebhookVerificationError } from '../../errors.js';
import { keyLoader, type KeyLoaderOptions } from '../http/key-loader.js';
import type { ProviderJob, ProviderWebhooks, WebhookEvent } from '../provider.js';
import { falErrorOf } from './classify.js';

/** fal's tolerance and the Standard Webhooks reference libraries'
 * (docs/providers/standard-webhooks.md#verification). */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;
/** fal says to cache its keys up to a day. */
const JWKS_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** A signature no cached key verifies may come from a new key: fetch again, at most this often. */
const JWKS_REFRESH_MIN_MS = 60 * 1000;

// Wire schemas are built on first use (z.lazy), not at app load (bench/README.md "App load time").
const jwksSchema = z.lazy(() =>
  z.object({
    keys: z.array(
      z
        .object({
          kty: z.string(),
          crv: z.string().optional(),
          x: z.string().optional(),
          kid: z.string().optional(),
        })
        .passthrough(),
    ),
  }),
);

const bodySchema = z.lazy(() =>
  z.object({
    request_id: z.string().min(1),
    status: z.enum(['OK', 'ERROR']),
    payload: z.unknown().optional(),
    error: z.string().nullish(),
  }),
);

export interface FalWebhookOptions {
  jwksUrl: string;
  fetch?: typeof fetch;
  requestTimeoutMs: number;
  /** Unix seconds (tests move the clock). */
  nowSeconds?: () => number;
  keyLoader?: KeyLoaderOptions;
}

/** fal's public keys, cached for a day and fetched again when a signature verifies with none of them. */
function jwksCache(options: FalWebhookOptions) {
  let cached: { keys: KeyObject[]; fetchedAt: number } | undefined;
  const load = async (): Promise<KeyObject[]> => {
    const response = await (options.fetch ?? fetch)(options.jwksUrl, {
      signal: AbortSignal.timeout(options.requestTimeoutMs),
      headers: { accept: 'application/json' },
    });
    if (!response.ok) throw new Error(`fal's JWKS answered HTTP ${response.status}`);
    const parsed = jwksSchema.parse(await response.json());
    const keys = parsed.keys
      .filter((key) => key.kty === 'OKP' && key.crv === 'Ed25519' && typeof key.x === 'string')
      .map((key) => createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.x! }, format: 'jwk' }));
    cached = { keys, fetchedAt: Date.now() };
    return keys;
  };
  // One fetch at a time; after a failure, none until a backoff has passed (503 meanwhile).
  const refresh = keyLoader("Fetching fal's webhook keys", load, options.keyLoader);
  return {
    async keys(): Promise<KeyObject[]> {
      if (cached && Date.now() - cached.fetchedAt < JWKS_MAX_AGE_MS) return cached.keys;
      return refresh();
    },
    /** Fresh keys, unless they were fetched moments ago (a forged signature must not make us hammer fal). */
    async refreshed(): Promise<KeyObject[] | undefined> {
      if (cached && Date.now() - cached.fetchedAt < JWKS_REFRESH_MIN_MS) return undefined;
      return refresh();
    },
  };
}

export function falWebhooks(options: FalWebhookOptions): ProviderWebhooks {
  const jwks = jwksCache(options);
  const nowSeconds = options.nowSeconds ?? (() => Date.now() / 1000);
  return {
    async verify(headers, rawBody): Promise<WebhookEvent> {
      const requestId = headers['x-fal-webhook-request-id'];
      const userId = headers['x-fal-webhook-user-id'];
      const timestamp = headers['x-fal-webhook-timestamp'];
      const signatureHex = headers['x-fal-webhook-signature'];
      if (!requestId || !userId || !timestamp || !signatureHex)
        throw new WebhookVerificationError('missing fal webhook headers');
      if (
        !/^\d{1,12}$/.test(timestamp) ||
        Math.abs(nowSeconds() - Number(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS
      ) {
        throw new WebhookVerificationError('the fal webhook timestamp is missing or more than 5 minutes off');
      }
      if (!/^[0-9a-f]{128}$/i.test(signatureHex))
        throw new WebhookVerificationError('the fal webhook signature is not 64 hex bytes');
      const signed = Buffer.from(
        [requestId, userId, timestamp, createHash('sha256').update(rawBody).digest('hex')].join('\n'),
        'utf8',
      );
      const signature = Buffer.from(signatureHex, 'hex');
      const verifiedBy = (keys: KeyObject[]) => keys.some((key) => verify(null, signed, key, signature));
      let ok = verifiedBy(await jwks.keys());
      if (!ok) {
        const fresh = await jwks.refreshed();
        ok = fresh !== undefined && verifiedBy(fresh);
      }
      if (!ok) throw new WebhookVerificationError('no fal key verifies the webhook signature');

      let body: z.output<typeof bodySchema>;
      try {
        body = bodySchema.parse(JSON.parse(rawBody.toString('utf8')));
      } catch {
        throw new WebhookVerificationError('the fal webhook body is not the documented shape');
      }
      if (body.request_id !== requestId)
        throw new WebhookVerificationError(
          'the fal webhook body names another request than its signed header',
        );
      return { messageId: `${requestId}@${timestamp}`, jobId: requestId, job: jobFrom(body) };
    },
  };
}

/** The body is signed, so its final state is trusted (docs/providers/fal.md#webhooks): OK carries
 * the result, ERROR the error body. */
function jobFrom(body: z.output<typeof bodySchema>): ProviderJob {
  const base = { jobId: body.request_id, status: 'COMPLETED', outputs: [] };
  if (body.status === 'OK') {
    const video = (body.payload as { video?: { url?: unknown } } | null | undefined)?.video;
    if (typeof video?.url === 'string') return { ...base, phase: 'succeeded', outputs: [{ id: 'video' }] };
    return { ...base, phase: 'failed', failure: 'fal reported success without a video in the result' };
  }
  const { type, message } = falErrorOf(body.payload, null);
  const failure = [type, message ?? body.error].filter(Boolean).join(': ') || 'fal reported an error';
  return { ...base, phase: type === 'client_cancelled' ? 'cancelled' : 'failed', failure };
}
