// Replicate's webhooks (docs/providers/replicate.md#webhooks): Standard Webhooks, HMAC-SHA256 with the
// account's signing secret, checked with the spec's reference library `standardwebhooks`
// (constant-time comparison and the ±5 minute timestamp check, which replicate's own
// validateWebhook lacks). The secret comes from REPLICATE_WEBHOOK_SECRET, or else from
// Replicate's GET /webhooks/default/secret, fetched once (after a failure, not again until a
// backoff has passed: ../http/key-loader.ts), and only for a delivery whose headers and
// timestamp pass the checks that need no secret.
import { Webhook, WebhookVerificationError as SignatureError } from 'standardwebhooks';
import { keyLoader, type KeyLoaderOptions } from '../http/key-loader.js';
import type { Transport } from '../http/transport.js';
import { WebhookVerificationError } from '../../errors.js';
import type { ProviderJob, ProviderWebhooks, WebhookEvent } from '../provider.js';
import { z } from 'zod';

// Wire schemas are built on first use (z.lazy), not at app load (bench/README.md "App load time").
const secretSchema = z.lazy(() => z.object({ key: z.string().regex(/^whsec_/) }));

/** The reference libraries' tolerance (docs/providers/standard-webhooks.md#verification). */
const TIMESTAMP_TOLERANCE_SECONDS = 300;

/** What can be refused without the secret: missing headers, a stale or future timestamp, no
 * v1 signature. Checked first, so an anonymous POST never makes us fetch the secret. */
function unsignedProblem(headers: Readonly<Record<string, string>>, nowSeconds: number): string | undefined {
  const [id, timestamp, signature] = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map(
    (name) => headers[name],
  );
  if (!id || !timestamp || !signature) return 'missing Standard Webhooks headers';
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS)
    return 'the timestamp is missing or more than 5 minutes off';
  if (!signature.split(' ').some((part) => /^v1,[A-Za-z0-9+/]{43}=$/.test(part))) return 'no v1 signature';
  return undefined;
}

export function replicateWebhooks(options: {
  secret?: string;
  transport: Transport;
  read(body: unknown): ProviderJob;
  /** Unix seconds (tests move the clock). */
  nowSeconds?: () => number;
  keyLoader?: KeyLoaderOptions;
}): ProviderWebhooks {
  const nowSeconds = options.nowSeconds ?? (() => Date.now() / 1000);
  const loadSecret = keyLoader(
    'Getting the Replicate webhook signing secret',
    async () => {
      if (options.secret) return new Webhook(options.secret);
      const answer = await options.transport.json(
        { method: 'GET', path: '/webhooks/default/secret', what: 'Get the Replicate webhook signing secret' },
        secretSchema,
      );
      return new Webhook(answer.key);
    },
    options.keyLoader,
  );
  let verifier: Webhook | undefined;
  return {
    async verify(headers, rawBody): Promise<WebhookEvent> {
      const unsigned = unsignedProblem(headers, nowSeconds());
      if (unsigned) throw new WebhookVerificationError(`Replicate webhook: ${unsigned}`);
      verifier ??= await loadSecret();
      let body: unknown;
      try {
        body = verifier.verify(rawBody.toString('utf8'), { ...headers });
      } catch (error) {
        if (error instanceof SignatureError)
          throw new WebhookVerificationError(`Replicate webhook: ${error.message}`);
        throw error;
      }
      let job: ProviderJob;
      try {
        job = options.read(body);
      } catch {
        throw new WebhookVerificationError('the Replicate webhook body is not a prediction');
      }
      return { messageId: headers['webhook-id'], jobId: job.jobId, job };
    },
  };
}
