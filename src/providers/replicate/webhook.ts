// Replicate's webhooks (docs/providers/replicate.md#webhooks): Standard Webhooks, HMAC-SHA256 with the
// account's signing secret, checked with the spec's reference library `standardwebhooks`
// (constant-time comparison and the ±5 minute timestamp check, which replicate's own
// validateWebhook lacks). The secret comes from REPLICATE_WEBHOOK_SECRET, or else from
// Replicate's GET /webhooks/default/secret, fetched once.
import { Webhook, WebhookVerificationError as SignatureError } from 'standardwebhooks';
import type { Transport } from '../http/transport.js';
import { WebhookVerificationError } from '../../errors.js';
import type { ProviderJob, ProviderWebhooks, WebhookEvent } from '../provider.js';
import { z } from 'zod';

const secretSchema = z.object({ key: z.string().regex(/^whsec_/) });

export function replicateWebhooks(options: {
  secret?: string;
  transport: Transport;
  read(body: unknown): ProviderJob;
}): ProviderWebhooks {
  let verifier: Promise<Webhook> | undefined;
  const getVerifier = () =>
    (verifier ??= (async () => {
      if (options.secret) return new Webhook(options.secret);
      const answer = await options.transport.json(
        { method: 'GET', path: '/webhooks/default/secret', what: 'Get the Replicate webhook signing secret' },
        secretSchema,
      );
      return new Webhook(answer.key);
    })().catch((error: unknown) => {
      verifier = undefined; // fetch again next time rather than caching a failure
      throw error;
    }));
  return {
    async verify(headers, rawBody): Promise<WebhookEvent> {
      let body: unknown;
      try {
        body = (await getVerifier()).verify(rawBody.toString('utf8'), { ...headers });
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
